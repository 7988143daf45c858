"""Verbatim findings (issue 13): comment themes the dissatisfied raise more than the other customers.

The test of each theme is checked against statsmodels' two-independent-proportions Wald test on the
same counts (unweighted) and against the linearised variance written out in numpy (weighted); on
data where themes do not depend on satisfaction no finding is made; the findings join the summary and
the priorities table, and their sentences carry only the records' numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.multitest import multipletests

import cxresearch as cx
from cxresearch import findings as F
from cxresearch import synth
from cxresearch.codebook import load as load_codebook
from cxresearch.errors import CXValueError, SmallBaseWarning
from test_findings import _check_numbers


def _current(study):
    r = study.responses
    return r[r["wave"] == r["wave"].max()].reset_index(drop=True)


@pytest.fixture(scope="module")
def demo():
    study = synth.generate(seed=3, n_customers=1500, n_waves=4)
    cur = _current(study)
    coding = cx.text.code_comments(cur)
    return study, load_codebook(study.codebook), cur, coding


class _Coding:
    """A minimal coding (the duck type :func:`theme_gaps` reads): indicator columns and has_comment."""

    def __init__(self, codes: pd.DataFrame, themes):
        self.codes = codes
        self.themes = tuple(themes)
        self.codeframe = None


def _simulated(rng, n, shares_low, shares_rest, *, comment_rate=0.6, weights=False):
    """Respondents with a 0–10 score (≤ 5 dissatisfied), a comment flag and independent theme mentions."""
    score = rng.integers(0, 11, n).astype(float)
    low = score <= 5
    has = rng.random(n) < comment_rate
    codes = {"has_comment": has}
    for i, (a, b) in enumerate(zip(shares_low, shares_rest, strict=True)):
        codes[f"t{i}"] = has & (rng.random(n) < np.where(low, a, b))
    data = pd.DataFrame({"overall_sat": score})
    if weights:
        data["weight"] = rng.gamma(4.0, 0.25, n)
    return data, _Coding(pd.DataFrame(codes), [f"t{i}" for i in range(len(shares_low))])


def test_unweighted_test_equals_statsmodels_two_proportion_wald():
    """Unweighted, the design-based difference is the difference of the raw shares and its SE the Wald SE
    of two independent proportions (statsmodels ``test_proportions_2indep(method='wald')``) times
    sqrt(N / (N − 1)), N the rows of the frame (every respondent a PSU, with replacement)."""
    rng = np.random.default_rng(11)
    data, coding = _simulated(rng, 1200, [0.30, 0.12, 0.20], [0.12, 0.12, 0.05])
    got = F.theme_gaps(data, coding, score="overall_sat", cut=5, correction="none")
    N = len(data)
    low = (data["overall_sat"] <= 5).to_numpy()
    has = coding.codes["has_comment"].to_numpy()
    for r in got.itertuples():
        ind = coding.codes[r.theme].to_numpy()
        c1, n1 = int(ind[has & low].sum()), int((has & low).sum())
        c2, n2 = int(ind[has & ~low].sum()), int((has & ~low).sum())
        ref = sm_proportion.test_proportions_2indep(
            c1, n1, c2, n2, method="wald", compare="diff", correction=False
        )
        assert (r.n_low, r.n_rest, r.mentions_low, r.mentions_rest) == (n1, n2, c1, c2)
        assert r.difference == pytest.approx(ref.diff, abs=1e-12)
        se_ref = np.sqrt(ref.variance * N / (N - 1))
        assert r.se == pytest.approx(se_ref, rel=1e-9)
        # t on R's svyttest degrees of freedom (commenters − 1 − 1): p close to the z test's
        assert r.df == n1 + n2 - 2
        assert r.p_value == pytest.approx(
            2 * stats.t.sf(abs(ref.diff / se_ref), n1 + n2 - 2), rel=1e-9
        )
        assert r.p_value == pytest.approx(ref.pvalue, rel=0.05, abs=1e-6)
        q = stats.t.ppf(0.975, n1 + n2 - 2)
        assert (r.ci_lower, r.ci_upper) == (
            pytest.approx(ref.diff - q * se_ref),
            pytest.approx(ref.diff + q * se_ref),
        )
        assert r.h == pytest.approx(
            2 * np.arcsin(np.sqrt(c1 / n1)) - 2 * np.arcsin(np.sqrt(c2 / n2))
        )
    assert list(got["significant"]) == [True, False, True]


def test_weighted_test_equals_a_brute_force_linearisation_and_holm():
    rng = np.random.default_rng(5)
    data, coding = _simulated(
        rng, 900, [0.35, 0.10, 0.25, 0.15], [0.15, 0.10, 0.22, 0.05], weights=True
    )
    got = F.theme_gaps(
        data, coding, score="overall_sat", cut=5, weights="weight", correction="holm"
    )
    w = data["weight"].to_numpy()
    has = coding.codes["has_comment"].to_numpy()
    low = (data["overall_sat"] <= 5).to_numpy() & has
    rest = ~(data["overall_sat"] <= 5).to_numpy() & has
    N = len(data)
    for r in got.itertuples():
        y = coding.codes[r.theme].to_numpy().astype(float)
        pa, pb = np.sum(w[low] * y[low]) / w[low].sum(), np.sum(w[rest] * y[rest]) / w[rest].sum()
        z = np.where(low, w * (y - pa) / w[low].sum(), 0.0) - np.where(
            rest, w * (y - pb) / w[rest].sum(), 0.0
        )
        se = np.sqrt(N / (N - 1) * np.sum((z - z.mean()) ** 2))
        assert (r.share_low, r.share_rest) == (
            pytest.approx(pa, rel=1e-12),
            pytest.approx(pb, rel=1e-12),
        )
        assert r.difference == pytest.approx(pa - pb, abs=1e-12)
        assert r.se == pytest.approx(se, rel=1e-9)
    assert np.allclose(got["p_adj"], multipletests(got["p_value"], method="holm")[1])
    # rescaling the weights changes nothing; the caller's frame is not modified
    again = F.theme_gaps(
        data.assign(weight=data["weight"] * 7.5),
        coding,
        score="overall_sat",
        cut=5,
        weights="weight",
    )
    assert np.allclose(again["difference"], got["difference"]) and np.allclose(
        again["se"], got["se"]
    )
    assert list(data.columns) == ["overall_sat", "weight"]


def test_no_effect_no_theme_claim():
    """Themes mentioned independently of satisfaction: Holm keeps the family-wise error at 5%, so over
    200 simulated studies at most a few make any claim (binomial: P(> 20 of 200 | 5%) < 0.001); a
    study with none has no theme sentence in the summary and no theme action."""
    rng = np.random.default_rng(2026)
    claimed = 0
    for _ in range(200):
        data, coding = _simulated(rng, 600, [0.2, 0.1, 0.05, 0.3], [0.2, 0.1, 0.05, 0.3])
        gaps = F.theme_gaps(data, coding, score="overall_sat", cut=5)
        found = F.theme_findings(
            gaps, score="overall_sat", cut=5, chapter="06", exhibit="theme_gaps"
        )
        assert len(found) == int(gaps["significant"].sum())
        claimed += bool(found)
        if not found:
            assert F.priorities(found).empty
            assert cx.tables.key_messages(found, lang="en").sentences == ()
    assert claimed <= 20


def test_demo_with_satisfaction_shuffled_makes_no_claim(demo):
    """The demo's comments with the satisfaction scores permuted across respondents (the link is cut)."""
    _, _, cur, coding = demo
    claims = 0
    for seed in range(4):
        shuffled = cur.assign(
            overall_sat=np.random.default_rng(seed).permutation(cur["overall_sat"].to_numpy())
        )
        gaps = F.theme_gaps(shuffled, coding, score="overall_sat", cut=5, weights="weight")
        claims += int(gaps["significant"].sum())
    assert claims <= 1


def test_demo_themes_the_truth_ties_to_low_ratings_are_claimed(demo):
    """In the demo truth, price / product-quality / responsiveness / competence comments are written when
    those items are rated low (and so by dissatisfied customers); courtesy comments are praise."""
    study, book, cur, coding = demo
    gaps = F.theme_gaps(
        cur, coding, score="overall_sat", cut=study.truth.dissatisfied_cut, weights="weight"
    )
    found = F.theme_findings(
        gaps,
        score="overall_sat",
        cut=study.truth.dissatisfied_cut,
        coding=coding,
        chapter="06_alerts_text",
        exhibit="theme_gaps",
        wave=int(cur["wave"].iloc[0]),
    )
    more = {f.subject for f in found if f.claim == "more_among_dissatisfied"}
    assert {"price", "product_quality"} <= more
    assert "courtesy" not in more
    for f in found:
        assert f.ci_lower <= f.estimate <= f.ci_upper and f.p_adj < 0.05
        assert f.size == pytest.approx(
            abs(F.cohen_h(f.details["share_low"], f.details["share_rest"]))
        )
        assert f.details["label"]["zh"] and f.details["label"]["en"]
    assert F.from_json(F.to_json(found)) == found
    # a base under the reporting minimum: nothing is claimed
    with pytest.warns(SmallBaseWarning, match="no theme is claimed"):
        small = F.theme_gaps(
            cur,
            coding,
            score="overall_sat",
            cut=5,
            weights="weight",
            min_base=10_000,
            anonymity_min=5,
        )
    assert small["small_base"].all() and not small["significant"].any()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_theme_findings_join_summary_and_priorities(demo, lang):
    study, book, cur, coding = demo
    gaps = F.theme_gaps(cur, coding, score="overall_sat", cut=5, weights="weight")
    found = F.theme_findings(
        gaps,
        score="overall_sat",
        cut=5,
        coding=coding,
        chapter="06_alerts_text",
        exhibit="theme_gaps",
    )
    msgs = cx.tables.key_messages(found, lang=lang, codebook=book)
    assert len(msgs.findings) == 1 and msgs.findings[0].claim == "more_among_dissatisfied"
    best = F.rank([f for f in found if f.claim == "more_among_dissatisfied"])[0]
    assert msgs.findings[0] == best
    assert 'href="#tbl-theme_gaps"' in msgs._repr_html_()
    for f in found:
        _check_numbers(cx.tables.say_finding(f, lang=lang, codebook=book), f, [])
    table = F.priorities(found, owners={"price": "Sales director", "comments": "CX team"})
    themes = table[table["action"] == "address_theme"]
    assert 1 <= len(themes) <= 2
    assert set(themes["subject"]) <= {
        f.subject for f in found if f.claim == "more_among_dissatisfied"
    }
    for r in themes.itertuples():
        assert r.owner == ("Sales director" if r.subject == "price" else "CX team")
        f = next(g for g in found if g.subject == r.subject)
        assert (r.estimate, r.ci_lower, r.ci_upper, r.unit) == (
            f.estimate,
            f.ci_lower,
            f.ci_upper,
            "share",
        )
    shown = cx.tables.priorities_table(table, lang=lang, codebook=book)
    assert len(shown.data) == len(table)
    label = best.details["label"][lang]
    assert any(label.lower() in w.lower() for w in shown.data["what"])
    exhibit = cx.tables.findings.theme_gap_table(gaps, lang=lang, codeframe=coding.codeframe)
    html = exhibit.to_html()
    assert 'id="tbl-theme_gaps"' in html
    assert html.count("cx-below") + html.count("cx-above") == int(gaps["significant"].sum())


def test_bad_input_is_named(demo):
    _, _, cur, coding = demo
    with pytest.raises(CXValueError, match="coding does not belong to data"):
        F.theme_gaps(cur.iloc[:10], coding, score="overall_sat", cut=5)
    with pytest.raises(CXValueError, match="'comment'.*must be numeric"):
        F.theme_gaps(cur, coding, score="comment", cut=5)
    with pytest.raises(CXValueError, match="score must name a column"):
        F.theme_gaps(cur, coding, score="nope", cut=5)
    with pytest.raises(CXValueError, match="cut must be a finite number"):
        F.theme_gaps(cur, coding, score="overall_sat", cut=float("nan"))
    with pytest.raises(CXValueError, match="group must be one of"):
        F.theme_findings(pd.DataFrame(), group="angry", chapter="06", exhibit="theme_gaps")
