# cxresearch — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup sysdeps lab lint bench clean docs doctest locale

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found; install Python 3.11"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip setuptools wheel

# constraints.txt: the tested versions of every dependency (pyproject.toml keeps the accepted ranges).
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) sysdeps

sysdeps:
	@bash scripts/sysdeps.sh

demo: setup
	$(BIN)/cxresearch demo

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# JupyterLab on the study notebooks; their default parameters read the demo store, built here if absent.
lab: setup
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev,lab]'
	@[ -f demo_study/study.duckdb ] || $(BIN)/cxresearch demo --no-report
	cd notebooks && ../$(BIN)/jupyter lab $$([ "$$(id -u)" -eq 0 ] && echo --allow-root)

# The documentation site (MkDocs + mkdocstrings, numpydoc docstrings) into site/; --strict fails on
# any warning (a docstring that does not parse, a broken link).
docs: $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[docs]'
	$(BIN)/python -m mkdocs build --strict

# The runnable examples: docstring Examples of the headline functions and docs/examples.md.
doctest: $(STAMP)
	$(BIN)/python -m pytest -q -n 0 tests/test_docs.py -k "not site_builds"

# Compile the report's message catalogs after editing a .po (the .mo are committed; tests/test_i18n.py
# checks they match their .po).
locale: $(STAMP)
	$(BIN)/pybabel compile -d src/cxresearch/locale -D cxresearch

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks setup.py
	$(BIN)/ruff format --check src tests benchmarks setup.py

bench: setup
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build site *.egg-info
