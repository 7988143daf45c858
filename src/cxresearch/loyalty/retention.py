"""Retention curves: Kaplan–Meier retention by satisfaction band at baseline (lifelines).

References: Kaplan & Meier (1958), doi:10.1080/01621459.1958.10501452; Davidson-Pilon (2019),
lifelines, doi:10.21105/joss.01317.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError, NotEstimableWarning
from cxresearch.persistence._panel import (
    _as_flag,
    _check_alpha,
    _check_duplicates,
    _require_columns,
    _require_frame,
    _require_numeric,
    _time_as_int,
)

#: Default satisfaction bands of :func:`retention_curves` for a 0–10 score (inclusive bounds).
DEFAULT_BANDS = {"0-5": (0.0, 5.0), "6-7": (6.0, 7.0), "8-10": (8.0, 10.0)}


@dataclass(frozen=True)
class RetentionResult:
    """Kaplan–Meier retention by satisfaction band.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``band``, ``years`` (years since the baseline year, 0 first), ``retention`` (KM estimate of
        the share still a customer), ``ci_lower``, ``ci_upper`` (lifelines' exponential Greenwood
        interval), ``at_risk``, ``events``.
    summary : pandas.DataFrame
        Per band: ``band``, ``n`` (customers), ``events``, ``median_years`` (inf when retention
        never falls to one half).
    logrank : pandas.DataFrame
        One row: ``statistic``, ``df``, ``p_value`` (multivariate log-rank test of equal curves;
        NaN with fewer than two bands).
    settings : dict
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    logrank: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The curves frame."""
        return self.curves.copy()


def retention_curves(
    panel: pd.DataFrame,
    *,
    id: str = "customer_id",
    time: str = "year",
    churn: str = "churned",
    score: str = "overall_sat",
    bands: Mapping[str, tuple[float, float]] | None = None,
    alpha: float = 0.05,
) -> RetentionResult:
    """Kaplan–Meier retention curves by satisfaction band at baseline.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per customer × year while a customer, with the churn flag and the score of the
        year (NaN when not surveyed); see :func:`cxresearch.persistence.customer_years`.
    id, time : str
        Customer id and year columns.
    churn : str
        Bool: lost at the end of this year.
    score : str
        Satisfaction score; the band is the one of the customer's first year with a score.
    bands : mapping of label -> (low, high), optional
        Inclusive score ranges; default :data:`DEFAULT_BANDS` (0-5, 6-7, 8-10). A baseline score in
        no band leaves the customer out.
    alpha : float, default 0.05
        1 − level of the pointwise intervals.

    Returns
    -------
    RetentionResult
        ``curves``, ``summary``, ``logrank``.

    Raises
    ------
    CXValueError
        Bad columns, bands or alpha; no customer with a scored year.

    Warns
    -----
    NotEstimableWarning
        No churn event at all: the curves stay at 1 and the log-rank test is reported as NaN.

    Notes
    -----
    Follow-up starts at the baseline year (the first year with a score) and counts the years the
    customer is in the panel from then on: a customer lost at the end of the baseline year has
    duration 1 and an event; a customer still present in the last panel year is censored there.
    Retention after k years is the product-limit estimate
    :math:`\\hat S(k) = \\prod_{j \\le k} (1 - d_j / n_j)`. Unweighted.

    References
    ----------
    .. [1] Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete
       observations. JASA 53(282), 457-481. doi:10.1080/01621459.1958.10501452
    .. [2] Davidson-Pilon, C. (2019). lifelines: survival analysis in Python. Journal of Open Source
       Software 4(40), 1317. doi:10.21105/joss.01317
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    alpha = _check_alpha(alpha)
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "churn": churn, "score": score})
    _require_numeric(panel, score, "score")
    t = _time_as_int(panel, time)
    _check_duplicates(panel, id, time)
    bands = dict(DEFAULT_BANDS if bands is None else bands)
    if not bands:
        raise CXValueError("bands must name at least one score range")
    for label, rng in bands.items():
        ok = isinstance(rng, (tuple, list)) and len(rng) == 2 and all(
            isinstance(v, (int, float, np.integer, np.floating)) for v in rng) and rng[0] <= rng[1]
        if not ok:
            raise CXValueError(f"bands[{label!r}] must be (low, high) with low <= high; got {rng!r}")
    d = pd.DataFrame({"id": panel[id].to_numpy(), "t": t,
                      "churn": _as_flag(panel, churn, "churn"),
                      "s": panel[score].to_numpy(dtype=float)})
    scored = d.loc[d["s"].notna()].sort_values(["id", "t"])
    base = scored.groupby("id").first()[["t", "s"]].rename(columns={"t": "t0", "s": "s0"})
    if base.empty:
        raise CXValueError(f"no customer has a value of {score!r}: no baseline band")
    d = d.merge(base, left_on="id", right_index=True)
    d = d.loc[d["t"] >= d["t0"]]
    per = d.groupby("id").agg(t0=("t0", "first"), s0=("s0", "first"), last=("t", "max"),
                              event=("churn", "any"))
    first_churn = d.loc[d["churn"]].groupby("id")["t"].min()
    end = first_churn.reindex(per.index).fillna(per["last"])
    per["duration"] = end - per["t0"] + 1
    per["band"] = None
    for label, (lo, hi) in bands.items():
        per.loc[per["band"].isna() & (per["s0"] >= lo) & (per["s0"] <= hi), "band"] = label
    per = per.loc[per["band"].notna()]
    curves, summary = [], []
    for label in bands:
        sub = per.loc[per["band"] == label]
        if sub.empty:
            summary.append({"band": label, "n": 0, "events": 0, "median_years": np.nan})
            continue
        kmf = KaplanMeierFitter(alpha=alpha)
        kmf.fit(sub["duration"], event_observed=sub["event"], label=label)
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        tab = kmf.event_table
        curves.append(pd.DataFrame({
            "band": label,
            "years": sf.index.to_numpy(dtype=float),
            "retention": sf.to_numpy(dtype=float),
            "ci_lower": ci.iloc[:, 0].to_numpy(dtype=float),
            "ci_upper": ci.iloc[:, 1].to_numpy(dtype=float),
            "at_risk": tab["at_risk"].reindex(sf.index).to_numpy(dtype=float),
            "events": tab["observed"].reindex(sf.index).to_numpy(dtype=float),
        }))
        summary.append({"band": label, "n": int(len(sub)), "events": int(sub["event"].sum()),
                        "median_years": float(kmf.median_survival_time_)})
    if per["band"].nunique() >= 2 and not per["event"].any():
        warnings.warn(
            f"retention_curves: no churn event in {churn!r} among {len(per)} customers; the "
            "retention curves are flat and the log-rank test is not estimable (reported as NaN)",
            NotEstimableWarning,
            stacklevel=2,
        )
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    elif per["band"].nunique() >= 2:
        lr = multivariate_logrank_test(per["duration"], per["band"], per["event"])
        logrank = pd.DataFrame({"statistic": [float(lr.test_statistic)],
                                "df": [int(lr.degrees_of_freedom)], "p_value": [float(lr.p_value)]})
    else:
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    return RetentionResult(
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
            columns=["band", "years", "retention", "ci_lower", "ci_upper", "at_risk", "events"]),
        summary=pd.DataFrame(summary),
        logrank=logrank,
        settings=dict(id=id, time=time, churn=churn, score=score, bands=bands, alpha=alpha),
    )
