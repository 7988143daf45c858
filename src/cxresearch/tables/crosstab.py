"""The banner table of :func:`cxresearch.survey.crosstab`: report table and Excel sheet.

Both come from the same wide view (:meth:`~cxresearch.survey.CrosstabResult.wide`): the banner
columns side by side (Total first, each with its letter), the bases on top, the significance
letters beside each cell. Numbers stay numbers in Excel (percent or two-decimal formats).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxresearch._toolbox import atomic_path
from cxresearch.errors import CXValueError
from cxresearch.tables._core import Table, table, value_label, var_label, word

__all__ = ["crosstab_table", "crosstab_xlsx"]

_KINDS = ("proportion", "mean")


def _header(banner, column, letter, *, lang, codebook) -> str:
    if banner == "Total":
        return word("total", lang)
    label = value_label(banner, column, lang=lang, codebook=codebook)
    return f"{var_label(banner, lang=lang, codebook=codebook)}: {label}" + (
        f" ({letter})" if letter else ""
    )


def _row_label(kind, row, *, row_var, lang, codebook) -> str:
    if kind == "mean":
        return var_label(str(row), lang=lang, codebook=codebook)
    return value_label(row_var, row, lang=lang, codebook=codebook) if row_var else str(row)


def crosstab_table(
    result,
    *,
    kind: str | None = None,
    row: str | None = None,
    lang: str = "en",
    codebook=None,
    title: str | None = None,
    name: str = "crosstab",
) -> Table:
    """The banner view of one kind of row as a report :class:`~cxresearch.tables.Table`.

    Each banner column gives two table columns: the value (percent for proportion rows, two
    decimals for means) and its significance letters; the first rows are the bases (n and
    effective n). ``row`` names the row variable (for its value labels).

    Examples
    --------
    Mean scores in the four largest branches of the demo study, one wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017 and branch <= 4")
    >>> ct = cx.survey.crosstab(wave, banner="branch", weights="weight",
    ...                         means=["overall_sat", "recommend", "price_value"])
    >>> t = cx.tables.crosstab_table(ct, lang="en", codebook=cb)
    >>> t.title, [t.labels[c] for c in ("c0", "c1", "c4")]
    ('Banner table', ['Total', 'Branch: Beijing (A)', 'Branch: Chengdu (D)'])
    >>> print(t.data.round(2).to_string(index=False))
                        row     c0 c0_sig    c1 c1_sig    c2 c2_sig    c3 c3_sig    c4 c4_sig
                          n 209.00        64.00        53.00        53.00        39.00
                Effective n 208.32        63.86        53.00        52.99        38.91
       Overall satisfaction   7.06         7.67     BD  6.85         7.25      D  6.07
    Likelihood to recommend   6.69         7.28      D  6.47         6.68         6.00
            Value for money   3.32         3.66    bcD  3.24         3.25         2.92
    >>> zh = cx.tables.crosstab_table(ct, lang="zh", codebook=cb)
    >>> zh.title, zh.data["row"].tolist()[:3], zh.labels["c1"]
    ('交叉表', ['样本量', '有效样本量', '总体满意度'], '分公司: 北京 (A)')
    """
    kinds = list(dict.fromkeys(result.cells["kind"]))
    kind = kinds[0] if kind is None else kind
    if kind not in kinds:
        raise CXValueError(f"kind must be one of {', '.join(map(repr, kinds))}; got {kind!r}")
    est = result.wide(values="estimate").xs(kind, level="kind")
    let = result.wide(values="letters").xs(kind, level="kind")
    n = result.wide(values="n").max(axis=0)
    n_eff = result.wide(values="n_eff").max(axis=0)
    data = {
        "row": [word("n", lang), word("n_eff", lang)]
        + [_row_label(kind, r, row_var=row, lang=lang, codebook=codebook) for r in est.index]
    }
    labels, formats = {"row": ""}, {"row": "text"}
    for i, col in enumerate(est.columns):
        v, t = f"c{i}", f"c{i}_sig"
        # base rows hold counts; the value column's format is for the estimate rows
        data[v] = [float(n[col]), float(n_eff[col])] + [float(x) for x in est[col]]
        data[t] = ["", ""] + ["" if pd.isna(x) else str(x) for x in let[col]]
        labels[v] = _header(*col, lang=lang, codebook=codebook)
        labels[t] = ""
        formats[v] = "pct0" if kind == "proportion" else "num2"
        formats[t] = "text"
    frame = pd.DataFrame(data)
    return table(
        frame,
        title=title or word("crosstab.title", lang),
        name=name,
        labels=labels,
        formats=formats,
        notes=(_note(result, lang),),
    )


def _note(result, lang: str) -> str:
    """How the letters were tested, in the report's language (the result's own ``note`` is the
    English one a researcher reads in a notebook)."""
    s = result.settings
    if not {"alpha", "correction", "test", "min_base"} <= set(s):
        return str(s.get("note", ""))
    strict, loose = s["alpha"]
    how = "effective_base" if s["test"] == "effective_base" else "design"
    return word(
        "crosstab.note",
        lang,
        how=word(f"crosstab.how.{how}", lang),
        correction=word(f"crosstab.correction.{s['correction']}", lang),
        strict=f"{strict:g}",
        loose=f"{loose:g}",
        min_base=s["min_base"],
    )


def crosstab_xlsx(
    result,
    path: str | Path,
    *,
    row: str | None = None,
    lang: str = "en",
    codebook=None,
    sheet: str = "crosstab",
) -> Path:
    """Write the banner table to an Excel workbook (one sheet), atomically; return the path.

    Layout: row 1 the banner variables (merged over their columns), row 2 the columns, row 3 their
    letters, rows 4-5 the bases (n, effective n), then one row per table row: for each banner
    column the value (number, percent format for proportions) and, beside it, its letters.

    Examples
    --------
    Mean scores in the four largest branches of the demo study, one wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017 and branch <= 4")
    >>> ct = cx.survey.crosstab(wave, banner="branch", weights="weight",
    ...                         means=["overall_sat", "recommend", "price_value"])
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import load_workbook
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = cx.tables.crosstab_xlsx(ct, Path(tmp) / "tab.xlsx", lang="en", codebook=cb)
    ...     ws = load_workbook(path).active
    >>> path.name, ws.title
    ('tab.xlsx', 'crosstab')
    >>> [ws.cell(row=2, column=c).value for c in (2, 4, 6, 8, 10)]
    ['Total', 'Beijing', 'Shanghai', 'Guangzhou', 'Chengdu']
    >>> [ws.cell(row=3, column=c).value for c in (2, 4, 6, 8, 10)]
    [None, '(A)', '(B)', '(C)', '(D)']
    >>> cell = ws.cell(row=6, column=8)  # overall satisfaction, Guangzhou
    >>> ws.cell(row=6, column=1).value, round(cell.value, 2), cell.number_format
    ('Overall satisfaction', 7.25, '0.00')
    >>> ws.cell(row=6, column=9).value  # higher than column D (Chengdu)
    'D'
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    est = result.wide(values="estimate")
    let = result.wide(values="letters")
    sup = result.wide(values="suppressed")
    n = result.wide(values="n").max(axis=0)
    n_eff = result.wide(values="n_eff").max(axis=0)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    bold = Font(bold=True)
    ws.cell(row=4, column=1, value=word("n", lang))
    ws.cell(row=5, column=1, value=word("n_eff", lang))
    groups: dict[str, list[int]] = {}
    for i, col in enumerate(est.columns):
        banner, column, letter = col
        c = 2 + 2 * i
        groups.setdefault(banner, []).append(c)
        ws.cell(
            row=2,
            column=c,
            value=word("total", lang)
            if banner == "Total"
            else value_label(banner, column, lang=lang, codebook=codebook),
        ).font = bold
        ws.cell(row=3, column=c, value=f"({letter})" if letter else None)
        ws.cell(row=4, column=c, value=float(n[col])).number_format = "0"
        ws.cell(row=5, column=c, value=float(n_eff[col])).number_format = "0"
    for banner, cols in groups.items():
        label = (
            word("total", lang)
            if banner == "Total"
            else var_label(banner, lang=lang, codebook=codebook)
        )
        ws.cell(row=1, column=cols[0], value=label).font = bold
        ws.cell(row=1, column=cols[0]).alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=1, start_column=cols[0], end_row=1, end_column=cols[-1] + 1)
    for r, (kind, label) in enumerate(est.index, start=6):
        ws.cell(
            row=r,
            column=1,
            value=_row_label(kind, label, row_var=row, lang=lang, codebook=codebook),
        )
        for i, col in enumerate(est.columns):
            c = 2 + 2 * i
            if bool(sup.loc[(kind, label), col]) is True:
                ws.cell(row=r, column=c, value="*")
                continue
            value = est.loc[(kind, label), col]
            cell = ws.cell(row=r, column=c, value=None if pd.isna(value) else float(value))
            cell.number_format = "0%" if kind == "proportion" else "0.00"
            letters = let.loc[(kind, label), col]
            if isinstance(letters, str) and letters:
                ws.cell(row=r, column=c + 1, value=letters).font = bold
    note_row = 6 + len(est.index) + 1
    ws.cell(row=note_row, column=1, value=_note(result, lang))
    ws.column_dimensions["A"].width = 28
    return atomic_path(path, lambda tmp: wb.save(tmp))
