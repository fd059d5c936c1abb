"""Media: images and other files (PDF, CSV, …) kept in the content's `media/` folder, copied into
the site at the same path (`media/charts/trade.png`), one copy for every language.

A Markdown text names a media file by a path relative to the content file that holds the text,
as a Markdown file names an image beside it: `../media/chart.png` from
`content/initiatives/x.yaml`, `media/chart.png` from `content/site.yaml`. Resolve turns each such
link into a placeholder (`@media:media/chart.png`) that every page writes relative to itself
through the URL policy, so one text works at any depth, under every language root, hosted at a
root or a sub-path, and from disk. A path into the media folder that names no file there is a
`markdown-link` diagnostic at its place (links.py).

Each file is an output of its own (`media_makers`): it reads only its own bytes, so the build
state copies a changed file again, keeps an unchanged one, and a removed one leaves the site.
"""

from __future__ import annotations

import html
import posixpath
import re
from functools import partial
from urllib.parse import quote, unquote, urlsplit

FOLDER = "media"
PLACEHOLDER = "@media:"
_RELATIVE_URL = re.compile(r'(href|src)="([^"@#/][^"]*)"')  # attributes of converted Markdown


def target(text_folder: str, href: str) -> str | None:
    """The path below the content folder (`media/chart.png`) that a relative `href` names from a
    content file in `text_folder` ("" for site.yaml, "initiatives", …), when it is in the media
    folder; else None (a link relative to the page, or no relative link at all)."""
    parts = urlsplit(html.unescape(href))
    if parts.scheme or parts.netloc or not parts.path or href.startswith(("/", "@", "#")):
        return None
    path = posixpath.normpath(posixpath.join(text_folder, unquote(parts.path)))
    return path if path.startswith(FOLDER + "/") else None


def placeholders(html_text: str, text_folder: str) -> str:
    """A converted text with its links and images into the media folder as placeholders."""
    if FOLDER + "/" not in html_text:  # a path into the folder names it: most texts have none
        return html_text

    def replace(match: re.Match) -> str:
        path = target(text_folder, match.group(2))
        if path is None:
            return match.group(0)
        fragment = urlsplit(html.unescape(match.group(2))).fragment
        url = quote(path, safe="/") + (f"#{fragment}" if fragment else "")
        return f'{match.group(1)}="{PLACEHOLDER}{html.escape(url)}"'

    return _RELATIVE_URL.sub(replace, html_text)


def media_makers(site) -> dict:
    """Each media file's output path, with what copies it (stages.Plan.whole_model_makers)."""
    return {path: partial(copy, path=path) for path in site.media}


def copy(site, path: str) -> bytes:
    """The file's bytes, read through the view of the model: one file, not the folder's list."""
    return site.media_file(path).data
