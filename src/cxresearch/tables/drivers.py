"""Tables and narrative for key driver analysis and its model diagnostics."""

from __future__ import annotations

import pandas as pd

from cxresearch.tables._core import (
    Table,
    Text,
    _check_lang,
    _need_cols,
    fmt_base,
    fmt_int,
    fmt_num,
    fmt_pct,
    mid_sentence,
    table,
    var_label,
    word,
)

__all__ = ["driver_table", "say_drivers", "diagnostics_table"]


def driver_table(result, *, ipa: pd.DataFrame | None = None, name: str, lang: str, codebook=None,
                 min_base: int | None = None, title: str | None = None) -> Table:
    """Driver importance (share of R², interval, rank) with performance and quadrant when given.

    Parameters
    ----------
    result : cxresearch.drivers.DriverResult
        From ``cx.drivers.importance`` (``importance`` frame with ``driver``, ``share``, ``rank`` and,
        with ``ci``, ``ci_lower``/``ci_upper``).
    ipa : DataFrame, optional
        ``cx.drivers.importance_performance`` frame for the same model (adds performance and quadrant).
    """
    _check_lang(lang)
    imp = result.importance.copy()
    _need_cols(imp, ["driver", "share", "rank"], "driver_table")
    imp["label"] = imp["driver"].map(lambda d: var_label(d, lang=lang, codebook=codebook))
    cols = ["label", "share"]
    labels = {"label": "驱动因素" if lang == "zh" else "Driver",
              "share": "重要性（R² 占比）" if lang == "zh" else "Importance (share of R²)",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
              "rank": "排名" if lang == "zh" else "Rank",
              "performance": "表现（均值）" if lang == "zh" else "Performance (mean)",
              "quadrant_label": "象限" if lang == "zh" else "Quadrant"}
    fmts = {"label": "text", "share": "pct1", "ci_lower": "pct1", "ci_upper": "pct1", "rank": "int",
            "performance": "num2", "quadrant_label": "text"}
    if "ci_lower" in imp:
        cols += ["ci_lower", "ci_upper"]
    cols.append("rank")
    if ipa is not None:
        _need_cols(ipa, ["driver", "performance", "quadrant_label"], "driver_table")
        imp = imp.merge(ipa[["driver", "performance", "quadrant_label"]], on="driver", how="left")
        cols += ["performance", "quadrant_label"]
    imp = imp.sort_values("rank").reset_index(drop=True)
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    if title is None:
        title = f"{outcome}的驱动因素重要性" if lang == "zh" else f"Drivers of {mid_sentence(outcome, lang)}: importance"
    weak = result.r2 is not None and result.r2 < 0.10
    notes = [(f"这些因素共解释{outcome}差异的 {fmt_pct(result.r2)}（R² = {fmt_num(result.r2, 2)}）"
              + ("，解释力很弱，排序仅供参考。" if weak else "。") if lang == "zh"
              else f"Together these factors explain {fmt_pct(result.r2)} of the differences in {mid_sentence(outcome, lang)} "
                   f"(R² = {fmt_num(result.r2, 2)})" + ("; a weak model: read the ranking with care." if weak else "."))]
    if getattr(result, "ci", False):
        notes.append("区间为 95% 置信区间（方法见附录）。" if lang == "zh"
                     else "Intervals are 95% confidence intervals (method in the appendix).")
    return table(imp, title=title, name=name, columns=cols, labels=labels, formats=fmts,
                 base=fmt_base(result.n, lang, n_eff=result.n_eff, min_base=min_base), notes=notes)

def say_drivers(result, *, ipa: pd.DataFrame | None = None, lang: str, codebook=None,
                min_base: int | None = None, top: int = 3) -> Text:
    """Narrative on the strongest drivers, the model fit and the priority (concentrate-here) items."""
    _check_lang(lang)
    imp = result.importance.sort_values("rank")
    best = imp.head(top)
    names = [f"{var_label(r.driver, lang=lang, codebook=codebook)}（{fmt_pct(r.share, 1)}）" if lang == "zh"
             else f"{mid_sentence(var_label(r.driver, lang=lang, codebook=codebook), lang)} ({fmt_pct(r.share, 1)})"
             for r in best.itertuples()]
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    covered = best["share"].sum()
    if lang == "zh":
        s = (f"这些驱动因素共解释了{outcome}方差的 **{fmt_pct(result.r2)}**（R² = {fmt_num(result.r2, 2)}，"
             f"n = {fmt_int(result.n)}）。影响最大的是" + "、".join(names) +
             f"，合计占可解释部分的 {fmt_pct(covered)}。")
    else:
        s = (f"Together the drivers explain **{fmt_pct(result.r2)}** of the variance in {mid_sentence(outcome, lang)} "
             f"(R² = {fmt_num(result.r2, 2)}, n = {fmt_int(result.n)}). The strongest are " + ", ".join(names) +
             f", together {fmt_pct(covered)} of what the model explains.")
    if ipa is not None and "quadrant" in ipa:
        focus = ipa[ipa["quadrant"] == "concentrate_here"].sort_values("importance", ascending=False)
        # importance has no sign: a driver that moves against the outcome is no priority to improve
        diag = getattr(result, "diagnostics", None)
        against = set()
        if diag is not None and {"driver", "r", "beta"} <= set(diag.columns):
            against = {d for d, r, b in zip(diag["driver"], diag["r"], diag["beta"], strict=True)
                       if not (r > 0 and b > 0)}
        items = [var_label(d, lang=lang, codebook=codebook) for d in focus["driver"] if d not in against]
        other = [var_label(d, lang=lang, codebook=codebook) for d in focus["driver"] if d in against]
        if items:
            if lang == "zh":
                s += "\n\n重要性高而表现偏低、应**优先改进**的是：" + "、".join(items) + "。"
            else:
                s += ("\n\nHigh in importance but below average in performance — the **priorities for "
                      "improvement** — are: " + ", ".join(mid_sentence(i, lang) for i in items) + ".")
        if other:
            if lang == "zh":
                s += ("\n\n" + "、".join(other) + ("也" if items else "") + "处于“重点改进”象限，但与" + outcome +
                      "的关系为负或方向不一致（相关系数与标准化系数不同为正），提高其评分不会提升" + outcome + "，不列为改进重点。")
            else:
                names = ", ".join(mid_sentence(i, lang) for i in other)
                many = len(other) > 1
                s += (f"\n\n{names[:1].upper() + names[1:]} {'' if not items else 'also '}{'fall' if many else 'falls'} in the "
                      f"concentrate-here quadrant, but {'they move' if many else 'it moves'} against "
                      f"{mid_sentence(outcome, lang)} or in no consistent direction (correlation and standardised "
                      f"coefficient not both positive): a higher rating would not raise {mid_sentence(outcome, lang)}, "
                      f"so {'they are' if many else 'it is'} not listed as {'priorities' if many else 'a priority'}.")
    return Text(s)

def diagnostics_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                      title: str | None = None) -> Table:
    """Driver-model diagnostics: mean, SD, correlation with the outcome, beta and VIF per driver."""
    _check_lang(lang)
    frame = result.diagnostics.copy()
    _need_cols(frame, ["driver", "mean", "sd", "r", "beta", "vif"], "diagnostics_table")
    frame["label"] = frame["driver"].map(lambda d: var_label(d, lang=lang, codebook=codebook))
    frame["high_vif"] = frame["vif"] >= 5
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    if title is None:
        title = f"驱动模型诊断（{outcome}）" if lang == "zh" else f"Driver model diagnostics ({mid_sentence(outcome, lang)})"
    notes = [(f"R² = {fmt_num(result.r2, 3)}；VIF ≥ 5 标红（共线性）。" if lang == "zh"
              else f"R² = {fmt_num(result.r2, 3)}; VIF ≥ 5 flagged (collinearity).")]
    if len(result.dropped):
        dropped = ", ".join(f"{var_label(r.driver, lang=lang, codebook=codebook)} ({r.reason})" for r in result.dropped.itertuples())
        notes.append(("未纳入模型：" if lang == "zh" else "Left out of the model: ") + dropped)
    return table(frame, title=title, name=name, columns=["label", "mean", "sd", "r", "beta", "vif"],
                 labels={"label": "驱动因素" if lang == "zh" else "Driver", "mean": "均值" if lang == "zh" else "Mean",
                         "sd": "标准差" if lang == "zh" else "SD", "r": "与结果的相关 r" if lang == "zh" else "r with outcome",
                         "beta": "标准化系数 β" if lang == "zh" else "Standardised β", "vif": "VIF"},
                 formats={"label": "text", "mean": "num2", "sd": "num2", "r": "num2", "beta": "num3", "vif": "num2"},
                 base=fmt_base(result.n, lang, n_eff=result.n_eff, min_base=min_base), notes=notes,
                 flags={"vif": "high_vif"})
