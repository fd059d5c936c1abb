"""Filters on the initiative index and the district map, in a real browser, in both targets
(the `site` and `tab` fixtures are in conftest.py)."""

from __future__ import annotations

import json


def initiatives_by(real_site, field: str, value: str) -> set[str]:
    """Ids of the real content's initiatives whose `field` lists `value` (from the JSON export)."""
    records = json.loads((real_site / "data" / "initiatives.json").read_text(encoding="utf-8"))
    return {r["id"] for r in records if value in [x["id"] for x in r[field]]}


def shown(tab) -> set[str]:
    """Ids of the initiatives the index lists now."""
    hrefs = tab.eval_on_selector_all(
        "li[data-themes]:not([hidden]) a",
        "as => as.filter(a => a.offsetParent !== null).map(a => a.getAttribute('href'))",
    )
    return {h.rstrip("/").removesuffix("/index.html").rsplit("/", 1)[-1] for h in hrefs}


def test_a_theme_filter_shows_exactly_that_themes_initiatives(tab, site, real_site):
    tab.goto(site.url("initiatives/"))
    everything = shown(tab)
    assert len(everything) == len(json.loads((real_site / "data/initiatives.json").read_text("utf-8")))
    tab.select_option("#initiative-filters select[name=theme]", "talent-services")
    expected = initiatives_by(real_site, "themes", "talent-services")
    assert shown(tab) == expected and 0 < len(expected) < len(everything)
    assert tab.text_content("#initiative-filters [role=status]") == f"{len(expected)} initiatives"


def test_filters_combine_and_the_address_carries_them(tab, site, real_site):
    tab.goto(site.url("initiatives/"))
    tab.select_option("select[name=district]", "yangpu")
    tab.select_option("select[name=theme]", "cross-border-data")
    expected = initiatives_by(real_site, "districts", "yangpu") & initiatives_by(
        real_site, "themes", "cross-border-data"
    )
    assert shown(tab) == expected and expected
    assert tab.url.endswith("?district=yangpu&theme=cross-border-data")
    tab.fill("#initiative-filters input[name=q]", "zzzz-no-such-word")
    assert shown(tab) == set()
    assert tab.text_content("#initiative-filters [role=status]") == "0 initiatives"


def test_a_shared_filter_address_opens_filtered_and_back_undoes_it(tab, site, real_site):
    tab.goto(site.url("initiatives/") + "?zone=yangpu-innovation-zone")
    assert tab.input_value("select[name=zone]") == "yangpu-innovation-zone"
    assert shown(tab) == initiatives_by(real_site, "zones", "yangpu-innovation-zone")
    tab.select_option("select[name=batch]", "second")
    assert shown(tab) == set()
    tab.go_back()
    tab.wait_for_function("document.querySelector('select[name=batch]').value === ''")
    assert shown(tab) == initiatives_by(real_site, "zones", "yangpu-innovation-zone")


def test_without_javascript_the_full_lists_show_and_the_form_stays_hidden(browser, real_offline):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto((real_offline / "initiatives" / "index.html").as_uri() + "?theme=talent-services")
    assert tab.is_hidden("#initiative-filters")
    visible = tab.eval_on_selector_all("li[data-themes]", "ls => ls.filter(l => l.offsetParent).length")
    assert visible == tab.eval_on_selector_all("li[data-themes]", "ls => ls.length") > 0
    context.close()


def test_each_linked_district_on_the_map_opens_its_page(tab, site):
    tab.goto(site.url(""))
    links = tab.eval_on_selector_all(
        ".district-map a.district-link", "as => as.map(a => [a.getAttribute('href'), a.getAttribute('aria-label')])"
    )
    assert len(links) >= 14  # the districts of both batches
    for i, (href, name) in enumerate(links):
        tab.goto(site.url(""))
        with tab.expect_navigation():
            tab.locator(".district-map a.district-link").nth(i).click()
        assert tab.url == site.url(href.removesuffix("index.html"))
        assert tab.locator("h1").inner_text().startswith(name)


def test_the_map_s_districts_take_keyboard_focus(tab, site):
    tab.goto(site.url(""))
    first = tab.locator(".district-map a.district-link").first
    first.focus()
    assert tab.evaluate("document.activeElement.classList.contains('district-link')")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert "/districts/" in tab.url


def matrix(tab) -> dict[tuple[str, str], int]:
    """(district, theme) -> the number the matrix shows now, for the cells on view."""
    cells = tab.eval_on_selector_all(
        "table.matrix tbody tr:not([hidden]) td[data-theme]:not([hidden]) a:not([hidden])",
        "as => as.map(a => [a.closest('tr').dataset.district, "
        "a.closest('td').dataset.theme, a.querySelector('.n').textContent])",
    )
    return {(d, t): int(n) for d, t, n in cells}


def test_the_filters_recount_the_matrix(tab, site, real_site):
    tab.goto(site.url("initiatives/"))
    everything = matrix(tab)
    assert sum(everything.values()) > 0
    tab.select_option("#initiative-filters select[name=theme]", "talent-services")
    only = matrix(tab)
    expected = initiatives_by(real_site, "themes", "talent-services")
    records = json.loads((real_site / "data" / "initiatives.json").read_text(encoding="utf-8"))
    per_district = {}
    for r in records:
        if r["id"] in expected:
            for d in r["districts"]:
                per_district[d["id"]] = per_district.get(d["id"], 0) + 1
    assert only == {(d, "talent-services"): n for d, n in per_district.items()}
    # the other themes' columns and the districts without such an initiative are hidden
    assert tab.eval_on_selector_all("table.matrix thead th[data-theme]:not([hidden])", "ths => ths.length") == 1
    assert tab.eval_on_selector_all("table.matrix tbody tr:not([hidden])", "trs => trs.length") == len(per_district)
    tab.select_option("#initiative-filters select[name=theme]", "")
    assert matrix(tab) == everything
