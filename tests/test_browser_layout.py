"""What readers see, in a real browser, on the offline build of the real site: every page type in
both languages from a 320 px phone to a 1366 px desktop, the menu, the matrix, the map's labels,
dark mode and print."""

from __future__ import annotations

import pytest

from conftest import LAYOUT_SHIFTS, shifted

# One page of every template, as paths below the language's root ("" is the home page).
PAGES = [
    "",
    "districts/",
    "districts/yangpu/",
    "zones/",
    "zones/yangpu-innovation-zone/",
    "themes/",
    "themes/cross-border-data/",
    "initiatives/",
    "initiatives/yangpu-online-new-economy/",
    "batches/",
    "batches/first/",
    "sources/",
    "sources/china-daily-2019-01-18/",
    "search/",
    "translations/",
    "404.html",
]
WIDTHS = [320, 390, 768, 1366]
HEADER_MAX = 120  # px at 390 px wide
MEASURE_MAX = 40  # em: the widest paragraph of running text at 1366 px

MEASURE = """() => {
  const paragraphs = Array.from(document.querySelectorAll('main p'));
  return {
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
    header: document.querySelector('.site-header').getBoundingClientRect().height,
    widest: Math.max(0, ...paragraphs.map(
      p => p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize))),
  };
}"""


def url(root, lang: str, path: str) -> str:
    where = root / lang if lang else root
    return (where / path if path.endswith(".html") else where / path / "index.html").as_uri()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_the_header_is_short_and_lines_are_readable(browser, real_offline, width):
    tab = browser.new_page(viewport={"width": width, "height": 800})
    problems, headers = [], set()
    for lang in ("", "zh"):
        for path in PAGES:
            tab.goto(url(real_offline, lang, path))
            found = tab.evaluate(MEASURE)
            where = f"{lang}/{path} at {width} px"
            if found["scroll"] > found["width"]:
                problems.append(f"{where}: {found['scroll']} px wide")
            headers.add(round(found["header"]))
            if width == 390 and found["header"] > HEADER_MAX:
                problems.append(f"{where}: header {found['header']} px")
            if width == 1366 and found["widest"] > MEASURE_MAX:
                problems.append(f"{where}: a paragraph {found['widest']:.1f} em wide")
    tab.close()
    assert problems == []
    if width >= 390:  # the same header in both languages (at 320 a long title may take more lines)
        assert max(headers) - min(headers) <= 1, headers


# Layout shift summed over a page's loading. A script that reveals a form above the content, or
# an aside placed before the text it follows on phones, scored 0.04 to 0.16; a slow device
# painting a page before the parser reaches its end can still move a table's columns a little
# (up to 0.018 seen with the CPU slowed 20 times).
SHIFT_MAX = 0.02


@pytest.mark.parametrize("width", [390, 1366])
def test_nothing_moves_while_a_page_loads(browser, real_offline, width):
    moved = {}
    for lang in ("", "zh"):
        for path in PAGES:
            tab = browser.new_page(viewport={"width": width, "height": 800})  # a first visit: nothing cached
            tab.add_init_script(LAYOUT_SHIFTS)
            tab.goto(url(real_offline, lang, path))
            shift = shifted(tab)
            if shift >= SHIFT_MAX:
                moved[f"{lang}/{path}"] = round(shift, 4)
            tab.close()
    assert moved == {}


# Each table's header widths with all its rows, then with its first row only (as a slow device
# may paint it before the parser reaches the others); and the lines each zone's kind takes.
COLUMNS = """ts => ts.map(t => {
  const widths = () => Array.from(t.tHead.rows[0].cells).map(c => Math.round(c.getBoundingClientRect().width));
  const all = widths(), rows = Array.from(t.tBodies[0].rows);
  rows.slice(1).forEach(r => r.remove());
  const first = widths();
  rows.slice(1).forEach(r => t.tBodies[0].append(r));
  return {all, first};
})"""
KIND_LINES = """ts => ts.flatMap(t => Array.from(t.tBodies[0].rows).map(r => {
  const range = document.createRange();
  range.selectNodeContents(r.cells[1]);
  return new Set(Array.from(range.getClientRects()).map(box => Math.round(box.top))).size;
}))"""


@pytest.mark.parametrize("lang", ["", "zh"])
def test_wide_tables_take_their_columns_from_the_header_and_a_kind_stays_whole(browser, real_offline, lang):
    tab = browser.new_page(viewport={"width": 1366, "height": 800})
    for path in ("districts/", "zones/"):
        tab.goto(url(real_offline, lang, path))
        tables = tab.eval_on_selector_all("table.data", COLUMNS)
        assert tables and all(table["all"] == table["first"] for table in tables), (path, tables)
        if path == "zones/":  # one table a batch, the same columns in each
            assert len(tables) >= 2 and all(table["all"] == tables[0]["all"] for table in tables)
    # a phone: a Chinese kind (重点区域) on one line, not a character a line; the box scrolls instead
    tab.set_viewport_size({"width": 390, "height": 800})
    if lang == "zh":
        assert set(tab.eval_on_selector_all("table.zones", KIND_LINES)) == {1}
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.close()


def test_the_menu_folds_on_phones_and_opens_without_javascript(browser, real_offline):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    tab = context.new_page()
    tab.goto(url(real_offline, "", "districts/yangpu/"))
    assert tab.is_hidden(".site-nav a[href*='initiatives']")
    tab.click(".menu > summary")
    assert tab.is_visible(".site-nav a[href*='initiatives']")
    with tab.expect_navigation():
        tab.click(".site-nav a[href*='initiatives']")
    assert tab.url.endswith("/initiatives/index.html")
    tab.set_viewport_size({"width": 1366, "height": 800})  # wide: a bar, no button
    assert tab.is_visible(".site-nav a[href*='themes']") and tab.is_hidden(".menu > summary")
    context.close()


def test_the_matrix_keeps_its_district_column_in_view_and_its_targets_large(browser, real_offline):
    tab = browser.new_page(viewport={"width": 390, "height": 800})
    tab.goto(url(real_offline, "", "initiatives/"))
    first = tab.locator(".matrix tbody th").first
    before = first.bounding_box()["x"]
    tab.eval_on_selector(".matrix-scroll", "box => { box.scrollLeft = 400; }")
    assert tab.eval_on_selector(".matrix-scroll", "box => box.scrollLeft") > 0
    assert first.bounding_box()["x"] == pytest.approx(before, abs=1)
    sizes = tab.eval_on_selector_all(".matrix td a", "as => as.map(a => [a.offsetWidth, a.offsetHeight])")
    assert sizes and min(w for w, _ in sizes) >= 24 and min(h for _, h in sizes) >= 24
    # the caption stays outside the scroll box; empty cells show nothing
    assert tab.is_visible(".matrix-section > .table-caption")
    assert tab.eval_on_selector_all(
        "td.empty",
        """ts => ts.length > 0 && ts.every(t =>
        t.querySelector('.visually-hidden').textContent === t.textContent && t.textContent === 'none')""",
    )
    tab.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_no_two_labels_of_the_home_map_overlap(browser, real_offline, width):
    tab = browser.new_page(viewport={"width": width, "height": 900})
    for lang in ("", "zh"):
        tab.goto(url(real_offline, lang, ""))
        boxes = tab.eval_on_selector_all(
            ".district-map .map-label",
            """ts => ts.map(t => {
            const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
        )
        assert len(boxes) >= 14  # every district of the content
        overlaps = [
            (a, b)
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        ]
        assert overlaps == [], (lang, width)
        assert min(b[3] - b[1] for b in boxes) >= 11  # readable: about 12 px text on a phone
    tab.close()


def test_dark_mode_darkens_the_page_and_keeps_text_light(browser, real_offline):
    def luminance(tab, selector, prop):
        rgb = tab.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")
        r, g, b = (int(x) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255

    for scheme, dark in (("dark", True), ("light", False)):
        context = browser.new_context(color_scheme=scheme)
        tab = context.new_page()
        tab.goto(url(real_offline, "zh", "districts/yangpu/"))
        background, text = luminance(tab, "html", "backgroundColor"), luminance(tab, "main", "color")
        assert (background < 0.2 and text > 0.7) if dark else (background > 0.9 and text < 0.2)
        context.close()


@pytest.mark.parametrize("path", ["initiatives/", "districts/yangpu/", "zh/initiatives/"])
def test_printed_on_a4_no_table_is_wider_than_the_page(browser, real_offline, path):
    # A4 portrait less 14 mm margins each side, at 96 px per inch: about 688 px
    tab = browser.new_page(viewport={"width": 688, "height": 1000})
    tab.emulate_media(media="print")
    tab.goto(url(real_offline, "", path))
    widths = tab.eval_on_selector_all("table", "ts => ts.map(t => t.getBoundingClientRect().right)")
    assert all(right <= 688 for right in widths), widths
    if path.endswith("initiatives/"):  # every theme column is on paper
        assert (
            tab.eval_on_selector_all(".matrix thead th", "ths => ths.filter(th => th.offsetWidth > 0).length")
            == tab.eval_on_selector_all(".matrix thead th", "ths => ths.length")
            > 10
        )
    assert tab.is_hidden(".site-header") and tab.is_hidden("#initiative-filters")
    tab.close()


def test_chinese_titles_are_never_slanted_and_english_ones_are(browser, real_offline):
    tab = browser.new_page()
    tab.goto(url(real_offline, "", "sources/"))
    styles = tab.eval_on_selector_all(
        "cite",
        """cs => cs.map(c => [c.closest('[lang]').lang,
        getComputedStyle(c).fontStyle, getComputedStyle(c, '::before').content])""",
    )
    chinese = [s for s in styles if s[0] == "zh-Hans"]
    english = [s for s in styles if s[0] == "en"]
    assert chinese and english
    assert all(style == "normal" and before == '"《"' for _, style, before in chinese)  # title marks instead
    assert all(style == "italic" for _, style, _ in english)
    tab.close()
