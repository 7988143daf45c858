"""Tables for the methods and validity appendix: settings, reliability, data sources."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cxresearch.tables._core import (
    Table,
    _check_lang,
    _need_cols,
    fmt_int,
    fmt_num,
    fmt_pct,
    table,
    var_label,
    word,
)

__all__ = ["settings_table", "reliability_table", "provenance_table", "fieldwork_table", "definitions_table"]


def settings_table(params, *, name: str = "report_settings", lang: str, codebook=None,
                   min_base: int | None = None) -> Table:
    """The reporting rules this report ran with (from the validated params)."""
    _check_lang(lang)
    t, a = params.thresholds, params.analysis
    zh = lang == "zh"
    rows = [
        ("报告期" if zh else "Report period", params.period),
        ("趋势起始年份" if zh else "Trend from", str(params.first_wave) if params.first_wave else "–"),
        ("加权变量" if zh else "Weight variable",
         var_label(params.variables.weight, lang=lang, codebook=codebook) if params.variables.weight else ("无" if zh else "none")),
        ("按边际分布调整（raking）" if zh else "Raking",
         ("按" + "、".join(var_label(v, lang=lang, codebook=codebook) for v in params.variables.raking) + "的边际分布调整"
          if zh else "to the margins of " + ", ".join(var_label(v, lang=lang, codebook=codebook).lower()
                                                     for v in params.variables.raking))
         if params.variables.raking else ("未使用" if zh else "none")),
        ("置信水平" if zh else "Confidence level", fmt_pct(1 - t.alpha)),
        ("显著性水平 α" if zh else "Significance level α", fmt_num(t.alpha, 2)),
        ("报告下限（样本量）" if zh else "Reporting minimum base", fmt_int(t.min_base)),
        ("匿名下限（样本量）" if zh else "Anonymity minimum base", fmt_int(t.anonymity_min)),
        ("不满意界值（总体满意度 ≤）" if zh else "Dissatisfied cut (overall satisfaction ≤)", fmt_num(t.dissatisfied_cut, 0)),
        ("预警阈值（总体满意度 <）" if zh else "Early-warning threshold (overall satisfaction <)", fmt_num(t.early_warning, 1)),
        ("Bootstrap 重抽样次数" if zh else "Bootstrap resamples", fmt_int(a.n_boot)),
        ("随机数种子" if zh else "Random seed", str(a.seed)),
        ("最长滞后（年）" if zh else "Longest lag (years)", str(a.max_lag)),
    ]
    frame = pd.DataFrame(rows, columns=["setting", "value"])
    return table(frame, title="报告设置" if zh else "Report settings", name=name,
                 labels={"setting": "设置" if zh else "Setting", "value": "取值" if zh else "Value"},
                 formats={"setting": "text", "value": "text"})

_SCALE_NAMES = {
    "drivers": ("全部驱动因素题目", "All driver items"), "processes": ("业务流程题目", "Business-process items"),
    "product": ("产品", "Product"), "price": ("价格", "Price"), "channel": ("渠道", "Channel"),
    "service": ("服务", "Service"), "need": ("需求", "Needs"), "convenience": ("便利", "Convenience"),
    "emotion": ("情感", "Emotion"), "competitor": ("竞争对比", "Competition"),
}

def reliability_table(result, *, name: str = "reliability", lang: str, codebook=None,
                      min_base: int | None = None, title: str | None = None) -> Table:
    """Cronbach's alpha (with interval) and omega per item set (``cx.survey.reliability``)."""
    _check_lang(lang)
    frame = result.scales.copy()
    _need_cols(frame, ["dimension", "n", "n_items", "estimate", "ci_lower", "ci_upper", "omega_total"],
               "reliability_table")
    frame["scale_label"] = frame["dimension"].map(
        lambda d: _SCALE_NAMES.get(d, (d, d))[0 if lang == "zh" else 1])
    flag = "low_alpha" if "low_alpha" in frame else None
    zh = lang == "zh"
    threshold = result.settings.get("threshold", 0.7) if isinstance(getattr(result, "settings", None), Mapping) else 0.7
    return table(frame, title=title or ("量表信度" if zh else "Reliability of the item sets"), name=name,
                 columns=["scale_label", "n_items", "n", "estimate", "ci_lower", "ci_upper", "omega_total"],
                 labels={"scale_label": "题目组" if zh else "Item set", "n_items": "题数" if zh else "Items",
                         "n": word("n", lang), "estimate": "Cronbach α", "ci_lower": word("ci_lower", lang),
                         "ci_upper": word("ci_upper", lang), "omega_total": "McDonald ω"},
                 formats={"scale_label": "text", "n_items": "int", "n": "int", "estimate": "num2",
                          "ci_lower": "num2", "ci_upper": "num2", "omega_total": "num2"},
                 flags=({"estimate": flag} if flag else {}) | (
                     {"omega_total": "omega_improper"} if "omega_improper" in frame else {}) or None,
                 notes=[(f"α 低于 {fmt_num(threshold, 2)} 标红。" if zh
                         else f"α below {fmt_num(threshold, 2)} flagged.")]
                 + ([("标红的 ω 来自不恰当的单因子解（Heywood 个案：某题载荷 ≥ 1，或迭代未收敛），不宜作为信度解读。" if zh
                      else "A flagged ω comes from an improper one-factor fit (a Heywood case: an item loading of 1 "
                           "or more, or no convergence) and should not be read as a reliability.")]
                    if "omega_improper" in frame and frame["omega_improper"].astype(bool).any() else []))

def provenance_table(imports: pd.DataFrame, *, name: str = "data_sources", lang: str, codebook=None,
                     min_base: int | None = None) -> Table:
    """The data files behind the report: file, format, encoding, rows, sha256 (first 12), import time."""
    _check_lang(lang)
    _need_cols(imports, ["file", "format", "rows", "sha256"], "provenance_table")
    frame = imports.copy()
    frame["sha"] = frame["sha256"].astype(str).str[:12]
    if "encoding" not in frame:
        frame["encoding"] = ""
    frame["encoding"] = frame["encoding"].fillna("")
    if "imported_at" in frame:
        frame["when"] = pd.to_datetime(frame["imported_at"]).dt.strftime("%Y-%m-%d %H:%M")
    else:
        frame["when"] = ""
    zh = lang == "zh"
    return table(frame, title="数据来源" if zh else "Data sources", name=name,
                 columns=["file", "format", "encoding", "rows", "sha", "when"],
                 labels={"file": "文件" if zh else "File", "format": "格式" if zh else "Format",
                         "encoding": "编码" if zh else "Encoding", "rows": "行数" if zh else "Rows",
                         "sha": "SHA-256（前 12 位）" if zh else "SHA-256 (first 12)",
                         "when": "导入时间" if zh else "Imported"},
                 formats={"file": "text", "format": "text", "encoding": "text", "rows": "int", "sha": "text",
                          "when": "text"})


def fieldwork_table(params, *, name: str = "fieldwork", lang: str, codebook=None,
                    min_base: int | None = None) -> Table | None:
    """Fieldwork dates, method, sample frame and response rate from the params' ``fieldwork:`` block.

    Returns ``None`` (nothing shown) when the params give no fieldwork block.
    """
    _check_lang(lang)
    fw = getattr(params, "fieldwork", None)
    if fw is None:
        return None
    zh = lang == "zh"

    def day(d):
        return "–" if d is None else (f"{d.year}年{d.month}月{d.day}日" if zh else d.strftime("%d %B %Y").lstrip("0"))

    rows = []
    if fw.start or fw.end:
        rows.append(("调查时间" if zh else "Fieldwork dates", f"{day(fw.start)} – {day(fw.end)}"))
    if fw.method:
        rows.append(("调查方式" if zh else "Method", fw.method.for_lang(lang)))
    if fw.frame:
        rows.append(("抽样框" if zh else "Sample frame", fw.frame.for_lang(lang)))
    if fw.invited is not None:
        rows.append(("邀请人数" if zh else "Invited", fmt_int(fw.invited)))
    if fw.completed is not None:
        rows.append(("完成访问" if zh else "Completed interviews", fmt_int(fw.completed)))
    if fw.rate is not None:
        how = ("（完成数 ÷ 邀请数）" if zh else " (completed ÷ invited)") if fw.response_rate is None else ""
        rows.append(("应答率" if zh else "Response rate", fmt_pct(fw.rate, 1) + how))
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["item", "value"])
    return table(frame, title="调查实施" if zh else "Fieldwork", name=name,
                 labels={"item": "项目" if zh else "Item", "value": "内容" if zh else "Detail"},
                 formats={"item": "text", "value": "text"})


def definitions_table(params, *, name: str = "definitions", lang: str, codebook=None,
                      min_base: int | None = None, drivers=(), variables=None) -> Table:
    """Definitions of the report's measures: NPS bands, top-two box, and the scale of each measure
    and driver (from the codebook). ``variables``: the report's resolved variables
    (``study.variables``; default ``params.variables``); without an NPS item there is no NPS row."""
    _check_lang(lang)
    zh = lang == "zh"
    v = variables if variables is not None else params.variables
    rows = [
        ("净推荐值（NPS）" if zh else "Net Promoter Score (NPS)",
         "推荐意愿 0–10 分：9–10 分为推荐者，7–8 分为中立者，0–6 分为贬损者；NPS = 推荐者比例 − 贬损者比例（×100，范围 −100 至 100）。"
         if zh else "Likelihood to recommend on 0–10: promoters answer 9–10, passives 7–8, detractors 0–6; "
                    "NPS = share of promoters − share of detractors (×100, from −100 to 100)."),
        ("前两项比例（Top-2 box）" if zh else "Top-two box",
         "回答量表最高两档的受访者比例（如 0–10 分量表的 9–10 分，1–5 分量表的 4–5 分）。"
         if zh else "Share of respondents answering one of the two highest points of the scale (9–10 on a 0–10 "
                    "scale, 4–5 on a 1–5 scale)."),
    ]
    # the top-two box of the scales the report shows it on (outcome, loyalty), not of example scales
    tops = []
    for n in (v.outcome, v.loyalty):
        var = codebook.get(n) if codebook is not None and n and n in codebook else None
        if var is not None and var.scale is not None:
            lo, hi = float(var.scale[0]), float(var.scale[1])
            tops.append(f"{hi - 1:g}–{hi:g} 分（{lo:g}–{hi:g} 分量表）" if zh
                         else f"{hi - 1:g}–{hi:g} on the {lo:g}–{hi:g} scale")
    if tops:
        tops = list(dict.fromkeys(tops))
        rows[1] = (rows[1][0], "回答量表最高两档的受访者比例：" + "；".join(tops) + "。" if zh
                   else "Share of respondents answering one of the two highest points of the scale: "
                        + "; ".join(tops) + ".")
    if not v.nps:
        rows = rows[1:]
    names = [n for n in (v.outcome, v.loyalty, v.nps) if n] + list(drivers)
    for n in dict.fromkeys(names):
        if codebook is None or n not in codebook:
            continue
        var = codebook.get(n)
        scale = var.scale
        if scale is None:
            continue
        role = ("驱动因素" if zh else "driver") if n in drivers else ("结果指标" if zh else "outcome")
        rows.append((var.label_for(lang),
                     f"{role}，{scale[0]:g}–{scale[1]:g} 分量表，分数越高越好。" if zh
                     else f"{role[:1].upper() + role[1:]}, rated on a {scale[0]:g}–{scale[1]:g} scale (higher is better)."))
    frame = pd.DataFrame(rows, columns=["term", "definition"])
    return table(frame, title="指标定义" if zh else "Definitions", name=name,
                 labels={"term": "指标" if zh else "Measure", "definition": "定义" if zh else "Definition"},
                 formats={"term": "text", "definition": "text"})
