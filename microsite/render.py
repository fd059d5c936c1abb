"""Render stage: the model plus the URL policy become pages, as a pure function.

`plan_pages` lists every page of the site (one per item, listing and special page, per
language); `Renderer.render` turns one page into bytes and reads nothing but the model, the
templates and the catalogues, so pages can be rendered in any order, in parallel, or skipped when
nothing they read has changed. Templates and helpers see the model through a view that records
every value read (track.py): what a page depends on is what its rendering read.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import multiprocessing
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MethodType
from typing import Any

import jinja2
from markupsafe import Markup, escape

from . import model as m
from .i18n import Catalogue
from .kinds import BY_FOLDER, BY_NAME, KINDS, MENU
from .languages import TABLE as LANGUAGES
from .markup import CITE_PLACEHOLDER, INTERNAL_LINK, LABEL, PLACEHOLDER, join_cjk_text, plain_text
from .media import PLACEHOLDER as MEDIA_PLACEHOLDER
from .palette import stylesheet_path
from .svg import Region, bar_chart, district_map
from .track import Recorder, SiteView, model_object
from .urls import SPECIAL, UrlPolicy

_PLACEHOLDER_HREF = re.compile(r'href="' + re.escape(PLACEHOLDER) + r'([^"]*)"')
_MEDIA_URL = re.compile(r'(href|src)="' + re.escape(MEDIA_PLACEHOLDER) + r'([^"#]*)')
_CITE_HREF = re.compile(r'<a href="' + re.escape(CITE_PLACEHOLDER) + r'([a-z0-9-]+)">([^<]*)</a>')


@dataclass(frozen=True)
class Page:
    path: str  # output path, e.g. "zh/districts/yangpu/index.html"
    lang: str
    kind: str  # "district", "districts" (listing), "home", …
    template: str
    item: object = None  # the model object of an item page

    @property
    def key(self) -> tuple[str, str | None]:
        """What the page shows, independent of language (for the language switcher)."""
        return self.kind, getattr(self.item, "id", None)


def plan_pages(site: m.Site, policy: UrlPolicy) -> list[Page]:
    pages = []
    for lang in site.settings.languages:
        for special in SPECIAL:
            pages.append(Page(policy.page(lang, special), lang, special, f"{special}.html"))
        for kind in KINDS:
            pages.append(Page(policy.page(lang, kind.name), lang, kind.folder, kind.listing_template))
            pages.extend(
                Page(policy.page(lang, kind.name, item.id), lang, kind.name, kind.template, item)
                for item in getattr(site, kind.folder)
            )
    return pages


_WORK: tuple = ()  # (renderer, pages, calls, put) a forked worker inherits; only indices cross processes


def _run(task: tuple) -> tuple:
    """One task: ("pages", start, end) renders those pages, ("call", i) runs calls[i]."""
    renderer, pages, calls, put = _WORK
    if task[0] == "call":
        return task, calls[task[1]]()
    return task, [_rendered(renderer, page, put) for page in pages[task[1] : task[2]]]


def _rendered(renderer: Renderer, page: Page, put: Callable[[str, bytes, str], None] | None) -> tuple:
    """(path, (bytes, or None once `put` has placed them; their hash; what the page read))."""
    data, reads = renderer.render(page)
    return page.path, (*placed(page.path, data, put), reads)


def placed(path: str, data: bytes, put: Callable[[str, bytes, str], None] | None) -> tuple[bytes | None, str]:
    """A made file as (its bytes, or None once `put` has placed them; their hash)."""
    digest = hashlib.sha256(data).hexdigest()
    if put is None:
        return data, digest
    put(path, data, digest)
    return None, digest


@contextlib.contextmanager
def _cycles_collected():
    """Rendering makes reference cycles (Jinja's contexts, the pages' views) that only the cycle
    collector frees, and a one-off build pauses it for the sake of the large model it keeps alive
    (cli.py): then every page's cycles stayed, about 40 KB a page in each render worker. So the
    objects alive before are frozen (the collector never walks them, nor touches them in the
    workers forked meanwhile, which keeps their memory shared) and the collector runs on the
    rest until the pages are done."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()
        gc.unfreeze()


@_cycles_collected()
def render_pages(
    renderer: Renderer,
    pages: list,
    jobs: int = 1,
    chunk: int = 64,
    *,
    keep: Callable[[tuple], Any],
    progress=None,
    meanwhile: Callable[[], Any] | None = None,
    elsewhere: Sequence[Callable[[], Any]] = (),
    put: Callable[[str, bytes, str], None] | None = None,
) -> tuple[dict[str, tuple[bytes | None, str, Any]], Any, list]:
    """Render pages, in parallel across processes when there is enough to share (the model is
    read-only): path -> (bytes, their hash, keep(what the page read)), kept as each batch
    arrives; what `meanwhile()` returned, run in this process while the workers render; and what
    each of `elsewhere` returned, run by the workers like the pages (a whole-model file: its
    data comes back by pickle). So an edit's few pages are worth the workers when there is other
    work to overlap them with. `progress(done, total)` is called after every batch of pages.

    Given `put(path, bytes, hash)`, the process that renders a page hands its bytes to it at once (the
    write stage's standby folder, write.py) and keeps None in their place: a large site's pages
    never gather in one process's memory, nor travel back from the workers."""
    global _WORK
    total = len(pages)
    many = len(pages) >= 4 * chunk
    # Forked for the work beside a few pages only from a process with no other thread: a fork
    # copies the locks another thread may hold (the dev server's watcher, a browser driver) and
    # a worker that needs one waits for ever.
    others = (meanwhile is not None or bool(elsewhere)) and threading.active_count() == 1
    parallel = jobs > 1 and (many or others) and "fork" in multiprocessing.get_all_start_methods()
    out: dict[str, tuple[bytes | None, str, Any]] = {}
    if parallel and many:
        # One page of each template here first: that compiles it and every template it extends,
        # imports or includes, once, for the workers forked next and for this process's later
        # builds (the dev server's).
        firsts = {page.template: page for page in reversed(pages)}.values()
        out.update(_kept(keep, [_rendered(renderer, page, put) for page in firsts]))
        pages = [page for page in pages if page.path not in out]
    if parallel and not many:
        chunk = 1  # an edit's pages: a few of them (the indexes) are most of the work
    tasks: list[tuple] = [("call", i) for i in range(len(elsewhere))]  # first: each is longer than a page
    tasks += [("pages", i, i + chunk) for i in range(0, len(pages), chunk)]
    called: list = [None] * len(elsewhere)
    _WORK = (renderer, pages, elsewhere, put)
    if parallel:
        # What this process made since the freeze above (the first pages' reads interned in the
        # build state, the list of pages left) is frozen too: each worker's full passes of the
        # cycle collector would otherwise walk it, over 400,000 entries at 50,000 initiatives.
        gc.collect()
        gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(jobs) if parallel else contextlib.nullcontext() as pool:
            done = pool.imap(_run, tasks) if pool else map(_run, tasks)
            beside = meanwhile() if meanwhile else None  # map is lazy: sequentially, this comes first
            for task, found in done:
                if task[0] == "call":
                    called[task[1]] = found
                    continue
                out.update(_kept(keep, found))
                if progress:
                    progress(len(out), total)
            return out, beside, called
    finally:
        _WORK = ()


def _kept(keep, batch: list) -> list:
    return [(path, (data, digest, keep(reads))) for path, (data, digest, reads) in batch]


def page_path(policy: UrlPolicy, lang: str, kind: str, item_id: str | None) -> str:
    """The path of the page with this key in a language (listing kinds are folder names)."""
    if kind in BY_FOLDER:
        return policy.page(lang, BY_FOLDER[kind].name)
    return policy.page(lang, kind, item_id)


@functools.lru_cache(maxsize=8)
def _environment(templates: Path) -> jinja2.Environment:
    """One Jinja environment per templates folder and process: a template is compiled once, and
    again only when its file changes (Jinja checks the modification time on every use), so the
    dev server's rebuilds do not pay for compiling. Nothing of a build is stored in it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_safe"] = _json_for_script
    env.context_class = _TemplateContext
    return env


class _TemplateContext(jinja2.runtime.Context):
    """Jinja's context, but a template's call of one of our helpers (t(), url(), h.link(), …)
    goes straight to it. Jinja asks every callable whether it wants the context passed in, three
    attribute look-ups per call that were a sixth of an item page's time; none of our helpers
    wants it (none is decorated with jinja2.pass_context). Anything else is called as Jinja does."""

    def call(self, obj, /, *args, **kwargs):  # positional only: a template may pass `self=`
        if type(obj) is SiteWords or (type(obj) is MethodType and type(obj.__self__) is _PageHelpers):
            kwargs.pop("_block_vars", None)  # what Jinja passes for a context function, not for us
            kwargs.pop("_loop_vars", None)
            return obj(*args, **kwargs)
        return super().call(obj, *args, **kwargs)


@dataclass(frozen=True)
class Part:
    """A piece of a whole-model file made from one item (a record of an export, a row, a feed
    entry) by `make(site, item)`, which reads the model only through the two views it is handed
    (never through a view of the file's, nor a value taken from one): its reads are recorded on
    their own, so a file made again copies each part none of whose reads changed from the file as
    it was, and makes only the others (state.py: `earlier`)."""

    make: Callable[[Any, Any], bytes]  # (a view of the site, of the item) -> bytes
    item: Any  # the item, as the file's maker met it (its view)


@dataclass(frozen=True)
class Parted:
    """What the making of a file of parts read: its maker's own reads, and each part, by its
    item's name in file order, with what finds it again and, when made now, its reads (copied:
    the build state has them). What finds a part is two entries: its offset and size in the
    file, or, for a maker of several files, what the maker returned of it (the search index: its
    doc's digest, and None). In flat arrays, as it may travel back from a render worker:
    a key set per part, then a tuple and an array per part, took tens of MB at 50,000
    initiatives in the build's process."""

    own: tuple
    keys: list  # each key the parts made read, once
    names: list[str]
    spans: array | list  # what finds each part again, two entries a part
    reads: array  # the made parts' reads, as indices into `keys`, one part after another
    bounds: array  # where each part's reads start and end in `reads`, two entries a part; -1: copied


class _Parts:
    """A Parted, built part by part."""

    def __init__(self, spans: array | list) -> None:
        self.names: list[str] = []
        self.spans, self.reads, self.bounds = spans, array("I"), array("q")
        self.keys: dict[tuple, int] = {}  # each key the parts made read, by its index in Parted.keys

    def add(self, name: str, where: tuple, reads: Iterable[tuple] | None) -> None:
        """A part: what finds it again, and what making it read (None: found as it was)."""
        self.names.append(name)
        self.spans.extend(where)
        start = -1 if reads is None else len(self.reads)
        if reads is not None:
            self.reads.extend(self.keys.setdefault(key, len(self.keys)) for key in reads)
        self.bounds.extend((start, -1 if start < 0 else len(self.reads)))

    def parted(self, own: tuple) -> Parted:
        assert len(set(self.names)) == len(self.names), "one part per item in a file"
        return Parted(own, list(self.keys), self.names, self.spans, self.reads, self.bounds)


def render_whole(
    site: m.Site,
    path: str,
    make,
    place: Callable[[str, bytes], Any],
    earlier: Callable[[], Callable[[str], bytes | None]] = lambda: lambda _: None,
) -> tuple[dict[str, Any], tuple | Parted]:
    """The files made from the whole model under `path` (search index, feed, export), each as
    `place` returned it when handed the file's bytes, by path; and what their making read. A
    maker of several files (the search index) yields them as (path, bytes), each placed as it
    comes, so that a large group's bytes need not all be in memory at once, and may return its
    parts when done: (name, what finds it again, what making it read or None), each read
    through a Recorder of its own. A maker of one file of parts returns its pieces, bytes and
    Parts; `earlier()` gives what finds a part's bytes as the file holds them, by name, when none
    of its reads changed."""
    recorder = Recorder()
    data = make(recorder.site(site))
    if type(data) is list:
        data, parted = _joined(site, data, earlier(), recorder.keys())
        return {path: place(path, data)}, parted
    if type(data) is bytes:
        return {path: place(path, data)}, recorder.keys()
    files: dict[str, Any] = {}
    group = iter(data)
    while True:  # a generator's files, then what it returns
        try:
            member, body = next(group)
        except StopIteration as done:
            returned = done.value
            break
        files[member] = place(member, body)
    if returned is None:
        return files, recorder.keys()
    parts = _Parts([])
    for name, where, reads in returned:
        parts.add(name, where, reads)
    return files, parts.parted(recorder.keys())


def _joined(site: m.Site, pieces: list, earlier: Callable[[str], bytes | None], own: tuple) -> tuple[bytes, Parted]:
    """A file of pieces, each Part found as it was or made now, and what it read: its maker
    (`own`) and its parts (see Parted)."""
    out, at, parts = [], 0, _Parts(array("Q"))
    for piece in pieces:
        if type(piece) is Part:
            item = model_object(piece.item)
            name = f"{item.kind}:{item.id}"
            body, recorder = earlier(name), None
            if body is None:
                recorder = Recorder()
                body = piece.make(recorder.site(site), recorder.wrap(item))
            parts.add(name, (at, len(body)), None if recorder is None else recorder.reads)
            piece = body
        out.append(piece)
        at += len(piece)
    return b"".join(out), parts.parted(own)


@dataclass(frozen=True)
class _Context:
    """What a page's helpers work with: the model as this page's view of it, and the rest."""

    site: SiteView
    item: object  # the page's item, as the view shows it (None on other pages)
    policy: UrlPolicy
    catalogues: dict
    assets: dict
    firsts: dict[str, str]  # a text's HTML -> its first sentence (_first_sentence), for this build


class Renderer:
    def __init__(
        self, site: m.Site, policy: UrlPolicy, templates: Path, catalogues: dict[str, Catalogue], assets: dict[str, str]
    ) -> None:
        self.site, self.policy, self.catalogues, self.assets = site, policy, catalogues, assets
        self.env = _environment(templates)
        # Each process's first sentences, by text: the lists of a large site show each
        # initiative's on several pages, after its own page has made it for its description. A
        # plain dict, not an lru_cache: a bounded cache smaller than a large site's texts misses
        # on every row, and a dict of strings is never walked by the cycle collector.
        self.firsts: dict[str, str] = {}

    def render(self, page: Page) -> tuple[bytes, tuple]:
        """A page's bytes, and the keys of every model value its rendering read (track.py)."""
        recorder = Recorder()
        site, item = recorder.site(self.site), recorder.wrap(page.item)
        helpers = _PageHelpers(_Context(site, item, self.policy, self.catalogues, self.assets, self.firsts), page)
        html = self.env.get_template(page.template).render(
            site=site,
            settings=site.settings,
            page=page,
            item=item,
            lang=page.lang,
            html_lang=LANGUAGES[page.lang].tag,
            t=helpers.t,
            h=helpers,
            url=helpers.url,
            loc=helpers.loc,
            asset=helpers.asset,
        )
        return html.encode("utf-8"), recorder.keys()


_AREA_WORD = re.compile(r"\{(?:area|areas|Area|Areas)\}")


class SiteWords:
    """A catalogue with the site's own words filled in: `{area}`, `{areas}` (and `{Area}`,
    `{Areas}` to start a sentence) are what the site calls the areas of its map (settings
    `areas`), else the catalogue's `area.one` and `area.many`. They are read through the page's
    view of the settings, so a page that shows them is made again when they change."""

    def __init__(self, catalogue: Catalogue, settings) -> None:
        self.catalogue, self.settings = catalogue, settings

    def __call__(self, key: str, **values) -> str:
        strings = self.catalogue.strings
        text = strings.get(f"{key}.one", "") if values.get("n") == 1 else ""
        if _AREA_WORD.search(text or strings.get(key, "")):
            values = self.words() | values
        return self.catalogue(key, **values)

    def words(self) -> dict[str, str]:
        areas, t = self.settings.areas, self.catalogue
        if areas is None:
            one, many = t("area.one"), t("area.many")
        else:
            one, many = areas.one.pick(t.lang)[0], areas.many.pick(t.lang)[0]
        return {"area": one, "areas": many, "Area": one[:1].upper() + one[1:], "Areas": many[:1].upper() + many[1:]}

    def __getattr__(self, name: str):  # lang, date, number: the catalogue's own
        return getattr(self.catalogue, name)


class _PageHelpers:
    """Functions templates call, bound to the page being rendered."""

    def __init__(self, context: _Context, page: Page) -> None:
        self.r, self.page = context, page
        self.t = SiteWords(context.catalogues[page.lang], context.site.settings)
        self._made: dict[tuple, str] = {}  # initiative_list's rows and their pieces made on this page (_once)
        self._cited: dict[str, list[str]] = {}  # source id -> ids of its citations on this page

    # -- links ------------------------------------------------------------------------------

    def url(self, target, fragment: str = "") -> str:
        """href to a model object, a listing ('districts') or a special page ('home')."""
        return self.r.policy.href(self.page.path, self.path_of(target, self.page.lang), fragment)

    def link(self, obj, fragment: str = "") -> Markup:
        """<a> to a model object, labelled with its name in the page's language."""
        # a name is one word to line breaking (style.css): 宝山区 never splits into 宝 / 山区; a title is not
        field = BY_NAME[obj.kind].label
        start = '<a href="' if field == "title" else '<a class="name" href="'
        # an f-string of escaped parts, not Markup.format or +: this runs for every link of every page
        return Markup(f'{start}{escape(self.url(obj, fragment))}">{self.loc(getattr(obj, field))}</a>')

    def path_of(self, target, lang: str) -> str:
        if isinstance(target, str):
            kind = BY_FOLDER[target].name if target in BY_FOLDER else target
            return self.r.policy.page(lang, kind)
        return self.r.policy.page(lang, target.kind, target.id)

    def feed(self) -> str:
        return self.r.policy.href(self.page.path, self.r.policy.feed(self.page.lang))

    def search_index(self) -> str:
        return self.r.policy.href(self.page.path, self.r.policy.search_index(self.page.lang))

    def asset(self, name: str) -> str:
        return self.r.policy.href(self.page.path, self.r.assets[name])

    def absolute_asset(self, name: str) -> str | None:
        """The public URL of a static file (the preview image), when the site has a base URL."""
        return self.r.policy.absolute(self.r.assets[name])

    def absolute(self, path: str | None = None) -> str | None:
        return self.r.policy.absolute(path or self.page.path)

    def translations(self) -> list[tuple[str, str, str | None]]:
        """(language, href, absolute URL or None) of this page in every language."""
        kind, item_id = self.page.key
        out = []
        for lang in self.r.site.settings.languages:
            path = page_path(self.r.policy, lang, kind, item_id)
            out.append((lang, self.r.policy.href(self.page.path, path), self.r.policy.absolute(path)))
        return out

    # -- text -------------------------------------------------------------------------------

    def loc(self, text: m.Text | None) -> Markup:
        """Text in the page's language, or in another one, marked as such."""
        if text is None:
            return Markup("")
        value, lang = text.pick(self.page.lang)
        return self._marked(escape(join_cjk_text(value)), lang)

    def plain(self, text: m.Text | None) -> str:
        """Text without markup, for attributes and metadata."""
        return join_cjk_text(text.pick(self.page.lang)[0]) if text else ""

    def html(self, text: m.Text, sources=()) -> Markup:
        """A Markdown field's HTML, with internal links made relative to this page and citations
        numbered as in `sources`, the source list the page shows: a template showing a text that
        cites must pass its item's sources and show them with the `sources` macro."""
        value, lang = text.pick(self.page.lang)
        value = _PLACEHOLDER_HREF.sub(lambda mt: f'href="{self._internal(mt.group(1))}"', value)
        value = _MEDIA_URL.sub(lambda mt: f'{mt.group(1)}="{self.r.policy.href(self.page.path, mt.group(2))}', value)
        value = LABEL.sub(lambda mt: f'aria-label="{escape(self._label(*mt.groups()))}"', value)
        numbers = {s.id: n for n, s in enumerate(sources, 1)}
        value = _CITE_HREF.sub(lambda mt: self._citation(mt.group(1), mt.group(2), numbers), value)
        return self._marked(Markup(value), lang, block=True)

    def _citation(self, source_id: str, locator: str, numbers: dict[str, int]) -> str:
        """One numbered link to the page's source list (`locator` is escaped HTML already)."""
        n = numbers[source_id]  # resolve puts every cited source in the item's list
        anchor = f"cite-{source_id}-{len(self._cited.setdefault(source_id, [])) + 1}"
        self._cited[source_id].append(anchor)
        label = f"{self.t.number(n)}, {locator}" if locator else self.t.number(n)
        return f'<a href="#source-{source_id}" id="{anchor}">{label}</a>'

    def _label(self, name: str, n: str | None) -> str:
        """The words of a label a Markdown text holds as a placeholder (markup.LABEL)."""
        if name == "note":
            return self.t("note.ref", n=n)
        if name == "note-back":
            return self.t("note.back", n=n)
        if name == "notes":
            return self.t("note.list")
        return self.t("markdown.table")

    def backlinks(self, source) -> Markup:
        """Links from a source list's entry back to its citations on this page."""
        return Markup(" ").join(
            Markup('<a class="back" href="#{}" aria-label="{}">↩</a>').format(anchor, self.t("cite.back", n=n))
            for n, anchor in enumerate(self._cited.get(source.id, ()), 1)
        )

    def other(self, obj) -> Markup:
        """The object's name in the other language, tagged with its language (杨浦区 beside
        Yangpu). Names only: the other texts show in the page's language (or a marked fallback)."""
        text = obj.name
        for lang in LANGUAGES:
            if lang != self.page.lang and text.has(lang) and text.values[lang] != text.pick(self.page.lang)[0]:
                return Markup('<span class="name" lang="{}">{}</span>').format(LANGUAGES[lang].tag, text.values[lang])
        return Markup("")

    def lang_attr(self, lang: str) -> Markup:
        """` lang="…"` when a fragment's language differs from the page's."""
        return Markup(' lang="{}"').format(LANGUAGES[lang].tag) if lang != self.page.lang else Markup("")

    def _marked(self, value: Markup, lang: str, block: bool = False) -> Markup:
        if lang == self.page.lang:
            return value
        tag = "div" if block else "span"
        note = self.t("untranslated", language=self.t.language(lang))
        return Markup(
            '<{tag} lang="{lang}" class="untranslated">{value}</{tag}><small class="untranslated-note">{note}</small>'
        ).format(tag=Markup(tag), lang=LANGUAGES[lang].tag, value=value, note=note)

    def _internal(self, ref: str) -> str:
        match = INTERNAL_LINK.match(ref)
        assert match is not None, "markup.py gives the placeholder only to links INTERNAL_LINK matches"
        kind, item_id, fragment = match.groups()
        path = self.r.policy.page(self.page.lang, kind, item_id)
        return str(escape(self.r.policy.href(self.page.path, path, fragment or "")))

    def join(self, texts) -> Markup:
        return Markup(self.t("list.separator")).join(self.loc(x) for x in texts)

    def initiative_list(self, items, show_district: bool, filterable: bool) -> Markup:
        """The <ul> of initiatives that district, theme and index pages show. Written here, not
        as a template loop, because the indexes hold every initiative several times over: each
        row is made once per page and reused (plain strings; every value is escaped)."""
        out = ['<ul class="initiative-list">\n']
        for ini in items:
            key = ("row", ini.id, show_district, filterable)
            out.append(self._once(key, self._initiative_row, ini, show_district, filterable))
        out.append("</ul>\n")
        return Markup("".join(out))

    def _initiative_row(self, ini, show_district: bool, filterable: bool) -> str:
        """Title, then date · status · districts, then the first sentence of the body."""
        data = ""
        if filterable:  # each value escaped, in f-strings: Markup.format is slower, and this is every row of an index
            districts, zones = " ".join(d.id for d in ini.districts), " ".join(z.id for z in ini.zones)
            themes, batch = " ".join(t.id for t in ini.themes), ini.batch.id if ini.batch else ""
            data = (
                f' data-districts="{escape(districts)}" data-zones="{escape(zones)}"'
                f' data-themes="{escape(themes)}" data-batch="{escape(batch)}"'
            )
        facts = []
        if ini.date:
            facts.append(self._once(("date", ini.date), self.time, ini.date))
        if ini.status:
            facts.append(self._once(("status", ini.status), self._status, ini.status))
        if show_district and ini.districts:
            places = ini.districts
            facts.append(self._once(("districts", *(d.id for d in places)), self.join, (d.name for d in places)))
        line = f'<span class="line">{" · ".join(facts)}</span>' if facts else ""
        summary = self.summary_line(ini)
        shown = f'<span class="summary-line">{summary}</span>' if summary else ""
        link = self._once(("link", ini.id), self._title_link, ini)  # the same link opens both kinds of row
        return f"  <li{data}>{link}{line}{shown}</li>\n"

    def _once(self, key: tuple, make: Callable[..., str], *args) -> str:
        """make(*args), made once per page under `key`: an index shows the same rows, links, dates
        and names thousands of times (what making it read is recorded by then)."""
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = make(*args)
        return found

    def _title_link(self, ini) -> str:
        return str(self.link(ini)).replace("<a ", '<a class="title" ', 1)

    def _status(self, status: str) -> str:
        return f'<span class="status">{escape(self.t("status." + status))}</span>'

    def summary_line(self, item) -> Markup:
        """The first sentence of an item's own text, without markup: the one-line summary that
        lists show under its title."""
        first, lang = self._opening(item)
        return self._marked(escape(first), lang) if first else Markup("")

    def description(self) -> str:
        """The meta description: the first sentence of the page's item's own text, else the
        site's description."""
        first = self._opening(self.r.item)[0] if self.r.item is not None else ""
        return first or self.plain(self.r.site.settings.description)

    def _opening(self, item) -> tuple[str, str]:
        """(first sentence, its language) of an item's own text: an initiative's body, a
        source's note, another item's summary (a theme's is plain text, the others HTML)."""
        kind = BY_NAME[item.kind]
        text = getattr(item, kind.text, None)
        if text is None:
            return "", self.page.lang
        value, lang = text.pick(self.page.lang)
        html = str(escape(value)) if kind.plain else value
        first = self.r.firsts.get(html)
        if first is None:
            first = self.r.firsts[html] = _first_sentence(html)
        return first, lang

    def anchor(self, target: str) -> Markup:
        """A visible link from a heading to itself."""
        return Markup('<a class="anchor" href="#{}" aria-label="{}">#</a>').format(target, self.t("anchor.label"))

    def links(self, objs) -> Markup:
        return Markup(self.t("list.separator")).join(self.link(o) for o in objs)

    def external(self, href: str) -> Markup:
        return Markup('<a class="external url" rel="external noopener noreferrer" href="{0}">{0}</a>').format(href)

    # -- groups -----------------------------------------------------------------------------

    def group(self, initiatives: list, by: str) -> list[tuple[object, list]]:
        """Initiatives grouped by their themes or districts, groups in the site's order."""
        order = getattr(self.r.site, by)
        members: dict[str, list] = {}
        for ini in initiatives:
            for key in getattr(ini, by):
                members.setdefault(key.id, []).append(ini)
        return [(key, members[key.id]) for key in order if key.id in members]

    def announcements(self, initiatives: list) -> list[tuple[m.Person, list]]:
        """Who presented which initiatives, in first-seen order (initiatives are sorted)."""
        people: dict[tuple, tuple] = {}
        for ini in initiatives:
            for person in ini.announced_by:
                key = tuple(sorted(person.name.values.items()))
                people.setdefault(key, (person, []))[1].append(ini)
        return list(people.values())

    def heat(self, count: int) -> int:
        """Shade step 0–4 of a matrix cell, relative to the fullest cell."""
        top = max((len(v) for v in self.r.site.matrix.values()), default=0)
        return 0 if not count else 1 + min(3, (count * 4 - 1) // max(top, 1))

    def missing_translations(self) -> list:
        return self.r.site.missing_translations

    # -- maps and charts --------------------------------------------------------------------

    def district_map(self) -> Markup:
        """Every area of the map; those with a zone shaded by their first batch (or, for zones in
        no batch, all alike) and linked."""
        regions = {}
        rank = {b.id: n for n, b in enumerate(self.r.site.batches, 1)}  # the palette's batch-1, batch-2, …
        for d in self.r.site.districts:
            shade = f"batch-{rank[d.batches[0].id]}" if d.batches else "zoned" if d.zones else ""
            regions[d.code] = Region(d.code, self.plain(d.name), self.url(d), shade, self._other_lang(d.name))
        desc = self.t("map.desc") if self.r.site.batches else self.t("map.desc.unbatched")
        return district_map(self.r.site.shapes, regions, title=self.t("map.title"), desc=desc, id_prefix="map")

    def batch_colours(self) -> str:
        """href of the stylesheet that gives this site's batches their colours (palette.py)."""
        return self.r.policy.href(self.page.path, stylesheet_path(len(self.r.site.batches)))

    def zone_kind(self, zone) -> Markup:
        """A zone's kind, labelled as the site declares it."""
        return self.loc(self.r.site.settings.zone_kinds[zone.zone_kind])

    def locator_map(self, district: m.District) -> Markup:
        here = {district.code: Region(district.code, self.plain(district.name), None, "current")}
        return district_map(
            self.r.site.shapes,
            here,
            title=self.t("map.locator", name=self.plain(district.name)),
            desc=self.t("map.locator.desc"),
            id_prefix="locator",
            labelled=False,
            width=240,
        )

    def chart(self, by: str) -> Markup:
        """Bars of initiatives per district or per theme, linked to their pages."""
        items = self.r.site.districts if by == "districts" else self.r.site.themes
        rows = [(self.plain(x.name), len(x.initiatives), self.url(x)) for x in items if x.initiatives]
        title = self.t("chart.districts") if by == "districts" else self.t("chart.themes")
        return bar_chart(rows, title=title, desc=self.t("chart.desc"), id_prefix=f"chart-{by}")

    def _other_lang(self, text: m.Text) -> str | None:
        lang = text.pick(self.page.lang)[1]
        return LANGUAGES[lang].tag if lang != self.page.lang else None

    # -- formats ----------------------------------------------------------------------------

    def root(self) -> str:
        """Relative path from this page to the site root, for scripts that build links."""
        if self.page.path.endswith("404.html") and self.r.policy.base_url:
            return self.r.policy.base_url  # see UrlPolicy.href
        return "../" * self.page.path.count("/") or "./"

    def data_url(self, name: str) -> str:
        return self.r.policy.href(self.page.path, f"data/{name}")

    def html_lang(self, lang: str) -> str:
        return LANGUAGES[lang].tag

    def og_locale(self, lang: str) -> str:
        return LANGUAGES[lang].og_locale

    def language_name(self, lang: str) -> str:
        """A language's own name, written in it (the language switcher's labels)."""
        return LANGUAGES[lang].name

    def menu(self) -> tuple:
        """The kinds whose listings the site's menu links to, in its order."""
        return MENU

    def kinds(self) -> tuple:
        """Every kind's row (kinds.py), in the registry's order."""
        return KINDS

    def kind(self, name: str):
        """A kind's row (kinds.py): its folder, its schema.org type, …"""
        return BY_NAME[name]

    def date(self, value) -> str:
        return self.t.date(value)

    def time(self, value) -> Markup:
        # an f-string, not Markup.format: lists call this for every row (an ISO date needs no escaping)
        return Markup(f'<time datetime="{value.isoformat()}">{escape(self.t.date(value))}</time>')

    def number(self, value) -> str:
        return self.t.number(value)

    def quantity(self, q: m.Quantity) -> str:
        """A number as qualified in the source: "about 14", "约14", "1–2"."""
        value = self.t.number(q.value)
        if q.qualifier == "about":
            return self.t("qty.about", value=value)
        if q.qualifier == "over":
            return self.t("qty.over", value=value)
        if q.qualifier == "nearly":
            return self.t("qty.nearly", value=value)
        if q.qualifier == "range":
            return self.t("qty.range", low=value, high=self.t.number(q.upper))
        return value


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])|(?<=[。！？])")
SUMMARY_CHARS = 200  # a longer first sentence is cut at a word (Latin) or character (Chinese)


def _first_sentence(html: str) -> str:
    """The first sentence of a text's first paragraph (headings are not summaries), without
    markup, on one line and at most SUMMARY_CHARS long."""
    paragraph = _FIRST_PARAGRAPH.search(html)
    text = plain_text(paragraph.group(1) if paragraph else html)
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    if len(first) <= SUMMARY_CHARS:
        return first
    cut = first[:SUMMARY_CHARS]
    return (cut.rsplit(" ", 1)[0] if " " in cut[SUMMARY_CHARS // 2 :] else cut).rstrip(",;:，；：") + "…"


def _json_for_script(value) -> Markup:
    """JSON safe inside <script>: no '</script>', no HTML comment openers."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
