"""Findings (issue 13): records exist only when their test supports the claim; the summary names what
an independent computation finds; sentences carry the records' numbers."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests

import cxresearch as cx
from cxresearch import findings as F
from cxresearch import synth
from cxresearch.codebook import load as load_codebook
from cxresearch.errors import CXValueError


def _current(study):
    r = study.responses
    return r[r["wave"] == r["wave"].max()].reset_index(drop=True)


@pytest.fixture(scope="module", params=[3, 11, 2026])
def demo(request):
    study = synth.generate(seed=request.param, n_customers=1500, n_waves=8)
    return study, load_codebook(study.codebook)


# -- segments against Total ---------------------------------------------------------------------------


def _brute_gap(y, w, seg):
    """Linearised SE of mean(segment) − mean(Total), every respondent its own PSU (with replacement)."""
    ok = ~np.isnan(y)
    y, w, seg = y[ok], w[ok], seg[ok]
    wt, ws = w.sum(), w[seg].sum()
    mt, ms = np.sum(w * y) / wt, np.sum(w[seg] * y[seg]) / ws
    d = np.where(seg, w * (y - ms) / ws, 0.0) - w * (y - mt) / wt
    n = len(y)
    return ms - mt, np.sqrt(n / (n - 1) * np.sum((d - d.mean()) ** 2))


@pytest.mark.parametrize("kpi", ["mean", "nps"])
def test_exceptions_equal_a_brute_force_linearisation(kpi):
    """The segment-vs-Total test equals the joint-influence variance written out in numpy."""
    study = synth.generate(seed=5, n_customers=800, n_waves=4)
    cur = _current(study)
    score = "overall_sat" if kpi == "mean" else "recommend"
    got = F.exceptions(cur, score=score, by="branch", kpi=kpi, weights="weight", correction="none")
    x = cur[score].to_numpy(float)
    y = (
        x
        if kpi == "mean"
        else np.where(np.isnan(x), np.nan, 100.0 * ((x >= 9) * 1.0 - (x <= 6) * 1.0))
    )
    w = cur["weight"].to_numpy(float)
    for row in got.itertuples():
        diff, se = _brute_gap(y, w, (cur["branch"] == row.level).to_numpy())
        assert row.difference == pytest.approx(diff, rel=1e-10, abs=1e-10)
        assert row.se == pytest.approx(se, rel=1e-8)
    assert not got.equals(cur)  # caller data untouched is checked below
    assert list(cur.columns) == list(_current(study).columns)


def _independent_lowest_nps(cur, alpha=0.05):
    """Branch significantly lowest on NPS: WLS of the respondent NPS score on a branch indicator
    (segment vs rest, HC1), Holm over branches — statsmodels, not cx.survey."""
    x = cur["recommend"].to_numpy(float)
    ok = ~np.isnan(x)
    y = 100.0 * ((x[ok] >= 9) * 1.0 - (x[ok] <= 6) * 1.0)
    w = cur["weight"].to_numpy(float)[ok]
    rows = []
    for b in sorted(cur["branch"].unique()):
        ind = (cur["branch"].to_numpy()[ok] == b).astype(float)
        fit = sm.WLS(y, sm.add_constant(ind), weights=w).fit(cov_type="HC1")
        rows.append((b, fit.params[1], fit.pvalues[1]))
    padj = multipletests([r[2] for r in rows], method="holm")[1]
    low = [(coef, b) for (b, coef, _), p in zip(rows, padj, strict=True) if p < alpha and coef < 0]
    return min(low)[1] if low else None


def _lmg_top(cur, outcome, drivers, weights):
    """Top driver by LMG, brute force over all subsets (weighted least squares R²)."""
    d = cur[[outcome, *drivers, weights]].dropna()
    w = d[weights].to_numpy(float)
    y = d[outcome].to_numpy(float)
    X = d[drivers].to_numpy(float)

    def r2(cols):
        A = np.column_stack([np.ones(len(y)), X[:, cols]]) if cols else np.ones((len(y), 1))
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
        res = y - A @ beta
        ybar = np.sum(w * y) / w.sum()
        return 1 - np.sum(w * res**2) / np.sum(w * (y - ybar) ** 2)

    k = len(drivers)
    cache = {(): 0.0}
    for size in range(1, k + 1):
        for comb in itertools.combinations(range(k), size):
            cache[comb] = r2(list(comb))
    from math import factorial

    lmg = np.zeros(k)
    for j in range(k):
        others = [i for i in range(k) if i != j]
        for size in range(k):
            for comb in itertools.combinations(others, size):
                with_j = tuple(sorted((*comb, j)))
                lmg[j] += (
                    factorial(size)
                    * factorial(k - size - 1)
                    / factorial(k)
                    * (cache[with_j] - cache[comb])
                )
    return drivers[int(np.argmax(lmg))]


def _summary_findings(study, book):
    cur = _current(study)
    card = F.scorecard(
        cur,
        kpis=[("recommend", "nps"), ("overall_sat", "mean"), ("repurchase", "mean")],
        by="branch",
        weights="weight",
    )
    found = F.segment_findings(card, chapter="00_summary", exhibit="segment_scorecard")
    drivers = [
        v.name for v in book.by_role("driver") if not (v.dimension or "").startswith("process:")
    ]
    res = cx.drivers.importance(
        cur, outcome="overall_sat", drivers=drivers, weights="weight", ci=True, n_boot=100, seed=1
    )
    ipa = cx.drivers.importance_performance(
        cur, outcome="overall_sat", drivers=drivers, weights="weight", codebook=book, lang="en"
    )
    found += F.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="driver_importance")
    return cur, drivers, card, found


def test_summary_names_the_lowest_nps_branch_and_the_top_driver(demo):
    study, book = demo
    cur, drivers, card, found = _summary_findings(study, book)
    msgs = cx.tables.key_messages(found, lang="en", codebook=book, headline="recommend")
    text = " ".join(msgs.sentences)
    lowest = _independent_lowest_nps(cur)
    if lowest is not None:
        label = book.get("branch").value_label(int(lowest), "en")
        assert f"**{label}** is significantly below Total" in text
    else:
        assert "below Total on NPS" not in text
    top = _lmg_top(cur, "overall_sat", drivers, "weight")
    assert top in [f.subject for f in msgs.findings if f.kind == "top_driver"]
    assert f"**{book.get(top).label_for('en')}**" in text


def test_summary_names_the_horizon():
    study = synth.generate(seed=2, n_customers=2500, n_waves=9)
    panel = cx.persistence.customer_years(
        study.customers, study.responses, columns=["overall_sat", "repurchase"]
    )
    hz = cx.persistence.horizon(
        panel,
        id="customer_id",
        time="year",
        outcome="repurchase",
        exposure="overall_sat",
        max_lag=5,
        n_boot=20,
        seed=1,
    )
    found = F.horizon_findings(hz, chapter="04_persistence", exhibit="lags_loyalty")
    assert len(found) == 1 and found[0].estimate == hz.primary.h == study.truth.sat_loyalty_horizon
    text = " ".join(cx.tables.key_messages(found, lang="en").sentences)
    assert f"for **{hz.primary.h} years**" in text


def test_no_segment_difference_no_claim():
    """With no branch differences in the truth, a segment claim is a false positive: Holm keeps the
    family-wise rate at 5% per KPI, so across six studies (two KPIs each) at most one may make one,
    and a study without a significant gap says nothing about segments."""
    truth = synth.Truth(branch_sd=0.0, engagement_item_link=0.0)
    claimed = 0
    for seed in range(1, 7):
        study = synth.generate(seed=seed, n_customers=1500, n_waves=4, truth=truth)
        book = load_codebook(study.codebook)
        cur = _current(study)
        card = F.scorecard(
            cur, kpis=[("recommend", "nps"), ("overall_sat", "mean")], by="branch", weights="weight"
        )
        found = F.segment_findings(card, chapter="00_summary", exhibit="segment_scorecard")
        assert len(found) == int(card.frame["significant"].sum())
        claimed += bool(found)
        msgs = cx.tables.key_messages(found, lang="en", codebook=book, headline="recommend")
        if not found:
            assert msgs.sentences == ()
            assert "makes no claim" in msgs._repr_html_()
    assert claimed <= 1


def test_churn_independent_of_satisfaction_no_hazard_claim():
    truth = synth.Truth(churn_run_logits=(0.0, 0.0, 0.0, 0.0), churn_sat_slope=0.0)
    study = synth.generate(seed=8, n_customers=2000, n_waves=8, truth=truth)
    panel = cx.persistence.customer_years(study.customers, study.responses, columns=["overall_sat"])
    hazard = cx.persistence.churn_hazard(
        panel,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=truth.dissatisfied_cut,
    )
    assert F.hazard_findings(hazard, chapter="04", exhibit="churn_by_run") == []
    said = str(cx.tables.say_hazard(hazard, lang="en"))
    assert "The longer dissatisfaction lasts" not in said and "times as high" not in said
    _, p = F.run_trend_test(hazard.rates)
    assert "do not show the risk rising" in said and f"({cx.tables.p_eq(p)})" in said
    # with the demo truth the rise is claimed
    study = synth.generate(seed=8, n_customers=2000, n_waves=8)
    panel = cx.persistence.customer_years(study.customers, study.responses, columns=["overall_sat"])
    hazard = cx.persistence.churn_hazard(
        panel,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=study.truth.dissatisfied_cut,
    )
    (found,) = F.hazard_findings(hazard, chapter="04", exhibit="churn_by_run")
    said = str(cx.tables.say_hazard(hazard, lang="en"))
    assert said == cx.tables.say_finding(found, lang="en")  # the odds ratio, its CI and the test
    assert "The longer dissatisfaction lasts, the more customers leave" in said and "95% CI" in said


def test_run_trend_test_equals_statsmodels_linear_by_linear():
    """Cochran–Armitage z = linear-by-linear association z × sqrt(N / (N − 1)) (Agresti 2002, 3.4.6)."""
    rates = pd.DataFrame(
        {
            "run_length": ["0", "1", "2", "3+"],
            "person_years": [900, 200, 80, 40],
            "events": [30, 14, 9, 8],
        }
    )
    z, p = F.run_trend_test(rates)
    tab = np.column_stack([rates["person_years"] - rates["events"], rates["events"]])
    ref = Table(tab).test_ordinal_association(
        row_scores=np.arange(4.0), col_scores=np.array([0.0, 1.0])
    )
    n = tab.sum()
    assert z == pytest.approx(ref.zscore * np.sqrt(n / (n - 1)), rel=1e-9)
    assert p < 0.001


# -- sentences carry the records' numbers ---------------------------------------------------------------

_NUM = re.compile(r"[−+-]?\d[\d,]*(?:\.\d+)?%?")


def _allowed(f, related):
    vals = []
    for g in [f, *related]:
        vals += cx.tables.finding_numbers(g)
        vals += [100 * (1 - g.alpha)]
    out = set()
    for v in vals:
        for c in (v, abs(v), 100 * v, 100 * abs(v), 100 * (1 - v)):
            out.add(c)
    return out


def _check_numbers(sentence, f, related):
    allowed = _allowed(f, related)
    for tok in _NUM.findall(sentence.replace("p < 0.001", "")):
        t = tok.replace("−", "-").replace(",", "").rstrip("%").lstrip("+")
        value = float(t)
        decimals = len(t.split(".")[1]) if "." in t else 0
        tol = 0.5 * 10 ** (-decimals) + 1e-9
        assert any(abs(abs(value) - abs(a)) <= tol for a in allowed), (tok, sentence)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_number_in_a_sentence_is_a_record_number(demo, lang):
    study, book = demo
    _, _, _, found = _summary_findings(study, book)
    assert found
    for f in found:
        s = cx.tables.say_finding(f, lang=lang, codebook=book, related=found)
        _check_numbers(s, f, found)


# -- the record -------------------------------------------------------------------------------------------


def test_finding_json_round_trip_and_validation(demo):
    study, book = demo
    _, _, _, found = _summary_findings(study, book)
    text = F.to_json(found)
    data = json.loads(text)
    assert all(
        {
            "kind",
            "claim",
            "estimate",
            "ci_lower",
            "ci_upper",
            "p_value",
            "size",
            "strength",
            "anchor",
        }
        <= set(d)
        for d in data
    )
    assert F.from_json(text) == found
    with pytest.raises(CXValueError, match="claims one of"):
        F.Finding(
            kind="segment_gap",
            claim="largest",
            subject="1",
            subject_type="segment",
            direction=1,
            estimate=1.0,
            ci_lower=0.5,
            ci_upper=1.5,
            unit="scale_points",
            test="t",
            size=0.1,
            chapter="x",
            exhibit="y",
        )
    nan = F.Finding(
        kind="horizon",
        claim="lasts",
        subject="s",
        subject_type="exposure",
        direction=1,
        estimate=float("nan"),
        ci_lower=None,
        ci_upper=None,
        unit="years",
        test="t",
        size=0.1,
        chapter="x",
        exhibit="y",
    )
    assert nan.estimate is None and "NaN" not in F.to_json([nan])


def test_priorities_owner_and_expected_effect(demo):
    study, book = demo
    _, _, card, found = _summary_findings(study, book)
    below = [f for f in found if f.kind == "segment_gap" and f.claim == "below_total"]
    owners = {
        "service": "Service director",
        **{f"branch:{f.subject}": f"GM {f.subject}" for f in below},
    }
    dims = {v.name: v.dimension for v in book.variables if v.dimension}
    table = F.priorities(found, owners=owners, dimensions=dims)
    gaps = table[table["action"] == "close_gap"]
    assert set(gaps["subject"]) == {f.subject for f in below}
    assert list(gaps["owner"]) == [f"GM {s}" for s in gaps["subject"]]
    for row in table[table["action"] == "improve_driver"].itertuples():
        assert row.owner == ("Service director" if dims.get(row.subject) == "service" else None)
        assert row.ci_lower <= row.estimate <= row.ci_upper
    assert list(table["priority"]) == list(range(1, len(table) + 1))
    assert table["score"].is_monotonic_decreasing
    shown = cx.tables.priorities_table(table, lang="zh", codebook=book, by="branch")
    assert len(shown.data) == len(table)


def test_scorecard_table_colours_only_significant_cells(demo):
    study, book = demo
    _, _, card, _ = _summary_findings(study, book)
    shown = cx.tables.scorecard_table(card, lang="en", codebook=book)
    html = shown.to_html()
    n_marked = html.count("cx-below") + html.count("cx-above")
    assert n_marked == int(card.frame["significant"].sum())
    assert 'id="tbl-segment_scorecard"' in html
    assert shown.data["segment"].iloc[-1] == "Total"
    # Total's n is counted like the segments' (first KPI's answers), not left blank
    cur = _current(study)
    first = card.frame["score"].iloc[0]
    assert shown.data["n"].iloc[-1] == cur[first].notna().sum()


def test_one_wave_dashboard_and_priorities_drop_the_columns_nothing_fills():
    """bfi (one wave, no CRM, no owners): the dashboard printed four columns of "–" (previous wave,
    change, p, marker) and the priorities table empty "Pays for" and "Owner" columns."""
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"wave": 2024, "sat": rng.integers(1, 7, 300).astype(float)})
    trend = cx.survey.trend(df, score="sat")
    dash = cx.tables.kpi_dashboard([("sat", "mean", trend)], wave=2024, lang="en")
    assert [c for c in dash.data.columns if c != "flag"] == [
        "kpi",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
    ]
    assert "one wave" in dash.notes[0]
    two = pd.concat([df, df.assign(wave=2025)], ignore_index=True)
    dash2 = cx.tables.kpi_dashboard(
        [("sat", "mean", cx.survey.trend(two, score="sat"))], wave=2025, lang="en"
    )
    assert "change" in dash2.data.columns and "marker" in dash2.data.columns
    gap = _record(
        "segment_gap",
        "below_total",
        subject="2",
        unit="scale_points",
        direction=-1,
        estimate=-0.3,
        ci_lower=-0.5,
        ci_upper=-0.1,
        details={"by": "branch"},
    )
    shown = cx.tables.priorities_table(F.priorities([gap]), lang="en")
    assert "lasts" not in shown.data.columns and "owner" not in shown.data.columns
    assert "persistence" not in shown.notes[0]
    owned = cx.tables.priorities_table(F.priorities([gap], owners={"branch:2": "GM"}), lang="en")
    assert list(owned.data["owner"]) == ["GM"]


def test_alert_concentration_equals_statsmodels_risk_ratio():
    """Rate ratio of a branch's alert rate against the other branches, Katz log interval
    (statsmodels Table2x2.riskratio_confint), Fisher p Holm-adjusted; no claim when rates are equal."""
    from statsmodels.stats.contingency_tables import Table2x2

    counts = pd.DataFrame(
        {
            "branch": [1, 2, 3, 4],
            "rule": "low_sat",
            "n": [10, 12, 45, 9],
            "n_responses": [300, 320, 150, 280],
        }
    )
    found = F.alert_concentration_findings(counts, by="branch", chapter="06", exhibit="alerts")
    assert [f.subject for f in found] == ["3"]
    f = found[0]
    ref = Table2x2(np.array([[45, 105], [31, 869]]))
    assert f.estimate == pytest.approx(ref.riskratio, rel=1e-12)
    lo, hi = ref.riskratio_confint(alpha=0.05, method="normal")
    assert (f.ci_lower, f.ci_upper) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
    assert f.details["alerts"] == 45 and f.details["alerts_total"] == 76
    even = counts.assign(n=[30, 32, 15, 28])
    assert F.alert_concentration_findings(even, by="branch", chapter="06", exhibit="alerts") == []
    said = cx.tables.say_finding(f, lang="en")
    _check_numbers(said, f, [])


def test_engagement_gaps_are_exception_tests_on_the_index():
    study = synth.generate(seed=4, n_customers=1500, n_waves=8)
    emp = study.employees
    wave = int(emp["wave"].max())
    found = F.engagement_findings(
        emp, wave=wave, segment="branch", chapter="07", exhibit="engagement"
    )
    cur = emp[emp["wave"] == wave]
    idx = cur[[f"q{i:02d}" for i in range(1, 13)]].mean(axis=1)
    for f in found:
        unit = int(f.subject)
        assert f.details["segment_value"] == pytest.approx(idx[cur["unit"] == unit].mean())
        assert f.details["total_value"] == pytest.approx(idx.mean())
        assert f.ci_lower <= f.estimate <= f.ci_upper and f.p_adj < 0.05
    # the programme units are lifted in the truth: none of them is claimed below the others
    assert not [
        f for f in found if int(f.subject) in study.truth.programme_units and f.direction < 0
    ]


def test_no_loyalty_effect_no_horizon_claim():
    truth = synth.Truth(sat_loyalty_lags=())
    study = synth.generate(seed=6, n_customers=1500, n_waves=8, truth=truth)
    panel = cx.persistence.customer_years(
        study.customers, study.responses, columns=["overall_sat", "repurchase"]
    )
    hz = cx.persistence.horizon(
        panel,
        id="customer_id",
        time="year",
        outcome="repurchase",
        exposure="overall_sat",
        max_lag=3,
        n_boot=20,
        seed=1,
    )
    found = F.horizon_findings(hz, chapter="04", exhibit="lags_loyalty")
    assert (found == []) == (hz.primary.h == 0)
    if hz.primary.h == 0:
        assert "has no significantly positive effect" in str(cx.tables.say_horizon(hz, lang="en"))


def test_nothing_found_nothing_prioritised():
    table = F.priorities([])
    assert table.empty and list(table.columns)[0] == "priority"
    shown = cx.tables.priorities_table(table, lang="en")
    assert shown.data.empty and "no priority is set" in shown.notes[0]
    assert cx.tables.key_messages([], lang="zh").sentences == ()


def _record(kind, claim, **kw):
    base = dict(
        subject="x",
        subject_type="item",
        direction=1,
        estimate=1.234,
        ci_lower=1.1,
        ci_upper=1.4,
        unit="ratio",
        test="t",
        size=0.3,
        chapter="c",
        exhibit="e",
        p_value=0.0123,
        variable="overall_sat",
    )
    base.update(kw)
    return F.Finding(kind=kind, claim=claim, **base)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_kind_has_a_sentence_with_record_numbers_only(lang):
    book = load_codebook(synth.generate(seed=1, n_customers=100, n_waves=4).codebook)
    records = [
        _record(
            "kpi_change",
            "decrease",
            direction=-1,
            estimate=-3.21,
            ci_lower=-5.5,
            ci_upper=-0.9,
            unit="nps_points",
            variable="recommend",
            details={"value": -23.9, "previous_wave": 2024},
        ),
        _record(
            "top_driver",
            "largest",
            subject="product_quality",
            estimate=0.31,
            ci_lower=0.25,
            ci_upper=0.36,
            unit="share",
            details={"next": "price_value", "next_share": 0.12, "tied": []},
        ),
        _record(
            "priority_driver",
            "improve",
            subject="price_value",
            estimate=0.17,
            ci_lower=0.15,
            ci_upper=0.19,
            unit="share",
            direction=-1,
            details={"performance": 3.21, "performance_cut": 3.52},
        ),
        _record(
            "model_fit", "explains_little", estimate=0.043, ci_lower=None, ci_upper=None, unit="r2"
        ),
        _record(
            "horizon",
            "lasts",
            subject="overall_sat",
            variable="repurchase",
            estimate=3,
            ci_lower=2,
            ci_upper=4,
            unit="years",
        ),
        _record(
            "hazard_run",
            "rises_with_run",
            estimate=18.2,
            ci_lower=5.6,
            ci_upper=58.7,
            unit="odds_ratio",
            details={"rate_none": 0.033, "rate_longest": 0.571, "longest_run": "4+"},
        ),
        _record(
            "alert_lift",
            "predicts_churn",
            subject="low_sat",
            estimate=3.12,
            ci_lower=2.93,
            ci_upper=3.32,
            details={"precision": 0.18, "false_alarm_share": 0.82, "volume": 259},
        ),
        _record(
            "alert_concentration",
            "concentrated",
            subject="3",
            subject_type="segment",
            estimate=4.11,
            ci_lower=3.25,
            ci_upper=5.19,
            details={
                "by": "branch",
                "level": 3,
                "rule": "low_sat",
                "alerts": 92,
                "alerts_total": 259,
                "alert_share": 92 / 259,
                "sample_share": 0.12,
            },
        ),
        _record(
            "transfer_penalty",
            "costs",
            direction=-1,
            estimate=-0.103,
            ci_lower=-0.106,
            ci_upper=-0.1,
            unit="relative_change",
            variable="repurchase",
        ),
        _record(
            "employee_link",
            "linked",
            estimate=0.54,
            ci_lower=0.38,
            ci_upper=0.67,
            unit="correlation",
        ),
        _record(
            "programme", "lifts", estimate=0.38, ci_lower=0.29, ci_upper=0.47, unit="scale_points"
        ),
        _record(
            "theme_gap",
            "more_among_dissatisfied",
            subject="price",
            subject_type="theme",
            estimate=0.246,
            ci_lower=0.174,
            ci_upper=0.319,
            unit="share",
            size_unit="h",
            details={
                "group": "dissatisfied",
                "cut": 5,
                "share_low": 0.353,
                "share_rest": 0.107,
                "label": {"zh": "价格", "en": "Price"},
            },
        ),
        _record(
            "theme_gap",
            "less_among_dissatisfied",
            subject="courtesy",
            subject_type="theme",
            direction=-1,
            estimate=-0.240,
            ci_lower=-0.293,
            ci_upper=-0.188,
            unit="share",
            size_unit="h",
            details={"group": "detractors", "cut": 6, "share_low": 0.031, "share_rest": 0.272},
        ),
    ]
    assert {r.kind for r in records} | {"segment_gap"} == set(F.KINDS)
    for f in records:
        s = cx.tables.say_finding(f, lang=lang, codebook=book)
        _check_numbers(s, f, [])
        if f.direction < 0 and f.kind != "priority_driver":
            assert "−" in s  # negative effects are stated as negative


def test_a_driver_that_moves_against_the_outcome_is_no_priority_to_improve():
    """bfi (real data): the top LMG driver of the outcome had β = −0.27, and the report said to
    "improve" it. Importance has no sign: the direction comes from r and β (checked here against
    statsmodels OLS on standardised data), and only a driver moving with the outcome is one to improve."""
    rng = np.random.default_rng(7)
    n = 800
    x = rng.normal(size=(n, 3))
    y = -1.0 * x[:, 0] + 0.4 * x[:, 1] + 0.2 * x[:, 2] + rng.normal(size=n)
    df = pd.DataFrame({"y": 4 + y, "a": 3 + x[:, 0], "b": 3 - 0.5 + x[:, 1], "c": 3 + x[:, 2]})
    df["a"] = df["a"] - 1.0  # "a" rated below average: the concentrate-here quadrant
    drivers = ["a", "b", "c"]
    res = cx.drivers.importance(df, outcome="y", drivers=drivers, ci=True, n_boot=200, seed=3)
    ipa = cx.drivers.importance_performance(df, outcome="y", drivers=drivers, lang="en")
    z = (df - df.mean()) / df.std(ddof=0)
    ols = sm.OLS(z["y"], z[drivers]).fit().params
    assert np.sign(ols["a"]) == -1 and np.sign(ols["b"]) == 1
    found = F.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="driver_importance")
    top = next(f for f in found if f.kind == "top_driver")
    assert (
        top.subject == "a"
        and top.direction == -1
        and top.details["beta"] == pytest.approx(ols["a"], abs=1e-6)
    )
    assert not [f for f in found if f.kind == "priority_driver" and f.subject == "a"]
    pri = F.priorities(found)
    assert "a" not in set(pri.loc[pri["action"] == "improve_driver", "subject"])
    text = cx.tables.say_finding(top, lang="en")
    assert "opposite direction" in text and "strongest driver" in text
    assert "反" in cx.tables.say_finding(top, lang="zh")
    said = str(cx.tables.say_drivers(res, ipa=ipa, lang="en"))
    assert "a" in set(ipa.loc[ipa["quadrant"] == "concentrate_here", "driver"])
    assert "not listed as a priority" in said and "priorities for improvement" not in said


def test_dashboard_trends_cluster_on_the_customer_as_chapter_02_does():
    """The summary's KPI trends (the dashboard's ▲/▼) passed weights only, while chapter 02's trend
    clusters the wave-on-wave tests on the customer id (issue 14): the same test now, from the same
    design keywords (``study.wave_design``)."""
    study = synth.generate(seed=5, n_customers=800, n_waves=4)
    r = study.responses
    assert r["customer_id"].duplicated().any()  # repeat respondents link the waves
    got = F.kpi_trends(
        r,
        kpis=[("overall_sat", "mean"), ("recommend", "nps")],
        weights="weight",
        respondent="customer_id",
    )
    for score, kpi, frame in got:
        ref = cx.survey.trend(
            r, score=score, statistic=kpi, weights="weight", respondent="customer_id"
        )
        np.testing.assert_allclose(frame["change_p_value"], ref["change_p_value"], rtol=1e-12)
        srs = cx.survey.trend(r, score=score, statistic=kpi, weights="weight")
        changed = frame["change_se"].notna()
        assert (
            np.abs(
                frame.loc[changed, "change_se"].to_numpy()
                / srs.loc[changed, "change_se"].to_numpy()
                - 1
            ).max()
            > 1e-3
        )


def test_wording_of_one_year_tied_drivers_and_the_detractors_theme_note():
    """One year is 'year'; a list of tied drivers ends with 'and'; the theme note names the group
    its table compares (a detractors table said 'by the dissatisfied')."""
    from cxresearch.tables.findings import _year_word

    book = load_codebook(synth.generate(seed=1, n_customers=100, n_waves=4).codebook)
    one = _record(
        "horizon",
        "lasts",
        subject="overall_sat",
        variable="repurchase",
        estimate=1,
        ci_lower=1,
        ci_upper=2,
        unit="years",
    )
    text = cx.tables.say_finding(one, lang="en", codebook=book)
    assert "**1 year**" in text and "paying for 1 year." in text and "1 years" not in text
    assert "**3 years**" in cx.tables.say_finding(
        _record(
            "horizon",
            "lasts",
            subject="overall_sat",
            variable="repurchase",
            estimate=3,
            ci_lower=2,
            ci_upper=4,
            unit="years",
        ),
        lang="en",
        codebook=book,
    )
    assert _year_word(1, "zh") == _year_word(4, "zh") == "年"
    tied = _record(
        "top_driver",
        "among_largest",
        subject="product_quality",
        estimate=0.31,
        unit="share",
        details={"tied": ["price_value", "delivery", "courtesy"]},
    )
    en = cx.tables.say_finding(tied, lang="en", codebook=book)
    from cxresearch.tables._core import mid_sentence, var_label

    labels = [
        mid_sentence(var_label(v, lang="en", codebook=book), "en") for v in ("delivery", "courtesy")
    ]
    assert f"{labels[0]} and {labels[1]}" in en, en
    gaps = pd.DataFrame(
        {
            "theme": ["price"],
            "label": ["Price"],
            "share_low": [0.3],
            "share_rest": [0.1],
            "difference": [0.2],
            "ci_lower": [0.1],
            "ci_upper": [0.3],
            "p_adj": [0.01],
            "significant": [True],
            "n_low": [50],
            "n_rest": [200],
        }
    )
    for lang, word_ in (("en", "by detractors"), ("zh", "在贬损者中")):
        t = cx.tables.findings.theme_gap_table(gaps, lang=lang, group="detractors")
        assert word_ in " ".join(t.notes), t.notes


def _priority_frame(shift: float, seed: int = 11) -> pd.DataFrame:
    """Three drivers; 'a' matters most and is rated ``shift`` below the others."""
    rng = np.random.default_rng(seed)
    n = 600
    x = rng.normal(size=(n, 3))
    y = 1.0 * x[:, 0] + 0.3 * x[:, 1] + 0.3 * x[:, 2] + rng.normal(size=n)
    return pd.DataFrame({"y": 4 + y, "a": 3 - shift + x[:, 0], "b": 3 + x[:, 1], "c": 3 + x[:, 2]})


def _priority_case(shift: float, seed: int = 11):
    df = _priority_frame(shift, seed)
    drivers = ["a", "b", "c"]
    res = cx.drivers.importance(df, outcome="y", drivers=drivers, ci=True, n_boot=200, seed=3)
    ipa = cx.drivers.importance_performance(df, outcome="y", drivers=drivers, lang="en")
    return F.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="x"), ipa


def test_a_priority_driver_is_rated_below_average_by_its_paired_test():
    """'Rated below average' is claimed with the paired test of the performance gap: a driver
    whose performance is below the drivers' average by less than its interval is no priority
    (its quadrant says 'concentrate here' all the same); a clear gap is, with its numbers said."""
    found, ipa = _priority_case(shift=0.5)
    pri = [f for f in found if f.kind == "priority_driver"]
    assert [f.subject for f in pri] == ["a"]
    row = ipa.set_index("driver").loc["a"]
    assert pri[0].details["gap_ci_upper"] == row["gap_ci_upper"] < 0
    text = cx.tables.say_finding(pri[0], lang="en")
    gap = cx.tables.fmt_num(row["performance_gap"], 2).replace("-", "−")
    assert f"{gap}, 95% CI" in text and "p < 0.001" in text
    assert "差 " + gap in cx.tables.say_finding(pri[0], lang="zh")

    found, ipa = _priority_case(shift=0.01)
    row = ipa.set_index("driver").loc["a"]
    assert row["quadrant"] == "concentrate_here" and row["gap_ci_upper"] > 0
    assert not [f for f in found if f.kind == "priority_driver"]
    # without the test (a median cut) no priority is claimed, even for the clear gap
    found, ipa = _priority_case(shift=0.5)
    untested = ipa.drop(columns=["performance_gap", "gap_ci_lower", "gap_ci_upper", "gap_p_value"])
    res = cx.drivers.importance(
        _priority_frame(0.5), outcome="y", drivers=["a", "b", "c"], ci=True, n_boot=200, seed=3
    )
    again = F.driver_findings(res, ipa=untested, chapter="03_drivers", exhibit="x")
    assert not [f for f in again if f.kind == "priority_driver"]


def test_the_linkage_on_unit_nps_says_nps_not_nps_lowercased():
    """The employee linkage computes each unit's NPS in a column 'nps' (no codebook entry): its
    sentence said "customers' nps is higher"."""
    f = _record("employee_link", "linked", estimate=0.53, unit="correlation", variable="nps")
    book = load_codebook(synth.generate(seed=1, n_customers=100, n_waves=4).codebook)
    for codebook in (None, book):
        text = cx.tables.say_finding(f, lang="en", codebook=codebook)
        assert "customers' NPS is higher" in text
        assert "NPS" in cx.tables.say_finding(f, lang="zh", codebook=codebook)


def test_engagement_link_needs_the_model_that_allows_for_recurring_units():
    """Demo study, 100 customers, 8 units over 8 waves: the unit × wave Pearson interval of
    satisfaction excludes 0 (p ≈ 0.017) but the mixed model with random unit intercepts does not
    (p ≈ 0.46): no link is written. With 300 customers both agree, and the record's p is the
    larger of the two."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = synth.generate(seed=1, n_customers=100, n_waves=8)
        link = cx.employee.linkage(small.employees, small.responses)
    c = link.correlations.query("level == 'unit_wave' and outcome == 'overall_sat'").iloc[0]
    m = link.models.query("term == 'engagement' and outcome == 'overall_sat'").iloc[0]
    assert c["ci_lower"] > 0 and c["p_value"] < 0.05 < m["p_value"]
    assert F.linkage_findings(link, chapter="07", exhibit="x") == []

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = synth.generate(seed=1, n_customers=300, n_waves=8)
        link = cx.employee.linkage(study.employees, study.responses)
    (f,) = F.linkage_findings(link, chapter="07", exhibit="x")
    c = link.correlations.query("level == 'unit_wave' and outcome == 'overall_sat'").iloc[0]
    m = link.models.query("term == 'engagement' and outcome == 'overall_sat'").iloc[0]
    assert f.variable == "overall_sat" and f.p == max(c["p_value"], m["p_value"])
    assert f.details["slope"] == m["estimate"] and f.details["slope_p_value"] == m["p_value"]


def test_programme_claim_rests_on_the_randomization_test_too():
    """3 programme units of 8: no assignment test can give p below 1/56, whatever the clustered p.
    The record carries the larger p (its strength follows), and the narrative calls the
    difference significant only when both tests reject, giving both p values."""
    study = synth.generate(seed=1, n_customers=100, n_waves=8)
    did = cx.employee.programme_did(study.employees, programme_units=[2, 5, 7], start=2020)
    row = did.frame.iloc[0]
    assert row["n_assignments"] == 56 and row["p_randomization"] >= 1 / 56 > row["p_value"]
    (f,) = F.programme_findings(did, chapter="07", exhibit="x")
    assert f.p == row["p_randomization"] and f.strength == "some"
    text = str(cx.tables.say_programme(did, lang="en"))
    assert "a statistically significant difference" in text
    assert "randomization test over the 56 possible assignments" in text
    assert cx.tables.p_eq(row["p_randomization"]) in text
    # a randomization test that does not reject: no claim, and the narrative says so
    frame = did.frame.copy()
    frame.loc[frame.index[0], "p_randomization"] = 0.25
    weak = dataclasses.replace(did, frame=frame)
    assert F.programme_findings(weak, chapter="07", exhibit="x") == []
    assert "not a statistically significant" in str(cx.tables.say_programme(weak, lang="en"))
    assert "随机化检验 p = 0.250" in str(cx.tables.say_programme(weak, lang="zh"))
