"""Banner tables (cxresearch.report.tabs): letters against R, Total against numpy, the workbook.

References
----------
``tests/reference/tabs/tabs_fair.json`` — R 4.2.2, survey 4.1-1, made by
``tests/reference/tabs/make_tabs.R`` on ``fair_tabs.csv`` (``make_fair_tabs.py``: every 8th row of
statsmodels' ``fair`` data, illustrative weights, 20 blanked answers)::

    des <- svydesign(ids = ~1, weights = ~weight, data = d)
    by  <- svyby(~y, ~religious, subset(des, !is.na(y)), svymean, covmat = TRUE)
    svycontrast(by, e_a - e_b); p <- 2 * pt(-abs(t), degf(des) - 1); p.adjust(p, "holm")
    svyttest(y ~ factor(religious), subset(des, religious %in% 1:2))   # first pair, same t

Tolerances: estimates, t statistics and Holm p relative 1e-6 (they agree to ~1e-12); letters
exactly. R gives p on both df conventions (the whole design's, and each pair's subset as svyttest);
the test follows the one the crosstab reports.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cxresearch.errors import CXValueError
from cxresearch.report import _tabs_xlsx, tabs

REF = Path(__file__).parent / "reference" / "tabs"

FAIR_CODEBOOK = {
    "variables": [
        {"name": "id", "kind": "id", "role": "id"},
        {
            "name": "rate_marriage",
            "label": {"zh": "婚姻评价", "en": "Rating of marriage"},
            "kind": "likert",
            "min": 1,
            "max": 5,
            "values": {1: {"en": "Very poor"}, 5: {"en": "Very good"}},
        },
        {
            "name": "religious",
            "label": {"en": "Religiousness"},
            "kind": "category",
            "role": "segment",
            "values": {
                1: {"en": "Not"},
                2: {"en": "Mildly"},
                3: {"en": "Fairly"},
                4: {"en": "Strongly"},
            },
        },
        {
            "name": "occupation",
            "label": {"en": "Occupation"},
            "kind": "category",
            "values": {k: {"en": f"Occupation {k}"} for k in range(1, 7)},
        },
        {"name": "kids", "label": {"en": "Has children"}, "kind": "binary", "role": "segment"},
        {"name": "weight", "kind": "weight", "role": "weight"},
    ]
}


@pytest.fixture(scope="module")
def fair():
    return pd.read_csv(REF / "fair_tabs.csv")


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "tabs_fair.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fair_book(fair):
    return tabs.build_tabs(
        fair,
        codebook=FAIR_CODEBOOK,
        banners=["religious", "kids"],
        weights="weight",
        questions=["rate_marriage", "occupation"],
        lang="en",
        alpha=(0.01, 0.05),
        correction="holm",
        min_base=30,
        anonymity_min=5,
    )


def _cell(sheet, row, banner, column):
    c = sheet.cells
    hit = c[(c["row"] == row) & (c["banner"] == banner) & (c["column"] == column)]
    assert len(hit) == 1, (row, banner, column)
    return hit.iloc[0]


# -- statistics --------------------------------------------------------------------------------


def test_letters_estimates_and_tests_equal_r_survey(fair_book, ref):
    assert ref["alpha"] == [0.01, 0.05] and ref["correction"] == "holm"
    assert len(ref["cases"]) == 28
    for case in ref["cases"]:
        question, row = case["row"].split("|")
        sheet = fair_book.sheet(question)
        b = case["banner"]
        for level, est in zip(case["levels"], case["estimate"], strict=True):
            cell = _cell(sheet, row, b, level)
            assert cell["estimate"] == pytest.approx(est, rel=1e-6), (case["row"], b, level)
        tests = sheet.tests[(sheet.tests["row"] == row) & (sheet.tests["banner"] == b)]
        assert len(tests) == len(case["pairs"])
        # the crosstab's df convention: the whole design's (degf(des) - 1) or each pair's subset
        # (svyttest); R gives p, Holm p and letters for both
        whole = bool((tests["df"] == case["df"]).all())
        expected = case["letters"] if whole else case["letters_sub"]
        for level, letters in zip(case["levels"], expected, strict=True):
            assert _cell(sheet, row, b, level)["letters"] == letters, (case["row"], b, level)
        for pair in case["pairs"]:
            t = tests[(tests["column_a"] == pair["a"]) & (tests["column_b"] == pair["b"])].iloc[0]
            assert t["statistic"] == pytest.approx(pair["t"], rel=1e-6)
            if whole:
                assert t["p_adj"] == pytest.approx(pair["p_holm"], rel=1e-6)
            else:
                assert t["df"] == pair["df_sub"]
                assert t["p_adj"] == pytest.approx(pair["p_sub_holm"], rel=1e-6)
        first = case["svyttest_first_pair"]
        t0 = tests.iloc[0]
        assert abs(t0["statistic"]) == pytest.approx(abs(first["t"]), rel=1e-6)


def test_reference_letters_exercise_both_levels(ref):
    """The reference has upper- and lower-case letters, and no corrected p within 2% of a level."""
    seen = set()
    for case in ref["cases"]:
        for pair in case["pairs"]:
            for level in (0.01, 0.05):
                for key in ("p_holm", "p_sub_holm"):
                    assert not 0.98 * level < pair[key] < 1.02 * level, (case["row"], pair)
        seen.update(ch for s in case["letters"] for ch in s)
    assert seen & set("ABCDEF") and seen & set("abcdef"), "the reference exercises both levels"


def _kish(w):
    return w.sum() ** 2 / (w**2).sum()


def test_total_column_equals_numpy_weighted_estimates(fair_book, fair, ref):
    w_all = fair["weight"].to_numpy(float)
    rm = fair["rate_marriage"].to_numpy(float)
    ok = ~np.isnan(rm)
    w = w_all[ok]
    sheet = fair_book.sheet("rate_marriage")
    for code in range(1, 6):
        expect = np.sum(w * (rm[ok] == code)) / w.sum()
        assert _cell(sheet, f"code:{code}", "Total", "Total")["estimate"] == pytest.approx(
            expect, rel=1e-12
        )
    assert _cell(sheet, "top2", "Total", "Total")["estimate"] == pytest.approx(
        np.sum(w * (rm[ok] >= 4)) / w.sum(), rel=1e-12
    )
    assert _cell(sheet, "bottom2", "Total", "Total")["estimate"] == pytest.approx(
        np.sum(w * (rm[ok] <= 2)) / w.sum(), rel=1e-12
    )
    mean = np.sum(w * rm[ok]) / w.sum()
    assert _cell(sheet, "mean", "Total", "Total")["estimate"] == pytest.approx(mean, rel=1e-12)
    ne = _kish(w)
    sd = np.sqrt(np.sum(w * (rm[ok] - mean) ** 2) / w.sum() * ne / (ne - 1))
    assert _cell(sheet, "sd", "Total", "Total")["estimate"] == pytest.approx(sd, rel=1e-12)
    assert _cell(sheet, "base", "Total", "Total")["estimate"] == ok.sum() == 776
    assert _cell(sheet, "eff_base", "Total", "Total")["estimate"] == pytest.approx(ne, rel=1e-12)
    # and R's svymean of the same rows
    totals = {c["row"]: c["total"] for c in ref["cases"]}
    assert _cell(sheet, "mean", "Total", "Total")["estimate"] == pytest.approx(
        totals["rate_marriage|mean"], rel=1e-9
    )
    occ = fair_book.sheet("occupation")
    x = fair["occupation"].to_numpy(float)
    for code in range(1, 7):
        assert _cell(occ, f"code:{code}", "Total", "Total")["estimate"] == pytest.approx(
            np.sum(w_all * (x == code)) / w_all.sum(), rel=1e-12
        )
    # banner columns: the weighted share inside the column
    for lv in (1, 2, 3, 4):
        m = ok & (fair["religious"].to_numpy() == lv)
        assert _cell(sheet, "top2", "religious", lv)["estimate"] == pytest.approx(
            np.sum(w_all[m] * (rm[m] >= 4)) / w_all[m].sum(), rel=1e-12
        )
        assert _cell(sheet, "base", "religious", lv)["estimate"] == m.sum()


def test_columns_letters_run_across_banners(fair_book):
    cols = fair_book.columns
    assert list(cols["letter"]) == ["", "A", "B", "C", "D", "E", "F"]
    assert list(cols["column_label"][:5]) == ["Total", "Not", "Mildly", "Fairly", "Strongly"]
    assert list(cols["column_label"][5:]) == ["No", "Yes"]  # binary banner without labels


def _frame(n, seed=0, **cols):
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({"seg": rng.integers(1, 4, n), "w": rng.uniform(0.5, 2.0, n)})
    for name, (lo, hi) in cols.items():
        out[name] = rng.integers(lo, hi + 1, n).astype(float)
    return out


def _book(scales):
    variables = [
        {
            "name": "seg",
            "kind": "category",
            "role": "segment",
            "values": {1: {"zh": "甲", "en": "A seg"}, 2: {"en": "B seg"}, 3: {"en": "C seg"}},
        },
        {"name": "w", "kind": "weight", "role": "weight"},
    ]
    variables += scales
    return {"variables": variables}


def test_scales_nets_follow_each_items_scale_and_nps():
    data = _frame(400, s7=(1, 7), s10=(1, 10), r11=(0, 10), rec=(0, 10), cat=(1, 3))
    cb = _book(
        [
            {"name": "s7", "kind": "likert", "min": 1, "max": 7},
            {"name": "s10", "kind": "rating", "min": 1, "max": 10},
            {"name": "r11", "kind": "rating", "min": 0, "max": 10},
            {"name": "rec", "kind": "nps"},
            {
                "name": "cat",
                "kind": "category",
                "values": {1: {"en": "x"}, 2: {"en": "y"}, 3: {"en": "z"}, 4: {"en": "never"}},
            },
        ]
    )
    book = tabs.build_tabs(data, codebook=cb, banners=["seg"], weights=None)
    rows = {s.name: list(dict.fromkeys(s.cells["row"])) for s in book.sheets}
    assert [s.name for s in book.sheets] == ["s7", "s10", "r11", "rec", "cat"]
    assert rows["s7"] == ["base", "eff_base"] + [f"code:{k}" for k in range(1, 8)] + [
        "top2",
        "bottom2",
        "mean",
        "sd",
    ]
    labels = dict(
        zip(book.sheet("s7").cells["row"], book.sheet("s7").cells["row_label"], strict=True)
    )
    assert labels["top2"] == "Top-2 box (6–7)" and labels["bottom2"] == "Bottom-2 box (1–2)"
    labels = dict(
        zip(book.sheet("s10").cells["row"], book.sheet("s10").cells["row_label"], strict=True)
    )
    assert labels["top2"] == "Top-2 box (9–10)" and labels["bottom2"] == "Bottom-2 box (1–2)"
    labels = dict(
        zip(book.sheet("r11").cells["row"], book.sheet("r11").cells["row_label"], strict=True)
    )
    assert labels["top2"] == "Top-2 box (9–10)" and labels["bottom2"] == "Bottom-2 box (0–1)"
    assert rows["rec"][-6:] == ["promoters", "passives", "detractors", "nps", "mean", "sd"]
    assert "top2" not in rows["rec"]
    assert rows["cat"] == [
        "base",
        "eff_base",
        "code:1",
        "code:2",
        "code:3",
        "code:4",
    ]  # no mean for categories
    rec = data["rec"].to_numpy()
    nps = 100 * (np.mean(rec >= 9) - np.mean(rec <= 6))
    assert _cell(book.sheet("rec"), "nps", "Total", "Total")["estimate"] == pytest.approx(
        nps, rel=1e-12
    )
    assert (
        _cell(book.sheet("cat"), "code:4", "Total", "Total")["estimate"] == 0.0
    )  # empty category shown
    # unweighted: the effective base is the base
    s7 = book.sheet("s7")
    assert _cell(s7, "eff_base", "seg", 2)["estimate"] == pytest.approx(
        _cell(s7, "base", "seg", 2)["estimate"]
    )
    s7_top = np.mean(data["s7"].to_numpy() >= 6)
    assert _cell(s7, "top2", "Total", "Total")["estimate"] == pytest.approx(s7_top, rel=1e-12)


def test_multi_response_set_shares_of_respondents_who_saw_it():
    rng = np.random.default_rng(3)
    n = 300
    data = _frame(n, seed=3)
    opts = rng.random((n, 3)) < [0.6, 0.3, 0.1]
    frame = data.assign(
        o1=opts[:, 0].astype(float), o2=opts[:, 1].astype(float), o3=opts[:, 2].astype(float)
    )
    frame.loc[:39, ["o1", "o2", "o3"]] = np.nan  # not shown the set
    frame.loc[40:44, "o3"] = np.nan  # partial answers: out of the base
    cb = _book(
        [
            {"name": f"o{k}", "label": {"en": f"Option {k}", "zh": f"选项{k}"}, "kind": "binary"}
            for k in (1, 2, 3)
        ]
    )
    cb["multi_response"] = [
        {
            "name": "channels",
            "label": {"en": "Channels used", "zh": "使用渠道"},
            "options": ["o1", "o2", "o3"],
        }
    ]
    book = tabs.build_tabs(frame, codebook=cb, banners=["seg"], weights="w")
    assert [s.name for s in book.sheets] == ["channels"]
    sheet = book.sheet("channels")
    assert sheet.kind == "multi_response" and sheet.title == "Channels used"
    base = frame[["o1", "o2", "o3"]].notna().all(axis=1).to_numpy()
    w = frame["w"].to_numpy()[base]
    assert _cell(sheet, "base", "Total", "Total")["estimate"] == base.sum() == n - 45
    for k in (1, 2, 3):
        y = frame[f"o{k}"].to_numpy()[base]
        assert _cell(sheet, f"option:o{k}", "Total", "Total")["estimate"] == pytest.approx(
            np.sum(w * y) / w.sum(), rel=1e-12
        )
    anyx = (frame[["o1", "o2", "o3"]].to_numpy()[base] > 0).any(axis=1)
    assert _cell(sheet, "any", "Total", "Total")["estimate"] == pytest.approx(
        np.sum(w * anyx) / w.sum()
    )
    # the same shares as cx.io.multi_response_shares (the data floor's definition of the base)
    from cxresearch.io import multi_response_shares

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shares = multi_response_shares(frame, cb, "channels", weights="w")
    for k, est in zip((1, 2, 3), shares["estimate"], strict=True):
        assert _cell(sheet, f"option:o{k}", "Total", "Total")["estimate"] == pytest.approx(
            est, rel=1e-12
        )
    assert any("5 respondent" in note for note in sheet.notes)


def test_no_banner_gives_total_only_with_a_note(tmp_path):
    data = _frame(120, s5=(1, 5))
    book = tabs.build_tabs(
        data,
        codebook=_book([{"name": "s5", "kind": "likert", "min": 1, "max": 5}]),
        banners=[],
        weights="w",
        lang="zh",
    )
    assert list(book.columns["banner"]) == ["Total"]
    assert set(book.sheet("s5").cells["banner"]) == {"Total"}
    assert any("只列出总计" in n for n in book.notes)
    path = tabs.write_tabs(book, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "目录",
        "01 seg",
        "02 s5",
    ]  # without banners, segments are questions too
    ws = wb["02 s5"]
    assert ws.cell(5, 2).value == "总计" and ws.cell(5, 3).value is None
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any(
        "只列出总计" in t for t in [c.value for c in wb["目录"]["A"] if isinstance(c.value, str)]
    )
    assert not any(t.startswith("显著性字母") for t in texts)  # no letters without a banner


def test_small_bases_flagged_and_anonymity_minimum_suppressed(tmp_path):
    data = _frame(200, s5=(1, 5))
    data.loc[:, "seg"] = 1
    data.loc[:2, "seg"] = 3  # 3 respondents: suppressed (< 5)
    data.loc[3:22, "seg"] = 2  # 20 respondents: flagged (< 30), not tested
    cb = _book([{"name": "s5", "kind": "likert", "min": 1, "max": 5}])
    book = tabs.build_tabs(
        data, codebook=cb, banners=["seg"], weights="w", min_base=30, anonymity_min=5
    )
    sheet = book.sheet("s5")
    c = sheet.cells
    tiny = c[c["column"] == 3]
    assert tiny["suppressed"].all()
    assert tiny.loc[tiny["row_type"] != "base", "estimate"].isna().all()
    assert (tiny["letters"] == "").all()
    small = c[(c["column"] == 2) & (c["row_type"] != "base")]
    assert small["small_base"].all() and not small["suppressed"].any() and not small["tested"].any()
    assert sheet.tests.empty or not (
        {2, 3} & (set(sheet.tests["column_a"]) | set(sheet.tests["column_b"]))
    )
    path = tabs.write_tabs(book, tmp_path / "s.xlsx")
    ws = load_workbook(path)["01 s5"]
    header = [ws.cell(5, j).value for j in range(1, 6)]
    assert header == [None, "Total", "A seg", "B seg", "C seg"]
    values = {}
    for r in range(7, ws.max_row + 1):
        if ws.cell(r, 1).value:
            values[ws.cell(r, 1).value] = [ws.cell(r, j) for j in range(2, 6)]
    assert values["Base (unweighted)"][3].value == 3  # the base itself is shown
    for label in ("1", "5", "Top-2 box (4–5)", "Mean", "Effective base"):
        assert values[label][3].value == "–", label  # suppressed
        assert isinstance(values[label][2].value, float) and values[label][
            2
        ].number_format.endswith('"*"')
        assert not values[label][1].number_format.endswith('"*"')


# -- the workbook --------------------------------------------------------------------------------


def test_workbook_contents_links_titles_and_numbers(fair_book, fair, tmp_path):
    path = tabs.write_tabs(fair_book, tmp_path / "out" / "tabs.en.xlsx")
    assert path.is_file() and not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    wb = load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "Contents" and len(names) == 3
    assert len({n.lower() for n in names}) == len(names)
    contents = wb["Contents"]
    targets = []
    for row in contents.iter_rows():
        for cell in row:
            if cell.hyperlink is not None:
                assert cell.hyperlink.target is None  # an in-workbook location, not a file/URL
                m = re.fullmatch(r"'(.+)'!A1", cell.hyperlink.location or "")
                assert m, cell.hyperlink
                targets.append(m.group(1).replace("''", "'"))
    assert set(targets) == set(names[1:])
    for name in names[1:]:
        ws = wb[name]
        backs = [c for row in ws.iter_rows(max_row=1) for c in row if c.hyperlink is not None]
        assert backs and all(b.hyperlink.location == "'Contents'!A1" for b in backs)
        notes = [c.value for c in ws["A"] if isinstance(c.value, str)]
        assert any("Holm correction" in n and "p < 0.01" in n and "p < 0.05" in n for n in notes)
    ws = wb["01 rate_marriage"]
    assert ws.cell(1, 1).value == "Rating of marriage"
    assert [ws.cell(6, j).value for j in range(2, 9)] == [
        None,
        "(A)",
        "(B)",
        "(C)",
        "(D)",
        "(E)",
        "(F)",
    ]
    rows = {ws.cell(r, 1).value: r for r in range(7, ws.max_row + 1) if ws.cell(r, 1).value}
    sheet = fair_book.sheet("rate_marriage")
    keys = list(fair_book.columns.itertuples(index=False))
    for key, label in (
        ("code:1", "1 Very poor"),
        ("code:5", "5 Very good"),
        ("top2", "Top-2 box (4–5)"),
        ("mean", "Mean"),
        ("sd", "Standard deviation"),
        ("base", "Base (unweighted)"),
    ):
        r = rows[label]
        for j, col in enumerate(keys, start=2):
            cell = _cell(sheet, key, col.banner, col.column)
            assert ws.cell(r, j).value == pytest.approx(cell["estimate"], rel=1e-12), (label, col)
            if key not in ("sd", "base"):
                assert (ws.cell(r + 1, j).value or "") == cell["letters"], (label, col)
    assert ws.cell(rows["Mean"], 2).number_format == "0.00"
    assert ws.cell(rows["Top-2 box (4–5)"], 2).number_format == "0%"
    assert ws.column_dimensions["A"].width >= _tabs_xlsx.text_width("Bottom-2 box (1–2)")


def test_sheet_titles_are_unique_short_and_legal():
    names = ["a" * 40, "a" * 40, "A" * 40, "x/y:z?[1]", "问题" * 20]
    titles = _tabs_xlsx._sheet_titles(names, ["Contents"])
    assert len(set(t.lower() for t in titles)) == len(titles)
    assert all(len(t) <= 31 and not re.search(r"[\[\]:*?/\\]", t) for t in titles)


def test_text_width_counts_cjk_double():
    assert _tabs_xlsx.text_width("abc") == 3
    assert _tabs_xlsx.text_width("满意度") == 6
    assert _tabs_xlsx.text_width("NPS 净推荐值") == 4 + 8


def test_bad_banner_and_question_names_are_refused(fair):
    with pytest.raises(
        CXValueError, match=r"tabs\.banners\[0\]: 'regin' is not a codebook variable"
    ):
        tabs.build_tabs(fair, codebook=FAIR_CODEBOOK, banners=["regin"])
    with pytest.raises(CXValueError, match=r"tabs\.questions\[1\]: 'nope'"):
        tabs.build_tabs(
            fair, codebook=FAIR_CODEBOOK, banners=[], questions=["rate_marriage", "nope"]
        )
    with pytest.raises(CXValueError, match="levels; a banner variable has at most"):
        tabs.build_tabs(
            fair.assign(religious=fair["id"]), codebook=FAIR_CODEBOOK, banners=["religious"]
        )


def test_params_tabs_key_and_format(tmp_path):
    from cxresearch.report import ParamsError, load_params

    base = {
        "client": "c",
        "client_name": {"zh": "客户", "en": "Client"},
        "period": "2025",
        "data": {"store": "x.duckdb"},
    }
    p = load_params(
        {**base, "output": {"formats": ["tabs"]}, "tabs": {"banners": ["segment"]}},
        check_files=False,
    )
    assert (
        p.output.formats == ["tabs"]
        and p.tabs.banners == ["segment"]
        and p.tabs.alpha == (0.01, 0.05)
    )
    assert load_params(base, check_files=False).tabs.banners is None
    with pytest.raises(ParamsError, match=r"tabs\.alpha"):
        load_params({**base, "tabs": {"alpha": [0.05, 0.01]}}, check_files=False)
    with pytest.raises(ParamsError, match=r"tabs\.banner"):
        load_params({**base, "tabs": {"banner": ["x"]}}, check_files=False)


# -- cxresearch run / batch ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tabs_study(tmp_path_factory):
    """A one-client store (demo study, 4 waves) and a one-cell notebook, so a run is quick."""
    import nbformat
    import yaml

    from cxresearch import codebook, synth
    from cxresearch.store import Store

    folder = tmp_path_factory.mktemp("tabs_study")
    study = synth.generate(seed=5, n_customers=300, n_waves=4, first_wave=2022)
    paths = synth.write(study, folder / "files")
    with Store(folder / "study.duckdb") as st:
        st.import_files(
            [p for k, p in paths.items() if k not in ("codebook", "truth")],
            client="acme",
            codebook=codebook.load(paths["codebook"]),
        )
    (folder / "nb").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('params_file = "x.yaml"\nstore_file = None\nlang = None')
    cell.metadata["tags"] = ["parameters"]
    nb.cells += [nbformat.v4.new_markdown_cell("# Tiny"), cell]
    nbformat.write(nb, str(folder / "nb" / "tiny.ipynb"))

    def params(name, **over):
        raw = {
            "client": "acme",
            "client_name": {"zh": "阿克米", "en": "Acme"},
            "period": "2025",
            "language": "en",
            "data": {"store": "study.duckdb"},
            "variables": {"by": ["branch", "segment"], "weight": "weight"},
            "notebook_dir": "nb",
            "notebooks": ["tiny"],
            "output": {"formats": ["tabs"], "dir": "reports"},
        }
        raw.update(over)
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        return path

    return folder, params, study


@pytest.mark.report
def test_run_writes_tabs_and_lists_them_in_the_manifest(tabs_study):
    from cxresearch.report import run_report

    folder, params, study = tabs_study
    result = run_report(params("run"))
    out = folder / "reports" / "acme" / "2025"
    assert result.tabs == out / "tabs.en.xlsx" and result.tabs.is_file()
    assert result.html is None and result.tables is None
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    listed = {o["path"] for o in manifest["outputs"]}
    assert "tabs.en.xlsx" in listed and "tabs" in manifest["timings_seconds"]
    assert manifest["parameters"]["tabs"]["banners"] is None
    wb = load_workbook(result.tabs)
    assert wb.sheetnames[0] == "Contents" and "18 overall_sat" in wb.sheetnames
    ws = wb["18 overall_sat"]
    # the Total column equals the weighted mean of the focus wave, from the generating frame
    resp = study.responses[study.responses["wave"] == 2025]
    x, w = resp["overall_sat"].to_numpy(float), resp["weight"].to_numpy(float)
    ok = ~np.isnan(x)
    rows = {ws.cell(r, 1).value: r for r in range(7, ws.max_row + 1) if ws.cell(r, 1).value}
    assert ws.cell(rows["Mean"], 2).value == pytest.approx(
        np.sum(w[ok] * x[ok]) / w[ok].sum(), rel=1e-9
    )
    assert ws.cell(rows["Base (unweighted)"], 2).value == ok.sum()
    header = [ws.cell(4, j).value for j in range(2, 4)]
    assert header == ["Total", "Branch"]


@pytest.mark.report
def test_batch_writes_tabs_in_each_language_and_refuses_unknown_banner(tabs_study, tmp_path):
    from cxresearch.report import run_batch

    folder, params, _ = tabs_study
    zh = params(
        "bzh",
        language="zh",
        period="2024",
        tabs={"banners": ["segment"]},
        output={"formats": ["tabs"], "dir": str(tmp_path)},
    )
    bad = params(
        "bbad", tabs={"banners": ["regoin"]}, output={"formats": ["tabs"], "dir": str(tmp_path)}
    )
    result = run_batch([zh, bad], workers=1)
    assert [i.ok for i in result.items] == [True, False]
    assert "tabs.banners[0]: 'regoin' is not a codebook variable" in result.items[1].error
    path = tmp_path / "acme" / "2024" / "tabs.zh.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "目录"
    ws = wb[wb.sheetnames[1]]
    assert ws.cell(4, 3).value == "客户类型" and ws.cell(6, 3).value == "(A)"


def test_summary_sheets_repeat_the_items_numbers_and_letters():
    from cxresearch import synth

    study = synth.generate(seed=2, n_customers=600, n_waves=4)
    wave = study.responses[study.responses["wave"] == study.responses["wave"].max()]
    book = tabs.build_tabs(
        wave,
        codebook=study.codebook,
        banners=["branch"],
        weights="weight",
        questions=None,
        lang="en",
    )
    names = [s.name for s in book.sheets]
    # dimensions with >= 2 items on one scale (service; the process:* items as one group); all drivers
    assert names[:3] == ["summary_service", "summary_process", "summary_drivers"]
    summary = book.sheet("summary_service")
    items = ["svc_courtesy", "svc_competence", "svc_responsiveness"]
    for item in items:
        own = book.sheet(item)
        for key in ("top2", "mean", "base"):
            a = summary.cells[summary.cells["row"] == f"{item}|{key}"].reset_index(drop=True)
            b = own.cells[own.cells["row"] == key].reset_index(drop=True)
            assert list(a["row_label"].unique()) == [own.title]
            pd.testing.assert_series_equal(a["estimate"], b["estimate"])
            pd.testing.assert_series_equal(a["letters"], b["letters"])
    drivers = book.sheet("summary_drivers")
    assert len(drivers.cells[drivers.cells["row_type"] == "mean"]["row"].unique()) == 14


def test_nullable_store_dtypes_and_string_codes():
    rng = np.random.default_rng(0)
    n = 200
    data = pd.DataFrame(
        {
            "seg": pd.array(rng.integers(1, 3, n), dtype="Int64"),
            "reg": rng.choice(["north", "south"], n),
            "q": pd.array(rng.integers(1, 6, n), dtype="Int64"),
            "c": rng.choice(["a", "b", "zz"], n),
        }
    )
    data.loc[:9, "seg"] = pd.NA
    data.loc[5:15, "q"] = pd.NA
    cb = {
        "variables": [
            {"name": "seg", "kind": "category", "values": {1: {"en": "one"}, 2: {"en": "two"}}},
            {
                "name": "reg",
                "kind": "category",
                "values": {"north": {"en": "North"}, "south": {"en": "South"}},
            },
            {"name": "q", "kind": "likert", "min": 1, "max": 5},
            {
                "name": "c",
                "kind": "category",
                "values": {"a": {"en": "Alpha"}, "b": {"en": "Beta"}},
            },
        ]
    }
    before = data.copy()
    book = tabs.build_tabs(data, codebook=cb, banners=["seg", "reg"])
    pd.testing.assert_frame_equal(data, before)  # the caller's frame is not modified
    assert list(book.columns["column_label"]) == ["Total", "one", "two", "North", "South"]
    q = book.sheet("q")
    assert _cell(q, "base", "Total", "Total")["estimate"] == n - 11
    assert _cell(q, "base", "seg", 1)["estimate"] == ((data["seg"] == 1) & data["q"].notna()).sum()
    c = book.sheet("c")
    assert list(dict.fromkeys(c.cells["row_label"]))[2:] == ["Alpha", "Beta", "zz"]
    assert c.notes == ("values not in the codebook: zz",)


def test_labels_that_look_like_formulas_stay_text(tmp_path):
    data = _frame(60, q=(1, 2))
    cb = _book(
        [
            {
                "name": "q",
                "label": {"en": "=1+1"},
                "kind": "category",
                "values": {
                    1: {"en": '=HYPERLINK("http://example.invalid","x")'},
                    2: {"en": "fine"},
                },
            }
        ]
    )
    path = tabs.write_tabs(tabs.build_tabs(data, codebook=cb, banners=["seg"]), tmp_path / "f.xlsx")
    wb = load_workbook(path)
    ws = wb["01 q"]
    assert ws.cell(1, 1).value == "=1+1" and ws.cell(1, 1).data_type == "s"
    cells = [c for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert wb["Contents"].cell(6, 3).value == "=1+1" and wb["Contents"].cell(6, 3).data_type == "s"


def test_column_letters_equal_the_crosstab_letters(fair_book):
    for sheet in fair_book.sheets:
        c = sheet.cells[sheet.cells["banner"] != "Total"]
        merged = c.merge(fair_book.columns, on=["banner", "column"], suffixes=("", "_col"))
        assert len(merged) == len(c) and (merged["letter"] == merged["letter_col"]).all()


def test_check_inputs_names_bad_tabs_keys_before_any_notebook(tabs_study):
    from cxresearch.report import ParamsError, load_params
    from cxresearch.report.run import check_inputs

    _, params, _ = tabs_study
    good = load_params(
        params("chk_ok", tabs={"banners": ["segment"], "questions": ["overall_sat"]})
    )
    assert check_inputs(good) is not None
    bad = load_params(
        params("chk_bad", tabs={"banners": ["segment"], "questions": ["overall_sat", "nope"]})
    )
    with pytest.raises(
        ParamsError, match=r"tabs\.questions\[1\]: 'nope' is not a codebook variable"
    ):
        check_inputs(bad)
