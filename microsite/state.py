"""The build state: everything known about the last build into an output folder, in one place.

One file per output folder, in the cache folder (`state-<hash of the folder>.pickle`, with the
parts only a build that runs needs in `….deps.pickle` beside it; removed by a later build once
its folder is gone, `prune`), holds:

- the **fingerprint** of what made it: the generator's code, the templates and catalogues, the
  static files, the Python version, the version of every installed distribution, and the options
  that shape every page. Parse and conversion results depend on the first three ("engine"); the
  outputs depend on all of it. Any difference, and nothing of that part is reused;
- the **inputs**: every file below the content, templates and static folders with its stat
  signature (and its hash when the signature was too recent to trust), and what the build said:
  when none has changed, the build does not run at all (`unchanged`);
- the **results of the pure steps**, by the hash of their input text: each YAML file parsed and
  each Markdown text converted (only those the last build used);
- the **outputs**: each file's hash, its stat signature as written, and the keys of every model
  value its rendering read (track.py), with the digest each value had.

An output is made again when, and only when, its file is not as recorded (changed or removed by
anything but a build), or one of the values it read has changed (`changed`). Which values those
are is recorded while rendering, never predicted. A build that cannot read the state, or is told
to start afresh (`--no-cache`), reuses nothing. `explain` says why an output would be made again.

A file's signature (size, modification and change times, inode) shows every write, except one in
the same clock tick as the stat that took it ("racy", as git calls it): a signature is only
trusted once the clock has passed the file's times by more than the file system's tick; until
then its hash is kept and compared instead.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import stat
import sys
import tempfile
import time
from array import array
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .diagnostics import Diagnostic, Diagnostics

if TYPE_CHECKING:  # the no-change check needs neither the model nor its views
    from collections.abc import Callable

    from .render import Parted
    from .track import Key, Values

PACKAGE = Path(__file__).resolve().parent
FORMAT = 5  # of the state file: another format is read as no state
TABLE = "table "  # the deps file's entries for the parse and conversion results, by table
COARSE_RACY_NS = 2_000_000_000  # file systems with whole-second times (FAT, some network ones)
FINE_RACY_NS = 100_000_000  # the others: well past the kernel's coarse clock tick
ENGINE = ("code", "python", "libraries")


# -- signatures ------------------------------------------------------------------------------


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def racy(st: os.stat_result, now_ns: int) -> bool:
    """Whether a write after `now_ns` could leave the same signature (see the module's docstring)."""
    newest = max(st.st_mtime_ns, st.st_ctime_ns)
    whole_seconds = st.st_mtime_ns % 1_000_000_000 == 0 and st.st_ctime_ns % 1_000_000_000 == 0
    return newest >= now_ns - (COARSE_RACY_NS if whole_seconds else FINE_RACY_NS)


def file_hash(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# -- the fingerprint -------------------------------------------------------------------------


def tree_digest(*folders: Path) -> str:
    """Hash of every file below the folders, with its path."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """The generator's own code, as loaded: once per process (a running dev server keeps the code
    it started with, so an edit of it must not count)."""
    return tree_digest(PACKAGE)


@functools.cache
def library_versions() -> str:
    """Every installed distribution with its version: any of them may shape the output. Read
    from the names of their metadata folders (`name-version.dist-info`), as Python finds them
    along sys.path: parsing every distribution's metadata took longer than the rest of a build
    that finds nothing changed."""
    found: dict[str, str] = {}
    for folder in (entry or "." for entry in sys.path):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                dist, _, version = stem.partition("-")  # names in these folders spell "-" as "_"
                version = version.split("-")[0] or _metadata_version(os.path.join(folder, name))
                found.setdefault(dist.lower().replace("-", "_").replace(".", "_"), version)
    return ";".join(f"{name}=={version}" for name, version in sorted(found.items()))


def _metadata_version(folder: str) -> str:
    """The version a metadata folder without one in its name holds (an egg-info of a development install)."""
    import importlib.metadata

    return importlib.metadata.PathDistribution(Path(folder)).version or ""


def fingerprint(options) -> dict[str, str]:
    """What every output is made with besides the content (see the module's docstring)."""
    return {
        "code": code_digest(),
        "python": sys.version,
        "libraries": library_versions(),
        "templates": tree_digest(options.templates),
        "static": tree_digest(options.static),
        "options": repr((options.offline, options.base_url)),
    }


# -- the state -------------------------------------------------------------------------------


@dataclass
class Output:
    hash: str
    signature: tuple | None  # as written; None when racy then (the hash decides)


@dataclass
class BuildState:
    path: Path | None  # None: remembers nothing (options.cache None)
    fingerprint: dict[str, str]
    out: str = ""  # the output folder, absolute: a state whose folder is gone is removed (`prune`)
    previous: dict | None = None  # the saved state's fingerprint (None: no state)
    policy: str = ""  # the URL policy the outputs were made with
    inputs: dict[str, tuple] | None = None  # "content/site.yaml" -> signature + (hash or "",)
    result: dict | None = None  # what the build said: diagnostics, pages
    outputs: dict[str, Output] = field(default_factory=dict)
    groups: dict[str, tuple] = field(default_factory=dict)  # a maker's path -> the files it made
    standby: dict[str, Output] = field(default_factory=dict)  # the standby folder's files (write.py)
    items: dict[str, tuple] | None = None  # a long-lived process's: path -> (signature, RawItem)
    asked: set = field(default_factory=set)  # paths asked for since forget_others
    kept: dict = field(default_factory=dict)  # a long-lived process's values by name (`same`)
    # The rest is read from its own file only when a build gets that far (`_deps`): the
    # no-change check needs none of it. Read keys are stored once each, outputs hold their indices.
    deps: str | None = None  # the token naming the saved deps file to read
    _keys: list = field(default_factory=list)  # index -> read key (track.py)
    _index: dict = field(default_factory=dict)  # read key -> index
    _reads: dict = field(default_factory=dict)  # output path -> array of key indices
    _values: dict = field(default_factory=dict)  # key index -> its digest when last recorded
    _own: dict = field(default_factory=dict)  # path -> {index: digest}: made after _values was
    _shared: dict = field(default_factory=dict)  # id(reads) -> (reads, digests): a maker's files share them
    _parts: dict = field(default_factory=dict)  # a file of parts -> part name -> (what finds it: 2 values, reads)
    _made_parts: dict = field(default_factory=dict)  # the same, of files made but not recorded yet
    _tables: dict = field(default_factory=dict)  # "yaml"/"markdown" -> text hash -> result
    _used: dict = field(default_factory=dict)  # the entries of _tables this build used
    _stale: tuple | None = None  # (values, the indices in _values whose digest differs there): `reusable`'s
    _aside: IO[bytes] | None = None  # tables used, written early by set_aside, until save

    def _deps(self) -> BuildState:
        """The reads, values, tables and standby records, read on first use; when their file is
        not the one the state names (gone, or from another build), nothing of the last build's
        output is reused."""
        if self.deps is not None:
            assert self.path is not None, "only a state read from its file names a deps file"
            token, self.deps = self.deps, None
            data = read_state(_deps_path(self.path))
            if data is None or data.get("token") != token:
                self.outputs = {}
                return self
            self._keys, self._reads, self._values, self._parts, self.standby = (
                data["keys"],
                data["reads"],
                data["values"],
                data["parts"],
                data["standby"],
            )
            self._tables = {name[len(TABLE) :]: t for name, t in data.items() if name.startswith(TABLE)}
            self._index = {k: i for i, k in enumerate(self._keys)}
        return self

    # -- parse and conversion results (the pure steps), by the hash of their text ------------

    @staticmethod
    def text_key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, table: str, text: str, key: str | None = None):
        """The result kept for `text` (`key`: its text_key, when the caller kept it)."""
        key = key or self.text_key(text)
        used = self._used.setdefault(table, {})
        found = used.get(key)
        if found is None:
            found = self._deps()._tables.get(table, {}).get(key)
            if found is not None:
                used[key] = found
        return found

    def put(self, table: str, text: str, value, key: str | None = None) -> None:
        self._used.setdefault(table, {})[key or self.text_key(text)] = value

    def set_aside(self) -> None:
        """Write the tables used so far to a temporary file, for `save`, and forget them: a
        one-off build keeps what its model's making used only for the next build, and its
        rendering (with every worker it forks) is tens of MB leaner on a large site without
        them. A table used again after this is saved too (`read_state` joins the two). A
        long-lived process (the dev server) keeps them in memory for its next build."""
        assert self._aside is None, "set aside once a build"
        self._deps()  # read now, or its tables would be read again, whole, by a later use
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # closed by save; a file without a name, gone with the process if it is killed
                aside = tempfile.TemporaryFile(dir=self.path.parent)  # noqa: SIM115
            except OSError:
                return  # kept in memory, and saved with the rest
            try:
                _dump_parts({TABLE + name: table for name, table in self._used.items()}, aside, end=False)
            except OSError:
                aside.close()
                return
            self._aside = aside
        for name in self._used:
            self._tables.pop(name, None)
        self._used = {}

    # -- content files a long-lived process read before (the dev server's) -------------------

    def known(self, path: str | Path, st: os.stat_result):
        """The item read from `path` before, if `st` (its stat now) shows the same file."""
        self.asked.add(str(path))
        found = self._remembered().get(str(path))
        return found[1] if found and signature(st) == found[0] else None

    def remember(self, path: str | Path, st: os.stat_result, item) -> None:
        """Keep an item read after `st` was taken (no stage changes it), unless the file changed
        too recently for its signature to be trusted."""
        if not racy(st, time.time_ns()):
            self._remembered()[str(path)] = (signature(st), item)

    def same(self, name: str, value):
        """`value`, or the equal one kept under `name` by the build before: what an item kept
        between builds made compares by identity (resolve._Resolver.make)."""
        if self.items is None:
            return value
        if self.kept.get(name) != value:
            self.kept[name] = value
        return self.kept[name]

    def forget_others(self) -> None:
        """Forget the files not asked for since the last call (deleted or renamed since)."""
        self.items = {p: found for p, found in self._remembered().items() if p in self.asked}
        self.asked = set()

    def _remembered(self) -> dict[str, tuple]:
        assert self.items is not None, "only a long-lived process remembers items: it sets them (devbuild.py)"
        return self.items

    # -- outputs -----------------------------------------------------------------------------

    def verified(self, out: Path) -> dict[str, str]:
        """Output path -> hash, for the recorded outputs still in `out` as they were written."""
        root = str(out)
        return {path: output.hash for path, output in self.outputs.items() if _holds(root, path, output)}

    def holds(self, out: Path, path: str) -> bool:
        """Whether `out` holds the recorded output `path` as it was written."""
        output = self.outputs.get(path)
        return output is not None and _holds(str(out), path, output)

    def standby_holds(self, folder: Path, path: str, digest: str) -> bool:
        """Whether the standby folder holds `path` with this hash as it was recorded (write.py)."""
        found = self._deps().standby.get(path)
        return found is not None and found.hash == digest and _holds(str(folder), path, found)

    def exchanged(self, previous: dict[str, Output], linked: list[str]) -> None:
        """After the write stage exchanged the folders: the standby holds the previous outputs as
        recorded, and the files it shares with the output folder as the output folder has them."""
        self.standby = previous | {path: self.outputs[path] for path in linked}

    def earlier(self, out: Path, path: str, values: Values, policy: str) -> Callable[[str], bytes | None]:
        """What finds a part of the file of parts `path` (render.Part) as the folder holds it, by
        name: its bytes, when none of the values it read has changed since it was made (with the
        URL policy it was made with); else None."""
        if policy != self.policy or not self.holds(out, path):
            return lambda _: None
        fresh = self.fresh_parts(path, values)
        held: list[bytes] = []  # the file, read when a part is first asked for

        def found(name: str) -> bytes | None:
            part = fresh(name)
            if part is None:
                return None
            if not held:
                held.append(Path(out, path).read_bytes())
            at, size = part
            return held[0][at : at + size]

        return found

    def fresh_parts(self, path: str, values: Values) -> Callable[[str], tuple | None]:
        """What finds a part of the last making of `path` (a file of parts, or a maker's group
        of files) by name: what finds it again (render.Parted), when none of the values it read
        has changed since; else None."""
        parts = self._deps()._parts.get(path)
        if not parts:
            return lambda _: None
        stale = self._stale_reads(path, values)

        def found(name: str) -> tuple | None:
            part = parts.get(name)
            return None if part is None or not stale.isdisjoint(part[2]) else part[:2]

        return found

    def _stale_reads(self, path: str, values: Values) -> set[int]:
        """The recorded reads of an output whose values differ now, as indices (`changed`'s keys).
        A file of parts read every item: after `reusable` compared every value, its reads are
        looked up in what that found, not compared one by one again."""
        reads = self._reads[path]
        if self._stale is not None and self._stale[0] is values and path not in self._own:
            found = set(reads)  # a read with no digest kept counts as changed, as below
            return (found & self._stale[1]) | found.difference(self._values)
        keys, old = self._keys, self._own.get(path, self._values)  # its own digests, if made since _values was
        return {i for i in reads if values(keys[i]) != old.get(i)}  # each key once

    def keep(self, path: str, found: tuple | Parted) -> array:
        """What making the file(s) under `path` read, `intern`ed; a file of parts' parts are kept
        until it is recorded."""
        if isinstance(found, tuple):
            self._made_parts.pop(path, None)
            return self.intern(found)
        copied, indices, spans, bounds = self._parts.get(path, {}), self._indexed(found.keys), found.spans, found.bounds
        parts = {}
        for n, name in enumerate(found.names):
            start, end = bounds[2 * n], bounds[2 * n + 1]
            made = array("I", sorted(map(indices.__getitem__, found.reads[start:end]))) if start >= 0 else None
            parts[name] = (spans[2 * n], spans[2 * n + 1], copied[name][2] if made is None else made)
        self._made_parts[path] = parts
        return array("I", sorted(set(self._indexed(found.own)).union(*(reads for _, _, reads in parts.values()))))

    def reads(self, path: str) -> list[Key]:
        """The keys of the values the output's rendering read."""
        keys = self._deps()._keys
        return [keys[i] for i in self._reads.get(path, ())]

    def changed(self, path: str, values: Values) -> list[Key]:
        """The recorded reads of an output whose values differ now ([] when none does)."""
        keys = self._deps()._keys
        return sorted((keys[i] for i in self._stale_reads(path, values)), key=repr)

    def reusable(self, out: Path, values: Values) -> set[str]:
        """The outputs `out` holds as they were written, none of whose reads has changed: every
        recorded value compared once, then each output's reads as a set (millions of them)."""
        keys, old = self._deps()._keys, self._values
        stale = frozenset(i for i, d in old.items() if values(keys[i]) != d)
        self._stale = (values, stale)
        fresh = {id(a): stale.isdisjoint(a) for a in _distinct(self._reads.values())}
        return {path for path in self.verified(out) if path not in self._own and fresh[id(self._reads[path])]}

    def record(
        self,
        out: Path,
        made: dict[str, tuple[str, array | None]],
        values: Values,
        policy: str,
        groups: dict[str, tuple],
    ) -> None:
        """The outputs now in `out`: path -> (hash, reads as `intern` gave them; None: as recorded
        before), each with its signature as written, and the digest of every value they read;
        `groups`: the makers that made several files, by path, with their files."""
        self._deps()
        reads = {path: self._reads[path] if found is None else found for path, (_, found) in made.items()}
        parts = {p: (self._parts if found is None else self._made_parts).get(p) for p, (_, found) in made.items()}
        self._parts = {path: found for path, found in parts.items() if found}
        self.outputs, self._reads, self._own, self.policy, self.groups = {}, reads, {}, policy, groups
        self._made_parts = {}
        for path, (digest, _) in made.items():
            self._written(out, path, digest)
        self.consolidate(values)

    def record_one(self, out: Path, path: str, digest: str, reads: array, values: Values) -> None:
        """One output as now written in `out`; it keeps its reads' digests itself until
        `consolidate` (the dev server makes outputs one by one, see devbuild.py). The files of
        one maker share their reads, and so the digests."""
        own = self._shared.get(id(reads))
        if own is None or own[0] is not reads:
            own = self._shared[id(reads)] = (reads, {i: values(self._keys[i]) for i in reads})
        self._own[path], self._reads[path] = own[1], reads
        self._parts.pop(path, None)
        if path in self._made_parts:
            self._parts[path] = self._made_parts.pop(path)
        self._written(out, path, digest)

    def forget(self, path: str) -> None:
        """An output removed from the folder."""
        self.outputs.pop(path, None)
        self.groups.pop(path, None)
        self._deps()._reads.pop(path, None)
        self._own.pop(path, None)
        self._parts.pop(path, None)

    def consolidate(self, values: Values) -> None:
        """Once every output has been checked against (or made from) the model of `values`: the
        digests of what they read, by key, and no key they do not read (`_compact`)."""
        keys = self._deps()._keys
        live = set().union(*_distinct(self._reads.values()))
        self._values, self._own, self._shared, self._stale = {i: values(keys[i]) for i in live}, {}, {}, None
        self._compact(live)

    def _written(self, out: Path, path: str, digest: str) -> None:
        st = os.stat(os.path.join(out, path))
        self.outputs[path] = Output(digest, None if racy(st, time.time_ns()) else signature(st))

    def intern(self, reads: Iterable[tuple]) -> array:
        """An output's read keys as the indices the state keeps them by (a site's pages read
        millions of keys, mostly the same few hundred thousand)."""
        return array("I", sorted(self._indexed(reads)))

    def weight(self, path: str) -> int:
        """How many values the output's last making read (0 when unknown)."""
        return len(self._deps()._reads.get(path, ()))

    def _indexed(self, keys) -> list[int]:
        """Each key's index, in order; a key never seen before gets the next."""
        index, known, keys = self._deps()._index, self._keys, list(keys)
        # one hash and one look-up per key, none of them in Python: a key is a tuple, whose hash
        # is not cached, and a large site's pages read millions of them
        found = list(map(index.setdefault, keys, repeat(-1)))
        if -1 in found:
            for at, i in enumerate(found):
                if i < 0:
                    found[at] = index[keys[at]] = len(known)
                    known.append(keys[at])
        return found

    # -- the whole build: nothing changed? -----------------------------------------------------

    def unchanged(self, now: dict[str, tuple] | None, out: Path, context: str) -> tuple[Diagnostics, int] | None:
        """(diagnostics, pages) of the last build when no input has changed since and its output
        is still whole; else None."""
        if now is None or self.inputs is None or self.result is None or self.result["context"] != context:
            return None
        if now.keys() != self.inputs.keys() or not self.outputs:
            return None
        for name, was in self.inputs.items():
            if was[:4] != now[name][:4] or (was[4] and file_hash(_input_path(self.result["folders"], name)) != was[4]):
                return None
        if len(self.verified(out)) != len(self.outputs):
            return None
        diags = Diagnostics()
        diags.items = [Diagnostic(**d) for d in self.result["diagnostics"]]
        return diags, self.result["pages"]

    def note_result(
        self, scan: dict | None, folders: dict[str, str], context: str, diags: Diagnostics, pages: int
    ) -> None:
        """Remember the inputs as scanned before the build and what it said, unless an input that
        was too recent to trust has changed since."""
        if scan is not None and any(
            was[4] and signature(os.stat(_input_path(folders, name))) != tuple(was[:4])
            for name, was in scan.items()
            if os.path.exists(_input_path(folders, name))
        ):
            scan = None
        self.inputs = scan
        self.result = {
            "context": context,
            "folders": folders,
            "pages": pages,
            "diagnostics": [asdict(d) for d in diags.items],
        }

    def forget_result(self) -> None:
        self.inputs, self.result = None, None

    # -- reading and writing ---------------------------------------------------------------------

    def save(self) -> None:
        """Write the state; the next build starts from it. A failure only costs time."""
        if self.path is None:
            return
        self._deps()  # read, if no build got that far: it is written again whole
        token = os.urandom(8).hex()
        # a table this build never asked for (the search index's, when no edit touched it) stays
        # as it was, for the next build that needs it; one it used keeps the entries it used
        tables = {name: table for name, table in self._tables.items() if name not in self._used} | self._used
        deps = {
            "format": FORMAT,
            "fingerprint": {},
            "token": token,
            "keys": self._keys,
            "reads": self._reads,
            "values": self._values,
            "parts": self._parts,
            "standby": self.standby,
            **{TABLE + name: table for name, table in tables.items()},
        }
        data = {
            "format": FORMAT,
            "out": self.out,  # second: `prune` reads no further
            "fingerprint": self.fingerprint,
            "policy": self.policy,
            "inputs": self.inputs,
            "result": self.result,
            "outputs": self.outputs,
            "groups": self.groups,
            "deps": token,
        }
        self._tables, self._used, aside, self._aside = tables, {}, self._aside, None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for path, value in ((_deps_path(self.path), deps), (self.path, data)):  # the file naming it last
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with open(temporary, "wb") as file:
                    _dump_parts(value, file, end=aside is None or value is data)
                    if aside is not None and value is deps:
                        aside.seek(0)
                        shutil.copyfileobj(aside, file)
                        pickle.dump(None, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            prune(self.path)
        except OSError:
            pass
        finally:
            if aside is not None:
                aside.close()

    def _compact(self, live: set[int]) -> None:
        """Drop the keys no output reads (`live`: those some output reads), once they are half
        the table."""
        if len(self._keys) <= 2 * len(live) + 1024:
            return
        new = {old: i for i, old in enumerate(sorted(live))}
        self._keys = [self._keys[i] for i in new]
        self._index = {k: i for i, k in enumerate(self._keys)}
        arrays = [*self._reads.values(), *(reads for parts in self._parts.values() for _, _, reads in parts.values())]
        renumbered = {id(a): array("I", map(new.__getitem__, a)) for a in _distinct(arrays)}
        self._reads = {p: renumbered[id(a)] for p, a in self._reads.items()}
        self._parts = {
            p: {name: (at, size, renumbered[id(a)]) for name, (at, size, a) in parts.items()}
            for p, parts in self._parts.items()
        }
        self._values = {new[i]: d for i, d in self._values.items() if i in new}


def _distinct(arrays) -> list[array]:
    """Each array once: the files of one maker share theirs (the search index's hundreds)."""
    return list({id(a): a for a in arrays}.values())


def _holds(root: str, path: str, output: Output) -> bool:
    full = os.path.join(root, path)
    try:
        st = os.stat(full)
    except OSError:
        return False
    if output.signature is not None:
        return signature(st) == output.signature
    return stat.S_ISREG(st.st_mode) and file_hash(full) == output.hash


def state_path(cache: Path | None, out: Path) -> Path | None:
    if cache is None:
        return None
    return Path(cache).resolve() / f"state-{hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]}.pickle"


_PRUNED: set[Path] = set()  # the cache folders this process has pruned


def prune(own: Path) -> None:
    """Remove the other states in own's folder whose output folder is gone (a removed `--out`, a
    script's temporary folder): no build would read them again, and at 10,000 initiatives each
    is over 100 MB. One that names no folder (an older version's) is kept. Once per folder and
    process: each state is opened to read its folder, and a long-lived process (the dev server,
    a test run) saves many times."""
    if own.parent in _PRUNED:
        return
    _PRUNED.add(own.parent)
    for path in own.parent.glob("state-*.pickle"):
        if path == own or path.name.endswith(".deps.pickle"):
            continue
        out = _recorded_out(path)
        if out and not os.path.isdir(out):
            for gone in (path, _deps_path(path)):  # the file naming the other first
                gone.unlink(missing_ok=True)


def _recorded_out(path: Path) -> str:
    """The output folder a state file names, read from its first two parts ("": none)."""
    try:
        with open(path, "rb") as file:
            head, (name, out) = pickle.load(file), pickle.load(file)
        return out if head == ("format", FORMAT) and name == "out" else ""
    except Exception:  # truncated, or not a state: leave it  # noqa: BLE001
        return ""


def open_state(options) -> BuildState:
    """The state of the last build into options.out, as far as it still holds for this one
    (options.fresh: none of it; the new state is still written for the next build)."""
    now = fingerprint(options)
    path = state_path(options.cache, options.out)
    state = BuildState(path, now, str(Path(options.out).resolve()))
    data = None if options.fresh else read_state(path)
    if data is None:
        return state
    old = state.previous = data["fingerprint"]
    if any(old.get(part) != now[part] for part in ENGINE):
        return state
    state.deps = data["deps"]
    if old == now:
        state.policy, state.inputs, state.result, state.outputs, state.groups = (
            data["policy"],
            data["inputs"],
            data["result"],
            data["outputs"],
            data["groups"],
        )
    else:  # the parse results hold; what the outputs read does not matter any more
        state._deps()._reads, state._values, state._parts, state.standby = {}, {}, {}, {}
    return state


def _deps_path(path: Path) -> Path:
    return path.with_name(path.stem + ".deps.pickle")


def read_state(path: Path | None) -> dict | None:
    """The saved state as it is (None: none, or unreadable: then nothing is reused)."""
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            data: dict = {}
            while (part := pickle.load(file)) is not None:
                name, value = part
                data[name] = data[name] | value if name in data and name.startswith(TABLE) else value  # set_aside
        return data if data["format"] == FORMAT and isinstance(data["fingerprint"], dict) else None
    except Exception:  # missing, truncated, or from another version of Python: start afresh  # noqa: BLE001
        return None


def _dump_parts(data: dict, file, end: bool = True) -> None:
    """Each entry a pickle of its own, then (`end`) None to mark the end (a file without it is
    truncated): the pickler's memo of every object written, as large as the state's largest
    part, lasts for one part only, and the file is streamed, never whole in memory."""
    for part in data.items():
        pickle.dump(part, file, protocol=pickle.HIGHEST_PROTOCOL)
    if end:
        pickle.dump(None, file, protocol=pickle.HIGHEST_PROTOCOL)


def scan_inputs(folders: dict[str, str]) -> dict[str, tuple] | None:
    """Every input file's signature now (with its hash when too recent to trust), or None when
    something cannot be trusted to show its changes (a symbolic link, a pipe, an unreadable
    folder): then the build runs."""
    started, files = time.time_ns(), dict[str, tuple]()
    for label, folder in sorted(folders.items()):
        if not _walk(folder, label, files, started):
            return None
    return files


def _walk(folder: str, label: str, files: dict, started: int) -> bool:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = f"{label}/{entry.name}"
                if entry.is_symlink():
                    return False  # a link's own times say nothing of what it points to
                if entry.is_dir():
                    if not _walk(entry.path, name, files, started):
                        return False
                    continue
                st = entry.stat()
                if not stat.S_ISREG(st.st_mode):
                    return False
                files[name] = (*signature(st), file_hash(entry.path) if racy(st, started) else "")
    except OSError:
        return False
    return True


def _input_path(folders: dict[str, str], name: str) -> str:
    label, _, rest = name.partition("/")
    return os.path.join(folders[label], rest)
