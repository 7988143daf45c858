"""Issue 14 survey defaults: wave-on-wave tests clustered on the respondent id, svyttest's degrees of
freedom for pairs of a many-level segment, design-based crosstab letters whenever there is a design.

R references: tests/reference/survey/issue14.json from make_issue14.R (R 4.2.2, survey 4.1-1) on
panel_waves.csv (120 customers answering some of waves 2023-2025) and the api data. Tolerance:
relative 1e-6 (RTOL), most agree to 1e-12.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import cxresearch.survey as sv
from _survey_helpers import REF, RTOL, quiet_small_bases  # noqa: F401  (autouse fixture)
from cxresearch.survey.compare import RespondentClusterWarning

R = json.loads((REF / "issue14.json").read_text())


@pytest.fixture
def panel():
    return pd.read_csv(REF / "panel_waves.csv")


@pytest.mark.parametrize(
    "respondent, ref_id", [("customer", "panel_ids_customer"), (None, "panel_ids_1")]
)
def test_trend_clusters_on_the_respondent_id(panel, respondent, ref_id):
    # svydesign(ids=~customer, weights=~weight) vs svydesign(ids=~1, weights=~weight)
    ref = R[ref_id]
    t = sv.trend(panel, score="sat", wave="wave", weights="weight", respondent=respondent)
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(t["change"].iloc[1:], ref["change"], rtol=RTOL)
    np.testing.assert_allclose(t["change_se"].iloc[1:], ref["change_se"], rtol=RTOL)
    tt = ref["ttest_2025_vs_2024"]
    assert t["change_df"].iloc[2] == tt["df"]
    np.testing.assert_allclose(
        t["change"].iloc[2] / t["change_se"].iloc[2], tt["statistic"], rtol=RTOL
    )
    np.testing.assert_allclose(t["change_p_value"].iloc[2], tt["p_value"], rtol=RTOL)
    assert t.attrs["settings"]["respondent"] == respondent


def test_respondent_clustering_narrows_the_change_se_on_a_correlated_panel(panel):
    kw = dict(score="sat", wave="wave", weights="weight")
    linked = sv.trend(panel, respondent="customer", **kw)
    naive = sv.trend(panel, **kw)
    # the panel's answers correlate over time: independence overstates the change's SE
    assert (naive["change_se"].iloc[1:] > 1.15 * linked["change_se"].iloc[1:]).all()
    # same as passing the id as cluster
    as_cluster = sv.trend(panel, cluster="customer", **kw)
    pd.testing.assert_series_equal(linked["change_se"], as_cluster["change_se"])
    # ids that never repeat change nothing
    once = panel.assign(rid=[f"r{i}" for i in range(len(panel))])
    pd.testing.assert_series_equal(
        sv.trend(once, respondent="rid", **kw)["change_se"], naive["change_se"]
    )


def test_difference_between_waves_with_respondent_matches_svycontrast(panel):
    ref = R["panel_ids_customer"]["nps_change_2025_vs_2023"]
    d = sv.difference(
        panel,
        score="recommend",
        by="wave",
        levels=(2023, 2025),
        statistic="nps",
        weights="weight",
        respondent="customer",
    )
    np.testing.assert_allclose(d["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(d["se"], np.ravel(ref["se"])[0], rtol=RTOL)


def test_respondent_not_nested_in_clusters_warns(panel):
    moved = panel.assign(region=np.where(panel["wave"] == 2025, "N", panel["region"]))
    moved["psu"] = moved["region"] + moved["wave"].astype(str)
    with pytest.warns(RespondentClusterWarning, match="more than one cluster"):
        sv.trend(moved, score="sat", weights="weight", cluster="psu", respondent="customer")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RespondentClusterWarning)
        sv.trend(panel, score="sat", weights="weight", cluster="customer", respondent="customer")
    with pytest.raises(
        sv.CXValueError if hasattr(sv, "CXValueError") else ValueError, match="respondent"
    ):
        sv.trend(
            panel.assign(customer=panel["customer"].where(panel.index > 0)),
            score="sat",
            weights="weight",
            respondent="customer",
        )


@pytest.mark.parametrize(
    "data, design",
    [
        ("apistrat", dict(weights="pw", strata="stype")),
        ("apiclus1", dict(weights="pw", cluster="dnum")),
    ],
)
def test_difference_df_of_each_pair_as_svyttest(data, design):
    # svyttest(api00 ~ grp, subset(d, stype %in% c(a, b))): df = degf(subset) - 1, per pair
    df = pd.read_csv(REF / f"{data}.csv")
    ref = R["ttest_strat" if data == "apistrat" else "ttest_clus1"]["pairs"]
    res = sv.difference(df, score="api00", by="stype", **design).set_index(["level_a", "level_b"])
    for pair in ref.values():
        row = res.loc[(pair["a"], pair["b"])]
        assert row["df"] == pair["df"]
        np.testing.assert_allclose(row["estimate"], pair["estimate"], rtol=RTOL)
        np.testing.assert_allclose(row["statistic"], pair["statistic"], rtol=RTOL)
        np.testing.assert_allclose(row["p_value"], pair["p_value"], rtol=RTOL)
    # the old rule (the whole design's degf - 1) differs for at least one pair
    assert any(p["df"] != p["degf_full"] - 1 for p in ref.values())


def test_crosstab_uses_the_design_whenever_there_is_one(panel):
    kw = dict(banner="wave", means="sat", correction="none", min_base=5)
    auto = sv.crosstab(panel, weights="weight", cluster="customer", **kw)
    design = sv.crosstab(panel, weights="weight", cluster="customer", test="design", **kw)
    pd.testing.assert_frame_equal(auto.tests, design.tests)
    assert auto.settings["test"] == "design"
    linked = sv.crosstab(panel, weights="weight", respondent="customer", **kw)
    assert linked.settings["test"] == "design"
    pd.testing.assert_frame_equal(linked.tests, design.tests)
    srs = sv.crosstab(panel, weights="weight", **kw)  # no design: the Kish effective-base test
    assert srs.settings["test"] == "effective_base"
    explicit = sv.crosstab(panel, weights="weight", test="effective_base", **kw)
    pd.testing.assert_frame_equal(srs.tests, explicit.tests)
    with pytest.raises(ValueError, match="test must be one of 'auto', 'design', 'effective_base'"):
        sv.crosstab(panel, weights="weight", test="srs", **kw)


@pytest.mark.parametrize(
    "respondent, ref_id",
    [(None, "raked_by_wave_ids_1"), ("customer", "raked_by_wave_ids_customer")],
)
def test_each_wave_raked_stacked_gives_rs_calibrated_ses(panel, respondent, ref_id):
    # the report's raking: each wave raked on its own to shares of region and of an even/odd
    # customer number, from the survey weights. R: one rake of the panel on ~wave+region and
    # ~wave+par with the per-wave population tables; svyby(~recommend, ~wave, svymean)
    ref = R[ref_id]
    panel = panel.assign(
        par=np.where(panel["customer"].str[1:].astype(int) % 2 == 0, "even", "odd")
    )
    margins = {"region": {"N": 0.45, "S": 0.55}, "par": {"even": 0.4, "odd": 0.6}}
    parts = [sv.rake(part, margins=margins, weights="weight") for _, part in panel.groupby("wave")]
    stacked = sv.stack_rakes(parts, index=panel.index)
    np.testing.assert_allclose(stacked.weights, ref["weights"], rtol=1e-8)
    t = sv.trend(panel, score="recommend", wave="wave", weights=stacked, respondent=respondent)
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=RTOL)
    # the raked weights held fixed give other SEs: the calibration is used
    fixed = sv.trend(
        panel.assign(rw=stacked.weights), score="recommend", weights="rw", respondent=respondent
    )
    assert np.all(np.abs(fixed["se"].to_numpy() / t["se"].to_numpy() - 1) > 1e-3)
    with pytest.raises(ValueError, match="share rows"):
        sv.stack_rakes([parts[0], parts[0]])
