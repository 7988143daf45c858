"""Validation of the options shared by the text tables (plain checks, no dependency needed)."""

from __future__ import annotations

import numpy as np

from ..errors import CXValueError


def _check_count(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise CXValueError(f"{name} must be a non-negative integer; got {v!r}")
    return int(v)


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise CXValueError(f"alpha must be a number between 0 and 1 (exclusive); got {alpha!r}")
    return float(alpha)
