"""Tests of cxresearch.loyalty: ladder rules, shares, migration, retention curves, transfer penalty.

References: hand-made panels with stages and moves worked out by hand, the product-limit and log-rank
formulas computed directly, closed-form ratios of means, simulated data with a known penalty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxresearch import loyalty as L
from cxresearch import persistence as P
from cxresearch.errors import CXValueError, NotEstimableWarning


def hand_panel() -> pd.DataFrame:
    """Five customers over 2014-2018; expected stages (default rules) in the `expect` column."""
    rows = [
        # id, year, purchases, first_purchase_year, targeted, churned, recommend, expected stage
        # p: prospect, targeted in 2016, converts 2017 (1 purchase), buys again 2018
        ("p", 2014, 0, np.nan, False, False, np.nan, "prospect"),
        ("p", 2015, 0, np.nan, False, False, np.nan, "prospect"),
        ("p", 2016, 0, np.nan, True, False, np.nan, "target"),
        ("p", 2017, 1, 2017, True, False, 10, "first_time"),  # promoter but only first-time
        ("p", 2018, 1, 2017, False, False, 9, "advocate"),  # repeat buyer and promoter
        # o: old customer (first purchase 2010, before the panel): counts one earlier purchase
        ("o", 2014, 0, 2010, False, False, 5, "first_time"),
        ("o", 2015, 1, 2010, False, False, 8, "repeat"),  # 1 before + 1 = 2 purchases
        ("o", 2016, 1, 2010, False, False, 8, "loyal"),  # tenure 6, bought 2015, 2016
        ("o", 2017, 0, 2010, False, False, 8, "loyal"),  # window 2015-2017: 2 purchase years
        ("o", 2018, 0, 2010, False, True, 8, "repeat"),  # window 2016-2018: 1 -> repeat; churns
        # n: new in 2014 buying twice that year
        ("n", 2014, 2, 2014, False, False, np.nan, "repeat"),
        ("n", 2015, 1, 2014, False, False, 9, "advocate"),
        ("n", 2016, 1, 2014, False, False, 3, "repeat"),  # tenure 2 < 3: not loyal yet
        ("n", 2017, 1, 2014, False, False, np.nan, "loyal"),  # tenure 3, window 3 purchase years
        # g: a gap year (2016 absent from the CRM panel) and a churn at the end of 2017
        ("g", 2014, 1, 2013, False, False, 7, "repeat"),
        ("g", 2015, 1, 2013, False, False, 7, "repeat"),  # tenure 2
        ("g", 2017, 1, 2013, False, True, 7, "loyal"),  # window 2015-2017: 2015, 2017
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "year",
            "purchases",
            "first_purchase_year",
            "targeted",
            "churned",
            "recommend",
            "expect",
        ],
    )


def test_ladder_rules_on_hand_made_panel():
    panel = hand_panel()
    out = L.ladder(panel.sample(frac=1, random_state=1))  # row order must not matter
    merged = out.merge(panel[["customer_id", "year", "expect"]], on=["customer_id", "year"])
    bad = merged.loc[merged["stage"].astype(str) != merged["expect"]]
    assert bad.empty, bad.to_string()
    assert list(out["stage"].cat.categories) == list(L.STAGES)
    assert out.loc[(out.customer_id == "o") & (out.year == 2014), "purchases_ever"].item() == 1
    assert out.loc[(out.customer_id == "o") & (out.year == 2014), "tenure"].item() == 4
    # o bought before the panel: its 2014 and 2015 loyalty windows reach before 2014
    wc = out.set_index(["customer_id", "year"])["window_complete"]
    assert not wc[("o", 2014)] and not wc[("o", 2015)] and wc[("o", 2016)]
    assert wc[("p", 2014)] and wc[("n", 2014)]  # p never bought before; n first bought in 2014
    assert not wc[("g", 2014)]  # first purchase 2013, before the panel


def test_ladder_rules_are_parameters():
    panel = hand_panel()
    strict = L.ladder(panel, rules={"advocate_base": "loyal"})
    row = strict.loc[(strict.customer_id == "p") & (strict.year == 2018)]
    assert row["stage"].item() == "repeat"  # promoter, but not loyal
    easy = L.ladder(panel, rules=L.LadderRules(loyal_min_tenure=1, loyal_min_active_years=1))
    assert easy.loc[(easy.customer_id == "n") & (easy.year == 2016), "stage"].item() == "loyal"
    no_attitude = L.ladder(panel, recommend=None)
    assert "advocate" not in set(no_attitude["stage"].astype(str))
    # attitude from a separate survey frame
    survey = panel[["customer_id", "year", "recommend"]].rename(columns={"year": "wave"})
    via_survey = L.ladder(panel.drop(columns="recommend"), survey=survey.dropna())
    pd.testing.assert_series_equal(via_survey["stage"], L.ladder(panel)["stage"])
    with pytest.raises(CXValueError, match="unknown ladder rule"):
        L.ladder(panel, rules={"loyal_years": 3})
    with pytest.raises(CXValueError, match="advocate_base must be one of 'repeat', 'loyal'"):
        L.LadderRules(advocate_base="client")
    with pytest.raises(CXValueError, match="repeat_min_purchases"):
        L.LadderRules(repeat_min_purchases=1)
    with pytest.raises(CXValueError, match=r"purchases column 'purchases' must be >= 0"):
        L.ladder(panel.assign(purchases=-1))
    with pytest.raises(CXValueError, match="one row per"):
        L.ladder(pd.concat([panel, panel.iloc[[0]]]))


def test_stage_shares_sum_to_one_and_list_every_stage():
    out = L.ladder(hand_panel())
    shares = L.stage_shares(out)
    assert set(shares["stage"]) == set(L.STAGES)
    assert len(shares) == 5 * len(L.STAGES)
    np.testing.assert_allclose(shares.groupby("year")["share"].sum(), 1.0)
    y14 = shares.loc[shares.year == 2014].set_index("stage")["n"]
    assert y14["prospect"] == 1 and y14["first_time"] == 1 and y14["repeat"] == 2


def test_migration_by_hand():
    out = L.ladder(hand_panel())
    m = L.migration(out)
    c = m.counts
    # moves worked out from the expected stages of hand_panel
    assert c.loc["prospect", "prospect"] == 1  # p 14->15
    assert c.loc["prospect", "target"] == 1  # p 15->16
    assert c.loc["target", "first_time"] == 1  # p 16->17
    assert c.loc["first_time", "advocate"] == 1  # p 17->18
    assert c.loc["first_time", "repeat"] == 1  # o 14->15
    assert c.loc["repeat", "loyal"] == 2  # o 15->16, n 16->17
    assert c.loc["loyal", "loyal"] == 1  # o 16->17
    assert c.loc["loyal", "repeat"] == 1  # o 17->18
    assert c.loc["repeat", "churned"] == 0  # o churns in 2018, the last year: no next pair
    assert c.loc["repeat", "advocate"] == 1  # n 14->15
    assert c.loc["advocate", "repeat"] == 1  # n 15->16
    assert c.loc["repeat", "repeat"] == 1  # g 14->15
    assert m.n_unobserved == 2  # g 2015 -> 2016 and n 2017 -> 2018: absent, not churned
    assert c.loc["loyal", "churned"] == 1  # g churns at the end of 2017
    assert c.loc["churned", "churned"] == 0  # g churned 2017: absorbing row counts from 2018 on
    assert c.values.sum() == 1 + 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1
    rows = m.shares.dropna(how="all")
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    long = m.to_frame()
    assert list(long.columns) == ["from_stage", "to_stage", "n", "share"]
    assert long["n"].sum() == c.values.sum()


def test_migration_projection_is_repeated_transition_by_hand():
    m = L.migration(L.ladder(hand_panel()))
    start = {"prospect": 10, "repeat": 4, "loyal": 2}
    proj = L.MigrationResult.project(m, start, years=2)
    shares = m.shares.fillna(0)
    shares.loc["churned", "churned"] = 1.0  # absorbing (nobody had churned by 2014-2017 here)
    # brute force: each customer in state a moves to b with share P[a, b]
    cur = {k: float(start.get(k, 0)) for k in shares.index}
    for year in (1, 2):
        nxt = dict.fromkeys(shares.index, 0.0)
        for a, na in cur.items():
            for b in shares.columns:
                nxt[b] += na * shares.loc[a, b]
        cur = nxt
        got = proj.loc[proj.year == year].set_index("state")["n"]
        for k, v in cur.items():
            assert got[k] == pytest.approx(v, abs=1e-12)
    assert proj.groupby("year")["n"].sum().round(9).nunique() == 1  # customers are conserved
    with pytest.raises(CXValueError, match="unknown states"):
        m.project({"client": 1})
    with pytest.raises(CXValueError, match="no observed moves out of"):
        L.migration(L.ladder(hand_panel().query("customer_id != 'p'"))).project({"prospect": 1})


def test_migration_churned_is_absorbing_over_years():
    panel = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b", "b"],
            "year": [2014, 2015, 2014, 2015, 2016, 2017],
            "stage": ["repeat", "repeat", "loyal", "loyal", "loyal", "loyal"],
            "churned": [False, True, False, False, False, False],
        }
    )
    m = L.migration(panel)
    assert m.counts.loc["repeat", "churned"] == 1
    # a churned at the end of 2015: in the churned state from 2016 on, i.e. only in the pair 2016->17
    assert m.counts.loc["churned", "churned"] == 1
    assert m.shares.loc["churned", "churned"] == 1.0
    per_pair = m.pairs.loc[(m.pairs.from_stage == "churned") & (m.pairs.to_stage == "churned")]
    assert per_pair.set_index("from_year")["n"].to_dict() == {2014: 0, 2015: 0, 2016: 1}
    with pytest.raises(CXValueError, match="unknown stages"):
        L.migration(panel.assign(stage="client"))


# ------------------------------------------------------------------------------------------------
# retention curves
# ------------------------------------------------------------------------------------------------


def km_by_hand(durations, events):
    """Product-limit estimate at each distinct duration."""
    durations, events = np.asarray(durations), np.asarray(events, bool)
    s, out = 1.0, {}
    for t in np.unique(durations):
        at_risk = (durations >= t).sum()
        d = ((durations == t) & events).sum()
        s *= 1 - d / at_risk
        out[float(t)] = s
    return out


def logrank_by_hand(durations, events, groups):
    """Two-group log-rank chi-square: (O1 - E1)^2 / V."""
    durations, events, groups = map(np.asarray, (durations, events, groups))
    g1 = groups == np.unique(groups)[0]
    o_minus_e, var = 0.0, 0.0
    for t in np.unique(durations[events.astype(bool)]):
        risk = durations >= t
        n, n1 = risk.sum(), (risk & g1).sum()
        d = ((durations == t) & events.astype(bool)).sum()
        d1 = ((durations == t) & events.astype(bool) & g1).sum()
        o_minus_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return o_minus_e**2 / var


def simulate_retention(n=400, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        start = 2014 + rng.integers(0, 3)
        sat0 = rng.integers(0, 11)
        p = 0.25 if sat0 <= 5 else 0.08
        for y in range(start, 2024):
            churned = rng.random() < p
            sat = sat0 if y == start else (rng.integers(0, 11) if rng.random() < 0.7 else np.nan)
            rows.append((f"C{i}", y, sat, churned))
            if churned:
                break
    return pd.DataFrame(rows, columns=["customer_id", "year", "overall_sat", "churned"])


def test_retention_curves_match_product_limit_and_logrank_by_hand():
    df = simulate_retention()
    bands = {"low": (0, 5), "high": (6, 10)}
    res = L.retention_curves(df, bands=bands)
    first = df.groupby("customer_id").first()
    last = df.groupby("customer_id")["year"].max()
    ev = df.groupby("customer_id")["churned"].any()
    dur = last - first["year"] + 1
    band = np.where(first["overall_sat"] <= 5, "low", "high")
    for label in bands:
        sel = band == label
        expected = km_by_hand(dur[sel], ev[sel])
        got = res.curves.loc[res.curves.band == label].set_index("years")["retention"]
        for t, s in expected.items():
            assert got.loc[t] == pytest.approx(s, rel=1e-12)
    assert res.bands.set_index("band")["n"].sum() == len(first)
    stat = logrank_by_hand(dur.to_numpy(), ev.to_numpy(), band)
    assert res.logrank["statistic"].item() == pytest.approx(stat, rel=1e-8)
    assert res.logrank["p_value"].item() < 1e-6  # churn 25 % vs 8 % a year
    c = res.curves
    assert (
        (c["ci_lower"] <= c["retention"] + 1e-12) & (c["retention"] <= c["ci_upper"] + 1e-12)
    ).all()
    with pytest.raises(CXValueError, match=r"bands\['x'\]"):
        L.retention_curves(df, bands={"x": (5, 1)})


def test_retention_without_churn_events_is_reported_not_estimable():
    df = simulate_retention(n=60, seed=4).assign(churned=False)
    with pytest.warns(NotEstimableWarning, match="no churn event"):
        res = L.retention_curves(df)
    assert np.isnan(res.logrank["p_value"].item())
    assert (res.curves["retention"] == 1.0).all()


# ------------------------------------------------------------------------------------------------
# transfer penalty
# ------------------------------------------------------------------------------------------------


def simulate_transfers(n_customers=1500, n_waves=4, penalty=0.10, seed=0):
    rng = np.random.default_rng(seed)
    n = n_customers * n_waves
    drv = rng.normal(0, 1, (n, 2))
    T = np.minimum(rng.poisson(0.8, n), 4)
    mean = np.exp(np.log(6) + 0.1 * drv[:, 0] + 0.05 * drv[:, 1]) * (1 - penalty) ** T
    y = rng.poisson(mean).astype(float)
    rec = np.clip(np.rint(7 * (1 - penalty) ** T + rng.normal(0, 1.5, n)), 0, 10)
    return pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n_customers), n_waves),
            "repurchase": y,
            "recommend": rec,
            "transfers": T,
            "d1": drv[:, 0],
            "d2": drv[:, 1],
        }
    )


def test_transfer_penalty_is_ratio_of_means_with_one_binary_regressor():
    df = simulate_transfers(seed=1)
    df["transfers"] = (df["transfers"] > 0).astype(int)
    res = L.transfer_penalty(df, drivers=None)
    tab = res.table.set_index("measure")
    means = df.groupby("transfers")["repurchase"].mean()
    assert tab.loc["loyalty", "estimate"] == pytest.approx(1 - means[1] / means[0], rel=1e-8)
    prom = (df["recommend"] >= 9).groupby(df["transfers"]).mean()
    assert tab.loc["promoter", "estimate"] == pytest.approx(1 - prom[1] / prom[0], rel=1e-8)
    assert (
        tab.loc["loyalty", "ci_lower"]
        < tab.loc["loyalty", "estimate"]
        < tab.loc["loyalty", "ci_upper"]
    )


def test_transfer_penalty_recovers_simulated_truth():
    df = simulate_transfers(seed=2)
    res = L.transfer_penalty(df, drivers=["d1", "d2"])
    row = res.table.set_index("measure").loc["loyalty"]
    assert row["ci_lower"] < 0.10 < row["ci_upper"]
    assert row["n"] == len(df) and row["n_customers"] == 1500
    none = L.transfer_penalty(simulate_transfers(penalty=0.0, seed=3), drivers=["d1", "d2"])
    r0 = none.table.set_index("measure").loc["loyalty"]
    assert r0["ci_lower"] < 0 < r0["ci_upper"]
    with pytest.raises(CXValueError, match="not estimable"):
        L.transfer_penalty(df.assign(transfers=0))
    with pytest.raises(CXValueError, match="drivers must not include"):
        L.transfer_penalty(df, drivers=["transfers"])


def test_customer_years_joins_survey_to_active_years():
    crm = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "year": [2014, 2015, 2014, 2015],
            "active": [True, True, False, True],
            "churned": [False, True, False, False],
        }
    )
    survey = pd.DataFrame({"customer_id": ["a", "b"], "wave": [2015, 2015], "overall_sat": [4, 9]})
    out = P.customer_years(crm, survey, columns="overall_sat")
    assert len(out) == 3
    assert out["overall_sat"].isna().tolist() == [True, False, False]
    with pytest.raises(CXValueError, match="both a survey and a CRM column"):
        P.customer_years(crm, survey.assign(churned=1), columns="churned")


@pytest.mark.filterwarnings("ignore::cxresearch.errors.NotEstimableWarning")
def test_inputs_are_not_mutated():
    panel = hand_panel()
    churn = simulate_retention(n=80, seed=6)
    transfers = simulate_transfers(n_customers=100, seed=6)
    copies = [panel.copy(), churn.copy(), transfers.copy()]
    stages = L.ladder(panel)
    stages_copy = stages.copy()
    L.stage_shares(stages)
    L.migration(stages)
    L.retention_curves(churn)
    P.churn_hazard(
        churn, id="customer_id", time="year", score="overall_sat", churn="churned", cut=5
    )
    L.transfer_penalty(transfers, drivers=["d1"])
    for before, after in zip(copies, [panel, churn, transfers], strict=True):
        pd.testing.assert_frame_equal(before, after)
    pd.testing.assert_frame_equal(stages_copy, stages)
