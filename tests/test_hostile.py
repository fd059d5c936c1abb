"""Hostile content: strings built to inject markup, scripts, template code or spreadsheet formulas,
put in every text field of every kind, must come out as text and nothing else.

Hypothesis writes the valid base site (tests/broken/valid-base) with one hostile string in all
its text fields and builds it with a base URL (so the sitemap exists too). Then every page must
have no element or attribute that the same page of the clean build lacks (beyond those Markdown
may produce), no event handler, no unsafe URL; plain-text fields must show the string literally;
JSON-LD blocks, the search index, data/*.json, feed.xml and sitemap.xml must parse; and
data/initiatives.csv must not start any cell with a formula character.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree, html as lxml_html

from microsite.markup import _ATTRS as MARKDOWN_ATTRS, _TAGS as MARKDOWN_TAGS

from conftest import ROOT
from test_search import load_folder

BASE = Path(__file__).resolve().parent / "broken" / "valid-base" / "content"
BASE_URL = "https://example.org/sub/"
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</script>",
    "</SCRIPT >",
    "<!--",
    "-->",
    "]]>",
    "<![CDATA[x",
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "{% if 1 %}x{% endif %}",
    "${7*7}",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(1)",
    "-2",
    "\u202eevil\u202c",
    "\u2028",
    "\u2029",
    "&amp;",
    "&lt;b&gt;",
    "&#x3c;",
    "'",
    '"',
    "`",
    "\\",
    "\t",
    "\U0001f600",
    "\ufeff",
    "x" * 3000,
]
# Fields shown as plain text: (file, path to the field); Markdown fields are listed apart.
PLAIN = [
    ("site.yaml", ("title",)),
    ("site.yaml", ("description",)),
    ("batches/first.yaml", ("name",)),
    ("districts/alpha.yaml", ("name",)),
    ("districts/alpha.yaml", ("code",)),
    ("zones/alpha-zone.yaml", ("name",)),
    ("zones/alpha-zone.yaml", ("covers",)),
    ("zones/alpha-zone.yaml", ("focus",)),
    ("themes/trade.yaml", ("name",)),
    ("themes/trade.yaml", ("summary",)),
    ("initiatives/alpha-trade.yaml", ("title",)),
    ("initiatives/alpha-trade.yaml", ("announced_by",)),
    ("initiatives/alpha-trade.yaml", ("figures",)),
    ("sources/news-2024-01-02.yaml", ("title",)),
    ("sources/news-2024-01-02.yaml", ("publisher",)),
    ("sources/news-2024-01-02.yaml", ("note",)),
]
MARKDOWN = [
    ("site.yaml", "intro"),
    ("batches/first.yaml", "summary"),
    ("districts/alpha.yaml", "summary"),
    ("zones/alpha-zone.yaml", "summary"),
    ("initiatives/alpha-trade.yaml", "body"),
]
# Pages where the plain-text string must appear, in both languages.
SHOWN_ON = [
    "index.html",
    "batches/first/index.html",
    "districts/alpha/index.html",
    "zones/alpha-zone/index.html",
    "themes/trade/index.html",
    "initiatives/alpha-trade/index.html",
    "sources/news-2024-01-02/index.html",
]
SAFE_SCHEMES = {None, "http", "https", "mailto"}
FORMULA_START = tuple("=+-@\t\r")

hostile_strings = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)),
    min_size=1,
    max_size=4,
).map(lambda parts: "⟦" + "".join(parts) + "⟧")  # brackets: nothing to strip


class NoAliases(yaml.SafeDumper):
    """Writes a value shared by several fields out in full (the loader refuses aliases)."""

    def ignore_aliases(self, data) -> bool:
        return True


def write_site(dest: Path, text: str) -> Path:
    """The base site with `text` in every plain and Markdown text field, in both languages."""
    shutil.copytree(BASE, dest)
    both = {"en": text, "zh": text}
    files: dict[str, dict] = {}
    for name, (field,) in PLAIN:
        data = files.setdefault(name, yaml.safe_load((BASE / name).read_text(encoding="utf-8")))
        data[field] = {
            "covers": [both],
            "focus": [both],
            "announced_by": [{"name": both, "role": both}],
            "figures": [{"value": text, "label": both}],
            "code": text,
            "title": text if name.startswith("sources/") else both,
        }.get(field, both)
    for name, field in MARKDOWN:
        files[name] = files.get(name) or yaml.safe_load((BASE / name).read_text(encoding="utf-8"))
        files[name][field] = both
    for name, data in files.items():
        dumped = yaml.dump(data, Dumper=NoAliases, allow_unicode=True, width=1 << 20)
        assert yaml.safe_load(dumped) == data  # the test's own premise: YAML carries it unchanged
        (dest / name).write_text(dumped, encoding="utf-8")
    return dest


def shape(doc) -> tuple[set[str], set[tuple[str, str]]]:
    """The element names and (element, attribute) pairs of a page."""
    tags, attrs = set(), set()
    for el in doc.iter():
        if isinstance(el.tag, str):
            tags.add(el.tag)
            attrs.update((el.tag, a) for a in el.attrib)
    return tags, attrs


def visible_text(doc) -> str:
    return "".join(doc.xpath("//text()[not(ancestor::script) and not(ancestor::style)]"))


def scheme(url: str) -> str | None:
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", url))
    return match.group(1).lower() if match else None


def leaves(data) -> set[str]:
    """Every string in a JSON value."""
    if isinstance(data, dict):
        return set().union(*map(leaves, data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*map(leaves, data)) if data else set()
    return {data} if isinstance(data, str) else set()


def html_pages(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> dict[str, tuple]:
    from microsite.cli import main

    out = tmp_path_factory.mktemp("clean") / "site"
    assert main(["build", "--content", str(BASE), "--out", str(out), "--base-url", BASE_URL]) == 0
    return {
        path: (
            shape(lxml_html.fromstring((out / path).read_bytes())),
            len(lxml_html.fromstring((out / path).read_bytes()).findall(".//script")),
        )
        for path in html_pages(out)
    }


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_strings)
def test_hostile_text_stays_text(text, cli, tmp_path_factory, baseline):
    work = tmp_path_factory.mktemp("hostile")
    content = write_site(work / "content", text)
    out = work / "out"
    run = cli("build", "--content", content, "--out", out, "--base-url", BASE_URL)
    assert run.code == 0, run.err
    assert html_pages(out) == sorted(baseline)
    for path, ((tags, attrs), scripts) in baseline.items():
        doc = lxml_html.fromstring((out / path).read_bytes())
        assert_no_injection(doc, path, tags, attrs, scripts)
        assert_json_ld(doc, text, path)
        page = path.removeprefix("zh/")
        if page in SHOWN_ON:
            assert text in visible_text(doc), path
    assert_search_index(out, text)
    assert_data_files(out, text)


def assert_no_injection(doc, path: str, tags: set, attrs: set, scripts: int) -> None:
    new_tags, new_attrs = shape(doc)
    assert new_tags <= tags | MARKDOWN_TAGS, (path, new_tags - tags)
    markdown_attrs = {(tag, a) for tag, names in MARKDOWN_ATTRS.items() for a in names}
    assert new_attrs <= attrs | markdown_attrs, (path, new_attrs - attrs)
    assert len(doc.findall(".//script")) == scripts, path
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        assert not [a for a in el.attrib if a.lower().startswith("on")], (path, el.tag)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            if el.get(name) is not None:
                assert scheme(el.get(name)) in SAFE_SCHEMES, (path, el.tag, el.get(name))


def assert_json_ld(doc, text: str, path: str) -> None:
    """`</script>` in a name must not end the block: each block parses and holds the text."""
    for block in doc.xpath("//script[@type='application/ld+json']"):
        assert text in leaves(json.loads(block.text)), path


def assert_search_index(out: Path, text: str) -> None:
    for index in sorted(out.rglob("search/index.js")):
        assert text in leaves(load_folder(index.parent)), index


def assert_data_files(out: Path, text: str) -> None:
    for name in ("feed.xml", "sitemap.xml"):
        etree.fromstring((out / name).read_bytes())  # well-formed, or it raises
    feed = etree.fromstring((out / "feed.xml").read_bytes())
    assert text in "".join(feed.itertext())
    for name in ("data/initiatives.json", "data/site.json"):
        assert text in leaves(json.loads((out / name).read_bytes())), name
    rows = list(csv.reader(io.StringIO((out / "data/initiatives.csv").read_text(encoding="utf-8-sig"))))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    title = next(row[1] for row in rows[1:] if row[0] == "alpha-trade")
    assert title.removeprefix("'") == text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_csv_neutralises_formulas(text, cli, tmp_path):
    out = tmp_path / "out"
    assert cli("build", "--content", write_site(tmp_path / "c", text), "--out", out).code == 0
    rows = list(csv.reader(io.StringIO((out / "data/initiatives.csv").read_text(encoding="utf-8-sig"))))
    title = next(row[1] for row in rows[1:] if row[0] == "alpha-trade")
    assert title == "'" + text


def test_raw_html_in_markdown_is_shown_not_run(cli, tmp_path):
    content = write_site(tmp_path / "c", "x")
    path = content / "initiatives/alpha-trade.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["body"] = {"en": "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>", "zh": "正文"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    assert cli("build", "--content", content, "--out", out).code == 0
    doc = lxml_html.fromstring((out / "initiatives/alpha-trade/index.html").read_bytes())
    assert "<script>alert(1)</script>" in visible_text(doc)
    assert not doc.xpath("//img[@onerror]") and not doc.xpath("//script[contains(., 'alert')]")


# --- Round two (issue #20): hostile options, names and values -----------------------------------
# Each case runs the command line (in a scratch folder, so paths show relative) next to a good
# earlier build and must end with exactly the expected line and exit code, no traceback, and
# every file in the folder, the earlier build included, byte for byte as it was.

BUILD_HINT = "(choose an empty folder or a previous build's folder with --out)"


@pytest.fixture(scope="module")
def good_build(tmp_path_factory) -> Path:
    from microsite.cli import main

    out = tmp_path_factory.mktemp("good") / "site"
    assert main(["build", "--content", str(BASE), "--out", str(out)]) == 0
    return out


@pytest.fixture
def scratch(tmp_path, monkeypatch, good_build) -> Path:
    """A folder holding content `c/`, a good earlier build `out/`, and the working directory."""
    shutil.copytree(BASE, tmp_path / "c")
    shutil.copytree(good_build, tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below `folder`: file bytes, link targets, folders."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = os.fsencode(p.relative_to(folder)).hex()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "folder"
    return out


def refused(cli, scratch: Path, code: int, line: str, *args) -> str:
    """Run a build that must fail with `line` among its output lines; return stderr."""
    before = snapshot(scratch)
    run = cli("build", "--no-cache", *args)
    assert run.code == code, run.err
    assert "Traceback" not in run.out + run.err
    assert line in [text.strip() for text in run.err.splitlines()], run.err
    assert snapshot(scratch) == before
    return run.err


USAGE_CASES = {  # name -> (arguments, the one line printed), exit 2
    "base-url-javascript": (
        ["--base-url", "javascript:alert(1)//"],
        ("build.py build: error: --base-url 'javascript:alert(1)//': the URL does not start with http:// or https://"),
    ),
    "base-url-newline": (
        ["--base-url", "https://example.org/\nDisallow: /"],
        (
            "build.py build: error: --base-url 'https://example.org/\\nDisallow: /': "
            "the URL contains the character U+000A (whitespace or a control character)"
        ),
    ),
    "base-url-space": (
        ["--base-url", "https://example.org/a b/"],
        (
            "build.py build: error: --base-url 'https://example.org/a b/': "
            "the URL contains the character U+0020 (whitespace or a control character)"
        ),
    ),
    "base-url-escape": (
        ["--base-url", "https://example.org/\x1b[2J"],
        (
            "build.py build: error: --base-url 'https://example.org/\\x1b[2J': "
            "the URL contains the character U+001B (whitespace or a control character)"
        ),
    ),
    "base-url-fragment": (
        ["--base-url", "https://example.org/#top"],
        (
            "build.py build: error: --base-url 'https://example.org/#top': "
            "the URL has a query or fragment; a base URL ends with the site's folder"
        ),
    ),
    "base-url-no-scheme": (
        ["--base-url", "//example.org/"],
        ("build.py build: error: --base-url '//example.org/': the URL does not start with http:// or https://"),
    ),
    "report-is-a-folder": (
        ["--report", "c"],
        ("build.py build: error: --report c: this is a folder; name a file to write the JSON report into"),
    ),
    "report-folder-missing": (
        ["--report", "nowhere/report.json"],
        ("build.py build: error: --report nowhere/report.json: the folder nowhere does not exist; create it first"),
    ),
    "static-missing": (["--static", "nowhere"], "build.py build: error: --static nowhere: the folder does not exist"),
    "templates-loop": (
        ["--templates", "loop"],
        "build.py build: error: --templates loop: the folder is a symbolic-link loop",
    ),
    "static-without-stylesheet": (
        ["--static", "c"],
        (
            f"build.py build: error: --static c: the folder has no favicon.svg, which "
            f"{ROOT / 'templates' / 'base.html'} uses; "
            f"pass the folder of the site's stylesheets and scripts"
        ),
    ),
}


@pytest.mark.parametrize("case", USAGE_CASES)
def test_a_bad_option_is_one_line_and_exit_2(case, cli, scratch):
    args, line = USAGE_CASES[case]
    (scratch / "loop").symlink_to("loop")
    err = refused(cli, scratch, 2, line, "--content", "c", "--out", "out", *args)
    assert err == line + "\n"


OUTPUT_CASES = {  # name -> (--out, the diagnostic), exit 1
    "symlink-loop": (
        "loop",
        (f"loop: error: bad-output: refusing to write the site into loop: it is a symbolic-link loop {BUILD_HINT}"),
    ),
    "below-a-loop": (
        "loop/site",
        (
            "loop/site: error: bad-output: refusing to write the site into loop/site: "
            f"it is a symbolic-link loop {BUILD_HINT}"
        ),
    ),
    "below-a-file": (
        "notes.txt/out",
        (
            "notes.txt/out: error: bad-output: refusing to write the site into "
            f"notes.txt/out: it is below notes.txt, which is a file {BUILD_HINT}"
        ),
    ),
    "name-too-long": (
        "o" * 250,
        (
            f"{'o' * 250}: error: bad-output: refusing to write the site into {'o' * 250}: "
            "it has a name too long for the file system (at most 255 bytes, with room for "
            f"the standby folder's affixes: .<name>.standby) {BUILD_HINT}"
        ),
    ),
    "inside-content": (
        "c/districts/site",
        (
            "c/districts/site: error: bad-output: refusing to write the site into "
            "c/districts/site: it is inside the content folder c (the next build "
            f"would read it as input) {BUILD_HINT}"
        ),
    ),
    "inside-templates": (
        "t/site",
        (
            "t/site: error: bad-output: refusing to write the site into t/site: it is "
            f"inside the templates folder t (the next build would read it as input) {BUILD_HINT}"
        ),
    ),
    "inside-static": (
        "s/assets",
        (
            "s/assets: error: bad-output: refusing to write the site into s/assets: it is "
            f"inside the static folder s (the next build would read it as input) {BUILD_HINT}"
        ),
    ),
}


@pytest.mark.parametrize("case", OUTPUT_CASES)
def test_an_output_folder_that_cannot_work_is_refused(case, cli, scratch):
    out, line = OUTPUT_CASES[case]
    (scratch / "loop").symlink_to("loop")
    (scratch / "notes.txt").write_text("not a folder\n")
    shutil.copytree(ROOT / "templates", scratch / "t")
    shutil.copytree(ROOT / "static", scratch / "s")
    err = refused(cli, scratch, 1, line, "--content", "c", "--out", out, "--templates", "t", "--static", "s")
    assert err.endswith("build failed: 1 error, 0 warnings; nothing was written\n")


@pytest.mark.parametrize("content", ["loop", "loop/c"])
def test_a_content_folder_that_loops_is_a_diagnostic(content, cli, scratch):
    (scratch / "loop").symlink_to("loop")
    refused(
        cli,
        scratch,
        1,
        f"{content}: error: no-content: the content folder is a symbolic-link loop "
        "(pass --content DIR with a folder holding site.yaml)",
        "--content",
        content,
        "--out",
        "out",
    )


NAME_CASES = {  # name -> (file name in districts/, how the console shows it)
    "newline": ("x\nsite.yaml:1:1: error: forged", "x\\nsite.yaml:1:1: error: forged"),
    "carriage-return": ("x\rsite.yaml:1:1: error: forged", "x\\rsite.yaml:1:1: error: forged"),
    "ansi-escape": ("\x1b[2K\x1b[1Gok", "\\x1b[2K\\x1b[1Gok"),
    "bidi-override": ("ab\u202ecba", "ab\\u202ecba"),
    "line-separator": ("a\u2028b", "a\\u2028b"),
    "not-utf-8": (os.fsdecode(b"gamma\xff"), "gamma\\xff"),
}


def _name_case(scratch: Path, case: str) -> str:
    name, shown = NAME_CASES[case]
    shutil.copy(scratch / "c/districts/beta.yaml", scratch / "c/districts" / (name + ".yaml"))
    return (
        f"c/districts/{shown}.yaml: error: bad-id: the id '{shown}' is not a safe URL segment "
        "(rename the file: lower-case a-z, 0-9 and single hyphens, e.g. 'yangpu')"
    )


@pytest.mark.parametrize("case", NAME_CASES)
def test_names_are_printed_escaped_in_the_console(case, cli, scratch):
    line = _name_case(scratch, case)
    err = refused(cli, scratch, 1, line, "--content", "c", "--out", "out")
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u202e\udc80-\udcff]", err)
    assert not any(text.lstrip().startswith("site.yaml") for text in err.splitlines())


@pytest.mark.parametrize("case", ["newline", "ansi-escape", "not-utf-8"])
def test_names_are_escaped_in_github_annotations_and_the_report(case, cli, scratch):
    line = _name_case(scratch, case)
    where, _, rest = line.partition(": error: bad-id: ")
    github = f"::error file={where.replace(':', '%3A')},title=bad-id::{rest}"
    report = scratch.parent / f"{scratch.name}-report.json"  # outside the folder that must not change
    err = refused(cli, scratch, 1, github, "--content", "c", "--out", "out", "--format", "github", "--report", report)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\udc80-\udcff]", err)
    report = json.loads(report.read_bytes().decode("utf-8"))
    errors = [(d["file"], d["code"]) for d in report["diagnostics"] if d["severity"] == "error"]
    assert errors == [(where, "bad-id")]  # the corpus' base cites no source inline: warnings besides


VALUE_CASES = {  # an order that is text, shown in the message; name -> (YAML value, shown)
    "escape-sequence": ('"\\e[2J1"', "\\x1b[2J1"),
    "forged-line": ('"1\\nc/site.yaml:1:1: error: forged"', "1\\nc/site.yaml:1:1: error: forged"),
}


@pytest.mark.parametrize("case", VALUE_CASES)
def test_values_in_messages_are_printed_escaped(case, cli, scratch):
    value, shown = VALUE_CASES[case]
    theme = scratch / "c/themes/trade.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("order: 1", f"order: {value}"), encoding="utf-8")
    refused(
        cli,
        scratch,
        1,
        f"c/themes/trade.yaml:3:8: error: wrong-type: expected a whole number, found the text '{shown}' [order]",
        "--content",
        "c",
        "--out",
        "out",
    )


def test_robots_txt_has_exactly_its_three_lines(cli, scratch):
    assert cli("build", "--content", "c", "--out", "new", "--base-url", "https://example.org/a~b/%7E/").code == 0
    assert (scratch / "new/robots.txt").read_text(encoding="utf-8").splitlines() == [
        "User-agent: *",
        "Allow: /",
        "Sitemap: https://example.org/a~b/%7E/sitemap.xml",
    ]
