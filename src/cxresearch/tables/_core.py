"""Core of the report tables: number formats, report words, escaped Table/Text display objects."""

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

from cxresearch._i18n import LANGS, check_lang, known, message
from cxresearch.errors import CXValueError

__all__ = [
    "mid_sentence",
    "TABLE_MIME",
    "FORMATS",
    "LANGS",
    "word",
    "is_word",
    "fmt_num",
    "fmt_int",
    "fmt_pct",
    "fmt_p",
    "p_eq",
    "fmt",
    "fmt_base",
    "Text",
    "text",
    "heading",
    "Table",
    "table",
    "verbatims",
    "var_label",
    "value_label",
    "labelled",
]


#: MIME type carrying a table's raw data (harvested into tables.xlsx).
TABLE_MIME = "application/vnd.cxresearch.table+json"

#: Tables of at most this many rows are kept on one page (longer ones split between rows).
SHORT_TABLE_ROWS = 18

#: Cell formats a table column may use.
FORMATS = ("text", "int", "num0", "num1", "num2", "num3", "pct0", "pct1", "pvalue", "signed2")

# The report's words (``word("base", lang)`` …) are entries of the package's gettext catalog,
# src/cxresearch/locale/{zh,en}/LC_MESSAGES/cxresearch.po (see cxresearch._i18n).


def _check_lang(lang: str) -> None:
    check_lang(lang)


def word(key: str, lang: str, **params: Any) -> str:
    """A fixed report word (``'base'``, ``'total'`` …) or sentence in ``lang``, from the message
    catalog; a sentence's ``{name}`` fields are filled from ``params``.

    Raises
    ------
    CXValueError
        Unknown key or language.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.word("base", "zh"), cx.tables.word("base", "en")
    ('基数', 'Base')
    >>> cx.tables.word("survey.pct_points", "zh", x="3.2")
    '3.2 个百分点'
    >>> cx.tables.word("survey.pct_points", "en", x="3.2")
    '3.2 points'
    >>> cx.tables.word("base", "fr")
    Traceback (most recent call last):
        ...
    cxresearch.errors.CXValueError: lang must be one of 'zh', 'en'; got 'fr'
    """
    return message(key, lang, **params)


def is_word(name: str) -> bool:
    """Whether ``name`` (a column or variable name) has a report word of its own."""
    return isinstance(name, str) and "." not in name and known(name)


def mid_sentence(label: str, lang: str) -> str:
    """A label as it reads inside an English sentence: ``'Overall satisfaction'`` ->
    ``'overall satisfaction'``; acronyms and names that start with one (``'NPS'``, ``'CRM data'``)
    are kept. Chinese labels are returned as they are.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.mid_sentence("Overall satisfaction", "en")
    'overall satisfaction'
    >>> cx.tables.mid_sentence("NPS", "en"), cx.tables.mid_sentence("CRM data", "en")
    ('NPS', 'CRM data')
    >>> cx.tables.mid_sentence("TVnews", "en")  # a capital inside the word: kept (not 'tVnews')
    'TVnews'
    >>> cx.tables.mid_sentence("总体满意度", "zh")
    '总体满意度'
    """
    if lang != "en" or not label:
        return label
    first = label.split()[0]
    if len(first) > 1 and (
        first.isupper()
        or any(ch.isdigit() for ch in first)
        or any(ch.isupper() for ch in first[1:])  # TVnews, McDonald's, a variable name (W.Hnd)
    ):
        return label
    return label[:1].lower() + label[1:]


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, numbers.Real) and math.isnan(float(x))) or x is pd.NA


def fmt_num(x: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators; ``'–'`` when missing.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.fmt_num(7.0349), cx.tables.fmt_num(7.0349, 2), cx.tables.fmt_num(12345.6, 0)
    ('7.0', '7.03', '12,346')
    >>> cx.tables.fmt_num(float("nan")), cx.tables.fmt_num(-0.04)
    ('–', '0.0')
    """
    if _missing(x):
        return "–"
    return f"{float(x):z,.{digits}f}"  # z: a value that rounds to zero prints 0.0, never -0.0


def fmt_int(x: Any) -> str:
    """A whole number with thousands separators; ``'–'`` when missing.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.fmt_int(6366), cx.tables.fmt_int(1049.6), cx.tables.fmt_int(None)
    ('6,366', '1,050', '–')
    """
    if _missing(x):
        return "–"
    return f"{round(float(x)):,d}"


def fmt_pct(x: Any, digits: int = 0) -> str:
    """A proportion (0–1) as a percentage, e.g. ``0.423 -> '42%'``; ``'–'`` when missing.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.fmt_pct(0.423), cx.tables.fmt_pct(0.4236, 1), cx.tables.fmt_pct(float("nan"))
    ('42%', '42.4%', '–')
    """
    if _missing(x):
        return "–"
    return f"{100 * float(x):z.{digits}f}%"


def fmt_p(p: Any, floor: float | None = None) -> str:
    """A p value: ``'<0.001'`` below 0.001, else three decimals; ``'–'`` when missing.

    ``floor``: the smallest p the method can report (a bootstrap's 1/(B + 1)); a p at or below it
    prints as ``'<'`` the floor rounded up to two significant digits (``'<0.005'`` for B = 200),
    so a Monte-Carlo p is never shown as more precise than its replicates allow.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.fmt_p(0.0341), cx.tables.fmt_p(0.0004), cx.tables.fmt_p(None)
    ('0.034', '<0.001', '–')

    A bootstrap p from B = 200 replicates cannot be smaller than 1/201:

    >>> cx.tables.fmt_p(1 / 201, floor=1 / 201)
    '<0.005'
    """
    if _missing(p):
        return "–"
    p = float(p)
    if floor is not None and not _missing(floor) and p <= float(floor) * (1 + 1e-12):
        f = float(floor)
        e = math.floor(math.log10(f)) - 1
        up = math.ceil(f / 10**e - 1e-9) * 10**e
        return f"<{up:.{max(0, -e)}f}".rstrip("0").rstrip(".") if up < 1 else "<1"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p: Any, floor: float | None = None) -> str:
    """``'p = 0.034'`` or ``'p < 0.001'`` for narrative text (``floor`` as :func:`fmt_p`).

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.p_eq(0.0341), cx.tables.p_eq(0.0004)
    ('p = 0.034', 'p < 0.001')
    """
    text = fmt_p(p, floor)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def fmt(x: Any, kind: str) -> str:
    """Format one value by column format ``kind`` (one of :data:`FORMATS`).

    Examples
    --------
    >>> import cxresearch as cx
    >>> [cx.tables.fmt(0.4236, kind) for kind in ("num2", "pct0", "pct1", "pvalue", "signed2")]
    ['0.42', '42%', '42.4%', '0.424', '+0.42']
    >>> cx.tables.fmt(1204, "int"), cx.tables.fmt(None, "text")
    ('1,204', '')
    >>> cx.tables.fmt(0.42, "percent")
    Traceback (most recent call last):
        ...
    cxresearch.errors.CXValueError: column format must be one of text, ...; got 'percent'
    """
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
        return "–" if _missing(x) else f"{float(x):+z.2f}"
    raise CXValueError(f"column format must be one of {', '.join(FORMATS)}; got {kind!r}")


def fmt_base(n: Any, lang: str, *, n_eff: Any = None, min_base: int | None = None) -> str:
    """The base line under a table or chart: ``'Base: n = 1,204 (effective n = 1,050)'``.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.tables.fmt_base(1204, "en", n_eff=1049.6)
    'Base: n = 1,204 (effective n = 1,050)'
    >>> cx.tables.fmt_base(1204, "zh", n_eff=1049.6)
    '基数：n = 1,204（有效样本量 = 1,050）'
    >>> cx.tables.fmt_base(41, "en", min_base=50)
    'Base: n = 41 — base below the reporting minimum (50)'
    >>> cx.tables.fmt_base(41, "zh", min_base=50)
    '基数：n = 41 — 样本量低于报告下限 (50)'
    """
    _check_lang(lang)
    line = word("fmt.base", lang, base=word("base", lang), n=fmt_int(n))
    if n_eff is not None and not _missing(n_eff):
        label = word("n_eff", lang)
        line += word(
            "fmt.base_n_eff",
            lang,
            label=label,
            label_lower=mid_sentence(label, "en"),
            n_eff=fmt_int(n_eff),
        )
    if min_base is not None and not _missing(n) and float(n) < min_base:
        line += word("fmt.low_base", lang, low_base=word("low_base", lang), min_base=min_base)
    return line


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
    """A narrative paragraph from already formatted sentence parts (joined without separator).

    Examples
    --------
    >>> import cxresearch as cx
    >>> t = cx.tables.text("NPS rose by ", "**4.2 points**", " <vs 2024>.")
    >>> print(t)
    NPS rose by **4.2 points** <vs 2024>.
    >>> t._repr_html_()
    '<p>NPS rose by <strong>4.2 points</strong> &lt;vs 2024&gt;.</p>'
    """
    return Text("".join(parts), css=css)


def heading(title: str, *, level: int = 2) -> Text:
    """A sub-heading produced from data (e.g. a segment name); escaped when rendered.

    Examples
    --------
    >>> import cxresearch as cx
    >>> h = cx.tables.heading("Branch: Guangzhou", level=3)
    >>> h.level, str(h)
    (3, 'Branch: Guangzhou')
    >>> h._repr_html_()
    '<h3>Branch: Guangzhou</h3>'
    """
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
    flags: Mapping[str, str] = field(
        default_factory=dict
    )  # column -> flag column (bool, or a css class name)

    def _display_frame(self) -> pd.DataFrame:
        cols = [c for c in self.data.columns if c not in self.flags.values()]
        return self.data[cols]

    def to_html(self) -> str:
        """The table as escaped HTML."""
        frame = self._display_frame()
        head = "".join(
            f'<th class="{"cx-text" if self.formats.get(c, "text") == "text" else "cx-num"}">'
            f"{html.escape(str(self.labels.get(c, c)))}</th>"
            for c in frame.columns
        )
        rows = []
        for idx in range(len(frame)):
            cells = []
            for col in frame.columns:
                kind = self.formats.get(col, "text")
                value = frame[col].iloc[idx]
                css = "cx-text" if kind == "text" else ""
                flag_col = self.flags.get(col)
                if flag_col is not None:
                    mark = self.data[flag_col].iloc[idx]
                    if isinstance(mark, str):  # a css class of its own (e.g. cx-above / cx-below)
                        css = (css + " " + mark).strip() if mark else css
                    elif bool(mark):
                        css = (css + " cx-flag").strip()
                attr = f' class="{css}"' if css else ""
                cells.append(f"<td{attr}>{html.escape(fmt(value, kind))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        # a short table never splits (it moves whole); a long one splits between rows
        short = len(frame) <= SHORT_TABLE_ROWS
        parts = [
            f'<div class="cx-exhibit{" cx-exhibit-short" if short else ""}">',
            f'<table class="cx-table" id="tbl-{html.escape(self.name, quote=True)}">',
            f"<caption>{html.escape(self.title)}</caption>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>" + "".join(rows) + "</tbody>",
            "</table>",
        ]
        if self.base:
            parts.append(f'<p class="cx-base">{html.escape(self.base)}</p>')
        for note in self.notes:
            parts.append(f'<p class="cx-note">{html.escape(note)}</p>')
        parts.append("</div>")
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
        return {
            "text/html": self.to_html(),
            "text/plain": self.title,
            TABLE_MIME: self.to_payload(),
        }


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
        Column -> name of a boolean column (flagged cells are highlighted, e.g. low base) or of a
        text column holding a css class per row (``cx-above``/``cx-below`` colour a scorecard cell).

    Raises
    ------
    CXValueError
        A named column is not in ``data`` or a format is unknown.

    Examples
    --------
    A table of NPS by branch (raw numbers in, formats chosen per column):

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> frame = pd.DataFrame({"branch": ["Beijing", "Wuhan"], "nps": [31.25, 18.5],
    ...                       "promoters": [0.512, 0.437], "n": [412, 38]})
    >>> frame["low"] = frame["n"] < 50
    >>> t = cx.tables.table(frame, title="NPS by branch", name="nps_branch",
    ...                     columns=["branch", "nps", "promoters", "n"],
    ...                     labels={"branch": "Branch", "nps": "NPS", "promoters": "Promoters"},
    ...                     formats={"nps": "num1", "promoters": "pct0"},
    ...                     base=cx.tables.fmt_base(frame["n"].sum(), "en"), flags={"n": "low"})
    >>> t.title, t.base
    ('NPS by branch', 'Base: n = 450')
    >>> t.formats
    {'branch': 'text', 'nps': 'num1', 'promoters': 'pct0', 'n': 'int'}
    >>> t.data
        branch    nps  promoters    n    low
    0  Beijing  31.25      0.512  412  False
    1    Wuhan  18.50      0.437   38   True
    >>> t.to_payload()["columns"]
    ['Branch', 'NPS', 'Promoters', 'n']
    >>> [cx.tables.fmt(v, t.formats["promoters"]) for v in t.data["promoters"]]
    ['51%', '44%']
    >>> cx.tables.table(frame, title="NPS by branch", name="nps_branch", columns=["region"])
    Traceback (most recent call last):
        ...
    cxresearch.errors.CXValueError: table 'nps_branch': column 'region' is not in the data; ...
    """
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    flags = dict(flags or {})
    cols = list(columns) if columns is not None else list(data.columns)
    needed = cols + list(flags.values())
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise CXValueError(
            f"table {name!r}: column {missing[0]!r} is not in the data; columns: {list(data.columns)}"
        )
    frame = data[list(dict.fromkeys(needed))].reset_index(drop=True).copy()
    fmts = {}
    for c in cols:
        kind = (formats or {}).get(c)
        if kind is None:
            dtype = frame[c].dtype
            kind = (
                "int"
                if pd.api.types.is_integer_dtype(dtype)
                else ("num2" if pd.api.types.is_float_dtype(dtype) else "text")
            )
        if kind not in FORMATS:
            raise CXValueError(
                f"table {name!r}: format of column {c!r} must be one of {', '.join(FORMATS)}; got {kind!r}"
            )
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
    payload: dict | None = None  # the quotes as a table (a sheet of tables.xlsx)
    notes: tuple[str, ...] = ()

    def _repr_html_(self) -> str:
        # one block per quote: a long list breaks between quotes, never inside one
        out = ['<div class="cx-verbatims">']
        for quote, source in self.items:
            src = f'<br><span class="cx-note">— {html.escape(source)}</span>' if source else ""
            out.append(f'<blockquote class="cx-verbatim">{html.escape(quote)}{src}</blockquote>')
        out += [f'<p class="cx-note">{html.escape(n)}</p>' for n in self.notes]
        out.append("</div>")
        return "".join(out)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {
            "text/html": self._repr_html_(),
            "text/plain": "\n".join(q for q, _ in self.items),
        }
        if self.payload is not None:
            bundle[TABLE_MIME] = self.payload
        return bundle

    def _repr_pretty_(self, p, cycle) -> None:
        p.text("\n".join(q for q, _ in self.items))


def verbatims(
    quotes: Sequence[str],
    *,
    sources: Sequence[str] | None = None,
    mask: bool = True,
    codeframe=None,
) -> _Verbatims:
    """Customer comments shown as quotations, escaped (markup in a comment is shown as text) and,
    by default, with personal data masked.

    Parameters
    ----------
    quotes : sequence of str
        The comments, as written.
    sources : sequence of str, optional
        One attribution per quote (e.g. branch and year) — never a respondent identifier.
    mask : bool, default True
        Mask phone numbers, e-mail addresses, identity numbers and names
        (:func:`cxresearch.text.mask_pii`) — whatever the caller did before: nothing the masker
        catches reaches a report through a quotation.
    codeframe : Codeframe, dict, path or None
        The masking forms (default codeframe if None).

    Examples
    --------
    >>> import cxresearch as cx
    >>> v = cx.tables.verbatims(
    ...     ["The repair took three weeks, call me on 13812345678.", "Quick <b>and</b> polite!"],
    ...     sources=["Beijing, 2025", "Wuhan, 2025"],
    ... )
    >>> for quote, source in v.items:
    ...     print(quote, "|", source)
    The repair took three weeks, call me on [phone]. | Beijing, 2025
    Quick <b>and</b> polite! | Wuhan, 2025
    """
    quotes = [str(q) for q in quotes]
    if mask:
        from cxresearch.text import mask_pii

        quotes = [mask_pii(q, codeframe=codeframe) for q in quotes]
    srcs = [str(s) for s in sources] if sources is not None else [""] * len(quotes)
    if len(srcs) != len(quotes):
        raise CXValueError(
            f"sources must have one entry per quote ({len(quotes)}); got {len(srcs)}"
        )
    return _Verbatims(tuple(zip(quotes, srcs, strict=True)))


def _book(codebook):
    """``codebook`` when it is a loaded :class:`~cxresearch.codebook.Codebook` or None; a dict or a
    path is refused (``name in`` a dict looks at its top-level keys: the labels were silently
    lost)."""
    from cxresearch.codebook import Codebook

    if codebook is None or isinstance(codebook, Codebook):
        return codebook
    raise CXValueError(
        "codebook must be a loaded Codebook: pass cx.codebook.load(...) of the YAML file or dict; "
        f"got {type(codebook).__name__}"
    )


def var_label(name: str, *, lang: str, codebook=None) -> str:
    """The codebook label of a variable in ``lang`` (the name itself when unknown).

    Examples
    --------
    >>> import cxresearch as cx
    >>> cb = cx.codebook.load(cx.synth.codebook_dict())
    >>> cx.tables.var_label("overall_sat", lang="zh", codebook=cb)
    '总体满意度'
    >>> cx.tables.var_label("overall_sat", lang="en", codebook=cb)
    'Overall satisfaction'
    >>> cx.tables.var_label("n_eff", lang="zh"), cx.tables.var_label("q17b", lang="en")
    ('有效样本量', 'q17b')
    """
    _check_lang(lang)
    if _book(codebook) is not None and name in codebook:
        return codebook.get(name).label_for(lang)
    return word(name, lang) if is_word(name) else name


def value_label(name: str, code: Any, *, lang: str, codebook=None) -> str:
    """The label of value ``code`` of a categorical variable (the code itself when unlabelled).

    Examples
    --------
    >>> import cxresearch as cx
    >>> cb = cx.codebook.load(cx.synth.codebook_dict())
    >>> cx.tables.value_label("branch", 3, lang="zh", codebook=cb)
    '广州'
    >>> cx.tables.value_label("branch", 3.0, lang="en", codebook=cb)
    'Guangzhou'
    >>> cx.tables.value_label("branch", 9, lang="en", codebook=cb)
    '9'
    """
    if _missing(code):
        return "–"
    if _book(codebook) is not None and name in codebook:
        var = codebook.get(name)
        key = int(code) if isinstance(code, numbers.Real) and float(code).is_integer() else code
        label = var.value_label(key, lang)
        if label:
            return label
    if isinstance(code, numbers.Real) and float(code).is_integer():
        return str(int(code))
    return str(code)


def labelled(
    frame: pd.DataFrame, columns: Sequence[str], *, lang: str, codebook=None
) -> pd.DataFrame:
    """A copy of ``frame`` with the codes in ``columns`` replaced by their value labels.

    Examples
    --------
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> cb = cx.codebook.load(cx.synth.codebook_dict())
    >>> est = pd.DataFrame({"wave": [2025, 2025, 2025], "branch": [1, 3, 8],
    ...                     "estimate": [7.41, 6.88, 7.02]})
    >>> cx.tables.labelled(est, ["wave", "branch"], lang="zh", codebook=cb)
       wave branch  estimate
    0  2025     北京      7.41
    1  2025     广州      6.88
    2  2025     昆明      7.02
    >>> cx.tables.labelled(est, ["branch"], lang="en", codebook=cb)["branch"].tolist()
    ['Beijing', 'Guangzhou', 'Kunming']
    """
    out = frame.copy()
    for col in columns:
        if col == "wave":
            out[col] = out[col].map(lambda v: "–" if _missing(v) else str(int(v)))
        else:
            out[col] = out[col].map(
                lambda v, c=col: value_label(c, v, lang=lang, codebook=codebook)
            )
    return out


_RESULT_COLUMNS = frozenset(
    {
        "score",
        "n",
        "n_eff",
        "weight_sum",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "deff",
        "small_base",
        "suppressed",
        "change",
        "change_se",
        "change_df",
        "change_p_value",
        "change_ci_lower",
        "change_ci_upper",
        "promoters",
        "passives",
        "detractors",
        "level",
        "k",
        "statistic",
        "df",
        "threshold",
        "p_value",
        "p_adj",
    }
)

_VALUE_FORMATS = {"mean": "num2", "nps": "num1", "share": "pct1", "pct": "pct1"}


def _by_columns(result: pd.DataFrame) -> list[str]:
    known = _RESULT_COLUMNS
    return [c for c in result.columns if c not in known]


def _range(lo: str, hi: str, lang: str) -> str:
    """An interval as text: ``'3.1–4.2'``, or ``'-26.4 to -21.5'`` when a bound is negative."""
    if lo.startswith("-") or hi.startswith("-"):  # a dash between negative numbers misreads
        return word("fmt.range_words", lang, lo=lo, hi=hi)
    return word("fmt.range", lang, lo=lo, hi=hi)


def _threshold(x: Any) -> str:
    """A threshold as the params give it: ``5`` for 5.0, ``4.5`` for 4.5 (never rounded); ``'–'``
    when missing."""
    if _missing(x):
        return "–"
    x = float(x)
    return fmt_int(x) if x == int(x) else f"{x:z,.10g}"


def _value(x: Any, kind: str) -> str:
    return fmt(x, _VALUE_FORMATS.get(kind, kind))


def _need_cols(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(f"{where}: expected a DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXValueError(f"{where}: frame lacks column(s) {missing}; has {list(frame.columns)}")
