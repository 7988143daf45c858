"""The distributed-lag profile of an exposure's effect on an outcome, pooled or within customers.

:func:`lag_profile` regresses the outcome in year t on the exposure in years t, t-1, ..., t-K on the
customer × year panel (statsmodels OLS with standard errors clustered by customer), with an
intercept (``"pooled"``) or customer fixed effects (``"within"``). The design builder here is shared
with :mod:`cxresearch.persistence.effect_horizon`, which reads the horizon from the profile.

References: Almon (1965), doi:10.2307/1911894; Cameron & Miller (2015), doi:10.3368/jhr.50.2.317.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch.errors import CXValueError, CXWarning
from cxresearch.persistence._panel import (
    _as_list,
    _check_alpha,
    _check_duplicates,
    _check_min_effect,
    _check_whole,
    _require_columns,
    _require_frame,
    _require_numeric,
    _time_as_int,
    _with_columns,
    _year_lags,
)

#: Below this many customers, cluster-robust standard errors are flagged (:class:`FewClustersWarning`).
MIN_CLUSTERS = 30


class FewClustersWarning(CXWarning):
    """Cluster-robust standard errors rest on few customers (clusters) and tend to be too small."""


#: Estimators of the lag profile: ``"pooled"`` (pooled OLS) and ``"within"`` (customer fixed effects).
METHODS = ("pooled", "within")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise CXValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")


@dataclass(frozen=True)
class _Design:
    X: np.ndarray  # n x p (after the within transform for method="within")
    y: np.ndarray
    groups: np.ndarray  # cluster code 0..G-1, rows sorted by cluster
    columns: list[str]
    lag_columns: list[str]
    n_customers: int
    n_obs: int


def _lag_name(exposure: str, k: int) -> str:
    return f"{exposure}_lag{k}"


def _build_design(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposure: str,
    max_lag: int,
    controls: list[str],
    time_effects: bool,
    method: str,
    lead: bool = False,
) -> _Design:
    """Validate the panel and build the distributed-lag design (complete cases only).

    ``lead=True`` adds the exposure one year ahead (``<exposure>_lead1``, after the controls): the
    regressor of the strict-exogeneity (feedback) check in :func:`~cxresearch.persistence.horizon`.
    """
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "outcome": outcome, "exposure": exposure})
    for c in controls:
        _require_columns(panel, {"controls": c})
    _check_method(method)
    max_lag = _check_whole(max_lag, "max_lag", 0)
    if exposure == outcome:
        raise CXValueError(f"exposure and outcome must be different columns; both are {outcome!r}")
    for col, param in [(outcome, "outcome"), (exposure, "exposure")] + [
        (c, "controls") for c in controls
    ]:
        _require_numeric(panel, col, param)
    t = _time_as_int(panel, time)
    if panel[id].isna().any():
        raise CXValueError(f"id column {id!r} has missing values; every row needs a customer id")
    _check_duplicates(panel, id, time)
    n_years = len(np.unique(t))
    if n_years < max_lag + 2:
        raise CXValueError(
            f"the panel covers {n_years} distinct years in {time!r}; a lag profile up to max_lag={max_lag} "
            f"needs at least max_lag + 2 = {max_lag + 2} years (lower max_lag or add years)"
        )

    # lags by calendar year: the value of the exposure at (id, t - k), looked up by key, never by row
    ids = panel[id].to_numpy()
    lag_cols = [_lag_name(exposure, k) for k in range(max_lag + 1)]
    lagged = _year_lags(ids, t, panel[exposure].to_numpy(dtype=float), range(max_lag + 1))
    data: dict[str, np.ndarray] = dict(zip(lag_cols, lagged, strict=True))
    for c in controls:
        data[c] = panel[c].to_numpy(dtype=float)
    if lead:
        data[f"{exposure}_lead1"] = _year_lags(ids, t, panel[exposure].to_numpy(dtype=float), [-1])[
            0
        ]
    frame = pd.DataFrame(data)
    frame["_y"] = panel[outcome].to_numpy(dtype=float)
    frame["_id"] = ids
    frame["_t"] = t
    frame = frame.loc[frame.notna().all(axis=1)]
    frame = frame.sort_values(["_id", "_t"], kind="mergesort")
    if len(frame) == 0:
        raise CXValueError(
            f"no customer-year has {outcome!r} and {exposure!r} at every lag 0..{max_lag} "
            "(check the gaps in the customers' years, or lower max_lag)"
        )
    groups = pd.factorize(frame["_id"], sort=False)[0]
    n_customers = int(groups.max()) + 1
    columns = list(lag_cols) + list(controls) + ([f"{exposure}_lead1"] if lead else [])
    X = frame[columns].to_numpy(dtype=float)
    if time_effects:
        years = np.sort(frame["_t"].unique())
        dummies = (frame["_t"].to_numpy()[:, None] == years[None, 1:]).astype(float)
        X = np.column_stack([X, dummies])
        columns = columns + [f"year_{y}" for y in years[1:]]
    y = frame["_y"].to_numpy(dtype=float)
    if method == "pooled":
        X = np.column_stack([np.ones(len(frame)), X])
        columns = ["const"] + columns
    else:
        X = _demean(X, groups)
        y = _demean(y[:, None], groups)[:, 0]
    p = X.shape[1]
    if len(frame) <= p or n_customers < 2:
        raise CXValueError(
            f"only {len(frame)} complete customer-years from {n_customers} customers: too few for "
            f"{p} coefficients (lower max_lag, drop controls, or add data)"
        )
    if np.linalg.matrix_rank(X) < p:
        raise CXValueError(
            "the lag design is rank deficient (an exposure lag or control is constant or collinear "
            f"in the {len(frame)} complete customer-years); columns: {columns}"
        )
    return _Design(X, y, groups, columns, lag_cols, n_customers, len(frame))


def _demean(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Subtract each group's column means (the within transform)."""
    counts = np.bincount(groups).astype(float)
    sums = np.zeros((counts.size, a.shape[1]))
    np.add.at(sums, groups, a)
    return a - (sums / counts[:, None])[groups]


@dataclass(frozen=True)
class LagProfile:
    """A distributed-lag profile: the effect of the exposure k years earlier on this year's outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per lag: ``lag`` (int, years), ``estimate`` (coefficient), ``se`` (cluster-robust),
        ``ci_lower``, ``ci_upper`` (two-sided 1 - alpha), ``p_value`` (two-sided), ``p_one_sided``
        (H1: effect > ``min_effect``, 0 by default; used by :func:`horizon`),
        ``significant_positive`` (bool, ``p_one_sided < alpha``), ``significant_negative`` (bool: the
        mirror one-sided test, H1: effect < −``min_effect``, at level alpha).
    coefficients : pandas.DataFrame
        Every coefficient of the regression (lags, controls, year effects, constant): ``term``,
        ``estimate``, ``se``, ``ci_lower``, ``ci_upper``, ``p_value``.
    n_customers, n_obs : int
        Customers (clusters) and customer-years used (complete cases).
    method : str
        ``"pooled"`` or ``"within"``.
    settings : dict
        The arguments it ran with.
    """

    table: pd.DataFrame
    coefficients: pd.DataFrame
    n_customers: int
    n_obs: int
    method: str
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The lag table with ``method``, ``n_customers`` and ``n_obs`` columns added."""
        out = _with_columns(self.table, n_customers=self.n_customers, n_obs=self.n_obs)
        out.insert(0, "method", self.method)
        return out


def _fit_profile(
    design: _Design,
    *,
    method: str,
    alpha: float,
    settings: dict,
    min_effect: float = 0.0,
    stacklevel: int = 3,
) -> LagProfile:
    if design.n_customers < MIN_CLUSTERS:
        warnings.warn(
            f"the lag profile rests on {design.n_customers} customers (clusters); cluster-robust "
            f"standard errors need many clusters (at least about {MIN_CLUSTERS}) and are too small "
            "with few",
            FewClustersWarning,
            stacklevel=stacklevel,
        )
    model = sm.OLS(design.y, design.X)
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": design.groups}, use_t=True)
    params = np.asarray(fit.params)
    se = np.asarray(fit.bse)
    df = design.n_customers - 1
    tcrit = stats.t.ppf(1 - alpha / 2, df)
    tstat = params / se
    coef = pd.DataFrame(
        {
            "term": design.columns,
            "estimate": params,
            "se": se,
            "ci_lower": params - tcrit * se,
            "ci_upper": params + tcrit * se,
            "p_value": 2 * stats.t.sf(np.abs(tstat), df),
        }
    )
    lag_idx = [design.columns.index(c) for c in design.lag_columns]
    table = coef.iloc[lag_idx].drop(columns="term").reset_index(drop=True)
    table.insert(0, "lag", np.arange(len(lag_idx), dtype=int))
    table["p_one_sided"] = stats.t.sf((params[lag_idx] - min_effect) / se[lag_idx], df)
    table["significant_positive"] = table["p_one_sided"].to_numpy() < alpha
    # the mirror test (H1: effect < -min_effect): a lag that works against the outcome is reported as such
    table["significant_negative"] = (
        stats.t.cdf((params[lag_idx] + min_effect) / se[lag_idx], df) < alpha
    )
    return LagProfile(
        table=table,
        coefficients=coef,
        n_customers=design.n_customers,
        n_obs=design.n_obs,
        method=method,
        settings=dict(settings),
    )


def lag_profile(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposure: str,
    max_lag: int = 6,
    controls: str | list[str] | None = None,
    alpha: float = 0.05,
    method: str = "pooled",
    time_effects: bool = True,
    min_effect: float = 0.0,
) -> LagProfile:
    """Distributed-lag profile of an exposure's effect on an outcome, on a customer × year panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per customer × year (e.g. the survey responses, one per customer and wave).
    id : str
        Customer id column (the cluster).
    time : str
        Year column (whole numbers). A lag of ``k`` is the exposure in year ``t - k`` of the same
        customer, looked up by year: a missing year is a missing lag, never the previous row.
    outcome : str
        Numeric outcome (e.g. ``"repurchase"``, or ``"overall_sat"`` for a process exposure).
    exposure : str
        Numeric exposure (e.g. ``"overall_sat"``, ``"proc_service"``).
    max_lag : int, default 6
        Longest lag K; lags 0..K enter the regression together.
    controls : str or list of str, optional
        Numeric covariates measured in year t.
    alpha : float, default 0.05
        Level of the two-sided intervals and of the one-sided tests in ``significant_positive``.
    method : {"pooled", "within"}, default "pooled"
        ``"pooled"``: OLS with an intercept. ``"within"``: customer fixed effects (each customer's
        means over the complete years are subtracted; no intercept).
    time_effects : bool, default True
        Add one indicator per year (the first year is the reference), so that shocks common to all
        customers in a year (the economy, a price change) cannot pose as persistence.
    min_effect : float, default 0.0
        Smallest effect worth calling an effect, on the outcome's scale per point of exposure: the
        one-sided tests are of H0: beta_k <= min_effect. 0 tests for any positive effect.

    Returns
    -------
    LagProfile
        ``table`` with one row per lag: ``lag``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``,
        ``p_value`` (two-sided), ``p_one_sided`` (H1: effect > min_effect), ``significant_positive``,
        ``significant_negative`` (H1: effect < −min_effect, one-sided at alpha); ``coefficients`` (every term); ``n_customers``, ``n_obs``; ``settings``.

    Raises
    ------
    CXValueError
        A column is missing or not numeric; an (id, time) pair is duplicated; the panel covers fewer
        than ``max_lag + 2`` distinct years; no customer-year has the exposure at every lag; the design
        is rank deficient.

    Warns
    -----
    FewClustersWarning
        Fewer than :data:`MIN_CLUSTERS` customers in the complete cases.

    Notes
    -----
    The model, on customer-years with the outcome and all K + 1 lags observed (complete cases):

    .. math:: y_{it} = \\alpha + \\sum_{k=0}^{K} \\beta_k x_{i,t-k} + \\gamma' z_{it} + \\tau_t
              + \\varepsilon_{it}

    (``"within"`` replaces :math:`\\alpha` by a customer effect :math:`\\alpha_i`, removed by
    subtracting customer means). Each :math:`\\beta_k` is the effect of the exposure k years ago
    holding the other years' exposure fixed. The covariance is the cluster-robust (sandwich)
    estimator with clusters = customers and the small-sample factor
    :math:`\\frac{G}{G-1}\\frac{N-1}{N-p}` (statsmodels ``cov_type="cluster"``; R
    ``sandwich::vcovCL(type="HC1")``; with ``"within"``, p counts only the within regressors, as
    Stata's ``xtreg, fe vce(cluster)``). Tests and intervals use Student's t with G - 1 degrees of
    freedom. The data are unweighted: survey weights are not used (the estimand is the within-panel
    effect, not a population total).

    References
    ----------
    .. [1] Almon, S. (1965). The distributed lag between capital appropriations and expenditures.
       Econometrica 33(1), 178-196. doi:10.2307/1911894
    .. [2] Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
       Journal of Human Resources 50(2), 317-372. doi:10.3368/jhr.50.2.317

    Examples
    --------
    The effect of satisfaction in each of the last four years on this year's repurchase intent, in
    the demo study (whose true lag effects are 0.4, 0.3, 0.2 and 0.12):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> lags = cx.persistence.lag_profile(panel, id="customer_id", time="year",
    ...                                   outcome="repurchase", exposure="overall_sat", max_lag=3)
    >>> lags.table[["lag", "estimate", "se", "ci_lower", "ci_upper", "p_one_sided"]].round(3)
       lag  estimate     se  ci_lower  ci_upper  p_one_sided
    0    0     0.358  0.031     0.296     0.419        0.000
    1    1     0.302  0.035     0.232     0.372        0.000
    2    2     0.237  0.033     0.172     0.303        0.000
    3    3     0.104  0.036     0.033     0.175        0.002
    >>> lags.n_customers, lags.n_obs
    (216, 462)
    """
    alpha = _check_alpha(alpha)
    min_effect = _check_min_effect(min_effect)
    controls_l = _as_list(controls, "controls")
    settings = dict(
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        alpha=alpha,
        method=method,
        time_effects=bool(time_effects),
        min_effect=min_effect,
    )
    design = _build_design(
        panel,
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        time_effects=bool(time_effects),
        method=method,
    )
    return _fit_profile(
        design, method=method, alpha=alpha, settings=settings, min_effect=min_effect
    )
