"""Interface strings and locale formatting.

One catalogue per language the site is built in (`templates/locales/<lang>.yaml`, flat
`key: text`), dates and numbers through Babel (each language's locale is in languages.py). A key
may have a singular form `<key>.one`, used when `n` is 1 (English needs it, Chinese does not). A
key missing from a catalogue is an error (the template would otherwise show a raw key); a key no
template uses is a warning. The names of other languages (`language.<code>`) are optional: a
catalogue without one shows the language's own name, so adding a language needs no other
language's catalogue changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import yaml
from babel.dates import format_date
from babel.numbers import format_decimal

from . import languages
from .diagnostics import Diagnostics
from .paths import display_path

LANGUAGE_NAME = "language."  # + a code: that language's name in the catalogue's
_KEY_USE = re.compile(r"""\bt\(\s*["']([a-z0-9_.-]+)["']""")
_PREFIX_USE = re.compile(r"""\bt\(\s*["']([a-z0-9_.-]+\.)["']\s*~""")  # t("kind." ~ x)


class Catalogue:
    def __init__(self, lang: str, strings: dict[str, str]) -> None:
        self.lang = lang
        self.strings = strings

    def __call__(self, key: str, **values) -> str:
        if values.get("n") == 1 and f"{key}.one" in self.strings:
            key = f"{key}.one"
        text = self.strings[key]
        return text.format(**values) if values else text

    def language(self, code: str) -> str:
        """A language's name in this catalogue's language, else in its own."""
        return self.strings.get(LANGUAGE_NAME + code) or languages.row(code).name

    def date(self, value: dt.date) -> str:
        return _date(value, languages.row(self.lang).babel)

    def number(self, value: float) -> str:
        return _number(value, languages.row(self.lang).babel)


# Formatting is pure, and slow next to a look-up: the long lists of a large site show the same
# dates and counts thousands of times (Babel's version is in the build state's fingerprint).
@functools.lru_cache(maxsize=8192, typed=True)
def _date(value: dt.date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


@functools.lru_cache(maxsize=8192, typed=True)
def _number(value: float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def load_catalogues(templates: Path, diags: Diagnostics, langs: tuple[str, ...]) -> dict[str, Catalogue]:
    """The catalogues of the languages `langs`, checked for missing and unused keys."""
    folder = templates / "locales"
    raw: dict[str, dict] = {}
    for lang in langs:
        path = folder / f"{lang}.yaml"
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (OSError, yaml.YAMLError) as err:
            diags.add(display_path(path), 0, 0, "catalogue", f"cannot read the catalogue: {err}")
            data = {}
        raw[lang] = {str(k): str(v) for k, v in (data or {}).items()}
    used, prefixes = _used_keys(templates)
    # a singular form is optional: a language without it uses the general form
    every = {k for k in set().union(*raw.values()) if not k.endswith(".one") and not k.startswith(LANGUAGE_NAME)}
    every |= used
    for lang, strings in raw.items():
        shown = display_path(folder / f"{lang}.yaml")
        for key in sorted(every - set(strings)):
            diags.add(
                shown, 0, 0, "catalogue", f"the key '{key}' is missing", hint=f"add '{key}: …' to the {lang} catalogue"
            )
            strings[key] = key
        for key in sorted(set(strings) - used):
            if key.startswith((*prefixes, LANGUAGE_NAME)) or key.removesuffix(".one") in used:
                continue
            diags.add(shown, 0, 0, "unused-catalogue-key", f"no template uses the key '{key}'")
    return {lang: Catalogue(lang, strings) for lang, strings in raw.items()}


def _used_keys(templates: Path) -> tuple[set[str], tuple[str, ...]]:
    """Keys the templates name literally, and prefixes they complete at render time."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    code = sorted(Path(__file__).parent.glob("*.py"))  # Python names a few keys too
    for path in sorted(templates.rglob("*.html")) + sorted(templates.rglob("*.xml")) + code:
        found_keys, found_prefixes = _keys_in(path.read_text(encoding="utf-8"))
        keys.update(found_keys)
        prefixes.update(found_prefixes)
    return keys, tuple(sorted(prefixes))


@functools.lru_cache(maxsize=512)
def _keys_in(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """One file's keys and prefixes; remembered, as the dev server asks again on every build."""
    return (frozenset(k for k in _KEY_USE.findall(text) if not k.endswith(".")), frozenset(_PREFIX_USE.findall(text)))
