"""The fixture site, built through the command line, asserted on its HTML."""

from __future__ import annotations

import gc
import io
import sys
import traceback
from pathlib import Path

import pytest

from microsite.check import check_links
from microsite.cli import ProgressBar, main
from microsite.synthetic import write_content

from conftest import FIXTURES, copy_fixture, page

ITEM_PAGES = [
    "districts/alpha/index.html",
    "zones/alpha-zone/index.html",
    "themes/trade/index.html",
    "initiatives/alpha-data-products/index.html",
    "sources/news-2024-01-02/index.html",
    "batches/first/index.html",
]
ALL_PAGES = ITEM_PAGES + [
    "index.html",
    "districts/index.html",
    "zones/index.html",
    "themes/index.html",
    "initiatives/index.html",
    "sources/index.html",
    "batches/index.html",
    "search/index.html",
    "404.html",
    "translations/index.html",
]


def hrefs(doc) -> set[str]:
    return {a.get("href") for a in doc.iter("a") if a.get("href")}


def test_every_internal_link_and_fragment_resolves(fixture_site, real_site):
    assert check_links(fixture_site) == []
    assert check_links(real_site) == []


@pytest.mark.parametrize("path", ALL_PAGES + ["zh/" + p for p in ALL_PAGES])
def test_page_structure(fixture_site, path):
    doc = page(fixture_site, path)
    assert doc.get("lang") == ("zh-Hans" if path.startswith("zh/") else "en")
    assert len(doc.findall(".//h1")) == 1
    assert doc.find(".//a[@class='skip-link']").get("href") == "#main"
    assert doc.find(".//main[@id='main']") is not None
    assert doc.find(".//header") is not None and doc.find(".//footer") is not None
    for table in doc.iter("table"):
        assert table.find("caption") is not None
        assert all(th.get("scope") in ("col", "row") for th in table.iter("th"))


def test_initiative_links_to_everything_and_everything_links_back(fixture_site):
    ini = page(fixture_site, "initiatives/alpha-data-products/index.html")
    links = hrefs(ini)
    targets = {
        "../../districts/alpha/": "districts/alpha/index.html",
        "../../zones/alpha-zone/": "zones/alpha-zone/index.html",
        "../../zones/alpha-bonded/": "zones/alpha-bonded/index.html",
        "../../themes/trade/": "themes/trade/index.html",
        "../../themes/cross-border-data/": "themes/cross-border-data/index.html",
        "../../sources/news-2024-01-02/": "sources/news-2024-01-02/index.html",
        "../../batches/first/": "batches/first/index.html",
    }
    for href, path in targets.items():
        assert href in links, href
        assert "../../initiatives/alpha-data-products/" in hrefs(page(fixture_site, path)), path


def related(out: Path, initiative: str) -> list[str]:
    """The hrefs of an initiative page's related initiatives, in order."""
    doc = page(out, f"initiatives/{initiative}/index.html")
    return [a.get("href") for a in doc.xpath("//section[@aria-labelledby='related-heading']//li//a")]


def test_related_initiatives_share_most_first_then_by_id(fixture_site, tmp_path):
    # alpha-data-products shares district alpha (2 points each) and a theme or two (1 each)
    # with shared-trade (4) and alpha-trade-platform (3); beta-talent shares its district only.
    assert related(fixture_site, "alpha-data-products") == ["../shared-trade/", "../alpha-trade-platform/"]
    assert related(fixture_site, "alpha-trade-platform") == ["../alpha-data-products/", "../shared-trade/"]  # 3 and 3
    assert related(fixture_site, "beta-talent") == ["../shared-trade/"]
    content = copy_fixture("site", tmp_path)  # a zone shared (3 points) outweighs themes
    (content / "initiatives/alpha-zone-talent.yaml").write_text(
        "title: {en: Talent in the Alpha zone, zh: 甲区人才}\nzones: [alpha-zone]\nthemes: [talent]\n"
        "status: in-effect\nsources: [gov-2025-10-16]\nbody: {en: Talent., zh: 人才。}\n",
        encoding="utf-8",
    )
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "out")]) == 0
    assert related(tmp_path / "out", "alpha-data-products") == [
        "../alpha-zone-talent/",
        "../shared-trade/",
        "../alpha-trade-platform/",
    ]


def test_district_is_reached_through_its_zone(fixture_site):
    # beta-talent names only a zone; its district comes from the zone
    ini = page(fixture_site, "initiatives/beta-talent/index.html")
    assert "../../districts/beta/" in hrefs(ini)


def test_district_page_groups_initiatives_by_theme_and_names_who_announced(fixture_site):
    doc = page(fixture_site, "districts/alpha/index.html")
    themes = [h.get("id") for h in doc.findall(".//section[@class='group']/h3")]
    assert themes == ["theme-trade", "theme-cross-border-data"]
    text = doc.text_content()
    assert "Jane Doe" in text and "deputy head of Alpha" in text
    assert doc.find(".//h1/span[@lang='zh-Hans']").text == "甲区"


def test_matrix_cells_add_up_to_initiative_district_theme_pairs(fixture_site):
    doc = page(fixture_site, "initiatives/index.html")
    cells = [
        int(td.find(".//span[@class='n']").text)
        for td in doc.findall(".//table[@class='matrix']/tbody/tr/td")
        if "heat" in td.get("class", "")
    ]
    pairs = [
        ("alpha-data-products", 1, 2),
        ("alpha-trade-platform", 1, 1),
        ("beta-talent", 1, 1),
        ("shared-trade", 2, 2),
    ]
    assert sum(cells) == sum(d * t for _, d, t in pairs) == 8
    cell = doc.find(".//a[@href='../districts/alpha/#theme-trade']")
    assert cell is not None and cell.find("span[@class='n']").text == "3"
    # an empty cell shows nothing but says so to assistive technology
    empty = [td for td in doc.findall(".//table[@class='matrix']/tbody/tr/td") if "empty" in td.get("class")]
    assert empty and all(td.text_content() == "none" and td.find(".//a") is None for td in empty)


def test_index_lists_each_initiative_once_with_its_date_status_and_summary(fixture_site):
    doc = page(fixture_site, "initiatives/index.html")
    rows = doc.findall(".//section[@aria-labelledby='all']//ul[@class='initiative-list']/li")
    assert sorted(li.find("a").get("href") for li in rows) == [
        "alpha-data-products/",
        "alpha-trade-platform/",
        "beta-talent/",
        "shared-trade/",
    ]
    for li in rows:
        assert li.find("span[@class='summary-line']").text_content()
    first = rows[0]
    assert first.find(".//time") is not None or first.find(".//span[@class='status']") is not None


def test_a_theme_page_lists_each_initiative_once(fixture_site):
    doc = page(fixture_site, "themes/trade/index.html")
    hrefs = [li.find("a").get("href") for li in doc.iter("li") if li.getparent().get("class") == "initiative-list"]
    assert hrefs and len(hrefs) == len(set(hrefs))


def test_sources_page_lists_what_cites_each_source(fixture_site):
    doc = page(fixture_site, "sources/index.html")
    item = doc.find(".//li[@id='source-gov-2025-10-16']")
    links = hrefs(item)
    assert {"../initiatives/beta-talent/", "../initiatives/shared-trade/", "../districts/beta/"} <= links
    assert item.find(".//cite").get("lang") == "zh-Hans"  # a Chinese title inside an English page


def test_breadcrumbs_lead_home(fixture_site):
    doc = page(fixture_site, "zones/alpha-zone/index.html")
    crumbs = doc.find(".//nav[@class='breadcrumbs']")
    assert [a.get("href") for a in crumbs.iter("a")] == ["../../", "../"]
    assert crumbs.find(".//span[@aria-current='page']").text == "Alpha Innovation Zone"


def test_markdown_internal_and_external_links(fixture_site):
    doc = page(fixture_site, "initiatives/alpha-data-products/index.html")
    body = doc.find(".//div[@class='body']")
    assert body.find(".//h2") is not None  # a Markdown "##" stays below the page's h1
    internal = body.find(".//a[@href='../alpha-trade-platform/']")
    assert internal is not None
    external = body.find(".//a[@href='https://example.org/news']")
    assert "noopener" in external.get("rel") and external.get("class") == "external"


def test_language_switcher_and_alternates(fixture_site):
    doc = page(fixture_site, "zh/districts/alpha/index.html")
    switch = doc.find(".//nav[@class='languages']//a")
    assert switch.get("href") == "../../../districts/alpha/"
    alternates = {
        link.get("hreflang"): link.get("href") for link in doc.findall(".//link[@rel='alternate'][@hreflang]")
    }
    assert alternates == {"en": "../../../districts/alpha/", "zh-Hans": "./"}
    assert doc.find(".//h1").text.strip() == "甲区"


def test_pages_do_not_grow_with_the_number_of_initiatives(fixture_site):
    """Navigation lists no initiatives: an initiative page links only to what it references."""
    doc = page(fixture_site, "zones/beta-area/index.html")
    assert "../../initiatives/alpha-data-products/" not in hrefs(doc)


def test_usage_errors_exit_2(cli):
    with pytest.raises(SystemExit) as exc:
        cli("build", "--no-such-option")
    assert exc.value.code == 2


def test_help_explains_every_option(cli):
    with pytest.raises(SystemExit) as exc:
        cli("build", "--help")
    assert exc.value.code == 0


def test_build_prints_a_summary_line(cli, tmp_path):
    run = cli("build", "--content", FIXTURES / "site", "--out", tmp_path / "out")
    assert run.code == 0
    assert run.out.startswith("built 52 pages")
    assert "0 errors, 0 warnings" in run.out
    assert "rendering [" not in run.err  # not a terminal: no progress bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_build_on_a_terminal_shows_a_progress_bar_then_clears_it(tmp_path, monkeypatch):
    write_content(tmp_path / "content", initiatives=150, seed=4)  # enough pages for the worker pool
    monkeypatch.setattr(ProgressBar, "DELAY", 0.0)  # the bar waits a second; this build may not
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "out")]) == 0
    shown = terminal.getvalue()
    total = len(list((tmp_path / "out").rglob("*.html")))
    assert shown.startswith("\rrendering [") and total > 256
    assert f"\rrendering [{'#' * ProgressBar.WIDTH}] {total:,}/{total:,} pages" in shown
    assert shown.endswith("\r\033[K")  # the summary line starts on a clean line


def test_every_page_has_an_svg_favicon_and_its_own_description(fixture_site):
    descriptions = set()
    for path in (
        "index.html",
        "zones/alpha-zone/index.html",
        "themes/trade/index.html",
        "initiatives/alpha-data-products/index.html",
        "zh/districts/alpha/index.html",
    ):
        doc = page(fixture_site, path)
        icon = doc.find(".//link[@rel='icon']")
        assert icon.get("type") == "image/svg+xml"
        assert (fixture_site / path).parent.joinpath(icon.get("href")).resolve().is_file()
        descriptions.add(doc.find(".//meta[@name='description']").get("content"))
    assert len(descriptions) == 5
    # an item's description is its own text's first sentence, never the site's
    theme = page(fixture_site, "themes/trade/index.html")
    assert theme.find(".//meta[@name='description']").get("content") == "Trade across borders."


def test_the_translation_report_is_linked_for_editors_but_not_from_the_public_footer(fixture_site):
    for path in ("index.html", "zh/districts/alpha/index.html", "sources/index.html"):
        footer = page(fixture_site, path).find(".//footer")
        assert not [a for a in footer.iter("a") if "translations/" in a.get("href")], path
    sources = page(fixture_site, "sources/index.html")
    assert sources.find(".//main//a[@href='../translations/']") is not None


def test_a_one_off_build_still_frees_the_cycles_its_pages_make(cli, tmp_path):
    """The command line pauses the cycle collector for the model's sake; rendering runs it on
    what the pages make (else a render worker kept ~40 KB a page), and leaves it as it was."""
    freed: list[int] = []  # by the collections that ran while pages were rendered

    def note(phase: str, info: dict) -> None:
        if phase == "stop" and any(frame.name == "render_pages" for frame in traceback.extract_stack()):
            freed.append(info["collected"])

    content = tmp_path / "content"
    write_content(content, initiatives=100, seed=4)  # the pool's first pages render in this process
    gc.callbacks.append(note)
    try:
        run = cli("build", "--content", content, "--out", tmp_path / "out", "--no-cache")
    finally:
        gc.callbacks.remove(note)
    assert run.code == 0, run.err
    assert sum(freed) > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
