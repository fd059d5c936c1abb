"""`python build.py check`: build the site, then check what was written.

- links: every internal link and fragment resolves, no id is duplicated. Reads the files as
  written, so template links are checked as well as Markdown ones, in either target (a hosted
  build's folder links resolve to their index.html; an offline build must link to files);
- html and a11y: the Nu HTML Checker and axe-core (validators.py);
- repro: two clean builds are byte-identical;
- offline: the offline build's links, which must all name files.

Every problem names the output page; the console, GitHub annotations and the JSON report show
the build's diagnostics and then the checks' problems.
"""

from __future__ import annotations

import os
import posixpath
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .diagnostics import Diagnostic, Diagnostics, format_console, format_github, report_json, summary
from .paths import display_path
from .pipeline import build
from .project import site_options


@dataclass(frozen=True, order=True)
class Problem:
    page: str  # output path of the page, e.g. "districts/yangpu/index.html"
    line: int
    code: str  # broken-link, missing-anchor, duplicate-id, html-error, an axe rule id, …
    message: str
    column: int = 0

    def text(self) -> str:
        return f"{self.page}:{self.line}: {self.code}: {self.message}"


class _Page(HTMLParser):
    """Collects a page's ids and its links (href, src, srcset), with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                if value in self.ids:
                    self.duplicates.append((value, line))
                self.ids.setdefault(value, line)
            elif name in ("href", "src") or (name == "action" and tag == "form"):
                self.links.append((value, line))
            elif name == "srcset":
                self.links.extend((part.split()[0], line) for part in value.split(",") if part.strip())

    handle_startendtag = handle_starttag


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def parse_pages(out: Path) -> dict[str, _Page]:
    """Every HTML page under `out`, by its output path, with its ids and links."""
    return {p.relative_to(out).as_posix(): _parse(p) for p in sorted(out.rglob("*.html"))}


def check_links(out: Path, offline: bool = False, parsed: dict[str, _Page] | None = None) -> list[Problem]:
    """Every internal link of every HTML page, resolved against the files in `out`
    (`parsed`: the pages as parse_pages read them, when the caller has them already)."""
    parsed = parse_pages(out) if parsed is None else parsed
    problems = []
    for rel, page in parsed.items():
        problems += [
            Problem(rel, line, "duplicate-id", f"the id '{value}' is used twice") for value, line in page.duplicates
        ]
        for href, line in page.links:
            problem = _check_one(out, rel, href, parsed, offline)[1]
            if problem:
                problems.append(Problem(rel, line, *problem))
    return sorted(problems)


def orphan_pages(out: Path, parsed: dict[str, _Page]) -> list[str]:
    """Pages a reader cannot reach by following links from the home page: nothing links to
    them, or only pages that are unreachable themselves (such as a page and its translation).
    The 404 page needs no link: the host serves it at any missing address."""
    reached, todo = {"index.html"}, ["index.html"]
    while todo:
        rel = todo.pop()
        for href, _ in parsed[rel].links:
            target = _check_one(out, rel, href, parsed, offline=False)[0]
            if target in parsed and target not in reached:
                reached.add(target)
                todo.append(target)
    return [rel for rel in parsed if rel not in reached and posixpath.basename(rel) != "404.html"]


def _check_one(
    out: Path, rel: str, href: str, parsed: dict, offline: bool
) -> tuple[str | None, tuple[str, str] | None]:
    """(the output file a link points to, or None when it leaves the site or is broken;
    the problem with it, or None)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None, None if parts.scheme in ("http", "https", "mailto") else (
            "broken-link",
            f"'{href}' leaves the site",
        )
    if href.startswith("/"):
        return None, ("broken-link", f"'{href}' is absolute to the host root; links must be relative")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path))) if parts.path else rel
    if target.startswith(".."):
        return None, ("broken-link", f"'{href}' points above the site root")
    path = out / target
    if path.is_dir():
        if offline:
            return None, ("broken-link", f"'{href}' links to a folder, which file:// cannot open")
        target = posixpath.join(target, "index.html")
        path = out / target
    if not path.is_file():
        return None, ("broken-link", f"'{href}' points to {target}, which does not exist")
    if parts.fragment and target.endswith(".html"):
        ids = parsed[target].ids if target in parsed else {}
        if unquote(parts.fragment) not in ids:
            return target, ("missing-anchor", f"'{href}': {target} has no id '{parts.fragment}'")
    return target, None


CHECKS = ("links", "html", "a11y", "repro", "offline")
REPRO_SHOWN = 10  # differing files listed by the repro check; the rest are counted
DEFAULT_EPOCH = "1700000000"  # SOURCE_DATE_EPOCH for the repro builds when none is set


@dataclass
class CheckResult:
    name: str
    problems: list[Problem] = field(default_factory=list)
    skipped: bool = False
    note: str = ""  # what was covered, e.g. "58 of 286 pages (sample)"

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "failed" if self.problems else "passed"

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "note": self.note,
            "problems": [asdict(p) for p in self.problems],
        }


def run(args) -> int:
    """Build like `build` does, then run every check not in args.skip; 0 when all pass."""
    options = site_options(args, out=args.out, offline=args.offline)
    result = build(options)
    _print(args.format, result.diagnostics)
    if not result.ok:
        if args.report:
            args.report.write_text(report_json(result.diagnostics), encoding="utf-8")
        print(f"build failed: {summary(result.diagnostics)}; nothing was checked", file=sys.stderr)
        return 1
    assert result.site is not None and result.output is not None, "check never skips its build: it has a model"
    parsed = parse_pages(args.out)  # read once, for the links check and the orphan warnings
    results = [_run_check(name, args, parsed) for name in CHECKS]
    orphans = _orphan_warnings(args, result.site.settings, parsed)
    _print(args.format, orphans)
    _print(args.format, _as_diagnostics(args.out, results))
    result.diagnostics.extend(orphans)
    if args.report:
        args.report.write_text(report_json(result.diagnostics, checks=[r.as_json() for r in results]), encoding="utf-8")
    print(_summary(result.output.pages, results))
    return 1 if any(r.problems for r in results) or orphans.errors else 0


def _run_check(name: str, args, parsed: dict[str, _Page]) -> CheckResult:
    if name in args.skip:
        return CheckResult(name, skipped=True)
    if name == "links":  # on the pages already read
        return CheckResult(name, check_links(args.out, args.offline, parsed))
    return RUNNERS[name](args)


def _orphan_warnings(args, settings, parsed: dict[str, _Page]) -> Diagnostics:
    """orphan-page diagnostics: a warning (an error under --strict or as site.yaml sets it),
    found here because only the written pages show what links to what."""
    diags = Diagnostics()
    for page in orphan_pages(args.out, parsed):
        diags.add(
            f"{display_path(args.out)}/{page}",
            0,
            0,
            "orphan-page",
            "no chain of links from the home page reaches this page",
            hint="link it from a listing or a template",
        )
    diags.settle(args.strict or settings.strict, settings.severity)
    return diags


# validators.py imports Problem from this module, so it is imported where it is used.
def _check_html(args) -> CheckResult:
    from .validators import validate_html

    return CheckResult("html", validate_html(args.out))


def _check_a11y(args) -> CheckResult:
    from .validators import check_accessibility, sample_pages

    pages = sample_pages(args.out)
    total = len(list(args.out.rglob("*.html")))
    return CheckResult(
        "a11y",
        check_accessibility(args.out, pages),
        note=f"{len(pages)} of {total} pages: the first and the largest of each "
        f"template kind in each language, in light and dark mode",
    )


def _check_repro(args) -> CheckResult:
    with tempfile.TemporaryDirectory(prefix="microsite-repro-") as tmp, _source_date_epoch():
        first, second = Path(tmp) / "first", Path(tmp) / "second"
        failed = _build_into(args, first, args.offline) or _build_into(args, second, args.offline)
        return CheckResult("repro", failed or compare_folders(first, second))


def _check_offline(args) -> CheckResult:
    with tempfile.TemporaryDirectory(prefix="microsite-offline-") as tmp:
        out = Path(tmp) / "site"
        return CheckResult("offline", _build_into(args, out, True) or check_links(out, offline=True))


def _build_into(args, out: Path, offline: bool) -> list[Problem]:
    """Another build of the same content, into a temporary folder and so from scratch, with no
    build state (none would be read again); its failure as a problem (none when it succeeds)."""
    built = build(site_options(args, out=out, offline=offline, cache=None))
    return [] if built.ok else [Problem("", 0, "build-failed", f"the build failed: {summary(built.diagnostics)}")]


RUNNERS = {"html": _check_html, "a11y": _check_a11y, "repro": _check_repro, "offline": _check_offline}


@contextmanager
def _source_date_epoch():
    """SOURCE_DATE_EPOCH as set by the caller, or a fixed one: the builds must not see the clock."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = saved or DEFAULT_EPOCH
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]


def compare_folders(first: Path, second: Path) -> list[Problem]:
    """Files that differ between two builds (missing on one side or other bytes), at the first
    differing line; the first REPRO_SHOWN are listed and the rest counted."""
    files = sorted({p.relative_to(root).as_posix() for root in (first, second) for p in root.rglob("*") if p.is_file()})
    problems = []
    for rel in files:
        a, b = first / rel, second / rel
        if not (a.is_file() and b.is_file()):
            problems.append(Problem(rel, 0, "not-reproducible", "written by only one of two builds"))
            continue
        x, y = a.read_bytes(), b.read_bytes()
        if x != y:
            at = next((i for i, (c, d) in enumerate(zip(x, y, strict=False)) if c != d), min(len(x), len(y)))
            problems.append(
                Problem(rel, x.count(b"\n", 0, at) + 1, "not-reproducible", f"two builds differ from byte {at}")
            )
    if len(problems) > REPRO_SHOWN:
        rest = len(problems) - REPRO_SHOWN
        problems = problems[:REPRO_SHOWN] + [Problem("", 0, "not-reproducible", f"and {rest} more files differ")]
    return problems


def _as_diagnostics(out: Path, results: list[CheckResult]) -> Diagnostics:
    """Check problems as diagnostics at the output page, so the build's formatters show them."""
    diags = Diagnostics()
    folder = display_path(out)
    for r in results:
        # the offline build's pages are in a temporary folder: name them as the hosted ones
        prefix = "in the offline build: " if r.name == "offline" else ""
        for p in r.problems:
            diags.items.append(
                Diagnostic(f"{folder}/{p.page}" if p.page else "", p.line, p.column, p.code, prefix + p.message)
            )
    diags.items.sort()
    return diags


def _print(fmt: str, diags: Diagnostics) -> None:
    text = format_github(diags) if fmt == "github" else format_console(diags)
    if text:
        print(text, file=sys.stderr)


def _summary(pages: int, results: list[CheckResult]) -> str:
    parts = [f"{r.name} {'skipped' if r.skipped else len(r.problems)}" for r in results]
    notes = [f"{r.name}: {r.note}" for r in results if r.note and not r.skipped]
    failed = sum(bool(r.problems) for r in results)
    verdict = f"{failed} check{'s' * (failed != 1)} failed" if failed else "all checks passed"
    return f"checked {pages} pages: {verdict} (problems: {', '.join(parts)})" + "".join(f"\n  {n}" for n in notes)
