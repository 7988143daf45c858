"""Key driver analysis: which items move an outcome, and how sure we are.

Linear outcomes (:func:`shapley`, :func:`relative_weights`, :func:`importance`,
:func:`importance_by` for segments, :func:`dominance`) work from one pass over the rows — the (weighted) correlation matrix — so that
the cost after that pass does not grow with the number of respondents; exact Shapley/LMG over all
``2^p`` subsets uses a depth-first sweep of the subset tree compiled with numba (``_kernels``).
Binary outcomes (:func:`logistic`) use logistic relative weights and odds ratios.
:func:`importance_performance` places each driver's importance against its performance.

Computation only: this package never imports ``viz``, ``tables`` or ``report``; the chart is
``cxresearch.viz.drivers``.
"""

from __future__ import annotations

from ._data import DroppedDriverWarning
from .ipa import QUADRANTS, importance_performance
from .linear import (
    MAX_EXACT,
    BootstrapWarning,
    DominanceResult,
    DriverResult,
    SampledShapleyWarning,
    dominance,
    importance,
    importance_by,
    relative_weights,
    shapley,
)
from .logistic import LogisticDriverResult, logistic

__all__ = [
    "MAX_EXACT",
    "QUADRANTS",
    "BootstrapWarning",
    "DominanceResult",
    "DriverResult",
    "DroppedDriverWarning",
    "LogisticDriverResult",
    "SampledShapleyWarning",
    "dominance",
    "importance",
    "importance_by",
    "importance_performance",
    "logistic",
    "relative_weights",
    "shapley",
]
