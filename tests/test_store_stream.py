"""The streaming import of survey CSVs (issue 15): a file read in blocks and staged on disk stores
exactly what the whole-file path stores, and every refusal is the whole-file path's, word for word,
with the store unchanged. Blocks of 3 rows put every key, id and weight check across blocks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.test_store import codebook, snapshot, survey

import cxresearch.io._stream as io_stream
import cxresearch.store._stream as store_stream
from cxresearch.errors import DataValidationError
from cxresearch.store import Store

_VOLATILE = {"imported_at", "batch_id", "path"}
#: per file tried by the arrow path (streamed runs): whether it took the file
FAST: list[bool] = []


def _content(store: Store) -> dict:
    """Every table's rows in order, without the columns that differ between two imports."""
    out = {}
    for (table,) in store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name"
    ).fetchall():
        if table == "meta":  # the store's creation time
            continue
        cols = [
            c
            for c, t in store.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if c not in _VOLATILE and not t.startswith("TIMESTAMP")
        ]
        types = store.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        sel = ", ".join(f'"{c}"' for c in cols)
        out[table] = (
            types,
            store.con.execute(f'SELECT {sel} FROM "{table}" ORDER BY ALL').fetchall(),
        )
    return out


def _import(
    tmp_path: Path,
    name: str,
    files,
    *,
    stream: bool,
    monkeypatch,
    cb=None,
    before=None,
    before_kw=None,
    **kw,
):
    """Import ``files`` into a new store, streamed (blocks of 3 rows) or whole; the store's
    content, the error (or None) and whether a file was staged. The store holds a file of wave
    2022 first (``before``: that file's frame, imported with ``before_kw``)."""
    staged = []
    original = store_stream.stream_survey

    def spy(item, *a, **k):
        res = original(item, *a, **k) if stream else None
        staged.append(res is not None)
        return res

    fast_original = store_stream._stream_fast

    def fast_spy(*a, **k):
        res = fast_original(*a, **k)
        FAST.append(res is not None)
        return res

    plan_original = store_stream._fast_plan

    def plan_spy(*a, **k):
        res = plan_original(*a, **k)
        if res is None:  # the arrow path does not take the file (or its codebook)
            FAST.append(False)
        return res

    with monkeypatch.context() as m:
        m.setattr(store_stream, "stream_survey", spy)
        m.setattr(store_stream, "_stream_fast", fast_spy)
        m.setattr(store_stream, "_fast_plan", plan_spy)
        m.setattr(io_stream, "CHUNK_ROWS", 3)
        m.setattr(io_stream, "ARROW_ROWS", 3)  # the arrow path: blocks of 2-3 rows too
        m.setattr(io_stream, "ARROW_BLOCK", 64)
        with Store(tmp_path / f"{name}-{'stream' if stream else 'whole'}.duckdb") as st:
            st.import_files(
                [write_csv(survey(2022) if before is None else before, tmp_path / "before.csv")],
                client="acme",
                codebook=cb or codebook(),
                **(before_kw or {}),
            )
            before = snapshot(st)
            err, notes = None, ()
            try:
                report = st.import_files(files, client="acme", codebook=cb or codebook(), **kw)
                notes = (report.notes, report.rows_by_table, [f.rows for f in report.files])
            except DataValidationError as exc:
                err = str(exc)
                assert snapshot(st) == before  # refused: nothing changed
            return {**_content(st), "report": notes}, err, staged[1:]


def write_csv(frame: pd.DataFrame, path: Path, *, text: str | None = None, **kw) -> Path:
    if text is not None:
        path.write_bytes(text.encode(kw.get("encoding", "utf-8")))
    else:
        frame.to_csv(path, index=False, **kw)
    return path


def _same(tmp_path, monkeypatch, name, files, *, streamed=True, fast=None, cb=None, **kw):
    FAST.clear()
    new, err_new, staged = _import(
        tmp_path, name, files, stream=True, monkeypatch=monkeypatch, cb=cb, **kw
    )
    old, err_old, _ = _import(
        tmp_path, name, files, stream=False, monkeypatch=monkeypatch, cb=cb, **kw
    )
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")  # when the store's rows came
    assert (err_new is None) == (err_old is None)
    if err_new is not None:
        assert stamp.sub("(time)", err_new) == stamp.sub("(time)", err_old)
    assert new == old
    assert all(staged) == streamed, staged
    if fast is not None:  # whether the arrow path took the files (the first: the store's before)
        assert FAST[1:] == [fast] * len(files), FAST
    return new, err_new


def test_streamed_file_stores_what_the_whole_file_path_stores(tmp_path, monkeypatch):
    frame = survey(2023, n=20)
    frame.loc[[2, 11], "price_value"] = 98  # missing codes in two blocks
    frame.loc[17, "overall_sat"] = 99
    frame.loc[5, "branch"] = np.nan
    text = frame.to_csv(index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    lines.insert(4, "")  # a blank line and a line of empty cells: dropped, rows numbered on
    lines.insert(9, ",,,,,,,")
    path = tmp_path / "w2023.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    content, err = _same(tmp_path, monkeypatch, "basic", [path])
    assert err is None
    assert len([r for r in content["responses"][1] if r[2] == 2023]) == 20
    assert len(content["missing_codes"][1]) == 3


@pytest.mark.parametrize(
    "ids, normalised",
    [
        ([f"{i}.0" for i in range(1, 13)], True),  # numbers in disguise: stored as 1, 2, ...
        ([f"{i}.0" for i in range(1, 12)] + ["A12"], False),  # one id that is not: all as written
        ([str(i) for i in range(1, 13)], False),
    ],
)
def test_ids_are_normalised_on_the_whole_column(tmp_path, monkeypatch, ids, normalised):
    frame = survey(2023, n=12).assign(respondent_id=ids, customer_id=[f"{i}.00" for i in range(12)])
    frame.loc[[0, 7], "price_value"] = 99  # missing codes keyed by the normalised id
    path = write_csv(frame, tmp_path / "w2023.csv")
    content, err = _same(tmp_path, monkeypatch, "ids", [path])
    assert err is None
    stored = {r[1] for r in content["responses"][1] if r[2] == 2023}
    if normalised:
        assert stored == {str(i) for i in range(1, 13)}
    else:
        assert stored == set(ids)


def test_given_wave_and_generated_ids_keep_the_users_rows(tmp_path, monkeypatch):
    cb = codebook()
    cb["variables"][0]["required"] = False
    frame = survey(2023, n=10).drop(columns=["respondent_id", "wave"])
    text = frame.to_csv(index=False).split("\n")
    text.insert(3, "")
    path = write_csv(None, tmp_path / "nowave.csv", text="\n".join(text))
    content, err = _same(tmp_path, monkeypatch, "gen", [path], cb=cb, wave=2023)
    assert err is None
    ids = sorted(r[1] for r in content["responses"][1] if r[2] == 2023)
    assert len(ids) == 10 and not any(i.endswith("-4") for i in ids)  # row 4 was blank
    assert any(i.endswith("-12") for i in ids)


@pytest.mark.parametrize(
    "case",
    [
        "duplicate respondent",
        "duplicate customer",
        "zero weights",
        "out of scale late",
        "short row",
        "long row",
        "nul byte",
        "known before",
        "two files",
        "short row quoted",
    ],
)
def test_refusals_are_worded_as_by_the_whole_file_path(tmp_path, monkeypatch, case):
    frame = survey(2023, n=14)
    files = None
    if case == "duplicate respondent":
        frame.loc[12, "respondent_id"] = frame.loc[1, "respondent_id"]
    elif case == "duplicate customer":
        frame.loc[13, "customer_id"] = frame.loc[2, "customer_id"]
    elif case == "zero weights":
        frame["weight"] = 0.0
    elif case == "out of scale late":
        frame.loc[13, "overall_sat"] = 11
    elif case == "known before":
        frame = survey(2022, n=4)  # rows the store holds already
    elif case == "two files":
        files = [
            write_csv(survey(2023, n=8), tmp_path / "a.csv"),
            write_csv(survey(2023, n=8, start=4), tmp_path / "b.csv"),
        ]
    if case == "short row quoted":  # quoted texts with delimiters, quotes and line ends
        frame["comment"] = ['said "hi", then\nleft' if i % 2 else "a, b" for i in range(len(frame))]
    text = frame.to_csv(index=False)
    if case == "short row quoted":
        text = text.replace("a, b", 'a, b"\n"', 1)  # one record cut into two short ones
    if case == "short row":
        lines = text.split("\n")
        lines[9] = ",".join(lines[9].split(",")[:4])
        text = "\n".join(lines)
    elif case == "long row":
        lines = text.split("\n")
        lines[10] = lines[10] + ",extra"
        text = "\n".join(lines)
    elif case == "nul byte":
        text = text.replace("Great service", "Great\x00service", 1)
    files = files or [write_csv(None, tmp_path / "w.csv", text=text)]
    # every file here refuses (or meets a refusal); the streaming reader hands such files to the
    # whole-file reader, except where the problem is only found against the store or other files
    streamed = case in ("known before", "two files")
    _, err = _same(tmp_path, monkeypatch, case.replace(" ", "-"), files, streamed=streamed)
    assert err is not None and "nothing was loaded" in err


def test_undeclared_columns_are_left_out_with_the_same_note(tmp_path, monkeypatch):
    frame = survey(2023, n=7).assign(interviewer="A", duration=[3, 4, 5, 6, 7, 8, 9])
    path = write_csv(frame, tmp_path / "extra.csv")
    content, err = _same(tmp_path, monkeypatch, "extra", [path])
    assert err is None
    notes = content["report"][0]
    assert len(notes) == 1 and "'interviewer', 'duration'" in notes[0]


def test_gbk_file_given_its_encoding_is_streamed(tmp_path, monkeypatch):
    path = write_csv(survey(2023, n=9), tmp_path / "gbk.csv", encoding="gbk")
    content, err = _same(tmp_path, monkeypatch, "gbk", [path], encoding="gbk")
    assert err is None
    assert any(r[4] == "价格太高了" for r in content["comments"][1])


def test_quoted_texts_are_streamed(tmp_path, monkeypatch):
    frame = survey(2023, n=12)
    frame["comment"] = ['said "hi", then\nleft, 好' if i % 3 else "a, b" for i in range(12)]
    path = write_csv(frame, tmp_path / "quoted.csv")
    content, err = _same(tmp_path, monkeypatch, "quoted", [path])
    assert err is None
    assert sum(r[4] == 'said "hi", then\nleft, 好' for r in content["comments"][1]) == 8


@pytest.mark.parametrize("seed", range(3))
def test_structure_check_passes_only_files_of_whole_records(tmp_path, monkeypatch, seed):
    """The streaming reader's field count (pyarrow) passes a file only when no non-blank record
    has fewer or more fields than the header — pandas, reading a chunk at a time, silently drops
    the extra fields of a long record that starts a chunk, so this check must catch them."""
    import random

    rng = random.Random(seed)

    def field():
        r = rng.random()
        if r < 0.5:
            return rng.choice(["1", "2", "abc", "", "x y"])
        if r < 0.75:
            return '"' + rng.choice(["a,b", 'he said ""hi""', "line\nbreak", "", ",", '""']) + '"'
        return "z"

    checked = 0
    for _ in range(200):
        width = rng.randint(2, 4)
        lines = [",".join(f"h{i}" for i in range(width))]
        for _ in range(rng.randint(1, 6)):
            w = width if rng.random() < 0.85 else rng.choice([width - 1, width + 1, 1])
            lines.append(",".join(field() for _ in range(w)) if rng.random() > 0.1 else "")
        text = ("\r\n" if rng.random() < 0.3 else "\n").join(lines) + (
            "\n" if rng.random() < 0.7 else ""
        )
        path = tmp_path / "f.csv"
        path.write_bytes(text.encode())
        scan = io_stream.scan_csv(path)
        if scan is None or not any(line.strip() for line in lines[1:]):
            continue
        checked += 1
        short, long = _odd_rows(path, scan)
        assert io_stream.structure_ok(path, scan) == (not short and not long), text
    assert checked > 50


def test_long_record_starting_a_chunk_is_refused(tmp_path, monkeypatch):
    frame = survey(2023, n=8)
    lines = frame.to_csv(index=False).split("\n")
    lines[4] += ",extra"  # data row 4: the first of the second block of 3 rows
    path = write_csv(None, tmp_path / "long.csv", text="\n".join(lines))
    _, err = _same(tmp_path, monkeypatch, "long4", [path], streamed=False)
    assert err is not None and "more fields than the header" in err


def _odd_rows(path: Path, scan) -> tuple[bool, bool]:
    """Whether pyarrow's parser finds a non-blank record with fewer fields than the header, and
    one with more."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    found, longer = [], []

    def handler(row):
        if row.actual_columns < row.expected_columns and (row.text or "").strip():
            found.append(row.number)
        if row.actual_columns > row.expected_columns:
            longer.append(row.number)
        return "skip"

    with open(path, "rb") as fh:
        fh.seek(scan.body_offset)
        pacsv.read_csv(
            fh,
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(scan.header))]),
            parse_options=pacsv.ParseOptions(
                delimiter=scan.sep, newlines_in_values=True, invalid_row_handler=handler
            ),
            convert_options=pacsv.ConvertOptions(column_types={"c0": pa.string()}),
        )
    return bool(found), bool(longer)


def _varied(kind: str) -> tuple[pd.DataFrame, dict]:
    """A survey of 13 rows written one way the arrow path must read as pandas does."""
    frame = survey(2023, n=13)
    kw: dict = {}
    if kind == "quoted texts":
        frame["comment"] = [
            'said "hi", then\nleft, 好',
            "  ",  # only spaces: no comment
            " leading space kept",
            "价格太高了，等待时间长！",
            "a\r\nb",
            "",
            '"',
            "\u3000",  # an ideographic space only: no comment
            "tab\tinside",
            "ends with space ",
            "Müller £5 ©",
            "x",
            "y",
        ]
    elif kind == "bom crlf":
        kw = {"lineterminator": "\r\n", "encoding": "utf-8-sig"}
    elif kind == "ids like 1.0":
        frame["respondent_id"] = [f"{i}.0" for i in range(1, 14)]
        frame["customer_id"] = [f"{i}.00" for i in range(13)]
        frame.loc[[0, 7], "price_value"] = 99
    elif kind == "missing values":
        frame["price_value"] = frame["price_value"].astype(float)
        frame.loc[[1, 4], "price_value"] = np.nan
        frame.loc[[2, 9], "price_value"] = 98
        frame.loc[5, "overall_sat"] = -99
        frame["branch"] = frame["branch"].astype(float)
        frame.loc[[0, 3, 12], "branch"] = np.nan
        frame.loc[6, "comment"] = np.nan
    elif kind == "no branch values":
        frame["branch"] = np.nan
    elif kind == "extra columns":
        frame = frame.assign(interviewer=["A", "", "B, C"] * 4 + ["D"], duration=range(13))
    elif kind == "weights":
        frame["weight"] = [0.1234, 1.5, 2, 0, 3.75, 10.000001, 0.5] + [1.25] * 6
    return frame, kw


@pytest.mark.parametrize(
    "kind",
    [
        "quoted texts",
        "bom crlf",
        "ids like 1.0",
        "missing values",
        "no branch values",
        "extra columns",
        "weights",
    ],
)
def test_arrow_path_stores_what_the_whole_file_path_stores(tmp_path, monkeypatch, kind):
    frame, kw = _varied(kind)
    path = write_csv(frame, tmp_path / "w2023.csv", **kw)
    content, err = _same(tmp_path, monkeypatch, kind.replace(" ", "-"), [path], fast=True)
    assert err is None
    assert len([r for r in content["responses"][1] if r[2] == 2023]) == 13


@pytest.mark.parametrize(
    "kind, edit",
    [
        ("blank line", lambda t: t.replace("\n", "\n\n", 3)),
        ("id with a space", lambda t: t.replace("R2023-0003", " R2023-0003 ", 1)),
        ("NA written out", lambda t: _cell(t, 4, "overall_sat", "NA")),
        ("17 digits", lambda t: _cell(t, 5, "weight", "0.12345678901234567")),
        ("negative zero", lambda t: _cell(t, 5, "overall_sat", "-0")),
        ("leading zero", lambda t: _cell(t, 6, "overall_sat", "07")),
        ("spaces around a number", lambda t: _cell(t, 7, "overall_sat", " 7 ")),
        ("plus sign", lambda t: _cell(t, 4, "overall_sat", "+7")),
        ("hexadecimal", lambda t: _cell(t, 4, "overall_sat", "0x7")),
        ("full-width digit", lambda t: _cell(t, 4, "overall_sat", "\uff17")),
        ("16 digits", lambda t: _cell(t, 4, "overall_sat", "0000000000000007")),
        ("category with a leading zero", lambda t: _cell(t, 3, "branch", "02")),
        ("wave with a plus sign", lambda t: _cell(t, 3, "wave", "+2023")),
        ("no trailing line end", lambda t: t.rstrip("\n") + "\n\n"),
        ("control character", lambda t: t.replace("Great service", "Great\x07service", 1)),
        ("private use", lambda t: t.replace("Great service", "Great\ue000service", 1)),
        ("out of scale", lambda t: _cell(t, 8, "overall_sat", "11")),
        ("wave out of range", lambda t: _cell(t, 8, "wave", "25")),
        ("negative weight", lambda t: _cell(t, 3, "weight", "-1")),
        ("category not a code", lambda t: _cell(t, 3, "branch", "7")),
        ("not whole", lambda t: _cell(t, 3, "price_value", "2.5")),
        ("blank id", lambda t: _cell(t, 3, "respondent_id", "")),
    ],
)
def test_files_the_arrow_path_leaves_to_the_pandas_path(tmp_path, monkeypatch, kind, edit):
    """Anything the arrow path does not read exactly as pandas does goes to the pandas path (or
    to the whole-file reader's refusal): the same stored rows or the same refusal."""
    text = edit(survey(2023, n=12).to_csv(index=False))
    path = write_csv(None, tmp_path / "w2023.csv", text=text)
    refused = kind in (
        "control character",
        "private use",
        "out of scale",
        "wave out of range",
        "negative weight",
        "category not a code",
        "not whole",
        "blank id",
        "hexadecimal",
        "full-width digit",
    )
    _, err = _same(
        tmp_path, monkeypatch, kind.replace(" ", "-"), [path], streamed=not refused, fast=False
    )
    assert (err is not None) == refused


def _cell(text: str, row: int, column: str, value: str) -> str:
    """``text`` (a CSV) with the cell of data row ``row`` (1 = first) in ``column`` set."""
    lines = text.split("\n")
    j = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[j] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines)


def test_numbers_read_by_pyarrow_as_by_pandas():
    """The arrow path's numbers (at most 15 characters, ``-?digits[.digits]``) are the doubles
    pandas' C parser reads from the same text."""
    import io

    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(3)
    texts = []
    for _ in range(20_000):
        whole = int(rng.integers(0, 10 ** int(rng.integers(1, 8))))
        digits = int(rng.integers(1, 14 - len(str(whole))))
        frac = int(rng.integers(0, 10**digits))
        texts.append(f"{'-' if rng.random() < 0.3 else ''}{whole}.{frac:0{digits}d}"[:15])
    texts += [f"{x}" for x in rng.uniform(0, 3, 5000).round(4)] + ["0", "1", "-5", "2025"]
    texts = [t.rstrip(".") for t in texts if not re.fullmatch(r"-0(\.0*)?", t)]  # -0: pandas
    assert all(len(t) <= 15 for t in texts)
    by_pandas = pd.read_csv(io.BytesIO(("x\n" + "\n".join(texts)).encode()))["x"].to_numpy(float)
    by_arrow = store_stream._numbers_of(pa.array(texts), pc)
    np.testing.assert_array_equal(by_arrow, by_pandas)

    # whole numbers (the usual answer column) are checked on their bytes, not by the regex
    whole = [str(x) for x in rng.integers(0, 10 ** rng.integers(1, 16, 5000))] + ["0", "7"]
    cells = [None if i % 7 == 0 else t for i, t in enumerate(whole)]
    arr = pa.array(cells, type=pa.string())
    assert store_stream._plain_whole_numbers(arr)
    text = "i,x\n" + "\n".join(f"{i},{'' if c is None else c}" for i, c in enumerate(cells))
    by_pandas = pd.read_csv(io.BytesIO(text.encode()))["x"].to_numpy(float)
    np.testing.assert_array_equal(store_stream._numbers_of(arr, pc), by_pandas)
    for odd in ("07", "+7", "-7", "0x7", "\uff17", "7 ", "1234567890123456", "7.0"):
        assert not store_stream._plain_whole_numbers(pa.array(["1", odd, None]))


@pytest.mark.parametrize("kind", ["gbk", "latin-1", "mixed"])
def test_encoding_detected_block_by_block(tmp_path, monkeypatch, kind):
    """A file that is not UTF-8, given without --encoding, is detected reading it in blocks (the
    blocks of 1 MiB made 128 bytes here) and streamed; it stores what the whole-file reader stores
    (and records the same encoding); a file mixing UTF-8 and GBK lines is refused as before."""
    frame = survey(2023, n=12)
    if kind == "latin-1":
        frame["comment"] = ["Müller était là", "", "Grüße", "ça va"] * 3
    text = frame.to_csv(index=False)
    if kind == "mixed":
        lines = text.split("\n")
        data = b"\n".join(line.encode("gbk" if i % 2 else "utf-8") for i, line in enumerate(lines))
    else:
        data = text.encode("gbk" if kind == "gbk" else "latin-1")
    path = tmp_path / "legacy.csv"
    path.write_bytes(data)
    monkeypatch.setattr(io_stream, "BLOCK", 128)
    content, err = _same(tmp_path, monkeypatch, kind, [path], streamed=kind != "mixed")
    if kind == "mixed":
        assert err is not None and "mixes text encodings" in err
        return
    assert err is None
    assert FAST[-1], FAST  # the arrow path, transcoding the detected encoding
    recorded = {v for row in content["imports"][1] for v in row if v in ("gbk", "cp1252")}
    assert recorded == {"gbk" if kind == "gbk" else "cp1252"}  # (the same as the whole file's)
    if kind == "gbk":
        assert any(r[4] == "价格太高了" for r in content["comments"][1])
    else:
        assert any(r[4] == "Müller était là" for r in content["comments"][1])


# -- shapes of real client files the arrow path takes: a given wave, text codes, no id column,
# aliases


def _text_branches(frame: pd.DataFrame, codes=("N", "S", "north")) -> pd.DataFrame:
    """``frame`` with its branches written as the text codes ``codes`` (1 -> the first, ...)."""
    out = frame.copy()
    out["branch"] = [codes[(int(b) - 1 + i) % len(codes)] for i, b in enumerate(frame["branch"])]
    return out


def _text_codebook(codes=("N", "S", "north"), **kw) -> dict:
    cb = codebook(**kw)
    branch = next(v for v in cb["variables"] if v["name"] == "branch")
    branch["values"] = {c: {"en": f"branch {c}"} for c in codes}
    return cb


def _no_id_codebook() -> dict:
    cb = codebook()
    cb["variables"][0]["required"] = False
    return cb


def _alias_codebook(waves=None) -> dict:
    cb = codebook()
    for v in cb["variables"]:
        if v["name"] == "overall_sat":
            v["aliases"] = [{"name": "sat_overall", **({"waves": waves} if waves else {})}]
        if v["name"] == "comment":
            v["aliases"] = [{"name": "verbatim"}]
        if v["name"] == "respondent_id":
            v["aliases"] = [{"name": "resp_id"}]
        if v["name"] == "wave":
            v["aliases"] = [{"name": "year"}]
    return cb


def _shaped(kind: str) -> tuple[pd.DataFrame, dict]:
    """A survey of 13 rows in one of the shapes below, and the import's arguments."""
    frame, _ = _varied("missing values")  # blanks and missing codes in several columns
    kw: dict = {}
    if kind.startswith("given wave"):
        frame = frame.drop(columns=["wave"])
        kw["wave"] = 2023
        if kind == "given wave, extra columns":
            frame = frame.assign(interviewer=["A", "", "B, C"] * 4 + ["D"])
    elif kind.startswith("text codes"):
        frame = _text_branches(frame.assign(branch=frame["branch"].fillna(1)))
        frame.loc[[0, 3, 12], "branch"] = np.nan  # blanks
        kw = {"cb": _text_codebook(), "before": _text_branches(survey(2022))}
        if kind == "text codes, none given":
            frame["branch"] = np.nan
        elif kind == "text codes in Chinese":
            frame = _text_branches(frame.assign(branch=1), codes=("北区", "南区"))
            kw = {
                "cb": _text_codebook(codes=("北区", "南区")),
                "before": _text_branches(survey(2022), codes=("北区", "南区")),
            }
        elif kind == "text codes, given wave":
            frame = frame.drop(columns=["wave"])
            kw["wave"] = 2023
    elif kind.startswith("no wave variable"):  # the codebook has none: ``wave=`` gives it
        frame = frame.drop(columns=["wave"])
        cb = codebook()
        cb["variables"] = [v for v in cb["variables"] if v["name"] != "wave"]
        kw = {
            "cb": cb,
            "wave": 2023,
            "before": survey(2022).drop(columns=["wave"]),
            "before_kw": {"wave": 2022},
        }
        if kind == "no wave variable, no id column":
            frame = frame.drop(columns=["respondent_id"])
            cb["variables"][0]["required"] = False
    elif kind.startswith("no id column"):
        frame = frame.drop(columns=["respondent_id"])
        kw["cb"] = _no_id_codebook()
        if kind == "no id column, given wave":
            frame = frame.drop(columns=["wave"])
            kw["wave"] = 2023
    elif kind == "aliases":
        frame = frame.rename(
            columns={
                "overall_sat": "sat_overall",
                "comment": "verbatim",
                "respondent_id": "resp_id",
                "wave": "year",
            }
        )
        kw["cb"] = _alias_codebook()
    return frame, kw


@pytest.mark.parametrize(
    "kind",
    [
        "given wave",
        "given wave, extra columns",
        "text codes",
        "text codes, none given",
        "text codes in Chinese",
        "text codes, given wave",
        "no id column",
        "no id column, given wave",
        "no wave variable",
        "no wave variable, no id column",
        "aliases",
    ],
)
def test_arrow_path_takes_the_shapes_of_client_files(tmp_path, monkeypatch, kind):
    """A one-wave file imported with ``wave=`` (no wave column), a category of text codes, a file
    without respondent ids (ids generated), columns named by aliases: the arrow path stores what
    the whole-file path stores (rows, types, missing codes, comments, notes, ``imports``)."""
    frame, kw = _shaped(kind)
    path = write_csv(frame, tmp_path / "w2023.csv")
    content, err = _same(tmp_path, monkeypatch, kind.replace(" ", "-"), [path], fast=True, **kw)
    assert err is None
    rows = [r for r in _rows(content, "responses") if r["wave"] == 2023]
    assert len(rows) == 13
    assert len([r for r in _rows(content, "missing_codes") if r["wave"] == 2023]) == 3
    last = max(_rows(content, "imports"), key=lambda r: r["import_id"])
    assert last["wave_given"] == (2023 if "wave" in kw else None)
    if "no id column" in kind:
        assert re.fullmatch(r"[0-9a-f]{12}-<row>", last["ids_generated"])
        prefix = last["ids_generated"][:12]
        assert {r["respondent_id"] for r in rows} == {f"{prefix}-{i}" for i in range(2, 15)}
        assert any("ids generated as" in n for n in content["report"][0])
    else:
        assert last["ids_generated"] is None
    if kind.startswith("text codes") and kind != "text codes, none given":
        assert dict(content["responses"][0])["branch"] == "VARCHAR"
        assert {r["branch"] for r in rows} - {None} == set(kw["cb"]["variables"][3]["values"])


def _rows(content: dict, table: str) -> list[dict]:
    """The rows of ``table`` in ``content`` (see :func:`_content`) as dicts."""
    types, rows = content[table]
    cols = [c for c, t in types if c not in _VOLATILE and not t.startswith("TIMESTAMP")]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _odd_shape(kind: str, tmp_path: Path) -> tuple[Path, dict]:
    """A file in a shape the arrow path must hand to the pandas path (or to the whole-file
    reader's refusal), and the import's arguments."""
    frame = survey(2023, n=12)
    text_kw = {"cb": _text_codebook(), "before": _text_branches(survey(2022))}
    kw: dict = {}
    if kind == "given wave out of range":
        frame, kw = frame.drop(columns=["wave"]), {"wave": 25}
    elif kind == "no wave variable, wave out of range":
        cb = codebook()
        cb["variables"] = [v for v in cb["variables"] if v["name"] != "wave"]
        frame = frame.drop(columns=["wave"])
        kw = {"cb": cb, "wave": 1800, "before": survey(2022).drop(columns=["wave"])}
        kw["before_kw"] = {"wave": 2022}
    elif kind == "given wave, blank line":
        frame, kw = frame.drop(columns=["wave"]), {"wave": 2023}
    elif kind.startswith("text code"):
        frame, kw = _text_branches(frame), text_kw
    elif kind == "numbers among text codes":
        frame = _text_branches(frame, codes=("N", "1.5"))
        kw = {
            "cb": _text_codebook(codes=("N", "1.5")),
            "before": _text_branches(survey(2022), codes=("N", "1.5")),
        }
    elif kind.startswith("no id column"):
        frame = frame.drop(columns=["respondent_id"])
        kw = {"cb": _no_id_codebook() if kind != "no id column, id required" else codebook()}
        if kind.endswith("line of empty cells"):  # no weight, id or wave to hold the row back
            frame = frame.drop(columns=["weight", "customer_id", "wave"])
            kw["wave"] = 2023
    elif kind == "alias and name":
        frame = frame.assign(sat_overall=frame["overall_sat"])
        kw = {"cb": _alias_codebook()}
    elif kind == "alias of some waves":
        frame = frame.rename(columns={"overall_sat": "sat_overall"})
        kw = {"cb": _alias_codebook(waves=[2023])}
    text = frame.to_csv(index=False)
    if kind.endswith("blank line"):
        text = text.replace("\n", "\n\n", 3)
    elif kind.endswith("line of empty cells"):  # dropped as a blank line, rows numbered on
        lines = text.split("\n")
        lines.insert(5, "," * (len(frame.columns) - 1))
        lines.insert(9, "," * (len(frame.columns) - 1))
        text = "\n".join(lines)
    elif kind == "text code in lower case":
        text = _cell(text, 4, "branch", "n")
    elif kind == "text code with spaces":
        text = _cell(text, 4, "branch", " N ")
    elif kind == "text code as a missing code":
        text = _cell(text, 5, "branch", "99")
    elif kind == "text code NA":
        text = _cell(text, 5, "branch", "NA")
    elif kind == "text code as a number":
        text = _cell(text, 6, "branch", "1")
    return write_csv(None, tmp_path / "w2023.csv", text=text), kw


@pytest.mark.parametrize(
    "kind, streamed, refused",
    [
        ("given wave out of range", False, True),
        ("no wave variable, wave out of range", False, True),
        ("given wave, blank line", True, False),
        ("text code in lower case", False, True),
        ("text code with spaces", True, False),
        # the whole-file path once blanked a missing code by converting the whole column to
        # numbers: every text code of the column was lost (stored as NULL)
        ("text code as a missing code", True, False),
        ("text code NA", False, True),
        ("text code as a number", False, True),
        ("numbers among text codes", True, False),
        ("no id column, blank line", True, False),
        ("no id column, line of empty cells", True, False),
        ("no id column, id required", False, True),
        ("alias and name", False, True),
    ],
)
def test_odd_shapes_the_arrow_path_hands_over(tmp_path, monkeypatch, kind, streamed, refused):
    """What the arrow path does not read exactly as the whole-file reader does goes to the
    pandas path (the same stored rows) or to the whole-file reader (the same refusal)."""
    path, kw = _odd_shape(kind, tmp_path)
    _, err = _same(
        tmp_path, monkeypatch, kind.replace(" ", "-"), [path], streamed=streamed, fast=False, **kw
    )
    assert (err is not None) == refused, err


@pytest.mark.parametrize("kind", ["wave column and a given wave", "alias of some waves"])
def test_shapes_the_streaming_paths_never_see(tmp_path, monkeypatch, kind):
    """A file with its own wave column imported with ``wave=`` is refused before it is read, and
    aliases of some waves only are chosen by the whole file's waves: neither path reads them."""
    if kind == "alias of some waves":
        path, kw = _odd_shape(kind, tmp_path)
    else:
        path, kw = write_csv(survey(2023, n=12), tmp_path / "w2023.csv"), {"wave": 2023}
    refused = kind == "wave column and a given wave"
    # (refused before either streaming path is tried: no file was staged, ``all([])``)
    _, err = _same(tmp_path, monkeypatch, kind.replace(" ", "-"), [path], streamed=refused, **kw)
    assert FAST[1:] == []  # (the first: the file of 2022 the store holds before)
    assert (err is not None) == refused, err
    if refused:
        assert "its own wave column 'wave'" in err


@pytest.mark.parametrize(
    "codes, taken",
    [
        (("N", "S"), True),
        (("north", "south", "东区"), True),
        (("NA", "nan", "True"), True),  # words pandas' readers may take for missing or booleans
        ((" N", "S "), True),  # (the codebook strips its codes)
        (("N", "1.5"), False),
        (("N", "1e3"), False),
        (("N", "inf"), False),
        (("N", "-0.5"), False),
        (("N", "S\x07"), False),
    ],
)
def test_text_codes_the_arrow_path_takes_are_stored_as_text(codes, taken):
    """The arrow path takes a category of text codes only when the whole-file path stores its
    cells as text whatever the file holds (``_infer`` types the column VARCHAR as soon as one cell
    is not a number: every code must be one) and a cell can equal a code after ``strip()``."""
    from cxresearch.codebook import load
    from cxresearch.io._raw import _CONTROL
    from cxresearch.store._files import _infer

    var = load(_text_codebook(codes=codes)).get("branch")
    loaded = tuple(var.values)
    as_text = all(
        c == c.strip()
        and not _CONTROL.search(c)
        and _infer(pd.Series([c], dtype=object))[1] == "VARCHAR"
        for c in loaded
    )
    assert as_text == taken
    assert store_stream._text_codes(var) == (loaded if taken else None)


@pytest.mark.parametrize("seed", range(6))
def test_text_codes_of_random_cells_store_what_the_whole_file_stores(tmp_path, monkeypatch, seed):
    """Cells of a text-coded category drawn at random from codes, blanks and near-codes (other
    case, spaces at the ends, numbers, ``NA``): whichever path takes the file, it stores what the
    whole-file path stores, or refuses as it does; the arrow path takes exactly the files whose
    cells are all codes or blank."""
    rng = np.random.default_rng(seed)
    good = ["N", "S", "north", None]
    odd = ["n", "North", " N", "S ", "NA", "1", "\u00a0S"]
    cells = [
        str(rng.choice(odd)) if rng.random() < 0.04 else good[rng.integers(0, 4)] for _ in range(12)
    ]
    frame = survey(2023, n=12).assign(branch=cells)
    path = write_csv(frame, tmp_path / "w2023.csv")
    plain = all(c in good for c in cells)
    _, err = _same(
        tmp_path,
        monkeypatch,
        f"random-{seed}",
        [path],
        streamed=err_free(cells),
        fast=plain,
        cb=_text_codebook(),
        before=_text_branches(survey(2022)),
    )
    assert (err is None) == err_free(cells), (cells, err)


def err_free(cells) -> bool:
    """Whether the whole-file reader takes these cells of a category of codes N, S, north
    (each cell stripped, then one of the codes exactly)."""
    return all(c is None or c.strip() in ("N", "S", "north") for c in cells)


def test_a_missing_code_in_a_text_coded_category_keeps_the_other_codes(tmp_path):
    """Whole-file path: a '99' (declared missing) among text branch codes blanked the whole
    column (converted to numbers); the other rows keep their codes, the 99 goes to missing_codes."""
    path, kw = _odd_shape("text code as a missing code", tmp_path)
    with Store(tmp_path / "whole.duckdb") as st:
        st.import_files([path], client="acme", codebook=kw["cb"])
        got = st.con.execute(
            "SELECT branch, count(*) FROM responses GROUP BY branch ORDER BY branch NULLS LAST"
        ).fetchall()
        miss = st.con.execute("SELECT variable, code FROM missing_codes").fetchall()
    assert miss == [("branch", 99.0)]
    assert sum(n for b, n in got if b is not None) == 11 and got[-1] == (None, 1)
    assert {b for b, _ in got if b is not None} <= {"N", "S", "north"}  # _text_codebook
