"""Key driver statistics against R (tests/reference/drivers/make_reference.R, R 4.2.2, survey 4.1-1;
make_reference_relaimpo.R, relaimpo 2.2-7) and a published worked example (rwa).

Every expected number from R comes from ``tests/reference/drivers/drivers_reference.json`` or
``relaimpo_reference.json``; each entry carries the R call that produced it (``call``), and the R
scripts are beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxresearch.drivers as drv

REF = Path(__file__).parent / "reference" / "drivers"
R = json.loads((REF / "drivers_reference.json").read_text())
RELAIMPO = json.loads((REF / "relaimpo_reference.json").read_text())
SWISS_X = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
MT_X = ["cyl", "disp", "hp", "drat", "wt", "qsec"]
INF_X = ["age", "parity", "induced", "spontaneous"]


@pytest.fixture(scope="module")
def swiss():
    return pd.read_csv(REF / "swiss.csv")


@pytest.fixture(scope="module")
def mtcars():
    return pd.read_csv(REF / "mtcars.csv")


@pytest.fixture(scope="module")
def infert():
    return pd.read_csv(REF / "infert.csv")


def test_lmg_swiss_vs_r(swiss):
    # R: lmg_bruteforce(swiss, 'Fertility', sx) — summary(lm())$r.squared of all 32 subsets
    ref = R["swiss_lmg"]
    res = drv.shapley(swiss, outcome="Fertility", drivers=SWISS_X)
    np.testing.assert_allclose(res.importance["lmg"], ref["lmg"], rtol=0, atol=1e-12)
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-12)


def test_lmg_mtcars_vs_r_unweighted_and_weighted(mtcars):
    # R: lmg_bruteforce(mt, 'mpg', mx); weighted: lm(..., weights = carb)
    res = drv.shapley(mtcars, outcome="mpg", drivers=MT_X)
    np.testing.assert_allclose(res.importance["lmg"], R["mtcars_lmg"]["lmg"], atol=1e-12)
    resw = drv.shapley(mtcars, outcome="mpg", drivers=MT_X, weights="w")
    np.testing.assert_allclose(resw.importance["lmg"], R["mtcars_lmg_weighted"]["lmg"], atol=1e-12)
    assert resw.r2 == pytest.approx(R["mtcars_lmg_weighted"]["r2"], abs=1e-12)


@pytest.mark.parametrize(
    ("name", "data", "outcome", "xs"),
    [("swiss_rw", "swiss", "Fertility", SWISS_X), ("mtcars_rw", "mtcars", "mpg", MT_X)],
)
def test_relative_weights_vs_rwa_web_code(name, data, outcome, xs, request):
    # R: rwa(X, Y) — the RWA-Web algorithm (eigen(), Lambda = V sqrt(D) V')
    df = request.getfixturevalue(data)
    res = drv.relative_weights(df, outcome=outcome, drivers=xs)
    np.testing.assert_allclose(res.importance["raw_weight"], R[name]["raw"], atol=1e-12)
    assert res.importance["raw_weight"].sum() == pytest.approx(res.r2, abs=1e-12)
    assert res.importance["share"].sum() == pytest.approx(1.0, abs=1e-12)


def test_relative_weights_equal_squared_correlations_when_orthogonal():
    # Johnson (2000): with uncorrelated drivers each weight is r_jy²
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(500, 3))
    Q, _ = np.linalg.qr(Z - Z.mean(axis=0))
    df = pd.DataFrame(Q * 10, columns=["a", "b", "c"])
    df["y"] = Q @ [1.0, 2.0, -0.5] + rng.normal(size=500) * 0.05
    res = drv.relative_weights(df, outcome="y", drivers=["a", "b", "c"])
    r = df[["a", "b", "c"]].corrwith(df["y"]).to_numpy()
    np.testing.assert_allclose(res.importance["raw_weight"], r**2, atol=1e-12)
    lmg = drv.shapley(df, outcome="y", drivers=["a", "b", "c"]).importance["lmg"]
    np.testing.assert_allclose(lmg, r**2, atol=1e-12)


def test_spearman_vs_r(swiss):
    # R: cor(swiss[, sx], swiss$Fertility, method = 'spearman')
    res = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="spearman")
    np.testing.assert_allclose(res.importance["rho"], R["swiss_spearman"]["rho"], atol=1e-12)


def test_pearson_pratt_beta_vs_lm(swiss):
    # independent: numpy least squares on z-scores
    Z = swiss[[*SWISS_X, "Fertility"]].apply(lambda s: (s - s.mean()) / s.std())
    beta = np.linalg.lstsq(Z[SWISS_X].to_numpy(), Z["Fertility"].to_numpy(), rcond=None)[0]
    r = swiss[SWISS_X].corrwith(swiss["Fertility"]).to_numpy()
    b = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="beta")
    np.testing.assert_allclose(b.importance["beta"], beta, atol=1e-12)
    np.testing.assert_allclose(b.diagnostics["beta"], beta, atol=1e-12)
    pr = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="pratt")
    np.testing.assert_allclose(pr.importance["pratt"], beta * r, atol=1e-12)
    assert pr.importance["share"].sum() == pytest.approx(1.0, abs=1e-12)
    pe = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="pearson")
    np.testing.assert_allclose(pe.importance["r"], r, atol=1e-12)
    # VIF = 1 / (1 - R²_j) from regressing each driver on the others
    for j, name in enumerate(SWISS_X):
        others = [c for c in SWISS_X if c != name]
        A = np.column_stack([np.ones(len(swiss)), swiss[others]])
        e = swiss[name] - A @ np.linalg.lstsq(A, swiss[name], rcond=None)[0]
        r2j = 1 - (e @ e) / ((swiss[name] - swiss[name].mean()) ** 2).sum()
        assert b.diagnostics["vif"].iloc[j] == pytest.approx(1 / (1 - r2j), rel=1e-10)


def test_pairwise_correlation_vs_r_and_listwise_lmg():
    aq = pd.read_csv(REF / "airquality.csv")
    xs = ["Solar.R", "Wind", "Temp"]
    # R: cor(airquality[, c(xs, 'Ozone')], use = 'pairwise.complete.obs')
    expected = np.array(R["airquality_pairwise"]["cor"])
    from cxresearch.drivers._data import pairwise_moments

    _, _, corr, count, _ = pairwise_moments(aq[[*xs, "Ozone"]].to_numpy(float), None)
    np.testing.assert_allclose(corr, expected, atol=1e-12)
    pw = drv.shapley(aq, outcome="Ozone", drivers=xs, missing="pairwise")
    assert pw.missing == "pairwise" and pw.n == int(count.min())
    # R: lmg_bruteforce(na.omit(airquality[...]), 'Ozone', ax) — lm() drops incomplete rows
    lw = drv.shapley(aq, outcome="Ozone", drivers=xs)
    assert lw.missing == "listwise" and lw.n == 111
    np.testing.assert_allclose(
        lw.importance["lmg"], R["airquality_listwise_lmg"]["lmg"], atol=1e-12
    )


def test_logistic_relative_weights_vs_r(infert):
    # R: rwa_logistic(as.matrix(infert[, ix]), infert$case) (Tonidandel & LeBreton 2010 / RWA-Web)
    ref = R["infert_logistic_rw"]
    res = drv.logistic(infert, outcome="case", drivers=INF_X)
    # R's glm stops at deviance change < 1e-8, so its coefficients carry ~1e-9 error
    np.testing.assert_allclose(res.importance["raw_weight"], ref["raw"], rtol=1e-6, atol=1e-9)
    assert res.r2 == pytest.approx(ref["r2"], rel=1e-7)
    assert res.importance["raw_weight"].sum() == pytest.approx(res.r2, rel=1e-12)


def test_odds_ratios_vs_r_glm(infert):
    # R: g <- glm(case ~ age + parity + induced + spontaneous, binomial, infert)
    #    coef(g); sqrt(diag(vcov(g))); exp(confint.default(g))
    ref = R["infert_glm"]
    res = drv.logistic(infert, outcome="case", drivers=INF_X)
    o = res.odds_ratios
    np.testing.assert_allclose(o["coef"], ref["coef"][1:], rtol=1e-7)
    # R computes the SE from the IRLS weights of its last-but-one iterate: agreement to 1e-4
    np.testing.assert_allclose(o["se"], ref["se"][1:], rtol=1e-4)
    ci = np.array(ref["or_ci"])[1:]
    np.testing.assert_allclose(o["ci_lower"], ci[:, 0], rtol=1e-4)
    np.testing.assert_allclose(o["ci_upper"], ci[:, 1], rtol=1e-4)
    np.testing.assert_allclose(o["p_value"], 2 * stats.norm.sf(np.abs(o["coef"] / o["se"])))


def test_weighted_odds_ratio_se_vs_svyglm(infert):
    # R: svyglm(case ~ ..., svydesign(ids = ~1, weights = ~w, data = infert), quasibinomial())
    ref = R["infert_svyglm"]
    res = drv.logistic(infert, outcome="case", drivers=INF_X, weights="w")
    np.testing.assert_allclose(res.odds_ratios["coef"], ref["coef"][1:], rtol=1e-7)
    np.testing.assert_allclose(res.odds_ratios["se"], ref["se"][1:], rtol=1e-4)


def test_lmg_and_others_vs_relaimpo_swiss(swiss):
    # R: calc.relimp(Fertility ~ ., data = swiss, type = c('lmg', 'pratt', 'betasq', 'first', 'last'))
    ref = RELAIMPO["swiss"]
    assert ref["names"] == SWISS_X
    res = drv.shapley(swiss, outcome="Fertility", drivers=SWISS_X)
    np.testing.assert_allclose(res.importance["lmg"], ref["lmg"], rtol=0, atol=1e-12)
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-12)
    # R: calc.relimp(Fertility ~ ., data = swiss, type = 'lmg', rela = TRUE)
    np.testing.assert_allclose(res.importance["share"], RELAIMPO["swiss_rela"]["lmg"], atol=1e-12)
    pr = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="pratt")
    np.testing.assert_allclose(pr.importance["pratt"], ref["pratt"], atol=1e-12)
    b = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="beta")
    np.testing.assert_allclose(b.importance["beta"] ** 2, ref["betasq"], atol=1e-12)
    r = drv.importance(swiss, outcome="Fertility", drivers=SWISS_X, method="pearson")
    np.testing.assert_allclose(r.importance["r"] ** 2, ref["first"], atol=1e-12)
    # relaimpo "last" (R² lost when a driver leaves the full model) = β_j² / VIF_j
    last = b.diagnostics["beta"] ** 2 / b.diagnostics["vif"]
    np.testing.assert_allclose(last, ref["last"], atol=1e-12)
    # the same conditional gains: dominance at size p-1 is "last", at size 0 is "first"
    dom = drv.dominance(swiss, outcome="Fertility", drivers=SWISS_X).conditional
    np.testing.assert_allclose(dom.query("size == 4")["estimate"], ref["last"], atol=1e-12)
    np.testing.assert_allclose(dom.query("size == 0")["estimate"], ref["first"], atol=1e-12)


def test_weighted_lmg_vs_relaimpo(mtcars):
    # R: calc.relimp(lm(mpg ~ cyl + disp + hp + drat + wt + qsec, data = mtcars, weights = carb),
    #                type = 'lmg')
    ref = RELAIMPO["mtcars_weighted"]
    assert ref["names"] == MT_X
    res = drv.shapley(mtcars, outcome="mpg", drivers=MT_X, weights="w")
    np.testing.assert_allclose(res.importance["lmg"], ref["lmg"], atol=1e-12)
    assert res.r2 == pytest.approx(ref["r2"], abs=1e-12)


def test_relative_weights_published_example_rwa(mtcars):
    # Published worked example: README of the R package rwa (M. Chan, CRAN), "Basic example":
    #   mtcars %>% rwa(outcome = "mpg", predictors = c("cyl", "disp", "hp", "gear"))
    #   $rsquare 0.7791896
    #   Raw.RelWeight      cyl 0.2284797  disp 0.2221469  hp 0.2321744  gear 0.0963886
    #   Rescaled.RelWeight cyl 29.32274   disp 28.50999   hp 29.79691   gear 12.37037
    xs = ["cyl", "disp", "hp", "gear"]
    res = drv.relative_weights(mtcars, outcome="mpg", drivers=xs)
    assert res.r2 == pytest.approx(0.7791896, abs=5e-8)
    np.testing.assert_allclose(
        res.importance["raw_weight"], [0.2284797, 0.2221469, 0.2321744, 0.0963886], atol=5e-8
    )
    np.testing.assert_allclose(
        res.importance["share"] * 100, [29.32274, 28.50999, 29.79691, 12.37037], atol=5e-6
    )
