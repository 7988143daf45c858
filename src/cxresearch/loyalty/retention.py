"""Retention curves: Kaplan–Meier retention by satisfaction band at baseline (statsmodels).

The product-limit estimate and its Greenwood standard error come from
:class:`statsmodels.duration.survfunc.SurvfuncRight`, the log-rank test from
:func:`statsmodels.duration.survfunc.survdiff`; the pointwise interval is the exponential Greenwood
(log-log) one, written out below because statsmodels offers it only as a simultaneous band.

References: Kaplan & Meier (1958), doi:10.1080/01621459.1958.10501452; Kalbfleisch & Prentice
(2002), The Statistical Analysis of Failure Time Data, 2nd ed., doi:10.1002/9781118032985.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay
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


@dataclass(frozen=True, repr=False)
class RetentionResult(ResultDisplay):
    """Kaplan–Meier retention by satisfaction band.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``band``, ``years`` (years since the baseline year, 0 first), ``retention`` (KM estimate of
        the share still a customer), ``ci_lower``, ``ci_upper`` (exponential Greenwood, i.e.
        log-log, interval; R ``survfit(conf.type = "log-log")``), ``at_risk``, ``events``.
    bands : pandas.DataFrame
        Per band: ``band``, ``n`` (customers), ``events``, ``median_years`` (inf when retention
        never falls to one half).
    logrank : pandas.DataFrame
        One row: ``statistic``, ``df``, ``p_value`` (multivariate log-rank test of equal curves;
        NaN with fewer than two bands).
    settings : dict
    """

    curves: pd.DataFrame
    bands: pd.DataFrame
    logrank: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The curves frame."""
        return self.curves.copy()


def _km_curve(label: str, duration: np.ndarray, event: np.ndarray, alpha: float) -> pd.DataFrame:
    """One band's curve at year 0 and every observed duration (events or censoring)."""
    from scipy.stats import norm
    from statsmodels.duration.survfunc import SurvfuncRight

    years = np.concatenate([[0.0], np.unique(duration)])
    at_risk = np.array([(duration >= t).sum() for t in years], dtype=float)
    events = np.array([((duration == t) & event).sum() for t in years], dtype=float)
    at_risk[0], events[0] = len(duration), 0.0
    retention = np.ones(len(years))
    se = np.zeros(len(years))
    if event.any():
        sf = SurvfuncRight(duration, event.astype(float))
        # step function: the estimate at the last event time at or before each year
        idx = np.searchsorted(sf.surv_times, years, side="right") - 1
        has = idx >= 0
        retention[has] = sf.surv_prob[idx[has]]
        se[has] = sf.surv_prob_se[idx[has]]
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood sd of log S is se / S; the log-log transform divides it by |log S|
        w = z * (se / retention) / np.abs(np.log(retention))
        lower = retention ** np.exp(w)
        upper = retention ** np.exp(-w)
    flat = (retention >= 1.0) | (se == 0)
    lower = np.where(flat, retention, lower)
    upper = np.where(flat, retention, upper)
    return pd.DataFrame(
        {
            "band": label,
            "years": years,
            "retention": retention,
            "ci_lower": lower,
            "ci_upper": upper,
            "at_risk": at_risk,
            "events": events,
        }
    )


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
        ``curves``, ``bands``, ``logrank``.

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
    :math:`\\hat S(k) = \\prod_{j \\le k} (1 - d_j / n_j)`, with Greenwood's variance
    :math:`v(k) = \\sum_{j \\le k} d_j / (n_j (n_j - d_j))` of :math:`\\log \\hat S`; the interval is
    :math:`\\hat S^{\\exp(\\pm z \\sqrt{v} / \\log \\hat S)}` (log-log transform [2]_). The median is
    the first year with :math:`\\hat S \\le 1/2`. Unweighted.

    References
    ----------
    .. [1] Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete
       observations. JASA 53(282), 457-481. doi:10.1080/01621459.1958.10501452
    .. [2] Kalbfleisch, J. D., & Prentice, R. L. (2002). The Statistical Analysis of Failure Time
       Data (2nd ed.), section 1.4. Wiley. doi:10.1002/9781118032985

    Examples
    --------
    Kaplan-Meier retention of the demo study's customers by their satisfaction band in the first
    year they were surveyed:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.loyalty.retention_curves(panel, score="overall_sat")
    >>> res.bands
       band    n  events  median_years
    0   0-5   93      43           inf
    1   6-7  165      42           inf
    2  8-10  166      38           inf
    >>> cols = ["band", "retention", "ci_lower", "ci_upper", "at_risk"]
    >>> res.curves.query("years == 3")[cols].round(3)  # still customers three years on
        band  retention  ci_lower  ci_upper  at_risk
    3    0-5      0.656     0.548     0.744     64.0
    10   6-7      0.905     0.847     0.941    145.0
    17  8-10      0.876     0.815     0.919    141.0
    >>> test = res.logrank.iloc[0]  # log-rank test of equal curves
    >>> round(float(test["statistic"]), 2), int(test["df"]), float(test["p_value"]) < 0.001
    (21.7, 2, True)
    """

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
        ok = (
            isinstance(rng, (tuple, list))
            and len(rng) == 2
            and all(isinstance(v, (int, float, np.integer, np.floating)) for v in rng)
            and rng[0] <= rng[1]
        )
        if not ok:
            raise CXValueError(
                f"bands[{label!r}] must be (low, high) with low <= high; got {rng!r}"
            )
    d = pd.DataFrame(
        {
            "id": panel[id].to_numpy(),
            "t": t,
            "churn": _as_flag(panel, churn, "churn"),
            "s": panel[score].to_numpy(dtype=float),
        }
    )
    scored = d.loc[d["s"].notna()].sort_values(["id", "t"])
    base = scored.groupby("id").first()[["t", "s"]].rename(columns={"t": "t0", "s": "s0"})
    if base.empty:
        raise CXValueError(f"no customer has a value of {score!r}: no baseline band")
    d = d.merge(base, left_on="id", right_index=True)
    d = d.loc[d["t"] >= d["t0"]]
    per = d.groupby("id").agg(
        t0=("t0", "first"), s0=("s0", "first"), last=("t", "max"), event=("churn", "any")
    )
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
        curves.append(
            _km_curve(
                label,
                sub["duration"].to_numpy(dtype=float),
                sub["event"].to_numpy(dtype=bool),
                alpha,
            )
        )
        c = curves[-1]
        below = c.loc[c["retention"] <= 0.5, "years"]
        summary.append(
            {
                "band": label,
                "n": int(len(sub)),
                "events": int(sub["event"].sum()),
                "median_years": float(below.iloc[0]) if len(below) else np.inf,
            }
        )
    if per["band"].nunique() >= 2 and not per["event"].any():
        warnings.warn(
            f"retention_curves: no churn event in {churn!r} among {len(per)} customers; the "
            "retention curves are flat and the log-rank test is not estimable (reported as NaN)",
            NotEstimableWarning,
            stacklevel=2,
        )
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    elif per["band"].nunique() >= 2:
        from statsmodels.duration.survfunc import survdiff

        chisq, p_value = survdiff(
            per["duration"].to_numpy(dtype=float),
            per["event"].to_numpy(dtype=float),
            per["band"].to_numpy(),
        )
        logrank = pd.DataFrame(
            {
                "statistic": [float(chisq)],
                "df": [per["band"].nunique() - 1],
                "p_value": [float(p_value)],
            }
        )
    else:
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    return RetentionResult(
        curves=pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(
            columns=["band", "years", "retention", "ci_lower", "ci_upper", "at_risk", "events"]
        ),
        bands=pd.DataFrame(summary),
        logrank=logrank,
        settings=dict(id=id, time=time, churn=churn, score=score, bands=bands, alpha=alpha),
    )
