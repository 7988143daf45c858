"""Design-based means, proportions and totals, overall and by segments.

All three are computed as R's ``survey`` package computes them (``svymean``, ``svytotal``,
``svyby``, ``svyciprop(method="logit")``); see :mod:`cxresearch.survey._design` for the variance
core and the design options shared by every function here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError
from cxresearch.survey import _design as core
from cxresearch.survey import _fast as fast
from cxresearch.survey import _frames

__all__ = ["by_each", "mean", "total", "proportion"]

_VALUES = ("n_eff", "estimate", "se", "ci_lower", "ci_upper", "deff")


def _prepare(
    data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
):
    data = core.check_frame(data)
    scores = core.as_list(score, "score")
    if not scores:
        raise CXValueError("score must name at least one column")
    core.check_columns(data, scores, "score")
    by_cols = core.as_list(by, "by")
    core.check_columns(data, by_cols, "by")
    alpha, design = core.prepare_design(
        data,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        weights=weights,
        strata=strata,
        cluster=cluster,
        fpc=fpc,
        lonely_psu=lonely_psu,
    )
    dom = core.build_domains(data, by_cols)
    return data, scores, by_cols, alpha, design, dom


def mean(
    data: pd.DataFrame,
    *,
    score: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    scale: tuple[float, float] | None = None,
    codebook: object | None = None,
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Design-based (weighted) mean of one or more scores, overall or by segments.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    score : str or list of str
        Numeric column(s); NaN is a missing answer and is left out of that score's base.
    by : str or list of str, optional
        Segment column(s); one row of output per observed combination (rows with a missing segment
        belong to no domain but stay in the design, as R's ``svyby``).
    weights : str or RakeResult, optional
        Column of sampling weights (inverse inclusion probabilities, or any rescaling of them);
        unit weights when omitted. Not frequency weights: ``n`` counts rows. A
        :class:`~cxresearch.survey.RakeResult` of the same rows uses the raked weights with R's
        calibrated (raking-residual) standard errors.
    strata, cluster, fpc : optional
        Design columns: stratum id(s), one-stage PSU id, and the finite-population correction
        (per-stratum population size in PSUs, or a sampling fraction <= 1), as
        ``svydesign(ids=~cluster, strata=~strata, fpc=~fpc, weights=~weights)``.
    lonely_psu : {'fail', 'remove', 'adjust'}
        What to do with a stratum that has a single PSU (R ``options(survey.lonely.psu=)``).
    alpha : float
        1 - confidence level of the intervals.
    scale : (min, max), optional
        Allowed range of the score(s); a value outside it raises. Or give ``codebook=``.
    codebook : Codebook or dict, optional
        Source of each score's scale when ``scale`` is not given.
    min_base, anonymity_min : int
        Reporting minimum (estimates flagged ``small_base``) and anonymity minimum (estimates
        suppressed: set to NaN and flagged ``suppressed``), counted in respondents ``n``.

    Returns
    -------
    DataFrame
        One row per score x domain: the ``by`` columns, ``score`` (column name), ``n``
        (respondents with a valid answer), ``n_eff`` (Kish effective base,
        ``(sum w)^2 / sum w^2``), ``weight_sum``, ``estimate`` (weighted mean), ``se``
        (linearised standard error), ``df`` (the domain's degrees of freedom: PSUs with a valid
        answer in the domain minus their strata, R's ``degf`` of the domain subset),
        ``ci_lower``/``ci_upper`` (``estimate -+ t_df se``), ``deff`` (design effect against
        simple random sampling with replacement), ``small_base`` and ``suppressed`` (bool).
        ``attrs["settings"]`` records the design and options the estimates ran with (every
        frame-returning function of :mod:`cxresearch.survey` does the same).

    Raises
    ------
    CXValueError
        A missing column; a non-numeric score; a value outside ``scale``; bad weights or design
        columns (see :func:`cxresearch.survey.rake` for weights).

    Notes
    -----
    The mean of domain ``d`` is the ratio ``m_d = sum_{i in d} w_i y_i / sum_{i in d} w_i`` and
    its variance the design variance of the influence values
    ``z_i = w_i (y_i - m_d) / W_d`` (zero outside ``d``):
    ``V = sum_h (1 - f_h) n_h/(n_h - 1) sum_j (z_hj - zbar_h)^2`` over strata ``h`` and PSU totals
    ``z_hj``. This is exactly R ``survey``'s ``svymean``/``svyby`` (tested to 1e-6 on the ``api``
    data).

    Examples
    --------
    Weighted mean satisfaction by segment in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.mean(wave, score="overall_sat", by="segment", weights="weight")
    >>> res[["segment", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
       segment      n  estimate  ci_lower  ci_upper
    0        1  173.0      7.03      6.76      7.31
    1        2  122.0      7.03      6.71      7.35

    The same with the design declared once (:class:`cxresearch.survey.Design`):

    >>> design = cx.survey.Design(weights="weight")
    >>> res.equals(cx.survey.mean(wave, score="overall_sat", by="segment", design=design))
    True

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *J. Stat. Softw.* 9(8).
    https://doi.org/10.18637/jss.v009.i08
    """
    data, scores, by_cols, alpha, design, dom = _prepare(
        data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
    )

    scales = [core.resolve_scale(col, scale, codebook, data) for col in scores]

    def get_x(col):
        y = core.numeric_column(data, col)
        core.check_scale(y, col, scales[scores.index(col)], data.index)
        return y, None

    ests = fast.estimate_items(design, dom, data, scores, scales=scales, get_x=get_x)
    frames = [
        _frames.domain_frame(
            dom,
            est,
            alpha=alpha,
            head={"score": col},
            middle={"weight_sum": est.weight_sum},
            tail={"deff": est.deff},
        )
        for col, est in zip(scores, ests, strict=True)
    ]
    return _frames.finish_domains(
        frames,
        design,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=(*_VALUES, "weight_sum"),
        where="survey.mean",
    )


def total(
    data: pd.DataFrame,
    *,
    score: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Design-based (weighted) population total of one or more scores, overall or by segments.

    Parameters are those of :func:`mean` (without ``scale``).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``score``, ``n``, ``n_eff``, ``estimate`` (``sum w_i y_i`` over the
        domain's valid answers), ``se``, ``df`` (domain degrees of freedom), ``ci_lower``,
        ``ci_upper``, ``small_base``, ``suppressed``.

    Raises
    ------
    CXValueError
        As :func:`mean`.

    Notes
    -----
    Influence values are ``z_i = w_i y_i`` inside the domain and 0 outside; the variance is the
    design variance of their total (R ``svytotal(~y, d, na.rm=TRUE)`` / ``svyby(..., svytotal)``).
    Totals are meaningful only when the weights are inverse inclusion probabilities (they sum to
    the population size), not normalised weights.

    Examples
    --------
    The number of dissatisfied customers (overall satisfaction 5 or less) among the demo study's
    active customers of 2017, from weights that sum to the customer base:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> active = int(study.customers.query("year == 2017")["active"].sum())
    >>> active, len(wave)
    (333, 295)
    >>> wave = wave.assign(dissatisfied=(wave["overall_sat"] <= 5).astype(float),
    ...                    pop_weight=wave["weight"] * active / len(wave))
    >>> res = cx.survey.total(wave, score="dissatisfied", weights="pop_weight")
    >>> res[["n", "estimate", "se", "ci_lower", "ci_upper"]].round(1)
           n  estimate   se  ci_lower  ci_upper
    0  295.0      67.8  7.7      52.7      83.0
    """
    data, scores, by_cols, alpha, design, dom = _prepare(
        data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
    )
    D = dom.n_dom
    frames = []
    for col in scores:
        y = core.numeric_column(data, col)
        valid = ~np.isnan(y)
        code = np.where(valid, dom.code, D)
        wv = np.where(valid, design.w, 0.0)
        z = wv * np.where(valid, y, 0.0)
        t = np.bincount(code, weights=z, minlength=D + 1)[:D]
        n = np.bincount(code, minlength=D + 1)[:D].astype(float)
        W = np.bincount(code, weights=wv, minlength=D + 1)[:D]
        W2 = np.bincount(code, weights=wv * wv, minlength=D + 1)[:D]
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = W**2 / W2
        est = core.RatioEstimate(
            n=n,
            n_eff=n_eff,
            weight_sum=W,
            estimate=t,
            var=design.domain_var(z, code, D),
            df=core.domain_df(design, dom.code, D, valid & (design.w > 0)),
        )
        frames.append(_frames.domain_frame(dom, est, alpha=alpha, head={"score": col}))
    return _frames.finish_domains(
        frames,
        design,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=_VALUES,
        where="survey.total",
    )


def _level_indicator(s: pd.Series, level: object) -> np.ndarray:
    """1.0 where ``s`` equals ``level`` (or is in a list of levels), 0.0 elsewhere, NaN if missing."""
    levels = list(level) if isinstance(level, list | tuple | set | frozenset) else [level]
    out = s.isin(levels).to_numpy().astype(float)
    out[s.isna().to_numpy()] = np.nan
    return out


def indicator(data: pd.DataFrame, column: str, level: object) -> np.ndarray:
    """1.0 where ``column`` equals ``level`` (or is in a list of levels), 0.0 elsewhere, NaN if missing."""
    return _level_indicator(data[column], level)


def proportion(
    data: pd.DataFrame,
    *,
    score: str,
    level: object | None = None,
    by: str | Sequence[str] | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Design-based share of respondents in a category, with a logit confidence interval.

    Parameters not listed here are those of :func:`mean`.

    Parameters
    ----------
    score : str
        A categorical (or 0/1) column; NaN/None is a missing answer, outside the base.
    level : scalar or list, optional
        The category (or categories, counted together) whose share is estimated. When omitted,
        one row per observed category.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``score``, ``level``, ``n`` (valid answers in the domain), ``n_eff``,
        ``estimate`` (share in [0, 1]), ``se``, ``df``, ``ci_lower``, ``ci_upper``,
        ``small_base``, ``suppressed``.

    Raises
    ------
    CXValueError
        A missing column; a score with no answers; bad weights or design columns.

    Notes
    -----
    The share is the domain mean of the indicator; its interval is built on the logit scale as R's
    ``svyciprop(method="logit")``: ``expit(logit(p) -+ t se / (p (1 - p)))`` with Student t on the
    domain's degrees of freedom (``df``, as R's ``svyby(..., svyciprop)``), so it never leaves
    [0, 1]. A share of exactly 0 or 1 gets the
    degenerate interval ``[p, p]``.

    Examples
    --------
    Shares of self-rated religiousness (1 = not, 2 = mildly, 3 = fairly, 4 = strongly) among the
    6,366 married women of the 1974 Redbook survey (``statsmodels.datasets.fair``):

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> res = cx.survey.proportion(women, score="religious")
    >>> res[["level", "n", "estimate", "ci_lower", "ci_upper"]].round(3)
       level       n  estimate  ci_lower  ci_upper
    0    1.0  6366.0     0.160     0.152     0.170
    1    2.0  6366.0     0.356     0.344     0.368
    2    3.0  6366.0     0.380     0.369     0.392
    3    4.0  6366.0     0.103     0.096     0.111

    Several categories counted together (occupations 5 and 6, the managerial and professional):

    >>> cx.survey.proportion(women, score="occupation", level=[5, 6])["estimate"].round(3)
    0    0.133
    Name: estimate, dtype: float64
    """
    data = core.check_frame(data)
    core.check_column(data, score, "score")
    if level is None:
        levels = core.sorted_levels(data[score])
        if not levels:
            raise CXValueError(f"score column {score!r} has no non-missing values")
        labels = levels
    else:
        levels = [level]
        labels = [level]
    _, _, _, alpha, design, dom = _prepare(
        data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
    )
    frames = [
        _frames.domain_frame(
            dom,
            core.domain_mean(design, dom, indicator(data, score, lev)),
            alpha=alpha,
            interval="logit",
            head={"score": score, "level": [lab] * dom.n_dom},
        )
        for lev, lab in zip(levels, labels, strict=True)
    ]
    return _frames.finish_domains(
        frames,
        design,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=_VALUES,
        where="survey.proportion",
    )


#: The estimators :func:`by_each` can stack (``statistic=``).
_EACH = ("mean", "nps", "top_box", "bottom_box", "csat", "proportion")


def by_each(
    data: pd.DataFrame,
    *,
    score: str | Sequence[str],
    by: str | Sequence[str],
    statistic: str = "mean",
    **kwargs,
) -> pd.DataFrame:
    """One estimate per level of *each* segment variable, stacked (not crossed).

    ``cx.survey.mean(data, score=..., by=["region", "age_band"])`` crosses its segment variables
    (one domain per region × age band, as R's ``svyby(~y, ~region + age_band)``); a report usually
    wants each variable on its own, as a banner stacks them (SPSS Custom Tables ``region + age_band``):
    ``by_each`` runs the estimator once per variable and stacks the results.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    score : str or list of str
        Score column(s), as the estimator takes them.
    by : str or list of str
        Segment variables, each estimated on its own.
    statistic : {'mean', 'nps', 'top_box', 'bottom_box', 'csat', 'proportion'}
        The ``cx.survey`` estimator to run.
    **kwargs
        Passed to the estimator (design: ``weights``, ``strata``, ``cluster``, ``design`` …;
        ``codebook``, ``alpha``, ``min_base`` …).

    Returns
    -------
    DataFrame
        ``segment`` (the variable), ``segment_value`` (its level), then the estimator's columns,
        in the order of ``by`` and of each variable's levels. Each variable's rows are exactly the
        estimator's result for ``by=<variable>``.

    Examples
    --------
    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cur = s.responses[s.responses["wave"] == s.responses["wave"].max()]
    >>> t = cx.survey.by_each(cur, score="overall_sat", by=["branch", "segment"], weights="weight")
    >>> list(t.columns[:3]), sorted(t["segment"].unique())
    (['segment', 'segment_value', 'score'], ['branch', 'segment'])
    """
    import cxresearch.survey as survey

    if statistic not in _EACH:
        raise CXValueError(
            f"statistic must be one of {', '.join(map(repr, _EACH))}; got {statistic!r}"
        )
    by_cols = core.as_list(by, "by")
    if not by_cols:
        raise CXValueError("by must name at least one segment variable")
    if len(set(by_cols)) != len(by_cols):
        raise CXValueError(f"by names a variable twice: {by_cols}")
    fn = getattr(survey, statistic)
    parts = []
    for b in by_cols:
        part = fn(data, score=score, by=b, **kwargs)
        part = part.rename(columns={b: "segment_value"})
        part.insert(0, "segment", b)
        part["segment_value"] = part["segment_value"].astype(object)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
