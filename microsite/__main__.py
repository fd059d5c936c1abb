"""`python -m microsite …`: the same command line as the `microsite` command and build.py."""

import sys

from .cli import main

sys.exit(main())
