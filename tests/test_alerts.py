"""Tests of cxresearch.alerts: rules, case list, counts, atomic writing, back-test statistics
(against scikit-learn, scipy and hand/brute-force computations) and the demo study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxresearch import alerts
from cxresearch.alerts import writer as alerts_writer
from cxresearch.alerts.backtesting import _lift_log_ci
from cxresearch.errors import CXValueError


@pytest.fixture
def small():
    # customer A: 8 (2020) -> skipped 2021 -> answered without a score in 2022 -> 4 (2023)
    # customer B: 9 -> 9 -> 3 ; C: 6 -> 7 -> 7 ; D: high-value detractor in 2023
    responses = pd.DataFrame(
        {
            "respondent_id": ["a1", "a3", "a4", "b1", "b2", "b4", "c1", "c2", "c4", "d4", "e4"],
            "customer_id": ["A", "A", "A", "B", "B", "B", "C", "C", "C", "D", "E"],
            "wave": [2020, 2022, 2023, 2020, 2022, 2023, 2020, 2022, 2023, 2023, 2023],
            "branch": [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2],
            "overall_sat": [8, np.nan, 4, 9, 9, 3, 6, 7, 7, 6, 8],
            "recommend": [9, 8, 5, 10, 9, 2, 7, 7, 8, 3, 9],
            "comment": [
                "",
                "",
                "转来转去没人管",
                "",
                "",
                '=HYPERLINK("http://x")',
                "",
                "",
                "服务态度很好",
                "",
                "价格太贵",
            ],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": list("ABCDE"),
            "year": [2023] * 5,
            "high_value": [False, True, False, True, False],
            "churned": [True, False, False, True, False],
        }
    )
    return responses, customers


RULES = [
    {"name": "low", "kind": "low_score", "owner": "service", "below": 5},
    {"name": "drop", "kind": "drop", "owner": "branch_manager", "points": 3},
    {"name": "hv", "kind": "detractor_high_value", "owner": "sales"},
    {
        "name": "complaint",
        "kind": "complaint_theme",
        "owner": "service",
        "themes": ["transfers", "price"],
    },
]


def test_fire_rules_each_kind(small):
    responses, customers = small
    f = alerts.fire_rules(responses, rules=RULES, customers=customers)
    got = {(r.customer, r.wave, r.rule) for r in f.itertuples()}
    expected = {
        ("A", 2023, "low"),
        ("A", 2023, "drop"),  # 8 in 2020 (previous answered wave) -> 4
        ("A", 2023, "complaint"),
        ("B", 2023, "low"),
        ("B", 2023, "drop"),
        ("B", 2023, "hv"),
        ("D", 2023, "hv"),
        ("E", 2023, "complaint"),  # "价格太贵" is a negative price mention
    }
    assert got == expected
    a = f[(f.customer == "A") & (f.rule == "drop")].iloc[0]
    assert (a.previous_score, a.previous_wave) == (8.0, 2020.0)


def test_drop_rule_with_text_waves(small):
    responses, _ = small
    labels = {2020: "w1", 2022: "w3", 2023: "w4"}
    r = responses.assign(wave=responses["wave"].map(labels))
    f = alerts.fire_rules(r, rules=[RULES[1]])
    a = f[f.customer == "A"].iloc[0]
    assert (a.wave, a.previous_score, a.previous_wave) == ("w4", 8.0, "w1")
    assert "in w1" in a.detail


def test_drop_rule_max_gap(small):
    responses, _ = small
    rule = {"name": "drop", "kind": "drop", "owner": "branch_manager", "points": 3, "max_gap": 2}
    f = alerts.fire_rules(responses, rules=[rule])
    # A's previous answer is 3 waves back (2020 -> 2023): too old; B's is 1 wave back
    assert set(f["customer"]) == {"B"}
    with pytest.raises(CXValueError, match="max_gap must be > 0"):
        alerts.rules_from_params([{**rule, "max_gap": 0}])


def test_low_score_is_strictly_below():
    r = pd.DataFrame({"customer_id": ["x", "y"], "wave": [1, 1], "overall_sat": [5, 4.9]})
    f = alerts.fire_rules(
        r, rules=[{"name": "low", "kind": "low_score", "owner": "service", "below": 5}]
    )
    assert f["customer"].tolist() == ["y"]


def test_complaint_any_polarity_and_all_themes(small):
    responses, _ = small
    rules = [{"name": "c", "kind": "complaint_theme", "owner": "service", "negative_only": False}]
    f = alerts.fire_rules(responses, rules=rules)
    assert set(f["customer"]) == {"A", "C", "E"}  # C's positive courtesy comment counts now


def test_alert_cases_current_wave(small):
    responses, customers = small
    before = responses.copy()
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    pd.testing.assert_frame_equal(before, responses)
    assert ac.wave == 2023
    c = ac.cases.set_index("customer")
    assert set(c.index) == {"A", "B", "D", "E"}
    assert c.loc["A", "owner"] == "service" and c.loc["A", "reasons"] == "low; drop; complaint"
    assert c.loc["A", "owners"] == "service; branch_manager"
    assert c.loc["D", "owner"] == "sales" and c.loc["D", "n_reasons"] == 1
    assert c.loc["A", "comment"] == "转来转去没人管"
    assert c.loc["A", "previous_score"] == 8 and c.loc["A", "previous_wave"] == 2020
    assert np.isnan(c.loc["D", "previous_score"])
    assert c.loc["A", "respondent_id"] == "a4"
    # an earlier wave can be listed too
    ac22 = alerts.alert_cases(responses, rules=RULES, customers=customers, current=2022)
    assert ac22.cases.empty
    assert list(ac22.cases.columns) == list(ac.cases.columns)  # same schema when nobody is listed
    assert alerts.alert_counts(ac22)["n"].sum() == 0


def test_alert_counts_for_the_report(small):
    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    counts = alerts.alert_counts(ac)
    assert list(counts.columns) == [
        "branch",
        "rule",
        "owner",
        "n",
        "n_responses",
        "estimate",
        "suppressed",
    ]
    assert not counts["suppressed"].any()
    assert len(counts) == 2 * 4  # every branch × rule, zeros included
    assert counts["n"].sum() == len(ac.firings)
    row = counts[(counts.branch == 2) & (counts.rule == "hv")].iloc[0]
    assert row["n"] == 2 and row["n_responses"] == 3 and row["estimate"] == pytest.approx(2 / 3)
    assert not counts.isin(["A", "B", "D", "E"]).any().any()
    tot = alerts.alert_counts(ac, by="rule").set_index("rule")
    assert tot.loc["complaint", "n"] == 2 and tot.loc["low", "n_responses"] == 5


def test_alert_counts_of_a_branch_under_the_anonymity_minimum_are_suppressed(small):
    from cxresearch import tables

    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    counts = alerts.alert_counts(ac, anonymity_min=3)  # branch 1: 2 respondents, branch 2: 3
    small_branch = counts[counts.branch == 1]
    assert (small_branch["n_responses"] == 2).all() and small_branch["suppressed"].all()
    assert small_branch["n"].isna().all() and small_branch["estimate"].isna().all()
    big = counts[counts.branch == 2]
    assert not big["suppressed"].any() and big["n"].notna().all()
    table = tables.alert_table(counts, name="alerts", lang="en")
    html = table.to_html()
    assert "Total" not in html  # a total would give the suppressed cells away
    assert "anonymity minimum" in html
    assert "–" in html
    # the whole-wave totals by rule are not suppressed (base 5)
    assert alerts.alert_counts(ac, by="rule", anonymity_min=3)["n"].notna().all()
    with pytest.raises(ValueError, match="anonymity_min must be a whole number"):
        alerts.alert_counts(ac, anonymity_min=-1)


def test_rule_descriptions():
    rules = alerts.rules_from_params(RULES)
    assert rules[0].describe() == "overall_sat below 5"
    assert rules[0].describe("zh") == "overall_sat低于5"
    assert rules[3].describe() == "negative comment on transfers, price"
    assert "贬损者" in rules[2].describe("zh")
    with pytest.raises(CXValueError, match="lang must be one of"):
        rules[0].describe("fr")


def test_counts_with_a_differently_named_branch_column(small):
    responses, customers = small
    r = responses.rename(columns={"branch": "region"})
    ac = alerts.alert_cases(r, rules=RULES, customers=customers, branch="region")
    counts = alerts.alert_counts(ac, by="region")
    assert list(counts.columns[:2]) == ["region", "rule"] and counts["n"].sum() == len(ac.firings)
    pd.testing.assert_frame_equal(counts, alerts.alert_counts(ac))
    with pytest.raises(CXValueError, match="by must be one of"):
        alerts.alert_counts(ac, by="segment")


def test_high_value_column_in_responses(small):
    responses, customers = small
    r = responses.merge(customers[["customer_id", "high_value"]], on="customer_id")
    f = alerts.fire_rules(r, rules=[RULES[2]])
    assert set(f["customer"]) == {"B", "D"}
    with pytest.raises(CXValueError, match="CRM extract"):
        alerts.fire_rules(responses, rules=[RULES[2]])


@pytest.mark.parametrize(
    ("rules", "match"),
    [
        ([{"name": "x", "kind": "low", "owner": "service"}], "kind must be one of"),
        ([{"name": "x", "kind": "low_score", "owner": "service"}], "needs a number below"),
        ([{"name": "x", "kind": "drop", "owner": "service", "points": -1}], "points must be > 0"),
        ([{"name": "x", "kind": "low_score", "owner": "", "below": 3}], "owner must be"),
        (
            [{"name": "x", "kind": "low_score", "owner": "s", "below": 3, "colour": 1}],
            "unknown key 'colour'",
        ),
        ([{"kind": "low_score", "owner": "s", "below": 3}], "needs 'name'"),
        ([{"name": "x", "kind": "low_score", "owner": "s", "below": 3}] * 2, "used twice"),
        ([], "at least one rule"),
        ("low", "list of rules"),
    ],
)
def test_bad_rules(rules, match):
    with pytest.raises(CXValueError, match=match):
        alerts.rules_from_params(rules)


def test_bad_columns(small):
    responses, customers = small
    with pytest.raises(CXValueError, match="'nps'"):
        alerts.fire_rules(
            responses,
            rules=[{"name": "x", "kind": "low_score", "owner": "s", "below": 3, "score": "nps"}],
        )
    with pytest.raises(CXValueError, match="must be numeric"):
        alerts.fire_rules(responses.assign(overall_sat="bad"), rules=[RULES[0]])
    with pytest.raises(
        CXValueError, match=r"share a \(customer_id, wave\) pair, e.g. customer .A."
    ):
        alerts.fire_rules(pd.concat([responses, responses.head(1)]), rules=[RULES[0]])
    with pytest.raises(CXValueError, match="theme must be one of"):
        alerts.fire_rules(
            responses,
            rules=[{"name": "c", "kind": "complaint_theme", "owner": "s", "themes": ["pricing"]}],
        )
    with pytest.raises(CXValueError, match="current must be a wave"):
        alerts.alert_cases(responses, rules=RULES, customers=customers, current=1999)


# ---------------------------------------------------------------- writing


def test_write_xlsx_keeps_comments_as_text(small, tmp_path):
    from openpyxl import load_workbook

    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    out = alerts.write_alerts(ac, tmp_path / "alerts.xlsx")
    wb = load_workbook(out)
    ws = wb["alerts"]
    header = [c.value for c in ws[1]]
    col = header.index("comment") + 1
    values = [ws.cell(row=i, column=col) for i in range(2, ws.max_row + 1)]
    formula = [c for c in values if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(formula) == 1 and formula[0].data_type == "s"  # a string, never a formula
    assert "INTERNAL" in wb["about"]["A1"].value
    back = pd.read_excel(out, sheet_name="alerts")
    assert len(back) == len(ac.cases)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.xlsx"]  # no temp file left


def test_write_csv_guards_formulas(small, tmp_path):
    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    out = alerts.write_alerts(ac, tmp_path / "alerts.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so Excel reads UTF-8 Chinese
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert '\'=HYPERLINK("http://x")' in back["comment"].tolist()
    assert "转来转去没人管" in back["comment"].tolist()


def test_write_is_atomic(small, tmp_path, monkeypatch):
    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    target = tmp_path / "alerts.xlsx"
    target.write_bytes(b"previous list")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alerts_writer, "_write_xlsx", boom)
    with pytest.raises(RuntimeError):
        alerts.write_alerts(ac, target)
    assert target.read_bytes() == b"previous list"
    assert [p.name for p in tmp_path.iterdir()] == ["alerts.xlsx"]


def test_write_bad_path(small, tmp_path):
    responses, customers = small
    ac = alerts.alert_cases(responses, rules=RULES, customers=customers)
    with pytest.raises(CXValueError, match="'.xlsx' or '.csv'"):
        alerts.write_alerts(ac, tmp_path / "alerts.pdf")
    with pytest.raises(CXValueError, match="does not exist"):
        alerts.write_alerts(ac, tmp_path / "nope" / "alerts.csv")


# ---------------------------------------------------------------- back-test statistics


@pytest.fixture(scope="module")
def panel():
    """Customers over 4 waves; churn risk rises as satisfaction falls."""
    rng = np.random.default_rng(11)
    n = 1500
    rows, crm = [], []
    for w in (2020, 2021, 2022, 2023):
        sat = np.clip(np.rint(rng.normal(7, 2, n)), 0, 10)
        p = 1 / (1 + np.exp(-(-2.5 - 0.45 * (sat - 7))))
        churn = rng.random(n) < p
        ids = [f"C{i:04d}" for i in range(n)]
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": ids,
                    "wave": w,
                    "branch": rng.integers(1, 4, n),
                    "overall_sat": sat,
                    "recommend": sat,
                }
            )
        )
        crm.append(
            pd.DataFrame(
                {"customer_id": ids, "year": w, "churned": churn, "high_value": rng.random(n) < 0.3}
            )
        )
    return pd.concat(rows, ignore_index=True), pd.concat(crm, ignore_index=True)


LOW = [{"name": "low", "kind": "low_score", "owner": "service", "below": 5}]


def test_backtest_counts_precision_recall_against_sklearn(panel):
    from sklearn.metrics import precision_score, recall_score

    responses, customers = panel
    bt = alerts.backtest(responses, customers, rules=LOW)
    assert bt.waves == (2020, 2021, 2022)  # the latest wave is the current one: not replayed
    bt = alerts.backtest(responses, customers, rules=LOW, waves=[2020, 2021, 2022, 2023])
    merged = responses.merge(
        customers, left_on=["customer_id", "wave"], right_on=["customer_id", "year"]
    )
    for w in (2021, "all"):
        sub = merged if w == "all" else merged[merged.wave == w]
        pred = (sub.overall_sat < 5).to_numpy()
        true = sub.churned.to_numpy()
        row = bt.frame[(bt.frame.rule == "low") & (bt.frame.wave == w)].iloc[0]
        assert row["n"] == len(sub)
        assert row["n_alerts"] == pred.sum() and row["true_positives"] == (pred & true).sum()
        assert row["precision"] == pytest.approx(precision_score(true, pred))
        assert row["recall"] == pytest.approx(recall_score(true, pred))
        assert row["base_rate"] == pytest.approx(true.mean())
        assert row["lift"] == pytest.approx(precision_score(true, pred) / true.mean())
        # Wilson interval by hand
        k, n = (pred & true).sum(), pred.sum()
        z = stats.norm.ppf(0.975)
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        assert (row["precision_ci_lower"], row["precision_ci_upper"]) == pytest.approx(
            (centre - half, centre + half)
        )
        # Fisher exact p-value from scipy
        table = [[k, n - k], [true.sum() - k, len(true) - n - (true.sum() - k)]]
        assert row["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue)
    # the "any" row equals the single rule here
    a = bt.frame[bt.frame.rule == "any"].reset_index(drop=True)
    b = bt.frame[bt.frame.rule == "low"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        a.drop(columns=["rule", "owner"]), b.drop(columns=["rule", "owner"])
    )


def test_backtest_exact_intervals_against_scipy(panel):
    responses, customers = panel
    bt = alerts.backtest(responses, customers, rules=LOW, proportion_ci="exact", waves=[2022])
    row = bt.frame[(bt.frame.rule == "low") & (bt.frame.wave == 2022)].iloc[0]
    ci = stats.binomtest(int(row["true_positives"]), int(row["n_alerts"])).proportion_ci(
        method="exact"
    )
    assert (row["precision_ci_lower"], row["precision_ci_upper"]) == pytest.approx(
        (ci.low, ci.high), rel=1e-8
    )
    ci = stats.binomtest(int(row["true_positives"]), int(row["n_churned"])).proportion_ci(
        method="exact"
    )
    assert (row["recall_ci_lower"], row["recall_ci_upper"]) == pytest.approx(
        (ci.low, ci.high), rel=1e-8
    )


def _numeric_delta_se(a, b, c, d):
    """se of log lift by numerical gradient and the multinomial covariance n(diag(p) - pp')."""
    counts = np.array([a, b, c, d], float)
    n = counts.sum()
    p = counts / n

    def g(q):
        qa, qb, qc, qd = q
        return np.log((qa / (qa + qb)) / ((qa + qc) / (qa + qb + qc + qd)))

    h = 1e-6
    grad = np.array([(g(p + h * e) - g(p - h * e)) / (2 * h) for e in np.eye(4)])
    cov = (np.diag(p) - np.outer(p, p)) / n
    return float(np.sqrt(grad @ cov @ grad))


@pytest.mark.parametrize("counts", [(30, 70, 45, 855), (5, 20, 40, 935), (120, 380, 60, 440)])
def test_lift_log_interval_against_numeric_delta_and_parametric_bootstrap(counts):
    a, b, c, d = counts
    z = stats.norm.ppf(0.975)
    lift, se, lo, hi = _lift_log_ci(*map(float, counts), z)
    assert lift == pytest.approx((a / (a + b)) / ((a + c) / sum(counts)))
    assert se == pytest.approx(_numeric_delta_se(*counts), rel=1e-5)
    assert (lo, hi) == pytest.approx((lift * np.exp(-z * se), lift * np.exp(z * se)))
    if a < 20:
        return  # the delta method is asymptotic: the bootstrap check needs a reasonable count
    # parametric bootstrap reference: multinomial draws of the 2x2 table
    rng = np.random.default_rng(5)
    n = sum(counts)
    draws = rng.multinomial(n, np.array(counts) / n, size=40_000).astype(float)
    A, B, C, D = draws.T
    ok = (A > 0) & (A + B > 0)
    boot = np.log((A[ok] / (A[ok] + B[ok])) / ((A[ok] + C[ok]) / n))
    assert se == pytest.approx(boot.std(), rel=0.08)


def test_risk_ratio_katz_by_hand(panel):
    responses, customers = panel
    bt = alerts.backtest(responses, customers, rules=LOW, waves=[2020])
    r = bt.frame[(bt.frame.rule == "low") & (bt.frame.wave == 2020)].iloc[0]
    a = r["true_positives"]
    b = r["n_alerts"] - a
    c = r["n_churned"] - a
    d = r["n"] - a - b - c
    rr = (a / (a + b)) / (c / (c + d))
    se = np.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    assert r["risk_ratio"] == pytest.approx(rr)
    assert (r["rr_ci_lower"], r["rr_ci_upper"]) == pytest.approx(
        (rr * np.exp(-1.959964 * se), rr * np.exp(1.959964 * se)), rel=1e-5
    )


def test_bootstrap_lift_agrees_with_log_method_and_is_seeded(panel):
    responses, customers = panel
    kw = dict(rules=LOW, waves=[2021])
    log = alerts.backtest(responses, customers, **kw).frame.iloc[0]
    b1 = alerts.backtest(
        responses, customers, lift_ci="bootstrap", n_boot=1000, seed=3, **kw
    ).frame.iloc[0]
    b2 = alerts.backtest(
        responses, customers, lift_ci="bootstrap", n_boot=1000, seed=3, **kw
    ).frame.iloc[0]
    assert b1["lift_ci_lower"] == b2["lift_ci_lower"]
    assert b1["lift"] == pytest.approx(log["lift"])
    assert b1["lift_ci_lower"] == pytest.approx(log["lift_ci_lower"], rel=0.1)
    assert b1["lift_ci_upper"] == pytest.approx(log["lift_ci_upper"], rel=0.1)


def test_backtest_finds_lift_on_informative_rule_and_none_on_noise(panel):
    responses, customers = panel
    rng = np.random.default_rng(2)
    noisy = responses.assign(noise=rng.integers(0, 11, len(responses)).astype(float))
    rules = LOW + [
        {"name": "noise", "kind": "low_score", "owner": "service", "below": 3, "score": "noise"}
    ]
    f = alerts.backtest(noisy, customers, rules=rules).frame.set_index(["rule", "wave"])
    assert f.loc[("low", "all"), "lift_ci_lower"] > 1.5
    assert f.loc[("noise", "all"), "lift_ci_lower"] < 1 < f.loc[("noise", "all"), "lift_ci_upper"]


def test_backtest_bad_options(panel):
    responses, customers = panel
    with pytest.raises(CXValueError, match="proportion_ci"):
        alerts.backtest(responses, customers, rules=LOW, proportion_ci="agresti")
    with pytest.raises(CXValueError, match="lift_ci"):
        alerts.backtest(responses, customers, rules=LOW, lift_ci="delta")
    with pytest.raises(CXValueError, match="no wave has a known outcome"):
        alerts.backtest(responses, customers, rules=LOW, offset=10)
    with pytest.raises(CXValueError, match="churned"):
        alerts.backtest(responses, customers.drop(columns="churned"), rules=LOW)
    with pytest.raises(CXValueError, match="must hold years"):
        alerts.backtest(responses.assign(wave=responses.wave.astype(str)), customers, rules=LOW)
    with pytest.raises(CXValueError, match="waves must be waves"):
        alerts.backtest(responses, customers, rules=LOW, waves=[1999])


def test_backtest_without_history_raises_by_default_or_returns_an_empty_result(panel):
    """A client's first wave: no earlier wave has a known churn outcome."""
    from cxresearch import tables

    responses, customers = panel
    first = responses[responses["wave"] == 2023]
    with pytest.raises(CXValueError, match="no wave has a known outcome"):
        alerts.backtest(first, customers, rules=LOW)
    with pytest.raises(
        CXValueError, match="if_no_history must be one of 'raise', 'empty'; got 'skip'"
    ):
        alerts.backtest(first, customers, rules=LOW, if_no_history="skip")
    full = alerts.backtest(responses, customers, rules=LOW, if_no_history="empty")
    assert full.no_history is None and not full.empty and len(full.frame) > 0  # history: unchanged
    bt = alerts.backtest(first, customers, rules=LOW, if_no_history="empty")
    assert isinstance(bt, alerts.BacktestResult) and bt.empty
    assert "no wave has a known outcome" in bt.no_history
    assert bt.waves == () and bt.frame.empty and list(bt.frame.columns) == list(full.frame.columns)
    assert bt.to_frame().empty and bt.rules == full.rules and bt.alpha == 0.05
    en = str(tables.say_backtest(bt, lang="en"))
    zh = str(tables.say_backtest(bt, lang="zh"))
    assert en.startswith("Not enough history yet") and "历史数据尚不足" in zh
    assert tables.backtest_table(bt, name="alert_backtest", lang="en") is None
    assert tables.backtest_table(full, name="alert_backtest", lang="en") is not None


# ---------------------------------------------------------------- demo study


@pytest.fixture(scope="module")
def demo():
    synth = pytest.importorskip("cxresearch.synth")
    return synth.generate(seed=3)


def test_demo_backtest_low_score_rule_has_positive_lift(demo):
    bt = alerts.backtest(demo.responses, demo.customers, seed=1)
    f = bt.frame.set_index(["rule", "wave"])
    low = f.loc[("low_sat", "all")]
    assert low["lift"] > 1 and low["lift_ci_lower"] > 1
    assert low["n_alerts"] > 0 and 0 < low["recall"] < 1
    # the waves where churn is observed are replayed
    assert len(bt.waves) >= 5 and max(bt.waves) < demo.responses["wave"].max()


def test_demo_case_list_and_counts(demo, tmp_path):
    ac = alerts.alert_cases(demo.responses, customers=demo.customers)
    assert ac.wave == demo.responses["wave"].max()
    assert len(ac.cases) > 0
    assert set(ac.cases["owner"]) <= {"service", "sales", "branch_manager"}
    counts = alerts.alert_counts(ac)
    assert "customer" not in counts.columns and counts["n"].sum() == len(ac.firings)
    alerts.write_alerts(ac, tmp_path / "alerts.xlsx")
    assert pd.read_excel(tmp_path / "alerts.xlsx").shape[0] == len(ac.cases)


def test_params_yaml_example_in_module_docs_is_valid():
    import yaml

    doc = alerts.__doc__
    block = doc[doc.index("    alerts:\n") : doc.index("The order is the priority")]
    params = yaml.safe_load(block)
    rules = alerts.rules_from_params(params["alerts"]["rules"])
    assert [r.name for r in rules] == ["low_sat", "sat_drop", "hv_detractor", "complaint"]
    assert rules[3].themes == ("transfers", "waiting_time")


def test_lift_log_interval_covers_the_true_lift_about_95_percent():
    # Monte Carlo calibration: multinomial 2x2 tables from known cell probabilities
    rng = np.random.default_rng(17)
    probs = np.array(
        [0.04, 0.11, 0.06, 0.79]
    )  # alerted&churned, alerted&stayed, missed churn, rest
    true_lift = (probs[0] / (probs[0] + probs[1])) / (probs[0] + probs[2])
    z = stats.norm.ppf(0.975)
    draws = rng.multinomial(2000, probs, size=4000).astype(float)
    _, _, lo, hi = _lift_log_ci(*draws.T, z)
    coverage = np.mean((lo < true_lift) & (true_lift < hi))
    assert 0.93 < coverage < 0.97
