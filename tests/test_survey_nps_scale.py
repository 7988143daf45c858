"""NPS only on a 0-10 item; top-/bottom-box on each item's own scale; store reads carry the codebook
scales in ``DataFrame.attrs`` (issue 12, deliverable 2, library side).

References: brute-force counts of the answers (promoters 9-10, detractors 0-6; top-two of 1-7 = 6-7,
of 1-5 = 4-5) on unweighted data, where the design-based estimates are plain shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxresearch as cx
from cxresearch.errors import CXValueError
from cxresearch.store import Store
from cxresearch.store._read import SCALES_ATTR as STORE_ATTR
from cxresearch.survey import _design

CODEBOOK = {
    "study": "nps-scale",
    "version": "1",
    "variables": [
        {"name": "respondent_id", "kind": "id", "role": "id"},
        {"name": "wave", "kind": "wave", "role": "wave"},
        {
            "name": "branch",
            "kind": "category",
            "role": "segment",
            "values": {1: {"en": "North"}, 2: {"en": "South"}},
        },
        {"name": "recommend", "kind": "nps", "role": "outcome"},
        {"name": "would_recommend", "kind": "likert", "min": 1, "max": 7, "role": "outcome"},
        {"name": "sat5", "kind": "likert", "min": 1, "max": 5, "role": "driver"},
    ],
}


def _survey(seed: int = 3, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "respondent_id": [f"R{i:04d}" for i in range(n)],
            "wave": np.repeat([2023, 2024], n // 2),
            "branch": rng.integers(1, 3, n),
            "recommend": rng.integers(0, 11, n),
            "would_recommend": rng.integers(1, 8, n),
            "sat5": rng.integers(1, 6, n),
        }
    )


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """(frame as written, frame read back from a store)."""
    tmp = tmp_path_factory.mktemp("npsscale")
    df = _survey()
    path = tmp / "wave.csv"
    df.to_csv(path, index=False)
    with Store(tmp / "s.duckdb") as st:
        st.import_files([path], client="acme", codebook=CODEBOOK)
        back = st.responses("acme")
    return df, back


def test_attr_key_is_shared():
    assert STORE_ATTR == _design.SCALES_ATTR == "cx_scales"


def test_store_read_carries_codebook_scales(stored):
    _, back = stored
    scales = back.attrs["cx_scales"]
    assert scales == {"recommend": (0.0, 10.0), "would_recommend": (1.0, 7.0), "sat5": (1.0, 5.0)}
    # survives what the report does with a read: copy, filter, select, assign, groupby parts
    assert back.copy().attrs["cx_scales"] == scales
    assert back[back["wave"] == 2024].reset_index(drop=True).attrs["cx_scales"] == scales
    assert back[["wave", "sat5"]].attrs["cx_scales"] == scales
    assert back.assign(x=1).attrs["cx_scales"] == scales
    assert all(p.attrs["cx_scales"] == scales for _, p in back.groupby("wave"))


def test_nps_refuses_a_1_to_7_item_from_a_store_read(stored):
    _, back = stored
    with pytest.raises(CXValueError) as exc:
        cx.survey.nps(back, score="would_recommend")
    msg = str(exc.value)
    assert "'would_recommend'" in msg and "1-7" in msg and "0-10" in msg
    assert "loyalty" in msg and "top-box" in msg and "6-7" in msg


@pytest.mark.parametrize("call", ["trend", "difference"])
def test_trend_and_difference_refuse_nps_on_1_to_7(stored, call):
    _, back = stored
    fn = getattr(cx.survey, call)
    kw = {"wave": "wave"} if call == "trend" else {"by": "wave"}
    with pytest.raises(CXValueError, match=r"'would_recommend' has scale 1-7"):
        fn(back, score="would_recommend", statistic="nps", **kw)


def test_nps_refuses_a_1_to_7_item_by_codebook(stored):
    df, _ = stored
    with pytest.raises(CXValueError, match=r"scale 1-7 \(its codebook\)"):
        cx.survey.nps(df, score="would_recommend", codebook=CODEBOOK)
    with pytest.raises(CXValueError, match="scale 1-7"):
        cx.survey.difference(
            df,
            score="would_recommend",
            by="branch",
            statistic="nps",
            codebook=cx.codebook.load(CODEBOOK),
        )


def test_nps_refuses_values_outside_0_10_and_fractions():
    df = pd.DataFrame({"r": [10, 9, 3, 12, np.nan] * 10})
    with pytest.raises(CXValueError, match=r"'r' has value 12 .*observed range 3-12"):
        cx.survey.nps(df, score="r")
    df = pd.DataFrame({"r": [10, 9, 3, 7.5] * 10})
    with pytest.raises(CXValueError, match="whole-number"):
        cx.survey.nps(df, score="r")
    with pytest.raises(CXValueError, match="has value 12"):
        cx.survey.trend(
            pd.DataFrame({"r": [12, 3] * 20, "wave": [1] * 20 + [2] * 20}),
            score="r",
            statistic="nps",
        )


def test_nps_on_a_0_10_store_item_matches_brute_force(stored):
    df, back = stored
    got = cx.survey.nps(back, score="recommend", by="wave").set_index("wave")
    for w, part in df.groupby("wave"):
        y = part["recommend"]
        want = 100 * ((y >= 9).mean() - (y <= 6).mean())
        assert got.loc[w, "estimate"] == pytest.approx(want, abs=1e-9)
        assert got.loc[w, "promoters"] == pytest.approx((y >= 9).mean(), abs=1e-12)
    tr = cx.survey.trend(back, score="recommend", statistic="nps").set_index("wave")
    assert tr.loc[2024, "estimate"] == pytest.approx(got.loc[2024, "estimate"], abs=1e-9)


def test_top_and_bottom_box_follow_each_items_own_scale(stored):
    df, back = stored
    # no scale= and no codebook=: each item's scale comes from the store read
    top = cx.survey.top_box(back, score=["would_recommend", "sat5"], k=2).set_index("score")
    assert top.loc["would_recommend", "threshold"] == 6
    assert top.loc["sat5", "threshold"] == 4
    assert top.loc["would_recommend", "estimate"] == pytest.approx(
        (df["would_recommend"] >= 6).mean(), abs=1e-12
    )
    assert top.loc["sat5", "estimate"] == pytest.approx((df["sat5"] >= 4).mean(), abs=1e-12)
    bottom = cx.survey.bottom_box(back, score=["would_recommend", "sat5"], k=2).set_index("score")
    assert bottom.loc["would_recommend", "estimate"] == pytest.approx(
        (df["would_recommend"] <= 2).mean(), abs=1e-12
    )
    assert bottom.loc["sat5", "threshold"] == 2
    # the same through a codebook, and through the wave comparison
    via_cb = cx.survey.top_box(df, score=["would_recommend", "sat5"], codebook=CODEBOOK)
    assert via_cb["estimate"].tolist() == pytest.approx(top["estimate"].tolist(), abs=1e-12)
    tr = cx.survey.trend(back, score="would_recommend", statistic="top_box").set_index("wave")
    for w, part in df.groupby("wave"):
        assert tr.loc[w, "estimate"] == pytest.approx(
            (part["would_recommend"] >= 6).mean(), abs=1e-12
        )


def test_a_plain_frame_still_needs_a_scale_for_top_box():
    df = _survey()
    with pytest.raises(CXValueError, match="needs the scale of 'sat5'"):
        cx.survey.top_box(df, score="sat5")


def test_employee_linkage_refuses_nps_on_a_1_to_7_item():
    from test_employee import _link_data

    e, r = _link_data()
    r = r.assign(recommend=np.clip(np.rint(r["overall_sat"] * 0.6 + 1), 1, 7))
    r.attrs["cx_scales"] = {"recommend": (1.0, 7.0)}
    with pytest.raises(CXValueError, match=r"'recommend' has scale 1-7"):
        cx.employee.linkage(e, r, method="ols")
    # the 0-10 item of the same frame still links
    assert len(cx.employee.linkage(e, _link_data()[1], method="ols").points)


def test_nps_refuses_a_1_to_10_item_even_though_its_values_fit_0_10():
    df = pd.DataFrame({"rec10": np.tile(np.arange(1, 11), 10)})
    book = {"variables": [{"name": "rec10", "kind": "rating", "min": 1, "max": 10}]}
    with pytest.raises(CXValueError, match=r"'rec10' has scale 1-10.*counts answers 9-10"):
        cx.survey.nps(df, score="rec10", codebook=book)
    df.attrs["cx_scales"] = {"rec10": (1.0, 10.0)}
    with pytest.raises(CXValueError, match=r"scale 1-10 \(the codebook of the store read\)"):
        cx.survey.nps(df, score="rec10")
    # an explicit 0-10 codebook entry wins over the frame's attrs
    ok = cx.survey.nps(
        df, score="rec10", codebook={"variables": [{"name": "rec10", "kind": "nps"}]}
    )
    assert ok["estimate"].iloc[0] == pytest.approx(100 * (0.2 - 0.6))
