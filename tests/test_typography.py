"""Chinese typography in the built pages: no space between two Chinese characters, whether it came
from a line break in a Markdown paragraph, a folded YAML string or a template, and full-width
punctuation in Chinese citations."""

from __future__ import annotations

import re

from lxml import html as lxml_html

from microsite.cli import main

from conftest import copy_fixture

CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
GAP = re.compile(f"[{CJK}] +[{CJK}]")
# Elements that do not break a line: the text of anything else is a block of its own.
INLINE = {"a", "abbr", "b", "cite", "code", "em", "i", "label", "mark", "small", "span", "strong", "sub", "sup", "time"}
BLOCK = "\x00"


def rendered_text(path) -> str:
    """The page's text as a browser lays it out: blocks apart, white space collapsed."""
    out = []

    def walk(el):
        if not isinstance(el.tag, str) or el.tag in ("head", "script", "style", "svg"):
            out.append(el.tail or "")
            return
        block = el.tag not in INLINE
        out.extend([BLOCK if block else "", el.text or ""])
        for child in el:
            walk(child)
        out.extend([BLOCK if block else "", el.tail or ""])

    walk(lxml_html.fromstring(path.read_bytes()))
    return re.sub(r"\s+", " ", "".join(out))


def gaps(out) -> dict[str, list[str]]:
    found = {}
    for path in sorted((out / "zh").rglob("*.html")):
        if hits := GAP.findall(rendered_text(path)):
            found[path.relative_to(out).as_posix()] = hits
    return found


def test_no_chinese_page_of_the_real_site_has_a_space_between_chinese_characters(real_site):
    assert len(list((real_site / "zh").rglob("*.html"))) > 100
    assert gaps(real_site) == {}


def test_line_breaks_in_chinese_text_are_joined(tmp_path):
    content = copy_fixture("site", tmp_path)
    zone = content / "zones" / "alpha-zone.yaml"
    text = zone.read_text(encoding="utf-8").replace(
        'summary: {en: "The zone of Alpha. [@news-2024-01-02]", zh: "甲区的区域。[@news-2024-01-02]"}',
        'summary:\n  en: "The zone of Alpha. [@news-2024-01-02]"\n'
        "  zh: |\n    甲区的区域。\n    每个**计划**\n    与临港 Alpha\n    合作。[@news-2024-01-02]\n",
    )
    assert text != zone.read_text(encoding="utf-8")
    zone.write_text(text, encoding="utf-8")
    folded = content / "themes" / "trade.yaml"
    folded.write_text(
        folded.read_text(encoding="utf-8").replace(
            "summary: {en: Trade across borders., zh: 跨境贸易。}",
            "summary:\n  en: Trade across borders.\n  zh: >-\n    跨境\n    贸易。\n",
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--content", str(content), "--out", str(out)]) == 0
    assert "甲区的区域。每个<strong>计划</strong>与临港 Alpha\n合作。" in (
        out / "zh/zones/alpha-zone/index.html"
    ).read_text("utf-8")
    assert "跨境贸易。" in rendered_text(out / "zh/themes/trade/index.html")
    assert gaps(out) == {}


def test_chinese_citations_use_full_width_punctuation(real_site):
    doc = lxml_html.fromstring((real_site / "zh/districts/yangpu/index.html").read_bytes())
    citation = doc.find(".//ol[@class='source-list']/li")
    text = citation.text_content()
    assert "，" in text and "。" in text and ". " not in text and ", " not in text
