// Filters on the initiatives page (templates/partials/filters.html): hide the initiatives that
// do not match the chosen district, zone, theme, batch and words, count the ones left into the
// district × theme matrix, and keep the choice in the address so that it can be shared and the
// back button undoes it. Without JavaScript the form is hidden (style.css) and everything is shown.
(function () {
  "use strict";

  const form = document.getElementById("initiative-filters");
  if (!form) return;
  // each <select>'s name -> the data- attribute of the items holding the ids it chooses among
  // (a site without batches has no batch <select>)
  const LISTS = Object.fromEntries(Array.from(form.querySelectorAll("select[data-list]"), (s) => [s.name, s.dataset.list]));
  const items = Array.from(document.querySelectorAll("li[data-themes]"));
  const status = form.querySelector("[role=status]");

  function chosen() {
    const out = {};
    for (const name of Object.keys(LISTS).concat("q")) out[name] = form.elements[name].value.trim();
    return out;
  }

  function matches(item, choice) {
    for (const name of Object.keys(LISTS)) {
      const ids = (item.dataset[LISTS[name]] || "").split(" ");
      if (choice[name] && !ids.includes(choice[name])) return false;
    }
    const text = item.textContent.toLowerCase();
    return choice.q.toLowerCase().split(/\s+/).every((word) => text.includes(word));
  }

  function apply() {
    const choice = chosen();
    const shown = new Set();
    for (const item of items) {
      item.hidden = !matches(item, choice);
      if (!item.hidden) shown.add(item.querySelector("a").getAttribute("href"));
    }
    recount(choice);
    status.textContent = shown.size === 1 ? form.dataset.countOne : form.dataset.count.replace("{n}", String(shown.size));
  }

  // The matrix counts the initiatives on view, in the chosen district's row and the chosen
  // theme's column only; with a filter set, rows and columns left empty are hidden. Shades
  // follow the same steps as the build's (h.heat in render.py).
  const matrix = document.querySelector("table.matrix");

  function recount(choice) {
    if (!matrix) return;
    const filtered = Object.values(choice).some(Boolean);
    const cells = new Map(), rows = new Map(), columns = new Map();
    const wanted = (id, chosen) => id && (!chosen || id === chosen);
    for (const item of items) {
      if (item.hidden) continue;
      for (const d of item.dataset.districts.split(" ").filter((id) => wanted(id, choice.district))) {
        rows.set(d, (rows.get(d) || 0) + 1);
        for (const t of item.dataset.themes.split(" ").filter((id) => wanted(id, choice.theme))) {
          cells.set(d + " " + t, (cells.get(d + " " + t) || 0) + 1);
          columns.set(t, (columns.get(t) || 0) + 1);
        }
      }
    }
    const top = Math.max(1, ...cells.values());
    for (const row of matrix.tBodies[0].rows) {
      const district = row.dataset.district;
      row.hidden = filtered && !rows.get(district);
      for (const cell of row.querySelectorAll("td[data-theme]")) {
        const n = cells.get(district + " " + cell.dataset.theme) || 0;
        const link = cell.querySelector("a");
        cell.className = cell.className.replace(/\bheat-\d\b/, "").trim() + " heat-" + (n ? 1 + Math.min(3, Math.floor((n * 4 - 1) / top)) : 0);
        if (link) {
          link.hidden = !n;
          link.querySelector(".n").textContent = String(n);
        }
        cell.hidden = filtered && !columns.get(cell.dataset.theme);
      }
      row.querySelector("td:last-child").textContent = String(rows.get(district) || 0);
    }
    for (const head of matrix.tHead.querySelectorAll("th[data-theme]")) head.hidden = filtered && !columns.get(head.dataset.theme);
  }

  // The address holds only the filters that are set, in the form's order.
  function address() {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(chosen())) if (value) params.set(name, value);
    const query = params.toString();
    return window.location.pathname + (query ? "?" + query : "") + window.location.hash;
  }

  function fromAddress() {
    const params = new URLSearchParams(window.location.search);
    for (const name of Object.keys(LISTS).concat("q")) {
      const control = form.elements[name];
      control.value = params.get(name) || "";
      if (control.value !== (params.get(name) || "")) control.value = ""; // an id no option has
    }
    apply();
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "q") return;
    apply();
    remember("pushState");
  });
  // typing replaces the current entry: one back-button step per keystroke would be a trap
  form.elements.q.addEventListener("input", function () {
    apply();
    remember("replaceState");
  });
  // Browsers may refuse to change the address of a page opened from disk: the filter still applies.
  function remember(how) {
    try { window.history[how](null, "", address()); } catch (err) { /* keep the filter, not the address */ }
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("popstate", fromAddress);
  fromAddress();
})();
