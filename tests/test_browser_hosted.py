"""The hosted site in a real browser, served under a sub-path: every page reachable from the home
page loads with its stylesheet, with no 404 and no request to another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from conftest import ROOT, results
from test_browser_offline import crawl

BASE = "https://example.org/sub/path/"


def test_every_page_loads_under_a_sub_path(cli, browser, serve_under, tmp_path):
    out = tmp_path / "site"
    assert cli("build", "--content", ROOT / "content", "--out", out, "--base-url", BASE).code == 0
    start = serve_under(out, "/sub/path/")
    pages, files, requests = crawl(browser, start)  # fails on any 4xx/5xx or failed request
    expected = {
        start + p.relative_to(out).as_posix().removesuffix("index.html")
        for p in out.rglob("*.html")
        if p.name != "404.html"
    }
    assert set(pages) == expected
    assert {url.rsplit("/", 1)[1] for url in files} >= {"initiatives.json", "initiatives.csv", "site.json"}
    context = browser.new_context()
    assert all(context.request.get(url).ok for url in files)
    context.close()
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}
    tab = browser.new_page()  # the same search result as from the bundle
    tab.goto(start)
    assert results(tab, "杨浦区")[0] == start + "districts/yangpu/"
    tab.close()
