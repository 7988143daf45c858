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
        imp = imp.merge(ipa[["driver", "performance", "quadrant_label"]], on="driver", how="left")
        cols += ["performance", "quadrant_label"]
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
    """Narrative on the strongest drivers, the model fit and the priority (concentrate-here) items."""
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
    s = word(
        "drivers.summary",
        lang,
        outcome=outcome,
        outcome_lower=mid_sentence(outcome, "en"),
        r2_pct=fmt_pct(result.r2),
        r2=fmt_num(result.r2, 2),
        n=fmt_int(result.n),
        names=sep.join(names),
        covered=fmt_pct(covered),
    )
    if ipa is not None and "quadrant" in ipa:
        focus = ipa[ipa["quadrant"] == "concentrate_here"].sort_values(
            "importance", ascending=False
        )
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


def diagnostics_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Driver-model diagnostics: mean, SD, correlation with the outcome, beta and VIF per driver."""
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
