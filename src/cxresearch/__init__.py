"""cxresearch — a Jupyter workbench for customer-experience research.

Researchers use it as ``import cxresearch as cx`` and reach each capability as a submodule
(``cx.survey``, ``cx.drivers``, ``cx.persistence`` …). Submodules are imported on first use, so
``import cxresearch`` itself is cheap and has no side effects.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "errors",
    "codebook",
    "io",
    "store",
    "synth",
    "survey",
    "drivers",
    "persistence",
    "loyalty",
    "alerts",
    "text",
    "employee",
    "findings",
    "tables",
    "viz",
    "report",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cxresearch' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
