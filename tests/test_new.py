"""`new DIR` writes a site that builds with --strict, found from the folder it is run in; a
site is found from its content/site.yaml, and its output and build state stay beside it."""

from __future__ import annotations

import json
import shutil

import pytest

from microsite import __version__
from microsite.check import check_links

from conftest import page


@pytest.fixture
def new_site(cli, tmp_path, monkeypatch):
    """A site written by `new`, with the working folder inside it, as a new team would start."""
    folder = tmp_path / "programme"
    run = cli("new", folder)
    assert run.code == 0
    assert f"build it with: cd {folder} && " in run.out
    monkeypatch.chdir(folder)
    return folder


def test_a_new_site_builds_with_strict_from_its_folder(cli, new_site):
    run = cli("build", "--strict")
    assert run.code == 0, run.err
    assert "0 errors, 0 warnings" in run.out and run.err == ""
    out = new_site / "site"
    assert check_links(out) == []
    home = page(out, "index.html")
    assert home.find(".//h1").text_content().strip() == "Example Programme Zones"
    # the map: the three made-up districts of geo/example-region.geojson, the one with a page linked
    shapes = home.findall(".//svg[@class='district-map']//path")
    assert len(shapes) == 3
    assert "districts/north-quay/" in {a.get("href") for a in home.findall(".//svg[@class='district-map']//a")}
    one_of_each = [
        "districts/north-quay",
        "zones/north-quay-harbour",
        "themes/trade",
        "batches/first",
        "initiatives/harbour-trade-desk",
        "sources/example-announcement",
    ]
    for folder in one_of_each:
        assert page(out, f"{folder}/index.html").find(".//h1") is not None
        assert page(out, f"zh/{folder}/index.html").get("lang") == "zh-Hans"
    data = json.loads((out / "data/site.json").read_text(encoding="utf-8"))
    assert [z["id"] for z in data["zones"]] == ["north-quay-harbour"]
    # the build state lives with the site, not with the generator
    assert list((new_site / ".cache" / "build").glob("state-*.pickle"))


def test_a_site_is_found_from_a_folder_inside_it(cli, new_site, monkeypatch):
    monkeypatch.chdir(new_site / "content" / "districts")
    assert cli("build").code == 0
    assert (new_site / "site" / "index.html").is_file()


def test_site_option_names_the_site_folder(cli, new_site, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("build", "--site", new_site, "--out", tmp_path / "elsewhere").code == 0
    assert (tmp_path / "elsewhere" / "index.html").is_file()
    assert not (new_site / "site").exists()


def test_no_site_found_is_a_usage_error(cli, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli("build")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "no site here: no content/site.yaml in" in err and "`new DIR`" in err
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_a_folder_that_holds_something(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    run = cli("new", tmp_path)
    assert run.code == 2
    assert "already holds something" in run.err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_version(cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli("--version")
    assert exc.value.code == 0
    assert capsys.readouterr().out.split()[-1] == __version__


def test_the_map_file_may_have_any_name_site_yaml_gives_it(cli, new_site):
    geo = new_site / "content" / "geo"
    (geo / "example-region.geojson").rename(geo / "harbour-boundaries.geojson")
    settings = new_site / "content" / "site.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("geo/example-region.geojson", "geo/harbour-boundaries.geojson"),
        encoding="utf-8",
    )
    run = cli("build", "--strict")
    assert run.code == 0, run.err
    home = (new_site / "site" / "index.html").read_text(encoding="utf-8")
    assert 'class="district-map"' in home and "Boundaries: drawn by hand for this example." in home


def test_a_boundaries_file_site_yaml_does_not_name_is_a_warning(cli, new_site):
    geo = new_site / "content" / "geo"
    shutil.copy(geo / "example-region.geojson", geo / "second.geojson")
    run = cli("build")
    assert run.code == 0
    assert (
        "content/geo/second.geojson:1:1: warning: map-file: no map is drawn from this boundaries "
        "file: site.yaml does not name it (name it in site.yaml: 'map: {file: geo/second.geojson}', "
        "or delete it)"
    ) in run.err
    assert cli("build", "--strict").code == 1


def test_a_map_file_that_is_missing_is_a_warning_at_its_name(cli, new_site):
    geo = new_site / "content" / "geo"
    (geo / "example-region.geojson").rename(geo / "renamed.geojson")
    run = cli("build")
    assert run.code == 0
    assert (
        "content/site.yaml:21:9: warning: map-file: the map file 'geo/example-region.geojson' does "
        "not exist, so the site has no map [map.file] (files in geo/: geo/renamed.geojson)"
    ) in run.err
    assert "content/geo/renamed.geojson:1:1: warning: map-file" in run.err
    assert 'class="district-map"' not in (new_site / "site" / "index.html").read_text(encoding="utf-8")
