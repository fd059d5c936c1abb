"""The build state (state.py): a rebuild equals a clean build, byte for byte, whatever was edited,
however far from a page the values its templates read lie; and nothing is reused that the state
cannot vouch for (another library version, a damaged output, --no-cache)."""

from __future__ import annotations

import itertools
import pickle
import re
import shutil
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from microsite import load, markup, state
from microsite.devbuild import DevBuild
from microsite.pipeline import Options, build

from conftest import ROOT, copy_fixture, rewrite
from test_incremental import edit, tree

# Custom templates that read values two and three references away from their page: an initiative
# page lists the initiatives of each of its themes with the names of their zones' districts; a
# source page lists the dates of the initiatives citing it.
THEME_MATES = (
    '<section id="theme-mates">{% for t in item.themes %}{% for i in t.initiatives %}'
    "<p>{{ loc(i.title) }}:{% for z in i.zones %} {{ loc(z.district.name) }}{% endfor %}</p>"
    "{% endfor %}{% endfor %}</section>\n</article>"
)
CITING_DATES = (
    "{% for c in item.cited_by %}{% if c.date is defined and c.date %}"
    '<p class="citing-date">{{ h.date(c.date) }}</p>{% endif %}{% endfor %}\n{% endblock %}'
)
TEXTS = ["Alpha One", "Beta Two", "Zed", "甲一", "乙二"]
EDITS = [
    "title",
    "district name",
    "theme name",
    "zone district",
    "source date",
    "initiative date",
    "themes",
    "add",
    "remove",
    "rename",
    "template",
    "catalogue",
    "static",
    "settings",
    "base url",
]


def custom_site(root: Path) -> tuple[Path, Path, Path]:
    content = copy_fixture("site", root)
    templates, static = root / "templates", root / "static"
    shutil.copytree(ROOT / "templates", templates)
    shutil.copytree(ROOT / "static", static)
    edit(templates / "initiative.html", "</article>", THEME_MATES)
    head, _, tail = (templates / "source.html").read_text(encoding="utf-8").rpartition("{% endblock %}")
    (templates / "source.html").write_text(head + CITING_DATES + tail, encoding="utf-8")
    return content, templates, static


def files(content: Path, kind: str) -> list[Path]:
    return sorted((content / kind).glob("*.yaml"))


def apply(edit_kind: str, n: int, lang: str, text: str, content: Path, templates: Path, static: Path) -> None:
    """One edit of the site, as an editor would make it (always valid content)."""
    initiatives, pick = files(content, "initiatives"), lambda xs: xs[n % len(xs)]
    if edit_kind == "title":
        rewrite(pick(initiatives), lambda d: d["title"].__setitem__(lang, text))
    elif edit_kind == "district name":
        rewrite(pick(files(content, "districts")), lambda d: d["name"].__setitem__(lang, text))
    elif edit_kind == "theme name":
        rewrite(pick(files(content, "themes")), lambda d: d["name"].__setitem__(lang, text))
    elif edit_kind == "zone district":
        rewrite(pick(files(content, "zones")), lambda d: d.__setitem__("district", ["alpha", "beta"][n % 2]))
    elif edit_kind == "source date":
        rewrite(pick(files(content, "sources")), lambda d: d.__setitem__("date", f"2024-0{n % 9 + 1}-1{n % 9}"))
    elif edit_kind == "initiative date":
        rewrite(pick(initiatives), lambda d: d.__setitem__("date", f"2025-0{n % 9 + 1}-0{n % 9 + 1}"))
    elif edit_kind == "themes":
        themes = [p.stem for p in files(content, "themes")]
        rewrite(pick(initiatives), lambda d: d.__setitem__("themes", themes[: n % len(themes) + 1]))
    elif edit_kind == "add":  # from another initiative: an earlier edit may have added this one
        added = content / f"initiatives/added-{n}.yaml"
        shutil.copy(pick([p for p in initiatives if p != added]), added)
    elif edit_kind == "remove" and len(initiatives) > 2:
        pick(_linkless(initiatives)).unlink()
    elif edit_kind == "rename":
        path = pick(_linkless(initiatives))
        path.rename(path.with_name(f"renamed-{n}.yaml"))
    elif edit_kind == "template":
        page = templates / "initiative.html"
        page.write_text(
            re.sub(
                r'<section id="theme-mates"[^>]*>',
                f'<section id="theme-mates" class="t{n}">',
                page.read_text(encoding="utf-8"),
            ),
            encoding="utf-8",
        )
    elif edit_kind == "catalogue":
        rewrite(templates / "locales/en.yaml", lambda d: d.__setitem__("nav.home", text))
    elif edit_kind == "static":
        (static / "extra.css").write_text(f"/* {n} */\n", encoding="utf-8")
    elif edit_kind == "settings":
        rewrite(content / "site.yaml", lambda d: d["title"].__setitem__(lang, text))
    elif edit_kind == "base url":
        rewrite(
            content / "site.yaml",
            lambda d: d.__setitem__("base_url", f"https://example.org/{n % 3}/") if n % 3 else d.pop("base_url", None),
        )


def _linkless(initiatives: list[Path]) -> list[Path]:
    """The initiatives no Markdown body links to (removing one that is linked is an error);
    alpha-trade-platform is linked and never removed, so others remain while "remove" runs."""
    return [p for p in initiatives if p.stem != "alpha-trade-platform"]


_runs = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(EDITS), st.integers(0, 20), st.sampled_from(["en", "zh"]), st.sampled_from(TEXTS)),
        min_size=1,
        max_size=6,
    )
)
# The third build finds the standby's file already a link to the output's (a temporary name was left)
@example(edits=[("title", 0, "en", "Alpha One"), ("title", 0, "en", "Alpha One"), ("title", 0, "en", "Beta Two")])
def test_every_rebuild_equals_a_clean_build(edits, tmp_path):
    root = tmp_path / f"run-{next(_runs)}"
    content, templates, static = custom_site(root)
    options = {"content": content, "templates": templates, "static": static, "jobs": 1}
    dev = DevBuild(Options(out=root / "dev", cache=root / "dev-cache", **options))

    def cli():
        return build(Options(out=root / "cli", cache=root / "cache", skip_unchanged=True, **options))

    def dev_build():
        result = dev.build()
        while dev.step(1):
            pass
        assert not dev.pending and dev.failed is None
        return result

    assert cli().ok and dev_build().ok
    for step, (kind, n, lang, text) in enumerate(edits):
        apply(kind, n, lang, text, content, templates, static)
        clean = build(Options(out=root / f"clean-{step}", cache=None, **options))
        said = [d.text() for d in clean.diagnostics.items]
        for result, out in ((cli(), root / "cli"), (dev_build(), root / "dev")):
            assert [d.text() for d in result.diagnostics.items] == said, (kind, out.name)
            assert result.ok == clean.ok
            if clean.ok:
                assert tree(out) == tree(root / f"clean-{step}"), (step, kind, out.name)


def test_the_custom_templates_show_values_three_references_away(tmp_path):
    """What the property test relies on: a district's name edited shows on the pages of the
    initiatives that share a theme with an initiative that has a zone in it."""
    content, templates, static = custom_site(tmp_path)
    options = Options(
        content=content, templates=templates, static=static, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache"
    )
    assert build(options).ok
    page = tmp_path / "out/initiatives/alpha-trade-platform/index.html"
    mates = page.read_text(encoding="utf-8").split('<section id="theme-mates">')[1].split("</section>")[0]
    assert "Cross-border data products in Alpha: Alpha Alpha" in mates  # its zones' district
    edit(content / "districts/alpha.yaml", "en: Alpha,", "en: Alfa,")
    result = build(options)
    assert result.ok and 0 < result.output.rendered < result.output.pages
    assert "Cross-border data products in Alpha: Alfa Alfa" in page.read_text(encoding="utf-8")


def test_another_version_of_any_library_reuses_nothing(tmp_path, monkeypatch):
    content = copy_fixture("site", tmp_path)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    versions = state.library_versions()
    assert "markdown==" in versions and "babel==" in versions
    monkeypatch.setattr(state, "library_versions", lambda: versions.replace("babel==", "babel==0.0.0+"))
    converted = []
    real = markup.Converter.convert
    monkeypatch.setattr(
        markup.Converter, "convert", lambda self, text, *a, **k: converted.append(text) or real(self, text, *a, **k)
    )
    again = build(options)
    assert again.ok and again.output.rendered == again.output.pages and again.stats.written > 0
    assert converted  # no Markdown conversion of the other library's taken either


def test_outputs_changed_or_removed_by_anything_but_the_build_are_made_again(tmp_path):
    content = copy_fixture("site", tmp_path)
    out = tmp_path / "out"
    options = Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    clean = tree(out)
    page, other, css = (
        out / "districts/beta/index.html",
        out / "themes/talent/index.html",
        next((out / "assets").glob("style.*.css")),
    )
    page.write_bytes(page.read_bytes().replace(b"Beta", b"Damaged"))
    other.unlink()
    css.write_bytes(b"")
    again = build(options)
    assert again.ok and not again.skipped
    assert tree(out) == clean
    page.write_bytes(b"damaged again")
    assert build(Options(content=content, out=out, jobs=1, cache=tmp_path / "cache", skip_unchanged=True)).ok
    assert tree(out) == clean


def test_no_cache_reuses_nothing_at_all(tmp_path):
    """As after two builds wrote into one folder and left it mixed: files the state would vouch
    for are not trusted either."""
    content = copy_fixture("site", tmp_path)
    out = tmp_path / "out"
    assert build(Options(content=content, out=out, jobs=1, cache=tmp_path / "cache")).ok
    clean = tree(out)
    page = out / "districts/beta/index.html"
    page.write_bytes(page.read_bytes().replace(b"Beta", b"Mixed"))
    fresh = build(Options(content=content, out=out, jobs=1, cache=tmp_path / "cache", fresh=True))
    assert fresh.ok and fresh.output.rendered == fresh.output.pages and fresh.stats.unchanged == 0
    assert tree(out) == clean


def test_a_build_outside_any_site_folder_keeps_its_state_in_the_users_cache(tmp_path, cli, monkeypatch):
    """No site folder to hold .cache/: the state goes to $XDG_CACHE_HOME/microsite/build/, one
    per output folder, and the next build into that folder starts from it."""
    content = copy_fixture("site", tmp_path)
    monkeypatch.chdir(tmp_path)  # not in the repository, whose site would be found
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # not the session's, shared
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert cli("build", "--content", content, "--out", out).code == 0
    again = cli("build", "--content", content, "--out", outs[0])
    assert again.code == 0 and "(no input changed)" in again.out
    assert len(list((tmp_path / "user-cache" / "microsite" / "build").glob("state-*[0-9a-f].pickle"))) == 2


def test_a_build_removes_the_states_of_output_folders_that_are_gone(tmp_path, monkeypatch):
    """States of other output folders stay while their folder does; the next build into any
    folder (in a process that has not pruned that cache yet) removes those whose folder is gone.
    A state that names no folder is left alone."""
    content, cache = copy_fixture("site", tmp_path), tmp_path / "cache"
    outs = [tmp_path / name for name in ("kept", "gone", "next")]
    for out in outs[:2]:
        assert build(Options(content=content, out=out, jobs=1, cache=cache)).ok
    older, garbled = cache / "state-0123456789abcdef.pickle", cache / "state-fedcba9876543210.pickle"
    older.write_bytes(pickle.dumps(("format", state.FORMAT)) + pickle.dumps(("fingerprint", {})))
    garbled.write_bytes(b"not a state")
    shutil.rmtree(outs[1])
    monkeypatch.setattr(state, "_PRUNED", set())  # as in the next command's process
    assert build(Options(content=content, out=outs[2], jobs=1, cache=cache)).ok
    named = {state.state_path(cache, out) for out in (outs[0], outs[2])}
    assert set(cache.glob("state-*[0-9a-f].pickle")) == named | {older, garbled}
    assert {p.name for p in cache.glob("*.deps.pickle")} == {state._deps_path(p).name for p in named}


def test_the_builds_into_temporary_folders_keep_no_state(tmp_path, cli, monkeypatch):
    """A bundle's build and a check's own (repro, offline) go into folders that are gone when
    they end: they write no state. Only the checked site's stays."""
    content = copy_fixture("site", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    cache = tmp_path / "user-cache" / "microsite" / "build"
    assert cli("bundle", "--content", content, "--dist", tmp_path / "dist").code == 0
    assert not list(cache.glob("state-*"))
    checked = cli("check", "--content", content, "--out", tmp_path / "out", "--skip", "html", "--skip", "a11y")
    assert checked.code == 0 and "repro 0, offline 0" in checked.out
    assert list(cache.glob("state-*[0-9a-f].pickle")) == [state.state_path(cache, tmp_path / "out")]


def test_explain_names_the_values_that_changed_and_builds_nothing(tmp_path, cli):
    content = copy_fixture("site", tmp_path)
    out = tmp_path / "out"
    never = cli("build", "--content", content, "--out", out, "--explain", "index.html")
    assert never.out.strip() == f"index.html: made, like every file: there is no record of a build into {out}"
    assert cli("build", "--content", content, "--out", out).code == 0
    before = tree(out)
    page = "initiatives/alpha-trade-platform/index.html"
    kept = cli("build", "--content", content, "--out", out, "--explain", page)
    assert kept.code == 0 and kept.out.startswith(f"{page}: kept: none of the ")
    edit(content / "districts/beta.yaml", "en: Beta", "en: Bravo")
    made = cli("build", "--content", content, "--out", out, "--explain", "themes/trade/index.html")
    assert made.code == 0 and "themes/trade/index.html: made: " in made.out
    assert "  district:beta name (en)" in made.out.splitlines()
    assert "district:alpha" not in made.out
    (out / page).write_text("damaged", encoding="utf-8")
    damaged = cli("build", "--content", content, "--out", out, "--explain", page)
    assert "not as the last build wrote it" in damaged.out
    gone = cli("build", "--content", content, "--out", out, "--explain", "initiatives/nothing/index.html")
    assert gone.out.strip() == "initiatives/nothing/index.html: not part of the site"
    edit(content / "districts/beta.yaml", "en: Bravo", "en: [")
    broken = cli("build", "--content", content, "--out", out, "--explain", page)
    assert broken.code == 1 and "the build would fail" in broken.out
    (out / page).write_bytes(before[page])
    assert tree(out) == before  # nothing was built or written


def test_a_one_off_build_keeps_what_its_model_took_for_the_next_build(tmp_path, monkeypatch):
    """The parse and conversion results are written early (BuildState.set_aside, so that the
    rendering works without them in memory) and are still there for the next build: it parses
    and converts only the file that changed."""
    content = copy_fixture("site", tmp_path)
    options = Options(content=content, out=tmp_path / "out", jobs=1, cache=tmp_path / "cache")
    assert build(options).ok
    edit(content / "initiatives/beta-talent.yaml", "settle.", "settle quickly.")
    parsed, converted = [], []
    real_parse, real_convert = load._parse, markup.Converter._convert
    monkeypatch.setattr(load, "_parse", lambda text, item: parsed.append(item.file) or real_parse(text, item))
    monkeypatch.setattr(
        markup.Converter, "_convert", lambda self, text: converted.append(text) or real_convert(self, text)
    )
    assert build(options).ok
    assert [Path(p).name for p in parsed] == ["beta-talent.yaml"]
    assert converted and all("settle quickly." in text for text in converted)


def test_a_table_used_after_it_was_set_aside_is_saved_with_it(tmp_path):
    kept = state.BuildState(state.state_path(tmp_path / "cache", tmp_path / "out"), {"code": "x"})
    kept.put("markdown", "before", "<p>before</p>")
    kept.set_aside()
    assert kept.get("markdown", "before") is None  # not in memory any more
    kept.put("markdown", "after", "<p>after</p>")
    kept.save()
    saved = state.read_state(state._deps_path(kept.path))
    assert saved is not None
    assert sorted(saved[state.TABLE + "markdown"].values()) == ["<p>after</p>", "<p>before</p>"]
