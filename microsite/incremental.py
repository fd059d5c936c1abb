"""Which pages can be skipped: a key per page that changes whenever its output could.

A page's key is a hash of everything it can show:
- the build's fixed inputs: generator code, templates, catalogues, asset names, settings, URL policy;
- the names of the small vocabularies an item page may show of items two references away
  (a district page names the themes of its initiatives): themes, districts, zones, batches;
- for an item page: the item itself and every item one reference away, in either direction
  (an initiative page shows its district's name; a district page lists its initiatives);
- for listing and special pages: the whole model; for the files made from the whole model
  (search indexes, feeds, sitemap, data exports): the whole model in every language.

A page shows its texts in its own language only (or the fallback one, see model.Text.pick),
except names, which render.py's `other` also shows in the other language. So a page's key
counts a text as what it shows in the page's language, and a name in all of them: an edit of the
English body of an initiative does not make its Chinese page, or any other Chinese page, stale.

When a page's key equals the one recorded by the previous build into the same folder, the
previous file is reused instead of rendering it again. Correctness is guarded by a test that
compares an incremental build with a clean one, byte for byte, after each kind of change.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from pathlib import Path

from . import model as m

PACKAGE = Path(__file__).resolve().parent
VOCABULARIES = ("themes", "districts", "zones", "batches")


def digest(*parts: str) -> str:
    """The hash of some texts, joined by the unit separator (U+001F)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def tree_digest(*folders: Path) -> str:
    """Hash of every file below the folders (generator code, templates, static files)."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """Hash of the generator's own code, as loaded: once per process (the dev server keeps the
    code it started with, so an edit to it must not count as a change)."""
    return tree_digest(PACKAGE)


def item_value(value, lang: str | None = None, field: str = "") -> str:
    """A stable text form of a field value as a page in `lang` (None: any page) can show it;
    model objects count by their id only."""
    if isinstance(value, m.Text):
        if lang is None or field == "name":  # names are shown in both languages
            return repr(sorted(value.values.items()))
        return repr(value.pick(lang))  # with the language used: a fallback is shown marked
    if hasattr(value, "kind") and hasattr(value, "id"):
        return f"{value.kind}:{value.id}"
    if isinstance(value, (list, tuple)):
        if _ITEM_TYPES.issuperset(map(type, value)):
            return _ids(value)
        return "[" + ",".join(item_value(v, lang, field) for v in value) + "]"
    if dataclasses.is_dataclass(value):
        return "{" + ",".join(item_value(getattr(value, name), lang, name)
                              for name in _field_names(type(value))) + "}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


@functools.cache
def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_ITEM_TYPES = frozenset((m.Source, m.Theme, m.Batch, m.District, m.Zone, m.Initiative))
_PLAIN_TYPES = frozenset((str, int, float, bool, type(None)))


def _ids(items: list) -> str:
    """item_value of a list of model objects: their ids (a district's thousands of initiatives)."""
    return "[" + ",".join([f"{v.kind}:{v.id}" for v in items]) + "]"


def item_digests(item) -> dict[str, str]:
    """The hash of `item_value` of every field of the item (but its place), as a page in each
    language shows it. In one pass, the common values first, by their exact type, written as
    item_value writes them (it is 140,000 calls at 10,000 initiatives): a value with no text in it
    reads the same in every language."""
    parts = {lang: [item.kind] for lang in m.LANGUAGES}
    for name in _field_names(type(item)):
        if name == "place":
            continue
        value = getattr(item, name)
        kind = type(value)
        if kind in _PLAIN_TYPES:
            same = repr(value)
        elif kind is m.Text and name != "name":  # a name shows in every language: item_value
            for lang, found in parts.items():
                found.append(repr(value.pick(lang)))
            continue
        elif kind in _ITEM_TYPES:
            same = f"{value.kind}:{value.id}"
        elif kind is list and _ITEM_TYPES.issuperset(map(type, value)):
            same = _ids(value)
        elif kind is m.Text or kind is dt.date:
            same = item_value(value)
        else:  # lists of texts or of records, read in each language
            for lang, found in parts.items():
                found.append(item_value(value, lang, name))
            continue
        for found in parts.values():
            found.append(same)
    return {lang: digest(*found) for lang, found in parts.items()}


def _neighbours(item) -> list:
    """Every model object one reference away from an item, in either direction."""
    out = []
    for name in _field_names(type(item)):
        value = getattr(item, name)
        values = value if isinstance(value, list) else [value]
        out.extend([v for v in values if type(v) in _ITEM_TYPES])
    return out


class Keys:
    """The key of each planned page, and of the files made from the whole model, computed when
    asked for: each item's digests once, the whole model's once. A full build asks for every key
    at once; the dev server only for the files asked for, and for the others between requests
    (devbuild.py)."""

    def __init__(self, site: m.Site, fixed: str) -> None:
        self.site, self.fixed = site, fixed
        # By id(): every item stays alive in the model meanwhile, and ids are quick to look up.
        self._digests: dict[int, dict[str, str]] = {}   # id(item) -> language -> item_digests
        self._near: dict[int, list] = {}                # id(item) -> its neighbours
        self._whole: dict[str, str] | None = None       # language -> digest of every item
        related_by: dict[int, list] = {}
        for ini in site.initiatives:
            for other in ini.related:
                related_by.setdefault(id(other), []).append(ini)
        self._related_by = related_by
        self._vocabulary = digest(*(f"{x.kind}:{x.id}:{item_value(x.name)}:{getattr(x, 'zone_kind', '')}"
                                    for name in VOCABULARIES for x in getattr(site, name)))

    def page(self, page) -> str:
        """The key of a planned page (render.Page)."""
        if page.item is None:
            return digest(self.fixed, page.path, page.template, self.whole()[page.lang])
        item = page.item
        near = self._near.get(id(item))
        if near is None:
            near = self._near[id(item)] = _neighbours(item) + self._related_by.get(id(item), [])
        return digest(self.fixed, page.path, page.template, self._vocabulary,
                      self._digest(item)[page.lang], *[self._digest(x)[page.lang] for x in near])

    def model(self) -> str:
        """The key of every file made from the whole model (search indexes, feeds, sitemap, exports)."""
        return digest(self.fixed, "whole model", *self.whole().values())

    def whole(self) -> dict[str, str]:
        """Language -> the digest of every item as a page in it shows them, in model order.
        Every language the model knows, not only the site's: together they cover every value."""
        if self._whole is None:
            items = [x for collection in self.site.collections().values() for x in collection]
            missing = repr(sorted(self.site.missing_translations))
            self._whole = {lang: digest(*(f"{x.kind}:{x.id}:{self._digest(x)[lang]}" for x in items), missing)
                           for lang in m.LANGUAGES}
        return self._whole

    def _digest(self, item) -> dict[str, str]:
        found = self._digests.get(id(item))
        if found is None:
            found = self._digests[id(item)] = item_digests(item)
        return found
