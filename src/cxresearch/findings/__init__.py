"""Findings: what the statistics support, as typed records (no prose).

A *finding* is one claim a result supports — a segment significantly below Total, a KPI that
changed significantly, the top driver whose share separates from the next, a horizon its lag tests
support, churn risk rising with the length of dissatisfaction when a trend test says so, an alert
rule whose lift interval lies above 1, a comment theme the dissatisfied raise significantly more
than the other customers — with the numbers behind it: estimate, interval, base, test,
p-value, a size on a common scale (a standardised difference) and the report table holding the
evidence. The functions here turn result objects into findings **only when their test supports
the claim**; otherwise they return none. The presentation floor (``cx.tables.say_finding``) writes
them as zh/en sentences, the executive summary ranks them (:func:`select_messages`), the priorities
table joins them (:func:`priorities`) and ``findings.json`` serialises them (:func:`to_json`).

Computation floor: imports ``survey`` and the data floor, never ``tables``, ``viz`` or ``report``.

Modules: ``_record`` (the :class:`Finding` record, ranking, JSON), ``segments`` (segments vs Total,
the scorecard, KPI changes), ``analyses`` (drivers, horizon, churn runs, alerts, transfers,
employees), ``themes`` (comment themes of dissatisfied customers against the others), ``effects``
(the expected effect of closing a driver's gap, in outcome points), ``priorities`` (the priorities
table and the summary's choice of messages).

References: Chinn (2000), a simple method for converting an odds ratio to effect size,
doi:10.1002/1097-0258(20001130)19:22<3127::AID-SIM784>3.0.CO;2-M; Armitage (1955), tests for linear
trends in proportions and frequencies, doi:10.2307/3001775; Holm (1979), a simple sequentially
rejective multiple test procedure.
"""

from __future__ import annotations

from cxresearch.findings._record import (
    KINDS,
    Finding,
    certainty,
    d_from_log_odds,
    d_from_r,
    from_json,
    rank,
    read_jsonl,
    strength,
    to_json,
    write_jsonl,
)
from cxresearch.findings.analyses import (
    LOW_R2,
    alert_concentration_findings,
    backtest_findings,
    driver_findings,
    engagement_findings,
    hazard_findings,
    horizon_findings,
    linkage_findings,
    penalty_findings,
    programme_findings,
    run_trend_test,
)
from cxresearch.findings.effects import TARGETS, driver_effects
from cxresearch.findings.priorities import owner_for, priorities, select_messages
from cxresearch.findings.segments import (
    KPI_KINDS,
    Scorecard,
    exceptions,
    kpi_findings,
    kpi_trends,
    scorecard,
    segment_findings,
    segment_findings_each,
    trend_findings,
)
from cxresearch.findings.themes import GROUPS, cohen_h, theme_findings, theme_gaps

__all__ = [
    "GROUPS",
    "TARGETS",
    "cohen_h",
    "driver_effects",
    "theme_findings",
    "theme_gaps",
    "KINDS",
    "KPI_KINDS",
    "LOW_R2",
    "Finding",
    "Scorecard",
    "alert_concentration_findings",
    "backtest_findings",
    "certainty",
    "d_from_log_odds",
    "d_from_r",
    "driver_findings",
    "engagement_findings",
    "exceptions",
    "from_json",
    "hazard_findings",
    "horizon_findings",
    "kpi_findings",
    "kpi_trends",
    "linkage_findings",
    "owner_for",
    "penalty_findings",
    "priorities",
    "programme_findings",
    "rank",
    "read_jsonl",
    "run_trend_test",
    "scorecard",
    "segment_findings",
    "segment_findings_each",
    "select_messages",
    "strength",
    "to_json",
    "trend_findings",
    "write_jsonl",
]
