"""Validate stage: the fields of each kind, checked against the parsed YAML.

One table of field specs (each kind's `fields` in kinds.py, `SETTINGS` here) serves both the
validator and the JSON Schema that editors use while typing, so the two cannot disagree.
Validation reports every problem in a file, each at its line and column, and returns clean values
(Text for human-readable fields, dates, ids).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re

from . import languages
from .diagnostics import WARNING_CODES, Diagnostics
from .kinds import BY_FOLDER, KINDS, F
from .load import RawItem
from .model import Quantity, Text
from .urls import url_problem

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID = 80
RESERVED_IDS = {"index", "data", "assets", "search", "404", "translations"}  # and every language's code
# Invisible characters that XML (the feed) forbids and no editor means to type; YAML lets them in
# only through escapes like "\x07".
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


SEVERITY_CHOICES = ("error", "warning", "ignore")

# The settings file's fields; each kind's are in its row of kinds.py.
SETTINGS: dict[str, F] = {
    "title": F("text", True, doc="site title"),
    "description": F("text", True, doc="one-sentence description"),
    "intro": F("markdown", True, doc="home page introduction"),
    "languages": F("langs", doc="languages to build; the first is at the site root"),
    "default_language": F(
        "lang",
        doc="the language of plain texts (written without a language mapping) "
        "and of the titles lists sort by; default: the first of languages",
    ),
    "base_url": F("base-url", doc="where the site is hosted: an http(s) URL of its folder"),
    "strict": F("bool", doc="treat warnings as errors"),
    "severity": F("severities", doc="per-code severity: error, warning or ignore"),
    "sources": F("ref", many=True, ref="sources", doc="sources of the intro"),
    "name": F("id", doc="short name: the offline bundle's file name and the feed's tag: ids"),
    "map": F(
        "object",
        doc="the boundaries the maps are drawn from",
        fields={
            "file": F("string", True, doc="the GeoJSON file, e.g. geo/region.geojson"),
            "credit": F("text", doc="where the boundaries come from, shown under the map"),
        },
    ),
    "areas": F(
        "object",
        doc="what the site calls the areas on its map",
        fields={
            "one": F("text", True, doc="one area, e.g. {en: district, zh: 区}"),
            "many": F("text", True, doc="several areas, e.g. {en: districts, zh: 区}"),
        },
    ),
    "zone_kinds": F("terms", doc="the kinds a zone may be: id -> label"),
}


def fields_of(kind: str) -> dict[str, F]:
    """The fields of a content file: `kind` is a kind's folder, or "site" for the settings."""
    return SETTINGS if kind == "site" else BY_FOLDER[kind].fields


def check_id(item: RawItem, diags: Diagnostics) -> bool:
    """Is the file name a safe, unique-able URL segment?"""
    problem = id_problem(item.id)
    if problem:
        diags.add(
            item.file,
            0,
            0,
            "bad-id",
            f"the id '{item.id}' {problem}",
            hint="rename the file: lower-case a-z, 0-9 and single hyphens, e.g. 'yangpu'",
        )
        return False
    return True


def id_problem(value: str) -> str:
    if not value:
        return "is empty"
    if len(value) > MAX_ID:
        return f"is longer than {MAX_ID} characters"
    if not ID_PATTERN.match(value):
        return "is not a safe URL segment"
    if value in RESERVED_IDS or value in languages.TABLE:
        return "is a reserved name"
    return ""


def validate(item: RawItem, diags: Diagnostics, plain: str) -> dict | None:
    """Clean values for the item's fields, or None when it has errors (all reported). `plain` is
    the language of its plain texts: the site's default language.

    Found once per item and default language, and kept on it (the dev server's build state shares
    items between builds), so the clean values are read-only: the model takes them as they are."""
    if item.checked is None or item.plain != plain:
        item.plain, item.partly_translated, item.sentences = plain, None, None
        found = Diagnostics()
        item.checked = (*_validate(item, found), found.items)
    clean, valid, reported = item.checked
    diags.items.extend(reported)
    return clean if valid else None


def valid_part(item: RawItem) -> dict:
    """The fields of a validated item whose values are valid, even when others are not: the
    references of an item with errors are still checked, and it still names what it names."""
    return item.checked[0] if item.checked and item.checked[0] else {}


def _validate(item: RawItem, diags: Diagnostics) -> tuple[dict | None, bool]:
    """(the valid fields' clean values, whether the whole item is valid)."""
    before = len(diags.items)
    fields = fields_of(item.kind)
    if not isinstance(item.data, dict):
        diags.add(
            item.file,
            *item.at(()),
            "wrong-type",
            f"expected a mapping of fields, found {_name(item.data)}",
            hint="write 'field: value' lines at the top level",
        )
        return None, False
    clean = _check_mapping(item, (), item.data, fields, diags)
    if clean.get("id") not in (None, item.id):
        diags.add(
            item.file,
            *item.at(("id",)),
            "id-mismatch",
            f"the id '{item.data['id']}' differs from the file name '{item.id}'",
            field="id",
            hint=f"rename the file to {item.data['id']}.yaml or remove the id field",
        )
    figures = item.data.get("figures") if item.kind == "initiatives" else None
    for i, figure in enumerate(figures if isinstance(figures, list) else []):
        if isinstance(figure, dict) and ("value" in figure) == ("amount" in figure):
            diags.add(
                item.file,
                *item.at(("figures", i)),
                "missing-field" if "value" not in figure else "bad-value",
                "a figure needs either 'value' (text) or 'amount' (a number), not both or neither",
                field=dotted(("figures", i)),
                hint="e.g. {amount: {about: 7000}, label: …}",
            )
    if item.kind == "initiatives" and not item.data.get("districts") and not item.data.get("zones"):
        diags.add(
            item.file,
            *item.at(()),
            "missing-field",
            "an initiative needs at least one district or zone",
            field="districts",
            hint="add 'districts: [<id>]' or 'zones: [<id>]'",
        )
    errors = [d for d in diags.items[before:] if d.severity == "error"]
    return clean, not errors


def _check_mapping(item, path, data: dict, fields: dict[str, F], diags) -> dict:
    clean = {}
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            diags.add(
                item.file,
                *item.at(path + (key,), key=True),
                "unknown-field",
                f"unknown field '{key}'",
                field=dotted(path + (key,)),
                hint=f"did you mean '{close[0]}'?" if close else "allowed fields: " + ", ".join(fields),
            )
    for name, spec in fields.items():
        where = path + (name,)
        value = data.get(name)
        if value is None:
            if spec.required:
                found = "null" if name in data else "nothing"
                diags.add(
                    item.file,
                    *item.at(where if name in data else path),
                    "missing-field",
                    f"the required field '{name}' is missing (found {found})",
                    field=dotted(where),
                    hint=f"add '{name}:' with {_expected(spec)}",
                )
            continue
        clean[name] = _check_value(item, where, value, spec, diags)
    return clean


def _check_value(item, path, value, spec: F, diags):
    if not spec.many:
        return _check_one(item, path, value, spec, diags)
    if not isinstance(value, list):
        _wrong(item, path, value, f"a list of {_expected(spec, one=True)}", diags)
        return []
    if len(value) < spec.min_items:
        diags.add(
            item.file,
            *item.at(path),
            "missing-field",
            f"'{path[-1]}' needs at least {spec.min_items} entr{'y' if spec.min_items == 1 else 'ies'}",
            field=dotted(path),
        )
    out = [_check_one(item, path + (i,), v, spec, diags) for i, v in enumerate(value)]
    if spec.type == "ref":
        for i, ref in enumerate(out):
            if ref is not None and ref in out[:i]:
                diags.add(
                    item.file,
                    *item.at(path + (i,)),
                    "duplicate-reference",
                    f"'{ref}' is listed twice",
                    field=dotted(path + (i,)),
                )
    return out


def _check_one(item, path, value, spec: F, diags):
    checker = _CHECKERS[spec.type]
    return checker(item, path, value, spec, diags)


def _text(item, path, value, spec, diags):
    if isinstance(value, str):  # plain text is in the default language, or in every one for neutral values
        value = dict.fromkeys(languages.TABLE, value) if spec.type == "neutral" else {item.plain: value}
    if not isinstance(value, dict):
        return _wrong(
            item, path, value, "text, or a mapping {" + ", ".join(f"{c}: …" for c in languages.TABLE) + "}", diags
        )
    out = {}
    for lang, text in value.items():
        if lang not in languages.TABLE:
            diags.add(
                item.file,
                *item.at(path + (lang,), key=True),
                "unknown-field",
                f"unknown language '{lang}'",
                field=dotted(path + (lang,)),
                hint="languages are " + ", ".join(languages.TABLE),
            )
        elif not isinstance(text, str):
            _wrong(item, path + (lang,), text, "text", diags)
        elif not text.strip():
            code = "empty-body" if spec.type == "markdown" else "empty-text"
            diags.add(
                item.file,
                *item.at(path + (lang,)),
                code,
                "the text is empty",
                field=dotted(path + (lang,)),
                hint="write the text or remove the language",
            )
        elif not _control(item, path + (lang,), text, diags):
            out[lang] = text.strip() if spec.type != "markdown" else text
    return Text(out)


def _string(item, path, value, spec, diags):
    if isinstance(value, str) and value.strip():
        return None if _control(item, path, value, diags) else value.strip()
    return _wrong(item, path, value, "non-empty text", diags)


def _control(item, path, text: str, diags) -> bool:
    """Report a control character in a text; True when there is one."""
    found = CONTROL.search(text)
    if found:
        diags.add(
            item.file,
            *item.at(path),
            "control-character",
            f"the text contains the invisible control character U+{ord(found.group()):04X}",
            field=dotted(path),
            hint="delete it; in the file it is an escape such as \\x07",
        )
    return bool(found)


def _url(item, path, value, spec, diags):
    if not isinstance(value, str):
        return _wrong(item, path, value, "an http:// or https:// URL", diags)
    if _control(item, path, value, diags):
        return None
    problem = url_problem(value, "base" if spec.type == "base-url" else "web")
    if problem:
        return _wrong(item, path, value, f"an http:// or https:// URL (the URL {problem})", diags)
    return value


def _date(item, path, value, spec, diags):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if dt.date(1949, 1, 1) <= value <= dt.date(2100, 1, 1):
            return value
        return _wrong(item, path, value, "a date between 1949 and 2100", diags)
    return _wrong(item, path, value, "a date YYYY-MM-DD", diags)


def _int(item, path, value, spec, diags):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _wrong(item, path, value, "a whole number", diags)


def _number(item, path, value, spec, diags):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        if 0 < value <= spec.limit:
            return value
        return _wrong(item, path, value, f"a number above 0 and at most {spec.limit:,}", diags)
    return _wrong(item, path, value, "a number", diags)


QUALIFIED = ("about", "over", "nearly")  # {about: 14}; a range is {from: 1, to: 2}


def _quantity(item, path, value, spec, diags):
    """A number, `{about|over|nearly: n}` or `{from: a, to: b}` -> Quantity."""
    if not isinstance(value, dict):
        number = _number(item, path, value, spec, diags)
        return None if number is None else Quantity(number)
    keys = set(value)
    if len(keys) == 1 and keys <= set(QUALIFIED):
        ((qualifier, number),) = value.items()
        number = _number(item, path + (qualifier,), number, spec, diags)
        return None if number is None else Quantity(number, qualifier)
    if keys == {"from", "to"}:
        low, high = (_number(item, path + (k,), value[k], spec, diags) for k in ("from", "to"))
        if low is None or high is None:
            return None
        if low < high:
            return Quantity(low, "range", high)
        return _wrong(item, path + ("to",), high, f"a number above the range's start ({low})", diags)
    return _wrong(item, path, value, "a number, {about|over|nearly: number} or {from: number, to: number}", diags)


def _bool(item, path, value, spec, diags):
    return value if isinstance(value, bool) else _wrong(item, path, value, "true or false", diags)


def _id(item, path, value, spec, diags):
    if not isinstance(value, str):
        return _wrong(item, path, value, "the item's id", diags)
    problem = id_problem(value)
    if problem:  # say so, rather than suggest a file name like '../x.yaml'
        diags.add(
            item.file,
            *item.at(path),
            "bad-id",
            f"the id '{value}' {problem}",
            field=dotted(path),
            hint="lower-case a-z, 0-9 and single hyphens, equal to the file name",
        )
        return None
    return value


def _enum(item, path, value, spec, diags):
    if isinstance(value, str) and value in spec.choices:
        return value
    close = difflib.get_close_matches(str(value), spec.choices, n=1)
    diags.add(
        item.file,
        *item.at(path),
        "bad-value",
        f"'{value}' is not allowed here",
        field=dotted(path),
        hint=(f"did you mean '{close[0]}'? " if close else "") + "expected one of: " + ", ".join(spec.choices),
    )
    return None


def _ref(item, path, value, spec, diags):
    if isinstance(value, str) and value:
        return value
    what = f"an id from {spec.ref} in site.yaml" if spec.type == "term" else f"the id of an item in {spec.ref}/"
    return _wrong(item, path, value, what, diags)


def _terms(item, path, value, spec, diags):
    """A site's vocabulary: a mapping of id -> label text, e.g. zone_kinds."""
    if not isinstance(value, dict) or not value:
        return _wrong(item, path, value, "a mapping of id -> label, e.g. {key-area: {en: Key area}}", diags)
    out = {}
    for key, label in value.items():
        problem = id_problem(str(key))
        if problem:
            diags.add(
                item.file,
                *item.at(path + (key,), key=True),
                "bad-id",
                f"the id '{key}' {problem}",
                field=dotted(path + (key,)),
                hint="lower-case a-z, 0-9 and single hyphens",
            )
            continue
        text = _text(item, path + (key,), label, spec, diags)
        if text is not None:
            out[key] = text
    return out


def _lang(item, path, value, spec, diags):
    if isinstance(value, str) and value in languages.TABLE:
        return value
    return _wrong(item, path, value, "one of " + ", ".join(languages.TABLE), diags)


def _langs(item, path, value, spec, diags):
    if not isinstance(value, list) or not value:
        return _wrong(item, path, value, "a list of languages, e.g. [" + ", ".join(languages.TABLE) + "]", diags)
    for i, lang in enumerate(value):
        if lang not in languages.TABLE or lang in value[:i]:
            _wrong(item, path + (i,), lang, "one of " + ", ".join(languages.TABLE) + ", once", diags)
    return tuple(value)


def _severities(item, path, value, spec, diags):
    if not isinstance(value, dict):
        return _wrong(item, path, value, "a mapping of diagnostic code to severity", diags)
    for code, severity in value.items():
        if severity not in SEVERITY_CHOICES:
            _wrong(item, path + (code,), severity, "error, warning or ignore", diags)
        elif code not in WARNING_CODES and severity != "error":
            # a build with an error writes nothing; silencing the error would only hide why
            diags.add(
                item.file,
                *item.at(path + (code,)),
                "bad-severity",
                f"'{code}' is an error and cannot be set to {severity}",
                field=dotted(path + (code,)),
                hint="fix what it reports; only warnings can be set to error or ignore: "
                + ", ".join(sorted(WARNING_CODES)),
            )
    return dict(value)


def _object(item, path, value, spec, diags):
    if not isinstance(value, dict):
        return _wrong(item, path, value, "a mapping with " + ", ".join(spec.fields), diags)
    return _check_mapping(item, path, value, spec.fields, diags)


_CHECKERS = {
    "text": _text,
    "markdown": _text,
    "neutral": _text,
    "string": _string,
    "url": _url,
    "base-url": _url,
    "date": _date,
    "int": _int,
    "number": _number,
    "quantity": _quantity,
    "bool": _bool,
    "id": _id,
    "enum": _enum,
    "ref": _ref,
    "term": _ref,
    "terms": _terms,
    "lang": _lang,
    "langs": _langs,
    "severities": _severities,
    "object": _object,
}


def _wrong(item, path, value, expected: str, diags) -> None:
    diags.add(item.file, *item.at(path), "wrong-type", f"expected {expected}, found {_name(value)}", field=dotted(path))


def _name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if isinstance(value, dt.date):
        return f"the date {value}"
    return "a list" if isinstance(value, list) else "a mapping"


def _expected(spec: F, one: bool = False) -> str:
    if spec.many and not one:
        return "a list of " + _expected(spec, one=True)
    return {
        "text": "text",
        "markdown": "Markdown text",
        "ref": f"an id from {spec.ref}/",
        "enum": "one of " + ", ".join(spec.choices),
        "date": "a date YYYY-MM-DD",
    }.get(spec.type, spec.type)


def dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def json_schemas(vocabularies: dict | None = None) -> dict[str, dict]:
    """File name -> the JSON Schema (draft 2020-12) of the settings file and of each kind's
    files, for editors' YAML plug-ins; `vocabularies` (a site's declared terms, e.g.
    {"zone_kinds": ["key-area", …]}) become the choices of the fields that take one."""
    found = {"site": ("microsite settings", SETTINGS)} | {k.name: (k.schema_title, k.fields) for k in KINDS}
    return {
        f"{name}.schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            **_object_schema(fields, vocabularies or {}),
        }
        for name, (title, fields) in found.items()
    }


def _object_schema(fields: dict[str, F], vocabularies: dict) -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, f in fields.items() if f.required],
        "properties": {name: _field_schema(f, vocabularies) for name, f in fields.items()},
    }


def _text_schema() -> dict:
    return {
        "anyOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {lang: {"type": "string", "minLength": 1} for lang in languages.TABLE},
            },
        ]
    }


def _number_schema(f: F) -> dict:
    return {"type": "number", "exclusiveMinimum": 0, **({"maximum": f.limit} if math.isfinite(f.limit) else {})}


def _field_schema(f: F, vocabularies: dict) -> dict:
    text = _text_schema()
    one = {
        "text": text,
        "markdown": text,
        "neutral": text,
        "string": {"type": "string", "minLength": 1},
        "url": {"type": "string", "pattern": "^https?://"},
        "base-url": {"type": "string", "pattern": "^https?://[^?#]*$"},
        "date": {"type": "string", "format": "date"},
        "int": {"type": "integer"},
        "number": _number_schema(f),
        "quantity": {
            "anyOf": [
                _number_schema(f),
                *(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [q],
                        "properties": {q: _number_schema(f)},
                    }
                    for q in QUALIFIED
                ),
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["from", "to"],
                    "properties": {"from": _number_schema(f), "to": _number_schema(f)},
                },
            ]
        },
        "bool": {"type": "boolean"},
        "id": {"type": "string", "pattern": ID_PATTERN.pattern},
        "enum": {"enum": list(f.choices)},
        "ref": {"type": "string", "pattern": ID_PATTERN.pattern},
        "term": {"enum": list(vocabularies[f.ref])}
        if f.ref in vocabularies
        else {"type": "string", "pattern": ID_PATTERN.pattern},
        "terms": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ID_PATTERN.pattern},
            "additionalProperties": text,
        },
        "lang": {"enum": list(languages.TABLE)},
        "langs": {"type": "array", "items": {"enum": list(languages.TABLE)}, "uniqueItems": True, "minItems": 1},
        "severities": {"type": "object", "additionalProperties": {"enum": list(SEVERITY_CHOICES)}},
        "object": _object_schema(f.fields, vocabularies) if f.fields else {},
    }[f.type]
    schema = {"type": "array", "items": one, "minItems": f.min_items} if f.many else dict(one)
    if f.doc:
        schema["description"] = f.doc
    return schema
