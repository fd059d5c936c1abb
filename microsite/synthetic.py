"""Synthetic content of any size, for tests and benchmarks.

    python -m microsite.synthetic --initiatives 10000 --out /tmp/synthetic [--seed 1]

Writes a complete, valid content folder: the 16 real districts (codes as on the map), two zones
per district, the real themes, one source per 25 initiatives and N initiatives with bilingual
Markdown bodies. The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

import yaml

from .kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = [
    ("huangpu", "310101", "Huangpu", "黄浦区"),
    ("xuhui", "310104", "Xuhui", "徐汇区"),
    ("changning", "310105", "Changning", "长宁区"),
    ("jingan", "310106", "Jing'an", "静安区"),
    ("putuo", "310107", "Putuo", "普陀区"),
    ("hongkou", "310109", "Hongkou", "虹口区"),
    ("yangpu", "310110", "Yangpu", "杨浦区"),
    ("minhang", "310112", "Minhang", "闵行区"),
    ("baoshan", "310113", "Baoshan", "宝山区"),
    ("jiading", "310114", "Jiading", "嘉定区"),
    ("pudong", "310115", "Pudong", "浦东新区"),
    ("jinshan", "310116", "Jinshan", "金山区"),
    ("songjiang", "310117", "Songjiang", "松江区"),
    ("qingpu", "310118", "Qingpu", "青浦区"),
    ("fengxian", "310120", "Fengxian", "奉贤区"),
    ("chongming", "310151", "Chongming", "崇明区"),
]
WORDS = [
    "trade",
    "data",
    "finance",
    "talent",
    "platform",
    "service",
    "port",
    "logistics",
    "research",
    "pilot",
    "measure",
    "investment",
    "customs",
    "bonded",
    "digital",
    "industry",
    "innovation",
    "policy",
    "market",
    "zone",
]
HANZI = "贸易数据金融人才平台服务港口物流研发试点举措投资海关保税数字产业创新政策市场区域"


def _dump(path: Path, data: dict) -> None:
    text = yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _hanzi(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HANZI) for _ in range(n)) + "。"


def _cite(text: str, source: str) -> str:
    """Every paragraph cites its source inline, as real content must."""
    return f"{text} [@{source}]"


def write_content(out: Path, initiatives: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    for folder in [kind.folder for kind in KINDS] + ["geo"]:
        (out / folder).mkdir(parents=True)
    shutil.copy(ROOT / "content/geo/shanghai-districts.geojson", out / "geo")
    themes = sorted(p.stem for p in (ROOT / "content/themes").glob("*.yaml"))
    for theme in themes:
        shutil.copy(ROOT / "content/themes" / f"{theme}.yaml", out / "themes")
    sources = [f"source-{i:05d}" for i in range(max(1, initiatives // 25))]
    for i, source in enumerate(sources):
        _dump(
            out / "sources" / f"{source}.yaml",
            {
                "title": f"Synthetic report {i}",
                "publisher": {"en": "Synthetic Daily", "zh": "合成日报"},
                "url": f"https://example.org/reports/{i}",
                "date": dt.date(2024, 1 + i % 12, 1 + i % 28),
                "language": "en",
            },
        )
    _dump(
        out / "site.yaml",
        {
            "title": {"en": "Synthetic zones", "zh": "合成区域"},
            "description": {"en": "Synthetic content for benchmarks.", "zh": "用于基准测试的合成内容。"},
            "intro": {"en": _cite("Synthetic content.", sources[0]), "zh": _cite("合成内容。", sources[0])},
            "sources": [sources[0]],
            "map": {"file": "geo/shanghai-districts.geojson"},
            "zone_kinds": {"innovation-zone": {"en": "Innovation zone", "zh": "创新区"}},
        },
    )
    for order, (batch, date) in enumerate((("first", dt.date(2024, 8, 15)), ("second", dt.date(2025, 10, 15))), 1):
        _dump(
            out / "batches" / f"{batch}.yaml",
            {
                "name": {"en": f"Batch {order}", "zh": f"第{order}批"},
                "announced": date,
                "order": order,
                "summary": {"en": _cite("A batch.", sources[0]), "zh": _cite("一个批次。", sources[0])},
                "sources": [sources[0]],
            },
        )
    zones = []
    for n, (district, code, en, zh) in enumerate(DISTRICTS):
        _dump(
            out / "districts" / f"{district}.yaml",
            {
                "name": {"en": en, "zh": zh},
                "code": code,
                "summary": {"en": _cite(_sentence(rng, 30), sources[0]), "zh": _cite(_hanzi(rng, 60), sources[0])},
                "sources": [sources[0]],
            },
        )
        for k in (1, 2):
            zone = f"{district}-zone-{k}"
            zones.append(zone)
            _dump(
                out / "zones" / f"{zone}.yaml",
                {
                    "name": {"en": f"{en} zone {k}", "zh": f"{zh}区域{k}"},
                    "kind": "innovation-zone",
                    "district": district,
                    "batch": "first" if n % 2 else "second",
                    "summary": {"en": _cite(_sentence(rng, 20), sources[0]), "zh": _cite(_hanzi(rng, 40), sources[0])},
                    "sources": [sources[0]],
                },
            )
    for i in range(initiatives):
        source = sources[i % len(sources)]
        paragraphs_en = "\n\n".join(_cite(_sentence(rng, 25), source) for _ in range(3))
        paragraphs_zh = "\n\n".join(_cite(_hanzi(rng, 50), source) for _ in range(3))
        _dump(
            out / "initiatives" / f"initiative-{i:06d}.yaml",
            {
                "title": {"en": f"{_sentence(rng, 5)[:-1]} {i}", "zh": f"{_hanzi(rng, 8)[:-1]}{i}"},
                "zones": sorted(set(rng.sample(zones, rng.choice((1, 1, 2))))),
                "themes": sorted(set(rng.sample(themes, rng.choice((1, 2, 3))))),
                "sources": [source],
                "batch": rng.choice(("first", "second")),
                "date": dt.date(rng.choice((2024, 2025)), rng.randint(1, 12), rng.randint(1, 28)),
                "status": rng.choice(("announced", "in-progress", "in-effect")),
                "body": {"en": f"## Summary\n\n{paragraphs_en}\n", "zh": f"## 概要\n\n{paragraphs_zh}\n"},
            },
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m microsite.synthetic", description=__doc__.split("\n\n")[0])
    p.add_argument("--initiatives", type=int, required=True, metavar="N", help="how many initiatives")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="content folder to (re)create")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = p.parse_args(argv)
    write_content(args.out, args.initiatives, args.seed)
    print(f"wrote {args.initiatives} initiatives to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
