"""Media files (content/media/): copied into the site, linked from Markdown by a path relative to
the content file, working at any page depth, under the second language's root, hosted at a root
or a sub-path and from disk; a missing file is a diagnostic at its place; each file an output of
the build state (a changed one copied again, an unchanged one kept, a removed one gone)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from microsite.check import check_links
from microsite.devbuild import DevBuild
from microsite.pipeline import Options, build

from conftest import page
from test_incremental import tree
from test_markdown import RICH, png, rich_content

CHART = "media/charts/trade.png"


def with_home_image(content: Path) -> Path:
    """The home page's introduction shows the chart too: site.yaml names it from the top folder."""
    site = content / "site.yaml"
    text = site.read_text(encoding="utf-8").replace(
        "See [Alpha](district:alpha).", "See [Alpha](district:alpha). ![Trade chart](media/charts/trade.png)"
    )
    site.write_text(
        text.replace("参见[甲区](district:alpha)。", "参见[甲区](district:alpha)。![贸易图表](media/charts/trade.png)"),
        encoding="utf-8",
    )
    return content


@pytest.fixture(scope="module")
def media_content(tmp_path_factory) -> Path:
    return with_home_image(rich_content(tmp_path_factory.mktemp("media")))


def built(content: Path, out: Path, strict: bool = True, **options) -> Path:
    result = build(Options(content=content, out=out, cache=None, strict=strict, **options))
    assert result.ok, [d.text() for d in result.diagnostics.items]
    return out


def sources(out: Path, path: str) -> list[str]:
    return page(out, path).xpath("//main//img/@src")


def test_media_files_are_copied_once_for_every_language(media_content, tmp_path):
    out = built(media_content, tmp_path / "out")
    for name in (CHART, "media/report.csv", "media/notice.pdf"):
        assert (out / name).read_bytes() == (media_content / name).read_bytes()
    assert not [p for p in out.rglob("*.png") if "zh" in p.parts]


@pytest.mark.parametrize("offline", [False, True])
def test_links_to_media_work_at_any_depth_and_under_the_language_root(media_content, tmp_path, offline):
    out = built(media_content, tmp_path / "out", offline=offline)
    assert sources(out, "index.html") == [CHART]
    assert sources(out, "zh/index.html") == ["../" + CHART]
    assert sources(out, f"{RICH}/index.html") == ["../../" + CHART]
    assert sources(out, f"zh/{RICH}/index.html") == ["../../../" + CHART]
    links = page(out, f"{RICH}/index.html").xpath('//div[@class="body"]//a/@href')
    assert "../../media/report.csv" in links and "../../media/notice.pdf#page=2" in links
    assert check_links(out, offline=offline) == []


def test_a_missing_media_file_is_a_diagnostic_at_its_line_and_column(cli, tmp_path):
    content = rich_content(tmp_path)
    (content / "media/report.csv").unlink()
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 0
    assert (
        f"{content}/{RICH}.yaml:14:34: warning: markdown-link: the link '../media/report.csv' names "
        "media/report.csv, which the content folder does not have [body.en]"
    ) in run.err
    assert "0 errors, 1 warning" in run.out
    strict = cli("build", "--strict", "--content", content, "--out", tmp_path / "out")
    assert strict.code == 1 and "error: markdown-link" in strict.err


def test_a_path_from_the_page_not_the_file_says_where_it_points(cli, tmp_path):
    """`media/…` in an initiative is read from its folder (initiatives/), not the media folder:
    as a link relative to the page, to a file the site does not have."""
    content = rich_content(tmp_path)
    path = content / f"{RICH}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("](../media/report.csv)", "](media/report.csv)"), encoding="utf-8"
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert (
        f"{RICH}.yaml:14:34: warning: markdown-link: the link 'media/report.csv' points to "
        f"{RICH}/media/report.csv, which the site does not have"
    ) in run.err


EDITS = {
    "changed": lambda c: (c / CHART).write_bytes(png(40, 20, (20, 80, 200))),
    "removed": lambda c: (c / "media/notice.pdf").unlink(),
    "added": lambda c: (c / "media/extra.csv").write_text("a\n1\n", encoding="utf-8"),
}


@pytest.mark.parametrize("dev", [False, True])
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_media_edit_copies_that_file_alone_and_equals_a_clean_build(tmp_path, edit, dev):
    content = rich_content(tmp_path)
    out, cache = tmp_path / "out", tmp_path / "cache"
    server = DevBuild(Options(content=content, out=out, jobs=1, cache=cache)) if dev else None

    def run():
        if server is None:
            return build(Options(content=content, out=out, jobs=1, cache=cache))
        result = server.build()
        while server.step(1):
            pass
        return result

    assert run().ok
    inodes = {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    EDITS[edit](content)
    result = run()
    assert result.ok and result.output.rendered == 0  # no page reads a media file's bytes
    assert tree(out) == tree(built(content, tmp_path / "clean", strict=False))  # removed: a link to it
    now = {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    remade = {path for path in now if path in inodes and now[path] != inodes[path]} - {".microsite-build"}
    assert remade == ({CHART} if edit == "changed" else set())
    assert ("media/notice.pdf" in now) == (edit != "removed")
    assert ("media/extra.csv" in now) == (edit == "added")


def test_the_offline_bundle_holds_the_media(cli, tmp_path):
    content = rich_content(tmp_path)
    assert cli("bundle", "--content", content, "--dist", tmp_path / "dist").code == 0
    (zipped,) = (tmp_path / "dist").glob("*.zip")
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unzipped")
    assert any(name.endswith("/" + CHART) for name in names)
    (out,) = (tmp_path / "unzipped").iterdir()
    assert check_links(out, offline=True) == []


def loaded_images(browser, url: str) -> list[int]:
    """The natural widths of the images of the page's main content, once loaded (0: broken), and
    every request the page made must be to the site."""
    tab = browser.new_page()
    requests = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(url)
    widths = tab.eval_on_selector_all("main img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : -1)")
    tab.close()
    base = urlsplit(url)
    assert [r for r in requests if urlsplit(r)[:2] != base[:2]] == []
    return widths


def test_images_load_from_disk_and_under_a_sub_path(browser, serve_under, media_content, tmp_path):
    offline = built(media_content, tmp_path / "offline", offline=True)
    hosted = built(media_content, tmp_path / "hosted", base_url="https://example.org/sub/path/")
    root = serve_under(hosted, "/sub/path/")
    for lang in ("", "zh/"):
        assert loaded_images(browser, (offline / lang / RICH / "index.html").as_uri()) == [40]
        assert loaded_images(browser, (offline / lang / "index.html").as_uri()) == [40]
        assert loaded_images(browser, f"{root}{lang}{RICH}/") == [40]
        assert loaded_images(browser, f"{root}{lang}") == [40]
