"""What to fix, where, with what expected effect: the priorities table joined from findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from cxresearch.findings._record import Finding, rank

__all__ = ["priorities", "owner_for", "select_messages"]

_COLUMNS = ["priority", "action", "subject", "subject_type", "variable", "where", "estimate", "ci_lower", "ci_upper",
            "unit", "lasts_years", "lasts_ci_lower", "lasts_ci_upper", "volume", "precision", "owner", "score",
            "exhibit"]


def owner_for(keys: Iterable[str], owners: Mapping[str, str] | None) -> str | None:
    """The first owner found under ``keys`` (most specific first) in the params' ``owners`` map."""
    if not owners:
        return None
    for key in keys:
        if key is not None and str(key) in owners:
            return owners[str(key)]
    return None


def priorities(findings: Iterable[Finding], *, owners: Mapping[str, str] | None = None,
               dimensions: Mapping[str, str] | None = None, max_rows: int = 8) -> pd.DataFrame:
    """The ranked priorities table: one row per action a finding supports.

    Rows come from findings only: ``priority_driver`` (or, when there is none, a ``top_driver``
    claimed ``largest`` whose relation with the outcome is positive) — improve the driver, in the segments significantly below Total, for as
    long as the persistence horizon says a gain lasts; ``segment_gap`` below Total — close the
    gap; ``alert_lift`` of any rule (``any``) — follow up this wave's alerts, expecting
    ``volume × precision`` churners among them, where alerts are concentrated
    (``alert_concentration``); ``transfer_penalty`` — cut transfers.

    Parameters
    ----------
    findings : iterable of Finding
    owners : mapping, optional
        The params' ``owners``: keys are a driver variable, a codebook dimension (``service``,
        ``process:service``), a segment as ``<variable>:<code>`` (``branch:3``), a segment variable
        (``branch``), ``alerts`` or ``transfers``; values the owner's name.
    dimensions : mapping, optional
        ``{variable: codebook dimension}`` (to find a driver's owner by its dimension).
    max_rows : int
        Rows kept (highest score first).

    Returns
    -------
    DataFrame
        Columns ``priority`` (1 = first), ``action`` (``improve_driver``, ``close_gap``,
        ``follow_up_alerts``, ``cut_transfers``), ``subject``, ``subject_type``, ``variable``,
        ``where`` (list of segment codes below Total, as text), ``estimate``, ``ci_lower``, ``ci_upper``,
        ``unit`` (the expected effect: share of explained variance, the gap, expected churners
        reached, loss per transfer), ``lasts_years`` and its interval (the horizon), ``volume``,
        ``precision``, ``owner``, ``score``, ``exhibit``.
    """
    items = list(findings)
    dims = dict(dimensions or {})
    below = [f for f in items if f.kind == "segment_gap" and f.claim == "below_total"]
    by_name = below[0].details.get("by") if below else None
    where = sorted({f.subject for f in below}, key=lambda s: (len(s), s))
    horizon = next(iter(rank([f for f in items if f.kind == "horizon"])), None)
    rows = []
    drivers = [f for f in items if f.kind == "priority_driver"]
    if not drivers:
        # only a driver that moves with the outcome is one to improve (not a reverse-keyed item)
        drivers = [f for f in items if f.kind == "top_driver" and f.claim == "largest" and f.direction > 0]
    for f in drivers:
        rows.append({"action": "improve_driver", "subject": f.subject, "subject_type": "driver", "variable": f.variable,
                     "where": where, "estimate": f.estimate, "ci_lower": f.ci_lower, "ci_upper": f.ci_upper,
                     "unit": f.unit, "owner": owner_for([f.subject, dims.get(f.subject)], owners), "score": f.score,
                     "exhibit": f.exhibit, **_lasts(horizon)})
    seen = set()
    for f in rank(below):
        if f.subject in seen:
            continue
        seen.add(f.subject)
        rows.append({"action": "close_gap", "subject": f.subject, "subject_type": "segment", "variable": f.variable,
                     "where": [f.subject], "estimate": f.estimate, "ci_lower": f.ci_lower, "ci_upper": f.ci_upper,
                     "unit": f.unit, "owner": owner_for([f"{by_name}:{f.subject}", by_name], owners), "score": f.score,
                     "exhibit": f.exhibit, **_lasts(horizon)})
    alerts = [f for f in items if f.kind == "alert_lift"]
    pick = [f for f in alerts if f.subject == "any"] or rank(alerts)[:1]
    hot = rank([f for f in items if f.kind == "alert_concentration"])
    for f in pick:
        rule_hot = [g.subject for g in hot if g.details.get("rule") in (f.subject, "low_sat")] or [g.subject for g in hot]
        vol = f.details.get("volume")
        prec = f.details.get("precision")
        lo, hi = f.details.get("precision_ci_lower"), f.details.get("precision_ci_upper")
        rows.append({"action": "follow_up_alerts", "subject": f.subject, "subject_type": "rule", "variable": "churned",
                     "where": list(dict.fromkeys(rule_hot)), "estimate": vol * prec if vol is not None and prec is not None else None,
                     "ci_lower": vol * lo if vol is not None and lo is not None else None,
                     "ci_upper": vol * hi if vol is not None and hi is not None else None, "unit": "customers",
                     "volume": vol, "precision": prec,
                     "owner": owner_for([f.details.get("owner") and f"alerts:{f.subject}", "alerts"], owners)
                     or f.details.get("owner"), "score": f.score, "exhibit": f.exhibit})
    for f in items:
        if f.kind == "transfer_penalty":
            rows.append({"action": "cut_transfers", "subject": "transfers", "subject_type": "item", "variable": f.variable,
                         "where": [], "estimate": f.estimate, "ci_lower": f.ci_lower, "ci_upper": f.ci_upper,
                         "unit": f.unit, "owner": owner_for(["transfers", "process:service", "service"], owners),
                         "score": f.score, "exhibit": f.exhibit})
    frame = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "priority"])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame = frame.sort_values("score", ascending=False, kind="stable").head(max_rows).reset_index(drop=True)
    frame.insert(0, "priority", range(1, len(frame) + 1))
    return frame[_COLUMNS]


def _lasts(horizon: Finding | None) -> dict:
    if horizon is None:
        return {}
    return {"lasts_years": horizon.estimate, "lasts_ci_lower": horizon.ci_lower, "lasts_ci_upper": horizon.ci_upper}


def select_messages(findings: Iterable[Finding], *, k: int = 5, headline: str | None = None) -> list[Finding]:
    """The executive summary's key messages: up to ``k`` findings ranked by size × certainty.

    One message per kind of finding, each represented by its best record, ranked by that record's
    score:

    * segments: the segment significantly lowest on the ``headline`` KPI (the first KPI of the
      dashboard, NPS in the demo) when one is below Total on it, else the highest-scoring segment
      record (the sentence names the same segment's gaps on the other KPIs from their records);
      the message ranks by the strongest of those records;
    * drivers: the ``top_driver`` record when there is one, else the best ``priority_driver``;
    * ``model_fit`` records qualify other messages and are never messages themselves.

    Fewer than 3 messages are returned only when fewer kinds of findings exist: nothing is
    asserted without its test.
    """
    items = [f for f in findings if f.kind != "model_fit"]
    groups: dict[str, list[Finding]] = {}
    for f in items:
        groups.setdefault("driver" if f.kind in ("top_driver", "priority_driver") else f.kind, []).append(f)
    reps = []
    for group, members in groups.items():
        weight = None
        if group == "segment_gap":
            below = [f for f in members if f.claim == "below_total" and headline is not None and f.variable == headline]
            rep = min(below, key=lambda f: f.estimate) if below else rank(members)[0]
            # the message names all the segment's gaps in that direction: it weighs as its strongest
            weight = max(f.score for f in members if f.subject == rep.subject and f.direction == rep.direction
                         and f.details.get("by") == rep.details.get("by"))
        elif group == "driver":
            top = [f for f in members if f.kind == "top_driver"]
            rep = top[0] if top else rank(members)[0]
        else:
            rep = rank(members)[0]
        reps.append((rep.score if weight is None else weight, rep))
    reps.sort(key=lambda x: (-x[0], x[1].p if x[1].p is not None else 1.0, x[1].kind, x[1].subject))
    return [rep for _, rep in reps[:k]]
