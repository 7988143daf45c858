"""What to fix, where, with what expected effect: the priorities table joined from findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from cxresearch.errors import CXValueError
from cxresearch.findings._record import Finding, finite, rank
from cxresearch.findings.effects import driver_effects

__all__ = ["priorities", "owner_for", "select_messages"]

_COLUMNS = [
    "priority",
    "action",
    "subject",
    "subject_type",
    "variable",
    "where",
    "estimate",
    "ci_lower",
    "ci_upper",
    "unit",
    "share",
    "lasts_years",
    "lasts_ci_lower",
    "lasts_ci_upper",
    "volume",
    "precision",
    "owner",
    "score",
    "exhibit",
    "details",
]


def owner_for(keys: Iterable[str], owners: Mapping[str, str] | None) -> str | None:
    """The first owner found under ``keys`` (most specific first) in the params' ``owners`` map.

    Examples
    --------
    The most specific key found wins: the driver itself, then its codebook dimension:

    >>> import cxresearch as cx
    >>> owners = {"svc_responsiveness": "Service director", "service": "After-sales manager",
    ...           "branch:3": "Branch 3 manager", "branch": "Regional sales"}
    >>> cx.findings.owner_for(["svc_responsiveness", "service"], owners)
    'Service director'
    >>> cx.findings.owner_for(["svc_courtesy", "service"], owners)
    'After-sales manager'
    >>> cx.findings.owner_for(["branch:5", "branch"], owners)
    'Regional sales'
    >>> cx.findings.owner_for(["price_value", "price"], owners) is None
    True
    """
    if not owners:
        return None
    for key in keys:
        if key is not None and str(key) in owners:
            return owners[str(key)]
    return None


def priorities(
    findings: Iterable[Finding],
    *,
    owners: Mapping[str, str] | None = None,
    dimensions: Mapping[str, str] | None = None,
    max_rows: int = 8,
    data: pd.DataFrame | None = None,
    by: str | None = None,
    min_base: int = 30,
    max_themes: int = 2,
) -> pd.DataFrame:
    """The ranked priorities table: one row per action a finding supports.

    Rows come from findings only: ``priority_driver`` (or, when there is none, a ``top_driver``
    claimed ``largest`` whose relation with the outcome is positive) — improve the driver, in the segments significantly below Total, for as
    long as the persistence horizon says a gain lasts; ``segment_gap`` below Total — close the
    gap; ``alert_lift`` of any rule (``any``) — follow up this wave's alerts, expecting
    ``volume × precision`` churners among them, where alerts are concentrated
    (``alert_concentration``); ``transfer_penalty`` — cut transfers; ``theme_gap`` claimed
    ``more_among_dissatisfied`` (the ``max_themes`` strongest) — address the comment theme.

    **Expected effect of improving a driver.** With ``data`` (the report wave's responses), the
    estimate of an ``improve_driver`` row is the expected change of the outcome's mean, in outcome
    points, if the driver's gap to the best segment of ``by`` were closed (the driver model's
    slope × the gap; :func:`cxresearch.findings.driver_effects`, refitted on ``data`` with the
    model's drivers and weights kept in the record), with its delta-method interval; without
    ``by`` the gap is one scale point. The driver's share of R² stays in ``share``. Without
    ``data`` (or a record without its model's drivers) the estimate is the share, as the record has it.

    Parameters
    ----------
    findings : iterable of Finding
    owners : mapping, optional
        The params' ``owners``: keys are a driver variable, a codebook dimension (``service``,
        ``process:service``), a segment as ``<variable>:<code>`` (``branch:3``), a segment variable
        (``branch``), ``alerts``, ``transfers``, a comment theme (``price``, or ``theme:price``) or
        ``comments``; values the owner's name.
    dimensions : mapping, optional
        ``{variable: codebook dimension}`` (to find a driver's owner by its dimension).
    max_rows : int
        Rows kept (highest score first).
    data : DataFrame, optional
        The responses the driver model was fitted on (the report wave), for the expected effect.
    by : str, optional
        The segment column whose best level is the driver benchmark.
    min_base : int
        Smallest segment base that can be the benchmark.
    max_themes : int
        Comment themes kept as actions.

    Returns
    -------
    DataFrame
        Columns ``priority`` (1 = first), ``action`` (``improve_driver``, ``close_gap``,
        ``follow_up_alerts``, ``cut_transfers``, ``address_theme``), ``subject``, ``subject_type``,
        ``variable``, ``where`` (list of segment codes below Total, as text), ``estimate``,
        ``ci_lower``, ``ci_upper``, ``unit`` (the expected effect: outcome points of closing a
        driver's gap (``outcome_points``; ``share`` of explained variance without ``data``), the gap
        to Total, expected churners reached, loss per transfer, the extra share of dissatisfied
        customers raising a theme), ``share`` (a driver's share of R²), ``lasts_years`` and its
        interval (the horizon), ``volume``, ``precision``, ``owner``, ``score``, ``exhibit``,
        ``details`` (dict of the raw numbers behind the effect: a driver's slope, gap, benchmark
        segment and share interval; a theme's label and the two shares).

    Examples
    --------
    Three records of a report (as the chapters' findings functions give them): a priority driver,
    a branch below Total on NPS and the cost of transfers:

    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> found = [
    ...     Finding(kind="priority_driver", claim="improve", subject="svc_responsiveness",
    ...             subject_type="driver", variable="overall_sat", direction=-1, estimate=0.26,
    ...             ci_lower=0.21, ci_upper=0.31, unit="share", p_value=0.02, size=1.0,
    ...             test="share interval above the average share", chapter="03_drivers",
    ...             exhibit="driver_importance"),
    ...     Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...             variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...             ci_upper=-6.4, unit="nps_points", p_adj=0.002, size=0.35,
    ...             test="design-based t test vs Total, Holm", chapter="02_kpis",
    ...             exhibit="segment_scorecard", details={"by": "branch"}),
    ...     Finding(kind="transfer_penalty", claim="costs", subject="transfers",
    ...             subject_type="item", variable="repurchase", direction=-1, estimate=-0.095,
    ...             ci_lower=-0.104, ci_upper=-0.085, unit="relative_change", p_value=1e-20,
    ...             size=0.06, test="log-link quasi-Poisson model", chapter="05_loyalty",
    ...             exhibit="transfer_penalty"),
    ... ]
    >>> owners = {"svc_responsiveness": "Service director", "branch": "Regional sales",
    ...           "transfers": "Call-centre lead"}
    >>> table = cx.findings.priorities(found, owners=owners)
    >>> table[["priority", "action", "subject", "where", "owner"]]
       priority          action             subject where             owner
    0         1  improve_driver  svc_responsiveness   [3]  Service director
    1         2       close_gap                   3   [3]    Regional sales
    2         3   cut_transfers           transfers    []  Call-centre lead
    >>> table[["estimate", "unit"]]
       estimate             unit
    0     0.260            share
    1   -14.200       nps_points
    2    -0.095  relative_change

    Given the responses the driver model was fitted on (``data=``, with the model's drivers in
    the record's ``details``), an ``improve_driver`` row's estimate becomes the expected change of
    the outcome in its own points (:func:`cxresearch.findings.driver_effects`).
    """
    items = list(findings)
    if data is not None and not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame or None; got {type(data).__name__}")
    dims = dict(dimensions or {})
    below = [f for f in items if f.kind == "segment_gap" and f.claim == "below_total"]
    by_name = below[0].details.get("by") if below else None
    where = sorted({f.subject for f in below}, key=lambda s: (len(s), s))
    horizon = next(iter(rank([f for f in items if f.kind == "horizon"])), None)
    rows = []
    drivers = [f for f in items if f.kind == "priority_driver"]
    if not drivers:
        # only a driver that moves with the outcome is one to improve (not a reverse-keyed item)
        drivers = [
            f for f in items if f.kind == "top_driver" and f.claim == "largest" and f.direction > 0
        ]
    effects: dict[tuple, pd.DataFrame] = {}
    for f in drivers:
        row = {
            "action": "improve_driver",
            "subject": f.subject,
            "subject_type": "driver",
            "variable": f.variable,
            "where": where,
            "estimate": f.estimate,
            "ci_lower": f.ci_lower,
            "ci_upper": f.ci_upper,
            "unit": f.unit,
            "share": f.estimate,
            "owner": owner_for([f.subject, dims.get(f.subject)], owners),
            "score": f.score,
            "exhibit": f.exhibit,
            **_lasts(horizon),
            "details": {
                "share": f.estimate,
                "share_ci_lower": f.ci_lower,
                "share_ci_upper": f.ci_upper,
            },
        }
        eff = _driver_effect(f, data, by=by, min_base=min_base, cache=effects)
        if eff is not None:
            row.update(
                estimate=finite(eff["estimate"]),
                ci_lower=finite(eff["ci_lower"]),
                ci_upper=finite(eff["ci_upper"]),
                unit="outcome_points",
            )
            row["details"].update(
                {
                    k: (finite(eff[k]) if k not in ("benchmark", "basis") else eff[k])
                    for k in (
                        "slope",
                        "slope_se",
                        "mean",
                        "target",
                        "gap",
                        "gap_se",
                        "se",
                        "p_value",
                        "benchmark",
                        "basis",
                        "n",
                    )
                }
            )
            row["details"]["by"] = by if eff["basis"] == "best_segment" else None
        rows.append(row)
    seen = set()
    for f in rank(below):
        if f.subject in seen:
            continue
        seen.add(f.subject)
        rows.append(
            {
                "action": "close_gap",
                "subject": f.subject,
                "subject_type": "segment",
                "variable": f.variable,
                "where": [f.subject],
                "estimate": f.estimate,
                "ci_lower": f.ci_lower,
                "ci_upper": f.ci_upper,
                "unit": f.unit,
                "owner": owner_for([f"{by_name}:{f.subject}", by_name], owners),
                "score": f.score,
                "exhibit": f.exhibit,
                **_lasts(horizon),
            }
        )
    alerts = [f for f in items if f.kind == "alert_lift"]
    pick = [f for f in alerts if f.subject == "any"] or rank(alerts)[:1]
    hot = rank([f for f in items if f.kind == "alert_concentration"])
    for f in pick:
        rule_hot = [g.subject for g in hot if g.details.get("rule") in (f.subject, "low_sat")] or [
            g.subject for g in hot
        ]
        vol = f.details.get("volume")
        prec = f.details.get("precision")
        lo, hi = f.details.get("precision_ci_lower"), f.details.get("precision_ci_upper")
        rows.append(
            {
                "action": "follow_up_alerts",
                "subject": f.subject,
                "subject_type": "rule",
                "variable": "churned",
                "where": list(dict.fromkeys(rule_hot)),
                "estimate": vol * prec if vol is not None and prec is not None else None,
                "ci_lower": vol * lo if vol is not None and lo is not None else None,
                "ci_upper": vol * hi if vol is not None and hi is not None else None,
                "unit": "customers",
                "volume": vol,
                "precision": prec,
                "owner": owner_for(
                    [f.details.get("owner") and f"alerts:{f.subject}", "alerts"], owners
                )
                or f.details.get("owner"),
                "score": f.score,
                "exhibit": f.exhibit,
            }
        )
    for f in items:
        if f.kind == "transfer_penalty":
            rows.append(
                {
                    "action": "cut_transfers",
                    "subject": "transfers",
                    "subject_type": "item",
                    "variable": f.variable,
                    "where": [],
                    "estimate": f.estimate,
                    "ci_lower": f.ci_lower,
                    "ci_upper": f.ci_upper,
                    "unit": f.unit,
                    "owner": owner_for(["transfers", "process:service", "service"], owners),
                    "score": f.score,
                    "exhibit": f.exhibit,
                }
            )
    themes = rank(
        [f for f in items if f.kind == "theme_gap" and f.claim == "more_among_dissatisfied"]
    )
    for f in themes[:max_themes]:
        d = f.details
        rows.append(
            {
                "action": "address_theme",
                "subject": f.subject,
                "subject_type": "theme",
                "variable": f.variable,
                "where": [],
                "estimate": f.estimate,
                "ci_lower": f.ci_lower,
                "ci_upper": f.ci_upper,
                "unit": f.unit,
                "owner": owner_for([f"theme:{f.subject}", f.subject, "comments"], owners),
                "score": f.score,
                "exhibit": f.exhibit,
                "details": {
                    "label": d.get("label") or {},
                    "group": d.get("group"),
                    "share_low": d.get("share_low"),
                    "share_rest": d.get("share_rest"),
                    "n_low": d.get("n_low"),
                    "n_rest": d.get("n_rest"),
                },
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "priority"])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame["details"] = [d if isinstance(d, dict) else {} for d in frame["details"]]
    frame = (
        frame.sort_values("score", ascending=False, kind="stable")
        .head(max_rows)
        .reset_index(drop=True)
    )
    frame.insert(0, "priority", range(1, len(frame) + 1))
    return frame[_COLUMNS]


def _driver_effect(
    f: Finding, data: pd.DataFrame | None, *, by: str | None, min_base: int, cache: dict
) -> pd.Series | None:
    """The :func:`driver_effects` row of a driver record, or None without data or the model's drivers."""
    model = f.details.get("drivers")
    if data is None or not model or f.subject not in model or f.variable is None:
        return None
    need = [f.variable, *model] + ([f.details["weights"]] if f.details.get("weights") else [])
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise CXValueError(
            f"priorities: data has no column {missing[0]!r} of the driver model of {f.subject!r} "
            f"(outcome {f.variable!r}); pass the responses the drivers were fitted on"
        )
    use_by = by if by is not None and by in data.columns else None
    key = (f.variable, tuple(model), f.details.get("weights"), use_by)
    if key not in cache:
        cache[key] = driver_effects(
            data,
            outcome=f.variable,
            drivers=list(model),
            by=use_by,
            weights=f.details.get("weights"),
            alpha=f.alpha,
            min_base=min_base,
        )
    hit = cache[key][cache[key]["driver"] == f.subject]
    return None if hit.empty else hit.iloc[0]


def _lasts(horizon: Finding | None) -> dict:
    if horizon is None:
        return {}
    return {
        "lasts_years": horizon.estimate,
        "lasts_ci_lower": horizon.ci_lower,
        "lasts_ci_upper": horizon.ci_upper,
    }


def select_messages(
    findings: Iterable[Finding], *, k: int = 5, headline: str | None = None
) -> list[Finding]:
    """The executive summary's key messages: up to ``k`` findings ranked by size × certainty.

    One message per kind of finding, each represented by its best record, ranked by that record's
    score:

    * segments: the segment significantly lowest on the ``headline`` KPI (the first KPI of the
      dashboard, NPS in the demo) when one is below Total on it, else the highest-scoring segment
      record (the sentence names the same segment's gaps on the other KPIs from their records);
      the message ranks by the strongest of those records;
    * drivers: the ``top_driver`` record when there is one, else the best ``priority_driver``;
    * comment themes: the best theme the dissatisfied raise more (``more_among_dissatisfied``)
      when there is one, else the best ``theme_gap`` record;
    * ``model_fit`` records qualify other messages and are never messages themselves.

    Fewer than 3 messages are returned only when fewer kinds of findings exist: nothing is
    asserted without its test.

    Examples
    --------
    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> def gap(kpi, estimate, p_adj):
    ...     return Finding(kind="segment_gap", claim="below_total", subject="3",
    ...                    subject_type="segment", variable=kpi, direction=-1, estimate=estimate,
    ...                    ci_lower=None, ci_upper=None, unit="scale_points", p_adj=p_adj,
    ...                    size=0.4, test="t test vs Total, Holm", chapter="02_kpis",
    ...                    exhibit="segment_scorecard", details={"by": "branch"})
    >>> found = [
    ...     gap("recommend", -14.2, 0.002),
    ...     gap("overall_sat", -0.6, 0.01),
    ...     Finding(kind="top_driver", claim="largest", subject="product_quality",
    ...             subject_type="driver", variable="overall_sat", direction=1, estimate=0.41,
    ...             ci_lower=0.33, ci_upper=0.49, unit="share", p_value=0.01, size=0.9,
    ...             test="bootstrap test", chapter="03_drivers", exhibit="driver_importance"),
    ...     Finding(kind="model_fit", claim="explains_little", subject="repurchase",
    ...             subject_type="model", direction=0, estimate=0.06, ci_lower=None,
    ...             ci_upper=None, unit="r2", test="R² below 0.1", size=0.0,
    ...             chapter="03_drivers", exhibit="driver_importance"),
    ... ]
    >>> msgs = cx.findings.select_messages(found, headline="recommend")
    >>> [(f.kind, f.subject, f.variable) for f in msgs]
    [('top_driver', 'product_quality', 'overall_sat'), ('segment_gap', '3', 'recommend')]

    One message per kind: the branch's NPS gap stands for its gaps, and the weak model qualifies
    other messages but is never one.
    """
    items = [f for f in findings if f.kind != "model_fit"]
    groups: dict[str, list[Finding]] = {}
    for f in items:
        groups.setdefault(
            "driver" if f.kind in ("top_driver", "priority_driver") else f.kind, []
        ).append(f)
    reps = []
    for group, members in groups.items():
        weight = None
        if group == "segment_gap":
            below = [
                f
                for f in members
                if f.claim == "below_total" and headline is not None and f.variable == headline
            ]
            rep = min(below, key=lambda f: f.estimate) if below else rank(members)[0]
            # the message names all the segment's gaps in that direction: it weighs as its strongest
            weight = max(
                f.score
                for f in members
                if f.subject == rep.subject
                and f.direction == rep.direction
                and f.details.get("by") == rep.details.get("by")
            )
        elif group == "driver":
            top = [f for f in members if f.kind == "top_driver"]
            rep = top[0] if top else rank(members)[0]
        elif group == "theme_gap":
            pains = [f for f in members if f.claim == "more_among_dissatisfied"]
            rep = rank(pains or members)[0]
        else:
            rep = rank(members)[0]
        reps.append((rep.score if weight is None else weight, rep))
    reps.sort(key=lambda x: (-x[0], x[1].p if x[1].p is not None else 1.0, x[1].kind, x[1].subject))
    return [rep for _, rep in reps[:k]]
