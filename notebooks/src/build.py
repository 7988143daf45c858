"""Build the study notebooks (.ipynb) from their py:percent sources in this folder.

    python notebooks/src/build.py        # writes notebooks/<name>.ipynb, outputs empty

Cell headers: ``# %%`` (code) or ``# %% [markdown]``, optionally followed by ``tags=["a", "b"]``.
Markdown lines are written as ``# text``. The ``parameters`` tag is kept.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

HEADER = re.compile(r'^# %%(?P<md> \[markdown\])?(?:\s+tags=(?P<tags>\[.*\]))?\s*$')


def parse(text: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cell = None
    lines: list[str] = []

    def flush():
        if cell is None:
            return
        kind, tags = cell
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            new = nbformat.v4.new_markdown_cell(body)
        else:
            new = nbformat.v4.new_code_cell(body)
        if tags:
            new.metadata["tags"] = tags
        nb.cells.append(new)

    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            flush()
            cell = ("markdown" if m.group("md") else "code", json.loads(m.group("tags") or "[]"))
            lines = []
        elif cell is not None:
            lines.append(line)
    flush()
    return nb


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    for src in sorted(here.glob("[0-9]*.py")):
        nb = parse(src.read_text(encoding="utf-8"))
        for i, c in enumerate(nb.cells):
            c["id"] = f"{src.stem[:2]}-{i:02d}"
        out = here.parent / f"{src.stem}.ipynb"
        nbformat.write(nb, str(out))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
