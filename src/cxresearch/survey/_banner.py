"""The wide (banner) view of a :class:`~cxresearch.survey.CrosstabResult`.

Market-research banner tables put the segments side by side as columns (grouped under their
banner variable, each with a letter), the rows below them, the significance letters beside each
cell and the bases on top. :func:`wide` pivots the tidy ``cells`` frame into that shape, one value
per cell (raw floats, or the letters), so the same view feeds the notebook (:func:`to_html`) and the
workbook (:func:`cxresearch.tables.crosstab_table`, :func:`cxresearch.tables.crosstab_xlsx`).
"""

from __future__ import annotations

import html

import pandas as pd

from cxresearch.errors import CXValueError

__all__ = ["BASE_ROWS", "VALUES", "to_html", "wide"]

#: What :func:`wide` can spread over the banner columns.
VALUES = ("estimate", "letters", "n", "n_eff", "sd", "small_base", "suppressed", "tested")
#: Base rows of the banner view, in order.
BASE_ROWS = ("n", "n_eff")


def _column_order(cells: pd.DataFrame) -> pd.MultiIndex:
    cols = cells[["banner", "column", "letter"]].drop_duplicates()
    return pd.MultiIndex.from_frame(
        cols.astype({"column": object}), names=["banner", "column", "letter"]
    )


def wide(result, *, values: str = "estimate") -> pd.DataFrame:
    """Spread one field of the cells over the banner columns.

    Rows are the table rows (index ``kind``, ``row``), in the order of the cells; columns are a
    ``MultiIndex`` (``banner``, ``column``, ``letter``), Total first. ``values='estimate'``
    gives raw floats (proportions as shares 0-1, means on the score's scale), ``'letters'`` the
    significance letters (strings), ``'n'``/``'n_eff'`` the cell bases.
    """
    if values not in VALUES:
        raise CXValueError(f"values must be one of {', '.join(map(repr, VALUES))}; got {values!r}")
    cells = result.cells
    cols = _column_order(cells)
    rows = pd.MultiIndex.from_frame(
        cells[["kind", "row"]].drop_duplicates().astype({"row": object})
    )
    key = cells.astype({"row": object, "column": object})
    out = key.pivot_table(
        index=["kind", "row"],
        columns=["banner", "column", "letter"],
        values=values,
        aggfunc="first",
        dropna=False,
        sort=False,
    )
    return out.reindex(index=rows, columns=cols)


def _bases(result) -> dict[str, pd.Series]:
    """Per banner column, the largest base over the rows (the column's respondents)."""
    return {b: wide(result, values=b).max(axis=0) for b in BASE_ROWS}


def _fmt_cell(kind: str, value: float) -> str:
    if pd.isna(value):
        return "–"
    return f"{100 * value:.0f}%" if kind == "proportion" else f"{value:.2f}"


def to_html(result) -> str:
    """The banner table as escaped HTML: grouped column headers with letters, a bases row, cells
    with their letters beside them (``*`` suppressed, ``†`` base under the reporting minimum)."""
    est = wide(result, values="estimate")
    let = wide(result, values="letters")
    sup = wide(result, values="suppressed")
    small = wide(result, values="small_base")
    bases = _bases(result)
    cols = est.columns
    e = html.escape
    top, mid = ["<th></th>"], ["<th></th>"]
    for banner in dict.fromkeys(cols.get_level_values("banner")):
        span = int((cols.get_level_values("banner") == banner).sum())
        top.append(f'<th colspan="{span}" style="text-align:center">{e(str(banner))}</th>')
    for _, column, letter in cols:
        mid.append(
            f"<th>{e(str(column))}"
            + (f"<br><small>({e(str(letter))})</small>" if letter else "")
            + "</th>"
        )
    body = []
    labels = {"n": "Base (n)", "n_eff": "Effective base"}
    for b in BASE_ROWS:
        tds = "".join(f"<td><small>{bases[b][c]:.0f}</small></td>" for c in cols)
        body.append(f"<tr><th><small>{labels[b]}</small></th>{tds}</tr>")
    for kind, row in est.index:
        tds = []
        for c in cols:
            if bool(sup.loc[(kind, row), c]) is True:
                tds.append("<td>*</td>")
                continue
            value = _fmt_cell(kind, est.loc[(kind, row), c])
            letters = let.loc[(kind, row), c]
            mark = "†" if bool(small.loc[(kind, row), c]) is True else ""
            side = f" <b>{e(str(letters))}</b>" if isinstance(letters, str) and letters else ""
            tds.append(f"<td>{e(value)}{mark}{side}</td>")
        label = f"{row} (mean)" if kind == "mean" else str(row)
        body.append(f"<tr><th>{e(label)}</th>{''.join(tds)}</tr>")
    note = result.settings.get("note", "")
    return (
        '<div class="cx-result cx-crosstab"><strong>CrosstabResult</strong>'
        '<table border="0">'
        f"<thead><tr>{''.join(top)}</tr><tr>{''.join(mid)}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
        f"<small>{e(str(note))} * suppressed (base under the anonymity minimum); "
        "† base under the reporting minimum.</small></div>"
    )
