// Site search, in the header box of every page and in full on the search page (?q=…).
//
// The index (microsite/search.py) is a script, not JSON, so that it loads from file:// too; it
// is inserted on the first focus or keystroke and sets window.__searchIndex. Result links are
// the body's data-root (the way back to the site root) plus each result's path.
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

  let loading = null;

  function loadIndex() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        const script = document.createElement("script");
        script.src = document.body.dataset.searchIndex;
        script.onload = function () {
          const index = window.__searchIndex;
          index.keys = Object.keys(index.terms);
          resolve(index);
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // Doc number -> weight of the best field where a term starting with `word` occurs.
  function matches(index, word) {
    const found = new Map();
    for (const key of index.keys) {
      if (!key.startsWith(word)) continue;
      let doc = 0;
      for (const posting of index.terms[key]) {
        doc += Math.floor(posting / 8);
        const fields = posting % 8;
        const weight = fields & TITLE ? 100 : fields & OTHER ? 10 : 1;
        if (weight > (found.get(doc) || 0)) found.set(doc, weight);
      }
    }
    return found;
  }

  // Docs holding every query word (as a prefix), best first: title matches, then other-name
  // matches, then body; equal scores put the shorter title (the closer match) first.
  function search(index, query) {
    const words = Array.from(new Set(tokens(query)));
    if (!words.length) return [];
    let scores = null;
    for (const word of words) {
      const found = matches(index, word);
      const next = new Map();
      for (const [doc, weight] of found) {
        if (scores === null || scores.has(doc)) next.set(doc, (scores ? scores.get(doc) : 0) + weight);
      }
      scores = next;
    }
    const ranked = Array.from(scores, function ([doc, score]) {
      return { doc: doc, score: score, length: tokens(index.docs[doc][1]).length };
    });
    ranked.sort(function (a, b) { return b.score - a.score || a.length - b.length || a.doc - b.doc; });
    return ranked.map(function (r) { return index.docs[r.doc]; });
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

  function resultContent(doc, words, form) {
    const [kind, title, other, districts, path] = doc;
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
    loadIndex().then((index) => {
      if (query !== this.input.value) return; // a newer keystroke is on its way
      const words = Array.from(new Set(tokens(query)));
      const results = words.length ? search(index, query) : [];
      this.list.replaceChildren();
      results.slice(0, SHOWN).forEach((doc, i) => {
        const option = document.createElement("li");
        option.id = "search-option-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.append.apply(option, resultContent(doc, words, this.form));
        this.list.appendChild(option);
      });
      this.status.textContent = words.length ? countMessage(index, results.length) : "";
      this.select(-1);
      if (results.length) this.open(); else this.close();
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

  // -- the search page: every result for ?q= ---------------------------------------------------

  function showPage(form, app) {
    const query = new URLSearchParams(window.location.search).get("q") || "";
    form.querySelector("#search-input").value = query;
    if (!tokens(query).length) return;
    loadIndex().then(function (index) {
      const words = Array.from(new Set(tokens(query)));
      const results = search(index, query);
      const list = app.querySelector("#search-page-results");
      for (const doc of results) {
        const item = document.createElement("li");
        item.append.apply(item, resultContent(doc, words, form));
        list.appendChild(item);
      }
      app.querySelector("#search-page-status").textContent = countMessage(index, results.length);
    });
  }

  const form = document.querySelector(".search-form");
  if (!form) return;
  new Combobox(form);
  const app = document.getElementById("search-app");
  if (app) showPage(form, app);
})();
