"""Shared fixtures: the real site built once per session (hosted and offline), and helpers that
build fixture sites through the public command line."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import html as lxml_html

from microsite.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run `python build.py ARGS` in-process; a traceback fails the test by itself."""
    def run(*args: str) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return run


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("real") / "site"
    assert main(["build", "--content", str(ROOT / "content"), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def real_offline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("offline") / "site"
    assert main(["build", "--content", str(ROOT / "content"), "--out", str(out), "--offline"]) == 0
    return out


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fixture") / "site"
    assert main(["build", "--content", str(FIXTURES / "site"), "--out", str(out)]) == 0
    return out


def copy_fixture(name: str, dest: Path) -> Path:
    """A writable copy of a fixture content folder."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, symlinks=True)
    return target


def page(out: Path, path: str):
    """The parsed HTML of an output file."""
    return lxml_html.fromstring((out / path).read_bytes())
