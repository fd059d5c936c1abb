"""The real content: complete, sourced and bilingual. A strict build is the main guard: missing
translations, uncited sources and districts or zones without initiatives are errors there."""

from __future__ import annotations

from microsite.diagnostics import Diagnostics
from microsite.load import load_content
from microsite.resolve import resolve

from conftest import ROOT


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
    # the official categories: 重点区域 in both batches, 综合保税区, 国家级经济技术开发区
    kinds = {z.zone_kind for z in site.zones}
    assert kinds == {"comprehensive-bonded-zone", "key-area", "development-zone"}
    for zone in site.zones:
        if zone.district.id in first | second and zone.zone_kind != "comprehensive-bonded-zone":
            assert zone.zone_kind in ("key-area", "development-zone"), zone.id
    assert len(site.initiatives) >= 30


def test_each_batch_cites_an_official_chinese_source_and_there_are_forty_sources():
    site = real_model()
    assert len(site.sources) >= 40
    for batch in site.batches:
        assert any(s.language == "zh" for s in batch.sources), batch.id


def test_the_settled_facts_stay_settled(real_site):
    """The items of issue #19 that the sources settle, in both languages."""
    home = (real_site / "index.html").read_text(encoding="utf-8")
    home_zh = (real_site / "zh/index.html").read_text(encoding="utf-8")
    first = (real_site / "batches/first/index.html").read_text(encoding="utf-8")
    for page in (home, home_zh, first):
        assert "空间接应、产业接续、政策接力" in page
        assert "空间承接" not in page
    assert "27 July 2019" in home and "2019年7月27日" in home_zh
    for name in ("caohejing", "fengxian", "jiading", "jinqiao", "qingpu", "songjiang"):
        page = (real_site / f"zones/{name}-comprehensive-bonded-zone/index.html").read_text(encoding="utf-8")
        assert "15 August 2024" in page and "named as linked innovation zones on 21 August" not in page
    for zone in ("huangpu", "xuhui", "hongkou", "minhang", "yangpu", "changning", "jiading"):
        facts = (real_site / f"zones/{zone}-innovation-zone/index.html").read_text(encoding="utf-8")
        assert "<dd>about " in facts, zone
    assert "<dd>about 1 km²</dd>" in (real_site / "zones/jiading-comprehensive-bonded-zone/index.html").read_text(
        encoding="utf-8"
    )
    # the second batch's notice number, from the Changning DRC's official notice (changning-drc-2025-12-08)
    for page in ("batches/second/index.html", "zh/batches/second/index.html"):
        text = (real_site / page).read_text(encoding="utf-8")
        assert "沪自贸组〔2025〕2号" in text and "zwgk.shcn.gov.cn" in text, page
