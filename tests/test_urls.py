"""The URL policy: every href of the site comes from here, for both targets and both languages."""

from __future__ import annotations

import posixpath

import pytest

from microsite.urls import UrlPolicy, normalise_base_url, relative_path

HOSTED = UrlPolicy()
OFFLINE = UrlPolicy(offline=True)
PAGES = [
    ("en", "home", None),
    ("zh", "home", None),
    ("en", "district", "yangpu"),
    ("zh", "district", "yangpu"),
    ("en", "district", None),
    ("zh", "search", None),
    ("en", "404", None),
    ("zh", "translations", None),
    ("zh", "initiative", "a-b"),
]


def test_page_paths_per_language():
    assert HOSTED.page("en", "home") == "index.html"
    assert HOSTED.page("zh", "home") == "zh/index.html"
    assert HOSTED.page("en", "district", "yangpu") == "districts/yangpu/index.html"
    assert HOSTED.page("zh", "district") == "zh/districts/index.html"
    assert HOSTED.page("zh", "404") == "zh/404.html"
    assert UrlPolicy(root_language="zh").page("zh", "zone", "x") == "zones/x/index.html"
    with pytest.raises(KeyError):
        HOSTED.page("en", "nonsense")


@pytest.mark.parametrize("src", PAGES)
@pytest.mark.parametrize("dst", PAGES)
def test_every_link_resolves_back_to_its_target(src, dst):
    """From any page depth to any page: the relative href, joined to the page's folder, is the target."""
    for policy in (HOSTED, OFFLINE):
        here, there = policy.page(*src), policy.page(*dst)
        href = policy.href(here, there)
        assert not href.startswith("/") and "://" not in href
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(here), href))
        if policy.offline:
            assert resolved == there, (here, there, href)
        else:
            assert not href.endswith("index.html")
            # a folder link: the server answers with the folder's index.html
            expected = there[: -len("index.html")].rstrip("/") or "."
            assert resolved == (expected if there.endswith("index.html") else there), (here, there, href)


def test_hosted_and_offline_differ_only_in_folder_links():
    assert HOSTED.href("districts/yangpu/index.html", "zones/x/index.html") == "../../zones/x/"
    assert OFFLINE.href("districts/yangpu/index.html", "zones/x/index.html") == "../../zones/x/index.html"
    assert HOSTED.href("zh/index.html", "index.html") == "../"
    assert OFFLINE.href("zh/index.html", "index.html") == "../index.html"
    assert HOSTED.href("index.html", "index.html") == "./"
    assert OFFLINE.href("index.html", "index.html") == "index.html"
    for policy in (HOSTED, OFFLINE):
        assert policy.href("zh/districts/a/index.html", "assets/style.1.css") == "../../../assets/style.1.css"
        assert policy.href("404.html", "data/site.json") == "data/site.json"


def test_fragments():
    assert HOSTED.href("index.html", "districts/a/index.html", "zones") == "districts/a/#zones"
    assert OFFLINE.href("index.html", "districts/a/index.html", "zones") == "districts/a/index.html#zones"
    assert HOSTED.href("districts/a/index.html", "districts/a/index.html", "top") == "./#top"


def test_absolute_only_with_a_base_url():
    assert HOSTED.absolute("districts/a/index.html") is None
    policy = UrlPolicy(base_url=normalise_base_url("https://example.org/sub/path"))
    assert policy.absolute("index.html") == "https://example.org/sub/path/"
    assert policy.absolute("zh/index.html") == "https://example.org/sub/path/zh/"
    assert policy.absolute("districts/a/index.html") == "https://example.org/sub/path/districts/a/"
    assert policy.absolute("zh/404.html") == "https://example.org/sub/path/zh/404.html"
    assert policy.absolute("sitemap.xml") == "https://example.org/sub/path/sitemap.xml"


def test_normalise_base_url():
    assert normalise_base_url(None) is None
    assert normalise_base_url("") is None
    assert normalise_base_url("https://x.org") == "https://x.org/"
    assert normalise_base_url("https://x.org/a/") == "https://x.org/a/"


def test_relative_path_shares_the_common_folders():
    assert relative_path("a/b/index.html", "a/c/index.html") == "../c/index.html"
    assert relative_path("a/b/index.html", "a/b/index.html") == "index.html"
    assert relative_path("index.html", "a/index.html") == "a/index.html"
    assert relative_path("a/index.html", "ab/index.html") == "../ab/index.html"
