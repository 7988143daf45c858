"""Comparisons: differences between groups or waves, Rao-Scott chi-square, trends, crosstabs.

* :func:`difference` - difference of a mean, share, top-box or NPS between two levels of a segment
  (or two waves), design-based: the two domain estimates' joint influence values give the SE, so
  overlapping samples (the same customer in two waves, with ``cluster="customer_id"``) are handled.
  With ``statistic='mean'`` it reproduces R ``svyttest`` exactly.
* :func:`chisq` - Pearson chi-square of association with the Rao-Scott correction, as R ``svychisq``.
* :func:`trend` - a KPI in every wave with the wave-on-wave change and its test.
* :func:`crosstab` - a banner table with significance letters (design-based tests whenever the data
  have a design, else column-proportion and column-mean tests on effective bases; two alpha levels, a
  selectable multiplicity correction).

Comparisons across waves take ``respondent=`` (the customer id): when ids repeat, each customer is a
cluster, so the covariance of a customer's answers in two waves enters the change's SE. Pair tests
use R ``svyttest``'s degrees of freedom on the subset of the two levels.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch.errors import CXValueError, CXWarning
from cxresearch.survey import _design as core
from cxresearch.survey import _frames
from cxresearch.survey.kpi import transform

__all__ = ["difference", "chisq", "trend", "adjust_p", "RespondentClusterWarning"]

CORRECTIONS = {"none": None, "bonferroni": "bonferroni", "holm": "holm", "bh": "fdr_bh"}


def adjust_p(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjust a family of p-values: 'none', 'bonferroni', 'holm' or 'bh' (Benjamini-Hochberg).

    Examples
    --------
    >>> import cxresearch as cx
    >>> p = [0.01, 0.02, 0.03, 0.04, 0.20]
    >>> cx.survey.adjust_p(p, "holm").round(3)
    array([0.05, 0.08, 0.09, 0.09, 0.2 ])
    >>> cx.survey.adjust_p(p, "bh").round(3)
    array([0.05, 0.05, 0.05, 0.05, 0.2 ])
    """
    if correction not in CORRECTIONS:
        raise CXValueError(
            f"correction must be one of {', '.join(repr(c) for c in CORRECTIONS)}; got {correction!r}"
        )
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    method = CORRECTIONS[correction]
    if method is None:
        out[ok] = p[ok]
    elif method == "holm":
        # by hand: statsmodels' multipletests(method='holm') runs gc.collect() on every call
        # (~0.1 s in a large session), which made a banner book of a few hundred rows take minutes
        q = p[ok]
        order = np.argsort(q, kind="stable")
        adj = np.maximum.accumulate(q[order] * np.arange(q.size, 0, -1))
        res = np.empty_like(q)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    else:
        from statsmodels.stats.multitest import multipletests  # heavy import: only when used

        out[ok] = multipletests(p[ok], method=method)[1]
    return out


def _stat_variable(data, col, statistic, scale, codebook, k, level):
    raw = data[col]
    if statistic == "proportion":
        y = np.zeros(len(data))
    else:
        y = core.numeric_column(data, col)
    sc = None if statistic == "proportion" else core.resolve_scale(col, scale, codebook, data)
    return transform(
        y, statistic=statistic, column=col, index=data.index, scale=sc, k=k, raw=raw, level=level
    )


class _PairTest(NamedTuple):
    estimate_a: float
    estimate_b: float
    estimate: float  # b - a
    se: float
    statistic: float  # t
    p_value: float
    df: float = float("nan")


class RespondentClusterWarning(CXWarning):
    """The respondent ids repeat across clusters, so a respondent's answers are not nested in one
    cluster; the given clusters are kept and the covariance across them is not estimated."""


def _respondent_cluster(
    data: pd.DataFrame, respondent: str | None, cluster: str | None, where: str
) -> str | None:
    """The cluster column for a comparison: the respondent id when ids repeat across rows and no
    cluster is given (each respondent a PSU, so the covariance of their answers in two waves is
    estimated); else ``cluster``."""
    if respondent is None:
        return cluster
    if not isinstance(respondent, str):
        raise CXValueError(f"respondent must be one column name or None; got {respondent!r}")
    core.check_columns(data, [respondent], "respondent")
    ids = data[respondent]
    if ids.isna().any():
        i = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise CXValueError(
            f"respondent column {respondent!r} is missing at row {data.index[i]!r}; every row needs "
            "an id to link waves"
        )
    if not ids.duplicated().any():
        return cluster  # no id repeats: nothing to link
    if cluster is None:
        return respondent
    spread = data.groupby(respondent, sort=False)[cluster].nunique()
    if (spread > 1).any():
        warnings.warn(
            f"{where}: {int((spread > 1).sum())} respondent id(s) in {respondent!r} appear in more "
            f"than one cluster of {cluster!r} (e.g. {spread.index[spread.to_numpy() > 1][0]!r}); the "
            "clusters are kept and the covariance of those respondents' answers across clusters is "
            "not estimated",
            RespondentClusterWarning,
            stacklevel=3,
        )
    return cluster


def _pair_df(design: core.Design, use: np.ndarray) -> float:
    """R's ``svyttest`` degrees of freedom on the subset ``use`` (rows of the two levels with a
    valid score and a positive weight): ``degf(subset) - 1`` = PSUs - strata present - 1."""
    code = np.zeros(design.n, dtype=np.int64)
    return float(core.domain_df(design, code, 1, use & (design.w > 0))[0] - 1)


def _pair_test(design: core.Design, x: np.ndarray, in_a: np.ndarray, in_b: np.ndarray, df=None):
    """Design-based t test of ``b - a`` (two domain means of ``x``) on ``df`` degrees of freedom.

    The variance of the difference uses the joint influence values of the two means:
    ``V(z^b) + V(z^a) - 2 C(z^a, z^b)``, so overlapping samples (panel waves) are handled. ``df``
    None: R's ``svyttest`` on the subset of the two levels (:func:`_pair_df`).
    """
    if df is None:
        df = _pair_df(design, (in_a | in_b) & ~np.isnan(x))
    ma, za = core.mean_influence(design, x, in_a)
    mb, zb = core.mean_influence(design, x, in_b)
    V = design.vcov(np.column_stack([za, zb]))
    var = max(V[0, 0] + V[1, 1] - 2 * V[0, 1], 0.0)
    se = float(np.sqrt(var))
    diff = mb - ma
    with np.errstate(invalid="ignore", divide="ignore"):
        t = diff / se if se > 0 else np.nan
    p = 2 * stats.t.sf(abs(t), df) if np.isfinite(t) else np.nan
    return _PairTest(ma, mb, diff, se, t, p, float(df))


def difference(
    data: pd.DataFrame,
    *,
    score: str,
    by: str,
    levels: Sequence | None = None,
    within: str | Sequence[str] | None = None,
    statistic: str = "mean",
    level: object | None = None,
    k: int = 2,
    scale: tuple[float, float] | None = None,
    codebook: object | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    correction: str = "none",
    min_base: int = 30,
    anonymity_min: int = 5,
    respondent: str | None = None,
) -> pd.DataFrame:
    """Difference of a KPI between two levels of ``by`` (segments or waves), with its test.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (per wave). Not modified.
    score : str
        The column the KPI is computed from.
    by : str
        The grouping column (a segment, or the wave column to compare waves).
    levels : pair, optional
        ``(a, b)``: estimate ``b - a``. Default: every pair of observed levels ``a < b``.
    within : str or list of str, optional
        Compare inside each level of these columns (e.g. waves within each branch).
    statistic : {'mean', 'proportion', 'top_box', 'bottom_box', 'nps'}
        The KPI: a mean, the share of ``level``, the top/bottom-``k``-box share (needs ``scale`` or
        ``codebook``), or NPS (0-10 scale, on -100..100).
    weights, strata, cluster, fpc, lonely_psu
        The design, as :func:`cxresearch.survey.mean`. When the same customers answer several
        waves, pass their id as ``respondent`` (or as ``cluster``) so the covariance between waves
        is estimated.
    alpha : float
        1 - confidence level.
    respondent : str, optional
        Column of the customer (or respondent) id that links waves. When ids repeat across rows and
        no ``cluster`` is given, each id becomes a cluster (PSU): R's ``svydesign(ids=~customer_id,
        ...)``; the change's SE then includes the covariance of a customer's answers in the two
        waves (without it, a positive covariance makes the SE too wide). When ``cluster`` is given
        the respondents must be nested in it (a :class:`RespondentClusterWarning` otherwise) and
        the clusters already carry the covariance. Ids that never repeat change nothing.
    correction : {'none', 'bonferroni', 'holm', 'bh'}
        Multiplicity adjustment over all pairs returned (column ``p_adj``).
    min_base, anonymity_min : int
        Small-base rules, applied to the smaller of the two bases (``n``).

    Returns
    -------
    DataFrame
        One row per pair: the ``within`` columns, ``by`` (column name), ``level_a``, ``level_b``,
        ``n_a``, ``n_b``, ``n`` (``min(n_a, n_b)``), ``estimate_a``, ``estimate_b``,
        ``estimate`` (``b - a``), ``se``, ``ci_lower``, ``ci_upper``, ``statistic`` (t),
        ``df`` (of the pair, see Notes), ``p_value`` (two-sided), ``p_adj``, ``small_base``,
        ``suppressed``.

    Raises
    ------
    CXValueError
        A missing column; a level not observed in ``by``; fewer than two levels; an unknown
        statistic or correction; a score outside its scale; bad weights or design columns.

    Notes
    -----
    With influence values ``z^a``, ``z^b`` of the two domain means (see
    :func:`cxresearch.survey.mean`), ``Var(b - a) = V(z^b) + V(z^a) - 2 C(z^a, z^b)`` under the
    design; ``t = (b - a) / se`` is referred to Student t with the degrees of freedom of R's
    ``svyttest`` run on the subset of the two levels, ``degf(subset) - 1`` = PSUs with a valid
    answer in levels a or b, minus the strata they fall in, minus 1 (for a two-level ``by`` this
    is the whole design's ``PSUs - strata - 1``; with more levels each pair has its own). Identical
    to ``svyttest`` for ``statistic='mean'`` (estimate, t, df and p; tested to 1e-6 on the ``api``
    data with three school types and on a customer-clustered panel).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 3.
    https://doi.org/10.1002/9780470580066

    Examples
    --------
    Marriage rating (1-5) of women who had an extramarital affair against those who had none
    (1974 Redbook survey, ``statsmodels.datasets.fair``): the mean, then the top-2-box share:

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> women["affair"] = women["affairs"] > 0
    >>> res = cx.survey.difference(women, score="rate_marriage", by="affair")
    >>> cols = ["level_a", "level_b", "estimate_a", "estimate_b", "estimate", "ci_lower", "ci_upper"]
    >>> res[cols].round(3)
       level_a  level_b  estimate_a  estimate_b  estimate  ci_lower  ci_upper
    0    False     True        4.33       3.647    -0.682    -0.735     -0.63
    >>> res = cx.survey.difference(women, score="rate_marriage", by="affair", statistic="top_box",
    ...                            scale=(1, 5))
    >>> res[["estimate_a", "estimate_b", "estimate", "ci_lower", "ci_upper"]].round(3)
       estimate_a  estimate_b  estimate  ci_lower  ci_upper
    0       0.861        0.59    -0.271    -0.295    -0.248
    """
    data = core.check_frame(data)
    if not isinstance(score, str):
        raise CXValueError(f"score must be one column name; got {score!r}")
    if not isinstance(by, str):
        raise CXValueError(f"by must be one column name; got {by!r}")
    core.check_columns(data, [score], "score")
    core.check_columns(data, [by], "by")
    within_cols = core.as_list(within, "within")
    core.check_columns(data, within_cols, "within")
    cluster = _respondent_cluster(data, respondent, cluster, "survey.difference")
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
    x = _stat_variable(data, score, statistic, scale, codebook, k, level)
    observed = core.sorted_levels(data[by])
    if levels is not None:
        if isinstance(levels, str) or len(levels) != 2:
            raise CXValueError(f"levels must be a pair (a, b); got {levels!r}")
        for lv in levels:
            if lv not in observed:
                raise CXValueError(
                    f"by column {by!r} has no level {lv!r}; observed levels: {observed}"
                )
        pairs = [tuple(levels)]
    else:
        pairs = [(a, b) for i, a in enumerate(observed) for b in observed[i + 1 :]]
        if not pairs:
            raise CXValueError(f"by column {by!r} has fewer than two levels: {observed}")
    groups = core.build_domains(data, within_cols)
    gvals = data[by].to_numpy()
    valid = ~np.isnan(x)
    rows = []
    for g in range(groups.n_dom):
        in_g = groups.code == g
        for a, b in pairs:
            in_a = in_g & (gvals == a)
            in_b = in_g & (gvals == b)
            test = _pair_test(design, x, in_a, in_b)
            q = core.t_quantile(alpha, test.df) if test.df > 0 else np.nan
            row = {c: groups.levels[c].iloc[g] for c in within_cols}
            n_a, n_b = int((in_a & valid).sum()), int((in_b & valid).sum())
            row.update(
                by=by,
                level_a=a,
                level_b=b,
                n_a=float(n_a),
                n_b=float(n_b),
                n=float(min(n_a, n_b)),
                estimate_a=test.estimate_a,
                estimate_b=test.estimate_b,
                estimate=test.estimate,
                se=test.se,
                ci_lower=test.estimate - q * test.se,
                ci_upper=test.estimate + q * test.se,
                statistic=test.statistic,
                df=test.df,
                p_value=test.p_value,
            )
            rows.append(row)
    out = pd.DataFrame(rows)
    out = core.finish(
        out,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=(
            "estimate_a",
            "estimate_b",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
            "statistic",
            "p_value",
        ),
        where="survey.difference",
        settings=core.design_settings(
            design,
            alpha=alpha,
            correction=correction,
            statistic=statistic,
            min_base=min_base,
            anonymity_min=anonymity_min,
            respondent=respondent,
        ),
    )
    out.insert(out.columns.get_loc("p_value") + 1, "p_adj", adjust_p(out["p_value"], correction))
    return out


def chisq(
    data: pd.DataFrame,
    *,
    row: str,
    col: str,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    statistic: str = "F",
) -> pd.DataFrame:
    """Design-based chi-square test of association (Rao-Scott), as R ``svychisq``.

    Parameters
    ----------
    data : DataFrame
        Not modified. Rows with ``row`` or ``col`` missing are left out of the table (they stay in
        the design as zero-influence rows).
    row, col : str
        The two categorical columns.
    weights, strata, cluster, fpc, lonely_psu
        The design, as :func:`cxresearch.survey.mean`.
    statistic : {'F', 'Chisq'}
        ``'F'``: the Rao-Scott second-order F test (R's default); ``'Chisq'``: Pearson's X^2 with
        the first-order (mean generalised design effect) correction.

    Returns
    -------
    DataFrame
        One row: ``test`` ('F' or 'Chisq'), ``statistic`` (F = X^2 / tr(Delta), or Pearson X^2),
        ``df`` (numerator d.f.: ``tr(Delta)^2 / tr(Delta^2)`` for F, ``(r-1)(c-1)`` for Chisq),
        ``df_denom`` (``df * (PSUs - strata)`` for F, NaN for Chisq), ``p_value``, ``pearson``
        (X^2 of the weighted table scaled to the number of complete rows), ``mean_deff``
        (``tr(Delta) / ((r-1)(c-1))``, the mean generalised design effect), ``n``.

    Raises
    ------
    CXValueError
        Unknown columns or statistic; a variable with fewer than two observed levels.

    Notes
    -----
    With cell proportions ``p`` (design covariance ``V``), ``C`` the interaction contrasts
    orthogonalised against the main effects and ``D = diag(p)``:
    ``Delta = (C' D^-1 C / N)^-1 (C' D^-1 V D^-1 C)``. ``X^2`` is Pearson's statistic of the
    weighted table scaled to ``N`` rows. F: ``X^2 / tr(Delta) ~ F(d, d nu)``,
    ``d = tr(Delta)^2 / tr(Delta^2)``; Chisq: ``X^2 / mean(eigen(Delta)) ~ chi2((r-1)(c-1))``.
    R's ``svychisq`` scales to all rows including incomplete ones; the two agree on complete data.

    References
    ----------
    Rao, J. N. K., & Scott, A. J. (1984). On chi-squared tests for multiway contingency tables with
    cell proportions estimated from survey data. *Annals of Statistics* 12(1), 46-60.
    https://doi.org/10.1214/aos/1176346391

    Examples
    --------
    Is having had an affair associated with religiousness (1974 Redbook survey,
    ``statsmodels.datasets.fair``)?

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> women["affair"] = women["affairs"] > 0
    >>> res = cx.survey.chisq(women, row="religious", col="affair")
    >>> res[["test", "statistic", "df", "df_denom", "n"]].round(3)
      test  statistic   df  df_denom       n
    0    F     37.837  3.0   19095.0  6366.0
    >>> float(res["p_value"].iloc[0]) < 1e-20
    True
    """
    data = core.check_frame(data)
    for name, c in (("row", row), ("col", col)):
        core.check_column(data, c, name)
    if statistic not in ("F", "Chisq"):
        raise CXValueError(f"statistic must be one of 'F', 'Chisq'; got {statistic!r}")
    design = core.build_design(
        data, weights=weights, strata=strata, cluster=cluster, fpc=fpc, lonely_psu=lonely_psu
    )
    r, _ = core._codes(data[row])
    c, _ = core._codes(data[col])
    nr, nc = int(r.max()) + 1, int(c.max()) + 1
    for name, m in ((row, nr), (col, nc)):
        if m < 2:
            raise CXValueError(f"column {name!r} needs at least two observed levels; got {m}")
    ok = (r >= 0) & (c >= 0)
    K = nr * nc
    k = np.where(ok, r + nr * c, 0)
    w = np.where(ok, design.w, 0.0)
    W = w.sum()
    ind = np.zeros((design.n, K))
    ind[np.flatnonzero(ok), k[ok]] = 1.0
    p = (w[:, None] * ind).sum(axis=0) / W
    Z = w[:, None] * (ind - p) / W * ok[:, None]
    V = design.vcov(Z)
    N = float(ok.sum())
    obs = (p * N).reshape(nc, nr).T
    E = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / N
    with np.errstate(invalid="ignore", divide="ignore"):
        X2 = float(np.nansum(np.where(E > 0, (obs - E) ** 2 / E, 0.0)))
    rr = np.tile(np.arange(nr), nc)
    cc = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack(
        [np.ones(K)]
        + [(rr == i).astype(float) for i in range(1, nr)]
        + [(cc == j).astype(float) for j in range(1, nc)]
    )
    X12 = np.column_stack(
        [((rr == i) & (cc == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    C = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]
    inv_p = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = (C.T * inv_p) @ C / N
    numr = (C.T * inv_p) @ V @ (C * inv_p[:, None])
    Delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(Delta))
    dfree = (nr - 1) * (nc - 1)
    if statistic == "F":
        d0 = tr**2 / float(np.trace(Delta @ Delta))
        F = X2 / tr
        ddf = d0 * design.df
        pval = float(stats.f.sf(F, d0, ddf))
        stat, df1, df2 = F, d0, ddf
    else:
        ev = np.linalg.eigvals(Delta).real
        pval = float(stats.chi2.sf(X2 / ev.mean(), dfree))
        stat, df1, df2 = X2, float(dfree), np.nan
    return pd.DataFrame(
        {
            "row": [row],
            "col": [col],
            "test": [statistic],
            "statistic": [stat],
            "df": [float(df1)],
            "df_denom": [float(df2)],
            "p_value": [pval],
            "pearson": [X2],
            "mean_deff": [tr / dfree],
            "n": [N],
        }
    )


def trend(
    data: pd.DataFrame,
    *,
    score: str,
    wave: str = "wave",
    statistic: str = "mean",
    by: str | Sequence[str] | None = None,
    level: object | None = None,
    k: int = 2,
    scale: tuple[float, float] | None = None,
    codebook: object | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
    respondent: str | None = None,
) -> pd.DataFrame:
    """A KPI in every wave, with the change from the previous wave and its test.

    Parameters
    ----------
    score, statistic, level, k, scale, codebook
        The KPI, as :func:`difference`.
    wave : str
        The wave column (sorted ascending; consecutive observed waves are compared).
    by : str or list of str, optional
        One trend per segment level.
    weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
        As :func:`cxresearch.survey.mean`.
    respondent : str, optional
        The customer (or respondent) id linking waves: when ids repeat and no ``cluster`` is given,
        each id is a cluster, so the wave-on-wave changes include the covariance of a customer's
        answers in two waves (R ``svydesign(ids=~customer_id, ...)``); see :func:`difference`.
        The report passes its id column. Without it (and without ``cluster``) repeat respondents
        are treated as independent, and on a panel whose answers correlate over time the change's
        SE is too wide.

    Returns
    -------
    DataFrame
        One row per segment x wave: the ``by`` columns, ``wave``, ``score``, ``statistic``, ``n``,
        ``n_eff``, ``estimate``, ``se``, ``df`` (the wave's degrees of freedom), ``ci_lower``,
        ``ci_upper`` (``estimate -+ t_df se``; logit for shares), ``change`` (this wave minus the
        previous observed wave; NaN for the first), ``change_se``, ``change_ci_lower``,
        ``change_ci_upper``, ``change_p_value`` (design-based t test, as :func:`difference`, on
        the two waves' subset degrees of freedom), ``change_df``,
        ``small_base``, ``suppressed``. A suppressed wave has no
        change either way.

    Raises
    ------
    CXValueError
        As :func:`difference`.

    Notes
    -----
    Estimates are domain means of the KPI variable (see :func:`cxresearch.survey.kpi.transform`);
    changes use the joint influence values of the two waves, so their covariance is included.

    Examples
    --------
    NPS of every wave of the demo study and its change on the previous wave; the customer id
    links waves, so a customer's answers in two waves are not treated as independent:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.survey.trend(study.responses, score="recommend", statistic="nps", weights="weight",
    ...                       respondent="customer_id")
    >>> res[["wave", "n", "estimate", "change", "change_p_value"]].round(3)
       wave      n  estimate  change  change_p_value
    0  2014  281.0   -36.229     NaN             NaN
    1  2015  275.0   -24.799  11.430           0.043
    2  2016  295.0   -40.353 -15.554           0.008
    3  2017  295.0   -27.856  12.497           0.026
    """
    data = core.check_frame(data)
    core.check_column(data, score, "score")
    core.check_column(data, wave, "wave")
    by_cols = core.as_list(by, "by")
    core.check_columns(data, by_cols, "by")
    cluster = _respondent_cluster(data, respondent, cluster, "survey.trend")
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
    x = _stat_variable(data, score, statistic, scale, codebook, k, level)
    dom = core.build_domains(data, [*by_cols, wave])
    est = core.domain_mean(design, dom, x)
    if statistic in ("top_box", "bottom_box", "proportion"):
        interval = "logit"
    else:
        interval = "nps" if statistic == "nps" else "t"
    changes = (
        "change",
        "change_se",
        "change_ci_lower",
        "change_ci_upper",
        "change_p_value",
        "change_df",
    )
    out = _frames.domain_frame(
        dom, est, alpha=alpha, interval=interval, tail=dict.fromkeys(changes, np.nan)
    )
    supp = est.n < anonymity_min
    if by_cols:
        families = list(out.groupby(by_cols, sort=False, dropna=False).indices.values())
    else:
        families = [np.arange(len(out))]
    for idx in families:
        idx = sorted(idx, key=lambda i: out[wave].iloc[i])
        for prev, cur in zip(idx[:-1], idx[1:], strict=True):
            if supp[prev] or supp[cur]:
                continue
            test = _pair_test(design, x, dom.code == prev, dom.code == cur)
            q_change = core.t_quantile(alpha, test.df) if test.df > 0 else np.nan
            d, s = test.estimate, test.se
            out.loc[cur, "change"] = d
            out.loc[cur, "change_se"] = s
            out.loc[cur, "change_ci_lower"] = d - q_change * s
            out.loc[cur, "change_ci_upper"] = d + q_change * s
            out.loc[cur, "change_p_value"] = test.p_value
            out.loc[cur, "change_df"] = test.df
    out.insert(len(by_cols) + 1, "score", score)
    out.insert(len(by_cols) + 2, "statistic", statistic)
    return core.finish(
        out,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=("n_eff", "estimate", "se", "ci_lower", "ci_upper", *changes),
        where="survey.trend",
        settings=core.design_settings(
            design,
            alpha=alpha,
            min_base=min_base,
            anonymity_min=anonymity_min,
            respondent=respondent,
        ),
    )
