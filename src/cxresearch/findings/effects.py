"""Expected effect of closing a driver's performance gap, in points of the outcome, with its interval.

A priority driver is important (its share of R²) and under-performing; what a client asks next is
*how much the outcome would move if the driver were fixed*. :func:`driver_effects` answers with the
key-driver "what-if" a consultant signs: the multiple-regression slope of the outcome on the driver
(all drivers of the model held fixed) times the driver's gap to an **internal benchmark**, the best
segment's mean on that driver (e.g. the best branch: a level some part of the client already
reaches, so the target is achievable by construction). Without a segment variable the gap is one
scale point (the effect is the slope).

Why hand-written: statsmodels' WLS gives the slope and its robust covariance, but not the joint
variance of a slope and a difference of two domain means estimated on the same respondents. The
linearisation here stacks the influence values of all three (slope, segment mean, Total mean), so
the interval of the product carries their covariance (delta method); the test suite checks the
slope's variance against statsmodels' HC0 covariance and the product's against a bootstrap.

Computation floor: numpy, pandas and scipy only.

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
International Statistical Review 51(3), 279–292. doi:10.2307/1402588. Lumley, T. (2010). *Complex
Surveys: A Guide to Analysis Using R*. Wiley, ch. 5. doi:10.1002/9780470580066.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch.errors import CXValueError

__all__ = ["driver_effects", "TARGETS"]

#: Benchmarks a driver's gap can be measured to.
TARGETS = ("best_segment", "one_point")

_COLUMNS = [
    "driver",
    "outcome",
    "n",
    "slope",
    "slope_se",
    "mean",
    "target",
    "benchmark",
    "benchmark_n",
    "gap",
    "gap_se",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "statistic",
    "df",
    "p_value",
    "unit",
    "basis",
]


def _numeric(data: pd.DataFrame, col: str, role: str) -> np.ndarray:
    if not isinstance(col, str) or col not in data.columns:
        raise CXValueError(
            f"{role} must name a column of data; got {col!r} (columns: {list(data.columns)[:20]})"
        )
    s = data[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise CXValueError(f"column {col!r} ({role}) must be numeric; got dtype {s.dtype}")
    return s.to_numpy(dtype=float)


def driver_effects(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    by: str | None = None,
    weights: str | None = None,
    target: str = "best_segment",
    alpha: float = 0.05,
    min_base: int = 30,
) -> pd.DataFrame:
    """Expected change of the outcome's mean if each driver's gap to a benchmark were closed.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave). Not modified.
    outcome : str
        The outcome (e.g. overall satisfaction), on its own scale.
    drivers : sequence of str
        The drivers of the model (all enter one regression).
    by : str, optional
        Segment column whose best level is the benchmark (``target='best_segment'``).
    weights : str, optional
        Sampling-weight column.
    target : {'best_segment', 'one_point'}
        ``best_segment``: the gap is the best segment's mean on the driver minus the Total mean
        (segments with at least ``min_base`` respondents in the model); ``one_point``: a gap of one
        scale point (the effect is the slope). ``best_segment`` without ``by`` falls back to
        ``one_point`` (column ``basis`` says which was used).
    alpha : float
        1 − confidence level.
    min_base : int
        Smallest segment base that can be the benchmark.

    Returns
    -------
    DataFrame
        One row per driver: ``driver``, ``outcome``, ``n`` (respondents with the outcome and every
        driver), ``slope`` and ``slope_se`` (weighted least squares, all drivers in the model;
        linearised SE), ``mean`` (the driver's Total mean), ``target`` (the benchmark's mean, or
        ``mean + 1``), ``benchmark`` (the best segment's code, as text; None for one point),
        ``benchmark_n``, ``gap`` (``target − mean``) and ``gap_se``, ``estimate`` (``slope × gap``:
        the expected change of the outcome's mean, in outcome points), ``se``, ``ci_lower``,
        ``ci_upper``, ``statistic`` (t), ``df`` (``n − p − 1``), ``p_value`` (two-sided, of no
        effect), ``unit`` (``outcome_points``), ``basis`` (``best_segment`` or ``one_point``).

    Raises
    ------
    CXValueError
        A missing or non-numeric column; a driver equal to the outcome; an unknown target; negative
        or all-zero weights; fewer complete rows than drivers + 2.

    Notes
    -----
    On the ``n`` complete rows with weights ``w``: ``b = (X'WX)⁻¹X'Wy`` (``X`` with an intercept),
    ``m`` the weighted Total mean of the driver and ``m_s`` the weighted mean of the best segment
    ``s``. The influence values are ``(X'WX)⁻¹ x_i w_i e_i`` (slope), ``w_i (x_i − m) / Σw`` (Total
    mean) and ``1{i∈s} w_i (x_i − m_s) / Σ_s w`` (segment mean); the effect ``b_j g`` with
    ``g = m_s − m`` has influence ``g · IF(b_j) + b_j · IF(g)`` and the with-replacement variance
    ``n/(n−1) Σ IF_i²`` (every respondent a PSU; sampling weights), the variance R's ``svyglm`` and
    ``svymean`` give on a design without strata or clusters. The interval is ``estimate ± t · se``
    on ``n − p − 1`` degrees of freedom. The benchmark is chosen on the same data (the best of
    several segment means is biased upwards by chance; with segment bases of a few hundred this
    is small against the gap, and the interval treats the chosen segment as fixed). The effect is
    what the cross-sectional model predicts, not a causal promise.

    Examples
    --------
    What closing each driver's gap to the best branch would add to overall satisfaction (0–10) in
    the latest wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=4)
    >>> latest = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "svc_responsiveness", "price_value", "channel_ease"]
    >>> eff = cx.findings.driver_effects(latest, outcome="overall_sat", drivers=drivers,
    ...                                  by="branch", weights="weight")
    >>> eff[["driver", "slope", "gap", "benchmark", "estimate", "ci_lower", "ci_upper"]].round(2)
                   driver  slope   gap benchmark  estimate  ci_lower  ci_upper
    0     product_quality   0.71  0.12         6      0.09     -0.06      0.24
    1  svc_responsiveness   0.55  0.18         7      0.10     -0.05      0.25
    2         price_value   0.41  0.18         5      0.07     -0.01      0.16
    3        channel_ease   0.33  0.15         4      0.05     -0.02      0.12

    The branches are close on every driver, so the achievable gains are small. One scale point
    more on a driver moves satisfaction by its slope:

    >>> one = cx.findings.driver_effects(latest, outcome="overall_sat", drivers=drivers,
    ...                                  target="one_point", weights="weight")
    >>> one[["driver", "estimate", "ci_lower", "ci_upper", "basis"]].round(2)
                   driver  estimate  ci_lower  ci_upper      basis
    0     product_quality      0.71      0.59      0.82  one_point
    1  svc_responsiveness      0.55      0.46      0.65  one_point
    2         price_value      0.41      0.31      0.50  one_point
    3        channel_ease      0.33      0.22      0.43  one_point
    """
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if target not in TARGETS:
        raise CXValueError(f"target must be one of {', '.join(map(repr, TARGETS))}; got {target!r}")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise CXValueError(f"alpha must be in (0, 1); got {alpha!r}")
    drivers = [drivers] if isinstance(drivers, str) else list(drivers)
    if not drivers:
        raise CXValueError("drivers must name at least one column")
    if outcome in drivers:
        raise CXValueError(f"the outcome {outcome!r} cannot also be a driver")
    y = _numeric(data, outcome, "outcome")
    X = np.column_stack([_numeric(data, d, "drivers") for d in drivers])
    w = _numeric(data, weights, "weights") if weights else np.ones(len(data))
    if weights and (np.isnan(w).any() or (w < 0).any()):
        bad = int(np.flatnonzero(np.isnan(w) | (w < 0))[0])
        raise CXValueError(
            f"weights column {weights!r} must be non-negative numbers; row {data.index[bad]!r} "
            f"holds {data[weights].iloc[bad]!r}"
        )
    if by is not None and by not in data.columns:
        raise CXValueError(f"by must name a column of data; got {by!r}")
    ok = ~np.isnan(y) & ~np.isnan(X).any(axis=1) & (w > 0)
    n, p = int(ok.sum()), len(drivers)
    if n < p + 2:
        raise CXValueError(
            f"driver_effects needs more complete rows than drivers + 1; got {n} rows for {p} drivers"
        )
    y, X, w = y[ok], X[ok], w[ok]
    seg = data[by].to_numpy()[ok] if by is not None else None
    A = np.column_stack([np.ones(n), X])
    AtWA = A.T @ (A * w[:, None])
    try:
        if np.linalg.cond(AtWA) > 1e12:
            raise np.linalg.LinAlgError("ill-conditioned")
        inv = np.linalg.inv(AtWA)
    except np.linalg.LinAlgError as err:
        raise CXValueError(
            f"the drivers {drivers} are collinear (or one is constant): the regression of "
            f"{outcome!r} has no unique solution"
        ) from err
    beta = inv @ (A.T @ (w * y))
    resid = y - A @ beta
    IFb = (A * (w * resid)[:, None]) @ inv  # n x (p + 1): row i = (A'WA)^-1 a_i w_i e_i
    W = w.sum()
    scale = n / (n - 1)
    df = n - p - 1
    q = stats.t.ppf(1 - alpha / 2, df)
    basis = "best_segment" if target == "best_segment" and seg is not None else "one_point"
    rows = []
    for j, d in enumerate(drivers):
        x = X[:, j]
        m = float(np.sum(w * x) / W)
        b = float(beta[j + 1])
        if_b = IFb[:, j + 1]
        bench, bench_n, tgt = None, None, m + 1.0
        if_g = np.zeros(n)
        if basis == "best_segment":
            best = None
            for lev in pd.unique(seg[pd.notna(seg)]):
                inside = seg == lev
                if inside.sum() < min_base:
                    continue
                ms = float(np.sum(w[inside] * x[inside]) / w[inside].sum())
                if best is None or ms > best[1]:
                    best = (lev, ms, inside)
            if best is not None:
                lev, ms, inside = best
                bench, bench_n, tgt = lev, int(inside.sum()), ms
                if_g = np.where(inside, w * (x - ms) / w[inside].sum(), 0.0) - w * (x - m) / W
        g = tgt - m
        if_e = g * if_b + b * if_g
        se = float(np.sqrt(scale * np.sum((if_e - if_e.mean()) ** 2)))
        est = b * g
        t = est / se if se > 0 else np.nan
        rows.append(
            {
                "driver": d,
                "outcome": outcome,
                "n": n,
                "slope": b,
                "slope_se": float(np.sqrt(scale * np.sum((if_b - if_b.mean()) ** 2))),
                "mean": m,
                "target": tgt,
                "benchmark": None
                if bench is None
                else (
                    str(int(bench))
                    if isinstance(bench, (float, np.floating)) and float(bench).is_integer()
                    else str(bench)
                ),
                "benchmark_n": bench_n,
                "gap": g,
                "gap_se": float(np.sqrt(scale * np.sum((if_g - if_g.mean()) ** 2))),
                "estimate": est,
                "se": se,
                "ci_lower": est - q * se,
                "ci_upper": est + q * se,
                "statistic": t,
                "df": float(df),
                "p_value": float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan,
                "unit": "outcome_points",
                "basis": "one_point" if bench is None else "best_segment",
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)
