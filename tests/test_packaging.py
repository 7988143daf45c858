"""Packaging: the declared dependencies are exactly what the code imports; extras say their name.

* Runtime dependencies (``[project] dependencies``) are the distributions that ``src/`` imports at
  run time, mapped from import names to distribution names by ``importlib.metadata`` (``yaml`` ->
  PyYAML), plus the few that run without being imported (``NOT_IMPORTED``, each with its reason).
* An optional package is imported only through ``require_extra(module, extra=...)``, and that extra
  declares it; the error names the extra to install.
* ``test_plain_install_in_fresh_venv`` (slow) builds the sdist, installs it without extras into a
  new, empty virtual environment (not ``--system-site-packages``) from the package index (pip's cache
  makes a re-run fast), imports every runtime module there, prints a two-page PDF with the system
  Chromium, reading its anchors' pages back with pypdf (the report's contents page numbers), and
  runs ``cxresearch demo`` from a folder outside the checkout: the wheel ships the study notebooks
  and the demo parameters (``setup.py``), and the demo report's HTML and PDF are rendered.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cxresearch"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: Runtime dependencies that no module imports, and why they are needed.
NOT_IMPORTED = {
    "ipykernel": "the Jupyter kernel papermill starts for every study notebook (report/kernel.py)",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return _norm(re.match(r"^[A-Za-z0-9_.-]+", req).group(0))


def _imports() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Top-level third-party imports of src/ (name -> files) and require_extra(module -> extra)."""
    found: dict[str, set[str]] = {}
    extras: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "require_extra"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                kw = {
                    k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)
                }
                extras[node.args[0].value.split(".")[0]] = kw["extra"]
            for n in names:
                top = n.split(".")[0]
                if top not in sys.stdlib_module_names and top != "cxresearch":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found, extras


def _distribution(import_name: str) -> str:
    dists = md.packages_distributions().get(import_name)
    assert dists, f"import {import_name!r} belongs to no installed distribution"
    return _norm(dists[0])


def test_runtime_dependencies_are_exactly_the_runtime_imports():
    imports, extras = _imports()
    imported = {_distribution(name) for name in imports if name not in extras}
    declared = {_req_name(r) for r in PROJECT["dependencies"]}
    missing = imported - declared
    unused = declared - imported - set(NOT_IMPORTED)
    assert not missing, f"imported by src/ but not declared in dependencies: {sorted(missing)}"
    assert not unused, (
        f"declared but never imported (add to NOT_IMPORTED with a reason?): {sorted(unused)}"
    )
    assert set(NOT_IMPORTED) <= declared


def test_optional_packages_come_from_their_extra_only():
    imports, extras = _imports()
    assert extras == {"dask": "distributed"}
    optional = PROJECT["optional-dependencies"]
    runtime = {_req_name(r) for r in PROJECT["dependencies"]}
    for module, extra in extras.items():
        assert extra in optional, f"require_extra names extra {extra!r}, not in pyproject.toml"
        assert _distribution(module) in {_req_name(r) for r in optional[extra]}
        assert _distribution(module) not in runtime
        assert module not in imports, (
            f"{module} imported directly in {sorted(imports.get(module, []))}"
        )
    assert "lifelines" not in runtime | {_req_name(r) for v in optional.values() for r in v}
    assert "pypdf" in runtime  # the PDF's contents page numbers (report/render.py)


def test_batch_scheduler_without_dask_names_the_extra(monkeypatch):
    from cxresearch._toolbox import MissingExtraError
    from cxresearch.report.batch import run_batch

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'cxresearch\[distributed\]'"):
        run_batch([ROOT / "params" / "demo.yaml"], scheduler="tcp://127.0.0.1:1")


def _runtime_modules() -> list[str]:
    mods = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue
        mods.append(".".join(parts))
    return mods


def _sdist(tmp_path: Path) -> Path:
    """The source distribution of a copy of the checkout's sdist files (MANIFEST.in and the rest)."""
    copy = tmp_path / "cxresearch-src"
    copy.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, copy / name)
    junk = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "src", copy / "src", ignore=junk)
    shutil.copytree(ROOT / "notebooks", copy / "notebooks", ignore=junk)
    (copy / "params").mkdir()
    for name in ("demo.yaml", "README.md"):
        shutil.copy2(ROOT / "params" / name, copy / "params" / name)
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; print(build_meta.build_sdist({str(dist)!r}))",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return dist / build.stdout.split()[-1]


@pytest.mark.slow
def test_plain_install_in_fresh_venv(tmp_path):
    """``pip install`` (no extras) of the sdist into a plain venv: every module imports, and
    ``cxresearch demo`` renders the demo report (HTML and PDF) from a folder outside the checkout,
    with the notebooks and demo parameters the package ships (setup.py, MANIFEST.in)."""
    if os.environ.get("CX_SKIP_VENV_TEST"):
        pytest.skip("CX_SKIP_VENV_TEST set")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # an sdist built from a copy of the files it holds (so no build/ or egg-info lands in the
    # checkout); pip builds the wheel from it, as from a published sdist
    sdist = _sdist(tmp_path)
    inst = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(sdist)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if inst.returncode != 0 and (
        "Could not find a version" in inst.stderr or "NewConnectionError" in inst.stderr
    ):
        pytest.skip(f"package index unreachable and wheels not cached: {inst.stderr[-300:]}")
    assert inst.returncode == 0, inst.stderr[-2000:]
    code = (
        "import importlib, sys\n"
        f"mods = {_runtime_modules()!r}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "import cxresearch._toolbox as t\n"
        "assert 'dask' not in sys.modules\n"
        "try:\n"
        "    t.require_extra('dask.distributed', extra='distributed', purpose='batch')\n"
        "except t.MissingExtraError as e:\n"
        "    print('extra-message-ok' if \"cxresearch[distributed]\" in str(e) else e)\n"
        "print(len(mods))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = subprocess.run(
        [str(py), "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "extra-message-ok" in out.stdout
    assert int(out.stdout.split()[-1]) == len(_runtime_modules())
    # a PDF from the plain install: playwright drives the system Chromium, pypdf reads back the
    # page of each anchor (what puts page numbers in the report's contents)
    pdf_code = (
        "from cxresearch.report.webpdf import find_chromium, print_pdf\n"
        "from cxresearch.report.render import anchor_pages\n"
        'html = (\'<html><body><h1 id="one">One</h1><p style="page-break-after: always">a</p>\'\n'
        '        \'<h1 id="two">Two</h1><a href="#one">back</a> <a href="#two">here</a></body></html>\')\n'
        "pages = anchor_pages(print_pdf(html, chromium=find_chromium()))\n"
        "print(pages.get('one'), pages.get('two'))\n"
    )
    chromium = shutil.which("chromium") or os.environ.get("CX_CHROMIUM")
    if chromium:
        pdf = subprocess.run(
            [str(py), "-c", pdf_code],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        assert pdf.returncode == 0, pdf.stderr[-3000:]
        assert pdf.stdout.split() == ["1", "2"], pdf.stdout
    # the installed copy is the package, not this checkout: its code, notebooks and demo params
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import cxresearch\n"
            "from cxresearch.report.params import default_notebook_dir, demo_params_file\n"
            "print(cxresearch.__file__, default_notebook_dir(), demo_params_file())\n",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    code_file, notebooks, demo_params = where.stdout.split()
    for path in (code_file, notebooks, demo_params):
        assert path.startswith(str(venv)), where.stdout
    assert sorted(p.name for p in Path(notebooks).glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")
    )
    assert Path(demo_params).read_bytes() == (ROOT / "params" / "demo.yaml").read_bytes()
    if not chromium:
        pytest.skip("no Chromium: the demo report's PDF cannot be printed (make sysdeps)")
    # the demo end to end from a folder that is not the checkout: the report lands in ./reports/
    work = tmp_path / "work"
    work.mkdir()
    demo = subprocess.run(
        [str(venv / "bin" / "cxresearch"), "demo", "--out", str(work / "demo")],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=1800,
    )
    assert demo.returncode == 0, (demo.stdout[-2000:], demo.stderr[-3000:])
    report = work / "reports" / "demo" / "2025"
    html, pdf_file = report / "report.zh.html", report / "report.zh.pdf"
    assert html.stat().st_size > 0 and pdf_file.is_file(), sorted(report.iterdir())
    from pypdf import PdfReader

    assert len(PdfReader(pdf_file).pages) > 10
