"""The wheel `pip install .` makes: the generator with its default theme and the starter site,
and a console command that builds a new site far from the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, copy_fixture


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Made from a copy of what the wheel is built from: setuptools leaves build/ in the tree."""
    source, folder = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    for name in ("microsite", "templates", "static"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(folder), str(source)],
        check=True,
        capture_output=True,
    )
    (found,) = folder.glob("microsite-*.whl")
    return found


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_holds_the_theme_and_the_starter(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"microsite/theme/templates/{f}" for f in _files(ROOT / "templates")} <= names
    assert {f"microsite/theme/static/{f}" for f in _files(ROOT / "static")} <= names
    assert {f"microsite/starter/{f}" for f in _files(ROOT / "microsite" / "starter")} <= names
    assert {f"microsite/{p.name}" for p in (ROOT / "microsite").glob("*.py")} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "microsite = microsite.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_generator_builds_a_new_site_outside_the_repository(wheel, tmp_path):
    """The unpacked wheel on the path (the libraries from this environment), run from a folder
    with no repository around it: the theme comes from the package, the state stays with the site."""
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    env = {**os.environ, "PYTHONPATH": str(installed), "PYTHONSAFEPATH": "1"}

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "microsite", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )

    assert run("new", "s", cwd=tmp_path).returncode == 0
    built = run("build", "--strict", cwd=tmp_path / "s")
    assert built.returncode == 0, built.stderr
    assert "0 errors, 0 warnings" in built.stdout
    assert (tmp_path / "s" / "site" / "index.html").is_file()
    assert list((tmp_path / "s" / ".cache" / "build").glob("state-*.pickle"))
    assert not (installed / ".cache").exists() and not (installed / "microsite" / ".cache").exists()
    assert _files(installed / "microsite" / "theme" / "templates") == _files(ROOT / "templates")


def test_build_py_without_the_libraries_says_how_to_get_them(tmp_path):
    """`python3 build.py build` with a Python that lacks the libraries (-S: no site-packages);
    `--help` needs none of them."""
    build_py = [sys.executable, "-S", str(ROOT / "build.py")]
    assert subprocess.run([*build_py, "--help"], capture_output=True, check=False).returncode == 0
    done = subprocess.run(
        [*build_py, "build", "--content", str(copy_fixture("site", tmp_path)), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "is missing from this Python. Run `make site`" in done.stderr and "pip install ." in done.stderr
    assert "Traceback" not in done.stderr
