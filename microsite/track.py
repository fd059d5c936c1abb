"""What a page read: views of the model that record every value read through them.

A page (or a whole-model file) is rendered from a *view* of the model: the site, its items, their
texts and lists are wrapped so that reading a field records a key, `(owner, field, language)`:

- `owner` names the object read: "initiative:alpha-trade", "settings" or "site";
- `field` is the attribute read ("title", "initiatives", "matrix", …);
- `language` is the language a text was read in (`Text.pick`), or None when the value was read
  whole (a list, a date, a text's every language).

Nothing here predicts what a template can show: a custom template that reads a value three
references away records it like any other. `Values` gives the digest of what a key reads in a
model, so the next build can tell whether anything a page read has changed (state.py).
Reading an item's `id` or `kind` records nothing: they are what names it, and a list that holds
the item records its membership.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from . import model as m
from .kinds import KINDS, collections

ITEM_TYPES = tuple(kind.model for kind in KINDS) + (m.Media,)  # a media file: an output's one read
_ITEM_TYPES = frozenset(ITEM_TYPES)
Key = tuple  # (owner, field, language or None)


class Recorder:
    """The keys read while making one output, and the views made for it (one per object, so
    that a view compares equal to itself wherever a template meets it again)."""

    __slots__ = ("_views", "reads")

    def __init__(self) -> None:
        self.reads: set[Key] = set()
        self._views: dict[int, object] = {}

    def keys(self) -> tuple[Key, ...]:
        """The keys read, as an output keeps them (state.keep, render.Parted): a tuple, smaller
        than a set, and one the cycle collector stops tracking at its first pass, where it walks
        a set at every pass while it lives (a render worker's pages go back 64 at a time, some of
        125,000 keys at 50,000 initiatives)."""
        return tuple(self.reads)

    def site(self, site: m.Site) -> SiteView:
        return SiteView(site, "site", self)

    def wrap(self, value):
        """A value as a template may meet it: model objects and texts as views."""
        kind = type(value)
        if kind in _ITEM_TYPES:
            view = self._views.get(id(value))
            if view is None:
                view = self._views[id(value)] = View(value, f"{value.kind}:{value.id}", self)
                view.__dict__.update(id=value.id, kind=value.kind)  # they name it: never recorded
            return view
        if kind is m.Settings or kind is m.Person or kind is m.Figure:
            view = self._views.get(id(value))
            if view is None:  # a record (Person, Figure) is read as part of the field holding it
                view = self._views[id(value)] = View(value, "settings" if kind is m.Settings else None, self)
            return view
        if kind is list or kind is tuple:  # the model's lists are never changed: one view each
            view = self._views.get(id(value))
            if view is None:
                view = self._views[id(value)] = [self.wrap(v) for v in value]
            return view
        return value


class View:
    """An object of the model, recording each field read through it. A field's view is kept in
    the view's own attributes once read: reading it again costs a plain attribute look-up, and
    its key is recorded already."""

    def __init__(self, obj, owner: str | None, rec: Recorder) -> None:
        self.__dict__.update(_obj=obj, _owner=owner, _rec=rec)

    def __getattr__(self, name: str):  # only for attributes not read through this view yet
        if name.startswith("__"):
            raise AttributeError(name)  # Python's and libraries' own probes (__html__, …)
        value = getattr(self._obj, name)
        owner = self._owner
        if owner is not None and type(value) is m.Text:
            found = TextView(value, owner, name, self._rec)
        else:
            if owner is not None:
                self._rec.reads.add((owner, name, None))
            found = self._rec.wrap(value)
        self.__dict__[name] = found
        return found

    def __repr__(self) -> str:
        return f"View({self._owner})"


def model_object(view: View):
    """The object of the model a view shows."""
    return view.__dict__["_obj"]


class SiteView(View):
    """The whole model: its lists and tables, each read recorded whole."""

    @property
    def settings(self) -> View:  # the same object in every build: only its fields count
        return self._rec.wrap(self._obj.settings)

    def media_file(self, path: str) -> View:
        """One media file, not the folder: adding a file changes nothing another one read."""
        return self._rec.wrap(self._obj.media[path])

    @property
    def matrix(self) -> dict:
        self._rec.reads.add(("site", "matrix", None))
        matrix = self._obj.matrix
        view = self._rec._views.get(id(matrix))
        if view is None:
            view = self._rec._views[id(matrix)] = {cell: self._rec.wrap(items) for cell, items in matrix.items()}
        return view


class TextView:
    """A text of the model: recorded in the language it is read in."""

    __slots__ = ("_field", "_owner", "_rec", "_text")

    def __init__(self, text: m.Text, owner: str, field: str, rec: Recorder) -> None:
        self._text, self._owner, self._field, self._rec = text, owner, field, rec

    def pick(self, lang: str) -> tuple[str, str]:
        self._rec.reads.add((self._owner, self._field, lang))
        return self._text.pick(lang)

    def has(self, lang: str) -> bool:
        self._rec.reads.add((self._owner, self._field, None))
        return self._text.has(lang)

    @property
    def values(self) -> dict[str, str]:
        self._rec.reads.add((self._owner, self._field, None))
        return self._text.values


class Values:
    """The digest of what each key reads in one model, computed once per key."""

    def __init__(self, site: m.Site) -> None:
        self.owners: dict[str, object] = {"site": site, "settings": site.settings}
        for items in collections(site).values():
            self.owners.update((f"{x.kind}:{x.id}", x) for x in items)
        self.owners.update((f"media:{path}", x) for path, x in site.media.items())
        self._found: dict[Key, bytes] = {}

    def __call__(self, key: Key) -> bytes:
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = _digest(self._value(*key))
        return found

    def _value(self, owner: str, field: str, lang: str | None) -> str:
        obj = self.owners.get(owner)
        if obj is None or not hasattr(obj, field):
            return "\x00absent"
        value = getattr(obj, field)
        if lang is not None and type(value) is m.Text:
            text, used = value.pick(lang)
            return f"\x01{used}\x00{text}"  # with the language used: a fallback shows marked
        if field == "matrix":
            return repr(sorted((cell, stable(items)) for cell, items in value.items()))
        return stable(value)


def stable(value) -> str:
    """A text form of a value that changes exactly when the value does; model objects count by
    their kind and id (what they show is recorded by the reads of their own fields). A text's
    values go in as they are, each after its length (no repr: a site's texts are megabytes, and
    this form cannot be mistaken for another's)."""
    kind = type(value)
    if kind is m.Text:
        return "\x01" + "".join(f"{lang}\x00{len(v)}\x00{v}" for lang, v in sorted(value.values.items()))
    if kind in _ITEM_TYPES:
        return f"{value.kind}:{value.id}"
    if kind is list or kind is tuple:
        return "[" + ",".join(map(stable, value)) + "]"
    if dataclasses.is_dataclass(value):
        return "{" + ",".join(stable(getattr(value, f.name)) for f in dataclasses.fields(value)) + "}"
    if kind is dt.date:
        return value.isoformat()
    if kind is bytes:  # a media file's: its digest, not a repr four times its size
        return hashlib.sha256(value).hexdigest()
    return repr(value)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
