"""Firing the rules: every rule evaluated on every response of every wave.

:func:`fire_rules` gives one row per response × rule that fired, with a plain-language reason;
``complaint_theme`` rules code the comments with :func:`cxresearch.text.code_comments`. A
``drop`` compares with the customer's previous *answered* wave (``_previous_answered``, shared
with the case list).

Why hand-written: each rule is a vectorised comparison on numpy arrays; nothing to delegate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import CXValueError
from .rules import rules_from_params


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
    crm = _crm_column(
        customers,
        "high_value",
        customer=customer,
        year=year,
        customers_of=data[customer].to_numpy(),
        years_of=data[wave].to_numpy(),
    )
    return crm.eq(True).to_numpy(dtype=bool)


def _crm_column(
    customers: pd.DataFrame,
    column: str,
    *,
    customer: str,
    year: str,
    customers_of: np.ndarray,
    years_of: np.ndarray,
) -> pd.Series:
    """``column`` of the CRM extract for each (customer, year) pair given (NaN where the extract
    has no row; the last row where it has several)."""
    crm = customers[[customer, year, column]].drop_duplicates([customer, year], keep="last")
    key = pd.DataFrame({customer: customers_of, year: years_of})
    return key.merge(crm, on=[customer, year], how="left")[column]


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

    Examples
    --------
    Three customers over two waves, with a Chinese and an English comment in the latest:

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> responses = pd.DataFrame({
    ...     "customer_id": ["C1", "C2", "C3", "C1", "C2", "C3"],
    ...     "wave": [2016, 2016, 2016, 2017, 2017, 2017],
    ...     "overall_sat": [8, 9, 4, 4, 9, 7],
    ...     "comment": ["", "", "", "配件经常缺货，等了很久", "Friendly staff",
    ...                 "The price is too high"],
    ... })
    >>> rules = [
    ...     {"name": "low_sat", "kind": "low_score", "below": 5, "owner": "service"},
    ...     {"name": "sat_drop", "kind": "drop", "points": 3, "owner": "branch_manager"},
    ...     {"name": "complaint", "kind": "complaint_theme", "owner": "service",
    ...      "themes": ["waiting_time", "parts_availability", "price"]},
    ... ]
    >>> fired = cx.alerts.fire_rules(responses, rules=rules)
    >>> fired[["customer", "wave", "rule"]]
      customer  wave       rule
    0       C3  2016    low_sat
    1       C1  2017    low_sat
    2       C1  2017   sat_drop
    3       C1  2017  complaint
    4       C3  2017  complaint
    >>> for detail in fired["detail"]:
    ...     print(detail)
    overall_sat 4 < 5
    overall_sat 4 < 5
    overall_sat fell 4 points (8 in 2016 → 4)
    negative comment: parts_availability, waiting_time
    negative comment: price
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
            from .. import text as _text

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
