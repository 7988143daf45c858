"""Tests of cxresearch.employee: engagement index, anonymity suppression, difference-in-differences
(against hand 2x2 means and a numpy cluster sandwich), linkage (against scipy and numpy), demo study."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxresearch import employee
from cxresearch.errors import CXValueError

ITEMS = [f"q{i:02d}" for i in range(1, 13)]


def make_employees(levels: dict, *, seed=0, sizes=None, noise=0.6):
    """levels: {(unit, wave): latent mean}; sizes: {(unit, wave): n} (default 20)."""
    rng = np.random.default_rng(seed)
    frames = []
    for (u, w), lvl in levels.items():
        n = (sizes or {}).get((u, w), 20)
        person = rng.normal(0, 0.4, n)
        lat = lvl + person[:, None] + rng.normal(0, noise, (n, 12))
        f = pd.DataFrame(np.clip(np.rint(lat), 1, 5).astype(int), columns=ITEMS)
        f.insert(0, "wave", w)
        f.insert(0, "unit", u)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def emp():
    levels = {(u, w): 3.0 + 0.2 * u for u in (1, 2, 3) for w in (2020, 2021)}
    sizes = {(3, 2021): 4}  # below the anonymity minimum
    return make_employees(levels, sizes=sizes)


def test_engagement_index_against_hand_and_scipy(emp):
    before = emp.copy()
    res = employee.engagement_index(emp)
    pd.testing.assert_frame_equal(before, emp)
    person = emp[ITEMS].mean(axis=1)
    cell = person[(emp.unit == 2) & (emp.wave == 2021)]
    row = res.frame[(res.frame.unit == 2) & (res.frame.wave == 2021)].iloc[0]
    assert row["n"] == len(cell)
    assert row["estimate"] == pytest.approx(cell.mean())
    assert row["se"] == pytest.approx(stats.sem(cell))
    lo, hi = stats.t.interval(0.95, len(cell) - 1, loc=cell.mean(), scale=stats.sem(cell))
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((lo, hi))
    assert list(res.frame.columns) == [
        "unit",
        "wave",
        "n",
        "estimate",
        "sd",
        "se",
        "ci_lower",
        "ci_upper",
    ]


def test_small_cells_suppressed(emp):
    res = employee.engagement_index(emp)
    cells = set(zip(res.frame.unit, res.frame.wave, strict=True))
    assert (3, 2021) not in cells and (3, 2020) in cells
    assert res.n_suppressed == 1
    assert (res.frame["n"] >= 5).all()
    # a stricter minimum suppresses everything: empty frame, no crash
    res = employee.engagement_index(emp, min_n=1000)
    assert res.frame.empty and res.n_suppressed == 6


def test_percent_index_and_min_items(emp):
    e = emp.copy()
    e.loc[0, ITEMS[:5]] = np.nan  # 7 of 12 answered: below the default 8
    res = employee.engagement_index(e, index="percent")
    row = res.frame[(res.frame.unit == 1) & (res.frame.wave == 2020)].iloc[0]
    cell = e[(e.unit == 1) & (e.wave == 2020)].iloc[1:]
    assert row["n"] == len(cell)
    assert row["estimate"] == pytest.approx(((cell[ITEMS].mean(axis=1) - 1) / 4 * 100).mean())
    res = employee.engagement_index(e, min_items=7)
    row = res.frame[(res.frame.unit == 1) & (res.frame.wave == 2020)].iloc[0]
    assert row["n"] == len(cell) + 1


def test_cronbach_alpha_against_pingouin(emp):
    import pingouin as pg

    a, _ = pg.cronbach_alpha(emp[ITEMS])
    assert employee.cronbach_alpha(emp[ITEMS]) == pytest.approx(a, abs=1e-12)
    res = employee.engagement_index(emp)
    shown = emp[~((emp.unit == 3) & (emp.wave == 2021))]
    assert res.cronbach_alpha == pytest.approx(pg.cronbach_alpha(shown[ITEMS])[0], abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "change", "match"),
    [
        ({}, lambda e: e.assign(q03=e.q03.astype(str)), "'q03' must be numeric"),
        (
            {},
            lambda e: e.assign(q04=e.q04.where(e.index != 3, 99)),
            "'q04' has value 99 \\(row 3\\)",
        ),
        ({}, lambda e: e.drop(columns="unit"), "unit column 'unit'"),
        ({}, lambda e: e.rename(columns={c: c.upper() for c in ITEMS}), "no q01"),
        ({"min_n": 0}, lambda e: e, "min_n must be an integer >= 1"),
        ({"index": "pct"}, lambda e: e, "index must be one of"),
        ({"min_items": 13}, lambda e: e, "at most the number of items"),
        ({"scale": (5, 1)}, lambda e: e, "scale must be"),
        ({"items": ["q01", "zz"]}, lambda e: e, "'zz' is not a column"),
    ],
)
def test_engagement_bad_input(emp, kwargs, change, match):
    with pytest.raises(CXValueError, match=match):
        employee.engagement_index(change(emp), **kwargs)


# ---------------------------------------------------------------- difference-in-differences


def test_did_balanced_two_by_two_equals_difference_of_means():
    levels = {
        (u, w): 3.0 + (0.5 if (u == 1 and w == 2021) else 0.0) for u in (1, 2) for w in (2020, 2021)
    }
    e = make_employees(levels, seed=4)
    with pytest.warns(employee.FewUnitsWarning):
        res = employee.programme_did(e, programme_units=[1], start=2021, cov_type="HC1")
    m = e[ITEMS].mean(axis=1).groupby([e.unit, e.wave]).mean()
    hand = (m[(1, 2021)] - m[(1, 2020)]) - (m[(2, 2021)] - m[(2, 2020)])
    assert res.frame.loc[0, "estimate"] == pytest.approx(hand, abs=1e-10)
    means = res.means.set_index(["group", "period"])["estimate"]
    assert means[("programme", "post")] - means[("programme", "pre")] - (
        means[("comparison", "post")] - means[("comparison", "pre")]
    ) == pytest.approx(hand, abs=1e-10)


def _cluster_sandwich(X, y, g):
    """CR1 cluster-robust covariance by hand (numpy)."""
    n, k = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    u = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((k, k))
    groups = np.unique(g)
    for c in groups:
        s = X[g == c].T @ u[g == c]
        meat += np.outer(s, s)
    G = len(groups)
    corr = G / (G - 1) * (n - 1) / (n - k)
    return beta, corr * bread @ meat @ bread


def test_did_cluster_se_against_numpy_sandwich():
    rng = np.random.default_rng(8)
    units = range(1, 13)
    waves = (2019, 2020, 2021, 2022)
    prog = {2, 5, 7, 11}
    shock = {(u, w): rng.normal(0, 0.15) for u in units for w in waves}
    levels = {
        (u, w): 3.2 + 0.1 * u / 12 + shock[(u, w)] + (0.4 if u in prog and w >= 2021 else 0)
        for u in units
        for w in waves
    }
    e = make_employees(
        levels, seed=9, sizes={(u, w): 8 + (u * 3 + w) % 13 for u in units for w in waves}
    )
    res = employee.programme_did(e, programme_units=sorted(prog), start=2021)
    y = e[ITEMS].mean(axis=1).to_numpy()
    U = pd.get_dummies(e.unit, drop_first=True, dtype=float).to_numpy()
    W = pd.get_dummies(e.wave, drop_first=True, dtype=float).to_numpy()
    did = (e.unit.isin(prog) & (e.wave >= 2021)).to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(e)), U, W, did])
    beta, V = _cluster_sandwich(X, y, e.unit.to_numpy())
    f = res.frame.iloc[0]
    assert f["estimate"] == pytest.approx(beta[-1], abs=1e-10)
    assert f["se"] == pytest.approx(np.sqrt(V[-1, -1]), rel=1e-8)
    t = stats.t.ppf(0.975, 11)  # G - 1 degrees of freedom
    assert (f["ci_lower"], f["ci_upper"]) == pytest.approx(
        (beta[-1] - t * f["se"], beta[-1] + t * f["se"])
    )
    assert f["df"] == 11 and f["n_units"] == 12 and f["n_programme_units"] == 4
    assert f["ci_lower"] < 0.4 < f["ci_upper"]
    assert res.caveat["en"] == ""
    # placebo pre-trend on the pre waves (2019, 2020): programme x wave position, by hand
    pre = (e.wave < 2021).to_numpy()
    ep = e[pre]
    Up = pd.get_dummies(ep.unit, drop_first=True, dtype=float).to_numpy()
    Wp = pd.get_dummies(ep.wave, drop_first=True, dtype=float).to_numpy()
    trend = ep.unit.isin(prog).to_numpy() * (ep.wave - 2019).to_numpy(dtype=float)
    Xp = np.column_stack([np.ones(len(ep)), Up, Wp, trend])
    bp, Vp = _cluster_sandwich(Xp, y[pre], ep.unit.to_numpy())
    p = res.frame.set_index("term").loc["programme x pre-trend"]
    assert p["estimate"] == pytest.approx(bp[-1], abs=1e-10)
    assert p["se"] == pytest.approx(np.sqrt(Vp[-1, -1]), rel=1e-8)
    assert p["n"] == pre.sum()


def test_everything_suppressed_is_an_error_not_a_crash(emp):
    r = pd.DataFrame(
        {"branch": [1, 2], "wave": [2020, 2020], "overall_sat": [7, 8], "recommend": [9, 3]}
    )
    with pytest.raises(CXValueError, match="after anonymity suppression"):
        employee.linkage(emp, r, min_n=100)
    with pytest.raises(CXValueError, match="anonymity minimum"):
        employee.programme_did(emp, programme_units=[1], start=2021, min_n=100)


def test_did_randomization_inference_against_brute_force():
    from itertools import combinations

    rng = np.random.default_rng(21)
    units, waves, prog = range(1, 8), (2019, 2020, 2021), {1, 4}
    levels = {
        (u, w): 3.2 + rng.normal(0, 0.1) + (0.15 if u in prog and w == 2021 else 0)
        for u in units
        for w in waves
    }
    e = make_employees(
        levels, seed=22, sizes={(u, w): 6 + (u + w) % 5 for u in units for w in waves}
    )
    with pytest.warns(employee.FewUnitsWarning):
        res = employee.programme_did(e, programme_units=sorted(prog), start=2021)
    f = res.frame.iloc[0]
    y = e[ITEMS].mean(axis=1).to_numpy()
    U = pd.get_dummies(e.unit, drop_first=True, dtype=float).to_numpy()
    W = pd.get_dummies(e.wave, drop_first=True, dtype=float).to_numpy()
    post = (e.wave >= 2021).to_numpy()
    ests = []
    for c in combinations(units, 2):  # every assignment of the programme to 2 of the 7 units
        d = (e.unit.isin(c).to_numpy() & post).astype(float)
        X = np.column_stack([np.ones(len(e)), U, W, d])
        ests.append(np.linalg.lstsq(X, y, rcond=None)[0][-1])
    ests = np.array(ests)
    assert f["n_assignments"] == 21
    assert f["p_randomization"] == pytest.approx(
        np.mean(np.abs(ests) >= abs(f["estimate"]) - 1e-12)
    )
    # sampled assignments when there are more than n_perm; seeded
    with pytest.warns(employee.FewUnitsWarning):
        a = employee.programme_did(
            e, programme_units=sorted(prog), start=2021, n_perm=10, seed=1
        ).frame.iloc[0]
    with pytest.warns(employee.FewUnitsWarning):
        b = employee.programme_did(
            e, programme_units=sorted(prog), start=2021, n_perm=10, seed=1
        ).frame.iloc[0]
    assert a["n_assignments"] == 10 and a["p_randomization"] == b["p_randomization"]
    assert 1 / 11 <= a["p_randomization"] <= 1


def test_did_bad_input(emp):
    with pytest.raises(CXValueError, match="unit 9 is not in"):
        employee.programme_did(emp, programme_units=[9], start=2021)
    with pytest.raises(CXValueError, match="no comparison unit"):
        employee.programme_did(emp, programme_units=[1, 2, 3], start=2021)
    with pytest.raises(CXValueError, match="start must leave waves"):
        employee.programme_did(emp, programme_units=[1], start=2030)
    with pytest.raises(CXValueError, match="cov_type"):
        employee.programme_did(emp, programme_units=[1], start=2021, cov_type="HC3x")
    # programme unit 3 has its post cell suppressed: clear error, not a crash
    with pytest.raises(CXValueError, match="programme units have no shown cell from"):
        employee.programme_did(emp, programme_units=[3], start=2021)


# ---------------------------------------------------------------- linkage


def _link_data(n_units=30, slope=0.8, seed=3):
    rng = np.random.default_rng(seed)
    waves = (2020, 2021, 2022)
    eng = {(u, w): 3.3 + rng.normal(0, 0.3) for u in range(1, n_units + 1) for w in waves}
    e = make_employees(eng, seed=seed, sizes={k: 12 for k in eng})
    shown = employee.engagement_index(e).frame.set_index(["unit", "wave"])["estimate"]
    rows = []
    for (u, w), lvl in shown.items():
        n = 40
        sat = 6 + slope * (lvl - 3.3) + rng.normal(0, 0.2) + rng.normal(0, 1.5, n)
        rows.append(
            pd.DataFrame(
                {
                    "branch": u,
                    "wave": w,
                    "overall_sat": sat,
                    "recommend": np.clip(np.rint(sat + 1), 0, 10),
                    "weight": rng.uniform(0.5, 1.5, n),
                }
            )
        )
    return e, pd.concat(rows, ignore_index=True)


def test_linkage_against_scipy_and_numpy():
    e, r = _link_data()
    res = employee.linkage(e, r, method="ols")
    pts = res.points
    assert list(pts.columns) == [
        "unit",
        "wave",
        "n_employees",
        "engagement",
        "n_customers",
        "overall_sat",
        "nps",
    ]
    # NPS by hand for one cell
    cell = r[(r.branch == 4) & (r.wave == 2021)]
    nps = 100 * ((cell.recommend >= 9).mean() - (cell.recommend <= 6).mean())
    p = pts[(pts.unit == 4) & (pts.wave == 2021)].iloc[0]
    assert p["nps"] == pytest.approx(nps) and p["overall_sat"] == pytest.approx(
        cell.overall_sat.mean()
    )
    assert p["n_customers"] == len(cell)
    # Pearson r and Fisher interval from scipy
    c = res.correlations.set_index(["outcome", "level"])
    ref = stats.pearsonr(pts.engagement, pts.overall_sat)
    ci = ref.confidence_interval(0.95)
    assert c.loc[("overall_sat", "unit_wave"), "estimate"] == pytest.approx(ref.statistic)
    assert c.loc[("overall_sat", "unit_wave"), "ci_lower"] == pytest.approx(ci.low)
    assert c.loc[("overall_sat", "unit_wave"), "ci_upper"] == pytest.approx(ci.high)
    um = pts.groupby("unit")[["engagement", "nps"]].mean()
    assert c.loc[("nps", "unit"), "estimate"] == pytest.approx(
        stats.pearsonr(um.engagement, um.nps).statistic
    )
    # OLS slope with wave effects equals numpy least squares; clustered SE from the sandwich
    W = pd.get_dummies(pts.wave, drop_first=True, dtype=float).to_numpy()
    X = np.column_stack([np.ones(len(pts)), pts.engagement, W])
    beta, V = _cluster_sandwich(X, pts.overall_sat.to_numpy(), pts.unit.to_numpy())
    models = res.models.set_index(["outcome", "term"])
    m = models.loc[("overall_sat", "engagement")]
    assert m["estimate"] == pytest.approx(beta[1]) and m["se"] == pytest.approx(np.sqrt(V[1, 1]))
    # within/between split (Mundlak): unit mean and deviation from it, same clustered sandwich
    mean = pts.groupby("unit")["engagement"].transform("mean").to_numpy()
    X2 = np.column_stack([np.ones(len(pts)), pts.engagement - mean, mean, W])
    beta2, V2 = _cluster_sandwich(X2, pts.overall_sat.to_numpy(), pts.unit.to_numpy())
    for j, term in ((1, "engagement_within"), (2, "engagement_between")):
        assert models.loc[("overall_sat", term), "estimate"] == pytest.approx(beta2[j])
        assert models.loc[("overall_sat", term), "se"] == pytest.approx(np.sqrt(V2[j, j]))
    assert "correlational" in res.caveat["en"] and "Only" not in res.caveat["en"]


def test_linkage_mixed_model_recovers_known_slope():
    e, r = _link_data(n_units=40, slope=1.0, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", employee.ModelFitWarning)
        res = employee.linkage(e, r, outcomes=["overall_sat"], nps=None)
    m = res.models.iloc[0]
    assert m["term"] == "engagement" and m["model"] == "mixed" and m["n_units"] == 40
    assert m["ci_lower"] < 1.0 < m["ci_upper"]
    assert m["ci_lower"] > 0


def test_linkage_weights():
    e, r = _link_data(n_units=12)
    res = employee.linkage(e, r, weights="weight", method="ols", outcomes=["overall_sat"], nps=None)
    cell = r[(r.branch == 2) & (r.wave == 2020)]
    p = res.points[(res.points.unit == 2) & (res.points.wave == 2020)].iloc[0]
    assert p["overall_sat"] == pytest.approx(np.average(cell.overall_sat, weights=cell.weight))


def test_linkage_few_units_caveat_and_suppression(emp):
    rng = np.random.default_rng(1)
    r = pd.DataFrame(
        {
            "branch": rng.integers(1, 4, 300),
            "wave": rng.choice([2020, 2021], 300),
            "overall_sat": rng.integers(0, 11, 300),
            "recommend": rng.integers(0, 11, 300),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", employee.ModelFitWarning
        )  # 3 units, noise: may not converge
        with pytest.warns(employee.FewUnitsWarning):
            res = employee.linkage(emp, r)
    assert "Only 3 units" in res.caveat["en"] and "仅有3个单位" in res.caveat["zh"]
    assert (3, 2021) not in set(zip(res.points.unit, res.points.wave, strict=True))
    assert res.n_suppressed == 1


def test_linkage_bad_input(emp):
    r = pd.DataFrame({"branch": [1], "wave": [2020], "overall_sat": [7], "recommend": [9]})
    with pytest.raises(CXValueError, match="'segment' is not a column of responses"):
        employee.linkage(emp, r, outcomes=["segment"], nps=None)
    with pytest.raises(CXValueError, match="method must be one of"):
        employee.linkage(emp, r, method="gee")
    with pytest.raises(CXValueError, match="no unit × wave is shared"):
        employee.linkage(emp, r.assign(branch=99))
    with pytest.raises(CXValueError, match="must be numeric"):
        employee.linkage(emp, r.assign(overall_sat="x"))


# ---------------------------------------------------------------- demo study


@pytest.fixture(scope="module")
def demo():
    synth = pytest.importorskip("cxresearch.synth")
    return synth.generate(seed=2, n_customers=1500)


def test_demo_did_interval_covers_true_programme_effect(demo):
    t = demo.truth
    with pytest.warns(employee.FewUnitsWarning):
        res = employee.programme_did(
            demo.employees, programme_units=t.programme_units, start=demo.programme_start
        )
    f = res.frame.iloc[0]
    assert f["term"] == "programme x post"
    assert f["ci_lower"] < t.programme_effect < f["ci_upper"]
    assert f["n_assignments"] == 56 and f["p_randomization"] < 0.1  # C(8, 3) assignments
    # the generator has parallel trends before the start: the placebo interval covers 0
    pre = res.frame.set_index("term").loc["programme x pre-trend"]
    assert pre["ci_lower"] < 0 < pre["ci_upper"]
    assert f["n_programme_units"] == len(t.programme_units)
    assert res.caveat["en"].startswith("Only")


def test_demo_small_units_never_shown(demo):
    e = demo.employees
    size = e.groupby(["unit", "wave"]).size()
    small = set(size[size < 5].index)
    assert small, "the demo study should have a unit under the anonymity minimum"
    idx = employee.engagement_index(e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        link = employee.linkage(e, demo.responses)
        did = employee.programme_did(
            e, programme_units=demo.truth.programme_units, start=demo.programme_start
        )
    for frame in (idx.frame, link.points):
        assert not set(zip(frame.unit, frame.wave, strict=True)) & small
    assert idx.n_suppressed == len(small) == link.n_suppressed == did.n_suppressed
    # suppressed cells do not enter the models: DiD n equals the shown cells' respondents
    assert did.frame.loc[0, "n"] == idx.frame["n"].sum()
    assert (
        link.points["n_employees"].sum()
        == idx.frame.set_index(["unit", "wave"])
        .loc[list(zip(link.points.unit, link.points.wave, strict=True)), "n"]
        .sum()
    )


def test_demo_linkage_positive(demo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = employee.linkage(demo.employees, demo.responses, weights="weight")
    c = res.correlations.set_index(["outcome", "level"])
    assert c.loc[("overall_sat", "unit_wave"), "estimate"] > 0
    m = res.models.set_index(["outcome", "term"])
    assert m.loc[("overall_sat", "engagement"), "estimate"] > 0
