"""Multi-year persistence: lag profiles, the horizon of an effect, dissatisfaction runs and churn.

The questions this module answers on a client's own customer × year history:

* how long does this year's satisfaction keep acting on loyalty (or a process's satisfaction on overall
  satisfaction)? — :func:`lag_profile` and :func:`horizon`;
* does the answer depend on the estimator? — :func:`horizon` reports a second estimator (the
  distributed lag with customer fixed effects) beside the pooled one;
* how much more likely to leave are customers dissatisfied several years running? —
  :func:`dissatisfaction_runs` and :func:`churn_hazard`.

Estimation uses statsmodels (OLS with ``cov_type="cluster"``, Logit). The one hand-written piece is the
cluster bootstrap of the horizon: refitting statsmodels a few hundred times on 10,000 customers × 12
years is far too slow, so :func:`horizon` builds the lag design once, stores each customer's
``X'X`` and ``X'y`` blocks, and solves every bootstrap replicate from weighted sums of those blocks
(a replicate that draws a customer ``c`` times adds ``c`` copies of its blocks; each copy is its own
cluster). The replicate's cluster-robust covariance uses the same small-sample factor as statsmodels,
and a test checks one replicate against statsmodels run on the explicitly resampled data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch.errors import CXValueError, CXWarning, NotEstimableWarning

__all__ = [
    "HORIZON_DEFINITION",
    "METHODS",
    "LagProfile",
    "HorizonEstimate",
    "HorizonResult",
    "FewClustersWarning",
    "HazardResult",
    "lag_profile",
    "horizon",
    "horizons",
    "dissatisfaction_runs",
    "churn_hazard",
    "customer_years",
]

#: Below this many customers, cluster-robust standard errors are flagged (:class:`FewClustersWarning`).
MIN_CLUSTERS = 30


class FewClustersWarning(CXWarning):
    """Cluster-robust standard errors rest on few customers (clusters) and tend to be too small."""


#: Estimators of the lag profile: ``"pooled"`` (pooled OLS) and ``"within"`` (customer fixed effects).
METHODS = ("pooled", "within")

#: The definition of the horizon, as the report's method appendix prints it.
HORIZON_DEFINITION = (
    "The horizon H of an effect is the number of consecutive years, starting with the current year, "
    "in which the exposure still has a significantly positive effect on the outcome. We regress the "
    "outcome in year t on the exposure in years t, t-1, ..., t-K (a distributed-lag regression on the "
    "customer x year panel; a lag of k is the value k calendar years earlier, so a customer's missing "
    "years are never bridged), with standard errors clustered by customer. H is the largest h such that "
    "the coefficients of lags 0, 1, ..., h-1 are each significantly greater than zero (one-sided test at "
    "level alpha; or greater than a smallest relevant effect, when one is set); the coefficient of lag H "
    "is not. H = 0 means no significant effect even in the "
    "current year. When every lag up to the longest one estimated (K) is significant, H is only known "
    "to be at least K+1 and is reported as censored. The interval for H comes from a bootstrap that "
    "resamples whole customers. As a robustness check the same horizon is computed from the "
    "distributed lag with customer fixed effects (within-customer changes only), so a reader can see "
    "whether H depends on the estimator."
)


# --------------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------------


def _require_frame(panel: Any, name: str = "panel") -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame):
        raise CXValueError(f"{name} must be a pandas DataFrame; got {type(panel).__name__}")
    return panel


def _require_columns(panel: pd.DataFrame, columns: dict[str, str | None]) -> None:
    for param, col in columns.items():
        if col is None:
            continue
        if not isinstance(col, str):
            raise CXValueError(f"{param} must be a column name (str); got {col!r}")
        if col not in panel.columns:
            raise CXValueError(
                f"{param}={col!r} is not a column of the panel; columns are {list(panel.columns)}"
            )


def _require_numeric(panel: pd.DataFrame, col: str, param: str) -> None:
    s = panel[col]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return
    bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
    example = f"; e.g. {bad.iloc[0]!r}" if len(bad) else ""
    raise CXValueError(
        f"{param} column {col!r} must be numeric; got dtype {s.dtype}{example} "
        "(convert labels to numbers first, or declare declared missing codes as missing)"
    )


def _time_as_int(panel: pd.DataFrame, time: str) -> np.ndarray:
    _require_numeric(panel, time, "time")
    t = panel[time].to_numpy(dtype=float)
    if np.isnan(t).any():
        raise CXValueError(f"time column {time!r} has missing values; every row needs a year")
    if not np.all(t == np.round(t)):
        bad = t[t != np.round(t)][0]
        raise CXValueError(f"time column {time!r} must hold whole years; got {bad!r}")
    return t.astype(np.int64)


def _check_duplicates(panel: pd.DataFrame, id: str, time: str) -> None:
    dup = panel.duplicated([id, time], keep=False)
    if dup.any():
        pairs = panel.loc[dup, [id, time]].drop_duplicates().head(5)
        listed = ", ".join(f"({a!r}, {b!r})" for a, b in pairs.itertuples(index=False))
        raise CXValueError(
            f"the panel must have one row per ({id}, {time}); {int(dup.sum())} rows share an "
            f"({id}, {time}) pair, e.g. {listed}"
        )


def _check_min_effect(min_effect: float) -> float:
    if isinstance(min_effect, bool) or not isinstance(min_effect, (int, float, np.integer, np.floating)) \
            or not np.isfinite(min_effect) or min_effect < 0:
        raise CXValueError(f"min_effect must be a finite number >= 0; got {min_effect!r}")
    return float(min_effect)


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, (int, float)) or not 0 < float(alpha) < 1:
        raise CXValueError(f"alpha must be a number strictly between 0 and 1; got {alpha!r}")
    return float(alpha)


def _as_list(x: str | list[str] | tuple[str, ...] | None, param: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if isinstance(x, (list, tuple)) and all(isinstance(c, str) for c in x):
        return list(x)
    raise CXValueError(f"{param} must be a column name or a list of column names; got {x!r}")


def _as_binary(panel: pd.DataFrame, col: str, param: str) -> pd.Series:
    """A bool or 0/1 column as floats 0.0/1.0 (NaN where missing)."""
    s = panel[col]

    def conv(v: Any) -> float | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return np.nan
        if v is True or v is False or isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
            if v == 1:
                return 1.0
            if v == 0:
                return 0.0
        return None

    values = [conv(v) for v in s.tolist()]
    for v, raw in zip(values, s.tolist(), strict=True):
        if v is None:
            raise CXValueError(f"{param} column {col!r} must be bool or 0/1; got {raw!r}")
    return pd.Series(values, index=s.index, dtype=float)


# --------------------------------------------------------------------------------------------------
# the lag design
# --------------------------------------------------------------------------------------------------


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
) -> _Design:
    """Validate the panel and build the distributed-lag design (complete cases only)."""
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "outcome": outcome, "exposure": exposure})
    for c in controls:
        _require_columns(panel, {"controls": c})
    if method not in METHODS:
        raise CXValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise CXValueError(f"max_lag must be a whole number >= 0; got {max_lag!r}")
    max_lag = int(max_lag)
    if exposure == outcome:
        raise CXValueError(f"exposure and outcome must be different columns; both are {outcome!r}")
    for col, param in [(outcome, "outcome"), (exposure, "exposure")] + [(c, "controls") for c in controls]:
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
    expo = pd.Series(
        panel[exposure].to_numpy(dtype=float), index=pd.MultiIndex.from_arrays([ids, t])
    )
    data: dict[str, np.ndarray] = {}
    lag_cols = [_lag_name(exposure, k) for k in range(max_lag + 1)]
    for k, name in enumerate(lag_cols):
        key = pd.MultiIndex.from_arrays([ids, t - k])
        data[name] = expo.reindex(key).to_numpy()
    for c in controls:
        data[c] = panel[c].to_numpy(dtype=float)
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
    columns = list(lag_cols) + list(controls)
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


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LagProfile:
    """A distributed-lag profile: the effect of the exposure k years earlier on this year's outcome.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per lag: ``lag`` (int, years), ``estimate`` (coefficient), ``se`` (cluster-robust),
        ``ci_lower``, ``ci_upper`` (two-sided 1 - alpha), ``p_value`` (two-sided), ``p_one_sided``
        (H1: effect > ``min_effect``, 0 by default; used by :func:`horizon`),
        ``significant_positive`` (bool, ``p_one_sided < alpha``).
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
        out = self.table.copy()
        out.insert(0, "method", self.method)
        out["n_customers"] = self.n_customers
        out["n_obs"] = self.n_obs
        return out


@dataclass(frozen=True)
class HorizonEstimate:
    """The horizon from one estimator.

    Attributes
    ----------
    method : str
        ``"pooled"`` or ``"within"``.
    h : int
        The horizon (see :data:`HORIZON_DEFINITION`).
    censored : bool
        True when every lag 0..max_lag is significant: H is then only known to be >= max_lag + 1.
    ci_lower, ci_upper : float
        Bootstrap percentile interval for H (NaN when ``n_boot`` is 0).
    boot_share_censored : float
        Share of bootstrap replicates in which H was censored.
    distribution : pandas.DataFrame
        ``h``, ``n`` (replicates), ``share``: the bootstrap distribution of H.
    n_boot_failed : int
        Replicates whose design was singular (left out).
    profile : LagProfile
        The lag profile H was read from.
    """

    method: str
    h: int
    censored: bool
    ci_lower: float
    ci_upper: float
    boot_share_censored: float
    distribution: pd.DataFrame
    n_boot_failed: int
    profile: LagProfile


@dataclass(frozen=True)
class HorizonResult:
    """The horizon of an effect, with a robustness estimate beside it.

    Attributes
    ----------
    primary : HorizonEstimate
        From the estimator chosen by ``method``.
    robustness : HorizonEstimate or None
        From the other estimator (``None`` if ``robustness=False``).
    definition : str
        :data:`HORIZON_DEFINITION`.
    settings : dict
        The arguments it ran with.
    """

    primary: HorizonEstimate
    robustness: HorizonEstimate | None
    definition: str
    settings: dict = field(default_factory=dict)

    @property
    def h(self) -> int:
        """The primary estimator's horizon."""
        return self.primary.h

    @property
    def censored(self) -> bool:
        """Whether the primary horizon is censored at ``max_lag + 1``."""
        return self.primary.censored

    @property
    def profile(self) -> LagProfile:
        """The primary estimator's lag profile."""
        return self.primary.profile

    def to_frame(self) -> pd.DataFrame:
        """One row per estimator: ``method, role, h, censored, ci_lower, ci_upper,
        boot_share_censored, n_customers, n_obs, n_boot, max_lag, alpha``."""
        rows = []
        for role, est in [("primary", self.primary), ("robustness", self.robustness)]:
            if est is None:
                continue
            rows.append(
                {
                    "method": est.method,
                    "role": role,
                    "h": est.h,
                    "censored": est.censored,
                    "ci_lower": est.ci_lower,
                    "ci_upper": est.ci_upper,
                    "boot_share_censored": est.boot_share_censored,
                    "n_customers": est.profile.n_customers,
                    "n_obs": est.profile.n_obs,
                    "n_boot": self.settings.get("n_boot"),
                    "max_lag": self.settings.get("max_lag"),
                    "alpha": self.settings.get("alpha"),
                }
            )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# lag profile
# --------------------------------------------------------------------------------------------------


def _fit_profile(
    design: _Design, *, method: str, alpha: float, settings: dict, min_effect: float = 0.0,
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
        ``p_value`` (two-sided), ``p_one_sided`` (H1: effect > min_effect), ``significant_positive``;
        ``coefficients`` (every term); ``n_customers``, ``n_obs``; ``settings``.

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
    """
    alpha = _check_alpha(alpha)
    min_effect = _check_min_effect(min_effect)
    controls_l = _as_list(controls, "controls")
    settings = dict(
        id=id, time=time, outcome=outcome, exposure=exposure, max_lag=max_lag,
        controls=controls_l, alpha=alpha, method=method, time_effects=bool(time_effects),
        min_effect=min_effect,
    )
    design = _build_design(
        panel, id=id, time=time, outcome=outcome, exposure=exposure, max_lag=max_lag,
        controls=controls_l, time_effects=bool(time_effects), method=method,
    )
    return _fit_profile(design, method=method, alpha=alpha, settings=settings, min_effect=min_effect)


# --------------------------------------------------------------------------------------------------
# horizon and its cluster bootstrap
# --------------------------------------------------------------------------------------------------


def _h_from_significance(sig: np.ndarray) -> tuple[int, bool]:
    """Number of leading True values; censored when all are True."""
    notsig = np.flatnonzero(~sig)
    if notsig.size == 0:
        return int(sig.size), True
    return int(notsig[0]), False


class _ClusterBlocks:
    """Per-cluster ``X'X`` and ``X'y`` blocks of a design, for a fast cluster bootstrap."""

    def __init__(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray, chunk_rows: int = 8192):
        n, p = X.shape
        self.p = p
        G = int(groups.max()) + 1
        self.G = G
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        if len(starts) != G:  # rows must be sorted by cluster
            raise RuntimeError("design rows are not grouped by cluster")
        self.n_rows = np.diff(np.r_[starts, n]).astype(float)
        self.xtx = np.empty((G, p * p))
        self.xty = np.empty((G, p))
        bounds = np.r_[starts, n]
        g0 = 0
        while g0 < G:
            # take whole clusters until about chunk_rows rows
            g1 = int(np.searchsorted(bounds, bounds[g0] + chunk_rows, side="right")) - 1
            g1 = min(max(g1, g0 + 1), G)
            r0, r1 = bounds[g0], bounds[g1]
            Xc = X[r0:r1]
            outer = (Xc[:, :, None] * Xc[:, None, :]).reshape(r1 - r0, p * p)
            local = starts[g0:g1] - r0
            self.xtx[g0:g1] = np.add.reduceat(outer, local, axis=0)
            self.xty[g0:g1] = np.add.reduceat(Xc * y[r0:r1, None], local, axis=0)
            g0 = g1

    def solve(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Coefficients and cluster-robust SEs of the data with cluster g repeated counts[g] times."""
        p = self.p
        c = np.asarray(counts, dtype=float)
        xtx = (c @ self.xtx).reshape(p, p)
        xty = c @ self.xty
        try:
            beta = np.linalg.solve(xtx, xty)
            bread = np.linalg.inv(xtx)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(beta)):
            return None
        # score of each cluster copy: X_g'(y_g - X_g b) = X_g'y_g - X_g'X_g b (clusters not drawn
        # have weight 0)
        scores = self.xty - self.xtx.reshape(-1, p, p) @ beta
        meat = (scores * c[:, None]).T @ scores
        n_clusters = c.sum()
        n_obs = c @ self.n_rows
        factor = n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - p)
        cov = factor * bread @ meat @ bread
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        return beta, se


def _bootstrap_h(
    design: _Design, *, alpha: float, n_boot: int, rng: np.random.Generator, min_effect: float = 0.0
) -> tuple[np.ndarray, np.ndarray, int]:
    blocks = _ClusterBlocks(design.X, design.y, design.groups)
    lag_idx = np.array([design.columns.index(c) for c in design.lag_columns])
    G = design.n_customers
    tcrit = stats.t.ppf(1 - alpha, G - 1)
    hs, cens, failed = [], [], 0
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, G, size=G), minlength=G)
        out = blocks.solve(counts)
        if out is None:
            failed += 1
            continue
        beta, se = out
        with np.errstate(divide="ignore", invalid="ignore"):
            sig = (beta[lag_idx] - min_effect) / se[lag_idx] > tcrit
        h, c = _h_from_significance(sig)
        hs.append(h)
        cens.append(c)
    return np.array(hs, dtype=int), np.array(cens, dtype=bool), failed


def _horizon_estimate(
    design: _Design, *, method: str, alpha: float, n_boot: int, rng: np.random.Generator,
    settings: dict, min_effect: float = 0.0,
) -> HorizonEstimate:
    profile = _fit_profile(design, method=method, alpha=alpha, settings=settings,
                           min_effect=min_effect, stacklevel=4)
    h, censored = _h_from_significance(profile.table["significant_positive"].to_numpy())
    if n_boot > 0:
        boot, boot_cens, failed = _bootstrap_h(design, alpha=alpha, n_boot=n_boot, rng=rng,
                                               min_effect=min_effect)
    else:
        boot, boot_cens, failed = np.array([], dtype=int), np.array([], dtype=bool), 0
    if failed:
        warnings.warn(
            f"{failed} of {n_boot} bootstrap replicates ({method}) had a singular design and were "
            "left out of the interval for H",
            NotEstimableWarning,
            stacklevel=3,
        )
    if boot.size:
        lo = float(np.quantile(boot, alpha / 2, method="lower"))
        hi = float(np.quantile(boot, 1 - alpha / 2, method="higher"))
        values, n = np.unique(boot, return_counts=True)
        dist = pd.DataFrame({"h": values.astype(int), "n": n.astype(int), "share": n / boot.size})
        share_cens = float(boot_cens.mean())
    else:
        lo = hi = share_cens = float("nan")
        dist = pd.DataFrame({"h": pd.Series(dtype=int), "n": pd.Series(dtype=int),
                             "share": pd.Series(dtype=float)})
    return HorizonEstimate(
        method=method, h=h, censored=censored, ci_lower=lo, ci_upper=hi,
        boot_share_censored=share_cens, distribution=dist, n_boot_failed=failed, profile=profile,
    )


def horizon(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposure: str,
    max_lag: int = 6,
    controls: str | list[str] | None = None,
    alpha: float = 0.05,
    n_boot: int = 200,
    seed: int | None = None,
    method: str = "pooled",
    robustness: bool = True,
    time_effects: bool = True,
    min_effect: float = 0.0,
) -> HorizonResult:
    """How many years an exposure keeps acting on an outcome: the horizon H, with a bootstrap interval.

    Parameters
    ----------
    panel, id, time, outcome, exposure, max_lag, controls, alpha, method, time_effects, min_effect
        As in :func:`lag_profile`. ``alpha`` is the level of the one-sided test of each lag;
        ``min_effect`` > 0 asks for lags significantly *larger than* a relevant size.
    n_boot : int, default 200
        Bootstrap replicates (resampling whole customers); 0 skips the bootstrap.
    seed : int, optional
        Seed of the bootstrap's random generator (``numpy.random.default_rng``).
    robustness : bool, default True
        Also compute H with the other estimator (``"within"`` when ``method="pooled"`` and vice
        versa) and report it beside the primary one.

    Returns
    -------
    HorizonResult
        ``primary`` and ``robustness`` (:class:`HorizonEstimate`: ``h``, ``censored``, ``ci_lower``,
        ``ci_upper``, ``boot_share_censored``, ``distribution``, ``profile``), ``definition`` (the
        text of :data:`HORIZON_DEFINITION`) and ``settings``. ``to_frame()`` gives one row per
        estimator.

    Raises
    ------
    CXValueError
        As :func:`lag_profile`; ``n_boot`` negative or not a whole number.

    Notes
    -----
    Definition (also :data:`HORIZON_DEFINITION`): with :math:`\\beta_k` the distributed-lag
    coefficient of lag k and :math:`t_k` its cluster-robust t statistic,

    .. math:: H = \\min\\{h \\ge 0 : t_h \\le t_{1-\\alpha,\\,G-1}\\}

    i.e. the number of consecutive lags 0, 1, …, H−1 significantly positive at one-sided level
    alpha, lag H not. If all lags 0..K are significant, H = K + 1 is a lower bound and ``censored``
    is True: re-run with a larger ``max_lag``. Each lag is tested at level alpha without a
    multiplicity correction, but the sequential rule stops at the first non-significant lag, so under
    no effect P(H >= 1) = P(lag 0 significant) = alpha (asymptotically). Likewise, when the true
    horizon is h and lags 0..h−1 are all detected, H overshoots h with probability about alpha (lag
    h is tested once); choose a smaller alpha for a more conservative horizon.

    Measurement error: if loyalty responds to a latent satisfaction that the survey measures with
    error, and satisfaction is persistent (a stable customer level), the pooled lags beyond the true
    horizon pick up part of the true lags' effect (older answers still carry information on the
    latent level), so the pooled H can run long in large samples. The within estimator removes the
    stable customer level and is less affected (not immune: the year-to-year persistence remains); a
    pooled H above the within H is a sign of this. ``min_effect`` (a smallest relevant effect) and a
    smaller ``alpha`` guard against horizons lengthened by tiny, merely significant lags.

    The interval is the bootstrap percentile interval (alpha/2, 1 − alpha/2 quantiles of the
    replicates' H) from ``n_boot`` resamples of customers with replacement; each replicate
    re-estimates the coefficients and their cluster-robust SEs (each drawn copy of a customer is a
    separate cluster) and re-reads H. The design is built once and the replicates are solved from
    per-customer cross-product blocks (see the module docstring).

    References
    ----------
    .. [1] Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
       inference with clustered errors. Review of Economics and Statistics 90(3), 414-427.
       doi:10.1162/rest.90.3.414
    .. [2] Mittal, V., Kumar, P., & Tsiros, M. (1999). Attribute-level performance, satisfaction,
       and behavioral intentions over time. Journal of Marketing 63(2), 88-101.
       doi:10.1177/002224299906300206
    """
    alpha = _check_alpha(alpha)
    min_effect = _check_min_effect(min_effect)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise CXValueError(f"n_boot must be a whole number >= 0; got {n_boot!r}")
    controls_l = _as_list(controls, "controls")
    if method not in METHODS:
        raise CXValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    settings = dict(
        id=id, time=time, outcome=outcome, exposure=exposure, max_lag=max_lag, controls=controls_l,
        alpha=alpha, n_boot=int(n_boot), seed=seed, method=method, robustness=bool(robustness),
        time_effects=bool(time_effects), min_effect=min_effect,
    )
    rng = np.random.default_rng(seed)
    methods = [method] + ([m for m in METHODS if m != method] if robustness else [])
    estimates = []
    for m in methods:
        design = _build_design(
            panel, id=id, time=time, outcome=outcome, exposure=exposure, max_lag=max_lag,
            controls=controls_l, time_effects=bool(time_effects), method=m,
        )
        estimates.append(
            _horizon_estimate(design, method=m, alpha=alpha, n_boot=int(n_boot), rng=rng,
                              settings={**settings, "method": m}, min_effect=min_effect)
        )
    return HorizonResult(
        primary=estimates[0],
        robustness=estimates[1] if len(estimates) > 1 else None,
        definition=HORIZON_DEFINITION,
        settings=settings,
    )


def horizons(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposures: list[str] | tuple[str, ...],
    seed: int | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """The horizon of several exposures on one outcome (e.g. every business process), one table.

    Parameters
    ----------
    panel, id, time, outcome
        As in :func:`horizon`.
    exposures : list of str
        Exposure columns, each analysed on its own (the others are not controls unless passed in
        ``controls``; an exposure is dropped from the controls of its own run).
    seed : int, optional
        Seed of the first exposure's bootstrap; exposure i uses ``seed + i`` (None: unseeded).
    **kwargs
        Any other keyword of :func:`horizon` (``max_lag``, ``controls``, ``alpha``, ``n_boot``,
        ``method``, ``robustness``, ``time_effects``, ``min_effect``).

    Returns
    -------
    pandas.DataFrame
        ``HorizonResult.to_frame()`` of each exposure stacked, with a first column ``exposure``:
        ``exposure, method, role, h, censored, ci_lower, ci_upper, boot_share_censored,
        n_customers, n_obs, n_boot, max_lag, alpha``.

    Raises
    ------
    CXValueError
        ``exposures`` empty or not column names; anything :func:`horizon` raises.
    """
    exps = _as_list(list(exposures) if isinstance(exposures, tuple) else exposures, "exposures")
    if not exps:
        raise CXValueError("exposures must name at least one column")
    controls = _as_list(kwargs.pop("controls", None), "controls")
    frames = []
    for i, exposure in enumerate(exps):
        res = horizon(panel, id=id, time=time, outcome=outcome, exposure=exposure,
                      controls=[c for c in controls if c != exposure] or None,
                      seed=None if seed is None else seed + i, **kwargs)
        f = res.to_frame()
        f.insert(0, "exposure", exposure)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------------
# dissatisfaction runs and churn
# --------------------------------------------------------------------------------------------------


def customer_years(
    customers: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    columns: str | list[str],
    id: str = "customer_id",
    time: str = "year",
    wave: str = "wave",
    active: str | None = "active",
) -> pd.DataFrame:
    """The CRM's customer-years with the survey answers of the same year (person-period data).

    Parameters
    ----------
    customers : pandas.DataFrame
        CRM panel, one row per customer × year (e.g. ``DemoStudy.customers``).
    responses : pandas.DataFrame
        Survey responses, one row per customer × wave.
    columns : str or list of str
        Survey columns to bring in (e.g. ``"overall_sat"``).
    id, time : str
        Customer id and year columns of ``customers`` (``id`` is also the survey's customer id).
    wave : str
        The survey's year column.
    active : str or None, default "active"
        Bool column of ``customers``: only active customer-years are kept (prospects are not yet
        at risk of churn). None keeps every row.

    Returns
    -------
    pandas.DataFrame
        The (active) rows of ``customers`` sorted by id and time, every CRM column, plus
        ``columns`` (NaN in years the customer did not answer).

    Raises
    ------
    CXValueError
        Missing columns; duplicated (id, year) in either frame; a survey column that clashes with a
        CRM column.
    """
    customers = _require_frame(customers, "customers")
    responses = _require_frame(responses, "responses")
    cols = _as_list(columns, "columns")
    _require_columns(customers, {"id": id, "time": time, "active": active})
    _require_columns(responses, {"id": id, "wave": wave})
    for c in cols:
        _require_columns(responses, {"columns": c})
        if c in customers.columns:
            raise CXValueError(f"columns: {c!r} is both a survey and a CRM column; rename one")
    _check_duplicates(customers, id, time)
    _check_duplicates(responses, id, wave)
    crm = customers
    if active is not None:
        crm = crm.loc[_as_binary(crm, active, "active").fillna(0).to_numpy() > 0]
    survey = responses[[id, wave, *cols]].rename(columns={wave: time})
    survey[time] = _time_as_int(survey, time)
    crm = crm.assign(**{time: _time_as_int(crm, time)})
    out = crm.merge(survey, on=[id, time], how="left", validate="one_to_one")
    return out.sort_values([id, time], kind="mergesort").reset_index(drop=True)


def dissatisfaction_runs(
    panel: pd.DataFrame, *, id: str, time: str, score: str, cut: float
) -> pd.DataFrame:
    """Count, for each customer-year, the consecutive years the customer has been dissatisfied.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per customer × year.
    id, time : str
        Customer id and year columns.
    score : str
        Numeric satisfaction column (e.g. ``"overall_sat"``).
    cut : float
        A year is dissatisfied when ``score <= cut``.

    Returns
    -------
    pandas.DataFrame
        The rows of ``panel`` with a non-missing score, sorted by id and time, columns ``id``,
        ``time``, ``score`` and: ``dissatisfied`` (bool) and ``run_length`` (int: the number of
        consecutive calendar years up to and including this one in which the customer was
        dissatisfied; 0 in a satisfied year).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns, non-whole years, duplicated (id, time), a non-numeric cut.

    Notes
    -----
    A run is broken by a satisfied year and by a year without a score (a skipped survey wave or a
    missing answer): an unobserved year is not evidence of dissatisfaction, so the count is a lower
    bound of the true run when the customer skipped a wave in the middle of it.
    """
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "score": score})
    _require_numeric(panel, score, "score")
    if isinstance(cut, bool) or not isinstance(cut, (int, float, np.integer, np.floating)):
        raise CXValueError(f"cut must be a number on the score's scale; got {cut!r}")
    t = _time_as_int(panel, time)
    _check_duplicates(panel, id, time)
    frame = pd.DataFrame({id: panel[id].to_numpy(), time: t, score: panel[score].to_numpy(dtype=float)})
    frame = frame.loc[frame[score].notna()].sort_values([id, time], kind="mergesort")
    frame = frame.reset_index(drop=True)
    d = (frame[score] <= cut).to_numpy()
    idv = frame[id].to_numpy()
    tv = frame[time].to_numpy()
    seg_start = np.r_[True, (idv[1:] != idv[:-1]) | (tv[1:] - tv[:-1] != 1)]
    block = np.cumsum(~d | seg_start)
    run = pd.Series(d.astype(np.int64)).groupby(block).cumsum().to_numpy()
    frame["dissatisfied"] = d
    frame["run_length"] = run.astype(np.int64)
    return frame


@dataclass(frozen=True)
class HazardResult:
    """A discrete-time hazard of churn on the dissatisfaction run length.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model term: ``term`` (``"run_1"``, ``"run_2"``, …, ``"run_4+"``, the score, the
        controls), ``estimate`` (log-odds), ``se``, ``odds_ratio``, ``ci_lower``, ``ci_upper`` (of
        the odds ratio), ``p_value``, ``estimable`` (bool; False when the run category has no churn
        event, or only events: its odds ratio is 0 or infinite and is reported as NaN).
    rates : pandas.DataFrame
        The observed hazard by run length: ``run_length`` (``"0"``, ``"1"``, …, ``"4+"``),
        ``person_years``, ``events``, ``hazard`` (events / person-years).
    n_obs, n_customers, n_events : int
        Person-years, customers and churn events in the fitted data.
    settings : dict
        The arguments it ran with.
    """

    table: pd.DataFrame
    rates: pd.DataFrame
    n_obs: int
    n_customers: int
    n_events: int
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The odds-ratio table with ``n_obs``, ``n_customers`` and ``n_events`` columns."""
        out = self.table.copy()
        out["n_obs"] = self.n_obs
        out["n_customers"] = self.n_customers
        out["n_events"] = self.n_events
        return out


def _run_label(k: int, max_run: int) -> str:
    return f"{k}+" if k == max_run else str(k)


def churn_hazard(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    score: str,
    churn: str,
    cut: float,
    max_run: int = 4,
    controls: str | list[str] | None = None,
    include_score: bool = True,
    alpha: float = 0.05,
) -> HazardResult:
    """Discrete-time hazard of churn on the number of consecutive dissatisfied years.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per customer × year while the customer is a customer (person-period data), with the
        satisfaction score of that year (missing if not surveyed) and the churn flag.
    id, time : str
        Customer id and year columns.
    score : str
        Numeric satisfaction (e.g. ``"overall_sat"``); rows with a missing score are left out and
        break runs (see :func:`dissatisfaction_runs`).
    churn : str
        Bool or 0/1 column: True when the customer is lost at the end of this year (i.e. does not
        come back next year). Years after churn must not be in the panel.
    cut : float
        A year is dissatisfied when ``score <= cut``.
    max_run : int, default 4
        Runs of this length or longer share one category (``"4+"``).
    controls : str or list of str, optional
        Further numeric covariates of year t.
    include_score : bool, default True
        Adjust for the current score (the model then separates "dissatisfied for k years" from "how
        dissatisfied now").
    alpha : float, default 0.05
        1 − confidence level of the odds-ratio intervals.

    Returns
    -------
    HazardResult
        ``table`` (odds ratios of run categories 1..max_run against run 0 = satisfied now, and of the
        score and controls), ``rates`` (observed hazards), ``n_obs``, ``n_customers``, ``n_events``.

    Raises
    ------
    CXValueError
        Bad columns or parameters; the churn column has values other than 0/1/True/False; there is
        no churn event (or no non-event) in the data: the hazard is then not estimable.

    Warns
    -----
    NotEstimableWarning
        A run category has no events (or only events); its odds ratio is reported as NaN with
        ``estimable=False`` and its person-years are left out of the fit (which is the maximum
        likelihood limit for the other coefficients).

    Notes
    -----
    Logit model on person-period data (Allison 1982; Singer & Willett 1993):

    .. math:: \\operatorname{logit} P(\\text{churn}_{it}=1 \\mid \\text{active at } t)
              = \\alpha + \\sum_{k=1}^{K} \\delta_k [\\min(r_{it}, K) = k] + \\beta s_{it} + \\gamma' z_{it}

    with :math:`r_{it}` the run length in year t and :math:`s_{it}` the score. The odds ratio
    :math:`e^{\\delta_k}` compares a customer in the k-th consecutive dissatisfied year with a
    satisfied one of the same current score. Standard errors are maximum likelihood ones: the
    person-period likelihood factorises over years, so they are valid for the discrete-time
    hazard; intervals are Wald intervals on the log-odds scale, exponentiated. Unweighted.

    References
    ----------
    .. [1] Allison, P. D. (1982). Discrete-time methods for the analysis of event histories.
       Sociological Methodology 13, 61-98. doi:10.2307/270718
    .. [2] Singer, J. D., & Willett, J. B. (1993). It's about time: using discrete-time survival
       analysis to study duration and the timing of events. Journal of Educational Statistics
       18(2), 155-195. doi:10.3102/10769986018002155
    """
    alpha = _check_alpha(alpha)
    panel = _require_frame(panel)
    _require_columns(panel, {"churn": churn})
    controls_l = _as_list(controls, "controls")
    for c in controls_l:
        _require_columns(panel, {"controls": c})
        _require_numeric(panel, c, "controls")
    if isinstance(max_run, bool) or not isinstance(max_run, (int, np.integer)) or max_run < 1:
        raise CXValueError(f"max_run must be a whole number >= 1; got {max_run!r}")
    max_run = int(max_run)
    ch_num = _as_binary(panel, churn, "churn")

    runs = dissatisfaction_runs(panel, id=id, time=time, score=score, cut=cut)
    extra = pd.DataFrame({id: panel[id].to_numpy(), time: _time_as_int(panel, time),
                          "_churn": ch_num.to_numpy(dtype=float)})
    for c in controls_l:
        extra[c] = panel[c].to_numpy(dtype=float)
    data = runs.merge(extra, on=[id, time], how="left", validate="one_to_one")
    data = data.loc[data[["_churn", *controls_l]].notna().all(axis=1)].reset_index(drop=True)
    n_events_all = int(data["_churn"].sum())
    if len(data) == 0 or n_events_all == 0 or n_events_all == len(data):
        raise CXValueError(
            f"churn column {churn!r} has {n_events_all} events in {len(data)} person-years with a "
            f"score: the churn hazard is not estimable (it needs both churned and retained years)"
        )
    cat = np.minimum(data["run_length"].to_numpy(), max_run)
    labels = [_run_label(k, max_run) for k in range(max_run + 1)]
    y = data["_churn"].to_numpy()
    rates = pd.DataFrame(
        {
            "run_length": labels,
            "person_years": [int((cat == k).sum()) for k in range(max_run + 1)],
            "events": [int(y[cat == k].sum()) for k in range(max_run + 1)],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        rates["hazard"] = rates["events"] / rates["person_years"].where(rates["person_years"] > 0)

    # categories with no events (or only events) have an infinite MLE; drop their rows
    degenerate = [k for k in range(max_run + 1)
                  if rates.loc[k, "person_years"] > 0
                  and rates.loc[k, "events"] in (0, rates.loc[k, "person_years"])]
    empty = [k for k in range(max_run + 1) if rates.loc[k, "person_years"] == 0]
    if 0 in degenerate or 0 in empty:
        raise CXValueError(
            f"the reference category (run 0: score above cut={cut!r}) has "
            f"{int(rates.loc[0, 'person_years'])} person-years and {int(rates.loc[0, 'events'])} events:"
            " the odds ratios are not estimable (check the cut)"
        )
    if degenerate or empty:
        names = [labels[k] for k in degenerate + empty]
        warnings.warn(
            f"churn hazard: run length {', '.join(names)} has no churn events, only events, or no "
            "person-years; its odds ratio is not estimable and is reported as NaN",
            NotEstimableWarning,
            stacklevel=2,
        )
    fit_rows = ~np.isin(cat, degenerate)
    fit_cats = [k for k in range(1, max_run + 1) if k not in degenerate and k not in empty]
    cols = {f"run_{labels[k]}": (cat[fit_rows] == k).astype(float) for k in fit_cats}
    if include_score:
        cols[score] = data[score].to_numpy(dtype=float)[fit_rows]
    for c in controls_l:
        cols[c] = data[c].to_numpy(dtype=float)[fit_rows]
    X = pd.DataFrame(cols)
    X.insert(0, "const", 1.0)
    yf = y[fit_rows]
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise CXValueError(f"the hazard design is rank deficient; columns: {list(X.columns)}")
    fit = sm.Logit(yf, X).fit(disp=0, method="newton", maxiter=100, warn_convergence=False)
    if not fit.mle_retvals.get("converged", True):
        warnings.warn(
            "churn hazard: the logit did not converge in 100 Newton steps (quasi-separation?); "
            "read the odds ratios with care",
            NotEstimableWarning,
            stacklevel=2,
        )
    z = stats.norm.ppf(1 - alpha / 2)
    params, se = fit.params, fit.bse
    rows = []
    for k in range(1, max_run + 1):
        name = f"run_{labels[k]}"
        if name in params.index:
            b, s = float(params[name]), float(se[name])
            rows.append((name, b, s, True))
        else:
            rows.append((name, float("nan"), float("nan"), False))
    for name in [c for c in X.columns if not c.startswith("run_") and c != "const"]:
        rows.append((name, float(params[name]), float(se[name]), True))
    table = pd.DataFrame(rows, columns=["term", "estimate", "se", "estimable"])
    table["odds_ratio"] = np.exp(table["estimate"])
    table["ci_lower"] = np.exp(table["estimate"] - z * table["se"])
    table["ci_upper"] = np.exp(table["estimate"] + z * table["se"])
    table["p_value"] = 2 * stats.norm.sf(np.abs(table["estimate"] / table["se"]))
    table = table[["term", "estimate", "se", "odds_ratio", "ci_lower", "ci_upper", "p_value",
                   "estimable"]]
    settings = dict(id=id, time=time, score=score, churn=churn, cut=cut, max_run=max_run,
                    controls=controls_l, include_score=bool(include_score), alpha=alpha)
    return HazardResult(
        table=table,
        rates=rates,
        n_obs=int(fit_rows.sum()),
        n_customers=int(data.loc[fit_rows, id].nunique()),
        n_events=int(yf.sum()),
        settings=settings,
    )
