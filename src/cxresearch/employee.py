"""Employee engagement: index per unit and wave, programme evaluation, and the employee–customer link.

* :func:`engagement_index` — the engagement index (mean of the 12 items of each respondent,
  averaged per unit and wave) with a t interval, and Cronbach's alpha of the items;
* :func:`programme_did` — difference-in-differences of the index for units in an improvement
  programme against units not in it (two-way fixed effects, SEs clustered by unit);
* :func:`linkage` — unit engagement against the unit's customers' satisfaction and NPS:
  correlations with Fisher-z intervals and a mixed model (random unit intercept) or a
  cluster-robust regression, with caveat text when the units are few.

**Anonymity.** A unit × wave cell with fewer than ``min_n`` responses (default 5) is removed
*before* anything is computed: it never appears in a returned frame, never enters a model, and the
result only counts how many cells were suppressed (``n_suppressed``), never which.

The statistics come from scipy and statsmodels; this module only arranges the data and the
results (tidy frames of raw floats).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .errors import CXValueError, CXWarning

__all__ = [
    "EngagementResult",
    "DiDResult",
    "LinkageResult",
    "FewUnitsWarning",
    "ModelFitWarning",
    "engagement_index",
    "programme_did",
    "linkage",
    "cronbach_alpha",
]


class FewUnitsWarning(CXWarning):
    """Inference rests on few units (clusters): intervals may be too narrow; read as indicative."""


class ModelFitWarning(CXWarning):
    """A model fit reported a problem (non-convergence, variance component on the boundary)."""


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


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise CXValueError(f"alpha must be a number between 0 and 1 (exclusive); got {alpha!r}")
    return float(alpha)


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


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's alpha of complete responses.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents × items; rows with a missing item are dropped (listwise).

    Returns
    -------
    float
        :math:`\\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_j s_j^2}{s_T^2}\\right)`, NaN with
        fewer than 2 items or 2 complete rows.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16(3), 297–334. doi:10.1007/BF02310555
    """
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total))


# --------------------------------------------------------------------------------------------
# Engagement index
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngagementResult:
    """Engagement index per unit and wave (see :func:`engagement_index`).

    Attributes
    ----------
    frame : DataFrame
        ``unit``, ``wave``, ``n``, ``estimate``, ``sd``, ``se``, ``ci_lower``, ``ci_upper`` — only
        cells with at least ``min_n`` respondents.
    n_suppressed : int
        Unit × wave cells withheld for anonymity (their identity is not reported).
    cronbach_alpha : float
        Of the items, over the respondents of the shown cells.
    items : tuple of str
    min_n, min_items : int
    scale : tuple
    index : str
    alpha : float
    """

    frame: pd.DataFrame
    n_suppressed: int
    cronbach_alpha: float
    items: tuple[str, ...]
    min_n: int
    min_items: int
    scale: tuple
    index: str
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """The index table (:attr:`frame`)."""
        return self.frame.copy()


def engagement_index(
    employees: pd.DataFrame,
    *,
    items=None,
    unit: str = "unit",
    wave: str = "wave",
    min_n: int = 5,
    min_items: int | None = None,
    scale=(1, 5),
    index: str = "mean",
    alpha: float = 0.05,
) -> EngagementResult:
    """Engagement index per unit and wave, with confidence interval and anonymity suppression.

    Parameters
    ----------
    employees : DataFrame
        One row per anonymous employee response × wave, with ``unit``, ``wave`` and the items.
    items : sequence of str, optional
        Item columns (default: every ``qNN`` column, e.g. q01…q12).
    unit, wave : str
        Column names.
    min_n : int, default 5
        Anonymity minimum: a unit × wave cell with fewer respondents is withheld entirely.
    min_items : int, optional
        A respondent needs at least this many answered items (default: two thirds of the items).
    scale : (min, max), default (1, 5)
        Item scale; values outside raise an error (recode missing-value codes first).
    index : {"mean", "percent"}
        ``mean``: mean item score on the item scale; ``percent``: rescaled to 0–100
        (``(mean - min) / (max - min) * 100``).
    alpha : float, default 0.05

    Returns
    -------
    EngagementResult
        ``frame`` columns: ``unit``, ``wave``, ``n`` (respondents with an index), ``estimate``
        (mean index), ``sd``, ``se`` (sd / sqrt(n)), ``ci_lower``, ``ci_upper`` (t interval with
        n - 1 df).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns, values outside the scale, bad options.

    Notes
    -----
    Person index :math:`e_i = \\bar x_i` over answered items; cell estimate
    :math:`\\bar e \\pm t_{n-1,1-\\alpha/2}\\, s/\\sqrt n`. Unweighted (a census of employees).
    """
    alpha = _check_alpha(alpha)
    min_n = _check_int("min_n", min_n, 1)
    persons, items, n_supp, x = _person_scores(
        employees,
        items=items,
        unit=unit,
        wave=wave,
        min_items=min_items,
        scale=scale,
        index=index,
        min_n=min_n,
    )
    g = persons.groupby([unit, wave], observed=True, sort=True)["score"]
    out = g.agg(n="size", estimate="mean", sd="std").reset_index()
    out["n"] = out["n"].astype(np.int64)
    out["se"] = out["sd"] / np.sqrt(out["n"])
    tq = stats.t.ppf(1 - alpha / 2, np.maximum(out["n"] - 1, 1))
    out["ci_lower"] = np.where(out["n"] > 1, out["estimate"] - tq * out["se"], np.nan)
    out["ci_upper"] = np.where(out["n"] > 1, out["estimate"] + tq * out["se"], np.nan)
    k = len(items)
    mi = math.ceil(2 * k / 3) if min_items is None else int(min_items)
    return EngagementResult(
        frame=out[[unit, wave, "n", "estimate", "sd", "se", "ci_lower", "ci_upper"]],
        n_suppressed=n_supp,
        cronbach_alpha=cronbach_alpha(x),
        items=tuple(items),
        min_n=min_n,
        min_items=mi,
        scale=tuple(scale),
        index=index,
        alpha=alpha,
    )


# --------------------------------------------------------------------------------------------
# Difference-in-differences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiDResult:
    """Difference-in-differences of engagement for programme vs comparison units.

    Attributes
    ----------
    frame : DataFrame
        ``term``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``p_value``, ``df`` (degrees
        of freedom of the t reference), ``n`` (respondents), ``n_units``, ``n_programme_units``,
        ``cov_type``. Rows: ``"programme x post"`` (the DiD estimate) and, with two or more pre
        waves, ``"programme x pre-trend"`` (placebo: the programme units' extra linear trend
        per wave before the start; an interval far from 0 questions parallel trends). The DiD
        row also has ``p_randomization`` (two-sided randomization-inference p-value: the share of
        assignments of the programme to other units whose estimate is at least as far from 0)
        and ``n_assignments`` (assignments used); NaN / 0 on the pre-trend row.
    means : DataFrame
        ``group`` (``programme``/``comparison``), ``period`` (``pre``/``post``), ``n``,
        ``estimate`` (mean index), ``se``, ``ci_lower``, ``ci_upper`` — over units, never a
        single suppressed cell.
    n_suppressed : int
    programme_units : tuple
    start : object
    cov_type : str
    alpha : float
    caveat : dict
        ``{"en": ..., "zh": ...}``; empty strings when there is nothing to flag.
    """

    frame: pd.DataFrame
    means: pd.DataFrame
    n_suppressed: int
    programme_units: tuple
    start: object
    cov_type: str
    alpha: float
    caveat: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The estimate (:attr:`frame`)."""
        return self.frame.copy()


def _few_units_caveat(k: int, min_units: int, what: str) -> dict:
    if k >= min_units:
        return {"en": "", "zh": ""}
    return {
        "en": (
            f"Only {k} units: the {what} rests on few units, so its interval is uncertain and may "
            "be too narrow; read it as indicative, not as proof."
        ),
        "zh": f"仅有{k}个单位：{'该估计' if what != 'linkage' else '关联分析'}基于很少的单位，区间不确定且可能偏窄，仅供参考，不能作为证明。",
    }


def programme_did(
    employees: pd.DataFrame,
    *,
    programme_units,
    start,
    items=None,
    unit: str = "unit",
    wave: str = "wave",
    min_n: int = 5,
    min_items: int | None = None,
    scale=(1, 5),
    index: str = "mean",
    cov_type: str = "cluster",
    alpha: float = 0.05,
    min_units: int = 10,
    n_perm: int = 5000,
    seed: int | None = None,
) -> DiDResult:
    """Difference-in-differences of the engagement index: programme units vs the others.

    Parameters
    ----------
    employees : DataFrame
    programme_units : sequence
        Units in the programme (values of ``unit``).
    start : scalar
        First wave of the programme; waves ``>= start`` are *post*.
    items, unit, wave, min_n, min_items, scale, index
        As in :func:`engagement_index` (suppressed cells are removed before the model).
    cov_type : {"cluster", "HC1"}, default ``"cluster"``
        ``cluster``: SEs clustered by unit (CR1 small-sample correction, t with G - 1 df);
        ``HC1``: heteroskedasticity-robust, ignoring clustering (for comparison only).
    alpha : float, default 0.05
    min_units : int, default 10
        Below this many units the result carries a caveat and a :class:`FewUnitsWarning`.
    n_perm : int, default 5000
        Randomization inference: when the number of ways to pick the programme units among the
        shown units is at most ``n_perm``, every assignment is used (exact); otherwise ``n_perm``
        random assignments. 0 skips it.
    seed : int, optional
        Seed of the random assignments (only used when they are sampled).

    Returns
    -------
    DiDResult

    Raises
    ------
    CXValueError
        A programme unit not in the data (or suppressed in every wave), no comparison unit, no
        pre or no post wave, bad options.

    Warns
    -----
    FewUnitsWarning
        Fewer than ``min_units`` units (clusters).

    Notes
    -----
    Person-level two-way fixed-effects model
    :math:`e_{iut} = \\alpha_u + \\gamma_t + \\delta\\,P_u\\,\\mathrm{Post}_t + \\varepsilon_{iut}`
    fitted by OLS (statsmodels); :math:`\\delta` is the DiD estimate (in index units). The
    programme is assigned by unit and a unit's employees share manager and year shocks, so the
    errors are correlated within unit over waves: SEs are clustered by unit (Bertrand, Duflo &
    Mullainathan 2004), :math:`V = \\frac{G}{G-1}\\frac{N-1}{N-K}(X'X)^{-1}
    \\sum_g X_g'\\hat u_g \\hat u_g' X_g (X'X)^{-1}`, and the interval uses :math:`t_{G-1}`
    (Cameron & Miller 2015). With few units even this can be too narrow — hence the caveat.
    Randomization inference (Fisher 1935; for DiD with few treated groups see Conley & Taber
    2011, MacKinnon & Webb 2020) does not rest on the number of clusters: it re-assigns the
    programme to every set of units of the same size and asks how unusual the observed estimate
    is; it is exact under the sharp null of no effect in any unit.
    Assumes parallel trends of programme and comparison units before the start; the pre-trend
    row tests a linear version of it on the pre waves only
    (:math:`e_{iut} = \\alpha_u + \\gamma_t + \\theta\\,P_u\\,t + \\varepsilon`, :math:`t` the
    wave's position).

    References
    ----------
    Bertrand, M., Duflo, E., & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? QJE 119(1), 249–275. doi:10.1162/003355304772839588
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources 50(2), 317–372. doi:10.3368/jhr.50.2.317
    Conley, T. G., & Taber, C. R. (2011). Inference with "difference in differences" with a small
    number of policy changes. Review of Economics and Statistics 93(1), 113–125.
    doi:10.1162/REST_a_00049
    MacKinnon, J. G., & Webb, M. D. (2020). Randomization inference for difference-in-differences
    with few treated clusters. Journal of Econometrics 218(2), 435–450.
    doi:10.1016/j.jeconom.2020.04.024
    """
    import statsmodels.api as sm

    alpha = _check_alpha(alpha)
    min_n = _check_int("min_n", min_n, 1)
    min_units = _check_int("min_units", min_units, 1)
    if cov_type not in ("cluster", "HC1"):
        raise CXValueError(f"cov_type must be one of 'cluster', 'HC1'; got {cov_type!r}")
    n_perm = _check_int("n_perm", n_perm, 0)
    if isinstance(programme_units, (str, bytes)) or not isinstance(
        programme_units, (Sequence, set, frozenset, np.ndarray, pd.Index)
    ):
        programme_units = [programme_units]
    programme_units = list(programme_units)
    if not programme_units:
        raise CXValueError("programme_units must list at least one unit")
    persons, _, n_supp, _ = _person_scores(
        employees,
        items=items,
        unit=unit,
        wave=wave,
        min_items=min_items,
        scale=scale,
        index=index,
        min_n=min_n,
    )
    all_units = set(employees[unit].dropna().unique().tolist())
    missing = [u for u in programme_units if u not in all_units]
    if missing:
        raise CXValueError(
            f"programme_units: unit {missing[0]!r} is not in the employees' {unit!r} column "
            f"(units: {sorted(all_units)})"
        )
    treated = persons[unit].isin(programme_units).to_numpy()
    post = (persons[wave] >= start).to_numpy()
    if not treated.any():
        raise CXValueError(
            "programme_units: no programme unit has a cell at or above the anonymity minimum"
        )
    if treated.all():
        raise CXValueError("no comparison unit: every shown unit is in programme_units")
    if post.all() or not post.any():
        waves = sorted(persons[wave].unique().tolist())
        raise CXValueError(
            f"start must leave waves before and from it; got {start!r} (waves: {waves})"
        )
    for name, m in (("programme", treated), ("comparison", ~treated)):
        if not (m & post).any() or not (m & ~post).any():
            raise CXValueError(
                f"the {name} units have no shown cell {'before' if not (m & ~post).any() else 'from'} "
                f"start={start!r}; the difference-in-differences needs both periods"
            )
    y = persons["score"].to_numpy()
    u_all = pd.factorize(persons[unit], sort=True)[0]
    w_all = pd.factorize(persons[wave], sort=True)[0]

    def fit(mask, last, term):
        """Two-way FE OLS on the rows in ``mask`` with ``last`` as the final regressor."""
        u_codes, u_uniq = pd.factorize(persons.loc[mask, unit], sort=True)
        w_codes, w_uniq = pd.factorize(persons.loc[mask, wave], sort=True)
        m = int(mask.sum())
        cols = [np.ones(m)]
        cols += [(u_codes == j).astype(float) for j in range(1, len(u_uniq))]
        cols += [(w_codes == j).astype(float) for j in range(1, len(w_uniq))]
        cols.append(last[mask])
        X = np.column_stack(cols)
        row = dict(
            term=term,
            estimate=np.nan,
            se=np.nan,
            ci_lower=np.nan,
            ci_upper=np.nan,
            p_value=np.nan,
            df=np.nan,
            n=m,
            n_units=int(len(u_uniq)),
            n_programme_units=int(persons.loc[mask & treated, unit].nunique()),
            cov_type=cov_type,
        )
        if np.linalg.matrix_rank(X) < X.shape[1] or m <= X.shape[1]:
            return row
        model = sm.OLS(y[mask], X)
        if cov_type == "cluster":
            res = model.fit(cov_type="cluster", cov_kwds={"groups": u_codes}, use_t=True)
            df = len(u_uniq) - 1
        else:
            res = model.fit(cov_type="HC1", use_t=True)
            df = float(res.df_resid)
        j = X.shape[1] - 1
        ci = res.conf_int(alpha=alpha)[j]
        row.update(
            estimate=float(res.params[j]),
            se=float(res.bse[j]),
            ci_lower=float(ci[0]),
            ci_upper=float(ci[1]),
            p_value=float(res.pvalues[j]),
            df=float(df),
        )
        return row

    everyone = np.ones(len(y), dtype=bool)
    rows = [fit(everyone, (treated & post).astype(float), "programme x post")]
    rows[0]["p_randomization"], rows[0]["n_assignments"] = _randomization_p(
        y, u_all, w_all, post, treated, rows[0]["estimate"], n_perm=n_perm, seed=seed
    )
    # placebo: a programme-specific linear trend (per wave) before the start
    pre = ~post
    trend = treated.astype(float) * w_all.astype(float)
    if len(np.unique(w_all[pre])) >= 2:
        rows.append(
            {
                **fit(pre, trend, "programme x pre-trend"),
                "p_randomization": np.nan,
                "n_assignments": 0,
            }
        )
    frame = pd.DataFrame(rows)
    u_uniq = np.unique(u_all)
    rows = []
    for gname, gm in (("programme", treated), ("comparison", ~treated)):
        for pname, pm in (("pre", ~post), ("post", post)):
            v = y[gm & pm]
            m = len(v)
            s = v.std(ddof=1) / np.sqrt(m) if m > 1 else np.nan
            tq = stats.t.ppf(1 - alpha / 2, max(m - 1, 1))
            rows.append(
                dict(
                    group=gname,
                    period=pname,
                    n=int(m),
                    estimate=float(v.mean()),
                    se=float(s),
                    ci_lower=float(v.mean() - tq * s),
                    ci_upper=float(v.mean() + tq * s),
                )
            )
    means = pd.DataFrame(rows)
    caveat = _few_units_caveat(len(u_uniq), min_units, "difference-in-differences")
    if caveat["en"]:
        warnings.warn(caveat["en"], FewUnitsWarning, stacklevel=2)
    return DiDResult(
        frame=frame,
        means=means,
        n_suppressed=n_supp,
        programme_units=tuple(programme_units),
        start=start,
        cov_type=cov_type,
        alpha=alpha,
        caveat=caveat,
    )


def _randomization_p(y, u_codes, w_codes, post, treated, observed, *, n_perm, seed):
    """Two-sided randomization-inference p-value of the DiD estimate over unit assignments.

    The programme label is re-assigned to every set (or ``n_perm`` random sets) of as many units
    as were in the programme; the DiD estimate is recomputed by Frisch–Waugh–Lovell (the fixed
    effects do not change, so one projection serves all assignments).
    """
    from itertools import combinations
    from math import comb

    if n_perm == 0 or not np.isfinite(observed):
        return np.nan, 0
    units = np.unique(u_codes)
    g, k = len(units), len(np.unique(u_codes[treated]))
    F = np.column_stack(
        [np.ones(len(y))]
        + [(u_codes == j).astype(float) for j in units[1:]]
        + [(w_codes == j).astype(float) for j in np.unique(w_codes)[1:]]
    )
    Q, _ = np.linalg.qr(F)
    y_res = y - Q @ (Q.T @ y)
    total = comb(g, k)
    if total <= n_perm:
        sets = [np.array(c) for c in combinations(units, k)]
    else:
        rng = np.random.default_rng(seed)
        sets = [rng.choice(units, size=k, replace=False) for _ in range(n_perm)]
    estimates = []
    for start in range(0, len(sets), 256):
        chunk = sets[start : start + 256]
        D = np.column_stack([(np.isin(u_codes, c) & post).astype(float) for c in chunk])
        D_res = D - Q @ (Q.T @ D)
        den = np.einsum("ij,ij->j", D_res, D_res)
        with np.errstate(invalid="ignore", divide="ignore"):
            estimates.append((D_res.T @ y_res) / den)
    est = np.concatenate(estimates)
    est = est[np.isfinite(est)]
    if not len(est):
        return np.nan, 0
    # count the observed assignment itself; a tiny tolerance keeps ties (same estimate) as ties
    extreme = np.abs(est) >= abs(observed) - 1e-12 * max(1.0, abs(observed))
    if total <= n_perm:
        return float(extreme.mean()), int(len(est))
    return float((extreme.sum() + 1) / (len(est) + 1)), int(len(est))


# --------------------------------------------------------------------------------------------
# Linkage
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkageResult:
    """Unit engagement against the unit's customers' satisfaction and NPS (see :func:`linkage`).

    Attributes
    ----------
    points : DataFrame
        One row per shown unit × wave: ``unit``, ``wave``, ``n_employees``, ``engagement``,
        ``n_customers``, then one column per outcome (mean score; ``nps`` for the NPS outcome).
    correlations : DataFrame
        ``outcome``, ``level`` (``unit_wave``: every shown cell; ``unit``: unit means over waves),
        ``n`` (points), ``n_units``, ``estimate`` (Pearson r), ``ci_lower``, ``ci_upper`` (Fisher
        z), ``p_value``.
    models : DataFrame
        ``outcome``, ``term``, ``estimate`` (change in the outcome per index point), ``se``,
        ``ci_lower``, ``ci_upper``, ``p_value``, ``n``, ``n_units``, ``model``. Terms:
        ``engagement`` (the model of :func:`linkage`), and from a second model with engagement
        split into the unit's mean over waves and the wave's deviation from it,
        ``engagement_between`` (units with higher engagement have customers who score higher)
        and ``engagement_within`` (when a unit's engagement rises, do its customers' scores?).
    caveat : dict
        ``{"en": ..., "zh": ...}`` text for the report (always states that the link is
        correlational; adds the few-units warning when the units are few).
    n_suppressed : int
    method : str
    alpha : float
    """

    points: pd.DataFrame
    correlations: pd.DataFrame
    models: pd.DataFrame
    caveat: dict
    n_suppressed: int
    method: str
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """The model estimates (:attr:`models`)."""
        return self.models.copy()


def _pearson_ci(x: np.ndarray, y: np.ndarray, alpha: float):
    n = len(x)
    if n < 3 or np.std(x) == 0 or np.std(y) == 0:
        return np.nan, np.nan, np.nan, np.nan
    r, p = stats.pearsonr(x, y)
    if n > 3 and abs(r) < 1:
        z = np.arctanh(r)
        h = stats.norm.ppf(1 - alpha / 2) / np.sqrt(n - 3)
        lo, hi = np.tanh(z - h), np.tanh(z + h)
    else:
        lo = hi = np.nan
    return float(r), float(lo), float(hi), float(p)


def linkage(
    employees: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    outcomes=("overall_sat", "recommend"),
    nps: str | None = "recommend",
    items=None,
    unit: str = "unit",
    branch: str = "branch",
    wave: str = "wave",
    weights: str | None = None,
    min_n: int = 5,
    min_items: int | None = None,
    scale=(1, 5),
    index: str = "mean",
    method: str = "mixed",
    alpha: float = 0.05,
    min_units: int = 10,
) -> LinkageResult:
    """Link unit engagement to the unit's customers' satisfaction and NPS.

    Parameters
    ----------
    employees : DataFrame
        Employee responses (``unit``, ``wave``, items).
    responses : DataFrame
        Customer responses with ``branch`` (the unit the customer is served by), ``wave`` and the
        outcome columns.
    outcomes : sequence of str, default ``("overall_sat", "recommend")``
        Customer scores to link.
    nps : str or None, default ``"recommend"``
        The outcome reported as NPS (``100 × (share 9–10 - share 0–6)``) instead of a mean; it is
        named ``nps`` in the returned frames.
    items, unit, min_n, min_items, scale, index
        As in :func:`engagement_index` (suppressed cells never appear and never enter a model).
    branch, wave : str
        Customer columns: the unit key and the wave.
    weights : str, optional
        Survey weight column of ``responses`` (unit-wave means and NPS are then weighted).
    method : {"mixed", "ols"}, default ``"mixed"``
        ``mixed``: linear mixed model ``outcome ~ engagement + C(wave) + (1 | unit)`` by REML
        (statsmodels MixedLM), Wald interval; ``ols``: the same fixed part by OLS with SEs
        clustered by unit (t with G - 1 df).
    alpha : float, default 0.05
    min_units : int, default 10
        Below this many units, the caveat says so and a :class:`FewUnitsWarning` is issued.

    Returns
    -------
    LinkageResult

    Raises
    ------
    CXValueError
        Missing/non-numeric columns, no unit-wave shared by employees and customers, bad options.

    Warns
    -----
    FewUnitsWarning
        Fewer than ``min_units`` units.
    ModelFitWarning
        The mixed model did not converge or its variance component is on the boundary.

    Notes
    -----
    Points are unit × wave cells present in both surveys. Pearson's r with the Fisher interval
    :math:`\\tanh(\\operatorname{artanh} r \\pm z/\\sqrt{n-3})`. Cells of one unit over waves are not
    independent, so the ``unit_wave`` correlation overstates the information; the ``unit`` level
    (means over waves) and the models (random unit intercept or unit-clustered SEs) account for
    it. The within/between split (Mundlak 1978; Bell & Jones 2015) separates the comparison of
    units from the change within a unit; the within term is the closer one to "raising
    engagement raises satisfaction", but the link stays correlational: engaged units may serve
    easier customers.

    References
    ----------
    Harter, J. K., Schmidt, F. L., & Hayes, T. L. (2002). Business-unit-level relationship between
    employee satisfaction, employee engagement, and business outcomes: a meta-analysis. Journal of
    Applied Psychology 87(2), 268–279. doi:10.1037/0021-9010.87.2.268
    Bell, A., & Jones, K. (2015). Explaining fixed effects: random effects modeling of time-series
    cross-sectional and panel data. Political Science Research and Methods 3(1), 133–153.
    doi:10.1017/psrm.2014.7
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation deduced from a
    small sample. Metron 1, 3–32.
    """
    import statsmodels.api as sm

    alpha = _check_alpha(alpha)
    min_n = _check_int("min_n", min_n, 1)
    min_units = _check_int("min_units", min_units, 1)
    if method not in ("mixed", "ols"):
        raise CXValueError(f"method must be one of 'mixed', 'ols'; got {method!r}")
    if not isinstance(responses, pd.DataFrame):
        raise CXValueError(f"responses must be a DataFrame; got {type(responses).__name__}")
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not outcomes:
        raise CXValueError("outcomes must name at least one customer score")
    for c in (branch, wave, *outcomes, *([weights] if weights else [])):
        if c not in responses.columns:
            raise CXValueError(f"column {c!r} is not a column of responses")
    for c in (*outcomes, *([weights] if weights else [])):
        s = responses[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise CXValueError(f"column {c!r} of responses must be numeric; got dtype {s.dtype}")
    if nps is not None and nps not in outcomes:
        raise CXValueError(f"nps must be one of the outcomes {outcomes} or None; got {nps!r}")
    persons, _, n_supp, _ = _person_scores(
        employees,
        items=items,
        unit=unit,
        wave=wave,
        min_items=min_items,
        scale=scale,
        index=index,
        min_n=min_n,
    )
    eng = (
        persons.groupby([unit, wave], observed=True, sort=True)["score"]
        .agg(n_employees="size", engagement="mean")
        .reset_index()
    )
    cust = pd.DataFrame({unit: responses[branch].to_numpy(), wave: responses[wave].to_numpy()})
    w = responses[weights].to_numpy(dtype=float) if weights else np.ones(len(responses))
    out_names = []
    for c in outcomes:
        v = responses[c].to_numpy(dtype=float)
        name = "nps" if c == nps else c
        out_names.append(name)
        if c == nps:
            v = np.where(
                np.isnan(v), np.nan, 100.0 * ((v >= 9).astype(float) - (v <= 6).astype(float))
            )
        ok = ~np.isnan(v) & ~np.isnan(w)
        cust[f"_wy_{name}"] = np.where(ok, w * np.nan_to_num(v), 0.0)
        cust[f"_w_{name}"] = np.where(ok, w, 0.0)
    cust["n_customers"] = 1
    agg = cust.groupby([unit, wave], observed=True, sort=True).sum().reset_index()
    for name in out_names:
        with np.errstate(invalid="ignore", divide="ignore"):
            agg[name] = agg[f"_wy_{name}"] / agg[f"_w_{name}"].where(agg[f"_w_{name}"] > 0)
    agg = agg[[unit, wave, "n_customers", *out_names]]
    points = eng.merge(agg, on=[unit, wave], how="inner")
    points["n_customers"] = points["n_customers"].astype(np.int64)
    if points.empty:
        raise CXValueError(
            f"no unit × wave is shared by employees ({unit!r}) and customers ({branch!r}) "
            "after anonymity suppression; check that both use the same unit codes and waves"
        )
    n_units = int(points[unit].nunique())
    corr_rows, model_rows = [], []
    for name in out_names:
        d = points[[unit, wave, "engagement", name]].dropna()
        r, lo, hi, p = _pearson_ci(d["engagement"].to_numpy(), d[name].to_numpy(), alpha)
        corr_rows.append(
            dict(
                outcome=name,
                level="unit_wave",
                n=len(d),
                n_units=int(d[unit].nunique()),
                estimate=r,
                ci_lower=lo,
                ci_upper=hi,
                p_value=p,
            )
        )
        um = d.groupby(unit)[["engagement", name]].mean()
        r, lo, hi, p = _pearson_ci(um["engagement"].to_numpy(), um[name].to_numpy(), alpha)
        corr_rows.append(
            dict(
                outcome=name,
                level="unit",
                n=len(um),
                n_units=len(um),
                estimate=r,
                ci_lower=lo,
                ci_upper=hi,
                p_value=p,
            )
        )
        model_rows += _link_model(d, name, unit, wave, method, alpha, sm)
    caveat = _few_units_caveat(n_units, min_units, "linkage")
    base_en = (
        "Engagement and customer scores are compared across units and waves; the link is "
        "correlational and does not show that engagement causes satisfaction."
    )
    base_zh = "员工敬业度与客户评分的关系基于单位和年度之间的比较，属于相关关系，不能说明敬业度导致满意度。"
    if caveat["en"]:
        warnings.warn(caveat["en"], FewUnitsWarning, stacklevel=2)
    caveat = {
        "en": " ".join(x for x in (base_en, caveat["en"]) if x),
        "zh": "".join(x for x in (base_zh, caveat["zh"]) if x),
    }
    return LinkageResult(
        points=points,
        correlations=pd.DataFrame(corr_rows),
        models=pd.DataFrame(model_rows),
        caveat=caveat,
        n_suppressed=n_supp,
        method=method,
        alpha=alpha,
    )


def _link_model(
    d: pd.DataFrame, name: str, unit: str, wave: str, method: str, alpha: float, sm
) -> list[dict]:
    """Rows ``engagement`` and ``engagement_within`` / ``engagement_between`` for one outcome."""
    n = len(d)
    k_units = int(d[unit].nunique())
    y = d[name].to_numpy(dtype=float)
    e = d["engagement"].to_numpy(dtype=float)
    groups = pd.factorize(d[unit], sort=True)[0]
    between = pd.Series(e).groupby(groups).transform("mean").to_numpy()
    w_codes, w_uniq = pd.factorize(d[wave], sort=True)
    waves = [(w_codes == j).astype(float) for j in range(1, len(w_uniq))]
    specs = (
        (["engagement"], [e]),
        (["engagement_within", "engagement_between"], [e - between, between]),
    )
    rows = []
    for terms, xs in specs:
        X = np.column_stack([np.ones(n), *xs, *waves])
        base = dict(n=n, n_units=k_units, model=method)
        empty = dict(estimate=np.nan, se=np.nan, ci_lower=np.nan, ci_upper=np.nan, p_value=np.nan)
        if n <= X.shape[1] + 1 or k_units < 3 or np.linalg.matrix_rank(X) < X.shape[1]:
            rows += [dict(outcome=name, term=t, **empty, **base) for t in terms]
            continue
        if method == "ols":
            res = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
            ci = res.conf_int(alpha=alpha)
            for j, t in enumerate(terms, 1):
                rows.append(
                    dict(
                        outcome=name,
                        term=t,
                        estimate=float(res.params[j]),
                        se=float(res.bse[j]),
                        ci_lower=float(ci[j][0]),
                        ci_upper=float(ci[j][1]),
                        p_value=float(res.pvalues[j]),
                        **base,
                    )
                )
            continue
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sm.MixedLM(y, X, groups=groups).fit(reml=True)
        problems = [
            str(c.message)
            for c in caught
            if issubclass(c.category, (ConvergenceWarning, RuntimeWarning, UserWarning))
        ]
        if problems:
            warnings.warn(
                f"mixed model for {name!r} ({', '.join(terms)}): {problems[0]}",
                ModelFitWarning,
                stacklevel=3,
            )
        z = stats.norm.ppf(1 - alpha / 2)
        for j, t in enumerate(terms, 1):
            est, se = float(res.fe_params[j]), float(res.bse_fe[j])
            rows.append(
                dict(
                    outcome=name,
                    term=t,
                    estimate=est,
                    se=se,
                    ci_lower=est - z * se,
                    ci_upper=est + z * se,
                    p_value=float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan,
                    **base,
                )
            )
    return rows
