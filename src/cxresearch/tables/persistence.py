"""Tables and narrative for persistence (lag profiles, horizons, churn runs) and loyalty."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch._i18n import sentences
from cxresearch.errors import CXValueError
from cxresearch.tables._core import (
    Table,
    Text,
    _check_lang,
    _need_cols,
    fmt_base,
    fmt_num,
    fmt_pct,
    p_eq,
    table,
    var_label,
    word,
)

__all__ = ["lag_table", "say_horizon", "hazard_table", "say_hazard", "stage_labels", "ladder_table", "penalty_table", "say_penalty", "band_labels", "retention_table"]


def lag_table(profile, *, name: str, lang: str, codebook=None, min_base: int | None = None,
              title: str | None = None) -> Table:
    """Distributed-lag coefficients (``cx.persistence.lag_profile`` / a horizon's ``profile``)."""
    _check_lang(lang)
    frame = profile.table.copy()
    _need_cols(frame, ["lag", "estimate", "ci_lower", "ci_upper", "p_value"], "lag_table")
    s = profile.settings
    exposure = var_label(s.get("exposure", ""), lang=lang, codebook=codebook)
    outcome = var_label(s.get("outcome", ""), lang=lang, codebook=codebook)
    sig = "significant_positive" if "significant_positive" in frame else None
    if sig:
        neg = (frame["significant_negative"].astype(bool) if "significant_negative" in frame
               else pd.Series(False, index=frame.index))
        pos_word, neg_word = (("正", "负") if lang == "zh" else ("positive", "negative"))
        frame["sig_text"] = [pos_word if p else (neg_word if n else word("no", lang))
                             for p, n in zip(frame[sig].astype(bool), neg, strict=True)]
    if title is None:
        title = (f"{exposure}对{outcome}的滞后效应" if lang == "zh"
                 else f"Effect of {exposure.lower()} on {outcome.lower()} by lag")
    labels = {"lag": "滞后（年）" if lang == "zh" else "Lag (years)", "estimate": "系数" if lang == "zh" else "Coefficient",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
              "p_value": word("p_value", lang), "sig_text": "显著方向" if lang == "zh" else "Significant effect"}
    cols = ["lag", "estimate", "ci_lower", "ci_upper", "p_value"] + (["sig_text"] if sig else [])
    fe = getattr(profile, "method", "pooled") == "within"
    notes = [(("客户固定效应" if fe else "") + f"面板回归，客户聚类标准误；{profile.n_customers:,} 位客户、{profile.n_obs:,} 个客户年。"
              if lang == "zh"
              else ("Panel regression with customer fixed effects" if fe else "Panel regression")
                   + f" and customer-clustered standard errors; {profile.n_customers:,} customers, "
                   f"{profile.n_obs:,} customer-years. Significance: one-sided tests at level "
                   f"{s.get('alpha', 0.05):g}.")]
    return table(frame, title=title, name=name, columns=cols, labels=labels,
                 formats={"lag": "int", "estimate": "num3", "ci_lower": "num3", "ci_upper": "num3",
                          "p_value": "pvalue", "sig_text": "text"}, notes=notes)

def _lags_text(lags, lang: str) -> str:
    return "、".join(str(k) for k in lags) if lang == "zh" else ", ".join(str(k) for k in lags)


def say_horizon(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on how many years an exposure keeps acting (``cx.persistence.horizon``).

    Reads H, its interval and the lag-0 coefficient from the primary (surviving) estimator; says
    "no significantly positive effect" for H = 0 and names significantly *negative* lags as negative
    effects (never as an effect that keeps acting); states which estimator the Mundlak test left
    standing (the rejected pooled horizon is not quoted) and flags feedback when the check found it.
    """
    _check_lang(lang)
    est = result.primary
    s = est.profile.settings
    exposure = var_label(s.get("exposure", ""), lang=lang, codebook=codebook)
    outcome = var_label(s.get("outcome", ""), lang=lang, codebook=codebook)
    h = int(est.h)
    has_ci = not (np.isnan(est.ci_lower) or np.isnan(est.ci_upper))
    ci = ("" if not has_ci else f"{int(est.ci_lower)}–{int(est.ci_upper)}" if est.ci_lower != est.ci_upper
          else f"{int(est.ci_lower)}")
    table_ = est.profile.table
    lag0 = table_.loc[table_["lag"] == 0, "estimate"]
    negative = [int(k) for k in getattr(est, "negative_lags", ())]
    if "significant_negative" in table_ and not negative:
        negative = [int(k) for k in table_.loc[table_["significant_negative"].astype(bool), "lag"]]
    if lang == "zh":
        if h > 0:
            txt = (f"**{exposure}**对**{outcome}**的正向影响可持续 **{h} 年**" + ("以上" if est.censored else "")
                   + (f"（bootstrap 区间 {ci} 年）" if has_ci else "") + "：")
            txt += (f"当年{exposure}每高 1 分，{outcome}高 {fmt_num(lag0.iloc[0], 2)} 分；" if len(lag0) else "")
            txt += f"其后 {max(h - 1, 0)} 年的滞后效应依然显著为正。"
        else:
            txt = (f"**{exposure}**对**{outcome}**没有显著为正的影响，当年也没有"
                   + (f"（bootstrap 区间 {ci} 年）" if has_ci else "") + "。")
        if negative:
            lag_words = "、".join("当年" if k == 0 else f"{k} 年前" for k in negative)
            txt += f"{lag_words}的{exposure}对{outcome}有**显著为负**的影响（负向效应，不计入持续期）。"
    else:
        if h > 0:
            txt = (f"**{exposure}** keeps acting on **{outcome.lower()}** for **{h} year{'s' if h != 1 else ''}**"
                   + (" or more" if est.censored else ""))
            if has_ci:
                txt += (f" (bootstrap interval {int(est.ci_lower)} to {int(est.ci_upper)} years): "
                        if est.ci_lower != est.ci_upper else
                        f" (bootstrap interval: {int(est.ci_lower)} year{'s' if int(est.ci_lower) != 1 else ''} "
                        "at both ends): ")
            else:
                txt += ": "
            txt += (f"one point more in the current year goes with {fmt_num(lag0.iloc[0], 2)} points more "
                    f"{outcome.lower()}, " if len(lag0) else "")
            further = max(h - 1, 0)
            txt += (f"and the effect stays significantly positive for {further} further "
                    f"year{'s' if further != 1 else ''}." if further
                    else "and no later year adds a significantly positive effect.")
        else:
            txt = (f"**{exposure}** has no significantly positive effect on **{outcome.lower()}**, not even in the "
                   "current year" + (f" (bootstrap interval {ci})" if has_ci else "") + ".")
        if negative:
            which = ", ".join("in the current year" if k == 0 else f"{k} year{'s' if k != 1 else ''} earlier"
                              for k in negative)
            txt += (f" {exposure} {which} has a **significantly negative** effect on {outcome.lower()} "
                    f"(lag{'s' if len(negative) > 1 else ''} {_lags_text(negative, lang)}: a negative effect, "
                    "not counted in the horizon).")
    test = getattr(result, "test", None)
    rob = getattr(result, "robustness", None)
    rejected = bool(test is not None and test.reject)
    if test is not None and est.method == "within" and rejected:
        if lang == "zh":
            txt += (f"\n\n客户之间存在与其满意度水平相关的稳定差异（Mundlak 检验 {p_eq(test.p_value)}），"
                    "混合回归会把这种差异误当作持续效应，因此持续期只用每位客户自身的逐年变化（固定效应）估计。")
        else:
            txt += (f"\n\nCustomers differ in stable ways that go with their satisfaction level (Mundlak test "
                    f"{p_eq(test.p_value)}); a pooled regression would mistake those differences for persistence, "
                    "so the horizon is estimated from changes within each customer only (fixed effects).")
    elif test is not None and est.method == "pooled" and not rejected:
        same = rob is not None and int(rob.h) == h
        if lang == "zh":
            txt += f"\n\n混合回归通过了对客户固定效应的检验（Mundlak 检验 {p_eq(test.p_value)}）"
            if rob is not None:
                txt += (f"；仅用客户自身变化（固定效应）估计的持续期为 {int(rob.h)} 年，"
                        + ("结论一致。" if same else "结论对估计方法敏感，应谨慎解读。"))
            else:
                txt += "。"
        else:
            txt += f"\n\nThe pooled regression passes the test against customer fixed effects (Mundlak test {p_eq(test.p_value)})"
            if rob is not None:
                unit = "year" if int(rob.h) == 1 else "years"
                txt += (f"; estimated from within-customer changes only the horizon is {int(rob.h)} {unit}"
                        + (": the same conclusion." if same else ": the conclusion depends on the estimator; read with care."))
            else:
                txt += "."
    elif test is not None and est.method == "pooled" and rejected:
        txt += ("\n\n注意：Mundlak 检验拒绝了混合回归（" + p_eq(test.p_value) + "），此持续期可能偏长。" if lang == "zh"
                else f"\n\nNote: the Mundlak test rejects the pooled regression ({p_eq(test.p_value)}); this horizon may run long.")
    elif rob is not None and hasattr(rob, "h"):  # results made before the test existed
        same = int(rob.h) == h
        if lang == "zh":
            txt += f"\n\n只看每位客户自身逐年变化时，持续期为 {int(rob.h)} 年，" + ("结论一致。" if same else "结论对估计方法敏感，应谨慎解读。")
        else:
            unit = "year" if int(rob.h) == 1 else "years"
            txt += (f"\n\nLooking only at how each customer changes from year to year, the horizon is {int(rob.h)} {unit}"
                    + (": the same conclusion." if same else ": the conclusion depends on the estimator; read with care."))
    fb = getattr(result, "feedback", None)
    if fb is not None and len(fb) and bool(fb["significant"].iloc[0]):
        pf = p_eq(float(fb["p_value"].iloc[0]))
        txt += (f"另外，{outcome}似乎反过来影响次年的{exposure}（反馈检验 {pf}），持续期应谨慎解读。" if lang == "zh"
                else f" {outcome} also seems to feed back into next year's {exposure.lower()} (feedback check {pf}); "
                     "read the horizon with care.")
    return Text(txt)

def hazard_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                 title: str | None = None) -> Table:
    """Churn rate by length of the dissatisfied run (``cx.persistence.churn_hazard(...).rates``)."""
    _check_lang(lang)
    rates = result.rates.copy()
    _need_cols(rates, ["run_length", "person_years", "events", "hazard"], "hazard_table")
    ors = result.table.set_index("term")["odds_ratio"] if "odds_ratio" in result.table else None
    rates["odds_ratio"] = [float(ors.get(f"run_{r}", float("nan"))) if ors is not None else float("nan")
                           for r in rates["run_length"].astype(str)]
    rates["run_text"] = rates["run_length"].astype(str)
    labels = {"run_text": "连续不满意年数" if lang == "zh" else "Consecutive dissatisfied years",
              "person_years": "客户年" if lang == "zh" else "Customer-years",
              "events": "流失数" if lang == "zh" else "Churned",
              "hazard": "流失率" if lang == "zh" else "Churn rate",
              "odds_ratio": "优势比（对 0 年）" if lang == "zh" else "Odds ratio (vs 0 years)"}
    if title is None:
        title = "连续不满意与客户流失" if lang == "zh" else "Runs of dissatisfaction and churn"
    cut = result.settings.get("cut")
    notes = [(f"不满意：总体满意度 ≤ {cut}。优势比来自离散时间风险模型，控制当年满意度。" if lang == "zh"
              else f"Dissatisfied: overall satisfaction ≤ {cut}. Odds ratios from a discrete-time hazard model "
                   "that also controls for the current score.")]
    return table(rates, title=title, name=name,
                 columns=["run_text", "person_years", "events", "hazard", "odds_ratio"], labels=labels,
                 formats={"run_text": "text", "person_years": "int", "events": "int", "hazard": "pct1",
                          "odds_ratio": "num2"}, notes=notes)

def say_hazard(result, *, lang: str, codebook=None, min_base: int | None = None, alpha: float | None = None) -> Text:
    """Narrative: churn rate of customers never dissatisfied vs after the longest runs.

    Says that the risk rises with the length of dissatisfaction only when the run-length test
    supports it (:func:`cxresearch.findings.hazard_findings`: a Cochran–Armitage trend test and the
    model's odds ratio for the longest run above 1); otherwise says the data do not show it.
    """
    from cxresearch import findings

    _check_lang(lang)
    rates = result.rates.reset_index(drop=True)
    lo, hi = rates.iloc[0], rates.iloc[-1]
    ratio = hi["hazard"] / lo["hazard"] if lo["hazard"] else float("nan")
    rises = bool(findings.hazard_findings(result, chapter="", exhibit="", alpha=alpha))
    if lang == "zh":
        s = (f"当年未处于不满意状态的客户，年流失率为 {fmt_pct(lo['hazard'], 1)}；连续 {hi['run_length']} 年不满意的客户，"
             f"年流失率为 **{fmt_pct(hi['hazard'], 1)}**，约为前者的 {fmt_num(ratio, 1)} 倍。")
        s += ("不满意持续越久，流失风险越高（趋势检验显著）。" if rises else
              "数据并未显示流失风险随不满意年数显著上升，不能据此认为不满意持续越久风险越高。")
    else:
        s = (f"Customers not in a dissatisfied spell churn at {fmt_pct(lo['hazard'], 1)} a year; after "
             f"{hi['run_length']} consecutive dissatisfied years the rate is **{fmt_pct(hi['hazard'], 1)}**, about "
             f"{fmt_num(ratio, 1)} times as high.")
        s += (" The longer dissatisfaction lasts, the higher the risk of losing the customer (the trend test is "
              "significant)." if rises else
              " The data do not show the risk rising with the length of dissatisfaction: the trend is not "
              "statistically significant.")
    return Text(s)

#: Loyalty-ladder stages in ladder order (their names: catalog entries ``stage.<code>``).
_STAGES = ("prospect", "target", "first_time", "repeat", "loyal", "advocate", "churned")

def stage_labels(lang: str) -> dict[str, str]:
    """Loyalty-ladder stage names in ``lang``."""
    _check_lang(lang)
    return {k: word(f"stage.{k}", lang) for k in _STAGES}

def ladder_table(shares: pd.DataFrame, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                 waves: Sequence[int] | None = None, title: str | None = None) -> Table:
    """Loyalty-ladder stage shares per year (``cx.loyalty.stage_shares``), years as columns."""
    _check_lang(lang)
    _need_cols(shares, ["year", "stage", "share"], "ladder_table")
    data = shares if waves is None else shares[shares["year"].isin(list(waves))]
    wide = data.pivot_table(index="stage", columns="year", values="share", aggfunc="sum", observed=False)
    order = [s for s in _STAGES if s in wide.index]
    wide = wide.loc[order].reset_index()
    wide["stage"] = wide["stage"].map(stage_labels(lang))
    years = [c for c in wide.columns if c != "stage"]
    wide.columns = ["stage"] + [str(int(y)) for y in years]
    if title is None:
        title = word("loyalty.ladder_title", lang)
    totals = data.groupby("year")["n"].sum() if "n" in data else None
    base = None if totals is None else fmt_base(totals.iloc[-1], lang)
    return table(wide, title=title, name=name, labels={"stage": word("loyalty.stage", lang)},
                 formats={"stage": "text", **{c: "pct0" for c in wide.columns[1:]}}, base=base)

def penalty_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                  title: str | None = None) -> Table:
    """Loss per department transfer (``cx.loyalty.transfer_penalty``)."""
    _check_lang(lang)
    frame = result.table.copy()
    _need_cols(frame, ["measure", "estimate", "ci_lower", "ci_upper", "p_value", "n"], "penalty_table")
    frame["measure_text"] = frame["measure"].map(
        {m: word(f"loyalty.measure.{m}", lang) for m in ("loyalty", "promoter")}).fillna(frame["measure"])
    labels = {"measure_text": word("loyalty.measure", lang),
              "estimate": word("loyalty.loss_per_transfer", lang),
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
              "p_value": word("p_value", lang), "n": word("n", lang)}
    if title is None:
        title = word("loyalty.penalty_title", lang)
    return table(frame, title=title, name=name, columns=["measure_text", "estimate", "ci_lower", "ci_upper", "p_value", "n"],
                 labels=labels, formats={"measure_text": "text", "estimate": "pct1", "ci_lower": "pct1",
                                         "ci_upper": "pct1", "p_value": "pvalue", "n": "int"},
                 notes=[word("loyalty.penalty_note", lang)])

def say_penalty(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on the loyalty cost of each transfer."""
    _check_lang(lang)
    t = result.table.set_index("measure")
    if "loyalty" not in t.index:
        raise CXValueError("say_penalty: the result has no 'loyalty' measure")
    row = t.loc["loyalty"]
    ci = f"{fmt_pct(row['ci_lower'], 1)}–{fmt_pct(row['ci_upper'], 1)}"
    conf = f"{round(100 * (1 - float(result.settings.get('alpha', 0.05))))}%"
    parts = [word("loyalty.penalty_summary", lang, estimate=fmt_pct(row["estimate"], 1), conf=conf, ci=ci)]
    if "promoter" in t.index:
        parts.append(word("loyalty.penalty_promoter", lang, estimate=fmt_pct(t.loc["promoter", "estimate"], 0)))
    return Text(sentences(parts, lang))

def band_labels(result, *, score: str, lang: str, codebook=None, min_base: int | None = None) -> dict[str, str]:
    """Legend texts for satisfaction bands (``'0-5'`` -> ``'Overall satisfaction 0–5'``)."""
    _check_lang(lang)
    name = var_label(score, lang=lang, codebook=codebook)
    return {b: f"{name} {str(b).replace('-', '–')}" for b in result.bands["band"]}

def retention_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                    title: str | None = None) -> Table:
    """Retention summary by satisfaction band (``cx.loyalty.retention_curves(...).bands``)."""
    _check_lang(lang)
    frame = result.bands.copy()
    _need_cols(frame, ["band", "n", "events", "median_years"], "retention_table")
    frame["median_years"] = frame["median_years"].replace([np.inf], np.nan)
    labels = {"band": word("loyalty.baseline_sat", lang), "n": word("n", lang),
              "events": word("loyalty.churned", lang), "median_years": word("loyalty.median_years", lang)}
    lr = result.logrank
    note = ""
    if lr is not None and len(lr):
        p = lr["p_value"].iloc[0]
        note = word("loyalty.logrank_note", lang, p=p_eq(p))
    if title is None:
        title = word("loyalty.retention_title", lang)
    return table(frame, title=title, name=name, columns=["band", "n", "events", "median_years"], labels=labels,
                 formats={"band": "text", "n": "int", "events": "int", "median_years": "num0"},
                 notes=[note] if note else [])
