"""cxresearch.survey against R's survey package (4.1-1) on the api data R ships.

Reference numbers: tests/reference/survey/survey.json, produced by tests/reference/survey/make_oracles.R
(R 4.2.2, survey 4.1-1). Each case keeps the R call (`r_call`) and the design (`design`, the
`svydesign` call) next to its numbers. Tolerance: relative 1e-6 on estimates and SEs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxresearch.survey as sv

REF = Path(__file__).parent / "reference" / "survey"
CASES = {c["id"]: c for c in json.loads((REF / "survey.json").read_text())}
RTOL = 1e-6

# svydesign calls of the oracle, as keyword options
DESIGNS = {
    # svydesign(ids=~1, weights=~pw, data=apisrs)
    "srs_w": ("apisrs", dict(weights="pw")),
    # svydesign(ids=~1, weights=~pw, fpc=~fpc, data=apisrs)
    "srs_fpc": ("apisrs", dict(weights="pw", fpc="fpc")),
    # svydesign(ids=~1, strata=~stype, weights=~pw, data=apistrat)
    "strat": ("apistrat", dict(weights="pw", strata="stype")),
    # svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
    "strat_fpc": ("apistrat", dict(weights="pw", strata="stype", fpc="fpc")),
    # svydesign(ids=~dnum, weights=~pw, data=apiclus1)
    "clus1": ("apiclus1", dict(weights="pw", cluster="dnum")),
    # svydesign(ids=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)
    "clus1_fpc": ("apiclus1", dict(weights="pw", cluster="dnum", fpc="fpc")),
}


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv")


def case(cid: str, design: str) -> dict:
    c = CASES[cid]
    assert c["design"] == CASES[f"mean_api00_{design}"]["design"]
    return c["values"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("d", DESIGNS)
def test_mean_total_deff(d):
    name, kw = DESIGNS[d]
    df = load(name)
    # svymean(~api00, d)
    m = sv.mean(df, score="api00", **kw)
    ref = case(f"mean_api00_{d}", d)
    np.testing.assert_allclose(m["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(m["se"], ref["se"], rtol=RTOL)
    # svymean(~api00, d, deff=TRUE): R's default deff multiplies the SRS variance by 1 - n/sum(w);
    # ours is against sampling with replacement, so R's = ours / (1 - n/sum(w)).
    ref = case(f"deff_api00_{d}", d)
    n, sw = len(df), df["pw"].sum()
    np.testing.assert_allclose(m["deff"] / (1 - n / sw), ref["deff"], rtol=RTOL)
    # svytotal(~enroll, d, na.rm=TRUE)
    t = sv.total(df, score="enroll", **kw)
    ref = case(f"total_enroll_{d}", d)
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=RTOL)


@pytest.mark.parametrize("d", DESIGNS)
def test_by_domain_means(d):
    name, kw = DESIGNS[d]
    # svyby(~api00, ~stype, d, svymean)
    b = sv.mean(load(name), score="api00", by="stype", **kw)
    ref = case(f"by_stype_api00_{d}", d)
    assert list(b["stype"]) == ref["level"]
    np.testing.assert_allclose(b["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(b["se"], ref["se"], rtol=RTOL)


@pytest.mark.parametrize("d", DESIGNS)
def test_proportion_and_logit_ci(d):
    name, kw = DESIGNS[d]
    df = load(name)
    # svymean(~I(as.numeric(api00>700)), d)
    df["gt700"] = (df["api00"] > 700).astype(int)
    p = sv.proportion(df, score="gt700", level=1, **kw)
    ref = case(f"prop_api00_gt700_{d}", d)
    np.testing.assert_allclose(p["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=RTOL)
    # svyciprop(~I(sch.wide=='Yes'), d, method='logit')
    c = sv.proportion(df, score="sch.wide", level="Yes", **kw)
    ref = case(f"ciprop_logit_schwide_{d}", d)
    for col in ("estimate", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(c[col], ref[col], rtol=RTOL)
    # all levels at once: shares sum to 1 and the 'Yes' row is the same
    both = sv.proportion(df, score="sch.wide", **kw)
    assert list(both["level"]) == ["No", "Yes"]
    np.testing.assert_allclose(both["estimate"].sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(both["se"].iloc[1], ref["se"], rtol=RTOL)


@pytest.mark.parametrize("d", DESIGNS)
def test_two_group_ttest(d):
    name, kw = DESIGNS[d]
    # svyttest(api00 ~ sch.wide, d)
    r = sv.difference(load(name), score="api00", by="sch.wide", levels=("No", "Yes"), **kw)
    ref = case(f"ttest_api00_by_schwide_{d}", d)
    np.testing.assert_allclose(r["estimate"], ref["difference"], rtol=RTOL)
    np.testing.assert_allclose(r["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(r["df"], ref["df"], rtol=RTOL)
    np.testing.assert_allclose(r["p_value"], ref["p_value"], rtol=RTOL)


@pytest.mark.parametrize("d", DESIGNS)
@pytest.mark.parametrize("stat", ["F", "Chisq"])
def test_rao_scott_chisq(d, stat):
    name, kw = DESIGNS[d]
    # svychisq(~sch.wide+stype, d, statistic=stat)
    r = sv.chisq(load(name), row="sch.wide", col="stype", statistic=stat, **kw)
    ref = case(f"chisq_{stat}_schwide_stype_{d}", d)
    np.testing.assert_allclose(r["statistic"], ref["statistic"], rtol=RTOL)
    np.testing.assert_allclose(r["p_value"], ref["p_value"], rtol=RTOL)
    ref_df = np.atleast_1d(ref["df"])
    np.testing.assert_allclose(r["df"], ref_df[0], rtol=RTOL)
    if stat == "F":
        np.testing.assert_allclose(r["df_denom"], ref_df[1], rtol=RTOL)
