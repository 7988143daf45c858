"""Key driver analysis (issue 4): exact LMG against brute force and pingouin, invariances, errors."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

import cxresearch.drivers as drv
from cxresearch.errors import CXValueError


def make_data(n=300, p=6, seed=0, weights=True):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(p, p)) * 0.4
    X = rng.normal(size=(n, p)) @ (np.eye(p) + C) + 3.0
    y = X @ rng.normal(size=p) + rng.normal(size=n) * 2 + 10
    df = pd.DataFrame(X, columns=[f"d{i}" for i in range(p)])
    df["y"] = y
    if weights:
        df["w"] = rng.gamma(2.0, 0.5, size=n)
    return df, [f"d{i}" for i in range(p)]


def brute_lmg(df, outcome, drivers, weights=None):
    """LMG by definition: fit every subset with (weighted) least squares, average the R² gain of
    each driver over all p! orderings."""
    y = df[outcome].to_numpy(float)
    X = df[drivers].to_numpy(float)
    w = np.ones(len(y)) if weights is None else df[weights].to_numpy(float)
    sw = np.sqrt(w)
    ybar = w @ y / w.sum()
    sst = w @ (y - ybar) ** 2
    p = len(drivers)
    r2 = {}
    for k in range(p + 1):
        for S in itertools.combinations(range(p), k):
            Z = np.column_stack([np.ones(len(y)), X[:, list(S)]])
            b = np.linalg.lstsq(Z * sw[:, None], y * sw, rcond=None)[0]
            e = y - Z @ b
            r2[frozenset(S)] = 1 - (w @ e**2) / sst
    out = np.zeros(p)
    for order in itertools.permutations(range(p)):
        S = frozenset()
        for j in order:
            out[j] += r2[S | {j}] - r2[S]
            S = S | {j}
    return out / math.factorial(p), r2[frozenset(range(p))]


@pytest.mark.parametrize("p", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_lmg_equals_brute_force(p, weighted):
    df, drivers = make_data(n=150 + 20 * p, p=p, seed=p)
    expected, r2 = brute_lmg(df, "y", drivers, "w" if weighted else None)
    res = drv.shapley(df, outcome="y", drivers=drivers, weights="w" if weighted else None)
    np.testing.assert_allclose(res.importance["lmg"], expected, rtol=0, atol=1e-10)
    assert res.r2 == pytest.approx(r2, abs=1e-10)
    assert res.exact and res.n == len(df)


@pytest.mark.slow
def test_exact_lmg_equals_brute_force_p9_weighted():
    # 9! = 362,880 orderings over 512 weighted fits
    df, drivers = make_data(n=400, p=9, seed=11)
    expected, _ = brute_lmg(df, "y", drivers, "w")
    res = drv.shapley(df, outcome="y", drivers=drivers, weights="w")
    np.testing.assert_allclose(res.importance["lmg"], expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("p", [4, 8, 12])
def test_matches_pingouin_relimp(p):
    df, drivers = make_data(n=500, p=p, seed=100 + p, weights=False)
    lm = pg.linear_regression(df[drivers], df["y"], relimp=True)
    res = drv.shapley(df, outcome="y", drivers=drivers)
    np.testing.assert_allclose(res.importance["lmg"], lm["relimp"].to_numpy()[1:], atol=1e-10)
    np.testing.assert_allclose(
        res.importance["share"] * 100, lm["relimp_perc"].to_numpy()[1:], atol=1e-8
    )


def test_shares_sum_to_one_and_lmg_to_r2():
    df, drivers = make_data(p=8, seed=3)
    res = drv.shapley(df, outcome="y", drivers=drivers, weights="w")
    imp = res.importance
    assert imp["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert imp["lmg"].sum() == pytest.approx(res.r2, abs=1e-12)
    assert list(imp["driver"]) == drivers
    assert sorted(imp["rank"]) == list(range(1, 9))
    assert imp.loc[imp["share"].idxmax(), "rank"] == 1


def test_invariances():
    df, drivers = make_data(p=7, seed=4)
    base = drv.shapley(df, outcome="y", drivers=drivers, weights="w").importance.set_index("driver")
    # driver order
    rev = drv.shapley(df, outcome="y", drivers=drivers[::-1], weights="w").importance
    np.testing.assert_allclose(rev.set_index("driver").loc[drivers, "lmg"], base["lmg"], atol=1e-12)
    # rescaling and shifting drivers and the outcome
    df2 = df.copy()
    df2["d2"] = df2["d2"] * -37.5 + 4
    df2["y"] = df2["y"] * 0.01
    res2 = drv.shapley(df2, outcome="y", drivers=drivers, weights="w").importance
    np.testing.assert_allclose(res2["lmg"], base["lmg"], atol=1e-11)
    # row order
    df3 = df.sample(frac=1.0, random_state=1)
    res3 = drv.shapley(df3, outcome="y", drivers=drivers, weights="w").importance
    np.testing.assert_allclose(res3["lmg"], base["lmg"], atol=1e-12)
    # unit weights equal unweighted; rescaled weights change nothing
    df4 = df.assign(w=1.0)
    np.testing.assert_allclose(
        drv.shapley(df4, outcome="y", drivers=drivers, weights="w").importance["lmg"],
        drv.shapley(df, outcome="y", drivers=drivers).importance["lmg"],
        atol=1e-12,
    )
    df5 = df.assign(w=df["w"] * 123.0)
    np.testing.assert_allclose(
        drv.shapley(df5, outcome="y", drivers=drivers, weights="w").importance["lmg"],
        base["lmg"],
        atol=1e-12,
    )


def test_integer_weights_equal_replicated_rows():
    df, drivers = make_data(n=120, p=4, seed=5, weights=False)
    rng = np.random.default_rng(0)
    df["w"] = rng.integers(1, 4, size=len(df)).astype(float)
    rep = df.loc[df.index.repeat(df["w"].astype(int))]
    a = drv.shapley(df, outcome="y", drivers=drivers, weights="w").importance["lmg"]
    b = drv.shapley(rep, outcome="y", drivers=drivers).importance["lmg"]
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_caller_data_not_mutated():
    df, drivers = make_data(p=4, seed=6)
    df.loc[3, "d1"] = np.nan
    before = df.copy()
    drv.shapley(df, outcome="y", drivers=drivers, weights="w", ci=True, n_boot=60, seed=1)
    pd.testing.assert_frame_equal(df, before)


def test_sampled_lmg_is_announced_and_close():
    df, drivers = make_data(n=400, p=8, seed=7)
    exact = drv.shapley(df, outcome="y", drivers=drivers).importance["lmg"].to_numpy()
    with pytest.warns(drv.SampledShapleyWarning, match="max_exact=6"):
        res = drv.shapley(df, outcome="y", drivers=drivers, max_exact=6, seed=3)
    assert not res.exact and res.n_permutations == 20_000
    z = (res.importance["lmg"].to_numpy() - exact) / res.importance["mc_se"].to_numpy()
    assert np.all(np.abs(z) < 4.5)
    assert res.importance["lmg"].sum() == pytest.approx(res.r2, abs=1e-12)
    # explicit request: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res2 = drv.shapley(df, outcome="y", drivers=drivers, lmg="sampled", seed=3)
    assert not res2.exact
    with pytest.raises(CXValueError, match="max_exact"):
        drv.shapley(df, outcome="y", drivers=drivers, lmg="exact", max_exact=6)


def test_exact_lmg_p20_matches_sampled_and_sums():
    # p = 20 exact (about 1e6 subsets) — checked against the permutation estimate
    df, drivers = make_data(n=600, p=20, seed=8, weights=False)
    exact = drv.shapley(df, outcome="y", drivers=drivers)
    assert exact.exact
    assert exact.importance["lmg"].sum() == pytest.approx(exact.r2, abs=1e-10)
    samp = drv.shapley(
        df, outcome="y", drivers=drivers, lmg="sampled", n_permutations=20_000, seed=2
    )
    z = (samp.importance["lmg"] - exact.importance["lmg"]) / samp.importance["mc_se"]
    assert np.all(np.abs(z) < 4.5)


def test_performance_gap_is_the_paired_test_of_each_driver_against_the_average():
    """Unweighted, the gap's p value is scipy's one-sample t test of each respondent's
    ``x_j - mean_m x_m``; weighted, the estimate and SE are the linearised weighted mean of that
    contrast computed here by hand; top-box gaps use the indicators; a median cut has no test."""
    from scipy import stats

    import cxresearch as cx

    study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    wave = study.responses.query("wave == 2017")
    drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    rows = wave[[*drivers, "overall_sat", "weight"]].dropna()
    x = rows[drivers].to_numpy(float)
    d = x - x.mean(axis=1, keepdims=True)

    ipa = drv.importance_performance(wave, outcome="overall_sat", drivers=drivers)
    ref = stats.ttest_1samp(d, 0.0, axis=0)
    ci = ref.confidence_interval(0.95)
    np.testing.assert_allclose(ipa["performance_gap"], d.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ipa["performance_gap"], ipa["performance"] - ipa["performance_cut"])
    np.testing.assert_allclose(ipa["gap_p_value"], ref.pvalue, rtol=1e-9)
    np.testing.assert_allclose(ipa["gap_ci_lower"], ci.low, rtol=1e-9)
    np.testing.assert_allclose(ipa["gap_ci_upper"], ci.high, rtol=1e-9)

    w = rows["weight"].to_numpy(float)
    ipw = drv.importance_performance(wave, outcome="overall_sat", drivers=drivers, weights="weight")
    n = len(w)
    est = w @ d / w.sum()
    se = np.sqrt(n / (n - 1) * ((w[:, None] * (d - est)) ** 2).sum(axis=0)) / w.sum()
    t = stats.t.ppf(0.975, n - 1)
    np.testing.assert_allclose(ipw["performance_gap"], est, rtol=1e-12)
    np.testing.assert_allclose(ipw["gap_ci_upper"], est + t * se, rtol=1e-9)
    np.testing.assert_allclose(ipw["gap_p_value"], 2 * stats.t.sf(abs(est / se), n - 1), rtol=1e-9)

    top = drv.importance_performance(
        wave, outcome="overall_sat", drivers=drivers, performance="top_box", top_box=4
    )
    b = (x >= 4).astype(float)
    np.testing.assert_allclose(top["performance_gap"], (b - b.mean(axis=1, keepdims=True)).mean(0))
    med = drv.importance_performance(wave, outcome="overall_sat", drivers=drivers, cut="median")
    assert "performance_gap" not in med
