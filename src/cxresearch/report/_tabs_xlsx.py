"""The banner book as an Excel workbook (see :mod:`cxresearch.report.tabs`, which builds it).

openpyxl: a contents sheet with hyperlinks to every table and back, one sheet per table with the
numbers as numbers (percent, two-decimal and integer formats), letters in a row under each tested
row, footnotes naming the tests, the levels and the multiplicity correction; sheet titles legal
and unique; column widths from the display width of the labels (East Asian wide characters count
double); written to a temporary file and renamed.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cxresearch._i18n import message
from cxresearch.report.tabs import TabBook, TabSheet, _correction, _t

__all__ = ["text_width", "write_workbook"]

_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def _put(ws, row: int, col: int, value):
    """Write ``value`` to a cell; a text starting with ``=`` stays text (never a formula), so
    labels from a client's codebook or data cannot inject formulas into the workbook."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _link(cell, sheet_title: str) -> None:
    """Make ``cell`` an in-workbook link to cell A1 of sheet ``sheet_title`` (a ``location``, not
    an external target, so Excel and LibreOffice jump without asking)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    quoted = sheet_title.replace("'", "''")
    cell.hyperlink = Hyperlink(
        ref=cell.coordinate, location=f"'{quoted}'!A1", display=str(cell.value)
    )


def text_width(text: str) -> int:
    """Display width of ``text`` in Excel character units: East Asian wide characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _sheet_titles(names: Sequence[str], reserved: Sequence[str]) -> list[str]:
    """Excel sheet titles: at most 31 characters, none of ``[]:*?/\\``, unique ignoring case."""
    used = {r.lower() for r in reserved}
    out = []
    for i, name in enumerate(names, start=1):
        base = _BAD_TITLE.sub("_", f"{i:02d} {name}").strip("'") or f"{i:02d}"
        title = base[:31]
        k = 2
        while title.lower() in used:
            suffix = f"~{k}"
            title = base[: 31 - len(suffix)] + suffix
            k += 1
        used.add(title.lower())
        out.append(title)
    return out


def _footnotes(book: TabBook, sheet: TabSheet | None) -> list[str]:
    s = book.settings
    lang = s["lang"]
    a1, a2 = s["alpha"]
    corr = _correction(s["correction"], lang)
    lines = []
    if s["banners"]:
        lines.append(_t("letters_note", lang, strict=f"{a1:g}", loose=f"{a2:g}", correction=corr))
    lines.append(_t("base_note", lang, min_base=s["min_base"], anonymity_min=s["anonymity_min"]))
    weighting = (
        _t("weighting_weighted", lang, weights=s["weights"])
        if s["weights"]
        else _t("weighting_unweighted", lang)
    )
    lines.append(_t("effective_base_note", lang, weighting=weighting))
    if sheet is not None:
        lines.extend(sheet.notes)
    else:
        lines.extend(book.notes)
    return lines


def write_workbook(book: TabBook, path: str | Path) -> Path:
    """Write ``book`` as an Excel workbook at ``path`` (atomically: a temporary file, then a rename).

    A contents sheet (hyperlinks to every table and back), one sheet per table: a title, the
    banner header (banner variable over its levels, each level's letter), the base and effective
    base, the rows (shares as percentages, means and SDs to two decimals; every number a number)
    each followed by its letters row, and the footnotes (test, correction, levels, bases,
    weighting). Columns with a base under ``min_base`` show their numbers with a ``*``; under
    ``anonymity_min`` a ``–`` instead of any estimate.

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    lang = book.settings["lang"]
    wb = Workbook()
    contents = wb.active
    contents.title = message("render.contents", lang)
    titles = _sheet_titles([s.name for s in book.sheets], [contents.title])
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    section_fill = PatternFill("solid", fgColor="F2F2F2")
    link_font = Font(color="0563C1", underline="single")
    small_font = Font(size=9, color="666666")
    letter_font = Font(size=9, color="C00000", bold=True)
    thin = Side(style="thin", color="999999")
    cols = book.columns
    keys = list(zip(cols["banner"], cols["column"], strict=True))
    has_banner = bool(book.settings["banners"])

    for sheet, title in zip(book.sheets, titles, strict=True):
        ws = wb.create_sheet(title)
        ncol = 1 + len(keys)
        _put(ws, 1, 1, sheet.title).font = Font(bold=True, size=13)
        back = _put(ws, 1, max(ncol, 2) + 1, _t("back", lang))
        _link(back, contents.title)
        back.font = link_font
        kind_key = {
            "scale": "type_scale",
            "category": "type_category",
            "multi_response": "type_multi",
            "numeric": "type_numeric",
            "summary": "type_summary",
        }[sheet.kind]
        _put(ws, 2, 1, f"{sheet.name} · {_t(kind_key, lang)}").font = small_font
        # header: banner labels (row 4), levels (row 5), letters (row 6)
        hr = 4
        _put(ws, hr, 1, "").fill = head_fill
        start = 2
        for b in dict.fromkeys(cols["banner"]):
            span = cols.index[cols["banner"] == b]
            first, last = start + span[0], start + span[-1]
            c = _put(ws, hr, first, cols.loc[span[0], "banner_label"])
            c.font, c.alignment = bold, Alignment(horizontal="center", wrap_text=True)
            if last > first:
                ws.merge_cells(start_row=hr, start_column=first, end_row=hr, end_column=last)
        for j, (_, col) in enumerate(cols.iterrows()):
            c = _put(ws, hr + 1, start + j, col["column_label"])
            c.font, c.alignment = (
                bold,
                Alignment(horizontal="center", vertical="top", wrap_text=True),
            )
            if col["letter"]:
                lc = _put(ws, hr + 2, start + j, f"({col['letter']})")
                lc.font, lc.alignment = letter_font, Alignment(horizontal="center")
        for r in range(hr, hr + 3):
            for j in range(1, ncol + 1):
                ws.cell(r, j).fill = head_fill
                if r == hr + 2:
                    ws.cell(r, j).border = Border(bottom=thin)
        row = hr + 3
        cells = sheet.cells
        label_widths = [text_width(sheet.title) // 2]
        by_row: dict[str, dict] = {}
        for rec in cells.to_dict("records"):
            by_row.setdefault(rec["row"], {})[(rec["banner"], rec["column"])] = rec
        for part in by_row.values():
            first = next(iter(part.values()))
            rtype = first["row_type"]
            label = first["row_label"] if isinstance(first["row_label"], str) else _t(rtype, lang)
            label_widths.append(text_width(label))
            lab = _put(ws, row, 1, label)
            if rtype == "heading":  # a section of a summary sheet
                lab.font = Font(bold=True, italic=True)
                for j in range(1, len(keys) + 2):
                    ws.cell(row, j).fill = section_fill
                row += 1
                continue
            if rtype in ("base", "eff_base"):
                lab.font = small_font
            elif rtype in ("net", "mean", "nps", "any"):
                lab.font = bold
            fmt = {
                "base": "#,##0",
                "eff_base": "#,##0",
                "category": "0%",
                "net": "0%",
                "option": "0%",
                "any": "0%",
                "mean": "0.00",
                "sd": "0.00",
                "nps": "+0;-0;0",
            }[rtype]
            for j, k in enumerate(keys):
                if k not in part:
                    continue
                c = part[k]
                cell = ws.cell(row, start + j)
                if bool(c["suppressed"]) and rtype != "base":
                    cell.value = "–"
                    cell.alignment = Alignment(horizontal="right")
                    continue
                value = c["estimate"]
                if value is None or not np.isfinite(value):
                    continue
                cell.value = float(value)
                cell.number_format = fmt + (
                    '"*"' if bool(c["small_base"]) and rtype != "nps" else ""
                )
                if rtype == "nps" and bool(c["small_base"]):
                    cell.number_format = '+0"*";-0"*";0"*"'
                if rtype in ("base", "eff_base"):
                    cell.font = small_font
            row += 1
            if has_banner and rtype in ("category", "net", "mean", "nps", "option", "any"):
                for j, k in enumerate(keys):
                    if k in part and part[k]["letters"]:
                        lc = _put(ws, row, start + j, part[k]["letters"])
                        lc.font, lc.alignment = letter_font, Alignment(horizontal="right")
                row += 1
        row += 1
        for line in _footnotes(book, sheet):
            c = _put(ws, row, 1, line)
            c.font = small_font
            row += 1
        ws.column_dimensions["A"].width = min(max(label_widths + [12]) + 2, 60)
        for j, (_, col) in enumerate(cols.iterrows()):
            width = max(9, min(text_width(str(col["column_label"])) + 2, 22))
            ws.column_dimensions[get_column_letter(start + j)].width = width
        ws.freeze_panes = ws.cell(hr + 3, 2)
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    # contents
    ws = contents
    _put(ws, 1, 1, book.title or _t("book_title", lang)).font = Font(bold=True, size=14)
    if book.subtitle:
        _put(ws, 2, 1, book.subtitle).font = small_font
    banner_desc = []
    for b in dict.fromkeys(cols["banner"][1:]):
        letters = list(cols.loc[cols["banner"] == b, "letter"])
        banner_desc.append(
            f"{cols.loc[cols['banner'] == b, 'banner_label'].iloc[0]} ({letters[0]}–{letters[-1]})"
            if len(letters) > 1
            else f"{cols.loc[cols['banner'] == b, 'banner_label'].iloc[0]} ({letters[0]})"
        )
    if banner_desc:
        _put(ws, 3, 1, _t("banners", lang, banners="; ".join(banner_desc))).font = small_font
    heads = [
        _t("col_no", lang),
        message("render.sheet", lang),
        _t("col_question", lang),
        _t("col_type", lang),
        _t("col_base", lang),
    ]
    for j, h in enumerate(heads, start=1):
        c = _put(ws, 5, j, h)
        c.font, c.fill, c.border = bold, head_fill, Border(bottom=thin)
    widths = [text_width(h) for h in heads]
    for i, (sheet, title) in enumerate(zip(book.sheets, titles, strict=True), start=1):
        r = 5 + i
        kind_key = {
            "scale": "type_scale",
            "category": "type_category",
            "multi_response": "type_multi",
            "numeric": "type_numeric",
            "summary": "type_summary",
        }[sheet.kind]
        base = sheet.cells[(sheet.cells["row_type"] == "base") & (sheet.cells["banner"] == "Total")]
        values = [
            i,
            title,
            sheet.title,
            _t(kind_key, lang),
            float(base["estimate"].iloc[0]) if len(base) else None,
        ]
        for j, v in enumerate(values, start=1):
            c = _put(ws, r, j, v)
            if j in (2, 3):
                _link(c, title)
                c.font = link_font
            if j == 5:
                c.number_format = "#,##0"
            widths[j - 1] = max(widths[j - 1], text_width(str(v)))
    r = 5 + len(book.sheets) + 2
    for line in _footnotes(book, None):
        _put(ws, r, 1, line).font = small_font
        r += 1
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(w + 2, 60)
    ws.freeze_panes = "A6"

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx")
    os.close(fd)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
