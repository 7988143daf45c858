"""The demo study recovers the truth it reports (checked with independent numpy/statsmodels fits)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm

from cxresearch import synth
from cxresearch.errors import CXValueError


@pytest.fixture(scope="module")
def study():
    return synth.generate(seed=11, n_customers=2500, n_waves=12)


def test_same_seed_same_study():
    a = synth.generate(seed=5, n_customers=200, n_waves=5)
    b = synth.generate(seed=5, n_customers=200, n_waves=5)
    pd.testing.assert_frame_equal(a.responses, b.responses)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    c = synth.generate(seed=6, n_customers=200, n_waves=5)
    assert not a.responses["overall_sat"].equals(c.responses["overall_sat"])


def test_shape_and_scales(study):
    r = study.responses
    assert r["wave"].nunique() == 12
    assert r["branch"].nunique() >= 4 and r["segment"].nunique() == 2
    assert r["customer_id"].nunique() >= 2500
    assert not r.duplicated(["respondent_id"]).any()
    assert not r.duplicated(["customer_id", "wave"]).any()
    for item in (*synth.DRIVER_ITEMS, *synth.PROCESS_ITEMS):
        v = r[item].dropna()
        assert v.between(1, 5).all(), item
    for item in ("overall_sat", "recommend", "repurchase"):
        assert r[item].between(0, 10).all(), item
    # weights post-stratify each wave to the active base: mean 1 per wave
    assert np.allclose(r.groupby("wave")["weight"].mean(), 1.0)
    # gaps: some customers skip a wave while active
    active = study.customers[study.customers["active"]]
    assert len(r) < len(active)


def test_driver_weights_recovered_by_ols(study):
    r = study.responses
    items = list(synth.DRIVER_ITEMS)
    x = r[items + ["proc_sales", "proc_service", "proc_parts"]].astype(float)
    fit = sm.OLS(r["overall_sat"].astype(float), sm.add_constant(x)).fit()
    for k, w in study.truth.driver_weights.items():
        assert abs(fit.params[k] - w) < 0.06, (k, fit.params[k], w)
    est_top3 = list(fit.params[items].sort_values(ascending=False).index[:3])
    assert est_top3 == list(study.truth.top_drivers[:3])


def _lag_fit(r, outcome, exposure, max_lag=6):
    base = r[["customer_id", "wave", outcome]].astype({outcome: float})
    for k in range(max_lag + 1):
        lagged = r[["customer_id", "wave", exposure]].astype({exposure: float})
        lagged = lagged.assign(wave=lagged["wave"] + k).rename(columns={exposure: f"x{k}"})
        base = base.merge(lagged, on=["customer_id", "wave"], how="inner")
    cols = [f"x{k}" for k in range(max_lag + 1)]
    groups = pd.factorize(base["customer_id"])[0]
    fit = sm.OLS(base[outcome], sm.add_constant(base[cols])).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    return fit.params[cols].to_numpy(), fit.tvalues[cols].to_numpy()


def test_lag_profiles_follow_the_truth(study):
    b, t = _lag_fit(study.responses, "repurchase", "overall_sat")
    true = np.zeros(7)
    true[: len(study.truth.sat_loyalty_lags)] = study.truth.sat_loyalty_lags
    # transfers scale loyalty by (1 - penalty)^T: the lag effects shrink by about E[(1-π)^T]
    assert np.all(t[:4] > 4)
    assert np.all(np.abs(b - true * 0.95) < 0.05), b
    b, t = _lag_fit(study.responses, "overall_sat", "proc_service")
    assert np.all(t[:2] > 4) and np.all(np.abs(b[2:]) < 0.08), b


def test_no_effect_truth_generates_no_lag_effect():
    st = synth.generate(seed=2, n_customers=1500, truth=synth.Truth(sat_loyalty_lags=()))
    b, t = _lag_fit(st.responses, "repurchase", "overall_sat")
    assert np.all(np.abs(b) < 0.05), b
    assert st.truth.sat_loyalty_horizon == 0


def test_churn_rises_with_consecutive_dissatisfied_years(study):
    c = study.customers[study.customers["active"]].sort_values(["customer_id", "year"])
    m = c.merge(
        study.responses[["customer_id", "wave", "overall_sat"]],
        left_on=["customer_id", "year"],
        right_on=["customer_id", "wave"],
        how="left",
    )
    dis = (m["overall_sat"] <= study.truth.dissatisfied_cut).to_numpy()
    new = (m["customer_id"] != m["customer_id"].shift()).to_numpy()
    run = np.zeros(len(m), int)
    for i in range(len(m)):
        run[i] = 0 if not dis[i] else (1 if new[i] else run[i - 1] + 1)
    rates = m.assign(run=np.minimum(run, 4)).groupby("run")["churned"].mean()
    assert rates.is_monotonic_increasing, rates
    assert rates[4] > 3 * rates[0]


def test_transfer_penalty_about_ten_percent(study):
    r = study.responses
    m = r.groupby("transfers")["repurchase"].mean()
    ratio = (m.loc[1] / m.loc[0] + m.loc[2] / m.loc[1]) / 2
    assert abs((1 - ratio) - study.truth.transfer_penalty) < 0.03


def test_programme_lifts_engagement(study):
    e = study.employees
    e = e.assign(index=e[[f"q{i:02d}" for i in range(1, 13)]].mean(axis=1))
    prog = e["unit"].isin(study.truth.programme_units)
    after = e["wave"] >= study.programme_start
    g = e.groupby([prog, after])["index"].mean()
    did = (g[True, True] - g[True, False]) - (g[False, True] - g[False, False])
    assert abs(did - study.truth.programme_effect) < 0.12
    # one unit is small: fewer than 5 responses in some wave
    assert (e.groupby(["unit", "wave"]).size() < 5).any()


def test_comments_bilingual_with_themes(study):
    com = study.comments
    assert set(com["lang"]) == {"zh", "en"}
    assert (com["true_themes"] != "").mean() > 0.5
    assert com["text"].str.contains("價|態|質|轉|專").any()  # some traditional characters
    assert com["text"].str.contains(r"1[3-9]\d{9}").any()  # phone numbers to mask
    assert com["text"].str.contains("@").any()


def test_write_all_formats(tmp_path):
    st = synth.generate(seed=4, n_customers=300, n_waves=8)
    paths = synth.write(st, tmp_path)
    fmts = {p.suffix for k, p in paths.items() if k.startswith("survey_")}
    assert fmts == {".csv", ".xlsx", ".sav", ".parquet"}
    csv = paths["survey_2014"]
    raw = csv.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # GBK, not UTF-8
    first = pd.read_csv(csv, encoding="gbk")
    assert (
        "prod_qual" in first.columns and "product_quality" not in first.columns
    )  # alias in early waves
    assert (first["proc_financing"] == 99).any()  # missing code kept in the file
    sav = next(p for p in paths.values() if p.suffix == ".sav")
    df, meta = pyreadstat.read_sav(sav, user_missing=True)
    assert "proc_financing" in meta.missing_ranges
    assert (df["proc_financing"] == 99).any()
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    assert truth["sat_loyalty_horizon"] == 4 and truth["process_sat_horizon"] == 2
    assert oct(paths["codebook"].stat().st_mode & 0o777) != "0o600"


def test_small_studies_generate():
    # small samples leave some segment × branch cells without respondents; weights still post-stratify
    for seed in range(20):
        st = synth.generate(seed=seed, n_customers=120, n_waves=4)
        assert st.responses["weight"].notna().all()
        assert np.allclose(st.responses.groupby("wave")["weight"].mean(), 1.0)


def test_bad_arguments():
    with pytest.raises(CXValueError, match="n_waves"):
        synth.generate(n_waves=2)
    with pytest.raises(CXValueError, match="driver_weights"):
        synth.generate(truth=synth.Truth(driver_weights={"nope": 1.0}))
