"""The study plan (cxresearch.report.plan): variables resolved and checked, chapters and sections decided.

No notebook runs here; the rendered shapes are in test_shapes.py (slow).
"""

from __future__ import annotations

import json

import pytest

from cxresearch import codebook, synth
from cxresearch.report import ParamsError, load_params
from cxresearch.report.plan import (
    CHAPTERS,
    check_variables,
    keep_cell,
    make_plan,
    resolve_variables,
)
from cxresearch.store import Store

pytestmark = pytest.mark.report


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    demo = synth.generate(seed=4, n_customers=250, n_waves=4, first_wave=2022)
    paths = synth.write(demo, folder / "files")
    book = codebook.load(paths["codebook"])
    surveys = [p for k, p in paths.items() if k.startswith("survey_")]
    with Store(folder / "s.duckdb") as st:
        st.import_files(
            [*surveys, paths["customers"], paths["employees"]], client="full", codebook=book
        )
        st.import_files([paths["survey_2025"]], client="one", codebook=book)
    return folder / "s.duckdb", book


def _params(store, client="full", **over):
    base = {
        "client": client,
        "client_name": {"zh": "客户", "en": "Client"},
        "period": "2025",
        "data": {"store": str(store)},
    }
    return load_params({**base, **over})


def test_variables_come_from_the_codebook_unless_the_params_set_them(store):
    path, book = store
    sv = resolve_variables(_params(path), book)
    assert (sv.outcome, sv.nps, sv.loyalty) == ("overall_sat", "recommend", "repurchase")
    assert sv.by == ("branch", "segment") and sv.weight is None
    assert sv.drivers[:2] == ("product_quality", "price_value") and len(sv.drivers) == 10
    assert sv.processes == ("proc_sales", "proc_service", "proc_parts", "proc_financing")
    assert sv.process == "proc_service"
    assert sv.sources["nps"] == "codebook"
    off = resolve_variables(_params(path, variables={"nps": None, "loyalty": None, "by": []}), book)
    assert off.nps is None and off.loyalty is None and off.by == ()
    assert off.sources["nps"] == "params"


def test_drivers_default_to_every_rating_item_without_a_driver_role(store):
    _, book = store
    raw = book.model_dump(mode="json", exclude_none=True)
    for v in raw["variables"]:
        if v.get("role") == "driver":
            v.pop("role")
            v.pop("dimension", None)
    plain = codebook.load(raw)
    sv = resolve_variables(_params(store[0]), plain)
    # every likert/rating item but the outcomes (overall_sat, recommend (nps), repurchase)
    assert (
        len(sv.drivers) == 14 and "overall_sat" not in sv.drivers and "repurchase" not in sv.drivers
    )
    assert sv.processes == ()


def test_nps_fits_a_zero_to_ten_rating_and_nothing_else(store):
    path, book = store
    assert (
        check_variables(_params(path, variables={"nps": "overall_sat"}), book).nps == "overall_sat"
    )
    with pytest.raises(ParamsError) as info:
        check_variables(
            _params(
                path,
                variables={
                    "nps": "svc_courtesy",
                    "by": ["weight"],
                    "weight": "branch",
                    "loyalty": "comment",
                },
            ),
            book,
        )
    msg = str(info.value)
    assert "4 variables do not fit their use" in msg
    assert (
        "variables.nps: 'svc_courtesy' is likert on 1–5; NPS needs a 0–10 recommend item (kind nps); it may "
        "serve as variables.loyalty or as a top-box measure (0–10 items in the codebook: overall_sat, "
        "recommend, repurchase)"
    ) in msg
    assert (
        "variables.by[0]: 'weight' is weight; segments must be category (or binary) variables (e.g. branch, segment)"
        in msg
    )
    assert (
        "variables.weight: 'branch' is category; a weight must be kind weight (or numeric)" in msg
    )
    assert (
        "variables.loyalty: 'comment' is text; a mean or top-box needs a likert, rating or numeric item"
        in msg
    )


def test_plan_of_a_full_study_runs_everything_it_has(store):
    path, book = store
    plan = make_plan(
        _params(path, programme={"units": [2, 5], "start": 2024}, analysis={"max_lag": 2}),
        book=book,
    )
    assert plan.notebooks == list(CHAPTERS)
    assert [x for x in plan.left_out() if x[0] != "06_alerts_text"] == []
    assert plan.runs("02_kpis", "trend") and plan.runs("07_employee", "programme")
    text = plan.to_text()
    assert "Study plan: full 2025" in text and "[run ] 04_persistence" in text
    json.dumps(plan.to_dict())  # JSON-safe for the manifest
    with pytest.raises(ParamsError, match="chapter 02_kpis has no section 'npx'"):
        plan.runs("02_kpis", "npx")


def test_plan_of_one_wave_without_crm(store):
    path, book = store
    plan = make_plan(_params(path, client="one", variables={"nps": None}), book=book)
    assert plan.notebooks == [
        "00_summary",
        "01_data_quality",
        "02_kpis",
        "03_drivers",
        "06_alerts_text",
        "09_appendix",
    ]
    assert plan.reason("02_kpis", "nps") == "no 0–10 recommend item: no NPS"
    assert plan.reason("02_kpis", "nps", lang="zh").startswith("没有 0–10 分的推荐意愿题")
    assert plan.reason("02_kpis", "trend") == "one wave (2025): no trends or wave-on-wave tests"
    assert plan.reason("05_loyalty").startswith("no customers (CRM) data for client 'one'")
    assert plan.runs("02_kpis", "segments") and plan.runs("03_drivers", "ipa")
    scope = str(plan.say_scope(lang="en"))
    assert scope.startswith("**Scope of this report**: it rests on one survey wave (2025)")
    assert "no 0–10 recommend item: no NPS" in scope and "client 'one'" not in scope
    assert scope.count("one wave (2025): no trends") == 1  # one reason, said once
    assert "以下内容因数据所限未纳入本报告" in str(plan.say_scope(lang="zh"))
    listed = _params(path, client="one", notebooks=["02_kpis", "04_persistence"])
    with pytest.raises(
        ParamsError,
        match=r"notebooks: 04_persistence cannot run: no customers \(CRM\) data "
        r"for client 'one'",
    ):
        make_plan(listed, book=book)
    assert make_plan(listed, book=book, strict=False).notebooks == ["02_kpis"]


def test_cells_follow_their_needs_tags(store):
    path, book = store
    plan = make_plan(_params(path, client="one", variables={"nps": None}), book=book)
    assert keep_cell(plan, "02_kpis", ["lang-en"])
    assert keep_cell(plan, "02_kpis", ["needs-satisfaction"])
    assert not keep_cell(plan, "02_kpis", ["lang-zh", "needs-nps"])
    assert not keep_cell(
        plan, "02_kpis", ["needs-satisfaction", "needs-trend"]
    )  # all tags must run
    assert keep_cell(plan, "09_appendix", ["needs-03_drivers.drivers"])
    assert not keep_cell(plan, "09_appendix", ["needs-04_persistence"])  # another chapter, left out
    assert not keep_cell(plan, "09_appendix", ["needs-02_kpis.wave_tests"])
    assert keep_cell(plan, "08_custom", ["needs-anything"])  # a chapter the plan does not know runs
