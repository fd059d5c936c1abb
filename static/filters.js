// Filters on the initiatives page (templates/partials/filters.html): hide the initiatives that
// do not match the chosen district, zone, theme, batch and words, and keep the choice in the
// address so that it can be shared and the back button undoes it. Without JavaScript the form
// stays hidden and every list is shown.
(function () {
  "use strict";

  const form = document.getElementById("initiative-filters");
  if (!form) return;
  const LISTS = { district: "districts", zone: "zones", theme: "themes", batch: "batch" };
  const items = Array.from(document.querySelectorAll("li[data-themes]"));
  const groups = Array.from(document.querySelectorAll(".group")).filter((g) => g.querySelector("li[data-themes]"));
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
    for (const group of groups) group.hidden = !group.querySelector("li[data-themes]:not([hidden])");
    status.textContent = shown.size === 1 ? form.dataset.countOne : form.dataset.count.replace("{n}", String(shown.size));
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
  form.hidden = false;
  fromAddress();
})();
