"""The report's survey design when the params rake (issue 14): calibration-aware SEs.

``Study.design_for(frame)`` gives the waves' rakes restricted to the frame's rows. References:

* a brute-force linearisation written here: the domain mean's influence values ``z = w u``
  residualised on the raking margins as R's ``svyrecvar`` does for a raked design,
  ``e = w (u - X b)`` with ``b`` the least-squares fit of ``u`` on the margins' dummies ``X`` (R
  reaches that projection by ten back-fitting passes ``x - w * ave(x / w, margin)``), variance
  ``n/(n-1) Σ (e - ē)²`` (R ``ids = ~1``);
* the wave raked on its own by ``cx.survey.rake`` and passed as ``weights=`` (that path is tested
  against R ``rake`` + ``svyby`` in ``tests/test_survey_issue14.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import cxresearch as cx
from cxresearch import codebook, synth
from cxresearch.errors import CXValueError
from cxresearch.report import open_study, run_report
from cxresearch.store import Store

SEGMENT = {1: 0.3, 2: 0.7}
BRANCH = {
    b: s for b, s in zip(range(1, 9), (0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1), strict=True)
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("design_study")
    study = synth.generate(seed=11, n_customers=300, n_waves=4, first_wave=2022)
    paths = synth.write(study, folder / "alpha")
    files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    with Store(folder / "study.duckdb") as st:
        st.import_files(files, client="alpha", codebook=codebook.load(paths["codebook"]))
    return folder


def _params(folder: Path, name: str, raking, *, notebooks=("02_kpis",), thresholds=None) -> Path:
    variables = {"by": ["branch"], "weight": "weight"}
    if raking is not None:
        variables["raking"] = raking
    raw = {
        "client": "alpha",
        "client_name": {"zh": "阿尔法机械", "en": "Alpha Machinery"},
        "period": "2025",
        "language": "en",
        "data": {"store": "study.duckdb"},
        "variables": variables,
        "notebooks": list(notebooks),
        "output": {"formats": ["html"], "dir": "reports"},
    }
    if thresholds:
        raw["thresholds"] = thresholds
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _dummies(frame: pd.DataFrame, cols) -> np.ndarray:
    return np.column_stack(
        [(frame[c].to_numpy() == v).astype(float) for c in cols for v in sorted(frame[c].unique())]
    )


def _calibrated_domain_se(y, w, dom, X) -> np.ndarray:
    """Brute force: SE of each domain's weighted mean, influence values residualised on ``X``."""
    n = len(y)
    out = []
    for d in np.unique(dom):
        inside = dom == d
        mean = (w * y)[inside].sum() / w[inside].sum()
        z = np.where(inside, w * (y - mean) / w[inside].sum(), 0.0)
        # e = w (u - X b), u = z / w, b the least-squares fit of u on X
        u = z / w
        b = np.linalg.lstsq(X, u, rcond=None)[0]
        e = w * (u - X @ b)
        out.append(np.sqrt(n / (n - 1) * ((e - e.mean()) ** 2).sum()))
    return np.array(out)


@pytest.mark.parametrize("margins", ["segment", "segment+branch"])
def test_segment_mean_se_is_calibration_aware(folder, margins):
    raking = (
        {"segment": SEGMENT} if margins == "segment" else {"segment": SEGMENT, "branch": BRANCH}
    )
    study = open_study(_params(folder, f"rake_{margins}", raking), style=False)
    cur = study.current()
    design = study.design_for(cur)
    rake = design["weights"]
    assert isinstance(rake, cx.survey.RakeResult) and rake.weights.index.equals(cur.index)
    np.testing.assert_allclose(rake.weights, cur["raked_weight"], rtol=0, atol=1e-12)
    assert {k: v for k, v in design.items() if k != "weights"} == {
        k: v for k, v in study.design.items() if k != "weights"
    }
    est = cx.survey.mean(cur, score="overall_sat", by="branch", **design)

    # brute force on the same rows: the current wave's raking margins
    y = cur["overall_sat"].to_numpy(float)
    w = cur["raked_weight"].to_numpy(float)
    dom = cur["branch"].to_numpy()
    se = _calibrated_domain_se(y, w, dom, _dummies(cur, list(raking)))
    got = est.set_index("branch").loc[np.unique(dom)]
    np.testing.assert_allclose(
        got["estimate"],
        [(w * y)[dom == d].sum() / w[dom == d].sum() for d in np.unique(dom)],
        rtol=1e-12,
    )
    # (with two margins R's ten back-fitting passes reach the projection to about 1e-12 here)
    np.testing.assert_allclose(got["se"], se, rtol=1e-9)

    # the wave raked on its own by cx.survey.rake (tested against R) gives the same numbers
    own = cx.survey.rake(cur, margins=raking, weights="weight")
    ref = cx.survey.mean(cur, score="overall_sat", by="branch", **{**design, "weights": own})
    np.testing.assert_allclose(est["se"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(est["estimate"], ref["estimate"], rtol=1e-12)

    # and it is not the fixed-weights SE of study.design on the same data (measured: fixed/calibrated
    # 1.0000-1.0027 raked on segment, 0.911-0.9999 on segment and branch)
    fixed = cx.survey.mean(cur, score="overall_sat", by="branch", **study.design)
    np.testing.assert_allclose(fixed["estimate"], est["estimate"], rtol=1e-12)
    assert np.abs(fixed["se"].to_numpy() / est["se"].to_numpy() - 1).max() > 1e-3


def test_design_for_the_whole_window_is_the_stacked_rake(folder):
    study = open_study(_params(folder, "rake_all", {"segment": SEGMENT}), style=False)
    resp = study.responses()
    shuffled = resp.sample(frac=1.0, random_state=3).reset_index(drop=True)  # any order, any index
    a = cx.survey.mean(resp, score="overall_sat", by="wave", **study.design_for(resp))
    b = cx.survey.mean(shuffled, score="overall_sat", by="wave", **study.design_for(shuffled))
    wave_design = {k: v for k, v in study.wave_design.items() if k != "respondent"}
    c = cx.survey.mean(resp, score="overall_sat", by="wave", **wave_design)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-10)
    np.testing.assert_allclose(a["se"], c["se"], rtol=1e-12)


def test_design_for_refuses_part_of_a_wave_and_foreign_rows(folder):
    study = open_study(_params(folder, "rake_refuse", {"segment": SEGMENT}), style=False)
    cur = study.current()
    with pytest.raises(
        CXValueError, match=r"responses of wave 2025; the raking calibrates whole waves"
    ):
        study.design_for(cur[cur["branch"] == 1])
    with pytest.raises(CXValueError, match="no 'respondent_id' column"):
        study.design_for(cur.drop(columns="respondent_id"))
    with pytest.raises(CXValueError, match="not among the study's responses"):
        study.design_for(cur.assign(respondent_id="nobody"))


def test_design_for_without_raking_is_the_design(folder):
    study = open_study(_params(folder, "norake", None), style=False)
    cur = study.current()
    assert study.design_for(cur) == study.design
    assert study.design["weights"] == "weight"
    est = cx.survey.mean(cur, score="overall_sat", by="branch", **study.design_for(cur))
    assert est["se"].notna().all()


@pytest.mark.slow
def test_the_reports_segment_tables_carry_the_calibrated_intervals(folder):
    """Chapter 02 passes ``study.design_for(study.current())``: the segment table's interval in
    tables.xlsx is the calibrated one (the brute force above), not the fixed-weights one."""
    from openpyxl import load_workbook

    raking = {"segment": SEGMENT, "branch": BRANCH}
    path = _params(folder, "rake_report", raking)
    result = run_report(path, formats=["html", "xlsx"])
    study = open_study(path, style=False)
    cur = study.current()
    calibrated = cx.survey.mean(cur, score="overall_sat", by="branch", **study.design_for(cur))
    fixed = cx.survey.mean(cur, score="overall_sat", by="branch", **study.design)
    rows = list(load_workbook(result.tables)["satisfaction_by_segment"].iter_rows(values_only=True))
    header = rows[1]
    lo = header.index("CI lower")
    got = [r[lo] for r in rows[2 : 2 + len(calibrated)]]
    np.testing.assert_allclose(got, calibrated["ci_lower"], rtol=1e-12)
    assert np.abs(np.asarray(got) - fixed["ci_lower"].to_numpy()).max() > 1e-6


@pytest.mark.slow
def test_the_summarys_scorecard_carries_the_calibrated_intervals(folder):
    """The executive summary passes ``study.design_for(study.current())`` to the segment
    scorecard: the segment-vs-Total intervals of its findings (findings.json) are those of the
    calibrated test (``cx.findings.scorecard`` on the wave's rake, tested against R in
    ``tests/test_findings_scorecard.py``), not those of the raked weights held fixed."""
    import json

    raking = {"segment": SEGMENT, "branch": BRANCH}
    # min_base 5: this small study's clearest gap (branch 8 on NPS, p_adj < 1e-4) rests on 6
    # respondents; the default 30 would leave the summary without a segment finding to check
    path = _params(
        folder,
        "rake_summary",
        raking,
        notebooks=["00_summary", "02_kpis"],
        thresholds={"min_base": 5, "anonymity_min": 5},
    )
    result = run_report(path, formats=["html"])
    study = open_study(path, style=False)
    cur = study.current()
    kw = {"kpis": study.headline_kpis, "by": study.segment, "correction": "holm"}
    calibrated = cx.findings.scorecard(cur, **kw, **study.design_for(cur)).frame
    fixed = cx.findings.scorecard(cur, **kw, **study.design).frame
    assert calibrated["significant"].any()
    gaps = [f for f in json.loads(result.findings.read_text()) if f["kind"] == "segment_gap"]
    assert len(gaps) == int(calibrated["significant"].sum())
    for f in gaps:
        at = (calibrated["score"] == f["variable"]) & (calibrated["level"] == f["details"]["level"])
        row, old = calibrated[at].iloc[0], fixed[at].iloc[0]
        assert row["significant"]
        np.testing.assert_allclose(
            [f["ci_lower"], f["ci_upper"]], [row["ci_lower"], row["ci_upper"]], rtol=1e-12
        )
        assert abs(f["ci_lower"] - old["ci_lower"]) > 1e-3 * abs(old["ci_upper"] - old["ci_lower"])
    # over the whole card the calibrated SEs are not the fixed ones (measured: ratio 0.95-1.20)
    assert np.abs(calibrated["se"] / fixed["se"] - 1).max() > 0.05
