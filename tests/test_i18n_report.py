"""The presentation modules take their language from the message catalog (issue 17).

* The report renderer, the deck, the banner tables, the charts and the table core
  (:data:`PRESENTATION`) hold no string literal with Chinese characters outside docstrings, except
  the named data constants of :data:`CJK_DATA` (each with its reason), and never branch on the
  report language (``lang == "zh"``) outside the functions of :data:`LANGUAGE_RULES` (each with
  its reason). The scans are those of ``tests/test_i18n.py``.
* Every key these modules build at run time (``tabs.<key>`` through ``tabs._t``, ``deck.<key>``
  through ``deck._w``, the families ``render.note_kind.*``, ``render.few_units.*``,
  ``tabs.dimension.*``, ``tabs.correction.*``, ``chart.per.*``) is in both catalogs.
* The words come out as the reports showed them before the move (a few fixed strings per language;
  the full comparison of the demo study's outputs was made before/after the change).
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from cxresearch import _i18n

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cxresearch"

_spec = importlib.util.spec_from_file_location("_i18n_scans", ROOT / "tests" / "test_i18n.py")
_scans = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_scans)
_cjk_literals, _lang_branches = _scans._cjk_literals, _scans._lang_branches

#: The presentation modules that word the report through the catalog.
PRESENTATION = (
    "report/render.py",
    "report/deck.py",
    "report/tabs.py",
    "report/_tabs_xlsx.py",
    "viz/charts.py",
    "viz/drivers.py",
    "tables/_core.py",
)
#: Module-level constants of those files allowed to hold Chinese characters, and why: data, not prose.
CJK_DATA = {
    ("report/deck.py", "_LABEL_END"): "the full-width colon a chart's category label is cut at",
}
#: Functions of those files allowed to compare with a language code, and why.
LANGUAGE_RULES = {
    ("tables/_core.py", "mid_sentence"): "the English rule for a label inside a sentence (lower "
    "case unless an acronym); labels in another language pass unchanged",
}


def _function_lines(tree: ast.Module, names: set[str]) -> set[int]:
    """Lines of the module-level functions ``names``."""
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            lines |= set(range(node.lineno, node.end_lineno + 1))
    return lines


def _constant_lines(tree: ast.Module, names: set[str]) -> set[int]:
    """Lines of the module-level assignments to ``names``."""
    lines: set[int] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            lines |= set(range(node.lineno, node.end_lineno + 1))
    return lines


def _prose(rel: str, source: str) -> tuple[list[str], set[str]]:
    """(Chinese literals outside the file's data constants, data constants that hold Chinese)."""
    allowed = {name for (f, name) in CJK_DATA if f == rel}
    tree = ast.parse(source)
    per_name = {name: _constant_lines(tree, {name}) for name in allowed}
    found, used = [], set()
    for line, value in _cjk_literals(source):
        owner = next((n for n, lines in per_name.items() if line in lines), None)
        if owner is None:
            found.append(f"{rel}:{line}: {value[:40]!r}")
        else:
            used.add(owner)
    return found, used


def test_presentation_modules_hold_no_chinese_prose():
    found, used = [], set()
    for rel in PRESENTATION:
        f, u = _prose(rel, (PKG / rel).read_text(encoding="utf-8"))
        found += f
        used |= {(rel, name) for name in u}
    assert not found, "Chinese text in presentation code (put it in the catalog):\n" + "\n".join(
        found
    )
    assert used == set(CJK_DATA), f"stale exemptions: {sorted(set(CJK_DATA) - used)}"


def test_presentation_modules_never_branch_on_the_report_language():
    found, used = [], set()
    for rel in PRESENTATION:
        source = (PKG / rel).read_text(encoding="utf-8")
        rules = {name for (f, name) in LANGUAGE_RULES if f == rel}
        spans = {name: _function_lines(ast.parse(source), {name}) for name in rules}
        for line in _lang_branches(source):
            owner = next((n for n, lines in spans.items() if line in lines), None)
            if owner is None:
                found.append(f"{rel}:{line}")
            else:
                used.add((rel, owner))
    assert not found, f"language branches in presentation code: {found}"
    assert used == set(LANGUAGE_RULES), f"stale exemptions: {sorted(set(LANGUAGE_RULES) - used)}"


def test_the_scan_spares_only_the_named_data_constants():
    src = (
        "_LABEL_END = '[：:]'\n"
        "_OTHER = {'a': '低于'}\n"
        "def f(lang):\n"
        "    '''文档。'''\n"
        "    return '附录：' + lang\n"
    )
    found, used = _prose("report/deck.py", src)
    assert [x.split(": ", 1)[1] for x in found] == ["'低于'", "'附录：'"]
    assert used == {"_LABEL_END"}
    assert _lang_branches("x = 'a' if lang != 'en' else 'b'\n") == [1]


def _called_keys(rel: str, func: str) -> set[str]:
    """Literal first arguments of calls of ``func`` (both branches of a conditional)."""
    keys: set[str] = set()

    def add(arg):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            keys.add(arg.value)
        elif isinstance(arg, ast.IfExp):
            add(arg.body)
            add(arg.orelse)

    tree = ast.parse((PKG / rel).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == func and node.args:
            add(node.args[0])
    return keys


def test_every_key_built_by_the_presentation_modules_is_in_the_catalog():
    from cxresearch.report import render, tabs

    keys = {
        f"tabs.{k}"
        for rel in ("report/tabs.py", "report/_tabs_xlsx.py")
        for k in _called_keys(rel, "_t")
    }
    # the row labels of the book: _t(row_type) for the rows whose label is not data
    keys |= {f"tabs.{k}" for k in ("base", "eff_base", "mean", "sd")}
    keys |= {f"deck.{k}" for k in _called_keys("report/deck.py", "_w")}
    keys |= {f"tabs.dimension.{d}" for d in tabs._DIMENSIONS}
    keys |= {f"tabs.correction.{c}" for c in tabs._CORRECTIONS}
    keys |= {f"render.note_kind.{k}" for k in (*render._NOTE_KINDS, "other")}
    keys |= {f"render.few_units.{c}" for c in render._FEW_UNITS_SUBJECTS}
    keys |= {f"render.{k}" for k in render._LABELS if k != "base"}
    keys |= {f"render.exhibit_{k}" for k in ("figure", "table")}
    keys |= {f"chart.per.{p}" for p in ("wave", "line_and_wave", "year", "customers")}
    assert len(keys) > 90
    missing = sorted(k for k in keys if not _i18n.known(k))
    assert not missing, f"keys built in presentation code but not in both catalogs: {missing}"
    assert tabs._correction("holm", "zh") == "Holm 校正" and tabs._correction("x", "en") == "x"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "基数：n = 1,204（有效样本量 = 1,050） — 样本量低于报告下限 (2000)"),
        ("en", "Base: n = 1,204 (effective n = 1,050) — base below the reporting minimum (2000)"),
    ],
)
def test_base_line_and_ranges_read_as_before(lang, expected):
    from cxresearch.tables._core import _range, fmt_base

    assert fmt_base(1204, lang, n_eff=1050.2, min_base=2000) == expected
    assert _range("3.1", "4.2", lang) == "3.1–4.2"
    assert _range("-26.4", "-21.5", lang) == (
        "-26.4 至 -21.5" if lang == "zh" else "-26.4 to -21.5"
    )


def test_data_quality_notes_keep_the_english_warning_and_word_it_in_chinese():
    from cxresearch.report.render import cover_date, note_text

    raw = _i18n.message("caveat.few_units_linkage", "en", k=4)
    assert note_text(f"FewUnitsWarning: employee.linkage: {raw}", "en") == f"Few units — {raw}"
    assert note_text(f"FewUnitsWarning: employee.linkage: {raw}", "zh") == (
        "单位数较少 — 仅有 4 个单位：员工敬业度与客户评分的关联基于很少的单位，"
        "区间不确定且可能偏窄，仅供参考。"
    )
    odd = "FewUnitsWarning: a.b: Only 6 units: the widget rests on few units; more"
    assert note_text(odd, "en") == "Few units — Only 6 units: the widget rests on few units; more"
    assert note_text("OddWarning: a.b: text", "zh") == "数据质量 — text"
    import datetime as dt

    assert cover_date(dt.date(2026, 3, 5), "zh") == "2026年3月5日"
    assert cover_date(dt.date(2026, 3, 5), "en") == "5 March 2026"
