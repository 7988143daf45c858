"""Formatted tables and narrative sentences for reports, in Chinese or English.

Presentation only: the statistics come in as tidy frames of raw floats (``n``, ``estimate``,
``ci_lower`` …) and leave as display objects. A :class:`Table` renders as an HTML table in the
notebook and the report, and also carries its raw numbers under the MIME type
:data:`TABLE_MIME`, from which the report runner writes ``tables.xlsx`` (numbers as numbers).
A :class:`Text` is a narrative paragraph; every number in it is passed in from a result object and
formatted here. All text given to these objects — labels, comments written by customers — is
HTML-escaped: it is shown, never interpreted.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError

__all__ = [
    "FORMATS",
    "TABLE_MIME",
    "Table",
    "Text",
    "fmt",
    "fmt_base",
    "fmt_int",
    "fmt_num",
    "fmt_p",
    "fmt_pct",
    "heading",
    "table",
    "text",
    "verbatims",
    "bases",
    "estimates",
    "labelled",
    "missing_answers",
    "say_bases",
    "reliability_table",
    "band_labels",
    "p_eq",
    "provenance_table",
    "diagnostics_table",
    "settings_table",
    "linkage_table",
    "did_table",
    "say_programme",
    "engagement_table",
    "quotes",
    "say_themes",
    "theme_table",
    "say_alerts",
    "alert_table",
    "retention_table",
    "say_penalty",
    "penalty_table",
    "ladder_table",
    "stage_labels",
    "say_hazard",
    "hazard_table",
    "say_horizon",
    "lag_table",
    "say_drivers",
    "driver_table",
    "say_segments",
    "say_trend",
    "differences",
    "value_label",
    "var_label",
    "word",
]

#: MIME type carrying a table's raw data (harvested into tables.xlsx).
TABLE_MIME = "application/vnd.cxresearch.table+json"

#: Cell formats a table column may use.
FORMATS = ("text", "int", "num0", "num1", "num2", "num3", "pct0", "pct1", "pvalue", "signed2")

LANGS = ("zh", "en")

# Words the presentation layer needs in both languages.
_WORDS: dict[str, tuple[str, str]] = {
    "base": ("基数", "Base"),
    "n": ("样本量", "n"),
    "n_eff": ("有效样本量", "Effective n"),
    "estimate": ("估计值", "Estimate"),
    "se": ("标准误", "SE"),
    "ci": ("置信区间", "CI"),
    "ci_lower": ("置信下限", "CI lower"),
    "ci_upper": ("置信上限", "CI upper"),
    "p_value": ("p 值", "p value"),
    "p_adj": ("校正 p 值", "Adjusted p"),
    "wave": ("年份", "Wave"),
    "total": ("总体", "Total"),
    "low_base": ("样本量低于报告下限", "base below the reporting minimum"),
    "suppressed": ("样本量过小，已隐藏", "suppressed: base too small"),
    "weighted": ("加权", "weighted"),
    "unweighted": ("未加权", "unweighted"),
    "comment": ("评论", "Comment"),
    "source": ("来源", "Source"),
    "significant": ("显著", "significant"),
    "not_significant": ("不显著", "not significant"),
    "yes": ("是", "yes"),
    "top_box": ("前两项比例（Top-2 box）", "Top-two box"),
    "lag": ("滞后（年）", "Lag (years)"),
    "engagement": ("敬业度指数", "Engagement index"),
    "coefficient": ("系数", "Coefficient"),
    "promoters": ("推荐者", "Promoters"),
    "passives": ("中立者", "Passives"),
    "detractors": ("贬损者", "Detractors"),
    "no": ("否", "no"),
}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise CXValueError(f"lang must be one of 'zh', 'en'; got {lang!r}")


def word(key: str, lang: str) -> str:
    """A fixed report word (``'base'``, ``'total'`` …) in ``lang``.

    Raises
    ------
    CXValueError
        Unknown key or language.
    """
    _check_lang(lang)
    try:
        zh, en = _WORDS[key]
    except KeyError:
        raise CXValueError(f"unknown report word {key!r}; known: {', '.join(sorted(_WORDS))}") from None
    return zh if lang == "zh" else en


# -- number formatting ------------------------------------------------------------------------


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, numbers.Real) and math.isnan(float(x))) or x is pd.NA


def fmt_num(x: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators; ``'–'`` when missing."""
    if _missing(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def fmt_int(x: Any) -> str:
    """A whole number with thousands separators; ``'–'`` when missing."""
    if _missing(x):
        return "–"
    return f"{round(float(x)):,d}"


def fmt_pct(x: Any, digits: int = 0) -> str:
    """A proportion (0–1) as a percentage, e.g. ``0.423 -> '42%'``; ``'–'`` when missing."""
    if _missing(x):
        return "–"
    return f"{100 * float(x):.{digits}f}%"


def fmt_p(p: Any) -> str:
    """A p value: ``'<0.001'`` below 0.001, else three decimals; ``'–'`` when missing."""
    if _missing(p):
        return "–"
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: Any) -> str:
    """``'p = 0.034'`` or ``'p < 0.001'`` for narrative text."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def fmt(x: Any, kind: str) -> str:
    """Format one value by column format ``kind`` (one of :data:`FORMATS`)."""
    if kind == "text":
        return "" if _missing(x) else str(x)
    if kind == "int":
        return fmt_int(x)
    if kind.startswith("num"):
        return fmt_num(x, int(kind[3:]))
    if kind.startswith("pct"):
        return fmt_pct(x, int(kind[3:]))
    if kind == "pvalue":
        return fmt_p(x)
    if kind == "signed2":
        return "–" if _missing(x) else f"{float(x):+.2f}"
    raise CXValueError(f"column format must be one of {', '.join(FORMATS)}; got {kind!r}")


def fmt_base(n: Any, lang: str, *, n_eff: Any = None, min_base: int | None = None) -> str:
    """The base line under a table or chart: ``'Base: n = 1,204 (effective n = 1,050)'``."""
    _check_lang(lang)
    parts = [f"{word('base', lang)}{'：' if lang == 'zh' else ': '}n = {fmt_int(n)}"]
    if n_eff is not None and not _missing(n_eff):
        parts.append(f"（{word('n_eff', lang)} = {fmt_int(n_eff)}）" if lang == "zh"
                     else f" ({word('n_eff', lang).lower()} = {fmt_int(n_eff)})")
    line = "".join(parts)
    if min_base is not None and not _missing(n) and float(n) < min_base:
        line += f" — {word('low_base', lang)} ({min_base})"
    return line


# -- display objects --------------------------------------------------------------------------

_INLINE = re.compile(r"\*\*(.+?)\*\*")


def _inline(s: str) -> str:
    """Escape ``s`` then turn ``**bold**`` into <strong>."""
    return _INLINE.sub(r"<strong>\1</strong>", html.escape(s, quote=True))


@dataclass(frozen=True)
class Text:
    """A narrative paragraph (or heading) for the report; its text is escaped when rendered.

    ``**bold**`` is the only markup honoured.
    """

    body: str
    level: int = 0  # 0 = paragraph, 2/3 = heading level
    css: str = ""

    def _repr_html_(self) -> str:
        if self.level:
            return f"<h{self.level}>{_inline(self.body)}</h{self.level}>"
        cls = f' class="{html.escape(self.css)}"' if self.css else ""
        paragraphs = [p for p in self.body.split("\n\n") if p.strip()]
        return "".join(f"<p{cls}>{_inline(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)

    def __str__(self) -> str:
        return self.body

    def _repr_pretty_(self, p, cycle) -> None:  # IPython plain-text display
        p.text(self.body)


def text(*parts: str, css: str = "") -> Text:
    """A narrative paragraph from already formatted sentence parts (joined without separator)."""
    return Text("".join(parts), css=css)


def heading(title: str, *, level: int = 2) -> Text:
    """A sub-heading produced from data (e.g. a segment name); escaped when rendered."""
    if level not in (2, 3, 4):
        raise CXValueError(f"level must be 2, 3 or 4; got {level!r}")
    return Text(title, level=level)


@dataclass(frozen=True)
class Table:
    """A report table: raw data, column labels and formats, title, base line and notes.

    Renders as HTML (``table.cx-table``) and carries its raw numbers under :data:`TABLE_MIME`.
    Build it with :func:`table`.
    """

    data: pd.DataFrame
    title: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    base: str | None = None
    notes: tuple[str, ...] = ()
    flags: Mapping[str, str] = field(default_factory=dict)  # column -> css class column (bool col)

    def _display_frame(self) -> pd.DataFrame:
        cols = [c for c in self.data.columns if c not in self.flags.values()]
        return self.data[cols]

    def to_html(self) -> str:
        """The table as escaped HTML."""
        frame = self._display_frame()
        head = "".join(f"<th>{html.escape(str(self.labels.get(c, c)))}</th>" for c in frame.columns)
        rows = []
        for idx in range(len(frame)):
            cells = []
            for col in frame.columns:
                kind = self.formats.get(col, "text")
                value = frame[col].iloc[idx]
                css = "cx-text" if kind == "text" else ""
                flag_col = self.flags.get(col)
                if flag_col is not None and bool(self.data[flag_col].iloc[idx]):
                    css = (css + " cx-flag").strip()
                attr = f' class="{css}"' if css else ""
                cells.append(f"<td{attr}>{html.escape(fmt(value, kind))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        parts = [
            '<table class="cx-table">',
            f"<caption>{html.escape(self.title)}</caption>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>" + "".join(rows) + "</tbody>",
            "</table>",
        ]
        if self.base:
            parts.append(f'<p class="cx-base">{html.escape(self.base)}</p>')
        for note in self.notes:
            parts.append(f'<p class="cx-note">{html.escape(note)}</p>')
        return "".join(parts)

    def to_payload(self) -> dict[str, Any]:
        """JSON payload with raw values (for tables.xlsx)."""
        frame = self._display_frame()
        records = []
        for row in frame.itertuples(index=False, name=None):
            records.append([_json_value(v) for v in row])
        return {
            "name": self.name,
            "title": self.title,
            "columns": [str(self.labels.get(c, c)) for c in frame.columns],
            "formats": [self.formats.get(c, "text") for c in frame.columns],
            "rows": records,
            "base": self.base,
            "notes": list(self.notes),
        }

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.to_html(), "text/plain": self.title, TABLE_MIME: self.to_payload()}


def _json_value(v: Any) -> Any:
    if _missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    return str(v)


def table(
    data: pd.DataFrame,
    *,
    title: str,
    name: str,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    base: str | None = None,
    notes: Sequence[str] = (),
    flags: Mapping[str, str] | None = None,
) -> Table:
    """Build a report :class:`Table` from a frame of raw values.

    Parameters
    ----------
    data : DataFrame
        Raw values (not formatted). Not modified.
    title : str
        Caption shown above the table (already in the report language).
    name : str
        Short sheet name for ``tables.xlsx`` (at most 31 characters are kept).
    columns : sequence of str, optional
        Columns to show, in order; default all.
    labels : mapping, optional
        Column header for each column (default the column name).
    formats : mapping, optional
        Column -> one of :data:`FORMATS`; default ``'text'`` for object columns, ``'int'`` for
        integers, ``'num2'`` for floats.
    base : str, optional
        Base line (see :func:`fmt_base`).
    notes : sequence of str
        Footnotes.
    flags : mapping, optional
        Column -> name of a boolean column; flagged cells are highlighted (e.g. low base).

    Raises
    ------
    CXValueError
        A named column is not in ``data`` or a format is unknown.
    """
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    flags = dict(flags or {})
    cols = list(columns) if columns is not None else list(data.columns)
    needed = cols + list(flags.values())
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise CXValueError(f"table {name!r}: column {missing[0]!r} is not in the data; columns: {list(data.columns)}")
    frame = data[list(dict.fromkeys(needed))].reset_index(drop=True).copy()
    fmts = {}
    for c in cols:
        kind = (formats or {}).get(c)
        if kind is None:
            dtype = frame[c].dtype
            kind = "int" if pd.api.types.is_integer_dtype(dtype) else (
                "num2" if pd.api.types.is_float_dtype(dtype) else "text")
        if kind not in FORMATS:
            raise CXValueError(f"table {name!r}: format of column {c!r} must be one of {', '.join(FORMATS)}; got {kind!r}")
        fmts[c] = kind
    return Table(
        data=frame,
        title=title,
        name=name,
        labels=dict(labels or {}),
        formats=fmts,
        base=base,
        notes=tuple(notes),
        flags=flags,
    )


@dataclass(frozen=True)
class _Verbatims:
    items: tuple[tuple[str, str], ...]

    def _repr_html_(self) -> str:
        out = []
        for quote, source in self.items:
            src = f'<br><span class="cx-note">— {html.escape(source)}</span>' if source else ""
            out.append(f'<blockquote class="cx-verbatim">{html.escape(quote)}{src}</blockquote>')
        return "".join(out)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text("\n".join(q for q, _ in self.items))


def verbatims(quotes: Sequence[str], *, sources: Sequence[str] | None = None) -> _Verbatims:
    """Customer comments shown as quotations, escaped (markup in a comment is shown as text).

    Parameters
    ----------
    quotes : sequence of str
        The comments, as written.
    sources : sequence of str, optional
        One attribution per quote (e.g. branch and year) — never a respondent identifier.
    """
    quotes = [str(q) for q in quotes]
    srcs = [str(s) for s in sources] if sources is not None else [""] * len(quotes)
    if len(srcs) != len(quotes):
        raise CXValueError(f"sources must have one entry per quote ({len(quotes)}); got {len(srcs)}")
    return _Verbatims(tuple(zip(quotes, srcs, strict=True)))


# -- helpers for estimate frames (survey results) -----------------------------------------------


def var_label(name: str, *, lang: str, codebook=None) -> str:
    """The codebook label of a variable in ``lang`` (the name itself when unknown)."""
    _check_lang(lang)
    if codebook is not None and name in codebook:
        return codebook.get(name).label_for(lang)
    return word(name, lang) if name in _WORDS else name


def value_label(name: str, code: Any, *, lang: str, codebook=None) -> str:
    """The label of value ``code`` of a categorical variable (the code itself when unlabelled)."""
    if _missing(code):
        return "–"
    if codebook is not None and name in codebook:
        var = codebook.get(name)
        key = int(code) if isinstance(code, numbers.Real) and float(code).is_integer() else code
        label = var.value_label(key, lang)
        if label:
            return label
    if isinstance(code, numbers.Real) and float(code).is_integer():
        return str(int(code))
    return str(code)


def labelled(frame: pd.DataFrame, columns: Sequence[str], *, lang: str, codebook=None) -> pd.DataFrame:
    """A copy of ``frame`` with the codes in ``columns`` replaced by their value labels."""
    out = frame.copy()
    for col in columns:
        if col == "wave":
            out[col] = out[col].map(lambda v: "–" if _missing(v) else str(int(v)))
        else:
            out[col] = out[col].map(lambda v, c=col: value_label(c, v, lang=lang, codebook=codebook))
    return out


_RESULT_COLUMNS = frozenset({
    "score", "n", "n_eff", "weight_sum", "estimate", "se", "ci_lower", "ci_upper", "deff", "small_base",
    "suppressed", "change", "change_se", "change_p_value", "change_ci_lower", "change_ci_upper",
    "promoters", "passives", "detractors", "level", "k", "statistic", "df", "threshold", "p_value", "p_adj",
})

_VALUE_FORMATS = {"mean": "num2", "nps": "num1", "share": "pct1", "pct": "pct1"}


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
        Caption and sheet name.
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
    if by is None:
        by = [c for c in result.columns if c not in known]
    frame = labelled(result, by, lang=lang, codebook=codebook)
    cols = list(by)
    labels = {c: var_label(c, lang=lang, codebook=codebook) for c in by}
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
    total = first["n"].sum() if "n" in first else None
    return table(frame, title=title, name=name, columns=cols, labels=labels, formats=fmts,
                 base=None if total is None else fmt_base(total, lang), notes=notes,
                 flags={k: v for k, v in flags.items() if v})


def _by_columns(result: pd.DataFrame) -> list[str]:
    known = _RESULT_COLUMNS
    return [c for c in result.columns if c not in known]


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
    if lang == "zh":
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
                    name: str = "missing_answers") -> Table:
    """Table of declared missing answers (don't know, refused, …) per variable and meaning.

    ``missing`` is the store's ``missing_codes`` frame (``variable``, ``meaning``, ``code``, …).
    """
    _check_lang(lang)
    for col in ("variable", "meaning"):
        if col not in missing:
            raise CXValueError(f"missing_answers needs column {col!r}; got {list(missing.columns)}")
    counts = missing.groupby(["variable", "meaning"]).size().unstack("meaning", fill_value=0)
    meanings = list(counts.columns)
    counts["total"] = counts.sum(axis=1)
    counts = counts.sort_values("total", ascending=False).reset_index()
    counts["variable"] = counts["variable"].map(lambda v: var_label(v, lang=lang, codebook=codebook))
    names = {"dont_know": ("不知道", "Don't know"), "refused": ("拒答", "Refused"),
             "system": ("系统缺失", "System missing"), "not_applicable": ("不适用", "Not applicable")}
    labels = {"variable": "题目" if lang == "zh" else "Item", "total": word("total", lang)}
    for m in meanings:
        zh, en = names.get(m, (m, m))
        labels[m] = zh if lang == "zh" else en
    title = "缺失回答（按题目）" if lang == "zh" else "Missing answers by item"
    return table(counts, title=title, name=name, columns=["variable", *meanings, "total"], labels=labels,
                 formats={"variable": "text", **{m: "int" for m in meanings}, "total": "int"},
                 base=fmt_base(len(missing), lang).replace("n =", "回答数 =" if lang == "zh" else "answers ="))


def _range(lo: str, hi: str, lang: str) -> str:
    """An interval as text: ``'3.1–4.2'``, or ``'-26.4 to -21.5'`` when a bound is negative."""
    if lo.startswith("-") or hi.startswith("-"):
        return f"{lo} 至 {hi}" if lang == "zh" else f"{lo} to {hi}"
    return f"{lo}–{hi}"


def _value(x: Any, kind: str) -> str:
    return fmt(x, _VALUE_FORMATS.get(kind, kind))


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
        s = f"In {wave}, **{label}** stood at **{level}** ({conf} CI {ci}; n = {fmt_int(row['n'])})."
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


def _need_cols(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(f"{where}: expected a DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXValueError(f"{where}: frame lacks column(s) {missing}; has {list(frame.columns)}")


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
    notes = [("p 值经 Holm 法多重比较校正；“显著”指校正后 p < " if lang == "zh"
              else "p values adjusted for multiple comparisons (Holm); 'significant' means adjusted p < ") + f"{alpha}."]
    return table(frame, title=title, name=name, columns=cols, labels=labels,
                 formats={"level_a": "text", "level_b": "text", "estimate_a": vf, "estimate_b": vf,
                          "estimate": "signed2" if kind == "mean" else vf, "p_value": "pvalue",
                          "p_adj": "pvalue", "sig_text": "text"}, notes=notes)


# -- key drivers ----------------------------------------------------------------------------------


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
        title = f"{outcome}的驱动因素重要性" if lang == "zh" else f"Drivers of {outcome.lower()}: importance"
    method = {"lmg": "LMG / Shapley", "relative_weights": "Johnson relative weights"}.get(result.method, result.method)
    notes = [(f"方法：{method}；模型 R² = {fmt_num(result.r2, 3)}。" if lang == "zh"
              else f"Method: {method}; model R² = {fmt_num(result.r2, 3)}.")]
    if getattr(result, "ci", False):
        notes.append(f"区间为 bootstrap {getattr(result, 'n_boot', '')} 次重抽样。" if lang == "zh"
                     else f"Intervals from {getattr(result, 'n_boot', '')} bootstrap resamples.")
    return table(imp, title=title, name=name, columns=cols, labels=labels, formats=fmts,
                 base=fmt_base(result.n, lang, n_eff=result.n_eff, min_base=min_base), notes=notes)


def say_drivers(result, *, ipa: pd.DataFrame | None = None, lang: str, codebook=None,
                min_base: int | None = None, top: int = 3) -> Text:
    """Narrative on the strongest drivers, the model fit and the priority (concentrate-here) items."""
    _check_lang(lang)
    imp = result.importance.sort_values("rank")
    best = imp.head(top)
    names = [f"{var_label(r.driver, lang=lang, codebook=codebook)}（{fmt_pct(r.share, 1)}）" if lang == "zh"
             else f"{var_label(r.driver, lang=lang, codebook=codebook).lower()} ({fmt_pct(r.share, 1)})"
             for r in best.itertuples()]
    outcome = var_label(result.outcome, lang=lang, codebook=codebook)
    covered = best["share"].sum()
    if lang == "zh":
        s = (f"这些驱动因素共解释了{outcome}方差的 **{fmt_pct(result.r2)}**（R² = {fmt_num(result.r2, 2)}，"
             f"n = {fmt_int(result.n)}）。影响最大的是" + "、".join(names) +
             f"，合计占可解释部分的 {fmt_pct(covered)}。")
    else:
        s = (f"Together the drivers explain **{fmt_pct(result.r2)}** of the variance in {outcome.lower()} "
             f"(R² = {fmt_num(result.r2, 2)}, n = {fmt_int(result.n)}). The strongest are " + ", ".join(names) +
             f", together {fmt_pct(covered)} of what the model explains.")
    if ipa is not None and "quadrant" in ipa:
        focus = ipa[ipa["quadrant"] == "concentrate_here"].sort_values("importance", ascending=False)
        if len(focus):
            items = [var_label(d, lang=lang, codebook=codebook) for d in focus["driver"]]
            if lang == "zh":
                s += "\n\n重要性高而表现偏低、应**优先改进**的是：" + "、".join(items) + "。"
            else:
                s += ("\n\nHigh in importance but below average in performance — the **priorities for "
                      "improvement** — are: " + ", ".join(i.lower() for i in items) + ".")
    return Text(s)


# -- persistence and loyalty ----------------------------------------------------------------------


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
        frame["sig_text"] = frame[sig].map(lambda b: word("yes" if b else "no", lang))
    if title is None:
        title = (f"{exposure}对{outcome}的滞后效应" if lang == "zh"
                 else f"Effect of {exposure.lower()} on {outcome.lower()} by lag")
    labels = {"lag": "滞后（年）" if lang == "zh" else "Lag (years)", "estimate": "系数" if lang == "zh" else "Coefficient",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
              "p_value": word("p_value", lang), "sig_text": "显著为正" if lang == "zh" else "Significantly positive"}
    cols = ["lag", "estimate", "ci_lower", "ci_upper", "p_value"] + (["sig_text"] if sig else [])
    notes = [(f"面板回归，客户聚类标准误；{profile.n_customers:,} 位客户、{profile.n_obs:,} 个客户年。" if lang == "zh"
              else f"Panel regression with customer-clustered standard errors; {profile.n_customers:,} customers, "
                   f"{profile.n_obs:,} customer-years.")]
    return table(frame, title=title, name=name, columns=cols, labels=labels,
                 formats={"lag": "int", "estimate": "num3", "ci_lower": "num3", "ci_upper": "num3",
                          "p_value": "pvalue", "sig_text": "text"}, notes=notes)


def say_horizon(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on how many years an exposure keeps acting (``cx.persistence.horizon``)."""
    _check_lang(lang)
    est = result.primary
    s = est.profile.settings
    exposure = var_label(s.get("exposure", ""), lang=lang, codebook=codebook)
    outcome = var_label(s.get("outcome", ""), lang=lang, codebook=codebook)
    h = int(est.h)
    ci = (f"{int(est.ci_lower)}–{int(est.ci_upper)}" if est.ci_lower != est.ci_upper else f"{int(est.ci_lower)}")
    table_ = est.profile.table
    lag0 = table_.loc[table_["lag"] == 0, "estimate"]
    if lang == "zh":
        txt = (f"**{exposure}**对**{outcome}**的影响可持续 **{h} 年**"
               + ("以上" if est.censored else "") + f"（bootstrap 区间 {ci} 年）：")
        txt += (f"当年{exposure}每高 1 分，{outcome}高 {fmt_num(lag0.iloc[0], 2)} 分；" if len(lag0) else "")
        txt += f"其后 {max(h - 1, 0)} 年的滞后效应依然显著为正。"
    else:
        txt = (f"**{exposure}** keeps acting on **{outcome.lower()}** for **{h} year{'s' if h != 1 else ''}**"
               + (" or more" if est.censored else "") + f" (bootstrap interval {ci}): ")
        txt += (f"one point more in the current year goes with {fmt_num(lag0.iloc[0], 2)} points more "
                f"{outcome.lower()}, " if len(lag0) else "")
        txt += f"and the effect stays significantly positive for {max(h - 1, 0)} further year(s)."
    rob = getattr(result, "robustness", None)
    if rob is not None and hasattr(rob, "h"):
        same = int(rob.h) == h
        if lang == "zh":
            txt += f"\n\n仅用客户自身变化（固定效应）估计的持续期为 {int(rob.h)} 年，" + ("结论一致。" if same else "结论对估计方法敏感，应谨慎解读。")
        else:
            txt += (f"\n\nEstimated from within-customer changes only (fixed effects) the horizon is {int(rob.h)} "
                    + ("year(s): the same conclusion." if same else "year(s): the conclusion depends on the estimator; read with care."))
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


def say_hazard(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative: churn rate of customers never dissatisfied vs after the longest runs."""
    _check_lang(lang)
    rates = result.rates.reset_index(drop=True)
    lo, hi = rates.iloc[0], rates.iloc[-1]
    ratio = hi["hazard"] / lo["hazard"] if lo["hazard"] else float("nan")
    if lang == "zh":
        s = (f"当年未处于不满意状态的客户，年流失率为 {fmt_pct(lo['hazard'], 1)}；连续 {hi['run_length']} 年不满意的客户，"
             f"年流失率升至 **{fmt_pct(hi['hazard'], 1)}**，约为前者的 {fmt_num(ratio, 1)} 倍。不满意持续越久，流失风险越高。")
    else:
        s = (f"Customers not in a dissatisfied spell churn at {fmt_pct(lo['hazard'], 1)} a year; after "
             f"{hi['run_length']} consecutive dissatisfied years the rate is **{fmt_pct(hi['hazard'], 1)}**, about "
             f"{fmt_num(ratio, 1)} times as high. The longer dissatisfaction lasts, the higher the risk of losing "
             "the customer.")
    return Text(s)


_STAGE_LABELS = {
    "prospect": ("潜在客户", "Prospect"), "target": ("目标客户", "Target"), "first_time": ("首次购买", "First-time"),
    "repeat": ("重复购买", "Repeat"), "loyal": ("忠诚客户", "Loyal"), "advocate": ("推荐者", "Advocate"),
    "churned": ("已流失", "Churned"),
}


def stage_labels(lang: str) -> dict[str, str]:
    """Loyalty-ladder stage names in ``lang``."""
    _check_lang(lang)
    return {k: (zh if lang == "zh" else en) for k, (zh, en) in _STAGE_LABELS.items()}


def ladder_table(shares: pd.DataFrame, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                 waves: Sequence[int] | None = None, title: str | None = None) -> Table:
    """Loyalty-ladder stage shares per year (``cx.loyalty.stage_shares``), years as columns."""
    _check_lang(lang)
    _need_cols(shares, ["year", "stage", "share"], "ladder_table")
    data = shares if waves is None else shares[shares["year"].isin(list(waves))]
    wide = data.pivot_table(index="stage", columns="year", values="share", aggfunc="sum", observed=False)
    order = [s for s in _STAGE_LABELS if s in wide.index]
    wide = wide.loc[order].reset_index()
    wide["stage"] = wide["stage"].map(stage_labels(lang))
    years = [c for c in wide.columns if c != "stage"]
    wide.columns = ["stage"] + [str(int(y)) for y in years]
    if title is None:
        title = "客户忠诚度阶梯（各阶段占比）" if lang == "zh" else "Loyalty ladder: share of customers in each stage"
    totals = data.groupby("year")["n"].sum() if "n" in data else None
    base = None if totals is None else fmt_base(totals.iloc[-1], lang)
    return table(wide, title=title, name=name, labels={"stage": "阶段" if lang == "zh" else "Stage"},
                 formats={"stage": "text", **{c: "pct0" for c in wide.columns[1:]}}, base=base)


def penalty_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                  title: str | None = None) -> Table:
    """Loss per department transfer (``cx.loyalty.transfer_penalty``)."""
    _check_lang(lang)
    frame = result.table.copy()
    _need_cols(frame, ["measure", "estimate", "ci_lower", "ci_upper", "p_value", "n"], "penalty_table")
    frame["measure_text"] = frame["measure"].map(
        {"loyalty": "复购意向（均值）" if lang == "zh" else "Repurchase intent (mean)",
         "promoter": "成为推荐者的概率" if lang == "zh" else "Chance of being a promoter"}).fillna(frame["measure"])
    labels = {"measure_text": "指标" if lang == "zh" else "Measure",
              "estimate": "每次转接的相对损失" if lang == "zh" else "Relative loss per transfer",
              "ci_lower": word("ci_lower", lang), "ci_upper": word("ci_upper", lang),
              "p_value": word("p_value", lang), "n": word("n", lang)}
    if title is None:
        title = "部门间转接对忠诚度的影响" if lang == "zh" else "What each transfer between departments costs"
    return table(frame, title=title, name=name, columns=["measure_text", "estimate", "ci_lower", "ci_upper", "p_value", "n"],
                 labels=labels, formats={"measure_text": "text", "estimate": "pct1", "ci_lower": "pct1",
                                         "ci_upper": "pct1", "p_value": "pvalue", "n": "int"},
                 notes=["对数链接泊松准似然模型，客户聚类标准误。" if lang == "zh"
                        else "Log-link Poisson quasi-likelihood model, customer-clustered standard errors."])


def say_penalty(result, *, lang: str, codebook=None, min_base: int | None = None) -> Text:
    """Narrative on the loyalty cost of each transfer."""
    _check_lang(lang)
    t = result.table.set_index("measure")
    if "loyalty" not in t.index:
        raise CXValueError("say_penalty: the result has no 'loyalty' measure")
    row = t.loc["loyalty"]
    ci = f"{fmt_pct(row['ci_lower'], 1)}–{fmt_pct(row['ci_upper'], 1)}"
    conf = f"{round(100 * (1 - float(result.settings.get('alpha', 0.05))))}%"
    if lang == "zh":
        s = (f"服务过程中每多一次部门间转接，客户的复购意向平均下降 **{fmt_pct(row['estimate'], 1)}**"
             f"（{conf} 置信区间 {ci}）。")
        if "promoter" in t.index:
            s += f"成为推荐者的概率每次下降 {fmt_pct(t.loc['promoter', 'estimate'], 0)}。"
    else:
        s = (f"Each additional transfer between departments during a service contact lowers repurchase intent by "
             f"**{fmt_pct(row['estimate'], 1)}** on average ({conf} CI {ci}).")
        if "promoter" in t.index:
            s += f" The chance of being a promoter falls by {fmt_pct(t.loc['promoter', 'estimate'], 0)} per transfer."
    return Text(s)


def band_labels(result, *, score: str, lang: str, codebook=None, min_base: int | None = None) -> dict[str, str]:
    """Legend texts for satisfaction bands (``'0-5'`` -> ``'Overall satisfaction 0–5'``)."""
    _check_lang(lang)
    name = var_label(score, lang=lang, codebook=codebook)
    return {b: f"{name} {str(b).replace('-', '–')}" for b in result.summary["band"]}


def retention_table(result, *, name: str, lang: str, codebook=None, min_base: int | None = None,
                    title: str | None = None) -> Table:
    """Retention summary by satisfaction band (``cx.loyalty.retention_curves(...).summary``)."""
    _check_lang(lang)
    frame = result.summary.copy()
    _need_cols(frame, ["band", "n", "events", "median_years"], "retention_table")
    frame["median_years"] = frame["median_years"].replace([np.inf], np.nan)
    labels = {"band": "基期满意度" if lang == "zh" else "Baseline satisfaction", "n": word("n", lang),
              "events": "流失数" if lang == "zh" else "Churned",
              "median_years": "中位留存年数" if lang == "zh" else "Median years retained"}
    lr = result.logrank
    note = ""
    if lr is not None and len(lr):
        p = lr["p_value"].iloc[0]
        note = (f"对数秩检验 {p_eq(p)}。“–”：观察期内留存未降至 50%。" if lang == "zh"
                else f"Log-rank test {p_eq(p)}. '–': retention stayed above 50% over the period observed.")
    if title is None:
        title = "按满意度分组的客户留存" if lang == "zh" else "Customer retention by satisfaction band"
    return table(frame, title=title, name=name, columns=["band", "n", "events", "median_years"], labels=labels,
                 formats={"band": "text", "n": "int", "events": "int", "median_years": "num0"},
                 notes=[note] if note else [])


# -- alerts, verbatims, employees ---------------------------------------------------------------

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


# -- methods and validity appendix --------------------------------------------------------------


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
        ("按边际分布调整（raking）" if zh else "Raked to margins of",
         "、".join(var_label(v, lang=lang, codebook=codebook) for v in params.variables.raking) if params.variables.raking
         else ("否" if zh else "no")),
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
        title = f"驱动模型诊断（{outcome}）" if lang == "zh" else f"Driver model diagnostics ({outcome.lower()})"
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
                 flags={"estimate": flag} if flag else None,
                 notes=[(f"α 低于 {fmt_num(threshold, 2)} 标红。" if zh
                         else f"α below {fmt_num(threshold, 2)} flagged.")])


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
