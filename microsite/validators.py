"""The two outside checkers that `check` runs on the built pages.

- HTML: the Nu HTML Checker (npm `vnu-jar`, run with the machine's Java), once over the folder.
- Accessibility: axe-core (npm `axe-core`) in Debian's headless Chromium, driven by Playwright,
  with the WCAG 2.2 A and AA rules (target size included), in light and in dark mode.

Both are installed by tools/install-checkers.sh into .cache/checkers/ (or $MICROSITE_CHECKERS, for
an installed generator: project.checkers_folder); a missing tool is reported as a problem that
names the command installing it, so the check fails instead of passing unseen.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import languages
from .check import Problem
from .project import checkers_folder

CHECKERS = checkers_folder() / "node_modules"
VNU_JAR = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = CHECKERS / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCHEMES = ("light", "dark")  # prefers-color-scheme: the stylesheet has a palette for each
AXE_RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def _missing(what: str, command: str) -> Problem:
    return Problem("", 0, "missing-tool", f"{what} is missing: run `{command}`")


def validate_html(out: Path) -> list[Problem]:
    """Nu checker errors of every HTML page under `out`, at their page and line.

    Only errors count: its warnings include Content-Security-Policy notes that are wrong for
    file: URLs ('self' matches nothing there) and for JSON-LD data blocks, which never run.
    """
    if not shutil.which("java"):
        return [_missing("Java", "apt-get install -y default-jre-headless")]
    if not VNU_JAR.is_file():
        return [_missing("The Nu HTML Checker", "sh tools/install-checkers.sh")]
    done = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--skip-non-html", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:  # the JSON report goes to stderr; exit status 1 only means "found errors"
        messages = json.loads(done.stderr)["messages"]
    except (ValueError, KeyError):
        return [Problem("", 0, "html-checker", f"the Nu checker failed: {done.stderr.strip()[-500:]}")]
    root = out.resolve()
    return sorted(
        Problem(
            _page_of(m.get("url", ""), root),
            m.get("firstLine", m.get("lastLine", 0)),
            "html-error",
            m["message"],
            m.get("firstColumn", 0),
        )
        for m in messages
    )


def _page_of(url: str, root: Path) -> str:
    """'file:/tmp/x/site/a/index.html' -> 'a/index.html'."""
    path = Path(unquote(urlsplit(url).path))
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return url


def sample_pages(out: Path) -> list[str]:
    """A deterministic sample: per language and template kind, the first page and the largest.

    axe takes about half a second a page on a 2-core machine; the whole site would take minutes.
    The kind is read from the path: 'zh/districts/yangpu/index.html' is (zh, districts/*), and a
    page outside every language's folder is in the root language ("").
    """
    groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in sorted(out.rglob("*.html")):
        parts = path.relative_to(out).parts
        lang = parts[0] if len(parts) > 1 and parts[0] in languages.TABLE else ""
        rest = [p for p in parts[bool(lang) :] if p != "index.html"]
        kind = rest[0] + "/*" * (len(rest) > 1) if rest else "home"
        groups[lang, kind].append(path)
    chosen = set()
    for paths in groups.values():
        chosen.update([paths[0], max(paths, key=lambda p: (p.stat().st_size, p.as_posix()))])
    return sorted(p.relative_to(out).as_posix() for p in chosen)


def check_accessibility(out: Path, pages: list[str]) -> list[Problem]:
    """axe-core's WCAG 2.2 A/AA violations on the given pages in light and dark mode, one problem
    per rule, page and mode."""
    if not CHROMIUM.exists():
        return [_missing("Chromium", "sh tools/install-browser.sh")]
    if not AXE_JS.is_file():
        return [_missing("axe-core", "sh tools/install-checkers.sh")]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [_missing("Playwright", "pip install -r requirements-dev.txt")]
    # Playwright's sync API refuses to start inside a thread that already runs one (a caller's
    # own browser session, as in the test suite): give it a thread of its own.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(_run_axe, sync_playwright, out, pages).result()


def _run_axe(sync_playwright, out: Path, pages: list[str]) -> list[Problem]:
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for scheme in SCHEMES:
            # The pages' CSP allows only their own scripts; bypass it so axe can be injected.
            context = browser.new_context(bypass_csp=True, color_scheme=scheme)
            context.add_init_script(script=AXE_JS.read_text(encoding="utf-8"))
            tab = context.new_page()
            for rel in pages:
                tab.goto((out / rel).resolve().as_uri())
                for v in tab.evaluate(AXE_RUN, WCAG_TAGS)["violations"]:
                    problems.append(_axe_problem(rel, v, scheme))
            context.close()
        browser.close()
    return sorted(problems)


def _axe_problem(page: str, violation: dict, scheme: str) -> Problem:
    targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
    shown = ", ".join(f"`{t}`" for t in targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")
    return Problem(
        page,
        0,
        violation["id"],
        f"{violation['help']} ({violation.get('impact') or 'minor'}, {scheme} mode): {shown}; "
        f"see {violation['helpUrl']}",
    )
