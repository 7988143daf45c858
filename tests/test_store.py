"""The DuckDB study store: one-transaction imports, provenance, client isolation, schema evolution,
missing codes kept and recoverable (issues 2 and 9)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import CXError, CXValueError, DataValidationError
from cxresearch.store import Store

MISSING = [
    {"code": -99, "meaning": "system", "label": {"zh": "系统缺失", "en": "System missing"}},
    {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
    {"code": 99, "meaning": "refused", "label": {"zh": "拒答", "en": "Refused"}},
]


def codebook(*, missing=True, extra=()):
    """A small study codebook (as a dict)."""
    variables = [
        {"name": "respondent_id", "kind": "id", "role": "id"},
        {"name": "customer_id", "kind": "id", "required": False},
        {"name": "wave", "kind": "wave", "role": "wave"},
        {
            "name": "branch",
            "kind": "category",
            "role": "segment",
            "values": {1: {"zh": "北京", "en": "Beijing"}, 2: {"zh": "上海", "en": "Shanghai"}},
        },
        {"name": "weight", "kind": "weight", "role": "weight", "required": False},
        {
            "name": "price_value",
            "kind": "likert",
            "min": 1,
            "max": 5,
            "dimension": "price",
            "role": "driver",
        },
        {"name": "overall_sat", "kind": "rating", "min": 0, "max": 10, "role": "outcome"},
        {"name": "comment", "kind": "text", "role": "text", "required": False},
        *extra,
    ]
    out = {"study": "store-test", "version": "3", "variables": variables}
    if missing:
        out["missing_codes"] = MISSING
    return out


def survey(wave: int, n: int = 6, *, start: int = 0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed + wave)
    ids = np.arange(start, start + n)
    return pd.DataFrame(
        {
            "respondent_id": [f"R{wave}-{i:04d}" for i in ids],
            "customer_id": [f"C{i:05d}" for i in ids],
            "wave": wave,
            "branch": rng.integers(1, 3, n),
            "weight": np.round(rng.uniform(0.5, 1.5, n), 3),
            "price_value": rng.integers(1, 6, n),
            "overall_sat": rng.integers(0, 11, n),
            "comment": [
                ("价格太高了" if i % 3 == 0 else "Great service" if i % 3 == 1 else "") for i in ids
            ],
        }
    )


def write(frame: pd.DataFrame, path: Path, **kw) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, encoding=kw.get("encoding", "utf-8"))
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:  # pragma: no cover
        raise ValueError(path)
    return path


def snapshot(store: Store) -> dict:
    """Every table's full content and columns: to prove a failed import changed nothing."""
    out = {}
    for (table,) in store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name"
    ).fetchall():
        cols = store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        rows = store.con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
        out[table] = (cols, rows)
    return out


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "study.duckdb") as st:
        yield st


# ---------------------------------------------------------------------------------------------------
# loading and reading back


def test_import_survey_files_and_read_back(store, tmp_path):
    w1 = write(survey(2023), tmp_path / "wave_2023.csv", encoding="gbk")
    w2 = write(survey(2024, n=5), tmp_path / "wave_2024.parquet")
    report = store.import_files([w1, w2], client="acme", codebook=codebook())

    assert report.rows_by_table["responses"] == 11
    assert [f.table for f in report.files] == ["responses", "responses"]
    assert [f.format for f in report.files] == ["csv", "parquet"]
    assert report.files[0].encoding == "gbk" and report.files[1].encoding is None

    got = store.responses("acme")
    assert len(got) == 11
    assert set(got["client"]) == {"acme"}
    expected = pd.concat([survey(2023), survey(2024, n=5)], ignore_index=True)
    expected = expected.sort_values(["wave", "respondent_id"]).reset_index(drop=True)
    for col in ("respondent_id", "customer_id"):
        assert got[col].tolist() == expected[col].tolist()
    for col in ("wave", "branch", "weight", "price_value", "overall_sat"):
        np.testing.assert_allclose(got[col].astype(float), expected[col].astype(float))
    assert "comment" not in got.columns  # text goes to the comments table
    assert "import_id" not in got.columns

    only = store.responses("acme", waves=[2024], columns=["price_value"])
    assert list(only.columns) == ["client", "respondent_id", "wave", "price_value"]
    assert len(only) == 5 and set(only["wave"]) == {2024}


def test_comments_go_to_their_table_with_language(store, tmp_path):
    path = write(survey(2023, n=6), tmp_path / "w.csv")
    report = store.import_files([path], client="acme", codebook=codebook())
    com = store.comments("acme")
    # ids 0..5: i%3==0 Chinese, ==1 English, ==2 empty (no row)
    assert report.files[0].comments == 4 == len(com)
    assert list(com.columns) == ["client", "respondent_id", "wave", "variable", "text", "lang"]
    by_id = com.set_index("respondent_id")
    assert (
        by_id.loc["R2023-0000", "text"] == "价格太高了" and by_id.loc["R2023-0000", "lang"] == "zh"
    )
    assert by_id.loc["R2023-0001", "lang"] == "en"
    assert set(com["variable"]) == {"comment"}


def test_provenance_rows(store, tmp_path):
    w1 = write(survey(2023), tmp_path / "wave_2023.csv")
    w2 = write(survey(2024, n=5), tmp_path / "wave_2024.xlsx")
    cb_path = tmp_path / "codebook.yaml"
    import yaml

    cb_path.write_text(yaml.safe_dump(codebook(), allow_unicode=True), encoding="utf-8")
    report = store.import_files([w1, w2], client="acme", codebook=cb_path)
    imp = store.imports("acme")
    assert len(imp) == 2
    assert imp["file"].tolist() == ["wave_2023.csv", "wave_2024.xlsx"]
    assert imp["sha256"].tolist() == [hashlib.sha256(p.read_bytes()).hexdigest() for p in (w1, w2)]
    assert imp["format"].tolist() == ["csv", "xlsx"]
    assert imp["encoding"].iloc[0] == "utf-8" and imp["encoding"].isna().iloc[1]
    assert imp["table_name"].tolist() == ["responses", "responses"]
    assert imp["rows"].tolist() == [6, 5]
    assert set(imp["codebook_study"]) == {"store-test"} and set(imp["codebook_version"]) == {"3"}
    assert set(imp["codebook_sha256"]) == {hashlib.sha256(cb_path.read_bytes()).hexdigest()}
    assert imp["batch_id"].nunique() == 1  # one call, one batch
    assert imp["path"].tolist() == [str(w1.resolve()), str(w2.resolve())]
    assert imp["import_id"].tolist() == [f.import_id for f in report.files]
    assert "price_value" in imp["variables"].iloc[0]
    # the codebook is kept and can be had back
    assert store.codebook("acme").get("price_value").scale == (1, 5)


# ---------------------------------------------------------------------------------------------------
# one transaction


def test_bad_file_among_good_ones_leaves_store_unchanged(store, tmp_path):
    store.import_files(
        [write(survey(2022), tmp_path / "w2022.csv")], client="acme", codebook=codebook()
    )
    before = snapshot(store)
    good1 = write(survey(2023), tmp_path / "w2023.csv")
    bad_frame = survey(2024)
    bad_frame.loc[2, "price_value"] = 7  # out of the 1-5 scale, not a declared code
    bad = write(bad_frame, tmp_path / "w2024.csv")
    good2 = write(survey(2025), tmp_path / "w2025.parquet")
    crm = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "year": [2024, 20244],
            "active": [True, True],
            "churned": [False, False],
        }
    )
    bad_crm = write(crm, tmp_path / "crm.parquet")
    with pytest.raises(DataValidationError) as err:
        store.import_files([good1, bad, good2, bad_crm], client="acme", codebook=codebook())
    msg = str(err.value)
    assert msg.startswith("import refused, nothing was loaded: 2 problems in 2 files")
    assert "w2024.csv, row 4, column 'price_value': got 7" in msg
    assert "crm.parquet, row 2, column 'year': got 20244" in msg
    assert {p.file for p in err.value.problems} == {"w2024.csv", "crm.parquet"}
    assert snapshot(store) == before


def test_failure_while_writing_rolls_back_everything(store, tmp_path, monkeypatch):
    store.import_files(
        [write(survey(2022), tmp_path / "w2022.csv")], client="acme", codebook=codebook()
    )
    before = snapshot(store)
    extra = [{"name": "new_item", "kind": "likert", "min": 1, "max": 5, "required": False}]
    f1 = write(survey(2023).assign(new_item=3), tmp_path / "w2023.csv")
    f2 = write(survey(2024), tmp_path / "w2024.csv")
    calls = []
    original = Store._insert

    def failing(self, table, frame, client, import_id):
        calls.append(table)
        if len(calls) == 3:  # after responses + comments of the first file went in
            raise OSError("disk full")
        return original(self, table, frame, client, import_id)

    monkeypatch.setattr(Store, "_insert", failing)
    with pytest.raises(OSError, match="disk full"):
        store.import_files([f1, f2], client="acme", codebook=codebook(extra=extra))
    monkeypatch.undo()
    assert snapshot(store) == before  # rows, provenance and the ALTER TABLE all rolled back
    assert "new_item" not in store.columns("responses")
    # and the store still works
    report = store.import_files([f1, f2], client="acme", codebook=codebook(extra=extra))
    assert report.rows_by_table["responses"] == 12


def test_reimport_of_same_content_is_refused(store, tmp_path):
    path = write(survey(2023), tmp_path / "w2023.csv")
    store.import_files([path], client="acme", codebook=codebook())
    imported_at = store.imports("acme")["imported_at"].iloc[0]
    copy = tmp_path / "renamed_copy.csv"
    shutil.copy(path, copy)
    before = snapshot(store)
    for again in (path, copy):
        with pytest.raises(DataValidationError) as err:
            store.import_files([again], client="acme", codebook=codebook())
        msg = str(err.value)
        assert f"{again.name}; expected a file not yet imported for client 'acme'" in msg
        assert "was imported as 'w2023.csv' on " + f"{imported_at:%Y-%m-%d %H:%M:%S}" in msg
        assert len(err.value.problems) == 1  # not one more line per duplicate key
    assert snapshot(store) == before
    # the same file for another client is a different load
    report = store.import_files([path], client="globex", codebook=codebook())
    assert report.rows_by_table["responses"] == 6


def test_same_file_twice_in_one_call_is_refused(store, tmp_path):
    path = write(survey(2023), tmp_path / "a.csv")
    copy = tmp_path / "b.csv"
    shutil.copy(path, copy)
    with pytest.raises(DataValidationError, match="same content as 'a.csv'"):
        store.import_files([path, copy], client="acme", codebook=codebook())
    assert store.counts("acme")["responses"] == 0


def test_duplicate_respondent_wave_across_files_and_against_store(store, tmp_path):
    a = write(survey(2023, n=6), tmp_path / "a.csv")
    b = write(survey(2023, n=4, start=4, seed=9), tmp_path / "b.csv")  # ids 4, 5 again
    with pytest.raises(DataValidationError) as err:
        store.import_files([a, b], client="acme", codebook=codebook())
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 2
    assert lines[0].startswith(
        "b.csv, row 2, column 'respondent_id/wave': got \"respondent_id='R2023-0004', wave=2023\""
    )
    assert "not already in 'a.csv' (row 6) of the same import" in lines[0]
    assert store.counts("acme")["responses"] == 0

    store.import_files([a], client="acme", codebook=codebook())
    before = snapshot(store)
    with pytest.raises(DataValidationError) as err:
        store.import_files([b], client="acme", codebook=codebook())
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 2
    assert "the store already has it from 'a.csv'" in lines[0]
    assert snapshot(store) == before
    # another client may hold the same respondent ids
    store.import_files([b], client="globex", codebook=codebook())


# ---------------------------------------------------------------------------------------------------
# client isolation


def test_reads_are_filtered_by_client(store, tmp_path):
    store.import_files(
        [write(survey(2023, n=6), tmp_path / "acme.csv")], client="acme", codebook=codebook()
    )
    store.import_files(
        [
            write(survey(2023, n=3, start=100), tmp_path / "globex.csv"),
            write(
                pd.DataFrame(
                    {"customer_id": ["C1"], "year": [2023], "active": [1], "churned": [0]}
                ),
                tmp_path / "crm.csv",
            ),
        ],
        client="globex",
        codebook=codebook(),
    )
    assert store.clients() == ["acme", "globex"]
    acme = store.responses("acme")
    assert len(acme) == 6 and set(acme["client"]) == {"acme"}
    assert not set(acme["respondent_id"]) & set(store.responses("globex")["respondent_id"])
    assert len(store.customers("acme")) == 0 and len(store.customers("globex")) == 1
    assert set(store.comments("acme")["client"]) == {"acme"}
    assert len(store.imports("acme")) == 1 and len(store.imports("globex")) == 2
    # a client id is a value, never SQL
    for sneaky in ("acme' OR '1'='1", 'x" OR 1=1 --', "ACME", "acme "):
        assert len(store.responses(sneaky)) == 0
        assert len(store.missing_codes(sneaky)) == 0
    with pytest.raises(CXValueError, match="client must be a non-empty string"):
        store.responses("")
    with pytest.raises(CXValueError, match="client must be a non-empty string"):
        store.customers(None)


def test_read_options_are_checked(store, tmp_path):
    store.import_files(
        [write(survey(2023), tmp_path / "a.csv")], client="acme", codebook=codebook()
    )
    with pytest.raises(
        CXValueError, match=r"columns \['nps'\] are not in the store's responses table; available: "
    ):
        store.responses("acme", columns=["nps"])
    with pytest.raises(CXValueError, match="waves must be integers"):
        store.responses("acme", waves=["2023"])
    assert len(store.responses("acme", waves=2023)) == 6
    assert len(store.responses("acme", waves=[1999])) == 0
    with pytest.raises(
        CXValueError,
        match=r"by must be None or a column of responses \(respondent_id, wave, customer_id, branch.*got 'region'",
    ):
        store.missing_summary("acme", by="region")


# ---------------------------------------------------------------------------------------------------
# schema evolution and types


def test_later_import_adds_columns(store, tmp_path):
    store.import_files(
        [write(survey(2023), tmp_path / "a.csv")], client="acme", codebook=codebook()
    )
    extra = [{"name": "ease", "kind": "likert", "min": 1, "max": 5, "required": False}]
    frame = survey(2024, n=4).assign(ease=[1, 98, 5, 4])
    report = store.import_files(
        [write(frame, tmp_path / "b.csv")], client="acme", codebook=codebook(extra=extra)
    )
    assert report.added_columns == (("responses", "ease", "DOUBLE"),)
    got = store.responses("acme")
    assert got.loc[got["wave"] == 2023, "ease"].isna().all()
    assert got.loc[got["wave"] == 2024, "ease"].tolist()[:1] == [1.0]
    summary = store.missing_summary("acme").set_index("variable")
    # the base of a new item is the respondents of the files that held it
    assert summary.loc["ease", "base"] == 4 and summary.loc["ease", "n"] == 1
    assert summary.loc["ease", "share"] == pytest.approx(0.25)


def test_column_type_conflict_is_a_problem(store, tmp_path):
    crm = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "year": [2023, 2023],
            "branch": [1, 2],
            "active": [True, True],
            "churned": [False, True],
        }
    )
    store.import_files([write(crm, tmp_path / "crm23.parquet")], client="acme", codebook=codebook())
    crm2 = crm.assign(year=2024, branch=["Beijing", "Shanghai"])
    before = snapshot(store)
    with pytest.raises(
        DataValidationError,
        match="crm24.parquet, column 'branch': got 'VARCHAR'; expected values that fit type BIGINT",
    ):
        store.import_files(
            [write(crm2, tmp_path / "crm24.parquet")], client="acme", codebook=codebook()
        )
    assert snapshot(store) == before


# ---------------------------------------------------------------------------------------------------
# nothing lost: missing codes (issue 9)


def test_missing_codes_are_kept_and_statistics_see_nan(store, tmp_path):
    frame = survey(2023, n=10)
    frame["price_value"] = [1, 98, 3, 99, 5, -99, 2, 98, 4, 4]
    frame["overall_sat"] = [7, 8, 99, 10, 0, 5, 6, 9, 98, 3]
    path = write(frame, tmp_path / "codes.csv")
    report = store.import_files([path], client="acme", codebook=codebook())
    assert report.files[0].missing == 6 == report.rows_by_table["missing_codes"]

    got = store.responses("acme").set_index("respondent_id").loc[frame["respondent_id"]]
    codes = {98, 99, -99}
    for col in ("price_value", "overall_sat"):
        raw = frame[col].to_numpy(dtype=float)
        coded = np.isin(raw, list(codes))
        assert got[col].isna().to_numpy().tolist() == coded.tolist()
        # a statistic's base excludes coded answers: the mean equals the hand mean without them
        assert got[col].mean() == pytest.approx(raw[~coded].mean())
        assert got[col].count() == (~coded).sum()

    # the original code of every missing answer comes back
    miss = store.missing_codes("acme")
    assert list(miss.columns) == ["client", "respondent_id", "wave", "variable", "code", "meaning"]
    back = {(r.respondent_id, r.variable): (r.code, r.meaning) for r in miss.itertuples()}
    want = {}
    meaning = {98: "dont_know", 99: "refused", -99: "system"}
    for col in ("price_value", "overall_sat"):
        for rid, v in zip(frame["respondent_id"], frame[col], strict=True):
            if v in codes:
                want[(rid, col)] = (float(v), meaning[v])
    assert back == want
    # the file's raw values come back from the store
    raw = store.responses("acme", codes=True).set_index("respondent_id").loc[frame["respondent_id"]]
    np.testing.assert_array_equal(
        raw[["price_value", "overall_sat"]].to_numpy(),
        frame[["price_value", "overall_sat"]].to_numpy(),
    )
    np.testing.assert_array_equal(raw["weight"].to_numpy(), frame["weight"].to_numpy())
    only = store.responses("acme", columns=["overall_sat"], codes=True)
    assert sorted(only["overall_sat"])[-2:] == [98.0, 99.0]
    assert len(store.missing_codes("acme", variables=["overall_sat"])) == 2


def test_missing_summary_counts_and_shares(store, tmp_path):
    f1 = survey(2023, n=8)
    f1["price_value"] = [98, 98, 3, 4, 5, 99, 2, 1]
    f2 = survey(2024, n=4)
    f2["price_value"] = [98, 3, 3, 3]
    store.import_files(
        [write(f1, tmp_path / "a.csv"), write(f2, tmp_path / "b.parquet")],
        client="acme",
        codebook=codebook(),
    )
    s = store.missing_summary("acme")
    assert list(s.columns) == ["variable", "code", "meaning", "n", "base", "share"]
    pv = s[s["variable"] == "price_value"].set_index("code")
    assert pv.loc[98.0, "n"] == 3 and pv.loc[98.0, "base"] == 12
    assert pv.loc[98.0, "share"] == pytest.approx(3 / 12)  # "25% don't know on price"
    assert pv.loc[98.0, "meaning"] == "dont_know"
    assert pv.loc[99.0, "n"] == 1 and pv.loc[99.0, "share"] == pytest.approx(1 / 12)
    by_wave = store.missing_summary("acme", by="wave")
    row = by_wave[(by_wave["variable"] == "price_value") & (by_wave["code"] == 98.0)]
    assert row[["wave", "n", "base"]].to_numpy().tolist() == [[2023, 2, 8], [2024, 1, 4]]
    by_branch = store.missing_summary("acme", by="branch")
    both = pd.concat([f1, f2], ignore_index=True)
    for branch, grp in both.groupby("branch"):
        row = by_branch[
            (by_branch["branch"] == branch)
            & (by_branch["variable"] == "price_value")
            & (by_branch["code"] == 98.0)
        ]
        n98 = int((grp["price_value"] == 98).sum())
        if n98:
            assert row[["n", "base"]].to_numpy().tolist() == [[n98, len(grp)]]
        else:
            assert row.empty
    only = store.missing_summary("acme", waves=[2024])
    assert only[["variable", "code", "n", "base"]].to_numpy().tolist() == [
        ["price_value", 98.0, 1, 4]
    ]


def test_undeclared_codes_are_refused_and_name_the_value(store, tmp_path):
    frame = survey(2023, n=6)
    frame["price_value"] = [1, 98, 3, 99, -99, 2]
    path = write(frame, tmp_path / "codes.csv")
    with pytest.raises(DataValidationError) as err:
        store.import_files([path], client="acme", codebook=codebook(missing=False))
    bad = {(p.row, p.column, p.value) for p in err.value.problems}
    assert bad == {(3, "price_value", 98), (5, "price_value", 99), (6, "price_value", -99)}
    assert store.counts("acme")["responses"] == 0


# ---------------------------------------------------------------------------------------------------
# CRM, employee and comment files


def test_crm_employee_and_comment_files_are_told_apart_and_typed(store, tmp_path):
    crm = pd.DataFrame(
        {
            "customer_id": ["C00001", "C00002", "C00003"],
            "year": ["2023"] * 3,
            "branch": ["1", "2", "2"],
            "active": ["yes", "no", "1"],
            "churned": ["false", "true", "0"],
            "revenue": ["12.5", "", "3"],
            "service_contacts": ["0", "2", ""],
        }
    )
    emp = pd.DataFrame(
        {
            "employee_id": ["E1", "E2", "E3"],
            "unit": [1, 1, 2],
            "wave": [2023] * 3,
            "q01": [1, 5, None],
            "q02": [3, 4, 2],
        }
    )
    com = pd.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "wave": [2023] * 3,
            "text": ["服务很好", "slow parts delivery", ""],
        }
    )
    paths = [
        write(crm, tmp_path / "crm.csv"),
        write(emp, tmp_path / "staff.xlsx"),
        write(com, tmp_path / "verbatims.csv"),
    ]
    report = store.import_files(paths, client="acme", codebook=codebook())
    assert [f.table for f in report.files] == ["customers", "employees", "comments"]
    assert report.rows_by_table == {
        "responses": 0,
        "customers": 3,
        "employees": 3,
        "comments": 2,
        "missing_codes": 0,
    }
    c = store.customers("acme")
    assert c["active"].tolist() == [True, False, True]
    assert c["churned"].tolist() == [False, True, False]
    assert c["year"].tolist() == [2023] * 3 and c["branch"].tolist() == [1, 2, 2]
    assert c["revenue"].iloc[0] == 12.5 and np.isnan(c["revenue"].iloc[1])
    e = store.employees("acme")
    assert e["q01"].tolist()[:2] == [1.0, 5.0] and np.isnan(e["q01"].iloc[2])
    m = store.comments("acme")
    assert m["lang"].tolist() == ["zh", "en"] and set(m["variable"]) == {"comment"}


def test_crm_file_problems_are_all_listed(store, tmp_path):
    crm = pd.DataFrame(
        {
            "customer_id": ["C1", "", "C3", "C1"],
            "year": ["2023", "2023", "20x3", "2023"],
            "active": ["yes", "maybe", "no", "yes"],
            "churned": ["0", "1", "0", "0"],
            "purchases": ["1", "-2", "0", "1.5"],
        }
    )
    with pytest.raises(DataValidationError) as err:
        store.import_files([write(crm, tmp_path / "crm.csv")], client="acme", codebook=codebook())
    got = {(p.row, p.column, p.value) for p in err.value.problems}
    assert got == {
        (3, "customer_id", "(empty)"),
        (4, "year", "20x3"),
        (3, "active", "maybe"),
        (3, "purchases", "-2"),
        (5, "purchases", "1.5"),
    }
    e = pd.DataFrame({"unit": [1, 1], "wave": [2023, 2023], "q01": [3, 6]})
    with pytest.raises(
        DataValidationError,
        match=r"staff.parquet, row 2, column 'q01': got 6; expected a number from 1 to 5 or empty",
    ):
        store.import_files(
            [write(e, tmp_path / "staff.parquet")], client="acme", codebook=codebook()
        )
    dup = pd.DataFrame(
        {
            "customer_id": ["C1", "C1"],
            "year": [2023, 2023],
            "active": [True, True],
            "churned": [False, False],
        }
    )
    with pytest.raises(
        DataValidationError,
        match=r"dup.parquet, row 2, column 'customer_id/year'.*repeats an earlier row",
    ):
        store.import_files(
            [write(dup, tmp_path / "dup.parquet")], client="acme", codebook=codebook()
        )


def test_unknown_files_are_problems(store, tmp_path):
    odd = write(pd.DataFrame({"foo": [1], "bar": [2]}), tmp_path / "odd.csv")
    txt = tmp_path / "notes.docx"
    txt.write_bytes(b"x")
    with pytest.raises(DataValidationError) as err:
        store.import_files(
            [odd, txt, tmp_path / "absent.csv", tmp_path], client="acme", codebook=codebook()
        )
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 4
    assert (
        lines[3]
        == f"{tmp_path.name}; expected a data file, not a folder (give its files, e.g. folder/*.csv)"
    )
    assert "odd.csv; expected a survey file holding the codebook's variables" in lines[0]
    assert "name the table with table=/--table" in lines[0]
    assert lines[1] == "notes.docx: got '.docx'; expected a .csv, .xlsx, .sav or .parquet file"
    assert lines[2] == "absent.csv; expected an existing file (no such file)"


# ---------------------------------------------------------------------------------------------------
# opening


def test_read_only_store(tmp_path):
    path = tmp_path / "s.duckdb"
    with pytest.raises(CXError, match="does not exist"):
        Store(path, read_only=True)
    with Store(path) as st:
        st.import_files(
            [write(survey(2023), tmp_path / "a.csv")], client="acme", codebook=codebook()
        )
    with Store(path, read_only=True) as st:
        assert len(st.responses("acme")) == 6
        with pytest.raises(CXError, match="open read-only"):
            st.import_files(
                [write(survey(2024), tmp_path / "b.csv")], client="acme", codebook=codebook()
            )
        # checking needs no write access
        report = st.import_files(
            [tmp_path / "b.csv"], client="acme", codebook=codebook(), dry_run=True
        )
        assert report.rows_by_table["responses"] == 6
    with pytest.raises(CXError, match="folder .* does not exist"):
        Store(tmp_path / "nowhere" / "s.duckdb")


def test_bad_parameters(store, tmp_path):
    path = write(survey(2023), tmp_path / "a.csv")
    with pytest.raises(CXValueError, match="table must be one of 'auto', 'responses'"):
        store.import_files([path], client="acme", codebook=codebook(), table="survey")
    with pytest.raises(CXValueError, match="client must be a non-empty string"):
        store.import_files([path], client=" ", codebook=codebook())
    with pytest.raises(CXValueError, match="paths is empty"):
        store.import_files([], client="acme", codebook=codebook())
    with pytest.raises(CXValueError, match="employee_scale must have min <= max"):
        store.import_files([path], client="acme", codebook=codebook(), employee_scale=(5, 1))
    for bad in ("../acme", "acme/cn", ".hidden", "a b", "x" * 65):
        with pytest.raises(CXValueError, match="client must be an id of letters, digits"):
            store.import_files([path], client=bad, codebook=codebook())
    for good in ("acme-cn", "客户_01", "a.b"):
        store.import_files([path], client=good, codebook=codebook(), dry_run=True)


def test_dry_run_writes_nothing(store, tmp_path):
    before = snapshot(store)
    report = store.import_files(
        [write(survey(2023), tmp_path / "a.csv")], client="acme", codebook=codebook(), dry_run=True
    )
    assert report.rows_by_table["responses"] == 6
    assert ("responses", "price_value", "DOUBLE") in report.added_columns
    assert snapshot(store) == before


def test_not_a_store_is_refused_untouched(tmp_path):
    import duckdb

    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE sales (x INTEGER)")
    con.close()
    for read_only in (False, True):
        with pytest.raises(CXError, match="is not a cxresearch store .*tables: sales"):
            Store(other, read_only=read_only)
    con = duckdb.connect(str(other), read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["sales"]
    con.close()


def test_remove_import_then_load_a_corrected_file(store, tmp_path):
    first = survey(2023)
    first["price_value"] = [98, 2, 3, 4, 5, 1]
    a = write(first, tmp_path / "w2023.csv")
    keep = write(survey(2024), tmp_path / "w2024.csv")
    report = store.import_files([a, keep], client="acme", codebook=codebook())
    store.import_files([a], client="globex", codebook=codebook())
    corrected = first.assign(price_value=[1, 2, 3, 4, 5, 5])
    b = write(corrected, tmp_path / "w2023_v2.csv")
    with pytest.raises(DataValidationError, match="the store already has it from 'w2023.csv'"):
        store.import_files([b], client="acme", codebook=codebook())
    with pytest.raises(
        CXValueError, match=r"client 'acme' has no import 99; its imports are \[1, 2\]"
    ):
        store.remove_import("acme", import_id=99)
    with pytest.raises(CXValueError, match="client 'globex' has no import 1"):
        store.remove_import("globex", import_id=report.files[0].import_id)
    deleted = store.remove_import("acme", import_id=report.files[0].import_id)
    assert deleted == {
        "responses": 6,
        "customers": 0,
        "employees": 0,
        "comments": 4,
        "missing_codes": 1,
        "imports": 1,
    }
    store.import_files([b], client="acme", codebook=codebook())
    got = store.responses("acme", waves=[2023])
    assert got["price_value"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]
    assert len(store.responses("acme", waves=[2024])) == 6
    assert len(store.missing_codes("acme")) == 0
    assert len(store.missing_codes("globex")) == 1  # the other client's load is untouched
    assert store.imports("acme")["file"].tolist() == ["w2024.csv", "w2023_v2.csv"]


def test_waves_need_not_be_years_when_the_codebook_says_so(store, tmp_path):
    f = survey(2023).assign(wave=1)
    path = write(f, tmp_path / "w1.csv")
    # without a declared range a wave is a year (1900-2100): wave 1 (or 25 for 2025) is refused
    with pytest.raises(
        DataValidationError, match=r"row 2, column 'wave': got 1; expected a wave from 1900 to 2100"
    ):
        store.import_files([path], client="acme", codebook=codebook())
    book = codebook()
    book["variables"][2] = {"name": "wave", "kind": "wave", "role": "wave", "min": 1, "max": 20}
    store.import_files([path], client="acme", codebook=book)
    assert store.responses("acme")["wave"].tolist() == [1] * 6


def test_a_column_without_values_fits_any_type(store, tmp_path):
    def crm(year, region):
        return pd.DataFrame(
            {
                "customer_id": ["C1", "C2"],
                "year": [year, year],
                "active": [1, 1],
                "churned": [0, 0],
                "region": region,
            }
        )

    # first without any value: the column waits for a file that tells its type
    store.import_files(
        [write(crm(2021, [None, None]), tmp_path / "c21.parquet")],
        client="acme",
        codebook=codebook(),
    )
    assert "region" not in store.columns("customers")
    report = store.import_files(
        [
            write(crm(2022, [3, 4]), tmp_path / "c22.parquet"),
            write(crm(2023, [None, None]), tmp_path / "c23.parquet"),
        ],
        client="acme",
        codebook=codebook(),
    )
    assert report.added_columns == (("customers", "region", "BIGINT"),)
    got = store.customers("acme")
    assert got["region"].isna().tolist() == [True, False, True, True, False, True]
    assert got.loc[got["year"] == 2022, "region"].tolist() == [3, 4]


def test_reading_tables_nothing_was_imported_into(store, tmp_path):
    for read in (
        store.responses,
        store.customers,
        store.employees,
        store.comments,
        store.missing_codes,
        store.imports,
    ):
        assert len(read("acme")) == 0
    assert list(store.employees("acme").columns) == ["client", "wave"]
    store.import_files(
        [write(survey(2023), tmp_path / "a.csv")], client="acme", codebook=codebook()
    )
    assert len(store.employees("acme", waves=[2023])) == 0
    assert len(store.missing_summary("acme")) == 0
    with pytest.raises(CXError, match="client 'nobody' has no import"):
        store.codebook("nobody")


def test_sql_sees_only_the_clients_rows(store, tmp_path):
    store.import_files(
        [
            write(survey(2023, n=8), tmp_path / "a.csv"),
            write(survey(2024, n=5), tmp_path / "b.csv"),
        ],
        client="acme",
        codebook=codebook(),
    )
    store.import_files(
        [write(survey(2023, n=7, start=50), tmp_path / "g.csv")],
        client="globex",
        codebook=codebook(),
    )
    got = store.sql(
        "acme",
        "SELECT wave, count(*) AS n, avg(price_value) AS mean FROM responses "
        "GROUP BY wave ORDER BY wave",
    )
    frame = store.responses("acme")
    want = frame.groupby("wave")["price_value"].agg(["count", "mean"]).reset_index()
    assert got["n"].tolist() == want["count"].tolist() == [8, 5]
    np.testing.assert_allclose(got["mean"], want["mean"])
    assert store.sql(
        "acme", "SELECT count(DISTINCT client) AS k, count(*) AS n FROM responses"
    ).iloc[0].tolist() == [1, 13]
    # WITH queries and named parameters
    hi = store.sql(
        "globex",
        "WITH x AS (SELECT * FROM responses WHERE overall_sat >= $cut) SELECT count(*) AS n FROM x",
        params={"cut": 5},
    )
    g = store.responses("globex")
    assert hi["n"].iloc[0] == (g["overall_sat"] >= 5).sum()
    joined = store.sql(
        "acme", "FROM comments c JOIN responses r USING (respondent_id, wave) SELECT count(*) AS n"
    )
    assert joined["n"].iloc[0] == len(store.comments("acme"))
    with pytest.raises(CXValueError, match="one SELECT"):
        store.sql("acme", "DELETE FROM responses")
    with pytest.raises(CXValueError, match="one statement"):
        store.sql("acme", "SELECT 1; DROP TABLE responses")
    with pytest.raises(CXValueError, match="must not name main"):
        store.sql("acme", "SELECT count(*) FROM main.responses")
    with pytest.raises(CXValueError, match="reserved"):
        store.sql("acme", "SELECT 1", params={"cx_client": "globex"})
    with pytest.raises(CXError, match="query failed: .*nope"):
        store.sql("acme", "SELECT nope FROM responses")
    assert store.counts("acme")["responses"] == 13


def test_id_and_wave_variables_under_other_names(store, tmp_path):
    cb = {
        "missing_codes": MISSING,
        "variables": [
            {"name": "resp_no", "kind": "id", "role": "id"},
            {"name": "jahr", "kind": "wave", "role": "wave"},
            {"name": "price_value", "kind": "likert", "min": 1, "max": 5},
        ],
    }
    frame = pd.DataFrame(
        {"resp_no": [101, 102, 103], "jahr": [2024] * 3, "price_value": [1, 98, 5]}
    )
    store.import_files([write(frame, tmp_path / "w.csv")], client="acme", codebook=cb)
    got = store.responses("acme")
    assert list(got.columns) == ["client", "respondent_id", "wave", "price_value"]
    assert got["respondent_id"].tolist() == ["101", "102", "103"]
    miss = store.missing_codes("acme")
    assert miss[["respondent_id", "wave", "variable", "code"]].values.tolist() == [
        ["102", 2024, "price_value", 98.0]
    ]


def test_column_names_are_identifiers_never_sql(store, tmp_path):
    odd = 'note"; DROP TABLE responses; --'
    crm = pd.DataFrame(
        {"customer_id": ["C1"], "year": [2024], "active": [True], "churned": [False], odd: ["kept"]}
    )
    report = store.import_files(
        [write(crm, tmp_path / "crm.parquet")], client="acme", codebook=codebook()
    )
    assert report.added_columns[-1] == ("customers", odd, "VARCHAR")
    assert store.customers("acme", columns=[odd])[odd].tolist() == ["kept"]
    assert "responses" in {r[0] for r in store.con.execute("SHOW TABLES").fetchall()}


def test_skip_imported_loads_only_the_new_files(store, tmp_path, monkeypatch):
    a = write(survey(2023), tmp_path / "w2023.csv")
    first = store.import_files([a], client="acme", codebook=codebook())
    b = write(survey(2024), tmp_path / "w2024.csv")
    import cxresearch.store._files as files

    read = []
    original = files._read_survey  # every survey file is read here (streamed or whole)
    monkeypatch.setattr(
        files,
        "_read_survey",
        lambda item, *a, **k: read.append(item.path.name) or original(item, *a, **k),
    )
    report = store.import_files([a, b], client="acme", codebook=codebook(), skip_imported=True)
    assert read == ["w2024.csv"]  # the file imported before is not even read again
    assert [f.file for f in report.files] == ["w2024.csv"]
    assert [(s[0], s[1], s[2]) for s in report.skipped] == [
        ("w2023.csv", "w2023.csv", first.files[0].import_id)
    ]
    assert store.counts("acme")["responses"] == 12 and store.counts("acme")["imports"] == 2
    # everything imported already: nothing to do, nothing written
    before = snapshot(store)
    again = store.import_files(
        [a, b],
        client="acme",
        codebook=codebook(
            extra=[{"name": "ease", "kind": "likert", "min": 1, "max": 5, "required": False}]
        ),
        skip_imported=True,
    )
    assert again.files == () and len(again.skipped) == 2 and again.rows_by_table["responses"] == 0
    assert snapshot(store) == before
