"""Files for the web besides the pages: sitemap, robots.txt, Atom feeds and data exports.

Every file is a pure function of the model and the URL policy. Dates come from the content only
(never the build day), so two builds of the same content give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from . import model as m
from .kinds import BY_FOLDER, KINDS, collections
from .languages import TABLE as LANGUAGES
from .palette import stylesheet, stylesheet_path
from .render import Part, page_path, plan_pages
from .urls import UrlPolicy

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ATOM_NS = "http://www.w3.org/2005/Atom"
# tag: URIs (RFC 4151) name feed entries when the site has no base URL to name them by: the
# site's short `name` is the authority; an entry's tag date is its item's date, the feed's a
# fixed year, so ids never change.
TAG_YEAR = "2024"
NOT_IN_SITEMAP = {"404"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def publish_makers(site: m.Site, policy: UrlPolicy) -> dict[str, Callable[[m.Site], bytes | list]]:
    """Every file's path, with the function that makes it from the model (render.render_whole
    hands it a view that records what it reads): its bytes, or, for the feeds and exports, its
    pieces, with a part per item (render.Part)."""
    makers: dict[str, Callable[[m.Site], bytes | list]] = {"robots.txt": lambda _: robots(policy)}
    if policy.base_url:
        makers["sitemap.xml"] = partial(sitemap, policy=policy)
    for lang in site.settings.languages:
        makers[policy.feed(lang)] = partial(feed, policy=policy, lang=lang)
    for kind in KINDS:
        for form in kind.exports:
            makers[f"data/{kind.folder}.{form}"] = _EXPORTS[kind.model, form]
    makers["data/site.json"] = site_json
    makers["data/site.schema.json"] = lambda _: _json(site_schema())
    if site.shapes:
        makers[stylesheet_path(len(site.batches))] = lambda s: stylesheet(len(s.batches))
    return makers


def item_date(item) -> dt.date | None:
    """The date a page's content last changed, as far as the content says.

    An item's own date (initiative, source, batch) when it has one, else its newest source; a
    theme, which cites no source, takes its newest initiative.
    """
    own = getattr(item, "date", None) or getattr(item, "announced", None)
    if own:
        return own
    if getattr(item, "sources", None):
        return _newest(s.date for s in item.sources)
    return _newest(item_date(i) for i in getattr(item, "initiatives", ()))


def _newest(dates) -> dt.date | None:
    return max((d for d in dates if d), default=None)


def page_date(site: m.Site, page) -> dt.date | None:
    """An item page's item date; a listing's newest item; any other page the newest of all."""
    if page.item is not None:
        return item_date(page.item)
    listed = collections(site)
    items = listed[BY_FOLDER[page.kind].name] if page.kind in BY_FOLDER else [x for xs in listed.values() for x in xs]
    return _newest(item_date(x) for x in items)


# -- sitemap and robots.txt ------------------------------------------------------------------


def sitemap(site: m.Site, policy: UrlPolicy) -> bytes:
    """Every page of every language, each with its alternates in the other languages."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})
    for page in sorted(plan_pages(site, policy), key=lambda p: p.path):
        if page.kind in NOT_IN_SITEMAP:
            continue
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = _public(policy, page.path)
        date = page_date(site, page)
        if date:
            ET.SubElement(url, "lastmod").text = date.isoformat()
        for lang in site.settings.languages:
            ET.SubElement(
                url,
                "xhtml:link",
                {
                    "rel": "alternate",
                    "hreflang": LANGUAGES[lang].tag,
                    "href": _public(policy, page_path(policy, lang, *page.key)),
                },
            )
    return _xml(root)


def robots(policy: UrlPolicy) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if policy.base_url:
        lines.append(f"Sitemap: {_robots_value(_public(policy, 'sitemap.xml'))}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _public(policy: UrlPolicy, path: str) -> str:
    """The public URL of an output file, in the files only a site with a base URL has."""
    url = policy.absolute(path)
    assert url is not None, "only a site with a base URL has a sitemap or absolute links"
    return url


def _robots_value(url: str) -> str:
    """A URL as one robots.txt value: a line break would start a line of its own (a forged
    Disallow:), `#` a comment, and the format is ASCII; all are %-encoded. (urls.url_problem
    refuses such base URLs; this keeps the file whole whatever reaches it.)"""
    return re.sub(r"[\x00-\x20\x7f#]|[^\x00-\x7f]", lambda m: quote(m.group(), safe=""), url)


# -- Atom feeds ------------------------------------------------------------------------------


def feed(site: m.Site, policy: UrlPolicy, lang: str) -> list:
    """Dated initiatives and the batches (the announcements), newest first: an entry per item, a
    part of its own (render.Part)."""
    path = policy.feed(lang)
    home = policy.page(lang, "home")
    items = [i for i in site.initiatives if i.date] + list(site.batches)
    items.sort(key=lambda x: (item_date(x), x.kind, x.id), reverse=True)
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": LANGUAGES[lang].tag})
    ET.SubElement(root, "title").text = site.settings.title.pick(lang)[0]
    ET.SubElement(root, "subtitle").text = site.settings.description.pick(lang)[0]
    ET.SubElement(root, "id").text = policy.absolute(path) or f"tag:{site.settings.name},{TAG_YEAR}:{path}"
    ET.SubElement(root, "updated").text = _timestamp(_newest(item_date(x) for x in items))
    ET.SubElement(root, "link", {"rel": "alternate", "type": "text/html", "href": _link(policy, path, home)})
    if policy.base_url:
        ET.SubElement(root, "link", {"rel": "self", "type": "application/atom+xml", "href": _public(policy, path)})
    ET.SubElement(ET.SubElement(root, "author"), "name").text = site.settings.title.pick(lang)[0]
    head = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    end = b"</feed>"  # the root has children (title …): it is closed by a tag of its own
    assert head.endswith(end), "a feed's head ends with its closing tag"
    entry = partial(_entry, policy, lang)
    return [head[: -len(end)], *(Part(entry, item) for item in items), end + b"\n"]


def _entry(policy: UrlPolicy, lang: str, site: m.Site, item) -> bytes:
    """An item's entry in a feed, as it is written inside it."""
    path, page, date = policy.feed(lang), policy.page(lang, item.kind, item.id), item_date(item)
    assert date is not None, "the feed holds dated initiatives and batches, which must say when announced"
    entry = ET.Element("entry")
    ET.SubElement(entry, "title").text = (item.title if item.kind == "initiative" else item.name).pick(lang)[0]
    ET.SubElement(entry, "id").text = _entry_id(policy, site.settings.name, page, date)
    ET.SubElement(entry, "updated").text = _timestamp(date)
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": _link(policy, path, page)})
    for theme in getattr(item, "themes", ()):
        ET.SubElement(entry, "category", {"term": theme.id, "label": theme.name.pick(lang)[0]})
    return ET.tostring(entry, encoding="utf-8")  # no XML declaration for UTF-8


def _entry_id(policy: UrlPolicy, name: str, page: str, date: dt.date) -> str:
    """The page's public URL, or a tag: URI that stays the same wherever the site is opened."""
    return policy.absolute(page) or f"tag:{name},{date.isoformat()}:{page}"


def _link(policy: UrlPolicy, feed: str, page: str) -> str:
    """Absolute where the site has a URL; else relative to the feed file, per the target."""
    return policy.absolute(page) or policy.href(feed, page)


def _timestamp(date: dt.date | None) -> str:
    """Midnight UTC of a content date; a feed with no entries says 1970 rather than the build day."""
    return f"{(date or dt.date(1970, 1, 1)).isoformat()}T00:00:00Z"


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# -- data exports ----------------------------------------------------------------------------


def _text(text: m.Text | None) -> dict[str, str] | None:
    return dict(text.values) if text is not None else None


def _quantity(q: m.Quantity | None) -> dict | None:
    """A qualified number: {"value": 14, "qualifier": "about", "upper": null}."""
    return {"value": q.value, "qualifier": q.qualifier, "upper": q.upper} if q is not None else None


def _named(items) -> list[dict]:
    return [{"id": x.id, "name": _text(x.name)} for x in items]


def initiative_record(i: m.Initiative) -> dict:
    """An initiative's flat record, with names beside ids, for people reusing the data."""
    return {
        "id": i.id,
        "title": _text(i.title),
        "districts": _named(i.districts),
        "zones": _named(i.zones),
        "themes": _named(i.themes),
        "batch": i.batch.id if i.batch else None,
        "date": i.date.isoformat() if i.date else None,
        "status": i.status,
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in i.sources],
    }


def initiatives_json(site: m.Site) -> list:
    """The initiatives' records, by id, a part each (render.Part)."""
    return [*_array(_records(initiative_record, _by_id(site.initiatives))), b"\n"]


def initiatives_csv(site: m.Site) -> list:
    """The records as a spreadsheet: UTF-8 with a BOM, so Excel shows every script. A title
    column per language of the site; names in its default language. A row per initiative, a
    part of its own (render.Part)."""
    langs = site.settings.languages
    names = ["id", *(f"title_{lang}" for lang in langs), "districts", "zones", "themes", "batch", "date", "status"]
    header = _csv_row([*names, "sources"])
    return ["\ufeff".encode() + header, *(Part(_csv_initiative, i) for i in _by_id(site.initiatives))]


def _csv_initiative(site: m.Site, i: m.Initiative) -> bytes:
    langs, default = site.settings.languages, site.settings.default_language
    return _csv_row(
        [
            i.id,
            *(i.title.values.get(lang, "") for lang in langs),
            _names(i.districts, default),
            _names(i.zones, default),
            _names(i.themes, default),
            i.batch.id if i.batch else "",
            i.date.isoformat() if i.date else "",
            i.status or "",
            " ".join(s.url for s in i.sources),
        ]
    )


def _csv_row(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_cell(value) for value in values])
    return out.getvalue().encode("utf-8")


def _by_id(items) -> list:
    return sorted(items, key=lambda x: x.id)


def _names(items, lang: str) -> str:
    return "; ".join(x.name.pick(lang)[0] for x in items)


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def site_json(site: m.Site) -> list:
    """The whole model; references are ids. Markdown fields are HTML, with links to other items
    written `@site:<kind>:<id>` (pages turn them into relative links). A list per kind, named by
    its folder (kinds.py), with each item's record a part of its own (render.Part); as
    `_json` writes it, keys sorted."""
    s = site.settings
    settings = {
        "title": _text(s.title),
        "description": _text(s.description),
        "intro": _text(s.intro),
        "languages": list(s.languages),
        "sources": _ids(s.sources),
    }
    members = {"settings": [_dumps(settings)]} | {
        kind.folder: _array(_records(_RECORDS[kind.model], getattr(site, kind.folder))) for kind in KINDS
    }
    pieces: list = [b"{"]
    for n, name in enumerate(sorted(members)):
        pieces += [b"," if n else b"", _dumps(name) + b":", *members[name]]
    return [*pieces, b"}\n"]


def _array(parts: list) -> list:
    """A JSON array of parts, as pieces."""
    pieces: list = [b"["]
    for n, part in enumerate(parts):
        pieces += [b",", part] if n else [part]
    return [*pieces, b"]"]


def _records(record: Callable[[Any], dict], items) -> list[Part]:
    """A part per item: its record, as JSON."""
    make = partial(_record_json, record)
    return [Part(make, x) for x in items]


def _record_json(record: Callable[[Any], dict], _: m.Site, item) -> bytes:
    return _dumps(record(item))


def _ids(items) -> list[str]:
    return [x.id for x in items]


def _batch(b: m.Batch) -> dict:
    return {
        "id": b.id,
        "name": _text(b.name),
        "announced": b.announced.isoformat(),
        "summary": _text(b.summary),
        "order": b.order,
        "sources": _ids(b.sources),
    }


def _district(d: m.District) -> dict:
    return {"id": d.id, "name": _text(d.name), "code": d.code, "summary": _text(d.summary), "sources": _ids(d.sources)}


def _zone(z: m.Zone) -> dict:
    return {
        "id": z.id,
        "name": _text(z.name),
        "kind": z.zone_kind,
        "district": z.district.id,
        "batch": z.batch.id if z.batch else None,
        "area_km2": _quantity(z.area_km2),
        "covers": [_text(x) for x in z.covers],
        "focus": [_text(x) for x in z.focus],
        "summary": _text(z.summary),
        "sources": _ids(z.sources),
    }


def _theme(t: m.Theme) -> dict:
    return {"id": t.id, "name": _text(t.name), "summary": _text(t.summary), "order": t.order}


def _initiative(i: m.Initiative) -> dict:
    return {
        "id": i.id,
        "title": _text(i.title),
        "districts": _ids(i.districts),
        "zones": _ids(i.zones),
        "themes": _ids(i.themes),
        "sources": _ids(i.sources),
        "batch": i.batch.id if i.batch else None,
        "date": i.date.isoformat() if i.date else None,
        "status": i.status,
        "announced_by": [{"name": _text(p.name), "role": _text(p.role)} for p in i.announced_by],
        "figures": [
            {"value": _text(f.value), "amount": _quantity(f.amount), "unit": _text(f.unit), "label": _text(f.label)}
            for f in i.figures
        ],
        "body": _text(i.body),
        "related": _ids(i.related),
    }


def _source(x: m.Source) -> dict:
    return {
        "id": x.id,
        "title": x.title,
        "publisher": _text(x.publisher),
        "url": x.url,
        "date": x.date.isoformat() if x.date else None,
        "language": x.language,
        "note": _text(x.note),
    }


# each kind's model class -> its record in site.json, and its own data files (kinds.py: exports)
_RECORDS: dict[type, Callable[[Any], dict]] = {
    m.Batch: _batch,
    m.District: _district,
    m.Zone: _zone,
    m.Theme: _theme,
    m.Initiative: _initiative,
    m.Source: _source,
}
_EXPORTS: dict[tuple[type, str], Callable[[m.Site], list]] = {
    (m.Initiative, "json"): initiatives_json,
    (m.Initiative, "csv"): initiatives_csv,
}


def _json(value) -> bytes:
    return _dumps(value) + b"\n"


def _dumps(value) -> bytes:
    # compact: json's fast C encoder is only used without indent
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# -- the schema of site.json -----------------------------------------------------------------


def _object(properties: dict) -> dict:
    """A closed object: all of these properties (null where absent) and no others."""
    return {"type": "object", "properties": properties, "required": sorted(properties), "additionalProperties": False}


def _texts() -> dict:
    return {
        "type": "object",
        "properties": {lang: {"type": "string"} for lang in LANGUAGES},
        "additionalProperties": False,
        "minProperties": 1,
    }


_ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
_IDS = {"type": "array", "items": _ID}
_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_STRING = {"type": "string"}


def _maybe(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


_QUANTITY = _object(
    {
        "value": {"type": "number", "exclusiveMinimum": 0},
        "qualifier": {"enum": list(m.QUALIFIERS)},
        "upper": _maybe({"type": "number", "exclusiveMinimum": 0}),
    }
)


def _list(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def _record_schemas(text: dict, langs: dict) -> dict:
    """Each kind's model class -> the schema of its records in site.json (see _RECORDS)."""
    return {
        m.Batch: _object(
            {
                "id": _ID,
                "name": text,
                "announced": _DATE,
                "summary": text,
                "order": {"type": "integer"},
                "sources": _IDS,
            }
        ),
        m.District: _object(
            {"id": _ID, "name": text, "code": {"type": "string", "minLength": 1}, "summary": text, "sources": _IDS}
        ),
        m.Zone: _object(
            {
                "id": _ID,
                "name": text,
                "kind": _ID,
                "district": _ID,
                "batch": _maybe(_ID),
                "area_km2": _maybe(_QUANTITY),
                "covers": _list(text),
                "focus": _list(text),
                "summary": text,
                "sources": _IDS,
            }
        ),
        m.Theme: _object({"id": _ID, "name": text, "summary": text, "order": {"type": "integer"}}),
        m.Initiative: _object(
            {
                "id": _ID,
                "title": text,
                "districts": _IDS,
                "zones": _IDS,
                "themes": _IDS,
                "sources": _IDS,
                "batch": _maybe(_ID),
                "date": _maybe(_DATE),
                "status": _maybe(_STRING),
                "announced_by": _list(_object({"name": text, "role": text})),
                "figures": _list(
                    _object({"value": _maybe(text), "amount": _maybe(_QUANTITY), "unit": _maybe(text), "label": text})
                ),
                "body": text,
                "related": _IDS,
            }
        ),
        m.Source: _object(
            {
                "id": _ID,
                "title": _STRING,
                "publisher": text,
                "url": {"type": "string", "format": "uri"},
                "date": _maybe(_DATE),
                "language": langs,
                "note": _maybe(text),
            }
        ),
    }


def site_schema() -> dict:
    """The JSON Schema of data/site.json: the settings, and a list per kind."""
    text, langs = _texts(), {"enum": list(LANGUAGES)}
    records = _record_schemas(text, langs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The whole site model (data/site.json)",
        **_object(
            {
                "settings": _object(
                    {"title": text, "description": text, "intro": text, "languages": _list(langs), "sources": _IDS}
                ),
                **{kind.folder: _list(records[kind.model]) for kind in KINDS},
            }
        ),
    }
