"""Write stage: put a finished site in place without ever leaving a half-written one.

Two folders take turns: the output folder, which readers see, and its *standby* beside it
(`.site.standby` for `site`), which holds the site of the build before. A build brings the
standby up to the new site, writing only the files that differ from what it holds, then exchanges
the two in a single atomic rename (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames).
Pages are put into the standby while they are rendered (`Standby`, called by the render workers),
the rest when the build has made everything (`write_site`).
The previous site becomes the standby for the next build. A build killed at any moment leaves
the output folder whole, the old site or the new one; a standby it left half-updated is set
right by the next build, which trusts a standby file only when the build state (state.py)
recorded it as written and its signature still shows it unchanged, and removes what it does not
expect there. A marker file lists every file's hash: it tells a previous build's folder apart
from a folder we must not touch.

The dev server asks for `in_place` instead: changed files replace their old versions one by one
(each whole, by rename) and files no longer made are deleted, with no standby. Its requests wait
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
from dataclasses import dataclass, field
from pathlib import Path

MARKER = ".microsite-build"


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    marker: str = ""  # digest of the marker file the folder now holds (marker_file_digest)
    linked: list[str] = field(default_factory=list)  # files now shared by the folder and its standby
    exchanged: bool = False  # the standby holds the previous site (it did not exist before)


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


def write_site(
    out: Path,
    files: dict[str, bytes | None],
    reused: dict[str, str],
    standby: Callable[[Path, str, str], bool] | None = None,
    in_place: bool = False,
    placed: dict[str, str] | None = None,
) -> WriteStats:
    """Write `files` (output path -> bytes) as the new content of `out`, atomically (or in
    place, see above, when asked and `out` holds a previous build).

    A file given as None is kept as the folder has it, or was placed in the standby already
    (Standby.put); `reused` (path -> hash) holds the files the build state vouches for, `placed`
    (path -> hash) those placed. `standby(folder, path, hash)` says whether the standby folder
    holds a file as the build state recorded it (None: trust none of it).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    placed = placed or {}
    hashes = {
        path: (placed.get(path) or reused[path]) if data is None else hashlib.sha256(data).hexdigest()
        for path, data in sorted(files.items())
    }
    marker = {"files": hashes}
    if in_place and (out / MARKER).is_file():
        assert not placed, "a build in place writes no standby"
        return _update_in_place(out, files, hashes, reused, marker)
    if not placed and all(reused.get(path) == d for path, d in hashes.items()) and read_marker(out) == marker:
        return WriteStats(unchanged=len(hashes), marker=marker_file_digest(out))  # already this site
    spare = standby_folder(out)
    spare.mkdir(exist_ok=True)
    stats = WriteStats(written=len(placed))
    present = _files_below(spare)
    for path in sorted(present - set(hashes) - {MARKER}):
        remove_file(spare, path)
    holds = standby or (lambda folder, path, digest: False)
    for path, digest in hashes.items():
        if path in placed:
            continue
        if path in present and holds(spare, path, digest):
            stats.unchanged += 1
            continue
        target = spare / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = files[path]
        if data is None and _link(out / path, target):  # the output folder has it: share it
            stats.linked.append(path)
            stats.unchanged += 1
            continue
        replace_file(target, (out / path).read_bytes() if data is None else data)
        stats.written += 1
    stats.marker = write_marker(spare, marker)
    stats.exchanged = _swap(spare, out)
    return stats


class Standby:
    """The standby folder of `out` as a place to put files while they are made (render_pages
    calls `put` in its workers), before write_site finishes the folder and exchanges it: a
    killed or failed build leaves the output folder as it was, and the standby half updated,
    which the next build sets right (see above). A file the standby holds already, as the build
    state recorded it, is left as it is."""

    def __init__(self, out: Path, holds: Callable[[Path, str, str], bool]) -> None:
        self.folder, self.holds = standby_folder(out.resolve()), holds

    def put(self, path: str, data: bytes, digest: str) -> None:
        """Place a file whose hash is `digest`."""
        if not self.holds(self.folder, path, digest):
            target = self.folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            replace_file(target, data)


def standby_folder(out: Path) -> Path:
    """The folder beside the (resolved) output folder that holds the build before (see above)."""
    return out.parent / f".{out.name}.standby"


def _files_below(folder: Path) -> set[str]:
    """Every file below `folder` by its path relative to it ('/'-separated); none if no folder."""
    found: set[str] = set()

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, prefix + entry.name + "/")
                else:
                    found.add(prefix + entry.name)

    if folder.is_dir():
        walk(str(folder), "")
    return found


def _update_in_place(
    out: Path, files: dict[str, bytes | None], hashes: dict[str, str], reused: dict[str, str], marker: dict
) -> WriteStats:
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
    for path in sorted(_files_below(out) - keep - {MARKER}):
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


def remove_standby(out: Path) -> Path | None:
    """After a build into `out` failed or was stopped: remove the standby it may have left half
    updated (the next build makes it again). Its path, if there was one: a full disk fails a
    write, not the open, so its error names no file."""
    spare = standby_folder(Path(os.path.realpath(out)))
    if not os.path.lexists(spare):
        return None
    shutil.rmtree(spare, ignore_errors=True)
    return spare


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
    """Share an unchanged file of the output folder instead of writing it again (by a temporary
    name renamed over the old file, as replace_file)."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        os.link(existing, temporary)
    except OSError:
        return False
    os.replace(temporary, target)
    if temporary.exists():  # target was a link to that file already: rename() then keeps both names
        temporary.unlink()
    return True


def _swap(spare: Path, out: Path) -> bool:
    """Put `spare` in place of `out`; True when `out` existed and `spare` now holds it."""
    if not out.exists():
        os.rename(spare, out)
        return False
    if not _exchange(spare, out):
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(spare, out)
        os.rename(old, spare)
    return True


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
