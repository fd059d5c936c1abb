"""The build, start to end: `build` reads top to bottom.

load → validate and resolve (the model) → plan and key every page (`prepare`) → render what
changed (`produce`) → write → decide. Nothing is written before every page exists in memory,
and nothing at all when there are errors: the previous output stays exactly as it was. (The dev
server runs the same stages, with the rendering put off until a file is asked for: devbuild.py.)
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jinja2

from . import languages, model as m
from .diagnostics import Diagnostics
from .i18n import load_catalogues
from .links import check_relative_links
from .load import display_path, load_content
from .media import media_makers
from .project import theme_folder, user_cache
from .publish import publish_makers
from .render import Page, Renderer, plan_pages, render_pages, render_whole
from .resolve import resolve
from .search import search_files
from .state import BuildState, open_state, scan_inputs
from .track import Values
from .urls import UrlPolicy, normalise_base_url
from .write import WriteStats, out_dir_problem, write_site

ROOT = Path(__file__).resolve().parent.parent  # the repository, or the installed package's folder
FINGERPRINTED = (".css", ".js")


@dataclass
class Options:
    content: Path = Path("content")
    out: Path = Path("site")
    templates: Path = field(default_factory=lambda: theme_folder("templates"))
    static: Path = field(default_factory=lambda: theme_folder("static"))
    jobs: int = os.cpu_count() or 1
    cache: Path | None = field(default_factory=user_cache)  # where the build state lives (state.py); None: nowhere
    fresh: bool = False  # reuse nothing of the last build (its state is still written)
    progress: Callable[[int, int], None] | None = None  # told (pages rendered, pages to render)
    base_url: str | None = None
    offline: bool = False
    strict: bool = False
    skip_unchanged: bool = False  # no build at all when no input changed (state.py)

    def folders(self) -> dict[str, str]:
        """The input folders, by the label the build state files them under."""
        return {"content": str(self.content), "templates": str(self.templates), "static": str(self.static)}


@dataclass
class Result:
    diagnostics: Diagnostics
    site: m.Site | None = None
    output: Output | None = None
    stats: WriteStats = field(default_factory=WriteStats)
    seconds: float = 0.0
    skipped: bool = False  # no input had changed: the previous build's output and diagnostics

    @property
    def ok(self) -> bool:
        return self.output is not None and not self.diagnostics.errors


@dataclass
class Output:
    files: dict[str, bytes | None]  # None: the file in the folder is right (its hash: `reused`)
    made: dict[str, tuple[str, array | None]]  # path -> (hash, what it read, state.intern'd; None: as before)
    reused: dict[str, str]  # path -> hash of the files kept as they are
    pages: int = 0
    rendered: int = 0
    pending: int = 0  # the dev server's: files left to check, and make if changed (devbuild.py)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a maker's path -> its files


@dataclass
class Plan:
    """A build's model and what it will write, before anything is rendered."""

    site: m.Site
    policy: UrlPolicy
    pages: list[Page]
    static: dict[str, bytes]  # output path -> bytes (collect_static)
    renderer: Renderer
    values: Values  # the digest of each value of this model a page may read
    state: BuildState  # whose tables remember the search index's tokens

    def whole_model_makers(self) -> dict[str, Callable]:
        """Search indexes, feeds, sitemap, data exports and media files: each path, with what makes it from a
        (recorded) view of the model. A maker may make several files (a group, named by the
        path it is listed under): the search index makes every language's parts at once."""
        search = self.policy.search_index(self.site.settings.languages[0])
        makers = {
            search: partial(search_files, policy=self.policy, state=self.state, catalogues=self.renderer.catalogues)
        }
        return makers | publish_makers(self.site, self.policy) | media_makers(self.site)

    def make_files(self, path: str, target: Page | Callable) -> tuple[dict[str, bytes], frozenset]:
        """The files of an output (a page, a whole-model file, or a maker's group) by path, and
        what their making read."""
        if isinstance(target, Page):
            data, reads = self.renderer.render(target)
            return {path: data}, reads
        data, reads = render_whole(self.site, target)
        return (data if isinstance(data, dict) else {path: data}), reads


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
    plan = Plan(site, policy, plan_pages(site, policy), static, renderer, Values(site), state)
    outputs = {page.path for page in plan.pages} | set(static) | set(plan.whole_model_makers())
    built = [link for link in site.relative_links if link.lang in site.settings.languages]
    check_relative_links(built, policy.page, outputs, diags)
    return site, plan


def produce(plan: Plan, options: Options, diags: Diagnostics, state: BuildState) -> Output | None:
    """Every output file in memory, but those the folder holds already as this build would make
    them (state.py); None when a path collides or a template fails."""
    makers = plan.whole_model_makers()
    check_paths(plan.pages, plan.static | makers, diags)
    if diags.errors:
        return None
    kept = reusable(plan, options, state)
    todo = [page for page in plan.pages if page.path not in kept]
    groups = {path: state.groups.get(path, (path,)) for path in makers}
    try:
        made = render_pages(plan.renderer, todo, options.jobs, progress=options.progress, keep=state.intern)
        for path, make in makers.items():
            if not kept.issuperset(groups[path]):
                group, found = plan.make_files(path, make)
                groups[path], reads = tuple(group), state.intern(found)
                made.update((member, (data, reads)) for member, data in group.items())
    except jinja2.TemplateError as err:
        template_problem(err, options.templates, diags)
        return None
    files: dict[str, bytes | None] = dict(plan.static)
    files.update(
        (path, made[path][0] if path in made else None)
        for path in [*(p.path for p in plan.pages), *(m for group in groups.values() for m in group)]
    )
    records: dict[str, tuple[str, array | None]] = {
        path: (hashlib.sha256(data).hexdigest(), state.intern(frozenset())) for path, data in plan.static.items()
    }
    records.update((path, (hashlib.sha256(data).hexdigest(), reads)) for path, (data, reads) in made.items())
    reused = {path: state.outputs[path].hash for path in kept if path in files}
    # a group's files made again as they were: kept (their reads are recorded anew)
    reused.update(
        (path, digest)
        for path, (digest, _) in records.items()
        if path in made and state.holds(options.out, path) and state.outputs[path].hash == digest
    )
    for path in reused:
        files[path] = None
    records.update((path, (digest, None)) for path, digest in reused.items() if path not in made)
    return Output(
        files,
        records,
        reused,
        len(plan.pages),
        len(todo),
        groups={path: group for path, group in groups.items() if group != (path,)},
    )


def reusable(plan: Plan, options: Options, state: BuildState) -> set[str]:
    """The outputs the folder holds as they were written, none of whose reads has changed."""
    if not state.outputs or state.policy != repr(plan.policy):
        return set()
    return state.reusable(options.out, plan.values)


def settle(options: Options, site: m.Site | None, diags: Diagnostics) -> None:
    """Severities as the settings and --strict set them (diagnostics.py)."""
    settings = site.settings if site else None
    diags.settle(options.strict or bool(settings and settings.strict), settings.severity if settings else {})


def build(options: Options) -> Result:
    """Build and, when there is no error, write the site into options.out."""
    started = time.perf_counter()
    diags = Diagnostics()
    if output_problem(options, diags):
        return Result(diags)
    state = open_state(options)
    scan = scan_inputs(options.folders()) if options.skip_unchanged else None
    context = _context(options, state)
    found = state.unchanged(scan, options.out, context)
    if found is not None:
        diags, pages = found
        same = Output({path: None for path in state.outputs}, {}, {}, pages, 0)
        return Result(
            diags, None, same, WriteStats(unchanged=len(state.outputs)), time.perf_counter() - started, skipped=True
        )
    site, plan = prepare(options, diags, state)
    output = produce(plan, options, diags, state) if plan else None
    settle(options, site, diags)
    result = Result(diags, site, output)
    if result.ok:
        assert output is not None and plan is not None, "an ok result has an output, made from a plan"
        previous = state.outputs
        result.stats = write_site(options.out, output.files, output.reused, state.standby_holds)
        state.record(options.out, output.made, plan.values, repr(plan.policy), output.groups)
        state.exchanged(previous if result.stats.exchanged else {}, result.stats.linked)
        state.note_result(scan, options.folders(), context, diags, output.pages)
    state.save()  # after a failure too: the folder is as it was, the parse results worth keeping
    result.seconds = time.perf_counter() - started
    return result


def _context(options: Options, state: BuildState) -> str:
    """What a build's result depends on besides its inputs' files."""
    return repr((sorted(state.fingerprint.items()), options.folders(), options.strict))


def output_problem(options: Options, diags: Diagnostics) -> bool:
    """True, with the reason reported, when options.out is no place to write a site."""
    problem = out_dir_problem(options.out, options.content, ROOT)
    if problem:
        diags.add(
            display_path(options.out),
            0,
            0,
            "bad-output",
            f"refusing to write the site into {display_path(options.out)}: it {problem}",
            hint="choose an empty folder or a previous build's folder with --out",
        )
    return bool(problem)


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
