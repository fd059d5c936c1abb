"""The dev server's builds: the model at once, the files when they are asked for.

A full build renders every output whose reads changed before it writes anything: at 10,000
initiatives, seconds after an edit of one title, while the editor waits for one page. So when
only the content changed (the build state's fingerprint, state.py, is the last good build's), a
dev build stops once the model is made and the files are planned: every output file is
*pending*. The server checks a pending file when a request asks for it, before opening it
(serve.py): when the folder holds it as recorded and none of its reads changed, it stays;
otherwise it is made again and recorded. The server checks the others in short steps between
requests, until the folder holds byte for byte what a full build writes; then the build state is
saved, as a command-line build saves it.

Nothing else needs trusting: a server killed meanwhile leaves files whose signatures the saved
state does not know, and reads whose values it knows as they were, so the next build remakes
exactly what it must. The same holds for a `build` run into the folder while the server runs.

The first build, and a build after a change of templates or static files, is a full one, written
in place. When it fails, no file pending from the build before is made any more (it may need a
template that has changed since). A template error on a pending page is reported like a failed
build; nothing more is made from that build, and the next one is full. A build's model takes the
objects of items nothing changed from the one before (resolve.py) and fills their reverse links
for itself: when it fails, they are filled again for the last good model, whose pending files
are still made from it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import jinja2

from .diagnostics import Diagnostics
from .pipeline import Options, Output, Result, output_problem
from .render import Page
from .resolve import link_back
from .stages import Plan, check_paths, prepare, produce, settle, template_problem
from .state import fingerprint, open_state
from .write import remove_file, remove_others, replace_file, write_marker, write_site


class DevBuild:
    """The last good build of a dev server, and its build state, kept in memory."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.state = open_state(options)
        self.state.items = {}  # content files read before, by signature
        self.plan: Plan | None = None  # the last good build's
        # files of self.plan still to check (and make if changed), with what makes each
        self.pending: dict[str, Page | Callable] = {}
        self.failed: Diagnostics | None = None  # a pending page's template error: the next build is whole
        self.made: list[str] = []  # pending files made since the last build
        self.checked = 0  # pending files checked since then
        self.making = 0.0  # seconds spent on pending files since then

    @property
    def _good(self) -> Plan:
        """The last good build's plan (files are pending only once there is one)."""
        assert self.plan is not None, "files are pending only after a good build, which set the plan"
        return self.plan

    def build(self) -> Result:
        """A full build, or the model with every file left pending (see above)."""
        good = self.plan
        try:
            return self._build()
        finally:
            if good is not None and self.plan is good:  # its files are still made from its model,
                link_back(good.site, self.state)  # whose objects this build's may share (resolve.py)

    def _build(self) -> Result:
        started = time.perf_counter()
        diags = Diagnostics()
        result = Result(diags)
        if not output_problem(self.options, diags):
            same = fingerprint(self.options) == self.state.fingerprint
            if not same:  # templates or static files changed: the state on disk, for the new ones
                self.state = open_state(self.options)
                self.state.items = {}
            site, plan = prepare(self.options, diags, self.state)
            settle(self.options, site, diags)
            result.site = site
            if plan is not None and not diags.errors:
                # the URL policy (site.yaml's base URL) shapes every href: no page records it
                if self.plan is not None and same and self.failed is None and repr(plan.policy) == self.state.policy:
                    self._defer(plan, result)
                else:
                    self._full(plan, result)
        result.seconds = time.perf_counter() - started
        return result

    def make(self, path: str) -> None:
        """Check `path` now if it is pending, and make it if it must be (a template error is kept
        in self.failed)."""
        if path not in self.pending or self.failed:
            return
        target, started, state, out = self.pending[path], time.perf_counter(), self.state, self.options.out
        group = state.groups.get(path, (path,))
        if not all(state.holds(out, member) for member in group) or state.changed(path, self._good.values):
            try:
                files, reads = self._good.make_files(path, target)
            except jinja2.TemplateError as err:
                self.failed = Diagnostics()
                template_problem(err, self.options.templates, self.failed)
                return
            self._write(files, state.keep(path, reads))
            for member in set(group) - set(files):
                remove_file(out, member)
                state.forget(member)
            if len(files) > 1:
                state.groups[path] = tuple(files)
        del self.pending[path]
        self.checked += 1
        self.making += time.perf_counter() - started
        if not self.pending:
            self._complete()

    def _write(self, files: dict[str, bytes], reads) -> None:
        """Files made again: written where they differ from the folder's, all recorded."""
        state, out = self.state, self.options.out
        for path, data in files.items():
            digest = hashlib.sha256(data).hexdigest()
            if not (state.holds(out, path) and state.outputs[path].hash == digest):
                (out / path).parent.mkdir(parents=True, exist_ok=True)
                replace_file(out / path, data)
                self.made.append(path)
            state.record_one(out, path, digest, reads, self._good.values)

    def step(self, seconds: float) -> bool:
        """Check (and make) pending files, in order, for about `seconds`; True while some are left."""
        until = time.perf_counter() + seconds
        while self.pending and not self.failed and time.perf_counter() < until:
            self.make(next(iter(self.pending)))
        return bool(self.pending) and not self.failed

    def _full(self, plan: Plan, result: Result) -> None:
        output = produce(plan, self.options, result.diagnostics, self.state)
        settle(self.options, plan.site, result.diagnostics)
        if output is None or result.diagnostics.errors:
            self.pending = {}  # the templates they need may be gone: the folder stays as it is
            return
        result.output = output
        result.stats = write_site(self.options.out, output.files, output.reused, in_place=True)
        self.state.record(self.options.out, output.made, plan.values, repr(plan.policy), output.groups)
        self.state.forget_result()
        self.state.save()
        self.plan, self.pending, self.failed = plan, {}, None

    def _defer(self, plan: Plan, result: Result) -> None:
        diags, out, state = result.diagnostics, self.options.out, self.state
        makers = plan.whole_model_makers()
        check_paths(plan.pages, plan.static | makers, diags)
        settle(self.options, plan.site, diags)
        if diags.errors:
            return
        pending: dict[str, Page | Callable] = {page.path: page for page in plan.pages}
        pending |= makers
        grouped = {member for path in makers for member in state.groups.get(path, ())}
        for path in [p for p in state.outputs if p not in pending and p not in plan.static and p not in grouped]:
            remove_file(out, path)
            state.forget(path)
        state.forget_result()
        self.plan, self.pending, self.made, self.checked, self.making = plan, pending, [], 0, 0.0
        result.output = Output({}, {}, {}, len(plan.pages), 0, pending=len(pending))
        if not pending:
            self._complete()

    def _complete(self) -> None:
        """Every file checked: the folder is the build's, as the saved state will say (files
        another process left in it are removed now, when nobody waits)."""
        remove_others(self.options.out, set(self.state.outputs))
        self.state.consolidate(self._good.values)
        write_marker(self.options.out, {"files": {p: o.hash for p, o in sorted(self.state.outputs.items())}})
        self.state.save()
