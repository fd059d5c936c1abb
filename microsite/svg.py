"""Accessible inline SVG drawn at build time: a district map and a bar chart.

Output is meant to be pasted into HTML5 pages under a strict Content-Security-Policy,
so there are no inline styles or scripts: everything visual hangs off CSS classes.
The same input always gives the same bytes (fixed number format, sorted by code),
so rebuilt pages do not churn.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Point = tuple[float, float]
Ring = tuple[Point, ...]

MAP_MARGIN = 8  # viewBox units around the map so strokes are not clipped
# Map labels, in viewBox units: 20 is about 12 px on a 360 px wide phone map. Boxes are
# estimated generously (bold Latin letters, full-width Han; Han fonts' glyph boxes reach higher
# above the baseline, 0.83 em in Noto Sans CJK against 0.57 em in Latin fonts), so measured boxes
# fit inside.
LABEL_SIZE, LATIN_EM, LABEL_PAD = 20, 0.7, 4
LATIN_HALF_HEIGHT, WIDE_HALF_HEIGHT = 0.65, 0.85  # in em, about the label's middle
LABEL_STEP, LABEL_TURNS = 6, 48  # a displaced label is tried on rings LABEL_STEP apart
SCANLINES = 32  # rows sampled by the label fallback
BAR_ROW, BAR_HEIGHT, BAR_LABEL_SHARE, BAR_VALUE_ROOM = 28, 18, 0.4, 40


@dataclass(frozen=True)
class Shape:
    """One area's boundary, already parsed. The file's other properties (names, for its editors)
    are not read: the content names the areas, in every language."""

    code: str
    rings: tuple[Ring, ...]  # outer rings as (lon, lat); holes dropped


@dataclass(frozen=True)
class Region:
    """How one district is drawn."""

    code: str
    label: str  # text shown and announced, already in the page language
    href: str | None  # link target, or None for no link
    css_class: str  # e.g. "batch-1"; the CSS gives a colour and a pattern
    lang: str | None = None  # lang of the label when it differs from the page


# --- GeoJSON -----------------------------------------------------------------


@functools.lru_cache(maxsize=4)  # immutable result; the dev server re-reads the same file
def load_shapes(text: str) -> tuple[Shape, ...]:
    """Parse a GeoJSON FeatureCollection of (Multi)Polygons, sorted by code."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"district boundaries are not valid JSON: {err}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError("district boundaries must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValueError("FeatureCollection has no 'features' list")
    shapes = [_feature_shape(i, feature) for i, feature in enumerate(features)]
    codes = [shape.code for shape in shapes]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"duplicate district codes: {', '.join(duplicates)}")
    return tuple(sorted(shapes, key=lambda shape: shape.code))


def _feature_shape(index: int, feature: object) -> Shape:
    where = f"feature {index}"
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise ValueError(f"{where}: not a Feature with properties")
    props = feature["properties"]
    if not isinstance(props.get("code"), str) or not props["code"].strip():
        raise ValueError(f"{where}: property 'code' must be a non-empty string")
    where = f"feature {index} ({props['code']})"
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    else:
        raise ValueError(f"{where}: geometry must be a Polygon or MultiPolygon")
    rings = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(f"{where}: polygon without rings")
        rings.append(_ring(where, polygon[0]))  # first ring is outer; holes dropped
    if not rings:
        raise ValueError(f"{where}: MultiPolygon without polygons")
    return Shape(props["code"], tuple(rings))


def _ring(where: str, positions: object) -> Ring:
    if not isinstance(positions, list) or len(positions) < 4:
        raise ValueError(f"{where}: a ring needs at least 4 positions")
    ring = []
    for pos in positions:
        if not (isinstance(pos, list) and len(pos) >= 2 and all(_is_number(v) for v in pos[:2])):
            raise ValueError(f"{where}: bad position {pos!r}")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"{where}: position {pos!r} is not (lon, lat) in degrees")
        ring.append((lon, lat))
    return tuple(ring)


def _is_number(value: object) -> bool:
    # bool is an int subclass; JSON true is not a coordinate
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- shared SVG helpers --------------------------------------------------------


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text  # one spelling for zero


def _attrs(*pairs: tuple[str, object | None]) -> str:
    """Escaped attributes in the given order; None values are left out."""
    return "".join(f' {name}="{escape(value)}"' for name, value in pairs if value is not None)


def _svg(
    body: list[str], *, css_class: str, width: int, height: int, linked: bool, title: str, desc: str, id_prefix: str
) -> Markup:
    if not id_prefix or any(ch.isspace() for ch in id_prefix):
        raise ValueError(f"id_prefix must be non-empty without spaces, got {id_prefix!r}")
    # role=img hides children from assistive tech, which would hide the links too
    root = _attrs(
        ("xmlns", "http://www.w3.org/2000/svg"),
        ("viewBox", f"0 0 {width} {height}"),
        ("class", css_class),
        ("role", "group" if linked else "img"),
        ("aria-labelledby", f"{id_prefix}-title {id_prefix}-desc"),
    )
    head = [
        f"<svg{root}>",
        f'<title id="{escape(id_prefix)}-title">{escape(title)}</title>',
        f'<desc id="{escape(id_prefix)}-desc">{escape(desc)}</desc>',
    ]
    return Markup("\n".join(head + body + ["</svg>"]))


# --- district map ---------------------------------------------------------------


def district_map(
    shapes: Iterable[Shape],
    regions: Mapping[str, Region],
    *,
    title: str,
    desc: str,
    id_prefix: str,
    labelled: bool = True,
    width: int = 600,
) -> Markup:
    """Draw every shape as a <path>; districts with a Region.href become links. Labels come
    last, above every shape, placed so that no two overlap: a label that does not fit at its
    district's label point moves to the nearest free place, with a leader line back to it."""
    height, drawn = _geometry(tuple(sorted(shapes, key=lambda shape: shape.code)), width)
    body, linked, anchors = [], False, []
    for code, path, label_at, area in drawn:
        region = regions.get(code)
        body.extend(_district(code, path, region))
        linked = linked or bool(region and region.href)
        if labelled and region:
            anchors.append((area, code, region, label_at))
    if anchors:
        body.append('<g class="map-labels">')
        body.extend(_labels(anchors, width, height))
        body.append("</g>")
    return _svg(
        body,
        css_class="district-map",
        width=width,
        height=height,
        linked=linked,
        title=title,
        desc=desc,
        id_prefix=id_prefix,
    )


@functools.lru_cache(maxsize=16)
def _geometry(shapes: tuple[Shape, ...], width: int) -> tuple[int, tuple[tuple[str, str, Point, float], ...]]:
    """The projected outline, label point and area of every shape: the same for every page that
    draws this map at this width, so it is computed once."""
    if not shapes:
        raise ValueError("district_map needs at least one shape")
    if len({shape.code for shape in shapes}) != len(shapes):
        raise ValueError("district_map got two shapes with the same code")
    points = [pt for shape in shapes for ring in shape.rings for pt in ring]
    project, height = _projection(points, width)
    drawn = []
    for shape in shapes:
        rings = [tuple(project(pt) for pt in ring) for ring in shape.rings]
        largest = max(rings, key=lambda ring: abs(_area(ring)))
        drawn.append((shape.code, _path_data(rings), _label_point(largest), abs(_area(largest))))
    return height, tuple(drawn)


def _projection(points: list[Point], width: int):
    """Equirectangular projection, x shrunk by cos(mid latitude), fitted to width."""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    x_scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x, span_y = (max(lons) - min(lons)) * x_scale, max(lats) - min(lats)
    if span_x <= 0 or span_y <= 0 or width <= 2 * MAP_MARGIN:
        raise ValueError("shapes span no area, or width is too small to draw them")
    k = (width - 2 * MAP_MARGIN) / span_x
    west, north = min(lons), max(lats)

    def project(pt: Point) -> Point:
        return (MAP_MARGIN + (pt[0] - west) * x_scale * k, MAP_MARGIN + (north - pt[1]) * k)

    return project, math.ceil(span_y * k + 2 * MAP_MARGIN)


def _district(code: str, path: str, region: Region | None) -> list[str]:
    classes = " ".join(filter(None, ["district", region.css_class if region else ""]))
    parts = [f"<path{_attrs(('class', classes), ('data-code', code), ('d', path))}/>"]
    if region and region.href:
        link = _attrs(("href", region.href), ("class", "district-link"), ("aria-label", region.label))
        parts = [f"<a{link}>", *parts, "</a>"]
    return parts


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _labels(anchors: list, width: int, height: int) -> list[str]:
    """<text> per label, the largest districts' first (they keep their place; small ones move),
    each where its box overlaps no other and stays inside the map."""
    placed: list[Box] = []
    parts = []
    for _, code, region, (ax, ay) in sorted(anchors, key=lambda a: (-a[0], a[1])):
        half_w = _label_width(region.label) / 2
        half_h = LABEL_SIZE * (WIDE_HALF_HEIGHT if any(map(_wide, region.label)) else LATIN_HALF_HEIGHT)
        x, y = _free_place(ax, ay, half_w, half_h, placed, width, height)
        placed.append((x - half_w, y - half_h, x + half_w, y + half_h))
        attrs = _attrs(
            ("class", "map-label"),
            ("data-code", code),
            ("x", _num(x)),
            ("y", _num(y)),
            ("dy", "0.35em"),
            ("text-anchor", "middle"),
            ("lang", region.lang),
            ("aria-hidden", "true" if region.href else None),
        )  # the link already names it
        if (x, y) != (ax, ay):
            ex, ey = _edge_point(ax, ay, placed[-1])
            parts.append(f'<line class="map-leader" x1="{_num(ax)}" y1="{_num(ay)}" x2="{_num(ex)}" y2="{_num(ey)}"/>')
            parts.append(f'<circle class="map-dot" cx="{_num(ax)}" cy="{_num(ay)}" r="3.5"/>')
        parts.append(f"<text{attrs}>{escape(region.label)}</text>")
    return parts


def _label_width(label: str) -> float:
    return sum(LABEL_SIZE * (1.0 if _wide(ch) else LATIN_EM) for ch in label) + 2 * LABEL_PAD


def _wide(ch: str) -> bool:
    """A full-width character (Han, kana, Hangul and the CJK punctuation)."""
    return ord(ch) >= 0x2E80


def _free_place(
    ax: float, ay: float, half_w: float, half_h: float, placed: list[Box], width: int, height: int
) -> Point:
    """The label point itself if the box fits there, else the nearest point on rings around it
    (16 directions a ring) where the box is clear, and its leader line too if possible; the point
    itself when nothing is (a map too small for its labels)."""
    for strict in (True, False):
        found = _search(ax, ay, half_w, half_h, placed, width, height, strict)
        if found:
            return found
    return ax, ay


def _search(
    ax: float, ay: float, half_w: float, half_h: float, placed: list[Box], width: int, height: int, strict: bool
) -> Point | None:
    for ring in range(LABEL_TURNS + 1):
        for step in range(16 if ring else 1):
            angle = math.pi * 2 * step / 16
            x = ax + math.cos(angle) * ring * LABEL_STEP * 2
            y = ay + math.sin(angle) * ring * LABEL_STEP
            x = min(max(x, half_w), width - half_w)
            y = min(max(y, half_h), height - half_h)
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            if any(_overlap(box, other) for other in placed):
                continue
            if strict and ring and any(_crosses((ax, ay), _edge_point(ax, ay, box), other) for other in placed):
                continue
            return x, y
    return None


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _edge_point(ax: float, ay: float, box: Box) -> Point:
    """Where a leader line from (ax, ay) meets the box: its nearest point."""
    return min(max(ax, box[0]), box[2]), min(max(ay, box[1]), box[3])


def _crosses(a: Point, b: Point, box: Box, samples: int = 16) -> bool:
    """Whether the segment a–b passes through the box (sampled: leader lines are short)."""
    return any(
        box[0] < a[0] + (b[0] - a[0]) * i / samples < box[2] and box[1] < a[1] + (b[1] - a[1]) * i / samples < box[3]
        for i in range(samples + 1)
    )


def _path_data(rings: list[Ring]) -> str:
    subpaths = []
    for ring in rings:
        points: list[str] = []
        for x, y in ring:
            point = f"{_num(x)} {_num(y)}"
            if not points or points[-1] != point:  # rounding merges near points
                points.append(point)
        if len(points) > 1 and points[-1] == points[0]:
            points.pop()  # Z closes the ring
        if len(points) >= 3:  # smaller islands vanish at this scale
            subpaths.append(f"M{points[0]}L{' '.join(points[1:])}Z")
    return "".join(subpaths)


def _edges(ring: Ring):
    return zip(ring, ring[1:] + ring[:1], strict=True)


def _area(ring: Ring) -> float:
    return sum(ax * by - bx * ay for (ax, ay), (bx, by) in _edges(ring)) / 2


def _label_point(ring: Ring) -> Point:
    """The centroid if it lies inside the ring, else the middle of the widest scanline."""
    area, cx, cy = _area(ring), 0.0, 0.0
    for (ax, ay), (bx, by) in _edges(ring):
        cross = ax * by - bx * ay
        cx, cy = cx + (ax + bx) * cross, cy + (ay + by) * cross
    if area and _inside((cx / (6 * area), cy / (6 * area)), ring):
        return cx / (6 * area), cy / (6 * area)
    return _widest_scanline(ring)


def _crossings(ring: Ring, y: float) -> list[float]:
    """x of every edge crossing the horizontal line at y, sorted."""
    return sorted(ax + (y - ay) * (bx - ax) / (by - ay) for (ax, ay), (bx, by) in _edges(ring) if (ay > y) != (by > y))


def _inside(pt: Point, ring: Ring) -> bool:
    return sum(1 for x in _crossings(ring, pt[1]) if x > pt[0]) % 2 == 1


def _widest_scanline(ring: Ring) -> Point:
    top, bottom = min(p[1] for p in ring), max(p[1] for p in ring)
    best, best_width = (ring[0][0], (top + bottom) / 2), -1.0
    for i in range(SCANLINES):
        y = top + (i + 0.5) * (bottom - top) / SCANLINES
        xs = _crossings(ring, y)
        for left, right in zip(xs[::2], xs[1::2], strict=False):  # even-odd: inside between pairs
            if right - left > best_width:
                best, best_width = ((left + right) / 2, y), right - left
    return best


# --- bar chart --------------------------------------------------------------------


def bar_chart(
    rows: Sequence[tuple[str, int, str | None]], *, title: str, desc: str, id_prefix: str, width: int = 480
) -> Markup:
    """Horizontal bars in the given order: label left, count printed at the bar end."""
    counts = [count for _, count, _ in rows]
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
        raise ValueError("bar_chart counts must be non-negative integers")
    gutter = round(width * BAR_LABEL_SHARE)
    room = width - gutter - BAR_VALUE_ROOM
    if room <= 0:
        raise ValueError(f"width {width} leaves no room for bars")
    top = max(counts, default=0)
    body = []
    for i, (label, count, href) in enumerate(rows):
        y = i * BAR_ROW + (BAR_ROW - BAR_HEIGHT) / 2
        middle = _num(i * BAR_ROW + BAR_ROW / 2)
        length = room * count / top if top else 0.0
        parts = [f'<text class="bar-label" x="0" y="{middle}" dy="0.35em">{escape(label)}</text>']
        if length > 0:  # a zero count draws no bar, only its number
            parts.append(f'<rect class="bar" x="{gutter}" y="{_num(y)}" width="{_num(length)}" height="{BAR_HEIGHT}"/>')
        parts.append(
            f'<text class="bar-value" x="{_num(gutter + length + 4)}" y="{middle}" '
            f'dy="0.35em">{escape(str(count))}</text>'
        )
        if href:  # the link's name is its text: label and number
            body += [f"<a{_attrs(('href', href), ('class', 'bar-link'))}>", *parts, "</a>"]
        else:
            body += ['<g class="bar-row">', *parts, "</g>"]
    linked = any(href for _, _, href in rows)
    return _svg(
        body,
        css_class="bar-chart",
        width=width,
        height=max(len(rows), 1) * BAR_ROW,
        linked=linked,
        title=title,
        desc=desc,
        id_prefix=id_prefix,
    )
