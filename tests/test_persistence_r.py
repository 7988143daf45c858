"""cxresearch.persistence and cxresearch.loyalty against R (plm, sandwich, survival, glm).

The numbers are in tests/reference/persistence/reference.json, written by make_reference.R in the same
folder (each entry carries the R call that produced it, `r_call`); the simulated inputs were written
by make_data.py. Tolerance: relative 1e-7 for estimates and SEs (both sides solve the same equations;
the JSON holds 15 significant digits), 1e-6 for iterated fits (glm).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch import loyalty as L
from cxresearch import persistence as P

pytestmark = pytest.mark.filterwarnings("ignore::cxresearch.persistence.FewClustersWarning")

REF = Path(__file__).parent / "reference" / "persistence"
R = json.loads((REF / "reference.json").read_text())


def grunfeld(**kw):
    g = pd.read_csv(REF / "grunfeld.csv")
    return P.lag_profile(
        g,
        id="firm",
        time="year",
        outcome="inv",
        exposure="value",
        max_lag=2,
        controls=["capital"],
        **kw,
    )


def test_within_matches_plm_and_vcovcl():
    ref = R["grunfeld_within"]  # plm(model="within"); vcovCL on the firm-demeaned lm, HC1
    res = grunfeld(method="within", time_effects=False)
    np.testing.assert_allclose(res.coefficients["estimate"], ref["estimate"], rtol=1e-7)
    np.testing.assert_allclose(res.coefficients["se"], ref["se"], rtol=1e-7)


def test_within_two_way_matches_plm_twoways():
    ref = R["grunfeld_twoways"]  # plm(model="within", effect="twoways")
    res = grunfeld(method="within", time_effects=True)
    est = res.coefficients.set_index("term")["estimate"]
    np.testing.assert_allclose(
        est[["value_lag0", "value_lag1", "value_lag2", "capital"]], ref["estimate"], rtol=1e-7
    )


def test_pooled_with_year_effects_matches_lm_vcovcl():
    ref = R["grunfeld_pooled_year"]  # lm(... + factor(year)); vcovCL(cluster = ~firm)
    res = grunfeld(method="pooled", time_effects=True)
    c = res.coefficients.set_index("term")
    terms = ["value_lag0", "value_lag1", "value_lag2", "capital"]
    np.testing.assert_allclose(c.loc[terms, "estimate"], ref["estimate"], rtol=1e-7)
    np.testing.assert_allclose(c.loc[terms, "se"], ref["se"], rtol=1e-7)


def churn_panel():
    return pd.read_csv(REF / "churn_panel.csv")


def test_runs_and_hazard_match_r_glm():
    ref = R["hazard"]  # glm(churned ~ factor(pmin(run, 4)) + overall_sat + contacts, binomial)
    df = churn_panel()
    runs = P.dissatisfaction_runs(df, id="customer_id", time="year", score="overall_sat", cut=6)
    assert len(runs) == ref["n"] and runs["run_length"].sum() == ref["run_sum"]
    res = P.churn_hazard(
        df,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=6,
        controls="contacts",
        incomplete_runs="count",  # R's run is broken by a missing score and counted as observed
    )
    assert res.n_obs == ref["n"] and res.n_incomplete == 0
    assert res.rates["person_years"].tolist() == ref["run_counts"]
    r_est = dict(zip(ref["term"], ref["estimate"], strict=True))
    r_se = dict(zip(ref["term"], ref["se"], strict=True))
    t = res.table.set_index("term")
    mapping = {
        "run_1": "runcat1",
        "run_2": "runcat2",
        "run_3": "runcat3",
        "run_4+": "runcat4",
        "overall_sat": "overall_sat",
        "contacts": "contacts",
    }
    for ours, theirs in mapping.items():
        assert t.loc[ours, "estimate"] == pytest.approx(r_est[theirs], rel=1e-6)
        assert t.loc[ours, "se"] == pytest.approx(r_se[theirs], rel=1e-6)
        assert t.loc[ours, "odds_ratio"] == pytest.approx(np.exp(r_est[theirs]), rel=1e-6)


def test_complete_runs_and_hazard_match_r_glm():
    # runs.json (make_reference_runs.R): runs and their completeness from an R loop that walks back
    # over the scored years; glm on the rows whose run is complete or reaches 4 (the default "drop")
    ref = json.loads((REF / "runs.json").read_text())["hazard_complete"]
    df = churn_panel()
    runs = P.dissatisfaction_runs(df, id="customer_id", time="year", score="overall_sat", cut=6)
    assert runs["run_length"].tolist() == ref["run"]
    assert runs["run_complete"].tolist() == ref["complete"]
    res = P.churn_hazard(
        df,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=6,
        controls="contacts",
    )
    assert res.n_obs == ref["n"] and res.n_incomplete == ref["n_incomplete"] > 0
    assert res.rates["person_years"].tolist() == ref["run_counts"]
    assert res.rates["events"].tolist() == ref["events"]
    r_est = dict(zip(ref["term"], ref["estimate"], strict=True))
    r_se = dict(zip(ref["term"], ref["se"], strict=True))
    t = res.table.set_index("term")
    for ours, theirs in [
        ("run_1", "runcat1"),
        ("run_2", "runcat2"),
        ("run_3", "runcat3"),
        ("run_4+", "runcat4"),
        ("overall_sat", "overall_sat"),
        ("contacts", "contacts"),
    ]:
        assert t.loc[ours, "estimate"] == pytest.approx(r_est[theirs], rel=1e-6)
        assert t.loc[ours, "se"] == pytest.approx(r_se[theirs], rel=1e-6)


def test_retention_matches_r_survfit_and_survdiff():
    ref = R["km"]  # survfit(Surv(duration, event) ~ band); summary(times = 1:10); survdiff
    res = L.retention_curves(churn_panel(), bands={"0-5": (0, 5), "6-7": (6, 7), "8-10": (8, 10)})
    assert res.bands["n"].tolist() == ref["n"]
    for band, time, surv in zip(ref["band"], ref["time"], ref["surv"], strict=True):
        c = res.curves.loc[res.curves.band == band]
        # the step function at `time`: last estimate at or before it
        got = c.loc[c.years <= time, "retention"].iloc[-1]
        assert got == pytest.approx(surv, rel=1e-10), (band, time)
    assert res.logrank["statistic"].item() == pytest.approx(ref["logrank_chisq"], rel=1e-8)


def test_retention_matches_recorded_lifelines_output():
    # tests/reference/persistence/lifelines_km.json: lifelines 0.30.3 KaplanMeierFitter (the
    # implementation retention_curves used before statsmodels) on the same panel; see its "producer".
    # Intervals are the exponential Greenwood (log-log) ones; tolerance relative 1e-9.
    ref = json.loads((REF / "lifelines_km.json").read_text())
    res = L.retention_curves(churn_panel(), bands={"0-5": (0, 5), "6-7": (6, 7), "8-10": (8, 10)})
    want = pd.DataFrame(ref["curves"])
    pd.testing.assert_frame_equal(res.curves, want, check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(res.bands, pd.DataFrame(ref["summary"]), check_dtype=False)
    assert res.logrank["df"].item() == ref["logrank"]["df"][0]
    assert res.logrank["p_value"].item() == pytest.approx(ref["logrank"]["p_value"][0], rel=1e-8)


def test_transfer_penalty_matches_r_quasipoisson_vcovcl():
    ref = R["transfer"]  # glm(quasipoisson); vcovCL(cluster = ~customer_id, type = "HC1")
    res = L.transfer_penalty(pd.read_csv(REF / "transfer_panel.csv"), drivers=["d1", "d2"])
    t = res.table.set_index("measure")
    assert t.loc["loyalty", "log_ratio"] == pytest.approx(ref["loyalty_b"], rel=1e-6)
    assert t.loc["loyalty", "se"] == pytest.approx(ref["loyalty_se"], rel=1e-6)
    assert t.loc["loyalty", "estimate"] == pytest.approx(1 - np.exp(ref["loyalty_b"]), rel=1e-6)
    assert t.loc["promoter", "log_ratio"] == pytest.approx(ref["promoter_b"], rel=1e-6)
    assert t.loc["promoter", "se"] == pytest.approx(ref["promoter_se"], rel=1e-6)


# ------------------------------------------------------------------------------------------------
# issue 14: within estimator (plm + vcovHC arellano), Mundlak test (lm + vcovCL), feedback lead
# reference: tests/reference/persistence/mundlak.json from make_reference_mundlak.R on trait_panel.csv
# ------------------------------------------------------------------------------------------------

MUNDLAK = json.loads((REF / "mundlak.json").read_text())


def _trait_kw():
    return dict(
        id="customer_id",
        time="year",
        outcome="loyalty",
        exposure="sat",
        max_lag=2,
        controls=["contacts"],
    )


def test_within_on_gapped_panel_matches_plm_vcovhc_arellano():
    # plm(..., model="within") + vcovHC(method="arellano", type="sss"): Stata's small-sample factor
    # G/(G-1) (N-1)/(N-K), K the within coefficients (lags, control, year effects) — ours exactly
    d = pd.read_csv(REF / "trait_panel.csv")
    r = MUNDLAK["within"]
    prof = P.lag_profile(d, method="within", **_trait_kw())
    coef = prof.coefficients.set_index("term")
    terms = ["sat_lag0", "sat_lag1", "sat_lag2", "contacts"]
    assert prof.n_obs == r["n_obs"] and prof.n_customers == r["n_customers"]
    assert len(prof.coefficients) == r["n_coef"]
    np.testing.assert_allclose(coef.loc[terms, "estimate"], r["estimate"], rtol=1e-7)
    np.testing.assert_allclose(coef.loc[terms, "se"], r["se_sss"], rtol=1e-7)


def test_mundlak_test_matches_r_lm_vcovcl_wald():
    d = pd.read_csv(REF / "trait_panel.csv")
    r = MUNDLAK["mundlak"]
    t = P.mundlak_test(d, **_trait_kw())
    assert t.df == r["df"] and t.df_denom == r["df_denom"]
    np.testing.assert_allclose(t.means["estimate"], r["mean_estimate"], rtol=1e-7)
    np.testing.assert_allclose(t.means["se"], r["mean_se"], rtol=1e-7)
    np.testing.assert_allclose(t.statistic, r["statistic"], rtol=1e-7)
    np.testing.assert_allclose(t.p_value, r["p_value"], rtol=1e-6)
    assert t.reject and t.chosen == "within"
    # the auxiliary regression's lag coefficients are the within ones (Frisch–Waugh–Lovell)
    np.testing.assert_allclose(r["lag_estimate"], MUNDLAK["within"]["estimate"][:3], rtol=1e-7)


def test_feedback_check_matches_plm_lead_regression():
    d = pd.read_csv(REF / "trait_panel.csv")
    r = MUNDLAK["feedback"]
    fb = P.feedback_check(d, **_trait_kw())
    assert fb["n_obs"].item() == r["n_obs"] and fb["n_customers"].item() == r["n_customers"]
    np.testing.assert_allclose(fb["estimate"].item(), r["estimate"], rtol=1e-7)
    np.testing.assert_allclose(fb["se"].item(), r["se_sss"], rtol=1e-7)
