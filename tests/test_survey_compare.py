"""Comparisons: wave-on-wave changes on a panel (against R), crosstab letters (against statsmodels
and scipy), multiplicity corrections, and raking behaviour and errors.

R references: tests/reference/survey/survey_extra.json from make_extra.R (R 4.2.2, survey 4.1-1) on
panel_waves.csv: 120 customers answering some of three waves, customer = cluster, region = stratum.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

import cxresearch.survey as sv
from _survey_helpers import (
    EXTRA,
    REF,
    RTOL,
    quiet_small_bases,  # noqa: F401  (autouse fixture)
    scalar,
)
from cxresearch.errors import CXValueError

# issue 14 references (make_issue14.R)
ISSUE14 = json.loads((REF / "issue14.json").read_text())

# svydesign(ids=~customer, strata=~region, weights=~weight, data=panel_waves)
PANEL = dict(weights="weight", strata="region", cluster="customer")


@pytest.fixture
def panel():
    return pd.read_csv(REF / "panel_waves.csv")


# --- waves of the same client (panel overlap handled by the cluster) ----------------------------


def test_trend_matches_r_by_wave_and_contrasts(panel):
    t = sv.trend(panel, score="sat", wave="wave", **PANEL)
    # svyby(~sat, ~wave, subset(d, !is.na(sat)), svymean, covmat=TRUE)
    ref = EXTRA["panel_sat_by_wave"]
    assert list(t["wave"]) == ref["level"]
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=RTOL)
    # svycontrast(..., c(-1,1,0)) and c(0,-1,1): wave-on-wave changes with their covariance
    ref = EXTRA["panel_sat_change"]
    assert np.isnan(t["change"].iloc[0])
    np.testing.assert_allclose(t["change"].iloc[1:], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["change_se"].iloc[1:], ref["se"], rtol=RTOL)
    # the panel covariance matters: treating waves as independent gives a different SE
    indep = np.sqrt(t["se"].iloc[0] ** 2 + t["se"].iloc[1] ** 2)
    assert abs(indep - t["change_se"].iloc[1]) / t["change_se"].iloc[1] > 1e-3
    # p-value: svyttest(sat ~ factor(wave), subset(d, wave %in% c(2024, 2025))): Student t on the
    # subset's degf - 1 (customers answering either wave, minus the regions, minus 1; issue 14)
    ref = ISSUE14["panel_strat_ttest_2025_vs_2024"]
    assert t["change_df"].iloc[2] == ref["df"] < ref["degf_full"] - 1
    np.testing.assert_allclose(
        t["change"].iloc[2] / t["change_se"].iloc[2], ref["statistic"], rtol=RTOL
    )
    np.testing.assert_allclose(t["change_p_value"].iloc[2], ref["p_value"], rtol=RTOL)


def test_nps_change_between_waves_matches_r(panel):
    # svycontrast(svyby(~I(100*((recommend>=9)-(recommend<=6))), ~wave, d, svymean, covmat=TRUE), c(-1,0,1))
    r = sv.difference(
        panel, score="recommend", by="wave", levels=(2023, 2025), statistic="nps", **PANEL
    )
    ref = EXTRA["panel_nps_2025_minus_2023"]
    np.testing.assert_allclose(r["estimate_a"], ref["estimate_a"], rtol=RTOL)
    np.testing.assert_allclose(r["estimate_b"], ref["estimate_b"], rtol=RTOL)
    np.testing.assert_allclose(r["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(r["se"], scalar(ref["se"]), rtol=RTOL)


def test_total_with_strata_clusters_and_missing_matches_r(panel):
    # svytotal(~sat, d, na.rm=TRUE)
    t = sv.total(panel, score="sat", **PANEL)
    ref = EXTRA["panel_total_sat"]
    np.testing.assert_allclose(t["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(t["se"], scalar(ref["se"]), rtol=RTOL)


def test_difference_all_pairs_within_and_correction(panel):
    r = sv.difference(panel, score="sat", by="wave", within="region", correction="holm", **PANEL)
    assert len(r) == 2 * 3
    assert set(r["region"]) == {"N", "S"}
    np.testing.assert_allclose(r["p_adj"], multipletests(r["p_value"], method="holm")[1])
    one = r[(r["region"] == "S") & (r["level_a"] == 2023) & (r["level_b"] == 2025)].iloc[0]
    sub = panel[(panel["region"] == "S") & panel["sat"].notna()]
    m = {wv: np.average(g["sat"], weights=g["weight"]) for wv, g in sub.groupby("wave")}
    np.testing.assert_allclose(one["estimate"], m[2025] - m[2023], rtol=1e-12)


def test_trend_by_segment_and_top_box(panel):
    t = sv.trend(panel, score="sat", wave="wave", by="region", statistic="top_box", scale=(1, 5))
    assert len(t) == 6
    s = t[t["region"] == "N"].reset_index(drop=True)
    sub = panel[(panel["region"] == "N") & panel["sat"].notna()]
    share = sub.groupby("wave")["sat"].apply(lambda x: (x >= 4).mean())
    np.testing.assert_allclose(s["estimate"], share.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(s["change"].iloc[1:], np.diff(share.to_numpy()), rtol=1e-10)
    assert ((t["ci_lower"] >= 0) & (t["ci_upper"] <= 1)).all()


def test_difference_errors(panel):
    with pytest.raises(CXValueError, match="no level 2030"):
        sv.difference(panel, score="sat", by="wave", levels=(2023, 2030))
    with pytest.raises(CXValueError, match="statistic must be one of"):
        sv.difference(panel, score="sat", by="wave", statistic="median")
    with pytest.raises(CXValueError, match="correction must be one of"):
        sv.difference(panel, score="sat", by="wave", correction="sidak")


def test_chisq_errors(panel):
    with pytest.raises(CXValueError, match="at least two observed levels"):
        sv.chisq(panel.assign(k=1), row="region", col="k")
    with pytest.raises(CXValueError, match="statistic"):
        sv.chisq(panel, row="region", col="wave", statistic="G")


# --- crosstab -----------------------------------------------------------------------------------


def banner_data(n=900, seed=5):
    rng = np.random.default_rng(seed)
    col = rng.choice(["x", "y", "z"], size=n, p=[0.4, 0.35, 0.25])
    base = {"x": 0.65, "y": 0.45, "z": 0.5}
    happy = np.array([rng.random() < base[c] for c in col])
    answer = np.where(happy, "yes", np.where(rng.random(n) < 0.5, "no", "unsure"))
    score = rng.normal(7.0, 1.5, n) + np.select([col == "x", col == "y"], [0.6, -0.2], 0.0)
    return pd.DataFrame(
        {"col": col, "answer": answer, "score": score, "w": rng.uniform(0.3, 3.0, n)}
    )


def test_crosstab_unweighted_matches_textbook_tests():
    df = banner_data()
    res = sv.crosstab(df, banner="col", row="answer", means="score", correction="none")
    tests = res.tests
    for _, t in tests[tests["kind"] == "proportion"].iterrows():
        a = df[df["col"] == t["column_a"]]
        b = df[df["col"] == t["column_b"]]
        counts = [(a["answer"] == t["row"]).sum(), (b["answer"] == t["row"]).sum()]
        z, p = proportions_ztest(counts, [len(a), len(b)])  # pooled two-proportion z test
        np.testing.assert_allclose(t["statistic"], z, rtol=1e-10)
        np.testing.assert_allclose(t["p_value"], p, rtol=1e-10)
        np.testing.assert_allclose(t["p_adj"], p, rtol=1e-12)
    for _, t in tests[tests["kind"] == "mean"].iterrows():
        a = df.loc[df["col"] == t["column_a"], "score"]
        b = df.loc[df["col"] == t["column_b"], "score"]
        ref = stats.ttest_ind(a, b, equal_var=False)  # Welch
        np.testing.assert_allclose(t["statistic"], ref.statistic, rtol=1e-10)
        np.testing.assert_allclose(t["p_value"], ref.pvalue, rtol=1e-8)


def test_crosstab_letters_two_levels_and_correction_stated():
    df = banner_data()
    res = sv.crosstab(df, banner="col", row="answer", means="score", weights="w", correction="holm")
    cells = res.cells[res.cells["banner"] != "Total"]
    first = cells.drop_duplicates("column")
    letter = dict(zip(first["column"], first["letter"], strict=True))
    assert letter == {"x": "A", "y": "B", "z": "C"}
    for _, t in res.tests.iterrows():
        hi, lo = (
            (t["column_a"], t["letter_b"])
            if t["estimate_a"] > t["estimate_b"]
            else (t["column_b"], t["letter_a"])
        )
        marks = cells[(cells["row"] == t["row"]) & (cells["column"] == hi)]["letters"].iloc[0]
        if t["p_adj"] < 0.05:
            assert lo in marks
        elif t["p_adj"] < 0.10:
            assert lo.lower() in marks and lo not in marks
        else:
            assert lo not in marks and lo.lower() not in marks
    # Holm over the 3 pairs of one row
    fam = res.tests[res.tests["row"] == "yes"]
    np.testing.assert_allclose(fam["p_adj"], multipletests(fam["p_value"], method="holm")[1])
    # the clear effect is found: x has more 'yes' and a higher score than y
    x_yes = cells[(cells["row"] == "yes") & (cells["column"] == "x")]["letters"].iloc[0]
    assert "B" in x_yes
    assert "Holm" in res.note and "0.05" in res.note and "effective" in res.note
    assert res.settings["correction"] == "holm"
    assert res.to_frame().shape[0] == len(res.cells)
    tot = res.cells[(res.cells["banner"] == "Total") & (res.cells["row"] == "score")].iloc[0]
    np.testing.assert_allclose(tot["estimate"], np.average(df["score"], weights=df["w"]))
    assert tot["letters"] == "" and not tot["tested"]


def test_crosstab_weighted_uses_effective_bases():
    df = banner_data()
    res = sv.crosstab(df, banner="col", row="answer", weights="w", correction="bonferroni")
    t = res.tests[
        (res.tests["row"] == "yes")
        & (res.tests["column_a"] == "x")
        & (res.tests["column_b"] == "y")
    ].iloc[0]
    a, b = df[df["col"] == "x"], df[df["col"] == "y"]
    pa = np.average(a["answer"] == "yes", weights=a["w"])
    pb = np.average(b["answer"] == "yes", weights=b["w"])
    na = a["w"].sum() ** 2 / (a["w"] ** 2).sum()
    nb = b["w"].sum() ** 2 / (b["w"] ** 2).sum()
    pbar = (na * pa + nb * pb) / (na + nb)
    z = (pa - pb) / np.sqrt(pbar * (1 - pbar) * (1 / na + 1 / nb))
    np.testing.assert_allclose(t["statistic"], z, rtol=1e-12)
    fam = res.tests[res.tests["row"] == "yes"]
    np.testing.assert_allclose(fam["p_adj"], np.minimum(fam["p_value"] * 3, 1.0), rtol=1e-12)
    bh = sv.crosstab(df, banner="col", row="answer", weights="w", correction="bh").tests
    fam = bh[bh["row"] == "yes"]
    np.testing.assert_allclose(fam["p_adj"], multipletests(fam["p_value"], method="fdr_bh")[1])


def test_crosstab_small_columns_not_tested_and_suppressed():
    df = banner_data()
    df.loc[df.index[:4], "col"] = "tiny"
    res = sv.crosstab(df, banner="col", row="answer")
    tiny = res.cells[res.cells["column"] == "tiny"]
    assert (
        tiny["suppressed"].all() and tiny["estimate"].isna().all() and (tiny["letters"] == "").all()
    )
    assert not tiny["tested"].any()
    assert "tiny" not in set(res.tests["column_a"]) | set(res.tests["column_b"])


def test_crosstab_errors():
    df = banner_data()
    with pytest.raises(CXValueError, match="row= .* or means="):
        sv.crosstab(df, banner="col")
    with pytest.raises(CXValueError, match="strict < loose"):
        sv.crosstab(df, banner="col", row="answer", alpha=(0.1, 0.05))
    with pytest.raises(CXValueError, match="correction"):
        sv.crosstab(df, banner="col", row="answer", correction="tukey")


# --- raking -------------------------------------------------------------------------------------


def rake_data(n=5000, seed=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], n, p=[0.6, 0.4]),
            "age": rng.choice(["18-34", "35-54", "55+"], n, p=[0.2, 0.3, 0.5]),
            "region": rng.choice([1, 2, 3, 4], n),
        }
    )


MARG = {
    "sex": {"f": 0.5, "m": 0.5},
    "age": {"18-34": 0.3, "35-54": 0.35, "55+": 0.35},
    "region": {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4},
}


def test_rake_reproduces_share_margins():
    df = rake_data()
    r = sv.rake(df, margins=MARG, tol=1e-10)
    assert r.converged and r.max_error < 1e-10
    w = r.weights
    np.testing.assert_allclose(w.sum(), len(df))  # shares scaled to the sum of starting weights
    for col, m in MARG.items():
        got = w.groupby(df[col]).sum() / w.sum()
        np.testing.assert_allclose(got[list(m)], list(m.values()), atol=1e-9)
    eff = sv.weighting_efficiency(w)
    np.testing.assert_allclose(r.n_eff, w.sum() ** 2 / (w**2).sum())
    np.testing.assert_allclose(r.efficiency, r.n_eff / len(df))
    np.testing.assert_allclose(r.deff, 1 + eff["cv"] ** 2)
    rep = r.to_frame()
    np.testing.assert_allclose(rep["achieved_share"], rep["target_share"], atol=1e-9)


def test_rake_cap_limits_weights():
    df = rake_data()
    r = sv.rake(df, margins=MARG, cap=2.0, strict=False, max_iter=200)
    assert r.weights.max() <= 2.0 * r.weights.mean() * (1 + 1e-9)
    free = sv.rake(df, margins=MARG)
    assert free.weights.max() > 2.0 * free.weights.mean()


def test_rake_errors():
    df = rake_data()
    with pytest.raises(CXValueError, match="sum to 1"):
        sv.rake(df, margins={"sex": {"f": 0.5, "m": 0.4}})
    with pytest.raises(CXValueError, match="same population total"):
        sv.rake(
            df, margins={"sex": {"f": 500, "m": 500}, "age": {"18-34": 1, "35-54": 1, "55+": 2000}}
        )
    with pytest.raises(CXValueError, match="no respondent has it"):
        sv.rake(df, margins={"sex": {"f": 0.4, "m": 0.4, "x": 0.2}})
    with pytest.raises(CXValueError, match="category 'm'.*no target"):
        sv.rake(df, margins={"sex": {"f": 1.0}})
    with pytest.raises(CXValueError, match="'nope'"):
        sv.rake(df, margins={"nope": {"a": 1.0}})
    with pytest.raises(CXValueError, match="did not converge"):
        sv.rake(df, margins=MARG, max_iter=1, tol=1e-12)
    with pytest.warns(sv.RakingWarning):
        r = sv.rake(df, margins=MARG, max_iter=1, tol=1e-12, strict=False)
    assert not r.converged and r.iterations == 1
    with pytest.raises(CXValueError, match="stop must be"):
        sv.rake(df, margins=MARG, stop="delta")
    other = df.iloc[:100]
    r = sv.rake(df, margins=MARG)
    with pytest.raises(CXValueError, match="other rows"):
        sv.mean(other.assign(y=1.0), score="y", weights=r)


def test_crosstab_design_based_tests_equal_difference(panel):
    # test='design': each pairwise test is the design-based difference test (R svyttest semantics)
    kw = dict(weights="weight", strata="region", cluster="customer")
    res = sv.crosstab(
        panel, banner="wave", means="sat", test="design", correction="none", min_base=5, **kw
    )
    diff = sv.difference(panel, score="sat", by="wave", **kw)
    t = res.tests.set_index(["column_a", "column_b"])
    for _, d in diff.iterrows():
        got = t.loc[(d["level_a"], d["level_b"])]
        np.testing.assert_allclose(got["p_value"], d["p_value"], rtol=1e-10)
        np.testing.assert_allclose(got["statistic"], -d["statistic"], rtol=1e-10)  # a - b vs b - a
    assert "design-based" in res.note and res.settings["design"]["cluster"] == "customer"
    prop = sv.crosstab(panel, banner="region", row="wave", test="design", **kw).tests
    one = prop[prop["row"] == 2024].iloc[0]
    d = sv.difference(
        panel, score="wave", by="region", statistic="proportion", level=2024, **kw
    ).iloc[0]
    np.testing.assert_allclose(one["p_value"], d["p_value"], rtol=1e-10)
    with pytest.raises(CXValueError, match="only by test='design'"):
        sv.crosstab(panel, banner="region", row="wave", cluster="customer", test="effective_base")
    # the default ('auto') uses the design when one is given (issue 14)
    assert (
        sv.crosstab(panel, banner="region", row="wave", cluster="customer").settings["test"]
        == "design"
    )
    with pytest.raises(CXValueError, match="test must be one of"):
        sv.crosstab(panel, banner="region", row="wave", test="chi2")
