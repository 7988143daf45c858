"""Key drivers of a continuous outcome: Shapley/LMG, relative weights, betas, Pratt, correlations,
dominance analysis — all from one (weighted) correlation matrix."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import check_alpha
from cxresearch.errors import CXValueError, CXWarning

from . import _bootstrap, _kernels, _methods
from ._data import COLLINEAR_TOL, Prepared, check_columns, prepare

MAX_EXACT = 25
LMG_MODES = ("auto", "exact", "sampled")


class SampledShapleyWarning(CXWarning):
    """The Shapley/LMG values were estimated from random orderings, not computed exactly."""


class BootstrapWarning(CXWarning):
    """Some bootstrap replicates could not be used (a driver without variance in the replicate)."""


@dataclass(frozen=True, repr=False)
class DriverResult(ResultDisplay):
    """Importance of each driver for one outcome.

    Attributes
    ----------
    importance : pandas.DataFrame
        One row per driver kept in the model, in the order given: ``driver``; the method's
        estimate (column named in ``value_column``: ``lmg``, ``raw_weight``, ``beta``, ``pratt``,
        ``r`` or ``rho``); ``share`` (the estimate's part of the whole, see ``importance()``);
        ``rank`` (1 = largest share); ``mc_se`` (Monte-Carlo standard error of ``lmg``, sampled
        LMG only); ``se``, ``ci_lower``, ``ci_upper`` (bootstrap standard error and interval of
        ``share``, when ``ci``).
    differences : pandas.DataFrame or None
        When ``ci``: every pair ``driver_a``, ``driver_b`` with ``estimate`` (share of a minus
        share of b), ``se``, ``ci_lower``, ``ci_upper``, ``p_value`` (two-sided bootstrap p-value of
        no difference, floored at 1/(B + 1) for the B usable replicates), ``p_floor`` (that floor:
        a ``p_value`` equal to it means "at most 1/(B + 1)"; ``cx.tables.fmt_p(p, floor=...)``
        prints it as such, never as "<0.001" from a few hundred replicates).
    diagnostics : pandas.DataFrame
        One row per kept driver: ``driver``, ``mean``, ``sd`` (weighted, divisor sum of weights),
        ``r`` (correlation with the outcome), ``beta`` (standardised coefficient), ``vif``.
    dropped : pandas.DataFrame
        Drivers left out: ``driver``, ``reason``.
    r2 : float
        R² of the full model.
    n, n_eff : int, float
        Rows used (listwise) or the smallest pairwise base (pairwise), and Kish's effective size.
    """

    importance: pd.DataFrame
    method: str
    outcome: str
    drivers: tuple[str, ...]
    r2: float
    n: int
    n_eff: float
    diagnostics: pd.DataFrame
    dropped: pd.DataFrame
    weights: str | None = None
    missing: str = "listwise"
    exact: bool = True
    n_permutations: int | None = None
    ci: bool = False
    ci_method: str | None = None
    n_boot: int | None = None
    n_boot_used: int | None = None
    alpha: float = 0.05
    seed: Any = None
    differences: pd.DataFrame | None = None
    value_column: str = "lmg"

    @property
    def settings(self) -> dict:
        """The options this result was computed with."""
        return _settings(
            self, missing=self.missing, exact=self.exact, n_permutations=self.n_permutations
        )

    def to_frame(self) -> pd.DataFrame:
        """``importance`` with ``outcome``, ``method``, ``r2``, ``n`` and ``n_eff`` columns."""
        return _with_fit(self.importance.copy(), self)


def _settings(result, *, missing: str, **model: object) -> dict:
    """The options of a driver result (:class:`DriverResult` or ``LogisticDriverResult``).

    ``model``: options of the method, placed after ``missing`` and before the bootstrap options.
    """
    return {
        "method": result.method,
        "outcome": result.outcome,
        "drivers": list(result.drivers),
        "weights": result.weights,
        "missing": missing,
        **model,
        "ci": result.ci,
        "ci_method": result.ci_method,
        "n_boot": result.n_boot,
        "alpha": result.alpha,
        "seed": result.seed,
    }


def _with_fit(out: pd.DataFrame, result) -> pd.DataFrame:
    """``out`` with the result's ``outcome`` and ``method`` first and ``r2``, ``n``, ``n_eff`` last."""
    out.insert(0, "outcome", result.outcome)
    out.insert(1, "method", result.method)
    out["r2"] = result.r2
    out["n"] = result.n
    out["n_eff"] = result.n_eff
    return out


def _differences(drivers, share, boot, jack, alpha, ci_method) -> pd.DataFrame:
    """Every pair ``a < b`` of drivers: the difference of their shares, with bootstrap ``se``,
    interval (``ci_method``, from the ``boot`` and optional ``jack`` replicates of the shares) and
    two-sided p-value."""
    ia, ib = np.triu_indices(len(drivers), 1)
    d_hat = share[ia] - share[ib]
    d_boot = boot[:, ia] - boot[:, ib]
    d_jack = None if jack is None else jack[:, ia] - jack[:, ib]
    dlo, dhi = _bootstrap.interval(d_hat, d_boot, d_jack, alpha, ci_method)
    names = np.array(drivers)
    return pd.DataFrame(
        {
            "driver_a": names[ia],
            "driver_b": names[ib],
            "estimate": d_hat,
            "se": d_boot.std(axis=0, ddof=1),
            "ci_lower": dlo,
            "ci_upper": dhi,
            "p_value": _bootstrap.p_value(d_boot),
            "p_floor": _bootstrap.p_floor(d_boot.shape[0]),
        }
    )


def _check_common(alpha, n_boot, ci_method):
    check_alpha(alpha)
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 50):
        raise CXValueError(f"n_boot must be an integer >= 50; got {n_boot!r}")
    if ci_method not in _bootstrap.CI_METHODS:
        raise CXValueError(f"ci_method must be one of {_bootstrap.CI_METHODS}; got {ci_method!r}")


def _rank(share: np.ndarray) -> np.ndarray:
    return pd.Series(share).rank(ascending=False, method="min").to_numpy(dtype=float)


def _diagnostics(prep: Prepared) -> pd.DataFrame:
    R = prep.corr
    beta = np.linalg.solve(R[:-1, :-1], R[:-1, -1])
    return pd.DataFrame(
        {
            "driver": list(prep.drivers),
            "mean": prep.mean[:-1],
            "sd": np.sqrt(np.diag(prep.cov)[:-1]),
            "r": R[:-1, -1],
            "beta": beta,
            "vif": _methods.vif(R),
        }
    )


def _dropped(prep: Prepared) -> pd.DataFrame:
    return pd.DataFrame(list(prep.dropped), columns=["driver", "reason"])


def _rank_data(data, cols, weights, missing):
    """Mid-ranks of each column (within the listwise rows, or over each column's own values)."""
    sub = data[cols].astype(float)
    if missing == "listwise":
        sub = sub[sub.notna().all(axis=1)]
    ranked = sub.rank(method="average")
    if weights is not None:
        ranked[weights] = data.loc[ranked.index, weights]
    return ranked


def _usable(As):
    """Replicates whose drivers all vary and are not collinear (smallest eigenvalue of the
    drivers' correlation matrix above the tolerance used for the full sample)."""
    ok = np.isfinite(As).all(axis=(1, 2))
    if ok.any():
        ev = np.linalg.eigvalsh(As[ok][:, :-1, :-1])[:, 0]
        ok[np.flatnonzero(ok)] = ev > COLLINEAR_TOL
    return ok


def _safe_shares(stat, As, p):
    """Shares for a stack of correlation matrices; NaN rows where a matrix is singular."""
    if As.shape[0] == 0:
        return np.empty((0, p))
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            return stat(As)[1]
    except np.linalg.LinAlgError:
        out = np.full((As.shape[0], p), np.nan)
        for b in range(As.shape[0]):
            try:
                with np.errstate(invalid="ignore", divide="ignore"):
                    out[b] = stat(As[b : b + 1])[1][0]
            except np.linalg.LinAlgError:
                pass
        return out


def _bootstrap_stats(prep, stat, *, n_boot, alpha, ci_method, rng, outcome):
    """Bootstrap the share of each driver and of every pairwise difference."""
    p = len(prep.drivers)
    reps = _bootstrap.replicate_corrs(prep.X, prep.w, n_boot, rng)
    reps = reps[_usable(reps)]
    boot = _safe_shares(stat, reps, p)
    good = np.isfinite(boot).all(axis=1)
    boot = boot[good]
    used = boot.shape[0]
    if used < n_boot:
        warnings.warn(
            f"{n_boot - used} of {n_boot} bootstrap replicates of {outcome!r} were unusable (a "
            "driver without variance or collinear in the replicate) and were left out",
            BootstrapWarning,
            stacklevel=4,
        )
    if used < 50:
        raise CXValueError(
            f"only {used} usable bootstrap replicates for {outcome!r}; too few for an interval"
        )
    _, share_hat, _ = stat(prep.corr[None])
    share_hat = share_hat[0]
    jack = None
    if ci_method == "bca":
        jc = _bootstrap.jackknife_corrs(prep.X, prep.w, _bootstrap.JACKKNIFE_GROUPS, rng)
        jack = np.where(_usable(jc)[:, None], _safe_shares(stat, jc, p), np.nan)
        if not np.isfinite(jack).all():
            raise CXValueError(
                f"BCa needs every jackknife sample of {outcome!r} to be estimable; "
                "use ci_method='percentile'"
            )
    lo, hi = _bootstrap.interval(share_hat, boot, jack, alpha, ci_method)
    differences = _differences(prep.drivers, share_hat, boot, jack, alpha, ci_method)
    return boot.std(axis=0, ddof=1), lo, hi, differences, used


def importance(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    method: str = "lmg",
    weights: str | None = None,
    missing: str = "listwise",
    on_degenerate: str = "drop",
    ci: bool = False,
    ci_method: str = "percentile",
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed=None,
    lmg: str = "auto",
    max_exact: int = MAX_EXACT,
    n_permutations: int = 20_000,
) -> DriverResult:
    """Importance of each driver of a continuous outcome, by one of several methods.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    outcome : str
        Numeric outcome column (e.g. ``overall_sat``).
    drivers : list of str
        Numeric driver columns (int, float or bool).
    method : {'lmg', 'relative_weights', 'beta', 'pratt', 'pearson', 'spearman'}
        ``lmg``: Shapley decomposition of R² (Lindeman, Merenda & Gold; ``relaimpo`` "lmg").
        ``relative_weights``: Johnson's (2000) relative weights. ``beta``: standardised
        regression coefficients. ``pratt``: β_j r_j. ``pearson``/``spearman``: correlation with the
        outcome (Spearman = (weighted) Pearson on unweighted mid-ranks).
    weights : str, optional
        Column of sampling weights (finite, >= 0). The weighted correlation matrix estimates the
        population one; zero-weight rows are ignored.
    missing : {'listwise', 'pairwise'}
        Listwise deletion (default) or pairwise-complete correlations over the rows where the
        outcome is observed (no bootstrap; ``n`` is then the smallest pairwise base).
    on_degenerate : {'drop', 'raise'}
        A driver with zero variance or perfectly collinear with earlier drivers is dropped with a
        :class:`DroppedDriverWarning` naming it (default), or raises.
    ci : bool
        Bootstrap standard errors and intervals for the shares and for every pairwise difference of
        shares (listwise only).
    ci_method : {'percentile', 'bca'}
        Percentile (default) or BCa intervals (acceleration from a jackknife of up to 200 random
        groups of respondents; the ordinary jackknife when n <= 200). The default follows a Monte
        Carlo coverage study (``benchmarks/coverage_drivers.py``: ten 1-5 driver items built like
        the demo's, 150 samples per size, 999 replicates, nominal 95%; Monte-Carlo SE about 0.018
        per driver): mean coverage over the ten shares percentile / BCa 0.933 / 0.899 at n = 100
        (smallest share 0.913 / 0.887, lowest driver 0.913 / 0.873), 0.941 / 0.933 at n = 300,
        0.953 / 0.951 at n = 1,000. BCa under-covers in the small samples of segment-level runs
        and gains nothing at n = 1,000, so percentile is the default (before issue 14: BCa).
    n_boot : int
        Bootstrap replicates (>= 50).
    alpha : float
        1 - confidence level.
    seed : int or numpy Generator, optional
        Seed for the bootstrap and for sampled LMG.
    lmg : {'auto', 'exact', 'sampled'}
        LMG algorithm. ``auto`` is exact when the number of drivers is at most ``max_exact`` and
        otherwise sampled with a :class:`SampledShapleyWarning`; ``exact`` raises past
        ``max_exact``; ``sampled`` always samples. The result's ``exact`` field says which ran.
    max_exact : int
        Largest number of drivers computed exactly. Default 25: 2^25 ≈ 3.4e7 subsets take about
        4 s on one core of the development machine (under load), and memory does not grow with p
        (no subset table is stored); each further driver doubles the time.
    n_permutations : int
        Random orderings for sampled LMG.

    Returns
    -------
    DriverResult
        See :class:`DriverResult`. ``share`` is lmg/R² (``lmg``), raw weight/R²
        (``relative_weights``), Pratt/R² (``pratt``; may be negative), β²/Σβ² (``beta``),
        r²/Σr² (``pearson``, ``spearman``).

    Raises
    ------
    CXValueError
        Unknown options; missing or non-numeric columns; the outcome among the drivers; NaN,
        negative or all-zero weights; a constant outcome; fewer rows than drivers + 2; every
        driver degenerate (or any, with ``on_degenerate='raise'``).

    Notes
    -----
    One pass over the rows gives the weighted covariance matrix ``S = Σ w_i (x_i - x̄)(x_i - x̄)'
    / Σ w_i``; everything else uses the correlation matrix ``R`` (outcome last). The R² of the
    model on a subset ``S`` of drivers is ``r_S' R_SS^{-1} r_S``. LMG of driver j is

    .. math:: \\mathrm{LMG}_j = \\sum_{S \\subseteq D \\setminus j}
              \\frac{|S|!\\,(p - |S| - 1)!}{p!} [R^2(S \\cup j) - R^2(S)]

    computed exactly over all ``2^p`` subsets by sweeping one driver at a time in a depth-first
    walk of the subset tree (see ``_kernels``). Sampled LMG averages the gains over random
    orderings; ``mc_se`` is their standard deviation / sqrt(n_permutations). Weights are sampling
    weights: they change the point estimates, and the bootstrap resamples respondents with their
    weights (it ignores strata and clusters). Spearman intervals resample the full-sample ranks.
    Accuracy: the sweeps lose digits only with near-collinear drivers (agreement with pingouin's
    pseudo-inverse per subset: 1e-13 at VIF 2e4, 3e-12 at VIF 2e6).

    Examples
    --------
    Shapley (LMG) shares of three drivers of overall satisfaction in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.drivers.importance(wave, outcome="overall_sat",
    ...                             drivers=["product_quality", "price_value", "channel_ease"])
    >>> res.importance[["driver", "lmg", "share", "rank"]].round(3)
                driver    lmg  share  rank
    0  product_quality  0.230  0.409   1.0
    1      price_value  0.190  0.338   2.0
    2     channel_ease  0.143  0.254   3.0
    >>> round(res.r2, 3)  # the shares of R² sum to it
    0.563

    References
    ----------
    Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). *Introduction to bivariate and
    multivariate analysis*. Scott, Foresman.
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software*, 17(1). https://doi.org/10.18637/jss.v017.i01
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. *Multivariate Behavioral Research*, 35(1), 1–19.
    https://doi.org/10.1207/S15327906MBR3501_1
    Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.
    https://doi.org/10.1007/978-1-4899-4541-9
    """
    if method not in _methods.METHODS:
        raise CXValueError(f"method must be one of {_methods.METHODS}; got {method!r}")
    if lmg not in LMG_MODES:
        raise CXValueError(f"lmg must be one of {LMG_MODES}; got {lmg!r}")
    if not (isinstance(max_exact, int) and 1 <= max_exact <= 30):
        raise CXValueError(f"max_exact must be an integer from 1 to 30; got {max_exact!r}")
    if not (isinstance(n_permutations, int) and n_permutations >= 100):
        raise CXValueError(f"n_permutations must be an integer >= 100; got {n_permutations!r}")
    _check_common(alpha, n_boot, ci_method)
    if ci and missing != "listwise":
        raise CXValueError("ci=True needs missing='listwise' (the bootstrap resamples rows)")
    drivers = check_columns(data, outcome=outcome, drivers=drivers, weights=weights)
    source = data
    if method == "spearman":
        source = _rank_data(data, [*drivers, outcome], weights, missing)
    prep = prepare(
        source,
        outcome=outcome,
        drivers=drivers,
        weights=weights,
        missing=missing,
        on_degenerate=on_degenerate,
        keep_rows=ci,
    )
    p = len(prep.drivers)
    rng = np.random.default_rng(seed)
    exact = True
    n_perm = None
    mc_se = None
    stat = _methods.STATISTIC[method]
    if method == "lmg":
        exact = lmg == "exact" or (lmg == "auto" and p <= max_exact)
        if lmg == "exact" and p > max_exact:
            raise CXValueError(
                f"lmg='exact' with {p} drivers exceeds max_exact={max_exact}; raise max_exact "
                "(cost doubles per driver) or use lmg='sampled'"
            )
        if not exact:
            if lmg == "auto":
                warnings.warn(
                    f"{p} drivers exceed max_exact={max_exact}: LMG of {outcome!r} estimated from "
                    f"{n_permutations} random orderings (see the mc_se column)",
                    SampledShapleyWarning,
                    stacklevel=2,
                )
            if ci:
                raise CXValueError(
                    "bootstrap intervals need exact LMG; reduce the drivers to max_exact or fewer"
                )
            perms = np.argsort(rng.random((n_permutations, p)), axis=1)
            gains = _kernels.permutation_gains(prep.corr, perms)
            est = gains.mean(axis=0)
            mc_se = gains.std(axis=0, ddof=1) / math.sqrt(n_permutations)
            r2 = float(
                np.linalg.solve(prep.corr[:-1, :-1], prep.corr[:-1, -1]) @ prep.corr[:-1, -1]
            )
            share = est / r2
            n_perm = n_permutations
    if exact or method != "lmg":
        e, s, r = stat(prep.corr[None])
        est, share, r2 = e[0], s[0], float(r[0])
    frame = pd.DataFrame(
        {"driver": list(prep.drivers), _methods.VALUE_COLUMN[method]: est, "share": share}
    )
    frame["rank"] = _rank(share)
    if mc_se is not None:
        frame["mc_se"] = mc_se
    differences = None
    used = None
    if ci:
        se, lo, hi, differences, used = _bootstrap_stats(
            prep, stat, n_boot=n_boot, alpha=alpha, ci_method=ci_method, rng=rng, outcome=outcome
        )
        frame["se"] = se
        frame["ci_lower"] = lo
        frame["ci_upper"] = hi
    return DriverResult(
        importance=frame,
        method=method,
        outcome=outcome,
        drivers=prep.drivers,
        r2=r2,
        n=prep.n,
        n_eff=prep.n_eff,
        diagnostics=_diagnostics(prep),
        dropped=_dropped(prep),
        weights=weights,
        missing=missing,
        exact=exact,
        n_permutations=n_perm,
        ci=bool(ci),
        ci_method=ci_method if ci else None,
        n_boot=n_boot if ci else None,
        n_boot_used=used,
        alpha=alpha,
        seed=seed,
        differences=differences,
        value_column=_methods.VALUE_COLUMN[method],
    )


def shapley(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    weights: str | None = None,
    ci: bool = False,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed=None,
    **options,
) -> DriverResult:
    """Shapley decomposition of R² (LMG), exact from the (weighted) correlation matrix.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    outcome : str
        Numeric outcome column.
    drivers : list of str
        Numeric driver columns.
    weights : str, optional
        Sampling-weight column.
    ci : bool
        Bootstrap standard errors and intervals (BCa by default) of the shares and of every
        pairwise difference of shares.
    n_boot, alpha, seed
        Bootstrap replicates, 1 - confidence level, random seed.
    **options
        ``missing``, ``on_degenerate``, ``ci_method``, ``lmg`` ('auto', 'exact', 'sampled'),
        ``max_exact``, ``n_permutations``: see :func:`importance`.

    Returns
    -------
    DriverResult
        ``importance`` columns: ``driver``, ``lmg`` (R² attributable to the driver; the values
        sum to ``r2``), ``share`` (lmg / R²; sums to 1), ``rank``; with ``ci`` also ``se``,
        ``ci_lower``, ``ci_upper`` of the share (and ``differences``); ``mc_se`` when sampled
        (``exact`` is then False).

    Raises
    ------
    CXValueError
        See :func:`importance`.

    Notes
    -----
    Formula, algorithm and the treatment of weights: :func:`importance`. Equal to R's
    ``relaimpo::calc.relimp(type = "lmg")`` (tested to 1e-12, weighted and unweighted).

    References
    ----------
    Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
    *Journal of Statistical Software*, 17(1). https://doi.org/10.18637/jss.v017.i01

    Examples
    --------
    Shapley (LMG) decomposition of the R² of overall satisfaction in one wave of the demo study,
    then bootstrap intervals of the shares:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "svc_responsiveness", "svc_courtesy"]
    >>> res = cx.drivers.shapley(wave, outcome="overall_sat", drivers=drivers, weights="weight")
    >>> res.importance.round(3)
                   driver    lmg  share  rank
    0     product_quality  0.186  0.297   2.0
    1         price_value  0.153  0.244   3.0
    2  svc_responsiveness  0.188  0.300   1.0
    3        svc_courtesy  0.100  0.160   4.0
    >>> round(res.r2, 3), res.exact  # the lmg values sum to R²
    (0.626, True)
    >>> res = cx.drivers.shapley(wave, outcome="overall_sat", drivers=drivers, ci=True, n_boot=200,
    ...                          seed=7)
    >>> res.importance[["driver", "share", "ci_lower", "ci_upper"]].round(3)
                   driver  share  ci_lower  ci_upper
    0     product_quality  0.292     0.220     0.362
    1         price_value  0.249     0.177     0.331
    2  svc_responsiveness  0.301     0.241     0.391
    3        svc_courtesy  0.158     0.108     0.225
    """
    return importance(
        data,
        outcome=outcome,
        drivers=drivers,
        method="lmg",
        weights=weights,
        ci=ci,
        n_boot=n_boot,
        alpha=alpha,
        seed=seed,
        **options,
    )


def relative_weights(data: pd.DataFrame, *, outcome: str, drivers, weights=None, **options):
    """Johnson's (2000) relative weights; :func:`importance` with ``method='relative_weights'``.

    Parameters
    ----------
    data, outcome, drivers, weights
        As in :func:`importance`.
    **options
        Any other option of :func:`importance` (``ci``, ``n_boot``, ``seed``, ``missing`` …).

    Returns
    -------
    DriverResult
        ``importance`` columns: ``driver``, ``raw_weight`` (ε_j; they sum to R²), ``share``
        (ε_j / R²), ``rank`` (+ interval columns with ``ci``).

    Raises
    ------
    CXValueError
        See :func:`importance`.

    Notes
    -----
    With ``R_xx = V diag(λ) V'`` and ``Λ = V diag(√λ) V'`` (the correlations of the drivers with
    their best-fitting orthogonal counterparts), ``β = Λ^{-1} r_xy`` and ``ε_j = Σ_k Λ_jk² β_k²``.

    References
    ----------
    Johnson, J. W. (2000). https://doi.org/10.1207/S15327906MBR3501_1

    Examples
    --------
    Johnson's relative weights of four drivers of overall satisfaction in one wave of the demo
    study (close to the Shapley shares of :func:`shapley`, at a fraction of the cost for many
    drivers):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "svc_responsiveness", "svc_courtesy"]
    >>> res = cx.drivers.relative_weights(wave, outcome="overall_sat", drivers=drivers)
    >>> res.importance.round(3)
                   driver  raw_weight  share  rank
    0     product_quality       0.183  0.292   2.0
    1         price_value       0.158  0.251   3.0
    2  svc_responsiveness       0.189  0.300   1.0
    3        svc_courtesy       0.099  0.157   4.0
    >>> round(res.r2, 3)  # the raw weights sum to it
    0.628
    """
    return importance(
        data,
        outcome=outcome,
        drivers=drivers,
        method="relative_weights",
        weights=weights,
        **options,
    )


@dataclass(frozen=True, repr=False)
class DominanceResult(ResultDisplay):
    """Dominance analysis (Budescu 1993; Azen & Budescu 2003).

    Attributes
    ----------
    general : pandas.DataFrame
        ``driver``, ``estimate`` (general dominance = LMG), ``share``, ``rank``.
    conditional : pandas.DataFrame
        ``driver``, ``size`` (number of other drivers in the model, 0 … p-1), ``estimate`` (mean R²
        gain of the driver over the models of that size).
    complete : pandas.DataFrame
        Every ordered pair: ``driver_a``, ``driver_b``, ``complete`` (1.0 = a adds more R² than b
        to every model of the other drivers, -1.0 = less to every one, 0.0 = undetermined),
        ``conditional`` (same for the conditional gains at every size), ``general``.
    r2, n, n_eff : float, int, float
    """

    general: pd.DataFrame
    conditional: pd.DataFrame
    complete: pd.DataFrame
    outcome: str
    drivers: tuple[str, ...]
    r2: float
    n: int
    n_eff: float
    weights: str | None
    missing: str
    dropped: pd.DataFrame

    @property
    def settings(self) -> dict:
        return {
            "outcome": self.outcome,
            "drivers": list(self.drivers),
            "weights": self.weights,
            "missing": self.missing,
        }

    def to_frame(self) -> pd.DataFrame:
        """``complete`` (pairwise dominance) with ``outcome``."""
        out = self.complete.copy()
        out.insert(0, "outcome", self.outcome)
        return out

    def _display_frame(self) -> pd.DataFrame:  # the headline: general dominance per driver
        return self.general


def dominance(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    weights: str | None = None,
    missing: str = "listwise",
    on_degenerate: str = "drop",
    max_p: int = 20,
) -> DominanceResult:
    """Complete, conditional and general dominance of each driver over each other one.

    Parameters
    ----------
    data, outcome, drivers, weights, missing, on_degenerate
        As in :func:`importance`.
    max_p : int
        Largest number of drivers (complete dominance keeps all 2^p subset R² in memory: 8 MB at
        p = 20).

    Returns
    -------
    DominanceResult

    Raises
    ------
    CXValueError
        As :func:`importance`, and more than ``max_p`` drivers.

    Notes
    -----
    Driver a completely dominates b when R²(S ∪ a) > R²(S ∪ b) for every subset S of the other
    drivers; conditionally when the mean gain of a exceeds that of b at every model size;
    generally when its LMG value is larger (Azen & Budescu 2003).

    References
    ----------
    Budescu, D. V. (1993). Dominance analysis. *Psychological Bulletin*, 114(3), 542–551.
    https://doi.org/10.1037/0033-2909.114.3.542
    Azen, R., & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors
    in multiple regression. *Psychological Methods*, 8(2), 129–148.
    https://doi.org/10.1037/1082-989X.8.2.129

    Examples
    --------
    Dominance of four drivers of overall satisfaction in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "svc_responsiveness", "svc_courtesy"]
    >>> res = cx.drivers.dominance(wave, outcome="overall_sat", drivers=drivers)
    >>> res.general.round(3)
                   driver  estimate  share  rank
    0     product_quality     0.184  0.292   2.0
    1         price_value     0.157  0.249   3.0
    2  svc_responsiveness     0.189  0.301   1.0
    3        svc_courtesy     0.099  0.158   4.0

    Product quality adds more R² than price or courtesy to every model (complete dominance), but
    its general lead over responsiveness is not complete:

    >>> res.complete.query("driver_a == 'product_quality'").round(3)
              driver_a            driver_b  complete  conditional  general
    0  product_quality         price_value       1.0          1.0      1.0
    1  product_quality  svc_responsiveness       0.0         -1.0     -1.0
    2  product_quality        svc_courtesy       1.0          1.0      1.0
    """
    drivers = check_columns(data, outcome=outcome, drivers=drivers, weights=weights)
    if len(drivers) > max_p:
        raise CXValueError(
            f"dominance analysis of {len(drivers)} drivers exceeds max_p={max_p}; use shapley()"
        )
    prep = prepare(
        data,
        outcome=outcome,
        drivers=drivers,
        weights=weights,
        missing=missing,
        on_degenerate=on_degenerate,
    )
    p = len(prep.drivers)
    names = list(prep.drivers)
    cond = _kernels.conditional_gains(prep.corr)
    gen = cond.mean(axis=1)
    r2 = float(np.linalg.solve(prep.corr[:-1, :-1], prep.corr[:-1, -1]) @ prep.corr[:-1, -1])
    general = pd.DataFrame({"driver": names, "estimate": gen, "share": gen / r2})
    general["rank"] = _rank(gen / r2)
    conditional = pd.DataFrame(
        {
            "driver": np.repeat(names, p),
            "size": np.tile(np.arange(p), p).astype(float),
            "estimate": cond.ravel(),
        }
    )
    D = _kernels.complete_dominance(_kernels.subset_r2(prep.corr), p)
    rows = []
    for i in range(p):
        for j in range(p):
            if i == j:
                continue
            c = 1.0 if (cond[i] > cond[j]).all() else (-1.0 if (cond[i] < cond[j]).all() else 0.0)
            g = float(np.sign(gen[i] - gen[j]))
            rows.append((names[i], names[j], D[i, j], c, g))
    complete = pd.DataFrame(
        rows, columns=["driver_a", "driver_b", "complete", "conditional", "general"]
    )
    return DominanceResult(
        general=general,
        conditional=conditional,
        complete=complete,
        outcome=outcome,
        drivers=prep.drivers,
        r2=r2,
        n=prep.n,
        n_eff=prep.n_eff,
        weights=weights,
        missing=missing,
        dropped=_dropped(prep),
    )


def importance_by(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    by: str,
    method: str = "lmg",
    weights: str | None = None,
    **options,
) -> pd.DataFrame:
    """:func:`importance` within each segment, stacked into one tidy frame.

    Parameters
    ----------
    data, outcome, drivers, method, weights, **options
        As in :func:`importance` (``ci``, ``seed`` … apply to every segment; with a seed, each
        segment's bootstrap starts from the same seed).
    by : str
        Segment column (e.g. ``branch``). Segments where the model cannot be estimated (too few
        rows, a constant outcome) are left out with a
        :class:`~cxresearch.errors.NotEstimableWarning` naming them.

    Returns
    -------
    pandas.DataFrame
        ``by`` column, then the columns of :meth:`DriverResult.to_frame` (``outcome``,
        ``method``, ``driver``, the estimate, ``share``, ``rank``, interval columns with ``ci``,
        ``r2``, ``n``, ``n_eff``) for every segment, segments in sorted order.

    Raises
    ------
    CXValueError
        As :func:`importance`; no segment could be analysed.

    Examples
    --------
    Shapley shares of three drivers within each customer segment of the demo study (1 =
    construction, 2 = agriculture):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> drivers = ["product_quality", "price_value", "svc_responsiveness"]
    >>> res = cx.drivers.importance_by(study.responses, outcome="overall_sat", drivers=drivers,
    ...                                by="segment")
    >>> res[["segment", "driver", "share", "rank", "n"]].round(3)
       segment              driver  share  rank    n
    0        1     product_quality  0.382   1.0  668
    1        1         price_value  0.313   2.0  668
    2        1  svc_responsiveness  0.305   3.0  668
    3        2     product_quality  0.309   3.0  478
    4        2         price_value  0.342   2.0  478
    5        2  svc_responsiveness  0.349   1.0  478
    """
    from cxresearch.errors import NotEstimableWarning

    if not isinstance(by, str):
        raise CXValueError(f"by must be one column name; got {by!r}")
    check_columns(data, outcome=outcome, drivers=drivers, weights=weights, by=by)
    frames = []
    for key, sub in data.groupby(by, sort=True, observed=True):
        try:
            res = importance(
                sub, outcome=outcome, drivers=drivers, method=method, weights=weights, **options
            )
        except CXValueError as exc:
            warnings.warn(
                f"segment {by}={key!r} left out: {exc}", NotEstimableWarning, stacklevel=2
            )
            continue
        frame = res.to_frame()
        frame.insert(0, by, key)
        frames.append(frame)
    if not frames:
        raise CXValueError(f"no segment of {by!r} could be analysed")
    return pd.concat(frames, ignore_index=True)
