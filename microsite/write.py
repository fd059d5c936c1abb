"""Write stage: put a finished site in place without ever leaving a half-written one.

The new site is written into a sibling folder, then exchanged with the old one in a single
atomic rename (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames). A build killed at any
moment leaves the previous site whole. Files the build state (state.py) knows to be in the folder
as this build would write them are hard-linked into the new one instead of written again. A
marker file lists every file's hash: it tells a previous build's folder apart from a folder we
must not touch.

The dev server asks for `in_place` instead: changed files replace their old versions one by one
(each whole, by rename) and files no longer made are deleted, with no stage. Its requests wait
while it builds, so none sees a mix; a server killed in between leaves files that the build
state does not recognise as written, so the next build makes them again.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MARKER = ".microsite-build"


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    marker: str = ""   # digest of the marker file the folder now holds (marker_file_digest)


def out_dir_problem(out: Path, content: Path, repo: Path) -> str:
    """Why the generator must not write into `out`, or "" when it may."""
    out = out.resolve()
    if out == Path(out.anchor):
        return "is the file-system root"
    if out in (content.resolve(), repo.resolve()) or out in content.resolve().parents:
        return "is the content folder, the repository or one of their parents"
    if content.resolve().is_relative_to(out):
        return "contains the content folder"
    if out.exists() and not out.is_dir():
        return "is a file"
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        return "is a non-empty folder that no previous build wrote (it has no " + MARKER + " file)"
    return ""


def write_site(out: Path, files: dict[str, bytes | None], reused: dict[str, str],
               in_place: bool = False) -> WriteStats:
    """Write `files` (output path -> bytes) as the new content of `out`, atomically (or in
    place, see above, when asked and `out` holds a previous build).

    A file given as None is kept as the folder has it; `reused` (path -> hash) holds the files
    the build state vouches for, these included.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_stages(out)
    hashes = {path: reused[path] if data is None else hashlib.sha256(data).hexdigest()
              for path, data in sorted(files.items())}
    marker = {"files": hashes}
    if in_place and (out / MARKER).is_file():
        return _update_in_place(out, files, hashes, reused, marker)
    if all(reused.get(path) == digest for path, digest in hashes.items()) and read_marker(out) == marker:
        return WriteStats(unchanged=len(hashes), marker=marker_file_digest(out))  # already this site
    stage = _stage(out)
    if stage.exists():
        shutil.rmtree(stage)
    stats = WriteStats()
    for path in sorted(files):
        data = files[path]
        target = stage / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if reused.get(path) == hashes[path] and _link(out / path, target):
            stats.unchanged += 1
            continue
        if data is None:  # reused, but the file could not be linked: copy it
            shutil.copyfile(out / path, target)
        else:
            target.write_bytes(data)
        stats.written += 1
    stats.marker = write_marker(stage, marker)
    _swap(stage, out)
    if stage.exists():
        shutil.rmtree(stage)  # after an exchange, the stage holds the previous site
    return stats


def _update_in_place(out: Path, files: dict[str, bytes | None], hashes: dict[str, str],
                     reused: dict[str, str], marker: dict) -> WriteStats:
    stats = WriteStats()
    for path, digest in hashes.items():
        target = out / path
        if reused.get(path) == digest:
            stats.unchanged += 1
            continue
        data = files[path]
        assert data is not None, "a file without bytes is reused: its digest is the one kept"
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, data)
        stats.written += 1
    remove_others(out, set(hashes))
    stats.marker = write_marker(out, marker)
    return stats


def remove_others(out: Path, keep: set[str]) -> None:
    """Delete every file of the folder that is not in `keep` (nor the marker), as a clean build
    has none of them, whatever wrote them."""
    for folder, _, names in os.walk(out):
        for name in names:
            path = os.path.relpath(os.path.join(folder, name), out).replace(os.sep, "/")
            if path not in keep and path != MARKER:
                remove_file(out, path)


def remove_file(out: Path, path: str) -> None:
    """Delete an output file, and the folders it leaves empty (a clean build has none)."""
    (out / path).unlink(missing_ok=True)
    for folder in (out / path).parents:
        if folder == out or any(folder.iterdir()):
            break
        folder.rmdir()


def replace_file(target: Path, data: bytes) -> None:
    """Write a file whole: into a temporary name beside it, then renamed over the old one, so a
    reader (or a concurrent build) sees the old bytes or the new ones."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def write_marker(folder: Path, marker: dict) -> str:
    """Write the marker; the digest of its bytes (see marker_file_digest)."""
    data = (json.dumps(marker, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    replace_file(folder / MARKER, data)
    return hashlib.sha256(data).hexdigest()


def marker_file_digest(out: Path) -> str:
    """The hash of the marker file in `out` ("" when there is none): which build the folder holds."""
    try:
        return hashlib.sha256((out / MARKER).read_bytes()).hexdigest()
    except OSError:
        return ""


def _stage(out: Path) -> Path:
    """The folder this process writes a new site into, beside the (resolved) output folder."""
    return out.parent / f".{out.name}.new-{os.getpid()}"


def remove_stage(out: Path) -> Path | None:
    """After a build into `out` failed or was stopped: remove the stage it was writing (a part of
    the new site, or, stopped after the exchange, the previous one). The stage's path, if there
    was one: a full disk fails a write, not the open, so its error names no file."""
    stage = _stage(Path(os.path.realpath(out)))
    if not os.path.lexists(stage):
        return None
    shutil.rmtree(stage, ignore_errors=True)
    return stage


@contextlib.contextmanager
def output_lock(out: Path, waiting: Callable[[], None]):
    """Hold the output folder for one build: a second build into it waits (after calling
    `waiting`) until the first has finished, so the folder always holds one whole build and no
    build reads the marker of a folder another one is replacing.

    The lock is an flock on the folder itself, or on its nearest existing parent while there is
    no folder yet; no lock file is left behind. A build replaces the folder (write_site's
    exchange), so a waiter that gets the lock checks that it still holds the folder now at that
    path, and otherwise locks again."""
    while True:
        held = _nearest_folder(out)
        fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waiting()
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        now = os.stat(_nearest_folder(out))
        if (now.st_dev, now.st_ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


def _nearest_folder(path: Path) -> Path:
    """`path`, or its nearest parent that exists."""
    path = Path(os.path.abspath(path))
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


def _remove_abandoned_stages(out: Path) -> None:
    """Stages left by killed builds: their process is gone, so nobody will finish them."""
    for stage in out.parent.glob(f".{out.name}.new-*"):
        pid = stage.name.rpartition("-")[2]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_marker(out: Path) -> dict[str, dict[str, str]]:
    """The previous build's file hashes (empty when there is none)."""
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {"files": {}}
    return {"files": data["files"]}


def _link(existing: Path, target: Path) -> bool:
    """Reuse an unchanged file of the previous build instead of writing it again."""
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _swap(stage: Path, out: Path) -> None:
    if not out.exists():
        os.rename(stage, out)
    elif not _exchange(stage, out):
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(stage, out)
        os.rename(old, stage)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step where the system can (Linux 3.15+)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
