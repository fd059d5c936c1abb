"""The dev server's builds: the model at once, the files when they are asked for.

A full build keys every page, and renders every changed one and every file made from the whole
model, before it writes anything: at 10,000 initiatives, seconds after an edit of one title,
while the editor waits for one page. So when only the content changed, settings included (the
generator's code, templates, catalogues and static files are as the last good build had them:
pipeline.Plan.generator), a dev build stops once the model is made and the files are planned:
every output file is *pending*. The server checks a pending file when a request asks for it,
before opening it (serve.py): it computes the file's key (incremental.Keys) and, only when that
differs from the key the folder has it with, makes it again. It checks the others in short
steps between requests, until the folder holds byte for byte what a full build writes.

So every file served is the last good build's: made from its model, or already in the folder
with the key it has in that build. From the first pending file written to the last, the folder's
marker (write.py) is empty, so a server killed meanwhile leaves a folder the next build replaces
whole; once none is left, the marker records the folder's files and keys, as a full build's does.

The first build, and a build after any other change, is a full one, written in place: a
template's mistakes are found before anything is written, and only the files whose key changed
are written. When it fails, no file pending from the build before is made any more (it may need
a template that has changed since). A template error on a pending page is reported like a
failed build; nothing more is made from that build, and the next one is full (where the error
is reported again, or is gone). So is the build after another one wrote the folder (`build` run
into it): its marker is not the one this server last wrote, and the folder is taken as that
marker says.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import jinja2

from .diagnostics import Diagnostics
from .load import Known
from .pipeline import (Options, Output, Plan, Result, check_paths, output_problem, prepare, produce,
                       settle, template_problem, up_to_date)
from .render import Page
from .write import marker_file_digest, read_marker, remove_file, replace_file, write_marker, write_site


class DevBuild:
    """The last good build of a dev server and the state of its output folder."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.plan: Plan | None = None                # the last good build's
        # files of self.plan still to check (and write if changed), and what makes each: its
        # page, or a function
        self.pending: dict[str, Page | Callable[[], bytes]] = {}
        self.folder = read_marker(options.out)       # what the folder holds: its marker's "files" and "keys"
        self.trusted = True                          # the marker file says so (else it is empty)
        self.marker = marker_file_digest(options.out)  # the marker file as this server last wrote it
        self.failed: Diagnostics | None = None       # a pending page's template error: the next build is whole
        self.made: list[str] = []                    # pending files written since the last build
        self.checked = 0                             # pending files checked since then
        self.making = 0.0                            # seconds spent on pending files since then
        self.known = Known()                         # content files read before, by stat signature

    def build(self) -> Result:
        """A full build, or the model with every file left pending (see above)."""
        started = time.perf_counter()
        diags = Diagnostics()
        result = Result(diags)
        if not output_problem(self.options, diags):
            if marker_file_digest(self.options.out) != self.marker:
                # Another build wrote the folder (or it is gone): start from what it holds, whole.
                self.folder, self.trusted = read_marker(self.options.out), True
                self.plan, self.pending = None, {}
            site, plan = prepare(self.options, diags, self.known)
            settle(self.options, site, diags)
            result.site = site
            if plan is not None and not diags.errors:
                if self.plan is not None and plan.generator == self.plan.generator and self.failed is None:
                    self._defer(plan, result)
                else:
                    self._full(plan, result)
        result.seconds = time.perf_counter() - started
        return result

    def make(self, path: str) -> None:
        """Check `path` now if it is pending, and write it if it changed (a template error is
        kept in self.failed)."""
        if path not in self.pending or self.failed:
            return
        job, started = self.pending[path], time.perf_counter()
        page = job if isinstance(job, Page) else None
        key = self.plan.keys.page(page) if page else self.plan.keys.model()
        if not up_to_date(self.folder, str(self.options.out), path, key):
            try:
                data = self.plan.renderer.render(page) if page else job()
            except jinja2.TemplateError as err:
                self.failed = Diagnostics()
                template_problem(err, self.options.templates, self.failed)
                return
            self._distrust()
            target = self.options.out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            replace_file(target, data)
            self.folder["files"][path] = hashlib.sha256(data).hexdigest()
            self.folder["keys"][path] = key
            self.made.append(path)
        del self.pending[path]
        self.checked += 1
        self.making += time.perf_counter() - started
        if not self.pending and not self.trusted:
            self._trust()  # the folder is whole again

    def step(self, seconds: float) -> bool:
        """Check (and make) pending files, in order, for about `seconds`; True while some are left."""
        until = time.perf_counter() + seconds
        while self.pending and not self.failed and time.perf_counter() < until:
            self.make(next(iter(self.pending)))
        return bool(self.pending) and not self.failed

    def _full(self, plan: Plan, result: Result) -> None:
        if not self.trusted:  # write_site starts from the marker: it must tell the truth
            self._trust()
        output = produce(plan, self.options, result.diagnostics, self.folder)
        settle(self.options, plan.site, result.diagnostics)
        if output is None or result.diagnostics.errors:
            self.pending = {}  # the templates they need may be gone: the folder stays as it is
            return
        result.output = output
        result.stats = write_site(self.options.out, output.files, output.keys, in_place=True)
        self.plan, self.pending, self.failed = plan, {}, None
        self.folder, self.marker = read_marker(self.options.out), result.stats.marker

    def _defer(self, plan: Plan, result: Result) -> None:
        diags, out = result.diagnostics, self.options.out
        makers = plan.whole_model_makers()
        check_paths(plan.pages, plan.static | makers, diags)
        settle(self.options, plan.site, diags)
        if diags.errors:
            return
        # Item pages first: the others need every item's digests (incremental.Keys).
        pending = {page.path: page for page in plan.pages if page.item is not None}
        pending |= {page.path: page for page in plan.pages if page.item is None} | makers
        removed = [path for path in self.folder["files"] if path not in pending and path not in plan.static]
        if removed:
            self._distrust()
        for path in removed:
            remove_file(out, path)
            self.folder["files"].pop(path)
            self.folder["keys"].pop(path, None)
        self.plan, self.pending, self.made, self.checked, self.making = plan, pending, [], 0, 0.0
        result.output = Output({}, {}, len(plan.pages), 0, pending=len(pending))

    def _distrust(self) -> None:
        """Before a file changes outside a full build: empty the marker, so that a server killed
        from now on leaves a folder the next build replaces whole (write.py)."""
        if self.trusted:
            self.marker = write_marker(self.options.out, {"files": {}, "keys": {}})
            self.trusted = False

    def _trust(self) -> None:
        self.marker = write_marker(self.options.out, self.folder)
        self.trusted = True
