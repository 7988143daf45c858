"""tables/findings.py takes every word from the message catalog (issue 17).

The key messages, the KPI dashboard, the segment scorecard, the priorities and the theme-gap table
hold no Chinese string literal outside docstrings and never branch on the report language: their
words are the catalog's ``findings_table.*`` entries. The scans are those of ``tests/test_i18n.py``
(loaded from that file, so both tests scan the same way).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

import cxresearch as cx
from cxresearch import _i18n
from cxresearch import findings as F
from cxresearch.tables import findings as T
from test_findings import _record as _finding_record

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (ROOT / "src" / "cxresearch" / "tables" / "findings.py").read_text(encoding="utf-8")


def _scans():
    spec = importlib.util.spec_from_file_location("_i18n_scans", ROOT / "tests" / "test_i18n.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod._cjk_literals, mod._lang_branches, mod.CJK


_cjk_literals, _lang_branches, CJK = _scans()


def test_findings_table_holds_no_chinese_literal():
    found = [f"tables/findings.py:{line}: {text[:40]!r}" for line, text in _cjk_literals(SOURCE)]
    assert not found, "Chinese text in tables/findings.py (put it in the catalog):\n" + "\n".join(
        found
    )


def test_findings_table_never_branches_on_the_report_language():
    assert _lang_branches(SOURCE) == []


def test_the_scans_see_this_kind_of_code():
    """The scans flag what tables/findings.py used to hold (so an empty result above means
    something): a conditional Chinese/English phrase."""
    old = 'def f(lang):\n    zh = lang == "zh"\n    return "核心结论" if zh else "Key messages"\n'
    assert [text for _, text in _cjk_literals(old)] == ["核心结论"]
    assert _lang_branches(old) == [2]


def test_the_families_built_at_run_time_are_in_both_catalogs():
    keys = [f"findings_table.rule.{c}" for c in T._RULES]
    keys += [f"findings_table.group.{c}" for c in T._GROUPS]
    keys += [f"findings_table.strength.{c}" for c in T._STRENGTHS]
    keys += [f"findings_table.priorities.what.{c}" for c in T._ACTIONS]
    keys += [f"findings_table.exhibit.{c}" for c in T._EXHIBITS]
    keys += [f"findings_table.say.{c}" for c in ("gap_also_below", "gap_also_above")]
    missing = [k for k in keys if not _i18n.known(k)]
    assert not missing, f"keys built in tables/findings.py but not in both catalogs: {missing}"
    # every strength a record can carry has its word
    assert set(T._STRENGTHS) == {F.strength(p) for p in (None, 1e-4, 0.005, 0.03, 0.5)}


def _record(kind, claim, **kw):
    """test_findings' record, its exhibit one the report has (the links are compared too)."""
    return _finding_record(kind, claim, **{"exhibit": "alerts", **kw})


@pytest.fixture(scope="module")
def records():
    return [
        _record(
            "segment_gap",
            "below_total",
            subject="3",
            subject_type="segment",
            direction=-1,
            estimate=-0.4,
            unit="scale_points",
            details={"by": "branch", "level": 3, "segment_value": 6.0, "total_value": 6.4},
        ),
        _record(
            "segment_gap",
            "below_total",
            subject="3",
            subject_type="segment",
            direction=-1,
            estimate=-0.2,
            unit="scale_points",
            variable="repurchase",
            details={"by": "branch", "level": 3, "segment_value": 6.9, "total_value": 7.1},
        ),
        _record(
            "top_driver",
            "among_largest",
            subject="product_quality",
            estimate=0.31,
            unit="share",
            details={"tied": ["price_value", "delivery"]},
        ),
        _record(
            "theme_gap",
            "more_among_dissatisfied",
            subject="price",
            subject_type="theme",
            estimate=0.246,
            unit="share",
            exhibit="theme_gaps",
            details={"group": "detractors", "share_low": 0.35, "share_rest": 0.11},
        ),
        _record(
            "alert_lift",
            "predicts_churn",
            subject="low_sat",
            details={"precision": 0.18, "false_alarm_share": 0.82, "volume": 259},
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
    ]


def _words(*outputs) -> str:
    parts = []
    for out in outputs:
        if isinstance(out, cx.tables.Table):
            parts += [out.title, *map(str, out.labels.values()), out.base or "", *out.notes]
            parts += [str(v) for v in out.data.select_dtypes("object").to_numpy().ravel()]
        elif isinstance(out, T.Messages):
            parts += [out._repr_html_(), str(out.to_payload()), out.empty]
        else:
            parts.append(str(out))
    return "\n".join(parts)


def test_each_language_shows_only_its_own_words(records):
    """English output carries no Chinese character and Chinese output carries Chinese throughout:
    every sentence, header and note comes from the report language's catalog."""
    for lang in ("zh", "en"):
        sentences = [T.say_finding(f, lang=lang, related=records) for f in records]
        rows = F.priorities(records, owners={"price": "Sales"})
        outputs = [
            T.key_messages(records, lang=lang, k=10),
            T.key_messages([], lang=lang),
            T.priorities_table(rows, lang=lang),
            T.priorities_table(F.priorities([]), lang=lang),
            T.so_what(records, lang=lang),
            T.so_what([], lang=lang),
            T.theme_gap_table(
                pd.DataFrame(
                    {
                        "theme": ["price"],
                        "share_low": [0.35],
                        "share_rest": [0.11],
                        "difference": [0.24],
                        "ci_lower": [0.17],
                        "ci_upper": [0.31],
                        "p_adj": [0.001],
                        "significant": [True],
                        "n_low": [300],
                        "n_rest": [700],
                    }
                ),
                lang=lang,
                group="detractors",
            ),
        ]
        if lang == "en":
            text = _words(*sentences, *outputs)
            assert not CJK.search(text), CJK.search(text)
        else:
            assert all(CJK.search(s) for s in sentences)
            assert all(CJK.search(_words(out)) for out in outputs)
    en = T.say_finding(records[0], lang="en", related=records)
    assert "It is also significantly below Total on repurchase" in en  # sentences run on
    zh = T.say_finding(records[0], lang="zh", related=records)
    assert "。该群体在" in zh
