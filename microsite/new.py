"""`new DIR`: a small working site to start from.

The starter (microsite/starter/) is a site about a made-up programme in a made-up region: the
settings, one item of each kind and a map of three districts, every text in both languages and
citing its source, so that it builds with --strict and passes `check` as written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

STARTER = Path(__file__).resolve().parent / "starter"


def new(target: Path, prog: str) -> int:
    """Copy the starter into target, which must be absent or empty; 2 when it is not."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(f"new: {target} already holds something; name a new or empty folder", file=sys.stderr)
        return 2
    shutil.copytree(STARTER, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    print(f"wrote a new site into {target}; build it with: cd {target} && {prog} build --strict")
    return 0
