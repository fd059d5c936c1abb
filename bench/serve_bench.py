"""How long from saving a file to the dev server serving the new page.

    python bench/serve_bench.py [--initiatives 10000] [--repeat 3] [--gap SECONDS]

Runs `python build.py serve` over a copy of the real content and over synthetic content
(microsite/synthetic.py), edits one initiative's title (a few pages change) and the site title
(every page changes), and polls the page until the new text is served. Prints a table.

By default each edit follows the last page served at once, before the server has gone on to
check the other files of the build (devbuild.py). `--gap` waits that long before each edit, as
someone reading the page would: the edit may then land while the server makes a long file (a
listing of thousands of initiatives, the search index), which it finishes first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return conn.getresponse().read().decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        conn.close()


def wait_for(port: int, path: str, text: str, seconds: float) -> float:
    """Seconds until `text` is served at `path`, polling every 10 ms; stops on a failed build."""
    started = time.perf_counter()
    while text not in (page := fetch(port, path)) or "dev-overlay" in page:
        if "dev-overlay" in page:
            raise SystemExit(f"the build failed while waiting for {text!r} at {path}:\n{page[-2000:]}")
        if time.perf_counter() - started > seconds:
            raise SystemExit(f"gave up after {seconds:.0f} s waiting for {text!r} at {path}")
        time.sleep(0.01)
    return time.perf_counter() - started


def mark_title(path: Path, marker: str) -> None:
    """Append `marker` to the English title (appending keeps the sort order of the listings)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"]["en"] = data["title"]["en"].split(" · bench")[0] + f" · {marker}"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def measure(name: str, content: Path, work: Path, repeat: int, gap: float):
    """Yield (content, pages, edit, [seconds, …]) rows as they are measured."""
    copy = work / f"{name}-content"
    shutil.copytree(content, copy)
    initiative = min((copy / "initiatives").glob("*.yaml"))
    ident = yaml.safe_load(initiative.read_text(encoding="utf-8")).get("id", initiative.stem)
    port = free_port()
    log = (work / f"{name}.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "serve",
            "--port",
            str(port),
            "--content",
            str(copy),
            "--out",
            str(work / f"{name}-out"),
        ],
        # in `work`, with its own user cache: the server's build state stays in the scratch folder
        cwd=work,
        env={**os.environ, "XDG_CACHE_HOME": str(work / "xdg-cache")},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        first = wait_for(port, "/", "</html>", 900)
        pages = sum(1 for _ in (work / f"{name}-out").rglob("*.html"))
        yield name, pages, "start to first page", [first]
        edits = [
            ("one initiative's title", initiative, f"/initiatives/{ident}/"),
            ("site title (every page)", copy / "site.yaml", "/"),
        ]
        for label, path, url in edits:
            times = []
            for n in range(repeat):
                time.sleep(gap)
                marker = f"bench {n}"
                started = time.perf_counter()
                mark_title(path, marker)
                times.append(time.perf_counter() - started + wait_for(port, url, marker, 600))
            yield name, pages, label, times
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--initiatives", type=int, default=10000, help="synthetic initiatives (default 10000; 0: the real content only)"
    )
    p.add_argument("--repeat", type=int, default=3, help="edits of each kind (default 3)")
    p.add_argument("--gap", type=float, default=0.0, help="seconds to wait before each edit (default 0)")
    args = p.parse_args()
    print(f"{'content':<18} {'pages':>6}  {'edit':<26} {'median ms':>9} {'min ms':>7} {'max ms':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sites = [("real", ROOT / "content")]
        if args.initiatives:
            synthetic = work / "synthetic"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "microsite.synthetic",
                    "--initiatives",
                    str(args.initiatives),
                    "--out",
                    str(synthetic),
                ],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            sites.append((f"synthetic {args.initiatives}", synthetic))
        for name, content in sites:
            for site, pages, label, times in measure(name, content, work, args.repeat, args.gap):
                ms = [t * 1000 for t in times]
                print(
                    f"{site:<18} {pages:>6}  {label:<26} {statistics.median(ms):>9.0f} {min(ms):>7.0f} {max(ms):>7.0f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
