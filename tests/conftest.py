"""Shared fixtures: the real site built once per session (hosted and offline), and helpers that
build fixture sites through the public command line."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from lxml import html as lxml_html

from microsite.cli import main
from microsite.validators import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def own_user_cache(tmp_path_factory):
    """A build outside any site folder keeps its state in the user's cache folder (XDG): the
    tests' go to a folder of their own, so a run leaves nothing in the user's and never starts
    from a state an earlier run left there."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run `python build.py ARGS` in-process; a traceback fails the test by itself."""

    def run(*args: str) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real") / "site"
    assert main(["build", "--content", str(ROOT / "content"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def real_offline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "site"
    assert main(["build", "--content", str(ROOT / "content"), "--out", str(out), "--offline"]) == 0
    return out


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixture") / "site"
    assert main(["build", "--content", str(FIXTURES / "site"), "--out", str(out)]) == 0
    return out


def copy_fixture(name: str, dest: Path) -> Path:
    """A writable copy of a fixture content folder."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def rewrite(path: Path, change) -> None:
    """Change a content file's data with `change(data)` and write it back, as an editor would."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def page(out: Path, path: str):
    """The parsed HTML of an output file."""
    return lxml_html.fromstring((out / path).read_bytes())


# An init script recording the page's layout shifts (the browser's own measure, as in Core Web
# Vitals) as [start time, score]; `shifted(tab, since)` sums those from a time on.
LAYOUT_SHIFTS = """window.__shifts = []; new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__shifts.push([entry.startTime, entry.value]); })
  .observe({type: 'layout-shift', buffered: true});"""


def shifted(tab, since: float = 0.0) -> float:
    """The layout shift summed from `since` (the page's performance.now()), once two more frames
    have been drawn, so that shifts of the last one are reported."""
    return tab.evaluate(
        """since => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>
          done(window.__shifts.filter(([at]) => at >= since).reduce((sum, [, value]) => sum + value, 0)))))""",
        since,
    )


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (installed by `make test`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def serve_under():
    """Serve a folder on 127.0.0.1 under a URL prefix, e.g. /sub/path/; yields a starter."""
    import functools
    import http.server
    import threading

    servers = []

    def start(folder: Path, prefix: str = "/") -> str:
        class Handler(http.server.SimpleHTTPRequestHandler):
            def translate_path(self, path):
                if not path.startswith(prefix):
                    return str(folder / "__outside_prefix__")
                return super().translate_path("/" + path[len(prefix) :])

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}{prefix}"

    yield start
    for server in servers:
        server.shutdown()


# The real site in both targets, for browser tests: offline over file://, hosted under a sub-path.
HOSTED_BASE = "https://example.org/sub/path/"


@pytest.fixture(scope="session")
def hosted(tmp_path_factory, serve_under) -> str:
    out = tmp_path_factory.mktemp("hosted") / "site"
    assert main(["build", "--content", str(ROOT / "content"), "--out", str(out), "--base-url", HOSTED_BASE]) == 0
    return serve_under(out, "/sub/path/")


class Site:
    """One build: where it starts, and how its page paths look (folders or index.html files)."""

    def __init__(self, root: str, offline: bool) -> None:
        self.root, self.offline = root, offline

    def url(self, folder: str) -> str:
        """The URL of the page in `folder` ("" for the home page, "zh/districts/yangpu/")."""
        return self.root + folder + ("index.html" if self.offline else "")


@pytest.fixture(params=["offline", "hosted"])
def site(request, real_offline) -> Site:
    if request.param == "offline":
        return Site(real_offline.as_uri() + "/", offline=True)
    return Site(request.getfixturevalue("hosted"), offline=False)


@pytest.fixture
def tab(browser, site):
    """A browser page; after the test, every request it made must have stayed on the site's host."""
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: requests.append(f"page error: {e}"))
    yield page
    page.close()
    local = "file:" if site.offline else "http:"
    assert [
        u
        for u in requests
        if urlsplit(u).scheme + ":" != local or (not site.offline and urlsplit(u).hostname != "127.0.0.1")
    ] == []


def results(page, query: str) -> list[str]:
    """Type into the header box; the absolute URLs of the results listed under it."""
    page.fill("#search-input", query)
    page.wait_for_selector("#search-listbox li[role=option]")
    return page.eval_on_selector_all("#search-listbox a", "as => as.map(a => a.href)")
