"""Search in a real browser, on the offline build over file:// and on a hosted build served under a
sub-path: the header box's results, keyboard use, the search page, and no request elsewhere
(the `site` and `tab` fixtures are in conftest.py)."""

from __future__ import annotations

from conftest import LAYOUT_SHIFTS, results, shifted


def test_a_district_name_lists_its_page_first(tab, site):
    tab.goto(site.url(""))
    assert results(tab, "Yangpu")[0] == site.url("districts/yangpu/")
    assert tab.get_attribute("#search-input", "aria-expanded") == "true"
    assert tab.text_content("#search-listbox li mark") == "Yangpu"
    assert tab.text_content("#search-status").endswith("results")


def test_chinese_characters_find_the_chinese_page(tab, site):
    tab.goto(site.url("zh/"))
    assert results(tab, "杨浦")[0] == site.url("zh/districts/yangpu/")
    assert tab.text_content("#search-listbox li mark") == "杨浦"


def test_the_other_languages_name_finds_the_page_too(tab, site):
    tab.goto(site.url(""))
    assert results(tab, "杨浦区")[0] == site.url("districts/yangpu/")


def test_a_word_of_an_initiative_body_finds_it(tab, site):
    tab.goto(site.url("themes/"))
    assert results(tab, "meitu") == [site.url("initiatives/yangpu-online-new-economy/")]  # a prefix


def test_every_word_must_match(tab, site):
    tab.goto(site.url(""))
    assert len(results(tab, "yangpu")) > 1
    assert results(tab, "yangpu meituan") == [site.url("initiatives/yangpu-online-new-economy/")]


def test_clicking_a_result_opens_it(tab, site):
    tab.goto(site.url("districts/"))
    results(tab, "Yangpu")
    with tab.expect_navigation():
        tab.click("#search-listbox li a")
    assert tab.url == site.url("districts/yangpu/")


def test_the_keyboard_alone_opens_a_result(tab, site):
    tab.goto(site.url("zh/"))
    for _ in range(20):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.id") == "search-input":
            break
    tab.keyboard.type("黄浦")
    tab.wait_for_selector("#search-listbox li[role=option]")
    tab.keyboard.press("ArrowDown")
    assert tab.get_attribute("#search-input", "aria-activedescendant") == "search-option-0"
    assert tab.get_attribute("#search-option-0", "aria-selected") == "true"
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert tab.url == site.url("zh/districts/huangpu/")


def test_escape_closes_the_list_and_keeps_the_query(tab, site):
    tab.goto(site.url(""))
    results(tab, "trade")
    tab.keyboard.press("Escape")
    assert tab.is_hidden("#search-listbox")
    assert tab.get_attribute("#search-input", "aria-expanded") == "false"
    assert tab.input_value("#search-input") == "trade"


def test_the_search_page_shows_every_result(tab, site):
    tab.goto(site.url(""))
    results(tab, "trade")
    listed = tab.eval_on_selector_all("#search-listbox li", "ls => ls.length")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")  # no result chosen: the search page
    assert tab.url.startswith(site.url("search/")) and tab.url.endswith("?q=trade")
    tab.wait_for_selector("#search-page-results li")
    shown = tab.eval_on_selector_all("#search-page-results a", "as => as.map(a => a.href)")
    assert len(shown) > listed == 8
    assert all(url.startswith(site.root) for url in shown)
    assert tab.input_value("#search-input") == "trade"
    assert tab.text_content("#search-page-status") == f"{len(shown)} results"


def test_one_wrong_letter_still_finds(tab, site):
    tab.goto(site.url(""))
    assert results(tab, "yanpu")[0] == site.url("districts/yangpu/")  # a letter missing
    assert results(tab, "yangpo")[0] == site.url("districts/yangpu/")  # a letter wrong
    assert tab.text_content("#search-listbox li mark") == "Yangpu"


def test_every_result_shows_a_snippet_with_the_matched_words_marked(tab, site):
    tab.goto(site.url(""))
    results(tab, "meituan")
    snippet = tab.locator("#search-listbox li .search-snippet").first
    assert snippet.locator("mark").first.inner_text().lower() == "meituan"
    results(tab, "yang")
    counts = tab.eval_on_selector_all(
        "#search-listbox li", "ls => ls.map(l => l.querySelectorAll('.search-snippet').length)"
    )
    assert counts and set(counts) == {1}
    # on the search page every result says why it is there, with a marked word in its snippet
    # (where the word lies beyond the text the index keeps, the snippet ends with the term)
    tab.goto(site.url("search/") + "?q=yang")
    tab.wait_for_selector("#search-page-results li")
    marks = tab.eval_on_selector_all(
        "#search-page-results li", "ls => ls.map(l => l.querySelectorAll('.search-snippet mark').length)"
    )
    assert len(marks) > 10 and min(marks) >= 1


def test_suggestions_float_over_the_page_without_moving_it(browser, site):
    tab = browser.new_page(viewport={"width": 390, "height": 800})
    tab.add_init_script(LAYOUT_SHIFTS)
    tab.goto(site.url(""))
    heading = tab.locator("h1").bounding_box()["y"]
    typing = tab.evaluate("performance.now()")  # from here: loading is test_browser_layout's concern
    tab.click("#search-input")
    tab.keyboard.type("trade", delay=20)
    tab.wait_for_selector("#search-listbox li[role=option]")
    tab.wait_for_timeout(200)
    assert shifted(tab, since=typing) == 0
    assert tab.locator("h1").bounding_box()["y"] == heading
    tab.close()


def test_slash_focuses_the_search_box_but_not_while_typing_elsewhere(tab, site):
    tab.goto(site.url("initiatives/"))
    tab.keyboard.press("/")
    assert tab.evaluate("document.activeElement.id") == "search-input"
    assert tab.input_value("#search-input") == ""
    tab.focus("#initiative-filters input[name=q]")
    tab.keyboard.press("/")
    assert tab.input_value("#initiative-filters input[name=q]") == "/"


def test_a_chinese_name_gives_the_same_results_on_both_sites(tab, site):
    found = {}
    for lang in ("", "zh/"):
        tab.goto(site.url(lang + "search/") + "?q=杨浦")
        tab.wait_for_selector("#search-page-results li")
        hrefs = tab.eval_on_selector_all("#search-page-results .search-result-title", "as => as.map(a => a.href)")
        found[lang] = {h[len(site.root) :].removeprefix("zh/") for h in hrefs}
    assert found[""] == found["zh/"] and len(found[""]) > 10


def test_the_suggestions_stay_on_screen_from_phone_to_desktop(browser, real_offline):
    for width in (320, 390, 768, 1366):
        tab = browser.new_page(viewport={"width": width, "height": 800})
        tab.goto((real_offline / "index.html").as_uri())
        results(tab, "trade")
        box = tab.locator("#search-listbox").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, width
        assert tab.evaluate("document.documentElement.scrollWidth") == width
        tab.close()
