"""Params and codebook strings where they meet HTML, CSS and JavaScript (issue 15): escaped in every
place, a Content-Security-Policy that forbids scripts, and Chromium printing with JavaScript off.

The HTML is parsed with BeautifulSoup: a live script would be a ``<script>`` element or an ``on…``
attribute; text from params must show as text.
"""

from __future__ import annotations

import io

import nbformat
import pytest
from bs4 import BeautifulSoup

from cxresearch import tables
from cxresearch.report import load_params, render
from cxresearch.report.escape import CSP, css_string

HOSTILE = [
    '</style><script>document.title="pwned"</script>',
    '"><img src=x onerror="alert(1)">',
    '";} body{display:none} @import url(http://evil.example/x.css); .a{content:"',
    "</style><svg onload=alert(1)><style>",
    '\\"; } </style><iframe src=javascript:alert(1)>',
    "Acme\nLine two\u2028<b>bold</b> & 'quotes'",
]


def _params(text: str):
    return load_params(
        {
            "client": "acme",
            "client_name": {"zh": text, "en": text},
            "period": "2025",
            "language": "en",
            "data": {"store": "/nonexistent/study.duckdb"},
            "branding": {
                "title": {"zh": text, "en": text},
                "subtitle": {"zh": text, "en": text},
                "prepared_by": text,
            },
        },
        check_files=False,
    )


def _combined(heading: str = "Chapter"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {heading}\n\n## Section\n\nSome text."))
    return render.combine([nb], lang="en")


def live_scripts(html: str) -> list[str]:
    """Every way the page could run script: script elements, on* handlers, javascript: URLs,
    frames, objects."""
    soup = BeautifulSoup(html, "html.parser")
    found = [
        str(t)[:80]
        for t in soup.find_all(["script", "iframe", "object", "embed", "svg"])
        if t.name != "svg" or any(a.lower().startswith("on") for a in t.attrs)
    ]
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            if attr.lower().startswith("on"):
                found.append(f"{tag.name} {attr}")
            if isinstance(value, str) and value.strip().lower().startswith("javascript:"):
                found.append(f"{tag.name} {attr}={value[:30]}")
    return found


@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_params_text_leaves_no_live_script_and_shows_as_text(text):
    html = render.render_html(_combined(), _params(text))
    assert live_scripts(html) == []
    soup = BeautifulSoup(html, "html.parser")
    # the cover shows the text exactly, as text
    assert soup.select_one("h1.cx-cover-title").get_text() == text
    assert text in [dd.get_text() for dd in soup.select("dl.cx-cover-facts dd")]
    assert soup.title.get_text().startswith(text)
    # every <style> holds only our CSS: the footer text cannot end it or open a rule
    styles = soup.find_all("style")
    assert all("<" not in st.get_text() for st in styles)
    footer = [st.get_text() for st in styles if "@bottom-left" in st.get_text()][0]
    assert f'content: "{css_string(text + " · 2025")}"' in footer
    assert "evil.example" not in footer.replace(css_string("evil.example"), "")


def test_content_security_policy_forbids_scripts_and_network():
    html = render.render_html(_combined(), _params("Acme"))
    soup = BeautifulSoup(html, "html.parser")
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None and meta["content"] == CSP
    policy = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert policy["script-src"] == "'none'" and policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:" and "http" not in CSP
    # the policy comes before any style or content
    assert html.index("Content-Security-Policy") < html.index("<style")


def test_css_string_escapes_everything_that_could_end_the_string_or_the_style():
    out = css_string('a"b\\c</style>\n<!-- ]]> 中文 · é')
    assert '"' not in out and "<" not in out and ">" not in out and "\n" not in out
    assert out.startswith("a\\22 b\\5c c\\3c \\2f style\\3e \\a ")
    assert "中文 · é" in out
    assert css_string("\x00") == "\\fffd "


def test_codebook_labels_in_tables_are_escaped():
    import pandas as pd

    frame = pd.DataFrame({"label": ["<script>alert(1)</script>"], "n": [3]})
    html = tables.table(
        frame,
        title="<img src=x onerror=alert(1)>",
        name="t",
        labels={"label": "<b onclick=x()>Label</b>", "n": "n"},
        formats={"label": "text", "n": "int"},
    ).to_html()
    assert live_scripts(html) == []
    assert "&lt;script&gt;" in html


def test_chapter_headings_with_markup_stay_text_in_the_contents():
    html = render.render_html(_combined('<img src=x onerror="alert(1)">'), _params("Acme"))
    toc = BeautifulSoup(html, "html.parser").select_one("nav.cx-toc")
    assert toc.find("img") is None and live_scripts(str(toc)) == []


# -- the PDF -------------------------------------------------------------------------------------


def _chromium_or_skip():
    from cxresearch.report.webpdf import ChromiumNotFound, find_chromium

    try:
        return find_chromium()
    except ChromiumNotFound:
        pytest.skip("no Chromium")


@pytest.mark.report
def test_pdf_renders_with_a_hostile_client_name():
    from pypdf import PdfReader

    _chromium_or_skip()
    text = HOSTILE[0]
    pdf = render.render_report_pdf(_combined(), _params(text))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    first = reader.pages[0].extract_text()
    assert 'document.title="pwned"' in first  # printed as text on the cover
    last = reader.pages[-1].extract_text()
    assert "2025" in last and "</style>" in last  # the footer, literally


@pytest.mark.report
def test_print_runs_no_script_even_if_one_got_in():
    from pypdf import PdfReader

    from cxresearch.report.webpdf import print_pdf

    exe = _chromium_or_skip()
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><p id='p'>static text</p>"
        "<script>document.getElementById('p').textContent = 'SCRIPT RAN';</script></body></html>"
    )
    off = PdfReader(io.BytesIO(print_pdf(page, chromium=exe))).pages[0].extract_text()
    assert "static text" in off and "SCRIPT RAN" not in off
    on = (
        PdfReader(io.BytesIO(print_pdf(page, chromium=exe, javascript=True)))
        .pages[0]
        .extract_text()
    )
    assert "SCRIPT RAN" in on  # the check above can fail: with scripts allowed the page changes
