"""Inline citations, the uncited-paragraph check, qualified figures and the repeated-sentence
lint, through the command line on copies of the fixture site."""

from __future__ import annotations

import json

from conftest import copy_fixture, page

INITIATIVE = "initiatives/alpha-data-products/index.html"


def build(cli, content, out, *flags):
    return cli("build", "--content", content, "--out", out, *flags)


def write(content, name: str, text: str) -> None:
    (content / name).write_text(text, encoding="utf-8")


def test_a_citation_is_a_numbered_link_to_the_source_list_and_back(fixture_site):
    doc = page(fixture_site, INITIATIVE)
    (cite,) = doc.xpath('//div[@class="body"]//sup[@class="cite"]/a')
    assert cite.text_content() == "1, para. 2"  # the number of the source in the list, then the locator
    assert cite.get("href") == "#source-news-2024-01-02"
    (entry,) = doc.xpath('//ol[@class="source-list"]/li[@id="source-news-2024-01-02"]')
    (back,) = entry.xpath('a[@class="back"]')
    assert back.get("href") == "#" + cite.get("id")
    assert back.get("aria-label") == "Back to citation 1"
    zh = page(fixture_site, "zh/" + INITIATIVE)
    assert zh.xpath('//sup[@class="cite"]/a')[0].text_content() == "1, 第2段"
    assert zh.xpath('//li[@id="source-news-2024-01-02"]/a[@class="back"]/@aria-label') == ["返回第1处引用"]


def test_several_sources_in_one_citation_are_numbered_as_listed(fixture_site):
    doc = page(fixture_site, "initiatives/shared-trade/index.html")
    (sup,) = doc.xpath('//div[@class="body"]//sup[@class="cite"]')
    assert sup.text_content() == "[1; 2]"
    assert [a.get("href") for a in sup.xpath("a")] == ["#source-gov-2025-10-16", "#source-news-2024-01-02"]


def test_the_home_page_lists_the_sources_its_introduction_cites(fixture_site):
    doc = page(fixture_site, "index.html")
    assert doc.xpath('//div[@class="intro"]//sup[@class="cite"]/a/@href') == ["#source-news-2024-01-02"]
    assert doc.xpath('//li[@id="source-news-2024-01-02"]/a[@class="back"]')


def test_a_source_cited_but_not_listed_joins_the_list(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives/beta-talent.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('[@gov-2025-10-16]"', '[@gov-2025-10-16; @news-2024-01-02]"', 1),
        encoding="utf-8",
    )
    assert build(cli, content, tmp_path / "out").code == 0
    doc = page(tmp_path / "out", "initiatives/beta-talent/index.html")
    assert doc.xpath('//ol[@class="source-list"]/li/@id') == ["source-gov-2025-10-16", "source-news-2024-01-02"]


def test_an_unknown_source_id_is_an_error_at_its_line_and_column(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    write(
        content,
        "initiatives/alpha-trade-platform.yaml",
        (
            "title: {en: A trade platform for Alpha, zh: 甲区贸易平台}\n"
            "districts: [alpha]\nthemes: [trade]\ndate: 2024-08-20\nsources: [news-2024-01-02]\n"
            "body:\n"
            "  en: |\n"
            "    A platform for bonded trade. [@news-2024-01-02]\n"
            "\n"
            "    Exhibitions too. [@news-2024-01-02; @no-such-source, p. 4]\n"
            '  zh: "保税展示交易平台。[@news-2024-01-02]"\n'
        ),
    )
    run = build(cli, content, tmp_path / "out")
    assert run.code == 1
    assert (
        "initiatives/alpha-trade-platform.yaml:10:41: error: unknown-citation: "
        "the citation names no source 'no-such-source' [body.en]"
    ) in run.err


def test_an_uncited_paragraph_is_a_warning_and_an_error_under_strict(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    write(
        content,
        "zones/beta-area.yaml",
        (
            "name: {en: Beta Key Area, zh: 乙区重点区域}\nkind: key-area\ndistrict: beta\nbatch: second\n"
            "summary:\n"
            "  en: |\n"
            "    A key area in Beta. [@gov-2025-10-16]\n"
            "\n"
            "    - a cited item [@gov-2025-10-16]\n"
            "    - an item that cites nothing\n"
            "\n"
            "    | a table | is not prose |\n"
            "    | --- | --- |\n"
            "    | 1 | 2 |\n"
            "  zh: 乙区的重点区域。\n"
            "sources: [gov-2025-10-16]\n"
        ),
    )
    run = build(cli, content, tmp_path / "out")
    assert run.code == 0
    assert (
        "zones/beta-area.yaml:10:5: warning: uncited-paragraph: a paragraph that cites no source [summary.en]"
        in run.err
    )
    assert (
        "zones/beta-area.yaml:15:7: warning: uncited-paragraph: a paragraph that cites no source [summary.zh]"
        in run.err
    )
    assert run.err.count("uncited-paragraph") == 2
    strict = build(cli, content, tmp_path / "strict", "--strict")
    assert strict.code == 1
    assert "zones/beta-area.yaml:10:5: error: uncited-paragraph" in strict.err


def test_a_qualified_area_reads_as_the_source_gives_it(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "zones/alpha-zone.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("area_km2: 23", "area_km2: {about: 23}"), encoding="utf-8")
    path = content / "zones/beta-area.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "area_km2: {from: 1.5, to: 2}\n", encoding="utf-8")
    assert build(cli, content, tmp_path / "out").code == 0
    out = tmp_path / "out"
    facts = lambda p: page(out, p).xpath('string(//dl[@class="facts"])')  # noqa: E731
    assert "about 23 km²" in facts("zones/alpha-zone/index.html")
    assert "约23 平方公里" in facts("zh/zones/alpha-zone/index.html")
    assert "1.5–2 km²" in facts("zones/beta-area/index.html")
    cells = page(out, "zones/index.html").xpath('//td[@class="num"][1]/text()')
    assert "about 23" in cells and "1.5–2" in cells
    assert "约23" in page(out, "zh/zones/index.html").xpath('//td[@class="num"][1]/text()')
    assert "about 23 km²" in page(out, "districts/alpha/index.html").text_content()
    zones = {z["id"]: z for z in json.loads((out / "data/site.json").read_text(encoding="utf-8"))["zones"]}
    assert zones["alpha-zone"]["area_km2"] == {"value": 23, "qualifier": "about", "upper": None}
    assert zones["beta-area"]["area_km2"] == {"value": 1.5, "qualifier": "range", "upper": 2}
    assert zones["alpha-bonded"]["area_km2"] is None


def test_a_figure_may_be_an_amount_with_a_unit(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives/alpha-data-products.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '  - {value: "7,000+", label: {en: online firms, zh: 家在线企业}}',
            "  - {amount: {over: 7000}, label: {en: online firms, zh: 家在线企业}}\n"
            "  - {amount: {nearly: 24.6}, unit: {en: km², zh: 平方公里}, label: {en: area, zh: 面积}}",
        ),
        encoding="utf-8",
    )
    assert build(cli, content, tmp_path / "out").code == 0
    out = tmp_path / "out"
    figures = page(out, INITIATIVE).xpath('//ul[@class="figures"]/li/strong/text()')
    assert figures == ["over 7,000", "nearly 24.6 km²"]
    assert page(out, "zh/" + INITIATIVE).xpath('//ul[@class="figures"]/li/strong/text()') == [
        "7,000余",
        "近24.6平方公里",
    ]
    record = json.loads((out / "data/site.json").read_text(encoding="utf-8"))
    (ini,) = [i for i in record["initiatives"] if i["id"] == "alpha-data-products"]
    assert ini["figures"][0] == {
        "value": None,
        "amount": {"value": 7000, "qualifier": "over", "upper": None},
        "unit": None,
        "label": {"en": "online firms", "zh": "家在线企业"},
    }


def test_a_badly_qualified_figure_is_an_error_at_its_place(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "zones/alpha-zone.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("area_km2: 23", "area_km2: {from: 3, to: 2}"), encoding="utf-8"
    )
    path = content / "zones/beta-area.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "area_km2: {roughly: 2}\n", encoding="utf-8")
    path = content / "initiatives/alpha-data-products.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('{value: "7,000+", label:', '{value: "7,000+", amount: 7000, label:'),
        encoding="utf-8",
    )
    run = build(cli, content, tmp_path / "out")
    assert run.code == 1
    assert "zones/alpha-zone.yaml:5:25: error: wrong-type: expected a number above the range's start (3)" in run.err
    assert (
        "zones/beta-area.yaml:7:11: error: wrong-type: expected a number, {about|over|nearly: number} "
        "or {from: number, to: number}, found a mapping [area_km2]"
    ) in run.err
    assert (
        "initiatives/alpha-data-products.yaml:10:5: error: bad-value: a figure needs either 'value' (text) "
        "or 'amount' (a number), not both or neither [figures[0]]"
    ) in run.err


def test_a_long_sentence_repeated_in_two_items_is_a_warning(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    sentence = "The zone's plan applies every measure on the shared list and adds measures of its own for local firms."
    for name, short in (
        ("zones/alpha-zone.yaml", "The zone of Alpha."),
        ("zones/beta-area.yaml", "A key area in Beta."),
    ):
        path = content / name
        path.write_text(path.read_text(encoding="utf-8").replace(short, f"{short} {sentence}"), encoding="utf-8")
    path = content / "districts/beta.yaml"  # shorter than 12 words: not reported
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Beta is the second fixture district.", "The zone of Alpha. Beta is the second fixture district."
        ),
        encoding="utf-8",
    )
    run = build(cli, content, tmp_path / "out")
    assert run.code == 0
    assert run.err.count("repeated-sentence") == 1
    assert (
        "zones/beta-area.yaml:5:35: warning: repeated-sentence: this sentence is also in "
        f"{content.as_posix()}/zones/alpha-zone.yaml"
    ) in run.err


def test_a_source_whose_page_shows_no_date_is_listed_as_such(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "sources/gov-2025-10-16.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2025-10-16\n", ""), encoding="utf-8")
    assert build(cli, content, tmp_path / "out").code == 0
    out = tmp_path / "out"
    assert "date not shown" in page(out, "sources/gov-2025-10-16/index.html").xpath('string(//dl[@class="facts"])')
    assert "未标日期" in page(out, "zh/zones/beta-area/index.html").xpath('string(//li[@id="source-gov-2025-10-16"])')
    record = json.loads((out / "data/site.json").read_text(encoding="utf-8"))
    assert [s["date"] for s in record["sources"] if s["id"] == "gov-2025-10-16"] == [None]


def test_a_line_opening_with_a_number_inside_a_paragraph_does_not_start_a_list_item(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    write(
        content,
        "districts/beta.yaml",
        (
            'name: {en: Beta, zh: 乙区}\ncode: "310101"\n'
            "summary:\n"
            "  en: |\n"
            "    Beta's zone opened in August\n"
            "    2024. It is cited once, at the end. [@gov-2025-10-16]\n"
            "\n"
            "    1. a list item with its citation [@gov-2025-10-16]\n"
            "    2. and one without\n"
            '  zh: "乙区是第二个测试区。[@gov-2025-10-16]"\n'
            "sources: [gov-2025-10-16]\n"
        ),
    )
    run = build(cli, content, tmp_path / "out")
    assert run.code == 0
    assert run.err.count("uncited-paragraph") == 1
    assert "districts/beta.yaml:9:5: warning: uncited-paragraph" in run.err
