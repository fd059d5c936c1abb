"""The build, start to end: `build` reads top to bottom.

load → validate and resolve (the model) → plan and key every page (`prepare`) → render what
changed (`produce`) → write → decide. Nothing is written before every page exists in memory,
and nothing at all when there are errors: the previous output stays exactly as it was. (The dev
server runs the same stages, with the rendering put off until a file is asked for: devbuild.py.)
The stages themselves are in stages.py, imported only once a build gets past the check that no
input changed: the libraries they need take longer to import than that check takes.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostics
from .paths import display_path
from .project import theme_folder, user_cache
from .state import BuildState, open_state, scan_inputs
from .write import Standby, WriteStats, out_dir_problem, write_site

if TYPE_CHECKING:  # see the docstring: a build with nothing to do does not import the model
    from . import model as m

ROOT = Path(__file__).resolve().parent.parent  # the repository, or the installed package's folder


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
    files: dict[str, bytes | None]  # None: the file in the folder is right (its hash: `reused`), or placed
    made: dict[str, tuple[str, array | None]]  # path -> (hash, what it read, state.intern'd; None: as before)
    reused: dict[str, str]  # path -> hash of the files kept as they are
    pages: int = 0
    rendered: int = 0
    pending: int = 0  # the dev server's: files left to check, and make if changed (devbuild.py)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a maker's path -> its files
    placed: dict[str, str] = field(default_factory=dict)  # path -> hash: in the standby already (write.py)


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
    from .stages import prepare, produce, settle  # see the module's docstring

    site, plan = prepare(options, diags, state)
    state.set_aside()  # what loading and resolving kept is for the next build only
    output = produce(plan, options, diags, state, Standby(options.out, state.standby_holds).put) if plan else None
    settle(options, site, diags)
    result = Result(diags, site, output)
    if result.ok:
        assert output is not None and plan is not None, "an ok result has an output, made from a plan"
        previous = state.outputs
        result.stats = write_site(options.out, output.files, output.reused, state.standby_holds, placed=output.placed)
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
