"""Files for the web besides the pages: sitemap, robots.txt, feeds, data exports and JSON-LD."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import feedparser
import jsonschema
import pytest
import yaml
from lxml import etree

from conftest import FIXTURES, copy_fixture, page

BASE = "https://example.org/sub/path/"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
# The sitemap protocol's structure (sitemaps.org), with the hreflang links of other namespaces.
SITEMAP_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified"
           targetNamespace="http://www.sitemaps.org/schemas/sitemap/0.9"
           xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <xs:element name="urlset"><xs:complexType><xs:sequence>
    <xs:element name="url" maxOccurs="50000"><xs:complexType><xs:sequence>
      <xs:element name="loc" type="xs:anyURI"/>
      <xs:element name="lastmod" type="xs:date" minOccurs="0"/>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


@pytest.fixture
def hosted(cli, tmp_path) -> Path:
    out = tmp_path / "site"
    assert cli("build", "--content", FIXTURES / "site", "--out", out, "--base-url", BASE).code == 0
    return out


def _build(cli, content: Path, out: Path, *args: str) -> Path:
    result = cli("build", "--content", content, "--out", out, *args)
    assert result.code == 0, result.err
    return out


def _pages(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.html")}


# -- sitemap and robots.txt ------------------------------------------------------------------


def test_sitemap_lists_every_page_with_alternates_and_content_dates(hosted):
    tree = etree.parse(str(hosted / "sitemap.xml"))
    etree.XMLSchema(etree.fromstring(SITEMAP_XSD)).assertValid(tree)
    urls = {u.findtext("s:loc", namespaces=NS): u for u in tree.getroot().findall("s:url", NS)}
    expected = {BASE + re.sub(r"index\.html$", "", p) for p in _pages(hosted) if not p.endswith("404.html")}
    assert set(urls) == expected
    for loc, url in urls.items():
        alternates = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", NS)}
        assert set(alternates) == {"en", "zh-Hans"} and loc in alternates.values()
        assert all(a.get("rel") == "alternate" for a in url.findall("x:link", NS))
    lastmod = {loc[len(BASE) :]: url.findtext("s:lastmod", namespaces=NS) for loc, url in urls.items()}
    assert lastmod["initiatives/alpha-trade-platform/"] == "2024-08-20"  # its own date
    assert lastmod["zh/initiatives/alpha-trade-platform/"] == "2024-08-20"
    assert lastmod["batches/first/"] == "2024-08-15"
    assert lastmod["sources/news-2024-01-02/"] == "2024-01-02"
    items = [v for k, v in lastmod.items() if re.fullmatch(r"initiatives/[a-z-]+/", k)]
    assert lastmod["initiatives/"] == max(items) == "2025-10-16"  # newest of its items


def test_an_undated_initiative_takes_its_newest_source(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives" / "beta-talent.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "date" not in data
    data["sources"] = ["news-2024-01-02", "gov-2025-10-16"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = _build(cli, content, tmp_path / "out", "--base-url", BASE)
    tree = etree.parse(str(out / "sitemap.xml"))
    url = tree.xpath("//s:url[s:loc=$loc]", namespaces=NS, loc=BASE + "initiatives/beta-talent/")[0]
    assert url.findtext("s:lastmod", namespaces=NS) == "2025-10-16"


def test_robots_names_the_sitemap_only_with_a_base_url(hosted, fixture_site):
    assert (hosted / "robots.txt").read_text() == f"User-agent: *\nAllow: /\nSitemap: {BASE}sitemap.xml\n"
    assert (fixture_site / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert not (fixture_site / "sitemap.xml").exists()


# -- feeds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path, lang", [("feed.xml", "en"), ("zh/feed.xml", "zh-Hans")])
def test_feeds_parse_and_list_announcements_newest_first(hosted, fixture_site, path, lang):
    for out in (hosted, fixture_site):
        feed = feedparser.parse((out / path).read_bytes())
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.feed.language == lang
        dates = [e.updated for e in feed.entries]
        assert dates == sorted(dates, reverse=True)
        assert feed.feed.updated == dates[0]
        # dated initiatives (3 of the 4) and both batches
        assert len(feed.entries) == 5
    hosted_ids = [e.id for e in feedparser.parse((hosted / path).read_bytes()).entries]
    assert all(i.startswith(BASE) for i in hosted_ids)
    entries = feedparser.parse((fixture_site / path).read_bytes()).entries
    assert all(re.fullmatch(r"tag:[a-z-]+,\d{4}-\d\d-\d\d:[a-z/-]+index\.html", e.id) for e in entries)
    # relative links resolve from the feed's folder to a page of the same language
    folder = (fixture_site / path).parent
    assert all((folder / e.link / "index.html").is_file() for e in entries)


# -- data exports ----------------------------------------------------------------------------


def test_initiatives_json_has_one_record_per_initiative(fixture_site):
    records = json.loads((fixture_site / "data" / "initiatives.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ["alpha-data-products", "alpha-trade-platform", "beta-talent", "shared-trade"]
    first = records[0]
    assert first["title"] == {"en": "Cross-border data products in Alpha", "zh": "甲区数据跨境产品"}
    assert [z["id"] for z in first["zones"]] == ["alpha-zone", "alpha-bonded"]
    assert [d["id"] for d in first["districts"]] == ["alpha"]
    assert {t["id"] for t in first["themes"]} == {"cross-border-data", "trade"}
    assert all(t["name"]["en"] for t in first["themes"])
    assert first["batch"] == "first" and first["date"] == "2024-08-15"
    assert all(s["url"].startswith("http") for s in first["sources"])
    assert records[2]["date"] is None and records[2]["status"] == "in-effect"


def test_initiatives_csv_opens_in_excel_and_cannot_run_formulas(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives" / "beta-talent.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "title: {en: Talent services in Beta,", "title: {en: '=HYPERLINK(\"http://evil\")',"
        ),
        encoding="utf-8",
    )
    out = _build(cli, content, tmp_path / "out")
    data = (out / "data" / "initiatives.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["alpha-data-products", "alpha-trade-platform", "beta-talent", "shared-trade"]
    assert rows[2]["title_en"] == '\'=HYPERLINK("http://evil")'
    assert rows[2]["title_zh"] == "乙区人才服务"
    assert re.fullmatch(r"[^;]+; [^;]+", rows[3]["districts"])  # readable names, "A; B"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_site_json_validates_against_its_schema(fixture_site):
    data = json.loads((fixture_site / "data" / "site.json").read_text(encoding="utf-8"))
    schema = json.loads((fixture_site / "data" / "site.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    ids = {
        kind: {x["id"] for x in data[kind]}
        for kind in ("batches", "districts", "zones", "themes", "initiatives", "sources")
    }
    for ini in data["initiatives"]:  # references are ids of items that exist
        assert set(ini["districts"]) <= ids["districts"] and set(ini["zones"]) <= ids["zones"]
        assert set(ini["themes"]) <= ids["themes"] and set(ini["sources"]) <= ids["sources"]
    broken = dict(data, zones=[dict(data["zones"][0], area_km2=-1)])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_footer_data_links_resolve(fixture_site):
    for path in ("index.html", "zh/districts/alpha/index.html", "404.html"):
        footer = page(fixture_site, path).find(".//footer")
        links = [a.get("href") for a in footer.iter("a") if "data/" in a.get("href")]
        assert len(links) == 3
        assert all(((fixture_site / path).parent / href).resolve().is_file() for href in links)


def test_published_files_are_the_same_every_build(cli, tmp_path):
    first = _build(cli, FIXTURES / "site", tmp_path / "a", "--base-url", BASE)
    second = _build(cli, FIXTURES / "site", tmp_path / "b", "--base-url", BASE)
    for name in (
        "sitemap.xml",
        "feed.xml",
        "zh/feed.xml",
        "robots.txt",
        "data/initiatives.json",
        "data/initiatives.csv",
        "data/site.json",
        "data/site.schema.json",
    ):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


# -- metadata in the pages -------------------------------------------------------------------


def _jsonld(out: Path, path: str) -> dict:
    scripts = page(out, path).xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


def test_json_ld_describes_places_and_initiatives(hosted, fixture_site):
    district = _jsonld(hosted, "districts/alpha/index.html")
    assert district["@type"] == "AdministrativeArea" and district["url"] == BASE + "districts/alpha/"
    assert {p["url"] for p in district["containsPlace"]} >= {BASE + "zones/alpha-zone/"}
    zone = _jsonld(hosted, "zh/zones/alpha-zone/index.html")
    assert zone["@type"] == "Place" and zone["containedInPlace"]["url"] == BASE + "zh/districts/alpha/"
    ini = _jsonld(fixture_site, "initiatives/alpha-data-products/index.html")
    assert ini["@type"] == "CreativeWork" and ini["name"] == "Cross-border data products in Alpha"
    assert {t["url"] for t in ini["about"]} == {"../../themes/trade/", "../../themes/cross-border-data/"}
    assert {p["@type"] for p in ini["spatialCoverage"]} == {"AdministrativeArea", "Place"}
    assert all(c["url"].startswith("http") for c in ini["citation"])
    assert not page(fixture_site, "themes/trade/index.html").xpath("//script[@type='application/ld+json']")


def test_json_ld_cannot_close_its_script(cli, tmp_path):
    content = copy_fixture("site", tmp_path)
    path = content / "initiatives" / "beta-talent.yaml"
    evil = "</script><script>alert(1)</script><!--"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title: {en: Talent services in Beta,", f"title: {{en: '{evil}',"),
        encoding="utf-8",
    )
    out = _build(cli, content, tmp_path / "out")
    html = (out / "initiatives" / "beta-talent" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert _jsonld(out, "initiatives/beta-talent/index.html")["name"] == evil


def test_open_graph_and_twitter_metadata(hosted):
    doc = page(hosted, "zh/zones/alpha-zone/index.html")
    meta = {m.get("property") or m.get("name"): m.get("content") for m in doc.iter("meta")}
    assert meta["og:url"] == BASE + "zh/zones/alpha-zone/"
    # the page's own summary, not the site's description
    assert meta["og:description"] == meta["twitter:description"] == meta["description"] == "甲区的区域。"
    assert meta["og:locale"] == "zh_CN" and meta["og:locale:alternate"] == "en_US"
    # the preview image, by its absolute URL, is a file of the build
    assert meta["og:image"] == meta["twitter:image"] and meta["og:image"].startswith(BASE + "assets/")
    assert (hosted / meta["og:image"][len(BASE) :]).is_file() and meta["twitter:card"] == "summary_large_image"
    assert meta["og:title"] and meta["twitter:title"] == meta["og:title"]
