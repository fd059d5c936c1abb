"""Resolve stage: validated items become one cross-referenced model.

References become objects, with every unknown reference reported at its line (with a
suggestion); reverse links are filled in; Markdown is converted; warnings about the content as a
whole (uncited sources, districts without initiatives, missing translations) are raised here.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import fields
from operator import attrgetter
from typing import Any, NamedTuple

from . import languages, media, model as m
from .diagnostics import Diagnostics
from .kinds import BUILD_ORDER, BY_FOLDER, BY_NAME, KINDS
from .links import RelativeLink, relative_links
from .load import Content, RawItem
from .markup import CITATION, Context, Converter, Placer
from .paths import display_path
from .schema import check_id, dotted, fields_of, valid_part, validate
from .state import BuildState
from .svg import load_shapes


class _Resolver:
    def __init__(self, content: Content, diags: Diagnostics, cache: BuildState, plain: str) -> None:
        self.diags = diags
        self.plain = plain  # the site's default language
        self.raw: dict[str, dict[str, RawItem]] = {folder: {} for folder in BUILD_ORDER}
        self.clean: dict[str, dict[str, dict]] = {folder: {} for folder in BUILD_ORDER}
        self.objects: dict[str, dict[str, object]] = {folder: {} for folder in BUILD_ORDER}
        for item in content.items:
            if item.id in self.raw[item.kind]:
                diags.add(
                    item.file,
                    0,
                    0,
                    "duplicate-id",
                    f"another {BY_FOLDER[item.kind].name} has the id '{item.id}'",
                    hint=f"{self.raw[item.kind][item.id].file} has it; rename one of them",
                )
            elif check_id(item, diags):
                self.raw[item.kind][item.id] = item
        self.unreadable = content.unreadable
        known = {
            BY_FOLDER[f].name: set(items) | {i for k, i in content.unreadable if k == f}
            for f, items in self.raw.items()
        }
        self.md = Converter(Context(known, diags), cache)
        self.vocabularies: dict[str, dict] = {}  # the settings' declared terms: name -> {id: label}
        self.links: list[RelativeLink] = []  # relative Markdown links, checked once pages are planned
        self.found: list[tuple] = []  # the objects looked up while making an item: (folder, id, object)
        # what every item's making read besides its own values and the objects it looked up;
        # the same object from build to build while it is equal (BuildState.same)
        self.made_with: tuple = ()

    # -- objects ----------------------------------------------------------------------------

    def make(self, folder: str, item: RawItem, clean: dict) -> object:
        """The object of a valid item: the one a build before made, when the item outlives builds
        (the dev server's) and nothing its making read has changed; else made now, and kept."""
        kept: _Made | None = item.made
        if (
            kept is not None
            and kept.clean is clean
            and kept.made_with is self.made_with
            and all(self.objects[f].get(i) is obj for f, i, obj in kept.found)
        ):
            self.diags.items += kept.said
            self.links += kept.links
            for done in item.converted.values():  # the build state keeps the entries a build used
                self.md.cache.get("markdown", done.text, done.key)
            return kept.obj
        said, links, self.found = len(self.diags.items), len(self.links), []
        obj = _BUILD[BY_FOLDER[folder].model](self, item, clean)
        if self.md.cache.items is not None:  # the item outlives the build (_converted)
            item.made = _Made(obj, clean, self.made_with, self.found, self.diags.items[said:], self.links[links:])
        return obj

    def get(self, folder: str, item_id: str):
        """The object of an id, or None; recorded as read by the item being made."""
        obj = self.objects[folder].get(item_id)
        self.found.append((folder, item_id, obj))
        return obj

    # -- references -------------------------------------------------------------------------

    def ref(self, item: RawItem, path: tuple, folder: str, ref_id: str | None):
        """The object an id names, or None after reporting where and what was meant."""
        if ref_id is None:
            return None
        target = self.get(folder, ref_id)
        if target is not None:
            return target
        if folder == item.kind and ref_id == item.id:
            message = f"'{ref_id}' refers to the item itself"
        elif ref_id in self.raw[folder] or (folder, ref_id) in self.unreadable:
            return None  # exists but is broken: its own errors are reported already
        else:
            message = f"no {BY_FOLDER[folder].name} has the id '{ref_id}'"
        others = [f for f in BUILD_ORDER if f != folder and ref_id in self.raw[f]]
        close = difflib.get_close_matches(ref_id, list(self.raw[folder]), n=1)
        if others:
            hint = f"'{ref_id}' is a {BY_FOLDER[others[0]].name}, not a {BY_FOLDER[folder].name}"
        elif close:
            hint = f"did you mean '{close[0]}'?"
        else:
            hint = f"add content/{folder}/{ref_id}.yaml or fix the id"
        self.diags.add(item.file, *item.at(path), "unknown-reference", message, field=dotted(path), hint=hint)
        return None

    def term(self, item: RawItem, path: tuple, vocabulary: str, value: str | None) -> str | None:
        """A value from a vocabulary the settings declare (`zone_kinds`), or None after
        reporting it with the declared choices. Unchecked while the settings are broken."""
        declared = self.vocabularies.get(vocabulary)
        if declared is None or value is None or value in declared:
            return value
        close = difflib.get_close_matches(value, list(declared), n=1)
        hint = (f"did you mean '{close[0]}'? " if close else "") + (
            "site.yaml declares: " + ", ".join(declared)
            if declared
            else f"declare it in site.yaml under '{vocabulary}:'"
        )
        self.diags.add(
            item.file,
            *item.at(path),
            "bad-value",
            f"'{value}' is not one of the {vocabulary.replace('_', ' ')} site.yaml declares",
            field=dotted(path),
            hint=hint,
        )
        return None

    def refs(self, item: RawItem, name: str, folder: str, ids: list | None) -> list:
        found = [self.get(folder, ref_id) for ref_id in ids or ()]
        if None in found:  # not all known: each of the others reported where it stands
            found = [self.ref(item, (name, i), folder, ref_id) for i, ref_id in enumerate(ids or [])]
        return [obj for obj in found if obj is not None]

    # -- text -------------------------------------------------------------------------------

    def html(self, item: RawItem, name: str, text: m.Text, cited: list | None = None) -> m.Text:
        """A Markdown field's HTML per language; the ids of the sources it cites are added to
        `cited` (first-cited first)."""
        out = {}
        for lang, source in text.values.items():
            field = f"{name}.{lang}"
            done = _converted(item, field, source)
            if done is None:
                place = _placer(item, name, lang, source)
                key = BuildState.text_key(source)
                converted, ids = self.md.convert(source, item.file, field, place, key)
                links = _relative(item, field, lang, source, converted, place)
                done = _Converted(source, key, place, links, media.placeholders(converted, _folder(item)))
                if self.md.cache.items is not None:  # the item outlives the build (_converted)
                    item.converted[field] = done
            else:  # its findings said again, links and citations checked against this model, and
                # its entry looked up by its key: the build state keeps the entries a build used
                _, ids = self.md.convert(source, item.file, field, done.place, done.key)
            self.links += done.links
            out[lang] = done.html
            if cited is not None:
                cited.extend(i for i in ids if i not in cited)
        return m.Text(out)

    def cited_sources(self, item: RawItem, c: dict, *fields: str) -> tuple[list, list]:
        """The item's sources (those listed, then those cited inline but not listed) and its
        Markdown fields' HTML."""
        sources = self.refs(item, "sources", "sources", c.get("sources"))
        cited: list[str] = []
        texts = [self.html(item, name, c[name], cited) for name in fields]
        for source_id in cited:
            source = self.get("sources", source_id)
            if source is not None and source not in sources:
                sources.append(source)
        return sources, texts


def _relative(item: RawItem, field: str, lang: str, source: str, html_text: str, place: Placer) -> list[RelativeLink]:
    """The relative links of one converted text, each at its place in the file (where the
    source writes it as `(href`; else at the field)."""
    owner = ("home", None) if item.kind == "site" else (BY_FOLDER[item.kind].name, item.id)
    found = []
    for href in relative_links(html_text):
        at = source.find("(" + href) + 1
        where = place((source.count("\n", 0, at), at - source.rfind("\n", 0, at) - 1) if at else None)
        found.append(RelativeLink(owner, lang, href, item.file, *where, field, _folder(item)))
    return found


class _Made(NamedTuple):
    """What making an item's object read and said, kept with an item that outlives the build."""

    obj: object
    clean: dict  # the item's valid values it was made from
    made_with: tuple  # _Resolver.made_with then
    found: list[tuple]  # the objects it looked up: (folder, id, object or None)
    said: list  # the diagnostics its making added
    links: list[RelativeLink]  # the relative links of its texts


class _Converted(NamedTuple):
    """What a text of an item gave: kept with an item that outlives the build (_converted)."""

    text: str
    key: str  # BuildState.text_key(text): its results in the build state
    place: Placer  # where a position in the text is in the file
    links: list[RelativeLink]
    html: str  # with media placeholders


def _converted(item: RawItem, field: str, text: str) -> _Converted | None:
    """What converting `text` gave when the item's `field` held it, or None. An item read once
    and kept (the dev server's build state) holds it from build to build: the same text gives
    the same."""
    done = item.converted.get(field)
    return done if done is not None and done.text is text else None


def _folder(item: RawItem) -> str:
    """The folder of an item's file below the content folder ("" for site.yaml)."""
    return "" if item.kind == "site" else item.kind


def _placer(item: RawItem, name: str, lang: str, text: str) -> Placer:
    """Maps a (line, column) within the item's text `name` in `lang` (0-based) to the file. A
    text with a line break is a block scalar (`|`): it starts on the line after its key, indented
    two columns past the key, as in every example of docs/content.md; a one-line text starts
    where its value does."""
    path = (name, lang) if (name, lang) in item.values else (name,)
    value_at, key_at, block = item.at(path), item.at(path, key=True), "\n" in text

    def place(at: tuple[int, int] | None) -> tuple[int, int]:
        if at is None:
            return value_at
        line, column = at
        if block:
            return value_at[0] + 1 + line, key_at[1] + 2 + column
        return value_at[0] + line, value_at[1] + column

    return place


def resolve(content: Content, diags: Diagnostics, cache: BuildState | None = None, jobs: int = 1) -> m.Site | None:
    """The model, or None when the content has errors (every one of them reported).
    Markdown the cache has converted before is not converted again (state.py); the rest is
    converted up front, in `jobs` processes when there is much of it."""
    plain = default_language(content.settings)
    r = _Resolver(content, diags, cache or BuildState(None, {}), plain)
    settings_clean = validate(content.settings, diags, plain) if content.settings else None
    r.clean["site"] = {"site": settings_clean} if settings_clean is not None else {}
    if settings_clean is not None:
        r.vocabularies = {"zone_kinds": settings_clean.get("zone_kinds") or {}}
    for folder in BUILD_ORDER:
        for item_id, item in sorted(r.raw[folder].items()):
            clean = validate(item, diags, plain)
            if clean is not None:
                r.clean[folder][item_id] = clean
    r.md.warm(_markdown_texts(r, content.settings), jobs)
    declared = {name: list(terms) for name, terms in r.vocabularies.items()}  # making reads no label
    r.made_with = r.md.cache.same("made with", (r.md.ctx.known, plain, declared))
    for folder in BUILD_ORDER:
        for item_id, clean in r.clean[folder].items():
            r.objects[folder][item_id] = r.make(folder, r.raw[folder][item_id], clean)
    named = _check_failed(r)
    if content.settings is None or settings_clean is None:
        return None
    settings = _settings(r, content.settings, settings_clean)
    if settings is None:
        return None
    kinds: dict[str, Any] = {folder: _sorted(folder, r.objects[folder].values(), plain) for folder in BUILD_ORDER}
    site = m.Site(
        settings=settings,
        shapes=_shapes(content, settings_clean, diags),
        relative_links=r.links,
        media={
            path: m.Media(path, data)
            for path, data in content.data_files.items()
            if path.startswith(media.FOLDER + "/")
        },
        **kinds,
    )
    link_back(site, r.md.cache)
    _check_codes(site, diags)
    site.missing_translations = _warn_translations(r, content, settings.languages)
    _warn_content(site, diags, named, {kind for kind, _ in content.unreadable})
    _warn_repeats(r, [content.settings] + [r.raw[f][i] for f in BUILD_ORDER for i in r.clean[f]], diags)
    return site


def _markdown_texts(r: _Resolver, settings: RawItem | None) -> list[str]:
    """Every Markdown source text of the validated items, in every language, but those an item
    kept from a build before has converted (_converted, _Resolver.make)."""
    texts: list[str] = []
    for folder, items in r.clean.items():
        for item_id, c in items.items():
            raw = settings if folder == "site" else r.raw[folder][item_id]
            assert raw is not None, "the settings are clean only when there is a settings file"
            if raw.made is not None and raw.made.clean is c:
                continue  # made from these values before: each of its texts was converted then
            for name in _markdown_fields(folder, c):
                texts.extend(t for lang, t in c[name].values.items() if not _converted(raw, f"{name}.{lang}", t))
    return texts


def _markdown_fields(kind: str, clean: dict) -> list[str]:
    """The Markdown fields of an item of `kind` ("site": the settings) that its clean values hold."""
    return [name for name, spec in fields_of(kind).items() if spec.type == "markdown" and clean.get(name)]


def _shapes(content: Content, settings: dict, diags: Diagnostics) -> tuple:
    """The areas' boundaries for the maps, from the GeoJSON file site.yaml names (`map: {file:
    …}`); a site that names none has no map. A named file that is missing, and a boundaries file
    in geo/ that nothing names, are `map-file` warnings: either way a map the editor meant to
    show is not shown."""
    named = (settings.get("map") or {}).get("file")
    for name in sorted(content.data_files):
        if name.startswith("geo/") and name.endswith(".geojson") and name != named:
            diags.add(
                display_path(content.root / name),
                1,
                1,
                "map-file",
                "no map is drawn from this boundaries file: site.yaml does not name it",
                hint=f"name it in site.yaml: 'map: {{file: {name}}}', or delete it",
            )
    if named is None:
        return ()
    if named not in content.data_files:
        found = [n for n in sorted(content.data_files) if n.endswith(".geojson")]
        assert content.settings is not None, "the clean settings come from the settings file"
        diags.add(
            content.settings.file,
            *content.settings.at(("map", "file")),
            "map-file",
            f"the map file '{named}' does not exist, so the site has no map",
            field="map.file",
            hint="files in geo/: " + ", ".join(found) if found else "put the GeoJSON file in geo/",
        )
        return ()
    try:
        return load_shapes(content.data_files[named].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        diags.add(display_path(content.root / named), 1, 1, "bad-geodata", f"unreadable boundaries: {err}")
        return ()


def _check_codes(site: m.Site, diags: Diagnostics) -> None:
    codes = {shape.code for shape in site.shapes}
    for d in site.districts:
        if codes and d.code not in codes:
            diags.add(
                d.place.file,
                d.place.line,
                d.place.column,
                "bad-value",
                f"no area on the map has the code '{d.code}'",
                field="code",
                hint="use a code from the map file site.yaml names",
            )


def default_language(settings: RawItem | None) -> str:
    """The language of plain texts: `default_language` in the settings, else the first of their
    `languages`, else the table's first. Read before the settings are validated, as their own
    plain texts are in it; a value that is no language is reported by validation."""
    data = settings.data if settings is not None and isinstance(settings.data, dict) else {}
    built = data.get("languages")
    for lang in (data.get("default_language"), built[0] if isinstance(built, list) and built else None):
        if isinstance(lang, str) and lang in languages.TABLE:
            return lang
    return languages.codes()[0]


def _settings(r: _Resolver, item: RawItem, c: dict) -> m.Settings | None:
    from .urls import normalise_base_url

    sources, (intro,) = r.cited_sources(item, c, "intro")
    built = c.get("languages") or languages.codes()
    default = c.get("default_language") or built[0]
    if default not in built:
        r.diags.add(
            item.file,
            *item.at(("default_language",)),
            "bad-value",
            f"the default language '{default}' is not one the site is built in",
            field="default_language",
            hint="add it to 'languages:' or name one of " + ", ".join(built),
        )
        return None
    areas = c.get("areas")
    return m.Settings(
        title=c["title"],
        description=c["description"],
        intro=intro,
        languages=built,
        default_language=default,
        base_url=normalise_base_url(c.get("base_url")),
        strict=c.get("strict", False),
        severity=c.get("severity", {}),
        sources=sources,
        name=c.get("name") or m.Settings.name,
        map_credit=(c.get("map") or {}).get("credit"),
        areas=m.Areas(areas["one"], areas["many"]) if areas else None,
        zone_kinds=c.get("zone_kinds") or {},
    )


def _place(item: RawItem) -> m.Place:
    return m.Place(item.file, *item.at(()))


def _source(r, item, c):
    return m.Source(
        item.id, _place(item), c["title"], c["publisher"], c["url"], c.get("date"), c["language"], c.get("note")
    )


def _theme(r, item, c):
    return m.Theme(item.id, _place(item), c["name"], c["summary"], c["order"])


def _batch(r, item, c):
    sources, (summary,) = r.cited_sources(item, c, "summary")
    return m.Batch(item.id, _place(item), c["name"], c["announced"], summary, c["order"], sources)


def _district(r, item, c):
    sources, (summary,) = r.cited_sources(item, c, "summary")
    return m.District(item.id, _place(item), c["name"], c["code"], summary, sources)


def _zone(r, item, c):
    sources, (summary,) = r.cited_sources(item, c, "summary")
    return m.Zone(
        item.id,
        _place(item),
        c["name"],
        r.term(item, ("kind",), "zone_kinds", c["kind"]),
        r.ref(item, ("district",), "districts", c["district"]),
        r.ref(item, ("batch",), "batches", c.get("batch")),
        c.get("area_km2"),
        c.get("covers", []),
        c.get("focus", []),
        summary,
        sources,
    )


def _initiative(r, item, c):
    zones = r.refs(item, "zones", "zones", c.get("zones"))
    districts = r.refs(item, "districts", "districts", c.get("districts"))
    for zone in zones:
        if zone.district and zone.district not in districts:
            districts.append(zone.district)
    sources, (body,) = r.cited_sources(item, c, "body")
    return m.Initiative(
        item.id,
        _place(item),
        c["title"],
        _sorted("districts", districts, r.plain),
        zones,
        _sorted("themes", r.refs(item, "themes", "themes", c["themes"]), r.plain),
        sources,
        r.ref(item, ("batch",), "batches", c.get("batch")),
        c.get("date"),
        c.get("status"),
        [m.Person(p["name"], p["role"]) for p in c.get("announced_by", []) if p],
        [m.Figure(f.get("value"), f["label"], f.get("amount"), f.get("unit")) for f in c.get("figures", []) if f],
        body,
    )


_BUILD = {
    m.Source: _source,
    m.Theme: _theme,
    m.Batch: _batch,
    m.District: _district,
    m.Zone: _zone,
    m.Initiative: _initiative,
}  # each kind's model class -> how its items are made


_BY_ID = attrgetter("id")  # a key in C: sorts run several times per initiative


def _sorted(folder: str, items, lang: str) -> list:
    """The one order of each kind (kinds.py), always ending in the unique id; `lang` is the
    site's default language, in which labels sort."""
    kind = BY_FOLDER[folder]
    if kind.sort == "order":
        return sorted(items, key=attrgetter("order", "id"))
    if kind.sort == "label":
        label = attrgetter(kind.label)
        return sorted(items, key=lambda x: (label(x).pick(lang)[0].casefold(), x.id))
    return sorted(items, key=_BY_ID)


_REVERSE = {
    kind.model: [f.name for f in fields(kind.model) if f.default_factory is list] for kind in KINDS
}  # the fields link_back fills: those an object is made without


def link_back(site: m.Site, cache: BuildState) -> None:
    """Fill every reverse link, so each reference can be followed both ways. Emptied first: an
    object may be one a build before made and linked (_Resolver.make)."""
    for kind in KINDS:
        for obj in getattr(site, kind.folder):
            for name in _REVERSE[kind.model]:
                setattr(obj, name, [])
    lang = site.settings.default_language
    for zone in site.zones:
        if zone.district:
            zone.district.zones.append(zone)
            if zone.batch and zone.batch not in zone.district.batches:
                zone.district.batches.append(zone.batch)
        if zone.batch:
            zone.batch.zones.append(zone)
    for item in site.batches + site.districts + site.zones + site.initiatives:
        for source in item.sources:
            source.cited_by.append(item)
    for source in site.settings.sources:
        source.cited_by.append(site.settings)
    by_theme_district = defaultdict(list)
    for ini in site.initiatives:
        for target in ini.districts + ini.zones + ini.themes + ([ini.batch] if ini.batch else []):
            target.initiatives.append(ini)
        for d in ini.districts:
            for t in ini.themes:
                by_theme_district[(d.id, t.id)].append(ini)
    site.matrix = dict(by_theme_district)
    for district in site.districts:
        district.batches = _sorted("batches", district.batches, lang)
    _relate(site, cache)


_RELATED_BY = (("zones", 3), ("districts", 2), ("themes", 1))  # points for sharing one


def _relate(site: m.Site, cache: BuildState, limit: int = 5, reach: int = 4) -> None:
    """Each initiative's related ones: those sharing a zone (3 points each), a district (2) or a
    theme (1), most points first, then by id.

    Only each group's near neighbours (in its sorted list) are candidates, so the cost per
    initiative stays bounded however large a district or theme grows. The ranking depends only
    on the groups' lists of initiatives, so the build state keeps it by them (most edits change
    no list: a fifth of a second at 10,000 initiatives).
    """
    groups = [(getattr(site, kind), weight) for kind, weight in _RELATED_BY]
    lists = "\n".join(f"{weight} " + ",".join(map(_BY_ID, g.initiatives)) for kind, weight in groups for g in kind)
    ranked = cache.get("related", lists)
    if ranked is None:
        ranked = _ranked(groups, limit, reach)
        cache.put("related", lists, ranked)
    by_id = {ini.id: ini for ini in site.initiatives}
    for ini in site.initiatives:
        ini.related = [by_id[other] for other in ranked.get(ini.id, ())]


def _ranked(groups: list, limit: int, reach: int) -> dict[str, tuple[str, ...]]:
    """_relate's ranking: each initiative's id -> the ids of its related ones."""
    scores: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for kind, weight in groups:
        for group in kind:
            members = group.initiatives
            for at, ini in enumerate(members):
                score = scores[ini.id]
                for other in members[max(0, at - reach) : at + reach + 1]:
                    score[other.id] += weight
    related = {}
    for ini_id, score in scores.items():
        score.pop(ini_id, None)
        ranked = sorted(score)
        ranked.sort(key=score.__getitem__, reverse=True)  # stable: equal points stay by id
        related[ini_id] = tuple(ranked[:limit])
    return related


def _warn_translations(r: _Resolver, content: Content, languages: tuple) -> list:
    """Warn about every text missing a language; the list feeds the editors' report page."""
    missing = []
    items = [content.settings] if content.settings else []
    items += [i for folder in BUILD_ORDER for i in r.raw[folder].values() if i.id in r.clean[folder]]
    for item in items:
        for path, text in _partly_translated(item, r.clean[item.kind].get(item.id) or {}):
            for lang in languages:
                if not text.has(lang):
                    missing.append((item.file, item.at(path)[0], dotted(path), lang))
                    r.diags.add(
                        item.file,
                        *item.at(path),
                        "missing-translation",
                        f"no {lang} text",
                        field=dotted(path),
                        hint=f"add '{lang}:' under this field",
                    )
    return missing


def _partly_translated(item: RawItem, clean: dict) -> list:
    """The texts of an item's clean values that lack a language, with their paths: found once per
    item, like its clean values (the dev server's build state shares items between builds)."""
    if item.partly_translated is None:
        item.partly_translated = [
            (path, text) for path, text in _texts(clean, ()) if text.values and len(text.values) < len(languages.TABLE)
        ]
    return item.partly_translated


def _texts(value, path):
    """Every Text in a validated value, with its path."""
    if isinstance(value, m.Text):
        yield path, value
    elif isinstance(value, dict):
        for key, v in value.items():
            yield from _texts(v, path + (key,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, path + (i,))


def _check_failed(r: _Resolver) -> set[tuple[str, str]]:
    """Check the references and citations of the items with errors, as those of any other item:
    every mistake in one run. Returns what they name, (folder, id): a warning that nothing links
    to one of these may only be the failed item's doing."""
    named = set()
    for folder in BUILD_ORDER:
        for item_id, item in sorted(r.raw[folder].items()):
            if item_id in r.clean[folder]:
                continue
            part = valid_part(item)
            for name, spec in fields_of(folder).items():
                if spec.type == "ref" and part.get(name) is not None:
                    ids = part[name] if spec.many else [part[name]]
                    paths = [(name, i) for i in range(len(ids))] if spec.many else [(name,)]
                    for path, ref_id in zip(paths, ids, strict=True):
                        r.ref(item, path, spec.ref, ref_id)
                        named.add((spec.ref, ref_id))
                elif spec.type == "term" and part.get(name) is not None:
                    r.term(item, (name,), spec.ref, part[name])
                elif spec.type == "markdown" and part.get(name) is not None:
                    cited: list[str] = []
                    r.html(item, name, part[name], cited)
                    named.update(("sources", source_id) for source_id in cited)
    return named


def _warn_content(site: m.Site, diags: Diagnostics, named: set, unreadable: set[str]) -> None:
    """Warnings about what the content lacks. Nothing links to a district, zone or source that an
    item with errors names (`named`), and, while a file of a kind that could link to it cannot
    be read at all (`unreadable`), to none of that kind: such a warning is not said."""
    for ini in site.initiatives:
        if ini.date is None and ini.status is None:
            diags.add(
                ini.place.file,
                ini.place.line,
                ini.place.column,
                "no-date-or-status",
                "the initiative has neither a date nor a status",
                hint="add 'date:' or 'status:' where a source states it",
            )
    for item in site.districts + site.zones:
        folder = BY_NAME[item.kind].folder
        if (folder, item.id) in named or unreadable & _naming(folder):
            continue
        if not item.initiatives:
            diags.add(
                item.place.file,
                item.place.line,
                item.place.column,
                "no-initiatives",
                f"the {item.kind} has no initiative",
                hint="add an initiative, or say in the summary that none has been published",
            )
    uncited = [] if unreadable - {"sources"} else site.sources
    for source in uncited:
        if not source.cited_by and ("sources", source.id) not in named:
            diags.add(
                source.place.file,
                source.place.line,
                source.place.column,
                "uncited-source",
                "no item cites this source",
                hint="cite it in an item's 'sources:' or delete it",
            )


def _naming(folder: str) -> set[str]:
    """The folders whose items can link to an item of `folder`: by naming it, or by naming an
    item that does (an initiative's zone puts the initiative on the zone's district)."""
    found: set[str] = set()
    todo = [folder]
    while todo:
        target = todo.pop()
        for kind in KINDS:
            if target in kind.refs() and kind.folder not in found:
                found.add(kind.folder)
                todo.append(kind.folder)
    return found


REPEAT_WORDS = 12  # a sentence this long, word for word in two items, is copied boilerplate
_SENTENCE = re.compile(r"(?:[^.!?。！？]|\.(?=\w))+[.!?。！？]*")  # "24.6" and "e.g" do not end one
_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`#>|]")  # keep a link's text only
_WORDS = re.compile(r"[^\W\d_]+|\d[\d.,]*")
_HAN = re.compile(r"[\u3400-\u9fff]")
_HAN_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")


def _warn_repeats(r: _Resolver, items: list, diags: Diagnostics) -> None:
    """Warn where a sentence of REPEAT_WORDS words or more is also in an earlier item's text.
    Citations and Markdown are left out of the comparison; two Han characters count as a word."""
    first: dict[str, RawItem] = {}
    for item in items:
        for name, lang, text, key, found in _long_sentences(r, item):
            r.md.cache.put("sentences", text, found, key)  # kept for the next build
            for start, sentence in found:
                seen = first.setdefault(sentence, item)
                if seen is not item:
                    place = _placer(item, name, lang, text)
                    line = text.count("\n", 0, start)
                    column = start - (text.rfind("\n", 0, start) + 1)
                    diags.add(
                        item.file,
                        *place((line, column)),
                        "repeated-sentence",
                        f"this sentence is also in {seen.file}: '{sentence[:60]}…'",
                        field=f"{name}.{lang}",
                        hint="say what the sources say of this item, in its own words",
                    )


def _long_sentences(r: _Resolver, item: RawItem) -> list[tuple]:
    """(field, language, text, its key, its _sentences) of each Markdown text of the item's
    clean values: found once per item, like its clean values (the dev server keeps items), and
    each text's sentences kept in the build state with the text's conversion."""
    if item.sentences is None:
        clean = r.clean[item.kind].get(item.id) or {}
        item.sentences = []
        for name in _markdown_fields(item.kind, clean):
            for lang, text in clean[name].values.items():
                done = _converted(item, f"{name}.{lang}", text)
                key = done.key if done else BuildState.text_key(text)
                found = r.md.cache.get("sentences", text, key)
                if found is None:
                    found = list(_sentences(text))
                item.sentences.append((name, lang, text, key, found))
    return item.sentences


def _sentences(text: str):
    """(offset, normalised sentence) of each long sentence of a Markdown text."""
    for match in _SENTENCE.finditer(CITATION.sub(lambda mt: " " * len(mt.group()), text)):
        plain = " ".join(_MARKUP.sub(r"\1", match.group()).split()).casefold()
        plain = _HAN_GAP.sub("", plain)  # a line break inside Chinese text is no space
        if len(_WORDS.findall(_HAN.sub(" ", plain))) + len(_HAN.findall(plain)) // 2 >= REPEAT_WORDS:
            yield match.start() + len(match.group()) - len(match.group().lstrip()), plain
