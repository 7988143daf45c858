"""The layout tells the architecture: imports point down the floors of DESIGN.md."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cxresearch"
COMPUTATION = (
    "survey",
    "drivers",
    "persistence",
    "loyalty",
    "alerts",
    "text",
    "employee",
    "findings",
)
DATA = ("codebook", "io", "store", "synth", "errors", "_results", "_toolbox", "_i18n")
PRESENTATION = ("viz", "tables", "report", "cli", "commands")


def _modules(name: str) -> list[Path]:
    path = PKG / f"{name}.py"
    folder = PKG / name
    files = [path] if path.exists() else []
    if folder.is_dir():
        files += sorted(folder.rglob("*.py"))
    return files


def _cx_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "cxresearch" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            parts = mod.split(".")
            if node.level == 0 and parts[0] == "cxresearch":
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(a.name for a in node.names)
            elif node.level == 1 and path.parent == PKG:
                found.add(parts[0] if mod else node.names[0].name)
    return found


@pytest.mark.parametrize("name", COMPUTATION + DATA)
def test_lower_floors_never_import_presentation(name):
    for path in _modules(name):
        bad = _cx_imports(path) & set(PRESENTATION)
        assert not bad, f"{path.relative_to(ROOT)} imports presentation modules {sorted(bad)}"


@pytest.mark.parametrize("name", DATA)
def test_data_floor_never_imports_computation(name):
    for path in _modules(name):
        bad = _cx_imports(path) & set(COMPUTATION)
        assert not bad, f"{path.relative_to(ROOT)} imports computation modules {sorted(bad)}"


def test_import_is_cheap_and_quiet():
    code = (
        "import sys, cxresearch; "
        "heavy = [m for m in ('pandas', 'duckdb', 'matplotlib', 'papermill') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_submodules_reachable_lazily():
    import cxresearch as cx

    assert cx.synth.generate is not None
    assert "survey" in dir(cx)


def test_environment_yml_matches_pyproject():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_environment
    finally:
        sys.path.pop(0)
    assert (ROOT / "environment.yml").read_text() == gen_environment.render(), (
        "environment.yml is stale: run python scripts/gen_environment.py > environment.yml"
    )


def test_cli_help_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for cmd in ("synth", "demo"):
        assert cmd in out.stdout
