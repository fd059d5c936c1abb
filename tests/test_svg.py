"""Tests for microsite.svg: GeoJSON loading, the district map and the bar chart."""

import json
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from microsite.svg import Region, Shape, bar_chart, district_map, load_shapes

ROOT = Path(__file__).resolve().parents[1]
NS = "{http://www.w3.org/2000/svg}"
EXPECTED_CODES = [
    "310101",
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
    "310112",
    "310113",
    "310114",
    "310115",
    "310116",
    "310117",
    "310118",
    "310120",
    "310151",
]
LINKED = {"310110": "/en/districts/yangpu/", "310115": "/en/districts/pudong/"}


def geojson_path() -> Path:
    for path in (ROOT / "content/geo/shanghai-districts.geojson", ROOT / "../shared/data/shanghai-districts.geojson"):
        if path.exists():
            return path
    raise AssertionError("shanghai-districts.geojson not found in content/geo or ../shared/data")


@pytest.fixture(scope="module")
def geojson_text() -> str:
    return geojson_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shapes(geojson_text):
    return load_shapes(geojson_text)


def english_name(code: str) -> str:
    """The file's own English name of an area (the build takes names from the content)."""
    features = json.loads(geojson_path().read_text(encoding="utf-8"))["features"]
    return next(f["properties"]["name_en"] for f in features if f["properties"]["code"] == code)


def make_regions(shapes, skip=("310151",)):
    """Every district but Chongming gets a Region; two of them are linked."""
    return {
        s.code: Region(
            s.code,
            english_name(s.code),
            LINKED.get(s.code),
            "batch-1" if s.code in LINKED else ("batch-2" if s.code == "310101" else ""),
        )
        for s in shapes
        if s.code not in skip
    }


def draw(shapes, regions, **kw):
    kw = {"title": "Districts", "desc": "Shanghai's 16 districts", "id_prefix": "map", **kw}
    return district_map(shapes, regions, **kw)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def parents(root):
    return {child: parent for parent in root.iter() for child in parent}


def paths_by_code(root):
    return {p.get("data-code"): p for p in root.iter(NS + "path")}


def subpaths(d: str):
    """Path data back to lists of (x, y) points, one list per subpath."""
    rings = []
    for chunk in re.findall(r"M([^Z]*)Z", d):
        nums = [float(n) for n in re.findall(r"-?\d+\.\d", chunk)]
        rings.append(list(zip(nums[::2], nums[1::2], strict=True)))
    return rings


def inside(pt, ring):
    x, y = pt
    hits = 0
    for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (ay > y) != (by > y) and ax + (y - ay) * (bx - ax) / (by - ay) > x:
            hits += 1
    return hits % 2 == 1


# --- load_shapes -----------------------------------------------------------------


def test_load_shapes_reads_all_sixteen_districts(shapes):
    assert [s.code for s in shapes] == EXPECTED_CODES
    by_code = {s.code: s for s in shapes}
    assert len(by_code["310115"].rings) == 3  # MultiPolygon: Pudong and two islands
    assert all(isinstance(s, Shape) and s.rings for s in shapes)
    lon, lat = by_code["310101"].rings[0][0]
    assert isinstance(lon, float) and 121 < lon < 122 and 30 < lat < 32


def test_load_shapes_sorts_by_code(geojson_text, shapes):
    data = json.loads(geojson_text)
    data["features"].reverse()
    assert load_shapes(json.dumps(data)) == shapes


def test_load_shapes_drops_holes():
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [3, 2], [3, 3], [2, 2]]
    text = json.dumps(feature_collection(polygon=[outer, hole]))
    (shape,) = load_shapes(text)
    assert shape.rings == (tuple((float(x), float(y)) for x, y in outer),)


def feature_collection(polygon=None, properties=None, geometry=None):
    polygon = polygon or [[[0, 0], [1, 0], [1, 1], [0, 0]]]
    props = properties if properties is not None else {"code": "1", "name_en": "A", "name_zh": "甲"}
    geom = geometry if geometry is not None else {"type": "Polygon", "coordinates": polygon}
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": props, "geometry": geom}]}


GOOD = feature_collection()
BAD_INPUTS = {
    "not json": "{not json",
    "not a collection": json.dumps({"type": "Feature"}),
    "features missing": json.dumps({"type": "FeatureCollection"}),
    "no code": json.dumps(feature_collection(properties={"name": "A"})),
    "point geometry": json.dumps(feature_collection(geometry={"type": "Point", "coordinates": [0, 0]})),
    "null geometry": json.dumps(feature_collection(geometry={})),
    "short ring": json.dumps(feature_collection(polygon=[[[0, 0], [1, 1], [0, 0]]])),
    "text coordinate": json.dumps(feature_collection(polygon=[[[0, 0], [1, "x"], [1, 1], [0, 0]]])),
    "bool coordinate": json.dumps(feature_collection(polygon=[[[0, 0], [1, True], [1, 1], [0, 0]]])),
    "projected metres": json.dumps(feature_collection(polygon=[[[0, 0], [500000, 0], [1, 1], [0, 0]]])),
    "NaN coordinate": json.dumps(GOOD).replace("[1, 0]", "[NaN, 0]"),
    "empty multipolygon": json.dumps(feature_collection(geometry={"type": "MultiPolygon", "coordinates": []})),
    "duplicate code": json.dumps({"type": "FeatureCollection", "features": GOOD["features"] * 2}),
}


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_load_shapes_rejects_malformed_geojson(text):
    with pytest.raises(ValueError):
        load_shapes(text)


def test_load_shapes_error_names_the_feature():
    text = json.dumps(feature_collection(geometry={"type": "Point", "coordinates": [0, 0]}))
    with pytest.raises(ValueError, match=r"feature 0 \(1\).*Polygon or MultiPolygon"):
        load_shapes(text)


# --- district_map --------------------------------------------------------------------


def test_map_draws_every_district_once(shapes):
    root = parse(draw(shapes, make_regions(shapes)))
    codes = [p.get("data-code") for p in root.iter(NS + "path")]
    assert sorted(codes) == codes == EXPECTED_CODES


def test_map_links_only_regions_with_href(shapes):
    root = parse(draw(shapes, make_regions(shapes)))
    up = parents(root)
    links = list(root.iter(NS + "a"))
    assert len(links) == len(LINKED)
    for link in links:
        (path,) = link.iter(NS + "path")
        code = path.get("data-code")
        assert link.get("href") == LINKED[code]
        assert link.get("aria-label") == {"310110": "Yangpu", "310115": "Pudong New Area"}[code]
        assert link.get("class") == "district-link"
        assert "{http://www.w3.org/1999/xlink}href" not in link.attrib  # SVG 2 href only
    for code, path in paths_by_code(root).items():
        assert (up[path].tag == NS + "a") == (code in LINKED)


def test_map_applies_css_classes(shapes):
    paths = paths_by_code(parse(draw(shapes, make_regions(shapes))))
    assert paths["310110"].get("class") == "district batch-1"
    assert paths["310101"].get("class") == "district batch-2"
    assert paths["310104"].get("class") == "district"  # Region with css_class ""
    assert paths["310151"].get("class") == "district"  # no Region at all


def test_map_labels(shapes):
    regions = make_regions(shapes)
    regions["310101"] = Region("310101", "黄浦区", None, "batch-2", lang="zh-Hans")
    root = parse(draw(shapes, regions))
    up = parents(root)
    texts = {t.text: t for t in root.iter(NS + "text")}
    assert set(texts) == {r.label for r in regions.values()}  # Chongming has no Region, no label
    assert all(t.get("class") == "map-label" for t in texts.values())
    assert texts["黄浦区"].get("lang") == "zh-Hans" and texts["Xuhui"].get("lang") is None
    # above every district, in one group; a linked district's link already names it
    assert {up[t].get("class") for t in texts.values()} == {"map-labels"}
    assert list(root)[-1].get("class") == "map-labels"
    assert texts["Yangpu"].get("aria-hidden") == "true" and texts["Xuhui"].get("aria-hidden") is None


def label_boxes(root) -> dict[str, tuple]:
    """code -> (left, top, right, bottom) of its label, as svg.py estimates it."""
    from microsite.svg import LABEL_SIZE, _label_width

    out = {}
    for text in root.iter(NS + "text"):
        x, y, half = float(text.get("x")), float(text.get("y")), _label_width(text.text) / 2
        out[text.get("data-code")] = (x - half, y - LABEL_SIZE * 0.65, x + half, y + LABEL_SIZE * 0.65)
    return out


def test_map_labels_sit_inside_their_district_or_point_to_it(shapes):
    root = parse(draw(shapes, make_regions(shapes, skip=())))
    paths = paths_by_code(root)
    leaders = {
        (float(line.get("x2")), float(line.get("y2"))): (float(line.get("x1")), float(line.get("y1")))
        for line in root.iter(NS + "line")
    }
    boxes = label_boxes(root)
    moved = 0
    for text in root.iter(NS + "text"):
        code = text.get("data-code")
        pt = (float(text.get("x")), float(text.get("y")))
        # a moved label has a leader line from its district's label point to the box's edge
        start = next(
            (
                a
                for b, a in leaders.items()
                if boxes[code][0] <= b[0] <= boxes[code][2] and boxes[code][1] <= b[1] <= boxes[code][3]
            ),
            None,
        )
        moved += start is not None
        assert any(inside(start or pt, ring) for ring in subpaths(paths[code].get("d"))), code
    assert moved == len(leaders) > 0  # the central districts are too small for their names


def test_map_labels_never_overlap(shapes):
    for width in (600, 400):
        boxes = list(label_boxes(parse(draw(shapes, make_regions(shapes, skip=()), width=width))).values())
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (width, a, b)


def test_map_label_fallback_when_centroid_is_outside():
    # a U shape: its centroid lies in the empty notch
    u = ((0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3), (0, 0))
    shape = Shape("1", (tuple((121 + x / 100, 31 + y / 100) for x, y in u),))
    root = parse(draw([shape], {"1": Region("1", "U", None, "")}, width=300))
    text = next(root.iter(NS + "text"))
    (ring,) = subpaths(next(root.iter(NS + "path")).get("d"))
    assert inside((float(text.get("x")), float(text.get("y"))), ring)


def test_map_escapes_text_and_attributes(shapes):
    evil = '<script>alert("x")</script>'
    regions = {"310110": Region("310110", evil, '/a?b=1&c="2"', 'batch-1" onclick="x')}
    svg = str(draw(shapes, regions, title="<b>T</b>", desc="A & B"))
    assert "<script" not in svg and "<b>" not in svg
    root = parse(svg)
    link = next(root.iter(NS + "a"))
    assert link.get("href") == '/a?b=1&c="2"' and link.get("aria-label") == evil
    assert next(root.iter(NS + "text")).text == evil
    assert paths_by_code(root)["310110"].get("class") == 'district batch-1" onclick="x'
    assert root.find(NS + "title").text == "<b>T</b>"


def test_map_root_accessibility(shapes):
    root = parse(draw(shapes, make_regions(shapes), id_prefix="home-map"))
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == "home-map-title home-map-desc"
    first, second = list(root)[:2]
    assert (first.tag, first.get("id"), first.text) == (NS + "title", "home-map-title", "Districts")
    assert (second.tag, second.get("id")) == (NS + "desc", "home-map-desc")
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) and all(i.startswith("home-map-") for i in ids)
    unlinked = parse(draw(shapes, {}))
    assert unlinked.get("role") == "img" and not list(unlinked.iter(NS + "a"))


def test_map_has_no_inline_style_or_script(shapes):
    svg = str(draw(shapes, make_regions(shapes)))
    root = parse(svg)
    assert not any("style" in el.attrib for el in root.iter())
    assert not any(el.tag in (NS + "script", NS + "style") for el in root.iter())
    assert "xlink" not in svg
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)


def test_map_geometry(shapes):
    root = parse(draw(shapes, make_regions(shapes), width=600))
    x0, y0, width, height = map(int, root.get("viewBox").split())
    assert (x0, y0, width) == (0, 0, 600) and 500 < height < 900  # Shanghai is taller than wide
    for path in root.iter(NS + "path"):
        d = path.get("d")
        assert d.startswith("M") and d.endswith("Z")
        assert all(re.fullmatch(r"\d+\.\d", n) for n in re.findall(r"[\d.-]+", d))
        for ring in subpaths(d):
            assert len(ring) >= 3
            assert all(a != b for a, b in zip(ring, ring[1:] + ring[:1], strict=True))  # no repeats
            assert all(0 <= x <= width and 0 <= y <= height for x, y in ring)
    narrow = parse(draw(shapes, {}, width=300))
    assert int(narrow.get("viewBox").split()[3]) / 300 == pytest.approx(height / 600, rel=0.03)


def test_map_without_labels(shapes):
    root = parse(draw(shapes, make_regions(shapes), labelled=False))
    assert not list(root.iter(NS + "text"))


def test_map_is_deterministic(shapes):
    regions = make_regions(shapes)
    first = draw(shapes, regions)
    shuffled = dict(reversed(list(regions.items())))
    assert draw(tuple(reversed(shapes)), shuffled) == first
    assert draw(shapes, regions) == first
    assert isinstance(first, Markup) and escape(first) == first  # safe to drop into Jinja


def test_map_rejects_bad_input(shapes):
    with pytest.raises(ValueError):
        draw([], {})
    with pytest.raises(ValueError):
        draw(shapes, {}, id_prefix="two words")


def test_full_map_size_is_reasonable(shapes):
    regions = {s.code: Region(s.code, english_name(s.code), None, "") for s in shapes}
    size = len(draw(shapes, regions).encode())
    assert 10_000 < size < 100_000


# --- bar_chart -------------------------------------------------------------------------

ROWS = [
    ("Pudong", 12, "/en/districts/pudong/"),
    ("Yangpu", 6, None),
    ("Jinshan", 0, None),
    ("<Xuhui>", 3, "/x?a=1&b=2"),
]


def chart(rows=ROWS, **kw):
    return bar_chart(rows, **{"title": "Zones", "desc": "Zones per district", "id_prefix": "zc", **kw})


def test_bar_chart_shows_every_number_as_text():
    root = parse(chart())
    values = [t.text for t in root.iter(NS + "text") if t.get("class") == "bar-value"]
    labels = [t.text for t in root.iter(NS + "text") if t.get("class") == "bar-label"]
    assert values == ["12", "6", "0", "3"]
    assert labels == ["Pudong", "Yangpu", "Jinshan", "<Xuhui>"]  # order given, escaped in source
    assert "<Xuhui>" not in str(chart())


def test_bar_chart_scales_bars_to_the_maximum():
    root = parse(chart())
    widths = [float(r.get("width")) for r in root.iter(NS + "rect")]
    assert len(widths) == 3  # the zero count draws no bar
    assert widths[0] / widths[1] == pytest.approx(2, abs=0.02)
    assert widths[0] / widths[2] == pytest.approx(4, abs=0.05)
    assert all(r.get("class") == "bar" for r in root.iter(NS + "rect"))
    assert max(float(r.get("x")) + float(r.get("width")) for r in root.iter(NS + "rect")) <= 480


def test_bar_chart_rows_are_evenly_spaced():
    root = parse(chart())
    ys = [float(t.get("y")) for t in root.iter(NS + "text") if t.get("class") == "bar-label"]
    gaps = {round(b - a, 1) for a, b in pairwise(ys)}
    assert len(gaps) == 1 and gaps.pop() > 0


def test_bar_chart_links_and_roles():
    root = parse(chart())
    links = list(root.iter(NS + "a"))
    assert [a.get("href") for a in links] == ["/en/districts/pudong/", "/x?a=1&b=2"]
    assert root.get("role") == "group" and root.get("aria-labelledby") == "zc-title zc-desc"
    assert [el.tag for el in list(root)[:2]] == [NS + "title", NS + "desc"]
    plain = parse(chart([(label, n, None) for label, n, _ in ROWS]))
    assert plain.get("role") == "img" and not list(plain.iter(NS + "a"))
    assert not any("style" in el.attrib for el in root.iter())


def test_bar_chart_is_deterministic_and_validates():
    assert chart() == chart()
    assert parse(chart([("None yet", 0, None)])).find(NS + "rect") is None
    with pytest.raises(ValueError):
        chart([("A", -1, None)])
    with pytest.raises(ValueError):
        chart([("A", 1.5, None)])
