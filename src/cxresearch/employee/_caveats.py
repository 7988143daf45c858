"""Warnings of the employee analyses and the few-units caveat shown in the report.

Why hand-written: the caveat is report text in both languages; the warnings are the package's own
classes so the report can route them to the validity appendix.
"""

from __future__ import annotations

import warnings

from ..errors import CXWarning


class FewUnitsWarning(CXWarning):
    """Inference rests on few units (clusters): intervals may be too narrow; read as indicative."""


class ModelFitWarning(CXWarning):
    """A model fit reported a problem (non-convergence, variance component on the boundary)."""


def _few_units_caveat(k: int, min_units: int, what: str) -> dict:
    """Caveat text ``{"en", "zh"}`` when ``k < min_units`` (empty strings otherwise), and then a
    :class:`FewUnitsWarning` located at the caller of the public function that asked."""
    if k >= min_units:
        return {"en": "", "zh": ""}
    caveat = {
        "en": (
            f"Only {k} units: the {what} rests on few units, so its interval is uncertain and may "
            "be too narrow; read it as indicative, not as proof."
        ),
        "zh": f"仅有{k}个单位：{'该估计' if what != 'linkage' else '关联分析'}基于很少的单位，区间不确定且可能偏窄，仅供参考，不能作为证明。",
    }
    warnings.warn(caveat["en"], FewUnitsWarning, stacklevel=3)
    return caveat
