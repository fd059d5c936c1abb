"""Markdown bodies to safe HTML, once per item and language.

Raw HTML in Markdown is escaped (the HTML processors are removed), links are checked against a
scheme allow-list, internal links (`district:yangpu`, `initiative:foo#anchor`) become
placeholders that the render stage turns into relative URLs through the one URL policy, and the
result goes through nh3, an allow-list sanitiser, as a second wall.

Citations (`[@source-id]`, `[@a, p. 3; @b]`) become placeholder links that the render stage
numbers against the page's source list. The Markdown source itself is scanned for their places
and for paragraphs that cite nothing, so each finding carries its line within the text.
"""

from __future__ import annotations

import multiprocessing
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from html import unescape

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from .diagnostics import Diagnostics
from .kinds import BY_NAME
from .state import BuildState
from .urls import LINK_SCHEMES as SAFE_SCHEMES, url_problem

# Written by the author as `[text](district:yangpu#section)`: any kind's name (kinds.py), then an id.
INTERNAL_LINK = re.compile(r"^(" + "|".join(BY_NAME) + r"):([a-z0-9-]+)(?:#([\w-]+))?$")
PLACEHOLDER = "@site:"  # href="@site:district:yangpu#x" until the page knows its place
# `[@id]`, `[@id, locator]`, several joined by `;`. A locator holds no brackets or semicolons.
_ONE_CITE = r"@([a-z0-9]+(?:-[a-z0-9]+)*)(?:,([^\[\];]*))?"
CITATION = re.compile(r"\[" + _ONE_CITE + r"(?:;\s*" + _ONE_CITE + r")*\]")
_CITE_PART = re.compile(_ONE_CITE)
CITE_PLACEHOLDER = "@cite:"  # href="@cite:<source id>" until the page numbers its sources

# A line break in the source between two Chinese characters (or full-width punctuation) is not a
# space: browsers would show one. Inline tags may stand on either side of the break.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_INLINE_TAGS = r"(?:</?(?:a|em|strong|code|span|abbr)\b[^>]*>)*"
_CJK_BREAK = re.compile(f"([{_CJK}]{_INLINE_TAGS})[ \t]*\n\\s*({_INLINE_TAGS}[{_CJK}])")
_PRE = re.compile(r"(<pre>.*?</pre>)", re.DOTALL)
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")  # in plain text: YAML folds a break into a space

_TAGS = {
    "p",
    "br",
    "a",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "hr",
    "abbr",
    "span",
    "sup",
    "div",
    "section",
}
# What survives the sanitiser: the attributes the extensions write, and those an attribute list
# (`{: .class #id lang=zh}`) may set. Values are checked by _attribute; no inline style (the
# pages' Content-Security-Policy would refuse it): a column's alignment is a class.
_TEXT_ATTRS = {"class", "id", "lang"}
_ATTRS = {tag: set(_TEXT_ATTRS) for tag in _TAGS} | {
    "a": _TEXT_ATTRS | {"href", "title", "rel", "aria-label"},
    "img": _TEXT_ATTRS | {"src", "alt", "title", "width", "height"},
    "th": _TEXT_ATTRS | {"scope"},
    "abbr": _TEXT_ATTRS | {"title"},
    "section": {"class", "aria-label"},
    "div": {"class", "role", "tabindex", "aria-label"},
}
_ATTRIBUTE_VALUES = {
    "class": re.compile(r"[a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*)*"),
    "lang": re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{1,8})*"),
    "id": re.compile(r"[^\s\"'<>&]{1,80}"),
    "width": re.compile(r"[1-9][0-9]{0,4}"),
    "height": re.compile(r"[1-9][0-9]{0,4}"),
    "aria-label": re.compile(r"@[a-z-]+(?::[0-9]+)?"),  # a label placeholder (LABEL), filled per page
    "role": re.compile(r"region"),
    "tabindex": re.compile(r"0"),
}
LABEL = re.compile(r'aria-label="@([a-z-]+)(?::([0-9]+))?"')  # the render stage writes the words


class Context:
    """What a Markdown conversion checks against and reports to."""

    def __init__(self, known: dict[str, set[str]], diags: Diagnostics) -> None:
        self.known = known  # kind -> ids that exist
        self.diags = diags
        # What one conversion found, before it is given a place: depends on the text alone,
        # so it can be cached with the HTML.
        self.found: list[tuple] = []  # (code, message, hint, (line, column) in the text or None)
        self.refs: list[tuple[str, str, str]] = []  # internal links: (kind, id, href)


class _Links(Treeprocessor):
    def __init__(self, md, ctx: Context) -> None:
        super().__init__(md)
        self.ctx = ctx

    def run(self, root: etree.Element) -> None:
        citations = {id(a) for sup in root.iter("sup") if sup.get("class") == "cite" for a in sup}
        for el in root.iter():
            if el.tag == "h1":
                el.tag = "h2"  # the page's title is its only h1
            elif el.tag == "a" and id(el) not in citations:  # _Citations' own, placeholders
                self._link(el)
            elif el.tag == "img":
                self._image(el)
            elif el.tag in ("th", "td") and el.get("style", "").startswith("text-align: "):
                align = el.attrib.pop("style")[len("text-align: ") :].rstrip(";")
                el.set("class", f"align-{align}")
        _shape_blocks(root)

    def _report(self, code: str, message: str, hint: str = "") -> None:
        self.ctx.found.append((code, message, hint, None))

    def _link(self, el: etree.Element) -> None:
        href = el.get("href", "")
        internal = INTERNAL_LINK.match(href)
        scheme = _scheme(href)
        problem = "" if internal else url_problem(href, "link")
        if internal:
            kind, item_id, _ = internal.groups()
            self.ctx.refs.append((kind, item_id, href))  # checked against the model by Converter
            el.set("href", PLACEHOLDER + href)
        elif problem:
            self._report(
                "unsafe-link", f"the link {problem}", hint="use http, https, mailto, a relative URL or district:<id>"
            )
            el.attrib.pop("href")
        elif scheme in ("http", "https"):
            el.set("rel", "external noopener noreferrer")
            el.set("class", "external")

    def _image(self, el: etree.Element) -> None:
        if not el.get("alt", "").strip():
            self._report("image-alt", "an image without alt text", hint="describe the image: ![what it shows](path)")
        problem = url_problem(el.get("src", ""), "embed")
        if problem:
            self._report(
                "unsafe-link",
                f"the image source {problem}",
                hint="images must be files of the site: no page may load anything from another host",
            )
            el.attrib.pop("src", None)


def _shape_blocks(root: etree.Element) -> None:
    """Tables in a scroll box of their own (a wide one must not widen a 320 px page); footnotes
    in a labelled section, each link to a note and back with a name a screen reader can say
    ("Note 2", not "2"). Labels are placeholders (LABEL): the page's language writes them."""
    for parent in list(root.iter()):
        for at, el in enumerate(parent):
            if el.tag == "table":
                box = etree.Element(
                    "div", {"class": "table-scroll fit", "role": "region", "tabindex": "0", "aria-label": "@table"}
                )
                box.append(el)
                box.tail, el.tail = el.tail, None
                parent[at] = box
            elif el.tag == "div" and el.get("class") == "footnote":
                el.tag, el.attrib = "section", {"class": "footnotes", "aria-label": "@notes"}
                for rule in el.findall("hr"):
                    el.remove(rule)
                for number, note in enumerate(el.iter("li"), 1):
                    for back in note.iter("a"):
                        if back.get("class") == "footnote-backref":
                            back.attrib.pop("title", None)
                            back.set("aria-label", f"@note-back:{number}")
            elif el.tag == "a" and el.get("class") == "footnote-ref":
                el.set("aria-label", f"@note:{el.text}")
                parent.set("class", "note")  # the <sup> around it


def _attribute(tag: str, name: str, value: str) -> str | None:
    """The sanitiser's check of an attribute's value: those an attribute list may set must have
    the expected shape (a class name, a language tag, a number), or are dropped."""
    shape = _ATTRIBUTE_VALUES.get(name)
    return value if shape is None or shape.fullmatch(value) else None


def _scheme(url: str) -> str | None:
    """The URL's scheme, lower-cased, ignoring the control characters browsers ignore."""
    cleaned = re.sub(r"[\x00-\x20]", "", unescape(url)).lower()  # as a browser reads `&#58;`
    match = re.match(r"^([a-z][a-z0-9+.-]*):", cleaned)
    return match.group(1) if match else None


_CITE_SUP = re.compile(r'<sup class="cite">.*?</sup>', re.DOTALL)


def plain_text(html: str) -> str:
    """A converted text as plain text on one line: citation markers left out (their numbers exist
    only on a page), tags stripped, Chinese line breaks joined."""
    return join_cjk_text(Markup(_CITE_SUP.sub("", html)).striptags())


class _Citations(InlineProcessor):
    """`[@a, p. 3; @b]` -> <sup class="cite"> with one placeholder link per source; the link's
    text is its locator (the page puts the number in front)."""

    # InlineProcessor takes (match, data) where its base class Pattern takes (match): Markdown
    # breaks the override itself, and its stubs ignore the same error.
    def handleMatch(self, match: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]
        sup = etree.Element("sup", {"class": "cite"})
        sup.text = "["
        for part in _CITE_PART.finditer(match.group(0)):
            link = etree.SubElement(sup, "a", {"href": CITE_PLACEHOLDER + part.group(1)})
            link.text = (part.group(2) or "").strip()
            link.tail = "; "
        link.tail = "]"
        return sup, match.start(0), match.end(0)


class _Safe(Extension):
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def extendMarkdown(self, md) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # above links, so `[@id]` is never read as a reference link; below code spans and escapes
        md.inlinePatterns.register(_Citations(CITATION.pattern, md), "citation", 175)
        md.treeprocessors.register(_Links(md, self.ctx), "site-links", 1)


# Maps a (line, column) within a text (0-based) to the file; None to the field's own position.
Placer = Callable[[tuple[int, int] | None], tuple[int, int]]


class Converter:
    """Turns Markdown into sanitised HTML; one instance per build (not thread-safe).

    A text converted before (in the cache) is not converted again: its HTML and findings are
    reused, and its internal links are checked against this build's model."""

    def __init__(self, ctx: Context, cache: BuildState) -> None:
        self.ctx = ctx
        self.cache = cache
        self.md = markdown.Markdown(
            extensions=["tables", "sane_lists", "fenced_code", "footnotes", "attr_list", _Safe(ctx)],
            # notes numbered in the order the text refers to them; ids without a colon
            extension_configs={"footnotes": {"SEPARATOR": "-", "USE_DEFINITION_ORDER": False}},
            output_format="html",
        )

    def convert(self, text: str, file: str, field: str, place: Placer, key: str | None = None) -> tuple[str, list[str]]:
        """The text's HTML and the ids of the sources it cites (known ones, first-cited first).
        `place(line, column)` turns a position in the text (0-based) into one in the file;
        `place(None)` is the field's own position; `key`, the text's BuildState.text_key if known."""
        entry = self.cache.get("markdown", text, key)
        if entry is None:
            entry = self._convert(text)
            self.cache.put("markdown", text, entry, key)
        html, found, refs, cites = entry
        known = self.ctx.known
        for code, message, hint, at in found:
            self.ctx.diags.add(file, *place(at), code, message, field=field, hint=hint)
        for kind, item_id, href in refs:
            if item_id not in known.get(kind, ()):
                self.ctx.diags.add(
                    file,
                    *place(None),
                    "markdown-link",
                    f"the link '{href}' names no {kind}",
                    field=field,
                    hint=f"check the id against content/{BY_NAME[kind].folder}/",
                )
        cited, sources = [], known.get("source", ())
        for source_id, at in cites:
            if source_id not in sources:
                self.ctx.diags.add(
                    file,
                    *place(at),
                    "unknown-citation",
                    f"the citation names no source '{source_id}'",
                    field=field,
                    hint="check the id against content/sources/",
                )
            elif source_id not in cited:
                cited.append(source_id)
        return html, cited

    def warm(self, texts: list[str], jobs: int) -> None:
        """Convert the texts the cache lacks in `jobs` forked processes, when there are enough to
        pay for them (a cold build of a large site); `convert` then finds them in the cache."""
        global _WORKER
        if jobs < 2 or len(texts) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            return  # without looking each text up: `convert` does that anyway
        todo = sorted({t for t in texts if self.cache.get("markdown", t) is None})
        if len(todo) < PARALLEL_FROM:
            return
        _WORKER = self
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for text, entry in zip(todo, pool.imap(_convert_in_worker, todo, chunksize=64), strict=True):
                    self.cache.put("markdown", text, entry)
        finally:
            _WORKER = None

    def _convert(self, text: str) -> tuple[str, tuple, tuple, tuple]:
        self.ctx.found, self.ctx.refs = [], []
        problem = too_complex(text)
        if problem:
            return "", (("markdown-too-complex", problem, LIMITS_HINT, None),), (), ()
        try:
            converted = self.md.reset().convert(text)
        except RecursionError:  # a shape the limits above did not foresee: fail this text alone
            return (
                "",
                (("markdown-too-complex", "the text is nested too deeply to convert", LIMITS_HINT, None),),
                (),
                (),
            )
        html = nh3.clean(
            converted,
            tags=_TAGS,
            attributes=_ATTRS,
            attribute_filter=_attribute,
            link_rel=None,
            url_schemes=SAFE_SCHEMES | {"@site"},
            strip_comments=True,
        )
        cites, uncited = scan_citations(text)
        found = self.ctx.found + [
            ("uncited-paragraph", "a paragraph that cites no source", _CITE_HINT, at) for at in uncited
        ]
        return join_cjk_lines(html), tuple(found), tuple(self.ctx.refs), cites


_CITE_HINT = "cite the source of its claims where they are made: [@source-id] or [@source-id, locator]"
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_NOTE_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
_NOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_NOT_PROSE = re.compile(r"^\s*(?:#|\||(?:[-*_]\s*){3,}$)")  # headings, table rows, rules


def scan_citations(text: str) -> tuple[tuple, tuple]:
    """Every citation's source id with its (line, column) in the text, and the (line, column) of
    every prose paragraph or list item that has no citation. Blocks are split as Markdown does:
    by blank lines, each item of a list on its own; headings, tables, rules and code are not prose.
    A footnote (`[^1]: …`) is a block of its own, and a block that refers to a note that cites
    counts as citing: a claim may carry its source in its note."""
    cites, blocks = [], []  # blocks: ((line, column), cites, notes referred to, note defined)
    block: list[tuple[int, str]] = []  # the lines of the paragraph or list item being read
    fenced = False

    def close() -> None:
        if block:
            first, line = block[0]
            note = _NOTE_DEFINITION.match(line)
            blocks.append(
                (
                    (first, len(line) - len(line.lstrip())),
                    any(CITATION.search(x) for _, x in block),
                    {ref for _, x in block for ref in _NOTE_REFERENCE.findall(x)},
                    note and note.group(1),
                )
            )
        block.clear()

    for number, line in enumerate(text.split("\n")):
        if _FENCE.match(line):
            close()
            fenced = not fenced
            continue
        if fenced:
            continue  # code: `[@id]` in it is shown as written
        for match in CITATION.finditer(line):
            for part in _CITE_PART.finditer(line, match.start(), match.end()):
                cites.append((part.group(1), (number, part.start())))
        if _NOT_PROSE.match(line) or not line.strip():
            close()
        else:
            # a list item starts a new unit only in a list: inside a paragraph, a line that opens
            # with "2024. " is part of the paragraph, as Python-Markdown reads it
            if block and (_LIST_ITEM.match(line) and _LIST_ITEM.match(block[0][1]) or _NOTE_DEFINITION.match(line)):
                close()
            block.append((number, line))
    close()
    citing_notes = {note for _, cited, _, note in blocks if note and cited}
    return tuple(cites), tuple(at for at, cited, refs, _ in blocks if not cited and not refs & citing_notes)


def join_cjk_lines(html: str) -> str:
    """Join the lines of a paragraph where both sides of the break are Chinese; code blocks
    (`<pre>`, odd parts of the split) keep their lines."""
    parts = _PRE.split(html)
    parts[::2] = [_CJK_BREAK.sub(r"\1\2", part) for part in parts[::2]]
    return "".join(parts)


def join_cjk_text(text: str) -> str:
    """Plain text without the spaces that folded line breaks left between Chinese characters."""
    return text if text.isascii() else _CJK_GAP.sub("", text)


# Bounded work per text. Python-Markdown's inline patterns backtrack: the time a paragraph takes
# grows with its length times the number of [, < and ` in it (and with the cube of a run of
# backticks): 2,000 backticks in a row took 24 s, 25,000 `![` five minutes, and deep lists
# exhaust the stack. Texts beyond these limits are refused at their place, before conversion;
# at the limits the slowest text known takes under a second.
MAX_CHARACTERS = 50_000
MAX_WORK = 1_000_000  # per paragraph: characters × marks
MAX_BACKTICKS = 16  # in one run
MAX_NESTING = 20  # levels of indentation (4 spaces or a tab) and block-quote marks on one line
LIMITS_HINT = "split the text into shorter paragraphs, or simplify it"
_MARKS = re.compile(r"[\[<`]")
_LINE_START = re.compile(r"^[ \t>]*", re.MULTILINE)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")


def too_complex(text: str) -> str:
    """Why converting `text` could take unbounded time or stack ("" when it cannot)."""
    if len(text) > MAX_CHARACTERS:
        return f"the text has {len(text):,} characters; the limit is {MAX_CHARACTERS:,}"
    for paragraph in _PARAGRAPHS.split(text):
        marks = len(_MARKS.findall(paragraph))
        if marks * len(paragraph) > MAX_WORK:
            return (
                f"a paragraph of {len(paragraph):,} characters holds {marks:,} of [, < and `; "
                f"characters × those marks may be at most {MAX_WORK:,}"
            )
    run = max(map(len, re.findall(r"`+", text)), default=0)
    if run > MAX_BACKTICKS:
        return f"the text has a run of {run:,} backticks; the limit is {MAX_BACKTICKS}"
    deepest = max(map(_nesting, _LINE_START.findall(text)), default=0)
    if deepest > MAX_NESTING:
        return f"the text nests {deepest} levels deep; the limit is {MAX_NESTING}"
    return ""


def _nesting(line_start: str) -> int:
    """Block quotes (each >) and indentation levels after the last of them, at a line's start."""
    indent = line_start.rpartition(">")[2].replace("\t", "    ")
    return line_start.count(">") + len(indent) // 4


PARALLEL_FROM = 512  # texts: below this, starting the processes costs more than it saves
_WORKER: Converter | None = None  # the forked workers' converter (a copy of the parent's)


def _convert_in_worker(text: str) -> tuple[str, tuple, tuple, tuple]:
    assert _WORKER is not None, "set in the parent before the pool forks"
    return _WORKER._convert(text)
