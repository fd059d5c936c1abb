"""Markdown beyond paragraphs and links: footnotes, fenced code, attribute lists and aligned table
columns, through the sanitiser, in both languages, checked by the Nu checker and axe; and the
uncited-paragraph lint on footnotes. Built through the command line on a copy of the fixture site."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from microsite.cli import main
from microsite.validators import check_accessibility, validate_html

from conftest import copy_fixture, page

RICH = "initiatives/alpha-trade-platform"
RICH_BODY = """\
body:
  en: |
    A platform for bonded trade.[^scope] It opened in two halls.[^halls] [@news-2024-01-02]

    ![Bar chart of trade by year](../media/charts/trade.png){: width=40 height=20 style="color: red" onclick="x()"}
    [@news-2024-01-02]

    The figures are in [a table](../media/report.csv) and [the notice](../media/notice.pdf#page=2). [@news-2024-01-02]
    {: .lead #figures-note lang=en-GB}

    | Year | Firms | Share |
    |:-----|------:|:-----:|
    | 2024 | 1,200 | half |

    ```yaml
    platform: bonded
      halls: 2   # "[@not-a-citation]" stays as written
    ```

    [^scope]: The source names no opening date. [@news-2024-01-02]
    [^halls]: Both halls are in the bonded zone. [@news-2024-01-02, para. 3]
  zh: |
    保税展示交易平台。[^scope] [@news-2024-01-02]

    ![按年份的贸易柱状图](../media/charts/trade.png) [@news-2024-01-02]

    ```
    第一行中文
    第二行中文
    ```

    [^scope]: 来源未说明开放日期。[@news-2024-01-02]
"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid-colour PNG, so a test can tell two versions of an image apart."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def rich_content(root: Path) -> Path:
    """The fixture site, one initiative's body using every Markdown feature, and its media."""
    content = copy_fixture("site", root)
    path = content / f"{RICH}.yaml"
    head = path.read_text(encoding="utf-8").split("body:")[0]
    path.write_text(head + RICH_BODY, encoding="utf-8")
    (content / "media/charts").mkdir(parents=True)
    (content / "media/charts/trade.png").write_bytes(png(40, 20, (200, 80, 20)))
    (content / "media/report.csv").write_text("year,firms\n2024,1200\n", encoding="utf-8")
    (content / "media/notice.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    return content


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rich")
    assert main(["build", "--strict", "--content", str(rich_content(root)), "--out", str(root / "out")]) == 0
    return root / "out"


def body(out: Path, lang: str = ""):
    return page(out, f"{lang}{RICH}/index.html").xpath('//div[@class="body"]')[0]


def test_footnotes_are_numbered_in_reading_order_and_linked_both_ways(rich):
    doc = body(rich)
    refs = doc.xpath('.//sup[@class="note"]/a[@class="footnote-ref"]')
    assert [(a.text, a.get("href"), a.get("aria-label")) for a in refs] == [
        ("1", "#fn-scope", "Note 1"),
        ("2", "#fn-halls", "Note 2"),
    ]
    (notes,) = doc.xpath('.//section[@class="footnotes"]')
    assert notes.get("aria-label") == "Notes"
    assert notes.xpath("ol/li/@id") == ["fn-scope", "fn-halls"]
    backs = notes.xpath('.//a[@class="footnote-backref"]')
    assert [(a.get("href"), a.get("aria-label")) for a in backs] == [
        ("#fnref-scope", "Back to the text of note 1"),
        ("#fnref-halls", "Back to the text of note 2"),
    ]
    assert not notes.xpath(".//a[@title]") and not notes.xpath(".//hr")
    assert doc.xpath('.//sup[@id="fnref-scope"]') and doc.xpath('.//sup[@id="fnref-halls"]')


def test_footnote_labels_are_in_the_pages_language(rich):
    doc = body(rich, "zh/")
    assert doc.xpath('.//a[@class="footnote-ref"]/@aria-label') == ["注1"]
    assert doc.xpath('.//section[@class="footnotes"]/@aria-label') == ["注释"]
    assert doc.xpath('.//a[@class="footnote-backref"]/@aria-label') == ["返回注1在正文中的位置"]


def test_citations_in_footnotes_are_numbered_and_linked_back(rich):
    doc = page(rich, f"{RICH}/index.html")
    cites = doc.xpath('//section[@class="footnotes"]//sup[@class="cite"]/a')
    assert [a.text_content() for a in cites] == ["1", "1, para. 3"]
    backs = doc.xpath('//li[@id="source-news-2024-01-02"]/a[@class="back"]/@href')
    assert ["#" + a.get("id") for a in cites] == backs[-2:]


def test_fenced_code_keeps_its_lines_and_shows_citations_as_written(rich):
    (code,) = body(rich).xpath(".//pre/code")
    assert code.get("class") == "language-yaml"
    assert code.text == 'platform: bonded\n  halls: 2   # "[@not-a-citation]" stays as written\n'


def test_chinese_lines_are_joined_in_paragraphs_but_not_in_code(rich):
    (code,) = body(rich, "zh/").xpath(".//pre/code")
    assert code.text == "第一行中文\n第二行中文\n"


def test_table_columns_keep_their_alignment_as_classes_in_a_labelled_scroll_box(rich):
    (box,) = body(rich).xpath('.//div[@class="table-scroll fit"]')
    assert (box.get("role"), box.get("tabindex"), box.get("aria-label")) == ("region", "0", "Table")
    assert box.xpath(".//th/@class") == ["align-left", "align-right", "align-center"]
    assert box.xpath(".//td/@class") == ["align-left", "align-right", "align-center"]
    assert not box.xpath(".//*[@style or @align]")


def test_attribute_lists_set_classes_ids_languages_and_sizes_and_nothing_else(rich):
    doc = body(rich)
    (note,) = doc.xpath('.//p[@id="figures-note"]')
    assert (note.get("class"), note.get("lang")) == ("lead", "en-GB")
    (img,) = doc.xpath(".//img")
    assert (img.get("width"), img.get("height")) == ("40", "20")
    assert img.get("style") is None and img.get("onclick") is None


def test_the_page_is_valid_html_and_accessible_in_light_and_dark(rich):
    pages = [f"{RICH}/index.html", f"zh/{RICH}/index.html"]
    problems = [p for p in validate_html(rich) if p.page in pages] + check_accessibility(rich, pages)
    assert [p.text() for p in problems] == []


UNCITED = """\
title: {en: A trade platform for Alpha, zh: 甲区贸易平台}
districts: [alpha]
themes: [trade]
date: 2024-08-20
sources: [news-2024-01-02]
body:
  en: |
    A claim whose source is in its note.[^a]

    An aside with no source.[^b] [@news-2024-01-02]

    [^a]: As the notice says. [@news-2024-01-02]
    [^b]: An opinion nobody published.
"""


def test_a_footnote_is_checked_as_a_paragraph_and_lends_its_citation_to_the_text(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    (content / f"{RICH}.yaml").write_text(UNCITED, encoding="utf-8")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    found = [line for line in run.err.splitlines() if "uncited-paragraph" in line]
    assert found == [
        (
            f"  {content}/{RICH}.yaml:13:5: warning: uncited-paragraph: a paragraph that cites "
            "no source [body.en] (cite the source of its claims where they are made: [@source-id] "
            "or [@source-id, locator])"
        )
    ]


def test_a_link_written_as_one_of_the_generators_placeholders_is_refused(cli, tmp_path):
    """`@cite:`, `@site:` and `@media:` mark links the generator writes itself; written by hand
    they would skip the checks (or name a source the page does not list)."""
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives/beta-talent.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Beta helps international talent settle.",
            "Beta helps [talent](@cite:nobody) settle ![here](@media:../../x.png).",
        ),
        encoding="utf-8",
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 1 and "Traceback" not in run.err
    found = [line.split(": error: ")[1] for line in run.err.splitlines() if ": error: " in line]
    assert found == [
        (
            "unsafe-link: the image source starts with @, which marks the generator's own placeholders "
            "(citations, kind:id links, media) [body.en] (images must be files of the site: no page may "
            "load anything from another host)"
        ),
        (
            "unsafe-link: the link starts with @, which marks the generator's own placeholders "
            "(citations, kind:id links, media) [body.en] (use http, https, mailto, a relative URL or district:<id>)"
        ),
    ]
