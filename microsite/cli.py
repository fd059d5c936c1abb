"""Command line: `python build.py [build|check|serve|schema|bundle] …`.

Exit codes: 0 built (or checked) cleanly, 1 content or check problems, 2 usage errors.
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from . import __version__
from .diagnostics import format_console, format_github, report_json, summary
from .pipeline import build
from .project import add_site_options, locate, site_options

EPILOG = """exit codes: 0 built, 1 content problems (every one is listed as file:line:column),
2 usage errors. A build with errors writes nothing: the previous output stays as it was."""


def _output_arguments(p: argparse.ArgumentParser) -> None:
    """Besides the site options: where build and check write, and how they report."""
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: SITE/site); replaced atomically, only by a clean build")
    p.add_argument("--offline", action="store_true",
                   help="build for opening from disk: every link ends in .html")
    p.add_argument("--report", type=Path, metavar="FILE",
                   help="also write every diagnostic as JSON to FILE")
    p.add_argument("--format", choices=("console", "github"), default="console",
                   help="console: grouped by file; github: ::error annotations for pull requests")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Build a static microsite from YAML content.", epilog=EPILOG)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    b = commands.add_parser("build", help="build the site (the default command)", epilog=EPILOG,
                            description="Build content/ into site/.")
    add_site_options(b)
    _output_arguments(b)
    b.add_argument("--explain", metavar="PATH",
                   help="build nothing; say why the output file PATH (e.g. districts/beta/index.html) "
                        "would be made again, or kept, by the next build")
    c = commands.add_parser("check", help="build, then check the output (links, HTML, accessibility, reproducibility)",
                            description="Build the site, then check links and anchors, HTML validity "
                                        "(Nu checker), accessibility (axe-core in Chromium), that two "
                                        "builds are byte-identical, and the offline bundle's links.")
    add_site_options(c)
    _output_arguments(c)
    c.add_argument("--skip", action="append", default=[], metavar="CHECK",
                   choices=("html", "a11y", "repro", "offline"),
                   help="leave out one check (html, a11y, repro, offline); may be repeated")
    d = commands.add_parser("bundle", help="write the offline HTML bundle as a zip into dist/",
                            description="Build the site for opening from disk and zip it, "
                                        "deterministically, into dist/.")
    add_site_options(d)
    d.add_argument("--dist", type=Path, metavar="DIR", help="folder for the zip (default: SITE/dist)")
    v = commands.add_parser("serve", help="serve the site locally, rebuilding and reloading on change",
                            description="Build, serve on loopback, watch the sources, rebuild on "
                                        "change and reload open pages.")
    add_site_options(v)
    v.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: SITE/site)")
    v.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    v.add_argument("--open", action="store_true", help="open the site in a browser")
    n = commands.add_parser("new", help="write a new, minimal site into a folder",
                            description="Write a small working site (settings, one item of each kind "
                                        "and a map) into DIR, ready for `build --strict`.")
    n.add_argument("dir", type=Path, metavar="DIR", help="the new site's folder (absent or empty)")
    s = commands.add_parser("schema", help="write the JSON Schema of every content kind",
                            description="Write one JSON Schema per content kind, for editors.")
    s.add_argument("--out", type=Path, default=Path("schema"), metavar="DIR",
                   help="folder for the *.schema.json files (default: schema/)")
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["build", *argv]
    top = parser()
    args = top.parse_args(argv)
    if args.command == "schema":
        return _schema(args.out)
    if args.command == "new":
        from .new import new
        return new(args.dir, top.prog)
    problem = locate(args)
    if problem:
        top.error(problem)
    if args.command == "check":
        from .check import run
        return run(args)
    if args.command == "bundle":
        from .bundle import run
        return run(args)
    if args.command == "serve":
        from .serve import run
        return run(args)
    return _build(args)


def _build(args) -> int:
    options = site_options(args, out=args.out, offline=args.offline, skip_unchanged=True,
                           progress=ProgressBar(sys.stderr) if sys.stderr.isatty() else None)
    if getattr(args, "explain", None):
        from .explain import explain
        return explain(options, args.explain)
    result = _without_cycle_collection(build, options)
    if options.progress:
        options.progress.clear()
    diags = result.diagnostics
    if args.format == "github":
        text = format_github(diags)
    else:
        text = format_console(diags)
    if text:
        print(text, file=sys.stderr)
    if args.report:
        args.report.write_text(report_json(diags), encoding="utf-8")
    if result.ok:
        s, o = result.stats, result.output
        print(f"built {o.pages} pages ({o.rendered} rendered, {o.pages - o.rendered} unchanged); "
              f"{len(o.files)} files ({s.written} written, {s.unchanged} unchanged) "
              f"in {result.seconds:.2f} s{' (no input changed)' * result.skipped}; {summary(diags)}")
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


def _schema(out: Path) -> int:
    from .schema import KINDS, json_schema
    out.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        name = "site" if kind == "site" else kind.rstrip("s") if kind != "batches" else "batch"
        (out / f"{name}.schema.json").write_text(
            json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(KINDS)} schemas to {out}")
    return 0
