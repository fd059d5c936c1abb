"""The benchmark harness on a tiny site: it builds both sites and writes the table (no timings)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bench.run import RESULTS_MARKER, Sample, main, measure, targets

from conftest import ROOT


def test_bench_writes_a_table_comparing_both_builds(tmp_path, capsys):
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Intro kept\n\n{RESULTS_MARKER}\n\nold figures\n", encoding="utf-8")

    kept = ROOT / ".cache" / "build" / "state-kept-by-the-bench.pickle"  # a developer's state
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(b"")
    try:
        assert main(["--sizes", "20", "--runs", "1", "--out", str(out), "--work", str(tmp_path / "work")]) == 0
        assert kept.exists(), "the bench deleted the repository's build state"
    finally:
        kept.unlink(missing_ok=True)
    assert list((tmp_path / "work" / "20" / ".cache" / "build").glob("state-*"))  # its own state, in its work

    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Intro kept\n") and "old figures" not in text
    assert text.split(RESULTS_MARKER)[1].strip() in capsys.readouterr().out
    # Both generators built the same pages (both languages, one for one).
    pages = re.search(r"^\| 20 \| ([\d,]+) / ([\d,]+) \|", text, re.MULTILINE)
    assert pages and int(pages[1]) > 100 and pages[1] == pages[2]
    for step in ("cold", "no change", "one change", "copy output (floor)"):
        assert re.search(rf"^\| 20 \| {re.escape(step)} \| [\d.]+ s \| [\d.]+ s \| [\d.]+× \|", text, re.MULTILINE), (
            step
        )
    assert re.search(r"^\| 20 \| \d+ MiB \| \d+ MiB \| [\d.]+× \|", text, re.MULTILINE)
    assert "Hugo 0.168.0" in text
    # The targets, each with its verdict from the figures above.
    verdicts = re.findall(r"^\| (.+?) \| .* \| ([\d.]+)× \| ([\d.]+)× \| (met|\*\*not met\*\*) \|$", text, re.MULTILINE)
    assert "### Issue #21's targets (20 initiatives)" in text and len(verdicts) == 4
    assert all((float(measured) <= float(limit)) == (verdict == "met") for _, measured, limit, verdict in verdicts)


def test_the_bench_takes_every_size_in_turn_in_each_run(tmp_path, capsys):
    """Run by run, each size in turn: a machine that slows over the bench's hour slows every size
    alike, rather than the sizes measured last (the scaling target compares two sizes)."""
    out = tmp_path / "benchmarks.md"
    argv = ["--sizes", "12,8", "--runs", "2", "--out", str(out), "--work", str(tmp_path / "work")]
    assert main(argv) == 0
    order = re.findall(r"^  (\d+) initiatives, run (\d)/2, (\w+):", capsys.readouterr().out, re.MULTILINE)
    assert order == [(size, run, tool) for run in "12" for size in ("8", "12") for tool in ("ours", "hugo")]
    assert re.search(r"^\| 12 / 8 \| ", out.read_text(encoding="utf-8"), re.MULTILINE)  # both sizes' medians


def test_a_command_s_peak_memory_is_its_own_not_the_bench_s():
    """A program started by a process takes that process's peak as its own (Linux, at exec): the
    bench holds a large site's content once it is generated, and every build it timed after
    showed that as its peak memory. It times each command through a small process of its own."""
    held = bytearray(400 << 20)  # the bench's process, grown by 400 MiB
    held[:: 1 << 12] = b"\x01" * len(held[:: 1 << 12])  # touched, so resident
    small = measure([sys.executable, "-c", "pass"], ROOT, dict(os.environ))
    large = measure(
        [sys.executable, "-c", "b = bytearray(200 << 20); b[:: 4096] = b'1' * len(b[:: 4096])"], ROOT, dict(os.environ)
    )
    del held
    assert small.rss < 100 << 20, small.rss >> 20
    assert 200 << 20 < large.rss < 300 << 20, large.rss >> 20


def test_the_targets_say_which_figures_meet_them():
    """Each target's verdict, from the medians: at the size nearest 10,000, a larger size against
    it (linear), and the dev server's and the search's figures when they were measured."""

    def result(size: int, cold: float, one: float, none: float, mib: int, hugo: float, hugo_mib: int) -> dict:
        def sample(wall: float, mib: int = 0) -> Sample:
            return Sample(wall, wall, mib * 2**20)

        ours = {"cold": sample(cold, mib), "no change": sample(none), "one change": sample(one), "copy": sample(1)}
        hugos = {step: sample(hugo, hugo_mib) for step in ours}
        return {"size": size, "pages": {"ours": (1, 1), "hugo": (1, 1)}, "median": {"ours": ours, "hugo": hugos}}

    results = [
        result(1_000, 3.0, 1.0, 0.5, 70, 1.5, 200),
        result(10_000, 12.0, 1.6, 0.31, 300, 15.0, 1_000),
        result(50_000, 61.0, 6.0, 1.0, 1_500, 90.0, 5_000),
    ]
    text = "\n".join(targets(results, {"serve": 0.36, "search KB": 312.4, "search ms": 23.3}))
    assert "### Issue #21's targets (10,000 initiatives)" in text
    row = re.compile(r"^\| ([^|]+?) \| [^|]*\| ([^|]+?) \| [^|]+? \| (met|\*\*not met\*\*) \|$", re.MULTILINE)
    assert {target: (measured, verdict == "met") for target, measured, verdict in row.findall(text)} == {
        "cold build, against Hugo's": ("0.8×", True),  # 12 / 15 s, at its limit
        "one initiative's title changed, against Hugo's full build": ("0.107×", False),  # 1.6 / 15 s
        "no change, against Hugo's full build": ("0.0207×", False),  # 0.31 / 15 s
        "peak memory of a cold build, against Hugo's": ("0.3×", True),
        "50,000 initiatives' cold build, against 10,000's": ("5.08×", False),  # 61 / 12 s for 5× the size
        "dev server: one title edited, its page served": ("0.36 s", True),
        "search: the index a first query loads": ("312 KB", False),
        "search: a query once its parts are loaded": ("23.3 ms", True),
    }


def test_the_dev_server_bench_edits_and_waits_for_each_page():
    """bench/serve_bench.py on the real content: a row per edit, the page served each time."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench/serve_bench.py"), "--initiatives", "0", "--repeat", "2", "--gap", "0.1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()[1:]
    edits = ["start to first page", "one initiative's title", "site title (every page)"]
    assert [(row.split()[0], edit in row) for row, edit in zip(rows, edits, strict=True)] == [("real", True)] * 3
