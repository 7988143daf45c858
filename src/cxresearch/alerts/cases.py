"""The case list of one wave (internal) and the counts by rule and branch a client report shows.

:func:`alert_cases` lists each customer with at least one alert in the wave, routed to the owner
of the highest-priority rule that fired; :func:`alert_counts` counts them by rule (and branch)
against the wave's respondents, with no customer identifiers.

Why hand-written: a group-by over the firings of :func:`~cxresearch.alerts.fire_rules`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..errors import CXValueError
from .firing import _need, _numeric, _previous_answered, fire_rules
from .rules import AlertRule, rules_from_params


@dataclass(frozen=True)
class AlertCases:
    """The early-warning case list of one wave (internal use only).

    Attributes
    ----------
    cases : DataFrame
        One row per customer with at least one alert, in rule priority order then customer:
        ``customer``, ``wave``, ``branch``, ``owner`` (role of the highest-priority rule that fired:
        rules are in priority order), ``owners`` (every role, "; "-joined), ``reasons`` (rule
        names, "; "-joined), ``details`` (plain-language reasons with the values), ``n_reasons``,
        ``score`` (the ``score`` column), ``previous_score``, ``previous_wave`` (previous answered
        wave of the score; NaN when none), ``comment`` (verbatim, unmasked: the owner calls the
        customer), and ``respondent_id`` when the responses have it.
    firings : DataFrame
        Long: ``customer``, ``branch``, ``rule``, ``owner``, ``detail``.
    base : DataFrame
        Respondents of the wave per branch: ``branch``, ``n_responses``.

    In ``cases``, ``firings`` and ``base`` the column ``branch`` holds the values of the branch
    column given to :func:`alert_cases`, whatever its name (:func:`alert_counts` restores it).
    rules : tuple of AlertRule
    wave : object
        The wave listed.
    score : str
    """

    cases: pd.DataFrame
    firings: pd.DataFrame
    base: pd.DataFrame
    rules: tuple[AlertRule, ...]
    wave: object
    score: str
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The case list (:attr:`cases`)."""
        return self.cases.copy()


def alert_cases(
    responses: pd.DataFrame,
    *,
    rules=None,
    current=None,
    customers: pd.DataFrame | None = None,
    score: str = "overall_sat",
    customer: str = "customer_id",
    wave: str = "wave",
    branch: str = "branch",
    year: str = "year",
    comment: str = "comment",
    codeframe=None,
) -> AlertCases:
    """Case list of the current wave: who to call, routed to whom, and why.

    Parameters
    ----------
    responses : DataFrame
        All waves (earlier waves supply each customer's previous answered score).
    rules : sequence of AlertRule or dict, optional
        Default :data:`DEFAULT_RULES`; order is priority (the first rule that fires sets ``owner``).
    current : optional
        The wave to list (default: the latest wave in ``responses``).
    customers : DataFrame, optional
        CRM extract with ``high_value`` per customer and year.
    score : str, default ``"overall_sat"``
        Score shown in the case list.
    customer, wave, branch, year, comment : str
        Column names.
    codeframe : optional
        For ``complaint_theme`` rules.

    Returns
    -------
    AlertCases

    Raises
    ------
    CXValueError
        ``current`` not a wave of the data, a missing column, invalid rules.

    Examples
    --------
    The latest wave's call list of the demo study under the default rules (the CRM extract
    tells which accounts are high-value):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cases = cx.alerts.alert_cases(study.responses, customers=study.customers)
    >>> int(cases.wave), len(cases.cases), int(cases.base["n_responses"].sum())
    (2017, 84, 295)
    >>> cases.cases["owner"].value_counts()
    owner
    service           54
    sales             17
    branch_manager    13
    Name: count, dtype: int64
    >>> cases.cases.loc[0, ["customer", "branch", "reasons", "score", "previous_score"]]
    customer                     C000218
    branch                             1
    reasons           low_sat; complaint
    score                            4.0
    previous_score                   6.0
    Name: 0, dtype: object
    """
    rules = rules_from_params(rules)
    for col, what in ((wave, "wave"), (branch, "branch"), (customer, "customer")):
        _need(responses, col, what)
    _numeric(responses, score, "score")
    if current is None:
        if responses.empty:
            raise CXValueError("responses is empty: no wave to list")
        current = responses[wave].max()
    elif not bool((responses[wave] == current).any()):
        raise CXValueError(
            f"current must be a wave of the responses; got {current!r} "
            f"(waves: {sorted(responses[wave].dropna().unique().tolist())})"
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
    fired = fired[fired["wave"] == current]
    in_wave = responses[wave].to_numpy() == current
    base = (
        responses.loc[in_wave]
        .groupby(branch, observed=True)
        .size()
        .rename("n_responses")
        .rename_axis("branch")
        .reset_index()
    )
    pos = fired["position"].to_numpy()
    firings = pd.DataFrame(
        {
            "customer": fired["customer"].to_numpy(),
            "branch": responses[branch].to_numpy()[pos],
            "rule": fired["rule"].to_numpy(),
            "owner": fired["owner"].to_numpy(),
            "detail": fired["detail"].to_numpy(),
        }
    )
    cols = [
        "customer",
        "wave",
        "branch",
        "owner",
        "owners",
        "reasons",
        "details",
        "n_reasons",
        "score",
        "previous_score",
        "previous_wave",
        "comment",
    ]
    if fired.empty:
        id_col = ["respondent_id"] if "respondent_id" in responses.columns else []
        cases = pd.DataFrame(columns=id_col + cols)
    else:
        g = fired.groupby("position", sort=False)
        first = g.head(1).set_index("position")
        agg = g.agg(
            owners=("owner", lambda s: "; ".join(dict.fromkeys(s))),
            reasons=("rule", "; ".join),
            details=("detail", "; ".join),
            n_reasons=("rule", "size"),
        )
        positions = agg.index.to_numpy()
        # previous answered score of the case-list score (whatever rules ran)
        y = responses[score].to_numpy(dtype=float)
        cust = responses[customer].to_numpy()
        waves = responses[wave].to_numpy()
        prev, prevw = _previous_answered(y, cust, waves)
        texts = (
            responses[comment].to_numpy(dtype=object)
            if comment in responses.columns
            else np.full(len(responses), "", dtype=object)
        )
        cases = pd.DataFrame(
            {
                "customer": cust[positions],
                "wave": waves[positions],
                "branch": responses[branch].to_numpy()[positions],
                "owner": first.loc[positions, "owner"].to_numpy(),
                "owners": agg["owners"].to_numpy(),
                "reasons": agg["reasons"].to_numpy(),
                "details": agg["details"].to_numpy(),
                "n_reasons": agg["n_reasons"].to_numpy().astype(np.int64),
                "score": y[positions],
                "previous_score": prev[positions],
                "previous_wave": prevw[positions],
                "comment": [("" if not isinstance(t, str) else t) for t in texts[positions]],
            }
        )
        if "respondent_id" in responses.columns:
            cases.insert(0, "respondent_id", responses["respondent_id"].to_numpy()[positions])
        rank = {r.name: i for i, r in enumerate(rules)}
        cases["_r"] = [rank[r.split("; ")[0]] for r in cases["reasons"]]
        cases = cases.sort_values(["_r", "branch", "customer"], kind="stable").drop(columns="_r")
        cases = cases.reset_index(drop=True)
    return AlertCases(
        cases=cases,
        firings=firings,
        base=base,
        rules=rules,
        wave=current,
        score=score,
        settings={
            "customer": customer,
            "wave": wave,
            "branch": branch,
            "comment": comment,
            "rules": [asdict(r) for r in rules],
        },
    )


def alert_counts(
    cases: AlertCases, *, by: str = "branch", anonymity_min: int | None = None
) -> pd.DataFrame:
    """Counts of alerts by rule and branch — the only alert figures a client report shows.

    Parameters
    ----------
    cases : AlertCases
    by : str, default ``"branch"``
        ``"branch"`` (or the name of the branch column given to :func:`alert_cases`): rule ×
        branch; ``"rule"``: rule totals.
    anonymity_min : int, optional
        A branch with fewer respondents in the wave than this has its counts suppressed (``n``
        and ``estimate`` NaN, ``suppressed`` True): a count of 3 alerts among 3 respondents tells
        who was very dissatisfied. None: nothing suppressed.

    Returns
    -------
    DataFrame
        The branch column (named as in the responses; only when counting by branch), ``rule``,
        ``owner``, ``n`` (customers the rule fired for), ``n_responses`` (respondents of the wave
        in the branch / in all), ``estimate`` (n / n_responses), ``suppressed`` (the base is under
        ``anonymity_min``: ``n`` and ``estimate`` are NaN). Every rule × branch appears, with 0
        when it did not fire. No customer identifiers.

    Examples
    --------
    Two branches, one of them with a single respondent in the wave: its counts are withheld
    under an anonymity minimum of 2:

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> responses = pd.DataFrame({
    ...     "customer_id": ["C1", "C2", "C3", "C1", "C2", "C3"],
    ...     "wave": [2016, 2016, 2016, 2017, 2017, 2017],
    ...     "branch": [1, 1, 2, 1, 1, 2],
    ...     "overall_sat": [8, 9, 4, 4, 9, 3],
    ... })
    >>> rules = [
    ...     {"name": "low_sat", "kind": "low_score", "below": 5, "owner": "service"},
    ...     {"name": "sat_drop", "kind": "drop", "points": 3, "owner": "branch_manager"},
    ... ]
    >>> cases = cx.alerts.alert_cases(responses, rules=rules)
    >>> cx.alerts.alert_counts(cases, by="rule")
           rule           owner  n  n_responses  estimate  suppressed
    0   low_sat         service  2            3  0.666667       False
    1  sat_drop  branch_manager  1            3  0.333333       False
    >>> cx.alerts.alert_counts(cases, anonymity_min=2)
       branch      rule           owner    n  n_responses  estimate  suppressed
    0       1   low_sat         service  1.0            2       0.5       False
    1       1  sat_drop  branch_manager  1.0            2       0.5       False
    2       2   low_sat         service  NaN            1       NaN        True
    3       2  sat_drop  branch_manager  NaN            1       NaN        True
    """
    if anonymity_min is not None and (
        isinstance(anonymity_min, bool)
        or not isinstance(anonymity_min, int | np.integer)
        or anonymity_min < 0
    ):
        raise CXValueError(
            f"anonymity_min must be a whole number >= 0 or None; got {anonymity_min!r}"
        )
    if not isinstance(cases, AlertCases):
        raise CXValueError(
            f"cases must be an AlertCases from alert_cases; got {type(cases).__name__}"
        )
    branch_col = cases.settings.get("branch", "branch")
    if by not in ("branch", branch_col, "rule"):
        raise CXValueError(
            f"by must be one of {sorted({'branch', branch_col, 'rule'})}; got {by!r}"
        )
    rules = pd.DataFrame(
        {"rule": [r.name for r in cases.rules], "owner": [r.owner for r in cases.rules]}
    )
    if by == "rule":
        n = cases.firings.groupby("rule").size()
        out = rules.assign(n=rules["rule"].map(n).fillna(0).astype(np.int64))
        out["n_responses"] = int(cases.base["n_responses"].sum())
    else:
        grid = cases.base.merge(rules, how="cross")
        n = cases.firings.groupby(["branch", "rule"]).size().rename("n").reset_index()
        out = grid.merge(n, on=["branch", "rule"], how="left")
        out["n"] = out["n"].fillna(0).astype(np.int64)
        out = out[["branch", "rule", "owner", "n", "n_responses"]].rename(
            columns={"branch": branch_col}
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["estimate"] = out["n"] / out["n_responses"].astype(float)
    small = (
        (out["n_responses"] < anonymity_min).to_numpy()
        if anonymity_min
        else np.zeros(len(out), bool)
    )
    out["suppressed"] = small
    if small.any():
        out["n"] = out["n"].astype(float).where(~small)
        out["estimate"] = out["estimate"].where(~small)
    return out.reset_index(drop=True)
