"""Early-warning alerts: who needs a call after this wave, and do the rules predict churn?

Rules are parameters (:class:`AlertRule`, or plain dicts from a params YAML), each routed to an
owner role:

* ``low_score`` — a score below a threshold (``score < below``);
* ``drop`` — a drop of at least ``points`` since the customer's previous *answered* wave (the last
  earlier wave in which the customer gave this score, however many waves ago);
* ``detractor_high_value`` — a detractor (``score <= max_score``, NPS scale) whose account is
  high-value (``high_value`` in the CRM for that year, or a ``high_value`` column of the responses);
* ``complaint_theme`` — a comment that mentions one of ``themes`` (all themes when empty) with
  negative polarity (any polarity with ``negative_only=False``), coded by :mod:`cxresearch.text`.

:func:`alert_cases` builds the case list of one wave (one row per customer: branch, owner, reasons,
score, previous score, comment) — internal only; :func:`write_alerts` writes it to ``.xlsx`` or
``.csv`` atomically; :func:`alert_counts` gives the counts by rule and branch a client report may
show. :func:`backtest` replays the rules on earlier waves against churn and reports alerts fired,
precision, recall, lift over the base churn rate and the risk ratio, with confidence intervals.

Rules in a params YAML (the report passes the list to :func:`rules_from_params`)::

    alerts:
      rules:
        - {name: low_sat, kind: low_score, score: overall_sat, below: 5, owner: service}
        - {name: sat_drop, kind: drop, score: overall_sat, points: 3, owner: branch_manager}
        - {name: hv_detractor, kind: detractor_high_value, score: recommend, max_score: 6, owner: sales}
        - {name: complaint, kind: complaint_theme, themes: [transfers, waiting_time], owner: service}

The order is the priority: a customer who trips several rules is routed to the owner of the first.

The statistics are small and written here on top of statsmodels/scipy (proportion intervals,
Fisher's exact test); the lift interval (log method by the multinomial delta method, or a customer
cluster bootstrap) is written out because no maintained package offers it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .errors import CXValueError

__all__ = [
    "AlertRule",
    "AlertCases",
    "BacktestResult",
    "DEFAULT_RULES",
    "RULE_KINDS",
    "rules_from_params",
    "fire_rules",
    "alert_cases",
    "alert_counts",
    "write_alerts",
    "backtest",
]

RULE_KINDS = ("low_score", "drop", "detractor_high_value", "complaint_theme")
OWNER_ROLES = ("service", "sales", "branch_manager")


@dataclass(frozen=True)
class AlertRule:
    """One early-warning rule.

    Parameters
    ----------
    name : str
        Identifier shown as the reason (``low_sat``, ``sat_drop`` …); unique within a rule set.
    kind : {"low_score", "drop", "detractor_high_value", "complaint_theme"}
    owner : str
        Role the case is routed to (``service``, ``sales``, ``branch_manager`` or any other role
        name the client uses).
    score : str
        Score column (``low_score``, ``drop``: default ``overall_sat``; ``detractor_high_value``:
        default ``recommend``). Unused by ``complaint_theme``.
    below : float
        ``low_score``: fires when ``score < below``.
    points : float
        ``drop``: fires when ``previous - current >= points``.
    max_score : float
        ``detractor_high_value``: a detractor has ``score <= max_score`` (6 on the 0–10 NPS scale).
    themes : tuple of str
        ``complaint_theme``: the complaint themes (empty: every theme of the codeframe).
    negative_only : bool
        ``complaint_theme``: only mentions with negative polarity fire (default True).
    max_gap : float, optional
        ``drop``: only compare with a previous answer at most this many waves (years) back
        (None: however long ago). Needs numeric waves.
    """

    name: str
    kind: str
    owner: str
    score: str | None = None
    below: float | None = None
    points: float | None = None
    max_score: float | None = None
    themes: tuple[str, ...] = ()
    negative_only: bool = True
    max_gap: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise CXValueError(f"rule name must be a non-empty string; got {self.name!r}")
        if self.kind not in RULE_KINDS:
            raise CXValueError(
                f"rule {self.name!r}: kind must be one of {', '.join(map(repr, RULE_KINDS))}; "
                f"got {self.kind!r}"
            )
        if not isinstance(self.owner, str) or not self.owner.strip():
            raise CXValueError(
                f"rule {self.name!r}: owner must be a role name such as "
                f"{', '.join(map(repr, OWNER_ROLES))}; got {self.owner!r}"
            )
        if self.score is None and self.kind != "complaint_theme":
            default = "recommend" if self.kind == "detractor_high_value" else "overall_sat"
            object.__setattr__(self, "score", default)

        def number(attr: str, *, positive: bool = False):
            v = getattr(self, attr)
            if (
                v is None
                or isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not np.isfinite(v)
            ):
                raise CXValueError(
                    f"rule {self.name!r} ({self.kind}) needs a number {attr}; got {v!r}"
                )
            if positive and v <= 0:
                raise CXValueError(f"rule {self.name!r}: {attr} must be > 0; got {v!r}")

        if self.kind == "low_score":
            number("below")
        elif self.kind == "drop":
            number("points", positive=True)
            if self.max_gap is not None:
                number("max_gap", positive=True)
        elif self.kind == "detractor_high_value":
            if self.max_score is None:
                object.__setattr__(self, "max_score", 6)
            number("max_score")
        themes = self.themes
        if isinstance(themes, str):
            themes = (themes,)
        if not all(isinstance(t, str) for t in themes):
            raise CXValueError(
                f"rule {self.name!r}: themes must be theme names; got {self.themes!r}"
            )
        object.__setattr__(self, "themes", tuple(themes))
        if not isinstance(self.negative_only, bool):
            raise CXValueError(
                f"rule {self.name!r}: negative_only must be true or false; got {self.negative_only!r}"
            )

    def describe(self, lang: str = "en") -> str:
        """Plain-language statement of the rule in ``lang`` (``"en"`` or ``"zh"``).

        Variable and theme names are shown as given (the report maps them to labels).
        """
        if lang not in ("en", "zh"):
            raise CXValueError(f"lang must be one of 'en', 'zh'; got {lang!r}")
        zh = lang == "zh"
        if self.kind == "low_score":
            return f"{self.score}低于{self.below:g}" if zh else f"{self.score} below {self.below:g}"
        if self.kind == "drop":
            if zh:
                gap = f"（{self.max_gap:g}年内）" if self.max_gap is not None else ""
                return f"{self.score}比上一次作答{gap}下降{self.points:g}分及以上"
            gap = f" (within {self.max_gap:g} waves)" if self.max_gap is not None else ""
            return (
                f"{self.score} dropped by {self.points:g}+ points since the previous answered "
                f"wave{gap}"
            )
        if self.kind == "detractor_high_value":
            if zh:
                return f"高价值客户且为贬损者（{self.score} ≤ {self.max_score:g}）"
            return f"detractor ({self.score} <= {self.max_score:g}) with a high-value account"
        if zh:
            what = "、".join(self.themes) if self.themes else "任一主题"
            tone = "负面" if self.negative_only else ""
            return f"{tone}评论涉及{what}"
        what = ", ".join(self.themes) if self.themes else "any theme"
        tone = "negative " if self.negative_only else ""
        return f"{tone}comment on {what}"


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule(name="low_sat", kind="low_score", owner="service", score="overall_sat", below=5),
    AlertRule(name="sat_drop", kind="drop", owner="branch_manager", score="overall_sat", points=3),
    AlertRule(
        name="hv_detractor",
        kind="detractor_high_value",
        owner="sales",
        score="recommend",
        max_score=6,
    ),
    AlertRule(
        name="complaint",
        kind="complaint_theme",
        owner="service",
        themes=("transfers", "waiting_time", "parts_availability", "responsiveness"),
    ),
)

_RULE_KEYS = {f for f in AlertRule.__dataclass_fields__}


def rules_from_params(rules) -> tuple[AlertRule, ...]:
    """Validate rules given as :class:`AlertRule` objects or dicts (e.g. from a params YAML).

    Parameters
    ----------
    rules : sequence of AlertRule or dict, or None
        None gives :data:`DEFAULT_RULES`. A dict has the fields of :class:`AlertRule`.

    Returns
    -------
    tuple of AlertRule

    Raises
    ------
    CXValueError
        An unknown key, a missing threshold, an unknown kind, a duplicate rule name, an empty set.
    """
    if rules is None:
        return DEFAULT_RULES
    if isinstance(rules, (AlertRule, Mapping)):
        rules = [rules]
    if isinstance(rules, str) or not isinstance(rules, Sequence):
        raise CXValueError(f"rules must be a list of rules (dicts or AlertRule); got {rules!r}")
    out: list[AlertRule] = []
    for i, r in enumerate(rules):
        if isinstance(r, AlertRule):
            out.append(r)
            continue
        if not isinstance(r, Mapping):
            raise CXValueError(f"rules[{i}] must be a mapping or an AlertRule; got {r!r}")
        bad = sorted(set(r) - _RULE_KEYS)
        if bad:
            raise CXValueError(
                f"rules[{i}] has unknown key {bad[0]!r}; allowed: {', '.join(sorted(_RULE_KEYS))}"
            )
        for key in ("name", "kind", "owner"):
            if key not in r:
                raise CXValueError(f"rules[{i}] needs {key!r}")
        kw = dict(r)
        if "themes" in kw and kw["themes"] is not None and not isinstance(kw["themes"], str):
            kw["themes"] = tuple(kw["themes"])
        elif kw.get("themes") is None:
            kw.pop("themes", None)
        out.append(AlertRule(**kw))
    if not out:
        raise CXValueError("rules must hold at least one rule")
    names = [r.name for r in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CXValueError(f"rule names must be unique; {dup[0]!r} is used twice")
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Firing the rules
# --------------------------------------------------------------------------------------------


def _need(data: pd.DataFrame, col: str, what: str) -> None:
    if col not in data.columns:
        raise CXValueError(
            f"{what} {col!r} is not a column of the responses (columns: {list(data.columns)[:25]})"
        )


def _numeric(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    _need(data, col, what)
    s = data[col]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise CXValueError(f"{what} column {col!r} must be numeric; got dtype {s.dtype}")
    return s.to_numpy(dtype=float)


def _high_value(
    data: pd.DataFrame, customers: pd.DataFrame | None, *, customer: str, wave: str, year: str
) -> np.ndarray:
    if "high_value" in data.columns:
        return data["high_value"].eq(True).to_numpy(dtype=bool)
    if customers is None:
        raise CXValueError(
            "a detractor_high_value rule needs the CRM extract (customers=..., with columns "
            f"{customer!r}, {year!r}, 'high_value') or a 'high_value' column in the responses"
        )
    for c in (customer, year, "high_value"):
        if c not in customers.columns:
            raise CXValueError(f"customers needs a column {c!r} for the detractor_high_value rule")
    crm = customers[[customer, year, "high_value"]].drop_duplicates([customer, year], keep="last")
    key = pd.DataFrame({customer: data[customer].to_numpy(), year: data[wave].to_numpy()})
    merged = key.merge(crm, on=[customer, year], how="left")
    return merged["high_value"].eq(True).to_numpy(dtype=bool)


def fire_rules(
    responses: pd.DataFrame,
    *,
    rules=None,
    customers: pd.DataFrame | None = None,
    customer: str = "customer_id",
    wave: str = "wave",
    year: str = "year",
    comment: str = "comment",
    codeframe=None,
) -> pd.DataFrame:
    """Evaluate every rule on every response (all waves).

    Parameters
    ----------
    responses : DataFrame
        One row per customer × wave, with ``customer``, ``wave``, the rules' score columns and (for
        ``complaint_theme``) the ``comment`` column.
    rules : sequence of AlertRule or dict, optional
        Default :data:`DEFAULT_RULES`.
    customers : DataFrame, optional
        CRM extract (``customer``, ``year``, ``high_value``) for ``detractor_high_value``.
    customer, wave, year, comment : str
        Column names.
    codeframe : optional
        Codeframe for ``complaint_theme`` (default: the package codeframe).

    Returns
    -------
    DataFrame
        Long, one row per response × rule that fired: ``position`` (row position in
        ``responses``), ``customer``, ``wave``, ``rule``, ``owner``, ``kind``, ``detail``
        (plain-language reason with the values), ``previous_score`` and ``previous_wave``
        (``drop`` rules; NaN otherwise).

    Raises
    ------
    CXValueError
        A missing or non-numeric column, a customer answering twice in one wave, a complaint theme
        not in the codeframe.
    """
    rules = rules_from_params(rules)
    if not isinstance(responses, pd.DataFrame):
        raise CXValueError(f"responses must be a DataFrame; got {type(responses).__name__}")
    _need(responses, customer, "customer")
    _need(responses, wave, "wave")
    key = responses[[customer, wave]].dropna()
    dup = key.duplicated(keep=False)
    if bool(dup.any()):
        c, w = key[dup].iloc[0]
        raise CXValueError(
            f"{int(dup.sum())} responses share a ({customer}, {wave}) pair, e.g. customer {c!r} "
            f"in wave {w!r}; keep one response per customer and wave"
        )
    cust = responses[customer].to_numpy()
    waves = responses[wave].to_numpy()
    parts = []

    def emit(mask, rule, detail, prev=None, prev_wave=None):
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        parts.append(
            pd.DataFrame(
                {
                    "position": pos,
                    "customer": cust[pos],
                    "wave": waves[pos],
                    "rule": rule.name,
                    "owner": rule.owner,
                    "kind": rule.kind,
                    "detail": detail[pos] if isinstance(detail, np.ndarray) else detail,
                    "previous_score": prev[pos] if prev is not None else np.nan,
                    "previous_wave": prev_wave[pos] if prev_wave is not None else np.nan,
                }
            )
        )

    coding = None
    hv = None
    for rule in rules:
        if rule.kind == "low_score":
            y = _numeric(responses, rule.score, f"rule {rule.name!r}: score")
            m = y < rule.below
            detail = np.array(
                [
                    f"{rule.score} {v:g} < {rule.below:g}" if f else ""
                    for v, f in zip(y, m, strict=True)
                ],
                dtype=object,
            )
            emit(m, rule, detail)
        elif rule.kind == "drop":
            y = _numeric(responses, rule.score, f"rule {rule.name!r}: score")
            prev, prevw = _previous_answered(y, cust, waves)
            with np.errstate(invalid="ignore"):
                m = (prev - y) >= rule.points
            if rule.max_gap is not None:
                if not pd.api.types.is_numeric_dtype(responses[wave]):
                    raise CXValueError(
                        f"rule {rule.name!r}: max_gap needs numeric waves; column {wave!r} has "
                        f"dtype {responses[wave].dtype}"
                    )
                with np.errstate(invalid="ignore"):
                    m &= (waves.astype(float) - prevw.astype(float)) <= rule.max_gap
            detail = np.array(
                [
                    f"{rule.score} fell {p - v:g} points ({p:g} in {_wave_text(pw)} → {v:g})"
                    if f
                    else ""
                    for v, p, pw, f in zip(y, prev, prevw, m, strict=True)
                ],
                dtype=object,
            )
            emit(m, rule, detail, prev, prevw)
        elif rule.kind == "detractor_high_value":
            y = _numeric(responses, rule.score, f"rule {rule.name!r}: score")
            if hv is None:
                hv = _high_value(responses, customers, customer=customer, wave=wave, year=year)
            m = (y <= rule.max_score) & hv
            detail = np.array(
                [
                    f"{rule.score} {v:g} (detractor), high-value account" if f else ""
                    for v, f in zip(y, m, strict=True)
                ],
                dtype=object,
            )
            emit(m, rule, detail)
        else:
            from . import text as _text

            if coding is None:
                _need(responses, comment, "comment")
                coding = _text.code_comments(responses, text=comment, codeframe=codeframe)
            themes = rule.themes or coding.themes
            for t in themes:
                if t not in coding.themes:
                    raise CXValueError(
                        f"rule {rule.name!r}: theme must be one of {list(coding.themes)}; got {t!r}"
                    )
            men = coding.mentions
            sel = men["theme"].isin(themes).to_numpy()
            if rule.negative_only:
                sel &= men["polarity"].to_numpy() < 0
            hit = men[sel]
            m = np.zeros(len(responses), dtype=bool)
            m[hit["position"].to_numpy()] = True
            names = hit.groupby("position")["theme"].agg(lambda s: ", ".join(sorted(set(s))))
            detail = np.full(len(responses), "", dtype=object)
            tone = "negative comment" if rule.negative_only else "comment"
            detail[names.index.to_numpy()] = [f"{tone}: {v}" for v in names.to_numpy()]
            emit(m, rule, detail)
    cols = [
        "position",
        "customer",
        "wave",
        "rule",
        "owner",
        "kind",
        "detail",
        "previous_score",
        "previous_wave",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    rank = {r.name: i for i, r in enumerate(rules)}
    out["_r"] = out["rule"].map(rank)
    return (
        out.sort_values(["position", "_r"], kind="stable")
        .drop(columns="_r")
        .reset_index(drop=True)[cols]
    )


# --------------------------------------------------------------------------------------------
# Case list of one wave
# --------------------------------------------------------------------------------------------


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


def _wave_text(w) -> str:
    if isinstance(w, (float, np.floating)) and float(w).is_integer():
        return str(int(w))
    return str(w)


def _previous_answered(y: np.ndarray, cust: np.ndarray, waves: np.ndarray):
    """Score and wave of each row's previous *answered* wave (last non-missing earlier score)."""
    codes, labels = pd.factorize(pd.Series(waves), sort=True)
    order = np.lexsort((codes, cust))
    c = cust[order]
    ys = pd.Series(y[order])
    ws = pd.Series(np.where(np.isnan(y[order]), np.nan, codes[order].astype(float)))
    ps = ys.groupby(c).shift(1).groupby(c).ffill().to_numpy()
    pc = ws.groupby(c).shift(1).groupby(c).ffill().to_numpy()
    prev = np.empty_like(ps)
    prev_code = np.empty_like(pc)
    prev[order] = ps
    prev_code[order] = pc
    ok = ~np.isnan(prev_code)
    if pd.api.types.is_numeric_dtype(labels):
        prevw = np.full(len(y), np.nan)
        prevw[ok] = np.asarray(labels, dtype=float)[prev_code[ok].astype(int)]
    else:
        prevw = np.full(len(y), None, dtype=object)
        prevw[ok] = np.asarray(labels, dtype=object)[prev_code[ok].astype(int)]
    return prev, prevw


def alert_counts(cases: AlertCases, *, by: str = "branch") -> pd.DataFrame:
    """Counts of alerts by rule and branch — the only alert figures a client report shows.

    Parameters
    ----------
    cases : AlertCases
    by : str, default ``"branch"``
        ``"branch"`` (or the name of the branch column given to :func:`alert_cases`): rule ×
        branch; ``"rule"``: rule totals.

    Returns
    -------
    DataFrame
        The branch column (named as in the responses; only when counting by branch), ``rule``,
        ``owner``, ``n`` (customers the rule fired for), ``n_responses`` (respondents of the wave
        in the branch / in all), ``estimate`` (n / n_responses). Every rule × branch appears, with
        0 when it did not fire. No customer identifiers.
    """
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
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Writing the case list
# --------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_alerts(cases, path) -> Path:
    """Write the case list to ``.xlsx`` or ``.csv`` atomically (internal use only).

    Parameters
    ----------
    cases : AlertCases or DataFrame
    path : str or Path
        Target; the suffix chooses the format (``.xlsx`` or ``.csv``). The file is written to a
        temporary file in the same folder and renamed over the target, so a reader never sees a
        half-written list and a failure leaves any previous file intact.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    CXValueError
        An unsupported suffix or a missing folder.

    Notes
    -----
    Comments are data: in ``.xlsx`` every text cell is stored as a string (a comment starting with
    ``=`` is not turned into a formula; characters Excel cannot store are removed); in ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) text cells starting with ``= + - @`` are prefixed with
    ``'`` against formula injection. The ``.xlsx`` has a second sheet ``about`` listing the rules.
    """
    frame = cases.cases if isinstance(cases, AlertCases) else cases
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(
            f"cases must be an AlertCases or a DataFrame; got {type(cases).__name__}"
        )
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise CXValueError(f"path must end in '.xlsx' or '.csv'; got {str(path)!r}")
    if not path.parent.is_dir():
        raise CXValueError(f"folder of path does not exist: {str(path.parent)!r}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".csv":
            safe = frame.copy()
            for c in safe.columns:
                if safe[c].dtype == object:
                    safe[c] = [
                        "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
                        for v in safe[c]
                    ]
            safe.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx(frame, cases if isinstance(cases, AlertCases) else None, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _write_xlsx(frame: pd.DataFrame, cases: AlertCases | None, tmp: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def put(ws, r, c, v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
            cell = ws.cell(row=r, column=c)
            cell.value = v
            cell.data_type = "s"  # never a formula, whatever the text starts with
        else:
            ws.cell(row=r, column=c, value=v)

    wb = Workbook()
    ws = wb.active
    ws.title = "alerts"
    for j, col in enumerate(frame.columns, 1):
        put(ws, 1, j, str(col))
    for i, row in enumerate(frame.itertuples(index=False, name=None), 2):
        for j, v in enumerate(row, 1):
            put(ws, i, j, v)
    ws.freeze_panes = "A2"
    about = wb.create_sheet("about")
    put(about, 1, 1, "INTERNAL: customer-level early-warning list; not for client reports.")
    if cases is not None:
        put(about, 2, 1, f"wave: {cases.wave}")
        put(about, 4, 1, "rule")
        put(about, 4, 2, "owner")
        put(about, 4, 3, "condition")
        for i, r in enumerate(cases.rules, 5):
            put(about, i, 1, r.name)
            put(about, i, 2, r.owner)
            put(about, i, 3, r.describe())
    wb.save(tmp)


# --------------------------------------------------------------------------------------------
# Back-test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
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

    def to_frame(self) -> pd.DataFrame:
        """The back-test table (:attr:`frame`)."""
        return self.frame.copy()


def _lift_log_ci(a, b, c, d, z):
    """Log-method interval of lift = [a/(a+b)] / [(a+c)/n] by the multinomial delta method."""
    n = a + b + c + d
    lift = (a / (a + b)) / ((a + c) / n)
    ga = 1 / a - 1 / (a + b) - 1 / (a + c) + 1 / n
    gb = -1 / (a + b) + 1 / n
    gc = -1 / (a + c) + 1 / n
    gd = 1 / n
    # log-lift is homogeneous of degree 0 in the counts, so Var = sum n_i g_i^2 (the mean term vanishes)
    se = np.sqrt(a * ga**2 + b * gb**2 + c * gc**2 + d * gd**2)
    return lift, se, lift * np.exp(-z * se), lift * np.exp(z * se)


def _counts(alert: np.ndarray, churn: np.ndarray):
    a = float(np.sum(alert & churn))
    b = float(np.sum(alert & ~churn))
    c = float(np.sum(~alert & churn))
    d = float(np.sum(~alert & ~churn))
    return a, b, c, d


def _boot_lift(alert, churn, cluster, n_boot, rng, alpha):
    """Percentile interval of lift, resampling customers (clusters) with replacement."""
    codes, uniq = pd.factorize(cluster)
    k = len(uniq)
    per = np.zeros((k, 4))
    np.add.at(per[:, 0], codes, alert & churn)
    np.add.at(per[:, 1], codes, alert & ~churn)
    np.add.at(per[:, 2], codes, ~alert & churn)
    np.add.at(per[:, 3], codes, ~alert & ~churn)
    lifts = []
    chunk = max(1, min(n_boot, 2_000_000 // max(k, 1)))
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        w = rng.multinomial(k, np.full(k, 1.0 / k), size=m).astype(float)
        cnt = w @ per
        a, b, c, d = cnt.T
        n = a + b + c + d
        with np.errstate(invalid="ignore", divide="ignore"):
            lifts.append((a / (a + b)) / ((a + c) / n))
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
        Bad option values, missing columns, no wave with a known outcome.

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
    """
    rules = rules_from_params(rules)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise CXValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    if proportion_ci not in ("wilson", "exact"):
        raise CXValueError(f"proportion_ci must be one of 'wilson', 'exact'; got {proportion_ci!r}")
    if lift_ci not in ("log", "bootstrap"):
        raise CXValueError(f"lift_ci must be one of 'log', 'bootstrap'; got {lift_ci!r}")
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise CXValueError(f"offset must be a non-negative integer; got {offset!r}")
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
    crm = customers[[customer, year, churned]].drop_duplicates([customer, year], keep="last")
    years = set(crm[year].dropna().unique().tolist())
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
        raise CXValueError(
            f"no wave has a known outcome: the CRM extract has years {sorted(years)[:5]}… and the "
            f"responses waves {all_waves[:5]}… (offset {offset})"
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
    key = pd.DataFrame({customer: responses[customer].to_numpy(), year: w_all + offset})
    outcome = key.merge(crm, on=[customer, year], how="left")[churned]
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
                lift = (a / (a + b)) / ((a + c) / n)
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
