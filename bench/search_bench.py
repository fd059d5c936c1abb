"""How big the search index is and how fast a query answers, on synthetic content.

    python bench/search_bench.py [--initiatives 10000] [--repeat 15]

Writes synthetic content (microsite/synthetic.py), builds the offline site from it, opens its
English and Chinese home pages in Chromium over file:// and types each query into the header
box: the time is from the keystroke's input event to the live region being updated (search,
ranking and the results list). For each query, a fresh page: the first query's time and the
index bytes it loaded (the entry and the parts its words and results need), then the median of
--repeat runs once they are loaded. Prints index bytes beside the site's HTML bytes. Not a test:
nothing here asserts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microsite.diagnostics import format_console  # noqa: E402
from microsite.pipeline import Options, build  # noqa: E402
from microsite.synthetic import write_content  # noqa: E402

QUERIES = {
    "": ["trade", "data finance", "t", "inno", "yangpu", "port logistics customs"],
    "zh/": ["贸易", "数据金融", "杨浦", "数", "创新政策市场"],
}

# Runs in the page: type one query into the header box of a freshly opened page and wait for the
# live region (written last, even when nothing is found): the first query's time, loading
# included; then `repeat` more times for the time of a query whose parts are loaded. Returns
# [first ms, median ms, status, the search scripts the page loaded].
TIMING = """async ([query, repeat]) => {
  const input = document.getElementById("search-input");
  const status = document.getElementById("search-status");
  const type = (q) => new Promise((resolve) => {
    const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now() - t0); });
    seen.observe(status, {childList: true, characterData: true, subtree: true});
    input.value = q;
    const t0 = performance.now();
    input.dispatchEvent(new Event("input"));
  });
  const first = await type(query);
  const times = [];
  for (let i = 0; i < repeat; i++) { status.textContent = ""; times.push(await type(query)); }
  times.sort((a, b) => a - b);
  const scripts = Array.from(document.querySelectorAll("script[src]"), (s) => s.getAttribute("src"));
  return [first, times[times.length >> 1], status.textContent, scripts];
}"""


def measure(site: Path, repeat: int) -> list[tuple[float, int, float]]:
    """Print the index's size and each query's times; return (first ms, index bytes the first
    query loaded, median ms once loaded) for each query."""
    from playwright.sync_api import sync_playwright

    html = sum(p.stat().st_size for p in site.rglob("*.html"))
    print(f"HTML of the whole site: {html / 1e6:.1f} MB")
    rows = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        for prefix, queries in QUERIES.items():
            folder = site / prefix / "search"
            whole = sum(f.stat().st_size for f in folder.glob("*.js"))
            print(
                f"\n{prefix or 'en/'} index: {whole / 1e6:.2f} MB in {len(list(folder.glob('*.js')))} files "
                f"({whole / html:.1%} of the HTML); entry {(folder / 'index.js').stat().st_size / 1e3:.0f} KB"
            )
            for query in queries:
                page = chromium.new_page()
                page.goto((site / prefix / "index.html").as_uri())
                first, ms, status, scripts = page.evaluate(TIMING, [query, repeat])
                loaded = sum((site / prefix / src).resolve().stat().st_size for src in scripts if "search/" in src)
                print(
                    f"  {query!r:28} first {first:6.1f} ms, loading {loaded / 1e3:5.0f} KB; "
                    f"then median {ms:5.1f} ms   {status}"
                )
                page.close()
                rows.append((first, loaded, ms))
        chromium.close()
    return rows


def offline_site(content: Path, site: Path) -> bool:
    """Build the offline site (the search index that works from file://); False, with the
    problems printed, when the build fails. It keeps no build state: the folder is thrown away, and
    a state kept in the user's cache under its name (126 MB at 10,000 initiatives) never serves again."""
    result = build(Options(content=content, out=site, offline=True, cache=None))
    if not result.ok:
        print(format_console(result.diagnostics), file=sys.stderr)
    return result.ok


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--initiatives", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        content, site = Path(tmp) / "content", Path(tmp) / "site"
        write_content(content, args.initiatives)
        if not offline_site(content, site):
            return 1
        measure(site, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(run())
