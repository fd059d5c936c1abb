"""The real content: complete, sourced and bilingual. A strict build is the main guard: missing
translations, uncited sources and districts or zones without initiatives are errors there."""
from __future__ import annotations

from conftest import ROOT
from microsite.diagnostics import Diagnostics
from microsite.load import load_content
from microsite.resolve import resolve


def real_model():
    diags = Diagnostics()
    site = resolve(load_content(ROOT / "content", diags), diags)
    assert site is not None and not diags.items, [d.text() for d in diags.items]
    return site


def test_the_real_content_builds_strictly(cli, tmp_path):
    run = cli("build", "--strict", "--out", tmp_path / "site")
    assert run.code == 0, run.err
    assert "0 errors, 0 warnings" in run.out


def test_every_item_cites_a_source_and_every_source_is_cited():
    site = real_model()
    for item in site.batches + site.districts + site.zones + site.initiatives:
        assert item.sources, item.id
    for source in site.sources:
        assert source.cited_by, source.id


def test_every_district_and_zone_has_a_chinese_name():
    site = real_model()
    for item in site.districts + site.zones:
        assert item.name.has("zh") and item.name.has("en"), item.id


def test_both_batches_and_their_districts_are_there():
    site = real_model()
    first = {"huangpu", "xuhui", "hongkou", "yangpu", "baoshan", "minhang"}
    second = {"changning", "jingan", "putuo", "qingpu", "jiading", "jinshan"}
    by_batch = {b.id: {z.district.id for z in b.zones} for b in site.batches}
    assert first <= by_batch["first"]
    assert second <= by_batch["second"]
    kinds = {z.zone_kind for z in site.zones}
    assert kinds == {"innovation-zone", "comprehensive-bonded-zone", "key-area", "development-zone"}
    assert len(site.initiatives) >= 30
