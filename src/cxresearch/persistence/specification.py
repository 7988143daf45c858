"""Which lag estimator to believe: the pooled model tested against stable customer differences.

:func:`mundlak_test` is the correlated-random-effects (Mundlak) test of the pooled distributed lag:
add each customer's means of the regressors to the pooled regression and test, with a
cluster-robust Wald test, that the means carry no information. If they do, customers differ in a
stable way that goes with their satisfaction level (a stable trait — loyalty propensity, tenure, the
kind of business — that the pooled lags mistake for persistence), and only the within-customer
(fixed-effects) lags can be read as effects. :func:`~cxresearch.persistence.horizon` uses it to choose
its primary estimator (``method="auto"``, the default).

:func:`feedback_check` is Wooldridge's test of strict exogeneity: the exposure one year *ahead* added
to the within regression. Loyalty this year cannot be caused by next year's satisfaction; a
significant lead says that this year's loyalty shock feeds into later satisfaction (feedback), which
biases the within estimator (by a term of order 1/T, T the years per customer).

References: Mundlak (1978), doi:10.2307/1913646; Wooldridge (2010), *Econometric Analysis of Cross
Section and Panel Data*, 2nd ed., MIT Press, sections 10.7.2-10.7.3 (ISBN 978-0-262-23258-6);
Cameron & Miller (2015), doi:10.3368/jhr.50.2.317.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch.persistence._panel import _as_list, _check_alpha
from cxresearch.persistence.lags import _build_design, _Design


@dataclass(frozen=True)
class SpecificationTest:
    """The pooled distributed lag tested against customer fixed effects (Mundlak / CRE Wald test).

    Attributes
    ----------
    statistic : float
        Cluster-robust Wald statistic :math:`W = \\hat\\delta' \\hat V_\\delta^{-1} \\hat\\delta` of the
        customer-mean coefficients (chi-square with ``df`` degrees of freedom asymptotically).
    df : int
        Number of tested means (the exposure lags and the controls).
    df_denom : int
        Denominator degrees of freedom of the F version, G − 1 (G customers).
    p_value : float
        ``P(F(df, G−1) > W/df)``.
    reject : bool
        ``p_value < alpha``: the pooled model is rejected.
    chosen : str
        ``"within"`` if rejected, else ``"pooled"``.
    means : pandas.DataFrame
        The customer-mean coefficients: ``term``, ``estimate``, ``se``, ``p_value`` (two-sided t, G − 1 df).
    alpha : float
    n_customers, n_obs : int
    """

    statistic: float
    df: int
    df_denom: int
    p_value: float
    reject: bool
    chosen: str
    means: pd.DataFrame
    alpha: float
    n_customers: int
    n_obs: int
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``test, statistic, df, df_denom, p_value, reject, chosen, alpha, n_customers, n_obs``."""
        return pd.DataFrame(
            [
                {
                    "test": "mundlak",
                    "statistic": self.statistic,
                    "df": self.df,
                    "df_denom": self.df_denom,
                    "p_value": self.p_value,
                    "reject": self.reject,
                    "chosen": self.chosen,
                    "alpha": self.alpha,
                    "n_customers": self.n_customers,
                    "n_obs": self.n_obs,
                }
            ]
        )


def _group_means(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    counts = np.bincount(groups).astype(float)
    sums = np.zeros((counts.size, a.shape[1]))
    np.add.at(sums, groups, a)
    return (sums / counts[:, None])[groups]


def _mundlak_from_design(
    design: _Design, *, alpha: float, settings: dict | None = None
) -> SpecificationTest:
    """The Mundlak test on a pooled design (first column the constant)."""
    X = design.X
    cols = design.columns
    tested = [i for i, c in enumerate(cols) if c != "const" and not c.startswith("year_")]
    years = [i for i, c in enumerate(cols) if c.startswith("year_")]
    M = _group_means(X[:, tested + years], design.groups)
    Z = np.column_stack([X, M[:, : len(tested)]])
    # the year indicators' means (they differ between customers only in an unbalanced panel) make the
    # lag coefficients equal the within ones exactly; keep those that add rank, leave them untested
    rank = np.linalg.matrix_rank(Z)
    for j in range(len(years)):
        cand = np.column_stack([Z, M[:, len(tested) + j]])
        r = np.linalg.matrix_rank(cand)
        if r > rank:
            Z, rank = cand, r
    fit = sm.OLS(design.y, Z).fit(cov_type="cluster", cov_kwds={"groups": design.groups})
    idx = np.arange(X.shape[1], X.shape[1] + len(tested))
    b = np.asarray(fit.params)[idx]
    V = np.asarray(fit.cov_params())[np.ix_(idx, idx)]
    W = float(b @ np.linalg.solve(V, b))
    q = len(idx)
    G = design.n_customers
    p = float(stats.f.sf(W / q, q, G - 1))
    se = np.sqrt(np.diag(V))
    means = pd.DataFrame(
        {
            "term": [f"mean_{cols[i]}" for i in tested],
            "estimate": b,
            "se": se,
            "p_value": 2 * stats.t.sf(np.abs(b / se), G - 1),
        }
    )
    reject = bool(p < alpha)
    return SpecificationTest(
        statistic=W,
        df=q,
        df_denom=G - 1,
        p_value=p,
        reject=reject,
        chosen="within" if reject else "pooled",
        means=means,
        alpha=alpha,
        n_customers=G,
        n_obs=design.n_obs,
        settings=dict(settings or {}),
    )


def mundlak_test(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposure: str,
    max_lag: int = 6,
    controls: str | list[str] | None = None,
    alpha: float = 0.05,
    time_effects: bool = True,
) -> SpecificationTest:
    """Test the pooled distributed lag against customer fixed effects (Mundlak's correlated random effects).

    Parameters
    ----------
    panel, id, time, outcome, exposure, max_lag, controls, time_effects
        As in :func:`~cxresearch.persistence.lag_profile`.
    alpha : float, default 0.05
        Level of the test: the pooled model is rejected (``chosen="within"``) when ``p_value < alpha``.

    Returns
    -------
    SpecificationTest
        ``statistic``, ``df``, ``df_denom``, ``p_value``, ``reject``, ``chosen``, ``means`` (the
        customer-mean coefficients), ``to_frame()``.

    Raises
    ------
    CXValueError
        As :func:`~cxresearch.persistence.lag_profile`.

    Notes
    -----
    The auxiliary regression, on the complete customer-years of the pooled lag design:

    .. math:: y_{it} = \\alpha + \\sum_k \\beta_k x_{i,t-k} + \\gamma' z_{it} + \\tau_t
              + \\sum_k \\delta_k \\bar x_{i,\\cdot-k} + \\eta' \\bar z_i + \\kappa' \\bar\\tau_i
              + \\varepsilon_{it}

    with :math:`\\bar x_{i,\\cdot-k}` customer i's mean of lag k over its complete years (likewise the
    controls :math:`\\bar z_i` and the year indicators :math:`\\bar\\tau_i`; year-indicator means are
    kept when they are not collinear and are not tested). By Frisch–Waugh–Lovell the :math:`\\beta_k`
    of this regression equal the within (fixed-effects) estimates exactly. The pooled model holds when
    the customer effect is unrelated to the regressors, i.e. :math:`\\delta = 0, \\eta = 0`; the Wald
    statistic :math:`W = \\hat\\theta'\\hat V^{-1}\\hat\\theta` with :math:`\\hat V` the cluster-robust
    covariance (clusters = customers, factor :math:`\\frac{G}{G-1}\\frac{N-1}{N-p}`, as statsmodels
    ``cov_type="cluster"`` and R ``sandwich::vcovCL``) is referred to :math:`F(q, G-1)` after division
    by q (Cameron & Miller 2015, section VI). Unlike the classical Hausman test it stays valid with
    heteroskedastic, serially correlated errors. Checked against R (``lm`` + ``sandwich::vcovCL`` and
    the Wald statistic written out) in ``tests/test_persistence_r.py``.

    References
    ----------
    .. [1] Mundlak, Y. (1978). On the pooling of time series and cross section data. Econometrica
       46(1), 69-85. doi:10.2307/1913646
    .. [2] Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data (2nd ed.),
       sections 10.7.2-10.7.3. MIT Press.
    .. [3] Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
       Journal of Human Resources 50(2), 317-372. doi:10.3368/jhr.50.2.317

    Examples
    --------
    Pooled or within estimates of the demo study's satisfaction-to-repurchase lags?

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> test = cx.persistence.mundlak_test(panel, id="customer_id", time="year",
    ...                                    outcome="repurchase", exposure="overall_sat", max_lag=3)
    >>> round(test.statistic, 2), test.df, test.df_denom, round(test.p_value, 4), test.chosen
    (15.53, 4, 215, 0.0046, 'within')
    """
    alpha = _check_alpha(alpha)
    controls_l = _as_list(controls, "controls")
    design = _build_design(
        panel,
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        time_effects=bool(time_effects),
        method="pooled",
    )
    settings = dict(
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        alpha=alpha,
        time_effects=bool(time_effects),
    )
    return _mundlak_from_design(design, alpha=alpha, settings=settings)


def feedback_check(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    outcome: str,
    exposure: str,
    max_lag: int = 6,
    controls: str | list[str] | None = None,
    alpha: float = 0.05,
    time_effects: bool = True,
) -> pd.DataFrame:
    """Does this year's outcome feed back into next year's exposure? (strict-exogeneity check).

    Adds the exposure one year ahead, :math:`x_{i,t+1}`, to the within (fixed-effects) distributed lag
    and tests its coefficient. Today's loyalty cannot be caused by next year's satisfaction, so under
    strict exogeneity the lead's coefficient is zero; a significant lead means loyalty shocks move
    later satisfaction (feedback — e.g. loyal customers buy more, are served more and grow more
    satisfied), and the within estimates carry a bias of order 1/T.

    Parameters
    ----------
    panel, id, time, outcome, exposure, max_lag, controls, time_effects, alpha
        As in :func:`mundlak_test`; the panel needs ``max_lag + 3`` distinct years.

    Returns
    -------
    pandas.DataFrame
        One row: ``term`` (``<exposure>_lead1``), ``estimate``, ``se`` (cluster-robust), ``ci_lower``,
        ``ci_upper``, ``p_value`` (two-sided t, G − 1 df), ``significant`` (``p_value < alpha``),
        ``n_customers``, ``n_obs``.

    References
    ----------
    .. [1] Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data (2nd ed.),
       section 10.7.1 (testing strict exogeneity with a lead). MIT Press.

    Examples
    --------
    Does repurchase intent feed back into next year's satisfaction in the demo study (none is
    built into it)?

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> res = cx.persistence.feedback_check(panel, id="customer_id", time="year",
    ...                                     outcome="repurchase", exposure="overall_sat", max_lag=2)
    >>> res[["term", "estimate", "se", "p_value", "significant"]].round(3)
                    term  estimate     se  p_value  significant
    0  overall_sat_lead1    -0.048  0.053    0.361        False
    """
    alpha = _check_alpha(alpha)
    controls_l = _as_list(controls, "controls")
    design = _build_design(
        panel,
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        time_effects=bool(time_effects),
        method="within",
        lead=True,
    )
    return _feedback_from_design(design, exposure=exposure, alpha=alpha)


def _feedback_from_design(design: _Design, *, exposure: str, alpha: float) -> pd.DataFrame:
    fit = sm.OLS(design.y, design.X).fit(cov_type="cluster", cov_kwds={"groups": design.groups})
    j = design.columns.index(f"{exposure}_lead1")
    b, se = float(np.asarray(fit.params)[j]), float(np.asarray(fit.bse)[j])
    G = design.n_customers
    tcrit = stats.t.ppf(1 - alpha / 2, G - 1)
    p = float(2 * stats.t.sf(abs(b / se), G - 1))
    return pd.DataFrame(
        [
            {
                "term": f"{exposure}_lead1",
                "estimate": b,
                "se": se,
                "ci_lower": b - tcrit * se,
                "ci_upper": b + tcrit * se,
                "p_value": p,
                "significant": bool(p < alpha),
                "n_customers": G,
                "n_obs": design.n_obs,
            }
        ]
    )
