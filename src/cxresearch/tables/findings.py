"""Findings in words and tables: key messages, KPI dashboard, segment scorecard, priorities.

Sentences are written from :class:`cxresearch.findings.Finding` records only: every number in a
sentence is a field of a record (``estimate``, ``ci_lower``, ``ci_upper``, ``p``, or a raw number
in ``details``), formatted here. A record exists only when its test supports the claim, so nothing
is asserted here that a test did not support.

Every word shown is an entry ``findings_table.*`` of the message catalog (see
:mod:`cxresearch._i18n`): one template per kind of sentence (``findings_table.say.<kind>``), filled
with the record's formatted numbers and labels; a label inside an English sentence comes as
``x_lower`` (:func:`~cxresearch.tables._core.mid_sentence`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxresearch._i18n import sentences as _sentences
from cxresearch.findings import Finding, select_messages
from cxresearch.tables._core import (
    TABLE_MIME,
    Table,
    Text,
    _check_lang,
    _inline,
    _missing,
    _range,
    fmt_int,
    fmt_num,
    fmt_pct,
    mid_sentence,
    p_eq,
    table,
    value_label,
    var_label,
    word,
)

__all__ = [
    "say_finding",
    "finding_numbers",
    "kpi_label",
    "key_messages",
    "kpi_dashboard",
    "scorecard_table",
    "priorities_table",
    "theme_gap_table",
    "so_what",
    "Messages",
]

#: Alert rules with a name of their own in a finding's sentence (``findings_table.rule.<code>``).
_RULES = ("low_sat", "sat_drop", "hv_detractor", "complaint", "any")
#: Customer groups of a comment-theme comparison (``findings_table.group.<code>``).
_GROUPS = ("dissatisfied", "detractors")
#: Strengths of evidence (``findings_table.strength.<code>``).
_STRENGTHS = ("strong", "moderate", "some", "none")
#: Actions of the priorities table with a phrase of their own
#: (``findings_table.priorities.what.<action>``).
_ACTIONS = ("improve_driver", "close_gap", "follow_up_alerts", "cut_transfers", "address_theme")
#: Report tables a key message links to, named ``findings_table.exhibit.<name>``.
_EXHIBITS = (
    "segment_scorecard",
    "kpi_dashboard",
    "driver_importance",
    "process_importance",
    "lags_loyalty",
    "lags_process",
    "churn_by_run",
    "transfer_penalty",
    "alert_backtest",
    "engagement_linkage",
    "programme_did",
    "engagement",
    "alerts",
    "theme_gaps",
    "satisfaction_by_segment",
)


def _year_word(years: Any, lang: str) -> str:
    """``year`` after 1, ``years`` otherwise (catalog ``year_one``/``year_many``)."""
    one = not _missing(years) and float(years) == 1
    return word("year_one" if one else "year_many", lang)


def _num(x: Any, unit: str, *, signed: bool = False) -> str:
    """A record's number in its unit (points, shares, ratios, years)."""
    if _missing(x):
        return "–"
    x = float(x)
    if unit in ("share", "relative_change", "r2"):
        s = fmt_pct(abs(x) if signed else x, 1)
        return (("+" if x > 0 else "−" if x < 0 else "") + s) if signed else s.replace("-", "−")
    digits = {
        "nps_points": 1,
        "scale_points": 2,
        "outcome_points": 2,
        "ratio": 2,
        "odds_ratio": 1,
        "years": 0,
        "correlation": 2,
        "customers": 0,
    }.get(unit, 2)
    s = f"{abs(x) if signed else x:,.{digits}f}"
    if signed:
        return ("+" if x > 0 else "−" if x < 0 else "") + s
    return s.replace("-", "−")


def _ci(f: Finding, lang: str) -> str:
    if f.ci_lower is None or f.ci_upper is None:
        return ""
    conf = f"{round(100 * (1 - f.alpha))}%"
    lo, hi = _num(f.ci_lower, f.unit), _num(f.ci_upper, f.unit)
    rng = _range(lo.replace("−", "-"), hi.replace("−", "-"), lang).replace("-", "−")
    return word("findings_table.ci", lang, conf=conf, range=rng)


def _performance_gap(f: Finding, lang: str, *, share: bool = False) -> str:
    """The paired test of a priority driver's performance below the drivers' average:
    ``': −0.23, 95% CI −0.27 to −0.19, p < 0.001'`` ('' for a record without it); ``share``: in
    percent of the scale range (drivers on different scales)."""
    d = f.details
    if _missing(d.get("performance_gap")):
        return ""

    def num(x):
        return fmt_pct(x, 1) if share else fmt_num(x, 2)

    conf = f"{round(100 * (1 - f.alpha))}%"
    lo, hi = (num(d.get(k)) for k in ("gap_ci_lower", "gap_ci_upper"))
    rng = _range(lo, hi, lang).replace("-", "−")
    return word(
        "findings_table.performance_gap",
        lang,
        gap=num(d["performance_gap"]).replace("-", "−"),
        ci=word("findings_table.ci", lang, conf=conf, range=rng),
        p=p_eq(d.get("gap_p_value")) if not _missing(d.get("gap_p_value")) else "",
    )


def _p(f: Finding) -> str:
    return p_eq(f.p) if f.p is not None else ""


def _unit_word(unit: str, lang: str) -> str:
    """The word after a difference in points (``' points'``; none for shares, ratios …)."""
    if unit in ("nps_points", "scale_points", "outcome_points"):
        return word("findings_table.points", lang)
    return ""


def _pp(x: Any, lang: str, *, signed: bool = True) -> str:
    """A difference of two shares in percentage points (``+24.6 percentage points``)."""
    s = _num(x, "share", signed=signed).rstrip("%")
    return word("findings_table.percentage_points", lang, x=s)


def _group(code: Any, lang: str) -> str:
    """The customers a theme comparison is about (dissatisfied customers unless detractors)."""
    code = str(code) if str(code) in _GROUPS else "dissatisfied"
    return word(f"findings_table.group.{code}", lang)


def _rule(code: Any, lang: str) -> Any:
    """An alert rule inside a sentence: its name for a package rule, else the rule's own name."""
    return word(f"findings_table.rule.{code}", lang) if str(code) in _RULES else code


def _listed(items: Sequence[str], lang: str) -> str:
    """Items in running text: ``a, b and c`` / ``a、b、c``."""
    if len(items) == 1:
        return items[0]
    sep = word("list_separator", lang)
    return word("list_and", lang, items=sep.join(items[:-1]), last=items[-1])


def _theme(f_or_details: Any, subject: str, lang: str) -> str:
    """A comment theme's label in the report language (kept in the record's ``details['label']``)."""
    details = f_or_details if isinstance(f_or_details, Mapping) else {}
    label = details.get("label") or {}
    return str(label.get(lang) or subject) if isinstance(label, Mapping) else subject


def _code(x: Any) -> Any:
    """A segment code recorded as text back to a number when it is one (for value labels)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return x
    return int(v) if v.is_integer() else v


def _seg(f: Finding, lang: str, codebook) -> str:
    by = f.details.get("by")
    level = f.details.get("level", f.subject)
    if not by:
        return str(level)
    label = value_label(by, level, lang=lang, codebook=codebook)
    if (
        str(label).strip().lstrip("-").replace(".", "", 1).isdigit()
    ):  # an unlabelled code says nothing alone
        return word(
            "findings_table.segment_code",
            lang,
            variable=var_label(by, lang=lang, codebook=codebook),
            value=label,
        )
    return label


def _kpi(name: str | None, lang: str, codebook) -> str:
    if name is None:
        return ""
    label = var_label(name, lang=lang, codebook=codebook)
    if (
        codebook is not None
        and name in codebook
        and getattr(codebook.get(name), "kind", None) == "nps"
    ) or (name == "nps" and (codebook is None or name not in codebook)):
        return "NPS"  # an NPS item, or the NPS the linkage computes per unit (column 'nps')
    return label


def kpi_label(name: str, *, lang: str, codebook=None, min_base: int | None = None) -> str:
    """A KPI's name in the report language (``NPS`` for an NPS item, else its codebook label).

    Examples
    --------
    >>> import cxresearch as cx
    >>> book = cx.codebook.load(cx.synth.codebook_dict())
    >>> cx.tables.kpi_label("recommend", lang="en", codebook=book)
    'NPS'
    >>> cx.tables.kpi_label("overall_sat", lang="zh", codebook=book)
    '总体满意度'
    """
    _check_lang(lang)
    return _kpi(name, lang, codebook)


def _label(field: str, label: str, lang: str) -> dict[str, str]:
    """A label as a template's two fields: ``field`` (as it is) and ``field_lower`` (inside an
    English sentence)."""
    return {field: label, f"{field}_lower": mid_sentence(label, lang)}


def finding_numbers(f: Finding) -> list[float]:
    """The record's numbers a sentence about it may show (for checks that sentences use them).

    Examples
    --------
    The numbers a sentence about a segment gap may quote, in the demo study's last wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> card = cx.findings.scorecard(wave, kpis=[("overall_sat", "mean")], by="branch",
    ...                              weights="weight")
    >>> found = cx.findings.segment_findings(card, chapter="00_summary",
    ...                                      exhibit="segment_scorecard", wave=2017)
    >>> [round(x, 3) for x in cx.tables.finding_numbers(found[0])]
    [0.64, 0.264, 1.016, 0.001, 0.007, 64.0, 1.0, 7.671, 7.031, 1.812]
    """
    vals = [f.estimate, f.ci_lower, f.ci_upper, f.p_value, f.p_adj, f.n]
    for v in f.details.values():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals.append(v)
        elif isinstance(v, str):  # e.g. the open run-length class "4+"
            try:
                vals.append(float(v.rstrip("+")))
            except ValueError:
                pass
    return [float(v) for v in vals if v is not None]


def say_finding(f: Finding, *, lang: str, codebook=None, related: Iterable[Finding] = ()) -> str:
    """One finding as a sentence (``**bold**`` allowed), every number from the record.

    Parameters
    ----------
    f : Finding
    lang : {'zh', 'en'}
    codebook : Codebook, optional
        Variable and value labels.
    related : iterable of Finding
        Other records the sentence may cite: for a segment gap, the same segment's gaps on the
        other KPIs (same direction) are named with their numbers.

    Examples
    --------
    The branches significantly above or below Total on overall satisfaction in the demo study's
    last wave, one sentence each:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> card = cx.findings.scorecard(wave, kpis=[("overall_sat", "mean")], by="branch",
    ...                              weights="weight")
    >>> found = cx.findings.segment_findings(card, chapter="00_summary",
    ...                                      exhibit="segment_scorecard", wave=2017)
    >>> book = cx.codebook.load(study.codebook)
    >>> for f in found:
    ...     print(cx.tables.say_finding(f, lang="en", codebook=book))
    **Beijing** is significantly above Total on overall satisfaction: 7.67 against 7.03, a gap of
    **+0.64** points (95% CI 0.26–1.02; p = 0.007).
    **Chengdu** is significantly below Total on overall satisfaction: 6.07 against 7.03, a gap of
    **−0.96** points (95% CI −1.54 to −0.39; p = 0.008).
    """
    _check_lang(lang)
    ci, p = _ci(f, lang), _p(f)
    aside = (
        word(
            "findings_table.aside",
            lang,
            text=word("findings_table.aside_separator", lang).join(x for x in (ci, p) if x),
        )
        if (ci or p)
        else ""
    )

    def say(key: str, **fields: Any) -> str:
        return word(f"findings_table.say.{key}", lang, aside=aside, **fields)

    k = f.kind
    if k == "segment_gap":
        more = [
            g
            for g in related
            if g.kind == "segment_gap"
            and g.subject == f.subject
            and g.variable != f.variable
            and g.direction == f.direction
            and g.details.get("by") == f.details.get("by")
        ]
        extra = [
            word(
                "findings_table.say.gap_also_item",
                lang,
                **_label("kpi", _kpi(g.variable, lang, codebook), lang),
                value=_num(g.estimate, g.unit, signed=True),
                unit=_unit_word(g.unit, lang),
            )
            for g in more
        ]
        side = "below" if f.direction < 0 else "above"
        s = say(
            f"gap_{side}",
            segment=_seg(f, lang, codebook),
            **_label("kpi", _kpi(f.variable, lang, codebook), lang),
            segment_value=_num(f.details.get("segment_value"), f.unit),
            total_value=_num(f.details.get("total_value"), f.unit),
            gap=_num(f.estimate, f.unit, signed=True),
            unit=_unit_word(f.unit, lang),
        )
        also = say(f"gap_also_{side}", items=_listed(extra, lang)) if extra else ""
        return _sentences([s, also], lang)
    if k == "alert_concentration":
        d = f.details
        return say(
            "alert_concentration",
            segment=_seg(f, lang, codebook),
            rule=_rule(d.get("rule"), lang),
            sample_share=fmt_pct(d.get("sample_share"), 0),
            alerts_total=fmt_int(d.get("alerts_total")),
            alerts=fmt_int(d.get("alerts")),
            alert_share=fmt_pct(d.get("alert_share"), 0),
            ratio=_num(f.estimate, "ratio"),
        )
    if k == "kpi_change":
        return say(
            "kpi_rose" if f.direction > 0 else "kpi_fell",
            kpi=_kpi(f.variable, lang, codebook),
            previous=f.details.get("previous_wave"),
            change=_num(f.estimate, f.unit, signed=True),
            unit=_unit_word(f.unit, lang),
            value=_num(f.details.get("value"), f.unit),
        )
    if k == "top_driver":
        names = {
            **_label("driver", _kpi(f.subject, lang, codebook), lang),
            **_label("outcome", _kpi(f.variable, lang, codebook), lang),
        }
        share = _num(f.estimate, "share")
        if f.direction < 0:  # importance has no sign: say the relation runs the other way
            return say(
                "driver_against_largest" if f.claim == "largest" else "driver_against_among",
                **names,
                share=share,
                beta=fmt_num(f.details.get("beta"), 2).replace("-", "−"),
            )
        if f.claim == "largest":
            return say(
                "driver_largest",
                **names,
                share=share,
                **_label("next", _kpi(f.details.get("next"), lang, codebook), lang),
                next_share=_num(f.details.get("next_share"), "share"),
            )
        tied = [_kpi(t, lang, codebook) for t in f.details.get("tied", [])]
        if not tied:
            return say("driver_leads", **names, share=share)
        return say(
            "driver_leads_tied",
            **names,
            share=share,
            tied=_listed(tied, lang),
            tied_lower=_listed([mid_sentence(t, lang) for t in tied], lang),
        )
    if k == "priority_driver":
        pomp = f.details.get("performance_unit") == "pomp"  # drivers on different scales

        def perf(x):
            return fmt_pct(x, 0) if pomp else fmt_num(x, 2)

        return say(
            "priority_driver_pomp" if pomp else "priority_driver",
            driver=_kpi(f.subject, lang, codebook),
            share=_num(f.estimate, "share"),
            performance=perf(f.details.get("performance")),
            cut=perf(f.details.get("performance_cut")),
            gap=_performance_gap(f, lang, share=pomp),
        )
    if k == "model_fit":
        if f.details.get("significant") is False:  # its F test does not tell R² from 0
            return say(
                "model_fit_null",
                **_label("outcome", _kpi(f.variable, lang, codebook), lang),
                share=fmt_pct(f.estimate, 0),
                r2=fmt_num(f.estimate, 2),
                p=_p(f),
            )
        return say(
            "model_fit",
            **_label("outcome", _kpi(f.variable, lang, codebook), lang),
            share=fmt_pct(f.estimate, 0),
            r2=fmt_num(f.estimate, 2),
        )
    if k == "horizon":
        return say(
            "horizon",
            exposure=_kpi(f.subject, lang, codebook),
            **_label("outcome", _kpi(f.variable, lang, codebook), lang),
            years=_num(f.estimate, "years"),
            unit=_year_word(f.estimate, lang),
        )
    if k == "hazard_run":
        d = f.details
        return say(
            "hazard_run",
            rate_none=fmt_pct(d.get("rate_none"), 1),
            run=d.get("longest_run"),
            rate_longest=fmt_pct(d.get("rate_longest"), 1),
            odds_ratio=_num(f.estimate, "odds_ratio"),
            ci=ci,
            p=p,
        )
    if k == "alert_lift":
        d = f.details
        vol = d.get("volume")
        s = say(
            "alert_lift",
            rule=_rule(f.subject, lang),
            ratio=_num(f.estimate, "ratio"),
            ci=ci,
            precision=fmt_pct(d.get("precision"), 0),
            false_alarms=fmt_pct(d.get("false_alarm_share"), 0),
        )
        volume = say("alert_lift_volume", volume=fmt_int(vol)) if vol is not None else ""
        return _sentences([s, volume], lang)
    if k == "transfer_penalty":
        return say(
            "transfer_penalty",
            **_label("outcome", _kpi(f.variable, lang, codebook), lang),
            change=_num(f.estimate, "relative_change", signed=True),
        )
    if k == "employee_link":
        return say(
            "employee_link",
            **_label("outcome", _kpi(f.variable, lang, codebook), lang),
            r=_num(f.estimate, "correlation"),
        )
    if k == "programme":
        return say(
            "programme_raised" if f.direction > 0 else "programme_lowered",
            change=_num(abs(f.estimate), "scale_points"),
        )
    if k == "theme_gap":
        d = f.details
        fields = {
            "group": _group(d.get("group"), lang),
            **_label("theme", _theme(d, f.subject, lang), lang),
            "share_low": _num(d.get("share_low"), "share"),
            "share_rest": _num(d.get("share_rest"), "share"),
        }
        if f.direction > 0:  # the template writes the sign: "+24.6 percentage points"
            return say("theme_more", **fields, difference=_pp(f.estimate, lang, signed=False))
        return say("theme_less", **fields, difference=_pp(f.estimate, lang))
    raise ValueError(f"no sentence for finding kind {k!r}")


def _strength(code: Any, lang: str) -> str:
    return word(f"findings_table.strength.{code}", lang) if code in _STRENGTHS else ""


@dataclass(frozen=True)
class Messages:
    """The executive summary's key messages: an ordered list with a link to each one's evidence.

    Renders as HTML (each message ends with a link to the report table showing the evidence) and
    carries a ``summary`` sheet for ``tables.xlsx`` (message, number, interval, p, test, source).
    """

    sentences: tuple[str, ...]
    findings: tuple[Finding, ...]
    lang: str
    titles: Mapping[str, str]
    empty: str
    name: str = "summary"

    def _repr_html_(self) -> str:
        if not self.sentences:
            return f'<p class="cx-summary-empty">{html.escape(self.empty)}</p>'
        lang = self.lang
        items = []
        for s, f in zip(self.sentences, self.findings, strict=True):
            where = self.titles.get(f.exhibit) or f.exhibit
            see = word("findings_table.messages.see", lang, exhibit=where)
            evidence = word(
                "findings_table.messages.evidence", lang, strength=_strength(f.strength, lang)
            )
            link = f' <a class="cx-evidence" href="#{html.escape(f.anchor)}">{html.escape(see)}</a>'
            ev = f'<span class="cx-strength">{html.escape(evidence)}</span>'
            items.append(f"<li>{_inline(s)} {ev} ·{link}</li>")
        return '<ol class="cx-messages">' + "".join(items) + "</ol>"

    def to_payload(self) -> dict:
        lang = self.lang
        cols = [
            word("findings_table.messages.col.number", lang),
            word("findings_table.messages.col.message", lang),
            word("estimate", lang),
            word("ci_lower", lang),
            word("ci_upper", lang),
            word("findings_table.messages.col.p", lang),
            word("findings_table.messages.col.evidence", lang),
            word("findings_table.messages.col.test", lang),
            word("findings_table.messages.col.chapter", lang),
            word("findings_table.messages.col.table", lang),
        ]
        rows = [
            [
                i + 1,
                s.replace("**", ""),
                f.estimate,
                f.ci_lower,
                f.ci_upper,
                f.p,
                _strength(f.strength, lang),
                f.test,
                f.chapter,
                f.exhibit,
            ]
            for i, (s, f) in enumerate(zip(self.sentences, self.findings, strict=True))
        ]
        return {
            "name": self.name,
            "title": word("findings_table.messages.title", lang),
            "columns": cols,
            "formats": [
                "int",
                "text",
                "num3",
                "num3",
                "num3",
                "pvalue",
                "text",
                "text",
                "text",
                "text",
            ],
            "rows": rows,
            "base": None,
            "notes": [],
        }

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self._repr_html_(),
            "text/plain": "\n".join(s.replace("**", "") for s in self.sentences),
            TABLE_MIME: self.to_payload(),
        }


def key_messages(
    findings: Iterable[Finding],
    *,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    k: int = 5,
    headline: str | None = None,
    titles: Mapping[str, str] | None = None,
    name: str = "summary",
) -> Messages:
    """The executive summary: up to ``k`` findings ranked by size × certainty, one sentence each.

    ``headline`` is the first KPI of the dashboard (see :func:`cxresearch.findings.select_messages`);
    ``titles`` maps a report table name (a finding's ``exhibit``) to its caption for the link text.
    With no finding, the summary says that no difference or effect passed its test.

    Examples
    --------
    The executive summary of the demo study's last wave from its KPI and segment findings:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> kpis = [("recommend", "nps"), ("overall_sat", "mean")]
    >>> trends = cx.findings.kpi_trends(study.responses, kpis=kpis, weights="weight",
    ...                                 respondent="customer_id")
    >>> card = cx.findings.scorecard(study.responses.query("wave == 2017"), kpis=kpis,
    ...                              by="branch", weights="weight")
    >>> found = cx.findings.kpi_findings(trends, wave=2017, chapter="00_summary",
    ...                                  exhibit="kpi_dashboard")
    >>> found += cx.findings.segment_findings(card, chapter="00_summary",
    ...                                       exhibit="segment_scorecard", wave=2017)
    >>> book = cx.codebook.load(study.codebook)
    >>> msgs = cx.tables.key_messages(found, lang="en", codebook=book, headline="recommend")
    >>> for s in msgs.sentences:
    ...     print(s)
    **Chengdu** is significantly below Total on overall satisfaction: 6.07 against 7.03, a gap of
    **−0.96** points (95% CI −1.54 to −0.39; p = 0.008).
    NPS rose significantly on 2016: **+12.5** points to −27.9 (95% CI 1.5–23.5; p = 0.026).
    """
    _check_lang(lang)
    items = list(findings)
    picked = select_messages(items, k=k, headline=headline)
    sentences = tuple(say_finding(f, lang=lang, codebook=codebook, related=items) for f in picked)
    known = {key: word(f"findings_table.exhibit.{key}", lang) for key in _EXHIBITS}
    return Messages(
        sentences=sentences,
        findings=tuple(picked),
        lang=lang,
        titles={**known, **dict(titles or {})},
        empty=word("findings_table.messages.none", lang),
        name=name,
    )


def kpi_dashboard(
    trends: Sequence[tuple[str, str, pd.DataFrame]],
    *,
    wave: int,
    lang: str,
    alpha: float = 0.05,
    codebook=None,
    min_base: int | None = None,
    name: str = "kpi_dashboard",
) -> Table:
    """Headline KPIs of the report wave: value, interval, change on the previous wave and its marker.

    Parameters
    ----------
    trends : sequence of (score, kpi, trend frame)
        ``kpi`` is ``'nps'`` or ``'mean'``; the frame from ``cx.survey.trend``.
    wave : int
        The report wave.

    Examples
    --------
    NPS and mean overall satisfaction of the demo study's last wave against the wave before
    (customers who answered both waves are linked by ``respondent``):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> kpis = [("recommend", "nps"), ("overall_sat", "mean")]
    >>> trends = cx.findings.kpi_trends(study.responses, kpis=kpis, weights="weight",
    ...                                 respondent="customer_id")
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.kpi_dashboard(trends, wave=2017, lang="en", codebook=book)
    >>> tab.data[["kpi", "estimate", "previous", "change", "p", "marker"]].round(3)
                        kpi  estimate  previous  change      p marker
    0                   NPS   -27.856   -40.353  12.497  0.026      ▲
    1  Overall satisfaction     7.031     6.907   0.124  0.263      =
    """
    _check_lang(lang)
    rows = []
    for score, _kpi_kind, trend in trends:
        cur = trend[trend["wave"] == wave]
        if cur.empty:
            continue
        r = cur.iloc[0]
        prev = trend[(trend["wave"] < wave) & trend["estimate"].notna()]
        p = r.get("change_p_value")
        sig = not _missing(p) and float(p) < alpha and not _missing(r.get("change"))
        mark = (
            ("▲" if r["change"] > 0 else "▼")
            if sig
            else ("=" if not _missing(r.get("change")) else "–")
        )
        rows.append(
            {
                "kpi": _kpi(score, lang, codebook),
                "estimate": r["estimate"],
                "ci_lower": r["ci_lower"],
                "ci_upper": r["ci_upper"],
                "previous": prev["estimate"].iloc[-1] if len(prev) else np.nan,
                "change": r.get("change"),
                "p": p,
                "marker": mark,
                "n": r["n"],
                "flag": ("cx-above" if r["change"] > 0 else "cx-below") if sig else "",
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "kpi",
            "estimate",
            "ci_lower",
            "ci_upper",
            "previous",
            "change",
            "p",
            "marker",
            "n",
            "flag",
        ],
    )
    labels = {
        "kpi": word("findings_table.dashboard.col.kpi", lang),
        "estimate": str(wave),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "previous": word("findings_table.dashboard.col.previous", lang),
        "change": word("findings_table.dashboard.col.change", lang),
        "p": word("p_value", lang),
        "marker": word("findings_table.dashboard.col.marker", lang),
        "n": word("n", lang),
    }
    notes = [word("findings_table.dashboard.note", lang, alpha=f"{alpha:g}")]
    columns = ["kpi", "estimate", "ci_lower", "ci_upper", "previous", "change", "p", "marker", "n"]
    if frame["previous"].isna().all():  # one wave (or none before it): no change columns to fill
        columns = ["kpi", "estimate", "ci_lower", "ci_upper", "n"]
        notes = [word("findings_table.dashboard.note_one_wave", lang)]
    return table(
        frame,
        title=word("findings_table.exhibit.kpi_dashboard", lang),
        name=name,
        columns=columns,
        labels=labels,
        formats={
            "kpi": "text",
            "estimate": "num2",
            "ci_lower": "num2",
            "ci_upper": "num2",
            "previous": "num2",
            "change": "signed2",
            "p": "pvalue",
            "marker": "text",
            "n": "int",
        },
        notes=notes,
        flags={"change": "flag", "marker": "flag"},
    )


def scorecard_table(
    card, *, lang: str, codebook=None, min_base: int | None = None, name: str = "segment_scorecard"
) -> Table:
    """Segment scorecard: segments and Total (rows) × KPIs (columns), coloured where a segment is
    significantly above or below Total (:func:`cxresearch.findings.scorecard`); suppressed bases
    show "–".

    Examples
    --------
    The demo study's branches against Total on NPS and overall satisfaction in its last wave
    (``flag``: the css class that colours a cell significantly above or below Total):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> card = cx.findings.scorecard(study.responses.query("wave == 2017"),
    ...                              kpis=[("recommend", "nps"), ("overall_sat", "mean")],
    ...                              by="branch", weights="weight")
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.scorecard_table(card, lang="en", codebook=book)
    >>> tab.data[["segment", "v_recommend", "v_overall_sat", "f_overall_sat", "n"]].round(2)
         segment  v_recommend  v_overall_sat f_overall_sat      n
    0    Beijing        -5.75           7.67      cx-above   64.0
    1   Shanghai       -37.78           6.85                 53.0
    2  Guangzhou       -34.05           7.25                 53.0
    3    Chengdu       -33.17           6.07      cx-below   39.0
    4      Wuhan       -44.44           6.33                 34.0
    5      Xi'an       -23.21           7.38                 22.0
    6   Shenyang       -27.27           7.43                 19.0
    7    Kunming       -25.00           6.96                 11.0
    8      Total       -27.86           7.03                295.0
    """
    _check_lang(lang)
    frame = card.frame
    by = card.by
    if frame.empty:
        return table(
            pd.DataFrame({"segment": []}),
            title=word("findings_table.exhibit.segment_scorecard", lang),
            name=name,
        )
    kpis = list(dict.fromkeys(frame["score"]))
    levels = list(dict.fromkeys(frame["level"]))
    data: dict[str, list] = {
        "segment": [value_label(by, lev, lang=lang, codebook=codebook) for lev in levels]
        + [word("total", lang)]
    }
    formats, labels, flags = (
        {"segment": "text"},
        {"segment": var_label(by, lang=lang, codebook=codebook)},
        {},
    )
    for score in kpis:
        part = frame[frame["score"] == score].set_index("level")
        kpi = part["kpi"].iloc[0]
        col, flag = f"v_{score}", f"f_{score}"
        data[col] = [part.at[lev, "estimate"] for lev in levels] + [
            part["total"].dropna().iloc[0] if part["total"].notna().any() else np.nan
        ]
        data[flag] = [
            ("cx-below" if part.at[lev, "difference"] < 0 else "cx-above")
            if part.at[lev, "significant"]
            else ""
            for lev in levels
        ] + [""]
        formats[col] = "num1" if kpi == "nps" else "num2"
        labels[col] = _kpi(score, lang, codebook)
        flags[col] = flag
    n_col = frame.drop_duplicates("level").set_index("level")["n"]
    # the segments' n is that of the first KPI (the rows above): so is Total's
    tot = (
        card.totals[card.totals["score"] == kpis[0]]["n"]
        if "n" in card.totals
        else pd.Series(dtype=float)
    )
    data["n"] = [n_col.get(lev) for lev in levels] + [tot.iloc[0] if len(tot) else np.nan]
    formats["n"], labels["n"] = "int", word("n", lang)
    alpha = card.settings.get("alpha", 0.05)
    notes = [word("findings_table.scorecard.note", lang, alpha=f"{alpha:g}")]
    return table(
        pd.DataFrame(data),
        title=word("findings_table.scorecard.title", lang),
        name=name,
        columns=["segment", *[f"v_{s}" for s in kpis], "n"],
        labels=labels,
        formats=formats,
        notes=notes,
        flags=flags,
    )


def _driver_effect_text(r, lang: str, codebook) -> str:
    """The expected effect of an ``improve_driver`` row: outcome points of closing the gap (with the
    benchmark it is measured to) and the driver's share of R²; the share alone without data."""
    outcome = _label("outcome", _kpi(r.variable, lang, codebook), lang)
    share = r.share if not _missing(getattr(r, "share", None)) else r.estimate
    share = _num(share, "share")
    if r.unit != "outcome_points":
        return word("findings_table.priorities.effect.share", lang, **outcome, share=share)
    d = r.details if isinstance(getattr(r, "details", None), Mapping) else {}
    eff = _num(r.estimate, "outcome_points", signed=True)
    if d.get("basis") == "best_segment" and d.get("benchmark") is not None:
        by = d.get("by")
        seg = (
            value_label(by, _code(d["benchmark"]), lang=lang, codebook=codebook)
            if by
            else str(d["benchmark"])
        )
        seg_var = var_label(by, lang=lang, codebook=codebook) if by else ""
        return word(
            "findings_table.priorities.effect.best_segment",
            lang,
            **outcome,
            **_label("segment_variable", seg_var, lang),
            segment=seg,
            target=_num(d.get("target"), "scale_points"),
            mean=_num(d.get("mean"), "scale_points"),
            effect=eff,
            share=share,
        )
    return word(
        "findings_table.priorities.effect.per_point", lang, **outcome, effect=eff, share=share
    )


def _what_and_effect(r, lang: str, codebook) -> tuple[str, str]:
    """A priorities row's action in words and its expected effect."""
    if r.action == "improve_driver":
        what = word(
            "findings_table.priorities.what.improve_driver",
            lang,
            **_label("driver", _kpi(r.subject, lang, codebook), lang),
        )
        return what, _driver_effect_text(r, lang, codebook)
    if r.action == "address_theme":
        d = r.details if isinstance(getattr(r, "details", None), Mapping) else {}
        what = word(
            "findings_table.priorities.what.address_theme",
            lang,
            **_label("theme", _theme(d, r.subject, lang), lang),
        )
        effect = word(
            "findings_table.priorities.effect.address_theme",
            lang,
            **_label("group", _group(d.get("group"), lang), lang),
            share_low=_num(d.get("share_low"), "share"),
            share_rest=_num(d.get("share_rest"), "share"),
            difference=_pp(r.estimate, lang),
        )
        return what, effect
    kpi = _label("kpi", _kpi(r.variable, lang, codebook), lang)
    if r.action == "close_gap":
        what = word("findings_table.priorities.what.close_gap", lang, **kpi)
        effect = word(
            "findings_table.priorities.effect.close_gap",
            lang,
            gap=_num(r.estimate, r.unit, signed=True),
        )
        return what, effect
    if r.action == "follow_up_alerts":
        what = word("findings_table.priorities.what.follow_up_alerts", lang, n=fmt_int(r.volume))
        effect = word(
            "findings_table.priorities.effect.follow_up_alerts",
            lang,
            n=fmt_int(r.estimate),
            precision=fmt_pct(r.precision, 0),
        )
        return what, effect
    # cut_transfers (and an action this table has no phrase for: its code)
    what = (
        word(f"findings_table.priorities.what.{r.action}", lang)
        if r.action in _ACTIONS
        else r.action
    )
    effect = word(
        "findings_table.priorities.effect.cut_transfers",
        lang,
        **_label("outcome", kpi["kpi"], lang),
        change=_num(r.estimate, "relative_change", signed=True),
    )
    return what, effect


def priorities_table(
    frame: pd.DataFrame,
    *,
    lang: str,
    codebook=None,
    by: str | None = None,
    min_base: int | None = None,
    name: str = "priorities",
) -> Table:
    """The ranked priorities and actions (``cx.findings.priorities``): what, where, expected effect
    with its interval, how long it pays, owner.

    Examples
    --------
    The priorities the demo study's segment findings support (a branch significantly below Total
    on overall satisfaction):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> card = cx.findings.scorecard(wave, kpis=[("overall_sat", "mean")], by="branch",
    ...                              weights="weight")
    >>> found = cx.findings.segment_findings(card, chapter="00_summary",
    ...                                      exhibit="segment_scorecard", wave=2017)
    >>> frame = cx.findings.priorities(found, owners={"branch:4": "Chengdu branch manager"},
    ...                                data=wave, by="branch")
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.priorities_table(frame, lang="en", codebook=book, by="branch")
    >>> tab.data.iloc[0]
    priority                                        1
    what        Close the gap on overall satisfaction
    where                                     Chengdu
    effect                         gap to Total −0.96
    interval                           −1.54 to −0.39
    owner                      Chengdu branch manager
    Name: 0, dtype: object
    """
    _check_lang(lang)
    rows = []
    for r in frame.itertuples(index=False):
        what, effect = _what_and_effect(r, lang, codebook)
        unit = (
            "customers"
            if r.action == "follow_up_alerts"
            else ("relative_change" if r.action == "cut_transfers" else r.unit)
        )
        interval = (
            ""
            if _missing(r.ci_lower)
            else _range(
                _num(r.ci_lower, unit).replace("−", "-"),
                _num(r.ci_upper, unit).replace("−", "-"),
                lang,
            ).replace("-", "−")
        )
        where = word("list_separator", lang).join(
            value_label(by, _code(w), lang=lang, codebook=codebook) if by else str(w)
            for w in (r.where or [])
        )
        lasts = (
            ""
            if _missing(r.lasts_years)
            else word(
                "findings_table.priorities.lasts",
                lang,
                years=_num(r.lasts_years, "years"),
                unit=_year_word(r.lasts_years, lang),
                lower=_num(r.lasts_ci_lower, "years"),
                upper=_num(r.lasts_ci_upper, "years"),
            )
        )
        rows.append(
            {
                "priority": r.priority,
                "what": what,
                "where": where or word("findings_table.priorities.where_all", lang),
                "effect": effect,
                "interval": interval,
                "lasts": lasts,
                "owner": r.owner or "",
            }
        )
    data = pd.DataFrame(
        rows, columns=["priority", "what", "where", "effect", "interval", "lasts", "owner"]
    )
    labels = {
        c: word("ci", lang) if c == "interval" else word(f"findings_table.priorities.col.{c}", lang)
        for c in data.columns
    }
    lasting = bool((data["lasts"] != "").any())
    notes = [
        word(
            "findings_table.priorities.note_rank_lasting"
            if lasting
            else "findings_table.priorities.note_rank",
            lang,
        )
    ]
    # a column no row fills (no persistence analysis, no owners in the params) is left out
    data = data[[c for c in data.columns if c not in ("lasts", "owner") or (data[c] != "").any()]]
    if "unit" in frame and (frame["unit"] == "outcome_points").any():
        notes.append(word("findings_table.priorities.note_driver_effect", lang))
    if data.empty:
        notes = [word("findings_table.priorities.none", lang)]
    return table(
        data,
        title=word("findings_table.priorities.title", lang),
        name=name,
        labels=labels,
        formats={c: ("int" if c == "priority" else "text") for c in data.columns},
        notes=notes,
    )


def theme_gap_table(
    gaps: pd.DataFrame,
    *,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    codeframe=None,
    group: str = "dissatisfied",
    name: str = "theme_gaps",
) -> Table:
    """Each comment theme's share among dissatisfied commenters against the others
    (``cx.findings.theme_gaps``): the two shares, the difference with its interval and the
    Holm-adjusted p; coloured where the test supports a claim (red: raised more by the dissatisfied,
    green: less).

    Examples
    --------
    Which comment themes dissatisfied customers (overall satisfaction 6 or below) raise more than
    the other commenters, in the demo study's last wave (``flag``: the css class of a cell the
    test supports, red for a theme the dissatisfied raise more):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> codeframe = cx.text.default_codeframe()
    >>> coding = cx.text.code_comments(wave, codeframe=codeframe)
    >>> gaps = cx.findings.theme_gaps(wave, coding, score="overall_sat", cut=6, weights="weight")
    >>> tab = cx.tables.theme_gap_table(gaps, lang="en", codeframe=codeframe)
    >>> tab.data[["label", "share_low", "share_rest", "difference", "p_adj", "flag"]].round(3)
                    label  share_low  share_rest  difference  p_adj      flag
    0      Responsiveness      0.314       0.069       0.245  0.004  cx-below
    1               Price      0.263       0.038       0.226  0.004  cx-below
    2          Competence      0.184       0.049       0.134  0.105
    3     Product quality      0.117       0.051       0.066  0.781
    4  Parts availability      0.130       0.113       0.017  0.906
    5        Waiting time      0.016       0.046      -0.031  0.906
    6           Transfers      0.051       0.101      -0.051  0.906
    7            Courtesy      0.033       0.241      -0.208  0.005  cx-above
    """
    _check_lang(lang)
    need = [
        "theme",
        "share_low",
        "share_rest",
        "difference",
        "ci_lower",
        "ci_upper",
        "p_adj",
        "significant",
    ]
    missing = [c for c in need if c not in gaps.columns]
    if missing:
        from cxresearch.errors import CXValueError

        raise CXValueError(
            f"theme_gap_table needs the columns of cx.findings.theme_gaps; {missing[0]!r} is missing"
        )
    labels_of = {}
    for t in getattr(codeframe, "themes", ()) or ():
        labels_of[t.name] = (getattr(t, "label", {}) or {}).get(lang) or t.name
    frame = gaps.copy()
    frame["label"] = [labels_of.get(t, t) for t in frame["theme"]]
    frame["flag"] = [
        ("cx-below" if d > 0 else "cx-above") if sig else ""
        for d, sig in zip(frame["difference"], frame["significant"].astype(bool), strict=True)
    ]
    frame = frame.sort_values("difference", ascending=False, kind="stable")
    grp = _label("group", _group(group, lang), lang)
    labels = {
        "label": word("findings_table.themes.col.theme", lang),
        "share_low": word("findings_table.themes.col.share_low", lang, **grp),
        "share_rest": word("findings_table.themes.col.share_rest", lang),
        "difference": word("findings_table.themes.col.difference", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "p_adj": word("p_value", lang),
    }
    n_low = frame["n_low"].iloc[0] if len(frame) and "n_low" in frame else None
    n_rest = frame["n_rest"].iloc[0] if len(frame) and "n_rest" in frame else None
    base = None
    if n_low is not None and not _missing(n_low):
        base = word(
            "findings_table.themes.base",
            lang,
            **grp,
            n_low=fmt_int(n_low),
            n_rest=fmt_int(n_rest),
        )
    notes = [word("findings_table.themes.note", lang, **grp)]
    return table(
        frame,
        title=word("findings_table.themes.title", lang, **grp),
        name=name,
        columns=["label", "share_low", "share_rest", "difference", "ci_lower", "ci_upper", "p_adj"],
        labels=labels,
        formats={
            "label": "text",
            "share_low": "pct1",
            "share_rest": "pct1",
            "difference": "pct1",
            "ci_lower": "pct1",
            "ci_upper": "pct1",
            "p_adj": "pvalue",
        },
        base=base,
        notes=notes,
        flags={"difference": "flag"},
    )


def so_what(
    findings: Iterable[Finding],
    *,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    kinds: Sequence[str] | None = None,
    exhibit: str | None = None,
) -> Text:
    """A plain-language "so what" under an exhibit: the sentences of its findings (or, when none
    passed its test, that no claim is made).

    Examples
    --------
    The "so what" under the demo study's segment scorecard:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> card = cx.findings.scorecard(wave, kpis=[("overall_sat", "mean")], by="branch",
    ...                              weights="weight")
    >>> found = cx.findings.segment_findings(card, chapter="00_summary",
    ...                                      exhibit="segment_scorecard", wave=2017)
    >>> book = cx.codebook.load(study.codebook)
    >>> print(cx.tables.so_what(found, lang="en", codebook=book))
    **So what:** **Chengdu** is significantly below Total on overall satisfaction: 6.07 against
    7.03, a gap of **−0.96** points (95% CI −1.54 to −0.39; p = 0.008). **Beijing** is significantly
    above Total on overall satisfaction: 7.67 against 7.03, a gap of **+0.64** points (95% CI
    0.26–1.02; p = 0.007).

    With no finding, it says that no claim is made:

    >>> print(cx.tables.so_what([], lang="en"))
    Nothing in this analysis passed its statistical test, so no claim is made.
    """
    _check_lang(lang)
    items = [
        f
        for f in findings
        if (kinds is None or f.kind in kinds) and (exhibit is None or f.exhibit == exhibit)
    ]
    if not items:
        return Text(word("findings_table.so_what_none", lang), css="cx-sowhat")
    from cxresearch.findings import rank

    body = " ".join(say_finding(f, lang=lang, codebook=codebook) for f in rank(items))
    return Text(word("findings_table.so_what", lang, body=body), css="cx-sowhat")
