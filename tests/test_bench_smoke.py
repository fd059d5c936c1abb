"""The benchmark harness on a tiny site: it builds both sites and writes the table (no timings)."""

from __future__ import annotations

import re

from bench.run import RESULTS_MARKER, main


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
