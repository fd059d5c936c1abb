// Site search, in the header box of every page and in full on the search page (?q=…).
//
// The index (microsite/search.py) is made of scripts, not JSON, so that it loads from file://
// too: its entry is inserted on the first focus or keystroke and sets window.__searchIndex; the
// parts a query needs follow. Result links are the body's data-root (the way back to the site
// root) plus each result's path.
// Every string from the index reaches the page through textContent, never as HTML.
(function () {
  "use strict";

  // Must match _TOKEN, _HAN and the field bits in microsite/search.py.
  const TOKEN = /[a-z0-9\u00c0-\u024f]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  const HAN = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const TITLE = 4, OTHER = 2;
  const SHOWN = 8; // results in the header's list; the search page shows them all

  function tokens(text) {
    const out = [];
    for (const run of text.toLowerCase().match(TOKEN) || []) {
      if (HAN.test(run) && run.length > 1) {
        for (let i = 0; i < run.length - 1; i++) out.push(run.slice(i, i + 2));
      } else {
        out.push(run);
      }
    }
    return out;
  }

  // -- the index --------------------------------------------------------------------------
  //
  // index.js holds what every query needs (where each shard of the terms starts, the docs'
  // title lengths, the file of every chunk of docs); a query loads the shards that can hold its
  // words, then the chunks of the docs it shows. Each part is a script that hands its data to
  // __searchPart. A word's prefix matches load at most MAX_SHARDS shards: beyond that (one
  // letter on a large site) the word matches whole terms only.

  const MAX_SHARDS = 4;
  const parts = new Map(); // file name -> promise of its data
  const arrived = {};
  window.__searchPart = function (name, data) { arrived[name] = data; };

  function loadScript(src, name) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(name ? arrived[name] : window.__searchIndex); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  let loading = null;

  function loadIndex() {
    if (!loading) {
      loading = loadScript(document.body.dataset.searchIndex).then(function (index) {
        index.terms = new Map(); // shard number -> {term: postings text}
        index.decoded = new Map(); // term -> [posting, …]
        return index;
      });
    }
    return loading;
  }

  function loadPart(name) {
    if (!parts.has(name)) {
      parts.set(name, loadScript(document.body.dataset.searchIndex.replace(/index\.js$/, name + ".js"), name));
    }
    return parts.get(name);
  }

  // The last shard whose first term is at most `term`.
  function shardOf(index, term) {
    let lo = 0, hi = index.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (index.shards[mid][0] <= term) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  // [first, last, exact]: the shards that hold the terms starting with `word` (or, when
  // `exact`, the term itself, as also when those would be more than MAX_SHARDS).
  function shardRange(index, word, exact) {
    const first = shardOf(index, word);
    const last = exact ? first : shardOf(index, word + "\uffff");
    return last - first < MAX_SHARDS ? [first, last, exact] : [first, first, true];
  }

  // The shards holding the terms that start with each of `prefixes`, loaded.
  function loadShards(index, prefixes) {
    const wanted = [];
    for (const prefix of prefixes) {
      const [first, last] = shardRange(index, prefix, false);
      for (let i = first; i <= last; i++) {
        if (index.terms.has(i)) continue;
        wanted.push(loadPart(index.shards[i][1]).then(function (terms) { index.terms.set(i, terms); }));
      }
    }
    return Promise.all(wanted);
  }

  // The docs of `numbers`, loaded: doc number -> doc.
  function loadDocs(index, numbers) {
    const chunks = Array.from(new Set(numbers.map(function (n) { return Math.floor(n / index.chunk); })));
    return Promise.all(chunks.map(function (c) { return loadPart(index.chunks[c]); })).then(function (loaded) {
      const docs = new Map();
      for (const n of numbers) docs.set(n, loaded[chunks.indexOf(Math.floor(n / index.chunk))][n % index.chunk]);
      return docs;
    });
  }

  function postings(index, term, text) {
    let found = index.decoded.get(term);
    if (!found) {
      found = text.split(",").map(Number);
      index.decoded.set(term, found);
    }
    return found;
  }

  // The loaded terms starting with `word` (or equal to it, see shardRange): [term, postings text].
  function termsOf(index, word, exact) {
    const [first, last, whole] = shardRange(index, word, exact);
    if (whole) {
      const terms = index.terms.get(first) || {};
      return Object.prototype.hasOwnProperty.call(terms, word) ? [[word, terms[word]]] : [];
    }
    const out = [];
    for (let i = first; i <= last; i++) {
      const terms = index.terms.get(i) || {};
      for (const term in terms) if (term.startsWith(word)) out.push([term, terms[term]]);
    }
    return out;
  }

  // Doc number -> [weight of the best field where a term starting with `word` occurs (or, when
  // `exact`, the term `word` itself), the terms that matched].
  function matchesOf(index, word, exact) {
    const found = new Map();
    for (const [key, text] of termsOf(index, word, exact)) {
      let doc = 0;
      for (const posting of postings(index, key, text)) {
        doc += Math.floor(posting / 8);
        const fields = posting % 8;
        const weight = fields & TITLE ? 100 : fields & OTHER ? 10 : 1;
        const entry = found.get(doc) || [0, []];
        entry[0] = Math.max(entry[0], weight);
        entry[1].push(key);
        found.set(doc, entry);
      }
    }
    return found;
  }
  // One wrong, missing, extra or swapped letter: is `word` that close to the start of `key`?
  // (Optimal string alignment distance of word and key's prefixes one letter around its length.)
  function near(word, key) {
    for (let n = word.length - 1; n <= word.length + 1; n++) {
      if (n < 1 || n > key.length) continue;
      const a = word, b = key.slice(0, n);
      let prev2 = null, prev = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
          let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
          row.push(d);
        }
        prev2 = prev;
        prev = row;
      }
      if (prev[b.length] <= 1) return true;
    }
    return false;
  }

  // A Latin word of four letters or more that starts no term: the terms one letter away that
  // share its first two letters, at a tenth of the weight, so a typo still finds ("yanpu" finds
  // Yangpu) but never outranks.
  function fuzzy(index, word) {
    const found = new Map();
    for (const [key] of termsOf(index, word.slice(0, 2), false)) {
      if (HAN.test(key) || key.length < word.length - 1 || !near(word, key)) continue;
      for (const [doc, [weight]] of matchesOf(index, key, true)) {
        const entry = found.get(doc) || [0, []];
        entry[0] = Math.max(entry[0], weight / 10);
        entry[1].push(key);
        found.set(doc, entry);
      }
    }
    return found;
  }

  function fuzzyWord(word) {
    return word.length >= 4 && !HAN.test(word);
  }

  // Docs holding every query word (as a prefix), best first: title matches, then other-name
  // matches, then body; equal scores put the shorter title (the closer match) first, then the
  // docs' order (kind, then id). Resolves to [{doc: doc number, terms}]: the index's terms that
  // matched, to say why when the snippet cannot.
  function search(index, query) {
    const words = Array.from(new Set(tokens(query)));
    if (!words.length) return Promise.resolve([]);
    return loadShards(index, words).then(function () {
      const typos = words.filter(function (w) { return fuzzyWord(w) && !matchesOf(index, w, false).size; });
      return loadShards(index, typos.map(function (w) { return w.slice(0, 2); }));
    }).then(function () {
      let scores = null;
      for (const word of words) {
        let found = matchesOf(index, word, false);
        if (!found.size && fuzzyWord(word)) found = fuzzy(index, word);
        const next = new Map();
        for (const [doc, [weight, terms]] of found) {
          if (scores !== null && !scores.has(doc)) continue;
          const [score, before] = scores ? scores.get(doc) : [0, []];
          next.set(doc, [score + weight, before.concat(terms)]);
        }
        scores = next;
      }
      const ranked = Array.from(scores, function ([doc, [score, terms]]) {
        return { doc: doc, score: score, terms: Array.from(new Set(terms)), length: index.lengths[doc] };
      });
      ranked.sort(function (a, b) { return b.score - a.score || a.length - b.length || a.doc - b.doc; });
      return ranked;
    });
  }

  // The results with their docs loaded: [{doc: [kind, title, …], terms}].
  function withDocs(index, results) {
    return loadDocs(index, results.map(function (r) { return r.doc; })).then(function (docs) {
      return results.map(function (r) { return { doc: docs.get(r.doc), terms: r.terms }; });
    });
  }

  // -- showing results ----------------------------------------------------------------------

  // Which characters of `text` a query word matches: whole Latin words it begins, Han substrings.
  function marked(text, words) {
    const lower = text.toLowerCase();
    const flags = new Array(text.length).fill(false);
    if (lower.length !== text.length) return flags;
    const set = function (from, to) { for (let i = from; i < to; i++) flags[i] = true; };
    for (const word of words) {
      if (HAN.test(word)) {
        for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) set(at, at + word.length);
      } else {
        for (const m of lower.matchAll(TOKEN)) if (m[0].startsWith(word)) set(m.index, m.index + m[0].length);
      }
    }
    return flags;
  }

  function highlighted(text, words) {
    const flags = marked(text, words);
    const out = document.createDocumentFragment();
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      if (i < text.length && flags[i] === flags[start]) continue;
      const part = text.slice(start, i);
      if (flags[start]) {
        const mark = document.createElement("mark");
        mark.textContent = part;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(part));
      }
      start = i;
    }
    return out;
  }

  // Up to SNIPPET characters of the item's text around the first matched word, "…" where cut
  // (half as many Chinese characters, which are twice as wide).
  const SNIPPET = document.documentElement.lang.startsWith("zh") ? 80 : 160;

  // The snippet; when the matched words lie beyond the text the index keeps, the snippet ends
  // with the terms that matched, marked, so that every result says why it is there.
  function snippet(text, words, terms) {
    const flags = marked(text, words);
    const first = Math.max(0, flags.indexOf(true));
    let start = first < SNIPPET / 3 ? 0 : first - Math.floor(SNIPPET / 3);
    if (start > 0) {
      const space = text.indexOf(" ", start);
      if (space >= 0 && space < first) start = space + 1; // at a word, when there are words
    }
    const cut = text.slice(start, start + SNIPPET);
    const span = document.createElement("span");
    span.className = "search-snippet";
    if (start > 0) span.appendChild(document.createTextNode("…"));
    span.appendChild(highlighted(cut, words));
    if (start + SNIPPET < text.length) span.appendChild(document.createTextNode("…"));
    if (!flags.includes(true)) {
      for (const term of terms) {
        const mark = document.createElement("mark");
        mark.textContent = term;
        span.append(" … ", mark);
      }
    }
    return span;
  }

  function resultContent(result, query, form) {
    const [kind, title, other, districts, path, text] = result.doc;
    const words = query.concat(result.terms); // the terms a typo found are marked too
    const link = document.createElement("a");
    link.href = document.body.dataset.root + path;
    link.className = "search-result-title";
    link.appendChild(highlighted(title, words));
    const parts = [link];
    if (other && marked(other, words).includes(true)) { // say why a result matched
      const span = document.createElement("span");
      span.lang = document.documentElement.lang.startsWith("zh") ? "en" : "zh-Hans";
      span.className = "search-result-other";
      span.appendChild(highlighted(other, words));
      parts.push(document.createTextNode(" "), span);
    }
    const meta = document.createElement("small");
    meta.className = "search-result-meta";
    const label = form.dataset["kind" + kind[0].toUpperCase() + kind.slice(1)];
    meta.textContent = [label].concat(districts.length ? [districts.join(form.dataset.separator)] : []).join(" · ");
    parts.push(document.createTextNode(" "), meta);
    parts.push(snippet(text || "", words, result.terms));
    return parts;
  }

  function countMessage(index, n) {
    const m = index.messages;
    return n === 0 ? m.none : n === 1 ? m.one : m.count.replace("{n}", String(n));
  }

  // -- the header box: a combobox with a listbox of results -----------------------------------

  function Combobox(form) {
    this.form = form;
    this.input = form.querySelector("#search-input");
    this.list = form.querySelector("#search-listbox");
    this.status = form.querySelector("#search-status");
    this.active = -1;
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-controls", this.list.id);
    this.input.setAttribute("aria-expanded", "false");
    this.input.addEventListener("focus", () => { loadIndex(); if (this.input.value) this.update(); });
    this.input.addEventListener("input", this.update.bind(this));
    this.input.addEventListener("keydown", this.key.bind(this));
    // keep the focus in the box while a result is clicked, so the list stays until it opens
    this.list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.input.addEventListener("blur", this.close.bind(this));
  }

  Combobox.prototype.update = function () {
    const query = this.input.value;
    const words = Array.from(new Set(tokens(query)));
    loadIndex().then((index) => {
      return search(index, query).then((results) => {
        return withDocs(index, results.slice(0, SHOWN)).then((shown) => {
          if (query !== this.input.value) return; // a newer keystroke is on its way
          this.list.replaceChildren();
          shown.forEach((result, i) => {
            const option = document.createElement("li");
            option.id = "search-option-" + i;
            option.setAttribute("role", "option");
            option.setAttribute("aria-selected", "false");
            option.append.apply(option, resultContent(result, words, this.form));
            this.list.appendChild(option);
          });
          this.status.textContent = words.length ? countMessage(index, results.length) : "";
          this.select(-1);
          if (shown.length) this.open(); else this.close();
        });
      });
    });
  };

  Combobox.prototype.open = function () {
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.select(-1);
  };

  Combobox.prototype.select = function (i) {
    const options = this.list.children;
    if (this.active >= 0 && options[this.active]) options[this.active].setAttribute("aria-selected", "false");
    this.active = i;
    if (i >= 0) {
      options[i].setAttribute("aria-selected", "true");
      options[i].scrollIntoView({ block: "nearest" });
      this.input.setAttribute("aria-activedescendant", options[i].id);
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.key = function (event) {
    const count = this.list.children.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      this.open();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const first = step > 0 ? 0 : count - 1;
      this.select(this.active < 0 ? first : (this.active + step + count) % count);
    } else if (event.key === "Enter" && this.active >= 0 && !this.list.hidden) {
      event.preventDefault(); // open the chosen result instead of the search page
      window.location.assign(this.list.children[this.active].querySelector("a").href);
    } else if (event.key === "Escape" && !this.list.hidden) {
      event.preventDefault(); // close the list, but keep what was typed
      this.close();
    }
  };

  // -- the search page: every result for ?q=, PAGE at a time ------------------------------------

  const PAGE = 50;

  function showPage(form, app) {
    const query = new URLSearchParams(window.location.search).get("q") || "";
    form.querySelector("#search-input").value = query;
    if (!tokens(query).length) return;
    const words = Array.from(new Set(tokens(query)));
    const list = app.querySelector("#search-page-results");
    const more = app.querySelector("#search-page-more");
    loadIndex().then(function (index) {
      return search(index, query).then(function (results) {
        app.querySelector("#search-page-status").textContent = countMessage(index, results.length);
        let shown = 0;
        const next = function () {
          const page = results.slice(shown, shown + PAGE);
          shown += page.length;
          return withDocs(index, page).then(function (found) {
            for (const result of found) {
              const item = document.createElement("li");
              item.append.apply(item, resultContent(result, words, form));
              list.appendChild(item);
            }
            more.hidden = shown >= results.length;
          });
        };
        more.addEventListener("click", function () {
          const first = shown;
          next().then(function () { // the first new result takes the focus, for keyboards and screen readers
            const link = list.children[first] && list.children[first].querySelector("a");
            if (link) link.focus();
          });
        });
        return next();
      });
    });
  }

  const form = document.querySelector(".search-form");
  if (!form) return;
  new Combobox(form);
  // "/" anywhere but in a field jumps to the search box, as on most documentation sites
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    event.preventDefault();
    const input = form.querySelector("#search-input");
    input.focus();
    input.select();
  });
  const app = document.getElementById("search-app");
  if (app) showPage(form, app);
})();
