"""Validation of the options shared by the text tables (plain checks, no dependency needed)."""

from __future__ import annotations

import numpy as np

from cxresearch._toolbox import check_alpha

from ..errors import CXValueError


def _check_count(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise CXValueError(f"{name} must be a non-negative integer; got {v!r}")
    return int(v)


_check_alpha = check_alpha
