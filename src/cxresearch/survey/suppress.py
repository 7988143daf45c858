"""Small-base rules: flag estimates under the reporting minimum, suppress those under the anonymity minimum.

Every estimator in :mod:`cxresearch.survey` applies these rules to the frame it returns; use
:func:`suppress` to apply the same rules to any other frame of estimates (a custom aggregation, a
frame from another module) before it reaches a table or chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError
from cxresearch.survey import _design as core

__all__ = ["suppress", "DEFAULT_MIN_BASE", "DEFAULT_ANONYMITY_MIN"]

DEFAULT_MIN_BASE = 30
DEFAULT_ANONYMITY_MIN = 5
_PROTECTED = ("n", "small_base", "suppressed")


def suppress(
    frame: pd.DataFrame,
    *,
    base: str = "n",
    columns: Sequence[str] | None = None,
    min_base: int = DEFAULT_MIN_BASE,
    anonymity_min: int = DEFAULT_ANONYMITY_MIN,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with the small-base flags set and small cells blanked.

    Parameters
    ----------
    frame : DataFrame
        One row per estimate, with a base column. Not modified.
    base : str
        Column holding each row's base (respondents); default ``'n'``.
    columns : list of str, optional
        Value columns to blank (NaN) where the base is under ``anonymity_min``. Default: every
        float column except the base and the flag columns.
    min_base : int
        Reporting minimum: rows with ``base < min_base`` get ``small_base = True``.
    anonymity_min : int
        Anonymity minimum: rows with ``base < anonymity_min`` get ``suppressed = True`` and their
        value columns set to NaN. Must not exceed ``min_base``.

    Returns
    -------
    DataFrame
        A copy with boolean ``small_base`` and ``suppressed`` columns (existing flags are kept:
        a row already suppressed stays suppressed).

    Raises
    ------
    CXValueError
        A missing base or value column; a non-numeric base; bad minima.

    Notes
    -----
    Defaults follow the study conventions: reporting minimum 30, anonymity minimum 5 (per study in
    the parameters file). Unlike the estimators, this function does not warn.

    Examples
    --------
    >>> import pandas as pd, cxresearch as cx
    >>> frame = pd.DataFrame({"branch": ["Beijing", "Shanghai", "Kunming"],
    ...                       "n": [212, 41, 4], "estimate": [7.12, 6.85, 5.50]})
    >>> cx.survey.suppress(frame)
         branch    n  estimate  small_base  suppressed
    0   Beijing  212      7.12       False       False
    1  Shanghai   41      6.85       False       False
    2   Kunming    4       NaN        True        True
    >>> cx.survey.suppress(frame, min_base=50, anonymity_min=10)
         branch    n  estimate  small_base  suppressed
    0   Beijing  212      7.12       False       False
    1  Shanghai   41      6.85        True       False
    2   Kunming    4       NaN        True        True
    """
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    core.check_base_rules(min_base, anonymity_min)
    core.check_columns(frame, [base], "base")
    if not pd.api.types.is_numeric_dtype(frame[base]):
        raise CXValueError(f"base column {base!r} must be numeric; got dtype {frame[base].dtype}")
    if columns is None:
        cols = [
            c
            for c in frame.columns
            if c != base and c not in _PROTECTED and pd.api.types.is_float_dtype(frame[c])
        ]
    else:
        cols = core.as_list(columns, "columns")
        core.check_columns(frame, cols, "columns")
        if base in cols:
            raise CXValueError(f"columns must not include the base column {base!r}")
    out = frame.copy()
    n = out[base].to_numpy(dtype=float, na_value=np.nan)
    small = ~(n >= min_base)  # a missing base counts as small
    supp = ~(n >= anonymity_min)
    if "suppressed" in out.columns:
        supp = supp | out["suppressed"].fillna(True).to_numpy(dtype=bool)
    if "small_base" in out.columns:
        small = small | out["small_base"].fillna(True).to_numpy(dtype=bool)
    out["small_base"] = small | supp
    out["suppressed"] = supp
    if supp.any() and cols:
        out.loc[supp, cols] = np.nan
    return out
