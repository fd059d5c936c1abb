"""What docs/*.md and README.md name exists: every file path, every command (`python build.py
SUBCOMMAND --option`, `microsite SUBCOMMAND`, `make TARGET`, `python -m MODULE`) and every
diagnostic code. A reader who follows the docs never meets a file, a command or a code that is not
there."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from microsite.cli import main, parser
from microsite.diagnostics import WARNING_CODES

from conftest import ROOT

DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / n for n in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")]
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
SPAN = re.compile(r"`([^`\n]+)`")
# A path: has a slash or a file extension; placeholders (<id>, DIR, {en,zh}, …) are not paths.
PATH = re.compile(
    r"(?<![\w/.:%$-])\.?[\w-]+(?:\.[\w-]+)*(?:/[\w.*-]+)*(?:/|\.(?:yaml|md|py|json|geojson|sh|html|"
    r"toml|js|css|xml|csv|txt|zip|pickle))(?![\w/<{…])"
)
GENERATED = (".cache/", ".venv", "dist/", "/tmp/")  # made by the tools, not in a fresh clone
OTHERS = {
    "resources/": "Hugo's cache folder (benchmarks.md)",
    "livereload.js": "the livereload library's script (serving.md)",
}
SKIPPED = {".git", ".venv", ".cache", "node_modules", "__pycache__"}
COMMAND = re.compile(r"(?:python3? build\.py|(?:^|/)microsite)\s+([a-z]+)((?:\s+[^\s;&]+)*)")
MAKE = re.compile(r"\bmake\s+([a-z]+)")
MODULE = re.compile(r"python3? -m ([\w.]+)")
CODE_MENTION = [
    re.compile(r"(?:warning|error)s? \(`([^`]+)`\)"),  # is a warning (`missing-translation`)
    re.compile(r"`([^`]+)` (?:warning|error)"),  # an `uncited-paragraph` warning
    re.compile(r"(?:error|warning): ([\w-]+):"),  # file:1:1: error: unknown-field: …
]


def code_texts(text: str) -> list[str]:
    """What a doc shows as code: every line of its fenced blocks and every inline span."""
    blocks = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    return blocks + SPAN.findall(FENCE.sub("", text))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The folders a doc's path may be in: the repository, the content, the package, the starter
    site, the second test site's content, and what the build and the schema command write (the
    reference site and the test fixture)."""
    work = tmp_path_factory.mktemp("docs")
    assert (
        main(
            [
                "build",
                "--content",
                str(ROOT / "content"),
                "--out",
                str(work / "site"),
                "--base-url",
                "https://example.org/",
            ]
        )
        == 0
    )  # with the sitemap
    assert main(["build", "--content", str(ROOT / "tests/fixtures/site"), "--out", str(work / "fixture")]) == 0
    assert main(["schema", "--out", str(work / "schema")]) == 0
    return {
        "": [
            ROOT,
            ROOT / "content",
            ROOT / "microsite",
            ROOT / "microsite/starter",
            ROOT / "microsite/starter/content",
            ROOT / "tests/fixtures/yunlan-bay",
            work / "site",
            work / "fixture",
        ],
        "site": [work / "site"],
        "schema": [work / "schema"],
    }


def _exists(path: str, places: dict[str, list[Path]]) -> bool:
    """In one of the folders, or, for `site/…` and `schema/…`, in what the build and the schema
    command wrote; a `*` in the path must match something."""
    if path.startswith(GENERATED) or path in OTHERS:
        return True
    if "/" not in path:  # a file's name alone (`expect.txt`): somewhere in the repository or output
        return any(path in files for root in places[""] for _, _, files in _walk(root))
    first, _, rest = path.partition("/")
    candidates = [(root, path) for root in places[""]] + [(root, rest) for root in places.get(first, [])]
    return any(list(root.glob(rel.rstrip("/"))) if "*" in rel else (root / rel).exists() for root, rel in candidates)


def _walk(root: Path):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        yield folder, dirs, files


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_file_path_a_doc_names_exists(doc, built):
    text = doc.read_text(encoding="utf-8")
    named = {m for t in code_texts(text) if "://" not in t for m in PATH.findall(t)}
    named |= {link for link in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)}  # Markdown links
    missing = sorted(p for p in named if not _exists(p, built) and not (doc.parent / p).exists())
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_a_doc_names_exists(doc):
    commands = parser()._subparsers._group_actions[0].choices
    targets = set(re.findall(r"^([a-z]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    wrong = []
    for t in code_texts(doc.read_text(encoding="utf-8")):
        for name, rest in COMMAND.findall(t):
            if name not in commands:
                wrong.append(f"no command '{name}': {t}")
                continue
            known = commands[name]._option_string_actions
            wrong += [f"'{name}' has no option {o}: {t}" for o in re.findall(r"--[a-z-]+", rest) if o not in known]
        wrong += [f"no make target '{name}': {t}" for name in MAKE.findall(t) if name not in targets]
        wrong += [f"no module '{name}': {t}" for name in MODULE.findall(t) if importlib.util.find_spec(name) is None]
    assert wrong == []


def _codes() -> set[str]:
    """Every code the generator can report: a string literal of its code in the code shape."""
    literals = {
        m
        for p in (ROOT / "microsite").glob("*.py")
        for m in re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', p.read_text(encoding="utf-8"))
    }
    return literals | set(WARNING_CODES)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_diagnostic_code_a_doc_names_exists(doc):
    text = doc.read_text(encoding="utf-8")
    named = {code for pattern in CODE_MENTION for code in pattern.findall(text)}
    table = re.search(r"^\| code \| when \|\n\|[- |]+\|\n((?:\|.*\n)+)", text, re.MULTILINE)  # content.md's list
    named |= set(re.findall(r"^\| `([^`]+)` \|", table[1], re.MULTILINE)) if table else set()
    assert sorted(named - _codes()) == []


def test_the_warning_table_lists_every_warning():
    text = (ROOT / "docs" / "content.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z-]+)` \| ", text.split("## Warnings and strict mode")[1], re.MULTILINE))
    assert listed == set(WARNING_CODES)
