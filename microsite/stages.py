"""The stages of a build between the content and the write: the model and the plan of every
output (`prepare`), then the outputs made or kept (`produce`). pipeline.build runs them in order;
devbuild.py runs them for the dev server.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from . import languages, model as m
from .diagnostics import Diagnostics
from .i18n import load_catalogues
from .links import check_relative_links
from .load import load_content
from .media import media_makers
from .paths import display_path
from .pipeline import Options, Output
from .publish import publish_makers
from .render import Page, Parted, Renderer, placed, plan_pages, render_pages, render_whole
from .resolve import resolve
from .search import search_files
from .state import BuildState
from .track import Values
from .urls import UrlPolicy, normalise_base_url

FINGERPRINTED = (".css", ".js")


@dataclass
class Plan:
    """A build's model and what it will write, before anything is rendered."""

    site: m.Site
    policy: UrlPolicy
    pages: list[Page]
    static: dict[str, bytes]  # output path -> bytes (collect_static)
    renderer: Renderer
    values: Values  # the digest of each value of this model a page may read
    state: BuildState  # whose tables remember the search index's tokens, and the files of parts' parts
    out: Path  # the output folder, where the files of parts are as last built

    def whole_model_makers(self) -> dict[str, Callable]:
        """Search indexes, feeds, sitemap, data exports and media files: each path, with what makes it from a
        (recorded) view of the model. A maker may make several files (a group, named by the
        path it is listed under): the search index makes every language's parts at once."""
        fresh = partial(self.state.fresh_parts, self.search_path(), self.values)
        search = partial(
            search_files, policy=self.policy, state=self.state, catalogues=self.renderer.catalogues, fresh=fresh
        )
        return {self.search_path(): search} | publish_makers(self.site, self.policy) | media_makers(self.site)

    def search_path(self) -> str:
        """The search index's entry: its maker keeps the items' tokens in the build state's
        tables, so it runs in the build's own process; the other makers may run in a worker."""
        return self.policy.search_index(self.site.settings.languages[0])

    def make_files(
        self, path: str, target: Page | Callable, place: Callable[[str, bytes], Any] = lambda _, data: data
    ) -> tuple[dict[str, Any], tuple | Parted]:
        """The files of an output (a page, a whole-model file, or a maker's group) by path, each
        as `place` returned it when handed the file's bytes, and what their making read (for
        `state.keep`)."""
        if isinstance(target, Page):
            data, reads = self.renderer.render(target)
            return {path: place(path, data)}, reads
        earlier = partial(self.state.earlier, self.out, path, self.values, repr(self.policy))
        return render_whole(self.site, path, target, place, earlier)


def prepare(options: Options, diags: Diagnostics, state: BuildState) -> tuple[m.Site | None, Plan | None]:
    """The model and every page planned; (model or None, None) when something is broken."""
    site = resolve(load_content(options.content, diags, state), diags, state, options.jobs)
    catalogues = load_catalogues(options.templates, diags, site.settings.languages if site else languages.codes())
    if site is None or diags.errors:
        return site, None
    policy = UrlPolicy(
        offline=options.offline,
        base_url=normalise_base_url(options.base_url) or site.settings.base_url,
        root_language=site.settings.languages[0],
    )
    static = collect_static(options.static)
    renderer = Renderer(site, policy, options.templates, catalogues, _asset_names(static))
    plan = Plan(site, policy, plan_pages(site, policy), static, renderer, Values(site), state, options.out)
    outputs = {page.path for page in plan.pages} | set(static) | set(plan.whole_model_makers())
    built = [link for link in site.relative_links if link.lang in site.settings.languages]
    check_relative_links(built, policy.page, outputs, diags)
    return site, plan


def produce(
    plan: Plan,
    options: Options,
    diags: Diagnostics,
    state: BuildState,
    put: Callable[[str, bytes, str], None] | None = None,
) -> Output | None:
    """Every output file, but those the folder holds already as this build would make them
    (state.py); None when a path collides or a template fails. Files are in memory, or, given
    `put`, handed to it as they are made (pages by render_pages; the output lists them as
    placed)."""
    makers = plan.whole_model_makers()
    check_paths(plan.pages, plan.static | makers, diags)
    if diags.errors:
        return None
    kept = reusable(plan, options, state)
    # heaviest first, by what their last making read: no worker is left with the longest at the end
    todo = sorted((page for page in plan.pages if page.path not in kept), key=lambda page: -state.weight(page.path))
    groups = {path: state.groups.get(path, (path,)) for path in makers}

    again = [path for path in makers if not kept.issuperset(groups[path])]
    here = [path for path in again if path == plan.search_path()]
    away = [path for path in again if path not in here]

    def files_of(
        path: str, placed: dict[str, tuple[bytes | None, str]], found: tuple | Parted
    ) -> dict[str, tuple[bytes | None, str, array]]:
        groups[path], reads = tuple(placed), state.keep(path, found)
        return {member: (data, digest, reads) for member, (data, digest) in placed.items()}

    def make_here() -> dict[str, tuple[bytes | None, str, array]]:
        made: dict[str, tuple[bytes | None, str, array]] = {}
        for path in here:
            made.update(files_of(path, *_made(plan, path, makers[path], put)))
        return made

    try:
        made, whole, elsewhere = render_pages(
            plan.renderer,
            todo,
            options.jobs,
            progress=options.progress,
            keep=state.intern,
            meanwhile=make_here,
            elsewhere=[partial(_made, plan, path, makers[path], put) for path in away],
            put=put,
        )
        made.update(whole)
        for path, (group, found) in zip(away, elsewhere, strict=True):
            made.update(files_of(path, group, found))
    except jinja2.TemplateError as err:
        template_problem(err, options.templates, diags)
        return None
    files: dict[str, bytes | None] = dict(plan.static)
    files.update(
        (path, made[path][0] if path in made else None)
        for path in [*(p.path for p in plan.pages), *(m for group in groups.values() for m in group)]
    )
    records: dict[str, tuple[str, array | None]] = {
        path: (hashlib.sha256(data).hexdigest(), state.intern(())) for path, data in plan.static.items()
    }
    records.update((path, (digest, reads)) for path, (_, digest, reads) in made.items())
    reused = {path: state.outputs[path].hash for path in kept if path in files}
    # files made again as they were: kept (their reads are recorded anew)
    reused.update(
        (path, digest)
        for path, (digest, _) in records.items()
        if path in made and state.holds(options.out, path) and state.outputs[path].hash == digest
    )
    for path in reused:
        files[path] = None
    records.update((path, (digest, None)) for path, digest in reused.items() if path not in made)
    placed = {path: digest for path, (data, digest, _) in made.items() if data is None and path not in reused}
    return Output(
        files,
        records,
        reused,
        len(plan.pages),
        len(todo),
        groups={path: group for path, group in groups.items() if group != (path,)},
        placed=placed,
    )


def _made(
    plan: Plan, path: str, maker: Callable, put: Callable[[str, bytes, str], None] | None
) -> tuple[dict[str, tuple[bytes | None, str]], tuple | Parted]:
    """A maker's files as (bytes, or None once `put` has placed them; their hash), and what their
    making read. Run by the process that makes them, like a page: the exports and the search
    index are tens of MB on a large site, kept to the build's end or sent back from a worker
    otherwise."""
    return plan.make_files(path, maker, partial(placed, put=put))


def reusable(plan: Plan, options: Options, state: BuildState) -> set[str]:
    """The outputs the folder holds as they were written, none of whose reads has changed."""
    if not state.outputs or state.policy != repr(plan.policy):
        return set()
    return state.reusable(options.out, plan.values)


def settle(options: Options, site: m.Site | None, diags: Diagnostics) -> None:
    """Severities as the settings and --strict set them (diagnostics.py)."""
    settings = site.settings if site else None
    diags.settle(options.strict or bool(settings and settings.strict), settings.severity if settings else {})


def template_problem(err: jinja2.TemplateError, templates: Path, diags: Diagnostics) -> None:
    """A template mistake, reported at its template line."""
    name = getattr(err, "filename", None) or getattr(err, "name", None) or ""
    line = getattr(err, "lineno", None) or 0
    tb = err.__traceback__
    while tb is not None:  # Jinja rewrites tracebacks so template frames carry template lines
        if tb.tb_frame.f_code.co_filename.startswith(str(templates)):
            name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    path = Path(name) if Path(name).is_absolute() else templates / name
    diags.add(display_path(path), line, 0, "template", f"{type(err).__name__}: {err.message}")


def collect_static(static: Path) -> dict[str, bytes]:
    """Static files under assets/, CSS and JS with a content hash in the name (cache forever)."""
    files = {}
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        rel = path.relative_to(static).as_posix()
        files.update(_fingerprinted(f"assets/{rel}", path.read_bytes()))
    return files


def _fingerprinted(path: str, data: bytes) -> dict[str, bytes]:
    stem, dot, suffix = path.rpartition(".")
    if dot and "." + suffix in FINGERPRINTED:
        path = f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}"
    return {path: data}


def _asset_names(files: dict[str, bytes]) -> dict[str, str]:
    """Template name ('style.css') -> fingerprinted output path ('assets/style.0a1b2c3d4e.css')."""
    names = {}
    for path in files:
        name = path[len("assets/") :]
        stem, _, suffix = name.rpartition(".")
        if "." + suffix in FINGERPRINTED:
            name = stem.rpartition(".")[0] + "." + suffix
        names[name] = path
    return names


def check_paths(pages, files: dict, diags: Diagnostics) -> None:
    """Two things that would write the same file are one clear error, before rendering."""
    seen: dict[str, object] = {path: "static file" for path in files}
    for page in pages:
        if page.path in seen:
            other = seen[page.path]
            diags.add(
                getattr(page.item, "place", m.Place("")).file,
                0,
                0,
                "path-collision",
                f"two pages would be written to {page.path}",
                hint=f"the other is {getattr(getattr(other, 'item', None), 'id', other)}",
            )
        seen[page.path] = page
