"""The documentation's examples run, and the site builds.

* Doctests: the Examples sections of the headline public functions (``DOCTEST_MODULES``) and every
  block of ``docs/examples.md`` run and must print what they show (``make doctest`` runs this file).
* ``test_site_builds`` (slow): ``mkdocs build --strict`` of the whole site (``make docs``) — every
  API page renders from the numpydoc docstrings without a warning.
"""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
DOCTEST_MODULES = (
    "cxresearch._toolbox",
    "cxresearch.survey.design",
    "cxresearch.survey.estimates",
    "cxresearch.survey.kpi",
    "cxresearch.drivers.linear",
)


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testmod(module, optionflags=FLAGS, report=True)
    assert result.attempted > 0, f"{name} has no doctest example"
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_examples_page_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.testfile(
            str(ROOT / "docs" / "examples.md"), module_relative=False, optionflags=FLAGS
        )
    assert result.attempted >= 8 and result.failed == 0


def test_gallery_lists_every_notebook():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import mkdocs_hooks
    finally:
        sys.path.pop(0)
    page = mkdocs_hooks.gallery()
    for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        assert f"notebooks/{nb.name}" in page
    assert "`cx.survey.mean`" in page


@pytest.mark.slow
def test_site_builds(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    page = (tmp_path / "site" / "api" / "survey" / "index.html").read_text(encoding="utf-8")
    assert 'id="cxresearch.survey.design.Design"' in page
    assert 'id="cxresearch.survey.estimates.mean"' in page
    assert (tmp_path / "site" / "getting-started" / "index.html").is_file()
