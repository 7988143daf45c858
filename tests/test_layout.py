"""The report as the client sees it (issue 16): page layout, vector charts, numbered exhibits, quotes
in the report's language, the workbook, file names with the language.

Fast tests check the pieces (combine's numbering, chart axes and gaps, quote choice, workbook
titles and widths, params); one render per language (slow) checks the printed pages themselves:
no blank or near-empty page, no raster chart under 200 ppi, no heading ending a page, no quote in
another language when the theme has one in the report's language, no two sheets with one title.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


# -- fast: pieces ------------------------------------------------------------------------------


def test_output_names_carry_the_language():
    from cxresearch.report.run import output_name

    assert output_name("report.pdf", "zh") == "report.zh.pdf"
    assert output_name("report.html", "en") == "report.en.html"
    assert output_name("tables", "zh") == "tables.zh.xlsx"
    assert output_name("manifest.json", "en") == "manifest.en.json"


def test_display_width_counts_cjk_double():
    from cxresearch.report.render import display_width

    assert display_width("NPS") == 3
    assert display_width("满意度") == 6
    assert display_width("（Top-2 box）") == 2 + 9 + 2


def _payload(name, title, columns=("a", "b"), rows=((1, 2.5),)):
    return {
        "name": name,
        "title": title,
        "columns": list(columns),
        "formats": ["text", "num2"],
        "rows": [list(r) for r in rows],
        "base": None,
        "notes": [],
    }


def test_workbook_titles_unique_contents_linked_widths_cjk(tmp_path):
    from openpyxl import load_workbook

    from cxresearch.report.render import write_xlsx

    tables = [
        _payload("nps_trend", "NPS"),
        {**_payload("nps_by_segment", "NPS"), "exhibit": "表 2.3"},
        _payload(
            "cjk",
            "满意度",
            columns=("分公司名称很长很长", "b"),
            rows=(("北京北京北京北京北京", 1.0),),
        ),
    ]
    path = tmp_path / "t.xlsx"
    write_xlsx(tables, path, lang="zh")
    wb = load_workbook(path)
    titles = [ws["A1"].value for ws in wb.worksheets[1:]]
    assert len(set(titles)) == len(titles), titles  # fails when two sheets share a title
    index = wb.worksheets[0]
    links = [index.cell(row=r, column=1).hyperlink for r in range(2, index.max_row + 1)]
    assert all(link is not None for link in links)
    assert [link.location for link in links] == [
        "'nps_trend'!A1",
        "'nps_by_segment'!A1",
        "'cjk'!A1",
    ]
    ws = wb["cjk"]
    # 10 CJK characters take 20 display columns: the width follows the display width, not len()
    assert ws.column_dimensions["A"].width >= 20
    assert ws["B3"].number_format == "0.00"


def _fake_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Chapter one\n\nIntro."),
        nbformat.v4.new_markdown_cell("## First section"),
        nbformat.v4.new_code_cell(
            "",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'></svg>",
                        "text/plain": "<Figure>",
                        "application/vnd.cxresearch.chart+json": _payload(
                            "chart_a", "Chart A data"
                        ),
                    },
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/html": "<div class='cx-exhibit'><table class='cx-table'><caption>Table A</caption></table></div>",
                        "text/plain": "Table A",
                        "application/vnd.cxresearch.table+json": _payload("table_a", "Table A"),
                    },
                )
            ],
        ),
        nbformat.v4.new_markdown_cell("## Second section"),
    ]
    return nb


def test_combine_numbers_chapters_sections_and_exhibits():
    from cxresearch.report.render import combine

    combined = combine([_fake_notebook(), _fake_notebook()], lang="en")
    assert [c["number"] for c in combined.toc] == ["1", "2"]
    assert [s["number"] for s in combined.toc[1]["sections"]] == ["2.1", "2.2"]
    labels = [(x["label"], x["title"]) for x in combined.exhibits]
    assert labels == [
        ("Figure 1.1", "Chart A data"),
        ("Table 1.1", "Table A"),
        ("Figure 2.1", "Chart A data"),
        ("Table 2.1", "Table A"),
    ]
    # the chart's data goes to the workbook next to the tables
    assert [t["name"] for t in combined.tables] == ["chart_a", "table_a", "chart_a", "table_a"]
    md = [c for c in combined.notebook.cells if c.cell_type == "markdown"]
    assert any(
        c.source.startswith("## 1.1 First section") or "\n## 1.1 First section" in c.source
        for c in md
    )
    assert all("cx-lead" in c.metadata.get("tags", []) for c in md if "## " in c.source)
    html = [
        o["data"].get("text/html", "")
        for c in combined.notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
    ]
    assert any('id="fig-1-1"' in h and "Figure 1.1" in h for h in html)
    assert any(
        '<caption id="tab-2-1"><span class="cx-exhibit-no">Table 2.1</span>' in h for h in html
    )
    zh = combine([_fake_notebook()], lang="zh")
    assert [x["label"] for x in zh.exhibits] == ["图 1.1", "表 1.1"]


def _trend_frame(values, waves=None, by=None):
    waves = waves or list(range(2018, 2018 + len(values)))
    f = pd.DataFrame({"wave": waves, "estimate": values, "n": 100})
    f["ci_lower"], f["ci_upper"] = f["estimate"] - 0.1, f["estimate"] + 0.1
    return f


def test_trend_axis_starts_at_floor_or_shows_a_break():
    import matplotlib.pyplot as plt

    from cxresearch.viz import charts

    ax = charts.trend(_trend_frame([2.0, 3.0, 4.0]), lang="en", ylabel="Score", scale=(0, 10))
    assert ax.get_ylim()[0] == 0  # data in the lower half: the axis starts at the floor
    plt.close(ax.figure)
    ax = charts.trend(_trend_frame([6.8, 7.0, 7.3]), lang="en", ylabel="Score", scale=(0, 10))
    assert ax.get_ylim()[0] > 6
    marks = [ln for ln in ax.lines if ln.get_transform() == ax.transAxes]
    assert len(marks) == 2, "a zoomed axis carries a break mark"
    plt.close(ax.figure)
    # NPS -40 to -29 on -100..100: from the floor it is a flat line, so it is zoomed and marked
    ax = charts.trend(
        _trend_frame([-40.3, -29.3, -34.3, -36.1]), lang="en", ylabel="NPS", scale=(-100, 100)
    )
    lo, hi = ax.get_ylim()
    assert lo > -60 and hi < 0
    assert len([ln for ln in ax.lines if ln.get_transform() == ax.transAxes]) == 2
    plt.close(ax.figure)
    # an NPS that moves a lot around zero keeps the floor and gets a zero line
    ax = charts.trend(
        _trend_frame([-70.0, -10.0, 20.0]), lang="en", ylabel="NPS", scale=(-100, 100)
    )
    assert ax.get_ylim()[0] == -100
    assert any(list(ln.get_ydata()) == [0, 0] for ln in ax.lines)
    plt.close(ax.figure)


def test_trend_leaves_gaps_at_withheld_waves_and_uses_small_multiples():
    import matplotlib.pyplot as plt

    from cxresearch.viz import charts
    from cxresearch.viz.style import chart_data

    parts = []
    for unit in range(1, 9):
        f = _trend_frame([3.0 + 0.1 * unit, 3.2, 3.4, 3.5], by="unit").assign(unit=unit)
        if unit == 8:
            f = f[f["wave"] != 2019]  # withheld wave
        parts.append(f)
    frame = pd.concat(parts, ignore_index=True)
    ax = charts.trend(frame, by="unit", lang="en", ylabel="Engagement", scale=(1, 5), name="eng")
    fig = ax.figure
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 8  # one panel per unit, not eight overlapping lines
    highlighted = visible[7].lines[-1].get_ydata()
    assert np.isnan(np.asarray(highlighted, dtype=float)[1]), "no line joins across a withheld wave"
    data = chart_data(fig)
    assert data["name"] == "eng" and len(data["rows"]) == len(frame)
    plt.close(fig)


def test_segment_bars_do_not_sum_effective_bases():
    import matplotlib.pyplot as plt

    from cxresearch.viz import charts

    f = pd.DataFrame(
        {
            "branch": [1, 2],
            "estimate": [10.0, 20.0],
            "ci_lower": [5.0, 15.0],
            "ci_upper": [15.0, 25.0],
            "n": [100, 120],
            "n_eff": [80.4, 90.4],
        }
    )
    ax = charts.segment_bars(f, category="branch", lang="en", xlabel="NPS")
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "n = 220" in texts and "effective n" not in texts  # 80.4 + 90.4 is no effective base
    plt.close(ax.figure)
    ax = charts.segment_bars(f, category="branch", lang="en", xlabel="NPS", n_eff=165.0)
    assert "effective n = 165" in " ".join(t.get_text() for t in ax.texts)
    plt.close(ax.figure)


def _comments():
    rows = [
        ("The price is too high", "en", 1, 3),
        ("价格太贵了", "zh", 2, 2),
        ("价格不合理，太贵", "zh", 1, 4),
        ("Parts were out of stock for weeks", "en", 2, 5),
        ("Staff were polite and courteous", "en", 1, 9),
        ("服务人员热情有礼貌", "zh", 2, 8),
    ]
    return pd.DataFrame(rows, columns=["comment", "lang", "branch", "overall_sat"])


def test_quotes_prefer_the_report_language_and_carry_attribution():
    from cxresearch import text

    data = _comments()
    q = text.example_quotes(data, n=2, lang="zh", seed=0, columns=["branch", "overall_sat"])
    price = q[q["theme"] == "price"]
    assert len(price) and set(price["lang"]) == {
        "zh"
    }  # English quote not chosen: Chinese ones exist
    parts = q[q["theme"] == "parts_availability"]
    assert list(parts["lang"]) == ["en"]  # no Chinese comment on parts: the English one, marked
    assert {"branch", "overall_sat"} <= set(q.columns)
    en = text.example_quotes(data, n=2, lang="en", seed=0)
    assert set(en.loc[en["theme"] == "price", "lang"]) == {"en"}


def test_quote_under_a_theme_carries_its_words():
    from cxresearch import text

    data = pd.DataFrame(
        {
            "comment": [
                "Lovely people everywhere and a very long story before anything "
                "happens; in the end the price is too high"
            ]
        }
    )
    cut = text.example_quotes(data, n=1, max_chars=30)
    assert "price" not in set(cut["theme"])  # the cut quote no longer says anything about price
    full = text.example_quotes(data, n=1)
    assert "price" in set(full["theme"])


def test_quotes_table_labels_other_language_and_goes_to_workbook():
    from cxresearch import tables, text

    q = text.example_quotes(_comments(), n=2, lang="zh", seed=0, columns=["branch", "overall_sat"])
    out = tables.quotes(q, lang="zh", by="branch", score="overall_sat")
    html = out._repr_html_()
    assert "英文原文" in html  # the English quote is labelled
    bundle = out._repr_mimebundle_()
    assert tables.TABLE_MIME in bundle and bundle[tables.TABLE_MIME]["name"] == "quotes"


def test_fieldwork_params_validated_and_tabled(tmp_path):
    from cxresearch import tables
    from cxresearch.report.params import Fieldwork

    fw = Fieldwork(start="2025-09-01", end="2025-10-31", invited=1000, completed=400)
    assert fw.rate == pytest.approx(0.4)
    with pytest.raises(ValueError, match="before start"):
        Fieldwork(start="2025-10-01", end="2025-09-01")
    with pytest.raises(ValueError, match="exceeds invited"):
        Fieldwork(invited=10, completed=11)

    class P:
        fieldwork = fw

    t = tables.fieldwork_table(P(), lang="en")
    values = dict(zip(t.data["item"], t.data["value"], strict=True))
    assert values["Response rate"].startswith("40.0%") and "2025" in values["Fieldwork dates"]


def test_definitions_give_the_top_two_box_of_the_reports_own_scales():
    """bfi's 1-6 outcome: the definition named 9-10 and 4-5 (example scales) instead of 5-6."""
    from types import SimpleNamespace

    from cxresearch import tables
    from cxresearch.codebook import load

    cb = load(
        {
            "study": "t",
            "version": "1",
            "variables": [
                {"name": "rid", "kind": "id", "role": "id"},
                {
                    "name": "a1",
                    "kind": "likert",
                    "min": 1,
                    "max": 6,
                    "label": {"en": "Item one", "zh": "题一"},
                },
                {"name": "rec", "kind": "likert", "min": 1, "max": 7},
            ],
        }
    )
    v = SimpleNamespace(outcome="a1", loyalty="rec", nps=None)
    t = tables.definitions_table(SimpleNamespace(variables=v), lang="en", codebook=cb, variables=v)
    rows = dict(zip(t.data["term"], t.data["definition"], strict=True))
    assert rows["Top-two box"].endswith("5–6 on the 1–6 scale; 6–7 on the 1–7 scale.")
    assert "Net Promoter Score (NPS)" not in rows and "9–10" not in rows["Top-two box"]
    zh = tables.definitions_table(SimpleNamespace(variables=v), lang="zh", codebook=cb, variables=v)
    assert "5–6 分（1–6 分量表）" in zh.data["definition"].iloc[0]


# -- slow: one render per language ---------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from cxresearch import codebook, synth
    from cxresearch.report import run_report
    from cxresearch.store import Store

    folder = tmp_path_factory.mktemp("layout_study")
    demo = synth.generate(seed=31, n_customers=600, n_waves=8, first_wave=2018)
    paths = synth.write(demo, folder / "alpha")
    with Store(folder / "study.duckdb") as st:
        st.import_files(
            [p for k, p in paths.items() if k not in ("codebook", "truth")],
            client="alpha",
            codebook=codebook.load(paths["codebook"]),
        )
    params = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    params.update(
        client="alpha",
        period="2025",
        first_wave=2018,
        data={"store": "study.duckdb"},
        output={"formats": ["html", "pdf", "xlsx"], "dir": "reports"},
        notebook_dir=str(ROOT / "notebooks"),
    )
    (folder / "alpha.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    out = {lang: run_report(folder / "alpha.yaml", lang=lang) for lang in ("zh", "en")}
    return folder, out


def _page_lines(pdf: Path) -> list[list[tuple[float, float, str]]]:
    """Per page, its text lines as (top, bottom, text) in points from the page top (pdftotext -bbox-layout)."""
    import html as _html

    raw = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", raw, flags=re.S):
        lines = []
        for y0, y1, body in re.findall(
            r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>',
            page,
            flags=re.S,
        ):
            words = [_html.unescape(w) for w in re.findall(r"<word [^>]*>(.*?)</word>", body)]
            lines.append((float(y0), float(y1), " ".join(words)))
        pages.append(sorted(lines))
    return pages


@pytest.mark.slow
@pytest.mark.report
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rendered_pages(rendered, lang):
    from openpyxl import load_workbook
    from PIL import Image

    folder, out = rendered
    result = out[lang]
    assert result.pdf.name == f"report.{lang}.pdf" and result.html.name == f"report.{lang}.html"
    assert result.tables.name == f"tables.{lang}.xlsx"
    other = out["en" if lang == "zh" else "zh"]
    assert (
        result.pdf.parent == other.pdf.parent and result.pdf.exists() and other.pdf.exists()
    )  # side by side

    # 1. no blank or near-empty page: ink on at least 10% of the content height of every page
    png_dir = folder / f"png_{lang}"
    png_dir.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-png", str(result.pdf), str(png_dir / "p")], check=True
    )
    for i, png in enumerate(sorted(png_dir.glob("p-*.png")), start=1):
        im = np.asarray(Image.open(png).convert("L"), dtype=float)
        h = im.shape[0]
        body = im[int(0.06 * h) : int(0.90 * h)]  # without the margins and the running footer
        filled = (body < 200).any(axis=1).mean()
        if i > 1:  # the cover is meant to be airy
            assert filled >= 0.10, (
                f"page {i} is blank or nearly empty ({filled:.0%} of its height used)"
            )

    # 2. no raster chart under 200 ppi (charts are SVG: vector in the PDF)
    listing = subprocess.run(
        ["pdfimages", "-list", str(result.pdf)], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines()[2:]:
        cols = line.split()
        if len(cols) > 13 and int(cols[3]) > 100:
            assert int(cols[12]) >= 200 and int(cols[13]) >= 200, (
                f"raster image under 200 ppi: {line}"
            )
    html = result.html.read_text(encoding="utf-8")
    assert (
        html.count('data-mime-type="image/svg+xml"') >= 8
        and 'data-mime-type="image/png"' not in html
    )

    # 3. no heading ends a page: below the last heading or exhibit caption of a page there is more ink
    #    (text or a vector chart) before the running footer
    def norm(t):
        return re.sub(r"\s+", "", t)

    heads = set()
    for m in re.finditer(r"<h[12][^>]*>(.*?)</h[12]>", html, flags=re.S):
        heads.add(norm(re.sub(r"<[^>]+>", "", m.group(1)).replace("¶", "")))
    for m in re.finditer(r'<p class="cx-figcaption"[^>]*>(.*?)</p>', html, flags=re.S):
        heads.add(norm(re.sub(r"<[^>]+>", "", m.group(1))))
    heads.discard("")
    assert len(heads) > 15
    pngs = sorted(png_dir.glob("p-*.png"))
    for i, lines in enumerate(_page_lines(result.pdf), start=1):
        body = [
            ln for ln in lines if ln[0] < 0.94 * 841.9
        ]  # without the running footer (top at ~0.945)
        if i <= 3 or not body:
            continue  # cover, contents, list of exhibits
        top, bottom, last = body[-1]
        if norm(last) not in heads:
            continue
        im = np.asarray(Image.open(pngs[i - 1]).convert("L"), dtype=float)
        h = im.shape[0]
        below = im[int((bottom + 4) / 841.9 * h) : int(0.94 * h)]
        assert (below < 200).any(), f"page {i} ends with the heading {last!r}"

    # 4. no quote in another language when the theme has comments in the report's language
    wb = load_workbook(result.tables)
    quotes = wb["quotes"]
    header = [c.value for c in quotes[2]]
    rows = [
        dict(zip(header, [c.value for c in r], strict=False))
        for r in quotes.iter_rows(min_row=3)
        if r[0].value
    ]
    lang_col = header[-1]
    theme_col = header[0]
    assert rows
    from cxresearch import report, tables, text

    study = report.open_study(folder / "alpha.yaml", lang=lang, style=False)
    comments = study.with_comments(current=True)
    coding = text.code_comments(comments)
    labels = {tables.voice._theme_label(t, None, lang): t for t in coding.themes}
    for row in rows:
        if row[lang_col] and row[lang_col] != lang:
            theme = labels[row[theme_col]]
            own = coding.codes[theme] & (coding.codes["lang"] == lang)
            assert not own.any(), (
                f"a {row[lang_col]} quote shown for {theme!r} though {lang} comments exist"
            )

    # 5. no two sheets with one title
    titles = [ws["A1"].value for ws in wb.worksheets[1:]]
    assert len(titles) == len(set(titles)), [t for t in titles if titles.count(t) > 1]
    # the data behind the charts is in the workbook
    for sheet in (
        "satisfaction_trend_chart",
        "loyalty_ladder_chart",
        "retention_curves",
        "engagement_trend_chart",
        "quotes",
    ):
        assert sheet in wb.sheetnames, sheet


def test_html_lang_svg_alt_and_notes_open_the_last_chapter():
    from cxresearch.report.params import load_params
    from cxresearch.report.render import combine, render_html

    params = load_params(ROOT / "params" / "demo.yaml", check_files=False).model_copy(
        update={"language": "zh"}
    )
    combined = combine([_fake_notebook(), _fake_notebook()], lang="zh")
    combined.warnings.append(
        "FewUnitsWarning: Only 8 units: the linkage rests on few units, so its interval is "
        "uncertain and may be too narrow; read it as indicative, not as proof."
    )
    combined.warnings.append(
        "FewUnitsWarning: Only 8 units: the difference-in-differences rests on few units, so "
        "its interval is uncertain and may be too narrow; read it as indicative, not as proof."
    )
    html = render_html(combined, params)
    assert '<html lang="zh">' in html and "cx-lang-zh" in html
    assert 'alt="图 1.1 Chart A data"' in html  # the vector chart's text alternative
    # both notes read differently in Chinese, and they open the last chapter (before its sections)
    notes = re.findall(r"<li>(单位数较少[^<]*)</li>", html)
    assert len(notes) == 2 and notes[0] != notes[1]
    assert html.index("数据质量提示") < html.index("2.1 First section")
    assert html.index("数据质量提示") > html.index("2 Chapter one")
    assert "图表目录" in html and 'href="#fig-2-1"' in html  # list of exhibits links each exhibit
