"""build, check, bundle and serve take one set of site options, and each honours them: a custom
theme (--templates, --static) and --base-url reach the pages of all four."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from microsite.cli import parser

from conftest import FIXTURES, ROOT
from test_serve import Served

BASE = "https://example.org/custom/"
TEMPLATE_MARK = "<!-- custom template -->"
STATIC_MARK = "/* custom static */"


@pytest.fixture
def theme(tmp_path) -> list[str]:
    """A copy of the default theme with a mark in the page template and in the stylesheet; the
    options that name it and a base URL."""
    templates, static = tmp_path / "templates", tmp_path / "static"
    shutil.copytree(ROOT / "templates", templates)
    shutil.copytree(ROOT / "static", static)
    with (templates / "base.html").open("a", encoding="utf-8") as f:
        f.write(TEMPLATE_MARK + "\n")
    with (static / "style.css").open("a", encoding="utf-8") as f:
        f.write(STATIC_MARK + "\n")
    return ["--content", FIXTURES / "site", "--templates", templates, "--static", static, "--base-url", BASE]


def _assert_themed(home: str, stylesheet: str) -> None:
    assert TEMPLATE_MARK in home
    assert f'<link rel="canonical" href="{BASE}' in home
    assert stylesheet.rstrip().endswith(STATIC_MARK)


def _stylesheet(out: Path) -> str:
    (css,) = out.glob("assets/style.*.css")
    return css.read_text(encoding="utf-8")


def test_the_four_commands_share_the_site_options():
    commands = parser()._subparsers._group_actions[0].choices
    shared = {"--site", "--content", "--templates", "--static", "--base-url", "--strict", "--no-cache"}
    for name in ("build", "check", "bundle", "serve"):
        assert shared <= set(commands[name]._option_string_actions), name


def test_build_uses_the_theme_and_base_url(cli, theme, tmp_path):
    out = tmp_path / "out"
    assert cli("build", *theme, "--out", out).code == 0
    _assert_themed((out / "index.html").read_text(encoding="utf-8"), _stylesheet(out))


def test_check_builds_with_the_theme_and_base_url(cli, theme, tmp_path):
    out = tmp_path / "out"
    run = cli("check", *theme, "--out", out, "--skip", "html", "--skip", "a11y", "--skip", "repro")
    assert run.code == 0, run.err
    _assert_themed((out / "index.html").read_text(encoding="utf-8"), _stylesheet(out))


def test_bundle_uses_the_theme_and_base_url(cli, theme, tmp_path):
    assert cli("bundle", *theme, "--dist", tmp_path / "dist").code == 0
    (archive,) = (tmp_path / "dist").glob("*.zip")
    zipfile.ZipFile(archive).extractall(tmp_path / "unzipped")
    (out,) = (tmp_path / "unzipped").iterdir()
    _assert_themed((out / "index.html").read_text(encoding="utf-8"), _stylesheet(out))


def test_serve_uses_the_theme_and_base_url(theme, tmp_path):
    served = Served(tmp_path, args=tuple(theme[2:]))
    try:
        home = served.page("/")[1]
        (css,) = (served.out / "assets").glob("style.*.css")
        _assert_themed(home, served.page(f"/assets/{css.name}")[1])
    finally:
        served.proc.terminate()
        served.proc.wait(timeout=30)
