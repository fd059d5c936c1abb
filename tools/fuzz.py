"""Fuzz the YAML loader and the whole build with Hypothesis, for a time budget or a count.

    python tools/fuzz.py --minutes 10        # the long run (docs/reliability.md)
    python tools/fuzz.py --examples 20       # a short, fixed run (tests/test_bad_input.py)

Inputs start from the valid content of tests/broken/valid-base: one file is replaced by random
bytes, random YAML-ish text, or a copy of a real file with hostile fragments spliced in. Each
example must end in a result, never an exception: the loader returns data or diagnostics; the
build either succeeds or reports errors and leaves the previous output byte for byte as it was,
and writes nothing next to the output folder. Exit code 1 when any example failed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
import traceback
from abc import ABC, abstractmethod
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings, strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microsite.diagnostics import Diagnostics  # noqa: E402
from microsite.load import load_content  # noqa: E402
from microsite.pipeline import Options, build  # noqa: E402

BASE = ROOT / "tests" / "broken" / "valid-base" / "content"
# Read once, so that editing the corpus during a long run cannot disturb it.
BASE_TEXTS = {p.relative_to(BASE).as_posix(): p.read_bytes() for p in sorted(BASE.rglob("*.yaml"))}
BASE_FILES = sorted(BASE_TEXTS)
FRAGMENTS = [
    "\n",
    "\t",
    " ",
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "? ",
    "|\n",
    ">-\n",
    "'",
    '"',
    "#",
    "---\n",
    "...\n",
    "~",
    "null",
    "yes",
    ".nan",
    "-1",
    "1e999",
    "2024-02-30",
    "0x1F",
    "\ufeff",
    "\x00",
    "\x85",
    "\u2028",
    "\u202e",
    "\ud7ff",
    "<script>alert(1)</script>",
    "</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "{{ 7*7 }}",
    "{% raw %}",
    "=cmd|' /C calc'!A0",
    "../../",
    "district:",
    "zone:nowhere",
    "\\",
    "a" * 300,
]


@st.composite
def spliced(draw) -> bytes:
    """A real content file with a few fragments inserted or characters removed."""
    name = draw(st.sampled_from(BASE_FILES))
    text = BASE_TEXTS[name].decode("utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at + cut :]
    return text.encode("utf-8", "surrogatepass")


@st.composite
def content_file(draw) -> tuple[str, bytes]:
    """(path of a base file to replace, its new bytes)."""
    name = draw(st.sampled_from(BASE_FILES))
    data = draw(
        st.one_of(
            st.binary(max_size=400),
            st.lists(st.sampled_from(FRAGMENTS + list("abc019 -:")), max_size=60).map(
                lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
            ),
            spliced(),
        )
    )
    return name, data


def tree_hash(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Target(ABC):
    """One thing to fuzz, with a private work folder and a count of examples tried."""

    name: str  # as the report names it

    def __init__(self, work: Path) -> None:
        self.work = work
        self.content = work / "content"
        self.examples = 0

    def put(self, name: str, data: bytes) -> None:
        if self.content.exists():
            shutil.rmtree(self.content)
        for path, text in {**BASE_TEXTS, name: data}.items():
            (self.content / path).parent.mkdir(parents=True, exist_ok=True)
            (self.content / path).write_bytes(text)

    @abstractmethod
    def check(self, name: str, data: bytes) -> None:
        """Try the base files with `name` holding `data`; a failed assertion is a finding."""


class LoadTarget(Target):
    name = "load"

    def check(self, name: str, data: bytes) -> None:
        self.examples += 1
        self.put(name, data)
        diags = Diagnostics()
        content = load_content(self.content, diags)
        loaded = {f"{i.kind}/{i.id}" for i in content.items} | ({"site"} if content.settings else set())
        assert len(loaded) == len(BASE_FILES) or diags.errors, "a file vanished without a diagnostic"


class BuildTarget(Target):
    name = "build"

    def __init__(self, work: Path) -> None:
        super().__init__(work)
        self.out = work / "out"
        self.put(BASE_FILES[0], BASE_TEXTS[BASE_FILES[0]])
        assert build(Options(content=self.content, out=self.out, jobs=1)).ok

    def check(self, name: str, data: bytes) -> None:
        self.examples += 1
        self.put(name, data)
        before = tree_hash(self.out)
        result = build(Options(content=self.content, out=self.out, jobs=1))
        if not result.ok:
            assert result.diagnostics.errors, "a failed build without an error"
            assert tree_hash(self.out) == before, "a failed build changed the output"
        assert sorted(p.name for p in self.work.iterdir()) == ["content", "out"], "wrote beside --out"


def run_round(target: Target, round_seed: int, examples: int) -> str | None:
    """One Hypothesis run; the failure (already shrunk and printed) or None."""

    @seed(round_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(content_file())
    def fuzz(case):
        target.check(*case)

    try:
        fuzz()
    except Exception as err:  # the example Hypothesis found (in the notes); report it and go on  # noqa: BLE001
        found = getattr(err, "exceptions", [err])
        return f"{target.name} (seed {round_seed}): " + "\n".join(
            "".join(traceback.format_exception(e, limit=-3)) for e in found
        )
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    budget = p.add_mutually_exclusive_group(required=True)
    budget.add_argument("--minutes", type=float, help="run rounds until this much time has passed")
    budget.add_argument("--examples", type=int, help="run one round of this many examples per target")
    p.add_argument("--seed", type=int, default=0, help="seed of the first round (default 0)")
    args = p.parse_args(argv)
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [LoadTarget(Path(tmp, "load")), BuildTarget(Path(tmp, "build"))]
        deadline = time.monotonic() + (args.minutes or 0) * 60
        round_seed = args.seed
        while True:
            for target in targets:
                failure = run_round(target, round_seed, args.examples or 100)
                if failure:
                    failures.append(failure)
            round_seed += 1
            if args.examples or time.monotonic() >= deadline:
                break
        counts = ", ".join(f"{t.name}: {t.examples}" for t in targets)
    print(
        f"fuzz: {sum(t.examples for t in targets)} examples ({counts}), "
        f"{round_seed - args.seed} rounds from seed {args.seed}; {len(failures)} failures"
    )
    for failure in failures:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
