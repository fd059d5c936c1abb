"""The dev server: `python build.py serve`. Edit YAML, see the page, never lose the server.

Built on livereload (its Server, watch() and reload protocol, serving files through tornado's
StaticFileHandler). What we add around it, and why:
- a watcher fed by the operating system's file events (watchfiles) that waits for QUIET_MS
  without one before it rebuilds, so a burst of saves is one build, and that ignores the output
  folder and editors' temporary files;
- a build that never stops the server: on errors the last good build stays in place (the
  pipeline writes nothing) and every served HTML page gets an overlay listing the diagnostics;
- pages served with livereload's script as a file of this server (no inline loader) and their
  Content-Security-Policy widened just enough for it: that script, and WebSocket connections back
  to this server ('self');
- a tab that connects after a build it did not hear of reloads at once: a tab opens its socket
  only after its page has loaded, and a build that ends in between would leave it on the old page
  (every reload starts that race again, so it is common while editing);
- builds that make the model at once and check the files when they are asked for
  (devbuild.py): a build, and every step of checking and making its files, runs on the server's
  own loop, so no file is opened for a request while one is under way (a file already being
  sent keeps its old bytes: a rename does not change an open file); a request for a file not
  yet checked against the last build checks it first (and makes it if it changed), so each
  request sees the last good build, never half of one.
"""

from __future__ import annotations

import errno
import fnmatch
import gc
import html
import os
import posixpath
import re
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit

import watchfiles
from livereload import Server
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado import escape, ioloop, web
from tornado.platform.asyncio import BaseAsyncIOLoop

from .devbuild import DevBuild
from .diagnostics import Diagnostic, format_console, summary
from .paths import display_path
from .pipeline import Options
from .project import site_options
from .state import PACKAGE
from .write import standby_folder

QUIET_MS = 30  # without file events before a rebuild starts (a burst's events come closer)
BURST_MS = 10_000  # the longest burst grouped before a build starts anyway
TICK_MS = 50  # how often the watcher's thread wakes to see whether the server is stopping
GRACE_SECONDS = 0.2  # after a build, for open tabs to reload (their pages are made first)
STEP_SECONDS = 0.02  # pending files are checked in steps this long, with requests served between
COLLECT_SECONDS = 0.5  # idle, after a build's files are all made, before the cycle collector runs
GARBAGE_BUILDS = 2  # builds whose models may wait for it; then it runs once the tabs have reloaded
# Editors' temporary files: vim swap files and its 4913 write test, backups, Emacs locks and
# autosaves, atomic-save temporaries; and bytecode.
TEMPORARY = re.compile(
    "|".join(fnmatch.translate(pattern) for pattern in ("*.sw?", "*~", ".#*", "#*#", "4913", "*.tmp", "*.pyc"))
)
SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__"}
OVERLAY_CSS = b"""\
.dev-overlay { position: fixed; inset: auto 0 0 0; z-index: 2147483647; max-height: 60vh;
  overflow: auto; margin: 0; padding: 1rem 1.5rem; background: #2b0b0b; color: #fff;
  border-top: 4px solid #e5484d; font: 14px/1.5 ui-monospace, monospace; }
.dev-overlay h2 { margin: 0 0 .5rem; font-size: 1rem; color: #ffb4b4; }
.dev-overlay ol { margin: 0; padding-left: 1.5rem; }
.dev-overlay li { white-space: pre-wrap; overflow-wrap: anywhere; }
"""
CSP_META = re.compile(rb'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")', re.IGNORECASE)
BODY_START = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
HEAD_END = b"</head>"
# livereload.js connects to the host and port its own URL names, which is the page's.
RELOAD_SCRIPT = b'<script src="/livereload.js" async></script>'
RELOAD = {"command": "reload", "path": "*", "liveCSS": True, "liveImg": True}  # the whole page


class DevSite:
    """The build the server shows: rebuilds it and remembers the problems of the last attempt."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.problems: list[str] = []  # Diagnostic.text() of the last failed build, else empty
        self.building = False
        self.builds = 0  # builds so far, each announced to the open tabs
        self._served: dict[str, int] = {}  # a page's URL path: self.builds when last served
        self.dev = DevBuild(options)
        self._stepping = False  # a _step is scheduled
        self._garbage = 0  # builds since the cycle collector last ran (_collect)
        self._built = 0.0  # time.monotonic() at the end of the last build
        # The output folder, and its standby beside it (write.py).
        self._out = str(options.out)
        self._out_prefixes = (self._out + os.sep, str(standby_folder(options.out)))

    def rebuild(self) -> None:
        """Build; on failure keep the last good build and record why. Never raises."""
        result = self._guarded(self.dev.build)
        self.builds += 1
        self._garbage, self._built = self._garbage + 1, time.monotonic()
        if result is None:
            return  # a crash: the next build or edit tries again
        report = format_console(result.diagnostics)
        if report:
            print(report, file=sys.stderr, flush=True)
        ms = result.seconds * 1000
        if result.ok:
            self.problems = []
            pending = result.output.pending
            later = f", {pending} to check when asked for" if pending else ""
            print(
                f"built {result.output.pages} pages ({result.output.rendered} rendered{later}) in "
                f"{ms:.0f} ms; {summary(result.diagnostics)}",
                flush=True,
            )
            if pending and not self._stepping:
                self._stepping = True
                self._later(0, self._step)
        else:
            self.problems = [d.text() for d in result.diagnostics.items]
            print(
                f"build failed in {ms:.0f} ms: {summary(result.diagnostics)}; still serving the last good build",
                file=sys.stderr,
                flush=True,
            )
        if self._garbage >= GARBAGE_BUILDS:  # edits come faster than the server is idle
            self._later(0, self._collect)
        elif not self._stepping:
            self._later(COLLECT_SECONDS, self._collect_if_idle)

    def make(self, path: str) -> None:
        """Before a request opens the output file `path`: check it if it is pending, and make it if
        it changed (devbuild.py)."""
        if path in self.dev.pending:
            self._guarded(lambda: self.dev.make(path))

    def _step(self) -> None:
        """Check pending files in short steps, serving requests between them, until none is left."""
        if self._guarded(lambda: self.dev.step(STEP_SECONDS)):
            self._later(0, self._step)  # requests waiting are served first
            return
        self._stepping = False
        if not self.dev.pending:
            print(
                f"checked {self.dev.checked} files and made the {len(self.dev.made)} that changed in "
                f"{self.dev.making * 1000:.0f} ms; the output folder is complete",
                flush=True,
            )
            self._later(COLLECT_SECONDS, self._collect_if_idle)

    def _later(self, seconds: float, work) -> None:
        """work() on the loop in `seconds`, but never within GRACE_SECONDS of a build's end:
        the requests of the tabs reloading come first (a step may take a second at 10,000)."""
        loop = ioloop.IOLoop.current()

        def run() -> None:
            wait = self._built + GRACE_SECONDS - time.monotonic()
            if wait > 0:
                loop.call_later(wait, run)
            else:
                work()

        loop.call_later(seconds, run)

    def _collect_if_idle(self) -> None:
        if not self.dev.pending and not self._stepping:  # else the steps' end calls again
            self._collect(everything=True)

    def _collect(self, everything: bool = False) -> None:
        """Free the models of earlier builds. The server runs with Python's cycle collector
        paused (run()): its automatic passes walk every object alive, and a build allocates a
        model as big as the one alive (at 10,000 initiatives, 1.8 of a 5.4 s build); the model
        is full of cycles (a district lists its initiatives, which name their district), so
        only this frees an old one. A pass over every object alive takes 0.6 s at 10,000, and a
        build that keeps the objects of unchanged items (resolve.py) leaves few behind: so that
        pass runs when the server is idle, and freezes what is alive after it; a pass after
        builds that come faster walks only the objects made since."""
        if self._garbage:
            if everything:
                gc.unfreeze()
            gc.collect()
            if everything:
                gc.freeze()
            self._garbage = 0

    def _guarded(self, work):
        """work(), reporting a generator bug or a pending page's template error instead of raising."""
        failed = self.dev.failed
        self.building = True
        try:
            return work()
        except Exception as err:  # a generator bug must not take the server down  # noqa: BLE001
            traceback.print_exc()
            self.problems = [Diagnostic("", 0, 0, "crash", f"{type(err).__name__}: {err}").text()]
            print("build crashed; still serving the last good build", file=sys.stderr, flush=True)
            return None
        finally:
            self.building = False
            if self.dev.failed is not None and failed is None:
                self.problems = [d.text() for d in self.dev.failed.items]
                print(format_console(self.dev.failed), file=sys.stderr, flush=True)
                print(
                    "build failed: pages not made yet keep their last good version until the next build",
                    file=sys.stderr,
                    flush=True,
                )

    def interrupt(self, signum, frame) -> None:
        """Ctrl-C: between builds, stop the loop from inside it (a KeyboardInterrupt raised at a
        random point of tornado's machinery could leave it hanging); during a build, stop now
        (an update cut short is redone whole by the next build, see write.py)."""
        if self.building:
            raise KeyboardInterrupt
        loop = ioloop.IOLoop.current()
        assert isinstance(loop, BaseAsyncIOLoop), "tornado 6 runs every IOLoop on asyncio"
        loop.asyncio_loop.call_soon_threadsafe(loop.stop)  # safe from a signal handler

    def ignored(self, path: str) -> bool:
        """True for files whose change must not trigger a rebuild."""
        return bool(TEMPORARY.match(os.path.basename(path))) or path == self._out or path.startswith(self._out_prefixes)

    def page(self, path: str, data: bytes) -> bytes:
        """The HTML page served at URL path `path`: livereload added and allowed, and the overlay
        while the last build has failed. Noted as served with this build (missed())."""
        self._served[path] = self.builds
        data = CSP_META.sub(lambda m: m[1] + dev_policy(m[2]) + m[3], data, count=1)
        head = RELOAD_SCRIPT
        if self.problems:
            head += b'<link rel="stylesheet" href="/__dev/overlay.css">'
            data = BODY_START.sub(lambda m: m[0] + overlay(self.problems), data, count=1)
        return data.replace(HEAD_END, head + HEAD_END, 1)

    def missed(self, url: str) -> bool:
        """True when the tab at `url` was served its page before the last build: it connects only
        once the page has loaded, too late to hear of the build, and must reload."""
        return self._served.get(urlsplit(url).path, self.builds) < self.builds


def dev_policy(policy: bytes) -> bytes:
    """The page's CSP with livereload's script and its WebSocket allowed."""
    directives = []
    for directive in policy.decode("ascii").split(";"):
        name = (directive.split() or [""])[0]
        if name == "script-src" and "'self'" not in directive.split():
            directive = f"{directive.rstrip()} 'self'"
        elif name == "connect-src":
            directive = " connect-src 'self'"
        directives.append(directive)
    return ";".join(directives).encode("ascii")


def overlay(problems: list[str]) -> bytes:
    """The error overlay: plain elements styled by /__dev/overlay.css (no inline style or script)."""
    items = "".join(f"<li>{html.escape(text)}</li>" for text in problems)
    return (
        f'<aside class="dev-overlay" role="alert"><h2>Build failed: still showing the last '
        f"good build</h2><ol>{items}</ol></aside>"
    ).encode()


class DevWatcher(Watcher):
    """livereload's Watcher, told of changes by the operating system (watchfiles: inotify,
    FSEvents, ReadDirectoryChangesW) instead of scanning the folders every few hundred ms.

    watchfiles groups events until QUIET_MS pass without one (up to BURST_MS), so a burst of saves
    is one group; groups that arrive while a build runs are merged into the next build, so every
    burst is exactly one build, however long it lasts. Events arrive on a thread of their own and
    builds run on the server's loop.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._scheduled = False
        self._loop: ioloop.IOLoop | None = None  # set by start(); until then changes wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self) -> None:
        """Start listening to the folders given to watch(), and return once the system watches
        them: a change from now on counts, even one made during the first build."""
        listening = threading.Event()

        def listen() -> None:
            folders = [path for path in self._tasks if os.path.isdir(path)]
            for changes in watchfiles.watch(
                *folders,
                watch_filter=self._wanted,
                debounce=BURST_MS,
                step=QUIET_MS,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                stop_event=self._stop,
                raise_interrupt=False,
            ):
                listening.set()  # the first (empty) yield comes once the watches are in place
                self._add({path for _, path in changes})

        self._thread = threading.Thread(target=listen, name="watcher", daemon=True)
        self._thread.start()
        listening.wait(10)

    def disarm(self) -> None:
        """Stop listening; the thread ends within TICK_MS (Rust code must not be running when
        the interpreter exits)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def start(self, callback) -> bool:
        self._loop = ioloop.IOLoop.current()
        self._loop.add_callback(callback)  # livereload's "reload tabs left open from the last run"
        self._add(set())  # and the changes made during the first build
        return True  # livereload then leaves watching to us

    def examine(self):
        return self._changes.pop() if self._changes else (None, None)

    def _wanted(self, change, path: str) -> bool:
        return not (
            SKIPPED_DIRS.intersection(Path(path).parts)
            or any(task["ignore"] and task["ignore"](path) for task in self._tasks.values())
        )

    def _add(self, paths: set[str]) -> None:
        """From the watcher's thread: note the paths, and have the loop build once for them all."""
        with self._lock:
            self._pending |= paths
            loop = self._loop if self._pending and not self._scheduled else None
            self._scheduled = self._scheduled or loop is not None
        if loop is not None:
            loop.add_callback(self._rebuild)

    def _rebuild(self) -> None:
        with self._lock:
            changed, self._pending, self._scheduled = sorted(self._pending), set(), False
        n, shown = len(changed), ", ".join(display_path(Path(p)) for p in changed[:3])
        print(f"changed: {n} file{'s' * (n != 1)}: {shown}{' …' * (n > 3)}", flush=True)
        for func in dict.fromkeys(task["func"] for task in self._tasks.values()):
            func()  # once per distinct function: every folder shares site.rebuild
        LiveReloadHandler.reload_waiters()  # directly: poll_tasks would skip reloads < 3 s apart


class DevFileHandler(StaticFileHandler):
    """livereload's file handler (never answers 304), with HTML pages passed through DevSite.page."""

    def initialize(self, path: str, default_filename: str | None = None, site: DevSite | None = None) -> None:
        super().initialize(path, default_filename)
        assert site is not None, "the handler is routed with its site (DevServer.application)"
        self.site = site
        self._page: bytes | None = None

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # Before the file is looked at: a file still pending is checked first (and made if it
        # changed). Only paths of the build's own files are ever made, so this cannot reach
        # outside the output folder.
        path = os.path.relpath(absolute_path, root).replace(os.sep, "/")
        for candidate in (path, posixpath.normpath(f"{path}/{self.default_filename}")):
            self.site.make(candidate)
        return super().validate_absolute_path(root, absolute_path)

    def parse_url_path(self, url_path: str) -> str:
        if "\0" in url_path:  # os functions would raise: answer 400 instead of a 500
            raise web.HTTPError(400, "NUL in path")
        return super().parse_url_path(url_path)

    def _html(self) -> bytes | None:
        if self._page is None and self.absolute_path.endswith(".html"):
            with open(self.absolute_path, "rb") as f:  # read once: size and body agree
                self._page = self.site.page(self.request.path, f.read())
        return self._page

    def get_content_size(self) -> int:
        page = self._html()
        return super().get_content_size() if page is None else len(page)

    def get_content(self, abspath: str, start: int | None = None, end: int | None = None):
        # An instance method here (a classmethod in tornado): only get() calls it, as no ETag is made.
        page = self._html()
        return super().get_content(abspath, start, end) if page is None else page[start:end]

    def compute_etag(self) -> None:
        return None  # the same file is served with and without the overlay

    def write_error(self, status_code: int, **kwargs) -> None:
        """A missing page while the build is broken still shows why (e.g. a first build failed)."""
        if not self.site.problems:
            return super().write_error(status_code, **kwargs)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            self.site.page(
                self.request.path,
                b'<!doctype html><html lang="en"><head>'
                b'<meta charset="utf-8"><title>Build failed</title></head><body>'
                b"</body></html>",
            )
        )


class OverlayStyle(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/css; charset=UTF-8")
        self.write(OVERLAY_CSS)


class DevReloadHandler(LiveReloadHandler):
    """livereload's WebSocket handler (its protocol and its set of open tabs), which also reloads
    a tab at once when its page was served before the last build (DevSite.missed)."""

    site: DevSite

    def on_message(self, message) -> None:
        super().on_message(message)
        info = escape.json_decode(message)
        if info.get("command") == "info" and self.site.missed(str(info.get("url", ""))):
            self.send_message(RELOAD)


class DevServer(Server):
    """livereload's Server (its serve(), watcher and reload protocol), with the application made
    here: livereload's own would route tabs to LiveReloadHandler, and add its script to pages as
    an inline loader, which the pages' CSP forbids."""

    def __init__(self, site: DevSite) -> None:
        super().__init__(watcher=DevWatcher())
        self.site = site

    def application(self, port, host, liveport=None, debug=None, live_css=True) -> None:
        # Server.serve() calls this; liveport and debug go unused (one port; no WSGI app to debug).
        LiveReloadHandler.watcher, LiveReloadHandler.live_css = self.watcher, live_css
        DevReloadHandler.site = self.site
        web.Application(
            [
                (r"/livereload", DevReloadHandler),
                (r"/livereload\.js", LiveReloadJSHandler),
                (r"/__dev/overlay\.css", OverlayStyle),
                (
                    r"/(.*)",
                    DevFileHandler,
                    {"path": str(self.site.options.out), "default_filename": "index.html", "site": self.site},
                ),
            ]
        ).listen(port, address=host)


def _bind_error(host: str, port: int) -> OSError | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            return None
    except OSError as err:
        return err


def port_problem(host: str, port: int) -> str:
    """Why the server cannot listen on host:port, with a port that is free; "" when it can."""
    err = _bind_error(host, port)
    if err is None:
        return ""
    if err.errno != errno.EADDRINUSE:
        return f"cannot listen on {host}:{port}: {err.strerror}"
    free = next((p for p in range(port + 1, min(port + 100, 65536)) if _bind_error(host, p) is None), 0)
    hint = f"; try --port {free}" if free else ""
    return f"port {port} on {host} is already in use{hint}"


def run(args) -> int:
    """`python build.py serve`: build, serve, watch, rebuild and reload until Ctrl-C."""
    out = args.out.resolve()
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"serve: {problem}", file=sys.stderr)
        return 2
    site = DevSite(site_options(args, content=args.content.resolve(), out=out))
    gc.disable()  # DevSite._collect runs it when the server is idle
    server = DevServer(site)
    signal.signal(signal.SIGINT, site.interrupt)
    try:
        for folder in (site.options.content, site.options.templates, site.options.static, PACKAGE):
            server.watch(str(folder), site.rebuild, ignore=site.ignored)
        server.watcher.arm()
        site.rebuild()
        url = f"http://{args.host}:{args.port}/"
        print(
            f"serving {out} at {url} (Ctrl-C to stop); watching content, templates, static and "
            "microsite/ (code changes rebuild with the code loaded at start)",
            flush=True,
        )
        server.serve(
            port=args.port, host=args.host, root=str(out), open_url_delay=0.5 if args.open else None
        )  # opens once it listens
    except KeyboardInterrupt:
        pass
    except OSError as err:  # the port was taken between our check and livereload's listen
        print(f"serve: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    finally:
        server.watcher.disarm()
    print("stopped", flush=True)
    return 0
