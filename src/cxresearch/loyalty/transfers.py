"""The transfer penalty: the relative loss of loyalty, and of the chance of being a promoter, per
transfer between departments (statsmodels GLM, Poisson quasi-likelihood with a log link).

References: Santos Silva & Tenreyro (2006), doi:10.1162/rest.88.4.641; Zou (2004),
doi:10.1093/aje/kwh090.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import NPS_PROMOTER_MIN
from cxresearch.errors import CXValueError
from cxresearch.persistence._panel import (
    _as_list,
    _check_alpha,
    _require_columns,
    _require_frame,
    _require_numeric,
)


@dataclass(frozen=True, repr=False)
class TransferPenaltyResult(ResultDisplay):
    """The relative loss of loyalty per transfer between departments.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per measure (``"loyalty"``: the mean of the loyalty outcome; ``"promoter"``: the
        probability of a promoter score): ``measure``, ``outcome`` (column), ``estimate`` (relative
        loss per transfer, 1 − e^b; 0.10 = each transfer costs 10 %), ``ci_lower``, ``ci_upper``,
        ``log_ratio`` (b), ``se`` (of b, cluster-robust when ``id`` is given), ``p_value`` (H0:
        no change), ``n``, ``n_customers``.
    settings : dict
    """

    table: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The table."""
        return self.table.copy()


def transfer_penalty(
    responses: pd.DataFrame,
    *,
    outcome: str = "repurchase",
    transfers: str = "transfers",
    drivers: str | list[str] | None = None,
    id: str | None = "customer_id",
    promoter: str | None = "recommend",
    promoter_min: float = NPS_PROMOTER_MIN,
    alpha: float = 0.05,
) -> TransferPenaltyResult:
    """Relative change in loyalty, and in the chance of being a promoter, per transfer.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses (customer × wave), with the loyalty outcome, the transfer count of the last
        service contact and the drivers.
    outcome : str, default "repurchase"
        Loyalty outcome, non-negative (e.g. repurchase intent 0–10).
    transfers : str, default "transfers"
        Number of transfers between departments in the last service contact (>= 0).
    drivers : str or list of str, optional
        Satisfaction drivers to control for (numeric).
    id : str or None, default "customer_id"
        Customer id for cluster-robust SEs (customers answer several waves); None: robust (HC0) SEs.
    promoter : str or None, default "recommend"
        Recommendation score; the second row models P(promoter_min <= score). None: loyalty only.
    promoter_min : float, default 9
        Lowest promoter score.
    alpha : float, default 0.05
        1 − level of the intervals.

    Returns
    -------
    TransferPenaltyResult
        ``table`` with one row per measure (see the class).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns; negative outcome or transfers; transfers without variation
        (the penalty is then not estimable).

    Notes
    -----
    Both measures use a log-link model, :math:`E[y \\mid T, x] = \\exp(a + bT + c'x)`, fitted by
    Poisson quasi-maximum likelihood (statsmodels ``GLM``), which is consistent for b whenever the
    conditional mean is exponential, whatever the distribution of y (a rating, a 0/1 promoter
    flag: "modified Poisson" regression, Zou 2004). Then :math:`e^b` is the ratio of the mean (of the
    probability) with one more transfer, and the penalty is :math:`1 - e^b`, with the interval
    :math:`1 - e^{b \\mp z_{1-\\alpha/2} se}`. Standard errors are sandwich ones clustered by customer
    (statsmodels ``cov_type="cluster"``; HC0 without ``id``). Complete cases; unweighted.

    References
    ----------
    .. [1] Santos Silva, J. M. C., & Tenreyro, S. (2006). The log of gravity. Review of Economics
       and Statistics 88(4), 641-658. doi:10.1162/rest.88.4.641
    .. [2] Zou, G. (2004). A modified Poisson regression approach to prospective studies with binary
       data. American Journal of Epidemiology 159(7), 702-706. doi:10.1093/aje/kwh090

    Examples
    --------
    What each transfer between departments in the last service contact costs in repurchase intent
    and in the chance of being a promoter, in the demo study (true loyalty cost: about 10% per
    transfer):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> res = cx.loyalty.transfer_penalty(study.responses, outcome="repurchase",
    ...                                   transfers="transfers", promoter="recommend")
    >>> res.table[["measure", "estimate", "ci_lower", "ci_upper", "n", "n_customers"]].round(3)
        measure  estimate  ci_lower  ci_upper     n  n_customers
    0   loyalty     0.093     0.077     0.110  1708          424
    1  promoter     0.614     0.511     0.696  1708          424
    """
    alpha = _check_alpha(alpha)
    responses = _require_frame(responses, "responses")
    drivers_l = _as_list(drivers, "drivers")
    _require_columns(
        responses, {"outcome": outcome, "transfers": transfers, "id": id, "promoter": promoter}
    )
    for c in drivers_l:
        _require_columns(responses, {"drivers": c})
    for col, param in (
        [(outcome, "outcome"), (transfers, "transfers")]
        + [(c, "drivers") for c in drivers_l]
        + ([(promoter, "promoter")] if promoter else [])
    ):
        _require_numeric(responses, col, param)
    if transfers in drivers_l:
        raise CXValueError(f"drivers must not include the transfers column {transfers!r}")
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    measures = [("loyalty", outcome)] + ([("promoter", promoter)] if promoter else [])
    for measure, col in measures:
        cols = [col, transfers, *drivers_l] + ([id] if id else [])
        d = responses[cols].dropna()
        y = d[col].to_numpy(dtype=float)
        if measure == "promoter":
            y = (y >= promoter_min).astype(float)
        elif (y < 0).any():
            raise CXValueError(
                f"outcome column {outcome!r} must be >= 0 for a relative change; got {y.min()!r}"
            )
        T = d[transfers].to_numpy(dtype=float)
        if (T < 0).any():
            raise CXValueError(f"transfers column {transfers!r} must be >= 0; got {T.min()!r}")
        if np.unique(T).size < 2:
            raise CXValueError(
                f"transfers column {transfers!r} takes a single value in the {len(d)} "
                "complete rows: the transfer penalty is not estimable"
            )
        if y.sum() == 0:
            raise CXValueError(
                f"{measure}: every {col!r} is zero (no promoters)"
                " in the complete rows: not estimable"
            )
        X = np.column_stack([np.ones(len(d)), T, d[drivers_l].to_numpy(dtype=float)])
        model = sm.GLM(y, X, family=sm.families.Poisson())
        if id:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[id])[0]})
        else:
            fit = model.fit(cov_type="HC0")
        b, se = float(fit.params[1]), float(fit.bse[1])
        rows.append(
            {
                "measure": measure,
                "outcome": col,
                "estimate": 1 - np.exp(b),
                "ci_lower": 1 - np.exp(b + z * se),
                "ci_upper": 1 - np.exp(b - z * se),
                "log_ratio": b,
                "se": se,
                "p_value": float(2 * stats.norm.sf(abs(b / se))),
                "n": int(len(d)),
                "n_customers": int(d[id].nunique()) if id else int(len(d)),
            }
        )
    return TransferPenaltyResult(
        table=pd.DataFrame(rows),
        settings=dict(
            outcome=outcome,
            transfers=transfers,
            drivers=drivers_l,
            id=id,
            promoter=promoter,
            promoter_min=promoter_min,
            alpha=alpha,
        ),
    )
