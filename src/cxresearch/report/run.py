"""Run one report: validate, execute the study notebooks with papermill, render, write the manifest.

Output folder ``<out_root>/<client>/<period>/``, every file named with the report language so the
Chinese and the English report of one client and period sit side by side::

    report.<lang>.html      one navigable page (cover, contents, chapters; no code)
    report.<lang>.pdf       A4, cover, contents, page numbers (system Chromium)
    tables.<lang>.xlsx      every report table and the data of every chart, one sheet each
    findings.json           every finding the chapters recorded (cx.findings records, ranked; language-free)
    tabs.<lang>.xlsx        banner tables (``tabs`` format; cxresearch.report.tabs)
    report.<lang>.pptx      the deck (``pptx`` format; cxresearch.report.deck), from findings.json and the tables
    notebooks/<lang>/       the executed notebooks (kept, with the traceback, when a notebook fails)
    manifest.<lang>.json    input sha256s, parameters, package versions, git commit, timings

Every report file is written to a temporary name and renamed when complete, so a failed run never
leaves a half-written report.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import atomic_path, atomic_write
from cxresearch.errors import CXError
from cxresearch.report.context import FINDINGS_ENV
from cxresearch.report.params import EXECUTE_LAST, FORMATS, Params, ParamsError, load_params

__all__ = [
    "NotebookFailed",
    "ReportError",
    "ReportResult",
    "check_inputs",
    "output_name",
    "run_report",
]


def output_name(name: str, lang: str) -> str:
    """A report file's name with its language: ``report.pdf`` -> ``report.zh.pdf``,
    ``tables`` -> ``tables.zh.xlsx``, ``manifest.json`` -> ``manifest.zh.json``."""
    if name == "tables":
        name = "tables.xlsx"
    stem, dot, ext = name.partition(".")
    return f"{stem}.{lang}.{ext}" if dot else f"{stem}.{lang}"


_PACKAGES = (
    "cxresearch",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pingouin",
    "duckdb",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "playwright",
    "openpyxl",
    "pydantic",
    "python-pptx",
)


class ReportError(CXError):
    """A report could not be produced (the message says which step and why)."""


class NotebookFailed(ReportError):
    """A study notebook raised; the executed notebook with its traceback is kept."""

    def __init__(
        self,
        *,
        notebook: Path,
        cell: int | None,
        ename: str,
        evalue: str,
        kept: Path,
        source: str | None = None,
    ):
        self.notebook, self.cell, self.ename, self.evalue, self.kept = (
            notebook,
            cell,
            ename,
            evalue,
            kept,
        )
        self.source = source
        where = f"cell {cell}" if cell is not None else "start-up"
        code = [line.strip() for line in (source or "").splitlines() if line.strip()]
        if code:
            first = code[0] if len(code[0]) <= 70 else code[0][:67] + "..."
            where += f" ({first}{' ...' if len(code) > 1 else ''})"
        first = (evalue or "").strip().splitlines()
        super().__init__(
            f"notebook {notebook.name} failed at {where}: {ename}: {first[0] if first else ''} "
            f"(executed notebook kept at {kept}; no report written)"
        )


@dataclass(frozen=True, repr=False)
class ReportResult(ResultDisplay):
    """Paths and timings of a finished report."""

    directory: Path
    html: Path | None
    pdf: Path | None
    tables: Path | None
    manifest: Path
    notebooks: tuple[Path, ...]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    findings: Path | None = None
    #: params texts missing in the report language (Params.fallbacks)
    fallbacks: tuple[str, ...] = ()
    tabs: Path | None = None
    pptx: Path | None = None

    def as_dict(self) -> dict[str, str]:
        """Output paths as strings (for printing)."""
        out = {"directory": str(self.directory)}
        for key in ("html", "pdf", "tables", "tabs", "findings", "pptx", "manifest"):
            value = getattr(self, key)
            if value is not None:
                out[key] = str(value)
        return out


# -- helpers --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes | str) -> None:
    atomic_write(path, data)


def _atomic_path(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` then rename the temporary file to ``path``."""
    atomic_path(path, writer)


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git(folder: Path) -> dict[str, Any] | None:
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def _chromium_version() -> str | None:
    from cxresearch.report.webpdf import ChromiumNotFound, find_chromium

    try:
        exe = find_chromium()
        done = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
        return done.stdout.strip() or None
    except (ChromiumNotFound, OSError, subprocess.SubprocessError):
        return None


def check_inputs(params: Params, *, store: Path | None = None) -> Any:
    """Check the params against the codebook and the store before any notebook runs.

    Returns the codebook. Raises :class:`ParamsError` naming the key (e.g.
    ``variables.drivers[2]``) and the value when a variable is not in the codebook, when the
    client is not in the store, when the period's wave has no responses for the client, or when
    the programme starts outside the client's data. ``store`` reads a snapshot instead of
    ``data.store``.
    """
    from cxresearch import codebook as cb

    label = str(params.source) if params.source else "params"
    book = None
    if params.data.codebook is not None:
        try:
            book = cb.load(params.data.codebook)
        except CXError as exc:
            raise ParamsError(f"{label}: data.codebook: {exc}") from None
    store = store if store is not None else params.data.store
    if store is not None:
        from cxresearch.store import Store

        try:
            with Store(store, read_only=True) as st:
                clients = st.clients()
                if params.client not in clients:
                    raise ParamsError(
                        f"{label}: client: {params.client!r} is not in store {params.data.store}; "
                        f"clients there: {', '.join(clients) or '(none)'}"
                    )
                if book is None:
                    book = st.codebook(params.client)
                _check_period_data(st, params, label)
        except ParamsError:
            raise
        except CXError as exc:
            raise ParamsError(f"{label}: data.store: {exc}") from None
    if params.alerts is not None:
        from cxresearch import alerts

        try:
            alerts.rules_from_params(params.alerts)
        except CXError as exc:
            raise ParamsError(f"{label}: alerts: {exc}") from None
    if book is None:
        return None
    from cxresearch.report.variables import check_variables, resolve_variables

    names = set(book.names)
    v = params.variables
    sv = resolve_variables(params, book)
    checks: list[tuple[str, str | None]] = [
        ("variables.outcome", sv.outcome),
        ("variables.nps", sv.nps),
        ("variables.loyalty", sv.loyalty),
        ("variables.weight", v.weight),
        ("variables.process", v.process),
    ]
    for key in ("drivers", "processes", "by"):
        for i, name in enumerate(getattr(v, key) or []):
            checks.append((f"variables.{key}[{i}]", name))
    for name in v.raking or {}:
        checks.append((f"variables.raking.{name}", name))
    for i, name in enumerate(params.tabs.banners or []):
        checks.append((f"tabs.banners[{i}]", name))
    sets = {mr.name for mr in book.multi_response}
    for i, name in enumerate(params.tabs.questions or []):
        if name not in sets:
            checks.append((f"tabs.questions[{i}]", name))
    bad = [(k, n) for k, n in checks if n is not None and n not in names]
    if bad:
        lines = "\n".join(f"  - {k}: {n!r} is not a codebook variable" for k, n in bad)
        raise ParamsError(
            f"{label}: {len(bad)} unknown variable(s) (codebook has: {', '.join(sorted(names))}):\n{lines}"
        )
    sv = check_variables(params, book, label=label)
    if sv.outcome in names:
        scale = book.get(sv.outcome).scale
        t = params.thresholds
        for key, value in (
            ("dissatisfied_cut", t.dissatisfied_cut),
            ("early_warning", t.early_warning),
        ):
            if scale is not None and not (scale[0] <= value <= scale[1]):
                raise ParamsError(
                    f"{label}: thresholds.{key}: {value:g} is outside the scale of "
                    f"{sv.outcome} ({scale[0]:g}–{scale[1]:g})"
                )
    for name, margin in (v.raking or {}).items():
        if name not in names:
            continue
        values = getattr(book.get(name), "values", None) or {}
        unknown = [code for code in margin if values and code not in values]
        if unknown:
            raise ParamsError(
                f"{label}: variables.raking.{name}: categor{'ies' if len(unknown) > 1 else 'y'} "
                f"{unknown} not among the codebook values {sorted(values)}"
            )
    return book


def _check_period_data(st, params: Params, label: str) -> None:
    """The period's wave has responses for the client, and a programme evaluated by the employee
    chapter starts inside the client's employee survey (a wave before it and one at or after it,
    up to the focus wave) — refused here, before papermill, rather than inside a notebook."""
    waves = [
        int(w)
        for w in st.sql(
            params.client,
            "SELECT DISTINCT wave FROM responses WHERE wave IS NOT NULL ORDER BY wave",
        )["wave"]
    ]
    if params.wave is not None and params.wave not in waves:
        key = "wave" if "wave" in params.model_fields_set else "period"
        value = params.wave if key == "wave" else params.period
        raise ParamsError(
            f"{label}: {key}: {value!r} has no survey responses for client "
            f"{params.client!r}; waves in the store: {', '.join(map(str, waves)) or '(none)'}"
        )
    hi = params.wave if params.wave is not None else (waves[-1] if waves else None)
    window = [
        w
        for w in waves
        if (params.first_wave is None or w >= params.first_wave) and (hi is None or w <= hi)
    ]
    if not window:
        raise ParamsError(
            f"{label}: first_wave: no survey wave of client {params.client!r} falls in "
            f"{params.first_wave}–{hi}; waves in the store: {', '.join(map(str, waves)) or '(none)'}"
        )
    prog = params.programme
    if (
        prog is None
        or "07_employee" not in params.notebooks
        or not st.counts(params.client).get("employees")
    ):
        return
    emp = [
        int(w)
        for w in st.sql(
            params.client,
            "SELECT DISTINCT wave FROM employees WHERE wave IS NOT NULL ORDER BY wave",
        )["wave"]
    ]
    emp = [w for w in emp if hi is None or w <= hi]
    if not emp or not (emp[0] < prog.start <= emp[-1]):
        span = f"{emp[0]}–{emp[-1]}" if emp else "(none)"
        raise ParamsError(
            f"{label}: programme.start: {prog.start} is outside the employee survey of client "
            f"{params.client!r} up to wave {hi} ({span}); the programme needs a wave before "
            f"its start and one at or after it (allowed: {emp[0] + 1 if emp else '-'}–"
            f"{emp[-1] if emp else '-'})"
        )


def _cell_durations(nb) -> float:
    total = 0.0
    for cell in nb.cells:
        d = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(d, (int, float)):
            total += float(d)
    return total


RESET_TAG = "cx-reset"

#: Environment variable set in the report kernel (see cxresearch.report.context.open_study).
REPORT_ENV = "CXRESEARCH_REPORT_RUN"


class _Kernel:
    """One kernel shared by the notebooks of a report (imports are paid once).

    Each notebook starts with a hidden ``%reset -f`` cell (tagged ``cx-reset`` and
    ``remove-cell``), so no notebook sees another's variables.
    """

    def __init__(self, name: str, cwd: Path, env: dict[str, str] | None = None):
        self.name, self.cwd, self.km, self.env = name, cwd, None, dict(env or {})

    def __enter__(self) -> _Kernel:
        import asyncio

        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=self.name)
        try:
            env = {
                **os.environ,
                REPORT_ENV: "1",
                **self.env,
            }  # open_study routes data-quality warnings to the report
            asyncio.run(self.km.start_kernel(cwd=str(self.cwd), env=env))
        except Exception as exc:
            raise ReportError(f"could not start the Jupyter kernel {self.name!r}: {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        import asyncio

        if self.km is not None and self.km.has_kernel:
            try:
                asyncio.run(self.km.shutdown_kernel(now=True))
            except Exception:  # the kernel may already be gone; nothing else to clean
                pass


def _execute(
    src: Path, dst: Path, *, parameters: dict, kernel: _Kernel, timeout: int | None, keep=None
) -> dict[str, float]:
    """Run one notebook; ``keep(tags) -> bool`` drops the cells of sections the plan leaves out."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    try:
        nb = nbformat.read(str(src), as_version=4)
    except Exception as exc:
        raise ReportError(f"notebook {src} cannot be read: {exc}") from None
    if keep is not None:
        nb.cells = [c for c in nb.cells if keep(c.get("metadata", {}).get("tags", []))]
    reset = nbformat.v4.new_code_cell("get_ipython().run_line_magic('reset', '-f')")
    reset.metadata["tags"] = [RESET_TAG, "remove-cell"]
    nb.cells.insert(0, reset)
    try:
        pm.execute_notebook(
            nb,
            str(dst),
            parameters=parameters,
            kernel_name=kernel.name,
            km=kernel.km,
            cwd=str(src.parent),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            start_timeout=120,
        )
    except PapermillExecutionError as exc:
        cell = (
            exc.exec_count - 1 if exc.exec_count else None
        )  # the hidden reset cell is not counted
        raise NotebookFailed(
            notebook=src, cell=cell, ename=exc.ename, evalue=exc.evalue, kept=dst, source=exc.source
        ) from None
    except Exception as exc:  # kernel died, timeout, bad notebook file
        raise NotebookFailed(
            notebook=src, cell=None, ename=type(exc).__name__, evalue=str(exc), kept=dst
        ) from None
    wall = time.perf_counter() - t0
    cells = _cell_durations(nbformat.read(str(dst), as_version=4))
    return {"wall": wall, "cells": cells, "overhead": max(0.0, wall - cells)}


def _import_files(params: Params, work: Path, book) -> Path:
    from cxresearch.store import Store

    db = work / "study.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    with Store(db) as st:
        st.import_files([str(p) for p in params.data.files], client=params.client, codebook=book)
    return db


def plan_notebooks(params: Params, store: Path) -> tuple[Params, list[str]]:
    """Drop chapters whose data the client does not have, when the params did not list chapters.

    A thin wrapper of :func:`cxresearch.report.plan.make_plan` (which also decides every section):
    returns the params with ``notebooks`` narrowed to the chapters that run, and one line per
    chapter left out (``"<chapter>: <reason>"``).

    Raises
    ------
    ParamsError
        An explicitly listed chapter lacks its data or history (the message names the missing
        input), or no chapter is left.
    """
    from cxresearch.report.plan import make_plan

    plan = make_plan(params, store=store)
    return params.model_copy(update={"notebooks": plan.notebooks}), plan.skipped


def run_report(
    params_path: str | Path,
    *,
    out_root: str | Path | None = None,
    formats: list[str] | None = None,
    lang: str | None = None,
    timeout: int | None = 600,
) -> ReportResult:
    """Produce one client report from a params file.

    Parameters
    ----------
    params_path : str or Path
        The params YAML (see :mod:`cxresearch.report.params`).
    out_root : str or Path, optional
        Root of the reports tree; the report goes to ``<out_root>/<client>/<period>/``. Default:
        the params' ``output.dir``, else ``reports/`` in the current folder.
    formats : list of {'html', 'pdf', 'xlsx', 'tabs', 'pptx'}, optional
        Override the params' ``output.formats``.
    lang : {'zh', 'en'}, optional
        Override the params' language.
    timeout : int or None, default 600
        Seconds a single notebook cell may run.

    Notes
    -----
    All notebooks of one report run in one kernel (imports are paid once); each starts with a
    hidden ``%reset -f``. Before anything runs, :func:`cxresearch.report.plan.make_plan` decides
    which chapters and sections run (chapters whose data the client lacks are left out when the
    params do not list chapters, refused when they do); cells of sections left out are removed
    before papermill runs a notebook. The manifest keeps the plan (``plan``) and the chapters left
    out (``skipped_notebooks``).

    Returns
    -------
    ReportResult
        Output paths and timings (seconds: ``validate``, ``execute``, ``kernel``, ``cells``,
        ``html``, ``pdf``, ``xlsx``, ``tabs``, ``pptx``, ``total``).

    Raises
    ------
    ParamsError
        Invalid parameters (before any notebook runs).
    NotebookFailed
        A notebook raised; its executed copy (with the traceback) is kept under ``notebooks/<lang>/``
        and no report file is written.
    ReportError
        Rendering failed.

    Examples
    --------
    Render the demo report in English, as HTML only (``params/demo.yaml`` reads the store that
    ``cxresearch demo --no-report`` builds); it goes to ``reports/<client>/<period>/``:

    >>> import cxresearch as cx
    >>> res = cx.report.run_report("params/demo.yaml", lang="en",
    ...                            formats=["html"])  # doctest: +SKIP
    >>> res.html.name  # doctest: +SKIP
    'report.en.html'
    >>> sorted(res.as_dict())  # doctest: +SKIP
    ['directory', 'findings', 'html', 'manifest']
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    params = load_params(params_path)
    if lang is not None:
        if lang not in ("zh", "en"):
            raise ParamsError(
                f"{params_path}: language override must be 'zh' or 'en'; got {lang!r}"
            )
        params = params.model_copy(update={"language": lang})
    if formats is not None:
        bad = [f for f in formats if f not in FORMATS]
        if bad or not formats:
            raise ParamsError(
                f"formats must be chosen from {', '.join(map(repr, FORMATS))}; got {formats!r}"
            )
        params = params.model_copy(
            update={"output": params.output.model_copy(update={"formats": list(formats)})}
        )
    store_file = None
    work: Path | None = None
    if params.data.store is not None and not params.data.files:
        # one consistent copy of the client's rows for the whole run: an import running meanwhile
        # neither kills the report nor changes its bases between chapters
        from cxresearch.store import snapshot
        from cxresearch.store._snapshot import UnknownClient

        work = Path(tempfile.mkdtemp(prefix="cx-store-"))
        try:
            store_file = str(snapshot(params.data.store, params.client, work / "snapshot.duckdb"))
        except UnknownClient as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise ParamsError(
                f"{params.source or params_path}: client: {params.client!r} is not in store "
                f"{params.data.store}; clients there: {', '.join(exc.clients) or '(none)'}"
            ) from None
        except CXError as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise ParamsError(f"{params.source or params_path}: data.store: {exc}") from None
    try:
        book = check_inputs(params, store=Path(store_file) if store_file else None)
        if "pdf" in params.output.formats:
            from cxresearch.report.webpdf import find_chromium

            find_chromium()  # fail before running anything when the browser is missing
    except BaseException:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        raise
    root = Path(out_root) if out_root is not None else (params.output.dir or Path.cwd() / "reports")
    out_dir = (root / params.client / params.period).resolve()
    nb_dir = out_dir / "notebooks" / params.language
    timings["validate"] = time.perf_counter() - t_start

    if params.data.files:
        t0 = time.perf_counter()
        work = Path(tempfile.mkdtemp(prefix="cx-store-"))
        try:
            store_file = str(_import_files(params, work, book))
        except CXError as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise ReportError(f"{params_path}: data.files could not be imported: {exc}") from None
        timings["import"] = time.perf_counter() - t0
    try:
        from cxresearch.report.plan import make_plan

        plan = make_plan(
            params, store=Path(store_file) if store_file else params.data.store, book=book
        )
        params = params.model_copy(update={"notebooks": plan.notebooks})
        nb_dir.mkdir(parents=True, exist_ok=True)
        result = _run(
            params,
            params_path,
            out_dir,
            nb_dir,
            store_file,
            timings,
            t_start,
            timeout,
            plan=plan,
            codebook=book,
        )
        return result
    finally:
        (nb_dir / ".findings.jsonl").unlink(
            missing_ok=True
        )  # the chapters' findings, collected during the run
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _findings_json(path: Path) -> str:
    """The findings the chapters recorded, ranked, as the report's ``findings.json``."""
    from cxresearch import findings

    return findings.to_json(findings.rank(findings.read_jsonl(path)))


def _run(
    params: Params,
    params_path,
    out_dir: Path,
    nb_dir: Path,
    store_file: str | None,
    timings: dict[str, float],
    t_start: float,
    timeout: int | None,
    *,
    plan,
    codebook=None,
) -> ReportResult:
    from cxresearch.report import render
    from cxresearch.report.kernel import ensure_kernel

    kernel = ensure_kernel()
    parameters = {
        "params_file": str(params.source),
        "store_file": store_file,
        "lang": params.language,
    }
    executed: list[Path] = []
    skipped = plan.skipped
    overhead_s = cells_s = 0.0
    t0 = time.perf_counter()
    sources = params.notebook_paths()
    # the summary is printed first but runs last: it ranks the findings the chapters recorded
    order = sorted(sources, key=lambda p: p.stem in EXECUTE_LAST)
    findings_file = nb_dir / ".findings.jsonl"
    findings_file.unlink(missing_ok=True)
    with _Kernel(kernel, sources[0].parent, env={FINDINGS_ENV: str(findings_file)}) as session:
        timings["kernel_start"] = time.perf_counter() - t0
        for src in order:
            dst = nb_dir / src.name
            stats = _execute(
                src,
                dst,
                parameters=parameters,
                kernel=session,
                timeout=timeout,
                keep=lambda tags, stem=src.stem: plan.keep_cell(stem, tags),
            )
            overhead_s += stats["overhead"]
            cells_s += stats["cells"]
            executed.append(dst)
    executed = [nb_dir / src.name for src in sources]
    timings["execute"] = time.perf_counter() - t0
    timings["kernel"] = timings["kernel_start"] + overhead_s
    timings["cells"] = cells_s

    try:
        combined = render.combine(executed, lang=params.language)
        outputs: dict[str, Path | None] = {
            "html": None,
            "pdf": None,
            "tables": None,
            "tabs": None,
            "findings": None,
            "pptx": None,
        }
        html = None
        if {"html", "pdf"} & set(params.output.formats):
            t0 = time.perf_counter()
            html = render.render_html(combined, params)
            timings["html"] = time.perf_counter() - t0
        if "pdf" in params.output.formats:
            t0 = time.perf_counter()
            pdf = render.render_report_pdf(
                combined, params, base_dir=out_dir, toc_pages=params.output.toc_page_numbers
            )
            timings["pdf"] = time.perf_counter() - t0
        if "xlsx" in params.output.formats:
            t0 = time.perf_counter()
            outputs["tables"] = out_dir / output_name("tables", params.language)
            _atomic_path(
                outputs["tables"],
                lambda p: render.write_xlsx(combined.tables, p, lang=params.language),
            )
            timings["xlsx"] = time.perf_counter() - t0
        if (
            "tabs" in params.output.formats
        ):  # banner tables, from the store (cxresearch.report.tabs)
            from cxresearch.report import tabs as banner

            t0 = time.perf_counter()
            book = banner.report_tabs(params, store=store_file or params.data.store)
            outputs["tabs"] = banner.write_tabs(
                book, out_dir / banner.tabs_filename(params.language)
            )
            timings["tabs"] = time.perf_counter() - t0
        outputs["findings"] = out_dir / "findings.json"
        _atomic_write(outputs["findings"], _findings_json(findings_file))
        findings_file.unlink(missing_ok=True)
        if (
            "pptx" in params.output.formats
        ):  # the deck: the same findings records and tables as the report
            from cxresearch import findings as fnd
            from cxresearch.report import deck

            t0 = time.perf_counter()
            slides = deck.build_deck(
                combined.tables,
                fnd.from_json(outputs["findings"].read_text(encoding="utf-8")),
                params=params,
                codebook=codebook,
                toc=combined.toc,
            )
            outputs["pptx"] = deck.write_deck(slides, out_dir / deck.deck_filename(params.language))
            timings["pptx"] = time.perf_counter() - t0
        if "pdf" in params.output.formats:
            outputs["pdf"] = out_dir / output_name("report.pdf", params.language)
            _atomic_write(outputs["pdf"], pdf)
        if "html" in params.output.formats:
            outputs["html"] = out_dir / output_name("report.html", params.language)
            _atomic_write(outputs["html"], html)
    except CXError:
        raise
    except Exception as exc:
        raise ReportError(f"{params_path}: rendering failed: {type(exc).__name__}: {exc}") from exc

    timings["total"] = time.perf_counter() - t_start
    manifest_path = out_dir / output_name("manifest.json", params.language)
    inputs = [{"role": "params", "path": str(params.source)}]
    if params.data.store is not None:
        inputs.append({"role": "store", "path": str(params.data.store)})
    inputs += [{"role": "data", "path": str(p)} for p in params.data.files]
    if params.data.codebook is not None:
        inputs.append({"role": "codebook", "path": str(params.data.codebook)})
    if params.branding.logo is not None:
        inputs.append({"role": "logo", "path": str(params.branding.logo)})
    if params.branding.pptx_template is not None and "pptx" in params.output.formats:
        inputs.append({"role": "pptx_template", "path": str(params.branding.pptx_template)})
    inputs += [{"role": "notebook", "path": str(p)} for p in params.notebook_paths()]
    for item in inputs:
        item["sha256"] = _sha256(Path(item["path"]))
    files = [
        p
        for p in (
            outputs["html"],
            outputs["pdf"],
            outputs["tables"],
            outputs["tabs"],
            outputs["findings"],
            outputs["pptx"],
        )
        if p is not None
    ]
    files += executed
    from cxresearch.report.variables import label_fallbacks

    fallbacks = params.fallbacks + (
        label_fallbacks(plan.variables, codebook, params.language) if codebook is not None else ()
    )
    manifest = {
        "status": "ok",
        "client": params.client,
        "period": params.period,
        "language": params.language,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "parameters": params.to_plain(),
        "inputs": inputs,
        "outputs": [{"path": str(p.relative_to(out_dir)), "sha256": _sha256(p)} for p in files],
        "tables": len(combined.tables),
        "data_quality_notes": combined.warnings,
        "language_fallbacks": list(fallbacks),
        "skipped_notebooks": skipped,
        "plan": plan.to_dict(),
        "packages": _versions(),
        "chromium": _chromium_version() if "pdf" in params.output.formats else None,
        "platform": platform.platform(),
        "git": _git(Path(__file__).resolve().parent),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "kernel": kernel,
        "interpreter": sys.executable,
    }
    _atomic_write(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2))
    return ReportResult(
        directory=out_dir,
        html=outputs["html"],
        pdf=outputs["pdf"],
        tables=outputs["tables"],
        manifest=manifest_path,
        notebooks=tuple(executed),
        timings=timings,
        warnings=tuple(combined.warnings),
        skipped=tuple(skipped),
        tabs=outputs["tabs"],
        pptx=outputs["pptx"],
        findings=outputs["findings"],
        fallbacks=fallbacks,
    )
