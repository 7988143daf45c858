"""Report machinery: params validation, papermill runs, failure handling, escaping, batch (processes
and Dask), manifest and Excel output.

A small demo store (two clients) is built once per session; the machinery tests run a tiny study
notebook (two library calls) so they stay quick. The full study notebooks are tested in
tests/test_notebooks.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

from cxresearch import codebook, synth
from cxresearch.report import ParamsError, load_params, run_batch, run_report
from cxresearch.report.run import NotebookFailed
from cxresearch.store import Store

pytestmark = pytest.mark.report

SCRIPT_COMMENT = '<script>document.title="pwned"</script><b>bold?</b> 服务很好'
BETA_MARKER = "BETA-ONLY-7Q2X"


def _build_store(folder: Path) -> Path:
    """Store with client 'alpha' (one comment holds a <script>) and client 'beta' (marked comments)."""
    db = folder / "study.duckdb"
    with Store(db) as st:
        for client, seed in (("alpha", 11), ("beta", 12)):
            study = synth.generate(seed=seed, n_customers=300, n_waves=4, first_wave=2022)
            resp = study.responses
            has = resp["comment"].fillna("").str.len() > 0
            if client == "alpha":
                first = resp.index[has & (resp["wave"] == 2025)][0]
                resp.loc[first, "comment"] = SCRIPT_COMMENT
            else:
                resp.loc[has, "comment"] = resp.loc[has, "comment"] + f" {BETA_MARKER}"
            paths = synth.write(study, folder / client)
            files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
            st.import_files(files, client=client, codebook=codebook.load(paths["codebook"]))
    return db


TINY_CELLS = [
    ("markdown", "# Tiny chapter", ["lang-en"]),
    ("markdown", "# 小章节", ["lang-zh"]),
    ("code", 'params_file = "x.yaml"\nstore_file = None\nlang = None', ["parameters"]),
    (
        "code",
        "import cxresearch as cx\nstudy = cx.report.open_study(params_file, store=store_file, lang=lang)",
        [],
    ),
    ("markdown", "## Comments", []),
    ("code", 'print("stdout noise")\nimport sys; print("stderr noise", file=sys.stderr)', []),
    (
        "code",
        "cx.tables.verbatims(study.comments().sort_values('wave', ascending=False)['text'].head(400))",
        [],
    ),
    (
        "code",
        "cx.tables.text('n = ', str(len(study.responses())), ' ', study.comments()['text'].iloc[0])",
        [],
    ),
    (
        "code",
        "bases = cx.survey.mean(study.responses(), score='overall_sat', by='wave', **study.design)",
        [],
    ),
    ("code", "cx.tables.bases(bases, name='bases', **study.fmt)", []),
]


def _notebook(folder: Path, name: str, cells) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, source, tags in cells:
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == "markdown"
            else nbformat.v4.new_code_cell(source)
        )
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report_study")
    _build_store(folder)
    nbdir = folder / "nb"
    nbdir.mkdir()
    _notebook(nbdir, "tiny", TINY_CELLS)
    failing = [
        *TINY_CELLS[:4],
        ("code", "x = 1", []),
        ("code", "raise ValueError('deliberate failure 42')", []),
    ]
    _notebook(nbdir, "failing", failing)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 0.4))
    ax.text(0.1, 0.2, "ACME")
    ax.axis("off")
    fig.savefig(folder / "logo.png")
    plt.close(fig)
    return folder


def _params(folder: Path, name: str, **over) -> Path:
    raw = {
        "client": "alpha",
        "client_name": {"zh": "阿尔法机械", "en": "Alpha Machinery"},
        "period": "2025",
        "language": "en",
        "data": {"store": "study.duckdb"},
        "variables": {"by": ["branch"], "weight": "weight"},
        "notebook_dir": "nb",
        "notebooks": ["tiny"],
        "output": {"formats": ["html", "xlsx"], "dir": "reports"},
    }
    for key, value in over.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


# -- params -----------------------------------------------------------------------------------


def test_params_resolve_paths_relative_to_file(study_dir):
    p = load_params(_params(study_dir, "ok"))
    assert p.data.store == (study_dir / "study.duckdb").resolve()
    assert p.output.dir == (study_dir / "reports").resolve()
    assert p.wave == 2025 and p.language == "en"
    assert p.thresholds.min_base == 30 and p.thresholds.anonymity_min == 5


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"colour": "red"}, r"colour: unknown key"),
        ({"thresholds": {"min_base": "thirty"}}, r"thresholds\.min_base: .*got 'thirty'"),
        ({"language": "fr"}, r"language: .*got 'fr'"),
        ({"client": None}, r"client: required key is missing"),
        ({"data": {"store": "nowhere.duckdb"}}, r"data\.store: file not found: .*nowhere\.duckdb"),
        (
            {"branding": {"primary_colour": "blue"}},
            r"branding\.primary_colour: .*#rrggbb; got 'blue'",
        ),
        ({"output": {"formats": ["docx"]}}, r"output\.formats\[0\]"),
        (
            {"thresholds": {"min_base": 3, "anonymity_min": 5}},
            r"anonymity_min \(5\) must not exceed min_base \(3\)",
        ),
        ({"client": "../etc"}, r"client: .*folder name\); got '\.\./etc'"),
        (
            {"variables": {"by": ["overall_sat"]}},
            r"variables\.by\[0\]: 'overall_sat' is rating on 0–10; segments must be category",
        ),
        (
            {"variables": {"nps": "product_quality"}},
            r"variables\.nps: 'product_quality' is likert on 1–5; NPS needs a 0–10 recommend item .*may serve as variables\.loyalty or as a top-box measure",
        ),
        (
            {"variables": {"outcome": "comment"}},
            r"variables\.outcome: 'comment' is text; a mean or top-box needs a likert, rating or numeric item with scale bounds",
        ),
        (
            {"thresholds": {"dissatisfied_cut": 12}},
            r"thresholds\.dissatisfied_cut: 12 is outside the scale of overall_sat \(0–10\)",
        ),
        (
            {"alerts": [{"name": "x", "kind": "low_score", "owner": "service"}]},
            r"alerts: rule 'x' \(low_score\) needs a number",
        ),
    ],
)
def test_params_errors_name_the_key(study_dir, over, message):
    path = _params(study_dir, "bad", **over)
    with pytest.raises(ParamsError, match=message) as info:
        run_report(path)
    assert str(path) in str(info.value)
    assert not (study_dir / "reports").exists() or not any((study_dir / "reports").rglob("*.ipynb"))


def test_params_unknown_variable_and_client_fail_before_papermill(study_dir, tmp_path):
    bad_var = _params(
        study_dir,
        "badvar",
        variables={"by": ["branch", "regoin"]},
        output={"dir": str(tmp_path / "r1")},
    )
    with pytest.raises(
        ParamsError, match=r"variables\.by\[1\]: 'regoin' is not a codebook variable"
    ):
        run_report(bad_var)
    bad_client = _params(
        study_dir, "badclient", client="gamma", output={"dir": str(tmp_path / "r2")}
    )
    with pytest.raises(
        ParamsError, match=r"client: 'gamma' is not in store .*clients there: alpha, beta"
    ):
        run_report(bad_client)
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def test_params_file_not_yaml(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="must be a mapping"):
        load_params(path)
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "missing.yaml")


# -- one run: html, xlsx, manifest, escaping, client isolation --------------------------------


@pytest.fixture(scope="session")
def tiny_report(study_dir):
    path = _params(
        study_dir,
        "tiny",
        output={"formats": ["html", "xlsx"], "dir": "reports"},
        branding={
            "title": {"zh": "体验报告", "en": "Experience <Report>"},
            "logo": "logo.png",
            "primary_colour": "#123456",
            "prepared_by": "Team & Co",
        },
    )
    return run_report(path)


def test_run_writes_report_files(tiny_report):
    out = tiny_report.directory
    assert out.name == "2025" and out.parent.name == "alpha"
    assert tiny_report.html.is_file() and tiny_report.tables.is_file() and tiny_report.pdf is None
    assert (out / "notebooks" / "en" / "tiny.ipynb").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_html_has_no_code_no_streams_no_prompts(tiny_report):
    html = tiny_report.html.read_text(encoding="utf-8")
    assert "open_study" not in html and "import cxresearch" not in html
    assert "stdout noise" not in html and "stderr noise" not in html
    body = re.sub(r"<style.*?</style>", "", html, flags=re.S)  # CSS comments mention prompts
    assert "In&nbsp;[" not in body and "Out[" not in body
    assert 'class="jp-InputPrompt' not in body and 'class="jp-OutputPrompt' not in body
    assert "Traceback" not in body
    assert "Tiny chapter" in html and "小章节" not in html  # language cells
    # offline: nothing loaded from the network
    assert "<script" not in html.lower()
    for attr in ('src="http', 'href="http', "@import url(http", "src='http"):
        assert attr not in html


def test_cover_branding_logo_embedded_and_escaped(tiny_report):
    html = tiny_report.html.read_text(encoding="utf-8")
    assert 'class="cx-logo" src="data:image/png;base64,' in html
    assert (
        "Experience &lt;Report&gt;" in html
        and "Team &amp; Co" in html
        and "Alpha Machinery" in html
    )
    assert "--cx-primary: #123456" in html


def test_customer_comment_script_is_shown_as_text(tiny_report):
    html = tiny_report.html.read_text(encoding="utf-8")
    assert "<script>document.title" not in html
    assert "&lt;script&gt;document.title=" in html and "&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html


def test_report_contains_no_other_client_data(tiny_report, study_dir):
    html = tiny_report.html.read_text(encoding="utf-8")
    assert BETA_MARKER not in html
    with Store(study_dir / "study.duckdb", read_only=True) as st:
        n_alpha, n_beta = len(st.responses("alpha")), len(st.responses("beta"))
        beta_ids = st.responses("beta")["respondent_id"].head(50).tolist()
    assert n_alpha != n_beta
    assert f"n = {n_alpha}" in html.replace(",", "")
    executed = (tiny_report.directory / "notebooks" / "en" / "tiny.ipynb").read_text(
        encoding="utf-8"
    )
    assert BETA_MARKER not in executed
    assert not any(rid in html for rid in beta_ids)


def test_manifest_records_inputs_versions_timings(tiny_report, study_dir):
    m = json.loads(tiny_report.manifest.read_text(encoding="utf-8"))
    assert m["status"] == "ok" and m["client"] == "alpha" and m["period"] == "2025"
    roles = {i["role"] for i in m["inputs"]}
    assert {"params", "store", "notebook"} <= roles
    store = next(i for i in m["inputs"] if i["role"] == "store")
    import hashlib

    assert store["sha256"] == hashlib.sha256((study_dir / "study.duckdb").read_bytes()).hexdigest()
    assert m["packages"]["papermill"] and m["packages"]["nbconvert"] and m["packages"]["python"]
    assert m["parameters"]["client"] == "alpha"
    assert (
        m["timings_seconds"]["execute"] > 0
        and m["timings_seconds"]["total"] >= m["timings_seconds"]["execute"]
    )
    assert {o["path"] for o in m["outputs"]} >= {
        "report.en.html",
        "tables.en.xlsx",
        "notebooks/en/tiny.ipynb",
    }


def test_tables_xlsx_one_sheet_per_table_numbers_as_numbers(tiny_report):
    from openpyxl import load_workbook

    wb = load_workbook(tiny_report.tables)
    assert wb.sheetnames[0] == "Contents" and "bases" in wb.sheetnames
    ws = wb["bases"]
    header = [c.value for c in ws[2]]
    assert header[0] == "Survey wave" and header[1:4] == [
        "n",
        "Effective n",
        "Weighting efficiency",
    ]
    values = [row[1] for row in ws.iter_rows(min_row=3, max_row=6, values_only=True)]
    assert all(isinstance(v, int) for v in values), values
    eff = [row[3] for row in ws.iter_rows(min_row=3, max_row=6, values_only=True)]
    assert all(isinstance(v, float) and 0 < v <= 1 for v in eff)


# -- failure ----------------------------------------------------------------------------------


def test_failing_notebook_keeps_notebook_and_writes_no_report(study_dir, tmp_path, capsys):
    from cxresearch.cli import main

    path = _params(
        study_dir, "failing", notebooks=["failing"], output={"dir": str(tmp_path / "rep")}
    )
    with pytest.raises(
        NotebookFailed,
        match=r"failing\.ipynb failed at cell \d+ \(raise ValueError\('deliberate failure 42'\)\): "
        r"ValueError: deliberate failure 42",
    ):
        run_report(path)
    out = tmp_path / "rep" / "alpha" / "2025"
    kept = out / "notebooks" / "en" / "failing.ipynb"
    assert kept.is_file()
    nb = nbformat.read(str(kept), as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors and errors[0]["ename"] == "ValueError"
    for name in ("report.en.html", "report.en.pdf", "tables.en.xlsx", "manifest.en.json"):
        assert not (out / name).exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # the CLI: one short message naming the notebook, cell and error; non-zero exit
    code = main(["run", str(path)])
    err = capsys.readouterr().err
    assert code != 0
    assert "failing.ipynb failed at cell" in err and "ValueError: deliberate failure 42" in err
    assert "Traceback" not in err


# -- batch ------------------------------------------------------------------------------------


def test_batch_continues_past_bad_params(study_dir, tmp_path):
    good_a = _params(study_dir, "ga", output={"formats": ["html"], "dir": str(tmp_path)})
    good_b = _params(
        study_dir,
        "gb",
        period="2024",
        language="zh",
        output={"formats": ["html"], "dir": str(tmp_path)},
    )
    bad = _params(study_dir, "gbad", thresholds={"min_base": -1})
    clash = _params(study_dir, "gclash", output={"formats": ["xlsx"], "dir": str(tmp_path)})
    seen = []
    result = run_batch([good_a, bad, good_b, clash], workers=2, on_done=seen.append)
    assert [i.ok for i in result.items] == [True, False, True, False]
    assert len(seen) == 4 and result.workers == 2
    assert "thresholds.min_base" in result.items[1].error
    assert "same report folder as" in result.items[3].error and str(good_a) in result.items[3].error
    assert (tmp_path / "alpha" / "2025" / "report.en.html").is_file()
    html_b = (tmp_path / "alpha" / "2024" / "report.zh.html").read_text(encoding="utf-8")
    assert "小章节" in html_b and "Tiny chapter" not in html_b
    frame = result.to_frame()
    assert list(frame["ok"]) == [True, False, True, False]


def test_batch_cli_summary_and_exit_code(study_dir, tmp_path):
    good = _params(study_dir, "cg", output={"formats": ["xlsx"], "dir": str(tmp_path)})
    bad = _params(study_dir, "cbad", data={"store": "missing.duckdb"})
    exe = shutil.which("cxresearch") or str(
        Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cxresearch"
    )
    done = subprocess.run(
        [exe, "batch", str(good), str(bad), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert "failed" in done.stdout and "ok" in done.stdout and "data.store" in done.stdout
    assert "1 of 2 report(s) failed" in done.stderr
    assert (tmp_path / "alpha" / "2025" / "tables.en.xlsx").is_file()


def test_batch_on_dask_local_cluster(study_dir, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    good = _params(study_dir, "dg", output={"formats": ["html"], "dir": str(tmp_path)})
    bad = _params(study_dir, "dbad", language="fr")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_batch([good, bad], scheduler=cluster.scheduler_address)
    assert [i.ok for i in result.items] == [True, False]
    assert result.scheduler and "language" in result.items[1].error
    assert (tmp_path / "alpha" / "2025" / "report.en.html").is_file()


def test_batch_rejects_bad_workers_and_missing_paths(tmp_path):
    from cxresearch.errors import CXValueError

    with pytest.raises(CXValueError, match="workers must be a whole number >= 1; got 0"):
        run_batch([tmp_path], workers=0)
    with pytest.raises(CXValueError, match="not found"):
        run_batch([tmp_path / "nope.yaml"])
    with pytest.raises(CXValueError, match="no params files"):
        run_batch([tmp_path])


def test_run_from_data_files_imports_into_a_temporary_store(study_dir, tmp_path):
    files = sorted(
        str(p)
        for p in (study_dir / "alpha").iterdir()
        if p.suffix in (".csv", ".xlsx", ".sav", ".parquet")
    )
    path = _params(
        study_dir,
        "files",
        data={"files": files, "codebook": "alpha/codebook.yaml"},
        output={"formats": ["html"], "dir": str(tmp_path)},
    )
    result = run_report(path)
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=" in html and BETA_MARKER not in html
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert len([i for i in manifest["inputs"] if i["role"] == "data"]) == len(files)
    assert not list(result.directory.rglob("*.duckdb"))  # the run's store is temporary


def test_raking_margins_are_applied_per_wave_and_checked(study_dir):
    from cxresearch.report import open_study

    path = _params(
        study_dir,
        "rake",
        variables={"by": ["branch"], "weight": "weight", "raking": {"segment": {1: 0.3, 2: 0.7}}},
    )
    study = open_study(path, style=False)
    assert study.design["weights"] == "raked_weight"
    # wave-on-wave comparisons cluster on the customer id (issue 14)
    wd = study.wave_design
    assert wd["respondent"] == "customer_id" and wd["alpha"] == study.design["alpha"]
    # raked: the waves' rakes stacked, so trend SEs are calibration-aware
    import cxresearch as cx

    assert isinstance(wd["weights"], cx.survey.RakeResult)
    resp = study.responses()
    assert wd["weights"].weights.index.equals(resp.index)
    np.testing.assert_allclose(wd["weights"].weights, resp["raked_weight"])
    trend = cx.survey.trend(resp, score="overall_sat", **wd)
    assert trend.attrs["settings"]["respondent"] == "customer_id"
    frame = study.responses()
    for _, wave in frame.groupby("wave"):
        shares = wave.groupby("segment")["raked_weight"].sum() / wave["raked_weight"].sum()
        assert shares.round(6).to_dict() == {1: 0.3, 2: 0.7}
    import cxresearch as cx

    data, design = study.survey_data(current=True)  # the data with the design to analyse them
    assert design == cx.survey.Design(weights="raked_weight") == study.survey_design
    import pandas as pd

    pd.testing.assert_frame_equal(
        cx.survey.mean(data, score="overall_sat", design=design),
        cx.survey.mean(data, score="overall_sat", weights="raked_weight"),
    )
    bad = _params(study_dir, "rakebad", variables={"raking": {"segment": {1: 0.5, 9: 0.5}}})
    with pytest.raises(
        ParamsError,
        match=r"variables\.raking\.segment: category \[9\] not among the codebook values",
    ):
        run_report(bad)


def test_cxwebpdf_exporter_entry_point_prints_a4_with_system_chromium(tiny_report):
    import io

    from nbconvert.exporters import get_exporter
    from pypdf import PdfReader

    from cxresearch.report.webpdf import CXWebPDFExporter

    cls = get_exporter("cxwebpdf")
    assert cls is CXWebPDFExporter
    exporter = cls(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    pdf, _ = exporter.from_filename(str(tiny_report.directory / "notebooks" / "en" / "tiny.ipynb"))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4, not Letter (612 x 792)


def test_kernelspec_for_this_interpreter_even_when_prefix_is_read_only(tmp_path, monkeypatch):
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    from cxresearch.report.kernel import ensure_kernel

    name = ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec(name)
    assert spec.argv[0] == sys.executable
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(sys, "prefix", str(blocker))  # <prefix>/share cannot be created
    monkeypatch.setenv("JUPYTER_PATH", "")
    fallback = ensure_kernel()
    assert fallback == name
    assert os.environ["JUPYTER_PATH"]
    assert KernelSpecManager().get_kernel_spec(fallback).argv[0] == sys.executable


def test_chapters_without_their_data_are_left_out_or_refused(tmp_path):
    from cxresearch.report.run import plan_notebooks

    demo = synth.generate(seed=5, n_customers=300, n_waves=4, first_wave=2022)
    paths = synth.write(demo, tmp_path / "files")
    survey_only = [p for k, p in paths.items() if k.startswith("survey_")]
    with Store(tmp_path / "s.duckdb") as st:
        st.import_files(survey_only, client="solo", codebook=codebook.load(paths["codebook"]))
    base = {
        "client": "solo",
        "client_name": {"zh": "独", "en": "Solo"},
        "period": "2025",
        "data": {"store": str(tmp_path / "s.duckdb")},
    }
    params = load_params(base)
    planned, skipped = plan_notebooks(params, params.data.store)
    assert planned.notebooks == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "06_alerts_text",
        "09_appendix",
    ]
    assert [s.split(":")[0] for s in skipped] == ["04_persistence", "05_loyalty", "07_employee"]
    assert "no customers (CRM) data for client 'solo'" in skipped[0]
    assert "no employees data for client 'solo'" in skipped[2]
    explicit = load_params({**base, "notebooks": ["02_kpis", "05_loyalty"]})
    with pytest.raises(
        ParamsError, match=r"notebooks: 05_loyalty cannot run: no customers \(CRM\) data"
    ):
        plan_notebooks(explicit, explicit.data.store)


def test_first_wave_client_report_leaves_out_what_needs_history(tmp_path):
    """A new client's first study: one survey wave (and its CRM extract). The persistence chapter is
    left out with its reason (refused when listed), the back-test says there is not enough history."""
    demo = synth.generate(seed=7, n_customers=300, n_waves=4, first_wave=2022)
    paths = synth.write(demo, tmp_path / "files")
    with Store(tmp_path / "one.duckdb") as st:
        st.import_files(
            [paths["survey_2025"], paths["customers"]],
            client="one",
            codebook=codebook.load(paths["codebook"]),
        )
    over = {
        "client": "one",
        "data": {"store": "one.duckdb"},
        "notebook_dir": None,
        "output": {"formats": ["html"], "dir": "reports"},
    }
    listed = _params(tmp_path, "listed", **over, notebooks=["06_alerts_text", "04_persistence"])
    with pytest.raises(
        ParamsError,
        match=r"notebooks: 04_persistence cannot run: 1 wave; the lag profile "
        r"needs at least max_lag \+ 2 = 7 waves",
    ):
        run_report(listed)
    assert not (tmp_path / "reports").exists()  # refused before papermill

    result = run_report(_params(tmp_path, "one", **over, notebooks=None))
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert manifest["skipped_notebooks"] == [
        "04_persistence: 1 wave; the lag profile needs at least max_lag + 2 = 7 waves: no persistence analysis",
        "07_employee: no employees data for client 'one': no engagement chapter",
    ]
    assert [p.stem for p in result.notebooks] == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "05_loyalty",
        "06_alerts_text",
        "09_appendix",
    ]
    sections = {
        c["chapter"]: {s["section"]: s for s in c["sections"]} for c in manifest["plan"]["chapters"]
    }
    backtest = sections["06_alerts_text"]["backtest"]
    assert (
        not backtest["runs"]
        and "no earlier wave with a known churn outcome" in backtest["reason"]["en"]
    )
    assert (
        not sections["02_kpis"]["trend"]["runs"]
        and "one wave (2025)" in sections["02_kpis"]["trend"]["reason"]["en"]
    )
    html = result.html.read_text(encoding="utf-8")
    assert (
        "Do the alerts predict churn?" not in html
    )  # the plan left the back-test out, heading and all
    assert "Back-test of the alert rules against churn" not in html
    assert "Scope of this report" in html and "no earlier wave with a known churn outcome" in html
