"""Tables and narrative for survey estimates: bases, KPIs, trends, segments, differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cxresearch.errors import CXValueError
from cxresearch.tables._core import (
    _RESULT_COLUMNS,
    _VALUE_FORMATS,
    Table,
    Text,
    _by_columns,
    _check_lang,
    _missing,
    _need_cols,
    _range,
    _value,
    fmt_base,
    fmt_int,
    fmt_pct,
    labelled,
    mid_sentence,
    p_eq,
    table,
    value_label,
    var_label,
    word,
)

__all__ = ["estimates", "bases", "say_bases", "missing_answers", "say_trend", "say_segments", "differences"]


def estimates(
    result: pd.DataFrame,
    *,
    title: str,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    by: Sequence[str] | None = None,
    kind: str = "mean",
    extra: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
) -> Table:
    """A report table of survey estimates (``cx.survey.mean/nps/top_box/csat`` or ``trend`` output).

    Parameters
    ----------
    result : DataFrame
        Tidy estimate frame: optional ``by`` columns, ``score``, ``n``, ``n_eff``, ``estimate``,
        ``ci_lower``, ``ci_upper``, ``small_base``, ``suppressed``; a ``trend`` frame also gives
        ``change`` and ``change_p_value``.
    title, name : str
        Caption and sheet name. The caption says what the rows are ("NPS by wave", "NPS by
        branch"), so two tables of one measure never share a caption or a sheet title.
    lang : {'zh', 'en'}
    codebook : Codebook, optional
        Source of variable and value labels.
    min_base : int, optional
        Reporting minimum (stated in the base line).
    by : sequence of str, optional
        Segment columns to show first (default: those of ``wave``, segments in the frame).
    kind : {'mean', 'nps', 'share'}
        Number format of the estimate: means 2 decimals, NPS 1 decimal, shares as percentages.
    extra : mapping, optional
        More numeric columns to show, column -> format (e.g. ``{'promoters': 'pct0'}``).
    notes : sequence of str
        Footnotes.
    """
    _check_lang(lang)
    if kind not in _VALUE_FORMATS:
        raise CXValueError(f"kind must be one of {', '.join(_VALUE_FORMATS)}; got {kind!r}")
    known = _RESULT_COLUMNS
    stacked = by is None and {"segment", "segment_value"} <= set(result.columns)
    if stacked:  # cx.survey.by_each: each segment variable on its own, stacked
        frame = result.copy()
        frame["segment_value"] = [value_label(v, c, lang=lang, codebook=codebook)
                                  for v, c in zip(result["segment"], result["segment_value"], strict=True)]
        frame["segment"] = [var_label(v, lang=lang, codebook=codebook) for v in result["segment"]]
        by = ["segment", "segment_value"]
        suffix = "（按细分群体）" if lang == "zh" else " by segment"
        if suffix.strip() not in title:
            title = title + suffix
        labels = {"segment": "细分变量" if lang == "zh" else "Segment variable",
                  "segment_value": "细分群体" if lang == "zh" else "Segment"}
    else:
        if by is None:
            by = [c for c in result.columns if c not in known]
        frame = labelled(result, by, lang=lang, codebook=codebook)
        if by:
            names = [var_label(c, lang=lang, codebook=codebook) for c in by]
            if lang == "zh":
                suffix = "（按" + "和".join(names) + "）"
            else:
                suffix = " by " + " and ".join(n if n.isupper() else n[:1].lower() + n[1:] for n in names)
            if suffix.strip() not in title:
                title = title + suffix
        labels = {c: var_label(c, lang=lang, codebook=codebook) for c in by}
    cols = list(by)
    fmts = {c: "text" for c in by}
    if "score" in frame and frame["score"].nunique() > 1:
        frame["score_label"] = frame["score"].map(lambda s: var_label(s, lang=lang, codebook=codebook))
        cols.append("score_label")
        labels["score_label"] = "指标" if lang == "zh" else "Measure"
        fmts["score_label"] = "text"
    vf = _VALUE_FORMATS[kind]
    for c, f in (("estimate", vf), ("ci_lower", vf), ("ci_upper", vf)):
        cols.append(c)
        labels[c] = word(c, lang) if c != "estimate" else (word("estimate", lang) if kind != "nps" else "NPS")
        fmts[c] = f
    for c, f in (extra or {}).items():
        cols.append(c)
        labels.setdefault(c, var_label(c, lang=lang, codebook=codebook))
        fmts[c] = f
    if "change" in frame:
        cols += ["change", "change_p_value"]
        labels["change"] = "较上期变化" if lang == "zh" else "Change vs previous"
        labels["change_p_value"] = word("p_value", lang)
        fmts["change"] = {"pct1": "pct1"}.get(vf, "signed2")
        fmts["change_p_value"] = "pvalue"
    cols += ["n", "n_eff"]
    labels["n"], labels["n_eff"] = word("n", lang), word("n_eff", lang)
    fmts["n"], fmts["n_eff"] = "int", "int"
    flag = "small_base" if "small_base" in frame else None
    notes = list(notes)
    if flag is not None and bool(frame[flag].any()) and min_base is not None:
        notes.append(("标红：样本量低于报告下限 " if lang == "zh" else "Flagged: base below the reporting minimum of ")
                     + f"{min_base}.")
    if "suppressed" in frame and bool(frame["suppressed"].any()):
        notes.append("“–”：样本量过小，结果已隐藏以保护受访者。" if lang == "zh"
                     else "'–': base too small; the result is suppressed to protect respondents.")
    flags = {"n": flag, "estimate": flag} if flag else {}
    first = frame[frame["score"] == frame["score"].iloc[0]] if "score" in frame and len(frame) else frame
    if stacked and len(first):  # every segment variable covers the respondents: count one of them
        first = first[result.loc[first.index, "segment"] == result["segment"].iloc[0]]
    total = first["n"].sum() if "n" in first else None
    return table(frame, title=title, name=name, columns=cols, labels=labels, formats=fmts,
                 base=None if total is None else fmt_base(total, lang), notes=notes,
                 flags={k: v for k, v in flags.items() if v})

def bases(
    result: pd.DataFrame,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Table of bases from an estimate frame: n, effective n and weighting efficiency per domain.

    Parameters
    ----------
    result : DataFrame
        Output of a ``cx.survey`` estimate (``n``, ``n_eff`` and the ``by`` columns; the first
        score's rows are used).
    name : str
        Sheet name.
    lang, codebook, min_base
        Language, labels source and reporting minimum (low bases are flagged).
    title : str, optional
        Caption; default "Bases by <segment>".
    """
    _check_lang(lang)
    by = _by_columns(result)
    frame = result[result["score"] == result["score"].iloc[0]] if "score" in result and len(result) else result
    frame = labelled(frame, by, lang=lang, codebook=codebook)
    frame = frame.assign(efficiency=frame["n_eff"] / frame["n"])
    if min_base is not None:
        frame = frame.assign(low=frame["n"] < min_base)
    seg = "、".join(var_label(c, lang=lang, codebook=codebook) for c in by) if lang == "zh" else \
        ", ".join(var_label(c, lang=lang, codebook=codebook).lower() for c in by)
    if title is None:
        title = f"按{seg}的样本基数" if lang == "zh" else f"Bases by {seg}"
    labels = {c: var_label(c, lang=lang, codebook=codebook) for c in by}
    labels.update({"n": word("n", lang), "n_eff": word("n_eff", lang),
                   "efficiency": "加权效率" if lang == "zh" else "Weighting efficiency"})
    notes = ["加权效率 = 有效样本量 ÷ 样本量（Kish）。" if lang == "zh"
             else "Weighting efficiency = effective n ÷ n (Kish)."]
    if min_base is not None and bool(frame["low"].any()):
        notes.append(("标红：样本量低于报告下限 " if lang == "zh" else "Flagged: base below the reporting minimum of ")
                     + f"{min_base}.")
    return table(frame, title=title, name=name, columns=[*by, "n", "n_eff", "efficiency"], labels=labels,
                 formats={**{c: "text" for c in by}, "n": "int", "n_eff": "int", "efficiency": "pct0"},
                 base=fmt_base(frame["n"].sum(), lang, n_eff=None), notes=notes,
                 flags={"n": "low"} if min_base is not None else None)

def say_bases(result: pd.DataFrame, *, wave: int, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on the sample: waves covered, total and current-wave base, weighting efficiency.

    ``result`` is an estimate frame by ``wave`` (e.g. ``cx.survey.mean(..., by='wave')``).
    """
    _check_lang(lang)
    if "wave" not in result:
        raise CXValueError("say_bases needs an estimate frame by 'wave'; column 'wave' is missing")
    frame = result[result["score"] == result["score"].iloc[0]] if "score" in result else result
    cur = frame[frame["wave"] == wave]
    if cur.empty:
        raise CXValueError(f"wave {wave} is not in the estimates; waves: {sorted(frame['wave'].unique().tolist())}")
    row = cur.iloc[0]
    first, last, total = int(frame["wave"].min()), int(frame["wave"].max()), frame["n"].sum()
    eff = row["n_eff"] / row["n"] if row["n"] else float("nan")
    lowest = frame.loc[frame["n"].idxmin()]
    if len(frame) == 1:  # a single wave: no span, no smallest wave
        if lang == "zh":
            s = (f"本报告基于 {wave} 年一期调查，样本量为 **{fmt_int(row['n'])}**，加权后的有效样本量为 "
                 f"{fmt_int(row['n_eff'])}（加权效率 {fmt_pct(eff)}）。")
        else:
            s = (f"The report rests on one survey wave ({wave}) of **{fmt_int(row['n'])}** respondents, an "
                 f"effective base of {fmt_int(row['n_eff'])} after weighting (weighting efficiency {fmt_pct(eff)}).")
    elif lang == "zh":
        s = (f"本报告基于 {first}–{last} 年共 {len(frame)} 期调查、累计 **{fmt_int(total)}** 份有效回答。"
             f"{wave} 年的样本量为 **{fmt_int(row['n'])}**，加权后的有效样本量为 {fmt_int(row['n_eff'])}"
             f"（加权效率 {fmt_pct(eff)}）。样本量最小的一期是 {int(lowest['wave'])} 年（{fmt_int(lowest['n'])}）。")
    else:
        s = (f"The report rests on {len(frame)} waves ({first}–{last}) with **{fmt_int(total)}** valid answers "
             f"in all. The {wave} wave has **{fmt_int(row['n'])}** respondents, an effective base of "
             f"{fmt_int(row['n_eff'])} after weighting (weighting efficiency {fmt_pct(eff)}). The smallest "
             f"wave is {int(lowest['wave'])} (n = {fmt_int(lowest['n'])}).")
    return Text(s)

def missing_answers(missing: pd.DataFrame, *, lang: str, codebook=None, min_base: int | None = None,
                    name: str = "missing_answers", by_wave: bool = False) -> Table:
    """Table of declared missing answers (don't know, refused, …) per variable and meaning.

    ``missing`` is the store's ``missing_codes`` frame (``variable``, ``meaning``, ``code``, …).
    With ``by_wave`` (and a ``wave`` column) one row per wave and item instead of all waves pooled.
    The base line says what is counted: answers coded as missing, and the respondents who gave them.
    """
    _check_lang(lang)
    for col in ("variable", "meaning"):
        if col not in missing:
            raise CXValueError(f"missing_answers needs column {col!r}; got {list(missing.columns)}")
    keys = ["wave", "variable"] if by_wave and "wave" in missing else ["variable"]
    counts = missing.groupby([*keys, "meaning"]).size().unstack("meaning", fill_value=0)
    meanings = list(counts.columns)
    counts["total"] = counts.sum(axis=1)
    counts = (counts.reset_index().sort_values(["wave", "total"], ascending=[True, False]) if "wave" in keys
              else counts.sort_values("total", ascending=False).reset_index())
    counts["variable"] = counts["variable"].map(lambda v: var_label(v, lang=lang, codebook=codebook))
    names = {"dont_know": ("不知道", "Don't know"), "refused": ("拒答", "Refused"),
             "system": ("系统缺失", "System missing"), "not_applicable": ("不适用", "Not applicable")}
    labels = {"variable": "题目" if lang == "zh" else "Item", "total": word("total", lang), "wave": word("wave", lang)}
    for m in meanings:
        zh, en = names.get(m, (m, m))
        labels[m] = zh if lang == "zh" else en
    zh = lang == "zh"
    if "wave" in keys:
        title = "缺失回答（按年份和题目）" if zh else "Missing answers by wave and item"
    else:
        title = "缺失回答（按题目）" if zh else "Missing answers by item"
    people = missing["respondent_id"].nunique() if "respondent_id" in missing else None
    base = (f"计数为编码为缺失的回答数（不是受访者数）：共 {fmt_int(len(missing))} 个回答"
            + (f"，来自 {fmt_int(people)} 位受访者。" if people is not None else "。") if zh else
            f"Counts are answers coded as missing, not respondents: {fmt_int(len(missing))} answers"
            + (f" from {fmt_int(people)} respondents." if people is not None else "."))
    return table(counts, title=title, name=name, columns=[*(["wave"] if "wave" in keys else []), "variable", *meanings, "total"],
                 labels=labels, formats={"wave": "text", "variable": "text", **{m: "int" for m in meanings}, "total": "int"},
                 base=base)

def say_trend(
    trend: pd.DataFrame,
    *,
    label: str,
    wave: int,
    lang: str,
    kind: str = "mean",
    alpha: float = 0.05,
    codebook=None,
    min_base: int | None = None,
) -> Text:
    """One paragraph on a KPI's current level and change (from ``cx.survey.trend``).

    Parameters
    ----------
    trend : DataFrame
        ``wave``, ``estimate``, ``ci_lower``, ``ci_upper``, ``n``, ``change``, ``change_p_value``
        (one row per wave; no ``by``).
    label : str
        Name of the KPI in the report language.
    wave : int
        The report's focus wave.
    kind : {'mean', 'nps', 'share'}
        Number format.
    alpha : float
        Significance level of the change test.
    """
    _check_lang(lang)
    _need_cols(trend, ["wave", "estimate", "ci_lower", "ci_upper", "n"], "say_trend")
    frame = trend.sort_values("wave").reset_index(drop=True)
    cur = frame[frame["wave"] == wave]
    if cur.empty:
        raise CXValueError(f"say_trend: wave {wave} not in the trend; waves {frame['wave'].tolist()}")
    row = cur.iloc[0]
    if _missing(row["estimate"]):
        return Text(f"{wave} 年{label}的样本量过小，不予报告。" if lang == "zh"
                    else f"The {wave} base for {label} is too small to report.")
    first = frame.dropna(subset=["estimate"]).iloc[0]
    level = _value(row["estimate"], kind)
    ci = _range(_value(row["ci_lower"], kind), _value(row["ci_upper"], kind), lang)
    conf = f"{round(100 * (1 - alpha))}%"
    if lang == "zh":
        s = f"{wave} 年**{label}**为 **{level}**（{conf} 置信区间 {ci}，n = {fmt_int(row['n'])}）。"
    else:
        s = f"In {wave}, **{mid_sentence(label, lang)}** stood at **{level}** ({conf} CI {ci}; n = {fmt_int(row['n'])})."
    if "change" in frame and not _missing(row.get("change")):
        prev = frame[frame["wave"] < wave].dropna(subset=["estimate"])
        prev_wave = int(prev["wave"].iloc[-1]) if len(prev) else None
        change, p = row["change"], row.get("change_p_value")
        sig = not _missing(p) and float(p) < alpha
        mag = _value(abs(change), "pct" if kind in ("share", "pct") else kind)
        if kind in ("share", "pct"):
            mag = f"{100 * abs(float(change)):.1f} {'个百分点' if lang == 'zh' else 'points'}"
        if lang == "zh":
            direction = "上升" if change > 0 else "下降" if change < 0 else "持平"
            s += (f"与 {prev_wave} 年相比{direction} {mag}，"
                  + (f"变化在统计上显著（{p_eq(p)}）。" if sig else f"变化不显著（{p_eq(p)}）。"))
        else:
            direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
            s += (f" That is {direction} {mag} on {prev_wave}, "
                  + (f"a statistically significant change ({p_eq(p)})." if sig
                     else f"not a statistically significant change ({p_eq(p)})."))
    if int(first["wave"]) != wave:
        if lang == "zh":
            s += f"{int(first['wave'])} 年该指标为 {_value(first['estimate'], kind)}。"
        else:
            s += f" In {int(first['wave'])} it was {_value(first['estimate'], kind)}."
    return Text(s)

def say_segments(
    result: pd.DataFrame,
    *,
    label: str,
    lang: str,
    kind: str = "mean",
    codebook=None,
    min_base: int | None = None,
    differences: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> Text:
    """Which segment scores highest and lowest on a KPI, and how many pairwise gaps are significant.

    ``result`` is an estimate frame by one segment column; ``differences`` (optional) the matching
    ``cx.survey.difference`` frame (its ``p_adj`` is used).
    """
    _check_lang(lang)
    by = _by_columns(result)
    if len(by) != 1:
        raise CXValueError(f"say_segments needs estimates by exactly one segment column; got {by}")
    seg = by[0]
    ok = result.dropna(subset=["estimate"])
    if "small_base" in ok and min_base is not None:
        ok = ok[~ok["small_base"].astype(bool)]
    if len(ok) < 2:
        return Text("可比较的细分群体不足两个。" if lang == "zh" else "Fewer than two segments have a base large enough to compare.")
    hi, lo = ok.loc[ok["estimate"].idxmax()], ok.loc[ok["estimate"].idxmin()]
    name = var_label(seg, lang=lang, codebook=codebook)
    hv, lv = (value_label(seg, r[seg], lang=lang, codebook=codebook) for r in (hi, lo))
    if lang == "zh":
        s = (f"按{name}看，**{label}**最高的是{hv}（{_value(hi['estimate'], kind)}），"
             f"最低的是{lv}（{_value(lo['estimate'], kind)}）。")
    else:
        s = (f"By {name.lower()}, **{label}** is highest in {hv} ({_value(hi['estimate'], kind)}) and lowest in "
             f"{lv} ({_value(lo['estimate'], kind)}).")
    if differences is not None and len(differences):
        pcol = "p_adj" if "p_adj" in differences else "p_value"
        n_sig = int((differences[pcol] < alpha).sum())
        if lang == "zh":
            s += f"在 {len(differences)} 组两两比较中，{n_sig} 组差异在多重比较校正后显著（α = {alpha}）。"
        else:
            s += (f" Of {len(differences)} pairwise comparisons, {n_sig} remain significant after correction "
                  f"for multiple testing (α = {alpha}).")
    return Text(s)

def differences(
    diff: pd.DataFrame,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    kind: str = "mean",
    alpha: float = 0.05,
    title: str | None = None,
    only_significant: bool = False,
) -> Table | Text:
    """Table of pairwise segment differences (``cx.survey.difference``) with adjusted p values."""
    _check_lang(lang)
    _need_cols(diff, ["by", "level_a", "level_b", "estimate_a", "estimate_b", "estimate", "p_value"], "differences")
    frame = diff.copy()
    seg = str(frame["by"].iloc[0]) if len(frame) else ""
    for c in ("level_a", "level_b"):
        frame[c] = frame[c].map(lambda v: value_label(seg, v, lang=lang, codebook=codebook))
    pcol = "p_adj" if "p_adj" in frame else "p_value"
    frame["sig"] = frame[pcol] < alpha
    if only_significant:
        frame = frame[frame["sig"]]
        if frame.empty:
            seg_label = var_label(seg, lang=lang, codebook=codebook)
            return Text(f"按{seg_label}的两两比较中，没有差异在多重比较校正后达到显著（α = {alpha}）。" if lang == "zh"
                        else f"No pairwise difference by {seg_label.lower()} is significant after correction for "
                             f"multiple testing (α = {alpha}).")
    frame["sig_text"] = frame["sig"].map(lambda b: word("yes" if b else "no", lang))
    vf = _VALUE_FORMATS[kind]
    labels = {"level_a": "A", "level_b": "B", "estimate_a": "A", "estimate_b": "B",
              "estimate": ("差值 (B − A)" if lang == "zh" else "Difference (B − A)"),
              "p_value": word("p_value", lang), "p_adj": word("p_adj", lang),
              "sig_text": word("significant", lang)}
    labels["estimate_a"] = f"{word('estimate', lang)} A"
    labels["estimate_b"] = f"{word('estimate', lang)} B"
    cols = ["level_a", "level_b", "estimate_a", "estimate_b", "estimate", "p_value"] + (["p_adj"] if "p_adj" in frame else []) + ["sig_text"]
    seg_label = var_label(seg, lang=lang, codebook=codebook)
    if title is None:
        title = f"按{seg_label}的两两差异检验" if lang == "zh" else f"Pairwise differences by {seg_label.lower()}"
    notes = [("p 值已做多重比较校正（方法见附录）；“显著”指校正后 p < " if lang == "zh"
              else "p values adjusted for multiple comparisons (method in the appendix); 'significant' means "
                   "adjusted p < ") + f"{alpha}."]
    return table(frame, title=title, name=name, columns=cols, labels=labels,
                 formats={"level_a": "text", "level_b": "text", "estimate_a": vf, "estimate_b": vf,
                          "estimate": "signed2" if kind == "mean" else vf, "p_value": "pvalue",
                          "p_adj": "pvalue", "sig_text": "text"}, notes=notes)
