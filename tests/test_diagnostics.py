"""One broken copy of the fixture site per diagnostic: exact file, line and code, every problem
in one run, and an output folder left exactly as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import copy_fixture

# case: (file to write, its new text, expected "file:line: code" of the first diagnostic)
CASES = {
    "yaml-syntax": (
        "districts/alpha.yaml",
        "name: {en: Alpha\ncode: '310110'\n",
        "districts/alpha.yaml:2:5: error: yaml-syntax",
    ),
    "tab": ("districts/alpha.yaml", "name: Alpha\ncode:\n\t- x\n", "districts/alpha.yaml:3:1: error: yaml-syntax"),
    "duplicate-key": (
        "districts/alpha.yaml",
        "name: {en: Alpha, zh: 甲区}\ncode: '310110'\ncode: '310111'\n",
        "districts/alpha.yaml:3:1: error: duplicate-key",
    ),
    "missing-field": (
        "districts/alpha.yaml",
        "name: {en: Alpha, zh: 甲区}\ncode: '310110'\nsources: [news-2024-01-02]\n",
        "districts/alpha.yaml:1:1: error: missing-field",
    ),
    "wrong-type": (
        "zones/alpha-bonded.yaml",
        (
            "name: {en: A, zh: 甲}\nkind: innovation-zone\ndistrict: alpha\nbatch: first\n"
            "area_km2: big\nsummary: {en: s, zh: s}\nsources: [news-2024-01-02]\n"
        ),
        "zones/alpha-bonded.yaml:5:11: error: wrong-type",
    ),
    "unknown-field": (
        "themes/talent.yaml",
        "name: {en: T, zh: 人}\nsumary: {en: s, zh: s}\nsummary: {en: s, zh: s}\norder: 3\n",
        "themes/talent.yaml:2:1: error: unknown-field",
    ),
    "unknown-reference": (
        "zones/alpha-bonded.yaml",
        (
            "name: {en: A, zh: 甲}\nkind: innovation-zone\ndistrict: alpah\nbatch: first\n"
            "summary: {en: s, zh: s}\nsources: [news-2024-01-02]\n"
        ),
        "zones/alpha-bonded.yaml:3:11: error: unknown-reference",
    ),
    "unknown-theme": (
        "initiatives/beta-talent.yaml",
        (
            "title: {en: T, zh: 人}\nzones: [beta-area]\nthemes: [talents]\n"
            "sources: [gov-2025-10-16]\nbody: {en: b, zh: b}\nstatus: announced\n"
        ),
        "initiatives/beta-talent.yaml:3:10: error: unknown-reference",
    ),
    "duplicate-id": (
        "districts/alpha.yml",
        "name: {en: A2, zh: 甲2}\ncode: '1'\nsummary: s\nsources: [news-2024-01-02]\n",
        "districts/alpha.yml: error: duplicate-id",
    ),
    "bad-id": (
        "districts/Alpha_2.yaml",
        "name: {en: A2, zh: 甲2}\ncode: '1'\nsummary: {en: s, zh: s}\nsources: [news-2024-01-02]\n",
        "districts/Alpha_2.yaml: error: bad-id",
    ),
    "empty-body": (
        "initiatives/beta-talent.yaml",
        (
            "title: {en: T, zh: 人}\nzones: [beta-area]\nthemes: [talent]\nstatus: announced\n"
            "sources: [gov-2025-10-16]\nbody: {en: '  ', zh: b}\n"
        ),
        "initiatives/beta-talent.yaml:6:12: error: empty-body",
    ),
    "no-district-or-zone": (
        "initiatives/beta-talent.yaml",
        (
            "title: {en: T, zh: 人}\nthemes: [talent]\nstatus: announced\n"
            "sources: [gov-2025-10-16]\nbody: {en: b, zh: b}\n"
        ),
        "initiatives/beta-talent.yaml:1:1: error: missing-field",
    ),
    "unsafe-link": (
        "initiatives/beta-talent.yaml",
        (
            "title: {en: T, zh: 人}\nzones: [beta-area]\nthemes: [talent]\nstatus: announced\n"
            "sources: [gov-2025-10-16]\nbody:\n  en: '[x](javascript:alert(1))'\n  zh: b\n"
        ),
        "initiatives/beta-talent.yaml:7:7: error: unsafe-link",
    ),
    "id-mismatch": (
        "themes/talent.yaml",
        "id: talents\nname: {en: T, zh: 人}\nsummary: {en: s, zh: s}\norder: 3\n",
        "themes/talent.yaml:1:5: error: id-mismatch",
    ),
    "bad-date": (
        "batches/first.yaml",
        (
            "name: {en: F, zh: 一}\nannounced: 2024-02-30\norder: 1\n"
            "summary: {en: s, zh: s}\nsources: [news-2024-01-02]\n"
        ),
        "batches/first.yaml:2:12: error: bad-date",
    ),
}


def tree_hash(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous_build(cli, tmp_path):
    """An output folder holding a good earlier build."""
    out = tmp_path / "out"
    assert cli("build", "--content", copy_fixture("site", tmp_path / "good"), "--out", out).code == 0
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_fixture_reports_its_place_and_leaves_output(case, cli, tmp_path, previous_build):
    name, text, expected = CASES[case]
    content = copy_fixture("site", tmp_path / "broken")
    (content / name).write_text(text, encoding="utf-8")
    before = tree_hash(previous_build)
    run = cli("build", "--content", content, "--out", previous_build)
    assert run.code == 1
    assert expected in run.err, run.err
    assert "Traceback" not in run.err + run.out
    assert tree_hash(previous_build) == before


def test_every_problem_is_reported_in_one_run(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "broken")
    for case in ("wrong-type", "unknown-field", "unknown-theme", "bad-date"):
        name, text, _ = CASES[case]
        (content / name).write_text(text, encoding="utf-8")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 1
    for case in ("wrong-type", "unknown-field", "unknown-theme", "bad-date"):
        assert CASES[case][2] in run.err
    assert not (tmp_path / "out").exists()


def test_unknown_reference_suggests_the_closest_id(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "broken")
    name, text, _ = CASES["unknown-reference"]
    (content / name).write_text(text, encoding="utf-8")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert "no district has the id 'alpah'" in run.err
    assert "did you mean 'alpha'?" in run.err


def test_reference_to_the_wrong_kind_says_so(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "broken")
    (content / "initiatives/beta-talent.yaml").write_text(
        "title: {en: T, zh: 人}\ndistricts: [beta-area]\nthemes: [talent]\nstatus: announced\n"
        "sources: [gov-2025-10-16]\nbody: {en: b, zh: b}\n",
        encoding="utf-8",
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert "'beta-area' is a zone, not a district" in run.err


def test_missing_translation_is_a_warning_and_an_error_under_strict(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "partial")
    (content / "themes/talent.yaml").write_text(
        "name: {en: Talent services}\nsummary: {en: s, zh: s}\norder: 3\n", encoding="utf-8"
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 0
    assert "themes/talent.yaml:1:7: warning: missing-translation: no zh text [name]" in run.err
    translations = (tmp_path / "out/translations/index.html").read_text(encoding="utf-8")
    assert "themes/talent.yaml:1" in translations
    zh = (tmp_path / "out/zh/themes/talent/index.html").read_text(encoding="utf-8")
    assert 'lang="en" class="untranslated">Talent services' in zh and "（仅有英文）" in zh
    strict = cli("build", "--content", content, "--out", tmp_path / "out2", "--strict")
    assert strict.code == 1
    assert "themes/talent.yaml:1:7: error: missing-translation" in strict.err


def test_severity_can_be_set_per_code_in_site_settings(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "partial")
    (content / "themes/talent.yaml").write_text(
        "name: {en: Talent services}\nsummary: {en: s, zh: s}\norder: 3\n", encoding="utf-8"
    )
    with (content / "site.yaml").open("a", encoding="utf-8") as f:
        f.write("strict: true\nseverity: {missing-translation: ignore}\n")
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 0 and "missing-translation" not in run.err


def test_report_and_github_format(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "broken")
    name, text, _ = CASES["unknown-field"]
    (content / name).write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    run = cli("build", "--content", content, "--out", tmp_path / "out", "--report", report, "--format", "github")
    assert run.code == 1
    assert "::error file=" in run.err and ",line=2,col=1,title=unknown-field::unknown field 'sumary'" in run.err
    data = json.loads(report.read_text(encoding="utf-8"))
    first = data["diagnostics"][0]
    assert (first["line"], first["column"], first["code"]) == (2, 1, "unknown-field")
    assert data["summary"]["errors"] == 1


def test_refuses_to_write_into_the_content_folder(cli, tmp_path):
    content = copy_fixture("site", tmp_path / "c")
    run = cli("build", "--content", content, "--out", content)
    assert run.code == 1 and "refusing to write" in run.err


def test_refuses_a_non_empty_folder_that_is_not_a_build(cli, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    run = cli("build", "--content", copy_fixture("site", tmp_path / "c"), "--out", out)
    assert run.code == 1 and "no .microsite-build" in run.err
    assert (out / "thesis.txt").read_text() == "keep me"


def test_schema_command_writes_a_schema_per_kind(cli, tmp_path):
    import jsonschema
    import yaml

    run = cli("schema", "--out", tmp_path)
    assert run.code == 0
    names = sorted(p.name for p in tmp_path.glob("*.schema.json"))
    assert names == [
        "batch.schema.json",
        "district.schema.json",
        "initiative.schema.json",
        "site.schema.json",
        "source.schema.json",
        "theme.schema.json",
        "zone.schema.json",
    ]
    schema = json.loads((tmp_path / "zone.schema.json").read_text())
    good = yaml.safe_load((copy_fixture("site", tmp_path / "c") / "zones/alpha-zone.yaml").read_text())
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "kindd": "x"}, schema)
