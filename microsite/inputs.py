"""Builds that need not run: every input as the last successful build into the folder found it.

A command-line build records the file-system state of its inputs (every file below the content,
templates and static folders: size, modification and change times, inode) next to the build
cache, with what it printed and the hash of the output's marker. The next build into the same
folder compares before doing anything else; when nothing differs and the output folder still
holds that build, the build is over in a few milliseconds, with the same diagnostics.

A file's change time (ctime) is set by the kernel on every write and cannot be set back by a
program, so a changed file shows a new signature, with one exception that git calls "racy": a
write within the same clock tick as the stat before it (load.signature). Files changed within
load.RACY_NS of the scan are therefore hashed at the scan and compared by content next time, and
a build does not record at all if one of them changed while it ran. Anything unusual (a symbolic
link, a pipe, an unreadable file, another generator version, other options) simply means the
build runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2
import markdown
import nh3
import yaml

from .diagnostics import Diagnostic, Diagnostics
from .incremental import code_digest
from .load import racy, signature
from .write import marker_file_digest, read_marker, replace_file


@dataclass
class Scan:
    started: int                  # time.time_ns() when the scan began
    files: dict[str, list] | None  # "content/site.yaml" -> [size, mtime, ctime, inode, hash or ""]
    context: str                  # generator, libraries and options the output depends on


def scan(options) -> Scan:
    """The state of every input now; `files` is None when it cannot be trusted (see above)."""
    started = time.time_ns()
    files: dict[str, list] = {}
    trusted = all(_walk(Path(folder), label, files, started) for label, folder in
                  (("content", options.content), ("templates", options.templates), ("static", options.static)))
    context = json.dumps([code_digest(), sys.version, jinja2.__version__, markdown.__version__,
                          yaml.__version__, nh3.__version__, str(Path(options.content).resolve()),
                          str(Path(options.templates).resolve()), str(Path(options.static).resolve()),
                          options.base_url, options.offline, options.strict])
    return Scan(started, files if trusted else None, context)


def _walk(folder: Path, label: str, files: dict[str, list], started: int) -> bool:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = f"{label}/{entry.name}"
                if entry.is_symlink():
                    return False  # a link's own times say nothing of what it points to
                if entry.is_dir():
                    if not _walk(Path(entry.path), name, files, started):
                        return False
                    continue
                st = entry.stat()
                if not stat.S_ISREG(st.st_mode):
                    return False  # a pipe or a device: not read here (the build reports it)
                files[name] = [*signature(st), _hash(entry.path) if racy(st, started) else ""]
    except OSError:
        return False
    return True


def _hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _record_path(cache: Path, out: Path) -> Path:
    return Path(cache) / f"inputs-{hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]}.json"


def unchanged(options, now: Scan) -> tuple[Diagnostics, int, dict] | None:
    """(diagnostics, pages, marker) of the last build when its output is still right, else None."""
    if now.files is None:
        return None
    try:
        record = json.loads(_record_path(options.cache, options.out).read_text(encoding="utf-8"))
        return _still_right(options, now, record)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # no record, a damaged one, or an input gone since the scan: build


def _still_right(options, now: Scan, record: dict) -> tuple[Diagnostics, int, dict] | None:
    if record["context"] != now.context or record["files"].keys() != now.files.keys():
        return None
    for name, was in record["files"].items():
        if was[:4] != now.files[name][:4] or (was[4] and _hash(_path(options, name)) != was[4]):
            return None
    if marker_file_digest(Path(options.out)) != record["marker"]:
        return None
    marker = read_marker(Path(options.out))
    if not marker["files"]:
        return None
    out = str(Path(options.out).resolve())
    if not all(os.path.isfile(os.path.join(out, path)) for path in marker["files"]):
        return None  # a file of the output was removed: the build puts it back
    diags = Diagnostics()
    diags.items = [Diagnostic(**d) for d in record["diagnostics"]]
    return diags, record["pages"], marker


def remember(options, then: Scan, diags: Diagnostics, pages: int, marker: str) -> None:
    """Record a successful build (its inputs at `then`, what it said, the digest of the marker it
    left), unless an input that was racy at the scan has changed since."""
    path = _record_path(options.cache, options.out)
    try:
        path.unlink(missing_ok=True)
        if then.files is None or any(
                was[4] and signature(os.stat(_path(options, name))) != was[:4]
                for name, was in then.files.items()):
            return
        record = {"context": then.context, "files": then.files, "marker": marker, "pages": pages,
                  "diagnostics": [asdict(d) for d in diags.items]}
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, json.dumps(record, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # a missing input or an unwritable record: the next build simply runs


def _path(options, name: str) -> str:
    label, _, rest = name.partition("/")
    return os.path.join(getattr(options, label), rest)
