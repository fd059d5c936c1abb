"""The URL policy: the one place that decides every path and every href in the site.

Every page is written as `<folder>/index.html` (with the non-default languages under a
`<lang>/` prefix). Links between pages are always relative to the page they are on, so the site
works at a domain root, under any sub-path and from disk. The two targets differ only here:

- hosted: a link to a folder page ends in `/` (`../districts/yangpu/`), as web servers expect;
- offline: it ends in `index.html`, because file:// does not open a folder's index.

Absolute URLs appear only where the web needs them (canonical, sitemap, feed, Open Graph), and
only when a base URL is set.
"""
from __future__ import annotations

from dataclasses import dataclass

# The folder of each kind's pages, and of the listing page of that kind.
FOLDERS = {"batch": "batches", "district": "districts", "zone": "zones", "theme": "themes",
           "initiative": "initiatives", "source": "sources"}
# Pages that are not items: name -> path below the language root.
SPECIAL = {"home": "index.html", "search": "search/index.html", "404": "404.html",
           "translations": "translations/index.html"}


@dataclass(frozen=True)
class UrlPolicy:
    offline: bool = False
    base_url: str | None = None     # ends in "/"
    default_language: str = "en"

    def page(self, lang: str, kind: str, item_id: str | None = None) -> str:
        """The output path of a page, e.g. ('zh', 'district', 'yangpu') -> zh/districts/yangpu/index.html."""
        if kind in SPECIAL:
            path = SPECIAL[kind]
        elif kind in FOLDERS:
            folder = FOLDERS[kind]
            path = f"{folder}/{item_id}/index.html" if item_id else f"{folder}/index.html"
        else:
            raise KeyError(f"no page of kind {kind!r}")
        return path if lang == self.default_language else f"{lang}/{path}"

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
        if from_path.endswith("404.html") and self.base_url:
            return self.absolute(to_path) + (f"#{fragment}" if fragment else "")
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


def normalise_base_url(url: str | None) -> str | None:
    if not url:
        return None
    return url if url.endswith("/") else url + "/"
