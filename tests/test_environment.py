"""When the machine, not the content, goes wrong: a disk that fills up, a read-only or locked
folder, a symbolic-link loop, Ctrl-C and SIGTERM, two builds into one folder, and texts built to
make the converter work for minutes. Each build runs as its own process through build.py and
must end in one diagnostic line, never a traceback, with the previous output byte for byte as it
was (or, for two builds, exactly one of them) and no standby folder left beside it.

These tests run as root here, where permission bits stop nothing: a read-only folder is a
read-only tmpfs mount or an immutable folder (chattr +i), and a full disk a small tmpfs. As any
other user the same cases use a read-only folder (chmod) and a file-size limit (ulimit -f).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

BASE = ROOT / "tests" / "broken" / "valid-base" / "content"
REAL = ROOT / "content"
AS_ROOT = os.geteuid() == 0


def build(cwd: Path, *args, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--no-cache", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **popen,
    )


def start(cwd: Path, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "build", "--no-cache", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def no_stage(out: Path) -> bool:
    """No standby folder beside `out` (write.py): none was left by the one build before, and a
    failed build removes the one it was writing."""
    return not (out.parent / f".{out.name}.standby").exists()


@pytest.fixture
def mounts():
    """Mount a tmpfs (root only); every mount is undone after the test."""
    done = []

    def mount(folder: Path, options: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
        done.append(folder)
        return folder

    yield mount
    for folder in reversed(done):
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def immutable():
    """chattr +i a folder (root's read-only folder); undone after the test."""
    done = []

    def make(folder: Path) -> None:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        done.append(folder)

    yield make
    for folder in done:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


FILE_SYSTEM_HINT = "(free some space, or build into a folder on another disk with --out)"
UNWRITABLE = (
    "disk/out: error: bad-output: refusing to write the site into disk/out: it is in disk, which cannot "
    "be written (a read-only file system, or not yours) (choose an empty folder or a previous build's "
    "folder with --out)"
)


def test_a_disk_that_fills_up_ends_in_a_diagnostic(tmp_path, mounts):
    """The real site does not fit where the small base did: the write fails halfway, is reported
    where it failed, and the standby folder with the half-written site is removed."""
    disk = tmp_path / "disk"
    limit = {}
    if AS_ROOT:
        mounts(disk, "size=640k")
    else:  # a file-size limit: the write fails the same way, with EFBIG
        disk.mkdir()
        limit = {
            "preexec_fn": lambda: (
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN),
                resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192)),
            )
        }
    out = disk / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before = tree(out)
    run = build(tmp_path, "--content", REAL, "--out", out, **limit)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    what = "the disk is full" if AS_ROOT else "a file is larger than this process may write"
    failed = [line.strip() for line in run.stderr.splitlines() if ": error: file-system: " in line]
    assert len(failed) == 1 and failed[0].startswith("disk/.out.standby"), run.stderr
    assert failed[0].endswith(
        f": error: file-system: the build failed: {what} "
        + (FILE_SYSTEM_HINT if AS_ROOT else "(raise the limit (ulimit -f) and build again)")
    )
    assert run.stderr.endswith("build failed: 1 error, 0 warnings; nothing was written\n")
    assert tree(out) == before and no_stage(out)


@pytest.mark.parametrize("how", ["read-only-mount", "immutable-folder"])
def test_a_folder_that_cannot_be_written_is_refused(how, tmp_path, mounts, immutable):
    disk = tmp_path / "disk"
    if AS_ROOT and how == "read-only-mount":
        mounts(disk, "size=4m")
    else:
        disk.mkdir()
    out = disk / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before = tree(out)
    if not AS_ROOT:
        disk.chmod(0o555)
    elif how == "read-only-mount":
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    else:
        immutable(disk)
    run = build(tmp_path, "--content", REAL, "--out", out)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        "disk/out",
        "  " + UNWRITABLE,
        "build failed: 1 error, 0 warnings; nothing was written",
    ]
    assert tree(out) == before and no_stage(out)


@pytest.mark.parametrize("where", ["content", "out"])
def test_a_symbolic_link_loop_ends_in_a_diagnostic(where, tmp_path):
    out = tmp_path / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before = tree(out)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    run = build(
        tmp_path, *(["--content", "a", "--out", out] if where == "content" else ["--content", BASE, "--out", "a"])
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    expected = (
        "a: error: no-content: the content folder is a symbolic-link loop (pass --content DIR with a "
        "folder holding site.yaml)"
        if where == "content"
        else "a: error: bad-output: refusing to write the site into a: it is a symbolic-link loop "
        "(choose an empty folder or a previous build's folder with --out)"
    )
    assert run.stderr.splitlines() == ["a", "  " + expected, "build failed: 1 error, 0 warnings; nothing was written"]
    assert tree(out) == before and no_stage(out) and no_stage(tmp_path / "a")


def test_an_unreadable_content_folder_is_a_diagnostic(tmp_path):
    """Root reads any folder; capsh drops the capabilities that let it (as another user, chmod
    alone does it)."""
    content = tmp_path / "c"
    out = tmp_path / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before = tree(out)

    shutil.copytree(BASE, content)
    content.chmod(0)
    try:
        command = [sys.executable, str(ROOT / "build.py"), "build", "--no-cache", "--content", "c", "--out", "out"]
        if AS_ROOT:
            command = [
                "capsh",
                "--drop=cap_dac_override,cap_dac_read_search",
                "--",
                "-c",
                " ".join(f"'{part}'" for part in command),
            ]
        run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    finally:
        content.chmod(0o755)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        "c",
        (
            "  c: error: unreadable: cannot read the folder: Permission denied (check the folder's permissions: "
            "the build lists it and reads its files)"
        ),
        "build failed: 1 error, 0 warnings; nothing was written",
    ]
    assert tree(out) == before and no_stage(out)


@pytest.mark.parametrize("sig, code, name", [(signal.SIGINT, 130, "Ctrl-C (SIGINT)"), (signal.SIGTERM, 143, "SIGTERM")])
def test_a_signal_ends_the_build_in_one_line(sig, code, name, tmp_path):
    """The build is stopped at a moment the test knows: while it waits for the output folder,
    which the test holds (the same lock a concurrent build would)."""
    out = tmp_path / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before = tree(out)
    held = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        process = start(tmp_path, "--content", REAL, "--out", "out")
        assert process.stderr.readline() == "waiting for the build already writing into out to finish\n"
        process.send_signal(sig)
        _, err = process.communicate(timeout=60)
    finally:
        os.close(held)
    assert process.returncode == code
    assert err == f"build stopped by {name}; out is as it was\n"
    assert tree(out) == before and no_stage(out)


def test_sigterm_while_writing_leaves_one_whole_build(tmp_path):
    """SIGTERM as soon as the standby folder appears (the build is writing): the folder holds the
    previous build or, when the signal came after the exchange, the new one, whole, and the
    message says which."""
    out = tmp_path / "out"
    assert build(tmp_path, "--content", REAL, "--out", tmp_path / "new").returncode == 0
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    before, new = tree(out), tree(tmp_path / "new")
    caught = 0
    for _ in range(5):
        process = start(tmp_path, "--content", REAL, "--out", "out")
        while process.poll() is None and no_stage(out):
            time.sleep(0.0005)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        if process.returncode == 143:
            caught += 1
            assert tree(out) == (before if err.endswith("out is as it was\n") else new), err
            assert err in (
                "build stopped by SIGTERM; out is as it was\n",
                "build stopped by SIGTERM; out holds the new build, which was in place\n",
            )
            assert no_stage(out)
            break
        # it finished first: start again from one build of the old site
        assert process.returncode == 0, err
        for folder in (out, tmp_path / ".out.standby"):
            shutil.rmtree(folder)
        assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    assert caught


WAITING = "waiting for the build already writing into out to finish\n"


@pytest.fixture
def whole(tmp_path) -> dict[str, dict[str, str]]:
    """A clean build of the real site and of the small base, each alone: what `out` may hold."""
    found = {}
    for name, content in (("real", REAL), ("base", BASE)):
        assert build(tmp_path, "--content", content, "--out", tmp_path / name).returncode == 0
        found[name] = tree(tmp_path / name)
    return found


def assert_one_whole_build(out: Path, whole: dict, names: tuple[str, str]) -> None:
    assert tree(out) in (whole[names[0]], whole[names[1]])
    marker = json.loads((out / ".microsite-build").read_text(encoding="utf-8"))
    assert {**marker["files"], ".microsite-build": tree(out)[".microsite-build"]} == tree(out)
    spare = out.parent / f".{out.name}.standby"  # the build before, when two ran one after the other
    assert no_stage(out) or tree(spare) in (whole[names[0]], whole[names[1]])


def test_two_builds_into_one_folder_end_in_one_whole_build(tmp_path, whole):
    """The second build starts 0.24 s after the first (the interval that once mixed them), three
    times: the folder always holds exactly one clean build."""
    out = tmp_path / "out"
    for names in (("real", "base"), ("base", "real"), ("real", "base")):
        a = start(tmp_path, "--content", {"real": REAL, "base": BASE}[names[0]], "--out", "out")
        time.sleep(0.24)
        b = start(tmp_path, "--content", {"real": REAL, "base": BASE}[names[1]], "--out", "out")
        (_, a_err), (_, b_err) = a.communicate(timeout=120), b.communicate(timeout=120)
        assert (a.returncode, b.returncode) == (0, 0), a_err + b_err
        assert_one_whole_build(out, whole, names)


def test_builds_waiting_for_one_folder_take_turns(tmp_path, whole):
    """Both builds are made to wait (the test holds the folder), then let go at once: one builds,
    the other waits for it, then locks the folder that build put in place and builds in turn."""
    out = tmp_path / "out"
    assert build(tmp_path, "--content", BASE, "--out", out).returncode == 0
    held = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        builds = [start(tmp_path, "--content", content, "--out", "out") for content in (REAL, BASE)]
        assert [b.stderr.readline() for b in builds] == [WAITING, WAITING]
    finally:
        os.close(held)
    done = [b.communicate(timeout=120) for b in builds]
    assert [b.returncode for b in builds] == [0, 0], done
    assert [" error: " in err or "Traceback" in err for _, err in done] == [False, False]
    assert all(text.startswith("built ") for text, _ in done)
    assert_one_whole_build(out, whole, ("real", "base"))


def _initiative_body(content: Path, yaml_body: str) -> None:
    path = content / "initiatives" / "alpha-trade.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("body: {en: A platform for trade., zh: 贸易平台。}\n", yaml_body), encoding="utf-8")


PATHOLOGICAL = {  # name -> (how to write it into the base, the diagnostic)
    "backticks": (
        lambda c: _initiative_body(c, "body:\n  en: '" + "`" * 20_000 + "'\n  zh: 正文\n"),
        (
            "initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex: a paragraph of 20,000 characters "
            "holds 20,000 of [, < and `; characters × those marks may be at most 1,000,000 [body.en] "
            "(split the text into shorter paragraphs, or simplify it)"
        ),
    ),
    "image-brackets": (
        lambda c: _initiative_body(c, "body:\n  en: '" + "![" * 24_000 + "'\n  zh: 正文\n"),
        (
            "initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex: a paragraph of 48,000 "
            "characters holds 24,000 of [, < and `; characters × those marks may be at most 1,000,000 "
            "[body.en] (split the text into shorter paragraphs, or simplify it)"
        ),
    ),
    # 300 levels, indented by tabs (a stack overflow in Python-Markdown from about 250)
    "nested-list": (
        lambda c: _initiative_body(
            c, "body:\n  en: |\n" + "".join(f"    {chr(9) * i}- x\n" for i in range(300)) + "  zh: 正文\n"
        ),
        (
            "initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex: the text nests 299 levels "
            "deep; the limit is 20 [body.en] (split the text into shorter paragraphs, or simplify it)"
        ),
    ),
    "geojson": (
        lambda c: (
            (c / "geo").mkdir() or (c / "geo" / "shanghai-districts.geojson").write_text("[" * 500_000 + "]" * 500_000)
        ),
        (
            "geo/shanghai-districts.geojson:1:17: error: too-deep: arrays and objects are nested more than "
            "16 levels deep (GeoJSON coordinates need at most 7 levels; check the file's brackets)"
        ),
    ),
}


@pytest.mark.parametrize("case", PATHOLOGICAL)
def test_a_pathological_text_ends_in_a_diagnostic_within_10_seconds(case, cli, tmp_path, monkeypatch):

    shutil.copytree(BASE, tmp_path / "c")
    write, line = PATHOLOGICAL[case]
    write(tmp_path / "c")
    monkeypatch.chdir(tmp_path / "c")  # diagnostics show paths relative to the working folder
    started = time.monotonic()
    run = cli("build", "--no-cache", "--content", ".", "--out", tmp_path / "out")
    assert time.monotonic() - started < 10
    assert run.code == 1 and "Traceback" not in run.err
    assert line in [text.strip() for text in run.err.splitlines()], run.err
    assert not (tmp_path / "out").exists()
