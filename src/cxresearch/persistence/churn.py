"""Dissatisfaction runs and the churn hazard: are customers dissatisfied several years running more
likely to leave?

:func:`dissatisfaction_runs` counts, for each customer-year, the consecutive calendar years the
customer has been dissatisfied; :func:`churn_hazard` fits a discrete-time hazard of churn on that run
length (statsmodels Logit on person-period data).

References: Allison (1982), doi:10.2307/270718; Singer & Willett (1993),
doi:10.3102/10769986018002155.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError, NotEstimableWarning
from cxresearch.persistence._panel import (
    _as_binary,
    _as_list,
    _check_alpha,
    _check_duplicates,
    _check_whole,
    _is_number,
    _require_columns,
    _require_frame,
    _require_numeric,
    _time_as_int,
    _with_columns,
)


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
        dissatisfied; 0 in a satisfied year), ``run_complete`` (bool: the run's length is known —
        the year before the run was scored (and so satisfied) or precedes the customer's first year
        in the panel; True in a satisfied year).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns, non-whole years, duplicated (id, time), a non-numeric cut.

    Notes
    -----
    A run is broken by a satisfied year and by a year without a score (a skipped survey wave or a
    missing answer): an unobserved year is not evidence of dissatisfaction, so the count is a lower
    bound of the true run when the customer skipped a wave in the middle of it; such a run is
    flagged ``run_complete=False``. A customer's first year in the panel is the first row, scored
    or not: runs are counted from it (years before the data are not known).

    Examples
    --------
    Consecutive years with overall satisfaction of 5 or less (on 0-10), in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> runs = cx.persistence.dissatisfaction_runs(panel, id="customer_id", time="year",
    ...                                            score="overall_sat", cut=5)
    >>> runs.head(4)
      customer_id  year  overall_sat  dissatisfied  run_length  run_complete
    0     C000001  2014          3.0          True           1          True
    1     C000001  2015          3.0          True           2          True
    2     C000001  2016          4.0          True           3          True
    3     C000001  2017          5.0          True           4          True
    >>> runs["run_length"].value_counts().sort_index()
    run_length
    0    1341
    1     259
    2      71
    3      25
    4      11
    5       1
    Name: count, dtype: int64

    34 of those runs start after a year the customer did not answer, so they may be longer:

    >>> int((~runs["run_complete"]).sum())
    34
    """
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "score": score})
    _require_numeric(panel, score, "score")
    if not _is_number(cut):
        raise CXValueError(f"cut must be a number on the score's scale; got {cut!r}")
    t = _time_as_int(panel, time)
    _check_duplicates(panel, id, time)
    frame = pd.DataFrame(
        {id: panel[id].to_numpy(), time: t, score: panel[score].to_numpy(dtype=float)}
    )
    # each customer's first year in the panel, scored or not: a run that starts there is complete
    first_year = frame.groupby(id, sort=False)[time].min()
    frame = frame.loc[frame[score].notna()].sort_values([id, time], kind="mergesort")
    frame = frame.reset_index(drop=True)
    d = (frame[score] <= cut).to_numpy()
    idv = frame[id].to_numpy()
    tv = frame[time].to_numpy()
    seg_start = np.r_[True, (idv[1:] != idv[:-1]) | (tv[1:] - tv[:-1] != 1)]
    block = np.cumsum(~d | seg_start)
    run = pd.Series(d.astype(np.int64)).groupby(block).cumsum().to_numpy()
    # a run is complete (its length is the true one) when the year before it was scored — then it was
    # satisfied, or the run would be longer — or precedes the customer's first year in the panel; a
    # run that starts after an unscored year (a skipped wave) may be longer than counted
    j = np.arange(len(frame)) - run  # the row of the year before the run, if it was scored
    jj = np.maximum(j, 0)
    scored_before = (j >= 0) & (idv[jj] == idv) & (tv[jj] == tv - run)
    entry = first_year.reindex(idv).to_numpy()
    complete = ~d | scored_before | (tv - run < entry)
    frame["dissatisfied"] = d
    frame["run_length"] = run.astype(np.int64)
    frame["run_complete"] = complete
    return frame


@dataclass(frozen=True, repr=False)
class HazardResult(ResultDisplay):
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
    n_incomplete : int
        Scored person-years left out because their run's length is not known (it starts after an
        unscored year and is shorter than ``max_run``); 0 with ``incomplete_runs="count"``.
    """

    table: pd.DataFrame
    rates: pd.DataFrame
    n_obs: int
    n_customers: int
    n_events: int
    settings: dict = field(default_factory=dict)
    n_incomplete: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The odds-ratio table with ``n_obs``, ``n_customers`` and ``n_events`` columns."""
        return _with_columns(
            self.table,
            n_obs=self.n_obs,
            n_customers=self.n_customers,
            n_events=self.n_events,
            n_incomplete=self.n_incomplete,
        )


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
    incomplete_runs: str = "drop",
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
    incomplete_runs : {"drop", "count"}, default "drop"
        What to do with a dissatisfied year whose run starts right after an unscored year of the
        customer (a skipped survey wave): its true run may be longer than the run counted, so its
        category is unknown unless the counted run already reaches ``max_run``. ``"drop"`` leaves
        those person-years out of the rates and the fit (``HazardResult.n_incomplete`` counts them);
        ``"count"`` keeps them in the category of the counted run (a lower bound), which biases the
        odds ratios of the shorter runs upwards when waves are skipped.

    Returns
    -------
    HazardResult
        ``table`` (odds ratios of run categories 1..max_run against run 0 = satisfied now, and of the
        score and controls), ``rates`` (observed hazards), ``n_obs``, ``n_customers``, ``n_events``,
        ``n_incomplete``.

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
    satisfied one of the same current score. Runs are counted from the customer's first year in
    the panel. A run that begins right after an unscored year has an unknown length (at least the
    count); with ``incomplete_runs="drop"`` those person-years are left out. Leaving them out
    depends only on which years were scored, so when the survey skips are unrelated to churn given
    the run and the score, the estimates stay consistent for the :math:`\\delta_k` of the true runs;
    counting them as shorter runs does not (the demo study, with 5–18% of waves skipped, gives
    run-1 to run-3 log odds ratios 0.06–0.09 too high with ``"count"``: see
    ``tests/test_persistence_demo.py``). Standard errors are maximum likelihood ones: the
    person-period likelihood factorises over years, so they are valid for the discrete-time
    hazard; intervals are Wald intervals on the log-odds scale, exponentiated. Unweighted.

    References
    ----------
    .. [1] Allison, P. D. (1982). Discrete-time methods for the analysis of event histories.
       Sociological Methodology 13, 61-98. doi:10.2307/270718
    .. [2] Singer, J. D., & Willett, J. B. (1993). It's about time: using discrete-time survival
       analysis to study duration and the timing of events. Journal of Educational Statistics
       18(2), 155-195. doi:10.3102/10769986018002155

    Examples
    --------
    How much more likely to leave are the demo study's customers after several dissatisfied years
    (overall satisfaction 5 or less)?

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> res = cx.persistence.churn_hazard(panel, id="customer_id", time="year", score="overall_sat",
    ...                                   churn="churned", cut=5)
    >>> res.rates.round(3)
      run_length  person_years  events  hazard
    0          0          1341      47   0.035
    1          1           233      24   0.103
    2          2            65      15   0.231
    3          3            24       9   0.375
    4         4+            12       9   0.750
    >>> res.table[["term", "odds_ratio", "ci_lower", "ci_upper", "p_value"]].round(3)
              term  odds_ratio  ci_lower  ci_upper  p_value
    0        run_1       3.115     1.413     6.865    0.005
    1        run_2       8.126     3.225    20.472    0.000
    2        run_3      16.239     5.325    49.524    0.000
    3       run_4+      81.133    17.737   371.120    0.000
    4  overall_sat       0.995     0.822     1.205    0.961
    >>> res.n_obs, res.n_customers, res.n_events, res.n_incomplete
    (1675, 420, 104, 33)
    """
    alpha = _check_alpha(alpha)
    panel = _require_frame(panel)
    _require_columns(panel, {"churn": churn})
    controls_l = _as_list(controls, "controls")
    for c in controls_l:
        _require_columns(panel, {"controls": c})
        _require_numeric(panel, c, "controls")
    max_run = _check_whole(max_run, "max_run", 1)
    if incomplete_runs not in ("drop", "count"):
        raise CXValueError(
            f"incomplete_runs must be one of 'drop', 'count'; got {incomplete_runs!r}"
        )
    ch_num = _as_binary(panel, churn, "churn")

    runs = dissatisfaction_runs(panel, id=id, time=time, score=score, cut=cut)
    extra = pd.DataFrame(
        {
            id: panel[id].to_numpy(),
            time: _time_as_int(panel, time),
            "_churn": ch_num.to_numpy(dtype=float),
        }
    )
    for c in controls_l:
        extra[c] = panel[c].to_numpy(dtype=float)
    data = runs.merge(extra, on=[id, time], how="left", validate="one_to_one")
    data = data.loc[data[["_churn", *controls_l]].notna().all(axis=1)].reset_index(drop=True)
    n_incomplete = 0
    if incomplete_runs == "drop":
        unknown = ~data["run_complete"].to_numpy() & (data["run_length"].to_numpy() < max_run)
        n_incomplete = int(unknown.sum())
        data = data.loc[~unknown].reset_index(drop=True)
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
    degenerate = [
        k
        for k in range(max_run + 1)
        if rates.loc[k, "person_years"] > 0
        and rates.loc[k, "events"] in (0, rates.loc[k, "person_years"])
    ]
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
    table = table[
        ["term", "estimate", "se", "odds_ratio", "ci_lower", "ci_upper", "p_value", "estimable"]
    ]
    settings = dict(
        id=id,
        time=time,
        score=score,
        churn=churn,
        cut=cut,
        max_run=max_run,
        controls=controls_l,
        include_score=bool(include_score),
        alpha=alpha,
        incomplete_runs=incomplete_runs,
    )
    return HazardResult(
        table=table,
        rates=rates,
        n_obs=int(fit_rows.sum()),
        n_customers=int(data.loc[fit_rows, id].nunique()),
        n_events=int(yf.sum()),
        settings=settings,
        n_incomplete=n_incomplete,
    )
