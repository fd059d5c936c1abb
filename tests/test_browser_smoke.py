"""The browser harness works: a built page opens from disk with its stylesheet applied."""


def test_offline_home_page_has_styles(browser, real_offline):
    page = browser.new_page()
    page.goto((real_offline / "index.html").as_uri())
    assert page.locator("h1").count() == 1
    # the stylesheet's font stack is applied only when the CSS file loaded
    assert "PingFang SC" in page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    page.close()
