"""The report's language comes from the gettext catalog, and the computation floor holds no prose.

* The zh and en catalogs (``src/cxresearch/locale/<lang>/LC_MESSAGES/cxresearch.po``, read with
  Babel) have the same keys, no empty or fuzzy translation, and the same ``{fields}`` in both
  languages; the committed ``.mo`` is byte for byte what Babel compiles from the ``.po``; what the
  package reads at run time (stdlib gettext) is what the ``.po`` says.
* Every key the code names exists in both catalogs. Literal keys are found in the syntax tree of
  ``src/`` and ``notebooks/src/`` (calls of ``word``/``message``/``both``, including inside f-strings and in both branches
  of a conditional); the families built at run time (``ipa.<quadrant>``, ``stage.<stage>``,
  ``caveat.<code>``, ``alert.<kind>``) are checked by asking the code for every member. Babel's
  own extractor is not used for this: it skips calls inside f-strings and joins the branches of
  ``word("yes" if b else "no", ...)`` into one msgid ``"yesno"``.
* The computation floor (``survey``, ``drivers``, ``persistence``, ``loyalty``, ``alerts``,
  ``employee``, ``text``, ``findings``) has no string literal with Chinese characters outside
  docstrings, except in the files of :data:`CJK_DATA` (data, each with its reason), and never
  branches on the report language (``lang == "zh"``).
"""

from __future__ import annotations

import ast
import re
import string
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cxresearch import _i18n
from cxresearch.errors import CXValueError

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "cxresearch"
LOCALE = PKG / "locale"
COMPUTATION = (
    "survey",
    "drivers",
    "persistence",
    "loyalty",
    "alerts",
    "employee",
    "text",
    "findings",
)

#: Files of the computation floor allowed to hold Chinese string literals, and why: data, not prose.
CJK_DATA = {
    "text/masking.py": "personal-data patterns: full-width punctuation of phone and ID numbers, "
    "the characters of titles and honorifics the name masker matches",
    "text/coding.py": "the CJK punctuation the comment tokenizer splits on",
}
#: Fields only the English text shows (the Chinese sentence has always left them out), and why.
#: Any other difference between the two languages' fields fails the test.
ONE_LANGUAGE_FIELDS = {
    "render.note.few_units": {"rest"},  # the English warning's closing words (zh states its own)
    "persistence.lag_note_pooled": {"alpha"},  # the significance level of the one-sided tests
    "persistence.lag_note_within": {"alpha"},
    "persistence.negative_one": {"lags"},  # the lag numbers, already named in {which}
    "persistence.negative_many": {"lags"},
    # the client id, for the analyst reading `cxresearch run --plan`; the Chinese reason leaves it out
    "plan.why.no_crm": {"client"},
    "plan.why.no_employees": {"client"},
}
#: Fields only the Chinese text shows, and why.
ZH_ONLY_FIELDS = {
    "persistence.horizon_lag0": {"exposure"},  # 当年{exposure}每高 1 分 (English: "one point more")
}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _po(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "cxresearch.po", "rb") as f:
        return read_po(f, locale=lang, domain="cxresearch")


def _entries(lang: str) -> dict[str, str]:
    return {m.id: m.string for m in _po(lang) if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_catalogs_have_the_same_keys_and_no_empty_or_fuzzy_entry():
    zh, en = _po("zh"), _po("en")
    assert {m.id for m in zh if m.id} == {m.id for m in en if m.id}
    assert len([m for m in zh if m.id]) >= 57
    for cat in (zh, en):
        assert not cat.fuzzy, f"{cat.locale}: the catalog header is marked fuzzy"
        for m in cat:
            if not m.id:
                continue
            assert isinstance(m.id, str), f"{cat.locale}: plural entries are not used ({m.id!r})"
            assert m.string.strip(), f"{cat.locale}: empty translation of {m.id!r}"
            assert not m.fuzzy, f"{cat.locale}: fuzzy translation of {m.id!r}"
        assert str(cat.locale) in {"zh", "en"}


def test_templates_have_the_same_fields_in_both_languages():
    """The same fields in zh and en; another form of a field counts as the field: ``x_lower`` (the
    label ``x`` in lower case, for an English sentence), ``x_name`` (a month's name for its number)."""
    zh, en = _entries("zh"), _entries("en")

    def base(fields):
        return {f.removesuffix("_lower").removesuffix("_name") for f in fields}

    for key in en:
        fields_zh, fields_en = base(_fields(zh[key])), base(_fields(en[key]))
        fields_en -= ONE_LANGUAGE_FIELDS.get(key, set())
        fields_zh -= ZH_ONLY_FIELDS.get(key, set())
        assert fields_zh == fields_en, f"{key}: zh {zh[key]!r} vs en {en[key]!r}"
    for key, fields in ONE_LANGUAGE_FIELDS.items():  # each exemption is still needed
        assert fields <= _fields(en[key]) and not fields & _fields(zh[key]), key
    for key, fields in ZH_ONLY_FIELDS.items():
        assert fields <= _fields(zh[key]) and not fields & _fields(en[key]), key
    assert _fields(en["caveat.few_units_did"]) == {"k"}


def test_zh_catalog_shows_the_english_of_every_entry():
    """A translator editing the zh file sees the English beside each key (``#. en: ...``)."""
    en = _entries("en")
    for m in _po("zh"):
        if m.id:
            comment = " ".join(m.auto_comments)  # Babel wraps a long comment over several lines
            assert "en: " in comment, f"{m.id!r}: no '#. en:' comment in the zh catalog"
            if en[m.id].strip() == en[m.id]:
                assert f"en: {en[m.id]}" in comment, m.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_committed_mo_is_what_babel_compiles(lang):
    buf = BytesIO()
    write_mo(buf, _po(lang))
    mo = LOCALE / lang / "LC_MESSAGES" / "cxresearch.mo"
    assert mo.read_bytes() == buf.getvalue(), (
        f"{mo.relative_to(ROOT)} is stale: run pybabel compile -d src/cxresearch/locale -D cxresearch"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_package_reads_what_the_po_says(lang):
    catalog = _i18n._catalog(lang)  # the .mo as gettext reads it
    for key, text in _entries(lang).items():
        assert catalog.gettext(key) == text
        assert _i18n.known(key)
        if not _fields(text):
            assert _i18n.message(key, lang) == text


def test_message_errors_and_fields():
    from cxresearch.tables import word

    assert word("base", "zh") == "基数" and word("n_eff", "en") == "Effective n"
    assert word("caveat.few_units_did", "en", k=4).startswith("Only 4 units: the difference")
    with pytest.raises(CXValueError, match="lang must be one of 'zh', 'en'; got 'de'"):
        word("base", "de")
    with pytest.raises(CXValueError, match=r"unknown report word 'nope'.*cxresearch\.po"):
        word("nope", "en")
    with pytest.raises(CXValueError, match=r"needs the field 'k'"):
        word("caveat.few_units_did", "zh")
    assert not _i18n.known("nope") and not _i18n.known("")
    assert _i18n.sentences(["A.", "", "B."], "en") == "A. B."
    assert _i18n.sentences(["甲。", "乙。"], "zh") == "甲。乙。"


def _code_keys() -> tuple[set[str], set[str]]:
    """Literal keys and f-string key prefixes passed to word/message/both in src/ and the notebooks."""
    literal, prefixes = set(), set()

    def add(arg):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            literal.add(arg.value)
        elif isinstance(arg, ast.IfExp):
            add(arg.body)
            add(arg.orelse)
        elif (
            isinstance(arg, ast.JoinedStr)
            and arg.values
            and isinstance(arg.values[0], ast.Constant)
        ):
            prefixes.add(arg.values[0].value)

    files = [*PKG.rglob("*.py"), *(ROOT / "notebooks" / "src").glob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(
                node.func, "attr", None
            )  # word(...), cx.tables.word(...)
            if name in ("word", "message", "both"):
                add(node.args[0])
    return literal, prefixes


def test_every_key_the_code_names_is_in_both_catalogs():
    zh, en = _entries("zh"), _entries("en")
    literal, prefixes = _code_keys()
    assert {
        "base",
        "n_eff",
        "total",
        "yes",
        "no",
        "list_separator",
        "alert.any_theme",
        "ladder",
        "engagement_trend",
    } <= literal  # the last two: notebooks/src
    missing = sorted(k for k in literal if k not in zh or k not in en)
    assert not missing, f"keys used in src/ but not in both catalogs: {missing}"
    assert {"stage.", "ipa.", "caveat."} <= prefixes  # others are built into a variable first
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in en), f"no catalog entry starts with {prefix!r}"


def test_every_key_built_at_run_time_is_in_both_catalogs():
    import warnings

    from cxresearch.alerts.rules import DEFAULT_RULES, RULE_KINDS, AlertRule
    from cxresearch.drivers import QUADRANTS
    from cxresearch.employee._caveats import _FEW_UNITS
    from cxresearch.tables.persistence import _STAGES, stage_labels

    zh, en = _entries("zh"), _entries("en")
    keys = {f"ipa.{q}" for q in QUADRANTS} | {f"stage.{s}" for s in _STAGES}
    keys |= {f"caveat.{c}" for c in (*_FEW_UNITS.values(), "linkage_correlational")}
    kinds = {
        "low_score": {"below": 5},
        "drop": {"points": 3, "max_gap": 2},
        "detractor_high_value": {},
        "complaint_theme": {"themes": ("price",)},
    }
    assert set(kinds) == set(RULE_KINDS)
    for kind, extra in kinds.items():
        for negative in (False, True):
            kw = {"negative_only": negative} if kind == "complaint_theme" else {}
            rule = AlertRule(name="r", kind=kind, owner="service", **extra, **kw)
            keys.add(rule.statement()[0])
            assert rule.describe("zh") and rule.describe("en")
    keys.add(AlertRule(name="r", kind="drop", owner="service", points=3).statement()[0])
    keys |= {f"alert.rule.{r.name}" for r in DEFAULT_RULES}  # the package rules have short names
    keys |= {f"employee.group.{g}" for g in ("programme", "comparison")}
    keys |= {f"employee.period.{p}" for p in ("pre", "post")}
    keys |= {f"employee.level.{lv}" for lv in ("unit_wave", "unit")}
    assert {"alert.drop", "alert.drop_within", "alert.complaint_theme_negative"} <= keys
    missing = sorted(k for k in keys if k not in zh or k not in en)
    assert not missing, f"keys built in src/ but not in both catalogs: {missing}"
    assert stage_labels("zh")["churned"] == "已流失"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert QUADRANTS["keep_up"] == {"zh": "继续保持", "en": "Keep up the good work"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _cjk_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of the string literals with Chinese characters, docstrings left out."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in docs
        and CJK.search(n.value)
    ]


def _lang_branches(source: str) -> list[int]:
    """Lines comparing a value with ``"zh"`` or ``"en"`` (``lang == "zh"``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops
        ):
            consts = [
                c.value for c in (node.left, *node.comparators) if isinstance(c, ast.Constant)
            ]
            if any(c in ("zh", "en") for c in consts):
                lines.append(node.lineno)
    return lines


def _floor_files():
    for floor in COMPUTATION:
        yield from sorted((PKG / floor).rglob("*.py"))


def test_computation_floor_holds_no_chinese_prose():
    found, data_seen = [], set()
    for path in _floor_files():
        rel = path.relative_to(PKG).as_posix()
        for line, value in _cjk_literals(path.read_text(encoding="utf-8")):
            if rel in CJK_DATA:
                data_seen.add(rel)
            else:
                found.append(f"{rel}:{line}: {value[:40]!r}")
    assert not found, (
        "Chinese text in the computation floor (put it in the message catalog):\n"
        + "\n".join(found)
    )
    assert data_seen == set(CJK_DATA), f"stale exemptions: {sorted(set(CJK_DATA) - data_seen)}"


def test_computation_floor_never_branches_on_the_report_language():
    found = [
        f"{path.relative_to(PKG)}:{line}"
        for path in _floor_files()
        for line in _lang_branches(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"language branches in the computation floor: {found}"


def test_the_checks_find_prose():
    """The scans above are not blind: they flag the kind of code they exist to keep out (a docstring
    may hold Chinese; a literal may not)."""
    src = 'def f(lang):\n    """文档。"""\n    x = f"{lang}：低于"\n    return "低于" if lang == "zh" else "below"\n'
    assert sorted(v for _, v in _cjk_literals(src)) == ["低于", "：低于"]
    assert _lang_branches(src) == [4]
