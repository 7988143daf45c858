"""Write environment.yml from pyproject.toml, so conda users get the same dependencies.

pyproject.toml is the source of truth; tests/test_architecture.py checks the two agree.
Every dependency comes from conda-forge (its binaries: numba, pyarrow, duckdb, ...) under its
conda-forge name; only what conda-forge lacks goes under ``pip:`` (PIP_ONLY), with the package itself
(``-e .``, whose dependencies conda has then already installed). Conda-forge names were written from
the conda-forge feedstocks; this machine reaches PyPI only, so `conda env create` is not run in tests.
The environment holds the runtime dependencies and the ``distributed``, ``dev`` and ``docs`` extras.
Usage: python scripts/gen_environment.py > environment.yml
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("distributed", "dev", "docs")

#: PyPI name (lower case) -> conda-forge package names, where they differ.
CONDA_NAMES = {
    "duckdb": ["python-duckdb"],
    "dask": ["dask-core", "distributed"],  # dask[distributed]
    "mkdocstrings": ["mkdocstrings", "mkdocstrings-python"],  # mkdocstrings[python]
    "jupyter_client": ["jupyter_client"],
}
#: PyPI names conda-forge does not carry: installed by pip.
PIP_ONLY: set[str] = set()


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", req)
    if m is None:
        raise ValueError(f"cannot parse requirement {req!r}")
    return m.group(1).lower(), m.group(3).strip()


def requirements() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = list(meta["dependencies"])
    for extra in EXTRAS:
        out += [r for r in meta["optional-dependencies"][extra] if r not in out]
    return out


def render() -> str:
    conda, pip = [], []
    for req in requirements():
        name, spec = _split(req)
        if name in PIP_ONLY:
            pip.append(req)
            continue
        for i, conda_name in enumerate(CONDA_NAMES.get(name, [name])):
            # the version applies to the package named in pyproject.toml (the first) and to
            # distributed, which dask releases in lock-step; a plugin package has its own versions
            same = i == 0 or conda_name == "distributed"
            line = f"{conda_name} {spec}".strip() if same else conda_name
            if line not in conda:
                conda.append(line)
    lines = [
        "# Generated from pyproject.toml by scripts/gen_environment.py — do not edit by hand.",
        "name: cxresearch",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        "  - python=3.11",
        *[f'  - "{c}"' for c in conda],
        "  - pip",
        "  - pip:",
        *[f'      - "{p}"' for p in pip],
        '      - "-e ."',
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
