"""The dev server, run for real: `python build.py serve` as a subprocess over a copy of the fixture
content. Every wait is bounded polling; nothing is timed."""

from __future__ import annotations

import contextlib
import gc
import http.client
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microsite.pipeline import Options
from microsite.serve import DevSite

from conftest import FIXTURES, copy_fixture

BUILD_PY = Path(__file__).resolve().parent.parent / "build.py"
SECRET = "secret-next-to-the-output-3f9a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    """GET `path` exactly as written (no normalisation, no quoting) over a raw connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def poll(check, what: str, seconds: float = 15):
    """Call `check` until it returns something true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
        except OSError:
            value = None
        if value or time.monotonic() > deadline:
            assert value, f"gave up waiting for {what}"
            return value
        time.sleep(0.1)


class Served:
    def __init__(self, tmp_path: Path, ready: int = 200, args: tuple = ()) -> None:
        self.content = copy_fixture("site", tmp_path)
        self.initiative = self.content / "initiatives" / "beta-talent.yaml"
        self.good = self.initiative.read_text(encoding="utf-8")
        if ready != 200:
            self.break_initiative()
        self.out = tmp_path / "out"
        self.log = tmp_path / "serve.log"
        (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
        self.port = free_port()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    str(BUILD_PY),
                    "serve",
                    "--port",
                    str(self.port),
                    "--content",
                    str(self.content),
                    "--out",
                    str(self.out),
                    *map(str, args),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        poll(lambda: self.page("/")[0] == ready, "the server to answer", seconds=60)

    def page(self, path: str) -> tuple[int, str]:
        return get(self.port, path)

    def wait_for(self, path: str, check, what: str) -> str:
        def ready() -> str | None:
            text = self.page(path)[1]
            return text if check(text) else None

        return poll(ready, what)

    def terminal(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def builds(self) -> int:
        """Builds that succeeded so far, as the terminal reports them."""
        return sum(line.startswith("built ") for line in self.terminal().splitlines())

    def break_initiative(self) -> None:
        self.initiative.write_text(self.good + '"<b>x</b>": 1\n', encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.content / rel
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path)
    yield server
    if server.proc.poll() is None:
        server.proc.terminate()
        server.proc.wait(timeout=30)


def test_edit_break_fix_and_the_server_stays_up(served):
    served.edit("site.yaml", "Fixture Zones", "Edited Zones")
    served.wait_for("/", lambda t: "<title>Edited Zones" in t, "the edited title")
    assert "dev-overlay" not in served.page("/")[1]

    served.break_initiative()
    page = served.wait_for("/", lambda t: "dev-overlay" in t, "the error overlay")
    assert (
        "initiatives/beta-talent.yaml:8:1: error: unknown-field: unknown field &#x27;&lt;b&gt;x&lt;/b&gt;&#x27;" in page
    )
    assert "<b>x</b>" not in page
    assert "<title>Edited Zones" in page  # the last good build is still served
    assert 'href="/__dev/overlay.css"' in page
    assert "dev-overlay" in served.page("/zh/")[1]
    status, css = served.page("/__dev/overlay.css")
    assert status == 200 and ".dev-overlay" in css
    assert "unknown-field" in served.terminal() and "still serving the last good build" in served.terminal()
    assert served.proc.poll() is None

    served.initiative.write_text(served.good, encoding="utf-8")
    served.wait_for("/", lambda t: "dev-overlay" not in t, "the overlay to go away")
    assert served.proc.poll() is None
    assert " ms; 0 errors" in served.terminal()  # the rebuild time is shown


def test_a_first_build_that_fails_shows_the_overlay_until_fixed(tmp_path):
    served = Served(tmp_path, ready=404)
    try:
        assert "unknown-field" in served.page("/")[1] and "dev-overlay" in served.page("/zh/")[1]
        served.initiative.write_text(served.good, encoding="utf-8")
        served.wait_for("/", lambda t: "<title>Fixture Zones" in t, "the first good build")
        assert "dev-overlay" not in served.page("/")[1]
    finally:
        served.proc.terminate()
        served.proc.wait(timeout=30)


def test_a_burst_of_saves_is_one_rebuild_and_editor_files_are_not_changes(served):
    swap = served.content / "initiatives" / ".beta-talent.yaml.swp"
    swap.write_bytes(b"vim swap")
    for name in ("alpha-data-products", "alpha-trade-platform", "beta-talent"):
        served.edit(f"initiatives/{name}.yaml", "title: {en: ", "title: {en: Burst ")
    served.edit("site.yaml", "Fixture Zones", "Burst Zones")
    served.wait_for("/", lambda t: "<title>Burst Zones" in t, "the burst to be built")
    lines = served.terminal().splitlines()
    changes = [line for line in lines if line.startswith("changed:")]
    assert len(changes) == 1 and changes[0].startswith("changed: 4 files: ")
    assert served.builds() == 2  # the first and this one
    assert ".swp" not in changes[0]


@pytest.mark.parametrize(
    "name, ignored",
    [
        ("content/initiatives/.beta.yaml.swp", True),
        ("content/initiatives/beta.yaml~", True),
        ("content/initiatives/.#beta.yaml", True),
        ("content/initiatives/4913", True),
        ("content/initiatives/beta.yaml.tmp", True),
        ("templates/#base.html#", True),
        ("out/index.html", True),
        (".out.standby/index.html", True),
        ("content/initiatives/beta.yaml", False),
        ("templates/base.html", False),
        ("outside/index.html", False),
    ],
)
def test_editor_temporary_files_and_the_output_never_trigger_a_rebuild(tmp_path, name, ignored):
    site = DevSite(Options(content=tmp_path / "content", out=tmp_path / "out"))
    assert site.ignored(str(tmp_path / name)) is ignored


TRAVERSALS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/zh/../../secret.txt",
    "/zh/%2e%2e/%2e%2e/secret.txt",
    "/./../secret.txt",
]


def test_requests_never_read_outside_the_output_folder(served):
    absolute = str(served.out.parent / "secret.txt")
    paths = TRAVERSALS + [
        "/" + absolute,
        "/%2f" + absolute.lstrip("/"),
        f"http://127.0.0.1:{served.port}/../secret.txt",
    ]
    for path in paths:
        status, body = served.page(path)
        assert status in (400, 403, 404), path
        assert SECRET not in body, path
    assert served.page("/a%00b")[0] == 400
    assert served.proc.poll() is None


def test_malformed_requests_do_not_stop_the_server(served):
    for raw in (
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
        b"\x00\xff\xfe\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                s.recv(1024)
    assert served.page("/")[0] == 200
    assert served.proc.poll() is None


def test_ctrl_c_stops_cleanly(served):
    served.proc.send_signal(signal.SIGINT)
    assert served.proc.wait(timeout=30) == 0
    assert "Traceback" not in served.terminal()


def test_a_busy_port_is_a_clear_message_with_a_free_port(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                str(BUILD_PY),
                "serve",
                "--port",
                str(port),
                "--content",
                str(FIXTURES / "site"),
                "--out",
                str(tmp_path / "out"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use; try --port " in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # nothing was built


def test_open_tabs_reload_by_themselves_under_the_pages_csp(served, browser):
    page = browser.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"http://127.0.0.1:{served.port}/")
    page.wait_for_function("() => window.LiveReload !== undefined", timeout=15000)
    served.edit("site.yaml", "Fixture Zones", "Reloaded Zones")
    page.wait_for_function("() => document.title.includes('Reloaded Zones')", timeout=15000)
    served.break_initiative()
    page.wait_for_selector(".dev-overlay", timeout=15000)
    assert page.locator(".dev-overlay").evaluate("e => getComputedStyle(e).position") == "fixed"
    assert violations == []
    page.close()


@pytest.fixture
def later(monkeypatch) -> list:
    """What an in-process DevSite asks the server's loop to run later, as (seconds, callback):
    run by the test, or not at all."""
    from microsite import serve

    calls = []

    class Loop:
        def call_later(self, seconds, callback):
            calls.append((seconds, callback))

    monkeypatch.setattr(serve.ioloop.IOLoop, "current", Loop)
    return calls


def test_the_models_of_earlier_builds_are_freed_though_the_cycle_collector_is_paused(tmp_path, monkeypatch, later):
    """The server pauses Python's cycle collector (its passes are slow over a live model) and
    frees old models itself: when it is idle, or after a build that leaves GARBAGE_BUILDS waiting."""
    from microsite import model, serve

    content = copy_fixture("site", tmp_path)
    site = DevSite(Options(content=content, out=tmp_path / "out", jobs=1))

    def run_later(within: float) -> None:
        while [call for call in later if call[0] <= within]:
            call = next(call for call in later if call[0] <= within)
            later.remove(call)
            call[1]()

    monkeypatch.setattr(serve, "GRACE_SECONDS", 0)
    enabled = gc.isenabled()
    gc.disable()
    gc.collect()  # what earlier tests left
    try:
        path = content / "initiatives/beta-talent.yaml"
        good, live = path.read_text(encoding="utf-8"), []
        for n in range(6):
            path.write_text(good.replace("Talent services in Beta", f"Talent services {n} in Beta"), encoding="utf-8")
            site.rebuild()
            run_later(serve.GRACE_SECONDS)  # the next edit comes before the server is idle
            # models, counted by their one beta-talent (an initiative names its district, which
            # lists it: a cycle, which reference counting alone never frees)
            live.append(sum(isinstance(x, model.Initiative) and x.id == "beta-talent" for x in gc.get_objects()))
            assert site.problems == []
        assert max(live) <= serve.GARBAGE_BUILDS + 1, live  # edits faster than the server is idle
        run_later(serve.COLLECT_SECONDS)  # the server idle
        assert sum(isinstance(x, model.Initiative) and x.id == "beta-talent" for x in gc.get_objects()) == 1
    finally:
        if enabled:
            gc.enable()


def test_a_tab_that_connects_after_a_build_it_missed_reloads_at_once(served, browser):
    """A tab loads its page, a build ends before the tab's livereload socket is open (a reload
    starts the race anew every time): it must not keep the old page."""
    page = browser.new_page()
    held = []  # livereload.js, held back until the build has been broadcast
    page.route("**/livereload.js*", lambda route: held.append(route), times=1)
    page.goto(f"http://127.0.0.1:{served.port}/", wait_until="domcontentloaded")
    poll(lambda: held, "the tab to ask for livereload.js")
    served.edit("site.yaml", "Fixture Zones", "Missed Zones")
    poll(lambda: served.builds() == 2, "the edit to be built")
    assert "Missed Zones" not in page.title()
    held[0].continue_()
    page.wait_for_function("() => document.title.includes('Missed Zones')", timeout=15000)
    page.wait_for_function("() => window.LiveReload !== undefined", timeout=15000)
    served.edit("site.yaml", "Missed Zones", "Caught Zones")  # the reloaded tab is connected
    page.wait_for_function("() => document.title.includes('Caught Zones')", timeout=15000)
    page.close()


def test_a_connecting_tab_reloads_only_when_its_page_is_older_than_the_last_build(tmp_path, later):
    site = DevSite(Options(content=copy_fixture("site", tmp_path), out=tmp_path / "out", jobs=1))
    site.rebuild()
    html = (tmp_path / "out" / "zh" / "index.html").read_bytes()
    served = site.page("/zh/", html)
    assert b'<script src="/livereload.js" async></script></head>' in served
    assert b"connect-src 'self'" in served and b"connect-src 'none'" not in served
    assert not site.missed("http://127.0.0.1:8000/zh/#main")  # served with this build
    assert not site.missed("http://127.0.0.1:8000/never-served/")  # e.g. left open from another run
    site.rebuild()
    assert site.missed("http://127.0.0.1:8000/zh/?q=1")
    site.page("/zh/", html)  # the tab reloads
    assert not site.missed("http://127.0.0.1:8000/zh/")
