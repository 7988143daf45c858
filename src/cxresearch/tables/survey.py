"""Tables and narrative for survey estimates: bases, KPIs, trends, segments, differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cxresearch._i18n import known as in_catalog
from cxresearch._i18n import sentences
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

__all__ = [
    "estimates",
    "bases",
    "say_bases",
    "missing_answers",
    "say_trend",
    "say_segments",
    "differences",
    "Exhibits",
    "segment_exhibits",
    "bases_each",
]


class Exhibits(tuple):
    """Several report exhibits (tables and paragraphs) shown by one notebook cell, in order.

    In a notebook each item becomes an output of its own, so the report numbers every table in it
    as it numbers a table of a cell of its own (``cx.report.render.combine``); an empty sequence
    shows nothing. Outside IPython it is a plain tuple.
    """

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for item in self:
            display(item)


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

    Examples
    --------
    Mean overall satisfaction by branch in one wave of the demo study, as the report shows it:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.mean(wave, score="overall_sat", by="branch", weights="weight")
    >>> t = cx.tables.estimates(res, title="Overall satisfaction", name="sat_branch", lang="en",
    ...                         codebook=cb, min_base=30)
    >>> t.title, t.base
    ('Overall satisfaction by branch', 'Base: n = 295')
    >>> t.data[["branch", "estimate", "ci_lower", "ci_upper", "n", "small_base"]].round(2).head(6)
          branch  estimate  ci_lower  ci_upper     n  small_base
    0    Beijing      7.67      7.25      8.10  64.0       False
    1   Shanghai      6.85      6.40      7.29  53.0       False
    2  Guangzhou      7.25      6.78      7.71  53.0       False
    3    Chengdu      6.07      5.43      6.70  39.0       False
    4      Wuhan      6.33      5.67      6.99  34.0       False
    5      Xi'an      7.38      6.63      8.12  22.0        True
    >>> t.notes
    ('Flagged: base below the reporting minimum of 30.',)
    >>> zh = cx.tables.estimates(res, title="总体满意度", name="sat_branch", lang="zh",
    ...                          codebook=cb, min_base=30)
    >>> zh.title, zh.base, zh.data["branch"].iloc[0]
    ('总体满意度（按分公司）', '基数：n = 295', '北京')
    >>> [zh.labels[c] for c in ("branch", "estimate", "ci_lower", "n", "n_eff")]
    ['分公司', '估计值', '置信下限', '样本量', '有效样本量']
    """
    _check_lang(lang)
    if kind not in _VALUE_FORMATS:
        raise CXValueError(f"kind must be one of {', '.join(_VALUE_FORMATS)}; got {kind!r}")
    known = _RESULT_COLUMNS
    stacked = by is None and {"segment", "segment_value"} <= set(result.columns)
    if stacked:  # cx.survey.by_each: each segment variable on its own, stacked
        frame = result.copy()
        frame["segment_value"] = [
            value_label(v, c, lang=lang, codebook=codebook)
            for v, c in zip(result["segment"], result["segment_value"], strict=True)
        ]
        frame["segment"] = [var_label(v, lang=lang, codebook=codebook) for v in result["segment"]]
        by = ["segment", "segment_value"]
        suffix = word("survey.by_segment_suffix", lang)
        if suffix.strip() not in title:
            title = title + suffix
        labels = {
            "segment": word("survey.segment_variable", lang),
            "segment_value": word("survey.segment", lang),
        }
    else:
        if by is None:
            by = [c for c in result.columns if c not in known]
        frame = labelled(result, by, lang=lang, codebook=codebook)
        if by:
            names = [var_label(c, lang=lang, codebook=codebook) for c in by]
            sep = word("and_separator", lang)
            suffix = word(
                "survey.by_suffix",
                lang,
                names=sep.join(names),
                names_lower=sep.join(n if n.isupper() else n[:1].lower() + n[1:] for n in names),
            )
            if suffix.strip() not in title:
                title = title + suffix
        labels = {c: var_label(c, lang=lang, codebook=codebook) for c in by}
    cols = list(by)
    fmts = {c: "text" for c in by}
    if "score" in frame and frame["score"].nunique() > 1:
        frame["score_label"] = frame["score"].map(
            lambda s: var_label(s, lang=lang, codebook=codebook)
        )
        cols.append("score_label")
        labels["score_label"] = word("survey.measure", lang)
        fmts["score_label"] = "text"
    vf = _VALUE_FORMATS[kind]
    for c, f in (("estimate", vf), ("ci_lower", vf), ("ci_upper", vf)):
        cols.append(c)
        labels[c] = (
            word(c, lang)
            if c != "estimate"
            else (word("estimate", lang) if kind != "nps" else "NPS")
        )
        fmts[c] = f
    for c, f in (extra or {}).items():
        cols.append(c)
        labels.setdefault(c, var_label(c, lang=lang, codebook=codebook))
        fmts[c] = f
    if "change" in frame:
        cols += ["change", "change_p_value"]
        labels["change"] = word("survey.change", lang)
        labels["change_p_value"] = word("p_value", lang)
        fmts["change"] = {"pct1": "pct1"}.get(vf, "signed2")
        fmts["change_p_value"] = "pvalue"
    cols += ["n", "n_eff"]
    labels["n"], labels["n_eff"] = word("n", lang), word("n_eff", lang)
    fmts["n"], fmts["n_eff"] = "int", "int"
    flag = "small_base" if "small_base" in frame else None
    notes = list(notes)
    if flag is not None and bool(frame[flag].any()) and min_base is not None:
        notes.append(word("survey.low_base_note", lang, min_base=min_base))
    if "suppressed" in frame and bool(frame["suppressed"].any()):
        notes.append(word("survey.suppressed_note", lang))
    flags = {"n": flag, "estimate": flag} if flag else {}
    first = (
        frame[frame["score"] == frame["score"].iloc[0]]
        if "score" in frame and len(frame)
        else frame
    )
    if stacked and len(first):  # every segment variable covers the respondents: count one of them
        first = first[result.loc[first.index, "segment"] == result["segment"].iloc[0]]
    total = first["n"].sum() if "n" in first else None
    return table(
        frame,
        title=title,
        name=name,
        columns=cols,
        labels=labels,
        formats=fmts,
        base=None if total is None else fmt_base(total, lang),
        notes=notes,
        flags={k: v for k, v in flags.items() if v},
    )


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

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.mean(wave, score="overall_sat", by="segment", weights="weight")
    >>> t = cx.tables.bases(res, name="bases_segment", lang="en", codebook=cb, min_base=30)
    >>> t.title, t.base
    ('Bases by customer segment', 'Base: n = 295')
    >>> t.data[["segment", "n", "n_eff", "efficiency"]].round(3)
            segment      n    n_eff  efficiency
    0  Construction  173.0  171.455       0.991
    1   Agriculture  122.0  121.526       0.996
    >>> t.notes
    ('Weighting efficiency = effective n ÷ n (Kish).',)
    >>> zh = cx.tables.bases(res, name="bases_segment", lang="zh", codebook=cb, min_base=30)
    >>> zh.title, zh.data["segment"].tolist(), zh.labels["efficiency"]
    ('按客户类型的样本基数', ['建筑施工', '农业'], '加权效率')
    """
    _check_lang(lang)
    by = _by_columns(result)
    frame = (
        result[result["score"] == result["score"].iloc[0]]
        if "score" in result and len(result)
        else result
    )
    frame = labelled(frame, by, lang=lang, codebook=codebook)
    frame = frame.assign(efficiency=frame["n_eff"] / frame["n"])
    if min_base is not None:
        frame = frame.assign(low=frame["n"] < min_base)
    segs = [var_label(c, lang=lang, codebook=codebook) for c in by]
    sep = word("list_separator", lang)
    if title is None:
        title = word(
            "survey.bases_title",
            lang,
            seg=sep.join(segs),
            seg_lower=sep.join(x.lower() for x in segs),
        )
    labels = {c: var_label(c, lang=lang, codebook=codebook) for c in by}
    labels.update(
        {
            "n": word("n", lang),
            "n_eff": word("n_eff", lang),
            "efficiency": word("survey.efficiency", lang),
        }
    )
    notes = [word("survey.efficiency_note", lang)]
    if min_base is not None and bool(frame["low"].any()):
        notes.append(word("survey.low_base_note", lang, min_base=min_base))
    return table(
        frame,
        title=title,
        name=name,
        columns=[*by, "n", "n_eff", "efficiency"],
        labels=labels,
        formats={**{c: "text" for c in by}, "n": "int", "n_eff": "int", "efficiency": "pct0"},
        base=fmt_base(frame["n"].sum(), lang, n_eff=None),
        notes=notes,
        flags={"n": "low"} if min_base is not None else None,
    )


def say_bases(
    result: pd.DataFrame,
    *,
    wave: int,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    respondents: pd.DataFrame | None = None,
) -> Text:
    """Narrative on the sample: waves covered, total and current-wave base, weighting efficiency.

    ``result`` is an estimate frame by ``wave`` (e.g. ``cx.survey.mean(..., by='wave')``).
    ``respondents``: the survey rows (with ``wave``) the estimates were computed from; when fewer of
    the wave's respondents answered the score than took part (blank cells, missing codes), a second
    sentence says how many did not answer, so the base is never read as the whole sample.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> by_wave = cx.survey.nps(study.responses, score="recommend", by="wave", weights="weight")
    >>> by_wave[["wave", "n", "n_eff"]].round(1)
       wave      n  n_eff
    0  2014  281.0  278.7
    1  2015  275.0  271.6
    2  2016  295.0  292.0
    3  2017  295.0  292.1
    >>> print(cx.tables.say_bases(by_wave, wave=2017, lang="en"))
    The report rests on 4 waves (2014–2017) with **1,146** valid answers in all. The 2017 wave
    has **295** respondents, an effective base of 292 after weighting (weighting efficiency
    99%). The smallest wave is 2015 (n = 275).
    >>> print(cx.tables.say_bases(by_wave, wave=2017, lang="zh"))
    本报告基于 2014–2017 年共 4 期调查、累计 **1,146** 份有效回答。2017 年的样本量为 **295**，加权后的有效样本量为 292（加权效率
    99%）。样本量最小的一期是 2015 年（275）。
    """
    _check_lang(lang)
    if "wave" not in result:
        raise CXValueError("say_bases needs an estimate frame by 'wave'; column 'wave' is missing")
    frame = result[result["score"] == result["score"].iloc[0]] if "score" in result else result
    cur = frame[frame["wave"] == wave]
    if cur.empty:
        raise CXValueError(
            f"wave {wave} is not in the estimates; waves: {sorted(frame['wave'].unique().tolist())}"
        )
    row = cur.iloc[0]
    first, last, total = int(frame["wave"].min()), int(frame["wave"].max()), frame["n"].sum()
    eff = row["n_eff"] / row["n"] if row["n"] else float("nan")
    lowest = frame.loc[frame["n"].idxmin()]
    fields = {
        "wave": wave,
        "n": fmt_int(row["n"]),
        "n_eff": fmt_int(row["n_eff"]),
        "efficiency": fmt_pct(eff),
    }
    if len(frame) == 1:  # a single wave: no span, no smallest wave
        text = word("survey.bases_one_wave", lang, **fields)
    else:
        text = word(
            "survey.bases_waves",
            lang,
            **fields,
            first=first,
            last=last,
            k=len(frame),
            total=fmt_int(total),
            low_wave=int(lowest["wave"]),
            low_n=fmt_int(lowest["n"]),
        )
    if respondents is not None and "wave" in respondents and "score" in result:
        took_part = int((respondents["wave"] == wave).sum())
        answered = int(row["n"])
        if took_part > answered:
            score = var_label(str(row["score"]), lang=lang, codebook=codebook)
            text += word(
                "survey.bases_unanswered",
                lang,
                wave=wave,
                answered=fmt_int(answered),
                took_part=fmt_int(took_part),
                blank=fmt_int(took_part - answered),
                score=score,
                score_lower=mid_sentence(score, "en"),
            )
    return Text(text)


def missing_answers(
    missing: pd.DataFrame,
    *,
    lang: str,
    codebook=None,
    min_base: int | None = None,
    name: str = "missing_answers",
    by_wave: bool = False,
) -> Table:
    """Table of declared missing answers (don't know, refused, …) per variable and meaning.

    ``missing`` is the store's ``missing_codes`` frame (``variable``, ``meaning``, ``code``, …).
    With ``by_wave`` (and a ``wave`` column) one row per wave and item instead of all waves pooled.
    The base line says what is counted: answers coded as missing, and the respondents who gave them.

    Examples
    --------
    The demo study's declared missing answers (the store gives their meaning from the codebook):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> missing = study.missing.assign(meaning=study.missing["code"].map({99: "not_applicable"}))
    >>> t = cx.tables.missing_answers(missing, lang="en", codebook=cb)
    >>> t.title
    'Missing answers by item'
    >>> print(t.base)
    Counts are answers coded as missing, not respondents (answers: 193; respondents: 193).
    >>> t.data
    meaning                variable  not_applicable  total
    0        Financing satisfaction             193    193
    >>> zh = cx.tables.missing_answers(missing, lang="zh", codebook=cb, by_wave=True)
    >>> zh.title
    '缺失回答（按年份和题目）'
    >>> print(zh.base)
    计数为编码为缺失的回答数（不是受访者数）：共 193 个回答，来自 193 位受访者。
    >>> zh.data
    meaning  wave variable  not_applicable  total
    0        2014  融资服务满意度              52     52
    1        2015  融资服务满意度              43     43
    2        2016  融资服务满意度              52     52
    3        2017  融资服务满意度              46     46
    """
    _check_lang(lang)
    for col in ("variable", "meaning"):
        if col not in missing:
            raise CXValueError(f"missing_answers needs column {col!r}; got {list(missing.columns)}")
    keys = ["wave", "variable"] if by_wave and "wave" in missing else ["variable"]
    counts = missing.groupby([*keys, "meaning"]).size().unstack("meaning", fill_value=0)
    meanings = list(counts.columns)
    counts["total"] = counts.sum(axis=1)
    counts = (
        counts.reset_index().sort_values(["wave", "total"], ascending=[True, False])
        if "wave" in keys
        else counts.sort_values("total", ascending=False).reset_index()
    )
    counts["variable"] = counts["variable"].map(
        lambda v: var_label(v, lang=lang, codebook=codebook)
    )
    labels = {
        "variable": word("survey.item", lang),
        "total": word("total", lang),
        "wave": word("wave", lang),
    }
    for m in meanings:
        labels[m] = word(f"missing.{m}", lang) if in_catalog(f"missing.{m}") else m
    title = word("survey.missing_by_wave_title" if "wave" in keys else "survey.missing_title", lang)
    people = missing["respondent_id"].nunique() if "respondent_id" in missing else None
    if people is None:
        base = word("survey.missing_base", lang, answers=fmt_int(len(missing)))
    else:
        base = word(
            "survey.missing_base_people",
            lang,
            answers=fmt_int(len(missing)),
            people=fmt_int(people),
        )
    return table(
        counts,
        title=title,
        name=name,
        columns=[*(["wave"] if "wave" in keys else []), "variable", *meanings, "total"],
        labels=labels,
        formats={
            "wave": "text",
            "variable": "text",
            **{m: "int" for m in meanings},
            "total": "int",
        },
        base=base,
    )


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

    Examples
    --------
    NPS by wave in the demo study, with the wave-on-wave change tested on repeated customers:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> trend = cx.survey.trend(study.responses, score="recommend", statistic="nps",
    ...                         weights="weight", respondent="customer_id")
    >>> trend[["wave", "estimate", "change", "change_p_value"]].round(3)
       wave  estimate  change  change_p_value
    0  2014   -36.229     NaN             NaN
    1  2015   -24.799  11.430           0.043
    2  2016   -40.353 -15.554           0.008
    3  2017   -27.856  12.497           0.026
    >>> print(cx.tables.say_trend(trend, label="NPS", wave=2017, lang="en", kind="nps"))
    In 2017, **NPS** stood at **-27.9** (95% CI -36.6 to -19.1; n = 295). That is up 12.5 on
    2016, a statistically significant change (p = 0.026). In 2014 it was -36.2.
    >>> print(cx.tables.say_trend(trend, label="NPS", wave=2017, lang="zh", kind="nps"))
    2017 年**NPS**为 **-27.9**（95% 置信区间 -36.6 至 -19.1，n = 295）。与 2016 年相比上升 12.5，变化在统计上显著（p =
    0.026）。2014 年该指标为 -36.2。
    """
    _check_lang(lang)
    _need_cols(trend, ["wave", "estimate", "ci_lower", "ci_upper", "n"], "say_trend")
    frame = trend.sort_values("wave").reset_index(drop=True)
    cur = frame[frame["wave"] == wave]
    if cur.empty:
        raise CXValueError(
            f"say_trend: wave {wave} not in the trend; waves {frame['wave'].tolist()}"
        )
    row = cur.iloc[0]
    if _missing(row["estimate"]):
        return Text(word("survey.too_small", lang, wave=wave, label=label))
    first = frame.dropna(subset=["estimate"]).iloc[0]
    level = _value(row["estimate"], kind)
    ci = _range(_value(row["ci_lower"], kind), _value(row["ci_upper"], kind), lang)
    conf = f"{round(100 * (1 - alpha))}%"
    parts = [
        word(
            "survey.level",
            lang,
            wave=wave,
            label=label,
            label_lower=mid_sentence(label, lang),
            level=level,
            conf=conf,
            ci=ci,
            n=fmt_int(row["n"]),
        )
    ]
    if "change" in frame and not _missing(row.get("change")):
        prev = frame[frame["wave"] < wave].dropna(subset=["estimate"])
        prev_wave = int(prev["wave"].iloc[-1]) if len(prev) else None
        change, p = row["change"], row.get("change_p_value")
        sig = not _missing(p) and float(p) < alpha
        mag = _value(abs(change), "pct" if kind in ("share", "pct") else kind)
        if kind in ("share", "pct"):
            mag = word("survey.pct_points", lang, x=f"{100 * abs(float(change)):.1f}")
        direction = word(
            "survey.direction." + ("up" if change > 0 else "down" if change < 0 else "unchanged"),
            lang,
        )
        parts.append(
            word(
                "survey.change_significant" if sig else "survey.change_not_significant",
                lang,
                prev_wave=prev_wave,
                direction=direction,
                magnitude=mag,
                p=p_eq(p),
            )
        )
    if int(first["wave"]) != wave:
        parts.append(
            word(
                "survey.first_wave",
                lang,
                first_wave=int(first["wave"]),
                value=_value(first["estimate"], kind),
            )
        )
    return Text(sentences(parts, lang))


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

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.mean(wave, score="overall_sat", by="branch", weights="weight")
    >>> diff = cx.survey.difference(wave, score="overall_sat", by="branch", weights="weight",
    ...                             correction="holm")
    >>> for lang in ("en", "zh"):
    ...     label = cx.tables.var_label("overall_sat", lang=lang, codebook=cb)
    ...     print(cx.tables.say_segments(res, label=label, lang=lang, codebook=cb,
    ...                                  differences=diff, min_base=30))
    By branch, **overall satisfaction** is highest in Beijing (7.67) and lowest in Chengdu
    (6.07). Of 28 pairwise comparisons, 2 remain significant after correction for multiple
    testing (α = 0.05).
    按分公司看，**总体满意度**最高的是北京（7.67），最低的是成都（6.07）。在 28 组两两比较中，2 组差异在多重比较校正后显著（α = 0.05）。
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
        return Text(word("survey.too_few_segments", lang))
    hi, lo = ok.loc[ok["estimate"].idxmax()], ok.loc[ok["estimate"].idxmin()]
    name = var_label(seg, lang=lang, codebook=codebook)
    hv, lv = (value_label(seg, r[seg], lang=lang, codebook=codebook) for r in (hi, lo))
    parts = [
        word(
            "survey.highest_lowest",
            lang,
            name=name,
            name_lower=name.lower(),
            label=mid_sentence(label, lang),  # inside the English sentence: 'By branch, overall …'
            high=hv,
            high_value=_value(hi["estimate"], kind),
            low=lv,
            low_value=_value(lo["estimate"], kind),
        )
    ]
    if differences is not None and len(differences):
        pcol = "p_adj" if "p_adj" in differences else "p_value"
        n_sig = int((differences[pcol] < alpha).sum())
        if len(differences) == 1:  # one pair: say whether it differs, not "of 1 comparisons"
            key = "survey.pair_significant" if n_sig else "survey.pair_not_significant"
            parts.append(word(key, lang, alpha=alpha))
        else:
            parts.append(
                word("survey.pairs_significant", lang, k=len(differences), n_sig=n_sig, alpha=alpha)
            )
    return Text(sentences(parts, lang))


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
    measure: str | None = None,
) -> Table | Text:
    """Table of pairwise segment differences (``cx.survey.difference``) with adjusted p values.

    ``measure`` (e.g. ``'NPS'``, a label in the report language) names what is compared in the
    title and the no-difference sentence, so that two such tables of one chapter read apart.

    Examples
    --------
    Pairwise branch differences in overall satisfaction (Holm-adjusted), significant pairs only:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> diff = cx.survey.difference(wave, score="overall_sat", by="branch", weights="weight",
    ...                             correction="holm")
    >>> len(diff)
    28
    >>> t = cx.tables.differences(diff, name="sat_branch_diff", lang="en", codebook=cb,
    ...                           only_significant=True)
    >>> t.title
    'Pairwise differences by branch'
    >>> t.data[["level_a", "level_b", "estimate", "p_value", "p_adj", "sig_text"]].round(3)
       level_a  level_b  estimate  p_value  p_adj sig_text
    0  Beijing  Chengdu    -1.603    0.000  0.001      yes
    1  Beijing    Wuhan    -1.340    0.001  0.023      yes
    >>> zh = cx.tables.differences(diff, name="sat_branch_diff", lang="zh", codebook=cb,
    ...                            only_significant=True)
    >>> zh.title, zh.data["level_b"].tolist(), zh.data["sig_text"].tolist()
    ('按分公司的两两差异检验', ['成都', '武汉'], ['是', '是'])

    Two such tables in one chapter (NPS and satisfaction) are told apart by ``measure``:

    >>> cx.tables.differences(diff, name="sat_branch_diff", lang="en", codebook=cb,
    ...                       only_significant=True, measure="Overall satisfaction").title
    'Overall satisfaction: pairwise differences by branch'

    When no pair differs, a sentence says so instead of a table:

    >>> same = diff.assign(p_adj=1.0)
    >>> print(cx.tables.differences(same, name="sat_branch_diff", lang="en", codebook=cb,
    ...                             only_significant=True))
    No pairwise difference by branch is significant after correction for multiple testing (α =
    0.05).
    """
    _check_lang(lang)
    _need_cols(
        diff,
        ["by", "level_a", "level_b", "estimate_a", "estimate_b", "estimate", "p_value"],
        "differences",
    )
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
            text = word(
                "survey.no_significant_pair",
                lang,
                seg=seg_label,
                seg_lower=seg_label.lower(),
                alpha=alpha,
            )
            if measure:
                text = word(
                    "survey.of_measure", lang, measure=measure, text=mid_sentence(text, lang)
                )
            return Text(text)
    frame["sig_text"] = frame["sig"].map(lambda b: word("yes" if b else "no", lang))
    vf = _VALUE_FORMATS[kind]
    labels = {
        "level_a": "A",
        "level_b": "B",
        "estimate_a": "A",
        "estimate_b": "B",
        "estimate": word("survey.difference_ba", lang),
        "p_value": word("p_value", lang),
        "p_adj": word("p_adj", lang),
        "sig_text": word("significant", lang),
    }
    labels["estimate_a"] = f"{word('estimate', lang)} A"
    labels["estimate_b"] = f"{word('estimate', lang)} B"
    cols = (
        ["level_a", "level_b", "estimate_a", "estimate_b", "estimate", "p_value"]
        + (["p_adj"] if "p_adj" in frame else [])
        + ["sig_text"]
    )
    seg_label = var_label(seg, lang=lang, codebook=codebook)
    if title is None:
        title = word("survey.differences_title", lang, seg=seg_label, seg_lower=seg_label.lower())
        if measure:
            title = word("survey.of_measure", lang, measure=measure, text=mid_sentence(title, lang))
    notes = [word("survey.adjusted_note", lang, alpha=alpha)]
    return table(
        frame,
        title=title,
        name=name,
        columns=cols,
        labels=labels,
        formats={
            "level_a": "text",
            "level_b": "text",
            "estimate_a": vf,
            "estimate_b": vf,
            "estimate": "signed2" if kind == "mean" else vf,
            "p_value": "pvalue",
            "p_adj": "pvalue",
            "sig_text": "text",
        },
        notes=notes,
    )


def segment_exhibits(
    data: pd.DataFrame,
    *,
    by: Sequence[str],
    score: str,
    label: str,
    name: str,
    lang: str,
    statistic: str = "mean",
    codebook=None,
    min_base: int | None = None,
    design: Mapping | None = None,
    correction: str = "holm",
    estimates_table: bool = True,
    extra: Mapping[str, str] | None = None,
) -> Exhibits:
    """A KPI's results by each segment variable of ``by``, as chapter 02 shows its first one.

    For each variable, in order: the narrative (:func:`say_segments`: highest and lowest segment,
    how many pairwise gaps are significant), the estimates by segment with their intervals and
    bases (:func:`estimates`, titled "<label> by <variable>"; left out with
    ``estimates_table=False``, e.g. when a stacked table already shows them) and the significant
    pairwise differences (:func:`differences` with ``measure=label``, titled "<label>: pairwise
    differences by <variable>", or the sentence that none is significant).

    Parameters
    ----------
    data : DataFrame
        Respondents (one wave). Not modified.
    by : sequence of str
        Segment variables, each reported on its own; empty: nothing is shown.
    score : str
        The KPI's column.
    label : str
        The KPI's name in the report language (``'NPS'``, the outcome's label).
    name : str
        Stem of the tables' sheet names: ``<name>_by_segment_<variable>`` and
        ``<name>_differences_<variable>``.
    lang, codebook, min_base
        As for :func:`estimates` (``**study.fmt``).
    statistic : {'mean', 'nps'}
        ``cx.survey.mean`` (with the codebook) or ``cx.survey.nps``; NPS tables show promoters and
        detractors too.
    design : mapping, optional
        Keywords of the survey estimates and tests (``weights``, ``alpha``, ``min_base``,
        ``anonymity_min``: ``study.design_for(frame)``); its ``alpha`` is the tests' level.
    correction : str, default 'holm'
        Multiplicity correction of the pairwise tests (``cx.survey.difference``).
    estimates_table : bool, default True
        Show the estimates table.
    extra : mapping, optional
        More columns of the estimates table (default for NPS: promoters and detractors).

    Returns
    -------
    Exhibits
        The paragraphs and tables, one output each in a notebook.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> out = cx.tables.segment_exhibits(wave, by=["segment"], score="recommend",
    ...                                  statistic="nps", label="NPS", name="nps", lang="en",
    ...                                  codebook=cb, design={"weights": "weight"})
    >>> [type(x).__name__ for x in out], out[1].title
    (['Text', 'Table', 'Text'], 'NPS by customer segment')
    >>> print(out[2])
    NPS: no pairwise difference by customer segment is significant after correction for
    multiple testing (α = 0.05).
    """
    from cxresearch import survey

    if statistic not in ("mean", "nps"):
        raise CXValueError(f"statistic must be one of 'mean', 'nps'; got {statistic!r}")
    design = dict(design or {})
    alpha = design.get("alpha", 0.05)
    kind = "nps" if statistic == "nps" else "mean"
    if extra is None and statistic == "nps":
        extra = {"promoters": "pct0", "detractors": "pct0"}
    fmt = {"lang": lang, "codebook": codebook, "min_base": min_base}
    out: list = []
    for var in by:
        if statistic == "nps":
            est = survey.nps(data, score=score, by=var, **design)
        else:
            est = survey.mean(data, score=score, by=var, codebook=codebook, **design)
        pairs = survey.difference(
            data, score=score, by=var, statistic=statistic, correction=correction, **design
        )
        out.append(say_segments(est, label=label, kind=kind, differences=pairs, alpha=alpha, **fmt))
        if estimates_table:
            out.append(
                estimates(
                    est, title=label, name=f"{name}_by_segment_{var}", kind=kind, extra=extra, **fmt
                )
            )
        out.append(
            differences(
                pairs,
                name=f"{name}_differences_{var}",
                kind=kind,
                alpha=alpha,
                only_significant=True,
                measure=label,
                **fmt,
            )
        )
    return Exhibits(out)


def bases_each(
    result: pd.DataFrame,
    *,
    name: str,
    lang: str,
    codebook=None,
    min_base: int | None = None,
) -> Exhibits:
    """:func:`bases` of each segment variable of a ``cx.survey.by_each`` frame, one table each.

    The first variable's table is named ``name``, the others ``<name>_<variable>``; each is
    exactly the table :func:`bases` makes of the estimate by that variable alone.

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.by_each(wave, score="overall_sat", by=["branch", "segment"],
    ...                         weights="weight")
    >>> [(t.name, t.title) for t in cx.tables.bases_each(res, name="bases", lang="en",
    ...                                                 codebook=cb)]
    [('bases', 'Bases by branch'), ('bases_segment', 'Bases by customer segment')]
    """
    _need_cols(result, ["segment", "segment_value", "n", "n_eff"], "bases_each")
    out = []
    for i, (var, part) in enumerate(result.groupby("segment", sort=False)):
        part = part.drop(columns="segment").rename(columns={"segment_value": var})
        part = part.reset_index(drop=True)
        out.append(
            bases(
                part,
                name=name if i == 0 else f"{name}_{var}",
                lang=lang,
                codebook=codebook,
                min_base=min_base,
            )
        )
    return Exhibits(out)
