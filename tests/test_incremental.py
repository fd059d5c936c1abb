"""A rebuild into a previous build's folder equals a clean build, byte for byte, whatever changed."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import random
import shutil
from functools import partial
from pathlib import Path

import jinja2
import pytest

from microsite import markup, publish
from microsite.devbuild import DevBuild
from microsite.pipeline import Options, build
from microsite.synthetic import write_content
from microsite.write import read_marker

from conftest import ROOT, copy_fixture, rewrite


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".microsite-build"
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


CHANGES = {
    "initiative body": lambda c, t, s: edit(c / "initiatives/beta-talent.yaml", "settle.", "settle quickly."),
    "initiative title": lambda c, t, s: edit(
        c / "initiatives/beta-talent.yaml", "Talent services in Beta", "Talent in Beta"
    ),
    "initiative body in Chinese": lambda c, t, s: edit(c / "initiatives/beta-talent.yaml", "人才落户。", "人才安家。"),
    "translation removed": lambda c, t, s: edit(
        c / "initiatives/beta-talent.yaml", ', zh: "乙区帮助国际人才落户。[@gov-2025-10-16]"', ""
    ),
    "district name in Chinese": lambda c, t, s: edit(c / "districts/beta.yaml", "zh: 乙区}", "zh: 乙区县}"),
    "theme name": lambda c, t, s: edit(c / "themes/trade.yaml", "International trade", "Global trade"),
    # the initiatives each theme lists change, and with them the related initiatives
    "initiative themes": lambda c, t, s: edit(
        c / "initiatives/beta-talent.yaml", "themes: [talent]", "themes: [trade]"
    ),
    "district name": lambda c, t, s: edit(c / "districts/beta.yaml", "en: Beta", "en: Beta District"),
    "source title": lambda c, t, s: edit(c / "sources/news-2024-01-02.yaml", "Alpha announces", "Alpha unveils"),
    "new initiative": lambda c, t, s: shutil.copy(c / "initiatives/beta-talent.yaml", c / "initiatives/beta-two.yaml"),
    "deleted initiative": lambda c, t, s: (c / "initiatives/shared-trade.yaml").unlink(),
    "settings": lambda c, t, s: edit(c / "site.yaml", "Fixture Zones", "Fixture Areas"),
    "template": lambda c, t, s: edit(t / "initiative.html", "<article>", '<article class="x">'),
    "catalogue": lambda c, t, s: edit(t / "locales/en.yaml", "nav.home: Home", "nav.home: Start"),
    "static file": lambda c, t, s: edit(s / "style.css", "--text: #1b1f24;", "--text: #111111;"),
    "media file": lambda c, t, s: edit(c / "media/figures.csv", "7000+", "7,000+"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("offline, dev", [(False, False), (True, False), (False, True)])
def test_incremental_build_equals_clean_build(change, offline, dev, tmp_path):
    """dev: as the dev server builds (devbuild.py: in place, or files made later)."""
    content = copy_fixture("site", tmp_path)
    templates = tmp_path / "templates"
    static = tmp_path / "static"
    shutil.copytree(ROOT / "templates", templates)
    shutil.copytree(ROOT / "static", static)
    server = (
        DevBuild(
            Options(
                content=content,
                out=tmp_path / "incremental",
                templates=templates,
                static=static,
                jobs=1,
                cache=tmp_path / "cache",
            )
        )
        if dev
        else None
    )

    def run(out: Path, cache: Path | None):
        if server is not None and cache is not None:
            result = server.build()
            while server.step(1):
                pass
            assert not server.pending and server.failed is None
        else:  # as the command line builds (cache) or from nothing
            result = build(
                Options(
                    content=content,
                    out=out,
                    templates=templates,
                    static=static,
                    offline=offline,
                    jobs=1,
                    cache=cache,
                    skip_unchanged=cache is not None,
                )
            )
        assert result.ok, [d.text() for d in result.diagnostics.items]
        return result

    run(tmp_path / "incremental", tmp_path / "cache")
    CHANGES[change](content, templates, static)
    incremental = run(tmp_path / "incremental", tmp_path / "cache")  # previous pages and cached items reused
    clean = run(tmp_path / "clean", None)
    assert tree(tmp_path / "incremental") == tree(tmp_path / "clean")
    assert read_marker(tmp_path / "incremental") == read_marker(tmp_path / "clean")
    assert [d.text() for d in incremental.diagnostics.items] == [d.text() for d in clean.diagnostics.items]


def test_nothing_changed_renders_nothing(tmp_path):
    content = copy_fixture("site", tmp_path)
    build(Options(content=content, out=tmp_path / "out"))
    again = build(Options(content=content, out=tmp_path / "out"))
    assert again.output.rendered == 0 and again.stats.written == 0


def test_one_changed_initiative_renders_only_its_neighbourhood(tmp_path):
    content = tmp_path / "content"
    write_content(content, initiatives=300, seed=3)
    build(Options(content=content, out=tmp_path / "out", jobs=1))
    edit(content / "initiatives/initiative-000007.yaml", "## Summary", "## Overview")
    result = build(Options(content=content, out=tmp_path / "out", jobs=1))
    assert 0 < result.output.rendered < result.output.pages // 10


@pytest.mark.parametrize("dev", [False, True])
def test_an_edit_makes_only_its_own_part_of_the_feeds_and_exports(dev, tmp_path, monkeypatch):
    """The feeds and data exports are made of a part per item (render.Part): after a title is
    edited, each makes that initiative's part again and copies every other from the file as the
    folder holds it, into the bytes a clean build writes."""
    content, out = tmp_path / "content", tmp_path / "out"
    write_content(content, initiatives=40, seed=3)
    options = Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")
    server = DevBuild(options) if dev else None

    def run() -> None:
        assert (server.build() if server else build(options)).ok
        while server and server.step(1):
            pass

    run()
    made: list[tuple[str, str]] = []
    for name in ("_record_json", "_csv_initiative", "_entry"):
        real = getattr(publish, name)
        monkeypatch.setattr(publish, name, partial(_counted, real, name, made))
    before = json.loads((out / "data/site.json").read_bytes())
    edited = content / "initiatives/initiative-000007.yaml"
    edit(edited, "title:\n  en: ", "title:\n  en: Edited ")
    run()
    # the title moves the initiative in its groups' lists, and so changes others' related ones
    after = json.loads((out / "data/site.json").read_bytes())
    was = {r["id"]: r for r in before["initiatives"]}
    changed = [f"initiative:{r['id']}" for r in after["initiatives"] if r != was[r["id"]]]
    assert "initiative:initiative-000007" in changed and len(changed) > 1
    assert "\ndate: " in edited.read_text(encoding="utf-8")  # so it has an entry in each feed
    assert sorted(made) == sorted(
        [("_record_json", item) for item in [*changed, "initiative:initiative-000007"]]  # site.json, initiatives.json
        + [("_csv_initiative", "initiative:initiative-000007")]
        + [("_entry", "initiative:initiative-000007")]  # English: the Chinese feed's read its Chinese title
    )
    build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None))
    assert tree(out) == tree(tmp_path / "clean")


def _counted(real, name: str, made: list, *args):
    item = args[-1]
    made.append((name, f"{item.kind}:{item.id}"))
    return real(*args)


def test_a_feed_or_export_the_folder_holds_otherwise_is_made_whole(tmp_path):
    """A file of parts is copied from only as the last build wrote it: one changed since by
    anything else is made whole again."""
    content, out = tmp_path / "content", tmp_path / "out"
    write_content(content, initiatives=12, seed=3)
    options = Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    for path in ("data/site.json", "data/initiatives.csv", "feed.xml"):
        data = (out / path).read_bytes()
        (out / path).write_bytes(data[len(data) // 2 :] + data[: len(data) // 2])  # the same size, parts moved
    edit(content / "initiatives/initiative-000003.yaml", "title:\n  en: ", "title:\n  en: Edited ")
    assert build(options).ok
    assert build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None)).ok
    assert tree(out) == tree(tmp_path / "clean")


def test_an_edit_in_one_language_renders_no_page_of_the_other(tmp_path):
    content = copy_fixture("site", tmp_path)
    build(Options(content=content, out=tmp_path / "out", jobs=1))
    edit(content / "initiatives/beta-talent.yaml", "settle.", "settle quickly.")
    result = build(Options(content=content, out=tmp_path / "out", jobs=1))
    rendered = [path for path, (_, reads) in result.output.made.items() if path.endswith(".html") and reads is not None]
    assert len(rendered) == result.output.rendered > 0
    assert not [path for path in rendered if path.startswith("zh/")]


def test_an_update_in_place_cut_short_is_repaired_by_the_next_build(tmp_path, monkeypatch):
    """As when the dev server is killed halfway through writing: the files it wrote are not as
    the saved build state knows them, and those it did not write read values that changed."""
    content = copy_fixture("site", tmp_path)
    out = tmp_path / "out"
    build(Options(content=content, out=out, jobs=1))
    edit(content / "districts/beta.yaml", "en: Beta", "en: Beta District")
    replace, calls = os.replace, []

    def cut_short(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt  # two files replaced, then stopped
        replace(src, dst)

    monkeypatch.setattr(os, "replace", cut_short)
    with pytest.raises(KeyboardInterrupt):
        DevBuild(Options(content=content, out=out, jobs=1)).build()
    monkeypatch.undo()
    again = DevBuild(Options(content=content, out=out, jobs=1)).build()  # as a new server
    ok, rendered, pages = again.ok, again.output.rendered, again.output.pages  # the model is too big to show
    assert ok and 0 < rendered < pages
    build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None))
    assert tree(out) == tree(tmp_path / "clean")
    assert not [p for p in out.rglob("*.tmp")]


def test_parallel_rendering_and_conversion_give_the_same_bytes(tmp_path):
    content = tmp_path / "content"
    write_content(content, initiatives=300, seed=4)  # enough pages and bodies for the process pools
    assert markup.PARALLEL_FROM <= 300 * 2  # each body in two languages
    one = build(Options(content=content, out=tmp_path / "one", jobs=1, cache=None))
    two = build(Options(content=content, out=tmp_path / "two", jobs=2, cache=None))
    assert two.ok and two.output.rendered > 256
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert one.diagnostics.items == two.diagnostics.items


def test_what_parallel_workers_read_is_recorded_as_one_process_would(tmp_path):
    """The build state knows what every page read, whichever render worker rendered it: an edit
    makes again the pages that show what it changed, and only a few of them."""
    content = tmp_path / "content"
    write_content(content, initiatives=300, seed=4)
    options = {"content": content, "out": tmp_path / "out", "jobs": 2, "cache": tmp_path / "cache"}
    assert build(Options(**options)).output.rendered > 256
    for n in (7, 123, 250):  # titles on pages that different workers rendered
        edit(content / f"initiatives/initiative-{n:06d}.yaml", "title:\n  en: ", "title:\n  en: Edited ")
    again = build(Options(**options))
    clean = build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None))
    assert again.ok and clean.ok and 0 < again.output.rendered < again.output.pages // 4
    assert tree(tmp_path / "out") == tree(tmp_path / "clean")


def test_after_a_parallel_build_the_next_build_in_the_process_compiles_no_template(tmp_path, monkeypatch):
    """The dev server's first edit after its start must not pay for compiling: the workers of
    the first build compiled in their own processes, so the parent compiles before forking."""
    content, templates = tmp_path / "content", tmp_path / "templates"
    write_content(content, initiatives=150, seed=4)
    shutil.copytree(ROOT / "templates", templates)  # a fresh folder: a fresh Jinja environment
    server = DevBuild(Options(content=content, out=tmp_path / "out", templates=templates, jobs=2))
    first = server.build().output.rendered
    assert first > 256  # rendered by the process pool
    compiled = []
    real = jinja2.Environment._compile
    monkeypatch.setattr(
        jinja2.Environment, "_compile", lambda env, source, name: compiled.append(name) or real(env, source, name)
    )
    edit(min((content / "initiatives").glob("*.yaml")), "## Summary", "## Summary, edited")
    result = server.build()
    ok = result.ok  # the model is too big to show
    assert ok, [d.text() for d in result.diagnostics.errors]
    while server.step(1):
        pass
    assert 0 < len(server.made) < 256 and compiled == []


def test_cached_markdown_still_reports_a_link_to_a_deleted_item(cli, tmp_path):
    """The cache keeps a body's HTML, but its internal links are checked against each build."""
    content = copy_fixture("site", tmp_path)
    cache = tmp_path / "cache"
    assert build(Options(content=content, out=tmp_path / "out", cache=cache)).ok
    (content / "initiatives/alpha-trade-platform.yaml").unlink()
    result = build(Options(content=content, out=tmp_path / "out", cache=cache))
    [found] = [
        d
        for d in result.diagnostics.items
        if d.code == "markdown-link" and d.file.endswith("alpha-data-products.yaml") and d.field == "body.en"
    ]
    assert "initiative:alpha-trade-platform" in found.message and found.line == 13  # body.en


@pytest.mark.parametrize("part", ["state", "deps"])
def test_a_damaged_build_state_is_ignored(part, tmp_path):
    """The state file, or the file of its reads and tables beside it (state.py)."""
    content = copy_fixture("site", tmp_path)
    cache = tmp_path / "cache"
    build(Options(content=content, out=tmp_path / "one", cache=cache))
    [stored] = [p for p in cache.glob("state-*.pickle") if p.name.endswith(".deps.pickle") == (part == "deps")]
    stored.write_bytes(b"not a pickle")
    edit(content / "districts/beta.yaml", "en: Beta", "en: Beta District")
    again = build(Options(content=content, out=tmp_path / "one", cache=cache))
    assert again.ok and again.output.rendered == again.output.pages
    build(Options(content=content, out=tmp_path / "two", cache=None))
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


@pytest.mark.parametrize("dev", [False, True])
def test_after_the_site_shrinks_the_build_state_drops_what_no_page_reads(dev, tmp_path):
    """Most of the values pages read are gone: the state forgets them (state.py, _compact),
    renumbering what it keeps, and the next edit still builds what a clean build does."""
    content, out, cache = tmp_path / "content", tmp_path / "out", tmp_path / "cache"
    options = Options(content=content, out=out, jobs=1, cache=cache)
    server = DevBuild(options) if dev else None

    def run():
        result = server.build() if server else build(options)
        ok = result.ok  # the model is too big to show
        assert ok, [d.text() for d in result.diagnostics.errors]
        while server and server.step(1):
            pass

    def saved() -> dict:
        """The reads file's parts (state.py: one pickle each, then None)."""
        [deps] = cache.glob("state-*.deps.pickle")
        with deps.open("rb") as file:
            return dict(iter(partial(pickle.load, file), None))

    write_content(content, initiatives=150, seed=5)
    run()
    before = saved()
    write_content(content, initiatives=6, seed=5)
    run()
    after = saved()  # every key kept is one a page reads, with the digest of its value
    assert len(after["keys"]) == len(after["values"]) < len(before["keys"]) / 3
    edit(min((content / "initiatives").glob("*.yaml")), "## Summary", "## Summary, edited")
    run()
    build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None))
    assert tree(out) == tree(tmp_path / "clean")


def test_a_run_of_random_edits_rebuilds_as_clean_builds_each_time(tmp_path):
    """Edits of the kinds an editor makes, drawn at random with a fixed seed and built one after
    another into the same folder: after each, the folder equals a clean build, byte for byte.
    The list of changes above tries each kind once from the fixture; here they follow each other,
    so each rebuild starts from a state that earlier rebuilds wrote."""
    content = tmp_path / "content"
    write_content(content, initiatives=30, seed=5)
    rng = random.Random(5)

    def item(folder: str) -> Path:
        return rng.choice(sorted((content / folder).glob("*.yaml")))

    def ids(folder: str, most: int) -> list[str]:
        return sorted(rng.sample(sorted(p.stem for p in (content / folder).glob("*.yaml")), rng.randint(1, most)))

    moved: list[Path] = []

    def move_body() -> None:  # the same words in the other language, for one item again and again
        path = next((p for p in moved if p.exists()), None) or item("initiatives")
        moved.append(path)
        rewrite(path, lambda d: d.update(body={"zh" if "en" in d["body"] else "en": next(iter(d["body"].values()))}))

    edits = {
        "title": lambda: rewrite(item("initiatives"), lambda d: d["title"].update(en=d["title"]["en"] + " revised")),
        "body moved to the other language": move_body,
        "zones": lambda: rewrite(item("initiatives"), lambda d: d.update(zones=ids("zones", 2))),
        "themes": lambda: rewrite(item("initiatives"), lambda d: d.update(themes=ids("themes", 3))),
        "date": lambda: rewrite(item("initiatives"), lambda d: d.update(date=dt.date(2025, rng.randint(1, 9), 15))),
        "district name": lambda: rewrite(item("districts"), lambda d: d["name"].update(zh=d["name"]["zh"] + "新")),
        "theme name": lambda: rewrite(item("themes"), lambda d: d["name"].update(en=d["name"]["en"] + " and more")),
        "deleted": lambda: item("initiatives").unlink(),
        "added": lambda: shutil.copy(item("initiatives"), content / f"initiatives/new-{rng.randrange(10**6)}.yaml"),
    }
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    kinds = sorted(edits) * 2  # each twice, in a random order
    rng.shuffle(kinds)
    for kind in kinds:
        edits[kind]()
        assert build(options).ok, kind
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        assert build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None)).ok
        assert tree(tmp_path / "out") == tree(tmp_path / "clean"), kind
