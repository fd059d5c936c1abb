# Everything a fresh machine with python3 and make needs: `make site`, then `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: site test lint check bundle serve bench schema clean browser checkers screenshots

$(RUNTIME): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

site: $(RUNTIME)
	$(PY) build.py build

# Browser tests need Debian's chromium; tools/install-browser.sh installs it when missing.
browser:
	sh tools/install-browser.sh

# The output checks need the Nu HTML Checker (with Java) and axe-core; installed when missing.
checkers:
	sh tools/install-checkers.sh

test: $(DEV) browser checkers
	$(PY) -m pytest -q

# The code's own checks, configured in pyproject.toml: lint, formatting and types, 0 findings each.
lint: $(DEV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# lint first: a finding stops it before the (slower) build and output checks.
check: lint browser checkers
	$(PY) build.py check

bundle: $(RUNTIME)
	$(PY) build.py bundle

serve: $(RUNTIME)
	$(PY) build.py serve

schema: $(RUNTIME)
	$(PY) build.py schema

# Against Hugo at 1,000, 10,000 and 50,000 initiatives, with the dev server and the search index
# in Chromium: the tables and the targets met or not, into docs/benchmarks.md (50 to 70 minutes on two cores).
bench: $(DEV) browser
	$(PY) -m bench.run --serve --search

# The README's phone and desktop screenshots of the home page, from a fresh build.
screenshots: $(DEV) browser
	$(PY) tools/screenshots.py

clean:
	rm -rf site .site.standby dist schema .pytest_cache .hypothesis .ruff_cache .mypy_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
