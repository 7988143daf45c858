"""Estimation of many items at once: the fused fast path and the general per-item path.

For designs without clusters (and without raking calibration) each item takes one fused pass of a
numba kernel (:mod:`cxresearch.survey._kernels`) that accumulates, per (stratum x domain) cell, the
sums a domain mean's Taylor linearisation needs; the variance then follows in closed form
(``_from_cell_sums``). Other designs use :func:`cxresearch.survey._design.domain_mean` per item.
Both give the same numbers (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxresearch.survey._design import (
    Design,
    Domains,
    check_scale,
    domain_mean,
    numeric_column,
)

# --------------------------------------------------------------------------------------------
# fast path: designs without clusters, one fused pass per item (numba)
# --------------------------------------------------------------------------------------------

MODE_VALUE, MODE_TOP, MODE_BOTTOM, MODE_NPS = 0, 1, 2, 3
_KERNEL = None


def _kernel():
    """The fused group-sum kernel (numba, compiled once and cached on disk; imported lazily)."""
    global _KERNEL
    if _KERNEL is None:
        from cxresearch.survey._kernels import group_sums

        _KERNEL = group_sums
    return _KERNEL


def fast_path_ok(design: Design) -> bool:
    """Designs whose PSUs are the rows (no clusters) and without raking calibration."""
    return design.psu is None and not design.calibration


@dataclass(frozen=True)
class ItemEstimate:
    """Domain estimates of one item (arrays over domains)."""

    n: np.ndarray
    n_eff: np.ndarray
    weight_sum: np.ndarray
    estimate: np.ndarray
    var: np.ndarray
    deff: np.ndarray
    extra: np.ndarray | None
    df: np.ndarray


def _deff(var, ss_w, W, npos):
    """``V / (s_w^2 / n)``, ``s_w^2 = sum w (y - m)^2 / W * n/(n-1)`` (R's ``svyvar``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = ss_w / W * npos / (npos - 1)
        return var / (s2 / npos)


def _from_cell_sums(design: Design, D: int, cells: np.ndarray, c: float, with_extra: bool):
    """Domain means and linearised variances from (stratum x domain) cell sums.

    With cell sums ``A_1 = sum w``, ``A_x = sum w x``, ``B_1 = sum w^2``, ``B_x = sum w^2 x``,
    ``B_xx = sum w^2 x^2`` (``x`` centred at ``c``) and the domain's centred mean ``m``, each
    cell's sum of influence values is ``(A_x - m A_1) / W`` and of their squares
    ``(B_xx - 2 m B_x + m^2 B_1) / W^2``; the stratum formula then follows as in
    :meth:`Design.domain_var`.
    """
    H = design.n_strata
    t = cells.reshape(H, D, 9)
    dom = t.sum(axis=0)
    n, W, S, SS, W2 = dom[:, 0], dom[:, 1], dom[:, 2], dom[:, 3], dom[:, 4]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = S / W
        Wd = np.where(W > 0, W, 1.0)
        s1 = (t[:, :, 2] - m * t[:, :, 1]) / Wd
        s2 = (t[:, :, 6] - 2 * m * t[:, :, 5] + m**2 * t[:, :, 4]) / Wd**2
        nh = design.n_h.astype(float)[:, None]
        if design.lonely_adjust:
            grand = s1.sum(axis=0, keepdims=True) / design.n_psu
            centred = s2 - 2 * s1 * grand + nh * grand**2
            ss = np.where(design.n_h[:, None] == 1, centred, s2 - s1**2 / nh)
        else:
            ss = s2 - s1**2 / nh
        var = np.maximum((design.scale_h[:, None] * ss).sum(axis=0), 0.0)
        var = np.where(W > 0, var, np.nan)
        ss_w = np.maximum(SS - 2 * m * S + m**2 * W, 0.0)
        n_eff = W**2 / W2
        extra = dom[:, 7] / W if with_extra else None
    pos = t[:, :, 8]
    df = pos.sum(axis=0) - (pos > 0).sum(axis=0)
    return ItemEstimate(
        df=df.astype(float),
        n=n,
        n_eff=n_eff,
        weight_sum=W,
        estimate=m + c,
        var=var,
        deff=_deff(var, ss_w, W, dom[:, 8]),
        extra=extra,
    )


def estimate_items(
    design: Design,
    dom: Domains,
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    mode: int = MODE_VALUE,
    thresholds: Sequence[float] | None = None,
    scales: Sequence[tuple[float, float] | None] | None = None,
    get_x=None,
) -> list[ItemEstimate]:
    """Domain means of a per-respondent variable derived from each column.

    ``mode`` picks the variable: the value itself, a top/bottom-box indicator at
    ``thresholds[j]``, or the NPS variable ``100 (1[y >= 9] - 1[y <= 6])`` (then ``extra`` is
    the promoters' share). ``scales[j]`` (or None) is checked: a value outside raises.

    Designs without clusters or calibration take one fused numba pass per item (the same numbers
    as :func:`domain_mean`; a test compares both); others use ``get_x(column) -> (x, extra)`` and
    :func:`domain_mean`.
    """
    scales = list(scales) if scales is not None else [None] * len(columns)
    thresholds = list(thresholds) if thresholds is not None else [0.0] * len(columns)
    out: list[ItemEstimate] = []
    if fast_path_ok(design):
        kern = _kernel()
        D = dom.n_dom
        key = np.where(dom.code < D, design.stratum * D + dom.code, -1).astype(np.int64)
        n_cells = design.n_strata * D
        w = np.ascontiguousarray(design.w, dtype=np.float64)
        ys = [np.ascontiguousarray(numeric_column(data, col)) for col in columns]

        def run(j):
            y, sc, thr = ys[j], scales[j], thresholds[j]
            if mode == MODE_VALUE:
                head = y[: min(y.size, 2000)]
                head = head[~np.isnan(head)]
                c = float(head.mean()) if head.size else 0.0
            else:
                c = 0.0
            check = sc is not None
            lo, hi = (float(sc[0]), float(sc[1])) if check else (0.0, 0.0)
            cells, bad = kern(y, key, w, n_cells, mode, float(thr), c, check, lo, hi)
            return cells, bad, c

        if len(columns) > 1 and design.n >= 100_000:
            # the kernel releases the GIL: two threads (the machine budget) split the items
            with ThreadPoolExecutor(max_workers=2) as pool:
                results = list(pool.map(run, range(len(columns))))
        else:
            results = [run(j) for j in range(len(columns))]
        for j, (cells, bad, c) in enumerate(results):
            if bad >= 0:
                check_scale(ys[j][bad : bad + 1], columns[j], scales[j], data.index[bad : bad + 1])
            out.append(_from_cell_sums(design, D, cells, c, mode == MODE_NPS))
        return out
    D = dom.n_dom
    for col in columns:
        x, e = get_x(col)
        est = domain_mean(design, dom, x)
        valid = ~np.isnan(x)
        code = np.where(valid, dom.code, D)
        wv = np.where(valid, design.w, 0.0)
        m_ext = np.append(np.nan_to_num(est.estimate), 0.0)
        r = np.where(valid, x, 0.0) - m_ext[code]
        ss_w = np.bincount(code, weights=wv * r * r, minlength=D + 1)[:D]
        npos = np.bincount(code, weights=(wv > 0).astype(float), minlength=D + 1)[:D]
        extra = None
        if e is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                extra = (
                    np.bincount(code, weights=wv * np.nan_to_num(e), minlength=D + 1)[:D]
                    / est.weight_sum
                )
        out.append(
            ItemEstimate(
                n=est.n,
                n_eff=est.n_eff,
                weight_sum=est.weight_sum,
                estimate=est.estimate,
                var=est.var,
                deff=_deff(est.var, ss_w, est.weight_sum, npos),
                extra=extra,
                df=est.df,
            )
        )
    return out
