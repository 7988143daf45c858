"""Loyalty dynamics: the loyalty ladder and its migration, retention curves, the cost of transfers.

* :func:`ladder` places every customer-year on the loyalty ladder (prospect → target → first-time →
  repeat → loyal → advocate) from behaviour (purchases, tenure, targeting) and attitude (the
  recommendation score), by rules given as a :class:`LadderRules` with sensible defaults;
* :func:`stage_shares` and :func:`migration` describe the ladder per wave and the moves between
  consecutive waves, churn being an absorbing state;
* :func:`retention_curves` gives Kaplan–Meier retention by satisfaction band (lifelines);
* :func:`transfer_penalty` estimates the relative loss of loyalty, and of the probability of being a
  promoter, per transfer between departments (statsmodels GLM, log link).

Everything here is computation: tidy frames of raw floats in, frozen result objects out.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxresearch.errors import CXValueError, NotEstimableWarning
from cxresearch.persistence._panel import (
    _as_binary,
    _as_list,
    _check_alpha,
    _check_duplicates,
    _require_columns,
    _require_frame,
    _require_numeric,
    _time_as_int,
)

__all__ = [
    "STAGES",
    "CHURNED",
    "LadderRules",
    "MigrationResult",
    "RetentionResult",
    "TransferPenaltyResult",
    "ladder",
    "stage_shares",
    "migration",
    "retention_curves",
    "transfer_penalty",
]

#: The ladder's stages, bottom to top.
STAGES = ("prospect", "target", "first_time", "repeat", "loyal", "advocate")
#: The absorbing state of :func:`migration`.
CHURNED = "churned"


# --------------------------------------------------------------------------------------------------
# ladder
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LadderRules:
    """Rules that place a customer-year on the loyalty ladder (all thresholds inclusive).

    Attributes
    ----------
    repeat_min_purchases : int, default 2
        Purchases ever (up to and including the year) to be a *repeat* buyer; one purchase is
        *first-time*.
    loyal_min_tenure : int, default 3
        Years since the first purchase (``year - first purchase year``) to be *loyal* …
    loyal_window : int, default 3
        … and in the last ``loyal_window`` years (this one included) …
    loyal_min_active_years : int, default 2
        … at least this many years with a purchase. A loyal customer is a repeat buyer who keeps
        buying.
    promoter_min : float, default 9
        Recommendation score (0–10) from which a customer is a promoter (NPS convention).
    advocate_base : {"repeat", "loyal"}, default "repeat"
        The behavioural stage a promoter must have reached to be an *advocate* (repeat buyer and
        promoter, by default).
    """

    repeat_min_purchases: int = 2
    loyal_min_tenure: int = 3
    loyal_window: int = 3
    loyal_min_active_years: int = 2
    promoter_min: float = 9
    advocate_base: str = "repeat"

    def __post_init__(self) -> None:
        for f in ("repeat_min_purchases", "loyal_min_tenure", "loyal_window",
                  "loyal_min_active_years"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise CXValueError(f"LadderRules.{f} must be a whole number >= 0; got {v!r}")
        if self.repeat_min_purchases < 2:
            raise CXValueError(
                f"LadderRules.repeat_min_purchases must be >= 2 (one purchase is first-time); "
                f"got {self.repeat_min_purchases!r}")
        if self.loyal_window < 1 or self.loyal_min_active_years > self.loyal_window:
            raise CXValueError(
                "LadderRules needs loyal_window >= 1 and loyal_min_active_years <= loyal_window; got "
                f"loyal_window={self.loyal_window!r}, loyal_min_active_years={self.loyal_min_active_years!r}")
        if self.advocate_base not in ("repeat", "loyal"):
            raise CXValueError(
                f"LadderRules.advocate_base must be one of 'repeat', 'loyal'; got {self.advocate_base!r}")
        if not isinstance(self.promoter_min, (int, float, np.integer, np.floating)) or isinstance(
                self.promoter_min, bool):
            raise CXValueError(f"LadderRules.promoter_min must be a number; got {self.promoter_min!r}")

    def to_dict(self) -> dict:
        """The rules as a plain dict (for a run manifest)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _rules_from(rules: LadderRules | Mapping | None) -> LadderRules:
    if rules is None:
        return LadderRules()
    if isinstance(rules, LadderRules):
        return rules
    if isinstance(rules, Mapping):
        allowed = [f.name for f in fields(LadderRules)]
        unknown = [k for k in rules if k not in allowed]
        if unknown:
            raise CXValueError(f"unknown ladder rule(s) {unknown}; allowed: {allowed}")
        return LadderRules(**dict(rules))
    raise CXValueError(f"rules must be a LadderRules or a mapping; got {type(rules).__name__}")


def ladder(
    customers: pd.DataFrame,
    *,
    id: str = "customer_id",
    time: str = "year",
    purchases: str = "purchases",
    first_purchase: str | None = "first_purchase_year",
    targeted: str | None = "targeted",
    churn: str | None = "churned",
    recommend: str | None = "recommend",
    survey: pd.DataFrame | None = None,
    survey_time: str = "wave",
    rules: LadderRules | Mapping | None = None,
) -> pd.DataFrame:
    """Place every customer-year on the loyalty ladder.

    Parameters
    ----------
    customers : pandas.DataFrame
        The CRM panel: one row per customer × year while the customer exists (prospects included).
    id, time : str
        Customer id and year columns.
    purchases : str
        Purchases in the year (count, >= 0).
    first_purchase : str or None, default "first_purchase_year"
        Year of the customer's first purchase (NaN for prospects). It tells which customers bought
        before the panel starts; ``None`` derives it from ``purchases``.
    targeted : str or None, default "targeted"
        Bool: the prospect was in a sales campaign this year. ``None``: nobody is a *target*.
    churn : str or None, default "churned"
        Bool: lost at the end of this year (copied to the output for :func:`migration`).
    recommend : str or None, default "recommend"
        Recommendation score (0–10); read from ``survey`` when given, else from ``customers``; a
        missing score means the customer cannot be an advocate that year. ``None`` or an absent
        column: attitude is not used (nobody is an advocate).
    survey : pandas.DataFrame, optional
        Survey responses (one per customer × wave) holding ``recommend``; joined on ``id`` and
        ``survey_time`` = ``time``.
    survey_time : str, default "wave"
        The survey's year column.
    rules : LadderRules or mapping, optional
        Thresholds; default :class:`LadderRules()`.

    Returns
    -------
    pandas.DataFrame
        One row per customer-year of ``customers`` (sorted by id, time): ``id``, ``time``,
        ``stage`` (ordered categorical of :data:`STAGES`), ``purchases_ever`` (float; a lower bound
        when the first purchase predates the panel), ``tenure`` (years since the first purchase; NaN
        for prospects), ``active_years_window`` (years with a purchase in the loyalty window),
        ``window_complete`` (bool: the loyalty window lies inside the customer's panel years, or the
        customer first bought in the panel; False marks early panel years where *loyal* may be
        undercounted),
        ``promoter`` (bool), ``churned`` (bool; False when ``churn`` is None).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns; negative purchases; duplicated (id, time) in ``customers``
        or ``survey``; bad rules.

    Notes
    -----
    Rules, checked top down (the first that applies wins):

    1. *advocate*: promoter (``recommend >= promoter_min``) and at least the ``advocate_base`` stage;
    2. *loyal*: repeat buyer, ``tenure >= loyal_min_tenure`` and a purchase in at least
       ``loyal_min_active_years`` of the last ``loyal_window`` years;
    3. *repeat*: ``purchases_ever >= repeat_min_purchases``;
    4. *first_time*: ``purchases_ever >= 1``;
    5. *target*: never purchased, targeted this year;
    6. *prospect*: never purchased.

    ``purchases_ever`` is the cumulative sum of ``purchases`` in the panel, plus one when the first
    purchase year precedes the customer's first panel year (the purchases before the panel are
    unknown; at least one happened). Years before the panel are not counted in the loyalty window,
    so in the first ``loyal_window - 1`` panel years customers who bought before the panel can be
    classed *repeat* instead of *loyal*: ``window_complete`` flags those rows (filter on it, or start
    the reported waves ``loyal_window - 1`` years after the panel).
    The ladder follows Griffin's customer-loyalty ladder (suspect → prospect → first-time → repeat →
    client → advocate) with the CRM's targeting in place of "suspect".

    References
    ----------
    .. [1] Griffin, J. (2002). Customer Loyalty: How to Earn It, How to Keep It (2nd ed.).
       Jossey-Bass. ISBN 978-0787963880.
    .. [2] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review
       81(12), 46-54.
    """
    rules = _rules_from(rules)
    customers = _require_frame(customers, "customers")
    _require_columns(customers, {"id": id, "time": time, "purchases": purchases,
                                 "first_purchase": first_purchase, "targeted": targeted,
                                 "churn": churn})
    _require_numeric(customers, purchases, "purchases")
    t = _time_as_int(customers, time)
    _check_duplicates(customers, id, time)
    buys = customers[purchases].to_numpy(dtype=float)
    if np.nanmin(buys, initial=0) < 0:
        raise CXValueError(f"purchases column {purchases!r} must be >= 0; got {np.nanmin(buys)!r}")
    d = pd.DataFrame({id: customers[id].to_numpy(), time: t, "_buys": np.nan_to_num(buys)})
    if first_purchase is not None:
        _require_numeric(customers, first_purchase, "first_purchase")
        d["_first"] = customers[first_purchase].to_numpy(dtype=float)
    d["_targeted"] = (_as_binary(customers, targeted, "targeted").fillna(0).to_numpy() > 0
                      if targeted is not None else False)
    d["churned"] = (_as_binary(customers, churn, "churn").fillna(0).to_numpy() > 0
                    if churn is not None else False)

    # attitude
    rec = None
    if recommend is not None:
        if survey is not None:
            survey = _require_frame(survey, "survey")
            _require_columns(survey, {"id": id, "survey_time": survey_time, "recommend": recommend})
            _require_numeric(survey, recommend, "recommend")
            _check_duplicates(survey, id, survey_time)
            s = pd.DataFrame({id: survey[id].to_numpy(), time: _time_as_int(survey, survey_time),
                              "_rec": survey[recommend].to_numpy(dtype=float)})
            d = d.merge(s, on=[id, time], how="left", validate="one_to_one")
            rec = "_rec"
        elif recommend in customers.columns:
            _require_numeric(customers, recommend, "recommend")
            d["_rec"] = customers[recommend].to_numpy(dtype=float)
            rec = "_rec"
    d = d.sort_values([id, time], kind="mergesort").reset_index(drop=True)

    g = d.groupby(id, sort=False)
    first_obs = g[time].transform("min").to_numpy()
    derived_first = d[time].where(d["_buys"] > 0).groupby(d[id]).transform("min").to_numpy()
    # the CRM's first purchase year, or the first year with a purchase if that is earlier / missing
    first = np.fmin(d["_first"].to_numpy(), derived_first) if first_purchase is not None else derived_first
    tv = d[time].to_numpy()
    bought_before_panel = (first < first_obs).astype(float)
    ever = g["_buys"].cumsum().to_numpy() + bought_before_panel
    # a first purchase year up to t counts as one purchase even if the CRM's count is 0
    ever = np.where((first <= tv) & (ever < 1), 1.0, ever)
    tenure = np.where(first <= tv, tv - first, np.nan)
    # purchase years in the window [t - w + 1, t], by calendar year
    idx = pd.MultiIndex.from_arrays([d[id].to_numpy(), tv])
    active = pd.Series((d["_buys"].to_numpy() > 0).astype(float), index=idx)
    window = np.zeros(len(d))
    for k in range(rules.loyal_window):
        key = pd.MultiIndex.from_arrays([d[id].to_numpy(), tv - k])
        window += np.nan_to_num(active.reindex(key).to_numpy())
    # the window is fully observed if it starts inside the customer's panel years, or if the customer
    # had not bought before the panel (nothing before the panel to miss)
    window_start = tv - rules.loyal_window + 1
    window_complete = (window_start >= first_obs) | ~(first < first_obs)
    promoter = (d[rec].to_numpy() >= rules.promoter_min) if rec else np.zeros(len(d), bool)

    repeat = ever >= rules.repeat_min_purchases
    loyal = repeat & (tenure >= rules.loyal_min_tenure) & (window >= rules.loyal_min_active_years)
    base = repeat if rules.advocate_base == "repeat" else loyal
    targeted_now = d["_targeted"].to_numpy(dtype=bool)
    stage = np.select(
        [promoter & base, loyal, repeat, ever >= 1, targeted_now],
        ["advocate", "loyal", "repeat", "first_time", "target"],
        default="prospect",
    )
    out = pd.DataFrame(
        {
            id: d[id].to_numpy(),
            time: tv,
            "stage": pd.Categorical(stage, categories=list(STAGES), ordered=True),
            "purchases_ever": ever,
            "tenure": tenure,
            "active_years_window": window,
            "window_complete": window_complete,
            "promoter": promoter,
            "churned": d["churned"].to_numpy(dtype=bool),
        }
    )
    out.attrs["rules"] = rules.to_dict()
    return out


def stage_shares(stages: pd.DataFrame, *, time: str = "year", stage: str = "stage") -> pd.DataFrame:
    """Share of each ladder stage per wave.

    Parameters
    ----------
    stages : pandas.DataFrame
        The output of :func:`ladder` (or any frame with a year and a stage column).
    time, stage : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per year × stage (every stage of :data:`STAGES`, zeros included): ``time``,
        ``stage``, ``n`` (customers), ``share`` (n / customers that year).

    Raises
    ------
    CXValueError
        Missing columns or an unknown stage label.
    """
    stages = _require_frame(stages, "stages")
    _require_columns(stages, {"time": time, "stage": stage})
    unknown = set(stages[stage].dropna().astype(str)) - set(STAGES)
    if unknown:
        raise CXValueError(f"stage column {stage!r} has unknown stages {sorted(unknown)}; "
                           f"allowed: {list(STAGES)}")
    counts = pd.crosstab(stages[time], pd.Categorical(stages[stage].astype(str),
                                                      categories=list(STAGES)), dropna=False)
    counts = counts.reindex(columns=list(STAGES), fill_value=0)
    long = counts.stack().rename("n").reset_index()
    long.columns = [time, "stage", "n"]
    long["n"] = long["n"].astype(int)
    long["share"] = long["n"] / long.groupby(time)["n"].transform("sum")
    return long


@dataclass(frozen=True)
class MigrationResult:
    """Moves between ladder stages from one wave to the next.

    Attributes
    ----------
    counts : pandas.DataFrame
        Index ``from_stage``, columns ``to_stage`` (the :data:`STAGES` and ``"churned"``): customers
        pooled over every pair of consecutive years.
    shares : pandas.DataFrame
        ``counts`` divided by its row sums (each row sums to 1; NaN for a stage nobody was in).
    pairs : pandas.DataFrame
        The same per pair of years, long: ``from_year``, ``to_year``, ``from_stage``, ``to_stage``,
        ``n``, ``share``.
    n_unobserved : int
        Customer-years whose customer is absent the next year without having churned (not counted).
    settings : dict
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    pairs: pd.DataFrame
    n_unobserved: int
    settings: dict = field(default_factory=dict)

    def project(self, start: Mapping[str, float] | pd.Series, *, years: int = 3) -> pd.DataFrame:
        """Project a distribution over the states forward with the pooled transition shares.

        Parameters
        ----------
        start : mapping or Series
            Customers (or shares) per state (:data:`STAGES` and ``"churned"``; missing states
            count 0).
        years : int, default 3
            Years to project.

        Returns
        -------
        pandas.DataFrame
            One row per year (0 = ``start``) and state: ``year``, ``state``, ``n``.

        Raises
        ------
        CXValueError
            Unknown state; negative values; ``years`` < 1; a state with customers whose row of
            ``shares`` is undefined (nobody was in it in the data). ``"churned"`` is always absorbing.

        Notes
        -----
        A first-order, time-homogeneous Markov chain: :math:`n_{t+1} = n_t P`, with P the pooled
        ``shares``. It ignores how long a customer has been in a stage and any trend in the moves;
        read it as "if the recent moves continued".
        """
        states = list(self.shares.index)
        start = pd.Series(dict(start), dtype=float)
        unknown = [k for k in start.index if k not in states]
        if unknown:
            raise CXValueError(f"start has unknown states {unknown}; allowed: {states}")
        if (start < 0).any():
            raise CXValueError(f"start must be >= 0; got {start[start < 0].to_dict()}")
        if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
            raise CXValueError(f"years must be a whole number >= 1; got {years!r}")
        n = start.reindex(states, fill_value=0.0).to_numpy()
        P = self.shares.to_numpy().copy()
        ic = states.index(CHURNED)
        P[ic] = 0.0
        P[ic, ic] = 1.0  # absorbing by definition, even if nobody had churned in the data
        undefined = np.isnan(P).any(axis=1)
        P = np.nan_to_num(P)
        rows = []
        for year in range(years + 1):
            if year < years and (n[undefined] > 0).any():
                names = [st for st, u, v in zip(states, undefined, n, strict=True) if u and v > 0]
                raise CXValueError(
                    f"no observed moves out of {names} (reached in year {year}): cannot project "
                    "customers in them")
            rows += [(year, st, float(v)) for st, v in zip(states, n, strict=True)]
            n = n @ P
        return pd.DataFrame(rows, columns=["year", "state", "n"])

    def to_frame(self) -> pd.DataFrame:
        """Pooled, long: ``from_stage``, ``to_stage``, ``n``, ``share``."""
        n = self.counts.stack(future_stack=True).rename("n")
        s = self.shares.stack(future_stack=True).rename("share")
        out = pd.concat([n, s], axis=1).reset_index()
        out.columns = ["from_stage", "to_stage", "n", "share"]
        out["n"] = out["n"].astype(int)
        return out


def migration(
    stages: pd.DataFrame,
    *,
    id: str = "customer_id",
    time: str = "year",
    stage: str = "stage",
    churn: str = "churned",
) -> MigrationResult:
    """Migration matrix between ladder stages in consecutive years, churn as an absorbing state.

    Parameters
    ----------
    stages : pandas.DataFrame
        The output of :func:`ladder`: one row per customer × year with a stage and a churn flag.
    id, time, stage : str
        Column names.
    churn : str
        Bool: lost at the end of this year.

    Returns
    -------
    MigrationResult
        ``counts`` and ``shares`` (from-stage × to-stage, :data:`STAGES` and ``"churned"``), the
        per-pair long frame ``pairs`` and ``n_unobserved``.

    Raises
    ------
    CXValueError
        Missing columns, unknown stages, duplicated (id, time), fewer than two consecutive years.

    Notes
    -----
    For each pair of calendar years (t, t+1) and each customer in the panel in year t: if the
    customer churned at the end of t the move is to ``"churned"``; else to the stage in t+1 if the
    customer is in the panel then; else it is unobserved and left out (counted in
    ``n_unobserved``). The ``"churned"`` row holds, for each pair, the customers who had churned by
    the end of t−1 (they stay churned: the state is absorbing by definition), so the matrix is a
    proper transition matrix whose powers project the ladder forward.
    """
    stages = _require_frame(stages, "stages")
    _require_columns(stages, {"id": id, "time": time, "stage": stage, "churn": churn})
    unknown = set(stages[stage].dropna().astype(str)) - set(STAGES)
    if unknown:
        raise CXValueError(f"stage column {stage!r} has unknown stages {sorted(unknown)}; "
                           f"allowed: {list(STAGES)}")
    t = _time_as_int(stages, time)
    _check_duplicates(stages, id, time)
    ch = _as_binary(stages, churn, "churn").fillna(0).to_numpy() > 0
    d = pd.DataFrame({"id": stages[id].to_numpy(), "t": t, "stage": stages[stage].astype(str),
                      "churned": ch})
    years = np.sort(d["t"].unique())
    pairs_years = [(y, y + 1) for y in years if y + 1 in set(years)]
    if not pairs_years:
        raise CXValueError(f"the panel has no two consecutive years in {time!r}; got {list(years)}")
    states = [*STAGES, CHURNED]
    nxt = d[["id", "t", "stage"]].assign(t=d["t"] - 1).rename(columns={"stage": "to"})
    m = d.merge(nxt, on=["id", "t"], how="left")
    m["to"] = np.where(m["churned"], CHURNED, m["to"])
    unobserved = m["to"].isna() & m["t"].isin([p[0] for p in pairs_years])
    m = m.loc[m["to"].notna() & m["t"].isin([p[0] for p in pairs_years])]
    # churned by the end of t-1 (absorbing)
    churn_year = d.loc[d["churned"]].groupby("id")["t"].min()
    rows = []
    for y0, y1 in pairs_years:
        sub = m.loc[m["t"] == y0]
        tab = pd.crosstab(pd.Categorical(sub["stage"], categories=states),
                          pd.Categorical(sub["to"], categories=states), dropna=False)
        tab = tab.reindex(index=states, columns=states, fill_value=0)
        tab.loc[CHURNED, CHURNED] = int((churn_year < y0).sum())
        long = tab.stack().rename("n").reset_index()
        long.columns = ["from_stage", "to_stage", "n"]
        long.insert(0, "to_year", y1)
        long.insert(0, "from_year", y0)
        rows.append(long)
    pairs = pd.concat(rows, ignore_index=True)
    pairs["n"] = pairs["n"].astype(int)
    tot = pairs.groupby(["from_year", "from_stage"])["n"].transform("sum")
    pairs["share"] = pairs["n"] / tot.where(tot > 0)
    counts = pairs.pivot_table(index="from_stage", columns="to_stage", values="n", aggfunc="sum")
    counts = counts.reindex(index=states, columns=states).fillna(0).astype(int)
    counts.index.name, counts.columns.name = "from_stage", "to_stage"
    row = counts.sum(axis=1)
    shares = counts.div(row.where(row > 0), axis=0)
    return MigrationResult(
        counts=counts, shares=shares, pairs=pairs, n_unobserved=int(unobserved.sum()),
        settings=dict(id=id, time=time, stage=stage, churn=churn),
    )


# --------------------------------------------------------------------------------------------------
# retention curves
# --------------------------------------------------------------------------------------------------

#: Default satisfaction bands of :func:`retention_curves` for a 0–10 score (inclusive bounds).
DEFAULT_BANDS = {"0-5": (0.0, 5.0), "6-7": (6.0, 7.0), "8-10": (8.0, 10.0)}


@dataclass(frozen=True)
class RetentionResult:
    """Kaplan–Meier retention by satisfaction band.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``band``, ``years`` (years since the baseline year, 0 first), ``retention`` (KM estimate of
        the share still a customer), ``ci_lower``, ``ci_upper`` (lifelines' exponential Greenwood
        interval), ``at_risk``, ``events``.
    summary : pandas.DataFrame
        Per band: ``band``, ``n`` (customers), ``events``, ``median_years`` (inf when retention
        never falls to one half).
    logrank : pandas.DataFrame
        One row: ``statistic``, ``df``, ``p_value`` (multivariate log-rank test of equal curves;
        NaN with fewer than two bands).
    settings : dict
    """

    curves: pd.DataFrame
    summary: pd.DataFrame
    logrank: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The curves frame."""
        return self.curves.copy()


def retention_curves(
    panel: pd.DataFrame,
    *,
    id: str = "customer_id",
    time: str = "year",
    churn: str = "churned",
    score: str = "overall_sat",
    bands: Mapping[str, tuple[float, float]] | None = None,
    alpha: float = 0.05,
) -> RetentionResult:
    """Kaplan–Meier retention curves by satisfaction band at baseline.

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per customer × year while a customer, with the churn flag and the score of the
        year (NaN when not surveyed); see :func:`cxresearch.persistence.customer_years`.
    id, time : str
        Customer id and year columns.
    churn : str
        Bool: lost at the end of this year.
    score : str
        Satisfaction score; the band is the one of the customer's first year with a score.
    bands : mapping of label -> (low, high), optional
        Inclusive score ranges; default :data:`DEFAULT_BANDS` (0-5, 6-7, 8-10). A baseline score in
        no band leaves the customer out.
    alpha : float, default 0.05
        1 − level of the pointwise intervals.

    Returns
    -------
    RetentionResult
        ``curves``, ``summary``, ``logrank``.

    Raises
    ------
    CXValueError
        Bad columns, bands or alpha; no customer with a scored year.

    Warns
    -----
    NotEstimableWarning
        No churn event at all: the curves stay at 1 and the log-rank test is reported as NaN.

    Notes
    -----
    Follow-up starts at the baseline year (the first year with a score) and counts the years the
    customer is in the panel from then on: a customer lost at the end of the baseline year has
    duration 1 and an event; a customer still present in the last panel year is censored there.
    Retention after k years is the product-limit estimate
    :math:`\\hat S(k) = \\prod_{j \\le k} (1 - d_j / n_j)`. Unweighted.

    References
    ----------
    .. [1] Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete
       observations. JASA 53(282), 457-481. doi:10.1080/01621459.1958.10501452
    .. [2] Davidson-Pilon, C. (2019). lifelines: survival analysis in Python. Journal of Open Source
       Software 4(40), 1317. doi:10.21105/joss.01317
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    alpha = _check_alpha(alpha)
    panel = _require_frame(panel)
    _require_columns(panel, {"id": id, "time": time, "churn": churn, "score": score})
    _require_numeric(panel, score, "score")
    t = _time_as_int(panel, time)
    _check_duplicates(panel, id, time)
    bands = dict(DEFAULT_BANDS if bands is None else bands)
    if not bands:
        raise CXValueError("bands must name at least one score range")
    for label, rng in bands.items():
        ok = isinstance(rng, (tuple, list)) and len(rng) == 2 and all(
            isinstance(v, (int, float, np.integer, np.floating)) for v in rng) and rng[0] <= rng[1]
        if not ok:
            raise CXValueError(f"bands[{label!r}] must be (low, high) with low <= high; got {rng!r}")
    d = pd.DataFrame({"id": panel[id].to_numpy(), "t": t,
                      "churn": _as_binary(panel, churn, "churn").fillna(0).to_numpy() > 0,
                      "s": panel[score].to_numpy(dtype=float)})
    scored = d.loc[d["s"].notna()].sort_values(["id", "t"])
    base = scored.groupby("id").first()[["t", "s"]].rename(columns={"t": "t0", "s": "s0"})
    if base.empty:
        raise CXValueError(f"no customer has a value of {score!r}: no baseline band")
    d = d.merge(base, left_on="id", right_index=True)
    d = d.loc[d["t"] >= d["t0"]]
    per = d.groupby("id").agg(t0=("t0", "first"), s0=("s0", "first"), last=("t", "max"),
                              event=("churn", "any"))
    first_churn = d.loc[d["churn"]].groupby("id")["t"].min()
    end = first_churn.reindex(per.index).fillna(per["last"])
    per["duration"] = end - per["t0"] + 1
    per["band"] = None
    for label, (lo, hi) in bands.items():
        per.loc[per["band"].isna() & (per["s0"] >= lo) & (per["s0"] <= hi), "band"] = label
    per = per.loc[per["band"].notna()]
    curves, summary = [], []
    for label in bands:
        sub = per.loc[per["band"] == label]
        if sub.empty:
            summary.append({"band": label, "n": 0, "events": 0, "median_years": np.nan})
            continue
        kmf = KaplanMeierFitter(alpha=alpha)
        kmf.fit(sub["duration"], event_observed=sub["event"], label=label)
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        tab = kmf.event_table
        curves.append(pd.DataFrame({
            "band": label,
            "years": sf.index.to_numpy(dtype=float),
            "retention": sf.to_numpy(dtype=float),
            "ci_lower": ci.iloc[:, 0].to_numpy(dtype=float),
            "ci_upper": ci.iloc[:, 1].to_numpy(dtype=float),
            "at_risk": tab["at_risk"].reindex(sf.index).to_numpy(dtype=float),
            "events": tab["observed"].reindex(sf.index).to_numpy(dtype=float),
        }))
        summary.append({"band": label, "n": int(len(sub)), "events": int(sub["event"].sum()),
                        "median_years": float(kmf.median_survival_time_)})
    if per["band"].nunique() >= 2 and not per["event"].any():
        warnings.warn(
            f"retention_curves: no churn event in {churn!r} among {len(per)} customers; the "
            "retention curves are flat and the log-rank test is not estimable (reported as NaN)",
            NotEstimableWarning,
            stacklevel=2,
        )
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    elif per["band"].nunique() >= 2:
        lr = multivariate_logrank_test(per["duration"], per["band"], per["event"])
        logrank = pd.DataFrame({"statistic": [float(lr.test_statistic)],
                                "df": [int(lr.degrees_of_freedom)], "p_value": [float(lr.p_value)]})
    else:
        logrank = pd.DataFrame({"statistic": [np.nan], "df": [np.nan], "p_value": [np.nan]})
    return RetentionResult(
        curves=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(
            columns=["band", "years", "retention", "ci_lower", "ci_upper", "at_risk", "events"]),
        summary=pd.DataFrame(summary),
        logrank=logrank,
        settings=dict(id=id, time=time, churn=churn, score=score, bands=bands, alpha=alpha),
    )


# --------------------------------------------------------------------------------------------------
# transfer penalty
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferPenaltyResult:
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
    promoter_min: float = 9,
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
    """
    alpha = _check_alpha(alpha)
    responses = _require_frame(responses, "responses")
    drivers_l = _as_list(drivers, "drivers")
    _require_columns(responses, {"outcome": outcome, "transfers": transfers, "id": id,
                                 "promoter": promoter})
    for c in drivers_l:
        _require_columns(responses, {"drivers": c})
    for col, param in [(outcome, "outcome"), (transfers, "transfers")] + [
            (c, "drivers") for c in drivers_l] + ([(promoter, "promoter")] if promoter else []):
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
            raise CXValueError(f"outcome column {outcome!r} must be >= 0 for a relative change; "
                               f"got {y.min()!r}")
        T = d[transfers].to_numpy(dtype=float)
        if (T < 0).any():
            raise CXValueError(f"transfers column {transfers!r} must be >= 0; got {T.min()!r}")
        if np.unique(T).size < 2:
            raise CXValueError(f"transfers column {transfers!r} takes a single value in the {len(d)} "
                               "complete rows: the transfer penalty is not estimable")
        if y.sum() == 0:
            raise CXValueError(f"{measure}: every {col!r} is zero (no promoters)"
                               " in the complete rows: not estimable")
        X = np.column_stack([np.ones(len(d)), T, d[drivers_l].to_numpy(dtype=float)])
        model = sm.GLM(y, X, family=sm.families.Poisson())
        if id:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(d[id])[0]})
        else:
            fit = model.fit(cov_type="HC0")
        b, se = float(fit.params[1]), float(fit.bse[1])
        rows.append({
            "measure": measure, "outcome": col,
            "estimate": 1 - np.exp(b),
            "ci_lower": 1 - np.exp(b + z * se),
            "ci_upper": 1 - np.exp(b - z * se),
            "log_ratio": b, "se": se,
            "p_value": float(2 * stats.norm.sf(abs(b / se))),
            "n": int(len(d)),
            "n_customers": int(d[id].nunique()) if id else int(len(d)),
        })
    return TransferPenaltyResult(
        table=pd.DataFrame(rows),
        settings=dict(outcome=outcome, transfers=transfers, drivers=drivers_l, id=id,
                      promoter=promoter, promoter_min=promoter_min, alpha=alpha),
    )
