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
import re
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
    """The reader format (``csv``, ``xlsx``, ``sav``, ``parquet``) chosen from the file's suffix.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.io.file_format("wave_2025.SAV"), cx.io.file_format("export.xlsx")
    ('sav', 'xlsx')
    >>> cx.io.file_format("old.xls")
    Traceback (most recent call last):
    ...
    cxresearch.errors.CXValueError: old.xls: the old Excel format .xls is not supported; save it as .xlsx
    """
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
    """The SHA-256 hex digest of a file's bytes (read in 1 MiB blocks).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> path = Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = path.write_bytes(b"")
    >>> cx.io.sha256(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
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
    """Decode ``data`` strictly and check the text is plausible; return ``(text, encoding)``.

    Nothing is ever replaced or guessed silently:

    * a file that is not text at all (an Excel workbook, an old ``.xls``, Parquet or SPSS file
      given a text suffix) is refused naming what it looks like;
    * a NUL byte (which would cut a text short) is refused naming its row;
    * a byte-order mark decides (``utf-8-sig``, ``utf-16``);
    * a file that decodes as UTF-8 is UTF-8 (pure ASCII included);
    * otherwise the lines are checked one by one: a file holding both lines of UTF-8 text with
      non-ASCII characters and lines that are not UTF-8 mixes encodings and is refused, naming
      the first row that differs from the file's first non-ASCII row;
    * a non-UTF-8 file's encoding is detected with charset-normalizer among the legacy
      encodings of :data:`DETECT_ENCODINGS` (GB18030/GBK, Big5, Windows-1252/Latin-1) from its
      non-ASCII lines, then the whole file must decode strictly in it and hold no control or
      private-use characters (which a wrong legacy encoding produces);
    * ``encoding`` (``--encoding``) forces the codec; the whole file must still decode strictly
      and plausibly.

    The ``candidates`` argument is kept for callers of the earlier API: the first candidate
    that decodes the file is used when charset-normalizer finds nothing plausible.
    """
    _check_not_binary(data, name)
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise CXValueError(f"encoding {encoding!r} is not a known codec") from None
        if (
            b"\x00" in data
            and not info.name.startswith("utf-16")
            and not info.name.startswith("utf-32")
        ):
            raise _nul_problem(name, data)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _undecodable(name, data, [(encoding, exc)]) from None
        _check_plausible(text, name, normalise_encoding(encoding), forced=True)
        return text, encoding
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(name, data, [("utf-16", exc)]) from None
        _check_plausible(text, name, "utf-16")
        return text, "utf-16"
    if b"\x00" in data:
        raise _nul_problem(name, data)
    if data.startswith(codecs.BOM_UTF8):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _mixed_or_undecodable(name, data, "utf-8-sig", exc) from None
        _check_plausible(text, name, "utf-8-sig")
        return text, "utf-8-sig"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_failure = exc
    else:
        _check_plausible(text, name, "utf-8")
        return text, "utf-8"
    mixed = _mixed_rows(data)
    if mixed is not None:
        raise mixed_problem(name, *mixed)
    enc = _detect_legacy(data, candidates)
    if enc is None:
        failures = [("utf-8", first_failure)]
        for cand in candidates:
            if cand == "utf-8":
                continue
            try:
                data.decode(cand)
            except UnicodeDecodeError as exc:
                failures.append((cand, exc))
        raise _undecodable(name, data, failures)
    text = data.decode(enc)
    _check_plausible(text, name, enc)
    return text, enc


#: legacy encodings a non-UTF-8 text file is detected among (charset-normalizer), in order of
#: preference when they fit equally well: Chinese (simplified, traditional), then Western European
DETECT_ENCODINGS: tuple[str, ...] = ("gb18030", "big5", "cp1252", "latin_1")
_RECORDED = {"gb18030": "gb18030", "big5": "big5", "cp1252": "cp1252", "latin_1": "latin-1"}

_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx, a zip archive)", ".xlsx"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel workbook (.xls)",
        ".xls (then save it as .xlsx)",
    ),
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"$FL2", "an SPSS data file", ".sav"),
    (b"$FL3", "an SPSS data file (compressed)", ".zsav"),
)


def _check_not_binary(data: bytes, name: str) -> None:
    """Refuse a binary data file given a text suffix (e.g. an ``.xlsx`` renamed ``.csv``)."""
    for magic, what, suffix in _MAGIC:
        if data.startswith(magic):
            raise _file_problem(
                name,
                f"a text file (CSV); not a text file, it looks like {what}: give it the suffix {suffix}",
                f"bytes {data[:4].hex(' ')} at the start",
                header=f"{name}: not a text file, it looks like {what}",
            )


def _nul_problem(name: str, data: bytes) -> DataValidationError:
    at = data.index(b"\x00")
    line_start = data.rfind(b"\n", 0, at) + 1
    return DataValidationError(
        [
            Problem(
                file=name,
                row=_row_of_offset(data, at),
                column=None,
                value=f"a NUL byte (00) at byte offset {at}, character {at - line_start + 1} of the line",
                expected="text without NUL bytes: the file holds NUL bytes (a NUL cuts a text short "
                "when stored); remove them, or give the file's encoding if it is UTF-16",
            )
        ],
        header=f"{name}: the file holds NUL bytes",
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")


def _check_plausible(text: str, name: str, enc: str, *, forced: bool = False) -> None:
    """Refuse decoded text holding control characters, C1 controls, private-use characters or
    U+FFFD: signs of a wrong encoding (or of binary data) that would be stored as they are."""
    m = _CONTROL.search(text)
    if m is None:
        return
    ch = m.group()
    row = text.count("\n", 0, m.start()) + 1
    kind = (
        "a private-use character (a sign of a wrong encoding)"
        if "\ue000" <= ch <= "\uf8ff"
        else "a replacement character (the text was damaged by an earlier conversion)"
        if ch == "\ufffd"
        else "a control character"
    )
    hint = (
        "check the encoding given" if forced else "give the file's encoding explicitly (--encoding)"
    )
    raise DataValidationError(
        [
            Problem(
                file=name,
                row=row,
                column=None,
                value=f"U+{ord(ch):04X}, {kind}, when read as {enc}",
                expected=f"plain text in one encoding: the text is not plausible as {enc}; {hint}",
            )
        ],
        header=f"{name}: the text is not plausible as {enc}",
    )


_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def _non_ascii_lines(data: bytes):
    """``(row, line)`` of every line holding a byte above 0x7F, in one linear scan (no list of
    all lines: a 1 GB file is not split into millions of objects)."""
    pos, row = 0, 1
    m = _HIGH_BYTE.search(data)
    while m is not None:
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.start())
        end = len(data) if end < 0 else end
        row += data.count(b"\n", pos, start)
        pos = start
        yield row, data[start:end]
        m = _HIGH_BYTE.search(data, end)


def _line_kinds(data: bytes):
    """Per non-ASCII line: ``(row, kind)`` with kind 1 UTF-8 text, 2 not UTF-8."""
    for row, line in _non_ascii_lines(data):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            yield row, 2
        else:
            yield row, 1


def _mixed_rows(data: bytes) -> tuple[int, int, int, int] | None:
    """``(bad row, first row, n UTF-8 rows, n other rows)`` when the file mixes UTF-8 lines with
    non-UTF-8 lines; the bad row is the first whose kind differs from the first non-ASCII row's."""
    first: tuple[int, int] | None = None
    bad: int | None = None
    counts = {1: 0, 2: 0}
    for row, kind in _line_kinds(data):
        counts[kind] += 1
        if first is None:
            first = (row, kind)
        elif bad is None and kind != first[1]:
            bad = row
    if first is None or bad is None:
        return None
    return bad, first[0], counts[1], counts[2]


def mixed_problem(
    name: str, bad: int, first: int, n_utf8: int, n_other: int
) -> DataValidationError:
    """The refusal of a file mixing UTF-8 lines with lines in another encoding."""
    return DataValidationError(
        [
            Problem(
                file=name,
                row=bad,
                column=None,
                value=f"{n_utf8} line(s) of UTF-8 text and {n_other} line(s) in another encoding "
                f"(e.g. GBK); row {first} is the first non-ASCII row",
                expected="text in one encoding throughout: the file mixes text encodings (UTF-8 "
                "and another); save the whole file again in one encoding (e.g. UTF-8)",
            )
        ],
        header=f"{name}: the file mixes text encodings (row {bad} differs from row {first})",
    )


def _mixed_or_undecodable(name: str, data: bytes, enc: str, exc: UnicodeDecodeError):
    mixed = _mixed_rows(data[3:] if data.startswith(codecs.BOM_UTF8) else data)
    if mixed is not None:
        return mixed_problem(name, *mixed)
    return _undecodable(name, data, [(enc, exc)])


def _detect_legacy(data: bytes, candidates: tuple[str, ...]) -> str | None:
    """The legacy encoding of a non-UTF-8 file (charset-normalizer on its non-ASCII lines), as
    the name recorded (``gbk`` when GBK decodes it, else ``gb18030``; ``big5``, ``cp1252``,
    ``latin-1``); None when no candidate decodes the whole file."""
    lines, size = [], 0
    for _, line in _non_ascii_lines(data):  # whole lines, up to 256 KiB: no character cut in two
        lines.append(line)
        size += len(line) + 1
        if size >= SAMPLE_BYTES:
            break

    def decodes(enc: str) -> bool:
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            return False
        return True

    return choose_legacy(b"\n".join(lines), candidates, decodes)


#: bytes of non-ASCII lines charset-normalizer looks at (whole lines, the file's first)
SAMPLE_BYTES = 1 << 18


def choose_legacy(sample: bytes, candidates: tuple[str, ...], decodes) -> str | None:
    """The first encoding, ranked by charset-normalizer on ``sample`` (the file's first non-ASCII
    lines joined by LF), then ``candidates``, for which ``decodes(encoding)`` says the whole file
    decodes strictly (``gbk`` before ``gb18030``); None when none does. ``decodes`` may read the
    file in blocks (the store's streaming import) or decode it in memory."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample, cp_isolation=list(DETECT_ENCODINGS)))
    order = {e: i for i, e in enumerate(DETECT_ENCODINGS)}
    ranked = sorted(
        (m for m in matches if m.encoding in order),
        key=lambda m: (round(m.chaos, 2), order[m.encoding]),
    )
    tried = [_RECORDED[m.encoding] for m in ranked]
    tried += [c for c in candidates if c not in tried and c != "utf-8"]
    for enc in tried:
        if enc == "gb18030":
            for narrow in ("gbk", "gb18030"):
                if decodes(narrow):
                    return narrow
            continue
        if decodes(enc):
            return enc
    return None


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
            f"text in one encoding: cannot decode the file as text (tried {tried}; {enc} got "
            "furthest and fails here); give the file's encoding explicitly (--encoding)"
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

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> path = Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_bytes("respondent_id,wave,满意度,意见\\n1,2025,4,服务很好\\n"
    ...                      "2,2025,2,价格太贵\\n3,2025,99,\\n".encode("gbk"))
    >>> cx.io.detect_encoding(path)
    'gbk'
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
    del data  # one copy of the file at a time: bytes, then text, then the body as UTF-8 bytes
    if not text.strip():
        raise _file_problem(
            name,
            "a header row and at least one data row",
            "an empty file",
            header=f"{name}: the file is empty",
        )
    text = text.lstrip("\ufeff")
    if "\r" in text and "\n" not in text:
        raise _file_problem(
            name,
            "lines ending in LF or CR LF (Unix or Windows line endings), not old Mac line endings "
            "(CR only); save the file again as CSV from Excel or a text editor",
            f"{text.count(chr(13))} line(s) ending in CR only (old Mac line endings), no LF",
            header=f"{name}: old Mac line endings (CR only)",
        )
    first_line, _, body = text.partition("\n")
    del text
    raw_body = body.encode("utf-8")  # pandas and pyarrow parse bytes (a StringIO is encoded again)
    del body
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
                _io.BytesIO(raw_body),
                encoding="utf-8",
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
        long_rows = _long_rows(raw_body.decode("utf-8"), sep, width)
        if long_rows:
            raise DataValidationError(
                [
                    Problem(
                        file=name,
                        row=row,
                        column=None,
                        value=f"{n_fields} fields",
                        expected=f"{width} fields like the header: the row has more fields than "
                        "the header",
                    )
                    for row, n_fields in long_rows
                ],
                header=f"{name}: {len(long_rows)} row(s) have more fields than the header",
            ) from None
        raise _file_problem(name, "a readable delimited text file", str(exc).strip()) from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    short = _short_rows(raw_body, sep, width)
    del raw_body
    if short:
        raise DataValidationError(
            [
                Problem(
                    file=name,
                    row=row,
                    column=None,
                    value=f"{n_fields} field(s)",
                    expected=f"{width} fields like the header: the row has fewer fields than the "
                    "header (a row cut short: its last answers would be stored as blank)",
                )
                for row, n_fields in short[:50]
            ],
            header=f"{name}: {len(short)} row(s) have fewer fields than the header",
        )
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


def _short_rows(body: bytes, sep: str, width: int) -> list[tuple[int, int]]:
    """``(row, fields)`` of every non-blank record with fewer fields than the header.

    pandas fills a short record's last cells with NaN without a word; pyarrow's CSV parser counts
    every record's fields in C++ (one pass, only the first column converted) and hands the short
    ones to a handler. Rows are as the user sees them (header = row 1).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if width <= 1 or not body:
        return []
    found: list[tuple[int, int]] = []

    def handler(row) -> str:
        if row.actual_columns < row.expected_columns and (row.text or "").strip():
            found.append((row.number, row.actual_columns))
        return "skip"

    try:
        pacsv.read_csv(
            _io.BytesIO(body),
            read_options=pacsv.ReadOptions(
                column_names=[f"c{i}" for i in range(width)], use_threads=False, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=handler
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=["c0"], column_types={"c0": pa.string()}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return found  # a structure pandas already accepted; pyarrow's stricter rules do not decide
    if not found:
        return []
    # pyarrow numbers the physical lines of the body when it can; the header is row 1
    if all(n is not None and n >= 1 for n, _ in found):
        return sorted((int(n) + 1, k) for n, k in found)
    out = []
    for i, rec in enumerate(csv.reader(_io.StringIO(body.decode("utf-8")), delimiter=sep)):
        if 0 < len(rec) < width and any(f.strip() for f in rec):
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
        ws_title = ws.title
        it = ws.iter_rows(min_row=1, values_only=True)
        header = next(it, None)
        body = list(it)
        first_row = 2  # the row number the user sees of the first body row
    finally:
        wb.close()
    if header is None or all(h is None for h in header):
        raise _file_problem(
            name,
            "a header row and at least one data row",
            "an empty sheet",
            header=f"{name}: the file is empty",
        )
    # every column that holds a value, in the header or below it (a value under a blank header
    # is refused by _check_header, never dropped)
    width = max([_filled_width(header)] + [_filled_width(r) for r in body])
    header = list(header[:width]) + [None] * (width - len(header))
    if any(_blank(h) or (isinstance(h, str) and not h.strip()) for h in header):
        headings = _group_headings(path, ws_title, len(body))
        if headings is not None:
            k, fill, texts = headings
            header = list(body[k - 1][:width]) + [None] * max(0, width - len(body[k - 1]))
            for col, text in fill.items():
                if col < width and _blank(header[col]):
                    header[col] = text
            body = body[k:]
            first_row += k
            above = ", ".join(repr(v) for v in texts)
            warnings.warn(
                f"{name}: row{'s 1-' + str(k) if k > 1 else ' 1'} hold{'' if k > 1 else 's'} "
                f"merged group headings ({above}) above the column names; the names are read "
                f"from row {k + 1} and the data from row {k + 2}",
                stacklevel=2,
            )
    header = ["" if _blank(h) else str(h) for h in header]
    frame = pd.DataFrame.from_records([r[:width] for r in body], columns=range(width))
    if frame.shape[1] < width:  # no body rows
        frame = pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    frame = _check_header(frame, name, header=header)
    if _has_formulas(path):
        uncached = _uncached_formulas(path, ws_title, frame, header)
        if uncached:
            raise DataValidationError(
                [
                    Problem(
                        file=name,
                        row=row,
                        column=col,
                        value=formula,
                        expected="a value: the cell holds a formula without a calculated value "
                        "(the program that wrote the file did not calculate it); open the file in "
                        "Excel or LibreOffice and save it, or paste the values",
                    )
                    for row, col, formula in uncached[:50]
                ],
                header=f"{name}: {len(uncached)} formula cell(s) without a calculated value",
            )
    rows = np.arange(len(frame), dtype=np.int64) + first_row
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


def _filled_width(row: tuple | list) -> int:
    """One past the last cell of ``row`` that holds a value (0 for an empty row)."""
    width = len(row)
    while width and _blank(row[width - 1]):
        width -= 1
    return width


def _group_headings(
    path: Path, title: str, n_body: int
) -> tuple[int, dict[int, str], list[str]] | None:
    """``(k, fill, texts)`` when the sheet's first ``k`` rows are group headings merged across columns
    above the row of column names (an Excel export's "Satisfaction" over Q1-Q5), else None.

    Only merged cells count as evidence (a header with a blank name and no merged heading is
    refused as before): a row is a heading row when it holds a merged range across columns, and
    the column names are in the first row after them. ``fill`` gives the names of columns whose
    name cell is covered by a merge from the heading rows (an ``id`` merged down over both rows),
    by 0-based column; ``texts`` the headings' words. Needs openpyxl's full (not read-only) mode, so it runs only for a header
    with blank names.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    try:
        ws = wb[title]
        ranges = list(ws.merged_cells.ranges)
        k = 0
        while k < min(5, n_body) and any(
            r.min_row == k + 1 and r.max_col > r.min_col for r in ranges
        ):
            k += 1
        if k == 0:
            return None
        fill = {}
        for r in ranges:  # merged down from the headings into the names' row
            if r.min_row <= k < r.max_row and r.min_col == r.max_col:
                value = ws.cell(row=r.min_row, column=r.min_col).value
                if not _blank(value):
                    fill[r.min_col - 1] = str(value)
        texts = sorted(
            {
                str(ws.cell(row=r.min_row, column=r.min_col).value)
                for r in ranges
                if r.max_row <= k and r.max_col > r.min_col
            }
        )
    finally:
        wb.close()
    return k, fill, texts


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (``<f>`` element): a cheap scan of
    the zip's sheet parts, so the second read of :func:`_uncached_formulas` runs only then."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        tail = b""
                        for block in iter(lambda: fh.read(1 << 20), b""):
                            chunk = tail + block
                            if (
                                b"<f>" in chunk
                                or b"<f " in chunk
                                or b":f>" in chunk
                                or b":f " in chunk
                            ):
                                return True
                            tail = chunk[-8:]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def _uncached_formulas(path: Path, title: str, frame: pd.DataFrame, header: list[str]):
    """``(row, column, formula)`` of every formula cell whose cached value is missing: openpyxl
    reads such a cell as empty with ``data_only=True``, which would store NULL silently."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[title]
        out = []
        values = frame.to_numpy(dtype=object)
        width = len(header)
        for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
            if i >= len(values):
                break
            for j, cell in enumerate(row[:width]):
                if isinstance(cell, str) and cell.startswith("=") and _blank(values[i, j]):
                    out.append((i + 2, header[j], cell))
                elif type(cell).__name__ in ("ArrayFormula", "DataTableFormula") and _blank(
                    values[i, j]
                ):
                    out.append((i + 2, header[j], str(getattr(cell, "text", cell))))
        return out
    finally:
        wb.close()


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

    Examples
    --------
    The file's cells as it holds them, before any codebook (the row numbers are the ones a user
    sees, the header being row 1):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> path = Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_bytes("respondent_id,wave,满意度,意见\\n1,2025,4,服务很好\\n"
    ...                      "2,2025,2,价格太贵\\n3,2025,99,\\n".encode("gbk"))
    >>> raw = cx.io.read_raw(path)
    >>> raw.format, raw.encoding, raw.rows.tolist()
    ('csv', 'gbk', [2, 3, 4])
    >>> raw.frame["满意度"].tolist()
    ['4', '2', '99']
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


def _blank(value: Any) -> bool:
    """A cell openpyxl read as empty (None, or NaN once pandas made the column numeric)."""
    return value is None or (isinstance(value, float) and np.isnan(value))
