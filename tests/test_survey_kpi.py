"""KPIs (NPS, top-box, CSAT), domains, invariances, small-base rules and bad input.

R references: tests/reference/survey/survey_extra.json, made by tests/reference/survey/make_extra.R
(R 4.2.2, survey 4.1-1) on apistrat_kpi.csv and panel_waves.csv (both written next to it).
Brute-force references are computed inside the tests with explicit loops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxresearch.survey as sv
from _survey_helpers import (
    EXTRA,
    REF,
    RTOL,
    quiet_small_bases,  # noqa: F401  (autouse fixture)
    scalar,
)
from cxresearch.errors import CXValueError, SmallBaseWarning

# svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat_kpi)
STRAT = dict(weights="pw", strata="stype", fpc="fpc")


@pytest.fixture
def kpi():
    return pd.read_csv(REF / "apistrat_kpi.csv")


def simulated(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "rec": rng.choice(11, size=n, p=np.r_[np.full(7, 0.04), 0.12, 0.14, 0.2, 0.26]),
            "sat": rng.integers(1, 6, size=n).astype(float),
            "seg": rng.choice(["a", "b", "c", "d"], size=n),
            "w": rng.gamma(4.0, 0.25, size=n),
        }
    )
    df.loc[rng.random(n) < 0.05, "sat"] = np.nan
    return df


# --- against R ---------------------------------------------------------------------------------


def test_nps_matches_r(kpi):
    # svymean(~I(100*((rec>=9)-(rec<=6))), d)
    r = sv.nps(kpi, score="rec", **STRAT)
    ref = EXTRA["nps_overall"]
    np.testing.assert_allclose(r["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(r["se"], scalar(ref["se"]), rtol=RTOL)
    # svyby(~I(100*((rec>=9)-(rec<=6))), ~stype, d, svymean)
    b = sv.nps(kpi, score="rec", by="stype", **STRAT)
    ref = EXTRA["nps_by_stype"]
    assert list(b["stype"]) == ref["level"]
    np.testing.assert_allclose(b["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(b["se"], ref["se"], rtol=RTOL)


def test_nps_difference_between_segments_matches_r_contrast(kpi):
    # svycontrast(svyby(~nps, ~stype, d, svymean, covmat=TRUE), c(E=-1, H=1, M=0))
    r = sv.difference(kpi, score="rec", by="stype", levels=("E", "H"), statistic="nps", **STRAT)
    ref = EXTRA["nps_diff_H_minus_E"]
    np.testing.assert_allclose(r["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(r["se"], scalar(ref["se"]), rtol=RTOL)


def test_top_box_matches_r(kpi):
    # svyciprop(~I(item5>=4), d, method='logit')
    t = sv.top_box(kpi, score="item5", k=2, scale=(1, 5), **STRAT)
    ref = EXTRA["top2_item5_logit"]
    for col in ("estimate", "se", "ci_lower", "ci_upper"):
        np.testing.assert_allclose(t[col], ref[col], rtol=RTOL)
    assert t["threshold"].iloc[0] == 4
    # svyby(~I(as.numeric(item5>=4)), ~stype, d, svymean)
    b = sv.top_box(kpi, score="item5", k=2, scale=(1, 5), by="stype", **STRAT)
    ref = EXTRA["top2_by_stype"]
    np.testing.assert_allclose(b["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(b["se"], ref["se"], rtol=RTOL)


# --- NPS against brute force and the trinomial formula ----------------------------------------


def test_nps_brute_force_weighted_by_domain():
    df = simulated()
    out = sv.nps(df, score="rec", by="seg", weights="w").set_index("seg")
    n = len(df)
    for seg, g in df.groupby("seg"):
        W = g["w"].sum()
        prom = g.loc[g["rec"] >= 9, "w"].sum() / W
        det = g.loc[g["rec"] <= 6, "w"].sum() / W
        nps = 100 * (prom - det)
        # with-replacement variance of a domain ratio: n/(n-1) sum_i z_i^2, z zero outside domain
        x = 100 * ((g["rec"] >= 9).astype(float) - (g["rec"] <= 6))
        z = g["w"] * (x - nps) / W
        se = np.sqrt(n / (n - 1) * sum(v * v for v in z))
        row = out.loc[seg]
        np.testing.assert_allclose(row["estimate"], nps, rtol=1e-12)
        np.testing.assert_allclose(row["promoters"], prom, rtol=1e-12)
        np.testing.assert_allclose(row["detractors"], det, rtol=1e-12)
        np.testing.assert_allclose(row["passives"], 1 - prom - det, rtol=1e-12)
        np.testing.assert_allclose(row["se"], se, rtol=1e-10)
        assert row["n"] == len(g)


def test_nps_trinomial_variance_unweighted():
    df = simulated(n=1500, seed=4)
    r = sv.nps(df, score="rec").iloc[0]
    n = len(df)
    p = (df["rec"] >= 9).mean()
    d = (df["rec"] <= 6).mean()
    # trinomial: Var(NPS) = 100^2 (p + d - (p - d)^2) / n; R's n/(n-1) makes it / (n - 1)
    np.testing.assert_allclose(r["se"], 100 * np.sqrt((p + d - (p - d) ** 2) / (n - 1)), rtol=1e-12)
    q = sv._design.t_quantile(0.05, n - 1)
    np.testing.assert_allclose(r["ci_upper"] - r["estimate"], q * r["se"], rtol=1e-12)


def test_nps_ci_truncated_to_range():
    df = pd.DataFrame({"rec": [10] * 40 + [0]})
    r = sv.nps(df, score="rec", min_base=1, anonymity_min=1).iloc[0]
    assert r["ci_upper"] <= 100 and r["ci_lower"] >= -100


# --- invariances --------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["mean", "nps", "top_box", "total"])
def test_unit_weights_equal_unweighted(fn):
    df = simulated().assign(one=1.0)
    score = "rec" if fn == "nps" else "sat"
    kw = {"scale": (1, 5)} if fn == "top_box" else {}
    a = getattr(sv, fn)(df, score=score, by="seg", **kw)
    b = getattr(sv, fn)(df, score=score, by="seg", weights="one", **kw)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("fn", ["mean", "nps", "top_box"])
def test_rescaled_weights_change_nothing(fn):
    df = simulated()
    df["w10"] = df["w"] * 10.0
    score = "rec" if fn == "nps" else "sat"
    kw = {"scale": (1, 5)} if fn == "top_box" else {}
    a = getattr(sv, fn)(df, score=score, by="seg", weights="w", **kw)
    b = getattr(sv, fn)(df, score=score, by="seg", weights="w10", **kw)
    cols = [c for c in ("estimate", "se", "ci_lower", "ci_upper", "n_eff", "deff") if c in a]
    np.testing.assert_allclose(a[cols].to_numpy(float), b[cols].to_numpy(float), rtol=1e-10)


@pytest.mark.parametrize("fn", ["mean", "nps", "top_box"])
def test_row_order_irrelevant(fn):
    df = simulated()
    shuffled = df.sample(frac=1.0, random_state=3)
    score = "rec" if fn == "nps" else "sat"
    kw = {"scale": (1, 5)} if fn == "top_box" else {}
    a = getattr(sv, fn)(df, score=score, by="seg", weights="w", **kw)
    b = getattr(sv, fn)(shuffled, score=score, by="seg", weights="w", **kw)
    pd.testing.assert_frame_equal(a, b, rtol=1e-10)


def test_caller_data_not_mutated():
    df = simulated()
    before = df.copy()
    sv.nps(df, score="rec", by="seg", weights="w")
    sv.csat(df, score="sat", scale=(1, 5), by="seg", weights="w")
    sv.rake(df, margins={"seg": {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}}, weights="w")
    pd.testing.assert_frame_equal(df, before)


# --- mean details ---------------------------------------------------------------------------------


def test_mean_missing_excluded_from_base_and_several_scores():
    df = simulated()
    out = sv.mean(df, score=["sat", "rec"], weights="w")
    sat = out.set_index("score").loc["sat"]
    ok = df["sat"].notna()
    assert sat["n"] == ok.sum()
    np.testing.assert_allclose(
        sat["estimate"], np.average(df.loc[ok, "sat"], weights=df.loc[ok, "w"])
    )
    w = df.loc[ok, "w"]
    np.testing.assert_allclose(sat["n_eff"], w.sum() ** 2 / (w**2).sum())
    assert list(out["score"]) == ["sat", "rec"]
    st = out.attrs["settings"]
    assert (st["function"], st["weights"], st["alpha"], st["min_base"]) == (
        "survey.mean",
        "w",
        0.05,
        30,
    )


def test_by_two_columns_crossed():
    df = simulated().assign(g2=lambda d: np.where(d["w"] > 1, "hi", "lo"))
    out = sv.mean(df, score="sat", by=["seg", "g2"], weights="w")
    assert len(out) == 8
    one = out[(out["seg"] == "b") & (out["g2"] == "hi")].iloc[0]
    sub = df[(df["seg"] == "b") & (df["g2"] == "hi") & df["sat"].notna()]
    np.testing.assert_allclose(one["estimate"], np.average(sub["sat"], weights=sub["w"]))


def test_csat_mean_and_top_box():
    df = simulated()
    c = sv.csat(df, score="sat", scale=(1, 5), by="seg", weights="w")
    assert set(c["statistic"]) == {"mean", "top_box"}
    tb = c[c["statistic"] == "top_box"].set_index("seg")
    for seg, g in df.dropna(subset=["sat"]).groupby("seg"):
        np.testing.assert_allclose(
            tb.loc[seg, "estimate"], np.average(g["sat"] >= 4, weights=g["w"])
        )
        assert (
            0 <= tb.loc[seg, "ci_lower"] <= tb.loc[seg, "estimate"] <= tb.loc[seg, "ci_upper"] <= 1
        )


def test_top_box_codebook_dict_and_bottom_box():
    df = simulated()
    cb = {"variables": [{"name": "sat", "kind": "likert", "min": 1, "max": 5}]}
    a = sv.top_box(df, score="sat", k=1, codebook=cb)
    ok = df["sat"].dropna()
    np.testing.assert_allclose(a["estimate"], (ok == 5).mean())
    b = sv.bottom_box(df, score="sat", k=2, scale=(1, 5))
    np.testing.assert_allclose(b["estimate"], (ok <= 2).mean())
    assert b["threshold"].iloc[0] == 2


# --- small bases --------------------------------------------------------------------------------


def test_small_base_flag_and_suppression():
    df = simulated(n=600)
    df.loc[df.index[:3], "seg"] = "tiny"  # 3 respondents: under the anonymity minimum
    df.loc[df.index[3:23], "seg"] = "small"  # 20: under the reporting minimum
    with pytest.warns(SmallBaseWarning):
        out = sv.nps(df, score="rec", by="seg", weights="w").set_index("seg")
    assert out.loc["tiny", "suppressed"] and out.loc["tiny", "small_base"]
    for col in (
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "promoters",
        "passives",
        "detractors",
        "n_eff",
    ):
        assert np.isnan(out.loc["tiny", col])
    assert out.loc["tiny", "n"] == 3
    assert out.loc["small", "small_base"] and not out.loc["small", "suppressed"]
    assert np.isfinite(out.loc["small", "estimate"])
    assert not out.loc["a", "small_base"]
    # study-specific minima
    out2 = sv.mean(df, score="sat", by="seg", min_base=10, anonymity_min=2).set_index("seg")
    assert not out2.loc["tiny", "suppressed"] and out2.loc["tiny", "small_base"]
    assert not out2.loc["small", "small_base"]


# --- bad input ----------------------------------------------------------------------------------


def test_errors_name_column_and_value():
    df = simulated()
    with pytest.raises(CXValueError, match="'nope'"):
        sv.mean(df, score="nope")
    with pytest.raises(CXValueError, match="by.*'region'"):
        sv.mean(df, score="sat", by="region")
    bad = df.assign(sat=df["sat"].astype(object))
    bad.loc[5, "sat"] = "good"
    with pytest.raises(CXValueError, match="'sat'.*'good'"):
        sv.mean(bad, score="sat")
    with pytest.raises(CXValueError, match="numeric"):
        sv.mean(df, score="seg")
    neg = df.assign(w=df["w"].where(df.index != 7, -1.0))
    with pytest.raises(CXValueError, match="negative value -1"):
        sv.mean(neg, score="sat", weights="w")
    with pytest.raises(CXValueError, match="zero in every row"):
        sv.mean(df.assign(w=0.0), score="sat", weights="w")
    with pytest.raises(CXValueError, match="value 7 .*outside its scale"):
        sv.mean(df.assign(sat=df["sat"].where(df.index != 9, 7)), score="sat", scale=(1, 5))
    cb = {"variables": [{"name": "sat", "kind": "likert", "min": 1, "max": 4}]}
    with pytest.raises(CXValueError, match="'sat' has value 5.*outside its scale \\[1, 4\\]"):
        sv.top_box(df, score="sat", codebook=cb)
    with pytest.raises(CXValueError, match="codebook has no variable 'rec'"):
        sv.top_box(df, score="rec", codebook=cb)
    with pytest.raises(CXValueError, match="value 11"):
        sv.nps(df.assign(rec=df["rec"].where(df.index != 2, 11)), score="rec")
    with pytest.raises(CXValueError, match="needs the scale"):
        sv.top_box(df, score="sat")
    with pytest.raises(CXValueError, match="k="):
        sv.top_box(df, score="sat", k=5, scale=(1, 5))
    with pytest.raises(CXValueError, match="alpha"):
        sv.mean(df, score="sat", alpha=1.5)
    with pytest.raises(CXValueError, match="single PSU"):
        sv.mean(df.assign(one=1), score="sat", strata="seg", cluster="one")
    with pytest.raises(CXValueError, match="lonely_psu"):
        sv.mean(df, score="sat", lonely_psu="nope")


# --- the fused fast path (no clusters) equals the general path ----------------------------------


@pytest.mark.parametrize("design", [{}, {"strata": "h"}, {"strata": "h", "fpc": "N"}])
def test_fast_path_equals_general_path(design):
    # a cluster id unique per row is the same design, but takes the general per-item path
    df = simulated(n=3000, seed=11)
    df["h"] = np.where(df["w"] > 1.0, "hi", "lo")
    df["N"] = 10 * df.groupby("h")["h"].transform("size")
    df["rid"] = np.arange(len(df))
    kw = dict(by="seg", weights="w", **design)
    for fn, extra in (("mean", {}), ("nps", {}), ("top_box", {"scale": (1, 5)})):
        score = "rec" if fn == "nps" else "sat"
        fast = getattr(sv, fn)(df, score=score, **kw, **extra)
        slow = getattr(sv, fn)(df, score=score, cluster="rid", **kw, **extra)
        pd.testing.assert_frame_equal(fast, slow, rtol=1e-9)


def test_fast_path_threads_on_large_data_agree():
    # >= 100,000 rows and several items: the threaded kernel gives the per-item result
    df = simulated(n=120_000, seed=12)
    df["sat2"] = df["sat"][::-1].to_numpy()
    both = sv.mean(df, score=["sat", "sat2"], by="seg", weights="w")
    one = sv.mean(df, score="sat2", by="seg", weights="w")
    pd.testing.assert_frame_equal(
        both[both["score"] == "sat2"].reset_index(drop=True), one, rtol=1e-12
    )


# --- lonely PSUs (R options(survey.lonely.psu=...)) ----------------------------------------------


@pytest.mark.parametrize("rule", ["remove", "adjust"])
def test_lonely_psu_rules_match_r(rule):
    df = pd.read_csv(REF / "apiclus1.csv")
    df["grp"] = np.where(df["dnum"] == 716, "solo", "rest")
    # svydesign(ids=~dnum, strata=~grp, weights=~pw, data=apiclus1) with district 716 alone
    kw = dict(weights="pw", strata="grp", cluster="dnum", lonely_psu=rule)
    ref = EXTRA[f"lonely_{rule}"]
    m = sv.mean(df, score="api00", **kw)  # svymean(~api00, d)
    np.testing.assert_allclose(m["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(m["se"], scalar(ref["se"]), rtol=RTOL)
    b = sv.mean(df, score="api00", by="stype", **kw)  # svyby(~api00, ~stype, d, svymean)
    assert list(b["stype"]) == ref["by_level"]
    np.testing.assert_allclose(b["se"], ref["by_se"], rtol=RTOL)


def test_computation_never_imports_presentation():
    import ast

    pkg = Path(sv.__file__).parent
    banned = ("viz", "tables", "report", "cli", "commands")
    for f in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                parts = name.split(".")
                assert not (parts[0] == "cxresearch" and len(parts) > 1 and parts[1] in banned), (
                    f,
                    name,
                )


# --- domains with missing segments, totals by domain, suppress() ---------------------------------


def test_missing_segment_rows_stay_in_design_but_in_no_domain():
    df = simulated(n=1000, seed=8)
    df.loc[df.index[:50], "seg"] = None
    out = sv.mean(df, score="rec", by="seg", weights="w")
    assert set(out["seg"]) == {"a", "b", "c", "d"}
    n = len(df)  # all rows count in the with-replacement n/(n-1), as R's svyby on the full design
    g = df[df["seg"] == "a"]
    m = np.average(g["rec"], weights=g["w"])
    z = g["w"] * (g["rec"] - m) / g["w"].sum()
    np.testing.assert_allclose(
        out.set_index("seg").loc["a", "se"], np.sqrt(n / (n - 1) * (z**2).sum())
    )


def test_total_by_domain_brute_force_stratified():
    df = simulated(n=800, seed=9)
    df["h"] = np.where(df["w"] > 1.0, "hi", "lo")
    out = sv.total(df, score="sat", by="seg", weights="w", strata="h").set_index("seg")
    for seg in "abcd":
        z = np.where((df["seg"] == seg) & df["sat"].notna(), df["w"] * df["sat"].fillna(0), 0.0)
        var = 0.0
        for _, idx in df.groupby("h").indices.items():
            zh = z[idx]
            nh = len(zh)
            var += nh / (nh - 1) * ((zh - zh.mean()) ** 2).sum()
        np.testing.assert_allclose(out.loc[seg, "estimate"], z.sum(), rtol=1e-12)
        np.testing.assert_allclose(out.loc[seg, "se"], np.sqrt(var), rtol=1e-10)


def test_suppress_any_frame():
    f = pd.DataFrame(
        {
            "grp": list("abc"),
            "n": [2.0, 12.0, 50.0],
            "estimate": [1.0, 2.0, 3.0],
            "label": ["x", "y", "z"],
        }
    )
    before = f.copy()
    out = sv.suppress(f)
    pd.testing.assert_frame_equal(f, before)
    assert list(out["suppressed"]) == [True, False, False]
    assert list(out["small_base"]) == [True, True, False]
    assert np.isnan(out["estimate"].iloc[0]) and out["estimate"].iloc[1] == 2.0
    assert out["label"].iloc[0] == "x"  # only value columns are blanked
    out2 = sv.suppress(f.rename(columns={"n": "base"}), base="base", min_base=10, anonymity_min=3)
    assert list(out2["small_base"]) == [True, False, False]
    with pytest.raises(CXValueError, match="anonymity_min"):
        sv.suppress(f, min_base=3, anonymity_min=5)
    with pytest.raises(CXValueError, match="'base'"):
        sv.suppress(f, base="base")


@pytest.mark.parametrize(
    "name, design",
    [
        (
            "apistrat",
            dict(weights="pw", strata="stype"),
        ),  # svydesign(ids=~1, strata=~stype, weights=~pw)
        ("apiclus1", dict(weights="pw", cluster="dnum")),  # svydesign(ids=~dnum, weights=~pw)
    ],
)
def test_domain_logit_ci_uses_domain_df_like_r(name, design):
    # svyby(~I(sch.wide=='Yes'), ~stype, d, svyciprop, vartype='ci', method='logit')
    df = pd.read_csv(REF / f"{name}.csv")
    out = sv.proportion(df, score="sch.wide", level="Yes", by="stype", **design)
    ref = EXTRA[f"by_ciprop_{name}"]
    assert list(out["stype"]) == ref["level"]
    np.testing.assert_allclose(out["df"], ref["df"])  # degf(subset(d, stype==s))
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(out["ci_lower"], ref["ci_lower"], rtol=RTOL)
    np.testing.assert_allclose(out["ci_upper"], ref["ci_upper"], rtol=RTOL)
    # the fast path (mean/top-box on a 0/1 column) reports the same domain d.f.
    df["yes"] = (df["sch.wide"] == "Yes").astype(float)
    tb = sv.top_box(df, score="yes", k=1, scale=(0, 1), by="stype", **design)
    np.testing.assert_allclose(tb["df"], ref["df"])
    np.testing.assert_allclose(tb["ci_lower"], ref["ci_lower"], rtol=RTOL)


# --- design options -----------------------------------------------------------------------------


def test_design_option_equivalences():
    df = pd.read_csv(REF / "apisrs.csv")
    a = sv.mean(df, score="api00", weights="pw", fpc="fpc")
    b = sv.mean(df, score="api00", weights="pw", fpc=6194)  # a number: population size
    c = sv.mean(df, score="api00", weights="pw", fpc=200 / 6194)  # a fraction <= 1
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    # two strata columns are their crossing
    s = pd.read_csv(REF / "apistrat.csv")
    s["both"] = s["stype"] + "/" + s["awards"]
    x = sv.mean(s, score="api00", weights="pw", strata=["stype", "awards"])
    y = sv.mean(s, score="api00", weights="pw", strata="both")
    pd.testing.assert_frame_equal(x, y)
    with pytest.raises(CXValueError, match="constant within each stratum"):
        sv.mean(
            s.assign(f=np.arange(len(s)) + 1000),
            score="api00",
            weights="pw",
            strata="stype",
            fpc="f",
        )
    with pytest.raises(CXValueError, match="smaller than the 200 PSUs"):
        sv.mean(df, score="api00", weights="pw", fpc=100)


def test_difference_of_proportions_and_top_box_brute_force():
    df = pd.read_csv(REF / "apistrat.csv")
    kw = dict(weights="pw", strata="stype")
    d = sv.difference(
        df, score="sch.wide", by="awards", statistic="proportion", level="Yes", **kw
    ).iloc[0]
    p = sv.proportion(df, score="sch.wide", level="Yes", by="awards", **kw).set_index("awards")
    np.testing.assert_allclose(
        d["estimate"], p.loc["Yes", "estimate"] - p.loc["No", "estimate"], rtol=1e-12
    )
    assert (d["level_a"], d["level_b"]) == ("No", "Yes")
    # top-box difference = difference of box shares; SE from the joint influence values
    df["r5"] = np.clip(df["api00"] // 200, 1, 5)
    t = sv.difference(df, score="r5", by="awards", statistic="top_box", scale=(1, 5), **kw).iloc[0]
    b = sv.top_box(df, score="r5", scale=(1, 5), by="awards", **kw).set_index("awards")
    np.testing.assert_allclose(
        t["estimate"], b.loc["Yes", "estimate"] - b.loc["No", "estimate"], rtol=1e-12
    )
    assert 0 < t["se"] < b["se"].sum()


@pytest.mark.parametrize("rule", ["remove", "adjust"])
def test_vcov_diagonal_equals_domain_variance(rule):
    # internal consistency: the full covariance (used by differences, chisq) has the domain
    # variances (tested against R above) on its diagonal, for every lonely-PSU rule
    from cxresearch.survey import _design as core

    df = pd.read_csv(REF / "apiclus1.csv")
    df["grp"] = np.where(df["dnum"] == 716, "solo", "rest")
    des = core.build_design(
        df, weights="pw", strata="grp", cluster="dnum", fpc=None, lonely_psu=rule
    )
    dom = core.build_domains(df, ["stype"])
    y = df["api00"].to_numpy(float)
    var = core.domain_mean(des, dom, y).var
    Z = np.column_stack([core.mean_influence(des, y, dom.code == d)[1] for d in range(dom.n_dom)])
    np.testing.assert_allclose(np.diag(des.vcov(Z)), var, rtol=1e-10)


def test_crossed_domains_match_r():
    # svyby(~api00, ~stype+awards, d, svymean), d = svydesign(ids=~1, strata=~stype, weights=~pw, fpc=~fpc)
    s = pd.read_csv(REF / "apistrat.csv")
    m = sv.mean(s, score="api00", by=["stype", "awards"], weights="pw", strata="stype", fpc="fpc")
    ref = EXTRA["by_two_strat_fpc"]
    got = m.set_index(["stype", "awards"]).loc[list(zip(ref["stype"], ref["awards"], strict=True))]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=RTOL)
    # svyby(~enroll, ~stype+awards, d, svytotal), d = svydesign(ids=~dnum, weights=~pw, fpc=~fpc)
    c = pd.read_csv(REF / "apiclus1.csv")
    t = sv.total(c, score="enroll", by=["stype", "awards"], weights="pw", cluster="dnum", fpc="fpc")
    ref = EXTRA["by_two_total_clus1_fpc"]
    got = t.set_index(["stype", "awards"]).loc[list(zip(ref["stype"], ref["awards"], strict=True))]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(got["se"], ref["se"], rtol=RTOL)
