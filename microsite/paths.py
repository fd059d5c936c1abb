"""Paths as the user gave them: shown relative to the working folder, and checked for being
folders. Apart from load.py because every command needs them, even one that finds nothing
changed and so never loads the content (nor imports what loading needs).
"""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working folder when below it."""
    path = _resolved(path.parent, os.getcwd()) / path.name  # the link's own name, not its target
    try:
        return str(path.relative_to(_resolved(Path("."), os.getcwd())))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=1024)
def _resolved(folder: Path, cwd: str) -> Path:
    """A folder resolved once per working folder: every file of a content folder shares it."""
    try:
        return folder.resolve()
    except RuntimeError:  # a link loop (Python 3.11): shown as written
        return Path(os.path.abspath(folder))


def folder_problem(folder: Path) -> str:
    """Why `folder` cannot be read as a folder ("" when it can), completing "the folder …"."""
    try:
        folder.resolve(strict=True)
    except RuntimeError:  # Python 3.11's word for a link loop; later versions raise ELOOP
        return "is a symbolic-link loop"
    except OSError as err:
        return "is a symbolic-link loop" if err.errno == errno.ELOOP else "does not exist"
    return "" if folder.is_dir() else "is not a folder"
