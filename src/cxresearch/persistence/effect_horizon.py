"""The horizon of an effect: how many years an exposure keeps acting on an outcome.

:func:`horizon` reads H, the number of consecutive significantly positive lags starting with lag 0,
from the distributed-lag profile (:mod:`cxresearch.persistence.lags`), gives it a bootstrap interval
that resamples whole customers, and computes it a second time with the other estimator (pooled or
within customers) as a robustness check; :func:`horizons` does so for several exposures at once.
:data:`HORIZON_DEFINITION` is the definition as the report's method appendix prints it. The
bootstrap replicates are solved by the hand-written :mod:`cxresearch.persistence._cluster_bootstrap`
(see there why).

References: Cameron, Gelbach & Miller (2008), doi:10.1162/rest.90.3.414; Mittal, Kumar & Tsiros
(1999), doi:10.1177/002224299906300206.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError, NotEstimableWarning
from cxresearch.persistence._cluster_bootstrap import _ClusterBlocks
from cxresearch.persistence._panel import _as_list, _check_alpha, _check_min_effect, _check_whole
from cxresearch.persistence.lags import (
    METHODS,
    LagProfile,
    _build_design,
    _Design,
    _fit_profile,
)
from cxresearch.persistence.specification import (
    SpecificationTest,
    _feedback_from_design,
    _mundlak_from_design,
)

#: Estimator choices of :func:`horizon`: ``"auto"`` (the Mundlak test decides) or one of :data:`METHODS`.
HORIZON_METHODS = ("auto",) + METHODS

#: The definition of the horizon, as the report's method appendix prints it.
HORIZON_DEFINITION = (
    "The horizon H of an effect is the number of consecutive years, starting with the current year, "
    "in which the exposure still has a significantly positive effect on the outcome. We regress the "
    "outcome in year t on the exposure in years t, t-1, ..., t-K (a distributed-lag regression on the "
    "customer x year panel; a lag of k is the value k calendar years earlier, so a customer's missing "
    "years are never bridged), with standard errors clustered by customer. H is the largest h such that "
    "the coefficients of lags 0, 1, ..., h-1 are each significantly greater than zero (one-sided test at "
    "level alpha; or greater than a smallest relevant effect, when one is set); the coefficient of lag H "
    "is not. H = 0 means no significantly positive effect even in the "
    "current year; a lag significantly below zero is reported as a negative effect, never as part of "
    "H. When every lag up to the longest one estimated (K) is significant, H is only known "
    "to be at least K+1 and is reported as censored. The interval for H comes from a bootstrap that "
    "resamples whole customers. Customers differ in stable ways (a loyal kind of customer is also a "
    "satisfied kind) that a pooled regression mistakes for persistence; so the regression is first "
    "tested against one with customer fixed effects (a cluster-robust Mundlak test: do the customers' "
    "mean exposures add to the model?). If the test rejects the pooled model, H is read from the "
    "within-customer (fixed-effects) regression, which uses only changes within each customer; "
    "otherwise from the pooled regression, with the fixed-effects horizon shown as a robustness check."
)


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
    negative_lags : tuple of int
        Lags whose effect is significantly negative (one-sided at alpha; ``significant_negative`` in
        the profile's table). They never count towards H.
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
    negative_lags: tuple = ()


@dataclass(frozen=True, repr=False)
class HorizonResult(ResultDisplay):
    """The horizon of an effect, with a robustness estimate beside it.

    Attributes
    ----------
    primary : HorizonEstimate
        From the estimator chosen by ``method`` (with ``"auto"``: the one the Mundlak test leaves
        standing).
    robustness : HorizonEstimate or None
        From the other estimator (``None`` if ``robustness=False``). With ``"auto"`` and a rejected
        pooled model this is the rejected pooled estimate, kept for the method appendix only.
    definition : str
        :data:`HORIZON_DEFINITION`.
    settings : dict
        The arguments it ran with (``method`` as asked; ``chosen`` the primary estimator).
    test : SpecificationTest or None
        The Mundlak test of the pooled model against customer fixed effects
        (:func:`~cxresearch.persistence.mundlak_test`).
    feedback : pandas.DataFrame or None
        The strict-exogeneity check (:func:`~cxresearch.persistence.feedback_check`): the within
        coefficient of next year's exposure; ``None`` when the panel has fewer than ``max_lag + 3``
        years or ``feedback=False``.
    """

    primary: HorizonEstimate
    robustness: HorizonEstimate | None
    definition: str
    settings: dict = field(default_factory=dict)
    test: SpecificationTest | None = None
    feedback: pd.DataFrame | None = None

    @property
    def method(self) -> str:
        """The primary estimator (``"pooled"`` or ``"within"``)."""
        return self.primary.method

    @property
    def pooled_rejected(self) -> bool:
        """Whether the Mundlak test rejected the pooled model (False when it was not run)."""
        return bool(self.test is not None and self.test.reject)

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
        boot_share_censored, n_customers, n_obs, n_boot, max_lag, alpha, negative_lags`` (comma-joined
        lags with a significantly negative effect, "" for none), ``test_p_value`` (Mundlak test of the
        pooled model; NaN when not run)."""
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
                    "negative_lags": ",".join(str(k) for k in est.negative_lags),
                    "test_p_value": float("nan") if self.test is None else self.test.p_value,
                }
            )
        return pd.DataFrame(rows)


def _h_from_significance(sig: np.ndarray) -> tuple[int, bool]:
    """Number of leading True values; censored when all are True."""
    notsig = np.flatnonzero(~sig)
    if notsig.size == 0:
        return int(sig.size), True
    return int(notsig[0]), False


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
    design: _Design,
    *,
    method: str,
    alpha: float,
    n_boot: int,
    rng: np.random.Generator,
    settings: dict,
    min_effect: float = 0.0,
) -> HorizonEstimate:
    profile = _fit_profile(
        design, method=method, alpha=alpha, settings=settings, min_effect=min_effect, stacklevel=4
    )
    h, censored = _h_from_significance(profile.table["significant_positive"].to_numpy())
    negative = tuple(
        int(k) for k in profile.table.loc[profile.table["significant_negative"], "lag"]
    )
    if n_boot > 0:
        boot, boot_cens, failed = _bootstrap_h(
            design, alpha=alpha, n_boot=n_boot, rng=rng, min_effect=min_effect
        )
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
        dist = pd.DataFrame(
            {"h": pd.Series(dtype=int), "n": pd.Series(dtype=int), "share": pd.Series(dtype=float)}
        )
    return HorizonEstimate(
        method=method,
        h=h,
        censored=censored,
        ci_lower=lo,
        ci_upper=hi,
        boot_share_censored=share_cens,
        distribution=dist,
        n_boot_failed=failed,
        profile=profile,
        negative_lags=negative,
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
    method: str = "auto",
    robustness: bool = True,
    time_effects: bool = True,
    min_effect: float = 0.0,
    feedback: bool = True,
) -> HorizonResult:
    """How many years an exposure keeps acting on an outcome: the horizon H, with a bootstrap interval.

    Parameters
    ----------
    panel, id, time, outcome, exposure, max_lag, controls, alpha, time_effects, min_effect
        As in :func:`lag_profile`. ``alpha`` is the level of the one-sided test of each lag and of
        the Mundlak test; ``min_effect`` > 0 asks for lags significantly *larger than* a relevant size.
    method : {"auto", "pooled", "within"}, default "auto"
        ``"auto"``: test the pooled distributed lag against customer fixed effects
        (:func:`~cxresearch.persistence.mundlak_test`) and read H from the within (fixed-effects)
        estimator when the test rejects the pooled model at ``alpha``, from the pooled one otherwise.
        ``"pooled"`` / ``"within"`` force an estimator (the test is still run and reported). Before
        issue 14 the default was ``"pooled"``.
    n_boot : int, default 200
        Bootstrap replicates (resampling whole customers); 0 skips the bootstrap.
    seed : int, optional
        Seed of the bootstrap's random generator (``numpy.random.default_rng``).
    robustness : bool, default True
        Also compute H with the other estimator (``"within"`` when the primary is ``"pooled"`` and
        vice versa) and report it beside the primary one.
    feedback : bool, default True
        Run the strict-exogeneity (feedback) check (:func:`~cxresearch.persistence.feedback_check`)
        when the panel has at least ``max_lag + 3`` years.

    Returns
    -------
    HorizonResult
        ``primary`` and ``robustness`` (:class:`HorizonEstimate`: ``h``, ``censored``, ``ci_lower``,
        ``ci_upper``, ``boot_share_censored``, ``distribution``, ``profile``, ``negative_lags``),
        ``test`` (the Mundlak test), ``feedback`` (the lead check), ``definition`` (the text of
        :data:`HORIZON_DEFINITION`) and ``settings``. ``to_frame()`` gives one row per estimator.

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

    Which estimator: customers differ in stable ways. If a stable trait (loyalty propensity, the
    kind of business, tenure) goes with a customer's *mean* satisfaction, every lag of satisfaction
    carries information on the trait and the pooled lags stay "significant" far beyond the true
    horizon (on simulated panels with such a trait the pooled H runs to the censoring point, 7 with
    ``max_lag=6``, for true horizons 3, 0, 5 and 2 alike — ``tests/test_persistence.py``). The
    within estimator uses only each customer's deviations from their own means and is immune to any
    stable trait. ``method="auto"`` lets the cluster-robust Mundlak test decide: its auxiliary
    regression is the pooled one plus the customers' mean lags, and its lag coefficients equal the
    within ones exactly; the pooled model survives only if the means add nothing (p >= alpha), in
    which case it is the more efficient estimator and is kept. Measured
    (``benchmarks/coverage_horizon.py``: 15 panels per truth, 800 customers × 10 years,
    ``max_lag=6``, ``n_boot=50``, true horizons 3, 0, 5, 2): with a trait (loyalty shifted by
    1 × the customer's mean satisfaction − 6) the test rejected the pooled model in 60 of 60 panels,
    the default's H equalled the truth in 59 of 60 and its interval covered it in 60 of 60, against
    5 of 60 and 32 of 60 for the pooled estimator; without a trait the test rejected in 7 of 60
    (5 of them in the 15 no-effect panels; over 120 further panels its rejection rate was 5.0%
    with no effect and 7.5% with lags 0.3, 0.2, nominal 5%), H equalled the truth in 58 of 60 and
    the interval covered it in 60 of 60.

    Feedback: the within estimator needs strict exogeneity — this year's loyalty shock must not move
    later satisfaction. A loyal customer who buys more and is served more may grow more satisfied
    (feedback from loyalty to later satisfaction); then the within lags are biased by a term of order
    1/T (T the years per customer; Nickell-type), while the pooled lags are biased by any stable
    trait. The ``feedback`` check adds next year's exposure to the within regression (Wooldridge 2010,
    10.7.1): a significant lead flags feedback, and H should then be read with care (the report's
    appendix prints the check). On the demo study no feedback is built in and the lead is not
    significant.

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

    Examples
    --------
    How many years satisfaction keeps acting on repurchase intent in eight waves of the demo study
    (true horizon: 4 years, lags 0-3):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=8)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> res = cx.persistence.horizon(panel, id="customer_id", time="year", outcome="repurchase",
    ...                              exposure="overall_sat", max_lag=5, seed=1)
    >>> cols = ["method", "role", "h", "censored", "ci_lower", "ci_upper", "test_p_value"]
    >>> res.to_frame()[cols].round(3)
       method        role  h  censored  ci_lower  ci_upper  test_p_value
    0  pooled     primary  4     False       2.0       5.0         0.881
    1  within  robustness  4     False       2.0       6.0         0.881
    >>> res.primary.profile.table[["lag", "estimate", "p_one_sided"]].round(3)
       lag  estimate  p_one_sided
    0    0     0.395        0.000
    1    1     0.283        0.000
    2    2     0.160        0.000
    3    3     0.147        0.000
    4    4     0.049        0.119
    5    5    -0.029        0.751
    """
    alpha = _check_alpha(alpha)
    min_effect = _check_min_effect(min_effect)
    _check_whole(n_boot, "n_boot", 0)
    controls_l = _as_list(controls, "controls")
    if method not in HORIZON_METHODS:
        raise CXValueError(
            f"method must be one of {', '.join(map(repr, HORIZON_METHODS))}; got {method!r}"
        )
    kw = dict(
        panel=panel,
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        time_effects=bool(time_effects),
    )
    designs = {"pooled": _build_design(**kw, method="pooled")}
    test = _mundlak_from_design(designs["pooled"], alpha=alpha)
    chosen = test.chosen if method == "auto" else method
    settings = dict(
        id=id,
        time=time,
        outcome=outcome,
        exposure=exposure,
        max_lag=max_lag,
        controls=controls_l,
        alpha=alpha,
        n_boot=int(n_boot),
        seed=seed,
        method=method,
        chosen=chosen,
        robustness=bool(robustness),
        time_effects=bool(time_effects),
        min_effect=min_effect,
        feedback=bool(feedback),
    )
    rng = np.random.default_rng(seed)
    methods = [chosen] + ([m for m in METHODS if m != chosen] if robustness else [])
    estimates = []
    for m in methods:
        design = designs.get(m) or _build_design(**kw, method=m)
        estimates.append(
            _horizon_estimate(
                design,
                method=m,
                alpha=alpha,
                n_boot=int(n_boot),
                rng=rng,
                settings={**settings, "method": m},
                min_effect=min_effect,
            )
        )
    fb = None
    t_int = pd.to_numeric(panel[time], errors="coerce")
    if feedback and t_int.nunique() >= int(max_lag) + 3:
        try:
            fb = _feedback_from_design(
                _build_design(**kw, method="within", lead=True), exposure=exposure, alpha=alpha
            )
        except CXValueError:  # too few customer-years with a lead: no check
            fb = None
    return HorizonResult(
        primary=estimates[0],
        robustness=estimates[1] if len(estimates) > 1 else None,
        definition=HORIZON_DEFINITION,
        settings=settings,
        test=test,
        feedback=fb,
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

    Examples
    --------
    The horizon of satisfaction and of likelihood to recommend on repurchase intent, in eight
    waves of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=8)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "recommend", "repurchase"])
    >>> res = cx.persistence.horizons(panel, id="customer_id", time="year", outcome="repurchase",
    ...                               exposures=["overall_sat", "recommend"], max_lag=5, seed=1)
    >>> res[["exposure", "method", "role", "h", "censored", "ci_lower", "ci_upper"]]
          exposure  method        role  h  censored  ci_lower  ci_upper
    0  overall_sat  pooled     primary  4     False       2.0       5.0
    1  overall_sat  within  robustness  4     False       2.0       6.0
    2    recommend  pooled     primary  5     False       4.0       6.0
    3    recommend  within  robustness  6      True       1.0       6.0
    """
    exps = _as_list(list(exposures) if isinstance(exposures, tuple) else exposures, "exposures")
    if not exps:
        raise CXValueError("exposures must name at least one column")
    controls = _as_list(kwargs.pop("controls", None), "controls")
    frames = []
    for i, exposure in enumerate(exps):
        res = horizon(
            panel,
            id=id,
            time=time,
            outcome=outcome,
            exposure=exposure,
            controls=[c for c in controls if c != exposure] or None,
            seed=None if seed is None else seed + i,
            **kwargs,
        )
        f = res.to_frame()
        f.insert(0, "exposure", exposure)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
