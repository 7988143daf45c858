"""Findings from the chapters' result objects: drivers, persistence, churn, alerts, employees.

Each function returns a list of :class:`~cxresearch.findings.Finding` — empty when the result's
test does not support the claim (a finding exists only when its test supports it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch.findings._record import Finding, d_from_log_odds, d_from_r, finite

__all__ = [
    "driver_findings",
    "horizon_findings",
    "run_trend_test",
    "hazard_findings",
    "backtest_findings",
    "penalty_findings",
    "linkage_findings",
    "programme_findings",
    "engagement_findings",
    "alert_concentration_findings",
    "LOW_R2",
    "model_f_test",
]

#: A model explaining less than this share of the outcome's variance "explains little".
LOW_R2 = 0.10


def driver_findings(
    result,
    *,
    ipa: pd.DataFrame | None = None,
    chapter: str,
    exhibit: str,
    wave: int | None = None,
    low_r2: float = LOW_R2,
) -> list[Finding]:
    """Top driver, priority drivers and a weak-model warning from a driver analysis.

    * ``top_driver`` / ``largest``: the driver with the largest share, when its share exceeds the
      next driver's by a bootstrap difference whose interval excludes 0 (``result.differences``,
      from ``cx.drivers.importance(..., ci=True)``); ``among_largest`` (subject: the top driver,
      ``details['tied']``: the drivers not separable from it) when it does not — then the p-value
      tests its share against the average share (normal approximation of the bootstrap interval),
      and the record is written only when that test rejects (p < ``alpha``): no top driver
      otherwise.
    * ``priority_driver`` / ``improve``: a driver in the "concentrate here" quadrant of ``ipa``
      whose share interval lies above the average share (1 / number of drivers) and whose
      performance lies below the drivers' average by the paired test of ``ipa``
      (``gap_ci_upper < 0``; see :func:`cxresearch.drivers.importance_performance`): important
      beyond doubt and rated below average beyond doubt. An ``ipa`` frame without that test (a
      median cut) gives no priority driver.
    * ``model_fit`` / ``explains_little``: R² below ``low_r2``, or an R² its F test
      (:func:`model_f_test`) does not tell from 0 — then no driver record is written at all: the
      shares of an R² indistinguishable from 0 rank nothing (on MASS's ``survey``, pulse on height
      and hand spans: R² = 0.012, p = 0.57, yet one driver held 77 % of it).

    Driver records keep the model's drivers and weight column (``details['drivers']``,
    ``details['weights']``) so that :func:`cxresearch.findings.priorities` can refit the model for
    the expected effect in outcome points (:func:`cxresearch.findings.driver_effects`).

    Examples
    --------
    Five drivers of overall satisfaction in the latest wave of the demo study, with bootstrap
    intervals of the shares and the importance–performance quadrants:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=4)
    >>> latest = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "svc_responsiveness", "price_value", "channel_ease",
    ...            "exp_emotion"]
    >>> res = cx.drivers.importance(latest, outcome="overall_sat", drivers=drivers,
    ...                             weights="weight", ci=True, n_boot=200, seed=1)
    >>> ipa = cx.drivers.importance_performance(latest, outcome="overall_sat", drivers=drivers,
    ...                                         weights="weight")
    >>> found = cx.findings.driver_findings(res, ipa=ipa, chapter="03_drivers",
    ...                                     exhibit="driver_importance", wave=2017)
    >>> [(f.kind, f.claim, f.subject, round(f.estimate, 3), f.strength) for f in found]
    [('top_driver', 'among_largest', 'product_quality', 0.31, 'strong'),
     ('priority_driver', 'improve', 'svc_responsiveness', 0.255, 'some')]

    Product quality leads, but its share does not separate from responsiveness, which performs
    below average and is the one to improve:

    >>> found[0].details["tied"]
    ['svc_responsiveness']
    """
    out: list[Finding] = []
    imp = result.importance.sort_values("rank").reset_index(drop=True)
    k = len(imp)
    signs = _driver_signs(result)
    alpha = float(getattr(result, "alpha", 0.05))
    f_stat, p_model = model_f_test(result.r2, n=result.n_eff, k=len(result.drivers))
    # shares of an R² the data do not tell from 0 rank nothing: no top or priority driver then
    supported = p_model is not None and p_model < alpha
    if result.r2 is not None and np.isfinite(result.r2) and (result.r2 < low_r2 or not supported):
        out.append(
            Finding(
                kind="model_fit",
                claim="explains_little",
                subject=result.outcome,
                subject_type="model",
                variable=result.outcome,
                direction=0,
                estimate=result.r2,
                ci_lower=None,
                ci_upper=None,
                unit="r2",
                n=result.n,
                n_eff=result.n_eff,
                test=f"R² below {low_r2:g}; F test of R² = 0",
                statistic=f_stat,
                p_value=p_model,
                size=0.0,
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                alpha=alpha,
                details={"drivers": list(result.drivers), "significant": supported},
            )
        )
    if not supported:
        return out
    diffs = getattr(result, "differences", None)
    if k >= 2 and diffs is not None and len(diffs):
        top, nxt = imp.iloc[0], imp.iloc[1]
        tied = []
        for other in imp["driver"].iloc[1:]:
            row = _pair(diffs, top["driver"], other)
            if row is None or not (row["ci_lower"] > 0 or row["ci_upper"] < 0):
                tied.append(other)
        row = _pair(diffs, top["driver"], nxt["driver"])
        separated = row is not None and nxt["driver"] not in tied
        p_top = (
            None
            if row is None
            else row["p_value"]
            if separated
            else _p_above(top["share"], top.get("ci_lower"), top.get("ci_upper"), 1.0 / k, alpha)
        )
        # a lead the data do not separate is claimed only when the share is above the average
        # share by its own test: a record the test does not support is not written
        if row is not None and (separated or (p_top is not None and p_top < alpha)):
            r = (
                math.sqrt(max(float(top[result.value_column]), 0.0))
                if result.value_column in top
                else 0.0
            )
            out.append(
                Finding(
                    kind="top_driver",
                    claim="largest" if separated else "among_largest",
                    subject=top["driver"],
                    subject_type="driver",
                    variable=result.outcome,
                    direction=signs.get(top["driver"], 0),
                    estimate=top["share"],
                    ci_lower=top.get("ci_lower"),
                    ci_upper=top.get("ci_upper"),
                    unit="share",
                    n=result.n,
                    n_eff=result.n_eff,
                    test=(
                        "bootstrap test of the difference in shares with the next driver"
                        if separated
                        else "bootstrap interval of the share against the average share (normal approximation)"
                    ),
                    p_value=p_top,
                    alpha=alpha,
                    size=abs(d_from_r(r)),
                    chapter=chapter,
                    exhibit=exhibit,
                    wave=wave,
                    details={
                        "next": nxt["driver"],
                        "next_share": nxt["share"],
                        "difference": row["estimate"],
                        "difference_ci_lower": row["ci_lower"],
                        "difference_ci_upper": row["ci_upper"],
                        "tied": tied,
                        "r2": result.r2,
                        "method": result.method,
                        "drivers": list(result.drivers),
                        "weights": getattr(result, "weights", None),
                        **_sign_details(result, top["driver"]),
                    },
                )
            )
    if ipa is not None and "ci_lower" in imp and k:
        avg = 1.0 / k
        gap_cols = ["performance_gap", "gap_ci_lower", "gap_ci_upper", "gap_p_value"]
        if not set(gap_cols) <= set(ipa.columns):
            gap_cols = []  # no test of the performance (a median cut): no priority is claimed
        merged = imp.merge(
            ipa[["driver", "performance", "quadrant", "performance_cut", *gap_cols]],
            on="driver",
            how="inner",
        )
        unit = str(ipa["performance_unit"].iloc[0]) if "performance_unit" in ipa else "mean"
        for r in merged.itertuples(index=False):
            # improving a driver raises the outcome only when the two move together (r and β > 0);
            # a driver that moves against it (a reverse-keyed item) is no priority to "improve";
            # "rated below average" is claimed only when the paired test says so
            if (
                gap_cols
                and r.quadrant == "concentrate_here"
                and finite(r.ci_lower) is not None
                and r.ci_lower > avg
                and signs.get(r.driver, 0) > 0
                and finite(r.gap_ci_upper) is not None
                and r.gap_ci_upper < 0
            ):
                value = (
                    float(getattr(r, result.value_column))
                    if hasattr(r, result.value_column)
                    else 0.0
                )
                out.append(
                    Finding(
                        kind="priority_driver",
                        claim="improve",
                        subject=r.driver,
                        subject_type="driver",
                        variable=result.outcome,
                        direction=-1,
                        estimate=r.share,
                        ci_lower=r.ci_lower,
                        ci_upper=r.ci_upper,
                        unit="share",
                        n=result.n,
                        n_eff=result.n_eff,
                        test="bootstrap interval of the share above the average share (normal approximation); "
                        "paired t test of the performance below the drivers' average",
                        p_value=_p_above(r.share, r.ci_lower, r.ci_upper, avg, alpha),
                        alpha=alpha,
                        size=abs(d_from_r(math.sqrt(max(value, 0.0)))),
                        chapter=chapter,
                        exhibit=exhibit,
                        wave=wave,
                        details={
                            "performance": r.performance,
                            "performance_cut": r.performance_cut,
                            "performance_gap": r.performance_gap,
                            "gap_ci_lower": r.gap_ci_lower,
                            "gap_ci_upper": r.gap_ci_upper,
                            "gap_p_value": r.gap_p_value,
                            "performance_unit": unit,
                            "average_share": avg,
                            "rank": int(r.rank),
                            "drivers": list(result.drivers),
                            "weights": getattr(result, "weights", None),
                        },
                    )
                )
    return out


def model_f_test(r2, *, n, k: int) -> tuple[float | None, float | None]:
    """F statistic and p-value of a linear model's R² against 0: ``(R²/k) / ((1 − R²)/(n − k − 1))``
    on ``k`` and ``n − k − 1`` degrees of freedom (the overall F test of OLS).

    ``n`` is the effective base (Kish) for a weighted model: an approximation of the design-based
    Wald test, exact without weights. ``(None, None)`` when there are no residual degrees of
    freedom or R² is missing.
    """
    r2, n = finite(r2), finite(n)
    if r2 is None or n is None or k < 1 or n - k - 1 <= 0:
        return None, None
    if r2 >= 1.0:
        return math.inf, 0.0
    df2 = n - k - 1
    f = (max(r2, 0.0) / k) / ((1.0 - r2) / df2)
    return float(f), float(stats.f.sf(f, k, df2))


def _driver_signs(result) -> dict[str, int]:
    """+1 / -1 when a driver's correlation with the outcome and its standardised coefficient agree
    in sign, 0 when they disagree (a suppression effect: no direction to state) or are missing.
    Importance shares (LMG, relative weights) carry no sign; this is the direction of the relation."""
    diag = getattr(result, "diagnostics", None)
    if diag is None or not {"driver", "r", "beta"} <= set(diag.columns):
        return {}
    out = {}
    for d, r, b in zip(diag["driver"], diag["r"], diag["beta"], strict=True):
        r, b = finite(r), finite(b)
        out[d] = (
            int(np.sign(r)) if r is not None and b is not None and np.sign(r) == np.sign(b) else 0
        )
    return out


def _sign_details(result, driver) -> dict:
    diag = getattr(result, "diagnostics", None)
    if diag is None or not {"driver", "r", "beta"} <= set(diag.columns):
        return {}
    row = diag[diag["driver"] == driver]
    return {} if row.empty else {"r": finite(row["r"].iloc[0]), "beta": finite(row["beta"].iloc[0])}


def _p_above(est, lo, hi, null: float, alpha: float) -> float | None:
    """Two-sided p of ``est`` against ``null`` from a (bootstrap) interval by the normal approximation."""
    est, lo, hi = finite(est), finite(lo), finite(hi)
    if est is None or lo is None or hi is None or hi <= lo:
        return None
    se = (hi - lo) / (2 * stats.norm.ppf(1 - alpha / 2))
    return float(2 * stats.norm.sf(abs(est - null) / se))


def _pair(diffs: pd.DataFrame, a: str, b: str) -> dict | None:
    hit = diffs[(diffs["driver_a"] == a) & (diffs["driver_b"] == b)]
    if len(hit):
        r = hit.iloc[0]
        return {
            "estimate": r["estimate"],
            "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"],
            "p_value": r.get("p_value"),
        }
    hit = diffs[(diffs["driver_a"] == b) & (diffs["driver_b"] == a)]
    if len(hit):
        r = hit.iloc[0]
        return {
            "estimate": -r["estimate"],
            "ci_lower": -r["ci_upper"],
            "ci_upper": -r["ci_lower"],
            "p_value": r.get("p_value"),
        }
    return None


def horizon_findings(
    result, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """``horizon`` / ``lasts``: the exposure's effect stays significantly positive for ``h ≥ 1`` years.

    The claim rests on the lag profile: every lag ``0 … h-1`` significantly positive (one-sided);
    ``p_value`` is the largest of those one-sided p-values (an intersection-union test), the
    interval is the bootstrap interval of H.

    Examples
    --------
    In the demo study satisfaction lifts repurchase intent for four years (lags 0–3, the known
    truth):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=8)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> hz = cx.persistence.horizon(panel, id="customer_id", time="year", outcome="repurchase",
    ...                             exposure="overall_sat", max_lag=5, n_boot=20, seed=1)
    >>> [f] = cx.findings.horizon_findings(hz, chapter="04_persistence", exhibit="lags_loyalty")
    >>> f.claim, f.subject, f.estimate, (f.ci_lower, f.ci_upper), f.unit, f.strength
    ('lasts', 'overall_sat', 4.0, (4.0, 5.0), 'years', 'strong')
    >>> [round(b, 2) for b in f.details["lag_estimates"]]
    [0.41, 0.28, 0.2, 0.13]
    """
    est = result.primary
    if est.h < 1:
        return []
    prof = est.profile.table.sort_values("lag")
    lags = prof[prof["lag"] < est.h]
    p = float(lags["p_one_sided"].max()) if "p_one_sided" in lags else None
    total = float(lags["estimate"].sum())
    alpha = float(result.settings.get("alpha", 0.05))
    return [
        Finding(
            kind="horizon",
            claim="lasts",
            subject=str(result.settings.get("exposure", "")),
            subject_type="exposure",
            variable=result.settings.get("outcome"),
            direction=1,
            estimate=est.h,
            ci_lower=est.ci_lower,
            ci_upper=est.ci_upper,
            unit="years",
            n=est.profile.n_customers,
            n_eff=None,
            test="lag effects 0…H−1 each significantly positive (one-sided, customer-clustered); bootstrap interval of H",
            p_value=p,
            alpha=alpha,
            size=est.h / (int(result.settings.get("max_lag", est.h)) + 1),
            chapter=chapter,
            exhibit=exhibit,
            wave=wave,
            details={
                "censored": bool(est.censored),
                "cumulative_effect": total,
                "method": est.method,
                "max_lag": result.settings.get("max_lag"),
                "n_obs": est.profile.n_obs,
                "lag_estimates": lags["estimate"].tolist(),
            },
        )
    ]


def run_trend_test(rates: pd.DataFrame) -> tuple[float, float]:
    """Cochran–Armitage test for a rising churn rate over run lengths 0, 1, …, k+.

    ``rates`` is ``HazardResult.rates`` (``run_length``, ``person_years``, ``events``). Scores are
    the run lengths (the open class ``k+`` scored ``k``). Returns ``(z, one-sided p)`` for an
    increasing trend (Armitage 1955, doi:10.2307/3001775).

    Examples
    --------
    Churn rates of the demo study by the number of consecutive dissatisfied years:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=8)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> hazard = cx.persistence.churn_hazard(panel, id="customer_id", time="year",
    ...                                      score="overall_sat", churn="churned", cut=5)
    >>> hazard.rates.round(3)
      run_length  person_years  events  hazard
    0          0          3947     143   0.036
    1          1           490      58   0.118
    2          2           125      21   0.168
    3          3            47      16   0.340
    4         4+            20      13   0.650
    >>> z, p = cx.findings.run_trend_test(hazard.rates)
    >>> round(z, 2), p < 0.001
    (16.68, True)

    With the same rate at every run length there is no trend:

    >>> import pandas as pd
    >>> flat = pd.DataFrame({"run_length": ["0", "1", "2+"], "person_years": [400, 100, 50],
    ...                      "events": [20, 5, 2]})
    >>> [round(v, 2) for v in cx.findings.run_trend_test(flat)]
    [-0.25, 0.6]
    """
    scores = np.array([float(str(x).rstrip("+")) for x in rates["run_length"]])
    n = rates["person_years"].to_numpy(dtype=float)
    e = rates["events"].to_numpy(dtype=float)
    N, E = n.sum(), e.sum()
    if N <= 0 or E <= 0 or E >= N:
        return float("nan"), float("nan")
    pbar = E / N
    t = np.sum(scores * (e - n * pbar))
    var = pbar * (1 - pbar) * (np.sum(n * scores**2) - np.sum(n * scores) ** 2 / N)
    if var <= 0:
        return float("nan"), float("nan")
    z = t / math.sqrt(var)
    return float(z), float(stats.norm.sf(z))


def hazard_findings(
    result, *, chapter: str, exhibit: str, wave: int | None = None, alpha: float | None = None
) -> list[Finding]:
    """``hazard_run`` / ``rises_with_run``: churn risk rises with consecutive dissatisfied years.

    Claimed only when both hold: the Cochran–Armitage trend test over run lengths
    (:func:`run_trend_test`) is significant (one-sided), and the hazard model's odds ratio for the
    longest estimable run (controlling for the current score) has an interval above 1.
    ``estimate`` is that odds ratio; ``size`` comes from the odds ratio of the first dissatisfied
    year (the common case, not the extreme tail).

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=8)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> hazard = cx.persistence.churn_hazard(panel, id="customer_id", time="year",
    ...                                      score="overall_sat", churn="churned", cut=5)
    >>> [f] = cx.findings.hazard_findings(hazard, chapter="04_persistence",
    ...                                   exhibit="churn_by_run")
    >>> f.claim, f.details["run_length"], f.unit, f.strength
    ('rises_with_run', '4+', 'odds_ratio', 'strong')
    >>> round(f.estimate, 1), round(f.ci_lower, 1), round(f.ci_upper, 1)
    (21.6, 7.8, 59.9)
    >>> round(f.details["rate_none"], 3), round(f.details["rate_longest"], 3)
    (0.036, 0.65)
    """
    alpha = float(result.settings.get("alpha", 0.05) if alpha is None else alpha)
    z, p = run_trend_test(result.rates)
    if not (np.isfinite(p) and p < alpha):
        return []
    runs = result.table[result.table["term"].astype(str).str.startswith("run_")]
    runs = runs[runs["estimable"].astype(bool)] if "estimable" in runs else runs
    if runs.empty:
        return []
    last = runs.iloc[-1]
    if not (finite(last["ci_lower"]) is not None and last["ci_lower"] > 1):
        return []
    rates = result.rates.reset_index(drop=True)
    return [
        Finding(
            kind="hazard_run",
            claim="rises_with_run",
            subject=str(result.settings.get("score", "")),
            subject_type="exposure",
            variable="churned",
            direction=1,
            estimate=last["odds_ratio"],
            ci_lower=last["ci_lower"],
            ci_upper=last["ci_upper"],
            unit="odds_ratio",
            n=result.n_obs,
            test="Cochran–Armitage trend over run lengths (one-sided) and hazard-model odds ratio above 1",
            statistic=z,
            p_value=p,
            alpha=alpha,
            size=abs(d_from_log_odds(math.log(runs.iloc[0]["odds_ratio"]))),
            chapter=chapter,
            exhibit=exhibit,
            wave=wave,
            details={
                "term": last["term"],
                "run_length": str(last["term"]).removeprefix("run_"),
                "rate_none": rates["hazard"].iloc[0],
                "rate_longest": rates["hazard"].iloc[-1],
                "longest_run": str(rates["run_length"].iloc[-1]),
                "model_p_value": last["p_value"],
                "n_customers": result.n_customers,
                "n_events": result.n_events,
                "n_incomplete": getattr(result, "n_incomplete", 0),
                "cut": result.settings.get("cut"),
            },
        )
    ]


def backtest_findings(
    result, *, cases=None, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """``alert_lift`` / ``predicts_churn``: alerted customers churned more than customers in general.

    Uses the pooled row (``wave == 'all'``) of each rule and of ``any``; a rule predicts churn when
    its lift interval lies above 1. ``cases`` (``cx.alerts.alert_cases`` of the report wave) gives
    this wave's alert volume per rule (``details['volume']``).

    Examples
    --------
    The demo study's default rules, replayed on the earlier waves; the case list of the latest
    wave gives each rule's volume:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> bt = cx.alerts.backtest(study.responses, study.customers)
    >>> cases = cx.alerts.alert_cases(study.responses, customers=study.customers)
    >>> found = cx.findings.backtest_findings(bt, cases=cases, chapter="06_alerts_text",
    ...                                       exhibit="alert_backtest", wave=2017)
    >>> [(f.subject, round(f.estimate, 2), round(f.ci_lower, 2), f.details["volume"])
    ...  for f in found]
    [('low_sat', 3.52, 2.3, 25), ('any', 1.55, 1.12, 84)]
    >>> round(found[0].details["precision"], 3), round(found[0].details["base_rate"], 3)
    (0.178, 0.051)

    ``sat_drop``, ``hv_detractor`` and ``complaint`` make no claim: their lift intervals include 1.
    """
    frame = result.frame
    if frame is None or frame.empty:
        return []
    pooled = frame[frame["wave"].astype(str) == "all"]
    if pooled.empty:
        return []
    volumes = _volumes(cases)
    out = []
    for r in pooled.itertuples(index=False):
        lo = finite(r.lift_ci_lower)
        if lo is None or lo <= 1:
            continue
        out.append(
            Finding(
                kind="alert_lift",
                claim="predicts_churn",
                subject=str(r.rule),
                subject_type="rule",
                variable="churned",
                direction=1,
                estimate=r.lift,
                ci_lower=r.lift_ci_lower,
                ci_upper=r.lift_ci_upper,
                unit="ratio",
                n=r.n,
                test=f"lift interval above 1 ({result.lift_ci}); Fisher's exact test",
                p_value=r.p_value,
                alpha=result.alpha,
                size=abs(d_from_log_odds(math.log(r.lift))) if r.lift and r.lift > 0 else 0.0,
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={
                    "owner": getattr(r, "owner", None),
                    "precision": r.precision,
                    "precision_ci_lower": r.precision_ci_lower,
                    "precision_ci_upper": r.precision_ci_upper,
                    "recall": r.recall,
                    "base_rate": r.base_rate,
                    "n_alerts_backtest": r.n_alerts,
                    "false_alarm_share": 1 - r.precision
                    if finite(r.precision) is not None
                    else None,
                    "volume": volumes.get(str(r.rule)),
                    "waves": [str(w) for w in result.waves],
                },
            )
        )
    return out


def _volumes(cases) -> dict[str, int]:
    """This wave's alert volume per rule and for ``any`` rule, from ``cx.alerts.alert_cases``."""
    if cases is None:
        return {}
    firings = getattr(cases, "firings", None)
    listed = getattr(cases, "cases", None)
    out: dict[str, int] = {}
    if firings is not None and len(firings) and "rule" in firings:
        for rule, part in firings.groupby("rule"):
            out[str(rule)] = (
                int(part["customer"].nunique()) if "customer" in part else int(len(part))
            )
    if listed is not None:
        out["any"] = int(len(listed))
    return out


def penalty_findings(
    result, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """``transfer_penalty`` / ``costs``: each transfer lowers loyalty (interval of the loss above 0).

    Examples
    --------
    Each transfer between departments costs about 10% of repurchase intent in the demo study
    (the known truth):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=8)
    >>> study.truth.transfer_penalty
    0.1
    >>> penalty = cx.loyalty.transfer_penalty(study.responses, outcome="repurchase",
    ...                                       promoter="recommend")
    >>> [f] = cx.findings.penalty_findings(penalty, chapter="05_loyalty",
    ...                                    exhibit="transfer_penalty")
    >>> f.claim, f.variable, f.unit, f.strength
    ('costs', 'repurchase', 'relative_change', 'strong')
    >>> round(f.estimate, 3), round(f.ci_lower, 3), round(f.ci_upper, 3)
    (-0.095, -0.104, -0.085)
    """
    t = result.table
    out = []
    alpha = float(result.settings.get("alpha", 0.05))
    for r in t.itertuples(index=False):
        if r.measure != "loyalty" or finite(r.ci_lower) is None or r.ci_lower <= 0:
            continue
        out.append(
            Finding(
                kind="transfer_penalty",
                claim="costs",
                subject="transfers",
                subject_type="item",
                variable=r.outcome,
                direction=-1,
                estimate=-r.estimate,
                ci_lower=-r.ci_upper,
                ci_upper=-r.ci_lower,
                unit="relative_change",
                n=r.n,
                test="log-link quasi-Poisson model, customer-clustered",
                p_value=r.p_value,
                alpha=alpha,
                size=abs(d_from_log_odds(r.log_ratio)),
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={"loss_per_transfer": r.estimate},
            )
        )
    return out


def linkage_findings(
    result, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """``employee_link`` / ``linked``: unit engagement and customer scores move together.

    From the unit × wave correlations: claimed when the Fisher-z interval excludes 0 **and** the
    linkage model of the same outcome (``result.models``, term ``engagement``: random unit
    intercepts and wave effects, or unit-clustered OLS) finds a slope of the same sign with
    p < alpha. The Pearson interval treats every unit × wave as independent although the same few
    units recur every wave; the model allows for it, so a link only the Pearson test sees is not
    written. The record's p is the larger of the two; the model's slope, interval and p are in
    ``details``. The link is correlational, said in the sentence. ``size`` is |r| itself, not its
    d conversion: a correlation of unit aggregates overstates the link between individual people.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=8)
    >>> link = cx.employee.linkage(study.employees, study.responses)
    >>> found = cx.findings.linkage_findings(link, chapter="07_employee",
    ...                                      exhibit="engagement_linkage")
    >>> [(f.variable, round(f.estimate, 2), round(f.ci_lower, 2), round(f.ci_upper, 2), f.n)
    ...  for f in found]
    [('overall_sat', 0.4, 0.16, 0.59, 60.0)]

    Satisfaction is linked. The NPS correlation's Fisher interval excludes 0 (p = 0.038), but
    the model that allows for the 8 units recurring over the waves does not support it, so NPS
    makes no claim:

    >>> c = link.correlations.query("level == 'unit_wave' and outcome == 'nps'").iloc[0]
    >>> m = link.models.query("term == 'engagement' and outcome == 'nps'").iloc[0]
    >>> round(float(c["p_value"]), 3), round(float(m["p_value"]), 3)
    (0.038, 0.147)
    """
    out = []
    cors = result.correlations
    if cors is None or cors.empty:
        return out
    models = result.models if result.models is not None else pd.DataFrame()
    for r in cors[cors["level"] == "unit_wave"].itertuples(index=False):
        lo, hi = finite(r.ci_lower), finite(r.ci_upper)
        if (
            lo is None
            or hi is None
            or not (lo > 0 or hi < 0)
            or not (finite(r.p_value) is not None and r.p_value < result.alpha)
        ):
            continue
        m = (
            models[(models["outcome"] == r.outcome) & (models["term"] == "engagement")]
            if {"outcome", "term"} <= set(models.columns)
            else models.iloc[0:0]
        )
        if m.empty:
            continue  # no model that allows for the units recurring: no claim
        m = m.iloc[0]
        p_model = finite(m["p_value"])
        if (
            p_model is None
            or p_model >= result.alpha
            or np.sign(m["estimate"]) != np.sign(r.estimate)
        ):
            continue
        out.append(
            Finding(
                kind="employee_link",
                claim="linked",
                subject="engagement",
                subject_type="unit",
                variable=r.outcome,
                direction=1 if r.estimate > 0 else -1,
                estimate=r.estimate,
                ci_lower=lo,
                ci_upper=hi,
                unit="correlation",
                n=r.n,
                test="Pearson correlation over unit × wave (Fisher z interval) and the linkage "
                "model's slope (units recurring over waves allowed for); the larger p",
                p_value=max(float(r.p_value), p_model),
                alpha=result.alpha,
                size=abs(r.estimate),
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={
                    "n_units": r.n_units,
                    "p_pearson": float(r.p_value),
                    "model": str(m.get("model", result.method)),
                    "slope": float(m["estimate"]),
                    "slope_ci_lower": float(m["ci_lower"]),
                    "slope_ci_upper": float(m["ci_upper"]),
                    "slope_p_value": p_model,
                },
            )
        )
    return out


def programme_findings(
    result, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """``programme`` / ``lifts`` or ``lowers``: the difference-in-differences is significant and the
    randomization-inference p-value agrees.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=100, n_waves=8)
    >>> did = cx.employee.programme_did(study.employees, programme_units=[2, 5, 7], start=2020)
    >>> [f] = cx.findings.programme_findings(did, chapter="07_employee", exhibit="programme_did")
    >>> f.claim, round(f.estimate, 2), round(f.ci_lower, 2), round(f.ci_upper, 2), f.strength
    ('lifts', 0.47, 0.38, 0.56, 'some')
    >>> f.details["units"], round(f.details["p_randomization"], 3), round(f.size, 2)
    ([2, 5, 7], 0.018, 0.86)
    """
    f = result.frame
    row = f[f["term"] == "programme x post"]
    if row.empty:
        return []
    r = row.iloc[0]
    p, pr = finite(r["p_value"]), finite(r.get("p_randomization"))
    if p is None or p >= result.alpha or (pr is not None and pr >= result.alpha):
        return []
    # the record's p is the larger of the two: with few units the cluster-robust p can be far
    # below what any assignment test allows (3 programme units of 8: never below 1/56)
    p_claim = p if pr is None else max(p, pr)
    means = result.means
    sd = None
    if means is not None and len(means) and "se" in means and "n" in means:
        sds = (means["se"] * np.sqrt(means["n"])).dropna()
        sd = float(sds.mean()) if len(sds) else None
    direction = 1 if r["estimate"] > 0 else -1
    return [
        Finding(
            kind="programme",
            claim="lifts" if direction > 0 else "lowers",
            subject="programme",
            subject_type="unit",
            variable="engagement",
            direction=direction,
            estimate=r["estimate"],
            ci_lower=r["ci_lower"],
            ci_upper=r["ci_upper"],
            unit="scale_points",
            n=r["n"],
            test="difference-in-differences; randomization inference (the larger p of the two)",
            p_value=p_claim,
            alpha=result.alpha,
            size=abs(r["estimate"]) / sd if sd else 0.0,
            chapter=chapter,
            exhibit=exhibit,
            wave=wave,
            details={
                "units": list(result.programme_units),
                "start": result.start,
                "p_randomization": pr,
                "p_cluster": p,
                "n_assignments": int(r.get("n_assignments", 0) or 0),
            },
        )
    ]


def engagement_findings(
    employees: pd.DataFrame,
    *,
    wave,
    unit: str = "unit",
    segment: str = "branch",
    items: list[str] | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    anonymity_min: int = 5,
    chapter: str,
    exhibit: str,
) -> list[Finding]:
    """``segment_gap`` findings on the employee engagement index: units significantly above or below
    all employees of the wave (exception testing as :func:`cxresearch.findings.exceptions`).

    The index of a respondent is the mean of the items (``q01`` … by default) answered, with at least
    two thirds answered (as ``cx.employee.engagement_index``). Units under ``anonymity_min``
    respondents are suppressed; the test's interval carries the small bases, so the reporting
    minimum is the anonymity minimum here. ``segment`` names the segment variable the units are
    (``branch``), so the summary can join a unit's gap to the same branch's customer gaps.

    Examples
    --------
    Two years into the demo study's engagement programme (branches 2, 5 and 7 from 2020), the
    branches that stand out from all employees of the wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=100, n_waves=8)
    >>> found = cx.findings.engagement_findings(study.employees, wave=2021,
    ...                                         chapter="07_employee", exhibit="engagement")
    >>> [(f.subject, f.claim, round(f.estimate, 2), round(f.p_adj, 3)) for f in found]
    [('1', 'below_total', -0.22, 0.03), ('2', 'above_total', 0.29, 0.029),
     ('4', 'below_total', -0.38, 0.017), ('5', 'above_total', 0.34, 0.03),
     ('7', 'above_total', 0.4, 0.029)]
    """
    from cxresearch.findings.segments import exceptions

    cur = employees[employees["wave"] == wave]
    if cur.empty:
        return []
    cols = (
        list(items)
        if items
        else [c for c in cur.columns if str(c).startswith("q") and str(c)[1:].isdigit()]
    )
    if not cols:
        return []
    values = cur[cols].apply(pd.to_numeric, errors="coerce")
    need = int(np.ceil(2 * len(cols) / 3))
    index = values.mean(axis=1).where(values.notna().sum(axis=1) >= need)
    frame = pd.DataFrame({"engagement": index.to_numpy(), segment: cur[unit].to_numpy()})
    gaps = exceptions(
        frame,
        score="engagement",
        by=segment,
        kpi="mean",
        alpha=alpha,
        correction=correction,
        min_base=anonymity_min,
        anonymity_min=anonymity_min,
    )
    out = []
    for r in gaps[gaps["significant"]].itertuples(index=False):
        direction = 1 if r.difference > 0 else -1
        out.append(
            Finding(
                kind="segment_gap",
                claim="above_total" if direction > 0 else "below_total",
                subject=str(r.level),
                subject_type="segment",
                variable="engagement",
                direction=direction,
                estimate=r.difference,
                ci_lower=r.ci_lower,
                ci_upper=r.ci_upper,
                unit="scale_points",
                n=r.n,
                test=f"t test against all employees ({correction} over units)",
                statistic=r.statistic,
                p_value=r.p_value,
                p_adj=r.p_adj,
                alpha=alpha,
                size=abs(r.difference) / r.sd if r.sd else 0.0,
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={
                    "by": segment,
                    "level": r.level,
                    "kpi": "mean",
                    "segment_value": r.estimate,
                    "total_value": r.total,
                    "sd": r.sd,
                },
            )
        )
    return out


def alert_concentration_findings(
    counts: pd.DataFrame,
    *,
    by: str = "branch",
    rules: list[str] | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    chapter: str,
    exhibit: str,
    wave=None,
) -> list[Finding]:
    """``alert_concentration`` / ``concentrated``: a segment raises a rule's alerts at a rate
    significantly above the rest of the sample.

    From ``cx.alerts.alert_counts(cases, by=...)`` (``by``, ``rule``, ``n`` alerts, ``n_responses``):
    for each rule and segment, Fisher's exact test of the segment's alert rate against the other
    segments', adjusted over the segments of the rule (``correction``); ``estimate`` is the rate
    ratio (segment / rest) with a Katz log interval.

    Examples
    --------
    Low-satisfaction alerts by branch, as :func:`cxresearch.alerts.alert_counts` gives them:
    branch 3 raises 14 of the 31 alerts with a fifth of the respondents:

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> counts = pd.DataFrame({
    ...     "branch": [1, 2, 3, 4],
    ...     "rule": "low_sat",
    ...     "n": [6, 5, 14, 6],
    ...     "n_responses": [120, 90, 70, 80],
    ... })
    >>> [f] = cx.findings.alert_concentration_findings(counts, by="branch", chapter="06_alerts_text",
    ...                                                exhibit="alerts", wave=2017)
    >>> f.subject, f.variable, round(f.estimate, 2), round(f.ci_lower, 2), round(f.ci_upper, 2)
    ('3', 'low_sat', 3.41, 1.77, 6.58)
    >>> round(f.p_adj, 4), round(f.details["alert_share"], 2), round(f.details["sample_share"], 2)
    (0.0022, 0.45, 0.19)
    """
    from cxresearch import survey

    need = {by, "rule", "n", "n_responses"}
    if counts is None or counts.empty or not need <= set(counts.columns):
        return []
    z = stats.norm.ppf(1 - alpha / 2)
    out = []
    for rule, part in counts.groupby("rule", sort=False):
        if rules is not None and rule not in rules:
            continue
        part = part[part["n_responses"] > 0]
        total_n, total_r = part["n"].sum(), part["n_responses"].sum()
        if total_n == 0:
            continue
        rows = []
        for r in part.itertuples(index=False):
            a, m = int(r.n), int(r.n_responses)
            c, mo = int(total_n - a), int(total_r - m)
            if mo <= 0:
                continue
            p = stats.fisher_exact([[a, m - a], [c, mo - c]], alternative="two-sided")[1]
            rr = (a / m) / (c / mo) if c > 0 and a > 0 else np.nan
            se = math.sqrt(1 / a - 1 / m + 1 / c - 1 / mo) if a > 0 and c > 0 else np.nan
            rows.append((getattr(r, by), a, m, rr, se, p))
        if not rows:
            continue
        padj = survey.adjust_p(np.array([x[5] for x in rows]), correction)
        for (level, a, m, rr, se, p), pa in zip(rows, padj, strict=True):
            if not (pa < alpha and np.isfinite(rr) and rr > 1):
                continue
            out.append(
                Finding(
                    kind="alert_concentration",
                    claim="concentrated",
                    subject=str(level),
                    subject_type="segment",
                    variable=str(rule),
                    direction=1,
                    estimate=rr,
                    ci_lower=math.exp(math.log(rr) - z * se),
                    ci_upper=math.exp(math.log(rr) + z * se),
                    unit="ratio",
                    n=m,
                    test=f"Fisher's exact test against the other segments ({correction})",
                    p_value=p,
                    p_adj=pa,
                    alpha=alpha,
                    size=abs(d_from_log_odds(math.log(rr))),
                    chapter=chapter,
                    exhibit=exhibit,
                    wave=wave,
                    details={
                        "by": by,
                        "level": level,
                        "rule": str(rule),
                        "alerts": a,
                        "alerts_total": int(total_n),
                        "respondents": m,
                        "respondents_total": int(total_r),
                        "alert_share": a / total_n,
                        "sample_share": m / total_r,
                    },
                )
            )
    return out
