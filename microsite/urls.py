"""The URL policy: the one place that decides every path and every href in the site.

Every page is written as `<folder>/index.html` (with every language but the site's first under
a `<lang>/` prefix). Links between pages are always relative to the page they are on, so the site
works at a domain root, under any sub-path and from disk. The two targets differ only here:

- hosted: a link to a folder page ends in `/` (`../districts/yangpu/`), as web servers expect;
- offline: it ends in `index.html`, because file:// does not open a folder's index.

Absolute URLs appear only where the web needs them (canonical, sitemap, feed, Open Graph), and
only when a base URL is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlsplit

from . import languages
from .kinds import BY_NAME

# Pages that are not items: name -> path below the language root.
SPECIAL = {
    "home": "index.html",
    "search": "search/index.html",
    "404": "404.html",
    "translations": "translations/index.html",
}


@dataclass(frozen=True)
class UrlPolicy:
    offline: bool = False
    base_url: str | None = None  # ends in "/"
    root_language: str = field(default_factory=lambda: languages.codes()[0])  # the others are under <code>/

    def page(self, lang: str, kind: str, item_id: str | None = None) -> str:
        """The output path of a page, e.g. ('zh', 'district', 'yangpu') -> zh/districts/yangpu/index.html."""
        if kind in SPECIAL:
            path = SPECIAL[kind]
        elif kind in BY_NAME:  # an item's page, or with no id its kind's listing
            folder = BY_NAME[kind].folder
            path = f"{folder}/{item_id}/index.html" if item_id else f"{folder}/index.html"
        else:
            raise KeyError(f"no page of kind {kind!r}")
        return path if lang == self.root_language else f"{lang}/{path}"

    def search_index(self, lang: str) -> str:
        """The search index script, beside the search page. Not fingerprinted: it changes with
        every content edit, and the pages that name it must not (see state.py)."""
        return self.page(lang, "search").replace("index.html", "index.js")

    def feed(self, lang: str) -> str:
        """The Atom feed of a language, at that language's root."""
        return self.page(lang, "home").replace("index.html", "feed.xml")

    def href(self, from_path: str, to_path: str, fragment: str = "") -> str:
        """A link from one output file to another (or to an asset), relative, per the target.

        The 404 page is the exception: hosts serve it at whatever address was missing, so its
        links are absolute whenever the base URL is known.
        """
        if from_path.endswith("404.html") and (url := self.absolute(to_path)) is not None:
            return url + (f"#{fragment}" if fragment else "")
        rel = relative_path(from_path, to_path)
        if not self.offline and (rel == "index.html" or rel.endswith("/index.html")):
            rel = rel[: -len("index.html")] or "./"
        return rel + (f"#{fragment}" if fragment else "")

    def absolute(self, to_path: str) -> str | None:
        """The public URL of an output file, when the site has a base URL."""
        if not self.base_url:
            return None
        if to_path == "index.html" or to_path.endswith("/index.html"):
            to_path = to_path[: -len("index.html")]
        return self.base_url + to_path


def relative_path(from_file: str, to_file: str) -> str:
    """Path from one output file to another; both are normalised site paths ("a/b/index.html").

    Plain string work, because this runs for every link of every page (posixpath.relpath
    would resolve both paths against the working folder each time).
    """
    here = from_file.split("/")[:-1]
    there = to_file.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


# Whitespace and control characters: a browser drops some of them (so `java\tscript:` runs), and
# a line break in a URL would end a line of robots.txt or a console message.
_UNSAFE_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
MAX_URL = 2000  # characters; longer ones are refused by some browsers and servers
LINK_SCHEMES = {"http", "https", "mailto"}
# What each kind of URL value may be:
#   base:  where the site is hosted (--base-url, base_url in site.yaml): http(s), a host, no query
#   web:   a page elsewhere (a source's url): http(s) with a host
#   link:  a Markdown link: relative, or http, https or mailto
#   embed: a Markdown image: a file of the site, by a relative path
URL_KINDS = ("base", "web", "link", "embed")


def url_problem(url: str, kind: str) -> str:
    """Why `url` may not be written into the site as a URL of `kind` ("" when it may).

    The one check for every URL value. A Markdown URL is read as a browser reads the attribute
    (`&#58;` is a colon); the answer completes "the URL …"."""
    if kind in ("link", "embed"):
        url = unescape(url)
    if not url:
        return "is empty"
    if len(url) > MAX_URL:
        return f"is {len(url):,} characters long; the limit is {MAX_URL:,}"
    bad = _UNSAFE_CHARACTERS.search(url)
    if bad:
        return f"contains the character U+{ord(bad.group()):04X} (whitespace or a control character)"
    if kind in ("link", "embed") and url.startswith("@"):
        return "starts with @, which marks the generator's own placeholders (citations, kind:id links, media)"
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else None
    if kind == "embed":
        if scheme or url.startswith(("/", "\\")):
            return "does not name a file of the site (only relative paths, such as media/map.png)"
        return ""
    if kind == "link":
        return f"uses '{scheme}:', which is not allowed" if scheme and scheme not in LINK_SCHEMES else ""
    if scheme not in ("http", "https") or "\\" in url:
        return "does not start with http:// or https://"
    if any(c in url for c in '<>"'):
        return 'contains <, > or "; %-encode them'
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 host
        return "is not a well-formed URL"
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return "names no host (or holds a user name or password)"
    if kind == "base":
        if parts.query or parts.fragment or url.endswith(("?", "#")):
            return "has a query or fragment; a base URL ends with the site's folder"
        if not url.isascii():
            return "is not plain ASCII (write the host in punycode and %-encode the path)"
    return ""


def normalise_base_url(url: str | None) -> str | None:
    if not url:
        return None
    return url if url.endswith("/") else url + "/"
