"""Expected effect of closing a driver's gap (issue 13, priorities): slope × gap in outcome points.

The slope and its linearised variance are checked against statsmodels' WLS with the HC0 covariance
(× n/(n−1), the with-replacement design variance); the gap against pandas' weighted means; the
interval of the product against a brute-force bootstrap of the same quantity; the priorities table
against driver_effects on the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cxresearch as cx
from cxresearch import findings as F
from cxresearch import synth
from cxresearch.codebook import load as load_codebook
from cxresearch.errors import CXValueError


@pytest.fixture(scope="module")
def demo():
    study = synth.generate(seed=7, n_customers=1500, n_waves=4)
    r = study.responses
    cur = r[r["wave"] == r["wave"].max()].reset_index(drop=True)
    book = load_codebook(study.codebook)
    drivers = [
        v.name for v in book.by_role("driver") if not (v.dimension or "").startswith("process:")
    ]
    return cur, book, drivers


def _wmean(frame, col, w):
    return float(np.sum(frame[col] * frame[w]) / frame[w].sum())


def test_slope_and_gap_equal_statsmodels_and_pandas(demo):
    cur, _, drivers = demo
    got = F.driver_effects(
        cur, outcome="overall_sat", drivers=drivers, by="branch", weights="weight"
    )
    d = cur[["overall_sat", *drivers, "weight", "branch"]].dropna(subset=["overall_sat", *drivers])
    n = len(d)
    fit = sm.WLS(d["overall_sat"], sm.add_constant(d[drivers]), weights=d["weight"]).fit(
        cov_type="HC0"
    )
    for r in got.itertuples():
        assert r.n == n
        assert r.slope == pytest.approx(fit.params[r.driver], rel=1e-9)
        assert r.slope_se == pytest.approx(
            np.sqrt(fit.cov_params().loc[r.driver, r.driver] * n / (n - 1)), rel=1e-7
        )
        means = {
            b: _wmean(part, r.driver, "weight")
            for b, part in d.groupby("branch")
            if len(part) >= 30
        }
        best = max(means, key=means.get)
        assert r.benchmark == str(best) and r.basis == "best_segment"
        assert r.mean == pytest.approx(_wmean(d, r.driver, "weight"), rel=1e-12)
        assert r.target == pytest.approx(means[best], rel=1e-12)
        assert r.gap == pytest.approx(means[best] - r.mean, rel=1e-9)
        assert r.estimate == pytest.approx(fit.params[r.driver] * r.gap, rel=1e-9)
        assert r.ci_lower < r.estimate < r.ci_upper and r.unit == "outcome_points"


def test_one_point_effect_is_the_slope_with_its_interval(demo):
    cur, _, drivers = demo
    got = F.driver_effects(
        cur, outcome="overall_sat", drivers=drivers, weights="weight", target="one_point"
    )
    d = cur[["overall_sat", *drivers, "weight"]].dropna()
    n, p = len(d), len(drivers)
    fit = sm.WLS(d["overall_sat"], sm.add_constant(d[drivers]), weights=d["weight"]).fit(
        cov_type="HC0"
    )
    assert (got["basis"] == "one_point").all() and got["benchmark"].isna().all()
    np.testing.assert_allclose(got["estimate"], fit.params[drivers], rtol=1e-9)
    np.testing.assert_allclose(
        got["se"], np.sqrt(np.diag(fit.cov_params().loc[drivers, drivers]) * n / (n - 1)), rtol=1e-7
    )
    from scipy import stats

    q = stats.t.ppf(0.975, n - p - 1)
    np.testing.assert_allclose(got["ci_upper"] - got["estimate"], q * got["se"], rtol=1e-12)
    # best_segment without a segment column falls back to one point
    fallback = F.driver_effects(cur, outcome="overall_sat", drivers=drivers, weights="weight")
    assert (fallback["basis"] == "one_point").all()
    np.testing.assert_allclose(fallback["estimate"], got["estimate"])


def test_effect_interval_agrees_with_a_bootstrap(demo):
    """The delta-method SE of slope × gap (with the covariance of the slope, the segment mean and the
    Total mean) against the SD of 400 weighted pairs-bootstrap replicates of the same product (the
    benchmark segment held fixed), refitted by least squares: within 15%."""
    cur, _, drivers = demo
    got = F.driver_effects(
        cur, outcome="overall_sat", drivers=drivers, by="branch", weights="weight"
    )
    d = cur[["overall_sat", *drivers, "weight", "branch"]].dropna(subset=["overall_sat", *drivers])
    y = d["overall_sat"].to_numpy(float)
    A = np.column_stack([np.ones(len(d)), d[drivers].to_numpy(float)])
    w = d["weight"].to_numpy(float)
    br = d["branch"].to_numpy()
    rng = np.random.default_rng(1)
    reps = []
    for _ in range(400):
        i = rng.integers(0, len(d), len(d))
        sw = np.sqrt(w[i])
        beta = np.linalg.lstsq(A[i] * sw[:, None], y[i] * sw, rcond=None)[0]
        row = []
        for j, r in enumerate(got.itertuples()):
            x, wi = A[i, j + 1], w[i]
            inside = br[i] == type(br[0])(r.benchmark)
            gap = np.sum(wi[inside] * x[inside]) / wi[inside].sum() - np.sum(wi * x) / wi.sum()
            row.append(beta[j + 1] * gap)
        reps.append(row)
    sd = np.std(np.array(reps), axis=0, ddof=1)
    ratio = got["se"].to_numpy() / sd
    assert np.all((ratio > 0.85) & (ratio < 1.15)), ratio


def test_priorities_give_the_effect_in_outcome_points(demo):
    cur, book, drivers = demo
    res = cx.drivers.importance(
        cur, outcome="overall_sat", drivers=drivers, weights="weight", ci=True, n_boot=100, seed=1
    )
    ipa = cx.drivers.importance_performance(
        cur, outcome="overall_sat", drivers=drivers, weights="weight", codebook=book, lang="en"
    )
    found = F.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="driver_importance")
    drv = [f for f in found if f.kind == "priority_driver"] or [
        f for f in found if f.kind == "top_driver" and f.claim == "largest"
    ]
    assert drv, "the demo has a driver to improve"
    assert all(f.details["drivers"] == drivers and f.details["weights"] == "weight" for f in drv)
    effects = F.driver_effects(
        cur, outcome="overall_sat", drivers=drivers, by="branch", weights="weight"
    ).set_index("driver")
    table = F.priorities(found, data=cur, by="branch")
    rows = table[table["action"] == "improve_driver"]
    assert len(rows) == len(drv)
    for r in rows.itertuples():
        e = effects.loc[r.subject]
        f = next(g for g in drv if g.subject == r.subject)
        assert r.unit == "outcome_points"
        assert (r.estimate, r.ci_lower, r.ci_upper) == (
            pytest.approx(e["estimate"]),
            pytest.approx(e["ci_lower"]),
            pytest.approx(e["ci_upper"]),
        )
        assert r.share == f.estimate
        assert r.details["benchmark"] == e["benchmark"] and r.details["gap"] == pytest.approx(
            e["gap"]
        )
        assert r.details["share_ci_lower"] == f.ci_lower
    # without data the record's share stays the estimate
    plain = F.priorities(found)
    assert (plain.loc[plain["action"] == "improve_driver", "unit"] == "share").all()
    for lang in ("en", "zh"):
        shown = cx.tables.priorities_table(table, lang=lang, codebook=book, by="branch")
        for r, text, interval in zip(
            rows.itertuples(),
            shown.data.loc[rows.index, "effect"],
            shown.data.loc[rows.index, "interval"],
            strict=True,
        ):
            assert f"{r.estimate:+.2f}" in text and f"{r.share:.1%}" in text
            assert f"{r.ci_lower:.2f}".replace("-", "−") in interval
            best = book.get("branch").value_label(int(r.details["benchmark"]), lang)
            assert best in text
        assert any("prediction" in n or "预测" in n for n in shown.notes)
    # a record whose model columns are not in the data is named
    with pytest.raises(CXValueError, match="has no column"):
        F.priorities(found, data=cur.drop(columns=[drivers[0]]), by="branch")


def test_bad_input_is_named(demo):
    cur, _, drivers = demo
    with pytest.raises(CXValueError, match="cannot also be a driver"):
        F.driver_effects(cur, outcome="overall_sat", drivers=["overall_sat", drivers[0]])
    with pytest.raises(CXValueError, match="target must be one of"):
        F.driver_effects(cur, outcome="overall_sat", drivers=drivers, target="top_box")
    with pytest.raises(CXValueError, match="drivers must name a column"):
        F.driver_effects(cur, outcome="overall_sat", drivers=["nope"])
    with pytest.raises(CXValueError, match="must be numeric"):
        F.driver_effects(cur, outcome="comment", drivers=drivers)
    with pytest.raises(CXValueError, match="collinear"):
        F.driver_effects(
            cur.assign(copy=cur[drivers[0]]), outcome="overall_sat", drivers=[drivers[0], "copy"]
        )
    with pytest.raises(CXValueError, match="more complete rows"):
        F.driver_effects(cur.head(3), outcome="overall_sat", drivers=drivers)
    bad = cur.assign(weight=cur["weight"].where(cur.index != 4, -1.0))
    with pytest.raises(CXValueError, match="row 4"):
        F.driver_effects(bad, outcome="overall_sat", drivers=drivers, weights="weight")
    # the caller's frame is not modified
    before = cur.copy()
    F.driver_effects(cur, outcome="overall_sat", drivers=drivers, by="branch", weights="weight")
    pd.testing.assert_frame_equal(cur, before)
