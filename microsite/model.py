"""The model: plain, typed data that rendering reads and never changes.

Built once by `resolve`; references are objects (an initiative's districts are District objects),
and reverse links (a district's initiatives, a source's citations) are filled in by `resolve` too.
Every list is sorted, ending in the unique id, so output order never depends on file order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from .languages import TABLE as _LANGUAGES


def shown_language(languages: Collection[str], lang: str) -> str:
    """The language a value kept in `languages` (in the table's order) shows in `lang`: `lang`
    itself, else the first, the fallback; `lang` when there is none."""
    return lang if lang in languages else next(iter(languages), lang)


class Text:
    """A human-readable value in one or more languages."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, str]) -> None:
        self.values = {lang: values[lang] for lang in _LANGUAGES if values.get(lang)}  # in the table's order

    def has(self, lang: str) -> bool:
        return lang in self.values

    def pick(self, lang: str) -> tuple[str, str]:
        """The text in `lang`, or in the first language that has it, with the language used."""
        if lang in self.values:  # the common case, without a call: every page picks thousands
            return self.values[lang], lang
        shown = shown_language(self.values, lang)
        return self.values.get(shown, ""), shown

    def __repr__(self) -> str:
        return f"Text({self.values!r})"


@dataclass(frozen=True)
class Place:
    """Where an item comes from, for diagnostics raised after loading."""

    file: str
    line: int = 1
    column: int = 1


@dataclass(eq=False)
class Source:
    id: str
    place: Place
    title: str
    publisher: Text
    url: str
    date: dt.date | None  # None: the page shows no publication date
    language: str
    note: Text | None = None
    cited_by: list = field(default_factory=list)  # items citing it, sorted by kind then id
    kind = "source"


@dataclass(eq=False)
class Theme:
    id: str
    place: Place
    name: Text
    summary: Text
    order: int
    initiatives: list = field(default_factory=list)
    kind = "theme"


@dataclass(eq=False)
class Batch:
    id: str
    place: Place
    name: Text
    announced: dt.date
    summary: Text  # HTML per language
    order: int
    sources: list
    zones: list = field(default_factory=list)
    initiatives: list = field(default_factory=list)
    kind = "batch"


@dataclass(eq=False)
class District:
    id: str
    place: Place
    name: Text
    code: str
    summary: Text  # HTML per language
    sources: list
    zones: list = field(default_factory=list)
    initiatives: list = field(default_factory=list)
    batches: list = field(default_factory=list)  # batches that named a zone here
    kind = "district"


@dataclass(eq=False)
class Zone:
    id: str
    place: Place
    name: Text
    zone_kind: str
    district: District
    batch: Batch | None  # None: the site does not group its zones in batches
    area_km2: Quantity | None
    covers: list
    focus: list
    summary: Text  # HTML per language
    sources: list
    initiatives: list = field(default_factory=list)
    kind = "zone"


@dataclass(frozen=True)
class Person:
    name: Text
    role: Text


@dataclass(frozen=True)
class Quantity:
    """A number as the source gives it: exact, "about", "over", "nearly", or a range."""

    value: float  # the number, or a range's lower end
    qualifier: str = "exact"  # one of QUALIFIERS
    upper: float | None = None  # a range's upper end

    def bounds(self) -> tuple[float, float]:
        """For sorting and comparing: the lower and upper ends."""
        return self.value, self.upper if self.upper is not None else self.value


QUALIFIERS = ("exact", "about", "over", "nearly", "range")


@dataclass(frozen=True)
class Figure:
    value: Text | None  # a figure written as text ("6+1")
    label: Text
    amount: Quantity | None = None  # or as a number with its qualifier and unit
    unit: Text | None = None


@dataclass(eq=False)
class Initiative:
    id: str
    place: Place
    title: Text
    districts: list  # its own districts plus those of its zones
    zones: list
    themes: list
    sources: list
    batch: Batch | None
    date: dt.date | None
    status: str | None
    announced_by: list
    figures: list
    body: Text  # HTML per language
    related: list = field(default_factory=list)
    kind = "initiative"


@dataclass(eq=False)
class Media:
    """A file of the content's media folder (media.py), copied into the site as it is."""

    id: str  # its path below the content folder, the same in the site: "media/chart.png"
    data: bytes
    kind = "media"


@dataclass
class Settings:
    title: Text
    description: Text
    intro: Text  # HTML per language
    languages: tuple
    default_language: str  # of plain texts, and of the titles lists sort by (languages.py)
    base_url: str | None
    strict: bool
    severity: dict
    sources: list
    name: str = "microsite"  # the offline bundle's file name, the feed's tag: ids
    map_credit: Text | None = None  # where the map's boundaries come from
    areas: Areas | None = None  # what the site calls its areas; None: the theme's word
    zone_kinds: dict = field(default_factory=dict)  # zone kind id -> label (Text), as declared


@dataclass(frozen=True)
class Areas:
    """What a site calls the areas of its map ("district", 区), one and several."""

    one: Text
    many: Text


@dataclass
class Site:
    """The whole resolved model: a list of items per kind (kinds.py), named by the kind's folder."""

    settings: Settings
    batches: list
    districts: list
    zones: list
    themes: list
    initiatives: list
    sources: list
    shapes: tuple  # district boundaries for the maps (svg.Shape)
    matrix: dict = field(default_factory=dict)  # (district id, theme id) -> [initiatives]
    missing_translations: list = field(default_factory=list)  # (file, line, field, language)
    relative_links: list = field(default_factory=list)  # links.RelativeLink: checked against the plan
    media: dict = field(default_factory=dict)  # path -> Media
