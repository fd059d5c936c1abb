"""`python build.py bundle`: a reproducible zip of the offline site whose every link works."""

from __future__ import annotations

import zipfile

from microsite.check import check_links

from conftest import FIXTURES, copy_fixture

ZIP = "fixture-zones-offline.zip"  # the fixture's `name`, then -offline


def test_two_bundles_are_byte_identical_and_every_link_resolves(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = cli("bundle", "--content", FIXTURES / "site", "--dist", tmp_path / "a")
    second = cli("bundle", "--content", FIXTURES / "site", "--dist", tmp_path / "b")
    assert first.code == second.code == 0
    assert str(tmp_path / "a" / ZIP) in first.out and "bytes" in first.out
    data = (tmp_path / "a" / ZIP).read_bytes()
    assert data == (tmp_path / "b" / ZIP).read_bytes()
    with zipfile.ZipFile(tmp_path / "a" / ZIP) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert all(n.startswith("fixture-zones-offline/") for n in names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and i.external_attr >> 16 == 0o100644 for i in infos)
        assert not any(n.endswith(".microsite-build") for n in names)  # build bookkeeping
        archive.extractall(tmp_path / "unzipped")
    out = tmp_path / "unzipped" / "fixture-zones-offline"
    assert (out / "index.html").is_file() and (out / "zh" / "index.html").is_file()
    assert check_links(out, offline=True) == []


def test_source_date_epoch_sets_the_timestamps(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1723680000")  # 2024-08-15 00:00:00 UTC
    assert cli("bundle", "--content", FIXTURES / "site", "--dist", tmp_path).code == 0
    with zipfile.ZipFile(tmp_path / ZIP) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2024, 8, 15, 0, 0, 0)}


def test_a_broken_build_writes_no_zip(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives" / "beta-talent.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("themes: [talent]", "themes: [talnet]"), encoding="utf-8")
    result = cli("bundle", "--content", content, "--dist", tmp_path / "dist")
    assert result.code == 1
    assert "beta-talent.yaml" in result.err and "talnet" in result.err
    assert not (tmp_path / "dist").exists()
