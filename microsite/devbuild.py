"""The dev server's builds: the model at once, the files when they are asked for.

A full build renders every changed page and every file made from the whole model before it
writes anything: at 10,000 initiatives, seconds after an edit of one title, while the editor
waits for one page. So when only the content changed (the generator, templates, static files
and the settings' shared fields as the last good build had them: pipeline.Plan.fixed), a dev
build stops once the model is made and every output file keyed; the files whose key changed
are *pending*. The server makes a pending file when a request asks for it, before opening it
(serve.py), and the others in short steps between requests, until the folder holds byte for
byte what a full build writes.

So every file served is the last good build's: made from its model, or already in the folder
with the key it has in that build. From the first pending file written to the last, the folder's
marker (write.py) is empty, so a server killed meanwhile leaves a folder the next build replaces
whole; once none is left, the marker records the folder's files and keys, as a full build's does.

The first build, and a build after any other change, is a full one, written in place; when it
fails, no file pending from the build before is made any more (it may need a template that has
changed since). A template error on a pending page is reported like a failed build; nothing more
is made from that build, and the next one is full (where the error is reported again, or is gone).
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

import jinja2

from .diagnostics import Diagnostics
from .load import Known
from .pipeline import (Options, Output, Plan, Result, check_paths, output_problem, prepare, produce,
                       settle, template_problem)
from .render import Page
from .write import read_marker, remove_file, replace_file, write_marker, write_site


class DevBuild:
    """The last good build of a dev server and the state of its output folder."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.plan: Plan | None = None                # the last good build's
        # files of self.plan still to write, and what makes each: its page, or a function
        self.pending: dict[str, Page | Callable[[], bytes]] = {}
        self.folder = read_marker(options.out)       # what the folder holds: its marker's "files" and "keys"
        self.trusted = True                          # the marker file says so (else it is empty)
        self.failed: Diagnostics | None = None       # a pending page's template error: the next build is whole
        self.made, self.making = 0, 0.0              # pending files made since the last build, and seconds
        self.known = Known()                         # content files read before, by stat signature

    def build(self) -> Result:
        """A full build, or the model with the changed files left pending (see above)."""
        started = time.perf_counter()
        diags = Diagnostics()
        result = Result(diags)
        if not output_problem(self.options, diags):
            site, plan = prepare(self.options, diags, self.known)
            settle(self.options, site, diags)
            result.site = site
            if plan is not None and not diags.errors:
                if self.plan is not None and plan.fixed == self.plan.fixed and self.failed is None:
                    self._defer(plan, result)
                else:
                    self._full(plan, result)
        result.seconds = time.perf_counter() - started
        return result

    def make(self, path: str) -> None:
        """Write `path` now if it is pending (a template error is kept in self.failed)."""
        if path not in self.pending or self.failed:
            return
        job, started = self.pending[path], time.perf_counter()
        try:
            data = self.plan.renderer.render(job) if isinstance(job, Page) else job()
        except jinja2.TemplateError as err:
            self.failed = Diagnostics()
            template_problem(err, self.options.templates, self.failed)
            return
        self._distrust()
        target = self.options.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, data)
        self.folder["files"][path] = hashlib.sha256(data).hexdigest()
        # a page's key, or the one every file made from the whole model shares
        self.folder["keys"][path] = self.plan.keys.get(path, self.plan.model_key)
        del self.pending[path]
        self.made += 1
        self.making += time.perf_counter() - started
        if not self.pending:
            self._trust()  # the folder is whole again

    def step(self, seconds: float) -> bool:
        """Make pending files, in order, for about `seconds`; True while some are left."""
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
        self.folder = read_marker(self.options.out)

    def _defer(self, plan: Plan, result: Result) -> None:
        diags, out = result.diagnostics, self.options.out
        makers = plan.whole_model_makers()
        check_paths(plan.pages, plan.static | makers, diags)
        settle(self.options, plan.site, diags)
        if diags.errors:
            return
        keys = plan.keys | dict.fromkeys(makers, plan.model_key)
        jobs: dict[str, Page | Callable[[], bytes]] = {page.path: page for page in plan.pages} | makers
        was, root = self.folder["keys"], str(out)  # os.path: 20,000 Path objects cost 0.3 s
        pending = {path: jobs[path] for path, key in keys.items()
                   if was.get(path) != key or not os.path.isfile(os.path.join(root, path))}
        removed = [path for path in self.folder["files"] if path not in keys and path not in plan.static]
        if removed:
            self._distrust()
        for path in removed:
            remove_file(out, path)
            self.folder["files"].pop(path)
            self.folder["keys"].pop(path, None)
        self.plan, self.pending, self.made, self.making = plan, pending, 0, 0.0
        if not pending and not self.trusted:
            self._trust()
        result.output = Output({}, keys, len(plan.pages), 0, pending=len(pending))

    def _distrust(self) -> None:
        """Before a file changes outside a full build: empty the marker, so that a server killed
        from now on leaves a folder the next build replaces whole (write.py)."""
        if self.trusted:
            write_marker(self.options.out, {"files": {}, "keys": {}})
            self.trusted = False

    def _trust(self) -> None:
        write_marker(self.options.out, self.folder)
        self.trusted = True
