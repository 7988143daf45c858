"""Banner tables ("tabs"): every question down the side, the banner across, with significance letters.

The consultant's table book (SPSS Custom Tables, Q, quantipy): one sheet per question or
multi-response set; rows are the answer categories with their value labels, nets (top-2 and
bottom-2 box on the item's own scale; promoters, passives, detractors and NPS on 0–10
recommendation items), mean and standard deviation where the scale allows, and the base and
effective base; columns are Total and every level of every banner variable. Each banner column
has a letter; a cell lists the letters of the columns of the same banner variable it is
significantly higher than, upper case at the strict level and lower case at the usual one.

Question groups get summary sheets first: each codebook dimension with two or more 1–k items on
one scale (the ``process:*`` items as one group) and all driver items on one scale, with each
item's top-2 box, mean and base copied from its own sheet.

The statistics come from :func:`cxresearch.survey.crosstab` with ``test='design'`` (design-based
t tests of the difference of two domain estimates, Taylor linearisation, as R ``survey``'s
``svyby`` + ``svycontrast``), with a multiplicity correction over the column pairs of each banner
variable in each row; this module only arranges and writes them.

:func:`build_tabs` computes a :class:`TabBook` from a response frame and a codebook;
:func:`write_tabs` writes it as an Excel workbook (a contents sheet with hyperlinks, one sheet per
table, numbers as numbers, CJK-aware column widths, written atomically); :func:`report_tabs`
builds the book a report's params ask for (``tabs.banners``, default ``variables.by``), which
``cxresearch run`` writes as ``tabs.<lang>.xlsx`` when ``output.formats`` lists ``tabs``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch._i18n import check_lang, message
from cxresearch.codebook import DIMENSIONS
from cxresearch.errors import CXValueError, SmallBaseWarning

__all__ = ["TabBook", "TabSheet", "build_tabs", "report_tabs", "write_tabs", "tabs_filename"]

#: Codebook kinds tabulated as questions.
QUESTION_KINDS = ("likert", "rating", "nps", "numeric", "binary", "category")
#: Roles that are never questions.
_SKIP_ROLES = ("id", "weight", "wave", "text")
#: A banner variable may have at most this many levels (columns).
MAX_BANNER_LEVELS = 30
#: Numeric items with whole-number scales of at most this many points get one row per point.
MAX_SCALE_POINTS = 11

_TOTAL = "__total__"
_WEIGHT = "__weight__"

# The book's words are entries of the package's message catalog: ``tabs.<key>`` (``_t``), and
# ``tabs.dimension.<dimension>`` / ``tabs.correction.<method>`` for the summary sheets' titles and
# the footnote naming the multiplicity correction (see cxresearch._i18n).

#: Codebook dimensions with a name of their own in the summary sheets' titles (``process`` stands
#: for every ``process:<name>``); another dimension is named by its code.
_DIMENSIONS = (*DIMENSIONS, "process")
#: Multiplicity corrections with a name in the footnotes (another is shown by its code).
_CORRECTIONS = ("holm", "bonferroni", "bh", "none")


def _t(key: str, lang: str, **kw: Any) -> str:
    """The book's word ``key`` in ``lang`` (catalog entry ``tabs.<key>``), its fields from ``kw``."""
    return message(f"tabs.{key}", lang, **kw)


def _correction(method: str, lang: str) -> str:
    """The multiplicity correction ``method`` in words (``'holm'`` -> ``'Holm correction'``)."""
    return message(f"tabs.correction.{method}", lang) if method in _CORRECTIONS else str(method)


def _dimension(dim: str, lang: str) -> str:
    return message(f"tabs.dimension.{dim}", lang) if dim in _DIMENSIONS else dim


@dataclass(frozen=True)
class TabSheet:
    """One banner table (a question or a multi-response set).

    Attributes
    ----------
    name : str
        The codebook variable or multi-response set.
    title : str
        Its label in the book's language.
    kind : str
        ``'scale'``, ``'category'``, ``'numeric'``, ``'multi_response'`` or ``'summary'`` (a question
        group: the top-2 box and mean rows of several items on one scale, from their own sheets).
    cells : DataFrame
        One row per table row × column, in display order: ``row`` (a key such as ``'code:5'``,
        ``'top2'``, ``'mean'``; ``'<item>|top2'`` in a summary), ``row_label``, ``row_type``
        ('base', 'eff_base', 'category', 'net', 'mean', 'sd', 'nps', 'option', 'any', 'heading'), ``banner`` (``'Total'`` or the banner
        variable), ``column`` (its level), ``column_label``, ``letter``, ``n`` (the column's base),
        ``n_eff``, ``estimate`` (a share 0–1, a mean, an SD, an NPS on −100..100, or the base),
        ``letters``, ``tested``, ``small_base``, ``suppressed``.
    tests : DataFrame
        Every pairwise test behind the letters (``cxresearch.survey.CrosstabResult.tests``, with
        ``row`` the row key).
    notes : tuple of str
        Sheet-specific notes (in the book's language).
    """

    name: str
    title: str
    kind: str
    cells: pd.DataFrame
    tests: pd.DataFrame
    notes: tuple[str, ...] = ()

    def table(self, value: str = "estimate") -> pd.DataFrame:
        """The sheet as a wide table: one row per table row, one column per banner column."""
        c = self.cells
        order_rows = list(dict.fromkeys(c["row"]))
        order_cols = list(dict.fromkeys(zip(c["banner"], c["column"], strict=True)))
        wide = c.pivot_table(
            index="row",
            columns=["banner", "column"],
            values=value,
            aggfunc="first",
            dropna=False,
            sort=False,
        )
        return wide.reindex(index=order_rows, columns=pd.MultiIndex.from_tuples(order_cols))


@dataclass(frozen=True)
class TabBook:
    """A banner book: the tables, the banner columns and the settings they were computed with.

    Attributes
    ----------
    sheets : tuple of TabSheet
    columns : DataFrame
        The banner columns in order: ``banner``, ``banner_label``, ``column``, ``column_label``,
        ``letter`` (Total first, with no letter).
    settings : dict
        ``lang``, ``banners``, ``weights``, ``alpha`` (strict, loose), ``correction``, ``test``,
        ``min_base``, ``anonymity_min``.
    notes : tuple of str
        Book-wide notes (e.g. "no banner variable: Total only"; questions left out).
    title, subtitle : str
        Shown on the contents sheet.
    """

    sheets: tuple[TabSheet, ...]
    columns: pd.DataFrame
    settings: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    title: str = ""
    subtitle: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Every cell of every sheet, with a ``sheet`` column (the question or set name)."""
        if not self.sheets:
            return pd.DataFrame()
        return pd.concat([s.cells.assign(sheet=s.name) for s in self.sheets], ignore_index=True)

    def sheet(self, name: str) -> TabSheet:
        """The sheet of question or set ``name``."""
        for s in self.sheets:
            if s.name == name:
                return s
        raise CXValueError(f"no tab for {name!r}; tabs: {', '.join(s.name for s in self.sheets)}")


# --------------------------------------------------------------------------------------------
# building the tables
# --------------------------------------------------------------------------------------------


def _fmt_code(code: Any) -> str:
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return str(code)


def _code_range(codes: Sequence) -> str:
    return (
        f"{_fmt_code(codes[0])}–{_fmt_code(codes[-1])}" if len(codes) > 1 else _fmt_code(codes[0])
    )


def _indicator(values: pd.Series, valid: np.ndarray, codes: Sequence) -> np.ndarray:
    hit = values.isin(list(codes)).to_numpy()
    return np.where(valid, hit.astype(float), np.nan)


def _question_rows(var, values: pd.Series, lang: str) -> tuple[str, list[tuple], list[str]]:
    """Rows of one question: ``(kind, [(key, label, row_type, x)], notes)``; x float, NaN off-base."""
    kind = var.kind.value
    valid = values.notna().to_numpy()
    rows: list[tuple] = []
    notes: list[str] = []
    labels = var.values or {}
    numeric = kind in ("likert", "rating", "nps", "numeric")
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float) if numeric else None
    if numeric and np.isnan(x[valid]).any():
        i = int(np.flatnonzero(valid & np.isnan(x))[0])
        raise CXValueError(
            f"tabs: {var.name!r} is kind {kind!r} and must hold numbers; got "
            f"{values.iloc[i]!r} at row {values.index[i]!r}"
        )
    points: list = []
    if kind in ("likert", "rating", "nps") or (kind == "numeric" and var.scale is not None):
        lo, hi = var.scale
        observed = x[valid]
        whole = (
            float(lo).is_integer()
            and float(hi).is_integer()
            and np.all(observed == np.round(observed))
        )
        if whole and hi - lo + 1 <= MAX_SCALE_POINTS:
            points = list(range(int(lo), int(hi) + 1))
            extra = sorted(set(observed.tolist()) - set(points))
            points += [int(v) if float(v).is_integer() else v for v in extra]
    if kind == "binary":
        points = [1, 0]
    elif kind == "category":
        points = list(labels)
        extra = [
            v
            for v in _levels(values)
            if v not in labels
            and not (isinstance(v, float) and v.is_integer() and int(v) in labels)
        ]
        points += extra
        if extra:
            notes.append(
                _t("values_not_in_codebook", lang, values=", ".join(_fmt_code(v) for v in extra))
            )
    for code in points:
        label = var.value_label(code, lang) if labels else None
        if label is None and kind == "binary":
            label = _t("yes" if code == 1 else "no", lang)
        label = label if label is not None else _fmt_code(code)
        if labels and numeric and label != _fmt_code(code):  # scale points: "5 Very satisfied"
            label = f"{_fmt_code(code)} {label}"
        rows.append(
            (f"code:{_fmt_code(code)}", label, "category", _indicator(values, valid, [code]))
        )
    if kind == "nps":
        rows.append(("promoters", _t("promoters", lang), "net", _indicator(values, valid, [9, 10])))
        rows.append(("passives", _t("passives", lang), "net", _indicator(values, valid, [7, 8])))
        rows.append(
            ("detractors", _t("detractors", lang), "net", _indicator(values, valid, list(range(7))))
        )
        score = np.where(valid, np.where(x >= 9, 100.0, np.where(x <= 6, -100.0, 0.0)), np.nan)
        rows.append(("nps", _t("nps", lang), "nps", score))
    elif kind in ("likert", "rating") and len(points) >= 4:
        scale_points = [p for p in points if var.scale[0] <= p <= var.scale[1]]
        top, bottom = scale_points[-2:], scale_points[:2]
        rows.append(
            (
                "top2",
                _t("top2", lang, codes=_code_range(top)),
                "net",
                _indicator(values, valid, top),
            )
        )
        rows.append(
            (
                "bottom2",
                _t("bottom2", lang, codes=_code_range(bottom)),
                "net",
                _indicator(values, valid, bottom),
            )
        )
    if numeric:
        rows.append(("mean", _t("mean", lang), "mean", np.where(valid, x, np.nan)))
    if numeric:
        out_kind = "scale" if points else "numeric"
    else:
        out_kind = "category"
    return out_kind, rows, notes


def _levels(values: pd.Series) -> list:
    """Distinct non-missing values, sorted when they can be."""
    lv = list(pd.unique(values.dropna()))
    try:
        return sorted(lv)
    except TypeError:
        return lv


def _multi_rows(mr, frame: pd.DataFrame, codebook, lang: str) -> tuple[list[tuple], list[str]]:
    """Rows of a multi-response set: each option's share of the respondents who answered the set."""
    opts = frame[list(mr.options)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(opts) & ~np.isin(opts, (0.0, 1.0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise CXValueError(
            f"tabs: option {mr.options[j]!r} of multi-response set {mr.name!r} must be 0 "
            f"or 1; got {float(opts[i, j])!r} at row {frame.index[i]!r}"
        )
    complete = ~np.isnan(opts).any(axis=1)
    partial = int((~np.isnan(opts).all(axis=1) & ~complete).sum())
    notes = []
    if partial:
        notes.append(_t("partial_answers", lang, k=partial))
    rows = []
    for j, opt in enumerate(mr.options):
        label = codebook.get(opt).label_for(lang)
        rows.append((f"option:{opt}", label, "option", np.where(complete, opts[:, j], np.nan)))
    anyx = np.where(complete, (np.nan_to_num(opts) > 0).any(axis=1).astype(float), np.nan)
    rows.append(("any", _t("any", lang), "any", anyx))
    return rows, notes


def _tabulate(
    frame: pd.DataFrame,
    rows: list[tuple],
    *,
    banners: list[str],
    weights: str | None,
    alpha,
    correction,
    min_base,
    anonymity_min,
    strata,
    cluster,
    fpc,
    columns: pd.DataFrame,
):
    """Run ``crosstab`` on the derived row columns; return (cells in display order, tests)."""
    from cxresearch.survey import crosstab

    work = pd.DataFrame(index=frame.index)
    for b in banners:
        work[b] = frame[b]
    design_cols = {}
    if weights is not None:
        work[_WEIGHT] = frame[weights]
        design_cols["weights"] = _WEIGHT
    for key, value in (("strata", strata), ("cluster", cluster), ("fpc", fpc)):
        if isinstance(value, str):
            work[f"__{key}__"] = frame[value]
            design_cols[key] = f"__{key}__"
        elif value is not None:
            design_cols[key] = value
    names = [f"__r{i}" for i in range(len(rows))]
    for name, (_, _, _, x) in zip(names, rows, strict=True):
        work[name] = x
    use_banners = banners
    if not banners:
        work[_TOTAL] = 1
        use_banners = [_TOTAL]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)  # the workbook flags and suppresses them
        res = crosstab(
            work,
            banner=use_banners,
            means=names,
            alpha=alpha,
            correction=correction,
            min_base=min_base,
            anonymity_min=anonymity_min,
            total=True,
            test="design",
            **design_cols,
        )
    cells = res.cells
    if not banners:
        cells = cells[cells["banner"] == "Total"]
    meta = {name: r for name, r in zip(names, rows, strict=True)}
    col_labels = {
        (b, c): lab
        for b, c, lab in zip(
            columns["banner"], columns["column"], columns["column_label"], strict=True
        )
    }
    out = []
    first = names[0]
    base_cells = cells[cells["row"] == first]
    for row_type in ("base", "eff_base"):
        for _, c in base_cells.iterrows():
            est = c["n"] if row_type == "base" else c["n_eff"]
            out.append(
                dict(
                    row=row_type,
                    row_label=None,
                    row_type=row_type,
                    banner=c["banner"],
                    column=c["column"],
                    letter=c["letter"],
                    n=c["n"],
                    n_eff=c["n_eff"],
                    estimate=float(est),
                    letters="",
                    tested=False,
                    small_base=bool(c["small_base"]),
                    suppressed=bool(c["suppressed"]),
                )
            )
    for name in names:
        key, label, row_type, _ = meta[name]
        part = cells[cells["row"] == name]
        for _, c in part.iterrows():
            out.append(
                dict(
                    row=key,
                    row_label=label,
                    row_type=row_type,
                    banner=c["banner"],
                    column=c["column"],
                    letter=c["letter"],
                    n=c["n"],
                    n_eff=c["n_eff"],
                    estimate=c["estimate"],
                    letters=c["letters"],
                    tested=bool(c["tested"]),
                    small_base=bool(c["small_base"]),
                    suppressed=bool(c["suppressed"]),
                )
            )
        if row_type == "mean":
            for _, c in part.iterrows():
                out.append(
                    dict(
                        row="sd",
                        row_label=None,
                        row_type="sd",
                        banner=c["banner"],
                        column=c["column"],
                        letter=c["letter"],
                        n=c["n"],
                        n_eff=c["n_eff"],
                        estimate=c["sd"],
                        letters="",
                        tested=False,
                        small_base=bool(c["small_base"]),
                        suppressed=bool(c["suppressed"]),
                    )
                )
    out_df = pd.DataFrame(out)
    out_df["column_label"] = [
        col_labels.get((b, c)) for b, c in zip(out_df["banner"], out_df["column"], strict=True)
    ]
    keymap = {name: meta[name][0] for name in names}
    tests = res.tests.assign(row=res.tests["row"].map(keymap)) if len(res.tests) else res.tests
    return out_df, tests, res.settings


def _letters(n: int) -> list[str]:
    """A, B, … Z, AA, BB, … (as ``crosstab`` letters its columns)."""
    return [chr(ord("A") + i % 26) * (i // 26 + 1) for i in range(n)]


def _banner_columns(frame: pd.DataFrame, banners: list[str], codebook, lang: str) -> pd.DataFrame:
    rows = [
        dict(
            banner="Total",
            banner_label=_t("total", lang),
            column="Total",
            column_label=_t("total", lang),
            letter="",
        )
    ]
    levels = []
    for b in banners:
        var = codebook.get(b) if b in codebook else None
        blabel = var.label_for(lang) if var is not None else b
        for lv in _levels(frame[b]):
            lab = var.value_label(lv, lang) if var is not None else None
            if lab is None and var is not None and var.kind.value == "binary" and lv in (0, 1):
                lab = _t("yes" if lv == 1 else "no", lang)
            levels.append(
                dict(
                    banner=b,
                    banner_label=blabel,
                    column=lv,
                    column_label=lab if lab is not None else _fmt_code(lv),
                )
            )
    for item, letter in zip(levels, _letters(len(levels)), strict=True):
        rows.append({**item, "letter": letter})
    return pd.DataFrame(rows)


def _summaries(sheets: list[TabSheet], book, lang: str) -> list[TabSheet]:
    """Question-group sheets: each codebook dimension with two or more 1–k items on one scale, and
    all driver items on one scale; rows are each item's top-2 box, then each item's mean, then
    each item's base (cells copied from the items' sheets: the same numbers and letters)."""
    scaled = [
        s
        for s in sheets
        if s.kind == "scale"
        and book.get(s.name).kind.value in ("likert", "rating")
        and (s.cells["row"] == "top2").any()
    ]
    groups: list[tuple[str, str, list[TabSheet]]] = []
    by_dim: dict[tuple, list[TabSheet]] = {}
    by_role: dict[tuple, list[TabSheet]] = {}
    for s in scaled:
        v = book.get(s.name)
        if v.dimension:
            dim = v.dimension.split(":")[0]
            by_dim.setdefault((dim, tuple(v.scale)), []).append(s)
        if v.role == "driver":
            by_role.setdefault(tuple(v.scale), []).append(s)
    for (dim, _), items in by_dim.items():
        if len(items) >= 2:
            groups.append((dim, _dimension(dim, lang), items))
    for _, items in by_role.items():
        if len(items) >= 2 and all(len(items) != len(g[2]) or items != g[2] for g in groups):
            groups.append(("drivers", _t("drivers", lang), items))
    out = []
    seen: set[str] = set()
    for key, label, items in groups:
        name = f"summary_{key}"
        while name in seen:
            name += "_"
        seen.add(name)
        parts = []
        for row_key, row_type in (("top2", "net"), ("mean", "mean"), ("base", "base")):
            head = items[0].cells[items[0].cells["row"] == row_key]
            heading = head.iloc[0]["row_label"] if row_key != "top2" else head.iloc[0]["row_label"]
            parts.append(
                head.assign(
                    row=f"heading:{row_key}",
                    row_label=heading,
                    row_type="heading",
                    estimate=np.nan,
                    letters="",
                    tested=False,
                )
            )
            for s in items:
                part = s.cells[s.cells["row"] == row_key]
                parts.append(
                    part.assign(row=f"{s.name}|{row_key}", row_label=s.title, row_type=row_type)
                )
        cells = pd.concat(parts, ignore_index=True)
        tests = pd.concat(
            [
                s.tests[s.tests["row"].isin(["top2", "mean"])].assign(
                    row=lambda t, n=s.name: n + "|" + t["row"]
                )
                for s in items
            ],
            ignore_index=True,
        )
        out.append(
            TabSheet(
                name=name,
                title=_t("summary", lang, group=label),
                kind="summary",
                cells=cells,
                tests=tests,
                notes=(_t("summary_note", lang),),
            )
        )
    return out


def _plain_frame(data: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy with pandas' nullable columns (``Int64``, ``boolean``, ``string``, as the
    store returns) as NumPy ones with NaN for missing, which the survey functions expect."""
    out = data.copy(deep=False)
    for col in out.columns:
        s = out[col]
        if not isinstance(s.dtype, pd.api.extensions.ExtensionDtype) or isinstance(
            s.dtype, pd.CategoricalDtype
        ):
            continue
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), np.nan)
    return out


def _check_names(names, allowed: dict[str, str], key: str) -> list[str]:
    out = []
    for i, name in enumerate(names):
        if name not in allowed:
            raise CXValueError(
                f"{key}[{i}]: {name!r} is not a codebook variable or multi-response set; "
                f"allowed: {', '.join(allowed)}"
            )
        out.append(name)
    return out


def build_tabs(
    data: pd.DataFrame,
    *,
    codebook: Any,
    banners: Sequence[str] = (),
    questions: Sequence[str] | None = None,
    weights: str | None = None,
    lang: str = "en",
    alpha: tuple[float, float] = (0.01, 0.05),
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
    strata: str | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    title: str = "",
    subtitle: str = "",
) -> TabBook:
    """Banner tables of every question (or of ``questions``) against ``banners``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave). Not modified.
    codebook : Codebook, dict or path
        The study codebook (kinds, scales, value labels, multi-response sets).
    banners : list of str
        Banner variables; each level is a column with a letter. Empty: Total only.
    questions : list of str, optional
        Variables and multi-response sets to tabulate, in this order. Default: every variable of
        kind likert, rating, nps, numeric, binary or category that is not an id, weight, wave or
        text, not a banner variable and not an option of a multi-response set, in codebook order,
        with each multi-response set in place of its first option, preceded by the summary
        sheets of the question groups (not made when ``questions`` is given).
    weights : str, optional
        Sampling-weights column.
    lang : {'zh', 'en'}
        Language of labels and notes.
    alpha : (strict, loose)
        Letters in upper case when the corrected p < strict, lower case when < loose.
    correction : {'holm', 'bonferroni', 'bh', 'none'}
        Over the column pairs of each banner variable within each row.
    min_base, anonymity_min : int
        Columns with a base under ``min_base`` are flagged and not tested; under
        ``anonymity_min`` their estimates are suppressed.
    strata, cluster, fpc
        The sampling design (as :func:`cxresearch.survey.mean`); the default is weights only.
    title, subtitle : str
        Shown on the contents sheet.

    Returns
    -------
    TabBook

    Raises
    ------
    CXValueError
        An unknown question or banner; a banner variable absent from ``data`` or with more than
        :data:`MAX_BANNER_LEVELS` levels; an unknown language; a bad option value of a
        multi-response set; any error of :func:`cxresearch.survey.crosstab` (weights, alpha).

    Notes
    -----
    Every row is the weighted mean of a variable over the respondents with a valid answer (a
    category or net row: of its 0/1 indicator, so the estimate is a share; NPS: of the recode
    promoter = 100, passive = 0, detractor = −100). The letters are design-based t tests of the
    difference of two column estimates (``crosstab(test='design')``): the same test for shares,
    nets, means and NPS. Declared missing codes (don't know, refused) are outside the base.
    A multi-response set's base is the respondents who answered every option (0 or 1), as
    :func:`cxresearch.io.multi_response_shares`.

    Examples
    --------
    Rating of marriage by religiousness in the ``fair`` survey (6,366 women; statsmodels): the
    mean and top-2 box of each column, with the letters of the columns it is significantly above:

    >>> from statsmodels.datasets import fair
    >>> import cxresearch as cx
    >>> data = fair.load_pandas().data
    >>> codebook = {"variables": [
    ...     {"name": "rate_marriage", "label": {"en": "Rating of marriage"}, "kind": "likert",
    ...      "min": 1, "max": 5, "values": {1: {"en": "Very poor"}, 5: {"en": "Very good"}}},
    ...     {"name": "religious", "label": {"en": "Religiousness"}, "kind": "category",
    ...      "values": {1: {"en": "Not"}, 2: {"en": "Mildly"}, 3: {"en": "Fairly"},
    ...                 4: {"en": "Strongly"}}},
    ... ]}
    >>> book = cx.report.build_tabs(data, codebook=codebook, banners=["religious"],
    ...                             questions=["rate_marriage"])
    >>> cells = book.sheet("rate_marriage").cells
    >>> cells.query("row == 'mean'")[["column_label", "letter", "n", "estimate", "letters"]].round(2)
       column_label letter       n  estimate letters
    45        Total         6366.0      4.11
    46          Not      A  1021.0      4.08
    47       Mildly      B  2267.0      4.02
    48       Fairly      C  2422.0      4.14       B
    49     Strongly      D   656.0      4.35     ABC
    >>> cells.query("row == 'top2'")[["column_label", "estimate", "letters"]].round(3)
       column_label  estimate letters
    35        Total     0.774
    36          Not     0.753
    37       Mildly     0.743
    38       Fairly     0.792      aB
    39     Strongly     0.845     ABC
    """
    from cxresearch import codebook as cb

    check_lang(lang)
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    book = cb.load(codebook)
    data = _plain_frame(data)
    banners = list(banners or [])
    allowed_banners = {v.name: v.kind.value for v in book.variables}
    _check_names(banners, allowed_banners, "tabs.banners")
    missing = [b for b in banners if b not in data.columns]
    if missing:
        raise CXValueError(
            f"tabs.banners: {missing[0]!r} is not a column of the data; columns: "
            f"{', '.join(map(str, data.columns))}"
        )
    notes: list[str] = []
    for b in banners:
        n_levels = data[b].nunique(dropna=True)
        if n_levels > MAX_BANNER_LEVELS:
            raise CXValueError(
                f"tabs.banners: {b!r} has {n_levels} levels; a banner variable has at most "
                f"{MAX_BANNER_LEVELS} (use a category variable)"
            )
    empty = [b for b in banners if data[b].notna().sum() == 0]
    if empty:
        banners = [b for b in banners if b not in empty]
        notes.append(_t("banners_without_data", lang, names=", ".join(empty)))
    if not banners:
        notes.append(_t("no_banner", lang))

    option_of = {opt: mr for mr in book.multi_response for opt in mr.options}
    sets = {mr.name: mr for mr in book.multi_response}
    if questions is None:
        order: list[str] = []
        for v in book.variables:
            if v.kind.value not in QUESTION_KINDS or v.role in _SKIP_ROLES or v.name in banners:
                continue
            if v.name in option_of:
                if option_of[v.name].name not in order:
                    order.append(option_of[v.name].name)
                continue
            order.append(v.name)
        explicit = False
    else:
        allowed = {v.name: v.kind.value for v in book.variables if v.kind.value in QUESTION_KINDS}
        allowed.update({name: "multi_response" for name in sets})
        order = _check_names(list(dict.fromkeys(questions)), allowed, "tabs.questions")
        explicit = True

    columns = _banner_columns(data, banners, book, lang)
    common = dict(
        banners=banners,
        weights=weights,
        alpha=alpha,
        correction=correction,
        min_base=min_base,
        anonymity_min=anonymity_min,
        strata=strata,
        cluster=cluster,
        fpc=fpc,
        columns=columns,
    )
    sheets: list[TabSheet] = []
    left_out: list[str] = []
    settings: dict = {}
    for name in order:
        if name in sets:
            mr = sets[name]
            absent = [o for o in mr.options if o not in data.columns]
            if absent:
                if explicit:
                    raise CXValueError(
                        f"tabs.questions: set {name!r} has options without a data column: {absent}"
                    )
                left_out.append(name)
                continue
            rows, sheet_notes = _multi_rows(mr, data, book, lang)
            kind, title_text = "multi_response", mr.label_for(lang)
            sheet_notes.insert(0, _t("multi_response_note", lang))
        else:
            if name not in data.columns:
                if explicit:
                    raise CXValueError(f"tabs.questions: {name!r} is not a column of the data")
                left_out.append(name)
                continue
            var = book.get(name)
            kind, rows, sheet_notes = _question_rows(var, data[name], lang)
            title_text = var.label_for(lang)
        if not rows or not np.isfinite(rows[0][3]).any():
            left_out.append(name)
            continue
        cells, tests, settings = _tabulate(data, rows, **common)
        cells["row_label"] = [
            lab if isinstance(lab, str) else _t(rt, lang)
            for lab, rt in zip(cells["row_label"], cells["row_type"], strict=True)
        ]
        sheets.append(
            TabSheet(
                name=name,
                title=title_text,
                kind=kind,
                cells=cells,
                tests=tests,
                notes=tuple(sheet_notes),
            )
        )
    if not explicit:
        sheets = _summaries(sheets, book, lang) + sheets
    if left_out:
        notes.append(_t("questions_left_out", lang, names=", ".join(left_out)))
    a_strict, a_loose = (float(a) for a in alpha)
    out_settings = dict(
        lang=lang,
        banners=list(banners),
        weights=weights,
        alpha=(a_strict, a_loose),
        correction=correction,
        test="design",
        min_base=min_base,
        anonymity_min=anonymity_min,
        design=settings.get("design"),
        n=int(len(data)),
    )
    return TabBook(
        sheets=tuple(sheets),
        columns=columns,
        settings=out_settings,
        notes=tuple(notes),
        title=title,
        subtitle=subtitle,
    )


# --------------------------------------------------------------------------------------------
# the report's book
# --------------------------------------------------------------------------------------------


def tabs_filename(lang: str) -> str:
    """``tabs.<lang>.xlsx``."""
    return f"tabs.{lang}.xlsx"


def report_tabs(params, *, store: str | Path | None = None) -> TabBook:
    """The banner book a report's params ask for (focus wave, ``tabs`` settings, thresholds).

    Banners are ``tabs.banners`` (default the reporting segments ``variables.by``); banner
    variables without data in the focus wave are left out with a note. Weights are the report's
    (raked when the params give raking margins, held fixed in the tests).
    """
    from cxresearch import codebook as cb
    from cxresearch.report.context import Study
    from cxresearch.store import Store

    store_path = Path(store) if store is not None else params.data.store
    if params.data.codebook is not None:
        book = cb.load(params.data.codebook)
    else:
        with Store(store_path, read_only=True) as st:
            book = st.codebook(params.client)
    study = Study(params=params, codebook=book, store_path=Path(store_path))
    cfg = params.tabs
    # default: the reporting segments, filled from the codebook's roles when the params omit them
    banners = list(cfg.banners) if cfg.banners is not None else list(study.variables.by)
    data = study.current()
    present = [b for b in banners if b in data.columns]
    t = params.thresholds
    lang = params.language
    wave = study.wave
    weight = study.weight
    sub = _t(
        "subtitle",
        lang,
        client=params.client_name.for_lang(lang),
        period=params.period,
        wave=wave,
        weighting=_t("weighted_by", lang, weight=weight) if weight else message("unweighted", lang),
    )
    out = build_tabs(
        data,
        codebook=book,
        banners=present,
        questions=cfg.questions,
        weights=weight,
        lang=lang,
        alpha=(cfg.alpha[0], cfg.alpha[1]),
        correction=cfg.correction,
        min_base=t.min_base,
        anonymity_min=t.anonymity_min,
        title=_t("book_title", lang),
        subtitle=sub,
    )
    gone = [b for b in banners if b not in present]
    if gone:
        note = _t("banners_not_in_data", lang, names=", ".join(gone))
        out = TabBook(
            sheets=out.sheets,
            columns=out.columns,
            settings=out.settings,
            notes=out.notes + (note,),
            title=out.title,
            subtitle=out.subtitle,
        )
    return out


def write_tabs(book: TabBook, path: str | Path) -> Path:
    """Write ``book`` as an Excel workbook at ``path``, atomically (a temporary file, then a rename).

    A contents sheet with hyperlinks to every table (and a link back on each), one sheet per table:
    a title, the banner header (banner variable over its levels, each level's letter), the base and
    effective base, the rows (shares as percentages, means and SDs to two decimals; every number a
    number) each tested row followed by its letters row, and the footnotes (tests, levels,
    correction, bases, weighting). Columns with a base under ``min_base`` show their numbers with a
    ``*``; under ``anonymity_min`` a ``–`` instead of any estimate (the base count stays).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import load_workbook
    >>> from statsmodels.datasets import fair
    >>> import cxresearch as cx
    >>> codebook = {"variables": [
    ...     {"name": "rate_marriage", "label": {"en": "Rating of marriage"}, "kind": "likert",
    ...      "min": 1, "max": 5},
    ...     {"name": "religious", "label": {"en": "Religiousness"}, "kind": "category",
    ...      "values": {k: {"en": f"Religious {k}"} for k in (1, 2, 3, 4)}},
    ... ]}
    >>> book = cx.report.build_tabs(fair.load_pandas().data, codebook=codebook,
    ...                             banners=["religious"], questions=["rate_marriage"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = cx.report.write_tabs(book, Path(folder) / "tabs.en.xlsx")
    ...     print(path.name, load_workbook(path).sheetnames)
    tabs.en.xlsx ['Contents', '01 rate_marriage']
    """
    from cxresearch.report._tabs_xlsx import write_workbook

    return write_workbook(book, path)
