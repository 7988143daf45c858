"""Tests of ``codebook draft`` (cxresearch.io.draft and the CLI command)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from cxresearch import cli
from cxresearch import io as cxio
from cxresearch.codebook import load
from cxresearch.errors import CXValueError, DataValidationError


def survey(n=60, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "resp_id": [f"A{i:05d}" for i in range(n)],
            "wave": 2021,
            "q1": rng.integers(1, 6, n).astype(float),
            "q2": rng.integers(1, 6, n).astype(float),
            "sat": rng.integers(0, 11, n).astype(float),
            "recommend": rng.integers(0, 11, n).astype(float),
            "region": rng.integers(1, 4, n).astype(float),
            "weight": np.round(rng.uniform(0.5, 2.0, n), 4),
            "aware": rng.integers(0, 2, n).astype(float),
            "comment": [
                ("服务态度很好，但是交货时间太长了，希望改进" if i % 3 else "") for i in range(n)
            ],
        }
    )


#: the kind the draft should give each column of :func:`survey`, from a .sav or a .csv
SURVEY_KINDS = {
    "resp_id": "id",
    "wave": "wave",
    "q1": "likert",
    "q2": "likert",
    "sat": "rating",
    "recommend": "nps",
    "region": "category",
    "weight": "weight",
    "aware": "binary",
    "comment": "text",
}


def with_codes(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.loc[[1, 7, 8], "q1"] = 98.0
    df.loc[[2], "q1"] = 99.0
    df.loc[[3, 4], "q2"] = -99.0
    df.loc[[5, 9, 11], "sat"] = 99.0
    return df


def write_sav(df: pd.DataFrame, path):
    pyreadstat.write_sav(
        df,
        path,
        column_labels={
            "resp_id": "Respondent",
            "q1": "产品质量",
            "q2": "Price value",
            "sat": "Overall satisfaction",
        },
        variable_value_labels={
            "q1": {1: "很差", 5: "很好", 98: "不知道", 99: "拒答"},
            "q2": {-99: "System missing"},
            "region": {1: "华北", 2: "华东", 3: "华南"},
            "sat": {99: "Refused"},
        },
        missing_ranges={"q1": [98, 99], "q2": [{"lo": -99, "hi": -90}], "sat": [99]},
        variable_measure={
            "q1": "ordinal",
            "q2": "ordinal",
            "region": "nominal",
            "sat": "ordinal",
            "weight": "scale",
        },
    )
    return path


def test_draft_from_sav_labels_levels_and_user_missing(tmp_path):
    df = with_codes(survey())
    path = write_sav(df, tmp_path / "s.sav")
    draft = cxio.draft_codebook(path)
    cb = draft.codebook
    kinds = {v.name: v.kind.value for v in cb.variables}
    assert kinds == SURVEY_KINDS
    q1 = cb.get("q1")
    assert q1.label_for("zh") == "产品质量" and q1.scale == (1, 5)
    assert q1.value_label(5, "zh") == "很好"
    assert [(m.code, m.meaning) for m in q1.missing_codes] == [(98, "dont_know"), (99, "refused")]
    assert q1.missing_codes[0].label.zh == "不知道"
    assert [(m.code, m.meaning) for m in cb.get("q2").missing_codes] == [(-99, "system")]
    assert cb.get("sat").scale == (0, 10)
    assert {k: v.zh for k, v in cb.get("region").values.items()} == {
        1: "华北",
        2: "华东",
        3: "华南",
    }
    assert cb.respondent_variable.name == "resp_id"
    assert draft.format == "sav" and draft.encoding == "utf-8"
    # the draft reads the same file: the user-missing answers are missing, their codes kept
    res = cxio.read(path, cb)
    assert res.frame["q1"].mean() == pytest.approx(df["q1"][~df["q1"].isin([98, 99])].mean())
    summary = cxio.missing_summary(res)
    assert summary[["variable", "code", "meaning", "n"]].values.tolist() == [
        ["q1", 98.0, "dont_know", 3],
        ["q1", 99.0, "refused", 1],
        ["q2", -99.0, "system", 2],
        ["sat", 99.0, "refused", 3],
    ]


def test_draft_round_trip_through_yaml_and_store(tmp_path):
    from cxresearch.store import Store

    df = with_codes(survey())
    path = write_sav(df, tmp_path / "s.sav")
    out = tmp_path / "codebook.yaml"
    draft = cxio.write_draft(path, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith(
        "# Codebook drafted by `cxresearch codebook draft` from s.sav (sav, utf-8)"
    )
    loaded = load(out)  # loads unchanged
    assert loaded == draft.codebook
    db = tmp_path / "study.duckdb"
    with Store(db) as st:
        st.import_files([path], client="acme", codebook=loaded)
        resp = st.responses("acme")
        codes = st.missing_codes("acme")
    # the store's mean equals the mean with the coded values as missing
    assert resp["q1"].mean() == pytest.approx(df["q1"][~df["q1"].isin([98, 99])].mean())
    assert resp["sat"].mean() == pytest.approx(df["sat"][df["sat"] != 99].mean())
    counts = codes.groupby(["variable", "code"]).size().to_dict()
    assert counts == {("q1", 98.0): 3, ("q1", 99.0): 1, ("q2", -99.0): 2, ("sat", 99.0): 3}
    # original codes come back per respondent
    got = codes[codes["variable"] == "q1"].set_index("respondent_id")["code"].to_dict()
    assert got == {df.loc[i, "resp_id"]: df.loc[i, "q1"] for i in (1, 2, 7, 8)}


def test_draft_from_gbk_sav(tmp_path):
    from test_io import gbk_sav, sample

    df = sample(n=6)
    df.loc[2, "product_quality"] = 98
    path = gbk_sav(tmp_path / "gbk.sav", df, declare_gbk=True)
    draft = cxio.draft_codebook(path)
    assert draft.encoding == "gbk"
    pq = draft.codebook.get("product_quality")
    assert pq.label_for("zh") == "产品质量"
    assert [(m.code, m.meaning, m.label.zh) for m in pq.missing_codes] == [
        (98, "dont_know", "不知道")
    ]
    res = cxio.read(path, draft.codebook)
    assert res.frame["comment"].dropna().tolist() == [t for t in df["comment"] if t]
    assert res.missing["code"].tolist() == [98.0]


def test_draft_from_csv_proposes_sentinels_for_review(tmp_path):
    df = with_codes(survey()).astype(
        {
            "q1": "Int64",
            "q2": "Int64",
            "sat": "Int64",
            "recommend": "Int64",
            "region": "Int64",
            "aware": "Int64",
        }
    )
    path = tmp_path / "s.csv"
    path.write_bytes(df.to_csv(index=False).encode("gbk"))
    out = tmp_path / "draft.yaml"
    draft = cxio.write_draft(path, out)
    cb = draft.codebook
    assert draft.encoding == "gbk"
    kinds = {v.name: v.kind.value for v in cb.variables}
    assert kinds == SURVEY_KINDS
    q1 = cb.get("q1")
    assert [(m.code, m.meaning) for m in q1.missing_codes] == [(98, "dont_know"), (99, "refused")]
    assert all(m.review and m.review.startswith("proposed:") for m in q1.missing_codes)
    assert [(m.code, m.meaning) for m in cb.get("q2").missing_codes] == [(-99, "system")]
    assert [m.code for m in cb.get("sat").missing_codes] == [99]
    assert "proposed: 98 occurs 3 time(s) outside the scale" in q1.missing_codes[0].review
    text = out.read_text(encoding="utf-8")
    assert "#   - q1: proposed missing code 98 (dont_know), 3 rows" in text
    # the draft loads unchanged and imports the file; bases shrink by the coded rows
    res = cxio.read(path, load(out))
    assert res.frame["q1"].notna().sum() == len(df) - 4
    assert res.frame["q2"].notna().sum() == len(df) - 2
    assert len(res.missing) == 4 + 2 + 3


def test_draft_guesses_from_strings(tmp_path):
    n = 40
    df = pd.DataFrame(
        {
            "id": [f"X{i}" for i in range(n)],
            "segment": ["north", "south", "east", "west"] * 10,
            "verbatim": [f"free text answer number {i}, rather long to read" for i in range(n)],
            "empty": [""] * n,
        }
    )
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    cb = cxio.draft_codebook(path).codebook
    assert [v.kind.value for v in cb.variables] == ["id", "category", "text", "text"]
    assert sorted(cb.get("segment").values) == ["east", "north", "south", "west"]
    assert "empty" in cb.get("empty").review
    cxio.read(path, cb)


def test_draft_xlsx_and_parquet(tmp_path):
    df = survey()
    x = tmp_path / "s.xlsx"
    df.to_excel(x, index=False)
    p = tmp_path / "s.parquet"
    df.astype({"region": "int64"}).to_parquet(p, index=False)
    for path in (x, p):
        d = cxio.draft_codebook(path)
        assert d.codebook.get("q1").kind.value == "likert"
        assert d.codebook.get("aware").kind.value == "binary"
        cxio.read(path, d.codebook)


@pytest.mark.parametrize(("content", "message"), [(b"", "empty"), (b"a,b,c\n", "no data rows")])
def test_draft_of_empty_file(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match=message) as info:
        cxio.draft_codebook(path)
    assert "e.csv" in str(info.value)


def test_draft_of_unreadable_file(tmp_path):
    path = tmp_path / "broken.sav"
    path.write_bytes(b"\x00\x01 not spss")
    with pytest.raises(
        DataValidationError, match="broken.sav: got .*; expected a readable SPSS .sav file"
    ):
        cxio.draft_codebook(path)
    with pytest.raises(CXValueError, match="max_levels must be a whole number >= 2; got 1"):
        cxio.draft_codebook(path, max_levels=1)


def test_write_draft_is_atomic_and_refuses_overwrite(tmp_path):
    df = survey()
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "cb.yaml"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(CXValueError, match="already exists"):
        cxio.write_draft(path, out)
    assert out.read_text(encoding="utf-8") == "keep me"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(DataValidationError):
        cxio.write_draft(bad, out, overwrite=True)
    assert out.read_text(encoding="utf-8") == "keep me"  # a failed draft leaves the old file
    cxio.write_draft(path, out, overwrite=True)
    assert load(out).get("q1").kind.value == "likert"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "cb.yaml", "s.csv"]


def test_cli_draft_and_check(tmp_path, capsys):
    df = with_codes(survey())
    path = write_sav(df, tmp_path / "s.sav")
    out = tmp_path / "cb.yaml"
    assert cli.main(["codebook", "draft", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "drafted 10 variables from s.sav (sav, encoding utf-8)" in printed
    assert cli.main(["codebook", "draft", str(path), "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["codebook", "draft", str(path), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert cli.main(["codebook", "check", str(out), str(path)]) == 0
    assert "s.sav: 60 rows, 9 coded missing answers: OK" in capsys.readouterr().out
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["variables"][3]["name"] == "q2"
    data["variables"][3]["max"] = 4  # now 5s are out of scale
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli.main(["codebook", "check", str(out), str(path)]) == 1
    err = capsys.readouterr().err
    assert "s.sav: " in err and "column 'q2': got 5; expected a whole number 1-4 (likert)" in err


@pytest.mark.slow
def test_draft_every_demo_file_validates_and_imports(tmp_path):
    from cxresearch import synth
    from cxresearch.store import Store

    study = synth.generate(seed=11, n_customers=400)
    paths = synth.write(study, tmp_path / "demo")
    data_files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    assert {p.suffix for p in data_files} >= {".csv", ".xlsx", ".sav", ".parquet"}
    for i, path in enumerate(data_files):
        out = tmp_path / f"draft_{i}.yaml"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the draft covers every column: no undeclared columns
            draft = cxio.write_draft(path, out)
            cb = load(out)
            assert cb == draft.codebook
            res = cxio.read(path, cb)
        assert res.rows > 0
        if path.name.startswith("survey_"):
            with Store(tmp_path / f"s{i}.duckdb") as st:
                st.import_files([path], client="demo", codebook=cb)
                assert st.counts("demo")["responses"] == res.rows


def test_large_file_path_checks_distinct_values(tmp_path, monkeypatch):
    """Past FULL_CHECK_CELLS the draft is checked on each column's distinct values only."""
    from cxresearch.io import draft as draft_mod

    df = with_codes(survey())
    path = write_sav(df, tmp_path / "s.sav")
    small = cxio.draft_codebook(path)
    monkeypatch.setattr(draft_mod, "FULL_CHECK_CELLS", 0)
    calls = []
    monkeypatch.setattr(draft_mod, "build_frame", lambda *a, **k: calls.append(1))
    big = cxio.draft_codebook(path)
    assert calls == [] and big.codebook == small.codebook
    # the distinct-value check refuses a draft that would not import its own file
    cb = big.codebook.model_copy(
        update={
            "variables": tuple(
                v.model_copy(update={"max": 4}) if v.name == "q2" else v
                for v in big.codebook.variables
            )
        }
    )
    seen = {"q2": np.array([-99.0, 1.0, 5.0])}
    with pytest.raises(draft_mod.CodebookError, match="'q2' does not cover the value 5.0"):
        draft_mod._check_covers(cb, seen, "s.sav")
    draft_mod._check_covers(big.codebook, seen, "s.sav")


def test_draft_proposes_multi_response_sets(tmp_path):
    path = tmp_path / "mr.csv"
    path.write_bytes(
        (Path(__file__).parent / "reference" / "io" / "multi_response.csv").read_bytes()
    )
    draft = cxio.draft_codebook(path)
    (mr,) = draft.codebook.multi_response
    assert mr.name == "ch" and mr.options == ("ch_phone", "ch_web", "ch_branch")
    assert mr.review.startswith("proposed: 3 binary columns named ch...")
    assert ("ch", mr.review) in draft.notes
    assert [m.code for m in draft.codebook.get("ch_web").missing_codes] == [-99]
    res = cxio.read(path, draft.codebook)
    with pytest.warns(cxio.PartialMultiResponseWarning):
        shares = cxio.multi_response_shares(res.frame, draft.codebook, "ch")
    assert shares["estimate"].tolist() == pytest.approx([0.6, 0.6, 0.4])


def test_cli_usage_errors(tmp_path, capsys):
    assert cli.main(["codebook"]) == 2
    assert "draft" in capsys.readouterr().out
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = tmp_path / "cb.yaml"
    assert cli.main(["codebook", "draft", str(empty), "--out", str(out)]) == 1
    assert "error: empty.csv: the file is empty" in capsys.readouterr().err
    assert not out.exists()


def test_sentinel_proposals_spare_bipolar_scales(tmp_path):
    n = 40
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "bipolar": rng.integers(-3, 4, n),  # -3..3: its negatives are answers
            "q": np.r_[rng.integers(1, 6, n - 3), [-1, -9, 999]],  # -1, -9 and 999 are codes
        }
    )
    path = tmp_path / "b.csv"
    df.to_csv(path, index=False)
    cb = cxio.draft_codebook(path).codebook
    assert cb.get("bipolar").missing_codes == ()
    assert cb.get("bipolar").kind.value == "numeric"
    assert [(m.code, m.meaning) for m in cb.get("q").missing_codes] == [
        (-9, "system"),
        (-1, "system"),
        (999, "refused"),
    ]
    assert cb.get("q").scale == (1, 5)
    cxio.read(path, cb)


def test_fully_labelled_scale_takes_its_bounds_from_the_labels(tmp_path):
    """bfi's items are 1-6 with every point labelled: the draft kept 1-7 (the usual scale covering
    the values), so init called 1-3 of "a 1-7 scale" dissatisfied. Labels on every point of a
    contiguous scale give its bounds; endpoint-only labels and unlabelled values keep the usual scale."""
    rng = np.random.default_rng(3)
    six = {
        1: "Very Inaccurate",
        2: "Moderately Inaccurate",
        3: "Slightly Inaccurate",
        4: "Slightly Accurate",
        5: "Moderately Accurate",
        6: "Very Accurate",
    }
    df = pd.DataFrame(
        {
            "a1": rng.integers(1, 7, 200).astype(float),
            "b": rng.integers(1, 7, 200).astype(float),
            "c": rng.integers(0, 11, 200).astype(float),
            "d": rng.integers(1, 9, 200).astype(float),
        }
    )
    df.loc[[3, 7], "a1"] = -99.0
    pyreadstat.write_sav(
        df,
        tmp_path / "s.sav",
        variable_value_labels={
            "a1": {**six, -99: "No answer"},
            "b": {1: "Not at all", 7: "Extremely"},
            "c": {k: str(k) for k in range(11)},
            "d": {k: f"point {k}" for k in range(1, 9)},
        },
        missing_ranges={"a1": [-99]},
        variable_measure=dict.fromkeys(df.columns, "ordinal"),
    )
    cb = cxio.draft_codebook(tmp_path / "s.sav").codebook
    assert (cb.get("a1").kind.value, cb.get("a1").scale) == ("likert", (1, 6))
    assert (cb.get("b").kind.value, cb.get("b").scale) == ("likert", (1, 7))  # endpoints only
    assert (cb.get("c").kind.value, cb.get("c").scale) == ("rating", (0, 10))
    assert (cb.get("d").kind.value, cb.get("d").scale) == ("rating", (1, 8))


# -- Excel exports as clients send them: merged group headings, a totals row, stray words --------


def _fair_xlsx(path, *, headings=False, totals=False, n=300):
    """statsmodels' ``fair`` survey (real answers) written as an Excel export: optionally with a
    row of merged group headings above the names (and ``rate_marriage`` merged down over both
    rows) and a "Total" line of column sums under the data."""
    import openpyxl
    import statsmodels.api as sm

    df = sm.datasets.fair.load_pandas().data.head(n)
    cols = list(df.columns)
    wb = openpyxl.Workbook()
    ws = wb.active
    if headings:
        ws.append([cols[0], "Marriage", None, "Person"] + [None] * (len(cols) - 4))
        ws.merge_cells(start_row=1, start_column=1, end_row=2, end_column=1)
        ws.merge_cells(start_row=1, start_column=2, end_row=1, end_column=3)
        ws.merge_cells(start_row=1, start_column=4, end_row=1, end_column=len(cols))
        ws.append([None] + cols[1:])
    else:
        ws.append(cols)
    for r in df.itertuples(index=False):
        ws.append(list(r))
    if totals:
        ws.append(["Total"] + [float(df[c].sum()) for c in cols[1:]])
    wb.save(path)
    return df


def test_xlsx_group_headings_above_the_names_are_read_as_headings(tmp_path):
    path = tmp_path / "fair.xlsx"
    df = _fair_xlsx(path, headings=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = cxio.read_raw(path)
    assert list(raw.frame.columns) == list(df.columns)  # the merged-down name comes along
    assert raw.rows[0] == 3 and raw.rows[-1] == len(df) + 2  # the rows the user sees
    np.testing.assert_array_equal(raw.frame["affairs"].to_numpy(float), df["affairs"].to_numpy())
    said = [str(w.message) for w in caught]
    assert any("row 1 holds merged group headings ('Marriage', 'Person')" in s for s in said), said
    draft = cxio.draft.draft_codebook(path)
    assert any("merged group headings" in note for _, note in draft.notes)


def test_xlsx_blank_name_without_merged_headings_is_still_refused(tmp_path):
    """Only merged cells make a heading row: a blank name is refused, and a column of values
    with no name is refused too (it used to be dropped without a word)."""
    import openpyxl

    for rows in ([["id", None, "q2"], [1, 3, 4]], [["id", "q1", "q2"], [1, 3, 4, "stray"]]):
        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append(r)
        path = tmp_path / "x.xlsx"
        wb.save(path)
        with pytest.raises(DataValidationError, match=r"x\.xlsx, row 1.*expected a column name"):
            cxio.read_raw(path)


def test_draft_leaves_a_totals_row_out_and_import_refuses_it(tmp_path):
    path = tmp_path / "fair.xlsx"
    df = _fair_xlsx(path, headings=True, totals=True)
    out = tmp_path / "codebook.yaml"
    draft = cxio.draft.write_draft(path, out)
    total_row = len(df) + 3  # two heading rows above the data
    notes = [note for var, note in draft.notes if var == "fair.xlsx"]
    assert any(
        f"row {total_row} looks like a totals row (rate_marriage = 'Total'" in n for n in notes
    )
    cb = load(out)
    assert cb.get("rate_marriage").kind.value == "likert" and cb.get("rate_marriage").scale == (
        1,
        5,
    )
    with pytest.raises(DataValidationError) as exc:
        cxio.read(path, cb, wave=2024)
    rows = {p.row for p in exc.value.problems}
    assert rows == {total_row}
    assert any(p.value == "Total" and p.column == "rate_marriage" for p in exc.value.problems)
    # without the totals row the same file imports with the same draft
    clean = tmp_path / "clean.xlsx"
    _fair_xlsx(clean, headings=True)
    res = cxio.read(clean, cb, wave=2024)
    assert res.rows == len(df)


def test_a_category_level_named_like_a_total_is_not_a_totals_row(tmp_path):
    """'Overall' is a level of the region column here, on many rows: nothing is left out."""
    rng = np.random.default_rng(5)
    n = 120
    df = pd.DataFrame(
        {
            "resp_id": np.arange(1, n + 1),
            "region": rng.choice(["North", "Overall"], n),
            "sat": rng.integers(1, 6, n),
        }
    )
    df.loc[n - 1, "region"] = "Overall"
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    draft = cxio.draft.draft_codebook(path)
    assert not [n for v, n in draft.notes if v == "s.csv"]


def test_a_few_words_in_a_column_of_numbers_keep_it_a_scale(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {"resp_id": range(1, 201), "overall": rng.integers(1, 11, 200).astype(object)}
    )
    df.loc[[5, 77], "overall"] = "Don't know"
    path = tmp_path / "dk.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "dk.yaml"
    draft = cxio.draft.write_draft(path, out)
    cb = load(out)
    assert cb.get("overall").kind.value == "rating" and cb.get("overall").scale == (1, 10)
    note = " ".join(n for v, n in draft.notes if v == "overall")
    assert "2 cell(s) hold text" in note and 'row 7: "Don\'t know"' in note
    with pytest.raises(DataValidationError) as exc:
        cxio.read(path, cb, wave=2024)
    assert sorted(p.row for p in exc.value.problems) == [7, 79]


def test_codebook_refuses_a_category_mixing_number_and_text_codes():
    from cxresearch.codebook import Codebook

    lab = {"zh": "a", "en": "a"}
    with pytest.raises(
        Exception, match="all numbers or all text; got numbers 1, 2 and text 'Total'"
    ):
        Codebook.model_validate(
            {
                "study": "x",
                "version": "1",
                "variables": [
                    {"name": "r", "kind": "category", "values": {1: lab, 2: lab, "Total": lab}}
                ],
            }
        )


def test_a_chinese_totals_row_of_a_csv_is_left_out(tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"区域": rng.choice(["华北", "华南"], 80), "满意度": rng.integers(1, 6, 80)})
    path = tmp_path / "调查.csv"
    text = df.to_csv(index=False) + f"合计,{int(df['满意度'].sum())}\n"
    path.write_text(text, encoding="utf-8")
    draft = cxio.draft.draft_codebook(path)
    notes = [n for v, n in draft.notes if v == "调查.csv"]
    assert len(notes) == 1 and "row 82 looks like a totals row (区域 = '合计'" in notes[0]
    assert draft.codebook.get("区域").kind.value == "category"
    assert set(draft.codebook.get("区域").values) == {"华北", "华南"}


def test_a_battery_of_items_on_the_same_unlabelled_codes_is_a_scale(tmp_path):
    """psych's bfi agreeableness items (real answers, 1-6, no labels in a CSV) drafted one column
    at a time looked like five 6-level categories; as a battery (A1 … A5 sharing 1..6) they are
    one 1-6 likert scale. Two columns 1-6 that are no battery (fair's occupation codes) stay
    categories."""
    ref = Path(__file__).parent / "reference" / "survey" / "bfi_agreeableness.csv"
    df = pd.read_csv(ref)
    rng = np.random.default_rng(4)
    df["occupation"] = rng.integers(1, 7, len(df))
    df["occupation_husb"] = rng.integers(1, 7, len(df))
    path = tmp_path / "bfi.csv"
    df.to_csv(path, index=False)
    draft = cxio.draft.draft_codebook(path)
    for item in ("A1", "A2", "A3", "A4", "A5"):
        v = draft.codebook.get(item)
        assert (v.kind.value, v.scale) == ("likert", (1, 6)), item
    assert "battery of 5 items (A1 … A5)" in dict(draft.notes)["A1"]
    assert draft.codebook.get("occupation").kind.value == "category"
    assert draft.codebook.get("occupation_husb").kind.value == "category"
    cxio.read(path, draft.codebook, wave=2024)  # the draft imports its file
    # two items are not a battery
    two = tmp_path / "two.csv"
    df[["A1", "A2"]].to_csv(two, index=False)
    assert cxio.draft.draft_codebook(two).codebook.get("A1").kind.value == "category"
