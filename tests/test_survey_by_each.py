"""cx.survey.by_each: each segment variable on its own, stacked (a banner's `a + b`), not crossed.

Found on a real survey (statsmodels `fair`, four segment variables): the report's "satisfaction by
segment" table crossed all four (1,213 cells, 445 flagged small, 13 pages). The stacked rows are
checked against a brute-force weighted mean per group and against the estimator run per variable."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cxresearch as cx
from cxresearch.errors import CXValueError


@pytest.fixture(scope="module")
def fair():
    d = sm.datasets.fair.load_pandas().data.copy()
    for c in ("rate_marriage", "religious", "educ", "occupation", "occupation_husb"):
        d[c] = d[c].astype(int)
    d["w"] = 0.5 + (np.arange(len(d)) % 7) / 7.0  # unequal weights, deterministic
    return d


BY = ["religious", "educ", "occupation", "occupation_husb"]


def test_each_variable_on_its_own_equals_a_brute_force_weighted_mean(fair):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = cx.survey.by_each(fair, score="rate_marriage", by=BY, weights="w")
    assert list(t["segment"].unique()) == BY
    assert len(t) == sum(
        fair[b].nunique() for b in BY
    )  # stacked: 4 + 6 + 6 + 6 rows, not 4 x 6 x 6 x 6
    for b in BY:
        part = t[t["segment"] == b].set_index("segment_value")
        brute = fair.groupby(b).apply(
            lambda g: np.average(g["rate_marriage"], weights=g["w"]), include_groups=False
        )
        counts = fair[b].value_counts()
        for level, est in brute.items():
            assert part.loc[level, "estimate"] == pytest.approx(est, rel=1e-12)
            assert part.loc[level, "n"] == counts[level]
        alone = cx.survey.mean(fair, score="rate_marriage", by=b, weights="w")
        np.testing.assert_allclose(part["se"].to_numpy(), alone["se"].to_numpy(), rtol=1e-12)


def test_other_statistics_and_the_design_keyword(fair):
    design = cx.survey.Design(weights="w")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tb = cx.survey.by_each(
            fair,
            score="rate_marriage",
            by=["religious", "educ"],
            statistic="top_box",
            k=2,
            scale=(1, 5),
            design=design,
        )
    part = tb[tb["segment"] == "religious"].set_index("segment_value")
    for level, g in fair.groupby("religious"):
        share = np.average(g["rate_marriage"] >= 4, weights=g["w"])
        assert part.loc[level, "estimate"] == pytest.approx(share, rel=1e-12)


def test_the_report_table_counts_each_respondent_once(fair):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = cx.survey.by_each(fair, score="rate_marriage", by=BY, weights="w")
    tab = cx.tables.estimates(t, title="Rating of marriage", name="by_segment", lang="en")
    assert tab.title == "Rating of marriage by segment"
    assert tab.base == "Base: n = 6,366"
    assert list(tab.data["segment"].unique()) == BY
    zh = cx.tables.estimates(t, title="婚姻评分", name="by_segment", lang="zh")
    assert zh.title == "婚姻评分（按细分群体）"


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"by": []}, "at least one segment variable"),
        ({"by": ["educ", "educ"]}, "twice"),
        ({"by": ["educ"], "statistic": "median"}, "statistic must be one of"),
        ({"by": ["nope"]}, "nope"),
    ],
)
def test_bad_arguments_name_what_is_wrong(fair, kwargs, match):
    with pytest.raises(CXValueError, match=match):
        cx.survey.by_each(fair, score="rate_marriage", **kwargs)


def test_the_callers_frame_is_not_modified(fair):
    before = fair.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cx.survey.by_each(fair, score="rate_marriage", by=BY)
    pd.testing.assert_frame_equal(fair, before)
