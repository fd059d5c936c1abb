#!/usr/bin/env python3
"""The generator's command line, run from the repository: `python build.py --help`. Installed
with `pip install .`, the same command line is the `microsite` command."""

import sys


def missing(err: ModuleNotFoundError) -> None:
    """Say how to get the libraries, when it is one of them that is missing."""
    if (err.name or "").startswith("microsite"):
        raise err
    sys.exit(
        f"build.py: the library '{err.name}' is missing from this Python. Run `make site` (it "
        "makes .venv with every library) and then `.venv/bin/python build.py`, or install the "
        "generator with `pip install .` and run `microsite`."
    )


try:
    from microsite.cli import main
except ModuleNotFoundError as err:
    missing(err)

if __name__ == "__main__":
    try:
        sys.exit(main())
    except ModuleNotFoundError as err:  # a command imports the libraries it needs when it needs them
        missing(err)
