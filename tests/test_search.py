"""The search index of the real site: what it holds, how it tokenises, and that it stays lean."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from microsite import search
from microsite.devbuild import DevBuild
from microsite.pipeline import Options, build
from microsite.state import BuildState
from microsite.synthetic import write_content

from conftest import rewrite

# The index of one language must stay under this share of the HTML of the whole site.
BUDGET = 0.10


def script_data(path):
    """The data a part of the index hands the page (window.__searchIndex=…; or __searchPart(…);)."""
    text = path.read_text("utf-8")
    assert text.endswith(";\n")
    if text.startswith("window.__searchIndex="):
        return json.loads(text[len("window.__searchIndex=") : -2])
    name = path.stem
    start = f'__searchPart("{name}",'
    assert text.startswith(start) and text.endswith(");\n"), path
    return json.loads(text[len(start) : -3])


def load(out, lang: str) -> dict:
    return load_folder(out / ("search" if lang == "en" else f"{lang}/search"))


def load_folder(folder) -> dict:
    """One language's index as a whole: its entry, with every shard's terms and every doc."""
    index = script_data(folder / "index.js")
    index["terms"] = {}
    for first, name in index["shards"]:
        terms = script_data(folder / f"{name}.js")
        assert all(term >= first for term in terms)
        index["terms"].update((term, [int(p) for p in text.split(",")]) for term, text in terms.items())
    index["docs"] = [doc for name in index["chunks"] for doc in script_data(folder / f"{name}.js")]
    return index


def index_files(out) -> dict[str, bytes]:
    """Every search file of a built site, by its path in the site."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.glob("**/search/*.js")}


def rebuild_from_the_last_postings(options: Options, monkeypatch) -> None:
    """Build again, failing if any language's postings are made from every doc rather than from
    the last build's; then the index files must equal a clean build's."""

    def unused(*args):
        raise AssertionError("the postings were made from every doc")

    with monkeypatch.context() as patch:
        patch.setattr(search, "_with_names", unused)
        assert build(options).ok
    clean = options.out.parent / "clean"
    assert build(Options(content=options.content, out=clean, jobs=1, cache=None)).ok
    assert index_files(options.out) == index_files(clean)


def docs_for(index: dict, token: str) -> dict[str, int]:
    """Path -> field bits of the docs holding `token` (postings are gaps * 8 + bits)."""
    found, doc = {}, 0
    for posting in index["terms"].get(token, []):
        doc += posting // 8
        found[index["docs"][doc][4]] = posting % 8
    return found


def test_names_find_their_pages_in_both_languages(real_site):
    en, zh = load(real_site, "en"), load(real_site, "zh")
    assert docs_for(en, "yangpu")["districts/yangpu/"] & 4  # in the title
    assert docs_for(en, "杨浦")["districts/yangpu/"] & 6 == 2  # the other language's name
    assert docs_for(zh, "杨浦")["zh/districts/yangpu/"] & 4
    assert docs_for(zh, "浦区")["zh/districts/yangpu/"] & 4  # overlapping bigrams
    assert docs_for(zh, "区")["zh/districts/yangpu/"] & 4  # and each character: a run's last too
    assert docs_for(zh, "黄浦")["zh/districts/huangpu/"] & 4
    assert docs_for(zh, "yangpu")["zh/districts/yangpu/"] & 6 == 2


def test_docs_carry_kind_title_districts_and_a_policy_path(real_site, real_offline):
    en = load(real_site, "en")
    zone = next(d for d in en["docs"] if d[4] == "zones/yangpu-innovation-zone/")
    assert zone[:4] == ["zone", "Yangpu Linked Innovation Zone", "杨浦联动创新区", ["Yangpu"]]
    offline = {d[4] for d in load(real_offline, "zh")["docs"]}
    assert "zh/districts/yangpu/index.html" in offline
    assert all((real_offline / path).is_file() for path in offline)
    assert {d[0] for d in en["docs"]} == {"district", "zone", "theme", "batch", "initiative", "source"}


def test_initiative_bodies_are_indexed_without_their_markup(real_site):
    en = load(real_site, "en")
    assert docs_for(en, "meituan") == {"initiatives/yangpu-online-new-economy/": 1}
    assert "p" not in en["terms"]  # every body is <p>…</p>; tags are not words


def test_the_index_stays_within_its_budget(real_site):
    html = sum(p.stat().st_size for p in real_site.rglob("*.html"))
    for lang in ("en", "zh"):
        folder = real_site / ("search" if lang == "en" else f"{lang}/search")
        size = sum(p.stat().st_size for p in folder.glob("*.js"))
        assert size < BUDGET * html, (lang, size, html)


def test_a_title_that_moves_its_item_rewrites_only_the_parts_it_touches(tmp_path):
    """Docs are numbered by id, not by title: an edit moving an initiative to the head of the
    title order changes its chunk and the shards of the words it changes, in each language."""
    content, out = tmp_path / "content", tmp_path / "out"
    write_content(content, initiatives=400, seed=2)
    options = Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")
    assert build(options).ok

    before = index_files(out)
    # first in the title order: it was in the middle
    rewrite(
        content / "initiatives/initiative-000200.yaml", lambda d: d["title"].update(en=f"Aardvark {d['title']['en']}")
    )
    assert build(options).ok
    after = index_files(out)
    for folder in ("search", "zh/search"):
        new = sorted(p.rpartition("/")[2][:2] for p in after.keys() - before.keys() if p.startswith(f"{folder}/"))
        assert new == ["d-", "t-"], (folder, new)  # one chunk, one shard ("aardvark"'s)
        assert after[f"{folder}/index.js"] != before[f"{folder}/index.js"]
        [shard] = [script_data(out / p) for p in after.keys() - before.keys() if p.startswith(f"{folder}/t-")]
        assert "aardvark" in shard


def test_an_edit_encodes_again_only_the_postings_it_changed(tmp_path, monkeypatch):
    """Each term's postings as text are kept in the build state by their bytes: a title that
    gains a word encodes that word's postings (once for each form they take: the title's word,
    or the other name's where Chinese shows another title), and no other term's."""
    content = tmp_path / "content"
    write_content(content, initiatives=400, seed=2)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    encoded: list[str] = []
    real = BuildState.put

    def put(self, table, *args):
        encoded.append(table)
        real(self, table, *args)

    monkeypatch.setattr(BuildState, "put", put)
    assert build(options).ok
    first = encoded.count("postings")
    assert first > 1000
    rewrite(
        content / "initiatives/initiative-000200.yaml", lambda d: d["title"].update(en=f"Aardvark {d['title']['en']}")
    )
    encoded.clear()
    assert build(options).ok
    assert 1 <= encoded.count("postings") <= 2


def test_an_edit_updates_the_postings_of_the_last_build_to_a_clean_builds(tmp_path, monkeypatch):
    """The postings are kept between builds: a rebuild takes the edited docs' out and puts them in
    again (making no language's from every doc), and its index files equal a clean build's, with
    words gained, lost, and gone from the whole site."""
    content, out = tmp_path / "content", tmp_path / "out"
    write_content(content, initiatives=400, seed=2)

    def retitle(number: str, lang: str, title: str) -> None:
        rewrite(
            content / f"initiatives/initiative-{number}.yaml",
            lambda d: d["title"].update({lang: title.format(d["title"][lang])}),
        )

    retitle("000203", "en", "Quokka {}")
    options = Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    assert docs_for(load(out, "en"), "quokka")
    retitle("000200", "en", "Aardvark {}")
    retitle("000201", "en", "Zyzzyva pilot")
    retitle("000202", "zh", "{}浦江")
    retitle("000203", "en", "Pilot")

    rebuild_from_the_last_postings(options, monkeypatch)
    english, chinese = load(out, "en"), load(out, "zh")
    assert docs_for(english, "aardvark") and docs_for(english, "zyzzyva") and docs_for(chinese, "浦江")
    assert not docs_for(english, "quokka")


def test_a_text_moved_to_another_language_rebuilds_the_index_as_a_clean_build(tmp_path):
    """An item's tokens and docs are kept between builds by what they are made from: a text that
    keeps its words but moves to another language changes which language its snippet is shown
    in, so the rebuild's index files equal a clean build's; and so do they once a neighbour's
    edit makes the moved item's chunk of docs again from its kept tokens (the chunk kept whole
    shows the same words either way)."""
    content = tmp_path / "content"
    write_content(content, initiatives=40, seed=3)
    edited = content / "initiatives/initiative-000007.yaml"
    words = yaml.safe_load(edited.read_text(encoding="utf-8"))["body"]["en"]
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")

    def rebuilt_and_clean() -> tuple[dict, dict]:
        assert build(options).ok
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        assert build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None)).ok
        return index_files(tmp_path / "out"), index_files(tmp_path / "clean")

    rewrite(edited, lambda d: d.update(body={"en": words}))
    assert build(options).ok
    rewrite(edited, lambda d: d.update(body={"zh": words}))
    rebuilt, clean = rebuilt_and_clean()
    assert rebuilt == clean
    for neighbour in ("000006", "000008"):  # one of them shares its chunk (CHUNK docs in id order)
        rewrite(content / f"initiatives/initiative-{neighbour}.yaml", lambda d: d["title"].update(en="Neighbour"))
    rebuilt, clean = rebuilt_and_clean()
    assert rebuilt == clean


def test_an_edit_makes_again_only_the_chunk_of_docs_holding_its_item(tmp_path, monkeypatch):
    """The docs' chunks are kept between builds: after one title edit, the rebuild makes the docs
    of the edited item's chunk again, in each language, and no other; its files equal a clean
    build's."""
    content = tmp_path / "content"
    write_content(content, initiatives=120, seed=4)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    rewrite(
        content / "initiatives/initiative-000050.yaml", lambda d: d["title"].update(en=d["title"]["en"] + " revised")
    )
    made = []
    doc = search._doc
    monkeypatch.setattr(search, "_doc", lambda item, *args: made.append(item.id) or doc(item, *args))
    assert build(options).ok
    monkeypatch.undo()
    languages = 2
    assert "initiative-000050" in made and len(made) == languages * search.CHUNK
    assert build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None)).ok
    assert index_files(tmp_path / "out") == index_files(tmp_path / "clean")


@pytest.mark.parametrize("dev", [False, True])
def test_an_edit_reads_again_only_the_items_whose_docs_it_changed(dev, tmp_path, monkeypatch):
    """Each doc is a part of the index with its own reads (render.Parted): after one title edit,
    the rebuild reads that initiative's texts again, and no other item's (its chunk's docs are
    made again from their tokens as kept); after a district is renamed, it reads its initiatives and zones again
    (their docs show its name), and no other item. The files equal a clean build's."""
    content = tmp_path / "content"
    write_content(content, initiatives=60, seed=5)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    server = DevBuild(options) if dev else None

    def run() -> list[str]:
        read: list[str] = []
        with monkeypatch.context() as patch:
            patch.setattr(search, "_texts", lambda item: read.append(f"{item.kind}:{item.id}") or texts(item))
            assert (server.build() if server else build(options)).ok
            while server and server.step(1):
                pass
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        assert build(Options(content=content, out=tmp_path / "clean", jobs=1, cache=None)).ok
        assert index_files(tmp_path / "out") == index_files(tmp_path / "clean")
        return read

    texts = search._texts
    assert len(set(run())) > 60  # every item's, the first time
    rewrite(content / "initiatives/initiative-000021.yaml", lambda d: d["title"].update(en="Renamed"))
    read = run()
    assert read == ["initiative:initiative-000021"]
    district = min((content / "districts").glob("*.yaml"))
    rewrite(district, lambda d: d["name"].update(en="Renamed District"))
    holding = {
        f"{kind}:{path.stem}"
        for kind, folder in (("initiative", "initiatives"), ("zone", "zones"))
        for path in (content / folder).glob("*.yaml")
        if district.stem in path.read_text(encoding="utf-8")
    }
    read = set(run())
    assert holding and holding <= read
    assert all(name.split(":")[0] in ("initiative", "zone", "district") for name in read)


def test_an_edit_after_one_that_left_the_index_as_it_was_still_updates_the_last_postings(tmp_path, monkeypatch):
    """A build that does not make the search index again (a date edit: no doc shows dates) keeps
    what the index's making keeps between builds, so the next edit that does still takes the
    edited docs' postings out and puts them in, instead of making every doc's again."""
    content = tmp_path / "content"
    write_content(content, initiatives=60, seed=6)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    edited = content / "initiatives/initiative-000012.yaml"
    rewrite(edited, lambda d: d.update(date=d["date"].replace(day=1 if d["date"].day != 1 else 2)))
    index = (tmp_path / "out/search/index.js").read_bytes()
    assert build(options).ok and (tmp_path / "out/search/index.js").read_bytes() == index
    rewrite(edited, lambda d: d["title"].update(en=d["title"]["en"] + " revised"))

    rebuild_from_the_last_postings(options, monkeypatch)
