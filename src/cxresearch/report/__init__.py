"""Reports: validated parameters, papermill runs of the study notebooks, HTML/PDF/Excel output, batch.

``run_report(params_path)`` is the single-report entry point (``cxresearch run``);
``run_batch(paths, workers=N)`` runs many (``cxresearch batch``); ``open_study(params_file)`` is what
a study notebook calls first; ``build_tabs`` / ``write_tabs`` make banner tables
(:mod:`cxresearch.report.tabs`); ``build_deck`` / ``write_deck`` make the PowerPoint deck
(:mod:`cxresearch.report.deck`). Heavy imports (papermill, nbconvert, playwright) happen on use.
"""

from __future__ import annotations

from cxresearch.report.params import NOTEBOOKS, Params, ParamsError, load_params

__all__ = [
    "NOTEBOOKS",
    "BatchResult",
    "NotebookFailed",
    "Params",
    "ParamsError",
    "ReportError",
    "ReportResult",
    "build_deck",
    "build_tabs",
    "load_params",
    "open_study",
    "run_batch",
    "run_report",
    "study_plan",
    "write_deck",
    "write_tabs",
]

_LAZY = {
    "run_report": "cxresearch.report.run",
    "ReportResult": "cxresearch.report.run",
    "ReportError": "cxresearch.report.run",
    "NotebookFailed": "cxresearch.report.run",
    "open_study": "cxresearch.report.context",
    "study_plan": "cxresearch.report.plan",
    "run_batch": "cxresearch.report.batch",
    "BatchResult": "cxresearch.report.batch",
    "build_tabs": "cxresearch.report.tabs",
    "write_tabs": "cxresearch.report.tabs",
    "build_deck": "cxresearch.report.deck",
    "write_deck": "cxresearch.report.deck",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cxresearch.report' has no attribute {name!r}")
