"""Tests of the readers and the validation against the codebook (cxresearch.io)."""

from __future__ import annotations

import copy
import hashlib
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cxresearch import io as cxio
from cxresearch.codebook import load
from cxresearch.errors import CXValueError, DataValidationError

CB = {
    "study": "t",
    "variables": [
        {"name": "respondent_id", "kind": "id", "role": "id"},
        {"name": "wave", "kind": "wave", "role": "wave"},
        {
            "name": "product_quality",
            "kind": "likert",
            "min": 1,
            "max": 5,
            "aliases": [{"name": "prod_qual", "waves": [2014]}],
        },
        {"name": "price_value", "kind": "likert", "min": 1, "max": 5},
        {
            "name": "branch",
            "kind": "category",
            "values": {1: {"en": "Beijing"}, 2: {"en": "Shanghai"}, 3: {"en": "Wuhan"}},
        },
        {"name": "recommend", "kind": "nps"},
        {"name": "weight", "kind": "weight", "role": "weight"},
        {"name": "comment", "kind": "text", "required": False},
    ],
}
CODES = [
    {"code": -99, "meaning": "system", "label": {"zh": "系统缺失", "en": "System missing"}},
    {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
    {"code": 99, "meaning": "refused", "label": {"zh": "拒答", "en": "Refused"}},
]


def cb_with_codes():
    d = copy.deepcopy(CB)
    d["missing_codes"] = CODES
    return load(d)


def sample(wave=2016, n=6) -> pd.DataFrame:
    rng = np.random.default_rng(wave)
    return pd.DataFrame(
        {
            "respondent_id": [f"R{wave}-{i:04d}" for i in range(n)],
            "wave": wave,
            "product_quality": rng.integers(1, 6, n),
            "price_value": rng.integers(1, 6, n),
            "branch": rng.integers(1, 4, n),
            "recommend": rng.integers(0, 11, n),
            "weight": np.round(rng.uniform(0.5, 1.5, n), 6),
            "comment": ["服务很好", "", "price too high, 价格太高", "交货慢", "", "满意"][:n],
        }
    )


def expected_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "respondent_id": df["respondent_id"].astype(object),
            "wave": df["wave"].astype(np.int64),
            "product_quality": df["product_quality"].astype(float),
            "price_value": df["price_value"].astype(float),
            "branch": df["branch"].astype("Int64"),
            "recommend": df["recommend"].astype(float),
            "weight": df["weight"].astype(float),
            "comment": df["comment"].replace("", None).astype(object),
        }
    )
    return out.reset_index(drop=True)


def write_csv(df, path, encoding):
    path.write_bytes(df.to_csv(index=False).encode(encoding))
    return path


def file_hash(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(*args, **kwargs) -> DataValidationError:
    """The error ``cxio.read(*args, **kwargs)`` raises (the test fails if the file is read)."""
    with pytest.raises(DataValidationError) as info:
        cxio.read(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------------
# readers
@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gbk"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_csv_encodings(tmp_path, encoding, detected):
    df = sample()
    if encoding == "gb18030":  # a character GBK lacks, so only GB18030 decodes the file
        df.loc[5, "comment"] = "满意𠮷"
    path = write_csv(df, tmp_path / f"s_{encoding}.csv", encoding)
    before = file_hash(path)
    res = cxio.read(path, CB)
    assert res.encoding == detected
    assert res.format == "csv"
    assert cxio.detect_encoding(path) == detected
    pd.testing.assert_frame_equal(res.frame, expected_frame(df))
    assert res.rows == 6 and res.sha256 == before == cxio.sha256(path)
    assert file_hash(path) == before  # the raw file is never modified
    assert res.missing.empty
    assert list(res.missing.columns) == ["row_index", "row", "variable", "code", "meaning"]


def test_csv_undecodable_names_offset_and_row(tmp_path):
    good = sample().to_csv(index=False).encode("gbk")
    lines = good.split(b"\n")
    bad_line = lines[3] + b"\xff\xfe"  # bytes no candidate decodes, at the end of the 4th line
    data = b"\n".join([*lines[:3], bad_line, *lines[4:]])
    offset = len(b"\n".join(lines[:3])) + 1 + len(lines[3])
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    err = refused(path, CB)
    (p,) = err.problems
    with pytest.raises(UnicodeDecodeError) as dec:
        data.decode("gbk")
    assert dec.value.start == offset
    shown = data[offset : dec.value.end].hex(" ")
    assert p.row == 4 and p.value == f"bytes {shown} at byte offset {offset}"
    assert str(err) == (
        "bad.csv: cannot decode the file as text:\n"
        f"  - bad.csv, row 4: got 'bytes {shown} at byte offset {offset}'; expected text in one encoding: "
        "cannot decode the file as text (tried utf-8, gbk, gb18030; gbk got furthest and fails here); give the "
        "file's encoding explicitly (--encoding)"
    )
    with pytest.raises(DataValidationError):
        cxio.detect_encoding(path)
    # an explicit encoding is decoded strictly too: no replacement characters
    with pytest.raises(DataValidationError, match="tried utf-8;"):
        cxio.read(path, CB, encoding="utf-8")
    with pytest.raises(CXValueError, match="encoding 'klingon' is not a known codec"):
        cxio.read(path, CB, encoding="klingon")


def test_csv_semicolon_and_tab(tmp_path):
    df = sample()
    p1 = tmp_path / "s.csv"
    p1.write_text(df.to_csv(index=False, sep=";"), encoding="utf-8")
    p2 = tmp_path / "s.tsv"
    p2.write_text(df.to_csv(index=False, sep="\t"), encoding="utf-8")
    for p in (p1, p2):
        pd.testing.assert_frame_equal(cxio.read(p, CB).frame, expected_frame(df))


def test_xlsx_reader(tmp_path):
    df = sample()
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(xw, sheet_name="cover", index=False)
        df.to_excel(xw, sheet_name="data", index=False)
    res = cxio.read(path, CB, sheet="data")
    assert res.format == "xlsx" and res.encoding is None
    pd.testing.assert_frame_equal(res.frame, expected_frame(df))
    assert cxio.read(path, CB, sheet=1).frame.equals(res.frame)
    with pytest.raises(CXValueError, match="no sheet 'x'; sheets are: cover, data"):
        cxio.read(path, CB, sheet="x")


def test_xlsx_row_numbers_skip_blank_rows(tmp_path):
    import openpyxl

    df = sample()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for i, row in enumerate(df.itertuples(index=False)):
        if i == 2:
            ws.append([None] * len(df.columns))  # a blank row in the sheet: row 4
        vals = list(row)
        if i == 4:
            vals[2] = 7  # out of scale, sits in sheet row 7
        ws.append([v.item() if hasattr(v, "item") else v for v in vals])
    path = tmp_path / "blank.xlsx"
    wb.save(path)
    err = refused(path, CB)
    (p,) = err.problems
    assert (p.row, p.column, p.value) == (7, "product_quality", 7)


def test_sav_reader_keeps_labels_and_matches_csv(tmp_path):
    df = sample()
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(
        df,
        path,
        column_labels={"product_quality": "产品质量"},
        variable_value_labels={"branch": {1: "北京", 2: "上海", 3: "武汉"}},
    )
    res = cxio.read(path, CB)
    assert res.format == "sav" and res.encoding == "utf-8"
    pd.testing.assert_frame_equal(res.frame, expected_frame(df))
    raw = cxio.read_raw(path)
    assert raw.sav.variable_labels["product_quality"] == "产品质量"
    assert raw.sav.value_labels["branch"] == {1.0: "北京", 2.0: "上海", 3.0: "武汉"}


def test_parquet_reader(tmp_path):
    df = sample()
    df["branch"] = df["branch"].astype("category")
    path = tmp_path / "s.parquet"
    df.to_parquet(path, index=False)
    res = cxio.read(path, CB)
    assert res.format == "parquet"
    pd.testing.assert_frame_equal(res.frame, expected_frame(sample()))


def test_alias_renamed_for_its_wave_only(tmp_path):
    df = sample(2014).rename(columns={"product_quality": "prod_qual"})
    res = cxio.read(write_csv(df, tmp_path / "w14.csv", "utf-8"), CB)
    assert res.renamed == {"prod_qual": "product_quality"}
    assert res.waves == (2014,)
    assert res.frame["product_quality"].tolist() == df["prod_qual"].astype(float).tolist()
    df16 = sample(2016).rename(columns={"product_quality": "prod_qual"})
    err = refused(write_csv(df16, tmp_path / "w16.csv", "utf-8"), CB)
    assert str(err.problems[0]) == (
        "w16.csv, column 'product_quality'; expected a column 'product_quality' (column 'prod_qual' "
        "is its alias only in wave(s) [2014]): the variable is required by the codebook"
    )


def test_wave_argument(tmp_path):
    df = sample(2015).drop(columns="wave")
    path = write_csv(df, tmp_path / "nowave.csv", "utf-8")
    res = cxio.read(path, CB, wave=2015)
    assert res.frame["wave"].tolist() == [2015] * 6 and res.frame["wave"].dtype == np.int64
    with pytest.raises(DataValidationError, match="column 'wave'; expected a column 'wave'"):
        cxio.read(path, CB)
    with pytest.raises(CXValueError, match="wave must be a whole number"):
        cxio.read(path, CB, wave="2015")
    withwave = write_csv(sample(2015), tmp_path / "withwave.csv", "utf-8")
    err = refused(withwave, CB, wave=2016)
    assert str(err.problems[0]) == (
        "withwave.csv, row 2, column 'wave': got 2015; expected wave 2016 (the wave given for this file)"
    )
    assert len(err.problems) == 6


def test_undeclared_columns_left_out_with_warning(tmp_path):
    df = sample()
    df["interviewer"] = "A"
    with pytest.warns(
        cxio.UndeclaredColumnWarning,
        match="1 column\\(s\\) not in the codebook were left out: 'interviewer'",
    ):
        res = cxio.read(write_csv(df, tmp_path / "x.csv", "utf-8"), CB)
    assert "interviewer" not in res.frame and res.extra_columns == ("interviewer",)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(CXValueError, match="cannot tell the file format from suffix '.dat'"):
        cxio.read(tmp_path / "x.dat", CB)
    with pytest.raises(CXValueError, match="the old Excel format .xls is not supported"):
        cxio.read(tmp_path / "x.xls", CB)
    with pytest.raises(CXValueError, match="no such file"):
        cxio.read(tmp_path / "x.csv", CB)


def test_corrupt_binary_files(tmp_path):
    for name in ("x.xlsx", "x.sav", "x.parquet"):
        p = tmp_path / name
        p.write_bytes(b"this is not a real file at all")
        with pytest.raises(DataValidationError, match=f"{name}: got .*; expected a readable"):
            cxio.read(p, CB)


# ---------------------------------------------------------------------------------------------
# validation: each problem's full message
def check_one(tmp_path, df, text_of_problem, *, codebook=CB, name="v.csv"):
    path = write_csv(df, tmp_path / name, "utf-8")
    err = refused(path, codebook)
    msgs = [str(p) for p in err.problems]
    assert msgs == [text_of_problem], msgs
    return err


def test_out_of_scale(tmp_path):
    df = sample()
    df.loc[2, "product_quality"] = 6
    err = check_one(
        tmp_path,
        df,
        "v.csv, row 4, column 'product_quality': got 6; expected a whole number 1-5 (likert); "
        "no missing codes are declared for it",
    )
    assert str(err) == (
        "v.csv: 1 problem found:\n  - v.csv, row 4, column 'product_quality': got 6; expected a whole "
        "number 1-5 (likert); no missing codes are declared for it"
    )


def test_non_integer_on_a_likert_scale(tmp_path):
    df = sample().astype({"price_value": object})
    df.loc[0, "price_value"] = "3.5"
    check_one(
        tmp_path,
        df,
        "v.csv, row 2, column 'price_value': got 3.5; expected a whole number 1-5 "
        "(likert); no missing codes are declared for it",
    )


def test_non_numeric(tmp_path):
    df = sample().astype({"recommend": object})
    df.loc[1, "recommend"] = "ten"
    check_one(
        tmp_path, df, "v.csv, row 3, column 'recommend': got 'ten'; expected a number (nps 0-10)"
    )


def test_unknown_category_code(tmp_path):
    df = sample()
    df.loc[5, "branch"] = 4
    check_one(
        tmp_path,
        df,
        "v.csv, row 7, column 'branch': got 4; expected one of the category codes "
        "1, 2, 3; no missing codes are declared for it",
    )


def test_duplicate_respondent_wave(tmp_path):
    df = sample()
    df.loc[4, "respondent_id"] = df.loc[1, "respondent_id"]
    check_one(
        tmp_path,
        df,
        "v.csv, row 6, column 'respondent_id': got 'R2016-0001, wave 2016'; "
        "expected a unique (respondent, wave); the same appears first at row 3",
    )


def test_blank_id_and_bad_weight(tmp_path):
    df = sample().astype({"weight": object})
    df.loc[0, "respondent_id"] = ""
    df.loc[1, "weight"] = -0.5
    df.loc[2, "weight"] = ""
    path = write_csv(df, tmp_path / "v.csv", "utf-8")
    err = refused(path, CB)
    assert [str(p) for p in err.problems] == [
        "v.csv, row 2, column 'respondent_id': got ''; expected a non-empty id",
        "v.csv, row 3, column 'weight': got -0.5; expected a non-negative number (survey weight)",
        "v.csv, row 4, column 'weight': got ''; expected a weight for every row (survey weight)",
    ]


def test_unparseable_wave(tmp_path):
    df = sample().astype({"wave": object})
    df.loc[3, "wave"] = "2016/17"
    check_one(
        tmp_path,
        df,
        "v.csv, row 5, column 'wave': got '2016/17'; expected a wave as a whole "
        "number (e.g. the year 2019)",
    )


def test_missing_required_columns(tmp_path):
    df = sample().drop(columns=["price_value", "recommend", "comment"])  # comment is optional
    path = write_csv(df, tmp_path / "v.csv", "utf-8")
    err = refused(path, CB)
    assert str(err) == (
        "v.csv: 2 problems found:\n"
        "  - v.csv, column 'price_value'; expected a column 'price_value': the variable is required by the codebook\n"
        "  - v.csv, column 'recommend'; expected a column 'recommend': the variable is required by the codebook"
    )


def test_alias_and_name_both_present(tmp_path):
    df = sample(2014)
    df["prod_qual"] = df["product_quality"]
    path = write_csv(df, tmp_path / "v.csv", "utf-8")
    err = refused(path, CB)
    assert str(err.problems[0]) == (
        "v.csv, row 1, column 'prod_qual': got 'prod_qual'; expected one column for variable "
        "'product_quality'; column 'product_quality' already means 'product_quality' in wave(s) [2014]"
    )


@pytest.mark.parametrize("content", [b"", b"respondent_id,wave,product_quality\n", b"\n\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    err = refused(path, CB)
    assert "e.csv" in str(err)
    assert any("data row" in p.expected for p in err.problems)


def test_header_problems(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("respondent_id,wave,wave\nR1,2016,2016\n", encoding="utf-8")
    with pytest.raises(
        DataValidationError, match="column 'wave': got 'wave'; expected each column name once"
    ):
        cxio.read(path, CB)
    # longer rows are refused and every one is listed (pandas would drop the extra fields or
    # take them for an index)
    path.write_text('respondent_id,wave\nR1,2016,5\nR2,2016\n"R3,x",2016,7,8\n', encoding="utf-8")
    err = refused(path, CB)
    assert str(err) == (
        "h.csv: 2 row(s) have more fields than the header:\n"
        "  - h.csv, row 2: got '3 fields'; expected 2 fields like the header: the row has more fields than the header\n"
        "  - h.csv, row 4: got '4 fields'; expected 2 fields like the header: the row has more fields than the header"
    )


def test_csv_ids_keep_leading_zeros_and_numbers_parse(tmp_path):
    path = tmp_path / "z.csv"
    df = sample()
    df["respondent_id"] = [f"{i:05d}" for i in range(6)]
    path.write_text(df.to_csv(index=False), encoding="utf-8")
    res = cxio.read(path, CB)
    assert res.frame["respondent_id"].tolist() == [
        "00000",
        "00001",
        "00002",
        "00003",
        "00004",
        "00005",
    ]
    raw = cxio.read_raw(path)  # without a codebook every column stays text
    assert raw.frame["product_quality"].tolist() == [str(v) for v in df["product_quality"]]


def test_every_problem_listed_first_50_then_count(tmp_path):
    df = sample(n=6)
    df = pd.concat([df] * 12, ignore_index=True)
    df["respondent_id"] = [f"R{i:03d}" for i in range(len(df))]
    df["product_quality"] = 9  # 72 rows out of scale
    df.loc[0, "recommend"] = 11  # and one more, in row 2 after product_quality
    path = write_csv(df, tmp_path / "many.csv", "utf-8")
    err = refused(path, CB)
    assert len(err.problems) == 73
    lines = str(err).split("\n")
    assert lines[0] == "many.csv: 73 problems found:"
    assert len(lines) == 1 + 50 + 1 and lines[-1] == "  ... and 23 more problems"
    # sorted by row, then column order in the file
    assert [(p.row, p.column) for p in err.problems[:3]] == [
        (2, "product_quality"),
        (2, "recommend"),
        (3, "product_quality"),
    ]
    assert err.problems[-1].row == 73


def test_sentinels_refused_then_accepted(tmp_path):
    df = sample(n=6)
    df.loc[1, "product_quality"] = -99
    df.loc[2, "product_quality"] = 98
    df.loc[3, "price_value"] = 99
    df.loc[4, "recommend"] = 98
    path = write_csv(df, tmp_path / "codes.csv", "utf-8")
    err = refused(path, CB)
    msgs = [str(p) for p in err.problems]
    hint = (
        "; this looks like a missing-value code: declare it under 'missing_codes' in the codebook"
    )
    assert msgs == [
        "codes.csv, row 3, column 'product_quality': got -99; expected a whole number 1-5 (likert); "
        "no missing codes are declared for it" + hint,
        "codes.csv, row 4, column 'product_quality': got 98; expected a whole number 1-5 (likert); "
        "no missing codes are declared for it" + hint,
        "codes.csv, row 5, column 'price_value': got 99; expected a whole number 1-5 (likert); "
        "no missing codes are declared for it" + hint,
        "codes.csv, row 6, column 'recommend': got 98; expected a whole number 0-10 (nps); "
        "no missing codes are declared for it" + hint,
    ]
    res = cxio.read(path, cb_with_codes())
    f = res.frame
    # the bases shrink by exactly the coded rows; the other values are untouched
    assert f["product_quality"].notna().sum() == 4
    assert f["price_value"].notna().sum() == 5 and f["recommend"].notna().sum() == 5
    assert f["product_quality"].mean() == pytest.approx(df["product_quality"].drop([1, 2]).mean())
    assert res.missing.to_dict("records") == [
        {
            "row_index": 1,
            "row": 3,
            "variable": "product_quality",
            "code": -99.0,
            "meaning": "system",
        },
        {
            "row_index": 2,
            "row": 4,
            "variable": "product_quality",
            "code": 98.0,
            "meaning": "dont_know",
        },
        {"row_index": 3, "row": 5, "variable": "price_value", "code": 99.0, "meaning": "refused"},
        {"row_index": 4, "row": 6, "variable": "recommend", "code": 98.0, "meaning": "dont_know"},
    ]
    summary = cxio.missing_summary(res)
    assert summary[["variable", "code", "n"]].values.tolist() == [
        ["price_value", 99.0, 1],
        ["product_quality", -99.0, 1],
        ["product_quality", 98.0, 1],
        ["recommend", 98.0, 1],
    ]
    assert summary["share"].tolist() == [1 / 6] * 4
    # an undeclared sentinel is still refused when other codes are declared
    df.loc[5, "price_value"] = 97
    path2 = write_csv(df, tmp_path / "codes2.csv", "utf-8")
    err = refused(path2, cb_with_codes())
    assert [str(p) for p in err.problems] == [
        "codes2.csv, row 7, column 'price_value': got 97; expected a whole number 1-5 (likert); or a "
        "declared missing code: -99 (system), 98 (dont_know), 99 (refused)" + hint
    ]


def test_na_strings_are_blank_in_numeric_columns(tmp_path):
    df = sample().astype({"price_value": object})
    df.loc[0, "price_value"] = "NA"
    df.loc[1, "price_value"] = ""
    res = cxio.read(write_csv(df, tmp_path / "na.csv", "utf-8"), CB)
    assert res.frame["price_value"].isna().tolist() == [True, True, False, False, False, False]
    assert res.missing.empty  # a blank is no code


# ---------------------------------------------------------------------------------------------
# SPSS user-missing values
def write_sav_with_user_missing(df, path):
    pyreadstat.write_sav(
        df,
        path,
        variable_value_labels={
            "product_quality": {1: "很差", 5: "很好", 98: "不知道", 99: "拒答"},
            "price_value": {-99: "System missing"},
        },
        missing_ranges={
            "product_quality": [98, 99],
            "price_value": [{"lo": -99, "hi": -90}],
            "recommend": [97],
        },
    )


def sav_sample():
    df = sample(n=6)
    df.loc[0, "product_quality"] = 98
    df.loc[3, "product_quality"] = 99
    df.loc[2, "price_value"] = -99
    df.loc[4, "price_value"] = -95
    df.loc[5, "recommend"] = 97
    return df


def test_sav_user_missing_imports_without_declaring_codes(tmp_path):
    df = sav_sample()
    path = tmp_path / "um.sav"
    write_sav_with_user_missing(df, path)
    with pytest.warns(cxio.UndeclaredMissingCodeWarning) as rec:
        res = cxio.read(path, CB)  # the codebook declares no codes: the .sav's own are honoured
    assert "product_quality: 98, 99; price_value: -99, -95; recommend: 97" in str(rec[0].message)
    f = res.frame
    assert f["product_quality"].mean() == pytest.approx(df["product_quality"].drop([0, 3]).mean())
    assert f["price_value"].mean() == pytest.approx(df["price_value"].drop([2, 4]).mean())
    assert f["recommend"].isna().tolist() == [False] * 5 + [True]
    assert res.missing[["row_index", "variable", "code", "meaning"]].values.tolist() == [
        [0, "product_quality", 98.0, "dont_know"],  # meaning guessed from the value label 不知道
        [2, "price_value", -99.0, "system"],
        [3, "product_quality", 99.0, "refused"],  # 拒答
        [4, "price_value", -95.0, "other"],  # in the range, no label
        [5, "recommend", 97.0, "other"],
    ]
    # with the codes in the codebook, its meanings win
    d = copy.deepcopy(CB)
    d["missing_codes"] = [*CODES, {"code": 97, "meaning": "not_applicable"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # -95 is in the .sav's range but not the codebook: warns
        with pytest.raises(cxio.UndeclaredMissingCodeWarning, match="price_value: -95"):
            cxio.read(path, d)
    with pytest.warns(cxio.UndeclaredMissingCodeWarning):
        res2 = cxio.read(path, d)
    assert res2.missing["meaning"].tolist() == [
        "dont_know",
        "system",
        "refused",
        "other",
        "not_applicable",
    ]


def gbk_sav(path, df, *, declare_gbk: bool):
    """Write a .sav whose strings are GBK bytes.

    pyreadstat writes UTF-8, so the strings are written as ASCII placeholders of the same byte
    length and replaced by their GBK bytes. ``declare_gbk`` also rewrites the file's character-set
    records (code page 936, encoding name CP936) like an old Chinese SPSS; otherwise the header
    still claims UTF-8 (a mislabelled file, which the reader must still decode).
    """
    texts = sorted({t for t in df["comment"] if t} | {"产品质量", "不知道"})
    holders = {}
    for i, t in enumerate(texts):
        k = len(t.encode("gbk"))
        holders[t] = (f"Q{i:02d}" + "x" * k)[:k]
        assert len(holders[t]) == k >= 3
    df2 = df.copy()
    df2["comment"] = df2["comment"].map(lambda t: holders.get(t, t))
    pyreadstat.write_sav(
        df2,
        path,
        column_labels={"product_quality": holders["产品质量"]},
        variable_value_labels={"product_quality": {98: holders["不知道"]}},
        missing_ranges={"product_quality": [98]},
    )
    b = path.read_bytes()
    for t, h in holders.items():
        assert b.count(h.encode()) >= 1
        b = b.replace(h.encode(), t.encode("gbk"))
    if declare_gbk:
        i = b.find(struct.pack("<iiii", 7, 20, 1, 5) + b"UTF-8")
        b = b[: i + 16] + b"CP936" + b[i + 21 :]
        j = b.find(struct.pack("<iiii", 7, 3, 4, 8))
        ints = list(struct.unpack("<8i", b[j + 16 : j + 48]))
        ints[7] = 936
        b = b[: j + 16] + struct.pack("<8i", *ints) + b[j + 48 :]
    path.write_bytes(b)
    return path


@pytest.mark.parametrize("declare_gbk", [True, False])
def test_gbk_sav(tmp_path, declare_gbk):
    df = sample(n=6)
    df.loc[2, "product_quality"] = 98
    path = gbk_sav(tmp_path / "gbk.sav", df, declare_gbk=declare_gbk)
    with pytest.warns(cxio.UndeclaredMissingCodeWarning, match="product_quality: 98"):
        res = cxio.read(path, CB)
    assert res.encoding == "gbk"
    assert res.frame["comment"].tolist() == [None if not t else t for t in df["comment"]]
    assert res.missing[["row_index", "code", "meaning"]].values.tolist() == [[2, 98.0, "dont_know"]]
    raw = cxio.read_raw(path)
    assert raw.sav.variable_labels["product_quality"] == "产品质量"


# ---------------------------------------------------------------------------------------------
# multi-response sets
MR_CB = {
    "variables": [
        {"name": "respondent_id", "kind": "id"},
        {"name": "weight", "kind": "weight"},
        {"name": "ch_phone", "kind": "binary"},
        {"name": "ch_web", "kind": "binary"},
        {"name": "ch_branch", "kind": "binary"},
    ],
    "missing_codes": [{"code": -99, "meaning": "not_applicable"}],
    "multi_response": [{"name": "channels", "options": ["ch_phone", "ch_web", "ch_branch"]}],
}

# tests/reference/io/multi_response.csv: 8 respondents; r6 and r7 were not asked (-99 on every
# option), r5 skipped one option. The hand computation is in tests/reference/io/README.md.
MR_CSV = (Path(__file__).parent / "reference" / "io" / "multi_response.csv").read_text(
    encoding="utf-8"
)


def test_multi_response_shares_by_hand(tmp_path):
    path = tmp_path / "mr.csv"
    path.write_text(MR_CSV, encoding="utf-8")
    res = cxio.read(path, MR_CB)
    frame_before = res.frame.copy()
    with pytest.warns(cxio.PartialMultiResponseWarning, match="1 respondent"):
        un = cxio.multi_response_shares(res.frame, MR_CB, "channels")
    # base: r0-r4 answered every option (r5 is partial, r6/r7 not asked) -> n = 5
    # phone: r0 r1 r3 = 3/5; web: r0 r2 r3 = 3/5; branch: r2 r3 = 2/5
    assert un["option"].tolist() == ["ch_phone", "ch_web", "ch_branch"]
    assert un["n"].tolist() == [5, 5, 5] and un["selected"].tolist() == [3, 3, 2]
    assert un["estimate"].tolist() == pytest.approx([0.6, 0.6, 0.4])
    assert un["estimate"].sum() > 1  # shares of a multi-response set may add to more than 100 %
    assert un["n_eff"].tolist() == pytest.approx([5.0] * 3)
    with pytest.warns(cxio.PartialMultiResponseWarning):
        w = cxio.multi_response_shares(res.frame, MR_CB, "channels", weights="weight")
    # weights of the base r0..r4: 1, 2, 1, 0.5, 1.5 (sum 6)
    # phone: 1 + 2 + 0.5 = 3.5; web: 1 + 1 + 0.5 = 2.5; branch: 1 + 0.5 = 1.5
    assert w["weighted_base"].tolist() == pytest.approx([6.0] * 3)
    assert w["estimate"].tolist() == pytest.approx([3.5 / 6, 2.5 / 6, 1.5 / 6])
    # R (tests/reference/io/multi_response.R), tolerance 1e-12:
    # coef(svymean(~ch_phone + ch_web + ch_branch, svydesign(ids=~1, weights=~weight, data=base)))
    r_weighted = [0.583333333333333, 0.416666666666667, 0.250000000000000]
    assert w["estimate"].tolist() == pytest.approx(r_weighted, abs=1e-12)
    assert w["n_eff"].iloc[0] == pytest.approx(36 / (1 + 4 + 1 + 0.25 + 2.25))
    pd.testing.assert_frame_equal(res.frame, frame_before)  # the caller's frame is untouched
    # unit weights give the unweighted shares
    f1 = res.frame.assign(weight=1.0)
    with pytest.warns(cxio.PartialMultiResponseWarning):
        w1 = cxio.multi_response_shares(f1, MR_CB, "channels", weights="weight")
    assert w1["estimate"].tolist() == pytest.approx(un["estimate"].tolist())
    # rescaled weights leave shares unchanged
    f2 = res.frame.assign(weight=res.frame["weight"] * 7.3)
    with pytest.warns(cxio.PartialMultiResponseWarning):
        w2 = cxio.multi_response_shares(f2, MR_CB, "channels", weights="weight")
    assert w2["estimate"].tolist() == pytest.approx(w["estimate"].tolist())


def test_multi_response_options_must_be_0_1(tmp_path):
    path = tmp_path / "mr.csv"
    path.write_text(MR_CSV.replace("r2,1.0,0,1,1", "r2,1.0,0,2,1"), encoding="utf-8")
    err = refused(path, MR_CB)
    assert [str(p) for p in err.problems] == [
        "mr.csv, row 4, column 'ch_web': got 2; expected 0 or 1 (binary); or a declared missing "
        "code: -99 (not_applicable)"
    ]
    frame = pd.DataFrame({"ch_phone": [1, 0], "ch_web": [1, 3], "ch_branch": [0, 0]})
    with pytest.raises(
        CXValueError,
        match="option 'ch_web' of set 'channels' must be 0 or 1; got 3.0 at frame row 1",
    ):
        cxio.multi_response_shares(frame, MR_CB, "channels")
    with pytest.raises(CXValueError, match="no column for option"):
        cxio.multi_response_shares(frame.drop(columns="ch_web"), MR_CB, "channels")


def test_read_result_is_frozen(tmp_path):
    res = cxio.read(write_csv(sample(), tmp_path / "s.csv", "utf-8"), CB)
    with pytest.raises(AttributeError):
        res.rows = 3  # type: ignore[misc]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cxio.read(
            write_csv(sample(), tmp_path / "s2.csv", "utf-8"), CB
        )  # no warning on a clean file


def test_problem_objects_capped_but_all_counted(tmp_path, monkeypatch):
    from cxresearch.io import _validate

    monkeypatch.setattr(_validate, "MAX_PROBLEMS", 5)
    df = sample(n=6)
    df["product_quality"] = 9
    df["price_value"] = 0
    path = write_csv(df, tmp_path / "bad.csv", "utf-8")
    with pytest.raises(cxio.FileValidationError) as info:
        cxio.read(path, CB)
    err = info.value
    assert err.total == 12 and len(err.problems) == 5
    # the kept ones are the first by row, then by column order
    assert [(p.row, p.column) for p in err.problems] == [
        (2, "product_quality"),
        (2, "price_value"),
        (3, "product_quality"),
        (3, "price_value"),
        (4, "product_quality"),
    ]
    lines = str(err).splitlines()
    assert lines[0] == "bad.csv: 12 problems found:"
    assert lines[1:6] == ["  - " + str(p) for p in err.problems]
    assert lines[6:] == ["  ... and 7 more problems"]  # counted though not kept


def test_trailing_delimiters_are_ignored(tmp_path):
    df = sample()
    text = "\n".join(line + "," for line in df.to_csv(index=False).strip().split("\n")) + "\n"
    path = tmp_path / "trailing.csv"
    path.write_text(text, encoding="utf-8")
    pd.testing.assert_frame_equal(cxio.read(path, CB).frame, expected_frame(df))
    # a column with values but no name is still a problem
    head, body = text.split("\n", 1)
    path.write_text(head + "\n" + body.replace(",\n", ",x\n"), encoding="utf-8")
    with pytest.raises(
        DataValidationError, match="got 'column 9'; expected a column name in the header row"
    ):
        cxio.read(path, CB)


def test_numeric_with_one_bound(tmp_path):
    d = copy.deepcopy(CB)
    d["variables"].append({"name": "transfers", "kind": "numeric", "min": 0})
    d["missing_codes"] = [{"code": -99, "meaning": "system"}]
    df = sample().assign(transfers=[0, 3, -99, 12, -1, 2])
    path = write_csv(df, tmp_path / "t.csv", "utf-8")
    err = refused(path, d)
    assert [str(p) for p in err.problems] == [
        "t.csv, row 6, column 'transfers': got -1; expected a number of at least 0; or a declared "
        "missing code: -99 (system); this looks like a missing-value code: declare it under "
        "'missing_codes' in the codebook"
    ]
    df.loc[4, "transfers"] = 1
    res = cxio.read(write_csv(df, tmp_path / "t2.csv", "utf-8"), d)
    np.testing.assert_array_equal(res.frame["transfers"], [0.0, 3.0, np.nan, 12.0, 1.0, 2.0])
    assert res.missing[["row_index", "code"]].values.tolist() == [[2, -99.0]]
    # a study-wide code inside a one-sided range collides
    d["missing_codes"].append({"code": 98, "meaning": "dont_know"})
    with pytest.raises(
        ValueError,
        match="study-wide missing code 98 collides with a valid value "
        r"\(values of at least 0 are valid\)",
    ):
        load(d)
