"""Charts for reports and notebooks (seaborn / matplotlib).

Call :func:`cxresearch.viz.style.apply` once before drawing: it sets the house seaborn theme and a
sans-serif font that covers Chinese (Noto Sans CJK SC), so zh labels render without missing glyphs.
Topic modules (``cxresearch.viz.drivers`` …) are imported on first use.
"""

from __future__ import annotations

import importlib

__all__ = ["style", "drivers", "charts"]


def __getattr__(name: str):
    if name in __all__:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cxresearch.viz' has no attribute {name!r}")
