"""Tables and narrative for alerts (counts only), comment themes and quotes, employee engagement."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cxresearch._i18n import known, sentences
from cxresearch.errors import CXValueError
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
    mid_sentence,
    p_eq,
    table,
    value_label,
    var_label,
    verbatims,
    word,
)

__all__ = [
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
]


def _coded(prefix: str, code, lang: str):
    """The catalog entry ``prefix + code`` in ``lang`` (a group or period of a table …); the code
    itself when the catalog has none."""
    key = f"{prefix}{code}"
    return word(key, lang) if known(key) else code


def _short_rule(rule, lang: str):
    """The short name of a package alert rule (catalog ``alert.rule.<name>``); ``None`` for others."""
    key = f"alert.rule.{rule}"
    return word(key, lang) if known(key) else None


def alert_table(
    counts: pd.DataFrame,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    by: str = "branch",
    title: str | None = None,
) -> Table:
    """Alert counts by rule (rows) and segment (columns) from ``cx.alerts.alert_counts``.

    Counts only: the case list itself (who to call) is never part of a client report.

    Examples
    --------
    The demo study's alerts of its last wave, counted by rule and branch (the default rules:
    very low satisfaction, a sharp drop, a high-value detractor, a complaint in the comment):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cases = cx.alerts.alert_cases(study.responses, rules=cx.alerts.DEFAULT_RULES,
    ...                               customers=study.customers, current=2017, score="overall_sat")
    >>> counts = cx.alerts.alert_counts(cases, by="branch", anonymity_min=5)
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.alert_table(counts, name="alerts", by="branch", lang="en", codebook=book)
    >>> tab.data[["rule", "Beijing", "Shanghai", "Guangzhou", "Total"]]
    branch                        rule  Beijing  Shanghai  Guangzhou  Total
    0             Complaint in comment        9         9         11     43
    1             High-value detractor        5         7          5     23
    2            Very low satisfaction        3         4          2     25
    3       Sharp drop in satisfaction        2         4          3     19
    >>> tab.notes
    ('The case list itself is routed to the owners for follow-up and is not part of this report.',)
    """
    _check_lang(lang)
    _need_cols(counts, [by, "rule", "n"], "alert_table")
    suppressed = bool(
        counts["n"].isna().any()
    )  # alert_counts(anonymity_min=...) blanked small branches
    wide = counts.pivot_table(index="rule", columns=by, values="n", aggfunc="sum", fill_value=0)
    if suppressed:  # pivot_table sums NaN to 0: put the blanks back
        for (rule, b), n in counts.set_index(["rule", by])["n"].items():
            if pd.isna(n) and rule in wide.index and b in wide.columns:
                wide.loc[rule, b] = np.nan
    else:  # with a cell suppressed the total would give it away (total minus the cells shown)
        wide[word("total", lang)] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["rule"] = wide["rule"].map(lambda r: _short_rule(r, lang) or r)
    rename = {
        c: value_label(by, c, lang=lang, codebook=codebook)
        for c in wide.columns
        if c not in ("rule", word("total", lang))
    }
    wide = wide.rename(columns=rename)
    cols = list(wide.columns)
    if title is None:
        title = word("alert.counts_title", lang)
    return table(
        wide,
        title=title,
        name=name,
        columns=cols,
        labels={"rule": word("alert.rule", lang)},
        formats={"rule": "text", **{c: "int" for c in cols[1:]}},
        notes=[word("alert.case_list_note", lang)]
        + ([word("alert.suppressed_note", lang)] if suppressed else []),
    )


def say_alerts(
    cases, counts: pd.DataFrame, *, lang: str, codebook=None, min_base: int | None = None
) -> Text:
    """Narrative: customers flagged in the current wave and the most frequent rule.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cases = cx.alerts.alert_cases(study.responses, rules=cx.alerts.DEFAULT_RULES,
    ...                               customers=study.customers, current=2017, score="overall_sat")
    >>> counts = cx.alerts.alert_counts(cases, by="branch")
    >>> print(cx.tables.say_alerts(cases, counts, lang="en"))
    In 2017, **84** respondents triggered an alert (28% of those surveyed); the most frequent reason
    was 'complaint in comment' (43 times).
    """
    _check_lang(lang)
    n_cases = len(cases.cases)
    base = cases.base["n_responses"].sum() if isinstance(cases.base, pd.DataFrame) else cases.base
    by_rule = counts.groupby("rule")["n"].sum().sort_values(ascending=False)
    top = by_rule.index[0] if len(by_rule) else None
    top_label = (_short_rule(top, lang) or top) if top else ""
    share = n_cases / base if base else float("nan")
    return Text(
        word(
            "alert.summary",
            lang,
            wave=cases.wave,
            n=fmt_int(n_cases),
            share=fmt_pct(share),
            top=top_label,
            top_lower=top_label.lower(),
            top_n=fmt_int(by_rule.iloc[0]),
        )
    )


def _rule_label(rule, lang: str, *, codebook=None, codeframe=None, definition: bool = True) -> str:
    """A rule's name in ``lang``: its short label (as in :func:`alert_table`), followed by its
    definition (``AlertRule.describe``, score and themes shown by their labels) when ``definition``;
    rules without a short label are named by their definition."""
    short = _short_rule(rule.name, lang)
    if short is not None and not definition:
        return short
    shown = dataclasses.replace(
        rule,
        score=mid_sentence(var_label(rule.score, lang=lang, codebook=codebook), lang)
        if rule.score
        else rule.score,
        themes=tuple(mid_sentence(_theme_label(t, codeframe, lang), lang) for t in rule.themes),
    )
    text = shown.describe(lang)
    if short is None:
        return text
    return word("alert.rule_with_definition", lang, label=short, definition=text)


def _backtest_rows(result, where: str) -> pd.DataFrame:
    """The pooled rows (``wave == "all"``) of a back-test, one per rule then ``any``."""
    frame = getattr(result, "frame", None)
    _need_cols(
        frame,
        [
            "rule",
            "wave",
            "n",
            "n_churned",
            "base_rate",
            "n_alerts",
            "precision",
            "recall",
            "lift",
            "lift_ci_lower",
            "lift_ci_upper",
        ],
        where,
    )
    pooled = frame[frame["wave"].astype(str) == "all"]
    order = [r.name for r in result.rules] + ["any"]
    pooled = pooled.set_index("rule").reindex([r for r in order if r in set(pooled["rule"])])
    if pooled.empty:
        raise CXValueError(f"{where}: the back-test has no pooled rows (wave == 'all')")
    return pooled.reset_index()


def _conf(alpha: float) -> str:
    """Confidence level of an interval at ``alpha``: ``'95%'``, ``'97.5%'``."""
    return f"{100 * (1 - float(alpha)):g}%"


def _outcome_when(offset: int, lang: str) -> str:
    if offset == 0:
        return word("alert.lost_same_year", lang)
    if offset == 1:
        return word("alert.lost_next_year", lang)
    return word("alert.lost_after_years", lang, offset=offset)


def _and(names, lang: str) -> str:
    """Quoted rule names as a list in running text: ``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``
    (``“a”、“b”`` in Chinese)."""
    quoted = [word("alert.quoted", lang, name=n) for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return word(
        "list_and", lang, items=word("list_separator", lang).join(quoted[:-1]), last=quoted[-1]
    )


def _waves_text(waves, lang: str) -> str:
    ws = sorted(int(w) for w in waves)
    span = f"{ws[0]}" if len(ws) == 1 else f"{ws[0]}–{ws[-1]}"
    return word("alert.waves_span", lang, span=span)


def _no_history(result) -> bool:
    """True for the empty back-test of ``backtest(..., if_no_history="empty")`` (no earlier wave)."""
    return getattr(result, "no_history", None) is not None


def backtest_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    codeframe=None,
    title: str | None = None,
) -> Table | None:
    """How well each alert rule predicted churn in earlier waves (``cx.alerts.backtest``), pooled
    over the replayed waves: alerts fired, precision, recall and lift with its interval.

    One row per rule, then "any rule". Counts and rates only — no customer is named. Alert counts
    below ``min_base`` are flagged: their precision and lift rest on few customers.

    Returns ``None`` (no table shown, no sheet in ``tables.xlsx``) for the empty result of
    ``backtest(..., if_no_history="empty")``; :func:`say_backtest` then says why.

    Raises
    ------
    CXValueError
        ``result`` has no back-test frame with the pooled (``wave == "all"``) rows.

    Examples
    --------
    The default alert rules replayed on the demo study's earlier waves and compared with the churn
    the CRM recorded:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> codeframe = cx.text.default_codeframe()
    >>> res = cx.alerts.backtest(study.responses, study.customers, rules=cx.alerts.DEFAULT_RULES,
    ...                          codeframe=codeframe, seed=1)
    >>> tab = cx.tables.backtest_table(res, name="alert_backtest", codeframe=codeframe, lang="en")
    >>> tab.data["rule_text"].iloc[0]
    'Very low satisfaction: overall_sat below 5'
    >>> cols = ["n_alerts", "precision", "recall", "lift", "lift_ci_lower", "lift_ci_upper"]
    >>> tab.data[cols].round(2)
       n_alerts  precision  recall  lift  lift_ci_lower  lift_ci_upper
    0        73       0.18    0.30  3.52           2.30           5.39
    1        38       0.08    0.07  1.56           0.55           4.46
    2        79       0.03    0.05  0.50           0.13           1.90
    3       128       0.07    0.21  1.39           0.79           2.44
    4       243       0.08    0.44  1.55           1.12           2.14
    """
    _check_lang(lang)
    if _no_history(result):
        return None
    rows = _backtest_rows(result, "backtest_table")
    rules = {r.name: r for r in result.rules}
    rows["rule_text"] = [
        _rule_label(rules[r], lang, codebook=codebook, codeframe=codeframe)
        if r in rules
        else word("alert.any_rule", lang)
        if r == "any"
        else str(r)
        for r in rows["rule"]
    ]
    rows["small"] = (rows["n_alerts"] < min_base) if min_base is not None else False
    conf = _conf(result.alpha)
    period = _waves_text(result.waves, lang)
    if title is None:
        title = word("alert.backtest_title", lang, period=period)
    first = rows.iloc[0]
    notes = [
        word(
            "alert.base_rate_note",
            lang,
            base_rate=fmt_pct(first["base_rate"], 1),
            outcome=_outcome_when(result.offset, lang),
        ),
        word("alert.measures_note", lang),
        word("alert.lift_ci_note", lang, conf=conf),
    ]
    if rows["small"].any():
        notes.append(word("alert.few_alerts_note", lang, min_base=min_base))
    labels = {
        "rule_text": word("alert.rule", lang),
        "n_alerts": word("alert.n_alerts", lang),
        "precision": word("alert.precision", lang),
        "recall": word("alert.recall", lang),
        "lift": word("alert.lift", lang),
        "lift_ci_lower": word("ci_lower", lang),
        "lift_ci_upper": word("ci_upper", lang),
    }
    base = fmt_base(first["n"], lang).replace("n =", f"{word('alert.answers', lang)} =")
    return table(
        rows,
        title=title,
        name=name,
        columns=[
            "rule_text",
            "n_alerts",
            "precision",
            "recall",
            "lift",
            "lift_ci_lower",
            "lift_ci_upper",
        ],
        labels=labels,
        formats={
            "rule_text": "text",
            "n_alerts": "int",
            "precision": "pct1",
            "recall": "pct1",
            "lift": "num2",
            "lift_ci_lower": "num2",
            "lift_ci_upper": "num2",
        },
        base=base,
        notes=notes,
        flags={"n_alerts": "small"},
    )


def say_backtest(
    result, *, lang: str, codebook=None, min_base: int | None = None, codeframe=None
) -> Text:
    """Narrative: do the alert rules predict churn? From ``cx.alerts.backtest``, pooled over waves.

    States the base churn rate, the lift of "any rule" with its interval and recall, the single
    rule with the clearest signal (the highest lower bound of the lift interval above 1; among rules
    with at least ``min_base`` alerts when there are any), the rules whose interval includes 1 (no
    clear evidence at the result's ``alpha``) and those whose interval lies below 1. Intervals are
    the result's, at its ``alpha``; every number is taken from the result frame.

    For the empty result of ``backtest(..., if_no_history="empty")`` (no earlier wave whose churn
    is known, e.g. a client's first wave) it says there is not enough history yet.

    Raises
    ------
    CXValueError
        ``result`` has no back-test frame with the pooled (``wave == "all"``) rows.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> codeframe = cx.text.default_codeframe()
    >>> res = cx.alerts.backtest(study.responses, study.customers, rules=cx.alerts.DEFAULT_RULES,
    ...                          codeframe=codeframe, seed=1)
    >>> print(cx.tables.say_backtest(res, codeframe=codeframe, lang="en"))
    Replaying the rules on 3 earlier waves (2014–2016; 851 answers from customers whose outcome is
    known), 5.1% of the surveyed customers were lost by the end of the survey year. Customers
    flagged by at least one rule left at **1.55** times the base rate (95% CI 1.12–2.14) and the
    alerts caught 44.2% of the customers who left: the alerts do pick out customers at risk. The
    clearest single rule is 'Very low satisfaction': 17.8% of the customers it flagged left,
    **3.52** times the base rate (95% CI 2.30–5.39). For 'Sharp drop in satisfaction', 'High-value
    detractor' and 'Complaint in comment' the lift intervals include 1 or cannot be estimated: no
    clear evidence that these rules predict churn.
    """
    _check_lang(lang)
    if _no_history(result):
        return Text(word("alert.no_history", lang))
    rows = _backtest_rows(result, "say_backtest")
    rules = {r.name: r for r in result.rules}
    conf = _conf(result.alpha)

    def label(r):
        return (
            _rule_label(rules[r], lang, codebook=codebook, codeframe=codeframe, definition=False)
            if r in rules
            else str(r)
        )

    def ci(row):
        return _range(fmt_num(row["lift_ci_lower"], 2), fmt_num(row["lift_ci_upper"], 2), lang)

    first = rows.iloc[0]
    period = _waves_text(result.waves, lang)
    k = len(result.waves)
    parts = [
        word(
            "alert.backtest_intro_one" if k == 1 else "alert.backtest_intro_many",
            lang,
            period=period,
            k=k,
            n=fmt_int(first["n"]),
            base_rate=fmt_pct(first["base_rate"], 1),
            outcome=_outcome_when(result.offset, lang),
        )
    ]
    any_row = rows[rows["rule"] == "any"]
    if len(any_row) and np.isfinite(any_row["lift"].iloc[0]):
        a = any_row.iloc[0]
        if not (np.isfinite(a["lift_ci_lower"]) and np.isfinite(a["lift_ci_upper"])):
            verdict = "alert.verdict_no_ci"
        elif a["lift_ci_lower"] > 1:
            verdict = "alert.verdict_at_risk"
        elif a["lift_ci_upper"] < 1:
            verdict = "alert.verdict_less"
        else:
            verdict = "alert.verdict_unclear"
        parts.append(
            word(
                "alert.backtest_any",
                lang,
                lift=fmt_num(a["lift"], 2),
                conf=conf,
                ci=ci(a),
                recall=fmt_pct(a["recall"], 1),
                verdict=word(verdict, lang),
            )
        )
    elif len(any_row):
        parts.append(word("alert.backtest_nothing", lang))
    single = rows[(rows["rule"] != "any") & (rows["lift_ci_lower"].astype(float) > 1)]
    if min_base is not None and (single["n_alerts"] >= min_base).any():
        single = single[single["n_alerts"] >= min_base]
    if len(single) and len(rules) > 1:
        best = single.loc[single["lift_ci_lower"].astype(float).idxmax()]
        parts.append(
            word(
                "alert.backtest_best",
                lang,
                rule=label(best["rule"]),
                precision=fmt_pct(best["precision"], 1),
                lift=fmt_num(best["lift"], 2),
                conf=conf,
                ci=ci(best),
            )
        )
    others = rows[rows["rule"] != "any"]
    lo, hi = others["lift_ci_lower"].astype(float), others["lift_ci_upper"].astype(float)
    weak = [label(r) for r in others.loc[~(lo > 1) & ~(hi < 1), "rule"]]
    below = [label(r) for r in others.loc[hi < 1, "rule"]]
    if weak:
        parts.append(
            word(
                "alert.backtest_weak_many" if len(weak) > 1 else "alert.backtest_weak_one",
                lang,
                rules=_and(weak, lang),
            )
        )
    if below:
        parts.append(word("alert.backtest_below", lang, rules=_and(below, lang)))
    return Text(sentences(parts, lang))


def _theme_label(theme: str, codeframe, lang: str) -> str:
    if codeframe is not None:
        for t in codeframe.themes:
            if t.name == theme:
                return t.label.get(lang) or theme
    return theme


def theme_table(
    freq: pd.DataFrame,
    satisfaction: pd.DataFrame | None = None,
    *,
    codeframe=None,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Share of comments per theme (``cx.text.theme_frequencies``), with the mean satisfaction of
    those comments when ``satisfaction`` (``cx.text.theme_satisfaction``) is given.

    Examples
    --------
    The themes of the demo study's comments in its last wave, with the mean overall satisfaction
    of the customers who raised each:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> codeframe = cx.text.default_codeframe()
    >>> coding = cx.text.code_comments(wave, codeframe=codeframe)
    >>> freq = cx.text.theme_frequencies(wave, coding, by=None, codeframe=codeframe)
    >>> sat = cx.text.theme_satisfaction(wave, coding, score="overall_sat", codeframe=codeframe)
    >>> tab = cx.tables.theme_table(freq, sat, codeframe=codeframe, name="comment_themes",
    ...                             lang="en")
    >>> tab.base
    'Base: comments = 119'
    >>> tab.data[["label", "n_mentions", "estimate", "neg_share", "sat_mean", "sat_diff"]].round(2)
                    label  n_mentions  estimate  neg_share  sat_mean  sat_diff
    0      Responsiveness          23      0.19       1.00      5.22     -1.52
    1               Price          18      0.15       1.00      5.06     -1.64
    2            Courtesy          16      0.13       0.00      7.81      1.58
    3  Parts availability          15      0.13       1.00      6.60      0.18
    4          Competence          14      0.12       1.00      5.00     -1.64
    5     Product quality          10      0.08       1.00      4.70     -1.91
    6           Transfers           9      0.08       1.00      7.33      0.96
    7        Waiting time           4      0.03       0.75       NaN       NaN
    """
    _check_lang(lang)
    _need_cols(
        freq, ["theme", "n", "n_mentions", "estimate", "ci_lower", "ci_upper"], "theme_table"
    )
    frame = freq.copy()
    cols = ["label", "n_mentions", "estimate", "ci_lower", "ci_upper"]
    fmts = {
        "label": "text",
        "n_mentions": "int",
        "estimate": "pct1",
        "ci_lower": "pct1",
        "ci_upper": "pct1",
    }
    labels = {
        "label": word("text.theme", lang),
        "n_mentions": word("text.mentions", lang),
        "estimate": word("text.share_of_comments", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
    }
    if "n_negative" in frame:
        frame["neg_share"] = frame["n_negative"] / frame["n_mentions"].where(
            frame["n_mentions"] > 0
        )
        cols.append("neg_share")
        fmts["neg_share"] = "pct0"
        labels["neg_share"] = word("text.negative_share", lang)
    if satisfaction is not None:
        frame = frame.merge(
            satisfaction[["theme", "estimate", "difference"]].rename(
                columns={"estimate": "sat_mean", "difference": "sat_diff"}
            ),
            on="theme",
            how="left",
        )
        cols += ["sat_mean", "sat_diff"]
        fmts.update({"sat_mean": "num2", "sat_diff": "signed2"})
        labels.update(
            {
                "sat_mean": word("text.sat_mentioning", lang),
                "sat_diff": word("text.sat_difference", lang),
            }
        )
    frame["label"] = frame["theme"].map(lambda t: _theme_label(t, codeframe, lang))
    frame = frame.sort_values("estimate", ascending=False)
    if title is None:
        title = word("text.themes_title", lang)
    n = frame["n"].iloc[0] if len(frame) else 0
    return table(
        frame,
        title=title,
        name=name,
        columns=cols,
        labels=labels,
        formats=fmts,
        base=fmt_base(n, lang, min_base=min_base).replace(
            "n =", f"{word('text.comments', lang)} ="
        ),
    )


def say_themes(
    freq: pd.DataFrame,
    *,
    codeframe=None,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    top: int = 3,
) -> Text:
    """Narrative: how many respondents commented and the most frequent themes.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> codeframe = cx.text.default_codeframe()
    >>> coding = cx.text.code_comments(wave, codeframe=codeframe)
    >>> freq = cx.text.theme_frequencies(wave, coding, by=None, codeframe=codeframe)
    >>> print(cx.tables.say_themes(freq, codeframe=codeframe, lang="en"))
    119 respondents left a comment this wave (40%). The most frequent themes are responsiveness
    (19%), price (15%), courtesy (13%).
    """
    _check_lang(lang)
    frame = freq.sort_values("estimate", ascending=False)
    if frame.empty:
        return Text(word("text.no_comments", lang))
    n, base = (
        frame["n"].iloc[0],
        frame["n_respondents"].iloc[0] if "n_respondents" in frame else None,
    )
    labels = [_theme_label(r.theme, codeframe, lang) for r in frame.head(top).itertuples()]
    names = [
        word(
            "text.theme_share",
            lang,
            label=label,
            label_lower=label.lower(),
            share=fmt_pct(r.estimate),
        )
        for label, r in zip(labels, frame.head(top).itertuples(), strict=True)
    ]
    names = word("list_separator", lang).join(names)
    if base:
        return Text(
            word(
                "text.themes_summary_share",
                lang,
                n=fmt_int(n),
                share=fmt_pct(n / base),
                names=names,
            )
        )
    return Text(word("text.themes_summary", lang, n=fmt_int(n), names=names))


#: Languages a quoted comment may be written in (their names: catalog entries ``text.lang.<code>``).
_QUOTE_LANGS = ("zh", "en")


def quotes(
    examples: pd.DataFrame,
    *,
    codeframe=None,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    by: str | None = None,
    score: str | None = None,
    name: str = "quotes",
):
    """Example comments per theme (``cx.text.example_quotes``: already anonymised), shown as escaped
    quotations attributed to their theme, and to the segment and score of the customer who wrote
    them (``by``, ``score``: columns carried by ``example_quotes(..., columns=[by, score])``) —
    never to a respondent. A quote in another language than the report's (chosen only when a
    theme has none in the report's language) says so. The quotes also go to ``tables.xlsx``.

    Examples
    --------
    One comment per theme from the demo study's last wave, attributed to the branch and score of
    its writer:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> codeframe = cx.text.default_codeframe()
    >>> coding = cx.text.code_comments(wave, codeframe=codeframe)
    >>> examples = cx.text.example_quotes(wave, coding, n=1, codeframe=codeframe, seed=1,
    ...                                   lang="en", columns=["branch", "overall_sat"])
    >>> book = cx.codebook.load(study.codebook)
    >>> shown = cx.tables.quotes(examples, codeframe=codeframe, by="branch", score="overall_sat",
    ...                          lang="en", codebook=book)
    >>> len(shown.items)
    8
    >>> for quote, source in shown.items[:2]:
    ...     print(f"{quote} ({source})")
    The staff were very friendly (Courtesy, positive · Wuhan · Overall satisfaction 9/10)
    The technician was not competent (Competence, negative · Shanghai · Overall satisfaction 5/10)
    """
    _check_lang(lang)
    _need_cols(examples, ["theme", "quote"], "quotes")
    pol = {
        1.0: word("text.polarity.positive", lang),
        -1.0: word("text.polarity.negative", lang),
        0.0: word("text.polarity.neutral", lang),
    }
    sep = word("text.source_separator", lang)
    scale = None
    if score is not None and codebook is not None and score in codebook:
        scale = codebook.get(score).scale
    sources, rows = [], []
    other_lang = False
    for r in examples.itertuples():
        d = r._asdict()
        label = _theme_label(r.theme, codeframe, lang)
        p = pol.get(float(d.get("polarity", 0.0) or 0.0), "")
        parts = [label + (f"{sep}{p}" if p else "")]
        seg = sc = None
        if by is not None and by in d:
            seg = value_label(by, d[by], lang=lang, codebook=codebook)
            parts.append(seg)
        if (
            score is not None
            and score in d
            and d[score] is not None
            and np.isfinite(float(d[score]))
        ):
            sc = float(d[score])
            top = f"/{scale[1]:g}" if scale else ""
            parts.append(f"{var_label(score, lang=lang, codebook=codebook)} {sc:g}{top}")
        q_lang = d.get("lang") or ""
        if q_lang and q_lang != lang and q_lang in _QUOTE_LANGS:
            other_lang = True
            parts.append(word("text.original_in", lang, language=word(f"text.lang.{q_lang}", lang)))
        sources.append(" · ".join(parts))
        rows.append([label, p, seg, sc, r.quote, q_lang])
    notes = []
    if other_lang:
        notes.append(word("text.other_language_note", lang))
    cols = [
        word("text.theme", lang),
        word("text.polarity", lang),
        var_label(by, lang=lang, codebook=codebook) if by else word("text.segment", lang),
        var_label(score, lang=lang, codebook=codebook) if score else word("text.score", lang),
        word("text.quote", lang),
        word("text.language", lang),
    ]
    payload = {
        "name": name,
        "title": word("text.quotes_title", lang),
        "columns": cols,
        "formats": ["text", "text", "text", "num0", "text", "text"],
        "rows": [
            [None if (isinstance(v, float) and not np.isfinite(v)) else v for v in row]
            for row in rows
        ],
        "base": None,
        "notes": notes,
    }
    out = verbatims(examples["quote"].tolist(), sources=sources)
    return dataclasses.replace(out, payload=payload, notes=tuple(notes))


def engagement_table(
    result,
    *,
    wave: int,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    by: str = "branch",
    title: str | None = None,
) -> Table:
    """Engagement index per unit in one wave (``cx.employee.engagement_index``); units the index
    withheld for anonymity are not listed, and a note says so.

    Examples
    --------
    Employee engagement per branch in the demo study's last wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.employee.engagement_index(study.employees, min_n=5)
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.engagement_table(res, wave=2017, name="engagement", lang="en",
    ...                                  codebook=book)
    >>> tab.title, tab.notes
    ('Employee engagement, 2017', ("Mean of 12 items (1–5), Cronbach's α = 0.86.", \
'Units with fewer than 5 responding employees in a wave are not shown, to protect anonymity.'))
    >>> tab.data[["unit_label", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
      unit_label   n  estimate  ci_lower  ci_upper
    0    Beijing  27      3.53      3.35      3.71
    1   Shanghai  28      3.04      2.82      3.26
    2  Guangzhou  23      3.44      3.24      3.64
    3    Chengdu  20      3.23      3.01      3.45
    4      Wuhan  20      3.52      3.28      3.75
    5      Xi'an  13      3.48      3.03      3.93
    6   Shenyang  12      3.11      2.74      3.48
    """
    _check_lang(lang)
    frame = result.frame
    _need_cols(frame, ["unit", "wave", "n", "estimate", "ci_lower", "ci_upper"], "engagement_table")
    cur = frame[frame["wave"] == wave].copy()
    cur["unit_label"] = cur["unit"].map(lambda u: value_label(by, u, lang=lang, codebook=codebook))
    labels = {
        "unit_label": var_label(by, lang=lang, codebook=codebook),
        "n": word("employee.employees", lang),
        "estimate": word("engagement", lang),
        "ci_lower": word("ci_lower", lang),
        "ci_upper": word("ci_upper", lang),
    }
    lo, hi = result.scale
    notes = [
        word(
            "employee.index_note",
            lang,
            k=len(result.items),
            lo=lo,
            hi=hi,
            alpha=fmt_num(result.cronbach_alpha, 2),
        )
    ]
    if cur["estimate"].isna().any():
        notes.append(word("employee.suppressed_note", lang, min_n=result.min_n))
    if getattr(result, "n_suppressed", 0):  # cells engagement_index withheld (not in the frame)
        notes.append(word("employee.withheld_note", lang, min_n=result.min_n))
    if title is None:
        title = word("employee.engagement_title", lang, wave=wave)
    return table(
        cur,
        title=title,
        name=name,
        columns=["unit_label", "n", "estimate", "ci_lower", "ci_upper"],
        labels=labels,
        formats={
            "unit_label": "text",
            "n": "int",
            "estimate": "num2",
            "ci_lower": "num2",
            "ci_upper": "num2",
        },
        notes=notes,
    )


def _caveat(result, lang: str) -> str:
    """The caveats of an employee result (codes ``result.caveats``, catalog entries
    ``caveat.<code>`` filled with the number of units) as sentences in ``lang``."""
    k = getattr(result, "n_units", 0)
    return sentences([word(f"caveat.{c}", lang, k=k) for c in getattr(result, "caveats", ())], lang)


def say_programme(
    result, *, lang: str, codebook=None, min_base: int | None = None, by: str = "branch"
) -> Text:
    """Narrative on the engagement programme's difference-in-differences, with its caveat.

    The difference is called significant only when both the cluster-robust test and the
    randomization test over the assignments of the programme to units reject (with few units
    the cluster-robust p can be far too small: with 3 programme units of 8, no assignment test
    can give less than 1/56); both p values are given.

    Examples
    --------
    The demo study's engagement programme (three branches from 2020), eight waves:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=8)
    >>> res = cx.employee.programme_did(study.employees, programme_units=[2, 5, 7],
    ...                                 start=study.programme_start, min_n=5, seed=1)
    >>> book = cx.codebook.load(study.codebook)
    >>> print(cx.tables.say_programme(res, lang="en", codebook=book))
    Units in the improvement programme (Shanghai, Wuhan, Shenyang, from 2020) changed by **0.48**
    points more than the others (difference-in-differences; 95% CI 0.34–0.61, p < 0.001;
    randomization test over the 56 possible assignments of the programme to units, p = 0.018), a
    statistically significant difference.
    <BLANKLINE>
    Only 8 units: the difference-in-differences rests on few units, so its interval is uncertain and
    may be too narrow; read it as indicative, not as proof.
    """
    _check_lang(lang)
    row = result.frame.iloc[0]
    units = word("list_separator", lang).join(
        value_label(by, u, lang=lang, codebook=codebook) for u in result.programme_units
    )
    ci = _range(fmt_num(row["ci_lower"], 2), fmt_num(row["ci_upper"], 2), lang)
    # with few units the cluster-robust test can be too liberal: the difference is called
    # significant only when the randomization test over the units' assignments agrees
    p_ri = row.get("p_randomization")
    has_ri = p_ri is not None and np.isfinite(float(p_ri))
    sig = float(row["p_value"]) < result.alpha and (not has_ri or float(p_ri) < result.alpha)
    conf = f"{round(100 * (1 - float(result.alpha)))}%"
    ri = (
        word(
            "employee.randomization",
            lang,
            k=fmt_int(row.get("n_assignments")),
            p=p_eq(p_ri),
        )
        if has_ri
        else ""
    )
    s = word(
        "employee.programme_significant" if sig else "employee.programme_not_significant",
        lang,
        units=units,
        start=result.start,
        estimate=fmt_num(row["estimate"], 2),
        conf=conf,
        ci=ci,
        p=p_eq(row["p_value"]),
        ri=ri,
    )
    caveat = _caveat(result, lang)
    if caveat:
        s += "\n\n" + caveat
    return Text(s)


def did_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Engagement before/after for programme and comparison units (``programme_did(...).means``).

    Examples
    --------
    Engagement before and after the demo study's programme (three branches from 2020):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=8)
    >>> res = cx.employee.programme_did(study.employees, programme_units=[2, 5, 7],
    ...                                 start=study.programme_start, min_n=5, seed=1)
    >>> tab = cx.tables.did_table(res, name="programme_did", lang="en")
    >>> tab.data[["group_text", "period_text", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
            group_text period_text    n  estimate  ci_lower  ci_upper
    0  Programme units      Before  365      3.29      3.24      3.35
    1  Programme units       After  125      3.78      3.69      3.88
    2      Other units      Before  575      3.38      3.34      3.43
    3      Other units       After  194      3.39      3.31      3.47
    """
    _check_lang(lang)
    frame = result.means.copy()
    _need_cols(frame, ["group", "period", "n", "estimate", "ci_lower", "ci_upper"], "did_table")
    frame["group_text"] = frame["group"].map(lambda x: _coded("employee.group.", x, lang))
    frame["period_text"] = frame["period"].map(lambda x: _coded("employee.period.", x, lang))
    if title is None:
        title = word("employee.did_title", lang)
    return table(
        frame,
        title=title,
        name=name,
        columns=["group_text", "period_text", "n", "estimate", "ci_lower", "ci_upper"],
        labels={
            "group_text": word("employee.group", lang),
            "period_text": word("employee.period", lang),
            "n": word("employee.employees", lang),
            "estimate": word("engagement", lang),
            "ci_lower": word("ci_lower", lang),
            "ci_upper": word("ci_upper", lang),
        },
        formats={
            "group_text": "text",
            "period_text": "text",
            "n": "int",
            "estimate": "num2",
            "ci_lower": "num2",
            "ci_upper": "num2",
        },
    )


def linkage_table(
    result,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Correlation of unit engagement with customer scores (``cx.employee.linkage(...).correlations``).

    Examples
    --------
    Branch engagement against the customer scores of the same branch and wave in the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.employee.linkage(study.employees, study.responses,
    ...                           outcomes=("overall_sat", "recommend"), nps="recommend",
    ...                           weights="weight", min_n=5)
    >>> book = cx.codebook.load(study.codebook)
    >>> tab = cx.tables.linkage_table(res, name="engagement_linkage", lang="en", codebook=book)
    >>> tab.data[["outcome_text", "level_text", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
               outcome_text        level_text   n  estimate  ci_lower  ci_upper
    0  Overall satisfaction       Unit × wave  29      0.33     -0.04      0.62
    1  Overall satisfaction  Unit (all waves)   8      0.64     -0.12      0.93
    2                   NPS       Unit × wave  29      0.33     -0.05      0.62
    3                   NPS  Unit (all waves)   8      0.59     -0.20      0.91
    """
    _check_lang(lang)
    frame = result.correlations.copy()
    _need_cols(
        frame,
        ["outcome", "level", "n", "estimate", "ci_lower", "ci_upper", "p_value"],
        "linkage_table",
    )
    frame["outcome_text"] = frame["outcome"].map(
        lambda o: "NPS" if o == "nps" else var_label(o, lang=lang, codebook=codebook)
    )
    frame["level_text"] = frame["level"].map(lambda x: _coded("employee.level.", x, lang))
    if title is None:
        title = word("employee.linkage_title", lang)
    notes = []
    caveat = _caveat(result, lang)
    if caveat:
        notes.append(caveat)
    return table(
        frame,
        title=title,
        name=name,
        columns=["outcome_text", "level_text", "n", "estimate", "ci_lower", "ci_upper", "p_value"],
        labels={
            "outcome_text": word("employee.customer_measure", lang),
            "level_text": word("employee.level", lang),
            "n": word("n", lang),
            "estimate": word("employee.correlation_r", lang),
            "ci_lower": word("ci_lower", lang),
            "ci_upper": word("ci_upper", lang),
            "p_value": word("p_value", lang),
        },
        formats={
            "outcome_text": "text",
            "level_text": "text",
            "n": "int",
            "estimate": "num2",
            "ci_lower": "num2",
            "ci_upper": "num2",
            "p_value": "pvalue",
        },
        notes=notes,
    )
