"""Failures: a build killed at any moment leaves the previous site whole; a build writes nothing
outside --out; every page carries the Content-Security-Policy, and the policy holds in Chromium."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

KILLS = 6
CSP = "Content-Security-Policy"


def tree_hash(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def synthetic(dest: Path, seed: int) -> Path:
    """A valid content folder of ~220 pages; different seeds give different sites."""
    subprocess.run(
        [sys.executable, "-m", "microsite.synthetic", "--initiatives", "40", "--out", str(dest), "--seed", str(seed)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return dest


def build_process(content: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "build.py", "build", "--content", str(content), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_build_leaves_the_previous_site_whole(tmp_path):
    """Killed while it brings the standby (the site before the previous one, write.py) up to the
    new site: the output folder is the old site or the new one, and the next builds set the
    standby right whatever it holds."""
    old, other, new = (synthetic(tmp_path / name, seed) for name, seed in (("old", 1), ("other", 3), ("new", 2)))
    reference = tmp_path / "reference"
    started = time.monotonic()
    assert build_process(new, reference / "site").wait() == 0
    duration = time.monotonic() - started  # how long a whole build takes here: kills fall inside it
    new_site = tree_hash(reference / "site")
    rng = random.Random(6)
    for attempt in range(KILLS):
        parent = tmp_path / f"run{attempt}"
        out = parent / "site"
        for content in (old, other, old):  # the standby now holds the other site
            assert build_process(content, out).wait() == 0
        old_site = tree_hash(out)
        process = build_process(new, out)
        time.sleep(rng.uniform(0, duration))
        process.kill()  # SIGKILL: no handler, no cleanup
        process.wait()
        assert tree_hash(out) in (old_site, new_site), f"a half-written site after a kill (attempt {attempt})"
        assert {p.name for p in parent.iterdir()} <= {"site", ".site.standby"}
        assert build_process(new, out).wait() == 0
        assert sorted(p.name for p in parent.iterdir()) == [".site.standby", "site"] and tree_hash(out) == new_site
        assert build_process(old, out).wait() == 0  # from the standby the killed build left
        assert tree_hash(out) == old_site


def test_a_build_writes_nothing_outside_its_output(cli, tmp_path):
    content = synthetic(tmp_path / "content", 1)
    content_before = tree_hash(content)
    out = tmp_path / "site"
    for names in (["content", "site"], [".site.standby", "content", "site"]):  # fresh, then over the previous
        assert cli("build", "--content", content, "--no-cache", "--out", out).code == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert tree_hash(content) == content_before


def test_a_failed_build_writes_nothing_at_all(cli, tmp_path):
    content = synthetic(tmp_path / "content", 1)
    (content / "districts/yangpu.yaml").write_text("name: [\n", encoding="utf-8")
    assert cli("build", "--content", content, "--out", tmp_path / "site").code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content"]


@pytest.mark.parametrize("target", ["real_site", "real_offline"])
def test_every_page_has_the_content_security_policy(target, request):
    from lxml import html as lxml_html

    out = request.getfixturevalue(target)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        head = lxml_html.fromstring(path.read_bytes()).find("head")
        metas = head.xpath(f"meta[@http-equiv='{CSP}']")
        assert len(metas) == 1, path
        policy = metas[0].get("content")
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        # the policy must come before anything it governs
        first_resource = min((head.index(el) for el in head if el.tag in ("script", "link", "style")), default=99)
        assert head.index(metas[0]) < first_resource, path


@pytest.mark.parametrize("offline", [False, True])
def test_the_policy_blocks_inline_scripts_and_other_hosts_in_chromium(
    offline, real_site, real_offline, browser, serve_under
):
    """What docs/reliability.md reports: inline script, eval, fetch and other hosts are refused,
    both served over HTTP and opened from disk, while the site's own stylesheet still applies."""
    url = ((real_offline.as_uri() + "/") if offline else serve_under(real_site, "/")) + "index.html"
    page = browser.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url)
    assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") == "absolute"
    injected = page.evaluate("""() => { window.__x = 0; const s = document.createElement('script');
        s.textContent = 'window.__x = 1'; document.head.appendChild(s); return window.__x }""")
    fetched = page.evaluate("""() => fetch('data/site.json').then(() => 'fetched', () => 'refused')""")
    image = page.evaluate("""() => new Promise(done => { const i = new Image();
        i.onload = () => done('loaded'); i.onerror = () => done('refused'); i.src = 'https://example.org/x.png' })""")
    page.close()
    assert (injected, fetched, image) == (0, "refused", "refused")
    assert len(violations) >= 3, violations


def test_a_standby_changed_by_anything_but_a_build_is_set_right(tmp_path):
    """The standby (write.py) holds the site before the previous one: the next build writes into
    it only what differs, so a file something else changed, removed or added there must not
    reach the output folder."""
    old, new = synthetic(tmp_path / "old", 1), synthetic(tmp_path / "new", 2)
    clean = tmp_path / "clean" / "site"
    assert build_process(old, clean).wait() == 0
    old_site = tree_hash(clean)
    out = tmp_path / "run" / "site"
    for content in (old, new):
        assert build_process(content, out).wait() == 0
    spare = out.parent / ".site.standby"
    assert tree_hash(spare) == old_site  # the site before, whole
    (spare / "index.html").write_text("changed", encoding="utf-8")
    (spare / "404.html").unlink()
    (spare / "initiatives" / "stray.html").write_text("stray", encoding="utf-8")
    assert build_process(old, out).wait() == 0
    assert tree_hash(out) == old_site
