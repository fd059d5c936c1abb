"""Relative links written in Markdown, checked when the build knows every file it will write:
a link to a page or file the site does not have is a `markdown-link` warning at the link's
place in the content, in the build that makes the mistake (`check` also finds it, later, in the
written pages, with the anchors, which only the rendered pages hold).
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from . import media
from .diagnostics import Diagnostics

_TARGET = re.compile(r'<(?:a|img) [^>]*?(?:href|src)="([^"]*)"')


@dataclass(frozen=True)
class RelativeLink:
    owner: tuple[str, str | None]  # the page the text is shown on: (page kind, item id)
    lang: str
    href: str
    file: str
    line: int
    column: int
    field: str
    folder: str = ""  # of the content file holding the text, below the content folder (media.py)


def relative_links(html_text: str) -> list[str]:
    """The relative links and images of a converted text; links between items (`district:…`),
    citations and fragments of the same page are not relative links."""
    found = []
    for href in map(html.unescape, _TARGET.findall(html_text)):
        parts = urlsplit(href)
        if not (parts.scheme or parts.netloc or href.startswith(("@", "#", "/"))) and parts.path:
            found.append(href)
    return found


def check_relative_links(links: list[RelativeLink], page_path, outputs: set[str], diags: Diagnostics) -> None:
    """Each link into the media folder, read from its content file, must name a media file;
    any other, resolved from the page it is shown on (`page_path(lang, kind, id)`), a file of
    `outputs` or a folder holding an index.html."""
    for link in links:
        in_media = media.target(link.folder, link.href)
        if in_media:
            if in_media not in outputs:
                diags.add(
                    link.file,
                    link.line,
                    link.column,
                    "markdown-link",
                    f"the link '{link.href}' names {in_media}, which the content folder does not have",
                    field=link.field,
                    hint="add the file, or correct the path: it is read from "
                    "the folder of the file holding the text (../media/… from an item)",
                )
            continue
        page = page_path(link.lang, *link.owner)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(urlsplit(link.href).path)))
        if target in outputs or posixpath.join(target, "index.html") in outputs:
            continue
        diags.add(
            link.file,
            link.line,
            link.column,
            "markdown-link",
            f"the link '{link.href}' points to {target}, which the site does not have",
            field=link.field,
            hint="link to another item as kind:id, e.g. (district:<id>)",
        )
