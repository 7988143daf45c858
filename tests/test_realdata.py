"""The new-client flow on real surveys nobody here generated (``tests/reference/realdata/``).

* MASS's ``survey`` (237 students; R 4, MASS 7.3) and lavaan's ``HolzingerSwineford1939`` (301 pupils),
  exported once by ``tests/reference/realdata/make_realdata.R`` (CI has no R: the tests read the
  committed CSVs); statsmodels' ``anes96`` from the installed package.
* ``make_realdata.py`` writes the client files (CSV, GBK CSV, ``.sav`` with value labels and a
  declared user-missing 99, no id and no wave column) that the flow below imports.

What these data showed, and what each test holds:

* a driver model whose R² its F test does not tell from 0 (MASS: pulse on height and hand spans,
  R² = 0.012) still produced a "top driver" key message (77 % of nothing) and a reversed-direction
  claim: no driver record and no ranking are written now; the F test is checked against
  statsmodels' OLS;
* continuous test scores (Holzinger) with codebook bounds and the roles of outcome and driver were
  refused by ``init`` ("no scale item"): a numeric item the codebook gives bounds and a role is used;
* then the report showed a "top-two box" of 0.0 % (0.0–0.0 %) on those scores (values 9–10 of 0–10;
  MASS: pulse 129–130 of 30–130) and defined them as "rated on a 0–10 scale": the section is left
  out with its reason, and the definitions call them numeric scores.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

import cxresearch as cx
from cxresearch.findings.analyses import model_f_test
from cxresearch.report.scaffold import draft_params, write_params

REAL = Path(__file__).parent / "reference" / "realdata"
sys.path.insert(0, str(REAL))
import make_realdata  # noqa: E402

SURVEY_DRIVERS = ["Wr.Hnd", "NW.Hnd", "Height"]
HS_DRIVERS = ["x1", "x2", "x3", "x4", "x6", "x7", "x8", "x9"]


@pytest.fixture(scope="module")
def survey():
    return make_realdata.mass_survey()


@pytest.fixture(scope="module")
def holzinger():
    return make_realdata.holzinger()


def test_the_committed_exports_are_the_r_data(survey, holzinger):
    # R: dim(MASS::survey); table(MASS::survey$Exer); sum(is.na(MASS::survey$Pulse))
    assert survey.shape == (237, 12)
    assert survey["Exer"].value_counts().to_dict() == {"Freq": 115, "Some": 98, "None": 24}
    assert int(survey["Pulse"].isna().sum()) == 45
    # R: dim(lavaan::HolzingerSwineford1939); table(HolzingerSwineford1939$school)
    assert holzinger.shape == (301, 15)
    assert holzinger["school"].value_counts().to_dict() == {"Pasteur": 156, "Grant-White": 145}


@pytest.mark.parametrize(
    ("which", "outcome", "drivers"),
    [("survey", "Pulse", SURVEY_DRIVERS), ("holzinger", "x5", HS_DRIVERS)],
)
def test_model_f_test_matches_ols(which, outcome, drivers, survey, holzinger):
    data = {"survey": survey, "holzinger": holzinger}[which]
    rows = data[[outcome, *drivers]].dropna()
    ols = sm.OLS(rows[outcome], sm.add_constant(rows[drivers])).fit()
    f, p = model_f_test(ols.rsquared, n=len(rows), k=len(drivers))
    assert f == pytest.approx(ols.fvalue, rel=1e-10)
    assert p == pytest.approx(ols.f_pvalue, rel=1e-8)


def test_model_f_test_edges():
    assert model_f_test(0.5, n=4, k=3) == (None, None)  # no residual degrees of freedom
    assert model_f_test(float("nan"), n=100, k=3) == (None, None)
    assert model_f_test(1.0, n=100, k=3)[1] == 0.0


def _drivers(data, outcome, drivers):
    res = cx.drivers.importance(data, outcome=outcome, drivers=drivers, ci=True, n_boot=200, seed=1)
    ipa = cx.drivers.importance_performance(data, outcome=outcome, drivers=drivers)
    return res, ipa


def test_no_driver_claim_from_a_model_that_explains_nothing(survey):
    res, ipa = _drivers(survey, "Pulse", SURVEY_DRIVERS)
    assert res.r2 == pytest.approx(0.0121, abs=5e-4) and res.n == 170
    found = cx.findings.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="x")
    assert [(f.kind, f.claim) for f in found] == [("model_fit", "explains_little")]
    (fit,) = found
    assert fit.details["significant"] is False and fit.p_value > 0.5
    en = cx.tables.say_finding(fit, lang="en")
    assert "no more than chance" in en and "F test p = 0.5" in en
    assert "F 检验 p = 0.5" in cx.tables.say_finding(fit, lang="zh")
    table = cx.tables.driver_table(res, ipa=ipa, lang="en", name="d")
    assert "quadrant_label" not in table.data.columns and "performance" in table.data.columns
    for lang, words in (("en", "finds no driver"), ("zh", "找不到")):
        text = str(cx.tables.say_drivers(res, ipa=ipa, lang=lang))
        assert words in text
        assert "strongest" not in text and "影响最大" not in text and "are: " not in text


def test_a_significant_model_keeps_its_driver_findings(holzinger):
    res, ipa = _drivers(holzinger, "x5", HS_DRIVERS)
    found = cx.findings.driver_findings(res, ipa=ipa, chapter="03_drivers", exhibit="x")
    kinds = {f.kind for f in found}
    assert "top_driver" in kinds and "model_fit" not in kinds
    top = next(f for f in found if f.kind == "top_driver")
    assert top.subject == "x4"  # paragraph comprehension: r = 0.73 with sentence completion
    assert "strongest" in str(cx.tables.say_drivers(res, ipa=ipa, lang="en"))
    assert (
        "quadrant_label" in cx.tables.driver_table(res, ipa=ipa, lang="en", name="d").data.columns
    )


def test_init_uses_numeric_scores_the_codebook_gives_bounds_and_roles(tmp_path):
    make_realdata.write_holzinger(tmp_path)
    sav = tmp_path / "holzinger1939.sav"
    book = tmp_path / "codebook.yaml"
    cx.io.write_draft(sav, book)
    cb = yaml.safe_load(book.read_text(encoding="utf-8"))
    for v in cb["variables"]:  # the consultant's edits: bounds and roles the draft cannot know
        if v["name"].startswith("x"):
            v.update({"min": 0, "max": 10, "role": "outcome" if v["name"] == "x5" else "driver"})
        if v["name"] == "school":
            v["role"] = "segment"
    book.write_text(yaml.safe_dump(cb, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with cx.store.Store(tmp_path / "study.duckdb") as st:
        st.import_files([sav], client="hs", codebook=book, wave=1939)
    params_file = tmp_path / "params" / "hs-1939.yaml"
    draft = draft_params(
        client="hs", period="1939", store=tmp_path / "study.duckdb", language="en", out=params_file
    )
    v = draft.params["variables"]
    assert v["outcome"] == "x5" and v["drivers"] == HS_DRIVERS and v["by"] == ["school"]
    # numeric scores have no top-two box: left out with its reason, in both languages
    draft.params["client_name"] = {"en": "Holzinger schools"}
    write_params(draft, params_file)
    plan = cx.report.study_plan(params_file)
    assert plan.reason("02_kpis", "top_box", lang="en") == (
        "Sentence completion: numeric scores, not answer scales: no top-two box"
    )
    assert "不计算前两项比例" in plan.reason("02_kpis", "top_box", lang="zh")
    assert plan.reason("02_kpis", "satisfaction") is None
    assert plan.reason("09_appendix", "reliability") is None  # eight scores, one 0-10 range
    params = cx.report.load_params(params_file)
    codebook = cx.codebook.load(book)
    for lang, score in (("en", "numeric score"), ("zh", "数值得分")):
        t = cx.tables.definitions_table(
            params, lang=lang, codebook=codebook, drivers=HS_DRIVERS, variables=params.variables
        )
        terms = list(t.data["term"])
        assert cx.tables.word("top_box", lang) not in terms
        assert len(terms) == 9 and all(score in d for d in t.data["definition"])
    # unassigned numerics (age in months) are never guessed into the model
    cb_plain = yaml.safe_load(book.read_text(encoding="utf-8"))
    for var in cb_plain["variables"]:
        var.pop("role", None)
    book.write_text(yaml.safe_dump(cb_plain, sort_keys=False), encoding="utf-8")
    with cx.store.Store(tmp_path / "plain.duckdb") as st:
        st.import_files([sav], client="hs", codebook=book, wave=1939)
    with pytest.raises(cx.errors.CXError, match="numeric item with min/max and role outcome"):
        draft_params(client="hs", period="1939", store=tmp_path / "plain.duckdb")


def test_anes96_client_files_keep_the_declared_missing_code(tmp_path):
    make_realdata.write_anes96(tmp_path)
    raw = pd.read_csv(tmp_path / "anes96.csv")
    assert len(raw) == 944 and int((raw["selfLR"] == 99).sum()) == int(np.ceil((944 - 3) / 29))


def test_a_likert_outcome_keeps_its_top_box(tmp_path):
    make_realdata.write_anes96(tmp_path)
    sav = tmp_path / "anes96.sav"
    book = tmp_path / "codebook.yaml"
    cx.io.write_draft(sav, book)
    with cx.store.Store(tmp_path / "study.duckdb") as st:
        st.import_files([sav], client="anes", codebook=book, wave=1996)
    draft = draft_params(
        client="anes", period="1996", store=tmp_path / "study.duckdb", out=tmp_path / "p.yaml"
    )
    draft.params["client_name"] = "ANES"
    plan = cx.report.study_plan(write_params(draft, tmp_path / "p.yaml"))
    assert plan.reason("02_kpis", "top_box") is None  # selfLR: likert 1-7
    # PID is coded 0-6 beside 1-7 placements: alpha of their raw sum is no reliability
    assert plan.reason("09_appendix", "reliability") == (
        "the driver items are on different scales (no block shares one): no reliability"
    )
    # the .sav's labels are English only: a zh report shows them, and says so
    from cxresearch.report.variables import label_fallbacks

    book_obj = cx.codebook.load(book)
    assert label_fallbacks(plan.variables, book_obj, "en") == ()
    (line,) = label_fallbacks(plan.variables, book_obj, "zh")
    assert line == (
        "codebook labels of 5 variables have no zh text: the zh report shows their en text "
        "(selfLR, ClinLR, DoleLR, PID, educ); add label.zh in the codebook"
    )
    t = cx.tables.definitions_table(
        cx.report.load_params(tmp_path / "p.yaml"), lang="en", codebook=cx.codebook.load(book)
    )
    assert "6–7 on the 1–7 scale" in t.data["definition"].iloc[0]


def _anes_codebook(tmp_path):
    make_realdata.write_anes96(tmp_path)
    book = tmp_path / "codebook.yaml"
    cx.io.write_draft(tmp_path / "anes96.sav", book)
    return cx.codebook.load(book)


def test_ipa_compares_drivers_on_different_scales_on_their_ranges(tmp_path):
    # anes96: party identification is coded 0-6, the placements 1-7 (the codebook draft reads both
    # from the .sav's value labels); raw means put PID 'below average' by its coding alone
    cb = _anes_codebook(tmp_path)
    d = make_realdata.anes96_frame().replace({"selfLR": {99: np.nan}})
    drivers = ["ClinLR", "DoleLR", "PID"]
    ipa = cx.drivers.importance_performance(d, outcome="selfLR", drivers=drivers, codebook=cb)
    rows = d[["selfLR", *drivers]].dropna()
    scale = {"ClinLR": (1, 7), "DoleLR": (1, 7), "PID": (0, 6)}
    expected = [(rows[x].mean() - scale[x][0]) / (scale[x][1] - scale[x][0]) for x in drivers]
    assert ipa["performance"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert set(ipa["performance_unit"]) == {"pomp"}
    assert ipa["performance_cut"].iloc[0] == pytest.approx(np.mean(expected), rel=1e-12)
    # the paired test of each driver against the average, on the same 0-1 ranges (scipy, by hand)
    from scipy import stats

    pomp = np.column_stack([(rows[x] - scale[x][0]) / (scale[x][1] - scale[x][0]) for x in drivers])
    ref = stats.ttest_1samp(pomp - pomp.mean(axis=1, keepdims=True), 0.0, axis=0)
    assert ipa["performance_gap"].to_numpy() == pytest.approx(
        np.array(expected) - np.mean(expected), abs=1e-12
    )
    assert ipa["gap_p_value"].to_numpy() == pytest.approx(ref.pvalue, rel=1e-9)
    t = cx.tables.driver_table(
        cx.drivers.importance(d, outcome="selfLR", drivers=drivers), ipa=ipa, lang="en", name="d"
    )
    assert t.labels["performance"] == "Performance (% of scale range)"
    # one shared scale: means as before
    same = cx.drivers.importance_performance(
        d, outcome="selfLR", drivers=["ClinLR", "DoleLR"], codebook=cb
    )
    assert same["performance"].to_numpy() == pytest.approx(
        rows[["ClinLR", "DoleLR"]].mean().to_numpy(), rel=1e-12
    )
    assert set(same["performance_unit"]) == {"mean"}


def test_ipa_does_not_rank_centimetres_against_hand_spans(survey):
    # MASS survey: height 140-210 cm beside hand spans 10-30 cm put height 'keep up' on its raw mean
    book = {
        "study": "s",
        "version": "1",
        "variables": [
            {"name": "Pulse", "kind": "numeric", "min": 30, "max": 130},
            {"name": "Height", "kind": "numeric", "min": 140, "max": 210},
            {"name": "Wr.Hnd", "kind": "numeric", "min": 10, "max": 30},
            {"name": "NW.Hnd", "kind": "numeric", "min": 10, "max": 30},
        ],
    }
    ipa = cx.drivers.importance_performance(
        survey, outcome="Pulse", drivers=SURVEY_DRIVERS, codebook=book
    )
    rows = survey[["Pulse", *SURVEY_DRIVERS]].dropna()
    perf = dict(zip(ipa["driver"], ipa["performance"], strict=True))
    assert perf["Height"] == pytest.approx((rows["Height"].mean() - 140) / 70, rel=1e-12)
    assert perf["Wr.Hnd"] == pytest.approx((rows["Wr.Hnd"].mean() - 10) / 20, rel=1e-12)
    assert max(perf.values()) < 1


def test_the_bases_say_how_many_did_not_answer_the_outcome(survey):
    # MASS survey: 45 of 237 students left their pulse blank; the report said it "rests on ... 192
    # respondents" as if 192 had taken part
    rows = survey.assign(wave=2024)
    bases = cx.survey.mean(rows, score="Pulse", by="wave")
    assert int(bases["n"].iloc[0]) == 192
    en = str(cx.tables.say_bases(bases, wave=2024, lang="en", respondents=rows))
    assert "of **192** respondents" in en
    assert "Of the 237 respondents of 2024, 192 answered pulse; the other 45 left it blank" in en
    zh = str(cx.tables.say_bases(bases, wave=2024, lang="zh", respondents=rows))
    assert "共 237 名受访者，其中 192 人回答了Pulse；其余 45 人未作答" in zh
    # everyone answered: no second sentence
    full = rows.dropna(subset=["Pulse"])
    assert "Of the" not in str(cx.tables.say_bases(bases, wave=2024, lang="en", respondents=full))


def test_every_segment_variable_is_tested_not_only_the_first(holzinger):
    # Holzinger with by: [sex, school]: the scorecard (sex) finds nothing, and the report never
    # said that Pasteur's pupils score 0.7 points below Grant-White's on sentence completion
    found = cx.findings.segment_findings_each(
        holzinger,
        kpis=[("x5", "mean")],
        by=["sex", "school"],
        correction="holm",
        chapter="02_kpis",
        exhibit="satisfaction_by_segment",
    )
    got = {(f.details["by"], f.subject, f.claim): f for f in found}
    assert set(got) == {
        ("school", "Pasteur", "below_total"),
        ("school", "Grant-White", "above_total"),
    }
    total = holzinger["x5"].mean()
    for (_, school, _), f in got.items():
        assert f.estimate == pytest.approx(
            holzinger.loc[holzinger["school"] == school, "x5"].mean() - total, rel=1e-10
        )
        assert f.p_adj < 0.001
    # the two schools differ beyond doubt by a plain Welch test too (scipy)
    from scipy import stats

    a = holzinger.loc[holzinger["school"] == "Pasteur", "x5"]
    b = holzinger.loc[holzinger["school"] == "Grant-White", "x5"]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue < 1e-5
    msg = cx.tables.say_finding(got[("school", "Pasteur", "below_total")], lang="en")
    assert "Pasteur" in msg and "below Total" in msg


def test_labels_with_inner_capitals_keep_them_mid_sentence():
    # anes96 as a CSV has no labels: the report read "In 1996, tVnews stood at 3.73"
    m = cx.tables.mid_sentence
    assert m("TVnews", "en") == "TVnews" and m("selfLR", "en") == "selfLR"
    assert m("Wr.Hnd", "en") == "Wr.Hnd" and m("PID", "en") == "PID"
    assert m("Left-right self-placement", "en") == "left-right self-placement"
    assert m("Income group", "en") == "income group"


def _holzinger_report(tmp_path, by):
    """Chapter 02 and the appendix of a Holzinger report by ``by``, run as a client's report is."""
    make_realdata.write_holzinger(tmp_path)
    sav = tmp_path / "holzinger1939.sav"
    book = tmp_path / "codebook.yaml"
    cx.io.write_draft(sav, book)
    cb = yaml.safe_load(book.read_text(encoding="utf-8"))
    for v in cb["variables"]:
        if v["name"].startswith("x"):
            v.update({"min": 0, "max": 10, "role": "outcome" if v["name"] == "x5" else "driver"})
        if v["name"] in ("school", "sex"):
            v["role"] = "segment"
    book.write_text(yaml.safe_dump(cb, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with cx.store.Store(tmp_path / "study.duckdb") as st:
        st.import_files([sav], client="hs", codebook=book, wave=1939)
    params = {
        "client": "hs",
        "client_name": {"en": "Holzinger schools", "zh": "Holzinger 学校"},
        "period": "1939",
        "language": "en",
        "data": {"store": str(tmp_path / "study.duckdb")},
        "variables": {"outcome": "x5", "drivers": HS_DRIVERS, "by": by, "weight": None},
        "notebooks": ["02_kpis", "09_appendix"],
        "output": {"formats": ["html", "xlsx"], "dir": str(tmp_path / "reports")},
    }
    path = tmp_path / "hs.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return cx.report.run_report(path)


def _captions(report):
    html = report.html.read_text(encoding="utf-8")
    return html, [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<caption[^>]*>(.*?)</caption>", html, re.S)
    ]


def test_chapter_02_and_the_bases_cover_every_segment_variable(tmp_path, holzinger):
    # Holzinger by [sex, school]: chapter 02 and the appendix's bases showed sex only, so the report
    # never showed that Pasteur's pupils score 0.7 points below Grant-White's on sentence completion
    report = _holzinger_report(tmp_path, ["sex", "school"])
    html, captions = _captions(report)
    x5 = holzinger.groupby("school")["x5"].mean()
    by_sex = holzinger.groupby("sex")["x5"].mean()
    # the school's narrative: highest and lowest school with their means (pandas), 1 pair significant
    assert (
        f"By school, <strong>sentence completion</strong> is highest in Grant-White "
        f"({x5['Grant-White']:.2f}) and lowest in Pasteur ({x5['Pasteur']:.2f})"
    ) in html
    assert (
        f"({by_sex.max():.2f})" in html and "By sex, <strong>sentence completion</strong>" in html
    )
    # numbered tables: the pairwise differences of each variable titled with it (sex: no pair
    # differs, said in a sentence), the bases of both
    assert any(
        re.fullmatch(r"Table 1\.\d+ Sentence completion: pairwise differences by school", c)
        for c in captions
    ), captions
    assert "Sentence completion: no pairwise difference by sex" in html
    numbers = [c.split(" ", 2)[1] for c in captions]
    assert len(set(numbers)) == len(numbers)  # every table its own number
    for seg in ("sex", "school"):
        assert any(re.fullmatch(rf"Table 2\.\d+ Bases by {seg}", c) for c in captions), captions
    # the bases by school are the head counts (R: table(HolzingerSwineford1939$school))
    tables = pd.read_excel(report.tables, sheet_name=None, header=None)
    sheet = next(t for n, t in tables.items() if n.startswith("bases_by_segment_school"))
    counts = dict(zip(sheet[0], sheet[1], strict=False))
    assert counts["Pasteur"] == 156 and counts["Grant-White"] == 145
    # the school difference in its table: Grant-White - Pasteur (B - A) as pandas has it
    diff = next(t for n, t in tables.items() if n.startswith("satisfaction_differences_sch"))
    (row,) = diff[diff[0] == "Pasteur"].itertuples(index=False)
    assert row[1] == "Grant-White"
    assert float(row[4]) == pytest.approx(x5["Grant-White"] - x5["Pasteur"], rel=1e-9)


def test_one_segment_variable_adds_no_exhibit(tmp_path):
    report = _holzinger_report(tmp_path, ["school"])
    html, captions = _captions(report)
    assert "by sex" not in html.lower()
    assert not any("_school" in n for n in pd.read_excel(report.tables, sheet_name=None))
    assert any(c.endswith("Sentence completion: pairwise differences by school") for c in captions)
    assert any(c.endswith("Bases by school") for c in captions)


def test_the_ipa_map_names_no_quadrant_when_the_model_finds_no_driver(survey, holzinger):
    # MASS: the table and the text gave no quadrant advice on an R² of 0.012 (F test p > 0.5), but
    # the map still printed "Concentrate here" / "Keep up the good work" in its corners
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cxresearch.drivers import QUADRANTS

    def corner_texts(ax):
        return {t.get_text() for t in ax.texts}

    names = {q: QUADRANTS[q]["en"] for q in QUADRANTS}
    res, ipa = _drivers(survey, "Pulse", SURVEY_DRIVERS)
    _, p = model_f_test(res.r2, n=res.n_eff, k=len(res.drivers))
    for lang in ("en", "zh"):
        ax = cx.viz.drivers.importance_performance(ipa, model=res, lang=lang)
        texts = corner_texts(ax)
        assert not texts & {QUADRANTS[q][lang] for q in QUADRANTS}
        assert not texts & set(ipa["quadrant_label"])
        data = cx.viz.style.chart_data(ax.figure)
        assert len(data["columns"]) == 3 and data["notes"]
        assert cx.tables.p_eq(p) in data["notes"][0]
        plt.close(ax.figure)
    assert "no more than chance" in data["notes"][0] or "随机" in data["notes"][0]
    # without the model, or with one whose F test rejects (Holzinger), the corners are named
    ax = cx.viz.drivers.importance_performance(ipa, lang="en")
    assert set(names.values()) <= corner_texts(ax)
    plt.close(ax.figure)
    res, ipa = _drivers(holzinger, "x5", HS_DRIVERS)
    ax = cx.viz.drivers.importance_performance(ipa, model=res, lang="en")
    assert set(names.values()) <= corner_texts(ax)
    assert len(cx.viz.style.chart_data(ax.figure)["columns"]) == 4
    plt.close(ax.figure)


def test_segment_exhibits_one_block_per_variable_at_the_design_alpha(holzinger):
    out = cx.tables.segment_exhibits(
        holzinger,
        by=["sex", "school"],
        score="x5",
        label="Sentence completion",
        name="satisfaction",
        lang="en",
        design={"alpha": 0.01},
    )
    kinds = [type(x).__name__ for x in out]
    assert kinds == ["Text", "Table", "Text", "Text", "Table", "Table"]
    sex_table, school_table = out[1], out[4]
    assert sex_table.title == "Sentence completion by sex"
    assert school_table.title == "Sentence completion by school"
    assert out[5].title == "Sentence completion: pairwise differences by school"
    means = holzinger.groupby("school")["x5"].mean()
    got = dict(zip(school_table.data["school"], school_table.data["estimate"], strict=True))
    assert got == pytest.approx(means.to_dict(), rel=1e-12)
    assert "(α = 0.01)" in str(out[3]) and "α = 0.01" in str(out[2])
    # a 99% interval (alpha = 0.01) is wider than the 95% one
    narrow = cx.survey.mean(holzinger, score="x5", by="school")
    assert (school_table.data["ci_upper"] > narrow["ci_upper"]).all()
    assert (
        len(
            cx.tables.segment_exhibits(holzinger, by=[], score="x5", label="x", name="s", lang="en")
        )
        == 0
    )
    with pytest.raises(cx.errors.CXValueError, match="statistic must be one of"):
        cx.tables.segment_exhibits(
            holzinger, by=["sex"], score="x5", label="x", name="s", lang="en", statistic="median"
        )
