"""Formatted tables and narrative sentences for reports, in Chinese or English.

Presentation only: the statistics come in as tidy frames of raw floats (``n``, ``estimate``,
``ci_lower`` …) and leave as display objects. A :class:`Table` renders as an HTML table in the
notebook and the report, and also carries its raw numbers under the MIME type
:data:`TABLE_MIME`, from which the report runner writes ``tables.xlsx`` (numbers as numbers).
A :class:`Text` is a narrative paragraph; every number in it is passed in from a result object and
formatted here. All text given to these objects — labels, comments written by customers — is
HTML-escaped: it is shown, never interpreted.

Modules: ``_core`` (formats, words, display objects), ``survey`` (bases, KPIs, trends,
segments), ``drivers``, ``persistence`` (with loyalty), ``voice`` (alerts, comments, employees),
``appendix``. Everything public is re-exported here: ``cx.tables.estimates(...)``.
"""
from __future__ import annotations

from cxresearch.tables._core import (
    FORMATS,
    LANGS,
    TABLE_MIME,
    Table,
    Text,
    fmt,
    fmt_base,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_pct,
    heading,
    labelled,
    mid_sentence,
    p_eq,
    table,
    text,
    value_label,
    var_label,
    verbatims,
    word,
)
from cxresearch.tables.appendix import (
    definitions_table,
    fieldwork_table,
    provenance_table,
    reliability_table,
    settings_table,
)
from cxresearch.tables.crosstab import crosstab_table, crosstab_xlsx
from cxresearch.tables.drivers import (
    diagnostics_table,
    driver_table,
    say_drivers,
)
from cxresearch.tables.persistence import (
    band_labels,
    hazard_table,
    ladder_table,
    lag_table,
    penalty_table,
    retention_table,
    say_hazard,
    say_horizon,
    say_penalty,
    stage_labels,
)
from cxresearch.tables.survey import (
    bases,
    differences,
    estimates,
    missing_answers,
    say_bases,
    say_segments,
    say_trend,
)
from cxresearch.tables.voice import (
    alert_table,
    backtest_table,
    did_table,
    engagement_table,
    linkage_table,
    quotes,
    say_alerts,
    say_backtest,
    say_programme,
    say_themes,
    theme_table,
)

__all__ = [
    "mid_sentence",
    "definitions_table",
    "fieldwork_table",
    "TABLE_MIME",
    "FORMATS",
    "LANGS",
    "word",
    "fmt_num",
    "fmt_int",
    "fmt_pct",
    "fmt_p",
    "p_eq",
    "fmt",
    "fmt_base",
    "Text",
    "text",
    "heading",
    "Table",
    "table",
    "verbatims",
    "var_label",
    "value_label",
    "labelled",
    "estimates",
    "bases",
    "say_bases",
    "missing_answers",
    "say_trend",
    "say_segments",
    "differences",
    "driver_table",
    "say_drivers",
    "diagnostics_table",
    "lag_table",
    "say_horizon",
    "hazard_table",
    "say_hazard",
    "stage_labels",
    "ladder_table",
    "penalty_table",
    "say_penalty",
    "band_labels",
    "retention_table",
    "alert_table",
    "say_alerts",
    "backtest_table",
    "say_backtest",
    "theme_table",
    "say_themes",
    "quotes",
    "engagement_table",
    "say_programme",
    "did_table",
    "linkage_table",
    "settings_table",
    "reliability_table",
    "provenance_table",
    "crosstab_table",
    "crosstab_xlsx",
]
