"""The content kinds: one row each, the one place that says what kinds there are.

Every stage reads a kind's facts from its row: its content folder (also its URL folder, its
listing page and its list in the model and in data/site.json), its fields (validation and the
editors' JSON Schema), its model class, how its lists sort, its page templates, where its search
results rank, its menu entry, its schema.org type and its own data files. What a kind's items
are made of and how a page shows them stays code (a model class, a resolve function, templates),
keyed by the model class or chosen by a template, never by a list of kind names.

Rows are in the order pages, menus and exports list the kinds; the model is built in
`BUILD_ORDER`, each kind after those it refers to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import attrgetter

from . import model as m


@dataclass(frozen=True)
class F:
    """One field: its type, whether it is required, and (for refs) the kind it names."""

    type: str  # text, markdown, neutral (alike in all languages), string, url, date, int,
    #                            number, quantity, bool, id, enum, ref, lang, langs, severities, object,
    #                            terms (a vocabulary: id -> text), term (an id from a vocabulary)
    required: bool = False
    many: bool = False  # a list of values of this type
    min_items: int = 0
    ref: str = ""  # for ref: the folder of the kind it names; for term: the settings
    #                            field declaring the vocabulary
    choices: tuple = ()
    fields: dict = field(default_factory=dict)  # for object
    doc: str = ""
    limit: float = math.inf  # for number and quantity: the largest value allowed


STATUSES = ("announced", "in-progress", "in-effect", "completed")
MAX_AREA_KM2 = 149_000_000  # about the land area of the Earth: anything larger is a typo

SOURCES = F("ref", required=True, many=True, min_items=1, ref="sources", doc="ids of the sources it rests on")


@dataclass(frozen=True)
class Kind:
    name: str  # one item's word: its pages' kind, `name:id` links, the catalogue's `kind.<name>`
    folder: str  # content/<folder>/, the URL folder, the model's and data/site.json's list
    model: type  # its class in model.py
    fields: dict  # field name -> F: what its files may hold
    label: str = "name"  # the field that names an item (links, feeds, search results)
    sort: str = "id"  # lists sort by "id", by "order" then id, or by "label" in the default language
    text: str = "summary"  # its own text, whose first sentence lists show under its name
    plain: bool = False  # that text is plain text, not Markdown
    search: int | None = None  # where its results come among equally ranked ones; None: not searched
    nav: int | None = None  # its listing's place in the site's menu; None: not in the menu
    linked_data: str = ""  # the schema.org type its page's JSON-LD describes it as ("": none)
    exports: tuple = ()  # data files of its own besides data/site.json: "json", "csv"

    @property
    def template(self) -> str:
        """Each item's page template."""
        return f"{self.name}.html"

    @property
    def listing_template(self) -> str:
        return f"{self.folder}.html"

    @property
    def schema_title(self) -> str:
        """The title of its JSON Schema (`build.py schema`)."""
        return f"microsite {self.name} item"

    def refs(self) -> set[str]:
        """The folders of the kinds its fields name."""
        return {spec.ref for spec in self.fields.values() if spec.type == "ref"}


KINDS: tuple[Kind, ...] = (
    Kind(
        "batch",
        "batches",
        m.Batch,
        {
            "id": F("id"),
            "name": F("text", True),
            "announced": F("date", True),
            "summary": F("markdown", True),
            "order": F("int", True),
            "sources": SOURCES,
        },
        sort="order",
        search=3,
    ),
    Kind(
        "district",
        "districts",
        m.District,
        {
            "id": F("id"),
            "name": F("text", True),
            "code": F("string", True, doc="six-digit administrative code"),
            "summary": F("markdown", True),
            "sources": SOURCES,
        },
        search=0,
        nav=0,
        linked_data="AdministrativeArea",
    ),
    Kind(
        "zone",
        "zones",
        m.Zone,
        {
            "id": F("id"),
            "name": F("text", True),
            "kind": F("term", True, ref="zone_kinds", doc="one of the zone kinds declared in site.yaml"),
            "district": F("ref", True, ref="districts"),
            "batch": F("ref", ref="batches"),
            "area_km2": F(
                "quantity",
                limit=MAX_AREA_KM2,
                doc="area in km², only where a source states it, qualified as the source does",
            ),
            "covers": F("text", many=True, doc="key areas it covers"),
            "focus": F("text", many=True, doc="focus industries"),
            "summary": F("markdown", True),
            "sources": SOURCES,
        },
        search=1,
        nav=1,
        linked_data="Place",
    ),
    Kind(
        "theme",
        "themes",
        m.Theme,
        {
            "id": F("id"),
            "name": F("text", True),
            "summary": F("text", True),
            "order": F("int", True),
        },
        sort="order",
        plain=True,
        search=2,
        nav=2,
    ),
    Kind(
        "initiative",
        "initiatives",
        m.Initiative,
        {
            "id": F("id"),
            "title": F("text", True),
            "districts": F("ref", many=True, ref="districts"),
            "zones": F("ref", many=True, ref="zones"),
            "themes": F("ref", True, many=True, min_items=1, ref="themes"),
            "sources": SOURCES,
            "batch": F("ref", ref="batches"),
            "date": F("date"),
            "status": F("enum", choices=STATUSES),
            "announced_by": F("object", many=True, fields={"name": F("text", True), "role": F("text", True)}),
            "figures": F(
                "object",
                many=True,
                fields={
                    "value": F("neutral", doc="the figure as text, e.g. '6+1'"),
                    "amount": F("quantity", doc="the figure as a number, qualified as the source does"),
                    "unit": F("text", doc="the amount's unit, e.g. km²"),
                    "label": F("text", True),
                },
            ),
            "body": F("markdown", True),
        },
        label="title",
        sort="label",
        text="body",
        search=4,
        nav=3,
        linked_data="CreativeWork",
        exports=("json", "csv"),
    ),
    Kind(
        "source",
        "sources",
        m.Source,
        {
            "id": F("id"),
            "title": F("string", True),
            "publisher": F("text", True),
            "url": F("url", True),
            "date": F("date", doc="publication date, where the page shows one"),
            "language": F("lang", True),
            "note": F("text"),
        },
        label="title",
        text="note",
        plain=True,
        search=5,
        nav=4,
    ),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
BY_FOLDER: dict[str, Kind] = {kind.folder: kind for kind in KINDS}
SEARCHED: tuple[Kind, ...] = tuple(sorted((k for k in KINDS if k.search is not None), key=attrgetter("search")))
MENU: tuple[Kind, ...] = tuple(sorted((k for k in KINDS if k.nav is not None), key=attrgetter("nav")))


def _build_order() -> tuple[str, ...]:
    """The folders in an order where each kind comes after the kinds it refers to."""
    done: list[str] = []
    while len(done) < len(KINDS):
        ready = next((k for k in KINDS if k.folder not in done and k.refs() - {k.folder} <= set(done)), None)
        if ready is None:
            raise ValueError(
                "kinds.py: kinds refer to each other in a circle: "
                + ", ".join(k.folder for k in KINDS if k.folder not in done)
            )
        done.append(ready.folder)
    return tuple(done)


BUILD_ORDER = _build_order()


def collections(site) -> dict[str, list]:
    """Kind name -> the site's items of that kind; through a view of the model (track.py), each
    list read is recorded."""
    return {kind.name: getattr(site, kind.folder) for kind in KINDS}
