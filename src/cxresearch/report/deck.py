"""The report as an editable PowerPoint deck (``report.<lang>.pptx``, output format ``pptx``).

Built with python-pptx from the same numbers as the report: the findings records the chapters wrote
(``findings.json``) and the report tables the notebooks emitted (the payloads ``tables.xlsx`` is
written from; :func:`cxresearch.report.render.combine` collects them). Nothing is recomputed here.

Slides, each only when its input ran:

1. title (branding title, client name, period, prepared by, date, logo);
2. executive summary: the key messages (``summary`` table), each sentence with its number, interval
   and p, its strength of evidence and the exhibit showing it (the test's name in the speaker notes);
3. KPI dashboard: the headline-KPI table and the first KPI's trend as a native line chart;
   the segment scorecard as a native table, cells coloured where a segment differs significantly from
   Total (its ``segment_gap`` findings);
4. one slide per key exhibit (the exhibits the findings cite, then the core charts), titled with its
   "so what" (the exhibit's strongest finding in words, :func:`cxresearch.tables.say_finding`) and
   showing the exhibit as a native chart (:data:`CHARTS`) or a native table;
5. priorities and actions (native table);
6. appendix: bases, the tests behind the findings and the chapters that ran.

Charts are python-pptx chart objects with their data embedded (the chart's own workbook), so a
consultant can restyle and edit them; tables are native tables. Branding (colours, logo, Latin and
East Asian fonts: every run declares ``a:latin`` and ``a:ea``) comes from ``params.branding``; with
``branding.pptx_template`` the client's template provides slide size, masters and layouts (its
"Title Slide" and "Title Only" layouts, else the first layouts with a title). Text is measured with
the declared fonts (:mod:`cxresearch.report._textfit`) and shrunk to fit its box; a list or table
that does not fit at the smallest size continues on a further slide.

The logo (:mod:`cxresearch.report.logo`) is a picture on the title slide and in every footer, scaled
to fit its room. A PNG or JPEG is placed as it is; an SVG, which python-pptx cannot place, as a
transparent PNG rasterised by Chromium at 300 ppi for its largest size (:data:`TITLE_LOGO_IN`), with
the SVG itself attached as PowerPoint attaches it (``asvg:svgBlip``): PowerPoint shows the vector,
other readers the PNG.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxresearch._i18n import check_lang, message
from cxresearch.report._textfit import Metrics
from cxresearch.report.logo import Logo, read_logo, svg_to_png

__all__ = ["CHARTS", "DeckStyle", "build_deck", "deck_filename", "write_deck", "chart_values"]

EMU_PER_PT = 12700
EMU_PER_IN = 914400
TITLE_LOGO_IN = (
    0.7  # logo height on the title slide (inches); an SVG logo is rasterised for this size
)
FOOTER_LOGO_IN = 0.32  # logo height in each slide's footer
#: PowerPoint's extension of a picture's blip naming its SVG original (the blip itself is the PNG fallback).
SVG_BLIP_EXT = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_BLIP_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def deck_filename(lang: str) -> str:
    """``report.<lang>.pptx``."""
    check_lang(lang)
    return f"report.{lang}.pptx"


@dataclass(frozen=True)
class ChartSpec:
    """How a report table becomes a native chart: category column, value column, chart type, number format."""

    category: int
    value: int
    kind: str  # "line", "bar" (horizontal), "column"
    number_format: str | None = None  # default from the column's format
    short_labels: bool = False  # category labels cut at the first colon (alert rules)


#: Report tables drawn as native charts (by table name; ``*_trend`` tables as lines).
CHARTS: dict[str, ChartSpec] = {
    "_trend": ChartSpec(0, 1, "line"),
    "segment_scorecard": ChartSpec(0, 1, "bar"),
    "nps_by_segment": ChartSpec(0, 1, "bar"),
    "driver_importance": ChartSpec(0, 1, "bar"),
    "process_importance": ChartSpec(0, 1, "bar"),
    "lags_loyalty": ChartSpec(0, 1, "column"),
    "lags_process": ChartSpec(0, 1, "column"),
    "alert_backtest": ChartSpec(0, 4, "bar", short_labels=True),
    "engagement": ChartSpec(0, 2, "bar"),
    "churn_by_run": ChartSpec(0, 3, "column"),
}
#: Where a category label is cut for a chart (``short_labels``): at the first colon, ASCII or the
#: full-width one of Chinese text (an alert rule's name before its definition). Data: the punctuation
#: the labels are parsed at, not words of the deck.
_LABEL_END = re.compile(r"[：:]")
#: Exhibits shown even when no finding cites them (when their table exists).
CORE = ("nps_by_segment", "driver_importance")
_NUMFMT = {
    "int": "#,##0",
    "num0": "#,##0",
    "num1": "0.0",
    "num2": "0.00",
    "num3": "0.000",
    "pct0": "0%",
    "pct1": "0.0%",
    "pvalue": "0.000",
    "signed2": "+0.00;-0.00;0.00",
}


def _w(key: str, lang: str, **fields: Any) -> str:
    """The deck's word ``key`` in ``lang``: the catalog entry ``deck.<key>`` (see cxresearch._i18n)."""
    return message(f"deck.{key}", lang, **fields)


@dataclass(frozen=True)
class DeckStyle:
    """Branding of a deck: colours (``#rrggbb``), fonts (a Latin face and an East Asian fallback),
    logo and an optional client template."""

    primary: str = "#1f4e79"
    accent: str = "#e07b39"
    font: str = "DejaVu Sans"
    font_cjk: str = "Noto Sans CJK SC"
    logo: Path | None = None
    template: Path | None = None

    @classmethod
    def from_params(cls, params) -> DeckStyle:
        b = params.branding
        return cls(
            primary=b.primary_colour,
            accent=b.accent_colour,
            font=getattr(b, "font", None) or cls.font,
            font_cjk=getattr(b, "font_cjk", None) or cls.font_cjk,
            logo=b.logo,
            template=getattr(b, "pptx_template", None),
        )


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _plain(text: str) -> str:
    return str(text).replace("**", "")


def chart_values(payload: Mapping, spec: ChartSpec) -> tuple[list[str], list[float | None]]:
    """Categories and values a chart of ``payload`` shows: the table's raw numbers, rows whose value is
    missing kept as gaps (``None``)."""
    cats, vals = [], []
    for row in payload["rows"]:
        label = "" if row[spec.category] is None else str(row[spec.category])
        if spec.short_labels:
            label = _LABEL_END.split(label, maxsplit=1)[0]
        v = row[spec.value]
        cats.append(label)
        vals.append(None if v is None or isinstance(v, str) or isinstance(v, bool) else float(v))
    return cats, vals


def _spec_for(name: str) -> ChartSpec | None:
    if name in CHARTS:
        return CHARTS[name]
    if name.endswith("_trend"):
        return CHARTS["_trend"]
    return None


# -- the builder ---------------------------------------------------------------------------------


@dataclass
class _Deck:
    prs: Any
    style: DeckStyle
    metrics: Metrics
    lang: str
    footer: str
    title_layout: Any
    content_layout: Any
    templated: bool
    margin: int = field(default=int(0.45 * EMU_PER_IN))
    logo: Logo | None = None
    logo_png: bytes | None = None  # the picture's image: the file itself, or an SVG's rendering
    logo_svg_part: Any = None

    # geometry (EMU)
    @property
    def width(self) -> int:
        return int(self.prs.slide_width)

    @property
    def height(self) -> int:
        return int(self.prs.slide_height)

    def body_box(self, slide) -> tuple[int, int, int, int]:
        """(left, top, width, height) below the slide's title and above the footer."""
        title = slide.shapes.title or next(
            (sh for sh in slide.shapes if sh.name == "cx-title"), None
        )
        top = (
            int(title.top + title.height) + int(0.12 * EMU_PER_IN)
            if title is not None
            else self.margin
        )
        bottom = self.height - int(0.5 * EMU_PER_IN)
        return self.margin, top, self.width - 2 * self.margin, max(bottom - top, int(EMU_PER_IN))

    # fonts
    def font(
        self, run_or_font, *, size: float, bold: bool = False, colour: str | None = None
    ) -> None:
        from pptx.oxml.ns import qn
        from pptx.util import Pt

        f = run_or_font.font if hasattr(run_or_font, "font") else run_or_font
        f.size = Pt(size)
        f.bold = bold
        if colour:
            f.color.rgb = _rgb(colour)
        f.name = self.style.font
        rpr = f._rPr
        ea = rpr.find(qn("a:ea"))
        if ea is None:
            from lxml import etree

            ea = etree.SubElement(rpr, qn("a:ea"))
            latin = rpr.find(qn("a:latin"))
            latin.addnext(ea)
        ea.set("typeface", self.style.font_cjk)

    def fill_text(
        self,
        shape,
        paragraphs: Sequence[str],
        *,
        max_size: float,
        min_size: float,
        bold: bool = False,
        colour: str | None = None,
        space_after: float = 0.0,
        align=None,
        anchor=None,
    ) -> float | None:
        """Write paragraphs into ``shape``'s text frame at the largest size that fits (None: no fit; the
        text is then written at ``min_size``)."""
        from pptx.enum.text import MSO_AUTO_SIZE
        from pptx.util import Pt

        tf = shape.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        m = Pt(3)
        tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = m
        if anchor is not None:
            tf.vertical_anchor = anchor
        w = (shape.width - 2 * m) / EMU_PER_PT
        h = (shape.height - 2 * m) / EMU_PER_PT
        size = self.metrics.fit_size(
            list(paragraphs),
            w,
            h,
            max_size=max_size,
            min_size=min_size,
            bold=bold,
            space_after=space_after,
        )
        used = size if size is not None else min_size
        tf.clear()
        for i, text in enumerate(paragraphs):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.line_spacing = 1.0
            p.space_before = Pt(0)
            p.space_after = Pt(space_after if i < len(paragraphs) - 1 else 0)
            if align is not None:
                p.alignment = align
            run = p.add_run()
            run.text = text
            self.font(run, size=used, bold=bold, colour=colour)
        return size

    def new_slide(self, title: str, *, layout=None):
        slide = self.prs.slides.add_slide(layout or self.content_layout)
        ph = slide.shapes.title
        if ph is None:  # a layout without a title: add a text box where a title goes
            from pptx.util import Emu

            ph = slide.shapes.add_textbox(
                Emu(self.margin),
                Emu(int(0.3 * EMU_PER_IN)),
                Emu(self.width - 2 * self.margin),
                Emu(int(0.95 * EMU_PER_IN)),
            )
            ph.name = "cx-title"
        elif not self.templated:
            ph.left, ph.top = self.margin, int(0.3 * EMU_PER_IN)
            ph.width, ph.height = self.width - 2 * self.margin, int(0.95 * EMU_PER_IN)
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

        text, keep = title, len(title)
        while (
            self.fill_text(
                ph,
                [text],
                max_size=24,
                min_size=11,
                bold=True,
                colour=self.style.primary,
                align=PP_ALIGN.LEFT,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            is None
            and keep > 1
        ):
            keep = max(
                1, int(keep * 0.9)
            )  # a headline longer than its box: cut, marked with an ellipsis
            text = title[:keep].rstrip() + "…"
        self._drop_empty_placeholders(slide)
        self._footer(slide)
        return slide

    def _drop_empty_placeholders(self, slide) -> None:
        title = slide.shapes.title
        for shape in list(slide.placeholders):
            if title is not None and shape.shape_id == title.shape_id:
                continue
            if (
                not shape.has_text_frame or not shape.text_frame.text
            ):  # unused: no "click to add" prompts
                shape._element.getparent().remove(shape._element)

    def _footer(self, slide) -> None:
        from pptx.util import Emu

        box = slide.shapes.add_textbox(
            Emu(self.margin),
            Emu(self.height - int(0.42 * EMU_PER_IN)),
            Emu(int((self.width - 2 * self.margin) * 0.75)),
            Emu(int(0.32 * EMU_PER_IN)),
        )
        box.name = "cx-footer"
        self.fill_text(box, [self.footer], max_size=9, min_size=6, colour="#7f7f7f")
        room = self.width - self.margin - (box.left + box.width) - int(0.1 * EMU_PER_IN)
        self.add_logo(
            slide, top=self.height - int(0.42 * EMU_PER_IN), height=FOOTER_LOGO_IN, max_width=room
        )

    def add_logo(self, slide, *, top: int, height: float, max_width: int) -> None:
        """The brand logo, right-aligned at ``top``, ``height`` inches high (lower when wider than
        ``max_width`` EMU); an SVG logo as its PNG rendering with the SVG attached (``asvg:svgBlip``)."""
        if self.logo is None:
            return
        from pptx.util import Emu

        h = int(height * EMU_PER_IN)
        w = int(h * self.logo.aspect)
        if w > max_width:
            w, h = max_width, int(max_width / self.logo.aspect)
        pic = slide.shapes.add_picture(
            io.BytesIO(self.logo_png), Emu(self.width - self.margin - w), Emu(top), Emu(w), Emu(h)
        )
        pic.name = "cx-logo"
        if self.logo.kind == "svg":
            _attach_svg(slide, pic, self._svg_part())

    def _svg_part(self):
        """The deck's one SVG part of the logo (each slide relates to it)."""
        if self.logo_svg_part is None:
            from pptx.opc.package import Part

            package = self.prs.part.package
            self.logo_svg_part = Part(
                package.next_partname("/ppt/media/image%d.svg"),
                "image/svg+xml",
                package,
                self.logo.data,
            )
        return self.logo_svg_part

    def note(self, slide, text: str, top: int, height: int) -> None:
        from pptx.util import Emu

        box = slide.shapes.add_textbox(
            Emu(self.margin), Emu(top), Emu(self.width - 2 * self.margin), Emu(height)
        )
        box.name = "cx-note"
        self.fill_text(box, [text], max_size=10, min_size=7, colour="#595959")


def _theme_fonts(prs, style: DeckStyle) -> None:
    """Brand fonts as the theme's heading and body fonts (Latin and East Asian), so text a consultant adds
    later matches the deck."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.oxml.ns import qn

    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    for which in ("majorFont", "minorFont"):
        for node in root.iter(qn(f"a:{which}")):
            for tag, face in (("a:latin", style.font), ("a:ea", style.font_cjk)):
                el = node.find(qn(tag))
                if el is not None:
                    el.set("typeface", face)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _attach_svg(slide, pic, svg_part) -> None:
    """Name the SVG original of a picture in its blip (``a:extLst/a:ext/asvg:svgBlip``), as PowerPoint does."""
    from lxml import etree
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.oxml.ns import qn

    rid = slide.part.relate_to(svg_part, RT.IMAGE)
    blip = pic._element.blipFill.find(qn("a:blip"))
    ext_lst = blip.find(qn("a:extLst"))
    if ext_lst is None:
        ext_lst = etree.SubElement(blip, qn("a:extLst"))
    ext = etree.SubElement(ext_lst, qn("a:ext"), uri=SVG_BLIP_EXT)
    svg = etree.SubElement(ext, f"{{{SVG_BLIP_NS}}}svgBlip", nsmap={"asvg": SVG_BLIP_NS})
    svg.set(qn("r:embed"), rid)


def _remove_slides(prs) -> None:
    """Drop the slides a template came with (keep its masters and layouts)."""
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


def _layouts(prs) -> tuple[Any, Any]:
    """(title layout, content layout): by name ('Title Slide', 'Title Only'), else the first layout with a
    centred title and the layout with a title and the fewest other placeholders."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    layouts = list(prs.slide_layouts)
    by_name = {lay.name.strip().lower(): lay for lay in layouts}

    def has(lay, *types):
        return any(ph.placeholder_format.type in types for ph in lay.placeholders)

    title = by_name.get("title slide") or next(
        (lay for lay in layouts if has(lay, PP_PLACEHOLDER.CENTER_TITLE)), layouts[0]
    )
    titled = [lay for lay in layouts if has(lay, PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)]
    content = by_name.get("title only") or (
        min(titled, key=lambda lay: len(lay.placeholders)) if titled else layouts[-1]
    )
    return title, content


def build_deck(
    tables: Sequence[Mapping],
    findings: Iterable,
    *,
    params,
    codebook=None,
    toc: Sequence[Mapping] = (),
    date: _dt.date | None = None,
):
    """The deck of one report as a python-pptx ``Presentation``.

    Parameters
    ----------
    tables : sequence of dict
        The report tables' payloads, in report order (``render.combine(...).tables``: ``name``,
        ``title``, ``columns``, ``formats``, ``rows`` of raw values, ``base``, ``notes``).
    findings : iterable of cxresearch.findings.Finding
        The run's findings (``findings.json``), ranked.
    params : cxresearch.report.params.Params
        Validated params (language, client, period, branding).
    codebook : cxresearch.codebook.Codebook, optional
        For labels in the "so what" sentences and the scorecard colours.
    toc : sequence of dict
        Chapters that ran (``render.combine(...).toc``: ``title``), listed in the appendix.

    Examples
    --------
    A deck from the demo study's KPI dashboard and segment scorecard and their findings (a report
    run passes every table of the report and ``findings.json``):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> book = cx.codebook.load(study.codebook)
    >>> kpis = [("recommend", "nps"), ("overall_sat", "mean")]
    >>> trends = cx.findings.kpi_trends(study.responses, kpis=kpis, weights="weight",
    ...                                 respondent="customer_id")
    >>> card = cx.findings.scorecard(study.responses.query("wave == 2017"), kpis=kpis,
    ...                              by="branch", weights="weight")
    >>> found = cx.findings.kpi_findings(trends, wave=2017, chapter="00_summary",
    ...                                  exhibit="kpi_dashboard")
    >>> found += cx.findings.segment_findings(card, chapter="00_summary",
    ...                                       exhibit="segment_scorecard", wave=2017)
    >>> tables = [cx.tables.kpi_dashboard(trends, wave=2017, lang="en", codebook=book),
    ...           cx.tables.scorecard_table(card, lang="en", codebook=book)]
    >>> params = cx.report.load_params(
    ...     {"client": "demo", "client_name": {"zh": "示范", "en": "Demo Machinery Dealer"},
    ...      "period": "2017", "language": "en", "data": {"store": "study.duckdb"}},
    ...     check_files=False)
    >>> prs = cx.report.build_deck([t.to_payload() for t in tables], found, params=params,
    ...                            codebook=book)
    >>> len(prs.slides)
    4
    >>> prs.slides[1].shapes.title.text_frame.text
    'KPI dashboard'
    >>> prs.slides[2].shapes.title.text_frame.text
    'Beijing is significantly above Total on overall satisfaction: 7.67 against 7.03, a gap of +0.64
    points (95% CI 0.26–1.02; p = 0.007).'
    """
    from pptx import Presentation
    from pptx.util import Inches

    lang = params.language
    style = DeckStyle.from_params(params)
    if style.template is not None:
        prs = Presentation(str(style.template))
        _remove_slides(prs)
    else:
        prs = Presentation()
        prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
        _theme_fonts(prs, style)
    title_layout, content_layout = _layouts(prs)
    deck = _Deck(
        prs=prs,
        style=style,
        metrics=Metrics.for_families(style.font, style.font_cjk),
        lang=lang,
        footer=f"{params.display_name} · {params.period}",
        title_layout=title_layout,
        content_layout=content_layout,
        templated=style.template is not None,
    )
    if style.logo is not None:
        deck.logo = read_logo(style.logo)
        deck.logo_png = (
            svg_to_png(deck.logo, height_in=TITLE_LOGO_IN)
            if deck.logo.kind == "svg"
            else deck.logo.data
        )
    findings = list(findings)
    by_name: dict[str, Mapping] = {}
    for t in tables:  # the first table of a name (a chart's data sheet may reuse it later)
        by_name.setdefault(t.get("name"), t)

    _title_slide(deck, params, date=date)
    _summary_slides(
        deck, by_name.get("summary"), {n: t.get("title") or n for n, t in by_name.items()}
    )
    _dashboard_slides(deck, by_name, findings, codebook)
    shown = {"summary", "kpi_dashboard", "segment_scorecard", "priorities"}
    shown |= {n for n in by_name if n and n.endswith("_trend")}
    exhibits = list(dict.fromkeys(f.exhibit for f in findings))
    exhibits += [n for n in CORE if n not in exhibits]
    for name in exhibits:
        if name in shown or name not in by_name:
            continue
        shown.add(name)
        _exhibit_slide(
            deck, by_name[name], [f for f in findings if f.exhibit == name], findings, codebook
        )
    if by_name.get("priorities") and by_name["priorities"]["rows"]:
        _table_slides(deck, _w("priorities", lang), by_name["priorities"])
    _appendix_slides(deck, by_name, findings, toc)
    return prs


def write_deck(prs, path: str | Path) -> Path:
    """Save a deck (atomically: a temporary name in the same folder, then renamed).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from pptx import Presentation
    >>> import cxresearch as cx
    >>> params = cx.report.load_params(
    ...     {"client": "demo", "client_name": {"zh": "示范", "en": "Demo Machinery Dealer"},
    ...      "period": "2017", "language": "en", "data": {"store": "study.duckdb"}},
    ...     check_files=False)
    >>> prs = cx.report.build_deck([], [], params=params)  # nothing ran: the title slide only
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = cx.report.write_deck(prs, Path(folder) / "report.en.pptx")
    ...     print(path.name, len(Presentation(str(path)).slides))
    report.en.pptx 1
    """
    import os
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            buf = io.BytesIO()
            prs.save(buf)
            fh.write(buf.getvalue())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- slides --------------------------------------------------------------------------------------


def _title_slide(deck: _Deck, params, *, date: _dt.date | None) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu

    lang = deck.lang
    date = date or _dt.date.today()
    slide = deck.prs.slides.add_slide(deck.title_layout)
    title = slide.shapes.title
    w = deck.width - 2 * deck.margin
    if title is None:
        title = slide.shapes.add_textbox(
            Emu(deck.margin), Emu(int(deck.height * 0.28)), Emu(w), Emu(int(deck.height * 0.22))
        )
    elif not deck.templated:
        title.left, title.top, title.width, title.height = (
            deck.margin,
            int(deck.height * 0.28),
            w,
            int(deck.height * 0.22),
        )
    deck.fill_text(
        title,
        [params.title],
        max_size=36,
        min_size=16,
        bold=True,
        colour=deck.style.primary,
        align=PP_ALIGN.LEFT,
        anchor=MSO_ANCHOR.BOTTOM,
    )
    from cxresearch.report.render import cover_date

    lines = [params.display_name, _w("period_line", lang, period=params.period)]
    if params.branding.subtitle:
        lines.insert(0, params.branding.subtitle.for_lang(lang))
    if params.branding.prepared_by:
        lines.append(params.branding.prepared_by)
    lines.append(cover_date(date, lang))
    sub = next((ph for ph in slide.placeholders if ph.placeholder_format.idx == 1), None)
    if sub is None:
        sub = slide.shapes.add_textbox(
            Emu(deck.margin), Emu(int(deck.height * 0.53)), Emu(w), Emu(int(deck.height * 0.3))
        )
    elif not deck.templated:
        sub.left, sub.top, sub.width, sub.height = (
            deck.margin,
            int(deck.height * 0.53),
            w,
            int(deck.height * 0.3),
        )
    deck.fill_text(
        sub,
        lines,
        max_size=18,
        min_size=10,
        colour="#404040",
        space_after=4,
        align=PP_ALIGN.LEFT,
        anchor=MSO_ANCHOR.TOP,
    )
    if (
        not deck.templated
    ):  # the accent rule between title and subtitle (a template brings its own design)
        bar = slide.shapes.add_shape(
            1,
            Emu(deck.margin),
            Emu(int(deck.height * 0.515)),
            Emu(int(w * 0.25)),
            Emu(int(0.06 * EMU_PER_IN)),
        )
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(deck.style.accent)
        bar.line.fill.background()
        bar.name = "cx-accent"
    deck._drop_empty_placeholders(slide)
    deck.add_logo(slide, top=deck.margin, height=TITLE_LOGO_IN, max_width=int(w * 0.4))


def _message_paragraphs(
    payload: Mapping | None, lang: str, titles: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    if not payload or not payload.get("rows"):
        return []
    out = []
    for row in payload["rows"]:
        text = _plain(row[1])
        strength = row[6] if len(row) > 6 else ""
        test = row[7] if len(row) > 7 else ""
        exhibit = row[9] if len(row) > 9 else None
        # the test's name is a method word: it goes to the speaker notes and the appendix, not the slide
        tail = _w("evidence", lang, strength=strength)
        if exhibit:
            tail += _w("see", lang, exhibit=titles.get(exhibit, exhibit))
        out.append((f"{row[0]}. {text}", tail, f"{row[0]}. {_w('test_line', lang, test=test)}"))
    return out


def _summary_slides(deck: _Deck, payload: Mapping | None, titles: Mapping[str, str]) -> None:
    """Key messages with number and interval (in the sentence) and the test; continued when too long."""
    from pptx.util import Emu

    lang = deck.lang
    items = _message_paragraphs(payload, lang, titles)
    if payload is None:
        return  # the summary chapter did not run
    if not items:
        slide = deck.new_slide(_w("summary", lang))
        left, top, width, height = deck.body_box(slide)
        box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
        deck.fill_text(box, [_w("empty", lang)], max_size=18, min_size=10)
        return
    chunks: list[list[tuple[str, str, str]]] = []
    pending = list(items)
    while pending:  # as many messages per slide as fit at >= 12 pt
        k = len(pending)
        while k > 1 and not _fits_messages(deck, pending[:k]):
            k -= 1
        chunks.append(pending[:k])
        pending = pending[k:]
    for i, chunk in enumerate(chunks):
        title = _w("summary", lang)
        slide = deck.new_slide(_w("continued", lang, title=title) if i else title)
        slide.notes_slide.notes_text_frame.text = "\n".join(item[2] for item in chunk)
        left, top, width, height = deck.body_box(slide)
        box = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
        box.name = "cx-messages"
        _write_messages(deck, box, chunk)


def _message_texts(chunk) -> tuple[list[str], list[bool]]:
    texts, small = [], []
    for text, tail, _ in chunk:
        texts += [text, tail]
        small += [False, True]
    return texts, small


def _fits_messages(deck: _Deck, chunk, *, min_size: float = 12) -> bool:
    return _message_size(deck, chunk, min_size=min_size) is not None


def _box_pts(deck: _Deck) -> tuple[float, float]:
    w = deck.width - 2 * deck.margin
    top = int(0.3 * EMU_PER_IN) + int(0.95 * EMU_PER_IN) + int(0.12 * EMU_PER_IN)
    h = deck.height - int(0.5 * EMU_PER_IN) - top
    return (w - 2 * 3 * EMU_PER_PT) / EMU_PER_PT, (h - 2 * 3 * EMU_PER_PT) / EMU_PER_PT


def _message_size(
    deck: _Deck, chunk, *, min_size: float = 12, box: tuple[float, float] | None = None
) -> float | None:
    """Largest size (message size; the evidence line is 3 pt smaller) at which the chunk fits."""
    w, h = box or _box_pts(deck)
    size = 20.0
    while size >= min_size:
        texts, small = _message_texts(chunk)
        total = 0.0
        for t, s in zip(texts, small, strict=True):
            sz = size - 3 if s else size
            total += len(deck.metrics.wrap(t, w, sz)) * deck.metrics.line_height(sz)
            total += 8 if s else 2  # space after
        if total <= h:
            return size
        size -= 1
    return None


def _write_messages(deck: _Deck, box, chunk) -> None:
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = Pt(3)
    w = (box.width - 2 * Pt(3)) / EMU_PER_PT
    h = (box.height - 2 * Pt(3)) / EMU_PER_PT
    size = _message_size(deck, chunk, min_size=8, box=(w, h)) or 8
    texts, small = _message_texts(chunk)
    tf.clear()
    for i, (t, s) in enumerate(zip(texts, small, strict=True)):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.line_spacing = 1.0
        p.space_before = Pt(0)
        p.space_after = Pt(8 if s else 2)
        run = p.add_run()
        run.text = t
        deck.font(run, size=size - 3 if s else size, colour="#7f7f7f" if s else "#262626")


def _dashboard_slides(
    deck: _Deck, by_name: Mapping[str, Mapping], findings: list, codebook
) -> None:
    """KPI table + first trend line chart; segment scorecard with significance colours."""
    dash = by_name.get("kpi_dashboard")
    trend = next(
        (
            t
            for n, t in by_name.items()
            if n
            and n.endswith("_trend")
            and sum(v is not None for v in chart_values(t, CHARTS["_trend"])[1]) >= 2
        ),
        None,
    )  # a trend: 2+ waves
    if (dash and dash.get("rows")) or trend:
        slide = deck.new_slide(_w("dashboard", deck.lang))
        left, top, width, height = deck.body_box(slide)
        if dash and dash.get("rows"):
            note_h = int(0.35 * EMU_PER_IN)
            t_h = height // 2 - note_h if trend else height - note_h
            used = _add_table(deck, slide, dash, left, top, width, t_h, max_size=14)
            deck.note(
                slide,
                " ".join(dash.get("notes") or []),
                top + used + int(0.05 * EMU_PER_IN),
                note_h,
            )
            top += used + note_h + int(0.1 * EMU_PER_IN)
            height = deck.height - int(0.5 * EMU_PER_IN) - top
        if trend:
            _add_chart(
                deck,
                slide,
                trend,
                _spec_for(trend["name"]),
                left,
                top,
                width,
                height,
                title=trend["title"],
            )
    card = by_name.get("segment_scorecard")
    if card and card.get("rows"):
        slide = deck.new_slide(
            _headline(
                deck, [f for f in findings if f.exhibit == "segment_scorecard"], findings, codebook
            )
            or card["title"]
        )
        left, top, width, height = deck.body_box(slide)
        marks = _scorecard_marks(card, findings, deck.lang, codebook)
        note_h = int(0.5 * EMU_PER_IN)
        used = _add_table(
            deck,
            slide,
            card,
            left,
            top,
            int(width * 0.55),
            height - note_h,
            max_size=14,
            marks=marks,
        )
        chart_left = left + int(width * 0.58)
        _add_chart(
            deck,
            slide,
            card,
            CHARTS["segment_scorecard"],
            chart_left,
            top,
            width - (chart_left - left),
            height - note_h,
            title=card["columns"][1],
        )
        deck.note(
            slide,
            " ".join(card.get("notes") or []),
            top + max(used, height - note_h) + int(0.05 * EMU_PER_IN),
            note_h - int(0.05 * EMU_PER_IN),
        )


def _scorecard_marks(
    card: Mapping, findings: list, lang: str, codebook
) -> dict[tuple[int, int], int]:
    """``{(row, column): direction}`` of scorecard cells a ``segment_gap`` finding marks significant."""
    from cxresearch.tables._core import value_label
    from cxresearch.tables.findings import _kpi

    rows = {str(r[0]): i for i, r in enumerate(card["rows"])}
    cols = {c: j for j, c in enumerate(card["columns"])}
    out = {}
    for f in findings:
        if f.kind != "segment_gap" or f.exhibit != "segment_scorecard":
            continue
        by = f.details.get("by")
        level = f.details.get("level", f.subject)
        label = value_label(by, level, lang=lang, codebook=codebook) if by else str(level)
        col = _kpi(f.variable, lang, codebook)
        if label in rows and col in cols:
            out[(rows[label], cols[col])] = f.direction
    return out


def _headline(deck: _Deck, own: list, everything: list, codebook) -> str | None:
    """The exhibit's "so what": its strongest finding in words (findings arrive ranked)."""
    if not own:
        return None
    from cxresearch.tables.findings import say_finding

    return _plain(say_finding(own[0], lang=deck.lang, codebook=codebook, related=everything))


def _source_note(deck: _Deck, payload: Mapping, own: list) -> str:
    """Speaker notes of an exhibit slide: where its numbers are and the tests behind its headline."""
    title = " ".join(
        x for x in (payload.get("exhibit"), payload.get("title")) if x
    )  # "Table 3.2 ..." in the report
    lines = [_w("source_note", deck.lang, title=title, sheet=payload.get("name"))]
    for f in own:
        p = f.p
        lines.append(
            f"{f.kind} {f.claim} {f.subject}: {f.estimate} [{f.ci_lower}, {f.ci_upper}] {f.unit}; {f.test}"
            + (f"; p = {p:.3g}" if p is not None else "")
        )
    return "\n".join(lines)


def _exhibit_slide(deck: _Deck, payload: Mapping, own: list, everything: list, codebook) -> None:
    title = _headline(deck, own, everything, codebook) or payload["title"]
    spec = _spec_for(payload["name"])
    if spec is None or not payload.get("rows"):
        before = len(deck.prs.slides)
        _table_slides(deck, title, payload, subtitle=payload["title"])
        deck.prs.slides[before].notes_slide.notes_text_frame.text = _source_note(deck, payload, own)
        return
    slide = deck.new_slide(title)
    slide.notes_slide.notes_text_frame.text = _source_note(deck, payload, own)
    left, top, width, height = deck.body_box(slide)
    notes = [x for x in [payload.get("base"), *(payload.get("notes") or [])] if x]
    note_h = int(0.5 * EMU_PER_IN) if notes else 0
    _add_chart(
        deck, slide, payload, spec, left, top, width, height - note_h, title=payload["title"]
    )
    if notes:
        deck.note(
            slide,
            " ".join(notes),
            top + height - note_h + int(0.05 * EMU_PER_IN),
            note_h - int(0.05 * EMU_PER_IN),
        )


def _appendix_slides(
    deck: _Deck, by_name: Mapping[str, Mapping], findings: list, toc: Sequence[Mapping]
) -> None:
    lang = deck.lang
    for name in ("bases_by_wave", "bases_by_segment"):
        if by_name.get(name) and by_name[name].get("rows"):
            _table_slides(
                deck, _w("appendix_title", lang, title=by_name[name]["title"]), by_name[name]
            )
    seen: dict[tuple[str, str], Any] = {}
    for f in findings:
        seen.setdefault((f.exhibit, f.test), f)
    if seen:
        titles = {n: t.get("title") or n for n, t in by_name.items()}
        rows = [[titles.get(ex, ex), test, f.n] for (ex, test), f in seen.items()]
        payload = {
            "name": "methods",
            "title": _w("methods", lang),
            "columns": [_w("exhibit", lang), _w("test", lang), _w("base", lang)],
            "formats": ["text", "text", "int"],
            "rows": rows,
            "base": None,
            "notes": [],
        }
        _table_slides(deck, _w("appendix_title", lang, title=_w("methods", lang)), payload)
    if toc:
        payload = {
            "name": "chapters",
            "title": _w("chapters", lang),
            "columns": ["#", _w("chapters", lang)],
            "formats": ["int", "text"],
            "rows": [[i + 1, c.get("title", "")] for i, c in enumerate(toc)],
            "base": None,
            "notes": [],
        }
        _table_slides(deck, _w("appendix_title", lang, title=_w("chapters", lang)), payload)


# -- native tables -------------------------------------------------------------------------------


def _cell_texts(payload: Mapping) -> list[list[str]]:
    from cxresearch.tables._core import fmt

    kinds = payload.get("formats") or ["text"] * len(payload["columns"])
    return [[fmt(v, k) for v, k in zip(row, kinds, strict=False)] for row in payload["rows"]]


def _layout_table(
    deck: _Deck,
    header: list[str],
    rows: list[list[str]],
    width: int,
    height: int,
    *,
    max_size: float,
    min_size: float = 8,
) -> tuple[float, list[int], list[int]] | None:
    """(size, column widths, row heights) at the largest size at which the table fits, else None."""
    pad = 2 * 4  # cell margins left + right (pt), top + bottom (pt)
    total_w = width / EMU_PER_PT
    m = deck.metrics
    size = max_size
    while size >= min_size:
        # natural width of each column (longest cell on one line), then shares of the slide width
        natural = []
        for j in range(len(header)):
            cells = [header[j]] + [r[j] for r in rows]
            natural.append(max(m.width(c, size, bold=(c is header[j])) for c in cells) + pad + 2)
        floor = [min(n, max(40.0, m.width("0000", size) + pad)) for n in natural]
        if sum(natural) <= total_w:
            widths = [n * total_w / sum(natural) for n in natural]
        elif sum(floor) <= total_w:
            # wide columns share what the narrow ones leave, in proportion to their natural width
            widths = list(natural)
            while sum(widths) > total_w + 1e-6:
                over = sum(widths) - total_w
                shrinkable = [j for j in range(len(widths)) if widths[j] > floor[j] + 1e-6]
                if not shrinkable:
                    break
                room = sum(widths[j] - floor[j] for j in shrinkable)
                for j in shrinkable:
                    widths[j] -= min(widths[j] - floor[j], over * (widths[j] - floor[j]) / room)
        else:
            size -= 1
            continue
        lh = m.line_height(size)
        heights = []
        for r, cells in enumerate([header, *rows]):
            lines = max(
                len(m.wrap(c, widths[j] - pad, size, bold=(r == 0))) for j, c in enumerate(cells)
            )
            heights.append(lines * lh + 8 + 2)
        if sum(heights) <= height / EMU_PER_PT:
            return (
                size,
                [int(w * EMU_PER_PT) for w in widths],
                [int(math.ceil(h * EMU_PER_PT)) for h in heights],
            )
        size -= 1
    return None


def _add_table(
    deck: _Deck,
    slide,
    payload: Mapping,
    left: int,
    top: int,
    width: int,
    height: int,
    *,
    max_size: float = 14,
    rows: list[list[str]] | None = None,
    marks: Mapping | None = None,
    row_offset: int = 0,
) -> int:
    """A native table of ``payload`` (formatted like the report); returns its height (EMU)."""
    from pptx.util import Emu, Pt

    header = [str(c) for c in payload["columns"]]
    rows = rows if rows is not None else _cell_texts(payload)
    laid = _layout_table(deck, header, rows, width, height, max_size=max_size)
    if laid is None:
        laid = _layout_table(deck, header, rows, width, 10**12, max_size=8, min_size=8)
    size, widths, heights = laid
    shape = slide.shapes.add_table(
        len(rows) + 1, len(header), Emu(left), Emu(top), Emu(sum(widths)), Emu(sum(heights))
    )
    shape.name = f"cx-table-{payload.get('name', '')}"
    tbl = shape.table
    for j, w in enumerate(widths):
        tbl.columns[j].width = Emu(w)
    for i, h in enumerate(heights):
        tbl.rows[i].height = Emu(h)
    kinds = payload.get("formats") or ["text"] * len(header)
    from pptx.enum.text import PP_ALIGN

    for i, cells in enumerate([header, *rows]):
        for j, text in enumerate(cells):
            cell = tbl.cell(i, j)
            cell.margin_left = cell.margin_right = Pt(4)
            cell.margin_top = cell.margin_bottom = Pt(4)
            tf = cell.text_frame
            tf.word_wrap = True
            tf.clear()
            p = tf.paragraphs[0]
            p.line_spacing = 1.0
            if i > 0 and j < len(kinds) and kinds[j] != "text":
                p.alignment = PP_ALIGN.RIGHT
            run = p.add_run()
            run.text = text
            mark = (marks or {}).get((i - 1 + row_offset, j)) if i > 0 else None
            if i > 0 and text in ("▲", "▼"):  # a significant change on the previous wave
                mark = 1 if text == "▲" else -1
            colour = (
                "#FFFFFF"
                if i == 0
                else ("#1a7f37" if mark and mark > 0 else "#c0392b" if mark else "#262626")
            )
            deck.font(run, size=size, bold=(i == 0 or bool(mark)), colour=colour)
            if i == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(deck.style.primary)
            elif mark:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb("#e3f4e8" if mark > 0 else "#fbe5e1")
    return sum(heights)


def _table_slides(
    deck: _Deck, title: str, payload: Mapping, *, subtitle: str | None = None
) -> None:
    """A table over as many slides as it needs (rows continue with the header repeated)."""
    rows = _cell_texts(payload)
    header = [str(c) for c in payload["columns"]]
    notes = [x for x in [subtitle, payload.get("base"), *(payload.get("notes") or [])] if x]
    start, part = 0, 0
    while start < len(rows) or (start == 0 and not rows):
        slide = deck.new_slide(_w("continued", deck.lang, title=title) if part else title)
        left, top, width, height = deck.body_box(slide)
        note_h = int(0.5 * EMU_PER_IN) if notes else 0
        avail = height - note_h
        k = min(len(rows) - start, 14)
        while (
            k > 1
            and _layout_table(deck, header, rows[start : start + k], width, avail, max_size=14)
            is None
        ):
            k -= 1
        k = max(k, 1) if rows else 0
        used = (
            _add_table(deck, slide, payload, left, top, width, avail, rows=rows[start : start + k])
            if rows
            else 0
        )
        if notes:
            deck.note(
                slide,
                " ".join(notes),
                top + min(used, avail) + int(0.05 * EMU_PER_IN),
                note_h - int(0.05 * EMU_PER_IN),
            )
        start += k
        part += 1
        if not rows:
            break


# -- native charts -------------------------------------------------------------------------------


def _add_chart(
    deck: _Deck,
    slide,
    payload: Mapping,
    spec: ChartSpec,
    left: int,
    top: int,
    width: int,
    height: int,
    *,
    title: str | None = None,
):
    """A native chart of one column of ``payload`` (data embedded in the chart's workbook)."""
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION
    from pptx.util import Emu, Pt

    cats, vals = chart_values(payload, spec)
    kinds = payload.get("formats") or []
    numfmt = spec.number_format or _NUMFMT.get(
        kinds[spec.value] if spec.value < len(kinds) else "", "General"
    )
    data = CategoryChartData(number_format=numfmt)
    if spec.kind == "bar":  # horizontal bars read top-down like the table
        cats, vals = cats[::-1], vals[::-1]
    data.categories = cats
    series_name = str(payload["columns"][spec.value])
    data.add_series(series_name, vals, number_format=numfmt)
    kind = {
        "line": XL_CHART_TYPE.LINE_MARKERS,
        "bar": XL_CHART_TYPE.BAR_CLUSTERED,
        "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    }[spec.kind]
    frame = slide.shapes.add_chart(kind, Emu(left), Emu(top), Emu(width), Emu(height), data)
    frame.name = f"cx-chart-{payload.get('name', '')}"
    chart = frame.chart
    deck.font(chart.font, size=11)
    chart.has_legend = False
    chart.has_title = bool(title)
    if title:
        chart.chart_title.text_frame.text = title
        for p in chart.chart_title.text_frame.paragraphs:
            for r in p.runs:
                deck.font(r, size=12, bold=True, colour="#404040")
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format = numfmt
    labels.number_format_is_linked = False
    deck.font(labels.font, size=10)
    if spec.kind in ("bar", "column"):
        plot.gap_width = 60
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
    else:
        labels.position = XL_LABEL_POSITION.ABOVE
    series = plot.series[0]
    colour = _rgb(deck.style.primary)
    if spec.kind == "line":
        series.format.line.color.rgb = colour
        series.format.line.width = Pt(2.25)
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(deck.style.accent)
        series.smooth = False
    else:
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = colour
    chart.value_axis.has_major_gridlines = spec.kind != "bar"
    chart.value_axis.tick_labels.number_format = numfmt
    chart.value_axis.tick_labels.number_format_is_linked = False
    deck.font(chart.value_axis.tick_labels.font, size=10)
    deck.font(chart.category_axis.tick_labels.font, size=10)
    return frame
