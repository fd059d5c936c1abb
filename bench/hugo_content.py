"""Turn a content folder (ours, YAML) into the same site's content for Hugo.

    python -m bench.hugo_content --content DIR --out SITE

SITE gets a copy of the Hugo skeleton in bench/hugo/ (config, layouts, i18n), our style sheet and
search script as Hugo assets, and one Markdown file per item and language (`<name>.en.md`,
`<name>.zh.md`) with JSON front matter. Districts, zones, themes, batches and sources become Hugo
taxonomies whose term pages carry the item's own text (`districts/<id>/_index.en.md`), so an
initiative's page links to them and their pages list its initiatives, as ours do. Markdown stays
Markdown: Hugo renders it, as we do. Related initiatives come from our model (resolve.py), so
Hugo shows the same five with the same bounded cost instead of running its own, costlier search.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import yaml

from microsite.diagnostics import Diagnostics
from microsite.load import load_content
from microsite.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
SKELETON = Path(__file__).resolve().parent / "hugo"
LANGUAGES = ("en", "zh")
TAXONOMIES = ("districts", "zones", "themes", "batches", "sources")
# The listings and special pages, as Hugo sections: name -> (English title, Chinese title).
SECTIONS = {
    "initiatives": ("Initiatives", "举措"),
    "search": ("Search", "搜索"),
    "translations": ("Translations", "翻译"),
    "districts": ("Districts", "区"),
    "zones": ("Zones", "区域"),
    "themes": ("Themes", "主题"),
    "batches": ("Batches", "批次"),
    "sources": ("Sources", "来源"),
}


def pick(value, lang: str) -> str:
    """A text field in one language, falling back to the other (a plain string is English)."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    return value.get(lang) or next((v for v in value.values() if v), "")


def read_folder(content: Path, kind: str) -> dict[str, dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {
        path.stem: yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        for path in sorted((content / kind).glob("*.yaml"))
    }


def write_page(path: Path, front: dict, body: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(front, ensure_ascii=False, sort_keys=True, default=_date) + "\n\n" + body
    path.write_text(text, encoding="utf-8")


def _date(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {value!r} as JSON")


def related_ids(content: Path) -> dict[str, list[str]]:
    """Initiative id -> ids of its related initiatives, as our model computes them."""
    diags = Diagnostics()
    site = resolve(load_content(content, diags), diags)
    if site is None or diags.errors:
        raise SystemExit(f"{content} has content errors: build it with build.py to see them")
    return {ini.id: [other.id for other in ini.related] for ini in site.initiatives}


def initiative_front(item: dict, lang: str, zone_district: dict[str, str], related: list[str]) -> dict:
    """Front matter of one initiative: its districts include those of its zones, as in our model."""
    zones = item.get("zones", [])
    districts = sorted(set(item.get("districts", [])) | {zone_district[z] for z in zones})
    front = {
        "title": pick(item["title"], lang),
        "districts": districts,
        "zones": zones,
        "themes": item["themes"],
        "sources": item["sources"],
        "related": related,
        "batches": [item["batch"]] if item.get("batch") else [],
    }
    for key in ("date", "status"):
        if item.get(key):
            front[key] = item[key]
    return front


def term_front(kind: str, item: dict, lang: str) -> dict:
    """Front matter of a district, zone, theme, batch or source page."""
    front = {"title": pick(item.get("name") or item.get("title"), lang)}
    if kind == "zones":
        front.update(district=item["district"], batch=item["batch"], zone_kind=item["kind"])
    elif kind == "districts":
        front.update(code=item["code"])
    elif kind == "themes":
        front.update(weight=item["order"], tagline=pick(item["summary"], lang))
    elif kind == "batches":
        front.update(weight=item["order"], announced=item["announced"])
    elif kind == "sources":
        front.update(
            publisher=pick(item["publisher"], lang),
            link=item["url"],
            date=item["date"],
            source_language=item["language"],
        )
    if "sources" in item and kind != "sources":
        front["cites"] = item["sources"]
    return front


def convert(content: Path, out: Path) -> None:
    """(Re)create the Hugo site `out` from our content folder."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SKELETON, out)
    (out / "assets").mkdir()
    for asset in ("style.css", "search.js"):
        shutil.copy(ROOT / "static" / asset, out / "assets" / asset)
    pages = out / "content"
    site = yaml.safe_load((content / "site.yaml").read_text(encoding="utf-8"))
    items = {kind: read_folder(content, kind) for kind in (*TAXONOMIES, "initiatives")}
    zone_district = {zone_id: zone["district"] for zone_id, zone in items["zones"].items()}
    related = related_ids(content)
    for n, lang in enumerate(LANGUAGES):
        write_page(pages / f"_index.{lang}.md", {"title": pick(site["title"], lang)}, pick(site["intro"], lang))
        for section, titles in SECTIONS.items():
            write_page(pages / section / f"_index.{lang}.md", {"title": titles[n]})
        for kind in TAXONOMIES:
            for item_id, item in items[kind].items():
                body = pick(item.get("summary") or item.get("note"), lang) if kind != "themes" else ""
                write_page(pages / kind / item_id / f"_index.{lang}.md", term_front(kind, item, lang), body)
        for item_id, item in items["initiatives"].items():
            write_page(
                pages / "initiatives" / f"{item_id}.{lang}.md",
                initiative_front(item, lang, zone_district, related[item_id]),
                pick(item["body"], lang),
            )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hugo_content", description=__doc__.split("\n\n")[0])
    p.add_argument("--content", type=Path, required=True, metavar="DIR", help="our content folder")
    p.add_argument("--out", type=Path, required=True, metavar="SITE", help="Hugo site folder to (re)create")
    args = p.parse_args(argv)
    convert(args.content, args.out)
    print(f"wrote the Hugo site {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
