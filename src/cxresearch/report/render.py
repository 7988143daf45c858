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
]

#: Folder holding the nbconvert templates shipped with the package.
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"

#: Markdown cells tagged with one of these show only in that report language.
LANG_TAGS = {"zh": "lang-zh", "en": "lang-en"}

#: Line prefix the study context writes to stderr for each data-quality warning.
WARNING_PREFIX = "CXWARNING\t"

_DROP_TAGS = {"parameters", "injected-parameters", "remove-cell", "papermill-error-cell-tag"}
_KEEP_MIME = ("text/html", "image/png", "image/jpeg", "image/svg+xml", "text/markdown", "text/plain", TABLE_MIME)
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")

_WORDS = {
    "zh": {
        "client": "客户",
        "period": "报告期",
        "date": "日期",
        "prepared_by": "编制",
        "contents": "目录",
        "notes": "数据质量提示",
        "notes_intro": "以下提示由分析过程自动记录，说明哪些结果需要谨慎解读。",
        "sheet_index": "表格目录",
        "sheet": "工作表",
        "title": "标题",
        "base": "基数",
    },
    "en": {
        "client": "Client",
        "period": "Period",
        "date": "Date",
        "prepared_by": "Prepared by",
        "contents": "Contents",
        "notes": "Data-quality notes",
        "notes_intro": "These notes were recorded by the analyses and mark results to read with care.",
        "sheet_index": "Contents",
        "sheet": "Sheet",
        "title": "Title",
        "base": "Base",
    },
}


@dataclass
class Combined:
    """The merged report notebook and what was collected while merging."""

    notebook: Any
    toc: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
                        msg = line[len(WARNING_PREFIX):].strip()
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
        (chapters with ids and sections), ``tables`` (raw payloads of every report table, in order)
        and ``warnings`` (data-quality messages recorded by the notebooks).
    """
    other = {tag for key, tag in LANG_TAGS.items() if key != lang}
    merged = nbformat.v4.new_notebook()
    merged.metadata["language_info"] = {"name": "python"}
    result = Combined(notebook=merged)
    used: set[str] = set()
    for number, item in enumerate(notebooks, start=1):
        nb = item if hasattr(item, "cells") else nbformat.read(str(item), as_version=4)
        chapter: dict | None = None
        merged.cells.append(nbformat.v4.new_markdown_cell(f'<div class="cx-chapter-start" id="chapter-{number}"></div>'))
        pending: str | None = None  # a section heading waiting to be kept with the next output
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & _DROP_TAGS or tags & other:
                continue
            if cell.cell_type == "markdown":
                if pending is not None:
                    merged.cells.append(nbformat.v4.new_markdown_cell(pending))
                    pending = None
                out_lines = []
                is_section = has_title = False
                for line in cell.source.splitlines():
                    m = _HEADING.match(line)
                    if m and len(m.group(1)) == 1:
                        has_title = True
                    if m and len(m.group(1)) == 1 and chapter is None:
                        chapter = {"id": f"chapter-{number}", "title": m.group(2), "sections": []}
                        result.toc.append(chapter)
                    elif m and len(m.group(1)) == 2 and chapter is not None:
                        sid = _anchor(used, f"s{number}")
                        chapter["sections"].append({"id": sid, "title": m.group(2)})
                        out_lines += [f'<a id="{sid}"></a>', ""]
                        is_section = True
                    out_lines.append(line)
                source = "\n".join(out_lines)
                if is_section and not has_title:
                    pending = source
                else:
                    merged.cells.append(nbformat.v4.new_markdown_cell(source))
            elif cell.cell_type == "code":
                outputs = _clean_outputs(cell.get("outputs", []), result.warnings)
                if not outputs:
                    continue
                new = nbformat.v4.new_code_cell(source="", outputs=outputs)
                if pending is not None:
                    # print the heading (and its intro) in one block with the first output, so a page
                    # never ends with a heading whose chart or table starts the next page
                    heading = nbformat.v4.new_output("display_data", data={"text/html": _markdown_html(pending)})
                    new.outputs = [heading, *outputs]
                    new.metadata["tags"] = ["cx-keep"]
                    pending = None
                merged.cells.append(new)
                for out in outputs:
                    if TABLE_MIME in out["data"]:
                        result.tables.append(out["data"][TABLE_MIME])
        if pending is not None:
            merged.cells.append(nbformat.v4.new_markdown_cell(pending))
    return result


def _markdown_html(source: str) -> str:
    """Markdown written by the notebook author (never customer text) rendered to HTML."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


_NOTE_KINDS = {
    "SmallBaseWarning": ("小样本", "Small base"),
    "NotEstimableWarning": ("无法估计", "Not estimable"),
    "FewUnitsWarning": ("单位数较少", "Few units"),
    "ModelFitWarning": ("模型拟合", "Model fit"),
    "BootstrapWarning": ("重抽样", "Bootstrap"),
    "DroppedDriverWarning": ("驱动因素未纳入", "Driver left out"),
    "SampledShapleyWarning": ("抽样近似", "Sampled approximation"),
}
_NOTE_RE = re.compile(r"^(?P<kind>[A-Za-z_]+Warning):\s*(?:(?P<where>[a-z_]+(?:\.[a-z_]+)+):\s*)?(?P<text>.*)$")


_SMALL_BASE_RE = re.compile(
    r"^(?P<k>\d+) estimate\(s\) rest on fewer than (?P<min>\d+) respondents \(flagged small_base\); "
    r"(?P<s>\d+) under (?P<anon>\d+) suppressed$")
_FEW_UNITS_RE = re.compile(r"^Only (?P<n>\d+) units: the (?P<what>[\w-]+(?: [\w-]+)*) rests on few units")


def _note_zh(kind: str, text: str) -> str:
    """Chinese wording of the package's most common data-quality messages (others kept as written)."""
    m = _SMALL_BASE_RE.match(text)
    if kind == "SmallBaseWarning" and m:
        return (f"{m.group('k')} 个估计值的样本量低于报告下限 {m.group('min')}（表中已标红），"
                f"其中 {m.group('s')} 个低于匿名下限 {m.group('anon')}（已隐藏）。")
    m = _FEW_UNITS_RE.match(text)
    if kind == "FewUnitsWarning" and m:
        return f"仅有 {m.group('n')} 个单位：结果基于很少的单位，区间不确定且可能偏窄，仅供参考。"
    return text


def note_text(raw: str, lang: str) -> str:
    """A recorded data-quality warning as a reader sees it: a plain label, no class or function names."""
    m = _NOTE_RE.match(raw.strip())
    if not m:
        return raw.strip()
    kind, text = m.group("kind"), m.group("text").strip()
    zh, en = _NOTE_KINDS.get(kind, ("数据质量", "Data quality"))
    if lang == "zh":
        return f"{zh} — {_note_zh(kind, text)}"
    return f"{en} — {text}"


def _notes_cell(warnings: list[str], lang: str) -> Any:
    words = _WORDS[lang]
    items = "".join(f"<li>{_html.escape(note_text(w, lang))}</li>" for w in warnings)
    body = f"<h2>{words['notes']}</h2><p>{words['notes_intro']}</p><ul class=\"cx-note\">{items}</ul>"
    return nbformat.v4.new_code_cell(source="", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": body})
    ])


def _logo_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def cover_resources(params, *, toc: list[dict], date: _dt.date | None = None) -> dict:
    """The ``resources['cx']`` mapping the cxreport template reads (cover, TOC, branding)."""
    lang = params.language
    words = _WORDS[lang]
    date = date or _dt.date.today()
    return {
        "title": params.title,
        "subtitle": params.branding.subtitle.for_lang(lang) if params.branding.subtitle else None,
        "client": params.display_name,
        "period": params.period,
        "date": date.strftime("%Y年%m月%d日") if lang == "zh" else date.strftime("%d %B %Y"),
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


def _exporter(cls):
    return cls(
        template_name="cxreport",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def render_html(combined: Combined, params, *, date: _dt.date | None = None,
                pages: dict[str, int] | None = None) -> str:
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
        nb.cells.append(_notes_cell(combined.warnings, params.language))
    nb.metadata["title"] = f"{params.title} — {params.display_name} {params.period}"
    toc = combined.toc
    if pages:
        toc = [{**ch, "page": pages.get(ch["id"]),
                "sections": [{**sec, "page": pages.get(sec["id"])} for sec in ch["sections"]]} for ch in toc]
    resources = {"cx": cover_resources(params, toc=toc, date=date), "language_code": params.language}
    body, _ = _exporter(HTMLExporter).from_notebook_node(nb, resources=resources)
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


def render_report_pdf(combined: Combined, params, *, date: _dt.date | None = None,
                      base_dir: str | Path | None = None, toc_pages: bool = True) -> bytes:
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

    return print_pdf(html, chromium=find_chromium(), args=BROWSER_ARGS, base_dir=base_dir, then=with_numbers)


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


def write_xlsx(tables: list[dict], path: str | Path, *, lang: str) -> None:
    """Write every report table to an Excel workbook, one sheet each, numbers as numbers.

    The first sheet lists the tables (sheet, title, base). Cells keep raw values; a number format
    (percent, decimals) is applied to each numeric column.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    words = _WORDS[lang]
    wb = Workbook()
    index = wb.active
    index.title = words["sheet_index"][:31]
    index.append([words["sheet"], words["title"], words["base"]])
    for cell in index[1]:
        cell.font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="1F4E79")
    numfmt = {"int": "#,##0", "num0": "#,##0", "num1": "#,##0.0", "num2": "0.00", "num3": "0.000",
              "pct0": "0%", "pct1": "0.0%", "pvalue": "0.000", "signed2": "+0.00;-0.00;0.00"}
    names = _sheet_names([t.get("name") or f"table_{i + 1}" for i, t in enumerate(tables)])
    for sheet_name, payload in zip(names, tables, strict=True):
        ws = wb.create_sheet(sheet_name)
        ws.append([payload.get("title", "")])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(payload["columns"])
        for cell in ws[2]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in payload["rows"]:
            ws.append(row)
        for j, kind in enumerate(payload.get("formats", []), start=1):
            if kind in numfmt:
                for r in range(3, 3 + len(payload["rows"])):
                    ws.cell(row=r, column=j).number_format = numfmt[kind]
            width = max([len(str(payload["columns"][j - 1]))] + [len(str(r[j - 1])) for r in payload["rows"][:200]])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 48)
        extra = [payload.get("base")] + list(payload.get("notes", []))
        for line in (x for x in extra if x):
            ws.append([])
            ws.append([line])
        ws.freeze_panes = "A3"
        index.append([sheet_name, payload.get("title", ""), payload.get("base") or ""])
    index.column_dimensions["A"].width = 30
    index.column_dimensions["B"].width = 60
    index.column_dimensions["C"].width = 50
    wb.save(str(path))
