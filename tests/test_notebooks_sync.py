"""The study notebooks papermill runs (notebooks/*.ipynb) are built from their jupytext sources
(notebooks/src/*.py): an edit to a source without a rebuild, or to a notebook without its source,
fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("nb_build", ROOT / "notebooks" / "src" / "build.py")
build = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build)


def _cells(nb):
    return [
        (c.cell_type, c.source, c.get("id"), list(c.metadata.get("tags", []))) for c in nb.cells
    ]


@pytest.mark.parametrize("src", build.sources(), ids=lambda p: p.stem)
def test_notebook_matches_its_source(src):
    built = build.build(src)
    kept = nbformat.read(str(ROOT / "notebooks" / f"{src.stem}.ipynb"), as_version=4)
    assert _cells(kept) == _cells(built), (
        f"notebooks/{src.stem}.ipynb is out of date: python notebooks/src/build.py"
    )
    assert all(not c.get("outputs") for c in kept.cells if c.cell_type == "code"), (
        "kept notebooks hold no outputs"
    )


def test_every_notebook_has_a_source():
    stems = {p.stem for p in build.sources()}
    assert {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")} == stems


def test_a_stale_notebook_is_caught(tmp_path):
    src = build.sources()[0]
    edited = tmp_path / src.name
    edited.write_text(
        src.read_text(encoding="utf-8") + "\n# %%\nprint('added')\n", encoding="utf-8"
    )
    kept = nbformat.read(str(ROOT / "notebooks" / f"{src.stem}.ipynb"), as_version=4)
    assert _cells(kept) != _cells(build.build(edited))
