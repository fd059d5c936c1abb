#!/usr/bin/env python3
"""The generator's command line, run from the repository: `python build.py --help`. Installed
with `pip install .`, the same command line is the `microsite` command."""

import sys

try:
    from microsite.cli import main
except ModuleNotFoundError as err:
    if (err.name or "").startswith("microsite"):
        raise
    sys.exit(
        f"build.py: the library '{err.name}' is missing from this Python. Run `make site` (it "
        "makes .venv with every library) and then `.venv/bin/python build.py`, or install the "
        "generator with `pip install .` and run `microsite`."
    )

if __name__ == "__main__":
    sys.exit(main())
