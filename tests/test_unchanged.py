"""A command-line build whose inputs are all as the last successful build found them does not run
(microsite/state.py); any change to an input, an option or the output makes it run again."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from microsite import state
from microsite.pipeline import Options

from conftest import ROOT, copy_fixture
from test_incremental import edit, tree

SKIPPED = "(no input changed)"
CACHE = ROOT / ".cache" / "build"  # the command line, run in the repository: the site found there


@pytest.fixture
def site(tmp_path, cli):
    """A fixture site with one warning, its own templates and static files, built once."""
    content = copy_fixture("site", tmp_path)
    edit(
        content / "initiatives/beta-talent.yaml",
        "title: {en: Talent services in Beta, zh: 乙区人才服务}",
        "title: {en: Talent services in Beta}",
    )
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "static", tmp_path / "static")
    paths = {
        "content": content,
        "templates": tmp_path / "templates",
        "static": tmp_path / "static",
        "out": tmp_path / "out",
    }

    def build(*extra):
        return cli("build", *(a for k, v in paths.items() for a in (f"--{k}", v)), *extra)

    first = build()
    assert first.code == 0 and SKIPPED not in first.out, first.err
    return paths, build, first


def test_a_second_build_with_nothing_changed_does_not_run_and_says_the_same(site):
    paths, build, first = site
    before = tree(paths["out"])
    again = build()
    assert again.code == 0 and SKIPPED in again.out
    assert "missing-translation" in again.err and again.err == first.err  # the warnings, replayed
    assert "52 pages (0 rendered, 52 unchanged)" in again.out
    assert tree(paths["out"]) == before


@pytest.mark.parametrize("change", ["content", "new content file", "template", "static file"])
def test_a_changed_input_makes_the_build_run(change, site):
    paths, build, _ = site
    if change == "content":
        edit(paths["content"] / "districts/beta.yaml", "en: Beta", "en: Beta District")
    elif change == "new content file":
        shutil.copy(paths["content"] / "initiatives/beta-talent.yaml", paths["content"] / "initiatives/beta-two.yaml")
    elif change == "template":
        edit(paths["templates"] / "initiative.html", "<article>", '<article class="x">')
    else:
        edit(paths["static"] / "style.css", "--text: #1b1f24;", "--text: #111111;")
    run = build()
    assert run.code == 0 and SKIPPED not in run.out
    page = (paths["out"] / "districts/beta/index.html").read_text(encoding="utf-8")
    assert {
        "content": "Beta District" in page,
        "new content file": (paths["out"] / "initiatives/beta-two").is_dir(),
        "template": '<article class="x">' in (paths["out"] / "initiatives/beta-talent/index.html").read_text(),
        "static file": any("#111111" in p.read_text() for p in (paths["out"] / "assets").glob("style.*.css")),
    }[change]
    assert SKIPPED in build().out  # and the build after it is skipped again


@pytest.mark.parametrize("option", [["--offline"], ["--base-url", "https://example.org/zones/"], ["--no-cache"]])
def test_other_options_make_the_build_run(option, site):
    _, build, _ = site
    run = build(*option)
    assert run.code == 0 and SKIPPED not in run.out


def test_strict_mode_runs_and_fails_on_the_warning_then_the_last_build_still_holds(site):
    paths, build, first = site
    before = tree(paths["out"])
    strict = build("--strict")
    assert strict.code == 1 and "error: missing-translation" in strict.err
    again = build()
    assert again.code == 0 and SKIPPED in again.out and again.err == first.err
    assert tree(paths["out"]) == before


def test_a_removed_output_file_is_put_back(site):
    paths, build, _ = site
    page = paths["out"] / "themes/talent/index.html"
    data = page.read_bytes()
    page.unlink()
    run = build()
    assert run.code == 0 and SKIPPED not in run.out and page.read_bytes() == data


def test_an_output_folder_another_build_wrote_makes_the_build_run(site, cli):
    paths, build, _ = site
    other = copy_fixture("site", paths["out"].parent / "other")
    edit(other / "districts/beta.yaml", "en: Beta", "en: Elsewhere")
    assert cli("build", "--content", other, "--out", paths["out"], "--no-cache").code == 0
    run = build()
    assert run.code == 0 and SKIPPED not in run.out
    assert "Elsewhere" not in (paths["out"] / "districts/beta/index.html").read_text(encoding="utf-8")


def test_a_symbolic_link_among_the_inputs_always_builds(site):
    paths, build, _ = site
    os.symlink(paths["static"] / "style.css", paths["static"] / "linked.css")
    assert SKIPPED not in build().out
    assert SKIPPED not in build().out


def test_a_change_the_file_times_cannot_show_is_caught_by_content(site, monkeypatch):
    """A write in the same clock tick as the scan before it leaves every time as it was; files
    that recent are compared by their bytes."""
    paths, build, _ = site
    recorded = state.scan_inputs(_options(paths).folders())
    path = paths["content"] / "districts/beta.yaml"
    edit(path, "en: Beta", "en: Bxta")  # same size
    real = state.signature
    monkeypatch.setattr(
        state,
        "signature",
        lambda st: recorded["content/districts/beta.yaml"][:4] if st.st_ino == os.stat(path).st_ino else real(st),
    )
    run = build()
    assert run.code == 0 and SKIPPED not in run.out
    assert "Bxta" in (paths["out"] / "districts/beta/index.html").read_text(encoding="utf-8")


def test_old_files_are_trusted_by_their_times_alone(site, monkeypatch):
    """Past the racy window no file is read to decide; a changed file still shows new times."""
    paths, build, _ = site
    monkeypatch.setattr(state, "FINE_RACY_NS", -(10**18))  # no file is recent enough to be read
    monkeypatch.setattr(state, "COARSE_RACY_NS", -(10**18))
    record = state.state_path(CACHE, paths["out"])
    record.unlink()
    assert SKIPPED not in build().out
    assert SKIPPED in build().out
    assert not any(was[4] for was in state.read_state(record)["inputs"].values())
    edit(paths["content"] / "districts/beta.yaml", "en: Beta", "en: Bxta")
    run = build()
    assert SKIPPED not in run.out
    assert "Bxta" in (paths["out"] / "districts/beta/index.html").read_text(encoding="utf-8")


def _options(paths: dict[str, Path]):
    return Options(content=paths["content"], templates=paths["templates"], static=paths["static"], out=paths["out"])


@pytest.mark.parametrize(
    "damage", ["not a pickle", "wrong shape", "one pickle, as before", "empty", "cut before its end mark"]
)
def test_a_damaged_record_only_means_the_build_runs(damage, site):
    paths, build, _ = site
    record = state.state_path(CACHE, paths["out"])
    whole = record.read_bytes()
    end = pickle.dumps(None, pickle.HIGHEST_PROTOCOL)
    record.write_bytes(
        {
            "not a pickle": b"{",
            "wrong shape": pickle.dumps(("format", 1)) + pickle.dumps(("fingerprint", 3)) + end,
            "one pickle, as before": pickle.dumps({"format": 1, "fingerprint": 3}),
            "empty": b"",
            "cut before its end mark": whole[: -len(end)],
        }[damage]
    )
    run = build()
    assert run.code == 0 and SKIPPED not in run.out
    assert SKIPPED in build().out
