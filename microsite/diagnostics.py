"""Problems found anywhere in a build, as values.

Every stage appends `Diagnostic`s to one `Diagnostics` list; nothing is counted through logging.
At the end the build applies the configured severities (strict mode, per-code overrides) and
decides. Output formats: console (grouped by file, one-line summary), GitHub annotations, JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from itertools import groupby
from typing import Any

ERROR, WARNING, IGNORE = "error", "warning", "ignore"
SEVERITIES = (ERROR, WARNING, IGNORE)

# Codes whose default severity is a warning; every other code is an error.
WARNING_CODES = {
    "missing-translation": "a human-readable field lacks one of the site's languages",
    "no-date-or-status": "an initiative has neither a date nor a status",
    "no-initiatives": "a district or zone has no initiative",
    "uncited-source": "a source is cited by nothing",
    "orphan-page": "a page that no link from the home page leads to (found by `check`)",
    "markdown-link": "a Markdown link to a missing page or anchor",
    "image-alt": "an image without alt text",
    "unused-catalogue-key": "an interface string that no template uses",
    "uncited-paragraph": "a paragraph of a Markdown text that cites no source inline",
    "repeated-sentence": "the same long sentence in two items' texts",
    "map-file": "the map file site.yaml names is missing, or a boundaries file in geo/ is not named",
}


# Characters that would let a file name or a value forge or hide output: line breaks, escape
# sequences (ANSI colours, cursor moves), bidirectional overrides, and the lone surrogates
# Python uses for the bytes of a file name that is not UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every unprintable character written as an escape (`\\n`, `\\x1b`, `\\u202e`);
    an undecodable byte of a file name shows as the byte (`\\xff`)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    c = match.group()
    if c in _SHORT:
        return _SHORT[c]
    if 0xDC80 <= ord(c) <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{ord(c) - 0xDC00:02x}"
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str  # path relative to the content folder's parent, or "" for the build itself
    line: int  # 1-based; 0 when the problem has no line (a missing file, a whole item)
    column: int  # 1-based; 0 when unknown
    code: str
    message: str
    field: str = ""  # dotted path of the field, e.g. "body.zh" or "themes[1]"
    hint: str = ""
    severity: str = ERROR

    def where(self) -> str:
        if not self.file:
            return "build"
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"

    def printable(self) -> Diagnostic:
        """The same diagnostic with every text safe to print (see `printable`)."""
        texts: dict[str, Any] = {
            f.name: printable(getattr(self, f.name)) for f in fields(self) if isinstance(getattr(self, f.name), str)
        }
        return replace(self, **texts)

    def text(self) -> str:
        field = f" [{self.field}]" if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.where()}: {self.severity}: {self.code}: {self.message}{field}{hint}"


class Diagnostics:
    """An ordered list of diagnostics that every stage appends to."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, file: str, line: int, column: int, code: str, message: str, field: str = "", hint: str = "") -> None:
        severity = WARNING if code in WARNING_CODES else ERROR
        self.items.append(Diagnostic(file, line, column, code, message, field, hint, severity))

    def extend(self, other: Diagnostics) -> None:
        self.items.extend(other.items)

    def settle(self, strict: bool, overrides: dict[str, str]) -> None:
        """Apply per-code severities, then strict mode (warnings become errors)."""
        settled = []
        for d in self.items:
            severity = overrides.get(d.code, d.severity)
            if severity == IGNORE:
                continue
            if strict and severity == WARNING:
                severity = ERROR
            settled.append(replace(d, severity=severity))
        self.items = sorted(set(settled))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == WARNING]

    def __bool__(self) -> bool:
        return bool(self.items)


def summary(diags: Diagnostics) -> str:
    e, w = len(diags.errors), len(diags.warnings)
    return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"


def format_console(diags: Diagnostics) -> str:
    """Diagnostics grouped under their file, each on one line."""
    lines = []
    for file, group in groupby(diags.items, key=lambda d: d.file):
        lines.append(printable(file) or "(build)")
        lines.extend("  " + d.printable().text() for d in group)
    return "\n".join(lines)


def _github_escape(text: str, in_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def format_github(diags: Diagnostics) -> str:
    """Workflow commands that make GitHub annotate the pull request."""
    out = []
    for d in (d.printable() for d in diags.items):
        props = [f"file={_github_escape(d.file, True)}"] if d.file else []
        if d.line:
            props += [f"line={d.line}", f"col={d.column or 1}"]
        props.append(f"title={_github_escape(d.code, True)}")
        message = d.message + (f" [{d.field}]" if d.field else "") + (f" ({d.hint})" if d.hint else "")
        out.append(f"::{d.severity} {','.join(props)}::{_github_escape(message)}")
    return "\n".join(out)


def report_json(diags: Diagnostics, checks: list[dict] | None = None) -> str:
    doc = {
        "summary": {"errors": len(diags.errors), "warnings": len(diags.warnings)},
        "diagnostics": [asdict(d.printable()) for d in diags.items],
        "checks": checks or [],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
