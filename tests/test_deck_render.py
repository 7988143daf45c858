"""The deck as a reader sees it: Chinese glyphs rendered by LibreOffice, and SVG logos.

* zh glyphs render: a zh deck is converted to PDF by LibreOffice (``soffice --headless``, installed by
  ``scripts/sysdeps.sh``; the test is skipped only when it is absent) and the PDF checked: every font
  embedded, every Chinese character drawn by the declared East Asian face (Noto Sans CJK) and every
  other by a declared face, and the deck's title, client and summary sentences in its text. The check
  is shown to fail (a negative control) when LibreOffice is left without any CJK font: it then draws
  .notdef boxes — while ``pdftotext`` still extracts the Chinese text, so the text alone proves nothing.
* SVG logos: rasterised by Chromium to a PNG of >= 300 ppi wherever the deck shows it, with the SVG
  attached as PowerPoint's ``asvg:svgBlip``; the PNG is what LibreOffice prints. A logo that cannot be
  used is refused when the params are loaded, naming ``branding.logo`` and the file. One report run
  (slow) shows the SVG logo in the HTML cover (the SVG itself), the PDF cover (drawn as vectors) and
  the deck.
"""

from __future__ import annotations

import base64
import io
import math
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pptx")
from pptx import Presentation  # noqa: E402

from cxresearch.report import ParamsError  # noqa: E402
from cxresearch.report import deck as deck_mod  # noqa: E402
from cxresearch.report.logo import LogoError, read_logo  # noqa: E402
from test_report_deck import (  # noqa: E402
    LONG_ZH,
    _fc,
    _findings,
    _glyph_problems,
    _Measure,
    _overflows,
    _params,
    _payloads,
    _pdf_font_problems,
    _soffice_pdf,
)

EMU_IN = 914400
# 3:1; a green square on the left third, a purple disc on the right third, nothing in between (colours
# that are not the default branding's)
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100">'
    '<rect x="0" y="0" width="100" height="100" fill="#2a9d3f"/>'
    '<circle cx="250" cy="50" r="45" fill="#7b2cbf"/></svg>'
)


def _zh_deck(tmp_path: Path, **branding) -> tuple[Path, object]:
    params = _params(tmp_path, "zh", **branding)
    prs = deck_mod.build_deck(
        _payloads("zh"),
        _findings(),
        params=params,
        toc=[{"title": "核心结论"}, {"title": "核心指标"}],
    )
    return deck_mod.write_deck(prs, tmp_path / "report.zh.pptx"), params


def _deck_texts(params) -> list[str]:
    return [params.title, params.display_name, LONG_ZH, "核心指标一览", "优先事项与行动"]


def _chromium():
    from cxresearch.report.webpdf import ChromiumNotFound, find_chromium

    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        pytest.skip(str(exc))


# -- zh glyphs through LibreOffice ---------------------------------------------------------------


def test_zh_deck_renders_in_libreoffice_with_every_glyph(tmp_path):
    _chromium()
    (tmp_path / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    pptx_file, params = _zh_deck(tmp_path, logo="logo.svg")
    pdf = _soffice_pdf(pptx_file, tmp_path / "pdf")
    latin, cjk = params.branding.font, params.branding.font_cjk
    assert _pdf_font_problems(pdf, latin=latin, cjk=cjk, texts=_deck_texts(params)) == []
    # every slide is a page; the fonts are the declared ones, nothing else
    from pypdf import PdfReader

    prs = Presentation(str(pptx_file))
    assert len(PdfReader(str(pdf)).pages) == len(prs.slides)
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "NotoSansCJK" in fonts and "DejaVuSans" in fonts
    # the SVG logo is printed from its PNG rendering, at >= 300 ppi (pdfimages: x-ppi, y-ppi)
    images = subprocess.run(
        ["pdfimages", "-f", "1", "-l", "1", "-list", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    h = math.ceil(deck_mod.TITLE_LOGO_IN * 300)
    logos = [
        line.split()
        for line in images
        if line.split()[2] == "image" and line.split()[3:5] == [str(3 * h), str(h)]
    ]
    assert logos and all(int(x[12]) >= 300 and int(x[13]) >= 300 for x in logos), images


def test_glyph_check_fails_when_libreoffice_has_no_cjk_font(tmp_path):
    """Negative control: the same deck converted by a LibreOffice that sees only the Latin font (a
    fontconfig of one folder) has .notdef boxes for every Chinese character; the check names them.
    (``pdftotext`` still reads the Chinese text there, from LibreOffice's /ActualText: the fonts tell.)"""
    pptx_file, params = _zh_deck(tmp_path)
    latin_dir = Path(_fc(params.branding.font)).parent
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
        f"<dir>{latin_dir}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    pdf = _soffice_pdf(pptx_file, tmp_path / "pdf", env={"FONTCONFIG_FILE": str(conf)})
    problems = _pdf_font_problems(
        pdf, latin=params.branding.font, cjk=params.branding.font_cjk, texts=_deck_texts(params)
    )
    # every page has Chinese text (the footer names the client), drawn as boxes by a DejaVu face; the
    # boxes are all one glyph, so a text extractor that decodes the glyphs sees one character repeated
    from pypdf import PdfReader

    pages = {
        int(p.split(":")[0].removeprefix("page ")) for p in problems if "drawn with DejaVu" in p
    }
    assert pages == set(range(1, len(PdfReader(str(pdf)).pages) + 1)), problems
    assert not any("NotoSansCJK" in p for p in problems)  # no CJK font was there to draw anything
    # a text that is not in the deck is reported missing
    assert _pdf_font_problems(
        pdf, latin=params.branding.font, cjk=params.branding.font_cjk, texts=["不在幻灯片上的句子"]
    )[-1].startswith("text not in the PDF")


# -- SVG logos -------------------------------------------------------------------------------------


def test_svg_logo_is_a_300ppi_png_with_the_svg_attached(tmp_path):
    from PIL import Image
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    _chromium()
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    params = _params(tmp_path, "en", logo="brand/logo.svg")
    prs = deck_mod.build_deck(_payloads("en"), _findings(), params=params)
    out = deck_mod.write_deck(prs, tmp_path / "report.en.pptx")
    prs = Presentation(str(out))
    assert (
        _overflows(prs, _Measure(params.branding.font, params.branding.font_cjk)) == []
    )  # logo clear of text
    assert _glyph_problems(prs, latin=params.branding.font, cjk=params.branding.font_cjk) == []
    svg_bytes = (tmp_path / "brand" / "logo.svg").read_bytes()
    for i, slide in enumerate(prs.slides):
        logos = [sh for sh in slide.shapes if sh.name == "cx-logo"]
        assert len(logos) == 1, i
        pic = logos[0]
        assert pic.image.content_type == "image/png"
        px_w, px_h = pic.image.size
        assert (
            px_h / (pic.height / EMU_IN) >= 300 and px_w / (pic.width / EMU_IN) >= 300
        )  # ppi where shown
        assert pic.width / pic.height == pytest.approx(3.0, rel=0.01)
        # the PNG is the SVG drawn: square, transparent gap, disc (sampled at the shapes' centres)
        im = Image.open(io.BytesIO(pic.image.blob)).convert("RGBA")
        assert im.getpixel((px_w // 6, px_h // 2)) == (0x2A, 0x9D, 0x3F, 255)
        assert im.getpixel((px_w // 2, px_h // 2))[3] == 0
        assert im.getpixel((px_w * 5 // 6, px_h // 2)) == (0x7B, 0x2C, 0xBF, 255)
        # the SVG itself, attached the way PowerPoint does (the blip's asvg:svgBlip extension)
        ext = pic._element.xpath(
            ".//a:blip/a:extLst/a:ext[@uri='{96DAC541-7B7A-43D3-8B79-37D633B846F1}']"
        )
        assert len(ext) == 1
        rid = ext[0][0].get(
            "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
        )
        rel = slide.part.rels[rid]
        assert rel.reltype == RT.IMAGE and rel.target_part.content_type == "image/svg+xml"
        assert rel.target_part.blob == svg_bytes
    import zipfile

    with zipfile.ZipFile(out) as zf:
        media = [n for n in zf.namelist() if n.startswith("ppt/media/")]
        types = zf.read("[Content_Types].xml").decode("utf-8")
    assert sorted(n.rsplit(".", 1)[1] for n in media) == [
        "png",
        "svg",
    ]  # one PNG, one SVG, shared by every slide
    assert 'ContentType="image/svg+xml"' in types


def test_svg_logo_in_the_html_report_is_the_svg_itself(tmp_path):
    from cxresearch.report.render import cover_resources

    (tmp_path / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    uri = cover_resources(_params(tmp_path, "en", logo="logo.svg"), toc=[])["logo"]
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == LOGO_SVG.encode("utf-8")


@pytest.mark.slow
def test_svg_logo_in_a_run_html_pdf_and_deck(tmp_path):
    """One report run with an SVG logo: the HTML cover embeds the SVG, the PDF cover draws it (as
    vectors: no image in the PDF), every slide of the deck shows its PNG rendering."""
    from PIL import Image
    from pypdf import PdfReader

    from cxresearch.report import run_report
    from test_report import TINY_CELLS, _build_store, _notebook
    from test_report import _params as _run_params

    _chromium()
    _build_store(tmp_path)
    (tmp_path / "nb").mkdir()
    _notebook(tmp_path / "nb", "tiny", TINY_CELLS)
    (tmp_path / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    result = run_report(
        _run_params(
            tmp_path,
            "svg",
            branding={"logo": "logo.svg"},
            output={"formats": ["html", "pdf", "pptx"], "dir": "reports"},
        )
    )
    html = result.html.read_text(encoding="utf-8")
    uri = "data:image/svg+xml;base64," + base64.b64encode(LOGO_SVG.encode("utf-8")).decode("ascii")
    assert f'class="cx-logo" src="{uri}"' in html
    assert not PdfReader(str(result.pdf)).pages[0].images  # the logo is vectors, not a picture
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            str(result.pdf),
            str(tmp_path / "cover"),
        ],
        check=True,
    )
    cover = Image.open(next(tmp_path.glob("cover*.png"))).convert("RGB")
    top_right = cover.crop((cover.width // 2, 0, cover.width, cover.height // 4))
    colours = {c for _, c in top_right.getcolors(1 << 20)}
    near = [
        any(sum(abs(a - b) for a, b in zip(c, ref, strict=True)) < 12 for c in colours)
        for ref in ((0x2A, 0x9D, 0x3F), (0x7B, 0x2C, 0xBF))
    ]
    assert near == [True, True]  # the square and the disc are on the cover
    prs = Presentation(str(result.pptx))
    assert all(sum(sh.name == "cx-logo" for sh in s.shapes) == 1 for s in prs.slides)


def test_svg_size_from_viewbox_or_absolute_lengths(tmp_path):
    cases = {
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"/>': (300, 100),
        '<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="20mm"/>': (
            60 * 96 / 25.4,
            20 * 96 / 25.4,
        ),
        '<svg xmlns="http://www.w3.org/2000/svg" width="2in" viewBox="0,0,40,10"/>': (192, 48),
        '<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%" viewBox="0 0 50 25"/>': (
            50,
            25,
        ),
    }
    for k, (svg, (w, h)) in enumerate(cases.items()):
        path = tmp_path / f"l{k}.svg"
        path.write_text(svg, encoding="utf-8")
        logo = read_logo(path)
        assert (logo.width, logo.height) == pytest.approx((w, h)), svg


def test_unusable_logo_is_refused_naming_the_key_and_file(tmp_path):
    from PIL import Image

    bad = {
        "garbage.svg": ("<svg><unclosed", "not a readable SVG file"),
        "page.svg": (
            "<html xmlns='http://www.w3.org/1999/xhtml'/>",
            "not an SVG image: its root element is <html>",
        ),
        "shapeless.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg" width="100%"><rect/></svg>',
            "the SVG has neither a viewBox nor an absolute width and height",
        ),
        "text.png": ("this is not an image", "not a readable PNG or JPEG image"),
        "empty.jpg": ("", "the file is empty"),
    }
    for name, (content, _) in bad.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    Image.new("RGB", (30, 10), "red").save(tmp_path / "animated.png", format="GIF")
    bad["animated.png"] = (None, r"not a PNG or JPEG image \(the file holds a GIF image\)")
    for name, (_, reason) in bad.items():
        with pytest.raises(ParamsError, match=rf"branding\.logo: {reason}.*{name}"):
            _params(tmp_path, "en", logo=name)
    with pytest.raises(ParamsError, match=r"branding\.logo: file not found: .*missing\.svg"):
        _params(tmp_path, "en", logo="missing.svg")
    # removed after the params were checked: the deck says the same
    (tmp_path / "late.svg").write_text(LOGO_SVG, encoding="utf-8")
    params = _params(tmp_path, "en", logo="late.svg")
    (tmp_path / "late.svg").unlink()
    with pytest.raises(LogoError, match=r"branding\.logo: file not found: .*late\.svg"):
        deck_mod.build_deck([], [], params=params)


def test_svg_that_draws_nothing_is_refused_by_the_deck(tmp_path):
    _chromium()
    (tmp_path / "blank.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10"/>', encoding="utf-8"
    )
    params = _params(tmp_path, "en", logo="blank.svg")
    with pytest.raises(LogoError, match=r"branding\.logo: the SVG draws nothing .*blank\.svg"):
        deck_mod.build_deck([], [], params=params)


def test_svg_logo_without_chromium_names_the_key(tmp_path, monkeypatch):
    (tmp_path / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    params = _params(tmp_path, "en", logo="logo.svg")
    monkeypatch.setenv("CX_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(
        LogoError,
        match=r"branding\.logo: an SVG logo is drawn for the deck by Chromium, which "
        r"failed \(Chromium executable .*no-such-chromium.*\): .*logo\.svg",
    ):
        deck_mod.build_deck([], [], params=params)


def test_png_logo_wider_than_its_room_is_scaled_down(tmp_path):
    from PIL import Image

    Image.new("RGB", (2000, 100), "#1f4e79").save(tmp_path / "wide.png")  # 20:1
    params = _params(tmp_path, "en", logo="wide.png")
    prs = deck_mod.build_deck(_payloads("en"), _findings(), params=params)
    assert _overflows(prs, _Measure(params.branding.font, params.branding.font_cjk)) == []
    for slide in prs.slides:
        pic = next(sh for sh in slide.shapes if sh.name == "cx-logo")
        assert pic.width / pic.height == pytest.approx(20, rel=0.01)
        assert pic.left + pic.width <= prs.slide_width
