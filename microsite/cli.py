"""Command line: `python build.py [build|check|serve|schema|bundle] …`.

Exit codes: 0 built (or checked) cleanly, 1 content or check problems (and a file system that
fails the build), 2 usage errors, 130 and 143 a build stopped by Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .diagnostics import Diagnostics, format_console, format_github, printable, report_json, summary
from .paths import display_path, folder_problem
from .pipeline import build
from .project import add_site_options, find_site, locate, site_options
from .write import marker_file_digest, output_lock, remove_standby

EPILOG = """exit codes: 0 built, 1 content problems (every one is listed as file:line:column) or a
file system that failed the build, 2 usage errors, 130 stopped by Ctrl-C, 143 stopped by SIGTERM.
A build that does not finish writes nothing: the previous output stays as it was."""


def _output_arguments(p: argparse.ArgumentParser) -> None:
    """Besides the site options: where build and check write, and how they report."""
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: SITE/site); replaced atomically, only by a clean build",
    )
    p.add_argument("--offline", action="store_true", help="build for opening from disk: every link ends in .html")
    p.add_argument("--report", type=Path, metavar="FILE", help="also write every diagnostic as JSON to FILE")
    p.add_argument(
        "--format",
        choices=("console", "github"),
        default="console",
        help="console: grouped by file; github: ::error annotations for pull requests",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Build a static microsite from YAML content.", epilog=EPILOG)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    b = commands.add_parser(
        "build", help="build the site (the default command)", epilog=EPILOG, description="Build content/ into site/."
    )
    add_site_options(b)
    _output_arguments(b)
    b.add_argument(
        "--explain",
        metavar="PATH",
        help="build nothing; say why the output file PATH (e.g. districts/beta/index.html) "
        "would be made again, or kept, by the next build",
    )
    c = commands.add_parser(
        "check",
        help="build, then check the output (links, HTML, accessibility, reproducibility)",
        description="Build the site, then check links and anchors, HTML validity "
        "(Nu checker), accessibility (axe-core in Chromium), that two "
        "builds are byte-identical, and the offline bundle's links.",
    )
    add_site_options(c)
    _output_arguments(c)
    c.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="CHECK",
        choices=("html", "a11y", "repro", "offline"),
        help="leave out one check (html, a11y, repro, offline); may be repeated",
    )
    d = commands.add_parser(
        "bundle",
        help="write the offline HTML bundle as a zip into dist/",
        description="Build the site for opening from disk and zip it, deterministically, into dist/.",
    )
    add_site_options(d)
    d.add_argument("--dist", type=Path, metavar="DIR", help="folder for the zip (default: SITE/dist)")
    v = commands.add_parser(
        "serve",
        help="serve the site locally, rebuilding and reloading on change",
        description="Build, serve on loopback, watch the sources, rebuild on change and reload open pages.",
    )
    add_site_options(v)
    v.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: SITE/site)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    v.add_argument("--open", action="store_true", help="open the site in a browser")
    n = commands.add_parser(
        "new",
        help="write a new, minimal site into a folder",
        description="Write a small working site (settings, one item of each kind "
        "and a map) into DIR, ready for `build --strict`.",
    )
    n.add_argument("dir", type=Path, metavar="DIR", help="the new site's folder (absent or empty)")
    s = commands.add_parser(
        "schema",
        help="write the JSON Schema of every content kind",
        description="Write one JSON Schema per content kind, for editors.",
    )
    s.add_argument(
        "--out",
        type=Path,
        default=Path("schema"),
        metavar="DIR",
        help="folder for the *.schema.json files (default: schema/)",
    )
    s.add_argument(
        "--content",
        type=Path,
        metavar="DIR",
        help="content folder whose site.yaml declares the zone kinds the schemas offer "
        "(default: the site's, when the working folder is in one)",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["build", *argv]
    top = parser()
    args = top.parse_args(argv)
    if args.command == "schema":
        return _schema(args.out, args.content or _site_content())
    if args.command == "new":
        from .new import new

        return new(args.dir, top.prog)
    problem = locate(args)
    if problem:
        top.error(problem)
    if args.command == "bundle":
        from .bundle import run

        return run(args)
    if args.command == "serve":
        from .serve import run

        return run(args)
    usage = _usage_problem(args)
    if usage:
        print(f"build.py {args.command}: error: {printable(usage)}", file=sys.stderr)
        return 2
    if args.command == "check":
        from .check import run

        return _guarded(args, run)
    return _guarded(args, _build)


def _usage_problem(args) -> str:
    """What is wrong with the options of a build, before anything is read ("" when nothing)."""
    # imported here: urls.py imports the kinds and the model, which a build with nothing to do never needs
    from .urls import url_problem

    problem = url_problem(args.base_url, "base") if args.base_url is not None else ""
    if problem:
        return f"--base-url '{args.base_url}': the URL {problem}"
    for option, folder in (("--templates", args.templates), ("--static", args.static)):
        problem = folder_problem(folder)
        if problem:
            return f"{option} {folder}: the folder {problem}"
    missing = _missing_asset(args.templates, args.static)
    if missing:
        return missing
    if args.report is not None:
        return _report_problem(args.report)
    return ""


_ASSET = re.compile(r"""asset\(\s*['"]([^'"]+)['"]\s*\)""")


def _missing_asset(templates: Path, static: Path) -> str:
    """A file the templates name with asset('…') that the static folder lacks."""
    for template in sorted(templates.rglob("*.html")):
        try:
            text = template.read_text(encoding="utf-8", errors="replace")
        except OSError:  # the build reports an unreadable template where it renders it
            continue
        for name in _ASSET.findall(text):
            if not (static / name).is_file():
                return (
                    f"--static {static}: the folder has no {name}, which {template} uses; "
                    f"pass the folder of the site's stylesheets and scripts"
                )
    return ""


def _report_problem(report: Path) -> str:
    if report.is_dir():
        return f"--report {report}: this is a folder; name a file to write the JSON report into"
    if not report.parent.is_dir():
        return f"--report {report}: the folder {report.parent} does not exist; create it first"
    if not os.access(report.parent, os.W_OK):
        return f"--report {report}: the folder {report.parent} cannot be written (read-only or not yours)"
    return ""


class _Terminated(BaseException):
    """SIGTERM, raised where the build is, like KeyboardInterrupt for Ctrl-C."""


def _guarded(args, run) -> int:
    """Run a build (or check) with its output folder to itself (write.output_lock), ending in a
    diagnostic, never a traceback, when the output folder is unusable, the file system fails
    or a signal stops it. Whatever happens, the output folder holds one whole build, and the
    standby folder is removed on any failure."""
    problem = _output_problem(args)
    if problem:
        return _failed(args, problem)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _stop) for sig in _STOPPING} if on_main_thread else {}
    marker = stage = None  # which build the folder held when this one got it; its standby
    try:
        with output_lock(args.out, lambda: _waiting(args.out)):
            marker = marker_file_digest(args.out)
            try:
                return run(args)
            except BaseException:  # it may have left the standby half updated (write.py)
                stage = remove_standby(args.out)
                raise
    except KeyboardInterrupt:
        return _stopped(args.out, marker, "Ctrl-C (SIGINT)", 130)
    except _Terminated:
        return _stopped(args.out, marker, "SIGTERM", 143)
    except OSError as err:
        return _failed(args, _os_problem(err, stage))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOPPING = (signal.SIGINT, signal.SIGTERM)


def _stop(signum: int, frame) -> None:
    """Stop the build where it is (see _guarded)."""
    raise KeyboardInterrupt() if signum == signal.SIGINT else _Terminated()


def _default_stops_in_child() -> None:
    """A forked worker (rendering, Markdown) leaves the stopping to the build: it ignores Ctrl-C,
    which reaches every process of the terminal's group (the build reports it once and ends its
    pool), and dies at once on SIGTERM, as a pool ending its workers expects (a Python handler
    would only run once the worker is back in Python code)."""
    if signal.getsignal(signal.SIGTERM) is _stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


os.register_at_fork(after_in_child=_default_stops_in_child)


def _waiting(out: Path) -> None:
    print(
        f"waiting for the build already writing into {printable(display_path(out))} to finish",
        file=sys.stderr,
        flush=True,
    )


def _stopped(out: Path, marker: str | None, by: str, code: int) -> int:
    """A signal ends the build where it is; the output folder holds the previous build, or the
    new one when the signal came after the exchange that put it in place."""
    finished = marker is not None and marker_file_digest(out) != marker
    state = "holds the new build, which was in place" if finished else "is as it was"
    print(f"build stopped by {by}; {printable(display_path(out))} {state}", file=sys.stderr)
    return code


def _output_problem(args) -> Diagnostics:
    """A content folder that loops, and outputs the write stage could not make or that a later
    build would read as input."""
    out, diags = args.out, Diagnostics()
    loop = "is a symbolic-link loop"
    if folder_problem(args.content) == loop:  # load.py says so too, but out_dir_problem resolves it first
        diags.add(
            display_path(args.content),
            0,
            0,
            "no-content",
            f"the content folder {loop}",
            hint="pass --content DIR with a folder holding site.yaml",
        )
        return diags
    reason = loop if folder_problem(out) == loop else _inside_input(args) or _unwritable(out)
    if reason:
        diags.add(
            display_path(out),
            0,
            0,
            "bad-output",
            f"refusing to write the site into {display_path(out)}: it {reason}",
            hint="choose an empty folder or a previous build's folder with --out",
        )
    return diags


def _inside_input(args) -> str:
    absolute = Path(os.path.abspath(args.out))
    for name, folder in (("content", args.content), ("templates", args.templates), ("static", args.static)):
        if (
            absolute.is_relative_to(os.path.abspath(folder))
            or folder.exists()
            and absolute.resolve().is_relative_to(folder.resolve())
        ):
            return f"is inside the {name} folder {display_path(folder)} (the next build would read it as input)"
    return ""


def _unwritable(out: Path) -> str:
    """Why the standby folder beside `out` (write.py) could not be made, or ""."""
    absolute = Path(os.path.abspath(out))
    parent = absolute.parent
    while not os.path.lexists(parent):
        parent = parent.parent
    if not parent.is_dir():
        return f"is below {display_path(parent)}, which is a file"
    names = [f".{absolute.name}.standby", *absolute.relative_to(parent).parts]
    limit = os.pathconf(parent, "PC_NAME_MAX")
    if max(len(os.fsencode(name)) for name in names) > limit:
        return (
            f"has a name too long for the file system (at most {limit} bytes, "
            "with room for the standby folder's affixes: .<name>.standby)"
        )
    if not os.access(parent, os.W_OK):
        return f"is in {display_path(parent)}, which cannot be written (a read-only file system, or not yours)"
    return ""


# What a failing file system means, and what to do about it; keyed as OSError.errno is typed (an
# error raised without a number finds the default).
_OS_ERRORS: dict[int | None, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full", "free some space, or build into a folder on another disk with --out"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or build into another folder with --out"),
    errno.EROFS: ("the file system is read-only", "build into a folder on a writable disk with --out"),
    errno.EACCES: ("permission denied", "check the permissions, or build into another folder with --out"),
    errno.EPERM: ("the operation is not permitted", "check the permissions and attributes (lsattr)"),
    errno.ENAMETOOLONG: ("a name is too long for the file system", "choose a shorter --out"),
    errno.ELOOP: ("a symbolic-link loop", "remove the link that points back at itself"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EMFILE: ("too many files are open", "raise the limit (ulimit -n) and build again"),
    errno.EFBIG: ("a file is larger than this process may write", "raise the limit (ulimit -f) and build again"),
}


def _os_problem(err: OSError, stage: Path | None) -> Diagnostics:
    """The diagnostic of a failing file system, at the file it names, or else at the standby
    folder the build was writing when it failed."""
    what, hint = _OS_ERRORS.get(err.errno, (err.strerror or str(err), "check the path and the disk"))
    path = Path(os.fsdecode(err.filename)) if err.filename else stage
    where = display_path(path) if path else ""
    diags = Diagnostics()
    diags.add(where, 0, 0, "file-system", f"the build failed: {what}", hint=hint)
    return diags


def _failed(args, diags: Diagnostics) -> int:
    """Report a build that could not run or finish, as a build with errors is reported."""
    _print_diagnostics(args, diags)
    print(f"build failed: {summary(diags)}; nothing was written", file=sys.stderr)
    return 1


def _print_diagnostics(args, diags: Diagnostics) -> None:
    text = format_github(diags) if args.format == "github" else format_console(diags)
    if text:
        print(text, file=sys.stderr)
    if args.report:
        args.report.write_text(report_json(diags), encoding="utf-8")


def _build(args) -> int:
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    options = site_options(args, out=args.out, offline=args.offline, skip_unchanged=True, progress=bar)
    if getattr(args, "explain", None):
        from .explain import explain

        return explain(options, args.explain)
    result = _without_cycle_collection(build, options)
    if bar:
        bar.clear()
    diags = result.diagnostics
    _print_diagnostics(args, diags)
    if result.ok:
        s, o = result.stats, result.output
        print(
            f"built {o.pages} pages ({o.rendered} rendered, {o.pages - o.rendered} unchanged); "
            f"{len(o.files)} files ({s.written} written, {s.unchanged} unchanged) "
            f"in {result.seconds:.2f} s{' (no input changed)' * result.skipped}; {summary(diags)}"
        )
        return 0
    print(f"build failed: {summary(diags)}; nothing was written", file=sys.stderr)
    return 1


def _without_cycle_collection(function, *args):
    """Run a one-off build with Python's cycle collector paused. Its passes walk every object
    alive, and a build keeps the whole model alive to its end: at 10,000 initiatives they were a
    fifth of a cold build's CPU time. Reference counting still frees all that is not a cycle
    (peak memory rose by 3%); the collector is resumed for whatever runs next in the process."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if was_enabled:
            gc.enable()


class ProgressBar:
    """`rendering [#####     ] 1,024/20,942 pages` on one terminal line, once the build has
    run for DELAY seconds (short builds show nothing); cleared before the summary line."""

    DELAY, WIDTH = 1.0, 30

    def __init__(self, stream) -> None:
        self.stream, self.started, self.shown = stream, time.monotonic(), False

    def __call__(self, done: int, total: int) -> None:
        if time.monotonic() - self.started < self.DELAY:
            return
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\rrendering [{'#' * filled}{' ' * (self.WIDTH - filled)}] {done:,}/{total:,} pages")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _site_content() -> Path | None:
    site = find_site(Path.cwd())
    return site / "content" if site else None


def _declared(content: Path | None) -> dict[str, list[str]]:
    """The vocabularies a site's valid site.yaml declares ({"zone_kinds": [...]}), else none."""
    from .load import load_content
    from .resolve import default_language
    from .schema import validate

    diags = Diagnostics()
    settings = load_content(content, diags).settings if content and (content / "site.yaml").is_file() else None
    clean = validate(settings, diags, default_language(settings)) if settings else None
    return {"zone_kinds": list(clean["zone_kinds"])} if clean and clean.get("zone_kinds") else {}


def _schema(out: Path, content: Path | None) -> int:
    from .schema import json_schemas

    out.mkdir(parents=True, exist_ok=True)
    schemas = json_schemas(_declared(content))
    for name, schema in schemas.items():
        (out / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(schemas)} schemas to {out}")
    return 0
