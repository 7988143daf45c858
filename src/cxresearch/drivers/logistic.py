"""Key drivers of a binary outcome (churned, promoter yes/no): logistic relative weights
(Tonidandel & LeBreton 2010) and odds ratios with Wald intervals.

The point fit is statsmodels' GLM (binomial, logit link). Bootstrap replicates refit by a few
Newton steps started from the full-sample estimate (hand-written because a thousand statsmodels
fits cost seconds, and the replicate fit is the same likelihood).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError

from . import _bootstrap
from ._data import check_columns, kish, prepare
from .linear import (
    BootstrapWarning,
    _check_common,
    _differences,
    _dropped,
    _rank,
    _settings,
    _with_fit,
)

PI2_3 = np.pi**2 / 3


@dataclass(frozen=True, repr=False)
class LogisticDriverResult(ResultDisplay):
    """Drivers of a binary outcome.

    Attributes
    ----------
    importance : pandas.DataFrame
        ``driver``, ``raw_weight`` (logistic relative weight; they sum to ``r2``), ``share``
        (raw_weight / r2), ``rank``; with ``ci`` also ``se``, ``ci_lower``, ``ci_upper`` of the
        share.
    odds_ratios : pandas.DataFrame
        ``driver``, ``coef`` (log odds ratio per unit of the driver, others held fixed), ``se``,
        ``estimate`` (odds ratio), ``ci_lower``, ``ci_upper`` (Wald interval, exponentiated),
        ``p_value`` (Wald z test). Standard errors are model-based without weights and
        sandwich (as ``survey::svyglm`` with a weights-only design) with weights.
    differences : pandas.DataFrame or None
        As in :class:`DriverResult` (pairwise differences of shares), when ``ci``.
    r2 : float
        McKelvey–Zavoina R²: var(η̂) / (var(η̂) + π²/3).
    n, n_eff, events : int, float, float
        Rows used, Kish effective size, (weighted) number of outcome = 1.
    """

    importance: pd.DataFrame
    odds_ratios: pd.DataFrame
    outcome: str
    drivers: tuple[str, ...]
    r2: float
    n: int
    n_eff: float
    events: float
    dropped: pd.DataFrame
    weights: str | None = None
    ci: bool = False
    ci_method: str | None = None
    n_boot: int | None = None
    n_boot_used: int | None = None
    alpha: float = 0.05
    seed: Any = None
    differences: pd.DataFrame | None = None
    method: str = "logistic_relative_weights"
    value_column: str = "raw_weight"

    @property
    def settings(self) -> dict:
        return _settings(self, missing="listwise")

    def to_frame(self) -> pd.DataFrame:
        """``importance`` joined with the odds ratios (prefixed ``or_``) and fit statistics."""
        ors = self.odds_ratios.drop(columns="driver").add_prefix("or_")
        out = pd.concat(
            [self.importance.reset_index(drop=True), ors.reset_index(drop=True)], axis=1
        )
        return _with_fit(out, self)


def _wvar(x, w):
    """Weighted variance with the n/(n-1) correction (R's var() when unweighted)."""
    n = x.shape[0]
    m = w @ x / w.sum()
    return (w @ (x - m) ** 2) / w.sum() * n / (n - 1)


def _orthogonal(X, w):
    """Standardise X (weighted) and return (Xs, Lambda, T) with Z = Xs T uncorrelated."""
    m = w @ X / w.sum()
    sd = np.sqrt(np.array([_wvar(X[:, j], w) for j in range(X.shape[1])]))
    Xs = (X - m) / sd
    R = (Xs * w[:, None]).T @ Xs / w.sum()
    R = R / np.sqrt(np.outer(np.diag(R), np.diag(R)))
    vals, vecs = np.linalg.eigh(R)
    Lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    T = vecs @ np.diag(1 / np.sqrt(vals)) @ vecs.T
    return Xs, sd, Lam, T


def _rw_from_fit(Xs, w, Lam, T, beta_s):
    """Relative weights from the standardised-scale logit coefficients ``beta_s`` (no intercept)."""
    eta = Xs @ beta_s
    v = _wvar(eta, w)
    r2 = v / (v + PI2_3)
    Z = Xs @ T
    bz = np.linalg.solve(T, beta_s)  # coefficients on Z: Xs beta_s = Z T^{-1} beta_s
    sdz = np.sqrt(np.array([_wvar(Z[:, k], w) for k in range(Z.shape[1])]))
    beta = bz * sdz * np.sqrt(r2) / np.sqrt(v)
    raw = (Lam**2) @ beta**2
    return raw, r2


def _newton(Xd, y, w, start, max_iter=50, tol=1e-10):
    """Weighted logistic MLE by Newton–Raphson; None if it does not converge (separation)."""
    b = start.copy()
    for _ in range(max_iter):
        eta = np.clip(Xd @ b, -35, 35)
        mu = 1 / (1 + np.exp(-eta))
        g = Xd.T @ (w * (y - mu))
        H = (Xd * (w * mu * (1 - mu))[:, None]).T @ Xd
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return None
        b = b + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(b))):
            return b if np.all(np.abs(b) < 50) else None
    return None


def logistic(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    weights: str | None = None,
    on_degenerate: str = "drop",
    ci: bool = False,
    ci_method: str = "percentile",
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed=None,
) -> LogisticDriverResult:
    """Drivers of a binary outcome: logistic relative weights and odds ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (or customer). Not modified.
    outcome : str
        0/1 or bool column (e.g. churned next year, promoter). Both values must occur.
    drivers : list of str
        Numeric driver columns.
    weights : str, optional
        Sampling weights (finite, >= 0).
    on_degenerate : {'drop', 'raise'}
        Constant or perfectly collinear drivers: dropped with a warning, or an error.
    ci : bool
        Bootstrap (respondents resampled with their weights, the model refitted) intervals for
        the shares and their pairwise differences.
    ci_method : {'percentile', 'bca'}
        BCa uses a jackknife of up to 1,000 random groups (one refit each).
    n_boot, alpha, seed
        Replicates, 1 - confidence level, random seed.

    Returns
    -------
    LogisticDriverResult

    Raises
    ------
    CXValueError
        As :func:`cxresearch.drivers.importance`; an outcome that is not 0/1 or has one value
        only; a model that does not converge (complete separation).

    Notes
    -----
    Relative weights for logistic regression (Tonidandel & LeBreton 2010, as in RWA-Web): the
    standardised drivers ``X`` are replaced by their closest orthogonal counterparts
    ``Z = X R^{-1/2}`` (``Λ = R^{1/2}``); the logit coefficients ``b`` on ``Z`` are standardised as
    ``β_k = b_k sd(Z_k) R_MZ / sd(η̂)`` with ``R²_MZ = var(η̂)/(var(η̂) + π²/3)``
    (McKelvey & Zavoina 1975), and ``ε_j = Σ_k Λ_jk² β_k²``, which sum to ``R²_MZ``. Variances
    use the divisor n - 1 (weighted: Σw (x - x̄)²/Σw · n/(n - 1)). Weights are sampling
    weights; with weights the odds-ratio standard errors are the sandwich
    ``A^{-1} B A^{-1}``, ``B = n/(n-1) Σ u_i u_i'`` (u_i the weighted score), as
    ``survey::svyglm`` for a weights-only design. Wald intervals use the normal quantile.

    References
    ----------
    Tonidandel, S., & LeBreton, J. M. (2010). Determining the relative importance of predictors
    in logistic regression: an extension of relative weight analysis. *Organizational Research
    Methods*, 13(4), 767–781. https://doi.org/10.1177/1094428109341993
    Tonidandel, S., & LeBreton, J. M. (2015). RWA Web. *Journal of Business and Psychology*,
    30(2), 207–216. https://doi.org/10.1007/s10869-014-9351-z
    McKelvey, R. D., & Zavoina, W. (1975). A statistical model for the analysis of ordinal level
    dependent variables. *Journal of Mathematical Sociology*, 4(1), 103–120.
    https://doi.org/10.1080/0022250X.1975.9989847

    Examples
    --------
    What drives an extramarital affair among the 6,366 women of the 1974 Redbook survey
    (``statsmodels.datasets.fair``)?

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> women["affair"] = (women["affairs"] > 0).astype(int)
    >>> res = cx.drivers.logistic(women, outcome="affair",
    ...                           drivers=["rate_marriage", "religious", "yrs_married", "age"])
    >>> res.importance.round(3)
              driver  raw_weight  share  rank
    0  rate_marriage       0.125  0.587   1.0
    1      religious       0.027  0.127   3.0
    2    yrs_married       0.043  0.203   2.0
    3            age       0.018  0.083   4.0
    >>> res.odds_ratios[["driver", "estimate", "ci_lower", "ci_upper"]].round(3)
              driver  estimate  ci_lower  ci_upper
    0  rate_marriage     0.491     0.462     0.522
    1      religious     0.688     0.643     0.736
    2    yrs_married     1.118     1.098     1.138
    3            age     0.942     0.924     0.960
    >>> round(res.r2, 3), res.n, res.events  # McKelvey-Zavoina R², rows, affairs
    (0.212, 6366, 2053.0)
    """
    _check_common(alpha, n_boot, ci_method)
    drivers = check_columns(data, outcome=outcome, drivers=drivers, weights=weights)
    yv = data[outcome]
    vals = set(pd.unique(yv.dropna().astype(float)))
    if not vals <= {0.0, 1.0}:
        shown = sorted(vals)[:6]
        raise CXValueError(f"outcome {outcome!r} must be binary (0/1 or bool); got values {shown}")
    if len(vals) < 2:
        raise CXValueError(f"outcome {outcome!r} has only the value {sorted(vals)} in the data")
    prep = prepare(
        data,
        outcome=outcome,
        drivers=drivers,
        weights=weights,
        on_degenerate=on_degenerate,
        keep_rows=True,
    )
    X = prep.X[:, :-1]
    y = prep.X[:, -1]
    n, p = X.shape
    w = np.ones(n) if prep.w is None else prep.w
    if len(np.unique(y)) < 2:
        raise CXValueError(f"outcome {outcome!r} has one value only in the complete rows")
    Xd = np.column_stack([np.ones(n), X])
    with warnings.catch_warnings():  # separation is reported below as an error of our own
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, Xd, family=sm.families.Binomial(), freq_weights=w).fit()
    coef = np.asarray(fit.params)
    # separation: the likelihood has no finite maximum; the fit drifts to huge coefficients on
    # the standardised scale, or to standard errors that are (numerically) infinite
    sdx = X.std(axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        std_coef = np.abs(coef[1:]) * sdx
        std_se = np.asarray(fit.bse)[1:] * sdx
    culprits = [
        d
        for d, c, e in zip(prep.drivers, std_coef, std_se, strict=True)
        if not (c <= 30 and e <= 100)
    ]
    if not fit.converged or culprits or not np.abs(Xd @ coef).max() <= 30:
        named = f" (look at {culprits})" if culprits else ""
        raise CXValueError(
            f"the logistic model of {outcome!r} does not converge (complete or quasi-complete "
            f"separation){named}; drop or merge the driver(s) that predict the outcome perfectly"
        )
    if weights is None:
        se = np.asarray(fit.bse)
    else:
        mu = np.asarray(fit.mu)
        A = (Xd * (w * mu * (1 - mu))[:, None]).T @ Xd
        U = Xd * (w * (y - mu))[:, None]
        Bm = n / (n - 1) * (U - U.mean(axis=0)).T @ (U - U.mean(axis=0))
        Ainv = np.linalg.inv(A)
        se = np.sqrt(np.diag(Ainv @ Bm @ Ainv))
    z = stats.norm.ppf(1 - alpha / 2)
    odds = pd.DataFrame(
        {
            "driver": list(prep.drivers),
            "coef": coef[1:],
            "se": se[1:],
            "estimate": np.exp(coef[1:]),
            "ci_lower": np.exp(coef[1:] - z * se[1:]),
            "ci_upper": np.exp(coef[1:] + z * se[1:]),
            "p_value": 2 * stats.norm.sf(np.abs(coef[1:] / se[1:])),
        }
    )
    Xs, sd, Lam, T = _orthogonal(X, w)
    raw, r2 = _rw_from_fit(Xs, w, Lam, T, coef[1:] * sd)
    share = raw / r2
    imp = pd.DataFrame({"driver": list(prep.drivers), "raw_weight": raw, "share": share})
    imp["rank"] = _rank(share)
    differences = None
    used = None
    if ci:
        rng = np.random.default_rng(seed)

        def shares(wr):
            keep = wr > 0
            Xk, yk, wk = X[keep], y[keep], wr[keep]
            if len(np.unique(yk)) < 2 or (Xk.std(axis=0) <= 1e-12 * sd_full).any():
                return np.full(p, np.nan)  # an outcome or a driver without variance
            try:
                with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                    b = _newton(Xd[keep], yk, wk, coef)
                    if b is None:
                        return np.full(p, np.nan)
                    Xs_r, sd_r, Lam_r, T_r = _orthogonal(Xk, wk)
                    rw, r2r = _rw_from_fit(Xs_r, wk, Lam_r, T_r, b[1:] * sd_r)
            except np.linalg.LinAlgError:
                return np.full(p, np.nan)
            return rw / r2r

        sd_full = X.std(axis=0)

        boot = np.array(
            [shares(np.bincount(rng.integers(0, n, n), minlength=n) * w) for _ in range(n_boot)]
        )
        good = np.isfinite(boot).all(axis=1)
        used = int(good.sum())
        if used < n_boot:
            warnings.warn(
                f"{n_boot - used} of {n_boot} bootstrap refits of {outcome!r} failed (a driver or "
                "the outcome without variance, or separation, in the replicate) and were left out",
                BootstrapWarning,
                stacklevel=2,
            )
        if used < 50:
            raise CXValueError(f"only {used} bootstrap refits of {outcome!r} converged")
        boot = boot[good]
        jack = None
        if ci_method == "bca":
            G = min(n, 1000)
            label = np.arange(n) % G
            if G < n:
                label = rng.permutation(label)
            jack = np.array([shares(np.where(label == g, 0.0, w)) for g in range(G)])
            if not np.isfinite(jack).all():
                raise CXValueError("a jackknife refit failed; use ci_method='percentile'")
        lo, hi = _bootstrap.interval(share, boot, jack, alpha, ci_method)
        imp["se"] = boot.std(axis=0, ddof=1)
        imp["ci_lower"] = lo
        imp["ci_upper"] = hi
        differences = _differences(prep.drivers, share, boot, jack, alpha, ci_method)
    return LogisticDriverResult(
        importance=imp,
        odds_ratios=odds,
        outcome=outcome,
        drivers=prep.drivers,
        r2=float(r2),
        n=n,
        n_eff=kish(prep.w, n),
        events=float(w @ y),
        dropped=_dropped(prep),
        weights=weights,
        ci=bool(ci),
        ci_method=ci_method if ci else None,
        n_boot=n_boot if ci else None,
        n_boot_used=used,
        alpha=alpha,
        seed=seed,
        differences=differences,
    )
