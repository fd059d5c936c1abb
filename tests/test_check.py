"""`python build.py check`: each check can fail, names the page and the problem, and the real
site passes them all. The outside checkers come from tools/install-checkers.sh."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema

from microsite import validators
from microsite.check import compare_folders
from microsite.validators import check_accessibility, sample_pages, validate_html

from conftest import FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
ONLY_LINKS = ["--skip", "html", "--skip", "a11y", "--skip", "repro"]


def read_report(path: Path) -> dict:
    report = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    return report


def problems(report: dict, check: str) -> list[dict]:
    return next(c for c in report["checks"] if c["name"] == check)["problems"]


def html_page(body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>t</title>\n'
        f"{head}</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def test_a_broken_relative_link_fails_the_check_and_names_the_page(cli, tmp_path):
    report = tmp_path / "report.json"
    run = cli(
        "check",
        "--content",
        FIXTURES / "check-broken-link",
        "--out",
        tmp_path / "site",
        "--report",
        report,
        *ONLY_LINKS,
    )
    assert run.code == 1
    assert "districts/alpha/index.html" in run.err and "'../gamma/'" in run.err
    assert "links 1" in run.out
    found = read_report(report)
    [problem] = problems(found, "links")
    assert (problem["page"], problem["code"]) == ("districts/alpha/index.html", "broken-link")
    assert problems(found, "offline")[0]["page"] == "districts/alpha/index.html"
    assert [c["status"] for c in found["checks"]] == ["failed", "skipped", "skipped", "skipped", "failed"]


def test_a_missing_anchor_is_a_github_annotation_on_the_page(cli, tmp_path):
    run = cli(
        "check",
        "--content",
        FIXTURES / "check-missing-anchor",
        "--out",
        tmp_path / "site",
        "--format",
        "github",
        *ONLY_LINKS,
    )
    assert run.code == 1
    [annotation] = [line for line in run.err.splitlines() if "title=missing-anchor" in line]
    assert annotation.startswith("::error file=")
    assert "districts/alpha/index.html,line=" in annotation
    assert annotation.endswith("::'../beta/#nope': districts/beta/index.html has no id 'nope'")


def test_a_build_error_stops_the_check_with_the_build_diagnostics(cli, tmp_path):
    report = tmp_path / "report.json"
    run = cli(
        "check",
        "--content",
        ROOT / "tests" / "broken" / "file-no-settings" / "content",
        "--out",
        tmp_path / "site",
        "--report",
        report,
    )
    assert run.code == 1
    assert "nothing was checked" in run.err
    found = read_report(report)
    assert found["summary"]["errors"] >= 1 and found["checks"] == []


def test_the_nu_checker_names_the_invalid_page_and_line(tmp_path):
    (tmp_path / "good.html").write_text(html_page("<p>fine</p>"), encoding="utf-8")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "index.html").write_text(html_page('<span aria-label="zero">0</span>'), encoding="utf-8")
    [problem] = validate_html(tmp_path)
    assert (problem.page, problem.line, problem.code) == ("bad/index.html", 9, "html-error")
    assert "aria-label" in problem.message


def test_axe_names_the_page_with_text_below_the_contrast_ratio(tmp_path):
    (tmp_path / "low.css").write_text("p { color: #bbb; background: #fff; }", encoding="utf-8")
    link = '<link rel="stylesheet" href="low.css">\n'
    (tmp_path / "grey.html").write_text(html_page("<p>faint</p>", link), encoding="utf-8")
    (tmp_path / "plain.html").write_text(html_page("<p>plain</p>"), encoding="utf-8")
    found = check_accessibility(tmp_path, ["grey.html", "plain.html"])
    assert [(p.page, p.code) for p in found] == [("grey.html", "color-contrast")] * 2  # one per scheme
    for problem, scheme in zip(found, ("dark", "light"), strict=True):  # sorted
        assert "`p`" in problem.message and f"(serious, {scheme} mode)" in problem.message


def copy_of(folder: str, dest: Path, name: str, old: str, new: str) -> Path:
    """A copy of templates/ or static/ with one file edited."""
    target = dest / folder
    shutil.copytree(ROOT / folder, target)
    text = (target / name).read_text(encoding="utf-8")
    assert old in text
    (target / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


ONLY = {
    "html": ["--skip", "a11y", "--skip", "repro", "--skip", "offline"],
    "a11y": ["--skip", "html", "--skip", "repro", "--skip", "offline"],
}


def test_check_fails_on_a_template_that_writes_invalid_html(cli, tmp_path):
    templates = copy_of(
        "templates", tmp_path, "source.html", "{% block main %}", '{% block main %}<span aria-label="x">x</span>'
    )
    run = cli(
        "check",
        "--content",
        FIXTURES / "site",
        "--out",
        tmp_path / "site",
        "--templates",
        templates,
        "--report",
        tmp_path / "r.json",
        *ONLY["html"],
    )
    assert run.code == 1 and "1 check failed" in run.out
    found = problems(read_report(tmp_path / "r.json"), "html")
    assert {p["page"] for p in found} == {
        "sources/gov-2025-10-16/index.html",
        "sources/news-2024-01-02/index.html",
        "zh/sources/gov-2025-10-16/index.html",
        "zh/sources/news-2024-01-02/index.html",
    }
    assert all(p["code"] == "html-error" and "aria-label" in p["message"] and p["line"] > 0 for p in found)
    assert "sources/news-2024-01-02/index.html:" in run.err


def test_check_fails_on_a_stylesheet_below_the_contrast_ratio(cli, tmp_path):
    static = copy_of("static", tmp_path, "style.css", "--text: #1b1f24;", "--text: #c0c0c0;")
    run = cli(
        "check",
        "--content",
        FIXTURES / "site",
        "--out",
        tmp_path / "site",
        "--static",
        static,
        "--report",
        tmp_path / "r.json",
        *ONLY["a11y"],
    )
    assert run.code == 1 and "1 check failed" in run.out
    found = problems(read_report(tmp_path / "r.json"), "a11y")
    assert found and {p["code"] for p in found} == {"color-contrast"}
    assert "index.html" in {p["page"] for p in found}
    assert "color-contrast" in run.err


def test_a_page_nothing_links_to_is_a_warning_and_an_error_under_strict(cli, tmp_path):
    templates = copy_of(
        "templates",
        tmp_path,
        "sources.html",
        """<a href="{{ url('translations') }}">{{ t("translations.link") }}</a>""",
        """{{ t("translations.link") }}""",
    )  # the only link to the report
    args = ["check", "--content", FIXTURES / "site", "--templates", templates, *ONLY_LINKS, "--skip", "offline"]
    run = cli(*args, "--out", tmp_path / "site", "--report", tmp_path / "r.json")
    assert run.code == 0 and "all checks passed" in run.out
    orphans = [d for d in read_report(tmp_path / "r.json")["diagnostics"] if d["code"] == "orphan-page"]
    assert [(d["file"].rsplit("site/", 1)[1], d["severity"]) for d in orphans] == [
        ("translations/index.html", "warning"),
        ("zh/translations/index.html", "warning"),
    ]
    assert "translations/index.html: warning: orphan-page" in run.err
    strict = cli(*args, "--out", tmp_path / "strict", "--strict")
    assert strict.code == 1 and "error: orphan-page" in strict.err


def test_two_builds_that_differ_are_named_at_the_first_differing_line(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, stamp in ((first, "1"), (second, "2")):
        (folder / "x").mkdir(parents=True)
        (folder / "x" / "index.html").write_text(f"same\nbuilt {stamp}\n", encoding="utf-8")
        (folder / "same.txt").write_text("same", encoding="utf-8")
    (first / "only-here.txt").write_text("", encoding="utf-8")
    assert [(p.page, p.line) for p in compare_folders(first, second)] == [("only-here.txt", 0), ("x/index.html", 2)]


def test_a_missing_checker_says_which_command_installs_it(tmp_path, monkeypatch):
    monkeypatch.setattr(validators, "VNU_JAR", tmp_path / "none.jar")
    monkeypatch.setattr(validators, "AXE_JS", tmp_path / "none.js")
    [html] = validate_html(tmp_path)
    [a11y] = check_accessibility(tmp_path, [])
    for problem in (html, a11y):
        assert problem.code == "missing-tool" and "sh tools/install-checkers.sh" in problem.message


def test_the_accessibility_sample_covers_every_template_kind_in_both_languages(real_site):
    sample = sample_pages(real_site)
    assert sample == sorted(set(sample))
    for lang in ("", "zh/"):
        for page in (
            "index.html",
            "404.html",
            "search/index.html",
            "translations/index.html",
            "batches/index.html",
            "districts/index.html",
            "zones/index.html",
            "initiatives/index.html",
            "themes/index.html",
            "sources/index.html",
        ):
            if (real_site / lang / page).exists():
                assert lang + page in sample
        for kind in ("batches", "districts", "zones", "initiatives", "themes", "sources"):
            assert any(p.startswith(f"{lang}{kind}/") and p.count("/") == len(lang) // 3 + 2 for p in sample), (
                lang,
                kind,
            )


def test_the_real_site_passes_every_check(cli, tmp_path):
    report = tmp_path / "report.json"
    run = cli("check", "--out", tmp_path / "site", "--report", report)
    found = read_report(report)
    failed = {c["name"]: c["problems"][:3] for c in found["checks"] if c["status"] != "passed"}
    assert failed == {}, run.err[-3000:]
    assert run.code == 0 and "all checks passed" in run.out
