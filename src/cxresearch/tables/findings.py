"""Findings in words and tables: key messages, KPI dashboard, segment scorecard, priorities.

Sentences are written from :class:`cxresearch.findings.Finding` records only: every number in a
sentence is a field of a record (``estimate``, ``ci_lower``, ``ci_upper``, ``p``, or a raw number
in ``details``), formatted here. A record exists only when its test supports the claim, so nothing
is asserted here that a test did not support.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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

_RULES = {
    "low_sat": ("满意度很低", "very low satisfaction"),
    "sat_drop": ("满意度大幅下降", "a sharp drop in satisfaction"),
    "hv_detractor": ("高价值客户贬损", "high-value detractor"),
    "complaint": ("评论中的投诉", "a complaint in the comment"),
    "any": ("任一预警规则", "any alert rule"),
}


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
    return f"{conf} 置信区间 {rng}" if lang == "zh" else f"{conf} CI {rng}"


def _p(f: Finding) -> str:
    return p_eq(f.p) if f.p is not None else ""


def _unit_word(unit: str, lang: str) -> str:
    return {
        "nps_points": ("分", " points"),
        "scale_points": ("分", " points"),
        "outcome_points": ("分", " points"),
    }.get(unit, ("", ""))[0 if lang == "zh" else 1]


def _pp(x: Any, lang: str, *, signed: bool = True) -> str:
    """A difference of two shares in percentage points (``+24.6 percentage points``)."""
    s = _num(x, "share", signed=signed).rstrip("%")
    return f"{s} 个百分点" if lang == "zh" else f"{s} percentage points"


_GROUP_WORDS = {
    "dissatisfied": ("不满意客户", "dissatisfied customers"),
    "detractors": ("贬损者", "detractors"),
}


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
        return (
            f"{var_label(by, lang=lang, codebook=codebook)}{'：' if lang == 'zh' else ': '}{label}"
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
    ):
        return "NPS"
    return label


def kpi_label(name: str, *, lang: str, codebook=None, min_base: int | None = None) -> str:
    """A KPI's name in the report language (``NPS`` for an NPS item, else its codebook label)."""
    _check_lang(lang)
    return _kpi(name, lang, codebook)


def _kpi_in(name: str | None, lang: str, codebook) -> str:
    """A KPI label inside an English sentence (lower case; NPS stays)."""
    return mid_sentence(_kpi(name, lang, codebook), lang)


def finding_numbers(f: Finding) -> list[float]:
    """The record's numbers a sentence about it may show (for checks that sentences use them)."""
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
    """
    _check_lang(lang)
    zh = lang == "zh"
    ci, p = _ci(f, lang), _p(f)
    paren = (
        "（" + "；".join(x for x in (ci, p) if x) + "）"
        if zh
        else " (" + "; ".join(x for x in (ci, p) if x) + ")"
    )
    if not (ci or p):
        paren = ""
    k = f.kind
    if k == "segment_gap":
        seg, kpi = _seg(f, lang, codebook), _kpi_in(f.variable, lang, codebook)
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
            f"{_kpi(g.variable, lang, codebook)}（{_num(g.estimate, g.unit, signed=True)}{_unit_word(g.unit, lang)}）"
            if zh
            else f"{_kpi_in(g.variable, lang, codebook)} ({_num(g.estimate, g.unit, signed=True)}{_unit_word(g.unit, lang)})"
            for g in more
        ]
        if zh:
            where = "低于" if f.direction < 0 else "高于"
            s = (
                f"**{seg}**的{kpi}显著{where}总体：{_num(f.details.get('segment_value'), f.unit)} 对 "
                f"{_num(f.details.get('total_value'), f.unit)}，差 **{_num(f.estimate, f.unit, signed=True)}**{_unit_word(f.unit, lang)}{paren}。"
            )
            if extra:
                s += f"该群体在{'、'.join(extra)}上同样显著{where}总体。"
        else:
            where = "below" if f.direction < 0 else "above"
            s = (
                f"**{seg}** is significantly {where} Total on {kpi}: {_num(f.details.get('segment_value'), f.unit)} "
                f"against {_num(f.details.get('total_value'), f.unit)}, a gap of **{_num(f.estimate, f.unit, signed=True)}**"
                f"{_unit_word(f.unit, lang)}{paren}."
            )
            if extra:
                s += (
                    f" It is also significantly {where} Total on "
                    + (", ".join(extra[:-1]) + " and " + extra[-1] if len(extra) > 1 else extra[0])
                    + "."
                )
        return s
    if k == "alert_concentration":
        d = f.details
        seg = _seg(f, lang, codebook)
        rule = _RULES.get(str(d.get("rule")), (d.get("rule"), d.get("rule")))[0 if zh else 1]
        if zh:
            return (
                f"**{seg}**以 {fmt_pct(d.get('sample_share'), 0)} 的受访者，产生了“{rule}”预警 {fmt_int(d.get('alerts_total'))} 条中的 "
                f"{fmt_int(d.get('alerts'))} 条（{fmt_pct(d.get('alert_share'), 0)}）：预警率是其他群体的 "
                f"**{_num(f.estimate, 'ratio')} 倍**{paren}。"
            )
        return (
            f"**{seg}** raises {fmt_int(d.get('alerts'))} of the {fmt_int(d.get('alerts_total'))} alerts for {rule} "
            f"({fmt_pct(d.get('alert_share'), 0)}) with {fmt_pct(d.get('sample_share'), 0)} of the respondents: an "
            f"alert rate **{_num(f.estimate, 'ratio')} times** that of the others{paren}."
        )
    if k == "kpi_change":
        kpi = _kpi(f.variable, lang, codebook)
        prev = f.details.get("previous_wave")
        if zh:
            verb = "显著上升" if f.direction > 0 else "显著下降"
            return (
                f"{kpi}较 {prev} 年{verb} **{_num(f.estimate, f.unit, signed=True)}**{_unit_word(f.unit, lang)}，"
                f"本期为 {_num(f.details.get('value'), f.unit)}{paren}。"
            )
        verb = "rose" if f.direction > 0 else "fell"
        return (
            f"{kpi} {verb} significantly on {prev}: **{_num(f.estimate, f.unit, signed=True)}**{_unit_word(f.unit, lang)} "
            f"to {_num(f.details.get('value'), f.unit)}{paren}."
        )
    if k == "top_driver":
        drv, out = _kpi(f.subject, lang, codebook), _kpi(f.variable, lang, codebook)
        if f.direction < 0:  # importance has no sign: say the relation runs the other way
            beta = f.details.get("beta")
            if zh:
                lead = "明显领先" if f.claim == "largest" else "位居前列"
                return (
                    f"**{drv}**对{out}的影响{lead}（占模型可解释部分的 **{_num(f.estimate, 'share')}**{paren}），"
                    f"但方向相反：{drv}评分越高，{out}越低（标准化系数 {fmt_num(beta, 2).replace('-', '−')}）。"
                )
            what = "the strongest driver" if f.claim == "largest" else "among the strongest drivers"
            return (
                f"**{drv}** is {what} of {mid_sentence(out, lang)}, with **{_num(f.estimate, 'share')}** of what "
                f"the model explains{paren}, but it acts in the opposite direction: the higher "
                f"{mid_sentence(drv, lang)} is rated, the lower {mid_sentence(out, lang)} (standardised "
                f"coefficient {fmt_num(beta, 2).replace('-', '−')})."
            )
        if f.claim == "largest":
            nxt = _kpi(f.details.get("next"), lang, codebook)
            if zh:
                return (
                    f"**{drv}**是{out}最重要的驱动因素，占模型可解释部分的 **{_num(f.estimate, 'share')}**{paren}，"
                    f"明显高于排名第二的{nxt}（{_num(f.details.get('next_share'), 'share')}）。"
                )
            return (
                f"**{drv}** is the strongest driver of {mid_sentence(out, lang)}: **{_num(f.estimate, 'share')}** of what the "
                f"model explains{paren}, clearly ahead of {mid_sentence(nxt, lang)} ({_num(f.details.get('next_share'), 'share')})."
            )
        tied = [_kpi(t, lang, codebook) for t in f.details.get("tied", [])]
        if zh:
            s = f"**{drv}**位居{out}驱动因素之首，占模型可解释部分的 **{_num(f.estimate, 'share')}**{paren}"
            return s + (f"；与{'、'.join(tied)}的差距在统计上不显著。" if tied else "。")
        s = f"**{drv}** leads the drivers of {mid_sentence(out, lang)} with **{_num(f.estimate, 'share')}** of what the model explains{paren}"
        return s + (
            f"; its lead over {', '.join(mid_sentence(t, lang) for t in tied)} is not statistically significant."
            if tied
            else "."
        )
    if k == "priority_driver":
        drv = _kpi(f.subject, lang, codebook)
        perf, cut = f.details.get("performance"), f.details.get("performance_cut")
        if zh:
            return (
                f"**{drv}**重要性高于平均（占可解释部分 {_num(f.estimate, 'share')}{paren}），"
                f"但客户评价低于平均（{fmt_num(perf, 2)} 对 {fmt_num(cut, 2)}）：应优先改进。"
            )
        return (
            f"**{drv}** matters more than the average driver ({_num(f.estimate, 'share')} of what the model "
            f"explains{paren}) yet is rated below average ({fmt_num(perf, 2)} against {fmt_num(cut, 2)}): "
            "a priority to improve."
        )
    if k == "model_fit":
        out = _kpi(f.variable, lang, codebook)
        if zh:
            return f"这些因素只解释了{out}差异的 {fmt_pct(f.estimate, 0)}（R² = {fmt_num(f.estimate, 2)}），模型解释力很弱，结论仅供参考。"
        return (
            f"These factors explain only {fmt_pct(f.estimate, 0)} of the differences in {mid_sentence(out, lang)} "
            f"(R² = {fmt_num(f.estimate, 2)}): the model explains little, so read its ranking with care."
        )
    if k == "horizon":
        exp, out = _kpi(f.subject, lang, codebook), _kpi(f.variable, lang, codebook)
        years = _num(f.estimate, "years")
        if zh:
            return f"{exp}对{out}的影响持续 **{years} 年**{paren}：今天提升{exp}，未来 {years} 年都会有回报。"
        return (
            f"{exp} keeps shaping {mid_sentence(out, lang)} for **{years} years**{paren}: a gain made today keeps paying "
            f"for {years} years."
        )
    if k == "hazard_run":
        d = f.details
        if zh:
            return (
                f"连续不满意的时间越长，流失风险越高：未处于不满意状态的客户年流失率为 {fmt_pct(d.get('rate_none'), 1)}，"
                f"连续 {d.get('longest_run')} 年不满意的客户升至 **{fmt_pct(d.get('rate_longest'), 1)}**"
                f"（优势比 {_num(f.estimate, 'odds_ratio')}，{_ci(f, lang)}；趋势检验 {_p(f)}）。"
            )
        return (
            f"The longer dissatisfaction lasts, the more customers leave: {fmt_pct(d.get('rate_none'), 1)} a year "
            f"among customers not dissatisfied, **{fmt_pct(d.get('rate_longest'), 1)}** after "
            f"{d.get('longest_run')} dissatisfied years in a row (odds ratio {_num(f.estimate, 'odds_ratio')}, "
            f"{_ci(f, lang)}; trend test {_p(f)})."
        )
    if k == "alert_lift":
        d = f.details
        rule = _RULES.get(f.subject, (f.subject, f.subject))[0 if zh else 1]
        vol = d.get("volume")
        if zh:
            s = (
                f"因“{rule}”被预警的客户，流失率是一般客户的 **{_num(f.estimate, 'ratio')} 倍**（{_ci(f, lang)}）；"
                f"被预警者中 {fmt_pct(d.get('precision'), 0)} 最终流失，{fmt_pct(d.get('false_alarm_share'), 0)} 为误报。"
            )
            return s + (f"本期此类预警 {fmt_int(vol)} 条。" if vol is not None else "")
        s = (
            f"Customers flagged for {rule} churned **{_num(f.estimate, 'ratio')} times** as often as customers in general "
            f"({_ci(f, lang)}); {fmt_pct(d.get('precision'), 0)} of those flagged left, "
            f"so {fmt_pct(d.get('false_alarm_share'), 0)} of alerts are false alarms."
        )
        return s + (f" This wave: {fmt_int(vol)} such alerts." if vol is not None else "")
    if k == "transfer_penalty":
        out = _kpi(f.variable, lang, codebook)
        if zh:
            return f"服务中每多一次部门间转接，{out}变化 **{_num(f.estimate, 'relative_change', signed=True)}**{paren}。"
        return (
            f"Each extra transfer between departments changes {mid_sentence(out, lang)} by "
            f"**{_num(f.estimate, 'relative_change', signed=True)}**{paren}."
        )
    if k == "employee_link":
        out = _kpi(f.variable, lang, codebook)
        if zh:
            return (
                f"员工敬业度与客户{out}同向变化：按分公司×年份的相关系数 r = **{_num(f.estimate, 'correlation')}**{paren}；"
                "这是相关关系，不能证明因果。"
            )
        return (
            f"Where staff are more engaged, customers' {mid_sentence(out, lang)} is higher: "
            f"r = **{_num(f.estimate, 'correlation')}** across branch × year{paren}; a correlation, not proof of cause."
        )
    if k == "programme":
        if zh:
            verb = "提升" if f.direction > 0 else "降低"
            return f"员工改进项目使参与单位的敬业度{verb} **{_num(abs(f.estimate), 'scale_points')}** 分{paren}。"
        verb = "raised" if f.direction > 0 else "lowered"
        return (
            f"The improvement programme {verb} engagement in its units by "
            f"**{_num(abs(f.estimate), 'scale_points')} points**{paren}."
        )
    if k == "theme_gap":
        d = f.details
        theme = _theme(d, f.subject, lang)
        group = _GROUP_WORDS.get(str(d.get("group")), _GROUP_WORDS["dissatisfied"])[0 if zh else 1]
        low, rest = _num(d.get("share_low"), "share"), _num(d.get("share_rest"), "share")
        if zh:
            if f.direction > 0:
                return (
                    f"{group}比其他客户更常提到**{theme}**：留言的{group}中 **{low}** 提及，其他客户为 {rest}，"
                    f"高出 **{_pp(f.estimate, lang, signed=False)}**{paren}。"
                )
            return (
                f"{group}较少提到**{theme}**：留言的{group}中 {low} 提及，其他客户为 {rest}，"
                f"相差 **{_pp(f.estimate, lang)}**{paren}。"
            )
        if f.direction > 0:
            return (
                f"{group[:1].upper() + group[1:]} raise **{mid_sentence(theme, lang)}** more often than the other customers: "
                f"**{low}** of those who commented against {rest}, **{_pp(f.estimate, lang)}**{paren}."
            )
        return (
            f"{group[:1].upper() + group[1:]} mention **{mid_sentence(theme, lang)}** less often than the other customers: "
            f"{low} of those who commented against {rest}, **{_pp(f.estimate, lang)}**{paren}."
        )
    raise ValueError(f"no sentence for finding kind {k!r}")


_EVIDENCE = ("证据", "Evidence")
_STRENGTH = {
    "strong": ("强", "strong"),
    "moderate": ("中等", "moderate"),
    "some": ("有限", "some"),
    "none": ("无", "none"),
}


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
        zh = self.lang == "zh"
        items = []
        for s, f in zip(self.sentences, self.findings, strict=True):
            where = self.titles.get(f.exhibit) or f.exhibit
            strength = _STRENGTH.get(f.strength, ("", ""))[0 if zh else 1]
            link = (
                f' <a class="cx-evidence" href="#{html.escape(f.anchor)}">'
                f"{'见' if zh else 'See'}：{html.escape(where)}</a>"
                if zh
                else f' <a class="cx-evidence" href="#{html.escape(f.anchor)}">See: {html.escape(where)}</a>'
            )
            ev = (
                f'<span class="cx-strength">{_EVIDENCE[0 if zh else 1]}：{html.escape(strength)}</span>'
                if zh
                else f'<span class="cx-strength">{_EVIDENCE[1]}: {html.escape(strength)}</span>'
            )
            items.append(f"<li>{_inline(s)} {ev} ·{link}</li>")
        return '<ol class="cx-messages">' + "".join(items) + "</ol>"

    def to_payload(self) -> dict:
        zh = self.lang == "zh"
        cols = (
            [
                "序号",
                "要点",
                "估计值",
                "置信下限",
                "置信上限",
                "p 值",
                "证据强度",
                "检验",
                "章节",
                "表格",
            ]
            if zh
            else [
                "#",
                "Message",
                "Estimate",
                "CI lower",
                "CI upper",
                "p",
                "Evidence",
                "Test",
                "Chapter",
                "Table",
            ]
        )
        rows = [
            [
                i + 1,
                s.replace("**", ""),
                f.estimate,
                f.ci_lower,
                f.ci_upper,
                f.p,
                _STRENGTH.get(f.strength, ("", ""))[0 if zh else 1],
                f.test,
                f.chapter,
                f.exhibit,
            ]
            for i, (s, f) in enumerate(zip(self.sentences, self.findings, strict=True))
        ]
        return {
            "name": self.name,
            "title": "核心结论" if zh else "Key messages",
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


_EXHIBITS = {
    "segment_scorecard": ("细分群体记分卡", "Segment scorecard"),
    "kpi_dashboard": ("核心指标一览", "Headline KPIs"),
    "driver_importance": ("驱动因素重要性", "Importance of each driver"),
    "process_importance": ("业务流程", "Business processes"),
    "lags_loyalty": ("满意度对忠诚度的持续期", "Horizon of satisfaction on loyalty"),
    "lags_process": ("服务流程满意度的持续期", "Horizon of service-process satisfaction"),
    "churn_by_run": ("连续不满意与流失", "Runs of dissatisfaction and churn"),
    "transfer_penalty": ("部门间转接的代价", "The cost of transfers"),
    "alert_backtest": ("预警能否预测流失", "Do the alerts predict churn?"),
    "engagement_linkage": ("敬业度与客户评分", "Engagement and customer scores"),
    "programme_did": ("改进项目的效果", "Effect of the improvement programme"),
    "engagement": ("员工敬业度", "Employee engagement"),
    "alerts": ("客户预警", "Customer alerts"),
    "theme_gaps": ("不满意客户的评论主题", "What dissatisfied customers raise"),
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
    """
    _check_lang(lang)
    items = list(findings)
    picked = select_messages(items, k=k, headline=headline)
    sentences = tuple(say_finding(f, lang=lang, codebook=codebook, related=items) for f in picked)
    empty = (
        "本期数据中没有通过统计检验的明显差异或效应，因此不提出核心结论。"
        if lang == "zh"
        else "No difference or effect in this period's data passed its statistical test, so the summary makes no claim."
    )
    known = {key: pair[0 if lang == "zh" else 1] for key, pair in _EXHIBITS.items()}
    return Messages(
        sentences=sentences,
        findings=tuple(picked),
        lang=lang,
        titles={**known, **dict(titles or {})},
        empty=empty,
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
    """
    _check_lang(lang)
    zh = lang == "zh"
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
        "kpi": "指标" if zh else "KPI",
        "estimate": str(wave),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "previous": "上期" if zh else "Previous wave",
        "change": "变化" if zh else "Change",
        "p": word("p_value", lang),
        "marker": "显著变化" if zh else "Significant",
        "n": word("n", lang),
    }
    notes = [
        f"▲/▼：与上期相比显著上升/下降（α = {alpha:g}）；=：变化不显著；–：无上期数据。"
        if zh
        else f"▲/▼: significantly up/down on the previous wave (α = {alpha:g}); =: no significant change; "
        "–: no previous wave."
    ]
    columns = ["kpi", "estimate", "ci_lower", "ci_upper", "previous", "change", "p", "marker", "n"]
    if frame["previous"].isna().all():  # one wave (or none before it): no change columns to fill
        columns = ["kpi", "estimate", "ci_lower", "ci_upper", "n"]
        notes = [
            "本报告只有一期数据，不做与上期的比较。"
            if zh
            else "The report has one wave: no comparison with a previous wave."
        ]
    return table(
        frame,
        title="核心指标一览" if zh else "Headline KPIs",
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
    show "–"."""
    _check_lang(lang)
    zh = lang == "zh"
    frame = card.frame
    by = card.by
    if frame.empty:
        return table(
            pd.DataFrame({"segment": []}),
            title="细分群体记分卡" if zh else "Segment scorecard",
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
    notes = [
        f"绿色/红色：显著高于/低于总体（基于设计的检验，多重比较校正，α = {alpha:g}）；“–”：样本量低于匿名下限，不予展示。"
        if zh
        else f"Green/red: significantly above/below Total (design-based test, corrected for multiple comparisons, "
        f"α = {alpha:g}); '–': base under the anonymity minimum, not shown."
    ]
    return table(
        pd.DataFrame(data),
        title="细分群体记分卡（本期）" if zh else "Segment scorecard, current wave",
        name=name,
        columns=["segment", *[f"v_{s}" for s in kpis], "n"],
        labels=labels,
        formats=formats,
        notes=notes,
        flags=flags,
    )


_ACTIONS = {
    "improve_driver": ("改进", "Improve"),
    "close_gap": ("缩小差距", "Close the gap"),
    "follow_up_alerts": ("跟进预警客户", "Follow up alerted customers"),
    "cut_transfers": ("减少部门间转接", "Cut transfers between departments"),
    "address_theme": ("回应客户意见", "Act on comments about"),
}


def _driver_effect_text(r, lang: str, codebook) -> str:
    """The expected effect of an ``improve_driver`` row: outcome points of closing the gap (with the
    benchmark it is measured to) and the driver's share of R²; the share alone without data."""
    zh = lang == "zh"
    out = _kpi(r.variable, lang, codebook)
    out_in = _kpi_in(r.variable, lang, codebook)
    share = r.share if not _missing(getattr(r, "share", None)) else r.estimate
    if r.unit != "outcome_points":
        return (
            f"占{out}可解释部分 {_num(share, 'share')}"
            if zh
            else f"{_num(share, 'share')} of what moves {out_in}"
        )
    d = r.details if isinstance(getattr(r, "details", None), Mapping) else {}
    eff = _num(r.estimate, "outcome_points", signed=True)
    tail = (
        f"；占可解释部分 {_num(share, 'share')}"
        if zh
        else f"; {_num(share, 'share')} of what moves {out_in}"
    )
    if d.get("basis") == "best_segment" and d.get("benchmark") is not None:
        by = d.get("by")
        seg = (
            value_label(by, _code(d["benchmark"]), lang=lang, codebook=codebook)
            if by
            else str(d["benchmark"])
        )
        seg_var = var_label(by, lang=lang, codebook=codebook) if by else ""
        target, mean = _num(d.get("target"), "scale_points"), _num(d.get("mean"), "scale_points")
        if zh:
            return (
                f"若达到最佳{seg_var}（{seg}：{target} 对总体 {mean}）的水平，{out}预计 {eff} 分"
                + tail
            )
        return (
            f"{eff} points of {out_in} if it reached the best {mid_sentence(seg_var, lang)} ({seg}: {target} against "
            f"{mean} overall)" + tail
        )
    if zh:
        return f"每提高 1 分，{out}预计 {eff} 分" + tail
    return f"{eff} points of {out_in} for each point gained" + tail


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
    with its interval, how long it pays, owner."""
    _check_lang(lang)
    zh = lang == "zh"
    rows = []
    for r in frame.itertuples(index=False):
        act = _ACTIONS.get(r.action, (r.action, r.action))[0 if zh else 1]
        if r.action == "improve_driver":
            what = (
                f"{act}{_kpi(r.subject, lang, codebook)}"
                if zh
                else f"{act} {mid_sentence(_kpi(r.subject, lang, codebook), lang)}"
            )
            effect = _driver_effect_text(r, lang, codebook)
        elif r.action == "address_theme":
            d = r.details if isinstance(getattr(r, "details", None), Mapping) else {}
            theme = _theme(d, r.subject, lang)
            group = _GROUP_WORDS.get(str(d.get("group")), _GROUP_WORDS["dissatisfied"])[
                0 if zh else 1
            ]
            what = f"{act}：{theme}" if zh else f"{act} {mid_sentence(theme, lang)}"
            effect = (
                f"{group}中 {_num(d.get('share_low'), 'share')} 提及，其他客户 {_num(d.get('share_rest'), 'share')}"
                f"（{_pp(r.estimate, lang)}）"
                if zh
                else f"raised by {_num(d.get('share_low'), 'share')} of {group} against {_num(d.get('share_rest'), 'share')} "
                f"of the others ({_pp(r.estimate, lang)})"
            )
        elif r.action == "close_gap":
            what = (
                f"{act}：{_kpi(r.variable, lang, codebook)}"
                if zh
                else f"{act} on {_kpi_in(r.variable, lang, codebook)}"
            )
            effect = (
                f"与总体差 {_num(r.estimate, r.unit, signed=True)}"
                if zh
                else f"gap to Total {_num(r.estimate, r.unit, signed=True)}"
            )
        elif r.action == "follow_up_alerts":
            what = f"{act}（{fmt_int(r.volume)} 位）" if zh else f"{act} ({fmt_int(r.volume)})"
            effect = (
                f"预计其中约 {fmt_int(r.estimate)} 位会流失（命中率 {fmt_pct(r.precision, 0)}）"
                if zh
                else f"about {fmt_int(r.estimate)} of them would leave (precision {fmt_pct(r.precision, 0)})"
            )
        else:
            what = act
            effect = (
                f"每次转接{_kpi(r.variable, lang, codebook)} {_num(r.estimate, 'relative_change', signed=True)}"
                if zh
                else f"{_num(r.estimate, 'relative_change', signed=True)} {mid_sentence(_kpi(r.variable, lang, codebook), lang)} per transfer"
            )
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
        where = ("、" if zh else ", ").join(
            value_label(by, _code(w), lang=lang, codebook=codebook) if by else str(w)
            for w in (r.where or [])
        )
        lasts = (
            ""
            if _missing(r.lasts_years)
            else (
                f"{_num(r.lasts_years, 'years')} 年（{_num(r.lasts_ci_lower, 'years')}–{_num(r.lasts_ci_upper, 'years')}）"
                if zh
                else f"{_num(r.lasts_years, 'years')} years ({_num(r.lasts_ci_lower, 'years')}–{_num(r.lasts_ci_upper, 'years')})"
            )
        )
        rows.append(
            {
                "priority": r.priority,
                "what": what,
                "where": where or ("全部" if zh else "All"),
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
        "priority": "优先级" if zh else "Priority",
        "what": "改进什么" if zh else "What to fix",
        "where": "在哪里" if zh else "Where",
        "effect": "预期效果" if zh else "Expected effect",
        "interval": word("ci", lang),
        "lasts": "效果持续" if zh else "Pays for",
        "owner": "负责人" if zh else "Owner",
    }
    lasting = bool((data["lasts"] != "").any())
    notes = [
        (
            "排序依据：效应大小 × 证据强度。“在哪里”列出显著低于总体的群体"
            + ("；效果持续期来自持续效应分析。" if lasting else "。")
            if zh
            else "Ranked by size of effect × strength of evidence. 'Where' lists the segments significantly below "
            "Total" + ("; 'Pays for' is the persistence horizon." if lasting else ".")
        )
    ]
    # a column no row fills (no persistence analysis, no owners in the params) is left out
    data = data[[c for c in data.columns if c not in ("lasts", "owner") or (data[c] != "").any()]]
    if "unit" in frame and (frame["unit"] == "outcome_points").any():
        notes.append(
            "驱动因素的预期效果：该因素在回归模型中的斜率 × 其与最佳群体（或 1 分）的差距，即总体得分预计的变化；"
            "这是模型预测，不是因果承诺。"
            if zh
            else "Expected effect of a driver: its slope in the driver model × its gap to the best segment (or one "
            "point), the change the model predicts in the outcome's mean; a prediction, not a causal promise."
        )
    if data.empty:
        notes = [
            "本期没有通过统计检验、可据以确定优先事项的发现。"
            if zh
            else "No finding in this period passed its test, so no priority is set from the data."
        ]
    return table(
        data,
        title="优先事项与行动" if zh else "Priorities and actions",
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
    green: less)."""
    _check_lang(lang)
    zh = lang == "zh"
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
    grp = _GROUP_WORDS.get(group, _GROUP_WORDS["dissatisfied"])[0 if zh else 1]
    labels = {
        "label": "主题" if zh else "Theme",
        "share_low": f"{grp}提及比例" if zh else f"Share of {grp}",
        "share_rest": "其他客户提及比例" if zh else "Share of the others",
        "difference": "差（百分点）" if zh else "Difference",
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "p_adj": word("p_value", lang),
    }
    n_low = frame["n_low"].iloc[0] if len(frame) and "n_low" in frame else None
    n_rest = frame["n_rest"].iloc[0] if len(frame) and "n_rest" in frame else None
    base = None
    if n_low is not None and not _missing(n_low):
        base = (
            f"样本：留言的{grp} n = {fmt_int(n_low)}，其他留言客户 n = {fmt_int(n_rest)}"
            if zh
            else f"Base: commenting {grp} n = {fmt_int(n_low)}, other commenters n = {fmt_int(n_rest)}"
        )
    notes = [
        "红色/绿色：该主题在不满意客户中被显著更多/更少地提及（基于设计的检验，多个主题经 Holm 校正）；比例按调查权重计算。"
        if zh
        else "Red/green: the theme is raised significantly more/less often by the dissatisfied (design-based test, "
        "Holm-corrected over themes); shares are weighted."
    ]
    return table(
        frame,
        title=f"{grp}在评论中更常提到什么" if zh else f"What {grp} raise in their comments",
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
    passed its test, that no claim is made)."""
    _check_lang(lang)
    items = [
        f
        for f in findings
        if (kinds is None or f.kind in kinds) and (exhibit is None or f.exhibit == exhibit)
    ]
    if not items:
        return Text(
            "本项分析没有得出通过统计检验的结论。"
            if lang == "zh"
            else "Nothing in this analysis passed its statistical test, so no claim is made.",
            css="cx-sowhat",
        )
    from cxresearch.findings import rank

    body = " ".join(say_finding(f, lang=lang, codebook=codebook) for f in rank(items))
    return Text(("**结论：**" if lang == "zh" else "**So what:** ") + body, css="cx-sowhat")
