"""Tests of the codebook model and loader (cxresearch.codebook)."""

from __future__ import annotations

import copy

import pydantic
import pytest
import yaml

from cxresearch import codebook as cbm
from cxresearch.codebook import Codebook, CodebookError, load
from cxresearch.errors import CXValueError

BASE = {
    "study": "t",
    "version": "3",
    "missing_codes": [
        {"code": -99, "meaning": "system", "label": {"zh": "系统缺失", "en": "System missing"}},
        {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
        {"code": 99, "meaning": "refused"},
    ],
    "variables": [
        {
            "name": "respondent_id",
            "label": {"zh": "受访者编号", "en": "Respondent ID"},
            "kind": "id",
            "role": "id",
        },
        {"name": "wave", "kind": "wave", "role": "wave"},
        {
            "name": "product_quality",
            "label": {"zh": "产品质量", "en": "Product quality"},
            "kind": "likert",
            "min": 1,
            "max": 5,
            "dimension": "product",
            "role": "driver",
            "aliases": [{"name": "prod_qual", "waves": [2014, 2015]}],
        },
        {"name": "proc_sales", "kind": "likert", "min": 1, "max": 5, "dimension": "process:sales"},
        {
            "name": "branch",
            "kind": "category",
            "role": "segment",
            "values": {1: {"zh": "北京", "en": "Beijing"}, 2: {"zh": "上海"}},
        },
        {"name": "recommend", "kind": "nps", "role": "outcome", "label": {"en": "Recommend"}},
        {"name": "weight", "kind": "weight", "role": "weight"},
        {"name": "ch_phone", "kind": "binary"},
        {
            "name": "ch_web",
            "kind": "binary",
            "missing_codes": [{"code": 9, "meaning": "not_applicable"}],
        },
        {"name": "comment", "kind": "text", "required": False},
    ],
    "multi_response": [
        {"name": "channels", "label": {"en": "Channels"}, "options": ["ch_phone", "ch_web"]}
    ],
}


def bad(mutate) -> str:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(CodebookError) as info:
        load(data)
    return str(info.value)


def test_load_dict_and_api():
    cb = load(BASE)
    assert isinstance(cb, Codebook)
    assert cb.names[:3] == ("respondent_id", "wave", "product_quality")
    v = cb.get("product_quality")
    assert v.scale == (1, 5)
    assert v.label_for("zh") == "产品质量" and v.label_for("en") == "Product quality"
    assert cb.get("branch").label_for("en") == "branch"  # no label: the name
    assert cb.get("branch").value_label(2, "en") == "上海"  # falls back to the other language
    assert cb.get("recommend").scale == (0, 10)
    assert cb.get("ch_phone").scale == (0, 1)
    assert cb.get("comment").scale is None
    assert [x.name for x in cb.by_role("driver")] == ["product_quality"]
    assert [x.name for x in cb.by_dimension("process")] == ["proc_sales"]
    assert [x.name for x in cb.by_dimension("process:sales")] == ["proc_sales"]
    assert cb.rename_map(2014) == {"prod_qual": "product_quality"}
    assert cb.rename_map([2013, 2015]) == {"prod_qual": "product_quality"}
    assert cb.rename_map(2016) == {}
    assert cb.rename_map(None) == {"prod_qual": "product_quality"}
    assert cb.respondent_variable.name == "respondent_id"
    assert cb.wave_variable.name == "wave"
    assert cb.multi_response_set("channels").options == ("ch_phone", "ch_web")
    assert "branch" in cb and "nope" not in cb
    assert cb.label_map("zh")["product_quality"] == "产品质量"
    assert cb.label_map("en")["branch"] == "branch"
    assert cb.value_labels("branch", "en") == {1: "Beijing", 2: "上海"}
    assert cb.value_labels("product_quality") == {}


def test_frozen():
    cb = load(BASE)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        cb.version = "x"
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        cb.get("wave").name = "y"


def test_missing_codes_for_merges_study_and_variable_codes():
    cb = load(BASE)
    assert [m.code for m in cb.missing_codes_for("product_quality")] == [-99, 98, 99]
    assert [m.code for m in cb.missing_codes_for("ch_web")] == [-99, 9, 98, 99]
    assert cb.missing_codes_for("comment") == ()  # text carries no codes
    assert cb.missing_codes_for("weight") == ()
    data = copy.deepcopy(BASE)
    data["variables"][2]["missing_codes"] = [{"code": 98, "meaning": "not_applicable"}]
    cb2 = load(data)
    (m98,) = [m for m in cb2.missing_codes_for("product_quality") if m.code == 98]
    assert m98.meaning == "not_applicable"  # the variable's own code overrides the study-wide one
    data["variables"][2]["use_study_missing"] = False
    assert [m.code for m in load(data).missing_codes_for("product_quality")] == [98]


def test_yaml_file_round_trip(tmp_path):
    cb = load(BASE)
    path = tmp_path / "cb.yaml"
    text = cb.to_yaml(path)
    assert path.read_text(encoding="utf-8") == text
    assert "产品质量" in text  # unicode kept readable
    again = load(path)
    assert again == cb
    assert again.version == "3"
    assert load(yaml.safe_load(text)).to_dict() == cb.to_dict()
    assert not list(tmp_path.glob(".cb.yaml.*"))  # no temp file left behind


def test_quoted_integer_value_keys_are_codes():
    data = copy.deepcopy(BASE)
    data["variables"][4]["values"] = {"1": {"en": "Beijing"}, "2": {"en": "Shanghai"}}
    assert set(load(data).get("branch").values) == {1, 2}
    data["variables"][4]["values"] = {"north": {"en": "North"}, "01x": {"en": "x"}}
    assert set(load(data).get("branch").values) == {"north", "01x"}


def test_version_number_becomes_string():
    data = copy.deepcopy(BASE)
    data["version"] = 2
    assert load(data).version == "2"


def test_unknown_key_names_entry_and_allowed_keys():
    msg = bad(lambda d: d["variables"][2].update(scale_max=5))
    assert (
        "variables[2] ('product_quality'): unknown key 'scale_max'; allowed keys: name, label, kind"
        in msg
    )


def test_unknown_top_level_key():
    msg = bad(lambda d: d.update(variabels=[]))
    assert (
        "top level: unknown key 'variabels'; allowed keys: study, version, missing_codes, variables, multi_response"
        in msg
    )


def test_unknown_kind():
    msg = bad(lambda d: d["variables"][2].update(kind="likret"))
    assert (
        "variables[2] ('product_quality'), key 'kind': unknown kind 'likret'; kind must be one of "
        "likert, nps, rating, binary, category, text, id, weight, wave, numeric"
    ) in msg


def test_min_greater_than_max():
    msg = bad(lambda d: d["variables"][2].update(min=5, max=1))
    assert "variables[2] ('product_quality'): min (5) is greater than max (1)" in msg


def test_likert_needs_bounds_and_nps_is_0_10():
    msg = bad(lambda d: d["variables"][2].pop("max"))
    assert "variables[2] ('product_quality'): kind 'likert' needs both 'min' and 'max'" in msg
    msg = bad(lambda d: d["variables"][5].update(min=1, max=10))
    assert "variables[5] ('recommend'): kind 'nps' is on 0-10; got min=1, max=10" in msg


def test_duplicate_name():
    msg = bad(lambda d: d["variables"].append({"name": "branch", "kind": "text"}))
    assert "variables[10] ('branch'): name 'branch' is already used by variables[4]" in msg


def test_alias_colliding_with_another_name():
    msg = bad(lambda d: d["variables"][2]["aliases"].append({"name": "proc_sales"}))
    assert (
        "variables[2] ('product_quality'): alias 'proc_sales' collides with the name of variables[3]"
        in msg
    )


def test_alias_shared_in_overlapping_waves():
    def mutate(d):
        d["variables"][3]["aliases"] = [{"name": "prod_qual", "waves": [2015]}]

    msg = bad(mutate)
    assert (
        "variables[3] ('proc_sales'): alias 'prod_qual' is also an alias of 'product_quality' in overlapping waves"
        in msg
    )

    def disjoint(d):
        d["variables"][3]["aliases"] = [{"name": "prod_qual", "waves": [2019]}]

    data = copy.deepcopy(BASE)
    disjoint(data)
    cb = load(data)
    assert cb.rename_map(2019) == {"prod_qual": "proc_sales"}
    with pytest.raises(CodebookError, match="alias of both 'product_quality' and 'proc_sales'"):
        cb.rename_map(None)


def test_value_label_outside_scale():
    msg = bad(lambda d: d["variables"][2].update(values={6: {"en": "Excellent+"}}))
    assert "variables[2] ('product_quality'): value label 6 is outside the scale 1-5" in msg


def test_missing_code_colliding_with_scale_value():
    msg = bad(lambda d: d["variables"][2].update(missing_codes=[{"code": 5, "meaning": "refused"}]))
    assert (
        "variables[2] ('product_quality'): missing code 5 collides with a valid value (the scale is 1-5)"
        in msg
    )
    msg = bad(lambda d: d["variables"][4].update(missing_codes=[{"code": 2, "meaning": "refused"}]))
    assert (
        "variables[4] ('branch'): missing code 2 collides with a valid value (a category value)"
        in msg
    )


def test_study_wide_code_colliding_with_a_scale():
    msg = bad(
        lambda d: d["variables"].append({"name": "age", "kind": "numeric", "min": 18, "max": 120})
    )
    assert (
        "variables[10] ('age'): study-wide missing code 98 collides with a valid value (the scale is "
        "18-120); change the code, or set 'use_study_missing: false' on this variable"
    ) in msg
    assert "study-wide missing code 99 collides" in msg  # every problem is listed
    data = copy.deepcopy(BASE)
    data["variables"].append(
        {"name": "age", "kind": "numeric", "min": 18, "max": 120, "use_study_missing": False}
    )
    assert load(data).missing_codes_for("age") == ()


def test_bad_meaning_and_duplicate_code():
    msg = bad(lambda d: d["missing_codes"].append({"code": 97, "meaning": "unknown"}))
    assert (
        "missing_codes[3], key 'meaning': got 'unknown'; input should be 'dont_know', 'refused'"
        in msg
    )
    msg = bad(lambda d: d["missing_codes"].append({"code": 98, "meaning": "refused"}))
    assert "missing_codes[3]: code 98 is listed twice" in msg


def test_multi_response_options_declared_and_binary():
    msg = bad(lambda d: d["multi_response"][0]["options"].extend(["ch_mail", "branch"]))
    assert "multi_response[0] ('channels'): option 'ch_mail' is not a declared variable" in msg
    assert (
        "multi_response[0] ('channels'): option 'branch' has kind 'category'; options must be kind 'binary' (0/1)"
    ) in msg


def test_multi_response_name_clash():
    msg = bad(lambda d: d["multi_response"][0].update(name="branch"))
    assert "multi_response[0] ('branch'): name 'branch' is already a variable's name" in msg


def test_category_needs_values_and_text_refuses_them():
    msg = bad(lambda d: d["variables"][4].pop("values"))
    assert "variables[4] ('branch'): kind 'category' needs 'values'" in msg
    msg = bad(lambda d: d["variables"][9].update(values={1: {"en": "x"}}))
    assert (
        "variables[9] ('comment'): 'values' (value labels) are not allowed for kind 'text'" in msg
    )


def test_bad_dimension_role_and_label():
    msg = bad(lambda d: d["variables"][2].update(dimension="quality"))
    assert (
        "variables[2] ('product_quality'), key 'dimension': dimension must be one of product" in msg
    )
    msg = bad(lambda d: d["variables"][2].update(role="predictor"))
    assert "variables[2] ('product_quality'), key 'role': got 'predictor'" in msg
    msg = bad(lambda d: d["variables"][2].update(label={}))
    assert (
        "variables[2] ('product_quality'), key 'label': a label needs at least one of 'zh' or 'en'"
        in msg
    )


def test_several_problems_listed_together():
    def mutate(d):
        d["variables"][2]["kind"] = "likret"
        d["variables"][3]["min"] = 9
        d["variables"].append({"name": "wave", "kind": "text"})

    msg = bad(mutate)
    assert msg.startswith("codebook: 3 problems:")
    assert "unknown kind 'likret'" in msg and "min (9) is greater than max (5)" in msg
    assert "name 'wave' is already used by variables[1]" in msg


def test_a_broken_only_entry_is_the_only_problem():
    with pytest.raises(CodebookError) as exc:
        load({"variables": [{"name": "sat", "kind": "likert", "min": 1}]})
    msg = str(exc.value)
    assert msg.startswith("codebook: 1 problem:"), msg
    assert "variables[0] ('sat'): kind 'likert' needs both 'min' and 'max'" in msg
    assert "at least 1 item" not in msg
    with pytest.raises(CodebookError, match="at least 1 item"):  # an empty list still is
        load({"variables": []})


def test_file_errors(tmp_path):
    with pytest.raises(CodebookError, match="no such file"):
        load(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("variables: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load(p)
    p.write_bytes("study: 研究\n".encode("gbk"))
    with pytest.raises(CodebookError, match="not UTF-8 text"):
        load(p)
    p.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="expected a mapping with 'variables'; got list"):
        load(p)
    with pytest.raises(CodebookError, match="must be a path, a dict or a Codebook; got int"):
        load(3)


def test_lookup_errors():
    cb = load(BASE)
    with pytest.raises(
        CodebookError,
        match="no variable 'nope' in the codebook; variables are: respondent_id, wave",
    ):
        cb.get("nope")
    with pytest.raises(CodebookError, match="role must be one of outcome, driver"):
        cb.by_role("drivers")
    with pytest.raises(CXValueError, match="lang must be one of 'zh', 'en'; got 'fr'"):
        cb.get("wave").label_for("fr")
    with pytest.raises(CodebookError, match="no multi-response set 'x'"):
        cb.multi_response_set("x")


def test_load_passes_codebook_through():
    cb = load(BASE)
    assert load(cb) is cb
    assert set(cbm.KINDS) >= {"likert", "nps", "numeric"}
