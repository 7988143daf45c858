"""Build the study notebooks (.ipynb) from their jupytext py:percent sources in this folder.

    python notebooks/src/build.py        # writes notebooks/<name>.ipynb, outputs empty

The sources are the files to edit and review (plain text, readable diffs); the ``.ipynb`` beside
them are what papermill runs. jupytext reads the sources (cell headers ``# %%`` or ``# %% [markdown]``,
optionally ``tags=["a", "b"]``: ``parameters``, ``lang-zh``/``lang-en``, the study plan's
``needs-<section>``). Cell ids are made stable (``<chapter>-<nn>``) so a rebuild of an unchanged
source writes the same file. tests/test_notebooks_sync.py checks the ``.ipynb`` match their sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def build(src: Path) -> nbformat.NotebookNode:
    """The notebook of one py:percent source, with stable cell ids and the python3 kernel."""
    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{src.stem[:2]}-{i:02d}"
        if not cell.metadata.get("tags"):
            cell.metadata.pop("tags", None)
    return nb


def sources() -> list[Path]:
    """The chapter sources (``00_summary.py`` …), in order."""
    return sorted(HERE.glob("[0-9]*.py"))


def main(argv: list[str]) -> int:
    for src in sources():
        out = HERE.parent / f"{src.stem}.ipynb"
        nbformat.write(build(src), str(out))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
