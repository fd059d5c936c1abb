"""The languages a site can be written in: one row each, and nothing about a language anywhere else.

A site builds some of them (`languages:` in site.yaml) and names one its default
(`default_language:`, else the first it builds): a plain text, written without a language
mapping, is in that language, and lists sort by their titles in it. Adding a language is a row
here plus its interface catalogue, `templates/locales/<code>.yaml`.

The table is read when it is used, never copied at import, so a row added at run time (as
tests/test_registry.py does) counts everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # in content ({en: …}), site.yaml, the catalogue's file name and the URL prefix
    tag: str  # BCP 47, for lang and hreflang attributes and the feed's xml:lang
    name: str  # its own name, written in it: the language switcher's label
    babel: str  # the Babel locale that formats its dates and numbers
    og_locale: str  # Open Graph's locale (language_TERRITORY)
    tokenizer: str  # the function of search.TOKENIZERS that splits its text into search tokens


TABLE: dict[str, Language] = {
    row.code: row
    for row in (
        Language("en", "en", "English", "en", "en_US", "words_and_bigrams"),
        Language("zh", "zh-Hans", "简体中文", "zh_Hans_CN", "zh_CN", "words_and_bigrams"),
    )
}


def codes() -> tuple[str, ...]:
    """Every language's code, in the table's order (the order a missing text falls back in)."""
    return tuple(TABLE)


def row(code: str) -> Language:
    return TABLE[code]
