"""The loyalty ladder: each customer-year's stage, the stage shares per wave, the moves between waves.

:func:`ladder` places every customer-year on the ladder (prospect → target → first-time → repeat →
loyal → advocate) from behaviour (purchases, tenure, targeting) and attitude (the recommendation
score), by rules given as a :class:`LadderRules`; :func:`stage_shares` gives the ladder per wave and
:func:`migration` the moves between consecutive waves, churn being an absorbing state. pandas only;
nothing here is hand-written statistics.

References: Griffin (2002), Customer Loyalty: How to Earn It, How to Keep It, ISBN 978-0787963880;
Reichheld (2003), The one number you need to grow, Harvard Business Review 81(12), 46-54.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import NPS_PROMOTER_MIN
from cxresearch.errors import CXValueError
from cxresearch.persistence._panel import (
    _as_flag,
    _check_duplicates,
    _check_whole,
    _is_number,
    _require_columns,
    _require_frame,
    _require_numeric,
    _time_as_int,
    _year_lags,
)

#: The ladder's stages, bottom to top.
STAGES = ("prospect", "target", "first_time", "repeat", "loyal", "advocate")
#: The absorbing state of :func:`migration`.
CHURNED = "churned"


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
    promoter_min: float = NPS_PROMOTER_MIN
    advocate_base: str = "repeat"

    def __post_init__(self) -> None:
        for f in (
            "repeat_min_purchases",
            "loyal_min_tenure",
            "loyal_window",
            "loyal_min_active_years",
        ):
            _check_whole(getattr(self, f), f"LadderRules.{f}", 0)
        if self.repeat_min_purchases < 2:
            raise CXValueError(
                f"LadderRules.repeat_min_purchases must be >= 2 (one purchase is first-time); "
                f"got {self.repeat_min_purchases!r}"
            )
        if self.loyal_window < 1 or self.loyal_min_active_years > self.loyal_window:
            raise CXValueError(
                "LadderRules needs loyal_window >= 1 and loyal_min_active_years <= loyal_window; got "
                f"loyal_window={self.loyal_window!r}, loyal_min_active_years={self.loyal_min_active_years!r}"
            )
        if self.advocate_base not in ("repeat", "loyal"):
            raise CXValueError(
                f"LadderRules.advocate_base must be one of 'repeat', 'loyal'; got {self.advocate_base!r}"
            )
        if not _is_number(self.promoter_min):
            raise CXValueError(
                f"LadderRules.promoter_min must be a number; got {self.promoter_min!r}"
            )

    def to_dict(self) -> dict:
        """The rules as a plain dict (for a run manifest)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check_stages(stages: pd.DataFrame, stage: str) -> None:
    """Every label in the stage column is one of :data:`STAGES`."""
    unknown = set(stages[stage].dropna().astype(str)) - set(STAGES)
    if unknown:
        raise CXValueError(
            f"stage column {stage!r} has unknown stages {sorted(unknown)}; allowed: {list(STAGES)}"
        )


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

    Examples
    --------
    The demo study's customer-years on the loyalty ladder (the recommendation score comes from the
    survey):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> stages = cx.loyalty.ladder(study.customers, survey=study.responses)
    >>> stages[["customer_id", "year", "stage", "purchases_ever", "tenure", "promoter"]].head(4)
      customer_id  year   stage  purchases_ever  tenure  promoter
    0     C000001  2014  repeat             2.0     1.0     False
    1     C000001  2015  repeat             2.0     2.0     False
    2     C000001  2016   loyal             4.0     3.0     False
    3     C000001  2017   loyal             5.0     4.0     False
    >>> stages.query("year == 2019")["stage"].value_counts().sort_index()
    stage
    prospect       96
    target         54
    first_time     23
    repeat         99
    loyal         159
    advocate       46
    Name: count, dtype: int64
    """
    rules = _rules_from(rules)
    customers = _require_frame(customers, "customers")
    _require_columns(
        customers,
        {
            "id": id,
            "time": time,
            "purchases": purchases,
            "first_purchase": first_purchase,
            "targeted": targeted,
            "churn": churn,
        },
    )
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
    d["_targeted"] = _as_flag(customers, targeted, "targeted") if targeted is not None else False
    d["churned"] = _as_flag(customers, churn, "churn") if churn is not None else False

    # attitude
    rec = None
    if recommend is not None:
        if survey is not None:
            survey = _require_frame(survey, "survey")
            _require_columns(survey, {"id": id, "survey_time": survey_time, "recommend": recommend})
            _require_numeric(survey, recommend, "recommend")
            _check_duplicates(survey, id, survey_time)
            s = pd.DataFrame(
                {
                    id: survey[id].to_numpy(),
                    time: _time_as_int(survey, survey_time),
                    "_rec": survey[recommend].to_numpy(dtype=float),
                }
            )
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
    first = (
        np.fmin(d["_first"].to_numpy(), derived_first)
        if first_purchase is not None
        else derived_first
    )
    tv = d[time].to_numpy()
    bought_before_panel = (first < first_obs).astype(float)
    ever = g["_buys"].cumsum().to_numpy() + bought_before_panel
    # a first purchase year up to t counts as one purchase even if the CRM's count is 0
    ever = np.where((first <= tv) & (ever < 1), 1.0, ever)
    tenure = np.where(first <= tv, tv - first, np.nan)
    # purchase years in the window [t - w + 1, t], by calendar year
    active = (d["_buys"].to_numpy() > 0).astype(float)
    window = np.zeros(len(d))
    for lagged in _year_lags(d[id].to_numpy(), tv, active, range(rules.loyal_window)):
        window += np.nan_to_num(lagged)
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

    Examples
    --------
    Share of the demo study's customers on each ladder stage, in the last wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> stages = cx.loyalty.ladder(study.customers, survey=study.responses)
    >>> shares = cx.loyalty.stage_shares(stages)
    >>> shares.query("year == 2019").round(3)
        year       stage    n  share
    30  2019    prospect   96  0.201
    31  2019      target   54  0.113
    32  2019  first_time   23  0.048
    33  2019      repeat   99  0.208
    34  2019       loyal  159  0.333
    35  2019    advocate   46  0.096
    """
    stages = _require_frame(stages, "stages")
    _require_columns(stages, {"time": time, "stage": stage})
    _check_stages(stages, stage)
    counts = pd.crosstab(
        stages[time],
        pd.Categorical(stages[stage].astype(str), categories=list(STAGES)),
        dropna=False,
    )
    counts = counts.reindex(columns=list(STAGES), fill_value=0)
    long = counts.stack().rename("n").reset_index()
    long.columns = [time, "stage", "n"]
    long["n"] = long["n"].astype(int)
    long["share"] = long["n"] / long.groupby(time)["n"].transform("sum")
    return long


@dataclass(frozen=True, repr=False)
class MigrationResult(ResultDisplay):
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
        _check_whole(years, "years", 1)
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
                    "customers in them"
                )
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

    Examples
    --------
    Where the demo study's customers on each stage are one year later, pooled over five pairs of
    consecutive years:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> stages = cx.loyalty.ladder(study.customers, survey=study.responses)
    >>> res = cx.loyalty.migration(stages)
    >>> res.shares.round(2)
    to_stage    prospect  target  first_time  repeat  loyal  advocate  churned
    from_stage
    prospect        0.58    0.27        0.11    0.02   0.00      0.01     0.00
    target          0.60    0.26        0.11    0.03   0.00      0.01     0.00
    first_time      0.00    0.00        0.39    0.47   0.00      0.09     0.05
    repeat          0.00    0.00        0.00    0.47   0.33      0.13     0.07
    loyal           0.00    0.00        0.00    0.13   0.67      0.13     0.06
    advocate        0.00    0.00        0.00    0.30   0.46      0.19     0.05
    churned         0.00    0.00        0.00    0.00   0.00      0.00     1.00
    >>> res.n_unobserved  # customer-years absent the next year without having churned
    0
    """
    stages = _require_frame(stages, "stages")
    _require_columns(stages, {"id": id, "time": time, "stage": stage, "churn": churn})
    _check_stages(stages, stage)
    t = _time_as_int(stages, time)
    _check_duplicates(stages, id, time)
    ch = _as_flag(stages, churn, "churn")
    d = pd.DataFrame(
        {"id": stages[id].to_numpy(), "t": t, "stage": stages[stage].astype(str), "churned": ch}
    )
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
        tab = pd.crosstab(
            pd.Categorical(sub["stage"], categories=states),
            pd.Categorical(sub["to"], categories=states),
            dropna=False,
        )
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
        counts=counts,
        shares=shares,
        pairs=pairs,
        n_unobserved=int(unobserved.sum()),
        settings=dict(id=id, time=time, stage=stage, churn=churn),
    )
