"""Tables and narrative for key driver analysis and its model diagnostics."""

from __future__ import annotations

import pandas as pd

from cxresearch.findings.analyses import model_f_test
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
    p_eq,
    table,
    var_label,
    word,
)

__all__ = ["driver_table", "say_drivers", "diagnostics_table"]


def driver_table(
    result,
    *,
    ipa: pd.DataFrame | None = None,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Driver importance (share of R², interval, rank) with performance and quadrant when given.

    Parameters
    ----------
    result : cxresearch.drivers.DriverResult
        From ``cx.drivers.importance`` (``importance`` frame with ``driver``, ``share``, ``rank``
        and, with ``ci``, ``ci_lower``/``ci_upper``).
    ipa : DataFrame, optional
        ``cx.drivers.importance_performance`` frame for the same model (adds performance and
        quadrant).

    Examples
    --------
    Drivers of overall satisfaction in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    >>> res = cx.drivers.importance(wave, outcome="overall_sat", drivers=drivers, weights="weight")
    >>> ipa = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers,
    ...                                         weights="weight", codebook=cb, lang="en")
    >>> t = cx.tables.driver_table(res, ipa=ipa, name="drivers", lang="en", codebook=cb)
    >>> t.title, t.base
    ('Drivers of overall satisfaction: importance', 'Base: n = 295 (effective n = 292)')
    >>> t.data[["label", "share", "rank", "performance", "quadrant_label"]].round(3)
                           label  share  rank  performance         quadrant_label
    0  Responsiveness of service  0.298   1.0        3.330       Concentrate here
    1            Product quality  0.290   2.0        3.778  Keep up the good work
    2            Value for money  0.238   3.0        3.258           Low priority
    3  Ease of the sales channel  0.174   4.0        3.762      Possible overkill
    >>> print(t.notes[0])
    Together these factors explain 64% of the differences in overall satisfaction (R² = 0.64).
    >>> zh = cx.tables.driver_table(res, name="drivers", lang="zh", codebook=cb)
    >>> zh.title, zh.base
    ('总体满意度的驱动因素重要性', '基数：n = 295（有效样本量 = 292）')
    >>> zh.data["label"].tolist(), [zh.labels[c] for c in ("label", "share", "rank")]
    (['服务响应速度', '产品质量', '价格合理性', '购买渠道便利'], ['驱动因素', '重要性（R² 占比）', '排名'])
    """
    _check_lang(lang)
    imp = result.importance.copy()
    _need_cols(imp, ["driver", "share", "rank"], "driver_table")
    imp["label"] = imp["driver"].map(lambda d: var_label(d, lang=lang, codebook=codebook))
    cols = ["label", "share"]
    labels = {
        "label": word("drivers.driver", lang),
        "share": word("drivers.share", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
        "rank": word("drivers.rank", lang),
        "performance": word("drivers.performance", lang),
        "quadrant_label": word("drivers.quadrant", lang),
    }
    fmts = {
        "label": "text",
        "share": "pct1",
        "ci_lower": "pct1",
        "ci_upper": "pct1",
        "rank": "int",
        "performance": "num2",
        "quadrant_label": "text",
    }
    if "ci_lower" in imp:
        cols += ["ci_lower", "ci_upper"]
    cols.append("rank")
    if ipa is not None:
        _need_cols(ipa, ["driver", "performance", "quadrant_label"], "driver_table")
        quad = ipa[["driver", "performance", "quadrant_label"]]
        if "quadrant" in ipa:  # in the table's language, whatever ``lang`` the ipa was given
            quad = quad.assign(
                quadrant_label=[
                    word(f"ipa.{q}", lang) if isinstance(q, str) else label
                    for q, label in zip(ipa["quadrant"], ipa["quadrant_label"], strict=True)
                ]
            )
        imp = imp.merge(quad, on="driver", how="left")
        cols += ["performance", "quadrant_label"]
        _, p_model = model_f_test(result.r2, n=result.n_eff, k=len(result.drivers))
        if p_model is not None and p_model >= float(getattr(result, "alpha", 0.05)):
            cols.remove("quadrant_label")  # no driver found: no quadrant advice (keep up, focus)
        if "performance_unit" in ipa and (ipa["performance_unit"] == "pomp").any():
            labels["performance"] = word("drivers.performance_pomp", lang)
            fmts["performance"] = "pct0"
    imp = imp.sort_values("rank").reset_index(drop=True)
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    if title is None:
        title = word(
            "drivers.importance_title",
            lang,
            outcome=outcome,
            outcome_lower=mid_sentence(outcome, "en"),
        )
    weak = result.r2 is not None and result.r2 < 0.10
    notes = [
        word(
            "drivers.r2_note_weak" if weak else "drivers.r2_note",
            lang,
            outcome=outcome,
            outcome_lower=mid_sentence(outcome, "en"),
            r2_pct=fmt_pct(result.r2),
            r2=fmt_num(result.r2, 2),
        )
    ]
    if getattr(result, "ci", False):
        notes.append(word("drivers.ci_note", lang))
    return table(
        imp,
        title=title,
        name=name,
        columns=cols,
        labels=labels,
        formats=fmts,
        base=fmt_base(result.n, lang, n_eff=result.n_eff, min_base=min_base),
        notes=notes,
    )


def say_drivers(
    result,
    *,
    ipa: pd.DataFrame | None = None,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    top: int = 3,
) -> Text:
    """Narrative on the strongest drivers, the model fit and the priority items: those of the
    concentrate-here quadrant whose share is above the average share (bootstrap interval, from
    ``importance(..., ci=True)``) and whose performance is below the drivers' average by the
    paired test of ``ipa`` — no priority is named without both tests.

    Examples
    --------
    Drivers of overall satisfaction in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    >>> res = cx.drivers.importance(wave, outcome="overall_sat", drivers=drivers, weights="weight",
    ...                             ci=True, n_boot=200, seed=1)
    >>> for lang in ("en", "zh"):
    ...     ipa = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers,
    ...                                             weights="weight", codebook=cb, lang=lang)
    ...     print(cx.tables.say_drivers(res, ipa=ipa, lang=lang, codebook=cb, top=2))
    Together the drivers explain **64%** of the variance in overall satisfaction (R² = 0.64, n =
    295). The strongest are responsiveness of service (29.8%), product quality (29.0%), together
    59% of what the model explains.
    这些驱动因素共解释了总体满意度方差的 **64%**（R² = 0.64，n = 295）。影响最大的是服务响应速度（29.8%）、产品质量（29.0%），合计占可解释部分的 59%。

    Responsiveness of service lies in the concentrate-here quadrant and is rated below the
    drivers' average beyond doubt, but its share's interval reaches below the average share (25%),
    so it is not named a priority:

    >>> imp = res.importance.set_index("driver").loc["svc_responsiveness"]
    >>> row = ipa.set_index("driver").loc["svc_responsiveness"]
    >>> row["quadrant"], bool(row["gap_ci_upper"] < 0), bool(imp["ci_lower"] > 0.25)
    ('concentrate_here', True, False)
    """
    _check_lang(lang)
    imp = result.importance.sort_values("rank")
    best = imp.head(top)
    sep = word("list_separator", lang)
    labels = [var_label(r.driver, lang=lang, codebook=codebook) for r in best.itertuples()]
    names = [
        word(
            "drivers.name_share",
            lang,
            label=label,
            label_lower=mid_sentence(label, "en"),
            share=fmt_pct(r.share, 1),
        )
        for label, r in zip(labels, best.itertuples(), strict=True)
    ]
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    covered = best["share"].sum()
    fit = dict(
        outcome=outcome,
        outcome_lower=mid_sentence(outcome, "en"),
        r2_pct=fmt_pct(result.r2),
        r2=fmt_num(result.r2, 2),
        n=fmt_int(result.n),
    )
    _, p_model = model_f_test(result.r2, n=result.n_eff, k=len(result.drivers))
    if p_model is not None and p_model >= float(getattr(result, "alpha", 0.05)):
        # an R² its F test does not tell from 0: no driver is "strongest", no priority is drawn
        return Text(word("drivers.summary_null", lang, **fit, p=p_eq(p_model)))
    s = word("drivers.summary", lang, **fit, names=sep.join(names), covered=fmt_pct(covered))
    if ipa is not None and "quadrant" in ipa:
        focus = _tested_priorities(result, ipa).sort_values("importance", ascending=False)
        # importance has no sign: a driver that moves against the outcome is no priority to improve
        diag = getattr(result, "diagnostics", None)
        against = set()
        if diag is not None and {"driver", "r", "beta"} <= set(diag.columns):
            against = {
                d
                for d, r, b in zip(diag["driver"], diag["r"], diag["beta"], strict=True)
                if not (r > 0 and b > 0)
            }
        items = [
            var_label(d, lang=lang, codebook=codebook) for d in focus["driver"] if d not in against
        ]
        other = [
            var_label(d, lang=lang, codebook=codebook) for d in focus["driver"] if d in against
        ]
        if items:
            s += "\n\n" + word(
                "drivers.priorities",
                lang,
                items=sep.join(items),
                items_lower=sep.join(mid_sentence(i, "en") for i in items),
            )
        if other:
            key = (
                "drivers.against_"
                + ("many" if len(other) > 1 else "one")
                + ("_also" if items else "")
            )
            lower = sep.join(mid_sentence(i, "en") for i in other)
            s += "\n\n" + word(
                key,
                lang,
                items=sep.join(other),
                items_lower=lower[:1].upper() + lower[1:],
                outcome=outcome,
                outcome_lower=mid_sentence(outcome, "en"),
            )
    return Text(s)


def _tested_priorities(result, ipa: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``ipa`` in the concentrate-here quadrant that the tests support: a share whose
    interval lies above the average share and a performance below the drivers' average by the
    paired test (``gap_ci_upper < 0``), as :func:`cxresearch.findings.driver_findings` requires;
    none when either test is missing (no intervals, a median cut)."""
    imp = result.importance.set_index("driver")
    if "ci_lower" not in imp or "gap_ci_upper" not in ipa or not len(imp):
        return ipa.iloc[0:0]
    lower = ipa["driver"].map(imp["ci_lower"]).astype(float)
    keep = (
        (ipa["quadrant"] == "concentrate_here")
        & (lower > 1.0 / len(imp))
        & (ipa["gap_ci_upper"].astype(float) < 0)
    )
    return ipa[keep.to_numpy()]


def diagnostics_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Driver-model diagnostics: mean, SD, correlation with the outcome, beta and VIF per driver.

    Examples
    --------
    Drivers of overall satisfaction in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    >>> res = cx.drivers.importance(wave, outcome="overall_sat", drivers=drivers, weights="weight")
    >>> t = cx.tables.diagnostics_table(res, name="driver_model", lang="en", codebook=cb)
    >>> t.title
    'Driver model diagnostics (overall satisfaction)'
    >>> print(t.notes[0])
    R² = 0.640; VIF ≥ 5 flagged (collinearity).
    >>> t.data[["label", "mean", "sd", "r", "beta", "vif"]].round(3)
                           label   mean     sd      r   beta    vif
    0            Product quality  3.778  0.970  0.617  0.309  1.368
    1            Value for money  3.258  0.939  0.571  0.262  1.311
    2  Ease of the sales channel  3.762  0.930  0.510  0.196  1.260
    3  Responsiveness of service  3.330  0.973  0.615  0.326  1.324
    >>> zh = cx.tables.diagnostics_table(res, name="driver_model", lang="zh", codebook=cb)
    >>> zh.title, zh.notes, zh.labels["r"], zh.labels["beta"]
    ('驱动模型诊断（总体满意度）', ('R² = 0.640；VIF ≥ 5 标红（共线性）。',), '与结果的相关 r', '标准化系数 β')
    """
    _check_lang(lang)
    frame = result.diagnostics.copy()
    _need_cols(frame, ["driver", "mean", "sd", "r", "beta", "vif"], "diagnostics_table")
    frame["label"] = frame["driver"].map(lambda d: var_label(d, lang=lang, codebook=codebook))
    frame["high_vif"] = frame["vif"] >= 5
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    if title is None:
        title = word(
            "drivers.diagnostics_title",
            lang,
            outcome=outcome,
            outcome_lower=mid_sentence(outcome, "en"),
        )
    notes = [word("drivers.diagnostics_note", lang, r2=fmt_num(result.r2, 3))]
    if len(result.dropped):
        dropped = ", ".join(
            f"{var_label(r.driver, lang=lang, codebook=codebook)} ({r.reason})"
            for r in result.dropped.itertuples()
        )
        notes.append(word("drivers.dropped_note", lang, dropped=dropped))
    return table(
        frame,
        title=title,
        name=name,
        columns=["label", "mean", "sd", "r", "beta", "vif"],
        labels={
            "label": word("drivers.driver", lang),
            "mean": word("drivers.mean", lang),
            "sd": word("drivers.sd", lang),
            "r": word("drivers.r", lang),
            "beta": word("drivers.beta", lang),
            "vif": "VIF",
        },
        formats={
            "label": "text",
            "mean": "num2",
            "sd": "num2",
            "r": "num2",
            "beta": "num3",
            "vif": "num2",
        },
        base=fmt_base(result.n, lang, n_eff=result.n_eff, min_base=min_base),
        notes=notes,
        flags={"vif": "high_vif"},
    )
