"""Checks on the built output: every internal link and fragment resolves, no id is duplicated.

Reads the files as written, so template links are checked as well as Markdown ones, in either
target (a hosted build's folder links resolve to their index.html; an offline build must link
to files).
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, order=True)
class Problem:
    page: str       # output path of the page, e.g. "districts/yangpu/index.html"
    line: int
    code: str       # broken-link, missing-anchor, duplicate-id
    message: str

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


def check_links(out: Path, offline: bool = False) -> list[Problem]:
    """Every internal link of every HTML page, resolved against the files in `out`."""
    pages = {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*.html"))}
    parsed = {rel: _parse(path) for rel, path in pages.items()}
    problems = []
    for rel, page in parsed.items():
        problems += [Problem(rel, line, "duplicate-id", f"the id '{value}' is used twice")
                     for value, line in page.duplicates]
        for href, line in page.links:
            problem = _check_one(out, rel, href, parsed, offline)
            if problem:
                problems.append(Problem(rel, line, *problem))
    return sorted(problems)


def _check_one(out: Path, rel: str, href: str, parsed: dict, offline: bool) -> tuple[str, str] | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None if parts.scheme in ("http", "https", "mailto") else ("broken-link", f"'{href}' leaves the site")
    if href.startswith("/"):
        return "broken-link", f"'{href}' is absolute to the host root; links must be relative"
    target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path))) \
        if parts.path else rel
    if target.startswith(".."):
        return "broken-link", f"'{href}' points above the site root"
    path = out / target
    if path.is_dir():
        if offline:
            return "broken-link", f"'{href}' links to a folder, which file:// cannot open"
        target = posixpath.join(target, "index.html")
        path = out / target
    if not path.is_file():
        return "broken-link", f"'{href}' points to {target}, which does not exist"
    if parts.fragment and target.endswith(".html"):
        ids = parsed[target].ids if target in parsed else {}
        if unquote(parts.fragment) not in ids:
            return "missing-anchor", f"'{href}': {target} has no id '{parts.fragment}'"
    return None
