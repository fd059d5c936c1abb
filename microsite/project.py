"""Where a site's folders are, and the options that name them, shared by build, check, serve
and bundle.

A site is a folder holding `content/site.yaml` (the layout `new` writes, and the repository's).
Its output (`site/`), bundle (`dist/`), schemas (`schema/`) and build state (`.cache/build/`) go
beside its content. The commands find it from the working folder or the nearest folder above it
that holds `content/site.yaml`, or from `--site DIR`; every folder can also be named on its own.
The default theme is the generator's, wherever it is installed; nothing is ever written into
the installed package.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pipeline imports this module for its defaults: site_options imports it when called
    from .pipeline import Options

PACKAGE = Path(__file__).resolve().parent
SETTINGS = Path("content") / "site.yaml"


def find_site(start: Path) -> Path | None:
    """The nearest folder, from start upward, that holds content/site.yaml."""
    start = start.resolve()
    return next((folder for folder in (start, *start.parents) if (folder / SETTINGS).is_file()), None)


def theme_folder(name: str) -> Path:
    """The default theme's `templates` or `static` folder: in the installed package (the wheel
    puts them in microsite/theme/, pyproject.toml), else at the top of the repository."""
    installed = PACKAGE / "theme" / name
    return installed if installed.is_dir() else PACKAGE.parent / name


def user_cache() -> Path:
    """The build state of a build outside any site folder: the user's cache folder (XDG)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "microsite" / "build"


def checkers_folder() -> Path:
    """Where tools/install-checkers.sh put the HTML and accessibility checkers: $MICROSITE_CHECKERS
    when set (an installed generator has no repository to look in), else the repository's."""
    return Path(os.environ.get("MICROSITE_CHECKERS") or PACKAGE.parent / ".cache" / "checkers")


def add_site_options(p: argparse.ArgumentParser) -> None:
    """The options every command that builds takes: build, check, serve and bundle."""
    p.add_argument(
        "--site",
        type=Path,
        metavar="DIR",
        help="the site's folder, holding content/site.yaml (default: the working folder "
        "or the nearest folder above it that holds content/site.yaml)",
    )
    p.add_argument("--content", type=Path, metavar="DIR", help="content folder to read (default: SITE/content)")
    p.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="Jinja templates and interface catalogues (default: the generator's theme)",
    )
    p.add_argument(
        "--static",
        type=Path,
        metavar="DIR",
        help="stylesheets, scripts and images copied into assets/ (default: the generator's theme)",
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="public URL of the site, e.g. https://example.org/zones/ "
        "(canonical links, sitemap, feed); overrides base_url in site.yaml",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument(
        "--no-cache",
        dest="fresh",
        action="store_true",
        help="build from scratch: reuse nothing of the last build (its state in "
        "SITE/.cache/build/ is still written for the next one); the output is the same",
    )


def locate(args: argparse.Namespace) -> str:
    """Fill in the folders the command line left out, from the site's folder; why it cannot
    (no site found and no --content), or ""."""
    site = args.site or find_site(Path.cwd())
    if site is None and args.content is None:
        return (
            f"no site here: no {SETTINGS} in {Path.cwd()} or any folder above it; "
            "pass --site DIR or --content DIR, or write a new site with the `new DIR` command"
        )
    base = site or Path.cwd()
    args.content = args.content or base / "content"
    args.templates = args.templates or theme_folder("templates")
    args.static = args.static or theme_folder("static")
    args.cache = base / ".cache" / "build" if site else user_cache()
    for name in ("out", "dist"):
        if getattr(args, name, False) is None:
            setattr(args, name, base / {"out": "site", "dist": "dist"}[name])
    return ""


def site_options(args: argparse.Namespace, **changes) -> Options:
    """The build options the command line names (after locate); `changes` set the rest."""
    from .pipeline import Options  # pipeline takes its defaults from this module

    settings = {
        "content": args.content,
        "templates": args.templates,
        "static": args.static,
        "base_url": args.base_url,
        "strict": args.strict,
        "fresh": args.fresh,
        "cache": args.cache,
    }
    return Options(**settings | changes)
