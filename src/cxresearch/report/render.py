"""Turn executed study notebooks into one client report: HTML, PDF and an Excel workbook.

The executed notebooks are merged into one report notebook (one chapter each). Client output
keeps only what a reader should see: markdown in the report language and rich outputs. Code,
prompts, stdout/stderr, warnings, errors, tracebacks and scripts are dropped (the ``--no-input``
equivalent plus stream removal). The HTML uses the package's ``cxreport`` nbconvert template
(cover, table of contents, branding, print CSS) and loads nothing from the network; the PDF is that
same HTML printed by the system Chromium (:mod:`cxresearch.report.webpdf`).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import html as _html
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from cxresearch._i18n import message
from cxresearch.report.escape import css_string
from cxresearch.tables import TABLE_MIME

__all__ = [
    "LANG_TAGS",
    "TEMPLATE_DIR",
    "WARNING_PREFIX",
    "Combined",
    "combine",
    "render_html",
    "render_pdf",
    "render_report_pdf",
    "anchor_pages",
    "write_xlsx",
    "display_width",
    "unique_titles",
]

#: Folder holding the nbconvert templates shipped with the package.
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Markdown cells tagged with one of these show only in that report language.
LANG_TAGS = {"zh": "lang-zh", "en": "lang-en"}

#: Line prefix the study context writes to stderr for each data-quality warning.
WARNING_PREFIX = "CXWARNING\t"

_DROP_TAGS = {"parameters", "injected-parameters", "remove-cell", "papermill-error-cell-tag"}
_KEEP_MIME = (
    "text/html",
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/markdown",
    "text/plain",
    TABLE_MIME,
    "application/vnd.cxresearch.chart+json",
)
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")

# The report's own words (cover, contents, notes, workbook index) are entries of the package's
# message catalog, ``render.*`` (see cxresearch._i18n).

#: Labels the cxreport template and the workbook index read (``render.<key>``; ``base`` is the
#: report word of that name).
_LABELS = (
    "client",
    "period",
    "date",
    "prepared_by",
    "contents",
    "exhibits",
    "notes",
    "notes_intro",
    "sheet_index",
    "sheet",
    "exhibit",
    "title",
    "base",
)


def _labels(lang: str) -> dict[str, str]:
    return {k: message("base" if k == "base" else f"render.{k}", lang) for k in _LABELS}


def cover_date(date: _dt.date, lang: str) -> str:
    """The date on the cover and the deck's title slide (``render.cover_date``): ``'5 March 2026'``,
    ``'2026年3月5日'`` (no leading zeros, as the appendix writes dates)."""
    return message(
        "render.cover_date",
        lang,
        year=str(date.year),
        month=str(date.month),
        day=str(date.day),
        month_name=date.strftime("%B"),
    )


@dataclass
class Combined:
    """The merged report notebook and what was collected while merging."""

    notebook: Any
    toc: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exhibits: list[dict] = field(default_factory=list)


def _anchor(used: set[str], prefix: str) -> str:
    base = f"{prefix}-{len(used) + 1}"
    used.add(base)
    return base


def _clean_outputs(outputs: list, warnings: list[str]) -> list:
    kept = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            if out.get("name") == "stderr":
                for line in "".join(out.get("text", "")).splitlines():
                    if line.startswith(WARNING_PREFIX):
                        msg = line[len(WARNING_PREFIX) :].strip()
                        if msg and msg not in warnings:
                            warnings.append(msg)
            continue
        if kind not in ("display_data", "execute_result"):
            continue  # errors and anything unknown
        data = {k: v for k, v in out.get("data", {}).items() if k in _KEEP_MIME}
        if not data or set(data) == {"text/plain"}:
            continue  # bare reprs (e.g. a figure handle) are not client content
        new = copy.deepcopy(out)
        new["data"] = data
        if kind == "execute_result":
            new["output_type"] = "display_data"
            new.pop("execution_count", None)
        kept.append(new)
    return kept


#: MIME type a chart's data travels under (see :mod:`cxresearch.viz.style`): a table payload like
#: :data:`cxresearch.tables.TABLE_MIME`, harvested into ``tables.xlsx`` and titling the figure.
CHART_MIME = "application/vnd.cxresearch.chart+json"

_IMAGE_MIME = ("image/svg+xml", "image/png", "image/jpeg")
_CAPTION = re.compile(r"<caption>(.*?)</caption>", re.S)


def _exhibit_label(kind: str, chapter: int, k: int, lang: str) -> str:
    """``'Figure 3.2'`` / ``'图 3.2'``: the k-th figure (or table) of chapter ``chapter``."""
    return message(f"render.exhibit_{kind}", lang, number=f"{chapter}.{k}")


def combine(notebooks: Sequence[str | Path | Any], *, lang: str) -> Combined:
    """Merge executed notebooks into one client notebook for ``lang``.

    Parameters
    ----------
    notebooks : sequence of path or NotebookNode
        Executed notebooks in report order; each becomes a chapter (its first ``#`` heading is the
        chapter title; ``##`` headings are its sections in the table of contents).
    lang : {'zh', 'en'}
        Report language: markdown cells tagged for the other language are dropped.

    Returns
    -------
    Combined
        ``notebook`` (code inputs kept but outputs cleaned; the exporter hides inputs), ``toc``
        (chapters with ids, numbers and sections), ``tables`` (raw payloads of every report table
        and of the data behind every chart, in order), ``exhibits`` (numbered figures and tables:
        ``id``, ``kind``, ``label`` such as "Figure 3.2", ``title``) and ``warnings``
        (data-quality messages recorded by the notebooks).

    Notes
    -----
    The page-layout model lives in the template's CSS; this function only marks the structure it
    needs: chapters, sections and exhibits are numbered ("3", "3.2", "Figure 3.2"); a markdown
    cell that holds a section heading is tagged ``cx-lead`` (kept with what follows it, so a
    heading never ends a page); every figure gets a numbered caption above it and every table a
    numbered caption, each with an anchor the list of exhibits links to.
    """
    other = {tag for key, tag in LANG_TAGS.items() if key != lang}
    merged = nbformat.v4.new_notebook()
    merged.metadata["language_info"] = {"name": "python"}
    result = Combined(notebook=merged)
    used: set[str] = set()
    for number, item in enumerate(notebooks, start=1):
        nb = item if hasattr(item, "cells") else nbformat.read(str(item), as_version=4)
        chapter: dict | None = None
        merged.cells.append(
            nbformat.v4.new_markdown_cell(
                f'<div class="cx-chapter-start" id="chapter-{number}"></div>'
            )
        )
        section_title: str | None = None
        counts = {"figure": 0, "table": 0}
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & _DROP_TAGS or tags & other:
                continue
            if cell.cell_type == "markdown":
                out_lines = []
                is_lead = False
                for line in cell.source.splitlines():
                    m = _HEADING.match(line)
                    if m and len(m.group(1)) == 1 and chapter is None:
                        chapter = {
                            "id": f"chapter-{number}",
                            "number": str(number),
                            "title": m.group(2),
                            "sections": [],
                        }
                        result.toc.append(chapter)
                        line = f"# {number} {m.group(2)}"
                        is_lead = True
                    elif m and len(m.group(1)) == 2 and chapter is not None:
                        sid = _anchor(used, f"s{number}")
                        no = f"{number}.{len(chapter['sections']) + 1}"
                        chapter["sections"].append({"id": sid, "number": no, "title": m.group(2)})
                        section_title = m.group(2)
                        out_lines += [f'<a id="{sid}"></a>', ""]
                        line = f"## {no} {m.group(2)}"
                        is_lead = True
                    out_lines.append(line)
                new = nbformat.v4.new_markdown_cell("\n".join(out_lines))
                if is_lead:
                    new.metadata["tags"] = ["cx-lead"]  # kept with the next block (see report.css)
                merged.cells.append(new)
            elif cell.cell_type == "code":
                outputs = _clean_outputs(cell.get("outputs", []), result.warnings)
                if not outputs:
                    continue
                numbered = []
                for out in outputs:
                    data = out["data"]
                    html_text = data.get("text/html", "")
                    html_text = "".join(html_text) if isinstance(html_text, list) else html_text
                    if chapter is not None and TABLE_MIME in data and "<caption>" in html_text:
                        counts["table"] += 1
                        label = _exhibit_label("table", number, counts["table"], lang)
                        payload = data[TABLE_MIME]
                        xid = f"tab-{number}-{counts['table']}"
                        result.exhibits.append(
                            {
                                "id": xid,
                                "kind": "table",
                                "label": label,
                                "title": payload.get("title") or section_title or "",
                            }
                        )
                        data["text/html"] = _CAPTION.sub(
                            lambda mm, label=label, xid=xid: (
                                f'<caption id="{xid}"><span class="cx-exhibit-no">'
                                f"{_html.escape(label)}</span> {mm.group(1)}</caption>"
                            ),
                            html_text,
                            count=1,
                        )
                        result.tables.append({**payload, "exhibit": label})
                    elif chapter is not None and any(k in data for k in _IMAGE_MIME):
                        counts["figure"] += 1
                        label = _exhibit_label("figure", number, counts["figure"], lang)
                        chart = data.pop(CHART_MIME, None)
                        title = (chart or {}).get("title") or section_title or ""
                        xid = f"fig-{number}-{counts['figure']}"
                        result.exhibits.append(
                            {"id": xid, "kind": "figure", "label": label, "title": title}
                        )
                        cap = (
                            f'<p class="cx-figcaption" id="{xid}"><span class="cx-exhibit-no">'
                            f"{_html.escape(label)}</span> {_html.escape(title)}</p>"
                        )
                        numbered.append(
                            nbformat.v4.new_output("display_data", data={"text/html": cap})
                        )
                        out.setdefault("metadata", {})["cx_alt"] = f"{label} {title}".strip()
                        if chart:
                            result.tables.append(
                                {**chart, "exhibit": label, "title": chart.get("title") or title}
                            )
                    elif TABLE_MIME in data:
                        result.tables.append(data[TABLE_MIME])
                    data.pop(CHART_MIME, None)
                    numbered.append(out)
                new = nbformat.v4.new_code_cell(source="", outputs=numbered)
                merged.cells.append(new)
    return result


def _markdown_html(source: str) -> str:
    """Markdown written by the notebook author (never customer text) rendered to HTML."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


#: Warning classes with a label of their own in the notes (``render.note_kind.<class>``); any
#: other is labelled ``render.note_kind.other``.
_NOTE_KINDS = (
    "SmallBaseWarning",
    "NotEstimableWarning",
    "FewUnitsWarning",
    "ModelFitWarning",
    "BootstrapWarning",
    "DroppedDriverWarning",
    "SampledShapleyWarning",
)
_NOTE_RE = re.compile(
    r"^(?P<kind>[A-Za-z_]+Warning):\s*(?:(?P<where>[a-z_]+(?:\.[a-z_]+)+):\s*)?(?P<text>.*)$"
)


_SMALL_BASE_RE = re.compile(
    r"^(?P<k>\d+) estimate\(s\) rest on fewer than (?P<min>\d+) respondents \(flagged small_base\); "
    r"(?P<s>\d+) under (?P<anon>\d+) suppressed$"
)
_FEW_UNITS_RE = re.compile(
    r"^Only (?P<n>\d+) units: the (?P<what>[\w-]+(?: [\w-]+)*) rests on few units"
)


#: What a FewUnitsWarning is about (``render.few_units.<code>``): the English entry of each code
#: is the name the warning gives it ("the linkage rests on few units"), so it is found by that name.
_FEW_UNITS_SUBJECTS = ("did", "linkage", "programme", "correlation")


def _few_units_subject(what: str, lang: str) -> str:
    """The subject of a FewUnitsWarning in ``lang`` (as named in the warning when unknown)."""
    for code in _FEW_UNITS_SUBJECTS:
        if message(f"render.few_units.{code}", "en") == what:  # the warnings are written in English
            return message(f"render.few_units.{code}", lang)
    return what


def _note_body(kind: str, text: str, lang: str) -> str:
    """The package's most common data-quality messages worded in ``lang`` (others kept as written:
    the warnings themselves are English, and the English entries reproduce them)."""
    m = _SMALL_BASE_RE.match(text)
    if kind == "SmallBaseWarning" and m:
        return message("render.note.small_base", lang, **m.groupdict())
    m = _FEW_UNITS_RE.match(text)
    if kind == "FewUnitsWarning" and m:
        return message(
            "render.note.few_units",
            lang,
            n=m.group("n"),
            what=_few_units_subject(m.group("what"), lang),
            rest=text[m.end() :],  # the English warning's own closing words
        )
    return text


def note_text(raw: str, lang: str) -> str:
    """A recorded data-quality warning as a reader sees it: a plain label, no class or function names."""
    m = _NOTE_RE.match(raw.strip())
    if not m:
        return raw.strip()
    kind, text = m.group("kind"), m.group("text").strip()
    label = message(f"render.note_kind.{kind if kind in _NOTE_KINDS else 'other'}", lang)
    return message("render.note", lang, kind=label, text=_note_body(kind, text, lang))


def _notes_cell(warnings: list[str], lang: str) -> Any:
    words = _labels(lang)
    items = "".join(f"<li>{_html.escape(note_text(w, lang))}</li>" for w in warnings)
    body = (
        f'<div class="cx-callout cx-notes"><h3>{words["notes"]}</h3><p>{words["notes_intro"]}</p>'
        f'<ul class="cx-note">{items}</ul></div>'
    )
    return nbformat.v4.new_code_cell(
        source="", outputs=[nbformat.v4.new_output("display_data", data={"text/html": body})]
    )


def _logo_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def cover_resources(params, *, toc: list[dict], date: _dt.date | None = None) -> dict:
    """The ``resources['cx']`` mapping the cxreport template reads (cover, TOC, branding)."""
    lang = params.language
    words = _labels(lang)
    date = date or _dt.date.today()
    return {
        "title": params.title,
        "subtitle": params.branding.subtitle.for_lang(lang) if params.branding.subtitle else None,
        "client": params.display_name,
        "period": params.period,
        "date": cover_date(date, lang),
        "prepared_by": params.branding.prepared_by,
        "primary_colour": params.branding.primary_colour,
        "accent_colour": params.branding.accent_colour,
        "logo": _logo_uri(params.branding.logo),
        "labels": words,
        "toc": toc,
        "footer": f"{params.display_name} · {params.period}",
        "footer_css": css_string(f"{params.display_name} · {params.period}"),  # inside <style>
        "lang": lang,
    }


def _exporter(cls, lang: str = "en"):
    return cls(
        language_code=lang,  # <html lang=...>: fonts, hyphenation and line breaking per language
        template_name="cxreport",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def render_html(
    combined: Combined, params, *, date: _dt.date | None = None, pages: dict[str, int] | None = None
) -> str:
    """Render the merged notebook to one self-contained HTML page (no network resources).

    Parameters
    ----------
    combined : Combined
        From :func:`combine`.
    params : Params
        Validated report parameters (language, names, branding).
    date : datetime.date, optional
        Date on the cover; default today.
    pages : dict, optional
        ``{anchor id: page number}``: the PDF's table of contents shows page numbers.

    Returns
    -------
    str
        The HTML document.
    """
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(combined.notebook)
    if combined.warnings:
        # the notes open the last chapter (the appendix), right after its introduction: a short
        # block at the very end of a report would often sit alone on a nearly empty last page
        starts = [
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown" and "cx-chapter-start" in c.source
        ]
        at = len(nb.cells)
        if starts:
            after = [
                i
                for i in range(starts[-1] + 1, len(nb.cells))
                if nb.cells[i].cell_type == "markdown"
            ]
            at = after[0] + 1 if after else len(nb.cells)
        nb.cells.insert(at, _notes_cell(combined.warnings, params.language))
    nb.metadata["title"] = f"{params.title} — {params.display_name} {params.period}"
    toc = combined.toc
    exhibits = combined.exhibits
    if pages:
        toc = [
            {
                **ch,
                "page": pages.get(ch["id"]),
                "sections": [{**sec, "page": pages.get(sec["id"])} for sec in ch["sections"]],
            }
            for ch in toc
        ]
        exhibits = [{**x, "page": pages.get(x["id"])} for x in exhibits]
    resources = {
        "cx": {**cover_resources(params, toc=toc, date=date), "exhibits": exhibits},
        "language_code": params.language,
    }
    body, _ = _exporter(HTMLExporter, params.language).from_notebook_node(nb, resources=resources)
    return body


def render_pdf(html: str, *, base_dir: str | Path | None = None) -> bytes:
    """Print the report HTML to PDF (A4) with the system Chromium; see :mod:`.webpdf`."""
    from cxresearch.report.webpdf import CXWebPDFExporter

    exporter = _exporter(CXWebPDFExporter)
    return exporter.run_playwright(html)


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """``{anchor id: 1-based page}`` of every named destination Chromium wrote into ``pdf``."""
    import io
    from urllib.parse import unquote

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    out: dict[str, int] = {}
    for name, dest in reader.named_destinations.items():
        try:
            out[unquote(str(name).lstrip("/"))] = reader.get_destination_page_number(dest) + 1
        except Exception:  # a destination without a page: not listed
            continue
    return out


def render_report_pdf(
    combined: Combined,
    params,
    *,
    date: _dt.date | None = None,
    base_dir: str | Path | None = None,
    toc_pages: bool = True,
) -> bytes:
    """The report PDF; with ``toc_pages`` it is printed twice so the contents show page numbers.

    The first print locates every chapter and section anchor (PDF named destinations); the second
    prints the same document with those numbers in the table of contents (one line each, so no
    page moves). Both prints share one Chromium session.
    """
    from cxresearch.report.webpdf import BROWSER_ARGS, find_chromium, print_pdf

    html = render_html(combined, params, date=date)

    def with_numbers(pdf: bytes) -> str | None:
        if not toc_pages or not combined.toc:
            return None
        pages = anchor_pages(pdf)
        return render_html(combined, params, date=date, pages=pages) if pages else None

    return print_pdf(
        html, chromium=find_chromium(), args=BROWSER_ARGS, base_dir=base_dir, then=with_numbers
    )


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in names:
        base = _SHEET_BAD.sub("_", raw).strip("'") or "table"
        name = base[:31]
        i = 2
        while name.lower() in seen:
            suffix = f"_{i}"
            name = base[: 31 - len(suffix)] + suffix
            i += 1
        seen.add(name.lower())
        out.append(name)
    return out


def display_width(text: Any) -> int:
    """Columns a text takes on screen: East Asian wide and full-width characters count two
    (``unicodedata.east_asian_width``), every other character one."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def unique_titles(tables: list[dict]) -> list[str]:
    """Sheet titles, each unique: a title that repeats gets its exhibit label (or sheet order)."""
    titles = [str(t.get("title") or t.get("name") or "") for t in tables]
    seen: dict[str, int] = {}
    for t in titles:
        seen[t] = seen.get(t, 0) + 1
    out, used = [], set()
    for i, (t, payload) in enumerate(zip(titles, tables, strict=True)):
        title = t
        if seen[t] > 1 or title in used:
            title = f"{payload.get('exhibit') or i + 1} {t}".strip()
        while title in used:
            title += f" ({i + 1})"
        used.add(title)
        out.append(title)
    return out


def write_xlsx(tables: list[dict], path: str | Path, *, lang: str) -> None:
    """Write every report table and the data behind every chart to an Excel workbook.

    One sheet each, numbers as numbers with a number format per column (percent, decimals),
    titled in row 1 (with the exhibit number the report gives it, e.g. "Figure 2.1"); no two
    sheets share a title. The first sheet lists the sheets, each a hyperlink to its sheet, with
    exhibit, title and base. Column widths follow the display width of the text (a Chinese
    character is two columns wide).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    words = _labels(lang)
    wb = Workbook()
    index = wb.active
    index.title = words["sheet_index"][:31]
    index.append([words["sheet"], words["exhibit"], words["title"], words["base"]])
    for cell in index[1]:
        cell.font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="1F4E79")
    numfmt = {
        "int": "#,##0",
        "num0": "#,##0",
        "num1": "#,##0.0",
        "num2": "0.00",
        "num3": "0.000",
        "pct0": "0%",
        "pct1": "0.0%",
        "pvalue": "0.000",
        "signed2": "+0.00;-0.00;0.00",
    }
    names = _sheet_names([t.get("name") or f"table_{i + 1}" for i, t in enumerate(tables)])
    titles = unique_titles(tables)
    link_font = Font(color="0563C1", underline="single")
    widths = {
        1: display_width(words["sheet"]),
        2: display_width(words["exhibit"]),
        3: display_width(words["title"]),
        4: display_width(words["base"]),
    }
    for sheet_name, title, payload in zip(names, titles, tables, strict=True):
        ws = wb.create_sheet(sheet_name)
        exhibit = payload.get("exhibit") or ""
        ws.append(
            [f"{exhibit} {title}".strip() if exhibit and not title.startswith(exhibit) else title]
        )
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(payload["columns"])
        for cell in ws[2]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in payload["rows"]:
            ws.append(row)
        formats = list(payload.get("formats", []))
        for j, column in enumerate(payload["columns"], start=1):
            kind = formats[j - 1] if j - 1 < len(formats) else "text"
            if kind in numfmt:
                for r in range(3, 3 + len(payload["rows"])):
                    ws.cell(row=r, column=j).number_format = numfmt[kind]
            sample = [r[j - 1] for r in payload["rows"][:200] if j - 1 < len(r)]
            shown = [f"{v:,.2f}" if isinstance(v, float) else v for v in sample if v is not None]
            width = max([display_width(column)] + [display_width(v) for v in shown])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
            if kind == "text":
                for r in range(3, 3 + len(payload["rows"])):
                    ws.cell(row=r, column=j).alignment = Alignment(
                        horizontal="left", vertical="top", wrap_text=width > 60
                    )
        extra = [payload.get("base")] + list(payload.get("notes", []))
        for line in (x for x in extra if x):
            ws.append([])
            ws.append([line])
        ws.freeze_panes = "A3"
        back = ws.cell(
            row=1, column=max(2, len(payload["columns"]) + 2), value=f"← {words['sheet_index']}"
        )
        back.hyperlink = Hyperlink(
            ref=back.coordinate, location=f"'{index.title}'!A1"
        )  # within the workbook
        back.font = link_font
        index.append([sheet_name, exhibit, title, payload.get("base") or ""])
        link = index.cell(row=index.max_row, column=1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet_name}'!A1")
        link.font = link_font
        for j, value in enumerate((sheet_name, exhibit, title, payload.get("base") or ""), start=1):
            widths[j] = max(widths[j], display_width(value))
    for j, w in widths.items():
        index.column_dimensions[get_column_letter(j)].width = min(max(10, w + 2), 80)
    index.freeze_panes = "A2"
    wb.save(str(path))
