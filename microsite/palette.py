"""The colours of the batches on the map and in its legend, for any number of batches.

Batch k's hue is k golden angles round the OKLCH circle from the theme's blue: no two batches
share a hue, however many there are, and adding a batch never recolours the earlier ones. The
lightness is fixed per colour scheme, so every colour keeps at least 3:1 contrast (WCAG 2.2,
1.4.11) against the page and against the land of the areas without a zone, in light and in dark
mode; even batches also have a dashed outline, so neighbours in hue differ in pattern too. Areas
whose zones are in no batch take the colour after the last batch's.

The pages' Content-Security-Policy allows no inline style, so the colours reach the page as a
stylesheet of their own (`stylesheet`), one per number of batches.
"""

from __future__ import annotations

import functools
import hashlib
import math

GOLDEN_ANGLE = 360 * (1 - 1 / ((1 + 5**0.5) / 2))  # about 137.5°
FIRST_HUE = 250  # the theme's blue (--accent)
# (lightness, largest chroma) per colour scheme: dark fills on a light page, light on a dark one
SCHEMES = {"light": (0.50, 0.13), "dark": (0.76, 0.12)}


def colours(n: int, scheme: str) -> list[str]:
    """The first n batches' colours as #rrggbb, in one colour scheme."""
    lightness, chroma = SCHEMES[scheme]
    return [_in_gamut(lightness, chroma, (FIRST_HUE + k * GOLDEN_ANGLE) % 360) for k in range(n)]


@functools.lru_cache(maxsize=8)
def stylesheet(n: int) -> bytes:
    """CSS giving map areas and legend swatches of batch 1…n their colours, light and dark, and
    those with a zone in no batch (`zoned`) the next colour."""

    def rules(scheme: str) -> list[str]:
        names = [f"batch-{k}" for k in range(1, n + 1)] + ["zoned"]
        return [
            rule
            for name, c in zip(names, colours(n + 1, scheme), strict=True)
            for rule in (f".district.{name} {{ fill: {c}; }}", f".swatch.{name} {{ background: {c}; }}")
        ]

    dashed = ", ".join(f".district.batch-{k}" for k in range(2, n + 1, 2))
    lines = [
        "/* Batch colours, made by the generator for this number of batches (palette.py). */",
        *rules("light"),
        "@media (prefers-color-scheme: dark) {",
        *("  " + rule for rule in rules("dark")),
        "}",
    ]
    if dashed:
        lines.append(f"{dashed} {{ stroke-dasharray: 3 2; }}")
        lines.append(", ".join(f".swatch.batch-{k}" for k in range(2, n + 1, 2)) + " { border-style: dashed; }")
    return ("\n".join(lines) + "\n").encode("utf-8")


def stylesheet_path(n: int) -> str:
    """The output path of the stylesheet for n batches, with its hash (it is cached forever)."""
    return f"assets/batches-{n}.{hashlib.sha256(stylesheet(n)).hexdigest()[:10]}.css"


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _in_gamut(lightness: float, chroma: float, hue: float) -> str:
    """The OKLCH colour as sRGB, its chroma reduced (hue and lightness kept) until it fits."""
    low, high = 0.0, chroma
    while _srgb(lightness, high, hue) is None and high - low > 1e-4:
        mid = (low + high) / 2
        low, high = (mid, high) if _srgb(lightness, mid, hue) is not None else (low, mid)
        if high - low <= 1e-4:
            high = low
    rgb = _srgb(lightness, high, hue)
    assert rgb is not None, "the loop ends on a chroma in gamut: high itself, or high == low (at worst a grey)"
    return "#" + "".join(f"{round(v * 255):02x}" for v in rgb)


def _srgb(lightness: float, chroma: float, hue: float) -> tuple[float, float, float] | None:
    """OKLCH -> gamma-encoded sRGB in 0…1, or None when outside the sRGB gamut."""
    a, b = chroma * math.cos(math.radians(hue)), chroma * math.sin(math.radians(hue))
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    linear = (
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    )
    if any(v < -1e-6 or v > 1 + 1e-6 for v in linear):
        return None
    r, g, b = (_encode(min(max(v, 0.0), 1.0)) for v in linear)
    return r, g, b


def _encode(v: float) -> float:
    return 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def _luminance(colour: str) -> float:
    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
