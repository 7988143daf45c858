"""The wide (banner) view of cx.survey.crosstab: the pivot, the notebook HTML, the xlsx sheet.

The wide view must hold exactly the cells' numbers (checked cell by cell against the tidy frame),
the HTML must show every banner column with its letter, the bases row and the letters beside the
cells, and the workbook must carry numbers as numbers at the places the layout promises.
"""

from __future__ import annotations

import warnings
from html.parser import HTMLParser

import numpy as np
import pytest
from openpyxl import load_workbook

import cxresearch as cx


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = cx.synth.generate(seed=1, n_customers=500, n_waves=4)
        R = s.responses
        cur = R[R.wave == R.wave.max()]
        res = cx.survey.crosstab(
            cur,
            banner=["segment", "branch"],
            row="segment",
            means=["overall_sat"],
            weights="weight",
        )
    return res, s.codebook


def test_wide_holds_the_cells_numbers(result):
    res, _ = result
    est = res.wide()
    let = res.wide(values="letters")
    assert list(est.columns.get_level_values("banner"))[0] == "Total"
    assert est.shape == (
        res.cells[["kind", "row"]].drop_duplicates().shape[0],
        res.cells[["banner", "column"]].drop_duplicates().shape[0],
    )
    for cell in res.cells.itertuples():
        key = (cell.kind, cell.row)
        col = (cell.banner, cell.column, cell.letter)
        assert est.loc[key, col] == pytest.approx(cell.estimate, nan_ok=True)
        assert let.loc[key, col] == cell.letters
    assert est.dtypes.map(lambda d: d.kind == "f").all()  # raw floats
    with pytest.raises(cx.errors.CXValueError, match="values must be one of"):
        res.wide(values="p")


def test_html_banner_has_columns_letters_bases_and_marks(result):
    res, _ = result
    page = res._repr_html_()
    texts: list[str] = []

    class P(HTMLParser):
        def handle_data(self, data):
            texts.append(data.strip())

    P().feed(page)
    assert "Base (n)" in texts and "Effective base" in texts
    for letter in res.cells["letter"].unique():
        if letter:
            assert f"({letter})" in texts
    flagged = res.cells.loc[res.cells["letters"] != "", "letters"]
    assert len(flagged) and all(x in texts for x in flagged)
    total_n = res.cells.loc[res.cells.banner == "Total", "n"].max()
    assert f"{total_n:.0f}" in texts


def test_xlsx_sheet_layout_and_numbers(result, tmp_path):
    res, codebook = result
    cb = cx.codebook.load(codebook)
    path = cx.tables.crosstab_xlsx(res, tmp_path / "ct.xlsx", row="segment", codebook=cb)
    ws = load_workbook(path).active
    est = res.wide()
    assert ws.cell(row=1, column=2).value == "Total"
    assert ws.cell(row=4, column=1).value == "n"
    first = est.iloc[0]
    for i, col in enumerate(est.columns):
        got = ws.cell(row=6, column=2 + 2 * i).value
        assert got == pytest.approx(first[col]) and isinstance(got, (int, float))
        assert ws.cell(row=3, column=2 + 2 * i).value == (f"({col[2]})" if col[2] else None)
    # letters beside the cell they belong to
    let = res.wide(values="letters")
    for r, key in enumerate(est.index, start=6):
        for i, col in enumerate(est.columns):
            want = let.loc[key, col] or None
            assert ws.cell(row=r, column=3 + 2 * i).value == want
    # the report table carries the same numbers (they land in tables.xlsx as numbers)
    t = cx.tables.crosstab_table(res, row="segment", codebook=cb)
    assert np.allclose(
        t.data["c0"].iloc[2:].to_numpy(), est.xs("proportion", level="kind").iloc[:, 0]
    )
    assert "Base" in t.to_html() or "n" in t.to_html()


def test_the_note_is_in_the_reports_language(result, tmp_path):
    """The English note is the result's own; a zh table and workbook say the same in Chinese
    (they printed the English note)."""
    import re

    result, _ = result
    assert cx.tables.crosstab_table(result, lang="en").notes[0] == result.note
    zh = cx.tables.crosstab_table(result, lang="zh").notes[0]
    assert not re.search(r"[A-Za-z]{5,}", zh.replace("Welch", "").replace("Kish", "")), zh
    assert f"p < {result.settings['alpha'][0]:g}" in zh and "校正" in zh
    path = cx.tables.crosstab_xlsx(result, tmp_path / "x.xlsx", lang="zh")
    ws = load_workbook(path).active
    assert any(zh == c.value for row in ws.iter_rows() for c in row)
