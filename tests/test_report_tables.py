"""Presentation helpers: number formats, escaped tables and text, raw numbers for Excel, narrative
numbers taken from the result frames, report charts, and the notebook merge (no code, no streams)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxresearch import (
    synth,  # noqa: E402
    tables,  # noqa: E402
)
from cxresearch.codebook import load  # noqa: E402
from cxresearch.errors import CXValueError  # noqa: E402
from cxresearch.report import render  # noqa: E402
from cxresearch.viz import charts  # noqa: E402


def test_number_formats():
    assert tables.fmt_pct(0.4234) == "42%" and tables.fmt_pct(0.4234, 1) == "42.3%"
    assert tables.fmt_num(1234.567, 1) == "1,234.6" and tables.fmt_int(1234.5) == "1,234"
    assert tables.fmt_p(0.0004) == "<0.001" and tables.fmt_p(0.0456) == "0.046"
    assert tables.p_eq(0.0004) == "p < 0.001" and tables.p_eq(0.2) == "p = 0.200"
    assert tables.fmt(np.nan, "num2") == "–" and tables.fmt(None, "pct0") == "–"
    assert tables.fmt(-0.5, "signed2") == "-0.50" and tables.fmt(0.5, "signed2") == "+0.50"
    with pytest.raises(CXValueError, match="column format must be one of .*got 'money'"):
        tables.fmt(1, "money")
    with pytest.raises(CXValueError, match="lang must be one of 'zh', 'en'; got 'de'"):
        tables.word("base", "de")


def test_table_escapes_text_and_keeps_raw_numbers():
    frame = pd.DataFrame(
        {"name": ["<b>x</b>", "A & B"], "n": [12, 40], "share": [0.25, 0.5], "low": [True, False]}
    )
    t = tables.table(
        frame,
        title="T <i>",
        name="tab",
        columns=["name", "n", "share"],
        formats={"share": "pct0"},
        flags={"n": "low"},
        base="Base: n = 52",
    )
    html = t.to_html()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "A &amp; B" in html and "T &lt;i&gt;" in html
    assert "<b>" not in html and "<i>" not in html
    assert '<td class="cx-flag">12</td>' in html and "25%" in html
    payload = t._repr_mimebundle_()[tables.TABLE_MIME]
    assert payload["rows"] == [["<b>x</b>", 12, 0.25], ["A & B", 40, 0.5]]
    assert payload["formats"] == ["text", "int", "pct0"]
    assert frame.shape == (2, 4)  # caller's frame untouched
    with pytest.raises(CXValueError, match="column 'nope' is not in the data"):
        tables.table(frame, title="x", name="x", columns=["nope"])


def test_text_and_verbatims_escape_markup():
    t = tables.text("**bold** <script>alert(1)</script>")
    assert t._repr_html_() == "<p><strong>bold</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    v = tables.verbatims(['<img src=x onerror="alert(1)">'], sources=["Beijing"])
    html = v._repr_html_()
    assert "<img" not in html and "&lt;img" in html
    with pytest.raises(CXValueError, match="one entry per quote"):
        tables.verbatims(["a", "b"], sources=["x"])


def _trend():
    return pd.DataFrame(
        {
            "wave": [2023, 2024, 2025],
            "score": "recommend",
            "n": [500.0, 510.0, 520.0],
            "n_eff": [480.0, 490.0, 500.0],
            "estimate": [-20.0, -25.0, -18.3456],
            "ci_lower": [-25.0, -30.0, -23.11],
            "ci_upper": [-15.0, -20.0, -13.58],
            "change": [np.nan, -5.0, 6.6544],
            "change_p_value": [np.nan, 0.2, 0.012],
            "small_base": False,
            "suppressed": False,
        }
    )


def test_say_trend_numbers_come_from_the_frame():
    tr = _trend()
    en = str(tables.say_trend(tr, label="NPS", wave=2025, lang="en", kind="nps"))
    assert "-18.3" in en and "-23.1 to -13.6" in en and "n = 520" in en
    assert "up 6.7 on 2024" in en and "statistically significant" in en and "p = 0.012" in en
    zh = str(tables.say_trend(tr, label="NPS", wave=2025, lang="zh", kind="nps", alpha=0.01))
    assert "上升 6.7" in zh and "不显著" in zh and "99%" in zh
    tr.loc[2, "estimate"] = np.nan
    assert "too small" in str(tables.say_trend(tr, label="NPS", wave=2025, lang="en", kind="nps"))
    with pytest.raises(CXValueError, match="wave 2030 not in the trend"):
        tables.say_trend(_trend(), label="NPS", wave=2030, lang="en")


def test_estimates_table_flags_and_suppression_notes():
    frame = pd.DataFrame(
        {
            "branch": [1, 2],
            "score": "overall_sat",
            "n": [12.0, 3.0],
            "n_eff": [11.0, 3.0],
            "estimate": [7.1, np.nan],
            "ci_lower": [6.5, np.nan],
            "ci_upper": [7.7, np.nan],
            "small_base": [True, True],
            "suppressed": [False, True],
        }
    )
    t = tables.estimates(frame, title="Sat", name="sat", lang="en", min_base=30)
    html = t.to_html()
    assert "reporting minimum of 30" in html and "suppressed" in html
    assert t.to_payload()["rows"][1][1] is None  # suppressed estimate is empty in Excel, not 0


def test_say_segments_label_reads_mid_sentence():
    res = pd.DataFrame(
        {
            "branch": [1, 2],
            "score": "overall_sat",
            "n": [64.0, 53.0],
            "n_eff": [63.9, 53.0],
            "estimate": [7.67, 6.85],
            "ci_lower": [7.25, 6.40],
            "ci_upper": [8.10, 7.29],
        }
    )
    en = str(tables.say_segments(res, label="Overall satisfaction", lang="en"))
    assert en.startswith("By branch, **overall satisfaction** is highest in 1 (7.67)"), en
    assert "**NPS** is highest" in str(tables.say_segments(res, label="NPS", lang="en"))
    zh = str(tables.say_segments(res, label="总体满意度", lang="zh"))
    assert "**总体满意度**最高的是1（7.67），最低的是2（6.85）" in zh, zh


def test_one_pair_is_said_as_one_pair_and_zero_has_no_sign():
    """Two segments make one comparison: "the difference between the two is (not) significant",
    not "Of 1 pairwise comparisons"; a value that rounds to zero prints without a minus."""
    res = pd.DataFrame(
        {
            "branch": [1, 2],
            "score": "overall_sat",
            "n": [64.0, 53.0],
            "n_eff": [63.9, 53.0],
            "estimate": [7.67, 6.85],
            "ci_lower": [7.25, 6.40],
            "ci_upper": [8.10, 7.29],
        }
    )
    for p, en_word, zh_word in (
        (0.01, "is significant", "差异显著"),
        (0.4, "is not", "差异不显著"),
    ):
        diff = pd.DataFrame({"p_adj": [p]})
        en = str(tables.say_segments(res, label="NPS", lang="en", differences=diff))
        zh = str(tables.say_segments(res, label="NPS", lang="zh", differences=diff))
        assert f"The difference between the two {en_word}" in en and "comparisons" not in en
        assert zh_word in zh
    three = pd.DataFrame({"p_adj": [0.01, 0.4, 0.6]})
    assert "Of 3 pairwise comparisons, 1 remain" in str(
        tables.say_segments(res, label="NPS", lang="en", differences=three)
    )
    assert [tables.fmt(-0.004, k) for k in ("num1", "num0", "pct0", "signed2")] == [
        "0.0",
        "0",
        "0%",
        "+0.00",
    ]
    assert tables.fmt_num(-1.26, 1) == "-1.3"


def test_differences_only_significant_says_so_when_none():
    diff = pd.DataFrame(
        {
            "by": "branch",
            "level_a": [1],
            "level_b": [2],
            "estimate_a": [7.0],
            "estimate_b": [7.2],
            "estimate": [0.2],
            "p_value": [0.3],
            "p_adj": [0.6],
        }
    )
    out = tables.differences(diff, name="d", lang="en", only_significant=True)
    assert isinstance(out, tables.Text) and "No pairwise difference" in str(out)
    full = tables.differences(diff, name="d", lang="en")
    assert isinstance(full, tables.Table) and full.to_payload()["rows"][0][-1] == "no"


def test_charts_draw_and_check_columns():
    import warnings

    import matplotlib.pyplot as plt

    from cxresearch.viz import style

    style.apply()
    ax = charts.trend(_trend(), lang="en", ylabel="NPS")
    assert len(ax.lines) == 1 and [t.get_text() for t in ax.get_xticklabels()] == [
        "2023",
        "2024",
        "2025",
    ]
    seg = pd.DataFrame(
        {
            "branch": [1, 2],
            "estimate": [7.0, 6.0],
            "ci_lower": [6.5, 5.0],
            "ci_upper": [7.5, 7.0],
            "n": [100, 10],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax2 = charts.segment_bars(
            seg,
            category="branch",
            lang="zh",
            xlabel="满意度",
            labels={1: "北京", 2: "上海"},
            min_base=30,
        )
        ax2.figure.canvas.draw()
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert [t.get_text() for t in ax2.get_yticklabels()] == ["北京", "上海"]
    assert ax2.patches[1].get_hatch() == "//"
    with pytest.raises(CXValueError, match="lacks column"):
        charts.trend(seg, lang="en", ylabel="x")
    plt.close("all")


def _nb(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nb


def test_combine_keeps_only_client_content():
    md_en = nbformat.v4.new_markdown_cell("# Chapter\n\n## Section A")
    md_en.metadata["tags"] = ["lang-en"]
    md_zh = nbformat.v4.new_markdown_cell("# 章节")
    md_zh.metadata["tags"] = ["lang-zh"]
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    code = nbformat.v4.new_code_cell("secret_code()")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="noise"),
        nbformat.v4.new_output(
            "stream", name="stderr", text="CXWARNING\tSmallBaseWarning: survey.mean: tiny\n"
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>kept</p>", "text/plain": "kept"}
        ),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Axes>"}, execution_count=3),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"}),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["tb"]),
    ]
    combined = render.combine([_nb([md_en, md_zh, params, code])], lang="en")
    cells = combined.notebook.cells
    text = str(cells)
    assert (
        "noise" not in text and "alert(1)" not in text and "tb" not in text and "<Axes>" not in text
    )
    assert (
        "# 1 Chapter" in text
        and "## 1.1 Section A" in text
        and "章节" not in text
        and "secret_code" not in text
    )
    assert combined.toc == [
        {
            "id": "chapter-1",
            "number": "1",
            "title": "Chapter",
            "sections": [{"id": "s1-1", "number": "1.1", "title": "Section A"}],
        }
    ]
    assert combined.warnings == ["SmallBaseWarning: survey.mean: tiny"]
    assert render.note_text(combined.warnings[0], "en") == "Small base — tiny"
    raw = (
        "SmallBaseWarning: survey.nps: 2 estimate(s) rest on fewer than 30 respondents (flagged small_base); "
        "1 under 5 suppressed"
    )
    assert (
        render.note_text(raw, "zh")
        == "小样本 — 2 个估计值的样本量低于报告下限 30（表中已标红），其中 1 个低于匿名下限 5（已隐藏）。"
    )
    assert render.note_text(raw, "en").startswith(
        "Small base — 2 estimate(s) rest on fewer than 30"
    )


def test_xlsx_sheet_names_are_valid_and_unique(tmp_path):
    from openpyxl import load_workbook

    payload = {
        "name": "a/b:c*d?[e]" + "x" * 40,
        "title": "T",
        "columns": ["c"],
        "formats": ["int"],
        "rows": [[1]],
    }
    render.write_xlsx([payload, dict(payload)], tmp_path / "t.xlsx", lang="en")
    names = load_workbook(tmp_path / "t.xlsx").sheetnames
    assert len(names) == 3 and len(set(n.lower() for n in names)) == 3
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


# -- alert back-test: cx.alerts.backtest -> say_backtest / backtest_table ---------------------


def _backtest(alpha: float = 0.05):
    """A real back-test on a simulated panel: ``low_sat`` predicts churn, ``coin`` is noise."""
    from cxresearch import alerts

    rng = np.random.default_rng(7)
    rows, crm = [], []
    for w in (2021, 2022, 2023, 2024):
        n = 600
        sat = np.clip(np.rint(rng.normal(7, 2, n)), 0, 10)
        churn = rng.random(n) < 1 / (1 + np.exp(2.5 + 0.45 * (sat - 7)))
        ids = [f"C{i:04d}" for i in range(n)]
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": ids,
                    "wave": w,
                    "branch": 1,
                    "overall_sat": sat,
                    "noise": rng.integers(0, 11, n).astype(float),
                }
            )
        )
        crm.append(pd.DataFrame({"customer_id": ids, "year": w, "churned": churn}))
    rules = [
        {"name": "low_sat", "kind": "low_score", "owner": "service", "below": 5},
        {"name": "coin", "kind": "low_score", "owner": "service", "score": "noise", "below": 3},
    ]
    return alerts.backtest(
        pd.concat(rows, ignore_index=True),
        pd.concat(crm, ignore_index=True),
        rules=rules,
        alpha=alpha,
    )


def _pooled(bt):
    return bt.frame[bt.frame["wave"] == "all"].set_index("rule")


def _ci(row):
    return f"{tables.fmt_num(row['lift_ci_lower'], 2)}–{tables.fmt_num(row['lift_ci_upper'], 2)}"


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_say_backtest_numbers_come_from_the_result(alpha):
    bt = _backtest(alpha)
    f = _pooled(bt)
    low, coin, any_ = f.loc["low_sat"], f.loc["coin"], f.loc["any"]
    # the simulated truth: the low-score rule predicts churn, the coin does not
    assert low["lift_ci_lower"] > 1 and coin["lift_ci_lower"] < 1 < coin["lift_ci_upper"]
    conf = "95%" if alpha == 0.05 else "99%"
    numbers = [
        tables.fmt_int(any_["n"]),
        tables.fmt_pct(any_["base_rate"], 1),
        tables.fmt_num(any_["lift"], 2),
        _ci(any_),
        tables.fmt_pct(any_["recall"], 1),
        tables.fmt_num(low["lift"], 2),
        _ci(low),
        tables.fmt_pct(low["precision"], 1),
    ]
    en = str(tables.say_backtest(bt, lang="en"))
    zh = str(tables.say_backtest(bt, lang="zh"))
    for s in (en, zh):
        for x in numbers:
            assert x in s, (x, s)
        assert f"{conf} " in s and ("99%" if alpha == 0.05 else "95%") not in s
        assert (
            tables.fmt_num(coin["lift"], 2) not in s
        )  # the noise rule is named, its lift not claimed
        assert "C0" not in s  # no customer ids
    assert bt.waves == (2021, 2022, 2023)  # the latest wave (2024) is the one being listed
    assert "3 earlier waves (2021–2023" in en and "2021–2023 年共 3 期" in zh
    assert "'Very low satisfaction'" in en and "the alerts do pick out customers at risk" in en
    assert "'noise below 3' the lift interval includes 1" in en
    assert "no clear evidence that this rule predicts churn" in en
    assert (
        "“满意度很低”" in zh
        and "“noise低于3”的提升度置信区间包含 1" in zh
        and "表明该规则能预测流失" in zh
    )
    assert tables.say_backtest(bt, lang="en")._repr_html_().count("<strong>") == 2


def test_backtest_table_one_row_per_rule_in_zh_and_en():
    bt = _backtest()
    f = _pooled(bt)
    for lang, any_label, low_label, coin_label in (
        ("en", "Any rule", "Very low satisfaction: overall_sat below 5", "noise below 3"),
        ("zh", "任一规则", "满意度很低：overall_sat低于5", "noise低于3"),
    ):
        t = tables.backtest_table(bt, name="alert_backtest", lang=lang, min_base=30)
        payload = t.to_payload()
        assert payload["name"] == "alert_backtest" and len(payload["rows"]) == len(bt.rules) + 1
        assert [r[0] for r in payload["rows"]] == [low_label, coin_label, any_label]
        for row, rule in zip(payload["rows"], ["low_sat", "coin", "any"], strict=True):
            assert row[1:] == [int(f.loc[rule, "n_alerts"])] + [
                pytest.approx(float(f.loc[rule, c]))
                for c in ("precision", "recall", "lift", "lift_ci_lower", "lift_ci_upper")
            ]
        assert payload["formats"] == ["text", "int", "pct1", "pct1", "num2", "num2", "num2"]
        html = t.to_html()
        assert tables.fmt_pct(f.loc["any", "base_rate"], 1) in " ".join(t.notes)
        assert tables.fmt_int(f.loc["any", "n"]) in t.base
        assert "customer_id" not in html and "C0" not in html and "cx-flag" not in html
    zh = tables.backtest_table(bt, name="b", lang="zh")
    assert zh.labels["lift"] == "提升度" and "95%" in zh.notes[-1]
    flagged = tables.backtest_table(bt, name="b", lang="en", min_base=10_000)
    assert (
        flagged.to_html().count('class="cx-flag"') == len(bt.rules) + 1
        and "fewer than 10000" in flagged.notes[-1]
    )


def test_backtest_helpers_check_their_input():
    bt = _backtest()
    with pytest.raises(CXValueError, match="lang must be one of"):
        tables.say_backtest(bt, lang="de")
    with pytest.raises(CXValueError, match="lacks column"):
        tables.backtest_table(
            bt.__class__(**{**bt.__dict__, "frame": bt.frame.drop(columns="lift")}),
            name="b",
            lang="en",
        )
    per_wave = bt.__class__(**{**bt.__dict__, "frame": bt.frame[bt.frame["wave"] != "all"]})
    with pytest.raises(CXValueError, match="no pooled rows"):
        tables.say_backtest(per_wave, lang="en")


def test_result_columns_of_survey_functions_are_not_taken_for_segments():
    """A table's segment columns are the result's columns that are not statistics: every statistic
    column the survey functions return must be known (a trend's change_df printed as a segment
    column in the NPS-by-wave table before it was)."""
    from cxresearch import survey
    from cxresearch.tables._core import _by_columns

    rng = np.random.default_rng(5)
    n = 240
    df = pd.DataFrame(
        {
            "customer_id": np.tile(np.arange(120), 2),
            "wave": np.repeat([2024, 2025], 120),
            "branch": rng.choice(["a", "b"], n),
            "recommend": rng.integers(0, 11, n),
            "sat": rng.integers(1, 6, n).astype(float),
        }
    )
    assert _by_columns(
        survey.trend(df, score="recommend", statistic="nps", respondent="customer_id")
    ) == ["wave"]
    assert _by_columns(survey.trend(df, score="sat", by="branch", respondent="customer_id")) == [
        "branch",
        "wave",
    ]
    assert _by_columns(survey.mean(df, score="sat", by="branch")) == ["branch"]
    assert _by_columns(survey.nps(df, score="recommend", by=["branch", "wave"])) == [
        "branch",
        "wave",
    ]
    table = tables.estimates(
        survey.trend(df, score="recommend", statistic="nps", respondent="customer_id"),
        title="NPS",
        name="nps_trend",
        kind="nps",
        lang="en",
    )
    assert "change_df" not in table.to_html()


def test_a_codebook_dict_is_refused_not_silently_ignored():
    """``name in`` a dict looked at its top-level keys, so a codebook dict gave raw names."""
    book = synth.codebook_dict()
    with pytest.raises(CXValueError, match="codebook must be a loaded Codebook.*got dict"):
        tables.var_label("overall_sat", lang="en", codebook=book)
    with pytest.raises(CXValueError, match="loaded Codebook"):
        tables.value_label("branch", 3, lang="en", codebook=book)
    assert tables.value_label("branch", 3, lang="en", codebook=load(book)) == "Guangzhou"


def test_settings_table_shows_thresholds_as_given():
    """A cut of 4.5 is not rounded to 4 (nor 5 written 5.0); unused settings read 'Not used'."""
    import cxresearch as cx
    from cxresearch.report.params import demo_params_file

    params = cx.report.load_params(demo_params_file(), check_files=False)
    thresholds = params.thresholds.model_copy(update={"dissatisfied_cut": 4.5, "early_warning": 5})
    params = params.model_copy(update={"thresholds": thresholds})
    values = dict(
        zip(
            *cx.tables.settings_table(params, lang="en").data[["setting", "value"]].T.values,
            strict=True,
        )
    )
    assert values["Dissatisfied cut (overall satisfaction ≤)"] == "4.5"
    assert values["Early-warning threshold (overall satisfaction <)"] == "5"
    assert values["Raking"] == "Not used"


def test_driver_table_quadrants_follow_the_tables_language():
    """An importance-performance frame made with lang='en' gives a zh table zh quadrant names."""
    import cxresearch as cx

    study = synth.generate(seed=1, n_customers=300, n_waves=4)
    wave = study.responses.query("wave == 2017")
    drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    res = cx.drivers.importance(wave, outcome="overall_sat", drivers=drivers)
    ipa = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers, lang="en")
    zh = tables.driver_table(res, ipa=ipa, name="drivers", lang="zh")
    en = tables.driver_table(res, ipa=ipa, name="drivers", lang="en")
    names = {f"ipa.{q}" for q in ipa["quadrant"]}
    assert set(zh.data["quadrant_label"]) == {tables.word(k, "zh") for k in names}
    assert set(en.data["quadrant_label"]) == set(ipa["quadrant_label"])
    assert not set(zh.data["quadrant_label"]) & set(en.data["quadrant_label"])


def test_transfer_penalty_says_a_loss_only_when_its_test_supports_it():
    """A loss per transfer is said with its CI and p; a loss the test does not support is said
    not to be shown (with the same numbers), in en and zh."""
    import cxresearch as cx

    study = synth.generate(seed=1, n_customers=300, n_waves=4)
    sub = study.responses.sample(150, random_state=1)
    res = cx.loyalty.transfer_penalty(sub, outcome="repurchase", promoter="recommend")
    t = res.table.set_index("measure")
    assert t.loc["loyalty", "p_value"] < 0.05 < t.loc["promoter", "p_value"]
    en = str(tables.say_penalty(res, lang="en"))
    assert (
        f"lowers repurchase intent by **{tables.fmt_pct(t.loc['loyalty', 'estimate'], 1)}**" in en
    )
    assert "do not show the chance of being a promoter falling" in en
    assert tables.p_eq(t.loc["promoter", "p_value"]) in en and " to " in en  # CI crosses 0
    assert "falls by" not in en
    zh = str(tables.say_penalty(res, lang="zh"))
    assert "未显示成为推荐者的概率" in zh and "至" in zh


def test_hazard_table_notes_the_customer_years_left_out():
    """Runs that begin after an unanswered year are left out of the hazard (their length is
    unknown); the table says how many, and says nothing when none are."""
    import cxresearch as cx

    study = synth.generate(seed=1, n_customers=300, n_waves=4)
    panel = cx.persistence.customer_years(study.customers, study.responses, columns=["overall_sat"])
    kw = dict(id="customer_id", time="year", score="overall_sat", churn="churned", cut=6)
    res = cx.persistence.churn_hazard(panel, **kw)
    assert res.n_incomplete > 0
    notes = tables.hazard_table(res, name="x", lang="en").notes
    assert any(n.startswith(f"{res.n_incomplete:,} customer-years are left out") for n in notes)
    counted = cx.persistence.churn_hazard(panel, incomplete_runs="count", **kw)
    assert counted.n_incomplete == 0
    assert len(tables.hazard_table(counted, name="x", lang="en").notes) == 1
