"""The README's screenshots: the home page on a phone and on a desktop, from a fresh build.

`make screenshots` runs this; it needs Debian's chromium (tools/install-browser.sh) and the dev
requirements (Playwright). Writes docs/screenshots/{phone,desktop}.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microsite.cli import main  # noqa: E402  (after the path is set)
from microsite.validators import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# name -> (viewport width, height, device pixel ratio): a common phone and a laptop screen
SHOTS = {"phone": (390, 844, 2), "desktop": (1366, 900, 1)}


def take(site: Path, folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, (width, height, scale) in SHOTS.items():
            tab = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
            tab.goto((site / "index.html").as_uri())
            path = folder / f"{name}.png"
            tab.screenshot(path=str(path))
            written.append(path)
            tab.close()
        browser.close()
    return written


def run() -> int:
    with tempfile.TemporaryDirectory(prefix="microsite-screenshots-") as tmp:
        site = Path(tmp) / "site"
        if main(["build", "--content", str(ROOT / "content"), "--out", str(site), "--offline"]) != 0:
            return 1
        for path in take(site, ROOT / "docs" / "screenshots"):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(run())
