"""The dev server's builds (devbuild.py), in process: after a content edit the changed files are
pending until asked for, and once none is left the folder is a clean build's, byte for byte."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jinja2
import pytest

from microsite import render, state
from microsite.devbuild import DevBuild
from microsite.pipeline import Options, build
from microsite.write import read_marker

from conftest import ROOT, copy_fixture
from test_incremental import edit, tree

PAGE = "initiatives/beta-talent/index.html"


@pytest.fixture
def dev(tmp_path) -> DevBuild:
    content = copy_fixture("site", tmp_path)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "static", tmp_path / "static")
    dev = DevBuild(
        Options(
            content=content, out=tmp_path / "out", templates=tmp_path / "templates", static=tmp_path / "static", jobs=1
        )
    )
    first = counts(dev.build())
    assert first["ok"] and first["rendered"] == first["pages"] and not pending(dev)
    return dev


def counts(result) -> dict:
    """A result's figures as plain values: an assertion on the result itself would print the model."""
    o = result.output
    return {
        "ok": result.ok,
        "pages": o.pages if o else 0,
        "rendered": o.rendered if o else 0,
        "pending": o.pending if o else 0,
    }


def pending(dev: DevBuild) -> set[str]:
    """The paths of the pending files (an assertion on dev.pending itself would print the model)."""
    return set(dev.pending)


def retitle(dev: DevBuild, old: str = "Talent services in Beta", new: str = "Talent in Beta") -> None:
    edit(dev.options.content / "initiatives/beta-talent.yaml", old, new)


def one_page_made(dev: DevBuild) -> None:
    """The title edited and built, its page made: the other changed files are still pending."""
    retitle(dev)
    dev.build()
    dev.make(PAGE)


def finish(dev: DevBuild) -> None:
    while dev.step(0.01):
        pass
    assert not pending(dev) and dev.failed is None


def assert_clean(dev: DevBuild, tmp_path: Path) -> None:
    """The folder, marker included, is what a clean build of the same input writes."""
    o = dev.options
    clean = build(
        Options(content=o.content, out=tmp_path / "clean", templates=o.templates, static=o.static, jobs=1, cache=None)
    )
    ok = clean.ok
    assert ok
    assert tree(o.out) == tree(tmp_path / "clean")
    assert read_marker(o.out) == read_marker(tmp_path / "clean")


def test_a_content_edit_is_pending_until_asked_for_and_then_the_folder_is_a_clean_build(dev, tmp_path):
    out = dev.options.out
    before = read_marker(out)
    retitle(dev)
    result = counts(dev.build())
    assert result["ok"] and result["rendered"] == 0
    assert result["pending"] == len(pending(dev)) > result["pages"]  # every page, and the data files
    assert "Talent services in Beta" in (out / PAGE).read_text(encoding="utf-8")
    assert read_marker(out) == before  # true still: no file has changed yet

    dev.make(PAGE)
    assert PAGE not in pending(dev) and pending(dev) and dev.made == [PAGE]
    assert "<h1>Talent in Beta" in (out / PAGE).read_text(encoding="utf-8")
    assert read_marker(out) == before  # written once the folder is whole
    finish(dev)
    made = set(dev.made)
    assert {PAGE, "search/index.js", "data/initiatives.csv"} <= made
    assert len(made) < result["pages"]  # the files that read the title, only
    assert not [path for path in made if path.startswith("zh/initiatives/")]  # names only
    assert_clean(dev, tmp_path)
    again = counts(dev.build())
    finish(dev)
    assert again["ok"] and dev.made == []  # nothing changed since


def test_a_file_gone_from_the_folder_is_made_again_though_its_key_is_unchanged(dev, tmp_path):
    out = dev.options.out
    (out / "zh/initiatives/beta-talent/index.html").unlink()  # unchanged by the edit below
    retitle(dev)
    ok = dev.build().ok
    assert ok
    finish(dev)
    assert "zh/initiatives/beta-talent/index.html" in dev.made
    assert_clean(dev, tmp_path)


def test_a_removed_item_goes_at_once_and_a_new_one_is_made_when_asked_for(dev, tmp_path):
    content, out = dev.options.content, dev.options.out
    (content / "initiatives/shared-trade.yaml").unlink()
    shutil.copy(content / "initiatives/beta-talent.yaml", content / "initiatives/beta-two.yaml")
    ok = dev.build().ok
    assert ok
    assert not (out / "initiatives/shared-trade").exists()
    assert not (out / "zh/initiatives/shared-trade").exists()
    assert "initiatives/beta-two/index.html" in pending(dev)
    assert not (out / "initiatives/beta-two").exists()
    dev.make("initiatives/beta-two/index.html")
    assert (out / "initiatives/beta-two/index.html").is_file()
    finish(dev)
    assert_clean(dev, tmp_path)


def test_edits_while_files_are_pending_end_in_the_last_builds_folder(dev, tmp_path):
    content = dev.options.content
    one_page_made(dev)
    retitle(dev, "Talent in Beta", "Talent services in Beta")  # back
    edit(content / "themes/trade.yaml", "International trade", "Global trade")
    ok = dev.build().ok
    assert ok
    assert PAGE in pending(dev)  # made from the build before, so made again
    finish(dev)
    assert_clean(dev, tmp_path)


def test_a_broken_edit_keeps_the_last_good_build_and_its_pending_files(dev, tmp_path):
    content, out = dev.options.content, dev.options.out
    path = content / "initiatives/beta-talent.yaml"
    edit(path, "Talent services in Beta", "Talent in Beta")
    dev.build()
    good = path.read_text(encoding="utf-8")
    path.write_text(good + "unknown: 1\n", encoding="utf-8")
    failed = dev.build()
    codes = {d.code for d in failed.diagnostics.errors}
    ok = failed.ok
    assert not ok and "unknown-field" in codes
    dev.make(PAGE)  # from the last good build
    assert "<h1>Talent in Beta" in (out / PAGE).read_text(encoding="utf-8")
    finish(dev)
    path.write_text(good, encoding="utf-8")
    assert_clean(dev, tmp_path)


@pytest.mark.parametrize("change", ["template", "catalogue", "static file"])
def test_a_change_to_what_pages_are_made_with_is_a_full_build_starting_from_the_folder_as_it_is(dev, tmp_path, change):
    o = dev.options
    one_page_made(dev)
    {
        "template": lambda: edit(o.templates / "initiative.html", "<article>", '<article class="x">'),
        "catalogue": lambda: edit(o.templates / "locales/en.yaml", "nav.home: Home", "nav.home: Start"),
        "static file": lambda: edit(o.static / "style.css", "--text: #1b1f24;", "--text: #111111;"),
    }[change]()
    result = counts(dev.build())
    assert result["ok"] and result["rendered"] > 0 and result["pending"] == 0 and not pending(dev)
    assert_clean(dev, tmp_path)


def test_a_settings_edit_is_a_content_edit_with_every_page_made_when_asked_for(dev, tmp_path):
    o = dev.options
    one_page_made(dev)
    edit(o.content / "site.yaml", "Fixture Zones", "Fixture Areas")
    result = counts(dev.build())
    assert result["ok"] and result["rendered"] == 0
    dev.make("index.html")
    assert "Fixture Areas" in (o.out / "index.html").read_text(encoding="utf-8")
    finish(dev)
    english = {p.relative_to(o.out).as_posix() for p in o.out.rglob("*.html") if p.parts[len(o.out.parts)] != "zh"}
    assert english <= set(dev.made)  # every English page shows the English title
    assert "zh/index.html" not in dev.made  # the Chinese pages show the Chinese title
    assert_clean(dev, tmp_path)


def test_a_template_error_on_a_pending_page_is_reported_and_the_next_build_is_full(dev, tmp_path, monkeypatch):
    retitle(dev)
    dev.build()
    rendered = render.Renderer.render

    def failing(self, page):
        if page.path == PAGE:
            raise jinja2.UndefinedError("'x' is undefined")
        return rendered(self, page)

    monkeypatch.setattr(render.Renderer, "render", failing)
    dev.make(PAGE)
    assert dev.failed is not None and [d.code for d in dev.failed.items] == ["template"]
    assert "'x' is undefined" in dev.failed.items[0].message
    more = dev.step(1)
    assert PAGE in pending(dev) and not more  # nothing more is made from that build
    monkeypatch.undo()
    again = counts(dev.build())
    assert again["ok"] and again["rendered"] > 0 and not pending(dev) and dev.failed is None
    assert_clean(dev, tmp_path)


def test_a_folder_left_with_files_pending_is_repaired_by_the_next_build(dev, tmp_path):
    """As when the dev server stops before every file is made: the saved build state is the last
    whole build's, so the page made since is not as it knows it, and the others read old values."""
    o = dev.options
    one_page_made(dev)
    retitle(dev, "Talent in Beta", "Talent services in Beta")
    again = counts(build(Options(content=o.content, out=o.out, templates=o.templates, static=o.static, jobs=1)))
    assert again["ok"] and 0 < again["rendered"] < again["pages"]
    assert_clean(dev, tmp_path)


def old_files(monkeypatch) -> None:
    """As if every file had been written long ago: every signature is trusted."""
    monkeypatch.setattr(state, "FINE_RACY_NS", -(10**18))
    monkeypatch.setattr(state, "COARSE_RACY_NS", -(10**18))


def _reads(monkeypatch, content: Path) -> list[str]:
    """The YAML files of `content` read from now on."""
    reads, real = [], Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.is_relative_to(content) and path.suffix == ".yaml":
            reads.append(path.relative_to(content).as_posix())
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


def test_files_unchanged_since_the_last_build_are_not_read_again(dev, monkeypatch):
    old_files(monkeypatch)
    dev.build()  # now they are known
    retitle(dev)
    reads = _reads(monkeypatch, dev.options.content)
    ok = dev.build().ok
    assert ok and reads == ["initiatives/beta-talent.yaml"]
    dev.make(PAGE)
    assert "<h1>Talent in Beta" in (dev.options.out / PAGE).read_text(encoding="utf-8")


def test_files_changed_too_recently_to_trust_their_times_are_read_on_every_build(dev, monkeypatch):
    """The fixture was just copied: a write in the same clock tick could leave its times as they were."""
    monkeypatch.setattr(state, "FINE_RACY_NS", 10**12)  # "just": within the last 1,000 s
    for path in dev.options.content.rglob("*.yaml"):  # written now (the fixture's first build may
        os.utime(path)  # have come long enough after the copy)
    dev.build()
    reads = _reads(monkeypatch, dev.options.content)
    dev.build()
    assert {"initiatives/beta-talent.yaml", "site.yaml"} <= set(reads)


def test_a_failed_full_build_makes_nothing_more_of_the_build_before(dev, tmp_path):
    o = dev.options
    one_page_made(dev)
    edit(o.templates / "initiative.html", "<article>", "<article>{% if %}")
    failed = dev.build()
    codes = [d.code for d in failed.diagnostics.errors]
    assert codes == ["template"] and not pending(dev)
    assert "<h1>Talent in Beta" in (o.out / PAGE).read_text(encoding="utf-8")  # as it was
    edit(o.templates / "initiative.html", "<article>{% if %}", "<article>")
    ok = dev.build().ok
    assert ok
    finish(dev)
    assert_clean(dev, tmp_path)


def test_a_build_from_outside_into_the_folder_is_repaired_by_the_next_build(dev, tmp_path):
    """As when `build` is run into the folder the server serves, here with other options: the
    files it wrote are not as the server's build state knows them."""
    o = dev.options
    one_page_made(dev)
    outside = build(
        Options(
            content=o.content,
            out=o.out,
            templates=o.templates,
            static=o.static,
            jobs=1,
            base_url="https://example.org/sub/",
        )
    )
    ok = outside.ok
    assert ok
    ok = dev.build().ok
    assert ok
    finish(dev)
    assert len(dev.made) > 0
    assert_clean(dev, tmp_path)


def test_files_deleted_since_the_last_build_are_forgotten(dev, monkeypatch):
    old_files(monkeypatch)
    content = dev.options.content
    dev.build()
    files = len(list(content.rglob("*.yaml")))
    assert len(dev.state.items) == files
    (content / "initiatives/shared-trade.yaml").unlink()
    ok = dev.build().ok
    assert ok and len(dev.state.items) == files - 1


def test_warnings_of_files_not_read_again_are_reported_on_every_build(dev, monkeypatch):
    old_files(monkeypatch)
    edit(dev.options.content / "initiatives/beta-talent.yaml", ', zh: "乙区帮助国际人才落户。[@gov-2025-10-16]"', "")
    first = [d.text() for d in dev.build().diagnostics.items]
    assert [d for d in first if "missing-translation" in d and "beta-talent" in d]
    edit(dev.options.content / "site.yaml", "Fixture Zones", "Fixture Areas")  # beta-talent.yaml is known now
    again = [d.text() for d in dev.build().diagnostics.items]
    assert again == first


def test_a_text_read_before_is_checked_against_each_builds_model(dev, monkeypatch):
    """alpha-data-products.yaml is not read again, and what its body gave is kept with it
    (resolve.py); its links still name what this build has."""
    old_files(monkeypatch)
    dev.build()
    (dev.options.content / "initiatives/alpha-trade-platform.yaml").unlink()
    [found] = [
        d
        for d in dev.build().diagnostics.items
        if d.code == "markdown-link" and d.file.endswith("alpha-data-products.yaml") and d.field == "body.en"
    ]
    assert "initiative:alpha-trade-platform" in found.message and found.line == 13


def test_a_new_base_url_in_the_settings_makes_every_page_again(dev, tmp_path):
    """No page records the URL policy it was made with (every href depends on it)."""
    o = dev.options
    one_page_made(dev)
    text = (o.content / "site.yaml").read_text(encoding="utf-8")
    (o.content / "site.yaml").write_text(text + "base_url: https://example.org/zones/\n", encoding="utf-8")
    ok = dev.build().ok
    assert ok and not pending(dev)
    assert 'href="https://example.org/zones/initiatives/beta-talent/"' in (o.out / PAGE).read_text(encoding="utf-8")
    assert_clean(dev, tmp_path)


def test_an_item_made_before_says_again_what_its_making_found(dev, monkeypatch):
    """beta-talent.yaml is not read again, and its object is the last build's (resolve.py): what
    converting its body found is still reported, at its place, on every build."""
    old_files(monkeypatch)
    edit(dev.options.content / "initiatives/beta-talent.yaml", 'settle. [@gov-2025-10-16]"', 'settle."')
    first = [d.text() for d in dev.build().diagnostics.items]
    assert [d for d in first if "uncited-paragraph" in d and "beta-talent.yaml:7" in d]
    edit(dev.options.content / "initiatives/shared-trade.yaml", "title: {en: ", "title: {en: New ")
    again = [d.text() for d in dev.build().diagnostics.items]
    assert again == first


def test_files_pending_after_a_failed_build_are_made_from_the_last_good_model(dev, tmp_path):
    """The failed build's model holds objects of the good one (resolve.py) and links them to its
    own items (beta-talent left out, shared-trade moved out of district beta): the good one's
    pending pages must still list both where the good model has them."""
    content = dev.options.content
    retitle(dev)
    ok = dev.build().ok
    assert ok and "districts/beta/index.html" in pending(dev)
    moved, broken = content / "initiatives/shared-trade.yaml", content / "initiatives/beta-talent.yaml"
    kept, good = moved.read_text(encoding="utf-8"), broken.read_text(encoding="utf-8")
    edit(moved, "districts: [alpha, beta]", "districts: [alpha]")
    broken.write_text(good + "unknown: 1\n", encoding="utf-8")
    ok = dev.build().ok
    assert not ok
    finish(dev)
    moved.write_text(kept, encoding="utf-8")
    broken.write_text(good, encoding="utf-8")
    assert_clean(dev, tmp_path)


def test_a_vocabulary_edit_reaches_the_items_made_before(dev, tmp_path, monkeypatch):
    """zones/beta-area.yaml is not read again and its object is the last build's: a label of its
    kind changed in site.yaml shows on its page, and the kind removed is reported at its line."""
    old_files(monkeypatch)
    settings = dev.options.content / "site.yaml"
    edit(settings, "key-area: {en: Key area,", "key-area: {en: Key district,")
    ok = dev.build().ok
    assert ok
    dev.make("zones/beta-area/index.html")
    assert "Key district" in (dev.options.out / "zones/beta-area/index.html").read_text(encoding="utf-8")
    finish(dev)
    assert_clean(dev, tmp_path)
    edit(settings, "  key-area: {en: Key district, zh: 重点区域}\n", "")
    [found] = [d for d in dev.build().diagnostics.errors if d.file.endswith("beta-area.yaml")]
    assert found.code == "bad-value" and found.line == 2 and "key-area" in found.message
