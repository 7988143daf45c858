"""cxresearch.survey on the demo study (cxresearch.synth): KPIs by branch and wave, suppression,
trends with the panel as clusters, raking, reliability. Brute-force checks use pandas directly."""

from __future__ import annotations

import numpy as np
import pytest

import cxresearch.survey as sv
from _survey_helpers import quiet_small_bases  # noqa: F401  (autouse fixture)
from cxresearch.errors import NotEstimableWarning, SmallBaseWarning

synth = pytest.importorskip("cxresearch.synth")
codebook_mod = pytest.importorskip("cxresearch.codebook")


@pytest.fixture(scope="module")
def study():
    return synth.generate(seed=3)


def weighted_nps(g):
    w = g["weight"]
    return 100 * (w[g["recommend"] >= 9].sum() - w[g["recommend"] <= 6].sum()) / w.sum()


def test_nps_by_branch_and_wave(study):
    r = study.responses
    out = sv.nps(r, score="recommend", by=["branch", "wave"], weights="weight")
    cells = r.groupby(["branch", "wave"]).size()
    assert len(out) == len(cells)
    ref = r.groupby(["branch", "wave"]).apply(weighted_nps, include_groups=False)
    got = out.set_index(["branch", "wave"])["estimate"]
    np.testing.assert_allclose(got.loc[ref.index], ref, rtol=1e-10)
    assert (
        out["n"].to_numpy()
        == cells.loc[list(zip(out["branch"], out["wave"], strict=True))].to_numpy()
    ).all()
    assert out["se"].gt(0).all() and (out["ci_lower"] < out["estimate"]).all()
    np.testing.assert_allclose(out[["promoters", "passives", "detractors"]].sum(axis=1), 1.0)


def test_csat_by_branch_and_wave_with_codebook(study):
    r = study.responses
    cb = codebook_mod.load(study.codebook)
    out = sv.csat(r, score="overall_sat", codebook=cb, by=["branch", "wave"], weights="weight")
    box = out[out["statistic"] == "top_box"]
    assert (box["threshold"] == 9).all()  # overall_sat is 0-10 in the codebook: top-2 = 9, 10
    one = r[(r["branch"] == 2) & (r["wave"] == 2020)]
    got = box[(box["branch"] == 2) & (box["wave"] == 2020)]["estimate"].iloc[0]
    np.testing.assert_allclose(got, np.average(one["overall_sat"] >= 9, weights=one["weight"]))
    mean = out[out["statistic"] == "mean"]
    got = mean[(mean["branch"] == 2) & (mean["wave"] == 2020)]["estimate"].iloc[0]
    np.testing.assert_allclose(got, np.average(one["overall_sat"], weights=one["weight"]))
    # the codebook dict works as well
    same = sv.top_box(
        r, score="overall_sat", codebook=study.codebook, by=["branch", "wave"], weights="weight"
    )
    np.testing.assert_allclose(same["estimate"], box["estimate"])


def test_suppression_on_a_small_branch_wave_cell(study):
    r = study.responses
    tiny = r[(r["branch"] == 8) & (r["wave"] == 2025)].index[3:]  # leave 3 respondents
    small = r[(r["branch"] == 7) & (r["wave"] == 2025)].index[20:]  # leave 20
    cut = r.drop(index=tiny.union(small))
    with pytest.warns(SmallBaseWarning):
        out = sv.nps(cut, score="recommend", by=["branch", "wave"], weights="weight")
    out = out.set_index(["branch", "wave"])
    t = out.loc[(8, 2025)]
    assert t["n"] == 3 and t["suppressed"] and np.isnan(t["estimate"]) and np.isnan(t["se"])
    assert np.isnan(t["promoters"]) and np.isnan(t["ci_upper"])
    s = out.loc[(7, 2025)]
    assert s["n"] == 20 and s["small_base"] and not s["suppressed"] and np.isfinite(s["estimate"])
    assert out.drop(index=[(8, 2025), (7, 2025)])["suppressed"].eq(False).all()
    # the same rule in a trend: the suppressed wave has no value and no change on either side
    tr = sv.trend(
        cut[cut["branch"] == 8], score="recommend", wave="wave", statistic="nps", weights="weight"
    )
    last = tr[tr["wave"] == 2025].iloc[0]
    assert last["suppressed"] and np.isnan(last["estimate"]) and np.isnan(last["change"])


def test_trend_with_customers_as_clusters(study):
    r = study.responses
    tr = sv.trend(
        r, score="recommend", wave="wave", statistic="nps", weights="weight", cluster="customer_id"
    )
    assert list(tr["wave"]) == sorted(r["wave"].unique())
    assert tr["change"].iloc[1:].notna().all()
    ref = r.groupby("wave").apply(weighted_nps, include_groups=False)
    np.testing.assert_allclose(tr["estimate"], ref.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(tr["change"].iloc[1:], np.diff(ref.to_numpy()), rtol=1e-8)
    # customers answer several waves, so consecutive waves are positively correlated:
    # the clustered change SE is smaller than the independent-samples one
    indep = np.sqrt(tr["se"].iloc[:-1].to_numpy() ** 2 + tr["se"].iloc[1:].to_numpy() ** 2)
    assert (tr["change_se"].iloc[1:].to_numpy() < indep).mean() > 0.5


def test_rake_demo_to_branch_and_segment(study):
    r = study.responses[study.responses["wave"] == 2025]
    branch = {b: 1 / 8 for b in range(1, 9)}
    seg = {1: 0.6, 2: 0.4}
    res = sv.rake(r, margins={"branch": branch, "segment": seg})
    assert res.converged and 0 < res.efficiency <= 1
    w = res.weights
    np.testing.assert_allclose(w.groupby(r["segment"]).sum() / w.sum(), [0.6, 0.4], atol=1e-9)
    m = sv.mean(r, score="overall_sat", weights=res)  # calibrated SE
    assert np.isfinite(m["se"].iloc[0])


def test_reliability_by_codebook_dimension(study):
    r = study.responses
    with pytest.warns(NotEstimableWarning):  # one-item dimensions are skipped, and said so
        res = sv.reliability(r, codebook=codebook_mod.load(study.codebook))
    assert "service" in set(res.scales["dimension"])
    svc = res.scales.set_index("dimension").loc["service"]
    assert 0 < svc["estimate"] < 1 and svc["ci_lower"] < svc["estimate"] < svc["ci_upper"]
    assert svc["low_alpha"] == (svc["estimate"] < 0.7)


def test_crosstab_on_demo(study):
    r = study.responses[study.responses["wave"] == 2025]
    res = sv.crosstab(
        r, banner=["segment", "branch"], means=["overall_sat", "recommend"], weights="weight"
    )
    assert len(res.cells) == 2 * (1 + 2 + 8)  # Total + segment + branch columns
    assert res.cells.loc[res.cells["banner"] != "Total", "letter"].nunique() == 10
    assert set(res.tests["banner"]) == {"segment", "branch"}
    assert len(res.tests) == 2 * (1 + 28)
