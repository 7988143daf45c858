"""Preparing the employee data: option checks, person scores, anonymity suppression.

``_person_scores`` validates the items and the scale, scores every respondent (mean of the answered
items, at least ``min_items`` of them) and removes every unit × wave cell below the anonymity
minimum *before* any statistic sees it; it only counts how many cells it removed.

Why hand-written: the suppression rule is the study's own (cells, not rows; counted, never named).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from cxresearch._toolbox import check_alpha

from ..errors import CXValueError

_ITEM_RE = re.compile(r"^q\d{2}$")


# --------------------------------------------------------------------------------------------
# Preparing the data: validation, person scores, suppression
# --------------------------------------------------------------------------------------------


def _items_of(data: pd.DataFrame, items) -> list[str]:
    if items is None:
        items = [c for c in data.columns if isinstance(c, str) and _ITEM_RE.match(c)]
        if not items:
            raise CXValueError(
                "items: no q01…q12-style columns found in employees; pass items=[...] explicitly"
            )
    else:
        items = [items] if isinstance(items, str) else list(items)
        if not items:
            raise CXValueError("items must name at least one item column")
    for c in items:
        if c not in data.columns:
            raise CXValueError(f"item {c!r} is not a column of employees")
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise CXValueError(f"item column {c!r} must be numeric; got dtype {s.dtype}")
    return items


def _check_int(name: str, v, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise CXValueError(f"{name} must be an integer >= {lo}; got {v!r}")
    return int(v)


_check_alpha = check_alpha


def _person_scores(
    employees: pd.DataFrame,
    *,
    items,
    unit: str,
    wave: str,
    min_items,
    scale,
    index: str,
    min_n: int,
):
    """Person-level index of every respondent, with suppressed cells removed.

    Returns (frame with unit, wave, score — unsuppressed cells only; items; n_suppressed).
    """
    if not isinstance(employees, pd.DataFrame):
        raise CXValueError(f"employees must be a DataFrame; got {type(employees).__name__}")
    for c, what in ((unit, "unit"), (wave, "wave")):
        if c not in employees.columns:
            raise CXValueError(f"{what} column {c!r} is not a column of employees")
    items = _items_of(employees, items)
    if index not in ("mean", "percent"):
        raise CXValueError(f"index must be one of 'mean', 'percent'; got {index!r}")
    if (
        not isinstance(scale, (tuple, list))
        or len(scale) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scale)
        or not scale[0] < scale[1]
    ):
        raise CXValueError(f"scale must be (min, max) with min < max; got {scale!r}")
    k = len(items)
    if min_items is None:
        min_items = math.ceil(2 * k / 3)
    min_items = _check_int("min_items", min_items, 1)
    if min_items > k:
        raise CXValueError(f"min_items must be at most the number of items ({k}); got {min_items}")
    x = employees[items].to_numpy(dtype=float)
    lo, hi = scale
    bad = ~np.isnan(x) & ((x < lo) | (x > hi))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        label = employees.index[r]
        label = label.item() if isinstance(label, np.generic) else label
        raise CXValueError(
            f"item {items[c]!r} has value {x[r, c]:g} (row {label!r}) outside the "
            f"scale {lo:g}–{hi:g}; recode missing-value codes to NaN first"
        )
    answered = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        score = np.nanmean(np.where(answered[:, None] > 0, x, 0.0), axis=1)
    score = np.where(answered >= min_items, score, np.nan)
    if index == "percent":
        score = (score - lo) / (hi - lo) * 100.0
    frame = pd.DataFrame(
        {unit: employees[unit].to_numpy(), wave: employees[wave].to_numpy(), "score": score},
        index=np.arange(len(employees)),
    )
    frame = frame[frame["score"].notna() & frame[unit].notna() & frame[wave].notna()]
    size = frame.groupby([unit, wave], observed=True)["score"].transform("size")
    kept = frame[size >= min_n]
    # every unit x wave cell of the file that is not shown counts as suppressed
    raw_cells = employees[[unit, wave]].dropna().drop_duplicates()
    n_suppressed = int(len(raw_cells) - len(kept[[unit, wave]].drop_duplicates()))
    return kept, items, n_suppressed, x[kept.index.to_numpy()]
