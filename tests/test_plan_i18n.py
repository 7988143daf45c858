"""The study plan's words come from the message catalog: report/plan.py, report/scaffold.py and
report/params.py hold no Chinese prose and never branch on the report language.

The checks are those of tests/test_i18n.py (``_cjk_literals``, ``_lang_branches``); the literals
allowed (:data:`CJK_DATA`) are patterns, not text shown to a reader. That the words did not change
when they moved into the catalog was checked by diffing the plans (``to_text``, ``to_dict``,
``say_scope`` in both languages) of 19 studies before and after; test_plan.py pins some of them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cxresearch"
_SPEC = importlib.util.spec_from_file_location("_i18n_checks", ROOT / "tests" / "test_i18n.py")
checks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(checks)

FILES = ("report/plan.py", "report/scaffold.py", "report/params.py")

#: Chinese string literals allowed, and why: patterns matched against data, never shown.
CJK_DATA = {
    "report/plan.py": {
        "（(?:dimension|variables|params|customer_id|branch|transfers)[^）]*）": "the full-width "
        "brackets of a Chinese reason's technical note, removed for the reader (_plain)",
    },
    "report/scaffold.py": {
        r"overall|satisf|\bsat\b|_sat\b|^sat|csat|满意": "words of an outcome item's name or label",
        "nps|recommend|推荐|推薦": "words of a recommend item's name or label",
        r"repurchase|re_purchase|loyal|retain|retention|renew|continue|again|recommend|return|"
        r"再购|回购|复购|忠诚|继续|推荐|續|续约": "words of a loyalty item's name or label",
    },
}


@pytest.mark.parametrize("rel", FILES)
def test_no_chinese_prose_and_no_language_branch(rel):
    source = (PKG / rel).read_text(encoding="utf-8")
    allowed = CJK_DATA.get(rel, {})
    found = [(line, value) for line, value in checks._cjk_literals(source) if value not in allowed]
    assert not found, f"{rel}: Chinese text (put it in the message catalog): {found}"
    assert {value for _, value in checks._cjk_literals(source)} == set(allowed), "stale exemption"
    assert not checks._lang_branches(source), f"{rel}: lines branching on the report language"


def test_plan_titles_and_reasons_read_from_the_catalog():
    from cxresearch.report.plan import CHAPTERS, TITLES

    names = {name for chapter, sections in CHAPTERS.items() for name in (chapter, *sections)}
    assert set(TITLES) == names
    assert TITLES["ipa"] == {"zh": "重要性—表现矩阵", "en": "importance–performance map"}
    assert all(TITLES[name]["zh"] and TITLES[name]["en"] for name in TITLES)


def test_the_checks_see_what_they_look_for():
    assert checks._cjk_literals('x = "本期"\n') == [(1, "本期")]
    assert checks._lang_branches('y = 1 if lang == "zh" else 2\n') == [1]
