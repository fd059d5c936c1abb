"""A new editor's mistakes, in several files at once, come out in one build: a file with a field
error still has its references checked, and no warning comes from a file that failed."""

from __future__ import annotations

from conftest import copy_fixture

NEW_SOURCE = """title: Gamma's plan
publisher: {en: Example News, zh: 示例新闻}
url: https://example.org/gamma
date: 2025-11-01
language: en
"""
NEW_ZONE = """name: {en: Gamma Area, zh: 丙区域}
kind: key-area
district: alpha
batch: second
summary: {en: "A new area in Alpha. [@new-report]", zh: "甲区的新区域。[@new-report]"}
sources: [new-report]
"""
# A field error (a misspelt field), an unknown batch, an unknown theme and a missing source, in one file
# that is the only one to name the new zone and to cite the new source.
NEW_INITIATIVE = """title: {en: Gamma plan, zh: 丙计划}
zones: [gamma-area]
themes: [trade, tourism]
batch: third
dates: 2025-11-01
sources: [new-report, missing-report]
body: {en: "Gamma's plan. [@new-report]", zh: "丙计划。[@new-report]"}
"""


def test_every_mistake_in_one_build_and_no_warning_caused_by_another(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    (content / "sources/new-report.yaml").write_text(NEW_SOURCE, encoding="utf-8")
    (content / "zones/gamma-area.yaml").write_text(NEW_ZONE, encoding="utf-8")
    (content / "initiatives/gamma-plan.yaml").write_text(NEW_INITIATIVE, encoding="utf-8")
    talent = content / "initiatives/beta-talent.yaml"  # the only initiative of the zone beta-area
    talent.write_text(talent.read_text(encoding="utf-8").replace("status: in-effect", "status: done"), encoding="utf-8")

    run = cli("build", "--content", content, "--out", tmp_path / "out")

    assert run.code == 1
    found = [
        line.strip().split(": ", 3)[:3] for line in run.err.splitlines() if ": error: " in line or ": warning: " in line
    ]
    assert sorted(found) == sorted(
        [
            [f"{content}/initiatives/beta-talent.yaml:5:9", "error", "bad-value"],
            [f"{content}/initiatives/gamma-plan.yaml:3:17", "error", "unknown-reference"],
            [f"{content}/initiatives/gamma-plan.yaml:4:8", "error", "unknown-reference"],
            [f"{content}/initiatives/gamma-plan.yaml:5:1", "error", "unknown-field"],
            [f"{content}/initiatives/gamma-plan.yaml:6:23", "error", "unknown-reference"],
        ]
    )
    assert "no theme has the id 'tourism'" in run.err and "no batch has the id 'third'" in run.err
    assert "no source has the id 'missing-report'" in run.err
    assert "5 errors, 0 warnings" in run.err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_file_silences_the_warnings_it_could_answer(cli, tmp_path):
    """A YAML syntax error hides what the file names: while an initiative cannot be read, no
    district or zone is said to have none, and no source to be uncited."""
    content = copy_fixture("site", tmp_path)
    (content / "sources/new-report.yaml").write_text(NEW_SOURCE, encoding="utf-8")
    (content / "zones/gamma-area.yaml").write_text(NEW_ZONE, encoding="utf-8")
    (content / "initiatives/gamma-plan.yaml").write_text(
        NEW_INITIATIVE.replace("title: {", "title: {{"), encoding="utf-8"
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 1
    assert "gamma-plan.yaml:1:9: error: yaml-key" in run.err
    assert "1 error, 0 warnings" in run.err


def test_a_relative_markdown_link_to_a_missing_page_is_a_build_warning(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    beta = content / "districts/beta.yaml"
    beta.write_text(
        beta.read_text(encoding="utf-8").replace(
            '{en: "Beta is the second fixture district. [@gov-2025-10-16]"',
            '{en: "Beta is next to [Gamma](../gamma/) and holds [an area](../../zones/beta-area/). [@gov-2025-10-16]"',
        ),
        encoding="utf-8",
    )
    run = cli("build", "--content", content, "--out", tmp_path / "out")
    assert run.code == 0
    assert (
        f"{content}/districts/beta.yaml:3:39: warning: markdown-link: the link '../gamma/' points to "
        "districts/gamma, which the site does not have [summary.en]"
    ) in run.err
    assert "0 errors, 1 warning" in run.out
    strict = cli("build", "--content", content, "--out", tmp_path / "out", "--strict")
    assert strict.code == 1 and "error: markdown-link" in strict.err
