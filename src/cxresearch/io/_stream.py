"""Reading a CSV survey file in blocks of rows, for imports that must not hold the whole file.

:func:`read_csv_raw` holds the file's bytes, its decoded text and a frame of every cell at once
(about 15 times the file); the store's import of a large CSV reads it here instead, in three
linear passes whose memory does not grow with the file:

1. :func:`scan_csv` decodes the whole file strictly, block by block (an incremental decoder), and
   checks every block as :func:`~cxresearch.io._raw.decode_text` checks the whole text (no NUL
   byte, no control, private-use or replacement character, not old Mac line endings, not blank);
2. :func:`structure_ok` counts the fields of every record with pyarrow's CSV parser (C++, one
   column converted), as ``_short_rows`` does, and stops at the first record with fewer or more
   fields than the header (pandas, reading ``chunksize`` rows at a time, drops the extra fields
   of a long record that starts a chunk without a word, so it cannot be left to pandas);
3. :func:`iter_chunks` parses the records with pandas' C reader — the same reader and options as
   :func:`read_csv_raw` — ``chunksize`` rows at a time, dropping wholly blank lines and keeping
   the row number the user sees (header = row 1) of every kept row.

A plain survey file takes a faster road first (:func:`read_head` and :func:`arrow_batches`):
pyarrow's CSV reader (C++) parses every value as a string, checking UTF-8 (or transcoding a legacy
encoding strictly) and the field count of every record in the same pass; the store checks the
batches column by column with pyarrow.compute (:mod:`cxresearch.store._stream`). The three passes
above are the road for everything the arrow path does not take.

A file that is not UTF-8 and was given no encoding has its encoding detected block by block
(:func:`detect_encoding`: the whole-file reader's rules, without holding the file).

The module only says *whether* a file is plain: anything unusual — a file whose encoding the
whole-file reader would refuse (mixed lines, nothing decodes it), a NUL byte, a character that
is not plausible, a record with too many or too few fields, a header with a blank or repeated
name, a parser error — returns None or raises :class:`NotStreamable`, and the caller reads the
file whole with :func:`read_csv_raw`, whose refusal names the file, row and value. A refusal is
therefore worded exactly as before; only files that load take the streaming path.
"""

from __future__ import annotations

import codecs
import csv
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.io._raw import _CONTROL, _MAGIC, RawTable, _sniff_separator

#: bytes decoded and checked at a time
BLOCK = 1 << 20
#: rows parsed at a time (about 1 MB of a 25-column survey file)
CHUNK_ROWS = 10_000


class NotStreamable(Exception):
    """The file needs the whole-file reader (which says what is wrong with it, if anything)."""


@dataclass(frozen=True)
class Scan:
    """A CSV file checked to decode cleanly: how to read it on."""

    codec: str  # the codec of the body (after the header line)
    encoding: str  # the encoding recorded (as the whole-file reader records it)
    header: list[str]  # the header's fields, stripped
    sep: str
    body_offset: int  # byte offset of the first record after the header


def _ascii_compatible(codec: str) -> bool:
    try:
        return 'a,\n\r"'.encode(codec) == b'a,\n\r"'
    except (LookupError, UnicodeError):
        return False


def read_head(path: Path, *, encoding: str | None = None) -> Scan | None:
    """The codec, header and separator of ``path`` from its first block (the body is not read);
    None when the header is not plain (see :func:`scan_csv`)."""
    with open(path, "rb") as fh:
        first = fh.read(BLOCK)
    if not first or any(first.startswith(magic) for magic, _, _ in _MAGIC):
        return None
    if encoding is not None:
        codec = encoding
        recorded = encoding
    elif first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    elif first.startswith(codecs.BOM_UTF8):
        codec = recorded = "utf-8-sig"
    else:
        codec = recorded = "utf-8"
    try:
        body_codec = "utf-8" if codecs.lookup(codec).name == "utf-8-sig" else codec
    except LookupError:
        return None
    if not _ascii_compatible(body_codec):
        return None
    header_end = first.find(b"\n") + 1
    if header_end <= 0 or b"\x00" in first[:header_end]:
        return None  # no line end in the first block: the whole-file reader says what it is
    try:
        first_line = first[:header_end].decode(codec).lstrip("\ufeff").rstrip("\n")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(first_line) is not None:
        return None
    sep = _sniff_separator(first_line, path.suffix.lower())
    header = next(csv.reader([first_line.rstrip("\r")], delimiter=sep), [])
    names = [h.strip() for h in header]
    if (
        not names
        or any(h == "" or h.startswith("Unnamed: ") for h in names)
        or len(set(names)) != len(names)
    ):
        return None  # the whole-file reader drops empty columns or names the header's problem
    return Scan(codec=body_codec, encoding=recorded, header=names, sep=sep, body_offset=header_end)


def scan_csv(path: Path, *, encoding: str | None = None) -> Scan | None:
    """Decode ``path`` strictly block by block; None when the file is not plain text in one
    ASCII-compatible encoding (UTF-8, with or without BOM, or ``encoding``), or when its header
    is not plain; then :func:`read_csv_raw` must read (and refuse) it whole."""
    head = read_head(path, encoding=encoding)
    if head is None:
        return None
    codec = head.encoding  # the whole file's codec (``utf-8-sig`` drops the BOM)
    with open(path, "rb") as fh:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        seen_cr = seen_lf = nonblank = False
        block = fh.read(BLOCK)
        while block:
            if b"\x00" in block:
                return None
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError:
                return None
            if _CONTROL.search(text) is not None:
                return None
            seen_cr = seen_cr or "\r" in text
            seen_lf = seen_lf or "\n" in text
            nonblank = nonblank or bool(text.strip().lstrip("\ufeff").strip())
            block = fh.read(BLOCK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    if not nonblank or (seen_cr and not seen_lf):
        return None
    return head


def detect_encoding(path: Path) -> str | None:
    """The encoding the whole-file reader detects for a CSV that is not UTF-8 (and has no BOM),
    found reading the file in blocks: None when that reader would refuse the file (it mixes
    UTF-8 lines with lines in another encoding, or nothing decodes it) or the file is not text.

    As :func:`~cxresearch.io._raw.decode_text`: every non-ASCII line is checked to decode as
    UTF-8 or not (a file with both kinds mixes encodings), charset-normalizer ranks the legacy
    encodings on the first 256 KiB of non-ASCII lines, and the first that decodes the whole file
    strictly (read again, block by block) is the file's.
    """
    from cxresearch.io._raw import (
        CSV_ENCODINGS,
        SAMPLE_BYTES,
        _line_kinds,
        _non_ascii_lines,
        choose_legacy,
    )

    sample: list[bytes] = []
    size = 0
    kinds: set[int] = set()
    with open(path, "rb") as fh:
        first = fh.read(8)
        if first.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or any(
            first.startswith(magic) for magic, _, _ in _MAGIC
        ):
            return None
        fh.seek(0)
        carry = b""
        while True:
            block = fh.read(BLOCK)
            data = carry + block
            if not block:
                carry = b""
            else:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            if b"\x00" in data:
                return None
            if size < SAMPLE_BYTES:
                for _, line in _non_ascii_lines(data):
                    sample.append(line)
                    size += len(line) + 1
                    if size >= SAMPLE_BYTES:
                        break
            for _, kind in _line_kinds(data):
                kinds.add(kind)
            if len(kinds) > 1:
                return None  # mixed: the whole-file reader names the rows
            if not block:
                break
    if kinds != {2}:
        return None

    def decodes(enc: str) -> bool:
        decoder = codecs.getincrementaldecoder(enc)(errors="strict")
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(BLOCK), b""):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return True

    return choose_legacy(b"\n".join(sample), CSV_ENCODINGS, decodes)


def structure_ok(path: Path, scan: Scan) -> bool:
    """Whether every non-blank record has as many fields as the header (pyarrow counts them in
    C++, one column converted); False at the first record that has more or fewer."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = len(scan.header)
    if width <= 1:
        return True

    def handler(row) -> str:
        if row.actual_columns > row.expected_columns or (row.text or "").strip():
            return "error"
        return "skip"  # a blank line: pandas reads it as a blank row, dropped

    with open(path, "rb") as fh:
        fh.seek(scan.body_offset)
        try:
            reader = pacsv.open_csv(
                fh,
                read_options=pacsv.ReadOptions(
                    column_names=[f"c{i}" for i in range(width)],
                    use_threads=False,
                    block_size=1 << 20,
                    encoding=scan.codec,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=scan.sep, newlines_in_values=True, invalid_row_handler=handler
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=["c0"],
                    column_types={"c0": pa.string()},
                    strings_can_be_null=False,
                ),
            )
            for _ in reader:
                pass
        except (pa.ArrowInvalid, pa.ArrowException, StopIteration):
            return False
    return True


#: bytes parsed at a time by the arrow reader (about 45,000 rows of a 25-column survey file)
ARROW_BLOCK = 1 << 18

#: rows checked and staged at a time by the arrow path (the reader's blocks are joined up to it)
ARROW_ROWS = 16_384

#: what :data:`~cxresearch.io._raw._CONTROL` finds, for pyarrow's regex engine (RE2)
CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{7f}-\x{9f}\x{e000}-\x{f8ff}\x{fffd}]"


def _one_batch(batches: list) -> Any:
    import pyarrow as pa

    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def arrow_batches(
    path: Path, scan: Scan, *, block_size: int | None = None, min_rows: int | None = None
) -> Iterator[Any]:
    """The records of a file as pyarrow record batches of strings (a file not in UTF-8 is
    transcoded by pyarrow as it is read, strictly) (columns named as the
    header; an empty cell, quoted or not, is null, as pandas' ``na_values=[""]`` reads it).

    pyarrow's reader (C++) parses and checks in one pass what the whole-file reader checks in
    three: every value must be valid UTF-8, and every record must have as many fields as the
    header; a blank line (which pandas reads as a blank row, dropped, numbering the rows on) is
    refused here too. The plausibility of the text (no control, private-use or replacement
    character: :data:`CONTROL_RE2`) is the caller's check, on the batches' text columns.

    Raises
    ------
    NotStreamable
        a record the reader refuses (the caller reads the file another way).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = list(scan.header)
    min_rows = min_rows or ARROW_ROWS
    source = pa.OSFile(str(path))
    try:
        source.seek(scan.body_offset)
        try:
            reader = pacsv.open_csv(
                source,
                memory_pool=pa.default_memory_pool(),
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    use_threads=False,
                    block_size=block_size or ARROW_BLOCK,
                    encoding="utf8" if scan.codec == "utf-8" else scan.codec,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=scan.sep, newlines_in_values=True, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                    check_utf8=True,
                ),
            )
            buf, have = [], 0
            for batch in reader:
                buf.append(batch)
                have += batch.num_rows
                if have >= min_rows:
                    yield _one_batch(buf)
                    buf, have = [], 0
            if have:
                yield _one_batch(buf)
        except (pa.ArrowInvalid, pa.ArrowException, StopIteration, UnicodeDecodeError) as exc:
            raise NotStreamable(str(exc)) from None
    finally:
        source.close()


def text_dtypes(header: list[str], text_columns: frozenset[str] | None) -> Any:
    """pandas ``dtype=`` of :func:`read_csv_raw`: the codebook's id and text columns as strings."""
    if text_columns is None:
        return str
    return {i: str for i, h in enumerate(header) if h.strip() in text_columns}


def iter_chunks(
    path: Path,
    scan: Scan,
    *,
    text_columns: frozenset[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[RawTable]:
    """The file's records ``chunk_rows`` at a time as raw tables (values as :func:`read_csv_raw`
    gives them, wholly blank lines dropped, ``rows`` the user's row numbers).

    Raises
    ------
    NotStreamable
        pandas refuses a record (e.g. more fields than the header).
    """
    width = len(scan.header)
    start = 0
    with open(path, "rb") as fh:
        fh.seek(scan.body_offset)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                reader = pd.read_csv(
                    fh,
                    encoding=scan.codec,
                    sep=scan.sep,
                    header=None,
                    names=range(width),
                    index_col=False,
                    dtype=text_dtypes(scan.header, text_columns),
                    keep_default_na=False,
                    na_values=[""],
                    skip_blank_lines=False,
                    engine="c",
                    chunksize=chunk_rows,
                )
                for frame in reader:
                    n = len(frame)
                    rows = np.arange(start, start + n, dtype=np.int64) + 2
                    start += n
                    blank = _blank_rows(frame)
                    if blank.any():
                        frame = frame.loc[~blank].reset_index(drop=True)
                        rows = rows[~blank]
                    if not len(frame):
                        continue
                    frame.columns = scan.header
                    yield RawTable(
                        file=path.name, format="csv", frame=frame, rows=rows, encoding=scan.encoding
                    )
        except (
            pd.errors.ParserError,
            pd.errors.ParserWarning,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            ValueError,
        ) as exc:
            raise NotStreamable(str(exc)) from None


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is missing or only whitespace (as ``_blank_cells(...).all(axis=1)``),
    looking at the text of only the rows whose other cells are all missing."""
    text_cols = [c for c in frame.columns if frame[c].dtype == object]
    if not text_cols:
        return frame.isna().all(axis=1).to_numpy() if frame.shape[1] else np.zeros(len(frame), bool)
    other = [c for c in frame.columns if frame[c].dtype != object]
    cand = frame[other].isna().all(axis=1).to_numpy() if other else np.ones(len(frame), bool)
    if not cand.any():
        return cand
    sub = frame.loc[cand, text_cols]
    blank = np.ones(len(sub), dtype=bool)
    for c in text_cols:
        s = sub[c]
        blank &= (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()
    out = np.zeros(len(frame), dtype=bool)
    out[np.flatnonzero(cand)[blank]] = True
    return out
