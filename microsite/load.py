"""Load stage: find the content files and parse each into plain data with source positions.

YAML is read event by event (never composed recursively), so hostile input cannot exhaust the
stack: anchors and aliases, explicit tags, several documents and deep nesting are refused with a
diagnostic at their place. Every value's line and column is kept for the later stages.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostics
from .kinds import BY_FOLDER
from .paths import display_path, folder_problem
from .state import BuildState

_Loader: type[yaml.CSafeLoader | yaml.SafeLoader]
try:  # the C parser is several times faster; the pure-Python one behaves the same
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
SETTINGS_FILE = "site.yaml"
DATA_FOLDERS = {"geo", "media"}  # folders of files the site uses as they are (media.py)
IGNORED_NAMES = {"README.md", ".DS_Store"}

Path_ = tuple  # a path into the data: ("figures", 0, "value")


@dataclass
class RawItem:
    """One content file, parsed: plain data plus where each value stands."""

    kind: str  # "districts", … or "site"
    id: str  # the file name without .yaml
    file: str  # path shown in diagnostics
    data: object
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # where each key is
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # where each value is

    plain: str = ""  # the language of its plain texts when schema.validate last read it
    checked: tuple | None = None  # what schema.validate found, once: (clean values, valid, diagnostics)
    partly_translated: list | None = None  # resolve's: its texts lacking a language, once
    sentences: list | None = None  # resolve's: its texts' long sentences, once
    converted: dict = field(default_factory=dict)  # resolve's: "name.lang" -> what its text gave, once
    made: Any = None  # resolve._Made: the object made from it, with what its making read, once

    def at(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Line and column of a value (or of its key), falling back to the nearest parent."""
        table = self.keys if key else self.values
        while path:
            if path in table:
                return table[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


@dataclass
class Content:
    root: Path
    settings: RawItem | None
    items: list[RawItem]
    data_files: dict[str, bytes]  # e.g. "geo/region.geojson" -> bytes
    unreadable: set[tuple[str, str]] = field(default_factory=set)  # (kind, id) of files that failed


class _YamlProblem(Exception):
    def __init__(self, code: str, message: str, mark, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.line: int
        self.column: int
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark else (0, 0)


def load_content(root: Path, diags: Diagnostics, state: BuildState | None = None) -> Content:
    """Read every content file below root; problems become diagnostics, never exceptions.

    Files whose text the build state has parsed before are not parsed again, and, in a
    long-lived process, files it holds unchanged are not even read (state.py)."""
    state = state or BuildState(None, {})
    content = Content(root, None, [], {})
    problem = folder_problem(root)
    if problem:
        diags.add(
            display_path(root),
            0,
            0,
            "no-content",
            f"the content folder {problem}",
            hint="pass --content DIR with a folder holding site.yaml",
        )
        return content
    root = content.root = root.resolve()
    entries = _listing(root, diags)
    if entries is None:
        return content
    settings = root / SETTINGS_FILE
    if settings.is_file():
        content.settings = _load_item(settings, display_path(settings), "site", "site", diags, state)
    else:
        diags.add(
            display_path(settings),
            0,
            0,
            "missing-file",
            "the site settings file is missing",
            hint="create site.yaml with title, description and intro",
        )
    for entry in map(Path, entries):
        name = entry.name
        if name == SETTINGS_FILE or name in IGNORED_NAMES or name.startswith("."):
            continue
        if entry.is_dir() and not entry.is_symlink() and name in BY_FOLDER:
            content.items.extend(_load_folder(root, entry, content.unreadable, diags, state))
        elif entry.is_dir() and not entry.is_symlink() and name in DATA_FOLDERS:
            _load_data_folder(root, entry, content.data_files, diags)
        else:
            diags.add(
                display_path(entry),
                0,
                0,
                "unexpected-file",
                f"'{name}' is not a content folder",
                hint="content folders are " + ", ".join(sorted(BY_FOLDER) + sorted(DATA_FOLDERS)),
            )
    if state.items is not None:
        state.forget_others()
    return content


def _load_folder(root: Path, folder: Path, unreadable: set, diags: Diagnostics, state: BuildState) -> list[RawItem]:
    items = []
    shown_folder = display_path(folder)  # once: a folder holds thousands of files
    for entry in _listing(folder, diags) or ():  # os.DirEntry: the types come with the listing
        if entry.name in IGNORED_NAMES or entry.name.startswith("."):
            continue
        shown = os.path.join(shown_folder, entry.name)
        stem, suffix = os.path.splitext(entry.name)  # strings, not Paths: a folder holds thousands
        if suffix not in (".yaml", ".yml"):
            diags.add(
                shown,
                0,
                0,
                "unexpected-file",
                "only .yaml files belong in a content folder",
                hint="move it out of content/ or rename it to .yaml",
            )
        elif entry.is_symlink() and not _inside(root, Path(entry.path)):
            diags.add(
                shown,
                0,
                0,
                "outside-content",
                "this link points outside the content folder",
                hint="copy the file into content/ instead of linking to it",
            )
        elif not _is_file(entry):  # never opened: reading a pipe would block the build
            diags.add(shown, 0, 0, "not-a-file", f"expected a YAML file here, found {_what(Path(entry.path))}")
        else:
            item = _load_item(entry.path, shown, folder.name, stem, diags, state)
            if item is not None:
                items.append(item)
            else:  # reported already; references to it must not be reported again
                unreadable.add((folder.name, stem))
    return items


def _listing(folder: Path, diags: Diagnostics) -> list[os.DirEntry] | None:
    """The entries of a folder, by name; None, with the reason reported, when it cannot be read."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as err:
        diags.add(
            display_path(folder),
            0,
            0,
            "unreadable",
            f"cannot read the folder: {err.strerror}",
            hint="check the folder's permissions: the build lists it and reads its files",
        )
        return None


def _load_data_folder(root: Path, folder: Path, out: dict[str, bytes], diags: Diagnostics) -> None:
    """Every file below the folder, by its path below root (media may sit in subfolders)."""
    for entry in _listing(folder, diags) or ():
        path = Path(entry.path)
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if entry.is_dir(follow_symlinks=False):
            _load_data_folder(root, path, out, diags)
            continue
        if not _is_file(entry):
            continue
        if not _inside(root, path):
            diags.add(display_path(path), 0, 0, "outside-content", "this link points outside the content folder")
            continue
        try:
            data = path.read_bytes()
        except OSError as err:
            diags.add(
                display_path(path),
                0,
                0,
                "unreadable",
                f"cannot read the file: {err.strerror}",
                hint="check the file's permissions",
            )
            continue
        if path.suffix in (".json", ".geojson") and _too_deep(data, display_path(path), diags):
            continue
        out[path.relative_to(root).as_posix()] = data


MAX_DATA_DEPTH = 16  # arrays and objects; a GeoJSON MultiPolygon needs 7
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(data: bytes, shown: str, diags: Diagnostics) -> bool:
    """Report a JSON file nested deeper than MAX_DATA_DEPTH, at the bracket that goes too deep:
    its parser recurses, and a file of nested [ would end the build with a RecursionError."""
    depth = 0
    for token in _JSON_TOKEN.finditer(data):
        bracket = token.group()[:1]
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > MAX_DATA_DEPTH:
                line = data.count(b"\n", 0, token.start()) + 1
                column = token.start() - (data.rfind(b"\n", 0, token.start()) + 1) + 1
                diags.add(
                    shown,
                    line,
                    column,
                    "too-deep",
                    f"arrays and objects are nested more than {MAX_DATA_DEPTH} levels deep",
                    hint="GeoJSON coordinates need at most 7 levels; check the file's brackets",
                )
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


def _is_file(entry: os.DirEntry) -> bool:
    """Whether an entry is a regular file, or a link to one; not a link loop (which raises)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _what(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a link to nothing (or a link loop)"
    return "a folder" if path.is_dir() else "a special file (a pipe, socket or device)"


def _inside(root: Path, path: Path) -> bool:
    try:
        return os.path.commonpath([root, path.resolve()]) == str(root)
    except RuntimeError:  # a link loop (Python 3.11; later versions resolve it as is)
        return True  # stays inside: reported as not a file, where it is


def _load_item(
    path: str | Path, shown: str, kind: str, item_id: str, diags: Diagnostics, state: BuildState
) -> RawItem | None:
    st = None
    try:
        if state.items is not None:
            st = os.stat(path)  # before reading: a write after it shows in the next signature
            item = state.known(path, st)
            if item is not None:
                return item
        raw = Path(path).read_bytes()
    except OSError as err:
        diags.add(
            shown, 0, 0, "unreadable", f"cannot read the file: {err.strerror}", hint="check the file's permissions"
        )
        return None
    text = _decode(raw, shown, diags)
    if text is None:
        return None
    item = _parsed(text, RawItem(kind, item_id, shown, None), diags, state)
    if item is not None and st is not None:  # a long-lived process's (state.items): stat taken above
        state.remember(path, st, item)
    return item


def _parsed(text: str, item: RawItem, diags: Diagnostics, cache: BuildState) -> RawItem | None:
    shown = item.file
    cached = cache.get("yaml", text)
    if cached is not None:  # stored pickled: every build gets its own copy to work on
        item.data, item.keys, item.values = pickle.loads(cached)
        return item
    try:
        item.data = _parse(text, item)
    except _YamlProblem as p:
        diags.add(shown, p.line, p.column, p.code, p.message, hint=p.hint)
        return None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark and "end of stream" in (err.problem or ""):
            mark = err.context_mark  # where the unclosed quote or bracket opened, not the file's end
        problem = " ".join(filter(None, [err.context, err.problem]))
        bad_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        hint = (
            "indent with spaces, not tabs"
            if "\t" in bad_line
            else "check the indentation and quote values that contain ': ' or start with a symbol"
        )
        diags.add(
            shown,
            mark.line + 1 if mark else 0,
            mark.column + 1 if mark else 0,
            "yaml-syntax",
            f"YAML syntax error: {problem}",
            hint=hint,
        )
        return None
    except yaml.YAMLError as err:  # reader errors (control characters) carry no problem_mark
        diags.add(shown, 1, 1, "yaml-syntax", f"YAML error: {err}")
        return None
    cache.put("yaml", text, pickle.dumps((item.data, item.keys, item.values), pickle.HIGHEST_PROTOCOL))
    return item


def _decode(raw: bytes, shown: str, diags: Diagnostics) -> str | None:
    if len(raw) > MAX_BYTES:
        diags.add(
            shown,
            0,
            0,
            "file-too-large",
            f"the file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}",
            hint="split the item or shorten it",
        )
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and (raw[0] == 0 or raw[1] == 0)):
        diags.add(
            shown, 1, 1, "encoding", "the file is UTF-16; content files must be UTF-8", hint="save the file as UTF-8"
        )
        return None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        diags.add(shown, line, 1, "encoding", "the file contains a NUL byte")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        diags.add(
            shown,
            line,
            column,
            "encoding",
            f"invalid UTF-8 (byte 0x{raw[err.start]:02x})",
            hint="save the file as UTF-8",
        )
        return None


def _parse(text: str, item: RawItem) -> object:
    """Build plain data from the event stream of exactly one YAML document."""
    loader = _Loader(text)
    try:
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            raise _YamlProblem(
                "empty-file",
                "the file is empty",
                _next_mark(loader),
                hint="write the item's fields, or delete the file",
            )
        loader.get_event()  # DocumentStart
        data = _parse_node(loader, item, ())
        loader.get_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            raise _YamlProblem(
                "several-documents",
                "the file holds more than one YAML document",
                _next_mark(loader),
                hint="one item per file; remove '---'",
            )
    finally:
        loader.dispose()
    return data


def _next_mark(loader: yaml.CSafeLoader | yaml.SafeLoader):
    """Where the next event starts."""
    event = loader.peek_event()
    assert event is not None, "the parser ends every stream with a StreamEndEvent, and it was not read"
    return event.start_mark


def _parse_node(loader, item: RawItem, path: Path_) -> object:
    """Iteratively turn the events of one node into Python data (no recursion on depth)."""
    root: list = []
    stack: list[tuple[object, Path_]] = [(root, ())]
    pending_key: list[object] = [None]
    while True:
        event = loader.get_event()
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            pending_key.pop()
            if len(stack) == 1:
                return root[0]
            continue
        container, cpath = stack[-1]
        _refuse_anchors_and_tags(event)
        if isinstance(container, dict) and pending_key[-1] is None:
            pending_key[-1] = _mapping_key(loader, event, container, cpath, item)
            continue
        here = () if len(stack) == 1 else _child_path(container, cpath, pending_key[-1])
        item.values[here] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(loader, event)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) > MAX_DEPTH:
                raise _YamlProblem("too-deep", f"values are nested more than {MAX_DEPTH} levels deep", event.start_mark)
            value = {} if isinstance(event, yaml.MappingStartEvent) else []
        else:  # pragma: no cover - the parser emits no other event inside a document
            raise _YamlProblem("yaml-syntax", "unexpected YAML structure", event.start_mark)
        _store(container, pending_key, value)
        if isinstance(value, (dict, list)):
            stack.append((value, here))
            pending_key.append(None)
        elif len(stack) == 1:
            return root[0]


def _refuse_anchors_and_tags(event) -> None:
    if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
        raise _YamlProblem(
            "yaml-alias",
            "anchors and aliases (&name, *name) are not supported",
            event.start_mark,
            hint="write the value out in full",
        )
    tag = getattr(event, "tag", None)
    if tag not in (None, "!") and not (isinstance(event, yaml.ScalarEvent) and event.implicit[0]):
        raise _YamlProblem(
            "yaml-tag",
            f"the tag '{tag}' is not supported",
            event.start_mark,
            hint="remove the tag; content holds plain text, numbers, dates and lists",
        )


def _mapping_key(loader, event, container: dict, cpath: Path_, item: RawItem) -> str:
    if not isinstance(event, yaml.ScalarEvent):
        raise _YamlProblem("yaml-key", "a key must be plain text", event.start_mark)
    key = event.value
    assert event.start_mark is not None, "the parser marks every event"
    where = (event.start_mark.line + 1, event.start_mark.column + 1)
    if key in container:
        first = item.keys[cpath + (key,)]
        raise _YamlProblem(
            "duplicate-key",
            f"the key '{key}' appears twice in one mapping (first on line {first[0]})",
            event.start_mark,
            hint="keep one of them; YAML would silently use the last",
        )
    item.keys[cpath + (key,)] = where
    return key


def _child_path(container, cpath: Path_, key) -> Path_:
    return cpath + ((key,) if isinstance(container, dict) else (len(container),))


def _store(container, pending_key: list, value) -> None:
    if isinstance(container, dict):
        container[pending_key[-1]] = value
        pending_key[-1] = None
    else:
        container.append(value)


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# Plain values that YAML 1.1 (PyYAML) reads as numbers or booleans and YAML 1.2's core schema
# reads as text: base-60 (1:30 is 90), octal with a leading 0, binary, digits grouped with _,
# and yes/no/on/off. Read as text, so a field that wants a number says it found text.
_YAML11_NUMBER = re.compile(r"^[-+]?(?:.*[:_].*|0[0-7]+|0b[01_]+)$")
MAX_NUMBER = 40  # characters: a longer number is a mistake (and int() refuses 4,300 digits)


def _scalar(loader, event) -> object:
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if not event.style and _yaml11_only(tag, event.value):  # plain: the C parser says "", Python None
        return event.value
    if tag in _NUMBER_TAGS and len(event.value) > MAX_NUMBER:
        raise _YamlProblem(
            "bad-number",
            f"a number of {len(event.value):,} characters",
            event.start_mark,
            hint=f"numbers have at most {MAX_NUMBER} characters; quote the value if it is text",
        )
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return loader.construct_object(node)
    except (ValueError, OverflowError):
        raise _YamlProblem(
            "bad-date",
            f"'{event.value}' is not a real date",
            event.start_mark,
            hint="use YYYY-MM-DD with a valid month and day",
        ) from None


def _yaml11_only(tag: str, value: str) -> bool:
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() not in ("true", "false")
    return tag in _NUMBER_TAGS and bool(_YAML11_NUMBER.match(value))
