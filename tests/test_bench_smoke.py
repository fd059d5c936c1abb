"""The benchmark harness on a tiny site: it builds both sites and writes the table (no timings)."""

from __future__ import annotations

import re
import subprocess
import sys

from bench.run import RESULTS_MARKER, main

from conftest import ROOT


def test_bench_writes_a_table_comparing_both_builds(tmp_path, capsys):
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Intro kept\n\n{RESULTS_MARKER}\n\nold figures\n", encoding="utf-8")

    assert main(["--sizes", "20", "--runs", "1", "--out", str(out), "--work", str(tmp_path / "work")]) == 0

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
