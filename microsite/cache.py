"""A persistent cache of the two costly pure steps: parsing a YAML file and converting Markdown.

Each entry is keyed by the hash of its input text and depends on nothing else but the
generator's code, so the cache file is named for the code's digest: changing the generator
starts an empty cache. Entries hold what the step found (values, positions, problems without
their place), so a cached result is reported exactly like a fresh one.

A build keeps only the entries it used, so the file stays the size of the content. A missing,
corrupt or unwritable cache makes a build slower, never different; the incremental tests
compare cached rebuilds with builds from an empty cache, byte for byte.
The dev server keeps the open cache in memory between builds (one instance per folder).
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from .incremental import PACKAGE, code_digest
from .write import replace_file

DEFAULT_FOLDER = PACKAGE.parent / ".cache" / "build"


class Cache:
    """Tables of text hash -> result; `get` marks an entry as used, `save` keeps the used ones."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, dict] = self._read() if path else {}
        self._used: dict[str, dict] = {}
        self._dirty = False

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, table: str, text: str):
        key = self.key(text)
        used = self._used.setdefault(table, {})
        if key in used:
            return used[key]
        value = self._old.get(table, {}).get(key)
        if value is not None:
            used[key] = value
        return value

    def put(self, table: str, text: str, value) -> None:
        self._used.setdefault(table, {})[self.key(text)] = value
        self._dirty = True

    def save(self) -> None:
        """Write the entries this build used; the next build starts from them."""
        if self.path is None:
            return
        same = set(self._used) == set(self._old) and all(
            self._used[t].keys() == self._old[t].keys() for t in self._used)
        if same and not self._dirty:
            self._used = {}
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(self.path, pickle.dumps(self._used, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # an unwritable cache only costs time
        self._old, self._used, self._dirty = self._used, {}, False

    def _read(self) -> dict:
        try:
            data = pickle.loads(self.path.read_bytes())
        except Exception:  # missing, truncated or from another Python: start empty
            return {}
        return data if isinstance(data, dict) else {}


_OPEN: dict[Path, Cache] = {}


def open_cache(folder: Path | None) -> Cache:
    """The cache in `folder` (None: a cache that remembers nothing), shared within a process."""
    if folder is None:
        return Cache(None)
    path = folder.resolve() / f"items-{code_digest()[:16]}.pickle"
    if path not in _OPEN:
        _OPEN[path] = Cache(path)
    return _OPEN[path]
