"""Study shapes: the report follows the data it is given (issue 12).

Each shape is a small study built from the synthetic generator, or from public survey data nobody here
generated (statsmodels' ``anes96``: the 1996 American National Election Study, 7-point scales, written
to an SPSS ``.sav`` with -99 declared as user-missing). Each renders a report (HTML + workbook; one
shape also PDF) and is checked for:

- a finished run (the runner returns; the CLI's exit 0 is checked for one shape);
- no warning or traceback text in the report;
- no section the plan leaves out: its tables are absent from ``tables.xlsx``, a left-out chapter's
  title is absent from the HTML, the scope paragraph names the reason;
- one statistic recomputed independently from the raw frame with numpy (the weighted top-two-box
  share of the outcome in the focus wave, scale-aware: 6–7 on a 1–7 scale, 9–10 on 0–10 or 1–10)
  equal to the number in ``tables.xlsx`` (tolerance 1e-9), and the base n.

The ``.sav`` shape has no respondent id and no wave column, as client exports come: the import sets
the wave (``import --wave``) and generates the ids.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxresearch import codebook, synth
from cxresearch.report import ParamsError, run_report
from cxresearch.report.plan import TITLES
from cxresearch.store import Store
from cxresearch.tables import word

pytestmark = [pytest.mark.report, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
FIRST, N_WAVES = 2021, 5
FOCUS = FIRST + N_WAVES - 1

#: tables each section writes (sheet names of tables.xlsx)
SECTION_TABLES = {
    ("09_appendix", "segments"): ["bases_by_segment"],
    ("02_kpis", "nps"): ["nps_trend", "nps_by_segment", "nps_differences"],
    ("02_kpis", "wave_tests"): ["nps_trend", "satisfaction_trend"],
    ("02_kpis", "segments"): [
        "satisfaction_by_segment",
        "nps_by_segment",
        "satisfaction_differences",
    ],
    ("03_drivers", "drivers"): ["driver_importance"],
    ("03_drivers", "processes"): ["process_importance"],
    ("04_persistence", "loyalty_horizon"): ["lags_loyalty"],
    ("04_persistence", "process_horizon"): ["lags_process"],
    ("04_persistence", "churn"): ["churn_by_run"],
    ("05_loyalty", "ladder"): ["loyalty_ladder"],
    ("05_loyalty", "retention"): ["retention"],
    ("05_loyalty", "transfers"): ["transfer_penalty"],
    ("06_alerts_text", "alerts"): ["alerts"],
    ("06_alerts_text", "backtest"): ["alert_backtest"],
    ("06_alerts_text", "themes"): ["comment_themes"],
    ("07_employee", "engagement"): ["engagement"],
    ("07_employee", "programme"): ["programme_did"],
    ("07_employee", "linkage"): ["engagement_linkage"],
    ("09_appendix", "reliability"): ["reliability"],
    ("09_appendix", "diagnostics"): ["driver_diagnostics"],
}
CHAPTER_OF_TABLE = {}
for (_ch, _sec), _names in SECTION_TABLES.items():
    for _n in _names:
        CHAPTER_OF_TABLE.setdefault(_n, _ch)


# -- building the shapes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base():
    return synth.generate(seed=12, n_customers=450, n_waves=N_WAVES, first_wave=FIRST)


def _drop_vars(book: dict, names) -> dict:
    return {**book, "variables": [v for v in book["variables"] if v["name"] not in set(names)]}


def _set_var(book: dict, name: str, **changes) -> dict:
    out = []
    for v in book["variables"]:
        if v["name"] == name:
            v = {**v, **changes}
            v = {k: x for k, x in v.items() if x is not None}
        out.append(v)
    return {**book, "variables": out}


def _rescale(frame: pd.DataFrame, cols, lo, hi, new_lo, new_hi) -> pd.DataFrame:
    frame = frame.copy()
    for c in cols:
        x = frame[c]
        frame[c] = np.round(new_lo + (x - lo) * (new_hi - new_lo) / (hi - lo))
    return frame


DRIVER_ITEMS = [
    "product_quality",
    "price_value",
    "channel_ease",
    "competitor_compare",
    "svc_courtesy",
    "svc_competence",
    "svc_responsiveness",
    "exp_need",
    "exp_convenience",
    "exp_emotion",
]
PROCESS_ITEMS = ["proc_sales", "proc_service", "proc_parts", "proc_financing"]


def _with_codes(responses: pd.DataFrame, missing: pd.DataFrame) -> pd.DataFrame:
    """Put the declared missing codes back into the answers (as the files hold them)."""
    out = responses.copy()
    for variable, part in missing.groupby("variable"):
        if variable in out:
            codes = part.set_index(["respondent_id", "wave"])["code"]
            key = pd.MultiIndex.from_frame(out[["respondent_id", "wave"]])
            hit = codes.reindex(key).to_numpy()
            out[variable] = np.where(pd.notna(hit), hit, out[variable])
    return out


def _shape(name: str, demo) -> dict:
    """One study shape: responses (missing codes put back), codebook, CRM / employees, params."""
    shape = _shape_frames(name, demo)
    shape["raw"] = shape["responses"]
    shape["responses"] = shape["responses"]  # NaN where an answer was a missing code (for numpy)
    shape["file"] = _with_codes(shape["responses"], demo.missing)
    return shape


def _shape_frames(name: str, demo) -> dict:
    r, book = demo.responses.copy(), dict(demo.codebook)
    crm, emp = demo.customers, demo.employees
    over: dict = {"variables": {"weight": "weight"}}
    lang, formats = "en", ["html", "xlsx"]
    outcome, scale = "overall_sat", (0, 10)
    if name == "demo":
        emp_out = emp
        over["programme"] = {"units": [2, 5, 7], "start": FIRST + 2}
        lang = "zh"
        return dict(
            responses=r,
            book=book,
            crm=crm,
            emp=emp_out,
            over=over,
            lang=lang,
            formats=formats,
            outcome=outcome,
            scale=scale,
        )
    if name == "one_wave":
        r = r[r["wave"] == FOCUS]
        formats = ["html", "pdf", "xlsx"]
    elif name == "no_nps":
        r, book = r.drop(columns="recommend"), _drop_vars(book, ["recommend"])
    elif name == "scale_1_7":
        r = _rescale(r, DRIVER_ITEMS + PROCESS_ITEMS, 1, 5, 1, 7)
        r = _rescale(r, ["overall_sat", "repurchase", "recommend"], 0, 10, 1, 7)
        for item in DRIVER_ITEMS + PROCESS_ITEMS:
            book = _set_var(book, item, min=1, max=7)
        for item in ("overall_sat", "repurchase"):
            book = _set_var(book, item, kind="likert", min=1, max=7)
        book = _set_var(
            book, "recommend", kind="likert", min=1, max=7
        )  # a 1-7 recommend item: no NPS
        over["thresholds"] = {"dissatisfied_cut": 3, "early_warning": 3}
        scale = (1, 7)
    elif name == "scale_1_10":
        r = _rescale(r, DRIVER_ITEMS + PROCESS_ITEMS, 1, 5, 1, 10)
        r = _rescale(r, ["overall_sat", "repurchase", "recommend"], 0, 10, 1, 10)
        for item in DRIVER_ITEMS + PROCESS_ITEMS:
            book = _set_var(book, item, min=1, max=10)
        for item in ("overall_sat", "repurchase", "recommend"):
            book = _set_var(book, item, kind="rating", min=1, max=10)
        scale = (1, 10)
    elif name == "no_segments":
        r, book = r.drop(columns=["branch", "segment"]), _drop_vars(book, ["branch", "segment"])
    elif name == "no_weights":
        r, book = r.drop(columns="weight"), _drop_vars(book, ["weight"])
        over["variables"] = {"weight": None}
    elif name == "no_crm":
        crm = None
    elif name == "no_processes":
        r, book = r.drop(columns=PROCESS_ITEMS), _drop_vars(book, PROCESS_ITEMS)
    elif name == "comments_en":
        zh = demo.comments.loc[demo.comments["lang"] == "zh", ["respondent_id"]]
        r.loc[r["respondent_id"].isin(zh["respondent_id"]), "comment"] = ""
    elif name == "labels_zh":

        def zh_only(v):
            v = dict(v)
            if v.get("label"):
                v["label"] = {"zh": v["label"].get("zh") or v["name"]}
            if v.get("values"):
                v["values"] = {k: {"zh": lab.get("zh") or str(k)} for k, lab in v["values"].items()}
            return v

        book = {**book, "variables": [zh_only(v) for v in book["variables"]]}
    else:
        raise KeyError(name)
    return dict(
        responses=r,
        book=book,
        crm=crm,
        emp=None,
        over=over,
        lang=lang,
        formats=formats,
        outcome=outcome,
        scale=scale,
    )


SYNTH_SHAPES = [
    "demo",
    "one_wave",
    "no_nps",
    "scale_1_7",
    "scale_1_10",
    "no_segments",
    "no_weights",
    "no_crm",
    "no_processes",
    "comments_en",
    "labels_zh",
]


def _params(folder: Path, client: str, *, lang: str, formats, over: dict, first_wave=None) -> Path:
    p = {
        "client": client,
        "client_name": {"zh": f"客户{client}", "en": f"Client {client}"},
        "period": str(FOCUS) if first_wave is None else str(first_wave),
        "language": lang,
        "data": {"store": "study.duckdb"},
        "output": {"formats": formats, "dir": "reports"},
        "notebook_dir": str(NB_DIR),
        "analysis": {"n_boot": 50, "max_lag": 2, "seed": 7},
    }
    if first_wave is None:
        p["first_wave"] = FIRST
    for key, value in over.items():
        p[key] = (
            {**p.get(key, {}), **value}
            if isinstance(value, dict) and isinstance(p.get(key), dict)
            else value
        )
    path = folder / f"{client}.yaml"
    path.write_text(yaml.safe_dump(p, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def studies(tmp_path_factory, base):
    """One store, one client per shape; returns {shape: (params path, shape dict)}."""
    folder = tmp_path_factory.mktemp("shapes")
    out = {}
    with Store(folder / "study.duckdb") as st:
        for name in SYNTH_SHAPES:
            shape = _shape(name, base)
            files = folder / name
            files.mkdir()
            (files / "codebook.yaml").write_text(
                yaml.safe_dump(shape["book"], allow_unicode=True), encoding="utf-8"
            )
            paths = [files / "survey.parquet"]
            shape["file"].to_parquet(paths[0], index=False)
            if shape["crm"] is not None:
                paths.append(files / "customers.parquet")
                shape["crm"].to_parquet(paths[-1], index=False)
            if shape["emp"] is not None:
                paths.append(files / "employees.parquet")
                shape["emp"].to_parquet(paths[-1], index=False)
            st.import_files(
                [str(p) for p in paths],
                client=name,
                codebook=codebook.load(files / "codebook.yaml"),
            )
            out[name] = (
                _params(
                    folder, name, lang=shape["lang"], formats=shape["formats"], over=shape["over"]
                ),
                shape,
            )
        anes = _anes_shape(folder / "anes")
        st.import_files(
            [str(anes["sav"])], client="anes96", codebook=codebook.load(anes["codebook"]), wave=1996
        )
        out["anes96"] = (
            _params(
                folder,
                "anes96",
                lang="en",
                formats=["html", "xlsx"],
                over=anes["over"],
                first_wave=1996,
            ),
            anes,
        )
    return out


def _anes_shape(folder: Path) -> dict:
    """The 1996 ANES (statsmodels): 944 respondents, 7-point scales; -99 user-missing in a .sav without
    respondent id or wave columns."""
    import pyreadstat
    from statsmodels.datasets import anes96

    folder.mkdir()
    raw = anes96.load_pandas().data
    df = pd.DataFrame(
        {
            "ClinLR": raw["ClinLR"].astype(float),
            "DoleLR": raw["DoleLR"].astype(float),
            "selfLR": raw["selfLR"].astype(float),
            "PID": raw["PID"].astype(float),
            "TVnews": raw["TVnews"].astype(float),
            "educ": raw["educ"].astype(float),
            "vote": raw["vote"].astype(float),
        }
    )
    rng = np.random.default_rng(96)
    truth = df.assign(wave=1996)
    for col in (
        "ClinLR",
        "DoleLR",
    ):  # a few answers recorded as -99 (system missing), as real exports do
        hit = rng.random(len(df)) < 0.05
        df.loc[hit, col] = -99
        truth.loc[hit, col] = np.nan
    sav = folder / "anes96.sav"
    pyreadstat.write_sav(
        df,
        str(sav),
        missing_ranges={"ClinLR": [-99], "DoleLR": [-99]},
        variable_value_labels={"vote": {0: "Clinton", 1: "Dole"}},
    )
    edu = {
        1: "1-8 grades",
        2: "Some high school",
        3: "High school",
        4: "Some college",
        5: "Community college",
        6: "BA degree",
        7: "Postgraduate",
    }
    book = {
        "study": "anes96",
        "version": "1",
        "missing_codes": [{"code": -99, "meaning": "system", "label": {"en": "System missing"}}],
        "variables": [
            {
                "name": "ClinLR",
                "kind": "likert",
                "min": 1,
                "max": 7,
                "role": "outcome",
                "label": {"en": "Clinton left-right placement"},
            },
            {
                "name": "DoleLR",
                "kind": "likert",
                "min": 1,
                "max": 7,
                "role": "driver",
                "label": {"en": "Dole left-right placement"},
            },
            {
                "name": "selfLR",
                "kind": "likert",
                "min": 1,
                "max": 7,
                "role": "driver",
                "label": {"en": "Own left-right placement"},
            },
            {
                "name": "PID",
                "kind": "likert",
                "min": 0,
                "max": 6,
                "role": "driver",
                "label": {"en": "Party identification"},
            },
            {
                "name": "TVnews",
                "kind": "numeric",
                "min": 0,
                "max": 7,
                "role": "driver",
                "label": {"en": "Days watching TV news"},
            },
            {
                "name": "educ",
                "kind": "category",
                "role": "segment",
                "label": {"en": "Education"},
                "values": {k: {"en": v} for k, v in edu.items()},
            },
            {
                "name": "vote",
                "kind": "category",
                "role": "segment",
                "label": {"en": "Vote"},
                "values": {0: {"en": "Clinton"}, 1: {"en": "Dole"}},
            },
        ],
    }
    path = folder / "codebook.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return dict(
        sav=sav,
        codebook=path,
        responses=truth,
        over={},
        outcome="ClinLR",
        scale=(1, 7),
        lang="en",
        formats=["html", "xlsx"],
    )


# -- checks -------------------------------------------------------------------------------------------


def _sheets(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _top_two(shape: dict, focus: int) -> tuple[float, int]:
    frame = shape["responses"]
    frame = frame[frame["wave"] == focus]
    y = frame[shape["outcome"]].to_numpy(dtype=float)
    w = (
        frame["weight"].to_numpy(dtype=float)
        if "weight" in frame and shape["over"].get("variables", {}).get("weight")
        else np.ones(len(frame))
    )
    ok = ~np.isnan(y)
    return float(np.average(y[ok] >= shape["scale"][1] - 1, weights=w[ok])), int(ok.sum())


ALL_SHAPES = [*SYNTH_SHAPES, "anes96"]


@pytest.mark.parametrize("name", ALL_SHAPES)
def test_shape_renders_a_report_that_follows_its_plan(studies, name):
    import json

    params_path, shape = studies[name]
    result = run_report(params_path)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    plan = manifest["plan"]
    html = result.html.read_text(encoding="utf-8")
    text = _visible(html)
    for bad in ("Traceback", "Warning", "Error", "warnings.warn", "nan%", "None"):
        assert bad not in text, f"{name}: {bad!r} in the report"
    sheets = _sheets(result.tables)
    left_out = [(c["chapter"], None) for c in plan["chapters"] if not c["runs"]]
    left_out += [
        (c["chapter"], s["section"])
        for c in plan["chapters"]
        if c["runs"]
        for s in c["sections"]
        if not s["runs"]
    ]
    running_tables = {
        t
        for (ch, sec), names in SECTION_TABLES.items()
        for t in names
        if (ch, None) not in left_out and (ch, sec) not in left_out
    }
    for ch, sec in left_out:
        names = [
            t
            for (c, s), ts in SECTION_TABLES.items()
            for t in ts
            if c == ch and (sec is None or s == sec)
        ]
        for table in names:
            if table not in running_tables:
                assert table not in sheets, (
                    f"{name}: {ch}/{sec} left out but table {table!r} is in tables.xlsx"
                )
        if sec is None:
            title = TITLES[ch][shape["lang"]]
            assert f">{title}" not in html, (
                f"{name}: chapter {ch} left out but its title is in the report"
            )
    # the appendix describes only the methods that ran (the key-messages paragraph named churn and alert
    # tests on one-wave surveys without CRM data)
    methods = {
        ("04_persistence", "churn"): ("Cochran",),
        ("06_alerts_text", "backtest"): ("提升度区间", "lift interval"),
        ("03_drivers", "drivers"): ("Shapley",),
    }
    for (ch, sec), words in methods.items():
        if (ch, None) in left_out or (ch, sec) in left_out:
            for w in words:
                assert w not in text, f"{name}: {ch}/{sec} left out but the appendix names {w!r}"
    # the scope paragraph says why
    scope = "报告范围" if shape["lang"] == "zh" else "Scope of this report"
    assert scope in text
    # one statistic against numpy: weighted top-two box of the outcome in the focus wave
    focus = int(plan["facts"]["wave"])
    expected, n = _top_two(shape, focus)
    rows = sheets["top_box"]
    header, first = rows[1], rows[2]  # title, header, then the outcome's row (the first KPI)
    got = first[header.index(word("estimate", shape["lang"]))]
    assert got == pytest.approx(expected, abs=1e-9), (
        f"{name}: top-two box {got} vs numpy {expected}"
    )
    assert int(first[header.index(word("n", shape["lang"]))]) == n


def _visible(html: str) -> str:
    import html as h
    import re

    s = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return h.unescape(re.sub(r"<[^>]+>", " ", s))


def test_plans_of_the_shapes(studies):
    """What each shape leaves out, and why (the plan alone: no notebook runs)."""
    from cxresearch.report import study_plan

    plans = {name: study_plan(studies[name][0]) for name in ALL_SHAPES}
    demo = plans["demo"]
    assert demo.notebooks == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "04_persistence",
        "05_loyalty",
        "06_alerts_text",
        "07_employee",
        "09_appendix",
    ]
    assert not demo.left_out()
    one = plans["one_wave"]
    assert not one.runs("02_kpis", "trend") and "one wave" in one.reason("02_kpis", "trend")
    assert not one.runs("04_persistence") and one.runs("05_loyalty")
    assert not one.runs("00_summary", "trend") and one.runs("00_summary", "dashboard")
    assert "no earlier wave with a known churn outcome" in one.reason("06_alerts_text", "backtest")
    for name in ("no_nps", "scale_1_7", "scale_1_10", "anes96"):
        assert plans[name].variables.nps is None
        assert plans[name].reason("02_kpis", "nps") == "no 0–10 recommend item: no NPS"
        assert plans[name].runs("02_kpis", "top_box")
    assert (
        plans["scale_1_7"].variables.loyalty == "recommend"
    )  # the 1-7 recommend item serves as loyalty
    seg = plans["no_segments"]
    assert seg.variables.by == () and not seg.runs("02_kpis", "segments")
    assert "totals only" in seg.reason("02_kpis", "segments")
    assert not seg.runs("00_summary", "scorecard") and seg.runs("00_summary", "priorities")
    assert not seg.runs("06_alerts_text", "alerts")
    assert plans["no_weights"].variables.weight is None
    crm = plans["no_crm"]
    assert crm.notebooks == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "06_alerts_text",
        "09_appendix",
    ]
    assert "no customers (CRM) data" in crm.reason("06_alerts_text", "backtest")
    proc = plans["no_processes"]
    assert not proc.runs("03_drivers", "processes") and "no process drivers" in proc.reason(
        "03_drivers", "processes"
    )
    assert not proc.runs("04_persistence", "process_horizon")
    assert plans["comments_en"].runs("06_alerts_text", "themes")
    anes = plans["anes96"]
    assert anes.notebooks == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "09_appendix",
    ]
    assert anes.variables.drivers == ("DoleLR", "selfLR", "PID", "TVnews")
    assert anes.variables.by == ("educ", "vote")
    assert not anes.runs("03_drivers", "processes") and anes.runs("01_data_quality", "missing")


def test_recommend_item_on_seven_points_is_refused_as_nps_before_papermill(studies):
    params_path, _ = studies["anes96"]
    raw = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    raw["variables"] = {"nps": "DoleLR", "by": ["selfLR"]}
    bad = params_path.with_name("anes_bad.yaml")
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        run_report(bad, out_root=params_path.parent / "bad_reports")
    msg = str(info.value)
    assert "variables.nps: 'DoleLR' is likert on 1–7; NPS needs a 0–10 recommend item" in msg
    assert "may serve as variables.loyalty or as a top-box measure" in msg
    assert "the codebook has no 0–10 item: set variables.nps: null" in msg
    assert (
        "variables.by[0]: 'selfLR' is likert on 1–7; segments must be category (or binary) variables"
        in msg
    )
    assert not (params_path.parent / "bad_reports").exists()


def test_cli_plan_prints_without_running_and_run_exits_zero(studies, tmp_path):
    params_path, _ = studies["no_crm"]
    exe = str(Path(sys.executable).parent / "cxresearch")
    done = subprocess.run(
        [exe, "run", "--plan", str(params_path), "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Study plan: no_crm" in done.stdout
    assert "[skip] 05_loyalty" in done.stdout and "no customers (CRM) data" in done.stdout
    assert "[skip] backtest" in done.stdout
    assert not (tmp_path / "r").exists()  # --plan runs nothing and writes nothing
    done = subprocess.run(
        [exe, "run", str(params_path), "--out", str(tmp_path / "r"), "--formats", "html"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "chapter left out: 05_loyalty: no customers (CRM) data" in done.stdout
    assert list((tmp_path / "r" / "no_crm" / str(FOCUS)).glob("report*.html"))
