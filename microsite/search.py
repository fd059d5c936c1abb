"""Search index: per language, small scripts that static/search.js loads for the words typed.

Scripts, not JSON, because browsers refuse to fetch files from file://. Each language's index
lies in the folder of its search page; result paths come from the URL policy, relative to the
site root. One build makes every language's files at once (`search_files`): the items' tokens do
not depend on the language, so they are found once, and kept between builds in the build state,
as are each language's postings and chunks of docs: a rebuild takes the postings of the docs
whose texts changed out and puts them in again, touching only the terms whose postings differ
(`_from_last`), and makes again only the chunks that hold such docs (`_chunks`). Each doc is a
part of the group, read through a view of its own (`_part`): a rebuild reads again only the
items some of whose reads changed, and finds the others' digests as the build state recorded
them with their reads (their tokens are kept by their digests).

    index.js      window.__searchIndex = {messages, shards, chunks, chunk, lengths}
    t-<hash>.js   __searchPart("t-<hash>", {term: postings, …})     a shard of the terms
    d-<hash>.js   __searchPart("d-<hash>", [doc, …])                 a chunk of `chunk` docs

- `shards`: [[first term, file], …] in term order; a shard holds its first term and the terms
  after it, up to the next shard's first term. Where one shard ends depends only on the terms
  around it (a cut falls after a term whose hash says so), so an edit changes the shards that
  hold its terms and no others; files are named by their content, so a changed shard is a new
  file and a browser's cached one is never stale.
- `postings`: "gap,gap,…" in doc order, each (doc - previous doc) * 8 + fields, where `fields`
  is a bit mask of where the term occurs: TITLE, OTHER (the item's name in another language) or
  BODY (the item's texts in every language, so a word in either language finds the same items).
- `lengths`: each doc's title length in tokens (ranking prefers the closer match) without loading docs.
- a doc: [kind, title, other-language name, [district names], path, text]; `text` is the start
  of the item's own text, from which the script cuts the snippet shown under each result. Docs
  are numbered by kind, then by id, which no edit of an item's fields changes: an edited item
  rewrites its own chunk, no other (an added or removed one renumbers those after it).
- `messages`: the few strings the script shows that no template renders (from the catalogue).

Tokens are what `tokens()` makes: every text split by the tokenizer of every language
(languages.py names one of TOKENIZERS for each), as the body mixes the languages;
static/search.js tokenises queries the same way, so the two must change together.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import operator
import re
import sys
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator
from functools import partial
from itertools import accumulate, repeat

from . import languages, model as m
from .kinds import SEARCHED
from .markup import plain_text
from .track import Recorder, model_object
from .urls import UrlPolicy

TITLE, OTHER, BODY = 4, 2, 1
# Latin words (with accented letters) and runs of Han characters; must match TOKEN in search.js.
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SNIPPET_CHARS = 320  # of an item's text kept for the snippet: a match further on shows its start
CHUNK = 16  # docs per file: the 8 results of the header's list load at most 8 small files
SHARD_MIN, SHARD_SPREAD, SHARD_MAX = 8_000, 24_000, 64_000  # bytes of a shard (see _shards)
CHUNKS = "search-chunks"  # the build state's table of chunks of docs as JSON (_chunks)
POSTINGS = "search-postings"  # the build state's table of the last build's docs and term keys (_from_last)
Postings = dict[str, tuple[str, str]]  # term -> (the key the build state keeps its postings' text by, the text)


def words_and_bigrams(text: str) -> list[str]:
    """Lower-cased Latin words; Han runs as overlapping bigrams and as single characters, so
    any query of two or more Chinese characters finds its bigrams, and one character finds
    itself as a whole term (on a large site its bigrams span more shards than a query loads).
    English and Chinese both split this way: each holds words of the other's script (document
    numbers, acronyms)."""
    out: list[str] = []
    for run in _TOKEN.findall(text.lower()):
        if not _HAN.match(run):
            out.append(run)
            continue
        out.extend(run)  # each character
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


TOKENIZERS = {"words_and_bigrams": words_and_bigrams}  # each language names one (languages.py)


def tokens(text: str) -> list[str]:
    """The tokens every language's tokenizer finds in the text (each tokenizer once)."""
    names = dict.fromkeys(lang.tokenizer for lang in languages.TABLE.values())
    return [token for name in names for token in TOKENIZERS[name](text)]


def search_files(
    site: m.Site, policy: UrlPolicy, state, catalogues: dict, fresh: Callable[[], Callable[[str], tuple | None]]
) -> Generator[tuple[str, bytes], None, list]:
    """Every language's index files, as (output path, bytes), one by one; then, returned, each
    doc as a part of the group (render.render_whole). `state` keeps each item's tokens, each
    term's postings as text, which text each term of each language had in the last build and
    each chunk of docs (BuildState.get/put): an edit tokenises the items it changed, takes their
    postings out of the terms they held and puts them in those they hold, no others, and makes
    their chunks again. `fresh()` finds a doc's digest as the last build made it, when none of
    what it read then has changed (BuildState.fresh_parts): such an item is not read again."""
    # Docs by kind, in the order their results come when they rank equally (kinds.py), and by id
    # within a kind: an order no edit of a title changes, so an edit renumbers no doc and
    # rewrites only the shards of the terms it changes and the chunk holding its doc.
    items = [item for kind in SEARCHED for item in sorted(getattr(site, kind.folder), key=operator.attrgetter("id"))]
    docs, langs, found_earlier = [f"{item.kind}:{item.id}" for item in items], site.settings.languages, fresh()
    parts = [_part(item, found_earlier(doc), state) for item, doc in zip(items, docs, strict=True)]
    digests = [digest for digest, _, _ in parts]
    kept = [tokens for _, _, tokens in parts]
    named = [f"{doc}\0{digest}" for doc, digest in zip(docs, digests, strict=True)]  # what keys a chunk (_chunks)
    made = _from_last(docs, digests, kept, langs, state) or _from_every_doc(kept, langs, state)
    keys = {}
    for lang in langs:
        postings = made[lang]()  # one language's at a time: a large site's are tens of MB
        keys[lang] = {term: key for term, (key, _) in postings.items()}
        encoded = {term: text for term, (_, text) in postings.items()}
        del postings  # before the files are made
        chunks = _chunks(lang, items, kept, named, policy, state)
        yield from _language_files(lang, _title_lengths(kept, lang), encoded, chunks, policy, catalogues[lang])
    state.put(POSTINGS, "", (docs, digests, keys), POSTINGS)
    return [(doc, (digest, None), reads) for doc, (digest, reads, _) in zip(docs, parts, strict=True)]


def _part(item, earlier: tuple | None, state) -> tuple[str, tuple | None, tuple]:
    """A doc as a part of the index: its digest, what reading its item recorded (None: found as
    the last build made it, (digest, None)) and its tokens as kept (_item_tokens). Its item is
    read through a view of its own, so that the next build knows what this doc, and no other,
    read."""
    if earlier is not None:
        tokens = state.get("search", "", earlier[0])
        if tokens is not None:
            return earlier[0], None, tokens
    recorder = Recorder()
    view = recorder.wrap(model_object(item))
    digest, tokens = _item_tokens(view, _texts(view), state)
    return digest, recorder.keys(), tokens


def _from_last(
    docs: list[str], digests: list[str], kept: list, langs: Iterable[str], state
) -> dict[str, Callable[[], Postings]] | None:
    """What makes each language's postings (`Postings`) from the last build's, when it indexed
    the same docs in the same order and few of them changed: the changed docs' postings are
    taken out and put in again, so an edit costs the terms it touches, not the site's millions
    of postings. None when it cannot."""
    last = state.get(POSTINGS, "", POSTINGS)  # (docs, their digests, each language's term -> key)
    if last is None or last[0] != docs or not set(langs) <= last[2].keys():
        return None
    changed = [doc for doc, (before, now) in enumerate(zip(last[1], digests, strict=True)) if before != now]
    if len(changed) > len(docs) // 16 + 1:
        return None  # making every doc's is quicker
    before = [state.get("search", "", last[1][doc]) for doc in changed]  # their tokens as last built
    held = {
        lang: {term: (key, state.get("postings", "", key)) for term, key in last[2][lang].items()} for lang in langs
    }
    if None in before or any(text is None for postings in held.values() for _, text in postings.values()):
        return None
    return {lang: partial(_edited, held[lang], _edits(changed, before, kept, lang), state) for lang in langs}


def _from_every_doc(kept: list, langs: Iterable[str], state) -> dict[str, Callable[[], Postings]]:
    """What makes each language's postings (`Postings`) from every doc's tokens as kept."""
    found = list(map(_entry, kept))
    # term -> doc * 8 + BODY, or doc * 8 for a name's token; arrays of 32-bit integers (docs
    # below 2**28), as a large site has millions of postings
    base: dict[str, array] = defaultdict(partial(array, "i"))
    for doc, entry in enumerate(found):
        for term, posting in _own_postings(doc, entry).items():
            base[term].append(posting)

    def made(lang: str) -> Postings:
        return {term: _encoded(postings, state) for term, postings in _with_names(base, found, lang).items()}

    return {lang: partial(made, lang) for lang in langs}


def _own_postings(doc: int, entry: tuple) -> dict[str, int]:
    """A doc's postings, by term: BODY for the tokens of its texts, none for those only in its names."""
    names, body_text, _ = entry
    body = body_text.split()
    own = dict.fromkeys(body, doc * 8 + BODY)
    own.update(dict.fromkeys({t for toks in names.values() for t in toks}.difference(body), doc * 8))
    return own


def _edits(changed: list[int], before: list, kept: list, lang: str) -> dict[str, dict[int, int | None]]:
    """Term -> doc -> the doc's posting of the term in `lang`'s index now (None: none), for each
    term whose posting a changed doc differs in from its last build's (`before` has their tokens
    then, `kept` now): a title's one new word touches that word's postings, not its body's."""
    edits: dict[str, dict[int, int | None]] = defaultdict(dict)
    for doc, old in zip(changed, before, strict=True):
        was, now = _postings(doc, _entry(old), lang), _postings(doc, _entry(kept[doc]), lang)
        for term in was.keys() | now.keys():
            if was.get(term) != now.get(term):
                edits[term][doc] = now.get(term)
    return edits


def _postings(doc: int, entry: tuple, lang: str) -> dict[str, int]:
    """A doc's postings in `lang`'s index, by term: its own with its names' bits."""
    postings = _own_postings(doc, entry)
    for token, bit in _name_bits(entry[0], lang).items():
        postings[token] |= bit
    return postings


def _edited(kept: Postings, edits: dict[str, dict[int, int | None]], state) -> Postings:
    """The postings of the last build (`kept`) with each doc's posting of each term in `edits`
    replaced, taken out (None) or put in; each such term's postings read from their text and
    written again once, however many docs change them."""
    kept = dict(kept)
    for term, by_doc in edits.items():
        postings = _decoded(kept[term][1]) if term in kept else array("i")
        for doc, posting in by_doc.items():
            at = bisect.bisect_left(postings, doc * 8)
            if at < len(postings) and postings[at] >> 3 == doc:
                del postings[at]
            if posting is not None:
                postings.insert(at, posting)
        if postings:
            kept[term] = _encoded(postings, state)
        else:
            kept.pop(term, None)
    return kept


def _language_files(
    lang: str, lengths: list[int], text: dict[str, str], chunks: Iterable[str], policy: UrlPolicy, t
) -> Iterator[tuple[str, bytes]]:
    """One language's files, from its postings as text by term and its chunks of docs (as
    JSON): its shards, its chunks, then its index.js that names them."""
    folder = policy.search_index(lang).rpartition("/")[0]
    shards = _shards(text)
    heads = ["" if i == 0 else next(iter(shard)) for i, shard in enumerate(shards)]  # the first takes any word
    shard_names: list[str] = []
    yield from _parts(folder, "t", map(_json, shards), shard_names)
    chunk_names: list[str] = []
    yield from _parts(folder, "d", chunks, chunk_names)
    messages = {"count": t("search.results"), "one": t("search.results", n=1), "none": t("search.none")}
    index = {
        "messages": messages,
        "chunk": CHUNK,
        "chunks": chunk_names,
        "shards": [list(pair) for pair in zip(heads, shard_names, strict=True)],
        "lengths": lengths,
    }
    yield policy.search_index(lang), _script("window.__searchIndex=", _json(index), "")


def _chunks(lang: str, items, kept: list, named: list[str], policy: UrlPolicy, state) -> Iterator[str]:
    """Each chunk of CHUNK docs as JSON. A chunk is kept in the build state by its docs' names
    and digests (`named`: a doc's digest covers every text _doc shows of it), the language and
    the URL policy: an edit makes its own chunk's docs again, no other's. A kept chunk reads its
    items through no view, but the digests were taken by reading their texts whole, in every
    language, which records all that _doc would read."""
    prefix = [lang, repr(policy)]  # the same for each chunk of this language
    for start in range(0, len(items), CHUNK):
        end = start + CHUNK
        key = state.text_key("\0".join([*prefix, *named[start:end]]))
        body = state.get(CHUNKS, "", key)
        if body is None:
            docs = zip(items[start:end], kept[start:end], strict=True)
            body = _json([_doc(item, tokens[2], lang, policy) for item, tokens in docs])
            state.put(CHUNKS, "", body, key)
        yield body


def _item_tokens(item, own: list[m.Text], state) -> tuple[str, tuple]:
    """The hash of the texts an item's tokens come from, each with its language (they are kept in
    the build state by it: a text moved to another language moves its snippet), and its tokens
    as kept there: its name's by language, its other texts', its snippets (_entry)."""
    names = _name(item).values
    texts = [(lang, v) for t in own for lang, v in t.values.items()]
    key = "\0".join([*names, *names.values(), "\0", *(f"{lang}\1{v}" for lang, v in texts)])
    digest = state.text_key(key)
    kept = state.get("search", key, digest)
    if kept is None:
        # a name's tokens each as often as it occurs: _doc_lengths counts them
        name_tokens = {lang: " ".join(tokens(v)) for lang, v in names.items()}
        plain = [plain_text(v) for _, v in texts]
        body = " ".join(dict.fromkeys(tokens(" ".join(plain))))
        first = own[0].values if own else {}  # its values lead `texts`, so `plain` too
        snippets = {lang: p[:SNIPPET_CHARS] for lang, p in zip(first, plain, strict=False)}
        kept = (name_tokens, body, snippets)
        state.put("search", key, kept, digest)
    return digest, kept


def _entry(kept: tuple) -> tuple[dict[str, tuple[str, ...]], str, dict[str, str]]:
    """An item's name tokens by language; the tokens of its other texts in every language (tags
    stripped) as one text, split where they are used (as a tuple each, a large site's millions
    of them took 20 MB); and the snippets of its first text, by language (_doc)."""
    name_tokens, body, snippets = kept
    # one string per distinct token, however many items hold it
    by_language = {lang: tuple(map(sys.intern, v.split())) for lang, v in name_tokens.items()}
    return by_language, body, snippets


def _with_names(base: dict[str, array], found: list, lang: str) -> dict[str, array]:
    """The postings of `lang`'s index: the base ones with the TITLE bit where a token is in the
    item's name in `lang` (or the language shown instead) and OTHER where in another language's."""
    terms = dict(base)
    for doc, (names, _, _) in enumerate(found):
        for token, bit in _name_bits(names, lang).items():
            postings = terms[token]
            if postings is base[token]:
                postings = terms[token] = postings[:]
            at = bisect.bisect_left(postings, doc * 8)
            postings[at] |= bit
    return terms


def _name_bits(names: dict[str, tuple[str, ...]], lang: str) -> dict[str, int]:
    """What a doc's names add to its postings in `lang`'s index, by token: TITLE where the token
    is in the name shown in `lang` (or the language shown instead), else OTHER."""
    shown = m.shown_language(names, lang)
    bits: dict[str, int] = {}
    for name_lang, toks in names.items():
        for token in toks:
            bits[token] = bits.get(token, 0) | (TITLE if name_lang == shown else OTHER)
    # a name's word found in the title is not also "the other name"
    return {token: TITLE if bit & TITLE else bit for token, bit in bits.items()}


def _title_lengths(kept: list, lang: str) -> list[int]:
    """Each doc's title length in tokens, in `lang`: its name's tokens in the language its title
    shows in (_doc), counted from its tokens as kept (as they came from tokens(), repeats and
    all): ranking prefers the closer match."""
    return [len(names.get(m.shown_language(names, lang), "").split()) for names, _, _ in kept]


def _encoded(postings: array, state) -> tuple[str, str]:
    """The postings as text, and the key the build state keeps it by (their bytes' hash): the
    languages share most terms' postings, and an edit changes those of the few terms it touches.
    Gaps from the previous doc (small numbers, short text): doc * 8 + fields - previous doc * 8,
    in map() over C functions (an index holds millions of them)."""
    key = hashlib.blake2b(postings, digest_size=16).hexdigest()
    text = state.get("postings", "", key)
    if text is None:
        gaps = map(operator.sub, postings, [0, *map(operator.and_, postings[:-1], repeat(-8))])
        text = ",".join(map(str, gaps))
        state.put("postings", "", text, key)
    return key, text


def _decoded(text: str) -> array:
    """The postings `_encoded` wrote as `text`. A posting's doc * 8 is the sum of the gaps'
    doc parts (gap & -8) up to it, its fields its own gap's (gap & 7): sums and masks in map()
    over C functions, as a common term has a posting in most docs."""
    gaps = list(map(int, text.split(",")))
    doc_parts = accumulate(map(operator.and_, gaps, repeat(-8)))
    return array("i", map(operator.add, doc_parts, map(operator.and_, gaps, repeat(7))))


def _shards(text: dict[str, str]) -> list[dict[str, str]]:
    """The terms in order, cut into shards of SHARD_MIN to SHARD_MAX bytes. After SHARD_MIN, a
    cut falls after a term whose hash is below its share of SHARD_SPREAD: the cuts depend on the
    terms themselves, not on what came before, so an edit moves no cut far from it."""
    shards, current, size = [], {}, 0
    for term in sorted(text):
        current[term] = text[term]
        entry = len(term.encode()) + len(text[term]) + 6
        size += entry
        if size >= SHARD_MAX or (size >= SHARD_MIN and zlib.crc32(term.encode()) < 2**32 * entry / SHARD_SPREAD):
            shards.append(current)
            current, size = {}, 0
    if current or not shards:
        shards.append(current)
    return shards


def _parts(folder: str, prefix: str, bodies: Iterable[str], names: list[str]) -> Iterator[tuple[str, bytes]]:
    """Each part as a script named by its content, made as it is asked for (a large site's parts
    are tens of MB); their names are appended to `names`, in order."""
    for body in bodies:
        name = f"{prefix}-{hashlib.sha256(body.encode()).hexdigest()[:12]}"
        names.append(name)
        yield f"{folder}/{name}.js", _script(f'__searchPart("{name}",', body, ")")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _script(start: str, body: str, end: str) -> bytes:
    # "</" cannot end a script it is not in, but U+2028/9 are line ends to older parsers
    text = f"{start}{body}{end};\n"
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode("utf-8")


def _doc(item, snippets: dict[str, str], lang: str, policy: UrlPolicy) -> list:
    """[kind, title, other-language name, [district names], path, text]: the text is the start
    of the item's first text in `lang`, or in the language shown instead (the snippets are by
    that text's languages: _item_tokens)."""
    name = _name(item)
    title = name.pick(lang)[0]
    other = next((v for k, v in name.values.items() if k != lang and v != title), "")
    districts = [d.name.pick(lang)[0] for d in _districts(item)]
    path = policy.href("index.html", policy.page(lang, item.kind, item.id))
    snippet = snippets.get(m.shown_language(snippets, lang), "")
    return [item.kind, title, other, districts, path, snippet]


def _name(item) -> m.Text:
    if item.kind == "source":
        return m.Text({lang: item.title for lang in languages.TABLE})
    return item.title if item.kind == "initiative" else item.name


def _districts(item) -> list:
    if item.kind == "zone":
        return [item.district]
    return item.districts if item.kind == "initiative" else []


def _texts(item) -> list[m.Text]:
    """The item's texts besides its name, for the body field (its districts' names included)."""
    texts = [item.summary] if hasattr(item, "summary") else []
    if item.kind == "zone":
        texts += item.covers + item.focus
    elif item.kind == "initiative":
        texts += [item.body] + [z.name for z in item.zones]
        texts += [f.label for f in item.figures] + [p.name for p in item.announced_by]
    elif item.kind == "source":
        texts += [item.publisher] + ([item.note] if item.note else [])
    return texts + [d.name for d in _districts(item)]
