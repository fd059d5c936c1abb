"""Search index: one script per language, loaded lazily by static/search.js.

The index is JavaScript (`window.__searchIndex = …`), not JSON, because browsers refuse to fetch
files from file://; result paths come from the URL policy, relative to the site root.

Shape, kept lean because every reader downloads it:

    docs:  [[kind, title, other-language name, [district names], path, text], …]
    terms: {token: [posting, …]}   posting = (doc - previous doc) * 8 + fields
    messages: the few strings the script shows that no template renders (from the catalogue)

`text` is the start of the item's own text (summary or body, tags stripped), from which the
script cuts the snippet shown under each result. `fields` is a bit mask of where the token
occurs: TITLE, OTHER (the item's name in the other language) or BODY. The body holds the item's
texts in every language, so a name or word in either language finds the same items on both
sites. Tokens are what `tokens()` makes: every text split by the tokenizer of every language
(languages.py names one of TOKENIZERS for each), as the body mixes the languages; static/search.js
tokenises queries the same way, so the two must change together.
"""
from __future__ import annotations

import json
import operator
import re
from itertools import repeat

from markupsafe import Markup

from . import languages
from . import model as m
from .kinds import SEARCHED
from .markup import join_cjk_text
from .urls import UrlPolicy

TITLE, OTHER, BODY = 4, 2, 1
# Latin words (with accented letters) and runs of Han characters; must match TOKEN in search.js.
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SNIPPET_CHARS = 320  # of an item's text kept for the snippet: a match further on shows its start


def words_and_bigrams(text: str) -> list[str]:
    """Lower-cased Latin words; Han runs as overlapping bigrams (a lone character as itself),
    so any query of two or more Chinese characters finds its bigrams. English and Chinese both
    split this way: each holds words of the other's script (document numbers, acronyms)."""
    out = []
    for run in _TOKEN.findall(text.lower()):
        if _HAN.match(run) and len(run) > 1:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


TOKENIZERS = {"words_and_bigrams": words_and_bigrams}  # each language names one (languages.py)


def tokens(text: str) -> list[str]:
    """The tokens every language's tokenizer finds in the text (each tokenizer once)."""
    names = dict.fromkeys(lang.tokenizer for lang in languages.TABLE.values())
    return [token for name in names for token in TOKENIZERS[name](text)]


# Long-lived processes (the dev server) keep each item's tokens from one build to the next:
# language -> {(title, other, texts, districts): fields}, holding the last build's items only.
_KEPT: dict[str, dict] | None = None


def keep_tokens() -> None:
    """Remember items' tokens between builds of this process (memory: about the index's size)."""
    global _KEPT
    _KEPT = {}


def search_index(site: m.Site, policy: UrlPolicy, lang: str, t) -> bytes:
    """The index of the site in `lang`; `t` is that language's catalogue."""
    docs, terms = [], {}
    kept = {} if _KEPT is None else _KEPT.get(lang, {})
    used = {}
    for number, item in enumerate(_items(site)):
        title, other = _names(item, lang)
        districts = [d.name.pick(lang)[0] for d in _districts(item)]
        texts = _texts(item)
        docs.append([item.kind, title, other, districts,
                     policy.href("index.html", policy.page(lang, item.kind, item.id)), _snippet(texts, lang)])
        key = (title, other, _every_language(texts, lang), tuple(districts))
        fields = kept.get(key) or _fields(*key)
        if _KEPT is not None:
            used[key] = fields
        base = number * 8
        for token, mask in fields:
            terms.setdefault(token, []).append(base + mask)
    if _KEPT is not None:
        _KEPT[lang] = used
    # the strings of the script's own (the live region's announcement); {n} is the number of results
    messages = {"count": t("search.results"), "one": t("search.results", n=1), "none": t("search.none")}
    index = {"docs": docs, "messages": messages,
             "terms": {token: _postings(found) for token, found in terms.items()}}
    body = json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # "</" cannot end a script it is not in, but U+2028/9 are line ends to older parsers
    return f"window.__searchIndex={body};\n".replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode("utf-8")


def _fields(title: str, other: str, texts: tuple[str, ...], districts: tuple[str, ...]) -> tuple:
    """(token, mask of the fields it occurs in) for one item, in order of first occurrence.
    The body is every other text a reader might search for, tags stripped."""
    body = " ".join([Markup(t).striptags() for t in texts] + list(districts))
    fields: dict[str, int] = {}
    for field, text in ((TITLE, title), (OTHER, other), (BODY, body)):
        for token in tokens(text):
            fields[token] = fields.get(token, 0) | field
    return tuple(fields.items())


def _every_language(texts: list[m.Text], lang: str) -> tuple[str, ...]:
    """Each text in `lang` first, then in the other languages that differ from it."""
    first = [t.pick(lang)[0] for t in texts]
    return tuple(first) + tuple(v for t, shown in zip(texts, first) for v in t.values.values() if v != shown)


def _snippet(texts: list[m.Text], lang: str) -> str:
    """The start of the item's own text in `lang`, on one line, tags stripped."""
    text = " ".join(Markup(t.pick(lang)[0]).striptags() for t in texts[:1])
    return join_cjk_text(text)[:SNIPPET_CHARS]


def _items(site: m.Site):
    """Kinds in the order their results come when they rank equally (kinds.py)."""
    for kind in SEARCHED:
        yield from getattr(site, kind.folder)


def _names(item, lang: str) -> tuple[str, str]:
    """The item's name in `lang` (or the other language), and its other-language name if different."""
    if item.kind == "source":
        return item.title, ""
    name = item.title if item.kind == "initiative" else item.name
    title = name.pick(lang)[0]
    other = next((v for k, v in name.values.items() if k != lang and v != title), "")
    return title, other


def _districts(item) -> list:
    if item.kind == "zone":
        return [item.district]
    return item.districts if item.kind == "initiative" else []


def _texts(item) -> list[m.Text]:
    """The item's texts besides its name, for the body field."""
    texts = [item.summary] if hasattr(item, "summary") else []
    if item.kind == "zone":
        texts += item.covers + item.focus
    elif item.kind == "initiative":
        texts += [item.body] + [z.name for z in item.zones]
        texts += [f.label for f in item.figures] + [p.name for p in item.announced_by]
    elif item.kind == "source":
        texts += [item.publisher] + ([item.note] if item.note else [])
    return texts


def _postings(found: list[int]) -> list[int]:
    """Each doc * 8 + fields, in doc order, as the gap from the previous doc (small numbers, short
    JSON): doc * 8 + fields - previous doc * 8, the previous entry with its fields masked off.
    In map() over C functions: the Chinese index has a million and a half of them."""
    return list(map(operator.sub, found, [0, *map(operator.and_, found[:-1], repeat(-8))]))
