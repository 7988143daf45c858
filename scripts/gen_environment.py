"""Write environment.yml from pyproject.toml, so conda users get the same dependencies.

pyproject.toml is the source of truth; tests/test_architecture.py checks the two agree.
Usage: python scripts/gen_environment.py > environment.yml
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(meta["dependencies"]) + list(meta["optional-dependencies"]["dev"])
    lines = [
        "# Generated from pyproject.toml by scripts/gen_environment.py — do not edit by hand.",
        "name: cxresearch",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f'      - "{d}"' for d in deps],
        '      - "-e ."',
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
