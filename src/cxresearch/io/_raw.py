"""Reading a survey file into a raw table: values as the file holds them, before the codebook.

Each reader returns a :class:`RawTable` whose ``frame`` keeps the file's own column names and values
(CSV: strings; Excel: cell values; SPSS: numbers and strings with user-missing values kept;
Parquet: typed columns) and whose ``rows`` gives, for every frame row, the row number the user sees
(a spreadsheet's row number for CSV and Excel, where the header is row 1; the case number for
``.sav`` and Parquet, the first case being 1).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io as _io
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError, DataValidationError, Problem

#: encodings tried, in order, when a CSV's encoding is not given (GB18030 is a superset of GBK)
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")
#: encodings tried, in order, for a ``.sav`` whose text the file's declared encoding cannot decode
SAV_ENCODINGS: tuple[str, ...] = ("gbk", "gb18030")

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class SavMeta:
    """What a ``.sav`` file says about its variables (kept by the reader for mapping and drafts)."""

    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_ranges: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    measure: dict[str, str] = field(default_factory=dict)
    file_encoding: str | None = None


@dataclass(frozen=True)
class RawTable:
    """A file's content before the codebook is applied."""

    file: str
    format: str
    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str | None = None
    sav: SavMeta | None = None


def file_format(path: str | os.PathLike[str]) -> str:
    """The reader format (``csv``, ``xlsx``, ``sav``, ``parquet``) chosen from the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xls":
        raise CXValueError(
            f"{Path(path).name}: the old Excel format .xls is not supported; save it as .xlsx"
        )
    try:
        return FORMATS[suffix]
    except KeyError:
        allowed = ", ".join(sorted(FORMATS))
        raise CXValueError(
            f"{Path(path).name}: cannot tell the file format from suffix {suffix!r}; allowed: {allowed}"
        ) from None


def sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 hex digest of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# encodings
def _row_of_offset(data: bytes, offset: int) -> int:
    """The 1-based line number holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def decode_text(
    data: bytes,
    *,
    name: str,
    encoding: str | None = None,
    candidates: tuple[str, ...] = CSV_ENCODINGS,
) -> tuple[str, str]:
    """Decode ``data`` strictly; return ``(text, encoding)``.

    A byte-order mark decides (``utf-8-sig``, ``utf-16``). Otherwise each candidate is tried in turn
    with strict decoding, so no character is ever replaced. If none decodes, the error names the byte
    offset and row where the candidate that got furthest failed.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CXValueError(f"encoding {encoding!r} is not a known codec") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise _undecodable(name, data, [(encoding, exc)]) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(name, data, [("utf-8-sig", exc)]) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _undecodable(name, data, [("utf-16", exc)]) from None
    failures: list[tuple[str, UnicodeDecodeError]] = []
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            failures.append((enc, exc))
    raise _undecodable(name, data, failures)


def _undecodable(
    name: str, data: bytes, failures: list[tuple[str, UnicodeDecodeError]]
) -> DataValidationError:
    enc, exc = max(failures, key=lambda f: f[1].start)
    bad = data[exc.start : max(exc.end, exc.start + 1)].hex(" ")
    row = _row_of_offset(data, exc.start)
    tried = ", ".join(e for e, _ in failures)
    problem = Problem(
        file=name,
        row=row,
        column=None,
        value=f"bytes {bad} at byte offset {exc.start}",
        expected=(
            f"text in one encoding (tried {tried}; {enc} got furthest and fails here); "
            "give the file's encoding explicitly"
        ),
    )
    return DataValidationError([problem], header=f"{name}: cannot decode the file as text")


def detect_encoding(
    path: str | os.PathLike[str], *, candidates: tuple[str, ...] = CSV_ENCODINGS
) -> str:
    """The text encoding of a CSV file: ``utf-8-sig``, ``utf-16``, or the first of ``candidates``
    (default UTF-8, GBK, GB18030) that decodes the whole file strictly.

    Raises
    ------
    DataValidationError
        No candidate decodes the file; the problem names the byte offset and row.
    """
    p = Path(path)
    return decode_text(p.read_bytes(), name=p.name, candidates=candidates)[1]


# ---------------------------------------------------------------------------------------------
# readers
_SEPARATORS = (",", "\t", ";", "|")


def _sniff_separator(header: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    counts = {s: header.count(s) for s in _SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _file_problem(name: str, expected: str, value: object = None, *, header: str | None = None):
    return DataValidationError(
        [Problem(file=name, row=None, column=None, value=value, expected=expected)], header=header
    )


def read_csv_raw(
    path: Path, *, encoding: str | None = None, text_columns: frozenset[str] | None = None
) -> RawTable:
    """Read a delimited text file (encoding detected, decoded strictly).

    With ``text_columns`` (the columns the codebook says hold ids or text), those are read as
    strings (leading zeros kept) and the others are parsed by pandas' C reader (numbers come out
    as numbers; a column holding anything else stays text for the validation to name). Without
    it every column is read as strings. Empty cells are missing.
    """
    name = path.name
    data = path.read_bytes()
    text, enc = decode_text(data, name=name, encoding=encoding)
    if not text.strip():
        raise _file_problem(
            name,
            "a header row and at least one data row",
            "an empty file",
            header=f"{name}: the file is empty",
        )
    text = text.lstrip("\ufeff")
    first_line, _, body = text.partition("\n")
    sep = _sniff_separator(first_line, path.suffix.lower())
    header_row = next(csv.reader([first_line.rstrip("\r")], delimiter=sep), [])
    width = len(header_row)
    if text_columns is None:
        dtype: Any = str
    else:
        dtype = {i: str for i, h in enumerate(header_row) if h.strip() in text_columns}
    try:
        # names given and index_col=False: a row longer than the header must not silently become
        # an index column; pandas raises (or, for the first row, warns): both are caught
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                _io.StringIO(body),
                sep=sep,
                header=None,
                names=range(width),
                index_col=False,
                dtype=dtype,
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                engine="c",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        long_rows = _long_rows(body, sep, width)
        if long_rows:
            raise DataValidationError(
                [
                    Problem(
                        file=name,
                        row=row,
                        column=None,
                        value=f"{n_fields} fields",
                        expected=f"{width} fields like the header",
                    )
                    for row, n_fields in long_rows
                ],
                header=f"{name}: {len(long_rows)} row(s) have more fields than the header",
            ) from None
        raise _file_problem(name, "a readable delimited text file", str(exc).strip()) from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    cell_blank = _blank_cells(frame)
    # a column with no name and no value (a trailing delimiter on every line) carries nothing
    empty = [i for i, h in enumerate(header_row) if not h.strip() and cell_blank[:, i].all()]
    if empty:
        keep = [i for i in range(width) if i not in empty]
        frame = frame[keep]
        cell_blank = cell_blank[:, keep]
        header_row = [header_row[i] for i in keep]
        frame.columns = range(frame.shape[1])
    frame = _check_header(frame, name, header=header_row)
    rows = np.arange(len(frame), dtype=np.int64) + 2
    # drop wholly blank lines (they carry nothing), keep the user's row numbers for the rest
    if frame.shape[1] and len(frame):
        blank = cell_blank.all(axis=1)
        if blank.any():
            frame = frame.loc[~blank].reset_index(drop=True)
            rows = rows[~blank]
    return RawTable(file=name, format="csv", frame=frame, rows=rows, encoding=enc)


def _long_rows(body: str, sep: str, width: int) -> list[tuple[int, int]]:
    """``(row, fields)`` of every record longer than the header (rows as the user sees them)."""
    out = []
    for i, rec in enumerate(csv.reader(_io.StringIO(body), delimiter=sep)):
        if len(rec) > width:
            out.append((i + 2, len(rec)))
    return out


def _blank_cells(frame: pd.DataFrame) -> np.ndarray:
    """Cells that are missing or only whitespace, as a boolean (rows x columns) array."""
    out = frame.isna().to_numpy()
    for j, c in enumerate(frame.columns):
        s = frame[c]
        if s.dtype == object:
            out[:, j] |= (s.astype(str).str.strip() == "").to_numpy() & s.notna().to_numpy()
    return out


def _check_header(
    frame: pd.DataFrame, name: str, *, header: list[str] | None = None
) -> pd.DataFrame:
    cols = [str(c).strip() for c in (header if header is not None else frame.columns)]
    if header is not None and len(cols) != len(frame.columns):
        cols = [str(c).strip() for c in frame.columns]
    problems = []
    seen: set[str] = set()
    for i, c in enumerate(cols):
        if c == "" or c.startswith("Unnamed: "):
            problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=None,
                    value=f"column {i + 1}",
                    expected="a column name in the header row",
                )
            )
        elif c in seen:
            problems.append(
                Problem(
                    file=name,
                    row=1,
                    column=c,
                    value=c,
                    expected="each column name once in the header row",
                )
            )
        seen.add(c)
    if problems:
        raise DataValidationError(problems, header=f"{name}: the header row has problems")
    out = frame.copy(deep=False)
    out.columns = cols
    return out


def read_xlsx_raw(path: Path, *, sheet: str | int | None = None) -> RawTable:
    """Read one worksheet of an ``.xlsx`` file (the first unless ``sheet`` is given) with openpyxl."""
    import openpyxl

    name = path.name
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _file_problem(
            name, "a readable .xlsx workbook", f"{type(exc).__name__}: {exc}"
        ) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(wb.worksheets):
                raise CXValueError(
                    f"{name}: sheet index {sheet} out of range 0-{len(wb.worksheets) - 1}"
                )
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise CXValueError(
                    f"{name}: no sheet {sheet!r}; sheets are: {', '.join(wb.sheetnames)}"
                )
            ws = wb[sheet]
        it = ws.iter_rows(min_row=1, values_only=True)
        header = next(it, None)
        body = list(it)
    finally:
        wb.close()
    if header is None or all(h is None for h in header):
        raise _file_problem(
            name,
            "a header row and at least one data row",
            "an empty sheet",
            header=f"{name}: the file is empty",
        )
    width = len(header)
    while width and header[width - 1] is None:
        width -= 1
    header = ["" if h is None else str(h) for h in header[:width]]
    frame = pd.DataFrame.from_records([r[:width] for r in body], columns=range(width))
    if frame.shape[1] < width:  # no body rows
        frame = pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    frame = _check_header(frame, name, header=header)
    rows = np.arange(len(frame), dtype=np.int64) + 2
    if len(frame):
        blank = np.ones(len(frame), dtype=bool)
        for c in frame.columns:  # a row is blank when every cell is empty or whitespace
            s = frame[c]
            cell = s.isna()
            if s.dtype == object:
                cell |= s.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
            blank &= cell.to_numpy()
        if blank.any():
            frame = frame.loc[~blank].reset_index(drop=True)
            rows = rows[~blank]
    return RawTable(file=name, format="xlsx", frame=frame, rows=rows, encoding=None)


def read_sav_raw(
    path: Path, *, encoding: str | None = None, metadata_only: bool = False
) -> RawTable:
    """Read an SPSS ``.sav``/``.zsav`` with pyreadstat, keeping user-missing values as values.

    The file's own encoding is used first; if its text cannot be decoded (a GBK file mislabelled, or
    an old file without an encoding record) GBK and GB18030 are tried. ``encoding`` forces one.
    """
    import pyreadstat

    name = path.name
    tries: list[str | None] = [encoding] if encoding else [None, *SAV_ENCODINGS]
    last: Exception | None = None
    result = None
    tried: list[str] = []
    for enc in tries:
        tried.append(enc or "the file's own encoding")
        try:
            result = pyreadstat.read_sav(
                str(path),
                user_missing=True,
                encoding=enc,
                metadataonly=metadata_only,
                apply_value_formats=False,
                formats_as_category=False,
            )
            break
        except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError
            last = exc
            if not _is_encoding_error(exc):
                break
    if result is None:
        raise _file_problem(
            name,
            f"a readable SPSS .sav file (tried {', '.join(tried)})",
            f"{type(last).__name__}: {last}",
            header=f"{name}: cannot read the file",
        )
    df, meta = result
    used = normalise_encoding(enc or meta.file_encoding or "utf-8")
    missing: dict[str, list[tuple[Any, Any]]] = {}
    for var, ranges in (meta.missing_ranges or {}).items():
        missing[var] = [(r["lo"], r["hi"]) for r in ranges]
    sav = SavMeta(
        variable_labels={k: v for k, v in (meta.column_names_to_labels or {}).items() if v},
        value_labels=dict(meta.variable_value_labels or {}),
        missing_ranges=missing,
        measure=dict(meta.variable_measure or {}),
        file_encoding=used,
    )
    if not metadata_only and df.shape[1] == 0:
        raise _file_problem(
            name, "at least one variable", "no variables", header=f"{name}: the file is empty"
        )
    frame = _check_header(df, name)
    rows = np.arange(len(frame), dtype=np.int64) + 1
    return RawTable(
        file=name, format="sav", frame=frame, rows=rows, encoding=sav.file_encoding, sav=sav
    )


def _is_encoding_error(exc: Exception) -> bool:
    msg = str(exc).lower()
    return any(w in msg for w in ("encoding", "convert string", "iconv", "invalid byte"))


_ENCODING_NAMES = {"cp936": "gbk", "windows-936": "gbk", "ms936": "gbk", "utf8": "utf-8"}


def normalise_encoding(name: str) -> str:
    """A codec name in the form the package records (``utf-8``, ``gbk``, ``gb18030`` ...)."""
    low = str(name).strip().lower()
    return _ENCODING_NAMES.get(low, low)


def read_parquet_raw(path: Path) -> RawTable:
    """Read a Parquet file with pyarrow; categorical columns become their values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _file_problem(
            name, "a readable Parquet file", f"{type(exc).__name__}: {exc}"
        ) from None
    frame = table.to_pandas()
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(object)
    frame = _check_header(frame.reset_index(drop=True), name)
    rows = np.arange(len(frame), dtype=np.int64) + 1
    return RawTable(file=name, format="parquet", frame=frame, rows=rows, encoding=None)


def read_raw(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    text_columns: frozenset[str] | None = None,
) -> RawTable:
    """Read any supported file into a :class:`RawTable` (format from the suffix).

    ``text_columns``: CSV columns to keep as strings while the others are parsed as numbers
    (default: every CSV column as strings).
    """
    p = Path(path)
    fmt = file_format(p)
    if not p.is_file():
        raise CXValueError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise _file_problem(
            p.name,
            "a header row and at least one data row",
            "an empty file (0 bytes)",
            header=f"{p.name}: the file is empty",
        )
    if encoding is not None and fmt not in ("csv", "sav"):
        raise CXValueError(f"encoding= applies to CSV and .sav files only; {p.name} is {fmt}")
    if sheet is not None and fmt != "xlsx":
        raise CXValueError(f"sheet= applies to .xlsx files only; {p.name} is {fmt}")
    if fmt == "csv":
        return read_csv_raw(p, encoding=encoding, text_columns=text_columns)
    if fmt == "xlsx":
        return read_xlsx_raw(p, sheet=sheet)
    if fmt == "sav":
        return read_sav_raw(p, encoding=encoding)
    return read_parquet_raw(p)
