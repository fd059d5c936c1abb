"""`build --explain PATH`: why the next build would make an output file again, or keep it.

It reads the build state (state.py) and builds the model, as a build would, but renders and
writes nothing: the answer is the state's own rule, applied to one file.
"""

from __future__ import annotations

from .diagnostics import Diagnostics, format_console
from .paths import display_path
from .pipeline import Options
from .stages import prepare
from .state import open_state


def explain(options: Options, path: str) -> int:
    """Print the reasons; 0, or 1 when the content has errors (the build would fail)."""
    lines = reasons(options, path.strip("/"))
    print("\n".join(lines))
    return 1 if lines[-1].endswith(FAILS) else 0


FAILS = "the build would fail; nothing would be written"


def reasons(options: Options, path: str) -> list[str]:
    out = display_path(options.out)
    state = open_state(options)  # read once: at 10,000 initiatives the state is megabytes
    if state.previous is None:
        return [f"{path}: made, like every file: there is no record of a build into {out}"]
    if state.previous != state.fingerprint:
        parts = sorted(k for k in state.fingerprint if state.previous.get(k) != state.fingerprint[k])
        return [
            (
                f"{path}: made, like every file: what the site is made with has changed since the "
                f"last build ({', '.join(parts)})"
            )
        ]
    diags = Diagnostics()
    _, plan = prepare(options, diags, state)
    if plan is None:
        return [format_console(diags), f"{path}: {FAILS}"]
    planned = {page.path for page in plan.pages} | set(plan.static) | set(plan.whole_model_makers())
    if path not in planned:
        return [f"{path}: not part of the site" + (", removed by the next build" if path in state.outputs else "")]
    if path not in state.outputs:
        return [f"{path}: made: the last build into {out} did not make it"]
    if state.policy != repr(plan.policy):
        return [f"{path}: made, like every page: the site's base URL has changed"]
    if not state.holds(options.out, path):
        return [f"{path}: made: the file in {out} is not as the last build wrote it (changed or removed)"]
    changed = state.changed(path, plan.values)
    if not changed:
        return [f"{path}: kept: none of the {len(state.reads(path))} values it read has changed"]
    return [
        f"{path}: made: {len(changed)} of the {len(state.reads(path))} values it read changed:",
        *(f"  {describe(key)}" for key in changed),
    ]


def describe(key: tuple) -> str:
    """A read key as a person reads it: `initiative:beta-talent title (en)`."""
    owner, field, lang = key
    return f"{owner} {field}" + (f" ({lang})" if lang else "")
