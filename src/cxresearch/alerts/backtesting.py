"""Back-test of the rules against churn: precision, recall, lift and risk ratio with intervals.

:func:`backtest` replays the rules on earlier waves and compares each rule's alerts with the CRM's
churn flag. Proportions get Wilson or Clopper–Pearson intervals (statsmodels), the risk ratio
Katz's log interval, the p-value Fisher's exact test (scipy); the lift interval is the log method
(multinomial delta method, ``_lift_log_ci``) or a customer cluster bootstrap (``_boot_lift``).

Why hand-written: no maintained package offers an interval for lift (precision over the base
rate); the two methods are written out here, the rest delegates to statsmodels and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import check_alpha

from ..errors import CXValueError
from .firing import _crm_column, _need, fire_rules
from .rules import AlertRule, rules_from_params


@dataclass(frozen=True, repr=False)
class BacktestResult(ResultDisplay):
    """Back-test of the alert rules against churn (see :func:`backtest`).

    Attributes
    ----------
    frame : DataFrame
        One row per rule (plus ``any``: at least one rule) × wave (plus ``all``: pooled over
        the back-test waves); columns listed in :func:`backtest`.
    rules : tuple of AlertRule
    waves : tuple
        Waves replayed.
    offset : int
    alpha : float
    proportion_ci : str
    lift_ci : str
    n_boot : int
    seed : int or None
    no_history : str or None
        Why the back-test is empty (``frame`` has its columns and no rows, ``waves`` is empty)
        when :func:`backtest` ran with ``if_no_history="empty"`` and no earlier wave had a known
        outcome; ``None`` for a normal result.
    """

    frame: pd.DataFrame
    rules: tuple[AlertRule, ...]
    waves: tuple
    offset: int
    alpha: float
    proportion_ci: str
    lift_ci: str
    n_boot: int
    seed: int | None
    no_history: str | None = None

    @property
    def empty(self) -> bool:
        """True when no wave could be replayed (see :attr:`no_history`)."""
        return self.no_history is not None

    def to_frame(self) -> pd.DataFrame:
        """The back-test table (:attr:`frame`)."""
        return self.frame.copy()


#: Columns of :attr:`BacktestResult.frame` and their dtypes (used for the empty result).
_COLUMNS = {
    "rule": object,
    "owner": object,
    "wave": object,
    "n": "int64",
    "n_churned": "int64",
    "base_rate": float,
    "base_ci_lower": float,
    "base_ci_upper": float,
    "n_alerts": "int64",
    "true_positives": "int64",
    "precision": float,
    "precision_ci_lower": float,
    "precision_ci_upper": float,
    "recall": float,
    "recall_ci_lower": float,
    "recall_ci_upper": float,
    "lift": float,
    "lift_se": float,
    "lift_ci_lower": float,
    "lift_ci_upper": float,
    "risk_ratio": float,
    "rr_ci_lower": float,
    "rr_ci_upper": float,
    "p_value": float,
}


def _lift(a, b, c, d):
    """Lift = precision / base rate = [a/(a+b)] / [(a+c)/n] (scalars or arrays of counts)."""
    n = a + b + c + d
    return (a / (a + b)) / ((a + c) / n)


def _lift_log_ci(a, b, c, d, z):
    """Log-method interval of lift = [a/(a+b)] / [(a+c)/n] by the multinomial delta method."""
    n = a + b + c + d
    lift = _lift(a, b, c, d)
    ga = 1 / a - 1 / (a + b) - 1 / (a + c) + 1 / n
    gb = -1 / (a + b) + 1 / n
    gc = -1 / (a + c) + 1 / n
    gd = 1 / n
    # log-lift is homogeneous of degree 0 in the counts, so Var = sum n_i g_i^2 (the mean term vanishes)
    se = np.sqrt(a * ga**2 + b * gb**2 + c * gc**2 + d * gd**2)
    return lift, se, lift * np.exp(-z * se), lift * np.exp(z * se)


def _cells(alert: np.ndarray, churn: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cases in each cell of the 2×2 table: (alerted, churned), (alerted, stayed), (not, churned),
    (not, stayed) — the counts a, b, c, d."""
    return alert & churn, alert & ~churn, ~alert & churn, ~alert & ~churn


def _counts(alert: np.ndarray, churn: np.ndarray):
    return tuple(float(np.sum(m)) for m in _cells(alert, churn))


def _boot_lift(alert, churn, cluster, n_boot, rng, alpha):
    """Percentile interval of lift, resampling customers (clusters) with replacement."""
    codes, uniq = pd.factorize(cluster)
    k = len(uniq)
    per = np.zeros((k, 4))
    for j, cell in enumerate(_cells(alert, churn)):
        np.add.at(per[:, j], codes, cell)
    lifts = []
    chunk = max(1, min(n_boot, 2_000_000 // max(k, 1)))
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        w = rng.multinomial(k, np.full(k, 1.0 / k), size=m).astype(float)
        cnt = w @ per
        with np.errstate(invalid="ignore", divide="ignore"):
            lifts.append(_lift(*cnt.T))
        done += m
    lifts = np.concatenate(lifts)
    lifts = lifts[np.isfinite(lifts)]
    if len(lifts) < 0.9 * n_boot:
        return np.nan, np.nan, np.nan
    lo, hi = np.quantile(lifts, [alpha / 2, 1 - alpha / 2])
    return float(np.std(lifts, ddof=1)), float(lo), float(hi)


def backtest(
    responses: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    rules=None,
    waves=None,
    offset: int = 0,
    customer: str = "customer_id",
    wave: str = "wave",
    year: str = "year",
    churned: str = "churned",
    comment: str = "comment",
    codeframe=None,
    alpha: float = 0.05,
    proportion_ci: str = "wilson",
    lift_ci: str = "log",
    n_boot: int = 2000,
    seed: int | None = None,
    if_no_history: str = "raise",
) -> BacktestResult:
    """Replay the rules on earlier waves and score them against churn.

    For each replayed wave *w*, every responding customer with a known outcome is a case; the
    outcome is the CRM ``churned`` flag of year ``w + offset`` (``offset=0``: lost at the end of the
    survey year, i.e. no longer a customer the following year). Each rule's alerts in wave *w*
    are compared with that outcome.

    Parameters
    ----------
    responses : DataFrame
        Survey responses, all waves.
    customers : DataFrame
        CRM extract: ``customer``, ``year``, ``churned`` (bool), and ``high_value`` for the
        ``detractor_high_value`` rule.
    rules : sequence of AlertRule or dict, optional
        Default :data:`DEFAULT_RULES`.
    waves : sequence, optional
        Waves to replay (default: every wave before the latest one whose outcome year is in the
        CRM extract — the latest wave is the one being listed and its churn is not yet known).
    offset : int, default 0
        Outcome year = wave + offset.
    customer, wave, year, churned, comment : str
        Column names.
    codeframe : optional
        For ``complaint_theme``.
    alpha : float, default 0.05
    proportion_ci : {"wilson", "exact"}
        Interval for base rate, precision and recall: Wilson score or Clopper–Pearson exact.
    lift_ci : {"log", "bootstrap"}
        Interval for lift: ``log`` (delta method on log lift, multinomial counts — assumes the
        cases are independent, true within a wave) or ``bootstrap`` (percentile interval from
        ``n_boot`` resamples of customers, which keeps a customer's waves together in the pooled
        row).
    n_boot : int, default 2000
    seed : int, optional
        Seed of the bootstrap.
    if_no_history : {"raise", "empty"}, default "raise"
        What to do when no wave has a known outcome (e.g. a client's first survey wave, whose
        churn is not yet in the CRM): ``"raise"`` a :class:`CXValueError`, or return an
        ``"empty"`` result — ``frame`` with the columns below and no rows, ``waves == ()`` and
        ``no_history`` saying why.

    Returns
    -------
    BacktestResult
        ``frame`` with one row per rule (and ``any``) × wave (and ``all``): ``rule``, ``owner``,
        ``wave``, ``n`` (cases with known outcome), ``n_churned``, ``base_rate``,
        ``base_ci_lower``, ``base_ci_upper``, ``n_alerts``, ``true_positives``, ``precision``
        (share of alerted who churned), ``precision_ci_lower``, ``precision_ci_upper``, ``recall``
        (share of the surveyed churners who were alerted — churners who did not answer that wave
        could not be alerted and are outside the back-test), ``recall_ci_lower``, ``recall_ci_upper``, ``lift``
        (precision / base rate), ``lift_se`` (of log lift for ``log``; of lift for ``bootstrap``),
        ``lift_ci_lower``, ``lift_ci_upper``, ``risk_ratio`` (churn rate of alerted / not
        alerted), ``rr_ci_lower``, ``rr_ci_upper`` (Katz log interval), ``p_value`` (Fisher's
        exact test, two-sided).

    Raises
    ------
    CXValueError
        Bad option values, missing columns, no wave with a known outcome (with
        ``if_no_history="raise"``).

    A row with no alert or no churner gets NaN precision/lift (nothing to estimate) rather than
    an error.

    Notes
    -----
    With counts *a* (alerted, churned), *b* (alerted, stayed), *c* (not alerted, churned), *d*
    and *n = a+b+c+d*: precision :math:`a/(a+b)`, recall :math:`a/(a+c)`, base rate
    :math:`(a+c)/n`, lift :math:`L = \\frac{a/(a+b)}{(a+c)/n}`. Log method:
    :math:`\\operatorname{Var}\\log L = \\sum_i n_i (\\partial \\log L / \\partial n_i)^2` with
    :math:`\\partial_a = 1/a - 1/(a+b) - 1/(a+c) + 1/n`, :math:`\\partial_b = 1/n - 1/(a+b)`,
    :math:`\\partial_c = 1/n - 1/(a+c)`, :math:`\\partial_d = 1/n` (multinomial delta method;
    the mean term vanishes because log L is homogeneous of degree 0), interval
    :math:`L\\exp(\\pm z\\,\\mathrm{se})`. Risk ratio :math:`\\frac{a/(a+b)}{c/(c+d)}` with Katz's
    :math:`\\mathrm{se}^2 = 1/a - 1/(a+b) + 1/c - 1/(c+d)`. Lift > 1 means the rule's alerts
    churn more often than customers in general.

    References
    ----------
    Wilson, E. B. (1927). JASA 22(158), 209–212. doi:10.1080/01621459.1927.10502953
    Clopper, C. J., & Pearson, E. S. (1934). Biometrika 26(4), 404–413. doi:10.1093/biomet/26.4.404
    Katz, D., Baptista, J., Azen, S. P., & Pike, M. C. (1978). Obtaining confidence intervals for
    the risk ratio in cohort studies. Biometrics 34(3), 469–474. doi:10.2307/2530610
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., §16.1 (delta method). Wiley.

    Examples
    --------
    The default rules replayed on the demo study's three earlier waves, scored against the
    churn flag of the CRM extract:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> bt = cx.alerts.backtest(study.responses, study.customers)
    >>> bt.waves
    (2014, 2015, 2016)
    >>> pooled = bt.frame[bt.frame["wave"] == "all"].set_index("rule")
    >>> pooled[["n_alerts", "precision", "lift", "lift_ci_lower", "lift_ci_upper"]].round(2)
                  n_alerts  precision  lift  lift_ci_lower  lift_ci_upper
    rule
    low_sat             73       0.18  3.52           2.30           5.39
    sat_drop            38       0.08  1.56           0.55           4.46
    hv_detractor        79       0.03  0.50           0.13           1.90
    complaint          128       0.07  1.39           0.79           2.44
    any                243       0.08  1.55           1.12           2.14

    A low score predicts churn (its lift interval lies above 1); a high-value detractor does not.
    """
    rules = rules_from_params(rules)
    check_alpha(alpha)
    if proportion_ci not in ("wilson", "exact"):
        raise CXValueError(f"proportion_ci must be one of 'wilson', 'exact'; got {proportion_ci!r}")
    if lift_ci not in ("log", "bootstrap"):
        raise CXValueError(f"lift_ci must be one of 'log', 'bootstrap'; got {lift_ci!r}")
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise CXValueError(f"offset must be a non-negative integer; got {offset!r}")
    if if_no_history not in ("raise", "empty"):
        raise CXValueError(f"if_no_history must be one of 'raise', 'empty'; got {if_no_history!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 100:
        raise CXValueError(f"n_boot must be an integer >= 100; got {n_boot!r}")
    if not isinstance(customers, pd.DataFrame):
        raise CXValueError(f"customers must be a DataFrame; got {type(customers).__name__}")
    for c in (customer, year, churned):
        if c not in customers.columns:
            raise CXValueError(f"customers needs a column {c!r}")
    _need(responses, wave, "wave")
    _need(responses, customer, "customer")
    if not pd.api.types.is_numeric_dtype(responses[wave]) or pd.api.types.is_bool_dtype(
        responses[wave]
    ):
        raise CXValueError(
            f"wave column {wave!r} must hold years (numbers) for the back-test; got dtype "
            f"{responses[wave].dtype}"
        )
    years = set(customers[year].dropna().unique().tolist())
    all_waves = sorted(responses[wave].dropna().unique().tolist())
    if waves is None:
        # earlier waves only: the latest wave is the one being listed, its outcome still open
        waves = [w for w in all_waves[:-1] if (w + offset) in years]
    else:
        waves = [waves] if np.isscalar(waves) else list(waves)
        bad = [w for w in waves if w not in all_waves]
        if bad:
            raise CXValueError(
                f"waves must be waves of the responses; got {bad[0]!r} (waves: {all_waves})"
            )
    if not waves:
        why = (
            f"no wave has a known outcome: the CRM extract has years {sorted(years)[:5]}… and the "
            f"responses waves {all_waves[:5]}… (offset {offset})"
        )
        if if_no_history == "raise":
            raise CXValueError(why)
        frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COLUMNS.items()})
        return BacktestResult(
            frame=frame,
            rules=rules,
            waves=(),
            offset=int(offset),
            alpha=float(alpha),
            proportion_ci=proportion_ci,
            lift_ci=lift_ci,
            n_boot=n_boot,
            seed=seed,
            no_history=why,
        )
    fired = fire_rules(
        responses,
        rules=rules,
        customers=customers,
        customer=customer,
        wave=wave,
        year=year,
        comment=comment,
        codeframe=codeframe,
    )
    w_all = responses[wave].to_numpy()
    keep = np.isin(w_all, waves)
    outcome = _crm_column(
        customers,
        churned,
        customer=customer,
        year=year,
        customers_of=responses[customer].to_numpy(),
        years_of=w_all + offset,
    )
    known = keep & outcome.notna().to_numpy()
    pos = np.flatnonzero(known)
    y = outcome.to_numpy()[pos].astype(bool)
    wv = w_all[pos]
    cl = responses[customer].to_numpy()[pos]
    inv = np.full(len(responses), -1)
    inv[pos] = np.arange(len(pos))
    flags = {}
    for r in rules:
        f = np.zeros(len(pos), dtype=bool)
        p = fired.loc[fired["rule"] == r.name, "position"].to_numpy()
        p = inv[p]
        f[p[p >= 0]] = True
        flags[r.name] = (r.owner, f)
    flags["any"] = ("", np.logical_or.reduce([f for _, f in flags.values()]))
    z = stats.norm.ppf(1 - alpha / 2)
    method = "wilson" if proportion_ci == "wilson" else "beta"
    rng = np.random.default_rng(seed)

    def prop(k, n):
        if n == 0:
            return np.nan, np.nan, np.nan
        lo, hi = proportion_confint(k, n, alpha=alpha, method=method)
        return k / n, float(lo), float(hi)

    rows = []
    groups = [(w, wv == w) for w in waves] + [("all", np.ones(len(y), dtype=bool))]
    for name, (owner, f) in flags.items():
        for wname, gm in groups:
            al, ch = f[gm], y[gm]
            a, b, c, d = _counts(al, ch)
            n = a + b + c + d
            base, base_lo, base_hi = prop(a + c, n)
            prec, prec_lo, prec_hi = prop(a, a + b)
            rec, rec_lo, rec_hi = prop(a, a + c)
            lift = lse = llo = lhi = np.nan
            if a + b > 0 and a + c > 0:
                lift = _lift(a, b, c, d)
                if lift_ci == "log":
                    if a > 0:
                        lift, lse, llo, lhi = _lift_log_ci(a, b, c, d, z)
                else:
                    lse, llo, lhi = _boot_lift(al, ch, cl[gm], n_boot, rng, alpha)
            rr = rlo = rhi = np.nan
            if a > 0 and c > 0 and a + b > 0 and c + d > 0:
                rr = (a / (a + b)) / (c / (c + d))
                se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
                rlo, rhi = rr * np.exp(-z * se), rr * np.exp(z * se)
            pval = float(stats.fisher_exact([[a, b], [c, d]]).pvalue) if n > 0 else np.nan
            rows.append(
                dict(
                    rule=name,
                    owner=owner,
                    wave=wname,
                    n=int(n),
                    n_churned=int(a + c),
                    base_rate=base,
                    base_ci_lower=base_lo,
                    base_ci_upper=base_hi,
                    n_alerts=int(a + b),
                    true_positives=int(a),
                    precision=prec,
                    precision_ci_lower=prec_lo,
                    precision_ci_upper=prec_hi,
                    recall=rec,
                    recall_ci_lower=rec_lo,
                    recall_ci_upper=rec_hi,
                    lift=lift,
                    lift_se=lse,
                    lift_ci_lower=llo,
                    lift_ci_upper=lhi,
                    risk_ratio=rr,
                    rr_ci_lower=rlo,
                    rr_ci_upper=rhi,
                    p_value=pval,
                )
            )
    frame = pd.DataFrame(rows)
    frame["wave"] = frame["wave"].astype(object)
    return BacktestResult(
        frame=frame,
        rules=rules,
        waves=tuple(waves),
        offset=int(offset),
        alpha=float(alpha),
        proportion_ci=proportion_ci,
        lift_ci=lift_ci,
        n_boot=n_boot,
        seed=seed,
    )
