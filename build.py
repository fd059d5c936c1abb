#!/usr/bin/env python3
"""Build the linked-innovation-zones microsite. Run `python build.py --help`."""
import sys

from microsite.cli import main

if __name__ == "__main__":
    sys.exit(main())
