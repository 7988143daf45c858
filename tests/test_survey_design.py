"""cx.survey.Design: the design as one immutable object, accepted as ``design=`` everywhere.

The numbers are checked against the R oracle cases of tests/test_survey_r.py
(tests/reference/survey/survey.json, R survey 4.1-1): ``design=Design(...)`` must give the R
numbers (relative 1e-6, as there) and frames identical to the keyword form.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import cxresearch as cx
import cxresearch.survey as sv
from _survey_helpers import REF, RTOL
from cxresearch.errors import CXValueError
from cxresearch.survey import Design

CASES = {c["id"]: c for c in json.loads((REF / "survey.json").read_text())}
DESIGNS = {  # the svydesign calls of the oracle (see test_survey_r.py)
    "srs_w": ("apisrs", dict(weights="pw")),
    "srs_fpc": ("apisrs", dict(weights="pw", fpc="fpc")),
    "strat": ("apistrat", dict(weights="pw", strata="stype")),
    "strat_fpc": ("apistrat", dict(weights="pw", strata="stype", fpc="fpc")),
    "clus1": ("apiclus1", dict(weights="pw", cluster="dnum")),
    "clus1_fpc": ("apiclus1", dict(weights="pw", cluster="dnum", fpc="fpc")),
}
#: every public survey function that takes a design
TAKES_DESIGN = (
    "mean",
    "proportion",
    "total",
    "nps",
    "top_box",
    "bottom_box",
    "csat",
    "difference",
    "chisq",
    "trend",
    "crosstab",
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def load(name):
    return pd.read_csv(REF / f"{name}.csv")


@pytest.mark.parametrize("d", DESIGNS)
def test_design_object_gives_the_r_numbers_and_the_keyword_numbers(d):
    name, kw = DESIGNS[d]
    df = load(name)
    design = Design(**kw)
    # svymean(~api00, d)
    m = sv.mean(df, score="api00", design=design)
    ref = CASES[f"mean_api00_{d}"]["values"]
    np.testing.assert_allclose(m["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(m["se"], ref["se"], rtol=RTOL)
    pd.testing.assert_frame_equal(m, sv.mean(df, score="api00", **kw))
    # svyby(~api00, ~stype, d, svymean)
    b = sv.mean(df, score="api00", by="stype", design=design)
    np.testing.assert_allclose(b["se"], CASES[f"by_stype_api00_{d}"]["values"]["se"], rtol=RTOL)
    pd.testing.assert_frame_equal(b, sv.mean(df, score="api00", by="stype", **kw))
    # svytotal(~enroll, d, na.rm=TRUE)
    t = sv.total(df, score="enroll", design=design)
    np.testing.assert_allclose(t["se"], CASES[f"total_enroll_{d}"]["values"]["se"], rtol=RTOL)
    # svyciprop(~I(sch.wide=='Yes'), d, method='logit')
    p = sv.proportion(df, score="sch.wide", level="Yes", design=design)
    ref = CASES[f"ciprop_logit_schwide_{d}"]["values"]
    for col in ("estimate", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(p[col], ref[col], rtol=RTOL)
    # svyttest(api00 ~ sch.wide, d)
    r = sv.difference(df, score="api00", by="sch.wide", levels=("No", "Yes"), design=design)
    ref = CASES[f"ttest_api00_by_schwide_{d}"]["values"]
    np.testing.assert_allclose(r["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(r["p_value"], ref["p_value"], rtol=RTOL)
    pd.testing.assert_frame_equal(
        r, sv.difference(df, score="api00", by="sch.wide", levels=("No", "Yes"), **kw)
    )
    # svychisq(~sch.wide+stype, d, statistic="F")
    c = sv.chisq(df, row="sch.wide", col="stype", statistic="F", design=design)
    ref = CASES[f"chisq_F_schwide_stype_{d}"]["values"]
    np.testing.assert_allclose(c["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(c["p_value"], ref["p_value"], rtol=RTOL)


def test_raked_design_gives_rs_calibrated_se():
    df = load("apiclus1")
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
    # rake(svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1), ...) with R's default control
    r = sv.rake(df, margins=margins, weights="pw", stop="cells", tol=1, max_iter=10)
    design = Design(weights=r, cluster="dnum", fpc="fpc")
    assert design.calibrated
    m = sv.mean(df, score="api00", design=design)
    ref = CASES["rake_clus1_fpc"]["values"]
    np.testing.assert_allclose(m["se"], ref["mean_api00_se_calibrated"][0][0], rtol=RTOL)
    kw_form = sv.mean(df, score="api00", weights=r, cluster="dnum", fpc="fpc")
    pd.testing.assert_frame_equal(m, kw_form)


def test_every_public_survey_function_takes_design_and_the_keywords():
    for name in TAKES_DESIGN:
        params = inspect.signature(getattr(sv, name)).parameters
        assert "design" in params and params["design"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert {"weights", "strata", "cluster", "fpc", "lonely_psu"} <= set(params), name


def test_kpis_and_crosstab_and_trend_agree_with_the_keyword_form():
    s = cx.synth.generate(seed=3, n_customers=400, n_waves=4)
    R = s.responses
    cur = R[R.wave == R.wave.max()]
    design = Design(weights="weight", strata="branch")
    kw = design.keywords()
    pd.testing.assert_frame_equal(
        sv.nps(cur, score="recommend", by="segment", design=design),
        sv.nps(cur, score="recommend", by="segment", **kw),
    )
    pd.testing.assert_frame_equal(
        sv.top_box(cur, score="product_quality", scale=(1, 5), design=design),
        sv.top_box(cur, score="product_quality", scale=(1, 5), **kw),
    )
    pd.testing.assert_frame_equal(
        sv.trend(R, score="overall_sat", design=design), sv.trend(R, score="overall_sat", **kw)
    )
    a = sv.crosstab(cur, banner="segment", row="branch", design=Design(weights="weight"))
    b = sv.crosstab(cur, banner="segment", row="branch", weights="weight")
    pd.testing.assert_frame_equal(a.cells, b.cells)


def test_design_is_immutable_validated_once_and_refuses_mixed_forms():
    d = Design(weights="pw", strata="stype")
    assert d.strata == ("stype",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.weights = "other"  # type: ignore[misc]
    assert d.replace(cluster="dnum") == Design(weights="pw", strata=["stype"], cluster="dnum")
    with pytest.raises(CXValueError, match="lonely_psu must be one of 'fail', 'remove', 'adjust'"):
        Design(lonely_psu="drop")
    with pytest.raises(CXValueError, match="strata must be a column name"):
        Design(strata=3)
    with pytest.raises(CXValueError, match="fpc as a number is allowed only without strata"):
        Design(strata="stype", fpc=100)
    with pytest.raises(CXValueError, match="not both; got design= and strata="):
        sv.mean(load("apistrat"), score="api00", design=d, strata="cname")
    with pytest.raises(CXValueError, match="design must be a cx.survey.Design; got str"):
        sv.mean(load("apistrat"), score="api00", design="pw")
    with pytest.raises(CXValueError, match="weights: column 'nope' is not in the data"):
        Design(weights="nope").check(load("apistrat"))
    assert Design(weights="pw", strata="stype").check(load("apistrat")) is not None


def test_design_from_codebook_reads_the_weight_variable():
    s = cx.synth.generate(seed=3, n_customers=200, n_waves=4)
    d = Design.from_codebook(s.codebook, strata="branch")
    assert d == Design(weights="weight", strata="branch")
    assert "weight" in d.columns() and "branch" in d.columns()


def test_entry_points_pickle_and_document_design():
    import pickle

    for name in TAKES_DESIGN:
        f = getattr(sv, name)
        assert pickle.loads(pickle.dumps(f)) is f  # worker processes find cx.survey.<name>
        assert "design=" in f.__doc__


def test_store_read_hands_back_the_data_with_its_design(tmp_path):
    from cxresearch import codebook, synth
    from cxresearch.store import Store

    study = synth.generate(seed=5, n_customers=200, n_waves=4)
    paths = synth.write(study, tmp_path / "files")
    files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    with Store(tmp_path / "s.duckdb") as st:
        st.import_files(files, client="acme", codebook=codebook.load(paths["codebook"]))
        frame, design = Design.read(st, "acme", columns=["overall_sat", "segment"])
        assert design == Design(weights="weight") == Design.from_store(st, "acme")
        assert {"overall_sat", "segment", "weight"} <= set(frame.columns)
        pd.testing.assert_frame_equal(
            sv.mean(frame, score="overall_sat", by="segment", design=design),
            sv.mean(frame, score="overall_sat", by="segment", weights="weight"),
        )
