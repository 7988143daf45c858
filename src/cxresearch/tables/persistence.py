"""Tables and narrative for persistence (lag profiles, horizons, churn runs) and loyalty."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch._i18n import sentences
from cxresearch.errors import CXValueError
from cxresearch.tables._core import (
    Table,
    Text,
    _check_lang,
    _need_cols,
    _range,
    _threshold,
    fmt_base,
    fmt_int,
    fmt_num,
    fmt_pct,
    p_eq,
    table,
    var_label,
    word,
)

__all__ = [
    "lag_table",
    "say_horizon",
    "hazard_table",
    "say_hazard",
    "stage_labels",
    "ladder_table",
    "penalty_table",
    "say_penalty",
    "band_labels",
    "retention_table",
]


def lag_table(
    profile,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Distributed-lag coefficients (``cx.persistence.lag_profile`` / a horizon's ``profile``).

    Examples
    --------
    The lag profile of overall satisfaction on repurchase intent in the demo study, as the
    report's table:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> res = cx.persistence.horizon(panel, id="customer_id", time="year", outcome="repurchase",
    ...                              exposure="overall_sat", max_lag=2, n_boot=50, seed=1)
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.lag_table(res.primary.profile, name="lags", lang="en", codebook=book)
    >>> tab.title
    'Effect of overall satisfaction on repurchase intent by lag'
    >>> tab.data[["lag", "estimate", "ci_lower", "ci_upper", "sig_text"]].round(3)
       lag  estimate  ci_lower  ci_upper  sig_text
    0    0     0.272     0.106     0.437  positive
    1    1     0.044    -0.120     0.208        no
    2    2     0.000    -0.156     0.156        no
    """
    _check_lang(lang)
    frame = profile.table.copy()
    _need_cols(frame, ["lag", "estimate", "ci_lower", "ci_upper", "p_value"], "lag_table")
    s = profile.settings
    exposure = var_label(s.get("exposure", ""), lang=lang, codebook=codebook)
    outcome = var_label(s.get("outcome", ""), lang=lang, codebook=codebook)
    sig = "significant_positive" if "significant_positive" in frame else None
    if sig:
        neg = (
            frame["significant_negative"].astype(bool)
            if "significant_negative" in frame
            else pd.Series(False, index=frame.index)
        )
        pos_word, neg_word = word("persistence.positive", lang), word("persistence.negative", lang)
        frame["sig_text"] = [
            pos_word if p else (neg_word if n else word("no", lang))
            for p, n in zip(frame[sig].astype(bool), neg, strict=True)
        ]
    if title is None:
        title = word(
            "persistence.lag_title",
            lang,
            exposure=exposure,
            exposure_lower=exposure.lower(),
            outcome=outcome,
            outcome_lower=outcome.lower(),
        )
    labels = {
        "lag": word("lag", lang),
        "estimate": word("coefficient", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "p_value": word("p_value", lang),
        "sig_text": word("persistence.significant_effect", lang),
    }
    cols = ["lag", "estimate", "ci_lower", "ci_upper", "p_value"] + (["sig_text"] if sig else [])
    fe = getattr(profile, "method", "pooled") == "within"
    notes = [
        word(
            "persistence.lag_note_within" if fe else "persistence.lag_note_pooled",
            lang,
            customers=f"{profile.n_customers:,}",
            obs=f"{profile.n_obs:,}",
            alpha=f"{s.get('alpha', 0.05):g}",
        )
    ]
    return table(
        frame,
        title=title,
        name=name,
        columns=cols,
        labels=labels,
        formats={
            "lag": "int",
            "estimate": "num3",
            "ci_lower": "num3",
            "ci_upper": "num3",
            "p_value": "pvalue",
            "sig_text": "text",
        },
        notes=notes,
    )


def _lags_text(lags, lang: str) -> str:
    return word("list_separator", lang).join(str(k) for k in lags)


def _years(n: int, lang: str) -> str:
    """The unit after ``n`` years: ``'year'`` or ``'years'`` (catalog ``year_one``/``year_many``)."""
    return word("year_one" if n == 1 else "year_many", lang)


def say_horizon(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on how many years an exposure keeps acting (``cx.persistence.horizon``).

    Reads H, its interval and the lag-0 coefficient from the primary (surviving) estimator; says
    "no significantly positive effect" for H = 0 and names significantly *negative* lags as negative
    effects (never as an effect that keeps acting); states which estimator the Mundlak test left
    standing (the rejected pooled horizon is not quoted) and flags feedback when the check found it.

    Examples
    --------
    How long overall satisfaction keeps acting on repurchase intent in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> res = cx.persistence.horizon(panel, id="customer_id", time="year", outcome="repurchase",
    ...                              exposure="overall_sat", max_lag=2, n_boot=50, seed=1)
    >>> book = cx.codebook.load(study.codebook)
    >>> print(cx.tables.say_horizon(res, lang="en", codebook=book))
    **Overall satisfaction** keeps acting on **repurchase intent** for **1 year** (bootstrap
    interval 0 to 2 years): one point more in the current year goes with 0.27 points more repurchase
    intent, and no later year adds a significantly positive effect.
    <BLANKLINE>
    Customers differ in stable ways that go with their satisfaction level (Mundlak test p = 0.023);
    a pooled regression would mistake those differences for persistence, so the horizon is estimated
    from changes within each customer only (fixed effects).
    """
    _check_lang(lang)
    est = result.primary
    s = est.profile.settings
    exposure = var_label(s.get("exposure", ""), lang=lang, codebook=codebook)
    outcome = var_label(s.get("outcome", ""), lang=lang, codebook=codebook)
    h = int(est.h)
    has_ci = not (np.isnan(est.ci_lower) or np.isnan(est.ci_upper))
    ci = (
        ""
        if not has_ci
        else f"{int(est.ci_lower)}–{int(est.ci_upper)}"
        if est.ci_lower != est.ci_upper
        else f"{int(est.ci_lower)}"
    )
    table_ = est.profile.table
    lag0 = table_.loc[table_["lag"] == 0, "estimate"]
    negative = [int(k) for k in getattr(est, "negative_lags", ())]
    if "significant_negative" in table_ and not negative:
        negative = [int(k) for k in table_.loc[table_["significant_negative"].astype(bool), "lag"]]
    names = {
        "exposure": exposure,
        "exposure_lower": exposure.lower(),
        "outcome": outcome,
        "outcome_lower": outcome.lower(),
    }
    if h > 0:
        if not has_ci:
            interval = ""
        elif est.ci_lower != est.ci_upper:
            interval = word(
                "persistence.interval_range", lang, lo=int(est.ci_lower), hi=int(est.ci_upper)
            )
        else:
            interval = word(
                "persistence.interval_point",
                lang,
                lo=int(est.ci_lower),
                years=_years(int(est.ci_lower), lang),
            )
        txt = word(
            "persistence.horizon_head",
            lang,
            **names,
            h=h,
            years=_years(h, lang),
            interval=interval,
            more=word("persistence.or_more", lang) if est.censored else "",
        )
        if len(lag0):
            txt += word("persistence.horizon_lag0", lang, **names, coef=fmt_num(lag0.iloc[0], 2))
        further = max(h - 1, 0)
        txt += (
            word("persistence.horizon_further", lang, further=further, years=_years(further, lang))
            if further
            else word("persistence.horizon_no_further", lang)
        )
    else:
        interval = word("persistence.interval_none", lang, ci=ci) if has_ci else ""
        txt = word("persistence.horizon_none", lang, **names, interval=interval)
    if negative:
        which = word("list_separator", lang).join(
            word("persistence.lag_current", lang)
            if k == 0
            else word(
                "persistence.lag_earlier_one" if k == 1 else "persistence.lag_earlier_many",
                lang,
                k=k,
            )
            for k in negative
        )
        txt = sentences(
            [
                txt,
                word(
                    "persistence.negative_many"
                    if len(negative) > 1
                    else "persistence.negative_one",
                    lang,
                    **names,
                    which=which,
                    lags=_lags_text(negative, lang),
                ),
            ],
            lang,
        )
    test = getattr(result, "test", None)
    rob = getattr(result, "robustness", None)
    rejected = bool(test is not None and test.reject)
    if test is not None and est.method == "within" and rejected:
        txt += "\n\n" + word("persistence.mundlak_within", lang, p=p_eq(test.p_value))
    elif test is not None and est.method == "pooled" and not rejected:
        if rob is None:
            txt += "\n\n" + word("persistence.mundlak_pooled", lang, p=p_eq(test.p_value))
        else:
            key = (
                "persistence.mundlak_pooled_same"
                if int(rob.h) == h
                else "persistence.mundlak_pooled_differs"
            )
            txt += "\n\n" + word(
                key, lang, p=p_eq(test.p_value), h=int(rob.h), years=_years(int(rob.h), lang)
            )
    elif test is not None and est.method == "pooled" and rejected:
        txt += "\n\n" + word("persistence.mundlak_rejects_pooled", lang, p=p_eq(test.p_value))
    elif rob is not None and hasattr(rob, "h"):  # results made before the test existed
        key = "persistence.within_same" if int(rob.h) == h else "persistence.within_differs"
        txt += "\n\n" + word(key, lang, h=int(rob.h), years=_years(int(rob.h), lang))
    fb = getattr(result, "feedback", None)
    if fb is not None and len(fb) and bool(fb["significant"].iloc[0]):
        pf = p_eq(float(fb["p_value"].iloc[0]))
        txt = sentences([txt, word("persistence.feedback", lang, **names, p=pf)], lang)
    return Text(txt)


def hazard_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Churn rate by length of the dissatisfied run (``cx.persistence.churn_hazard(...).rates``).

    Examples
    --------
    Churn by the length of the dissatisfied run (overall satisfaction 6 or below) in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.persistence.churn_hazard(panel, id="customer_id", time="year",
    ...                                   score="overall_sat", churn="churned", cut=6)
    >>> tab = cx.tables.hazard_table(res, name="churn_by_run", lang="en")
    >>> tab.title
    'Runs of dissatisfaction and churn'
    >>> tab.data.round(3)
      run_text  person_years  events  hazard  odds_ratio  or_lower  or_upper
    0        0           699      21   0.030         NaN       NaN       NaN
    1        1           250      15   0.060       0.840     0.323     2.185
    2        2            92       7   0.076       0.889     0.259     3.052
    3        3            43       9   0.209       2.813     0.842     9.396
    4       4+            15       5   0.333       5.027     1.170    21.602
    """
    _check_lang(lang)
    rates = result.rates.copy()
    _need_cols(rates, ["run_length", "person_years", "events", "hazard"], "hazard_table")
    model = result.table.set_index("term")
    for col, src in (
        ("odds_ratio", "odds_ratio"),
        ("or_lower", "ci_lower"),
        ("or_upper", "ci_upper"),
    ):
        rates[col] = [
            float(model[src].get(f"run_{r}", float("nan"))) if src in model else float("nan")
            for r in rates["run_length"].astype(str)
        ]
    rates["run_text"] = rates["run_length"].astype(str)
    labels = {
        "run_text": word("persistence.run_years", lang),
        "person_years": word("persistence.customer_years", lang),
        "events": word("loyalty.churned", lang),
        "hazard": word("persistence.churn_rate", lang),
        "odds_ratio": word("persistence.odds_ratio", lang),
        "or_lower": word("ci_lower", lang),
        "or_upper": word("ci_upper", lang),
    }
    if title is None:
        title = word("persistence.hazard_title", lang)
    notes = [word("persistence.hazard_note", lang, cut=_threshold(result.settings.get("cut")))]
    left_out = int(getattr(result, "n_incomplete", 0) or 0)
    if left_out:  # runs that start after an unanswered year: length unknown, not counted
        notes.append(word("persistence.hazard_incomplete", lang, n=fmt_int(left_out)))
    return table(
        rates,
        title=title,
        name=name,
        columns=[
            "run_text",
            "person_years",
            "events",
            "hazard",
            "odds_ratio",
            "or_lower",
            "or_upper",
        ],
        labels=labels,
        formats={
            "run_text": "text",
            "person_years": "int",
            "events": "int",
            "hazard": "pct1",
            "odds_ratio": "num2",
            "or_lower": "num2",
            "or_upper": "num2",
        },
        notes=notes,
    )


def say_hazard(
    result, *, lang: str, codebook=None, min_base: int | None = None, alpha: float | None = None
) -> Text:
    """Narrative: churn rate of customers never dissatisfied vs after the longest runs.

    When the run-length test supports a rise (:func:`cxresearch.findings.hazard_findings`: a
    Cochran–Armitage trend test and the model's odds ratio for the longest run above 1), the
    finding's own sentence: both rates, the odds ratio with its interval (the model also controls
    the current score) and the trend test's p. Otherwise the observed rates and that the data do
    not show the rise, with the trend test's p.

    Examples
    --------
    The churn of customers never dissatisfied against those after the longest runs, in the demo
    study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.persistence.churn_hazard(panel, id="customer_id", time="year",
    ...                                   score="overall_sat", churn="churned", cut=6)
    >>> print(cx.tables.say_hazard(res, lang="en"))
    The longer dissatisfaction lasts, the more customers leave: 3.0% a year among customers not
    dissatisfied, **33.3%** after 4+ dissatisfied years in a row (odds ratio 5.0, 95% CI 1.2–21.6;
    trend test p < 0.001).
    """
    from cxresearch import findings
    from cxresearch.tables.findings import say_finding

    _check_lang(lang)
    found = findings.hazard_findings(
        result, chapter="", exhibit="", **({} if alpha is None else {"alpha": alpha})
    )
    if found:
        return Text(say_finding(found[0], lang=lang, codebook=codebook))
    rates = result.rates.reset_index(drop=True)
    lo, hi = rates.iloc[0], rates.iloc[-1]
    _, p = findings.run_trend_test(rates)
    return Text(
        sentences(
            [
                word(
                    "persistence.hazard_summary",
                    lang,
                    low=fmt_pct(lo["hazard"], 1),
                    run=hi["run_length"],
                    high=fmt_pct(hi["hazard"], 1),
                ),
                word("persistence.hazard_flat", lang, p=p_eq(p)),
            ],
            lang,
        )
    )


#: Loyalty-ladder stages in ladder order (their names: catalog entries ``stage.<code>``).
_STAGES = ("prospect", "target", "first_time", "repeat", "loyal", "advocate", "churned")


def stage_labels(lang: str) -> dict[str, str]:
    """Loyalty-ladder stage names in ``lang``.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.stage_labels("en")
    {'prospect': 'Prospect', 'target': 'Target', 'first_time': 'First-time', 'repeat': 'Repeat',
    'loyal': 'Loyal', 'advocate': 'Advocate', 'churned': 'Churned'}
    >>> cx.tables.stage_labels("zh")["loyal"]
    '忠诚客户'
    """
    _check_lang(lang)
    return {k: word(f"stage.{k}", lang) for k in _STAGES}


def ladder_table(
    shares: pd.DataFrame,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    waves: Sequence[int] | None = None,
    title: str | None = None,
) -> Table:
    """Loyalty-ladder stage shares per year (``cx.loyalty.stage_shares``), years as columns.

    Examples
    --------
    The loyalty ladder of the demo study's last three years:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> ladder = cx.loyalty.ladder(study.customers, survey=study.responses, recommend="recommend")
    >>> shares = cx.loyalty.stage_shares(ladder)
    >>> tab = cx.tables.ladder_table(shares, name="loyalty_ladder", lang="en",
    ...                              waves=[2015, 2016, 2017])
    >>> tab.title, tab.base
    ('Loyalty ladder: share of customers in each stage', 'Base: n = 483')
    >>> tab.data.round(3)
            stage   2015   2016   2017
    0    Prospect  0.220  0.223  0.215
    1      Target  0.097  0.087  0.095
    2  First-time  0.180  0.111  0.077
    3      Repeat  0.284  0.245  0.217
    4       Loyal  0.142  0.264  0.290
    5    Advocate  0.076  0.070  0.106
    """
    _check_lang(lang)
    _need_cols(shares, ["year", "stage", "share"], "ladder_table")
    data = shares if waves is None else shares[shares["year"].isin(list(waves))]
    wide = data.pivot_table(
        index="stage", columns="year", values="share", aggfunc="sum", observed=False
    )
    order = [s for s in _STAGES if s in wide.index]
    wide = wide.loc[order].reset_index()
    wide["stage"] = wide["stage"].map(stage_labels(lang))
    years = [c for c in wide.columns if c != "stage"]
    wide.columns = ["stage"] + [str(int(y)) for y in years]
    if title is None:
        title = word("loyalty.ladder_title", lang)
    totals = data.groupby("year")["n"].sum() if "n" in data else None
    base = None if totals is None else fmt_base(totals.iloc[-1], lang)
    return table(
        wide,
        title=title,
        name=name,
        labels={"stage": word("loyalty.stage", lang)},
        formats={"stage": "text", **{c: "pct0" for c in wide.columns[1:]}},
        base=base,
    )


def penalty_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Loss per department transfer (``cx.loyalty.transfer_penalty``).

    Examples
    --------
    What each transfer between departments costs in repurchase intent, in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.loyalty.transfer_penalty(study.responses, outcome="repurchase",
    ...                                   promoter="recommend")
    >>> tab = cx.tables.penalty_table(res, name="transfer_penalty", lang="en")
    >>> tab.data[["measure_text", "estimate", "ci_lower", "ci_upper", "n"]].round(3)
                     measure_text  estimate  ci_lower  ci_upper     n
    0    Repurchase intent (mean)     0.090     0.071     0.107  1146
    1  Chance of being a promoter     0.482     0.342     0.591  1146
    """
    _check_lang(lang)
    frame = result.table.copy()
    _need_cols(
        frame, ["measure", "estimate", "ci_lower", "ci_upper", "p_value", "n"], "penalty_table"
    )
    frame["measure_text"] = (
        frame["measure"]
        .map({m: word(f"loyalty.measure.{m}", lang) for m in ("loyalty", "promoter")})
        .fillna(frame["measure"])
    )
    labels = {
        "measure_text": word("loyalty.measure", lang),
        "estimate": word("loyalty.loss_per_transfer", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "p_value": word("p_value", lang),
        "n": word("n", lang),
    }
    if title is None:
        title = word("loyalty.penalty_title", lang)
    return table(
        frame,
        title=title,
        name=name,
        columns=["measure_text", "estimate", "ci_lower", "ci_upper", "p_value", "n"],
        labels=labels,
        formats={
            "measure_text": "text",
            "estimate": "pct1",
            "ci_lower": "pct1",
            "ci_upper": "pct1",
            "p_value": "pvalue",
            "n": "int",
        },
        notes=[word("loyalty.penalty_note", lang)],
    )


def say_penalty(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on the loyalty cost of each transfer.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.loyalty.transfer_penalty(study.responses, outcome="repurchase",
    ...                                   promoter="recommend")
    >>> print(cx.tables.say_penalty(res, lang="en"))
    Each additional transfer between departments during a service contact lowers repurchase intent
    by **9.0%** on average (95% CI 7.1%–10.7%; p < 0.001). The chance of being a promoter falls by
    48.2% per transfer (95% CI 34.2%–59.1%; p < 0.001).

    A loss is said only when its test supports it; otherwise the sentence says the data do not show
    it, with the same numbers.
    """
    _check_lang(lang)
    t = result.table.set_index("measure")
    if "loyalty" not in t.index:
        raise CXValueError("say_penalty: the result has no 'loyalty' measure")
    alpha = float(result.settings.get("alpha", 0.05))
    conf = f"{round(100 * (1 - alpha))}%"

    def said(measure: str, key: str, digits: int) -> str:
        row = t.loc[measure]
        p = row.get("p_value")
        # a loss is said only when its test supports it (p < alpha, the interval above 0)
        loss = p is not None and float(p) < alpha and float(row["ci_lower"]) > 0
        return word(
            key if loss else key + "_none",
            lang,
            estimate=fmt_pct(row["estimate"], digits).replace("-", "−"),
            conf=conf,
            ci=_range(
                fmt_pct(row["ci_lower"], digits), fmt_pct(row["ci_upper"], digits), lang
            ).replace("-", "−"),
            p=p_eq(p) if p is not None else "",
        )

    parts = [said("loyalty", "loyalty.penalty_summary", 1)]
    if "promoter" in t.index:
        parts.append(said("promoter", "loyalty.penalty_promoter", 1))
    return Text(sentences(parts, lang))


def band_labels(
    result, *, score: str, lang: str, codebook=None, min_base: int | None = None
) -> dict[str, str]:
    """Legend texts for satisfaction bands (``'0-5'`` -> ``'Overall satisfaction 0–5'``).

    Examples
    --------
    Legend texts of the retention curves by band of overall satisfaction in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.loyalty.retention_curves(panel, score="overall_sat")
    >>> book = cx.codebook.load(study.codebook)
    >>> labels = cx.tables.band_labels(res, score="overall_sat", lang="en", codebook=book)
    >>> list(labels)
    ['0-5', '6-7', '8-10']
    >>> labels["0-5"]
    'Overall satisfaction 0–5'
    """
    _check_lang(lang)
    name = var_label(score, lang=lang, codebook=codebook)
    return {b: f"{name} {str(b).replace('-', '–')}" for b in result.bands["band"]}


def retention_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Retention summary by satisfaction band (``cx.loyalty.retention_curves(...).bands``).

    Examples
    --------
    Retention by band of overall satisfaction in the demo study (no band lost half its customers
    in four years, so no median is shown):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.loyalty.retention_curves(panel, score="overall_sat")
    >>> tab = cx.tables.retention_table(res, name="retention", lang="en")
    >>> tab.data
       band    n  events  median_years
    0   0-5   70      22           NaN
    1   6-7  155      27           NaN
    2  8-10  153      20           NaN
    >>> tab.notes
    ("Log-rank test p = 0.004. '–': retention stayed above 50% over the period observed.",)
    """
    _check_lang(lang)
    frame = result.bands.copy()
    _need_cols(frame, ["band", "n", "events", "median_years"], "retention_table")
    frame["median_years"] = frame["median_years"].replace([np.inf], np.nan)
    labels = {
        "band": word("loyalty.baseline_sat", lang),
        "n": word("n", lang),
        "events": word("loyalty.churned", lang),
        "median_years": word("loyalty.median_years", lang),
    }
    lr = result.logrank
    note = ""
    if lr is not None and len(lr):
        p = lr["p_value"].iloc[0]
        note = word("loyalty.logrank_note", lang, p=p_eq(p))
    if title is None:
        title = word("loyalty.retention_title", lang)
    return table(
        frame,
        title=title,
        name=name,
        columns=["band", "n", "events", "median_years"],
        labels=labels,
        formats={"band": "text", "n": "int", "events": "int", "median_years": "num0"},
        notes=[note] if note else [],
    )
