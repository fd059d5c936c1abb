"""The language switcher, in a real browser: on any page it opens the same item in the other
language, in the hosted build (under a sub-path) and in the offline build (from disk)."""

from __future__ import annotations

import pytest

from conftest import ROOT

PAGES = ["districts/yangpu/", "zones/yangpu-innovation-zone/", "themes/cross-border-data/", "initiatives/", "sources/"]


def switch_and_back(browser, url: str) -> tuple[str, str, str]:
    page = browser.new_page()
    page.goto(url)
    english_h1 = page.locator("h1").inner_text()
    page.locator(".languages a[hreflang='zh-Hans']").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    chinese_h1 = page.locator("h1").inner_text()
    page.locator(".languages a[hreflang='en']").click()
    page.wait_for_load_state()
    back = page.url
    page.close()
    return english_h1, chinese_h1, back


@pytest.mark.parametrize("path", PAGES)
def test_switcher_offline(browser, real_offline, path):
    url = (real_offline / path / "index.html").as_uri()
    english, chinese, back = switch_and_back(browser, url)
    assert back == url
    if path == "districts/yangpu/":
        assert english.startswith("Yangpu") and chinese.startswith("杨浦区")


@pytest.fixture(scope="module")
def hosted(cli_module, serve_under, tmp_path_factory):
    out = tmp_path_factory.mktemp("hosted-languages") / "site"
    assert (
        cli_module("build", "--content", ROOT / "content", "--out", out, "--base-url", "https://example.org/sub/path/")
        == 0
    )
    return serve_under(out, "/sub/path/")


@pytest.fixture(scope="module")
def cli_module():
    from microsite.cli import main

    return lambda *args: main([str(a) for a in args])


@pytest.mark.parametrize("path", PAGES)
def test_switcher_hosted(browser, hosted, path):
    english, chinese, back = switch_and_back(browser, hosted + path)
    assert back == hosted + path
    assert chinese and chinese != english
