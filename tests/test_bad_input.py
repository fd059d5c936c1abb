"""Bad input: every case of the corpus in tests/broken/ fails with a clear diagnostic at the
right place, never a traceback, and leaves the previous build byte for byte as it was.

Each case is a complete content folder (tests/broken/<case>/content/) with one defect and an
expect.txt (see tests/broken/make_corpus.py, which writes them all).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BROKEN = Path(__file__).resolve().parent / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expect.txt").is_file())


def tree_hash(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def expectation(case: str) -> tuple[int, list[str], list[str]]:
    """(exit code, FIFOs to make, lines that must appear in the diagnostics)."""
    code, fifos, wanted = None, [], []
    for line in (BROKEN / case / "expect.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("exit "):
            code = int(line.split()[1])
        elif line.startswith("make-fifo "):
            fifos.append(line.split(" ", 1)[1])
        elif line and not line.startswith("#"):
            wanted.append(line)
    return code, fifos, wanted


@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Path:
    """A clean build of the valid base, copied into each test as the 'previous' output."""
    from microsite.cli import main

    out = tmp_path_factory.mktemp("good") / "site"
    assert main(["build", "--content", str(BROKEN / "valid-base" / "content"), "--out", str(out)]) == 0
    return out


def test_the_corpus_is_large_and_matches_its_builder(tmp_path):
    sys.path.insert(0, str(BROKEN))
    import make_corpus

    assert len(CASES) >= 60 and sorted(make_corpus.CASES) == CASES
    for case in CASES:
        make_corpus.write_case(case, tmp_path / case)
        assert _listing(tmp_path / case) == _listing(BROKEN / case), case


def _listing(folder: Path) -> dict[str, str]:
    """Every entry with its bytes (files) or target (links); FIFOs are made by the test."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize("case", CASES)
def test_broken_case(case, cli, tmp_path, good_build):
    code, fifos, wanted = expectation(case)
    shutil.copytree(BROKEN / case, tmp_path / case, symlinks=True)
    content = tmp_path / case / "content"
    for fifo in fifos:
        os.mkfifo(content / fifo)
    out = tmp_path / "out"
    shutil.copytree(good_build, out)
    before = tree_hash(out)
    run = cli("build", "--content", content, "--out", out)
    assert run.code == code, run.err
    for line in wanted:
        assert line in run.err, f"{line!r} not in:\n{run.err}"
    assert "Traceback" not in run.out + run.err
    if code == 1:
        assert run.err.rstrip().endswith("nothing was written")
        assert tree_hash(out) == before
    # a build that succeeds over the previous one keeps that one as its standby (write.py)
    beside = [".out.standby"] if code == 0 else []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([case, "out", *beside])


def test_the_python_tag_runs_nothing(cli, tmp_path):
    """The tag case names a command; the loader must refuse it without constructing it."""
    shutil.copytree(BROKEN / "yaml-python-tag", tmp_path / "case")
    content = tmp_path / "case" / "content"
    path = content / "districts/alpha.yaml"
    marker = tmp_path / "pwned"
    path.write_text(path.read_text().replace("/tmp/pwned", str(marker)))
    assert cli("build", "--content", content, "--out", tmp_path / "out").code == 1
    assert not marker.exists()


@pytest.mark.parametrize("where", ["content", "repo", "root", "parent-of-content", "not-a-build", "a-file"])
def test_refuses_a_dangerous_output_folder(where, cli, tmp_path):
    content = tmp_path / "c"
    shutil.copytree(BROKEN / "valid-base" / "content", content)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    out = {
        "content": content,
        "repo": ROOT,
        "root": Path("/"),
        "parent-of-content": tmp_path,
        "not-a-build": precious,
        "a-file": precious / "thesis.txt",
    }[where]
    before = _listing(tmp_path)
    run = cli("build", "--content", content, "--out", out)
    assert run.code == 1
    assert "error: bad-output: refusing to write the site into" in run.err
    assert "Traceback" not in run.out + run.err
    assert _listing(tmp_path) == before
    assert not (out / "index.html").exists() and not (out / ".microsite-build").exists()
    assert not (out.parent / f".{out.name}.standby").exists()


def test_fuzz_tool_short_run(capsys):
    """The long fuzz run (docs/reliability.md) in miniature, with a fixed seed."""
    sys.path.insert(0, str(ROOT / "tools"))
    import fuzz

    assert fuzz.main(["--examples", "25", "--seed", "0"]) == 0
    assert "50 examples" in capsys.readouterr().out
