"""A corpus of hostile and careless inputs (issue 15): every one is refused with a message naming
what is wrong, and leaves the store exactly as it was (every table's rows, the ``imports``
provenance, the columns).

Each import case builds its files in a fresh copy of one store that already holds a client's
survey wave and CRM extract, imports them, and asserts the refusal (a regular expression on the
message) and the unchanged store. Params cases are checked before papermill
(:func:`cxresearch.report.run.check_inputs`); markup, PII and concurrency cases live in
``test_report_escape.py``, ``test_text_masking.py`` and ``test_store_snapshot.py``.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import CXError, CXValueError, DataValidationError
from cxresearch.store import Store

MISSING = [
    {"code": -99, "meaning": "system", "label": {"zh": "系统缺失", "en": "System missing"}},
    {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
]


def codebook() -> dict:
    return {
        "study": "bad-inputs",
        "version": "1",
        "missing_codes": MISSING,
        "variables": [
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
                "role": "driver",
                "dimension": "price",
            },
            {"name": "overall_sat", "kind": "rating", "min": 0, "max": 10, "role": "outcome"},
            {"name": "comment", "kind": "text", "role": "text", "required": False},
        ],
    }


def survey(wave: int = 2025, n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(wave)
    return pd.DataFrame(
        {
            "respondent_id": [f"R{wave}-{i:03d}" for i in range(n)],
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "wave": wave,
            "branch": rng.integers(1, 3, n),
            "weight": np.round(rng.uniform(0.5, 1.5, n), 3),
            "price_value": rng.integers(1, 6, n),
            "overall_sat": rng.integers(0, 11, n),
            "comment": ["服务很好", "Great service", "", "价格太贵", "ok", ""][:n]
            + [""] * max(0, n - 6),
        }
    )


def crm(year: int = 2025, n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "year": year,
            "active": [True] * n,
            "churned": [False] * n,
            "revenue": [10.0] * n,
        }
    )


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False).encode(encoding)


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    return buf.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def formula_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    frame = survey()
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    ws["G4"] = "=F4*2"  # overall_sat of row 4: a formula openpyxl writes without a cached value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sav_bytes(frame: pd.DataFrame, tmp: Path) -> bytes:
    import pyreadstat

    path = tmp / "_tmp.sav"
    pyreadstat.write_sav(frame, str(path))
    data = path.read_bytes()
    path.unlink()
    return data


def mixed_utf8_gbk() -> bytes:
    """Row 5 (价格太贵) in GBK, the rest (服务很好 in row 2) in UTF-8."""
    lines = csv_bytes(survey()).decode("utf-8").splitlines(keepends=True)
    return b"".join(
        line.encode("gbk") if i == 4 else line.encode("utf-8") for i, line in enumerate(lines)
    )


def replace_in_csv(
    old: str, new: str, *, frame: pd.DataFrame | None = None, encoding="utf-8"
) -> bytes:
    text = (frame if frame is not None else survey()).to_csv(index=False)
    assert old in text, old
    return text.replace(old, new, 1).encode(encoding)


@dataclass(frozen=True)
class Case:
    id: str
    files: Callable[[Path], dict[str, bytes | None]]  # name -> bytes (None: a folder / no file)
    match: str
    kwargs: tuple = ()
    error: type = DataValidationError


def s(frame: pd.DataFrame) -> Callable[[Path], dict[str, bytes]]:
    return lambda tmp: {"survey.csv": csv_bytes(frame)}


def _dup_customer() -> pd.DataFrame:
    f = survey()
    f.loc[3, "customer_id"] = f.loc[1, "customer_id"]
    return f


def _col(**changes) -> pd.DataFrame:
    f = survey()
    for key, value in changes.items():
        col, row = key.rsplit("__", 1)
        f[col] = f[col].astype(object)
        f.loc[int(row), col] = value
    return f


CASES = [
    # -- encodings -------------------------------------------------------------------------------
    Case(
        "mixed-utf8-gbk",
        lambda t: {"survey.csv": mixed_utf8_gbk()},
        r"survey\.csv, row 5: got '1 line\(s\) of UTF-8 text and 1 line\(s\) in another encoding \(e\.g\. GBK\); "
        r"row 2 is the first non-ASCII row'; expected text in one encoding throughout: the file mixes text encodings",
    ),
    Case(
        "mixed-gbk-majority",
        lambda t: {
            "survey.csv": replace_in_csv("ok", "好的", encoding="gbk").replace(
                "好的".encode("gbk"), "好的".encode()
            )
        },
        r"mixes text encodings",
    ),
    Case(
        "nul-byte",
        lambda t: {"survey.csv": replace_in_csv("Great service", "Great\x00service")},
        r"survey\.csv, row 3: got 'a NUL byte \(00\) at byte offset \d+, character 39 of the line'; expected "
        r"text without NUL bytes",
    ),
    Case(
        "control-char",
        lambda t: {"survey.csv": replace_in_csv("Great service", "Great\x01service")},
        r"row 3: got 'U\+0001, a control character, when read as utf-8'",
    ),
    Case(
        "replacement-char",
        lambda t: {"survey.csv": replace_in_csv("Great service", "Gr\ufffdat")},
        r"U\+FFFD, a replacement character",
    ),
    Case(
        "forced-utf8-on-gbk",
        lambda t: {"survey.csv": csv_bytes(survey(), "gbk")},
        r"survey\.csv, row 2: got 'bytes b7 at byte offset \d+'; expected text in one encoding: cannot decode the "
        r"file as text \(tried utf-8",
        kwargs=(("encoding", "utf-8"),),
    ),
    Case(
        "forced-unknown-codec",
        lambda t: {"survey.csv": csv_bytes(survey())},
        r"encoding 'klingon' is not a known codec",
        kwargs=(("encoding", "klingon"),),
        error=CXValueError,
    ),
    Case(
        "forced-gb18030-private-use",
        lambda t: {"survey.csv": replace_in_csv("ok", "\ue000", encoding="gb18030")},
        r"row 6: got 'U\+E000, a private-use character \(a sign of a wrong encoding\), when read as gb18030'",
        kwargs=(("encoding", "gb18030"),),
    ),
    Case(
        "forced-latin1-c1-control",
        lambda t: {
            "survey.csv": replace_in_csv(
                "ok", "o\x85k", frame=survey().assign(comment="ok"), encoding="latin-1"
            )
        },
        r"U\+0085, a control character, when read as latin-1",
        kwargs=(("encoding", "latin-1"),),
    ),
    Case(
        "bom-then-gbk-line",
        lambda t: {"survey.csv": b"\xef\xbb\xbf" + mixed_utf8_gbk()},
        r"mixes text encodings",
    ),
    Case(
        "undecodable-bytes",
        lambda t: {
            "survey.csv": csv_bytes(survey().assign(comment="ok")).replace(b"ok", b"o\x81\xffk", 1)
        },
        r"survey\.csv, row 2: got 'bytes 81 at byte offset \d+'; expected text in one encoding: cannot decode the "
        r"file as text",
    ),
    Case(
        "undecodable-with-utf8-rows",
        lambda t: {"survey.csv": replace_in_csv("ok", "ok").replace(b"ok", b"o\x81\xffk")},
        r"survey\.csv, row 6: .*the file mixes text encodings",
    ),
    # -- structure -------------------------------------------------------------------------------
    Case(
        "empty-0-bytes",
        lambda t: {"survey.csv": b""},
        r"survey\.csv: got '0 bytes'; expected a header row and at least one data row \(the file is empty\)",
    ),
    Case(
        "blank-lines-only",
        lambda t: {"survey.csv": b"\r\n\r\n  \n"},
        r"survey\.csv: got 'only blank lines'",
    ),
    Case(
        "empty-xlsx",
        lambda t: {"survey.xlsx": xlsx_bytes(pd.DataFrame())},
        r"survey\.xlsx.*(empty|at least one data row)",
    ),
    Case(
        "header-only",
        lambda t: {"survey.csv": b"respondent_id,wave,branch,price_value,overall_sat\n"},
        r"no data rows",
    ),
    Case(
        "cr-only-line-endings",
        lambda t: {"survey.csv": csv_bytes(survey()).replace(b"\n", b"\r")},
        r"survey\.csv: got '7 line\(s\) ending in CR only \(old Mac line endings\), no LF'",
    ),
    Case(
        "xlsx-renamed-csv",
        lambda t: {"survey.csv": xlsx_bytes(survey())},
        r"survey\.csv: got 'bytes 50 4b 03 04 at the start'; expected a text file \(CSV\); not a text file, it looks "
        r"like an Excel workbook \(\.xlsx, a zip archive\): give it the suffix \.xlsx",
    ),
    Case(
        "parquet-renamed-csv",
        lambda t: {"survey.csv": parquet_bytes(survey())},
        r"survey\.csv: .*not a text file, it looks like a Parquet file: give it the suffix \.parquet",
    ),
    Case(
        "sav-renamed-csv",
        lambda t: {"survey.csv": sav_bytes(survey(), t)},
        r"survey\.csv: .*not a text file, it looks like an SPSS data file: give it the suffix \.sav",
    ),
    Case(
        "xls-renamed-csv",
        lambda t: {"survey.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64},
        r"looks like an old Excel workbook \(\.xls\)",
    ),
    Case(
        "xls-suffix",
        lambda t: {"survey.xls": b"\xd0\xcf\x11\xe0"},
        r"save the old Excel format \.xls as \.xlsx",
    ),
    Case(
        "unknown-suffix",
        lambda t: {"survey.json": b"{}"},
        r"survey\.json: got '\.json'; expected a \.csv, \.xlsx",
    ),
    Case(
        "short-row",
        lambda t: {"survey.csv": _short_row()},
        r"survey\.csv, row 4: got '2 field\(s\)'; expected 8 fields like the header: the row has fewer fields",
    ),
    Case(
        "long-row",
        lambda t: {"survey.csv": replace_in_csv("Great service", "Great service,extra")},
        r"survey\.csv, row 3: got '9 fields'; expected 8 fields like the header: the row has more fields",
    ),
    Case(
        "duplicate-header",
        lambda t: {"survey.csv": replace_in_csv("price_value", "branch")},
        r"each column name once in the header row",
    ),
    Case(
        "blank-header",
        lambda t: {"survey.csv": replace_in_csv("price_value", "")},
        r"a column name in the header row",
    ),
    Case(
        "missing-required-column",
        s(survey().drop(columns=["overall_sat"])),
        r"survey\.csv, column 'overall_sat'; expected a column 'overall_sat': the variable is required by the codebook",
    ),
    Case(
        "corrupt-xlsx",
        lambda t: {"survey.xlsx": b"PK\x03\x04 not really a zip"},
        r"survey\.xlsx.*a readable \.xlsx workbook",
    ),
    Case(
        "corrupt-parquet",
        lambda t: {"survey.parquet": b"PAR1 nonsense"},
        r"survey\.parquet.*a readable Parquet file",
    ),
    Case("folder-not-file", lambda t: {"delivery": None}, r"a data file, not a folder"),
    Case(
        "no-such-file",
        lambda t: {"ghost.csv": ...},
        r"ghost\.csv; expected an existing file \(no such file\)",
    ),
    Case(
        "same-file-twice",
        lambda t: {"a.csv": csv_bytes(survey()), "b.csv": csv_bytes(survey())},
        r"b\.csv; expected each file once per import; it has the same content as 'a\.csv'",
    ),
    Case(
        "already-imported",
        lambda t: {"again.csv": csv_bytes(survey(2024, 3))},
        r"again\.csv; expected a file not yet imported for client 'acme': the same content .* was imported as "
        r"'base\.csv'",
    ),
    Case(
        "formula-without-value",
        lambda t: {"survey.xlsx": formula_xlsx()},
        r"survey\.xlsx, row 4, column 'overall_sat': got '=F4\*2'; expected a value: the cell holds a formula "
        r"without a calculated value",
    ),
    Case(
        "unrecognised-table",
        s(pd.DataFrame({"foo": [1], "bar": [2]})),
        r"expected a survey file holding the codebook's variables, a CRM file",
    ),
    # -- values ------------------------------------------------------------------------------------
    Case(
        "two-digit-wave",
        s(survey().assign(wave=25)),
        r"row 2, column 'wave': got 25; expected a wave from 1900 to 2100 \(a year; a two-digit year such "
        r"as 25 is not read as 2025\)",
    ),
    Case(
        "wave-3000", s(survey().assign(wave=3000)), r"got 3000; expected a wave from 1900 to 2100"
    ),
    Case("fractional-wave", s(survey().assign(wave=2025.5)), r"a wave as a whole number"),
    Case(
        "two-digit-wave-xlsx",
        lambda t: {"survey.xlsx": xlsx_bytes(survey().assign(wave=25))},
        r"survey\.xlsx, row 2, column 'wave': got 25; expected a wave from 1900 to 2100",
    ),
    Case(
        "two-digit-wave-sav",
        lambda t: {"survey.sav": sav_bytes(survey().assign(wave=25), t)},
        r"survey\.sav, row 1, column 'wave': got 25; expected a wave from 1900 to 2100",
    ),
    Case(
        "all-zero-weights",
        s(survey().assign(weight=0.0)),
        r"column 'weight': got 'weights adding up to 0 over 6 rows of wave 2025'; expected weights whose "
        r"total is more than 0",
    ),
    Case(
        "all-zero-weights-parquet",
        lambda t: {"survey.parquet": parquet_bytes(survey().assign(weight=0.0))},
        r"survey\.parquet, row 1, column 'weight': got 'weights adding up to 0",
    ),
    Case(
        "negative-weight",
        s(_col(weight__2=-1.0)),
        r"row 4, column 'weight': got -1; expected a non-negative number",
    ),
    Case(
        "blank-weight", s(_col(weight__2=None)), r"row 4, column 'weight'.*a weight for every row"
    ),
    Case(
        "duplicate-customer-wave",
        s(_dup_customer()),
        r"survey\.csv, row 5, column 'customer_id': got 'C0001, wave 2025'; expected one answer per "
        r"\(customer, wave\); the same customer answered at row 3",
    ),
    Case(
        "duplicate-respondent-wave",
        s(_col(respondent_id__4="R2025-001")),
        r"row 6, column 'respondent_id': got 'R2025-001, wave 2025'; expected a unique \(respondent, wave\); "
        r"the same appears first at row 3",
    ),
    Case(
        "respondent-already-in-store",
        s(survey(2024, 3).assign(comment="new delivery")),
        r"the store already has it from 'base\.csv'",
    ),
    Case(
        "likert-out-of-scale",
        s(_col(price_value__0=6)),
        r"row 2, column 'price_value': got 6; expected a whole "
        r"number 1-5 \(likert\)",
    ),
    Case(
        "undeclared-sentinel",
        s(_col(price_value__1=99)),
        r"got 99.*looks like a missing-value code",
    ),
    Case(
        "non-numeric-answer",
        s(_col(overall_sat__0="good")),
        r"column 'overall_sat': got 'good'; expected a number",
    ),
    Case(
        "infinite-answer",
        s(_col(overall_sat__0="inf")),
        r"column 'overall_sat': got inf; expected a number \(rating 0-10\)",
    ),
    Case(
        "unknown-category",
        s(_col(branch__0=7)),
        r"column 'branch': got 7; expected one of the category codes 1, 2",
    ),
    Case(
        "blank-id",
        s(_col(respondent_id__0="  ")),
        r"row 2, column 'respondent_id': got ''; expected a non-empty id",
    ),
    Case(
        "nul-in-parquet-text",
        lambda t: {"survey.parquet": parquet_bytes(_col(comment__1="Great\x00service"))},
        r"survey\.parquet, row 2, column 'comment': got 'Great\\x00service'; expected text without NUL characters",
    ),
    Case(
        "crm-two-digit-year",
        lambda t: {"crm.csv": csv_bytes(crm().assign(year=25))},
        r"crm\.csv, row 2, column 'year': got '25'; expected a year from 1900 to 2100",
    ),
    Case(
        "crm-bad-boolean",
        lambda t: {"crm.csv": csv_bytes(crm().assign(churned="maybe"))},
        r"column 'churned': got 'maybe'; expected true/false",
    ),
    Case(
        "crm-duplicate-customer-year",
        lambda t: {"crm.csv": csv_bytes(pd.concat([crm(), crm().head(1)]))},
        r"crm\.csv, row 6, column 'customer_id/year'.*one row per \(customer_id, year\)",
    ),
    Case(
        "crm-non-numeric-revenue",
        lambda t: {"crm.csv": csv_bytes(crm().assign(revenue="lots"))},
        r"column 'revenue': got 'lots'; expected a number or empty",
    ),
    Case(
        "crm-already-in-store",
        lambda t: {"crm2.csv": csv_bytes(crm(2024).assign(revenue=11.0))},
        r"crm2\.csv, row 2, column 'customer_id/year'.*the store already has it from 'base_crm\.csv'",
    ),
    Case(
        "employees-wave-99",
        lambda t: {"emp.csv": b"unit,wave,q01,q02\n1,99,4,5\n2,99,3,4\n"},
        r"emp\.csv, row 2, column 'wave': got '99'; expected a whole-number wave from 1900 to 2100",
    ),
    Case(
        "employees-out-of-scale",
        lambda t: {"emp.csv": b"unit,wave,q01,q02\n1,2025,4,9\n"},
        r"column 'q02': got '9'; expected a number from 1 to 5",
    ),
    Case(
        "comments-nul",
        lambda t: {
            "comments.parquet": parquet_bytes(
                pd.DataFrame({"respondent_id": ["R1"], "wave": [2025], "text": ["bad\x00text"]})
            )
        },
        r"comments\.parquet, row 1, column 'text'.*text without NUL characters",
    ),
    Case(
        "one-bad-file-spoils-the-batch",
        lambda t: {
            "good.csv": csv_bytes(survey(2026)),
            "bad.csv": csv_bytes(survey(2027).assign(wave=27)),
        },
        r"import refused, nothing was loaded: 6 problems in 1 file:\n  - bad\.csv, row 2",
    ),
]


def _short_row() -> bytes:
    lines = csv_bytes(survey()).decode().splitlines(keepends=True)
    lines[3] = "R2025-002,C0002\n"  # a row cut after 2 of 8 fields (row 4 as the user sees it)
    return "".join(lines).encode()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad_inputs")
    (folder / "base.csv").write_bytes(csv_bytes(survey(2024, 3)))
    (folder / "base_crm.csv").write_bytes(csv_bytes(crm(2024)))
    db = folder / "study.duckdb"
    with Store(db) as st:
        st.import_files(
            [folder / "base.csv", folder / "base_crm.csv"], client="acme", codebook=codebook()
        )
    return db


def state(db: Path) -> dict:
    """Every table's row count, columns and the full ``imports`` table."""
    with Store(db, read_only=True) as st:
        out = {}
        for (table,) in st.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall():
            out[table] = (
                st.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0],
                st.con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall(),
            )
        out["imports_rows"] = st.con.execute("SELECT * FROM imports ORDER BY import_id").fetchall()
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_the_store_is_unchanged(
    case: Case, base_store: Path, tmp_path: Path
):
    db = tmp_path / "study.duckdb"
    shutil.copy(base_store, db)
    before = state(db)
    paths = []
    for name, data in case.files(tmp_path).items():
        path = tmp_path / name
        if data is None:
            path.mkdir()
        elif data is not ...:
            path.write_bytes(data)
        paths.append(path)
    with Store(db) as st, pytest.raises(case.error) as info:
        st.import_files(paths, client="acme", codebook=codebook(), **dict(case.kwargs))
    assert re.search(case.match, str(info.value)), str(info.value)
    assert state(db) == before


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 55 and len({c.id for c in CASES}) == len(CASES)


# -- what is stored exactly ------------------------------------------------------------------------


def test_latin1_is_not_read_as_gbk(tmp_path):
    path = tmp_path / "names.csv"
    path.write_bytes(
        survey()
        .assign(comment=["Müller", "Gößl", "très bien", "ça va", "Zoë", "naïve"])
        .to_csv(index=False)
        .encode("latin-1")
    )
    db = tmp_path / "s.duckdb"
    with Store(db) as st:
        report = st.import_files([path], client="acme", codebook=codebook())
        assert report.files[0].encoding in ("cp1252", "latin-1")
        got = sorted(st.comments("acme")["text"])
    assert got == sorted(["Müller", "Gößl", "très bien", "ça va", "Zoë", "naïve"])


@pytest.mark.parametrize(
    "encoding,recorded",
    [
        ("utf-8", "utf-8"),
        ("gbk", "gbk"),
        ("gb18030", "gb18030"),
        ("big5", "big5"),
        ("utf-8-sig", "utf-8-sig"),
    ],
)
def test_each_encoding_is_detected_and_stored_exactly(tmp_path, encoding, recorded):
    comments = [
        "服务很好，价格合理",
        "配件等待时间太长",
        "销售人员很专业",
        "维修及时",
        "没有意见",
        "很满意",
    ]
    if encoding == "big5":
        comments = [
            "服務很好，價格合理",
            "配件等待時間太長",
            "銷售人員很專業",
            "維修及時",
            "沒有意見",
            "很滿意",
        ]
    if encoding == "gb18030":
        comments[0] = "服务很好𠀀"  # a character outside GBK
    path = tmp_path / "w.csv"
    path.write_bytes(survey().assign(comment=comments).to_csv(index=False).encode(encoding))
    with Store(tmp_path / "s.duckdb") as st:
        report = st.import_files([path], client="acme", codebook=codebook())
        assert report.files[0].encoding == recorded
        assert sorted(st.comments("acme")["text"]) == sorted(comments)


def test_encoding_can_be_given(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes(survey().assign(comment="Müller").to_csv(index=False).encode("latin-1"))
    with Store(tmp_path / "s.duckdb") as st:
        report = st.import_files([path], client="acme", codebook=codebook(), encoding="latin-1")
        assert report.files[0].encoding == "latin-1"
        assert set(st.comments("acme")["text"]) == {"Müller"}


def test_cli_import_takes_encoding(tmp_path, capsys):
    import yaml

    from cxresearch.cli import main

    (tmp_path / "cb.yaml").write_text(
        yaml.safe_dump(codebook(), allow_unicode=True), encoding="utf-8"
    )
    path = tmp_path / "w.csv"
    path.write_bytes(survey().assign(comment="Müller").to_csv(index=False).encode("latin-1"))
    rc = main(
        [
            "import",
            "--store",
            str(tmp_path / "s.duckdb"),
            "--client",
            "acme",
            "--codebook",
            str(tmp_path / "cb.yaml"),
            "--encoding",
            "latin-1",
            str(path),
        ]
    )
    assert rc == 0
    assert "latin-1" in capsys.readouterr().out


def test_ids_are_normalised_one_way_across_formats(tmp_path):
    """``1.0`` in a CSV, 1.0 in Excel/Parquet and ``1`` in the CRM are one customer."""
    frame = survey().assign(customer_id=[f"{i}.0" for i in range(1, 7)])
    (tmp_path / "w.csv").write_bytes(csv_bytes(frame))
    crm_frame = pd.DataFrame(
        {"customer_id": [1.0, 2.0, 3.0], "year": 2025, "active": True, "churned": False}
    )
    (tmp_path / "crm.parquet").write_bytes(parquet_bytes(crm_frame))
    x = survey(2026).assign(customer_id=[float(i) for i in range(1, 7)])
    (tmp_path / "w26.xlsx").write_bytes(xlsx_bytes(x))
    with Store(tmp_path / "s.duckdb") as st:
        st.import_files(
            [tmp_path / "w.csv", tmp_path / "crm.parquet", tmp_path / "w26.xlsx"],
            client="acme",
            codebook=codebook(),
        )
        resp = st.responses("acme")
        cust = st.customers("acme")
    assert sorted(set(resp["customer_id"])) == [str(i) for i in range(1, 7)]
    assert sorted(cust["customer_id"]) == ["1", "2", "3"]
    assert len(resp.merge(cust, on="customer_id")) == 3 + 3


def test_ids_with_letters_or_leading_zeros_are_kept_as_written(tmp_path):
    frame = survey().assign(customer_id=["007", "010", "1.0", "A1.0", "12", "3"])
    (tmp_path / "w.csv").write_bytes(csv_bytes(frame))
    with Store(tmp_path / "s.duckdb") as st:
        st.import_files([tmp_path / "w.csv"], client="acme", codebook=codebook())
        got = st.responses("acme")["customer_id"].tolist()
    assert sorted(got) == sorted(["007", "010", "1.0", "A1.0", "12", "3"])


def test_formula_with_a_cached_value_is_read(tmp_path):
    import openpyxl

    frame = survey()
    path = tmp_path / "w.xlsx"
    frame.to_excel(path, index=False)
    # simulate Excel's save: the formula kept with its cached value (openpyxl writes <f> and <v>)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    cell = re.search(r'<c r="G4"[^>]*><v>(\d+)</v></c>', sheet)
    assert cell, sheet[:500]
    sheet = sheet.replace(cell.group(0), f'<c r="G4"><f>F4*2</f><v>{cell.group(1)}</v></c>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert openpyxl.load_workbook(path, data_only=False).active["G4"].value == "=F4*2"
    with Store(tmp_path / "s.duckdb") as st:
        st.import_files([path], client="acme", codebook=codebook())
        got = st.responses("acme").set_index("respondent_id")["overall_sat"]
    assert got["R2025-002"] == frame.loc[2, "overall_sat"]


def test_waves_from_the_codebook_range(tmp_path):
    book = codebook()
    book["variables"][2] = {
        "name": "wave",
        "kind": "wave",
        "role": "wave",
        "min": 2020,
        "max": 2030,
    }
    (tmp_path / "w.csv").write_bytes(csv_bytes(survey(2019)))
    with (
        Store(tmp_path / "s.duckdb") as st,
        pytest.raises(
            DataValidationError, match="expected a wave from 2020 to 2030 .*codebook's range"
        ),
    ):
        st.import_files([tmp_path / "w.csv"], client="acme", codebook=book)


# -- params checked against the data before papermill ----------------------------------------------


def _params(store: Path, **over) -> dict:
    raw = {
        "client": "acme",
        "client_name": {"zh": "甲", "en": "Acme"},
        "period": "2024",
        "language": "en",
        "data": {"store": str(store)},
        "variables": {"outcome": "overall_sat", "nps": None, "loyalty": None, "by": ["branch"]},
        "notebooks": ["01_data_quality"],
    }
    raw.update(over)
    return raw


@pytest.mark.parametrize(
    "over,match",
    [
        (
            {"period": "2023"},
            r"period: '2023' has no survey responses for client 'acme'; waves in the store: 2024",
        ),
        ({"period": "2030"}, r"period: '2030' has no survey responses"),
        ({"period": "2024H1", "wave": 2025}, r"wave: 2025 has no survey responses"),
        (
            {"period": "latest", "first_wave": 2025},
            r"first_wave: no survey wave of client 'acme' falls in 2025",
        ),
        ({"client": "nobody"}, r"client: 'nobody' is not in store"),
        (
            {"variables": {"outcome": "overall_satisfaction", "nps": None, "loyalty": None}},
            r"variables.outcome: 'overall_satisfaction' is not a codebook variable",
        ),
        (
            {"thresholds": {"dissatisfied_cut": 12}},
            r"thresholds.dissatisfied_cut: 12 is outside the scale",
        ),
    ],
)
def test_params_that_do_not_fit_the_data_fail_before_papermill(base_store, tmp_path, over, match):
    from cxresearch.report import ParamsError, load_params
    from cxresearch.report.run import check_inputs

    before = state(base_store)
    with pytest.raises(ParamsError, match=match):
        check_inputs(load_params(_params(base_store, **over)))
    assert state(base_store) == before


@pytest.fixture(scope="module")
def employee_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("emp")
    (folder / "w.csv").write_bytes(csv_bytes(survey(2025)))
    rows = [f"{u},{w},4,5" for u in (1, 2) for w in (2021, 2022, 2023, 2024, 2025)]
    (folder / "emp.csv").write_text("unit,wave,q01,q02\n" + "\n".join(rows) + "\n")
    db = folder / "s.duckdb"
    with Store(db) as st:
        st.import_files([folder / "w.csv", folder / "emp.csv"], client="acme", codebook=codebook())
    return db


@pytest.mark.parametrize(
    "start,ok",
    [(2021, False), (2022, True), (2025, True), (2026, False), (2030, False), (1999, False)],
)
def test_programme_start_must_fall_inside_the_employee_survey(employee_store, start, ok):
    from cxresearch.report import ParamsError, load_params
    from cxresearch.report.run import check_inputs

    params = load_params(
        _params(
            employee_store,
            period="2025",
            notebooks=["07_employee"],
            programme={"units": [1], "start": start},
        )
    )
    if ok:
        check_inputs(params)
    else:
        with pytest.raises(
            ParamsError,
            match=rf"programme.start: {start} is outside the employee survey of client "
            r"'acme' up to wave 2025 \(2021–2025\)",
        ):
            check_inputs(params)


def test_bad_store_file_in_params(tmp_path):
    from cxresearch.report import ParamsError, load_params
    from cxresearch.report.run import check_inputs

    fake = tmp_path / "fake.duckdb"
    fake.write_bytes(b"not a database")
    with pytest.raises((ParamsError, CXError), match="data.store"):
        check_inputs(load_params(_params(fake)))
