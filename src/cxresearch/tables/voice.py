"""Tables and narrative for alerts (counts only), comment themes and quotes, employee engagement."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cxresearch.tables._core import (
    Table,
    Text,
    _check_lang,
    _need_cols,
    _range,
    fmt_base,
    fmt_int,
    fmt_num,
    fmt_pct,
    p_eq,
    table,
    value_label,
    var_label,
    verbatims,
    word,
)

__all__ = ["alert_table", "say_alerts", "theme_table", "say_themes", "quotes", "engagement_table", "say_programme", "did_table", "linkage_table"]


_RULE_LABELS = {
    "low_sat": ("满意度很低", "Very low satisfaction"),
    "sat_drop": ("满意度大幅下降", "Sharp drop in satisfaction"),
    "hv_detractor": ("高价值客户贬损", "High-value detractor"),
    "complaint": ("评论中的投诉", "Complaint in comment"),
}

def alert_table(counts: pd.DataFrame, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                by: str = "branch", title: str | None = None) -> Table:
    """Alert counts by rule (rows) and segment (columns) from ``cx.alerts.alert_counts``.

    Counts only: the case list itself (who to call) is never part of a client report.
    """
    _check_lang(lang)
    _need_cols(counts, [by, "rule", "n"], "alert_table")
    wide = counts.pivot_table(index="rule", columns=by, values="n", aggfunc="sum", fill_value=0)
    wide[word("total", lang)] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["rule"] = wide["rule"].map(lambda r: _RULE_LABELS.get(r, (r, r))[0 if lang == "zh" else 1])
    rename = {c: value_label(by, c, lang=lang, codebook=codebook) for c in wide.columns if c not in ("rule", word("total", lang))}
    wide = wide.rename(columns=rename)
    cols = list(wide.columns)
    if title is None:
        title = "本期预警数量（按规则和分公司）" if lang == "zh" else "Alerts this wave by rule and branch"
    return table(wide, title=title, name=name, columns=cols, labels={"rule": "预警规则" if lang == "zh" else "Rule"},
                 formats={"rule": "text", **{c: "int" for c in cols[1:]}},
                 notes=["预警个案名单按规则分派给负责人跟进，不包含在本报告中。" if lang == "zh"
                        else "The case list itself is routed to the owners for follow-up and is not part of this report."])

def say_alerts(cases, counts: pd.DataFrame, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative: customers flagged in the current wave and the most frequent rule."""
    _check_lang(lang)
    n_cases = len(cases.cases)
    base = cases.base["n_responses"].sum() if isinstance(cases.base, pd.DataFrame) else cases.base
    by_rule = counts.groupby("rule")["n"].sum().sort_values(ascending=False)
    top = by_rule.index[0] if len(by_rule) else None
    top_label = _RULE_LABELS.get(top, (top, top))[0 if lang == "zh" else 1] if top else ""
    share = n_cases / base if base else float("nan")
    if lang == "zh":
        s = (f"{cases.wave} 年共有 **{fmt_int(n_cases)}** 位受访客户触发了预警（占受访者的 {fmt_pct(share)}），"
             f"最常见的触发原因是“{top_label}”（{fmt_int(by_rule.iloc[0])} 次）。")
    else:
        s = (f"In {cases.wave}, **{fmt_int(n_cases)}** respondents triggered an alert ({fmt_pct(share)} of those "
             f"surveyed); the most frequent reason was '{top_label.lower()}' ({fmt_int(by_rule.iloc[0])} times).")
    return Text(s)

def _theme_label(theme: str, codeframe, lang: str) -> str:
    if codeframe is not None:
        for t in codeframe.themes:
            if t.name == theme:
                return t.label.get(lang) or theme
    return theme

def theme_table(freq: pd.DataFrame, satisfaction: pd.DataFrame | None = None, *, codeframe=None, name: str,
                lang: str, codebook=None, min_base: int | None = None, title: str | None = None) -> Table:
    """Share of comments per theme (``cx.text.theme_frequencies``), with the mean satisfaction of
    those comments when ``satisfaction`` (``cx.text.theme_satisfaction``) is given."""
    _check_lang(lang)
    _need_cols(freq, ["theme", "n", "n_mentions", "estimate", "ci_lower", "ci_upper"], "theme_table")
    frame = freq.copy()
    cols = ["label", "n_mentions", "estimate", "ci_lower", "ci_upper"]
    fmts = {"label": "text", "n_mentions": "int", "estimate": "pct1", "ci_lower": "pct1", "ci_upper": "pct1"}
    labels = {"label": "主题" if lang == "zh" else "Theme", "n_mentions": "提及数" if lang == "zh" else "Mentions",
              "estimate": "占评论比例" if lang == "zh" else "Share of comments",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang)}
    if "n_negative" in frame:
        frame["neg_share"] = frame["n_negative"] / frame["n_mentions"].where(frame["n_mentions"] > 0)
        cols.append("neg_share")
        fmts["neg_share"] = "pct0"
        labels["neg_share"] = "负面占比" if lang == "zh" else "Negative"
    if satisfaction is not None:
        frame = frame.merge(satisfaction[["theme", "estimate", "difference"]].rename(
            columns={"estimate": "sat_mean", "difference": "sat_diff"}), on="theme", how="left")
        cols += ["sat_mean", "sat_diff"]
        fmts.update({"sat_mean": "num2", "sat_diff": "signed2"})
        labels.update({"sat_mean": "提及者满意度" if lang == "zh" else "Satisfaction of those mentioning",
                       "sat_diff": "与其他人之差" if lang == "zh" else "Difference vs others"})
    frame["label"] = frame["theme"].map(lambda t: _theme_label(t, codeframe, lang))
    frame = frame.sort_values("estimate", ascending=False)
    if title is None:
        title = "评论主题" if lang == "zh" else "Themes in customer comments"
    n = frame["n"].iloc[0] if len(frame) else 0
    return table(frame, title=title, name=name, columns=cols, labels=labels, formats=fmts,
                 base=fmt_base(n, lang, min_base=min_base).replace("n =", "评论数 =" if lang == "zh" else "comments ="))

def say_themes(freq: pd.DataFrame, *, codeframe=None, lang: str, codebook=None, min_base: int | None = None,
               top: int = 3) -> Text:
    """Narrative: how many respondents commented and the most frequent themes."""
    _check_lang(lang)
    frame = freq.sort_values("estimate", ascending=False)
    if frame.empty:
        return Text("本期没有可编码的评论。" if lang == "zh" else "There are no comments to code this wave.")
    n, base = frame["n"].iloc[0], frame["n_respondents"].iloc[0] if "n_respondents" in frame else None
    names = [f"{_theme_label(r.theme, codeframe, lang)}（{fmt_pct(r.estimate)}）" if lang == "zh"
             else f"{_theme_label(r.theme, codeframe, lang).lower()} ({fmt_pct(r.estimate)})"
             for r in frame.head(top).itertuples()]
    if lang == "zh":
        s = (f"本期有 {fmt_int(n)} 位受访者留下了评论" + (f"（占 {fmt_pct(n / base)}）" if base else "")
             + "。提及最多的主题是" + "、".join(names) + "。")
    else:
        s = (f"{fmt_int(n)} respondents left a comment this wave" + (f" ({fmt_pct(n / base)})" if base else "")
             + ". The most frequent themes are " + ", ".join(names) + ".")
    return Text(s)

def quotes(examples: pd.DataFrame, *, codeframe=None, lang: str, codebook=None, min_base: int | None = None):
    """Example comments per theme (``cx.text.example_quotes``: already anonymised), shown as escaped
    quotations attributed to their theme — never to a respondent."""
    _check_lang(lang)
    _need_cols(examples, ["theme", "quote"], "quotes")
    pol = {1.0: ("正面", "positive"), -1.0: ("负面", "negative"), 0.0: ("中性", "neutral")}
    sources = []
    for r in examples.itertuples():
        label = _theme_label(r.theme, codeframe, lang)
        p = pol.get(float(getattr(r, "polarity", 0.0) or 0.0), ("", ""))[0 if lang == "zh" else 1]
        sources.append(f"{label}" + (f"，{p}" if lang == "zh" and p else f", {p}" if p else ""))
    return verbatims(examples["quote"].tolist(), sources=sources)

def engagement_table(result, *, wave: int, name: str, lang: str, codebook=None, min_base: int | None = None,
                     by: str = "branch", title: str | None = None) -> Table:
    """Engagement index per unit in one wave (``cx.employee.engagement_index``); suppressed units show '–'."""
    _check_lang(lang)
    frame = result.frame
    _need_cols(frame, ["unit", "wave", "n", "estimate", "ci_lower", "ci_upper"], "engagement_table")
    cur = frame[frame["wave"] == wave].copy()
    cur["unit_label"] = cur["unit"].map(lambda u: value_label(by, u, lang=lang, codebook=codebook))
    labels = {"unit_label": var_label(by, lang=lang, codebook=codebook), "n": "员工样本量" if lang == "zh" else "Employees",
              "estimate": "敬业度指数" if lang == "zh" else "Engagement index",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang)}
    k = len(result.items)
    lo, hi = result.scale
    notes = [(f"{k} 题均值（{lo}–{hi} 分），Cronbach α = {fmt_num(result.cronbach_alpha, 2)}。" if lang == "zh"
              else f"Mean of {k} items ({lo}–{hi}), Cronbach's α = {fmt_num(result.cronbach_alpha, 2)}.")]
    if cur["estimate"].isna().any():
        notes.append(f"“–”：员工少于 {result.min_n} 人，为保护匿名不予报告。" if lang == "zh"
                     else f"'–': fewer than {result.min_n} employees; not reported to protect anonymity.")
    if title is None:
        title = f"{wave} 年员工敬业度" if lang == "zh" else f"Employee engagement, {wave}"
    return table(cur, title=title, name=name, columns=["unit_label", "n", "estimate", "ci_lower", "ci_upper"],
                 labels=labels, formats={"unit_label": "text", "n": "int", "estimate": "num2", "ci_lower": "num2",
                                         "ci_upper": "num2"}, notes=notes)

def say_programme(result, *, lang: str, codebook=None, min_base: int | None = None, by: str = "branch") -> Text:
    """Narrative on the engagement programme's difference-in-differences, with its caveat."""
    _check_lang(lang)
    row = result.frame.iloc[0]
    units = "、".join(value_label(by, u, lang=lang, codebook=codebook) for u in result.programme_units) if lang == "zh" \
        else ", ".join(value_label(by, u, lang=lang, codebook=codebook) for u in result.programme_units)
    ci = _range(fmt_num(row["ci_lower"], 2), fmt_num(row["ci_upper"], 2), lang)
    sig = float(row["p_value"]) < result.alpha
    conf = f"{round(100 * (1 - float(result.alpha)))}%"
    if lang == "zh":
        s = (f"参加改进项目的单位（{units}，自 {result.start} 年起）与其他单位相比，敬业度的变化差为 "
             f"**{fmt_num(row['estimate'], 2)}** 分（{conf} 置信区间 {ci}，{p_eq(row['p_value'])}），"
             + ("在统计上显著。" if sig else "在统计上不显著。"))
    else:
        s = (f"Units in the improvement programme ({units}, from {result.start}) changed by "
             f"**{fmt_num(row['estimate'], 2)}** points more than the others (difference-in-differences; {conf} CI "
             f"{ci}, {p_eq(row['p_value'])}), " + ("a statistically significant difference." if sig
                                                      else "not a statistically significant difference."))
    caveat = getattr(result, "caveat", None)
    if isinstance(caveat, Mapping) and caveat.get(lang):
        s += "\n\n" + caveat[lang]
    return Text(s)

def did_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
              title: str | None = None) -> Table:
    """Engagement before/after for programme and comparison units (``programme_did(...).means``)."""
    _check_lang(lang)
    frame = result.means.copy()
    _need_cols(frame, ["group", "period", "n", "estimate", "ci_lower", "ci_upper"], "did_table")
    g = {"programme": ("项目单位", "Programme units"), "comparison": ("其他单位", "Other units")}
    p = {"pre": ("项目前", "Before"), "post": ("项目后", "After")}
    frame["group_text"] = frame["group"].map(lambda x: g.get(x, (x, x))[0 if lang == "zh" else 1])
    frame["period_text"] = frame["period"].map(lambda x: p.get(x, (x, x))[0 if lang == "zh" else 1])
    if title is None:
        title = "改进项目前后的员工敬业度" if lang == "zh" else "Engagement before and after the programme"
    return table(frame, title=title, name=name,
                 columns=["group_text", "period_text", "n", "estimate", "ci_lower", "ci_upper"],
                 labels={"group_text": "组别" if lang == "zh" else "Group", "period_text": "时期" if lang == "zh" else "Period",
                         "n": "员工样本量" if lang == "zh" else "Employees", "estimate": "敬业度指数" if lang == "zh" else "Engagement index",
                         "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang)},
                 formats={"group_text": "text", "period_text": "text", "n": "int", "estimate": "num2",
                          "ci_lower": "num2", "ci_upper": "num2"})

def linkage_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                  title: str | None = None) -> Table:
    """Correlation of unit engagement with customer scores (``cx.employee.linkage(...).correlations``)."""
    _check_lang(lang)
    frame = result.correlations.copy()
    _need_cols(frame, ["outcome", "level", "n", "estimate", "ci_lower", "ci_upper", "p_value"], "linkage_table")
    frame["outcome_text"] = frame["outcome"].map(lambda o: "NPS" if o == "nps" else var_label(o, lang=lang, codebook=codebook))
    lv = {"unit_wave": ("单位×年份", "Unit × wave"), "unit": ("单位（各年平均）", "Unit (all waves)")}
    frame["level_text"] = frame["level"].map(lambda x: lv.get(x, (x, x))[0 if lang == "zh" else 1])
    if title is None:
        title = "员工敬业度与客户评分的相关" if lang == "zh" else "Employee engagement and customer scores: correlation"
    notes = []
    caveat = getattr(result, "caveat", None)
    if isinstance(caveat, Mapping) and caveat.get(lang):
        notes.append(caveat[lang])
    return table(frame, title=title, name=name,
                 columns=["outcome_text", "level_text", "n", "estimate", "ci_lower", "ci_upper", "p_value"],
                 labels={"outcome_text": "客户指标" if lang == "zh" else "Customer measure",
                         "level_text": "分析层级" if lang == "zh" else "Level", "n": word("n", lang),
                         "estimate": "相关系数 r" if lang == "zh" else "Correlation r",
                         "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
                         "p_value": word("p_value", lang)},
                 formats={"outcome_text": "text", "level_text": "text", "n": "int", "estimate": "num2",
                          "ci_lower": "num2", "ci_upper": "num2", "p_value": "pvalue"}, notes=notes)
