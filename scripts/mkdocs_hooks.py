"""MkDocs hooks of the documentation site (mkdocs.yml `hooks:`).

The gallery page is filled in from the notebook sources (``notebooks/src/*.py``, jupytext
py:percent): each notebook's English title and introduction, and the library calls its cells make.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- gallery -->"


def _cells(text: str) -> list[tuple[str, str]]:
    """(header line, body) of each ``# %%`` cell."""
    parts = re.split(r"^(# %%.*)$", text, flags=re.M)
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def _markdown(body: str) -> str:
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                     for line in body.strip().splitlines())


def gallery() -> str:
    out = []
    for path in sorted((ROOT / "notebooks" / "src").glob("[0-9]*.py")):
        cells = _cells(path.read_text(encoding="utf-8"))
        intro = next((_markdown(b) for h, b in cells if "markdown" in h and "lang-en" in h), "")
        lines = intro.splitlines()
        title = lines[0].lstrip("# ").strip() if lines else path.stem
        text = " ".join(line.strip() for line in lines[1:] if line.strip())
        calls = []
        for h, b in cells:
            if "markdown" in h:
                continue
            for m in re.finditer(r"\bcx\.(survey|drivers|persistence|loyalty|alerts|text|employee)\.(\w+)\(", b):
                name = f"cx.{m.group(1)}.{m.group(2)}"
                if name not in calls:
                    calls.append(name)
        out.append(f"## {title}\n\n`notebooks/{path.stem}.ipynb` — {text}\n")
        if calls:
            out.append("Library calls: " + ", ".join(f"`{c}`" for c in calls) + "\n")
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 - mkdocs API
    if MARKER in markdown:
        return markdown.replace(MARKER, gallery())
    return markdown
