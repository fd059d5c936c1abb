"""`python build.py bundle`: the offline site as one zip, the same bytes for the same content.

The site is built for opening from disk (every link ends in index.html) into a temporary folder,
then zipped with sorted entries, one fixed timestamp and fixed permissions, so two runs on the
same content give identical zips (a checksum can be published beside it).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .diagnostics import format_console, summary
from .pipeline import build
from .project import site_options
from .write import MARKER

DateTime = tuple[int, int, int, int, int, int]  # a zip entry's: year, month, day, hour, minute, second
ZIP_EPOCH: DateTime = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def run(args) -> int:
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        # no build state: none would be read again, the folder being new each time
        result = build(site_options(args, out=Path(tmp) / "site", offline=True, cache=None))
        text = format_console(result.diagnostics)
        if text:
            print(text, file=sys.stderr)
        if not result.ok:
            print(f"bundle failed: {summary(result.diagnostics)}; no zip was written", file=sys.stderr)
            return 1
        # named by the site's short name (settings `name`): example-zones-offline.zip;
        # the output folder is new, so the build is never skipped and always has its model
        assert result.site is not None, "a build into a new folder is never skipped: it has its model"
        target = args.dist / f"{result.site.settings.name}-offline.zip"
        write_zip(Path(tmp) / "site", target)
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


def write_zip(folder: Path, target: Path) -> None:
    """Zip every file under folder into one top folder named like the zip (unzipping does not
    scatter files), deterministically; replaces target in one step."""
    stamp = _timestamp()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    files = sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != MARKER
    )  # the marker is the build's bookkeeping
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in files:
            info = zipfile.ZipInfo(f"{target.stem}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(info, (folder / name).read_bytes())
    os.replace(partial, target)


def _timestamp() -> DateTime:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    t = time.gmtime(int(epoch))
    return max(ZIP_EPOCH, (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec))
