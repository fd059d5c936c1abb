"""A site's own geography and words: the map file, the areas' name and the zone kinds come from
site.yaml; batches are optional and any number of them is coloured; the second test site
(tests/fixtures/yunlan-bay: a made-up region, Chinese only, three phases) builds, passes every
output check and says nothing of the reference site's city."""

from __future__ import annotations

import json
import re

import pytest

from microsite import palette

from conftest import FIXTURES, ROOT, copy_fixture, page

SECOND = "yunlan-bay"


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def every_text(folder) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.suffix in (".html", ".xml", ".json", ".csv", ".css", ".js", ".txt")
    )


def test_the_second_site_builds_strict_passes_every_check_and_never_names_shanghai(cli, tmp_path):
    built = cli("build", "--strict", "--content", FIXTURES / SECOND, "--out", tmp_path / "built")
    assert built.code == 0 and "0 errors, 0 warnings" in built.out, built.err
    text = every_text(tmp_path / "built")
    assert "Shanghai" not in text and "上海" not in text
    assert not re.search(r"shanghai|linked.innovation|联动创新", text, re.IGNORECASE)
    checked = cli("check", "--strict", "--content", FIXTURES / SECOND, "--out", tmp_path / "checked")
    assert checked.code == 0 and "all checks passed" in checked.out, checked.err[-3000:]
    assert "links 0, html 0, a11y 0, repro 0, offline 0" in checked.out


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    from microsite.cli import main

    out = tmp_path_factory.mktemp("second") / "site"
    assert main(["build", "--content", str(FIXTURES / SECOND), "--out", str(out)]) == 0
    return out


def test_the_site_names_its_areas_and_zone_kinds(second):
    home = page(second, "index.html")
    assert home.get("lang") == "zh-Hans"
    assert home.xpath("//nav[contains(@class, 'site-nav')]//a")[0].text_content() == "各县"
    assert home.xpath("//*[@id='map-title']")[0].text_content() == "各县地图"
    assert (
        home.xpath("//section[contains(@class, 'map')]//p[@class='note']")[0].text_content()
        == "边界数据：为测试手绘的虚构边界。"
    )
    zones = page(second, "zones/index.html")
    assert [td.text_content() for td in zones.xpath("//tbody/tr/td[1]")] == [
        "自由港片区",
        "物流园区",
        "科创走廊",
        "物流园区",
    ]
    assert [c.text_content() for c in zones.xpath("//caption")] == ["第一期", "第二期", "第三期", "未纳入批次的区域"]


def test_three_batches_and_a_zone_in_none_get_four_colours(second):
    home = page(second, "index.html")
    shaded = {p.get("data-code"): p.get("class") for p in home.xpath("//path[contains(@class, 'district')]")}
    assert shaded == {
        "YL01": "district batch-1",
        "YL02": "district batch-2",
        "YL03": "district batch-3",
        "YL04": "district zoned",
    }
    [link] = [x for x in home.xpath("//link[@rel='stylesheet']") if "batches-" in x.get("href")]
    css = (second / link.get("href")).read_text(encoding="utf-8")
    for scheme in ("light", "dark"):
        for name, colour in zip(("batch-1", "batch-2", "batch-3", "zoned"), palette.colours(4, scheme), strict=True):
            assert f".district.{name} {{ fill: {colour}; }}" in css
    assert [s.get("class") for s in home.xpath("//ul[@class='legend']//span[contains(@class, 'swatch')]")] == [
        "swatch batch-1",
        "swatch batch-2",
        "swatch batch-3",
        "swatch zoned",
        "swatch",
    ]


def _scheme_colours(name: str) -> dict[str, str]:
    """A custom property's value in the light and in the dark scheme of the default theme."""
    css = (ROOT / "static" / "style.css").read_text(encoding="utf-8")
    light, dark = re.findall(rf"--{name}: (#[0-9a-f]{{6}});", css)[:2]
    return {"light": light, "dark": dark}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_any_number_of_batches_has_distinct_colours_with_3_to_1_contrast(scheme):
    background, land = _scheme_colours("bg")[scheme], _scheme_colours("land")[scheme]
    colours = palette.colours(40, scheme)
    assert len(set(colours)) == 40
    assert palette.colours(3, scheme) == colours[:3]  # a new batch never recolours the others
    assert min(palette.contrast(c, background) for c in colours) >= 3
    assert min(palette.contrast(c, land) for c in colours) >= 3


def test_an_unknown_zone_kind_is_an_error_at_its_place_with_the_declared_kinds(cli, tmp_path):
    content = copy_fixture(SECOND, tmp_path)
    edit(content / "zones" / "east-lake-logistics.yaml", "kind: logistics-park", "kind: logistic-park")
    edit(content / "zones" / "south-hill-corridor.yaml", "name: {zh: 南山科创走廊}", "name: 7")  # and another error
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 1
    assert (
        "zones/east-lake-logistics.yaml:2:7: error: bad-value: 'logistic-park' is not one of the zone kinds "
        "site.yaml declares [kind] (did you mean 'logistics-park'? site.yaml declares: free-port-area, "
        "logistics-park, tech-corridor)"
    ) in run.err
    edit(content / "site.yaml", "  tech-corridor: {zh: 科创走廊}\n", "")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert "zones/south-hill-corridor.yaml:2:7: error: bad-value: 'tech-corridor' is not one" in run.err


def test_the_schema_offers_the_kinds_the_site_declares(cli, tmp_path):
    assert cli("schema", "--content", FIXTURES / SECOND, "--out", tmp_path).code == 0
    kind = json.loads((tmp_path / "zone.schema.json").read_text(encoding="utf-8"))["properties"]["kind"]
    assert kind["enum"] == ["free-port-area", "logistics-park", "tech-corridor"]


def test_a_site_without_batches_builds_and_says_nothing_of_batches(cli, tmp_path):
    content = copy_fixture(SECOND, tmp_path)
    for path in (content / "batches").iterdir():
        path.unlink()
    for folder in ("zones", "initiatives"):
        for path in (content / folder).iterdir():
            path.write_text(
                re.sub(r"^batch: .*\n", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE), encoding="utf-8"
            )
    run = cli("build", "--strict", "--content", content, "--out", tmp_path / "out")
    assert run.code == 0, run.err
    out = tmp_path / "out"
    for path in (
        "index.html",
        "districts/index.html",
        "zones/index.html",
        "initiatives/index.html",
        "zones/east-lake-logistics/index.html",
        "districts/east-lake/index.html",
    ):
        main = page(out, path).xpath("//main")[0]
        assert "批次" not in main.text_content() and not main.xpath("//*[@id='batches-heading']"), path
        assert all(h.text_content().strip() for h in main.xpath("//h1|//h2|//h3")), path
    home = page(out, "index.html")
    assert {p.get("class") for p in home.xpath("//path[contains(@class, 'district')]")} == {"district zoned"}
    assert home.xpath("//*[@id='map-desc']")[0].text_content().startswith("设有区域的县着色显示")
    assert [c.text_content() for c in page(out, "zones/index.html").xpath("//caption")] == ["区域"]


def test_a_zone_may_be_as_large_as_land_on_earth_and_no_larger(cli, tmp_path):
    content = copy_fixture(SECOND, tmp_path)
    zone = content / "zones" / "north-shore-free-port.yaml"
    edit(zone, "area_km2: {about: 12}", "area_km2: 17098246")  # a country's area
    assert cli("build", "--strict", "--content", content, "--out", tmp_path / "out").code == 0
    edit(zone, "area_km2: 17098246", "area_km2: 200000000")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 1 and "zones/north-shore-free-port.yaml:5:11: error: wrong-type" in run.err
    assert "Shanghai" not in run.err
