"""The PowerPoint deck (``report.<lang>.pptx``, output format ``pptx``).

The deck is opened with python-pptx and checked against the report's own outputs:

* every chart is a native chart object (``shape.has_chart``) whose data — both the chart XML's
  cached values and the workbook embedded in the chart — equal the numbers of the report table it
  draws (the same table's sheet in ``tables.xlsx``) and, for the driver chart, the finding in
  ``findings.json``; the summary slide's messages are the ``summary`` sheet's;
* no text overflows its box: every text frame and table cell is re-wrapped here, independently of
  :mod:`cxresearch.report._textfit`, with the declared fonts' metrics (Pillow/FreeType on the files
  ``fc-match`` finds) and its height compared with the box;
* zh glyphs render: every run declares the East Asian typeface (``a:ea``), and every character of
  every run is in the cmap of the font that draws it (the "Noto Sans CJK SC" face for CJK text, the
  Latin font otherwise), checked with fontTools; and the study's zh deck converted to PDF by
  LibreOffice has every character drawn by a declared, embedded font (``_pdf_font_problems``; the
  hand-made decks, the negative control and the SVG logos are in ``test_deck_render.py``);
* a client template's layouts, master and slide size are used, and its sample slides dropped.

The full-study tests run the real study notebooks on a small synthetic study (slow, about a minute).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

pptx = pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402
from pptx.util import Inches  # noqa: E402

from cxresearch import cli, codebook, synth  # noqa: E402
from cxresearch.findings import Finding  # noqa: E402
from cxresearch.report import ParamsError, load_params, run_batch  # noqa: E402
from cxresearch.report import deck as deck_mod  # noqa: E402
from cxresearch.store import Store  # noqa: E402

EMU_PT = 12700
_CJK = re.compile(
    r"[\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF"
    r"\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]"
)


# -- independent text measurement ---------------------------------------------------------------


def _fc(family: str) -> str:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig (fc-match) is not installed; scripts/sysdeps.sh installs it")
    out = subprocess.run(
        ["fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


class _Measure:
    """Widths and line heights from the font files (FreeType via Pillow), per character class."""

    def __init__(self, latin: str, cjk: str):
        from PIL import ImageFont

        self.fonts = {
            False: ImageFont.truetype(_fc(latin), 200),
            True: ImageFont.truetype(_fc(cjk), 200),
        }
        self.lh = max(sum(f.getmetrics()) for f in self.fonts.values()) / 200

    def width(self, text: str, size: float, bold: bool) -> float:
        total, i = 0.0, 0
        while i < len(text):  # runs of one class
            cls = bool(_CJK.match(text[i]))
            j = i
            while j < len(text) and bool(_CJK.match(text[j])) == cls:
                j += 1
            total += self.fonts[cls].getlength(text[i:j])
            i = j
        return total / 200 * size * (1.06 if bold else 1.0)

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> int:
        """Greedy wrap: break at spaces, and before any CJK character."""
        pieces = re.findall(rf"{_CJK.pattern}|[^\s{_CJK.pattern[1:-1]}]+\s*|\s+", text)
        words: list[str] = []
        for (
            piece
        ) in pieces:  # kinsoku: closing marks stay with what precedes, opening with what follows
            if (
                words
                and not piece.isspace()
                and (
                    piece[0] in "，。、；：！？）」』】》〉”’%,.;:!?)]}"
                    or words[-1].rstrip()[-1:] in "（「『【《〈“‘([{"
                )
            ):
                words[-1] += piece
            else:
                words.append(piece)
        n, cur = 1, ""
        for w in words:
            if self.width((cur + w).rstrip(), size, bold) <= width or not cur.strip():
                cur += w
                while (
                    self.width(cur.rstrip(), size, bold) > width and len(cur) > 1
                ):  # an over-long word
                    k = len(cur)
                    while k > 1 and self.width(cur[:k], size, bold) > width:
                        k -= 1
                    n, cur = n + 1, cur[k:]
            else:
                n, cur = n + 1, w.lstrip()
        return n


def _runs(shape):
    if shape.has_text_frame:
        for p in shape.text_frame.paragraphs:
            yield from p.runs
    if shape.has_table:
        for row in shape.table.rows:
            for cell in row.cells:
                for p in cell.text_frame.paragraphs:
                    yield from p.runs


def _frame_height(measure: _Measure, tf, width: float) -> float:
    total = 0.0
    paras = tf.paragraphs
    for k, p in enumerate(paras):
        if not p.runs:
            continue
        size = p.runs[0].font.size.pt
        bold = bool(p.runs[0].font.bold)
        text = "".join(r.text for r in p.runs)
        total += measure.lines(text, width, size, bold) * measure.lh * size
        if k < len(paras) - 1 and p.space_after is not None:
            total += p.space_after.pt
    return total


def _overflows(prs, measure: _Measure) -> list[str]:
    """Every text box or table cell whose wrapped text is taller than its box, and every shape off the slide."""
    bad = []
    W, H = prs.slide_width, prs.slide_height
    for i, slide in enumerate(prs.slides):
        boxes = []
        for shape in slide.shapes:
            h = sum(r.height for r in shape.table.rows) if shape.has_table else shape.height
            boxes.append(
                (shape.name, shape.left, shape.top, shape.left + shape.width, shape.top + h)
            )
        for a, (na, l1, t1, r1, b1) in enumerate(boxes):  # no shape covers another
            for nb, l2, t2, r2, b2 in boxes[a + 1 :]:
                if min(r1, r2) - max(l1, l2) > 1 and min(b1, b2) - max(t1, t2) > 1:
                    bad.append(f"slide {i + 1}: {na} overlaps {nb}")
        for shape in slide.shapes:
            where = f"slide {i + 1} {shape.name}"
            if (
                shape.left < 0
                or shape.top < 0
                or shape.left + shape.width > W + 1
                or shape.top + shape.height > H + 1
            ):
                bad.append(f"{where}: outside the slide")
            if shape.has_text_frame and shape.text_frame.text:
                tf = shape.text_frame
                w = (shape.width - tf.margin_left - tf.margin_right) / EMU_PT
                h = (shape.height - tf.margin_top - tf.margin_bottom) / EMU_PT
                need = _frame_height(measure, tf, w)
                if need > h + 0.5:
                    bad.append(
                        f"{where}: text needs {need:.1f} pt, box has {h:.1f} pt: {tf.text[:60]!r}"
                    )
            if shape.has_table:
                tbl = shape.table
                for r, row in enumerate(tbl.rows):
                    for c, cell in enumerate(row.cells):
                        w = (tbl.columns[c].width - cell.margin_left - cell.margin_right) / EMU_PT
                        h = (row.height - cell.margin_top - cell.margin_bottom) / EMU_PT
                        need = _frame_height(measure, cell.text_frame, w)
                        if need > h + 0.5:
                            bad.append(
                                f"{where} cell ({r}, {c}): needs {need:.1f} pt, has {h:.1f}: {cell.text[:40]!r}"
                            )
                height = sum(row.height for row in tbl.rows)
                if shape.top + height > H:
                    bad.append(f"{where}: table runs off the slide")
    return bad


def _glyph_problems(prs, *, latin: str, cjk: str) -> list[str]:
    """Characters no declared font can draw, and runs without the East Asian typeface."""
    from fontTools.ttLib import TTCollection, TTFont

    def cmap_of(path: str, family: str) -> set[int]:
        fonts = TTCollection(path).fonts if path.lower().endswith(".ttc") else [TTFont(path)]
        for f in fonts:
            if f["name"].getDebugName(1) == family:
                return set(f.getBestCmap())
        return set(fonts[0].getBestCmap())

    cmaps = {True: cmap_of(_fc(cjk), cjk), False: cmap_of(_fc(latin), latin)}
    bad = []
    for i, slide in enumerate(prs.slides):
        for shape in slide.shapes:
            runs = list(_runs(shape))
            if shape.has_chart:
                chart = shape.chart
                runs = []
                ea = chart.font._rPr.find(
                    "{http://schemas.openxmlformats.org/drawingml/2006/main}ea"
                )
                if ea is None or ea.get("typeface") != cjk:
                    bad.append(f"slide {i + 1} {shape.name}: chart text without a:ea {cjk}")
                texts = list(chart.plots[0].categories) + [
                    chart.chart_title.text_frame.text if chart.has_title else ""
                ]
                for t in texts:
                    bad += [
                        f"slide {i + 1} {shape.name}: {ch!r}"
                        for ch in str(t)
                        if not ch.isspace() and ord(ch) not in cmaps[bool(_CJK.match(ch))]
                    ]
            for run in runs:
                ea = run.font._rPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
                if ea is None or ea.get("typeface") != cjk or run.font.name != latin:
                    bad.append(
                        f"slide {i + 1} {shape.name}: run {run.text[:20]!r} declares {run.font.name!r} / "
                        f"{None if ea is None else ea.get('typeface')!r}"
                    )
                for ch in run.text:
                    if not ch.isspace() and ord(ch) not in cmaps[bool(_CJK.match(ch))]:
                        bad.append(
                            f"slide {i + 1} {shape.name}: no glyph for {ch!r} (U+{ord(ch):04X})"
                        )
    return bad


# -- the deck as LibreOffice renders it: which font drew each character of the PDF ----------------


def _soffice_pdf(
    pptx_file: Path, out_dir: Path, *, env: dict | None = None, timeout: float = 300
) -> Path:
    """``soffice --headless --convert-to pdf`` with a user profile of its own (parallel runs do not share
    one); skipped only when LibreOffice is absent (``scripts/sysdeps.sh`` installs it)."""
    import os

    exe = shutil.which("soffice")
    if exe is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed; scripts/sysdeps.sh installs libreoffice-impress-nogui"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    cmd = [
        exe,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(out_dir),
        str(pptx_file),
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    pdf = out_dir / (pptx_file.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), (done.returncode, done.stdout, done.stderr)
    return pdf


def _ps_names(family: str) -> set[str]:
    """PostScript names of a family's regular and bold faces, as a PDF names them (a CFF font by its CFF
    FontName: the Noto CJK collection shares one CFF table, named ...jp-..., between its SC/TC/JP faces)."""
    from fontTools.ttLib import TTFont

    names = set()
    for pattern in (family, f"{family}:bold"):
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        font = TTFont(out[0], fontNumber=int(out[1] or 0), lazy=True)
        names.add(font["name"].getDebugName(6))
        if "CFF " in font:
            names.update(font["CFF "].cff.fontNames)
    return names


def _pdf_font_problems(pdf: Path, *, latin: str, cjk: str, texts: Sequence[str] = ()) -> list[str]:
    """What a reader would see missing: a font not embedded, a character drawn by a font other than the
    declared ones (CJK text by anything but the East Asian face: a fallback, or a .notdef box when no
    font has the glyph), or a text of the deck absent from the PDF's text (``pdftotext``)."""
    from pypdf import PdfReader

    bad = []
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    spans = [
        (m.start(), m.end()) for m in re.finditer(r"-+", lines[1])
    ]  # the columns under the dashes
    heads = [lines[0][a:b].strip() for a, b in spans]
    for line in lines[2:]:
        row = dict(zip(heads, (line[a:b].strip() for a, b in spans), strict=True))
        if row["emb"] != "yes":
            bad.append(f"font not embedded: {row['name']}")
    allowed = {True: _ps_names(cjk), False: _ps_names(latin) | _ps_names(cjk)}
    wrong: dict[tuple[int, str], str] = {}
    for k, page in enumerate(PdfReader(str(pdf)).pages):

        def visit(text, cm, tm, font, size, k=k):
            if not text.strip():
                return
            name = str(font.get("/BaseFont", "")).lstrip("/") if font is not None else "(no font)"
            name = re.sub(r"^[A-Z]{6}\+", "", name)  # the subset tag
            for ch in text:
                if not ch.isspace() and not any(
                    name.startswith(n) for n in allowed[bool(_CJK.match(ch))]
                ):
                    if ch not in wrong.get((k + 1, name), ""):
                        wrong[(k + 1, name)] = wrong.get((k + 1, name), "") + ch

        page.extract_text(visitor_text=visit)
    bad += [f"page {k}: {chars[:30]!r} drawn with {name}" for (k, name), chars in wrong.items()]
    plain = re.sub(
        r"\s+",
        "",
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
    )
    bad += [f"text not in the PDF: {t[:40]!r}" for t in texts if re.sub(r"\s+", "", t) not in plain]
    return bad


def _charts(prs):
    return [
        (i, shape)
        for i, slide in enumerate(prs.slides)
        for shape in slide.shapes
        if shape.has_chart
    ]


def _embedded(chart) -> tuple[list, list]:
    """Categories and values of the chart's embedded workbook (column A and B below the header)."""
    import openpyxl

    blob = chart.part.chart_workbook.xlsx_part.blob
    ws = openpyxl.load_workbook(io.BytesIO(blob)).worksheets[0]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    return [r[0] for r in rows], [r[1] for r in rows]


def _sheet(xlsx: Path, name: str) -> tuple[list[str], list[list]]:
    import openpyxl

    ws = openpyxl.load_workbook(xlsx)[name]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header, body = rows[0], []
    for r in rows[1:]:
        if all(v is None for v in r):
            break
        body.append(list(r))
    return list(header), body


# -- a hand-made report: quick checks of layout, fonts and the template ------------------------


LONG_ZH = (
    "广州的总体满意度显著低于总体：6.09 对 7.24，差 −1.14分（95% 置信区间 −1.30 至 −0.98；p < 0.001）。"
    "该群体在NPS（−29.6分）、再购买意向（−0.98分）上同样显著低于总体。"
)
LONG_EN = (
    "Guangzhou's overall satisfaction is significantly below Total: 6.09 against 7.24, a gap of −1.14 points "
    "(95% CI −1.30 to −0.98; p < 0.001). The segment is also significantly below Total on NPS (−29.6 points) "
    "and on repurchase intention (−0.98 points)."
)


def _payloads(lang: str) -> list[dict]:
    zh = lang == "zh"
    long = LONG_ZH if zh else LONG_EN
    return [
        {
            "name": "summary",
            "title": "核心结论" if zh else "Key messages",
            "columns": [
                "#",
                "Message",
                "Estimate",
                "CI lower",
                "CI upper",
                "p",
                "Evidence",
                "Test",
                "Chapter",
                "Table",
            ],
            "formats": [
                "int",
                "text",
                "num3",
                "num3",
                "num3",
                "pvalue",
                "text",
                "text",
                "text",
                "text",
            ],
            "rows": [
                [
                    k + 1,
                    " ".join([long] * 3),
                    -1.14,
                    -1.3,
                    -0.98,
                    1e-9,
                    "强" if zh else "strong",
                    "design-based t test against Total (holm over branch segments)",
                    "00_summary",
                    "segment_scorecard",
                ]
                for k in range(5)
            ],
            "base": None,
            "notes": [],
        },
        {
            "name": "kpi_dashboard",
            "title": "KPI",
            "columns": [
                "KPI",
                "2025",
                "CI lower",
                "CI upper",
                "Previous",
                "Change",
                "p",
                "Significant",
                "n",
            ],
            "formats": ["text", "num2", "num2", "num2", "num2", "signed2", "pvalue", "text", "int"],
            "rows": [
                ["NPS", -23.9, -26.3, -21.5, -22.8, -1.17, 0.5, "=", 3778.0],
                [
                    "总体满意度" if zh else "Overall satisfaction",
                    7.24,
                    7.18,
                    7.29,
                    7.26,
                    -0.03,
                    0.52,
                    "▲",
                    3778.0,
                ],
            ],
            "base": None,
            "notes": [
                "▲/▼: significantly up/down on the previous wave (α = 0.05); =: no significant change."
            ],
        },
        {
            "name": "nps_trend",
            "title": "NPS",
            "columns": ["Wave", "NPS", "CI lower", "CI upper", "Change", "p", "n", "n_eff"],
            "formats": ["text", "num1", "num1", "num1", "signed2", "pvalue", "int", "int"],
            "rows": [
                [str(w), -30.0 + 1.7 * k, -32.0, -28.0, None, None, 3700.0, 3690.0]
                for k, w in enumerate(range(2014, 2026))
            ],
            "base": "n = 45,267",
            "notes": [],
        },
        {
            "name": "segment_scorecard",
            "title": "Scorecard",
            "columns": ["分公司" if zh else "Branch", "NPS", "Overall satisfaction", "n"],
            "formats": ["text", "num1", "num2", "int"],
            "rows": [
                ["北京" if zh else "Beijing", -18.8, 7.36, 821.0],
                ["广州" if zh else "Guangzhou", -53.5, 6.09, 447.0],
                ["成都" if zh else "Chengdu", None, None, 4.0],
                ["总体" if zh else "Total", -23.9, 7.24, None],
            ],
            "base": None,
            "notes": ["Green/red: significantly above/below Total."],
        },
        {
            "name": "driver_importance",
            "title": "驱动因素重要性" if zh else "Importance of each driver",
            "columns": [
                "Driver",
                "Importance",
                "CI lower",
                "CI upper",
                "Rank",
                "Performance",
                "Quadrant",
            ],
            "formats": ["text", "pct1", "pct1", "pct1", "int", "num2", "text"],
            "rows": [
                [
                    f"{'驱动因素' if zh else 'Driver number'} {k}",
                    0.2 - 0.02 * k,
                    0.1,
                    0.3,
                    k + 1.0,
                    3.5,
                    "keep",
                ]
                for k in range(9)
            ],
            "base": "n = 3,778",
            "notes": ["LMG / Shapley; R² = 0.679."],
        },
        {
            "name": "priorities",
            "title": "Priorities",
            "columns": [
                "Priority",
                "What to fix",
                "Where",
                "Expected effect",
                "CI",
                "Pays for",
                "Owner",
            ],
            "formats": ["int", "text", "text", "text", "text", "text", "text"],
            "rows": [
                [
                    k + 1,
                    long[:40],
                    "广州、成都" if zh else "Guangzhou, Chengdu",
                    long[:70],
                    "15.8%–18.7%",
                    "4 years (4–6)",
                    "Service director",
                ]
                for k in range(16)
            ],
            "base": None,
            "notes": ["Ranked."],
        },
    ]


def _findings() -> list[Finding]:
    return [
        Finding(
            kind="top_driver",
            claim="largest",
            subject="product_quality",
            subject_type="driver",
            direction=1,
            estimate=0.2,
            ci_lower=0.18,
            ci_upper=0.22,
            unit="share",
            test="bootstrap interval",
            size=0.8,
            chapter="03_drivers",
            exhibit="driver_importance",
            variable="overall_sat",
            n=3778,
            p_value=1e-9,
            details={
                "next": "svc_responsiveness",
                "difference": 0.02,
                "difference_ci_lower": -0.003,
                "difference_ci_upper": 0.04,
            },
        )
    ]


def _params(tmp_path: Path, lang: str, **branding):
    (tmp_path / "study.duckdb").touch()
    raw = {
        "client": "alpha",
        "client_name": {"zh": "阿尔法机械有限公司华南区", "en": "Alpha Machinery South China"},
        "period": "2025",
        "language": lang,
        "data": {"store": "study.duckdb"},
        "branding": {
            "title": {
                "zh": "客户体验诊断报告：年度跟踪研究",
                "en": "Customer experience diagnostic: annual tracker",
            },
            **branding,
        },
    }
    path = tmp_path / f"p_{lang}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_params(path)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_handmade_deck_fits_its_boxes_and_declares_cjk_fonts(tmp_path, lang):
    from PIL import Image

    Image.new("RGB", (300, 100), "#1f4e79").save(tmp_path / "logo.png")
    params = _params(tmp_path, lang, logo="logo.png", primary_colour="#006633")
    prs = deck_mod.build_deck(
        _payloads(lang),
        _findings(),
        params=params,
        toc=[{"title": "Executive summary"}, {"title": "KPIs"}],
    )
    path = deck_mod.write_deck(prs, tmp_path / deck_mod.deck_filename(lang))
    prs = Presentation(str(path))
    measure = _Measure(params.branding.font, params.branding.font_cjk)
    assert _overflows(prs, measure) == []
    assert _glyph_problems(prs, latin=params.branding.font, cjk=params.branding.font_cjk) == []
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    # branding: the logo on every slide, titles and table headers in the primary colour
    assert all(any(sh.name == "cx-logo" for sh in s.shapes) for s in prs.slides)
    assert all(
        str(s.shapes.title.text_frame.paragraphs[0].runs[0].font.color.rgb) == "006633"
        for s in prs.slides
    )
    header = next(sh for s in prs.slides for sh in s.shapes if sh.has_table).table.cell(0, 0)
    assert str(header.fill.fore_color.rgb) == "006633"
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    theme = prs.slide_master.part.part_related_by(RT.THEME).blob.decode("utf-8")
    assert (
        '<a:ea typeface="Noto Sans CJK SC"' in theme and '<a:latin typeface="DejaVu Sans"' in theme
    )
    # five long messages do not fit one slide at a readable size: the summary continues
    summary = [
        t for t in titles if t.startswith("核心结论" if lang == "zh" else "Executive summary")
    ]
    assert len(summary) == 2
    text = "\n".join(
        sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.name == "cx-messages"
    )
    assert all(f"{k}. {LONG_ZH if lang == 'zh' else LONG_EN}" in text for k in range(1, 6))
    # 16 priorities continue over slides with the header repeated
    assert (
        sum(
            t.startswith("优先事项与行动" if lang == "zh" else "Priorities and actions")
            for t in titles
        )
        >= 2
    )
    # the driver exhibit is titled with its "so what", written from the finding
    assert any("20.0%" in t for t in titles)
    # the suppressed segment is a gap in the chart, not a zero
    card = next(sh for _, sh in _charts(prs) if sh.name == "cx-chart-segment_scorecard")
    values = list(card.chart.plots[0].series[0].values)
    assert values[::-1] == [-18.8, -53.5, None, -23.9]


def test_template_layouts_master_and_size_are_used(tmp_path):
    import copy

    tpl = (
        Presentation()
    )  # 4:3, the default template's layouts, renamed: found by their placeholders
    tpl.slide_width, tpl.slide_height = Inches(10), Inches(7.5)
    for layout in tpl.slide_layouts:
        layout.name = {"Title Slide": "ACME Cover", "Title Only": "ACME Headline"}.get(
            layout.name, layout.name
        )
    sample = tpl.slides.add_slide(tpl.slide_layouts[1])
    sample.shapes.title.text = "sample slide to drop"
    mark = sample.shapes.add_textbox(Inches(0.2), Inches(7.0), Inches(3), Inches(0.4))
    mark.text_frame.text = "ACME CONFIDENTIAL"
    tpl.slide_master.shapes._spTree.append(copy.deepcopy(mark._element))  # a mark on the master
    (tmp_path / "brand").mkdir()
    tpl.save(str(tmp_path / "brand" / "acme.pptx"))

    params = _params(tmp_path, "en", pptx_template="brand/acme.pptx")
    assert params.branding.pptx_template == (tmp_path / "brand" / "acme.pptx").resolve()
    prs = deck_mod.build_deck(_payloads("en"), _findings(), params=params)
    out = Presentation(str(deck_mod.write_deck(prs, tmp_path / "report.en.pptx")))
    assert (out.slide_width, out.slide_height) == (Inches(10), Inches(7.5))
    assert all("sample slide to drop" not in s.shapes.title.text_frame.text for s in out.slides)
    assert out.slides[0].slide_layout.name == "ACME Cover"
    assert {s.slide_layout.name for s in list(out.slides)[1:]} == {"ACME Headline"}
    assert any(
        sh.has_text_frame and sh.text_frame.text == "ACME CONFIDENTIAL"
        for sh in out.slide_master.shapes
    )
    assert _overflows(out, _Measure(params.branding.font, params.branding.font_cjk)) == []


def test_template_and_format_are_validated(tmp_path):
    with pytest.raises(ParamsError, match=r"branding\.pptx_template: file not found"):
        _params(tmp_path, "en", pptx_template="missing.pptx")
    (tmp_path / "fake.pptx").write_text("not a zip")
    with pytest.raises(ParamsError, match=r"branding\.pptx_template: not a PowerPoint \.pptx file"):
        _params(tmp_path, "en", pptx_template="fake.pptx")
    with pytest.raises(ParamsError, match=r"branding\.pptx_template"):
        _params(tmp_path, "en", pptx_template="brand.potx")
    raw = yaml.safe_load((tmp_path / "p_en.yaml").read_text(encoding="utf-8"))
    raw["branding"].pop("pptx_template")
    raw["output"] = {"formats": ["pptx", "xlsx"]}
    assert load_params(raw, base_dir=tmp_path).output.formats == ["pptx", "xlsx"]
    with pytest.raises(ParamsError, match=r"output\.formats\[0\]"):
        load_params({**raw, "output": {"formats": ["ppt"]}}, base_dir=tmp_path)


# -- the real study notebooks on a synthetic study ---------------------------------------------


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deck_study")
    demo = synth.generate(seed=11, n_customers=300, n_waves=4, first_wave=2022)
    paths = synth.write(demo, folder / "files")
    with Store(folder / "s.duckdb") as st:
        st.import_files(
            [p for k, p in paths.items() if k not in ("codebook", "truth")],
            client="alpha",
            codebook=codebook.load(paths["codebook"]),
        )
        st.import_files(
            [paths["survey_2025"]], client="solo", codebook=codebook.load(paths["codebook"])
        )
    raw = {
        "client": "alpha",
        "client_name": {"zh": "阿尔法机械", "en": "Alpha Machinery"},
        "period": "2025",
        "language": "zh",
        "data": {"store": "s.duckdb"},
        "output": {"formats": ["html"], "dir": "reports"},
    }
    (folder / "a.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    solo = {
        **raw,
        "client": "solo",
        "language": "en",
        "output": {"formats": ["pptx"], "dir": "reports"},
    }
    (folder / "solo.yaml").write_text(yaml.safe_dump(solo, allow_unicode=True), encoding="utf-8")
    # the consultant's command: cxresearch run a.yaml --formats xlsx,pptx
    assert cli.main(["run", str(folder / "a.yaml"), "--formats", "xlsx,pptx"]) == 0
    out = folder / "reports" / "alpha" / "2025"

    def one(pattern: str) -> Path:  # tables.xlsx or tables.zh.xlsx, as the runner names them
        found = sorted(out.glob(pattern))
        assert len(found) == 1, (pattern, found)
        return found[0]

    result = SimpleNamespace(
        directory=out,
        pptx=out / "report.zh.pptx",
        tables=one("tables*.xlsx"),
        findings=one("findings*.json"),
        manifest=one("manifest*.json"),
    )
    assert not list(out.glob("report*.html"))  # --formats overrides output.formats
    return folder, result


@pytest.mark.slow
def test_deck_charts_carry_the_reports_numbers(full_report):
    folder, result = full_report
    assert result.pptx.is_file()
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert "report.zh.pptx" in {Path(f["path"]).name for f in manifest["outputs"]}
    prs = Presentation(str(result.pptx))
    charts = _charts(prs)
    assert {sh.name for _, sh in charts} >= {
        "cx-chart-nps_trend",
        "cx-chart-segment_scorecard",
        "cx-chart-driver_importance",
    }
    for _, shape in charts:
        assert shape.has_chart  # a native chart object, not a picture
        name = shape.name.removeprefix("cx-chart-")
        spec = deck_mod._spec_for(name)
        header, rows = _sheet(result.tables, name)
        cats = [str(r[spec.category]) for r in rows]
        if spec.short_labels:
            cats = [re.split(r"[：:]", c, maxsplit=1)[0] for c in cats]
        vals = [r[spec.value] for r in rows]
        if spec.kind == "bar":
            cats, vals = cats[::-1], vals[::-1]
        plot = shape.chart.plots[0]
        assert list(plot.categories) == cats, name
        assert list(plot.series[0].values) == pytest.approx(vals, rel=1e-12, abs=0), name
        emb_cats, emb_vals = _embedded(shape.chart)
        assert [str(c) for c in emb_cats] == cats, name
        assert emb_vals == pytest.approx(vals, rel=1e-12, abs=0), name
        assert plot.series[0].name == header[spec.value]
    # the driver chart shows the finding's own number
    found = json.loads(result.findings.read_text(encoding="utf-8"))
    top = next((f for f in found if f["kind"] == "top_driver"), None)
    if top is not None:
        drv = next(sh for _, sh in charts if sh.name == "cx-chart-driver_importance").chart.plots[0]
        assert top["estimate"] in list(drv.series[0].values)
    # the summary slide's messages are the summary sheet's, with their evidence line
    _, summary = _sheet(result.tables, "summary")
    text = "\n".join(
        sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.name == "cx-messages"
    )
    notes = "\n".join(s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide)
    for row in summary:
        assert f"{row[0]}. {row[1]}" in text
        assert row[7] in notes  # the test's name: in the speaker notes, not on the client's slide
    if not summary:
        assert (
            "不提出核心结论" in " ".join(s.shapes.title.text_frame.text for s in prs.slides) + text
        )


@pytest.mark.slow
def test_deck_text_fits_and_zh_glyphs_render(full_report, tmp_path):
    _, result = full_report
    prs = Presentation(str(result.pptx))
    params = load_params(result.directory.parents[2] / "a.yaml")
    assert _overflows(prs, _Measure(params.branding.font, params.branding.font_cjk)) == []
    assert _glyph_problems(prs, latin=params.branding.font, cjk=params.branding.font_cjk) == []
    assert any(t.has_table for s in prs.slides for t in s.shapes)
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert titles[0] and "核心结论" in titles[1] and "核心指标一览" in titles[2]
    assert any(t.startswith("附录") for t in titles)
    # as LibreOffice renders it: every glyph from a declared, embedded font; the titles in the PDF's text
    pdf = _soffice_pdf(result.pptx, tmp_path / "pdf")
    assert (
        _pdf_font_problems(
            pdf, latin=params.branding.font, cjk=params.branding.font_cjk, texts=titles
        )
        == []
    )


@pytest.mark.slow
def test_batch_deck_for_a_one_wave_client_without_crm(full_report):
    folder, _ = full_report
    out = folder / "batch"
    summary = run_batch([folder / "solo.yaml"], out_root=out, workers=1)
    assert summary.ok, summary
    pptx_file = out / "solo" / "2025" / "report.en.pptx"
    assert pptx_file.is_file()
    manifest = json.loads(
        next((out / "solo" / "2025").glob("manifest*.json")).read_text(encoding="utf-8")
    )
    assert "report.en.pptx" in {Path(f["path"]).name for f in manifest["outputs"]}
    prs = Presentation(str(pptx_file))
    names = {sh.name for s in prs.slides for sh in s.shapes}
    # one wave, no CRM: no trend, no persistence or alert back-test slides; what ran is there
    assert not any(
        n.startswith(("cx-chart-lags", "cx-chart-alert_backtest", "cx-chart-nps_trend"))
        for n in names
    )
    assert "cx-table-kpi_dashboard" in names or "cx-messages" in names
    assert _overflows(prs, _Measure("DejaVu Sans", "Noto Sans CJK SC")) == []


def test_overflow_and_glyph_checks_can_fail(tmp_path):
    """The checks above see overflowing text, a missing a:ea and a character no font draws."""
    params = _params(tmp_path, "zh")
    prs = deck_mod.build_deck(_payloads("zh"), _findings(), params=params)
    slide = prs.slides[0]
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(0.5))
    box.name = "too-small"
    run = box.text_frame.paragraphs[0].add_run()
    run.text = LONG_ZH + "\U0001d11e"  # a musical symbol neither font has
    run.font.size = pptx.util.Pt(18)
    measure = _Measure(params.branding.font, params.branding.font_cjk)
    assert any("too-small" in p for p in _overflows(prs, measure))
    glyphs = _glyph_problems(prs, latin=params.branding.font, cjk=params.branding.font_cjk)
    assert any("too-small" in p and "declares" in p for p in glyphs)
    assert any("U+1D11E" in p for p in glyphs)


def test_slides_only_for_what_ran(tmp_path):
    params = _params(tmp_path, "en")
    assert (
        len(deck_mod.build_deck([], [], params=params).slides) == 1
    )  # nothing ran: the title slide
    tables = _payloads("en")
    tables[0]["rows"] = []  # the summary ran and found nothing that passed its test
    del tables[2]  # no trend (one wave)
    prs = deck_mod.build_deck(tables, [], params=params)
    text = " ".join(sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame)
    assert "makes no claim" in text
    names = {sh.name for s in prs.slides for sh in s.shapes}
    assert "cx-chart-nps_trend" not in names and "cx-table-kpi_dashboard" in names
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert (
        "Importance of each driver" in titles
    )  # a core exhibit without a finding: titled by the table


def test_scorecard_cells_coloured_by_their_segment_findings(tmp_path):
    """A cell is green/red exactly where a segment_gap finding says the segment is above/below Total."""
    from pptx.enum.dml import MSO_FILL

    card = {
        "name": "segment_scorecard",
        "title": "Scorecard",
        "columns": ["branch", "recommend", "overall_sat", "n"],
        "formats": ["text", "num1", "num2", "int"],
        "rows": [["1", -10.0, 7.9, 300.0], ["2", -50.0, 6.1, 250.0], ["Total", -25.0, 7.2, None]],
        "base": None,
        "notes": [],
    }

    def gap(level, variable, direction):
        return Finding(
            kind="segment_gap",
            claim="above_total" if direction > 0 else "below_total",
            subject=str(level),
            subject_type="segment",
            direction=direction,
            estimate=direction * 1.0,
            ci_lower=None,
            ci_upper=None,
            unit="scale_points",
            test="design-based t test against Total",
            size=0.5,
            chapter="00_summary",
            exhibit="segment_scorecard",
            variable=variable,
            p_adj=0.001,
            details={"by": "branch", "level": level},
        )

    prs = deck_mod.build_deck(
        [card], [gap(2, "recommend", -1), gap(1, "overall_sat", 1)], params=_params(tmp_path, "en")
    )
    tbl = next(
        sh for s in prs.slides for sh in s.shapes if sh.name == "cx-table-segment_scorecard"
    ).table
    filled = {
        (tbl.cell(r, 0).text, tbl.cell(0, c).text): str(tbl.cell(r, c).fill.fore_color.rgb)
        for r in range(1, len(tbl.rows))
        for c in range(len(tbl.columns))
        if tbl.cell(r, c).fill.type == MSO_FILL.SOLID
    }
    assert filled == {("2", "recommend"): "FBE5E1", ("1", "overall_sat"): "E3F4E8"}
