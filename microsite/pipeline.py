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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jinja2

from . import inputs, model as m
from .cache import DEFAULT_FOLDER as DEFAULT_CACHE, open_cache
from .diagnostics import Diagnostics
from .i18n import load_catalogues
from .load import Known, display_path, load_content
from .incremental import Keys, code_digest, digest, item_value, tree_digest
from .render import Page, Renderer, plan_pages, render_pages
from .resolve import resolve
from .publish import publish_makers
from .search import search_index
from .urls import UrlPolicy, normalise_base_url
from .write import WriteStats, out_dir_problem, read_marker, write_site

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTED = (".css", ".js")


@dataclass
class Options:
    content: Path = ROOT / "content"
    out: Path = ROOT / "site"
    templates: Path = ROOT / "templates"
    static: Path = ROOT / "static"
    jobs: int = os.cpu_count() or 1
    cache: Path | None = DEFAULT_CACHE   # cache.py; None: parse and convert everything
    progress: Callable[[int, int], None] | None = None  # told (pages rendered, pages to render)
    base_url: str | None = None
    offline: bool = False
    strict: bool = False
    skip_unchanged: bool = False  # inputs.py: no build at all when no input changed (needs a cache)


@dataclass
class Result:
    diagnostics: Diagnostics
    site: m.Site | None = None
    output: "Output | None" = None
    stats: WriteStats = field(default_factory=WriteStats)
    seconds: float = 0.0
    skipped: bool = False   # no input had changed: the previous build's output and diagnostics

    @property
    def ok(self) -> bool:
        return self.output is not None and not self.diagnostics.errors


@dataclass
class Output:
    files: dict[str, bytes | None]   # None: the previous build's file is still right
    keys: dict[str, str]             # page path -> key (incremental.py)
    pages: int = 0
    rendered: int = 0
    pending: int = 0   # the dev server's: files left to check, and make if changed (devbuild.py)


@dataclass
class Plan:
    """A build's model and what it will write, before anything is rendered."""
    site: m.Site
    policy: UrlPolicy
    pages: list[Page]
    static: dict[str, bytes]     # output path -> bytes (collect_static)
    keys: Keys                   # each page's key, and the whole model's (incremental.py)
    generator: str               # _generator_digest: the code, templates, catalogues, static files
    renderer: Renderer

    def whole_model_makers(self) -> dict[str, Callable[[], bytes]]:
        """Search indexes, feeds, sitemap and data exports: each path, with what makes it."""
        makers = {self.policy.search_index(lang): partial(search_index, self.site, self.policy, lang)
                  for lang in self.site.settings.languages}
        return makers | publish_makers(self.site, self.policy)


def prepare(options: Options, diags: Diagnostics, known: Known | None = None) -> tuple[m.Site | None, Plan | None]:
    """The model, every page planned and keyed; (model or None, None) when something is broken.
    `known`: content files a long-lived process loaded before (load.Known)."""
    cache = open_cache(options.cache)
    site = resolve(load_content(options.content, diags, cache, known), diags, cache, options.jobs)
    cache.save()
    catalogues = load_catalogues(options.templates, diags)
    if site is None or diags.errors:
        return site, None
    policy = UrlPolicy(offline=options.offline,
                       base_url=normalise_base_url(options.base_url) or site.settings.base_url,
                       default_language=site.settings.languages[0])
    static = collect_static(options.static)
    assets = _asset_names(static)
    pages = plan_pages(site, policy)
    generator = _generator_digest(options, assets)
    renderer = Renderer(site, policy, options.templates, catalogues, assets)
    keys = Keys(site, _fixed_digest(generator, site, policy))
    return site, Plan(site, policy, pages, static, keys, generator, renderer)


def produce(plan: Plan, options: Options, diags: Diagnostics, previous: dict | None = None) -> Output | None:
    """Every output file in memory; None when a path collides or a template fails.

    `previous` is the marker of the build already in the output folder: pages whose key is
    unchanged are not rendered again.
    """
    previous, root = previous or {"files": {}, "keys": {}}, str(options.out)
    model_key = plan.keys.model()
    made = [path for path, key in previous["keys"].items() if key == model_key]
    if made and all(up_to_date(previous, root, path, model_key) for path in made):
        generated = dict.fromkeys(made)  # the previous build's files are right: reuse them
    else:
        generated = {path: make() for path, make in plan.whole_model_makers().items()}
    keys = {page.path: plan.keys.page(page) for page in plan.pages} | dict.fromkeys(generated, model_key)
    files: dict[str, bytes | None] = plan.static | generated
    check_paths(plan.pages, files, diags)
    if diags.errors:
        return None
    todo = [p for p in plan.pages if not up_to_date(previous, root, p.path, keys[p.path])]
    try:
        rendered = render_pages(plan.renderer, todo, options.jobs, progress=options.progress)
    except jinja2.TemplateError as err:
        template_problem(err, options.templates, diags)
        return None
    for page in plan.pages:
        files[page.path] = rendered.get(page.path)
    return Output(files, keys, len(plan.pages), len(rendered))


def up_to_date(folder: dict, root: str, path: str, key: str) -> bool:
    """Whether the file at `path` below `root`, whose marker (write.py) is `folder`, is the one
    a page with this key would be. os.path: at 10,000 initiatives, Path objects cost 0.3 s."""
    return (folder["keys"].get(path) == key and path in folder["files"]
            and os.path.isfile(os.path.join(root, path)))


def settle(options: Options, site: m.Site | None, diags: Diagnostics) -> None:
    """Severities as the settings and --strict set them (diagnostics.py)."""
    settings = site.settings if site else None
    diags.settle(options.strict or bool(settings and settings.strict), settings.severity if settings else {})


def _generator_digest(options: Options, assets: dict[str, str]) -> str:
    """What the pages are made with: the generator's code, templates, catalogues, static files."""
    return digest(code_digest(), tree_digest(options.templates, options.static), repr(sorted(assets.items())))


def _fixed_digest(generator: str, site: m.Site, policy: UrlPolicy) -> str:
    """What every page depends on besides the items: the generator, the settings, the URL policy
    and the map."""
    s = site.settings
    settings = [item_value(v) for v in (s.title, s.description, s.intro, s.languages, s.sources)]
    shapes = repr([(x.code, x.rings) for x in site.shapes])
    return digest(generator, repr(policy), *settings, shapes)


def build(options: Options) -> Result:
    """Build and, when there is no error, write the site into options.out."""
    started = time.perf_counter()
    diags = Diagnostics()
    if output_problem(options, diags):
        return Result(diags)
    scan = inputs.scan(options) if options.skip_unchanged and options.cache else None
    result = _previous_result(options, scan) if scan else None
    if result is None:
        site, plan = prepare(options, diags)
        output = produce(plan, options, diags, read_marker(options.out)) if plan else None
        settle(options, site, diags)
        result = Result(diags, site, output)
        if result.ok:
            result.stats = write_site(options.out, output.files, output.keys)
            if scan:
                inputs.remember(options, scan, diags, output.pages, result.stats.marker)
    result.seconds = time.perf_counter() - started
    return result


def output_problem(options: Options, diags: Diagnostics) -> bool:
    """True, with the reason reported, when options.out is no place to write a site."""
    problem = out_dir_problem(options.out, options.content, ROOT)
    if problem:
        diags.add(display_path(options.out), 0, 0, "bad-output",
                  f"refusing to write the site into {display_path(options.out)}: it {problem}",
                  hint="choose an empty folder or a previous build's folder with --out")
    return bool(problem)


def _previous_result(options: Options, scan: inputs.Scan) -> Result | None:
    """The last build's result, when it still holds (inputs.py); None: build."""
    found = inputs.unchanged(options, scan)
    if found is None:
        return None
    diags, pages, marker = found
    output = Output(dict.fromkeys(marker["files"]), marker["keys"], pages, 0)
    return Result(diags, None, output, WriteStats(unchanged=len(marker["files"])), skipped=True)


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
        name = path[len("assets/"):]
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
            diags.add(getattr(page.item, "place", m.Place("")).file, 0, 0, "path-collision",
                      f"two pages would be written to {page.path}",
                      hint=f"the other is {getattr(getattr(other, 'item', None), 'id', other)}")
        seen[page.path] = page
