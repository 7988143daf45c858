"""Difference-in-differences of the engagement index: programme units against the others.

:func:`programme_did` fits a person-level two-way fixed-effects model by OLS (statsmodels) with
unit-clustered standard errors, a pre-trend placebo, and a randomization-inference p-value over
assignments of the programme to other units (``_randomization_p``).

Why hand-written: statsmodels fits the model; the randomization inference over unit assignments
(one Frisch–Waugh–Lovell projection serves every assignment) is not in a maintained package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch._results import ResultDisplay

from ..errors import CXValueError
from ._caveats import _caveat_text, _few_units_caveat
from ._prepare import _check_alpha, _check_int, _person_scores


@dataclass(frozen=True, repr=False)
class DiDResult(ResultDisplay):
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
    caveats : tuple of str
        Codes of the caveats the report shows: ``("few_units_did",)`` when the units are few,
        else ``()``. Their words are catalog entries ``caveat.<code>``; :attr:`caveat` gives them
        as text (empty strings when there is nothing to flag).
    n_units : int
        Units (clusters) in the estimate.
    """

    frame: pd.DataFrame
    means: pd.DataFrame
    n_suppressed: int
    programme_units: tuple
    start: object
    cov_type: str
    alpha: float
    caveats: tuple[str, ...] = ()
    n_units: int = 0

    @property
    def caveat(self) -> dict[str, str]:
        """``{"zh": ..., "en": ...}``: the caveats as text (the sentences the report shows)."""
        return _caveat_text(self.caveats, self.n_units)

    def to_frame(self) -> pd.DataFrame:
        """The estimate (:attr:`frame`)."""
        return self.frame.copy()


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

    Examples
    --------
    In the demo study branches 2, 5 and 7 join an engagement programme in 2020, which lifts
    their index by 0.4 points (the known truth):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=100, n_waves=8)
    >>> study.truth.programme_units, study.truth.programme_effect
    ((2, 5, 7), 0.4)
    >>> did = cx.employee.programme_did(study.employees, programme_units=[2, 5, 7], start=2020)
    >>> did.frame[["term", "estimate", "ci_lower", "ci_upper", "p_value"]].round(3)
                        term  estimate  ci_lower  ci_upper  p_value
    0       programme x post     0.469     0.378     0.560    0.000
    1  programme x pre-trend    -0.006    -0.040     0.028    0.669

    Re-assigning the programme to each of the 56 sets of three branches agrees (exact
    randomization inference); with eight branches the result carries a caveat:

    >>> row = did.frame.iloc[0]
    >>> round(float(row["p_randomization"]), 3), int(row["n_assignments"])
    (0.018, 56)
    >>> did.caveats
    ('few_units_did',)
    >>> print(did.caveat["en"])
    Only 8 units: the difference-in-differences rests on few units, so its interval is uncertain
    and may be too narrow; read it as indicative, not as proof.
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
    caveats = _few_units_caveat(len(u_uniq), min_units, "difference-in-differences")
    return DiDResult(
        frame=frame,
        means=means,
        n_suppressed=n_supp,
        programme_units=tuple(programme_units),
        start=start,
        cov_type=cov_type,
        alpha=alpha,
        caveats=caveats,
        n_units=len(u_uniq),
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
