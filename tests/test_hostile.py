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
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree, html as lxml_html

from microsite.markup import _ATTRS as MARKDOWN_ATTRS, _TAGS as MARKDOWN_TAGS

BASE = Path(__file__).resolve().parent / "broken" / "valid-base" / "content"
BASE_URL = "https://example.org/sub/"
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script>", "</SCRIPT >",
           "<!--", "-->", "]]>", "<![CDATA[x", "javascript:alert(1)", "{{ 7*7 }}", "{% if 1 %}x{% endif %}",
           "${7*7}", "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2", "\u202eevil\u202c", "\u2028", "\u2029",
           "&amp;", "&lt;b&gt;", "&#x3c;", "'", '"', "`", "\\", "\t", "\U0001f600", "\ufeff", "x" * 3000]
# Fields shown as plain text: (file, path to the field); Markdown fields are listed apart.
PLAIN = [("site.yaml", ("title",)), ("site.yaml", ("description",)),
         ("batches/first.yaml", ("name",)), ("districts/alpha.yaml", ("name",)),
         ("districts/alpha.yaml", ("code",)), ("zones/alpha-zone.yaml", ("name",)),
         ("zones/alpha-zone.yaml", ("covers",)), ("zones/alpha-zone.yaml", ("focus",)),
         ("themes/trade.yaml", ("name",)), ("themes/trade.yaml", ("summary",)),
         ("initiatives/alpha-trade.yaml", ("title",)), ("initiatives/alpha-trade.yaml", ("announced_by",)),
         ("initiatives/alpha-trade.yaml", ("figures",)), ("sources/news-2024-01-02.yaml", ("title",)),
         ("sources/news-2024-01-02.yaml", ("publisher",)), ("sources/news-2024-01-02.yaml", ("note",))]
MARKDOWN = [("site.yaml", "intro"), ("batches/first.yaml", "summary"), ("districts/alpha.yaml", "summary"),
            ("zones/alpha-zone.yaml", "summary"), ("initiatives/alpha-trade.yaml", "body")]
# Pages where the plain-text string must appear, in both languages.
SHOWN_ON = ["index.html", "batches/first/index.html", "districts/alpha/index.html", "zones/alpha-zone/index.html",
            "themes/trade/index.html", "initiatives/alpha-trade/index.html", "sources/news-2024-01-02/index.html"]
SAFE_SCHEMES = {None, "http", "https", "mailto"}
FORMULA_START = tuple("=+-@\t\r")

hostile_strings = st.lists(
    st.one_of(st.sampled_from(HOSTILE),
              st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)),
    min_size=1, max_size=4).map(lambda parts: "⟦" + "".join(parts) + "⟧")  # brackets: nothing to strip


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
        data[field] = {"covers": [both], "focus": [both], "announced_by": [{"name": both, "role": both}],
                       "figures": [{"value": text, "label": both}], "code": text,
                       "title": text if name.startswith("sources/") else both}.get(field, both)
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
    return {path: (shape(lxml_html.fromstring((out / path).read_bytes())),
                   len(lxml_html.fromstring((out / path).read_bytes()).findall(".//script")))
            for path in html_pages(out)}


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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
        script = index.read_text(encoding="utf-8")
        prefix, suffix = "window.__searchIndex=", ";\n"
        assert script.startswith(prefix) and script.endswith(suffix)
        assert text in leaves(json.loads(script[len(prefix):-len(suffix)])), index


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
