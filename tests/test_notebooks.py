"""The study notebooks run under papermill on the demo study and render a client-ready report.

One store holds two demo clients ('alpha', 'beta'), every beta comment carrying a marker. One full
Chinese render (every notebook, HTML + PDF + Excel) for alpha and one English HTML-only render for
beta keep the time modest (~2 minutes on a quiet machine).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from cxresearch import codebook, synth
from cxresearch.report import NOTEBOOKS, run_report
from cxresearch.store import Store

pytestmark = [pytest.mark.report, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
BETA_MARKER = "BETAMARK7Q"


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nb_study")
    with Store(folder / "study.duckdb") as st:
        for client, seed in (("alpha", 21), ("beta", 22)):
            demo = synth.generate(seed=seed, n_customers=400, n_waves=8, first_wave=2018)
            if client == "beta":
                has = demo.responses["comment"].fillna("").str.len() > 0
                demo.responses.loc[has, "comment"] = (
                    demo.responses.loc[has, "comment"] + f" {BETA_MARKER}"
                )
            paths = synth.write(demo, folder / client)
            files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
            st.import_files(files, client=client, codebook=codebook.load(paths["codebook"]))
    demo_params = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    for client, lang, formats in (
        ("alpha", "zh", ["html", "pdf", "xlsx"]),
        ("beta", "en", ["html"]),
    ):
        p = dict(demo_params)
        p.update(
            client=client,
            period="2025",
            first_wave=2018,
            language=lang,
            data={"store": "study.duckdb"},
            output={"formats": formats, "dir": "reports"},
            notebook_dir=str(NB_DIR),
        )
        (folder / f"{client}.yaml").write_text(
            yaml.safe_dump(p, allow_unicode=True), encoding="utf-8"
        )
    return folder


@pytest.fixture(scope="module")
def zh_report(study):
    return run_report(study / "alpha.yaml")


@pytest.fixture(scope="module")
def en_report(study):
    return run_report(study / "beta.yaml")


# -- the notebooks themselves (static) --------------------------------------------------------


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_is_thin_with_plain_parameters(stem):
    nb = nbformat.read(str(NB_DIR / f"{stem}.ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    for node in ast.parse(params[0].source).body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), (
            f"parameters cell must hold plain values: {ast.unparse(node)}"
        )
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "outputs must be stripped"
        tree = ast.parse(cell.source)
        banned = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda))
        ]
        assert not banned, (
            f"{stem}: no def/class/loops/lambdas in notebook cells: {cell.source[:80]}"
        )
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "lang-zh" in str([c.metadata.get("tags") for c in nb.cells]) and "lang-en" in str(
        [c.metadata.get("tags") for c in nb.cells]
    )
    # no figures typed into narrative: markdown holds no decimal numbers or percentages
    assert not re.search(r"\d+\.\d+|\d+\s*%", md), f"{stem}: numbers typed into markdown"


# -- full zh render ---------------------------------------------------------------------------


def test_every_notebook_executed(zh_report):
    names = sorted(p.stem for p in zh_report.notebooks)
    assert names == sorted(NOTEBOOKS)
    for path in zh_report.notebooks:
        nb = nbformat.read(str(path), as_version=4)
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.output_type == "error"
        ]
        assert not errors, f"{path.name} has an error output"
        stderr = "".join(
            "".join(o.get("text", ""))
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.get("outputs", [])
            if o.output_type == "stream" and o.get("name") == "stderr"
        )
        assert "missing from font" not in stderr and "Glyph" not in stderr, (
            f"{path.name}: CJK glyphs missing"
        )


def test_html_has_no_code_no_traceback_and_is_offline(zh_report):
    html = zh_report.html.read_text(encoding="utf-8")
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    for needle in (
        "open_study",
        "import cxresearch",
        "cx.tables",
        "Traceback",
        "Error:",
        "Warning:",
        'class="jp-InputPrompt',
        'class="jp-OutputPrompt',
        "customer_id",
        "R2025-",
    ):
        assert needle not in body, needle
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "目录" in html and "核心指标" in html and "附录" in html
    assert BETA_MARKER not in html  # another client's comments never reach this report


def test_pdf_text_layer_chinese_pages_and_images(zh_report, study):
    pdf = zh_report.pdf
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    cb = codebook.load(study / "alpha" / "codebook.yaml")
    for name in ("product_quality", "overall_sat", "svc_responsiveness"):
        label = cb.get(name).label_for("zh")
        assert label in text.replace(" ", ""), (
            f"codebook label {label!r} missing from the PDF text layer"
        )
    assert "北京" in text and "客户体验诊断报告" in text
    assert BETA_MARKER not in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 12 <= pages <= 60, pages
    assert re.search(r"Page size:\s+59\d\.\d+ x 841\.\d+ pts \(A4\)", info), "A4 paper"
    # charts are vector (SVG): no raster chart in the PDF, and at least 8 SVG figures in the HTML
    images = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    n_images = len([ln for ln in images.splitlines()[2:] if ln.strip()])
    assert n_images == 0, images
    html = zh_report.html.read_text(encoding="utf-8")
    assert html.count('data-mime-type="image/svg+xml"') >= 8


def test_pdf_pages_are_numbered(zh_report):
    text = subprocess.run(
        ["pdftotext", str(zh_report.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    numbered = [p for p in pages if re.search(r"\b\d+ / \d+\b", p)]
    assert len(numbered) >= len([p for p in pages if p.strip()]) - 1  # every page but the cover
    # the contents list each chapter with the page it starts on
    toc = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", "-layout", str(zh_report.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = re.search(r"核心指标\s+(\d+)", toc)
    assert m, toc[:400]
    chapter_page = subprocess.run(
        ["pdftotext", "-f", m.group(1), "-l", m.group(1), str(zh_report.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "核心指标" in chapter_page


def test_tables_xlsx_and_manifest(zh_report):
    from openpyxl import load_workbook

    wb = load_workbook(zh_report.tables, read_only=True)
    names = wb.sheetnames
    for sheet in (
        "nps_trend",
        "driver_importance",
        "lags_loyalty",
        "transfer_penalty",
        "comment_themes",
        "engagement",
    ):
        assert sheet in names, sheet
    manifest = json.loads(zh_report.manifest.read_text(encoding="utf-8"))
    assert manifest["tables"] == len(names) - 1
    assert len([i for i in manifest["inputs"] if i["role"] == "notebook"]) == len(NOTEBOOKS)
    t = manifest["timings_seconds"]
    assert t["html"] > 0 and t["pdf"] > 0 and t["execute"] > 0


def test_report_opens_with_the_summary_and_writes_findings(zh_report):
    """The executive summary is printed first but executed last; its evidence links point at report
    tables; findings.json holds the chapters' records; the summary sheets reach tables.xlsx."""
    from openpyxl import load_workbook

    html = zh_report.html.read_text(encoding="utf-8")
    body = html[html.index('id="chapter-1"') :]
    assert body.index("核心结论") < body.index('id="chapter-2"') < body.index("数据质量与样本基数")
    links = re.findall(r'class="cx-evidence" href="#([^"]+)"', html)
    assert 3 <= len(links) <= 5
    for anchor in links:
        assert f'id="{anchor}"' in html, anchor
    records = json.loads((zh_report.directory / "findings.json").read_text(encoding="utf-8"))
    assert {r["chapter"] for r in records} >= {"00_summary", "03_drivers", "04_persistence"}
    assert all(r["kind"] and r["test"] and r["exhibit"] for r in records)
    assert [r["score"] for r in records] == sorted((r["score"] for r in records), reverse=True)
    times = {
        p.stem: nbformat.read(str(p), as_version=4).metadata["papermill"]
        for p in zh_report.notebooks
    }
    assert times["00_summary"]["start_time"] >= max(
        t["end_time"] for k, t in times.items() if k != "00_summary"
    )
    sheets = load_workbook(zh_report.tables, read_only=True).sheetnames
    for sheet in ("summary", "kpi_dashboard", "segment_scorecard", "priorities"):
        assert sheet in sheets, sheet
    manifest = json.loads(zh_report.manifest.read_text(encoding="utf-8"))
    assert "findings.json" in [o["path"] for o in manifest["outputs"]]
    # every number in every finding's sentence (both languages) is one of its records' numbers
    from cxresearch import findings as fnd
    from cxresearch.tables import finding_numbers, say_finding

    found = fnd.from_json((zh_report.directory / "findings.json").read_text(encoding="utf-8"))
    number = re.compile(r"[−+-]?\d[\d,]*(?:\.\d+)?")
    for f in found:
        allowed = set()
        for g in found if f.kind == "segment_gap" else [f]:
            for v in [*finding_numbers(g), 100 * (1 - g.alpha)]:
                allowed |= {abs(v), 100 * abs(v), 100 * abs(1 - v)}
        for lang in ("zh", "en"):
            sentence = say_finding(f, lang=lang, related=found).replace("p < 0.001", "")
            for tok in number.findall(sentence):
                t = tok.replace("−", "").replace("-", "").replace("+", "").replace(",", "")
                tol = 0.5 * 10 ** -(len(t.split(".")[1]) if "." in t else 0) + 1e-9
                assert any(abs(float(t) - a) <= tol for a in allowed), (tok, sentence)


# -- English, HTML only, the other client -----------------------------------------------------


def test_english_report_uses_english_labels_and_own_client(en_report, study):
    assert en_report.pdf is None and en_report.tables is None
    html = en_report.html.read_text(encoding="utf-8")
    cb = codebook.load(study / "beta" / "codebook.yaml")
    assert cb.get("product_quality").label_for("en") in html
    assert "Key performance indicators" in html and "Appendix" in html
    assert "核心指标" not in html and "本章" not in html
    assert BETA_MARKER in html  # its own comments are quoted (positive control for the alpha check)


def test_nothing_the_masker_catches_reaches_the_report(zh_report, en_report):
    """Every text of both reports (HTML, PDF text layer, executed notebooks' outputs) is left
    unchanged by the PII masker: no phone number, e-mail, identity number or name form got through
    (the demo comments hold some, issue 15)."""
    from bs4 import BeautifulSoup

    from cxresearch.text import mask_pii

    leaks = []
    for report in (zh_report, en_report):
        soup = BeautifulSoup(report.html.read_text(encoding="utf-8"), "html.parser")
        for tag in soup(["style", "script"]):
            tag.decompose()
        texts = [t for t in soup.stripped_strings]
        if report.pdf is not None:
            pdf = subprocess.run(
                ["pdftotext", str(report.pdf), "-"], capture_output=True, text=True, check=True
            )
            texts += pdf.stdout.splitlines()
        for path in report.notebooks:
            for cell in nbformat.read(str(path), as_version=4).cells:
                for out in cell.get("outputs", []):
                    for key in ("text/plain", "text/markdown"):
                        texts += "".join(out.get("data", {}).get(key, "")).splitlines()
        leaks += [t for t in texts if mask_pii(t) != t]
    assert leaks == []
