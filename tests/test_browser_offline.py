"""The offline bundle in a real browser: unzipped, opened over file://, every page reachable from
the home page loads with its stylesheet, and nothing is fetched from anywhere but the disk."""

from __future__ import annotations

import zipfile
from urllib.parse import urldefrag

from conftest import ROOT, results

NAME = "linked-innovation-zones-offline"
STYLED = "PingFang SC"  # in style.css's font stack: the computed style has it only if the CSS loaded


def crawl(browser, start: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Open every page reachable from `start` through links that stay under `start`'s folder.

    Returns (page URL -> number of links on it, other files linked, every request's URL); a
    page that fails to load or has no stylesheet fails the test.
    """
    inside = start.rsplit("/", 1)[0] + "/"
    requests, failures = [], []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    # a request the next navigation cancels (the favicon, fetched after the load event) did not
    # fail; a missing file still does, as its HTTP status or a file:// error
    page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and failures.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.url}: HTTP {r.status}"))
    seen, todo, files = {}, [start], set()
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        page.goto(url)
        assert STYLED in page.evaluate("getComputedStyle(document.documentElement).fontFamily"), url
        # getAttribute, not .href: the maps' SVG links have no string href property
        links = page.eval_on_selector_all(
            "a[href]", "as => as.map(a => new URL(a.getAttribute('href'), document.baseURI).href)"
        )
        seen[url] = len(links)
        for link in (urldefrag(x).url for x in links):
            if not link.startswith(inside):
                continue
            if link.endswith(("/", ".html")):
                todo.append(link)
            else:
                files.add(link)
    page.close()
    assert failures == []
    return seen, sorted(files), requests


def test_every_page_of_the_bundle_opens_from_disk(cli, browser, tmp_path):
    assert cli("bundle", "--content", ROOT / "content", "--dist", tmp_path).code == 0
    with zipfile.ZipFile(tmp_path / f"{NAME}.zip") as archive:
        archive.extractall(tmp_path)
    out = tmp_path / NAME
    pages, files, requests = crawl(browser, (out / "index.html").as_uri())
    on_disk = {p.as_uri() for p in out.rglob("*.html") if p.name != "404.html"}
    assert set(pages) == on_disk  # every page, in both languages, is reachable
    assert any("/zh/" in url for url in pages)
    assert files and all(url.startswith(out.as_uri()) for url in files)
    assert {url.rsplit("/", 1)[1] for url in files} >= {"initiatives.json", "initiatives.csv", "site.json"}
    assert all((out / url[len(out.as_uri()) + 1 :]).is_file() for url in files)
    assert [url for url in requests if not url.startswith("file:")] == []
    tab = browser.new_page()  # the search works from the unzipped bundle too
    tab.goto((out / "index.html").as_uri())
    assert results(tab, "杨浦区")[0] == (out / "districts/yangpu/index.html").as_uri()
    tab.close()
