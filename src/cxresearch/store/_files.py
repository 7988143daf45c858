"""Reading and validating the files of one import (nothing here touches the store).

Survey waves go through :func:`cxresearch.io.read` (the codebook's checks and missing codes); CRM,
employee survey and comment files through io's raw reader and the column rules below. Every
problem of every file is collected as a :class:`~cxresearch.errors.Problem`; the store writes only
when there is none.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch.errors import CXError, CXValueError, DataValidationError, Problem

_RESERVED = {"client", "import_id"}
#: waves and CRM years a file may hold (as cxresearch.io's PLAUSIBLE_WAVES)
_YEARS = (1900, 2100)
_NUMERIC_KINDS = {"likert", "nps", "rating", "binary", "numeric", "weight"}
MAX_PROBLEMS_PER_COLUMN = 50
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_Q_ITEM = re.compile(r"^q\d+$")

# CRM columns of CONTRACT §2: name -> (kind, required). Kinds: id, year, bool, count, float, code.
_CUSTOMER_COLUMNS: dict[str, tuple[str, bool]] = {
    "customer_id": ("id", True),
    "year": ("year", True),
    "branch": ("code", False),
    "segment": ("code", False),
    "active": ("bool", True),
    "churned": ("bool", True),
    "revenue": ("float", False),
    "purchases": ("count", False),
    "first_purchase_year": ("year_or_missing", False),
    "targeted": ("bool", False),
    "service_contacts": ("count", False),
    "transfers": ("count", False),
    "high_value": ("bool", False),
}
_EMPLOYEE_COLUMNS: dict[str, tuple[str, bool]] = {
    "employee_id": ("id", False),
    "unit": ("code", True),
    "wave": ("wave", True),
}
_COMMENT_COLUMNS: dict[str, tuple[str, bool]] = {
    "respondent_id": ("id", True),
    "wave": ("wave", True),
    "text": ("text", True),
    "variable": ("name", False),
    "lang": ("lang", False),
}
_SQL_OF_KIND = {
    "id": "VARCHAR",
    "year": "BIGINT",
    "wave": "BIGINT",
    "year_or_missing": "BIGINT",
    "bool": "BOOLEAN",
    "count": "BIGINT",
    "float": "DOUBLE",
    "item": "DOUBLE",
    "text": "VARCHAR",
    "name": "VARCHAR",
    "lang": "VARCHAR",
}


_CJK_RE2 = r"[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}]"  # _CJK for pyarrow


def quote_name(name: str) -> str:
    """A column name quoted for SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def detect_lang(texts: pd.Series) -> pd.Series:
    """``'zh'`` for texts holding CJK ideographs, ``'en'`` otherwise (vectorised: one C++ pass
    of pyarrow's regex over str texts, pandas for anything else).

    Examples
    --------
    >>> import pandas as pd
    >>> from cxresearch.store import detect_lang
    >>> detect_lang(pd.Series(["交货太慢了", "Great service, fast delivery", "配件OK"])).tolist()
    ['zh', 'en', 'zh']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = texts.to_numpy(dtype=object)
    try:
        arr = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is None or arr.null_count:
        return np.where(texts.astype(str).str.contains(_CJK), "zh", "en")
    hit = pc.match_substring_regex(arr, _CJK_RE2).to_numpy(zero_copy_only=False)
    return np.where(hit, "zh", "en")


# ---------------------------------------------------------------------------------------------------
# reading and validating a batch of files (nothing here touches the store)

_FORMATS = {
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
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass
class _Item:
    """One file, read and validated, with its frames as they will be stored."""

    path: Path
    file: str  # as the user gave it (problems name it so)
    name: str  # file name (recorded in imports)
    sha256: str
    format: str
    table: str
    encoding: str | None = None
    frame: pd.DataFrame | None = None
    types: dict[str, str] = field(default_factory=dict)
    missing: pd.DataFrame | None = None
    comments: pd.DataFrame | None = None
    variables: tuple[str, ...] = ()
    row_numbers: np.ndarray | None = None  # row number the user sees, per frame row position
    notes: tuple[str, ...] = ()  # reader warnings (e.g. undeclared columns left out)
    forced_encoding: str | None = None  # the encoding given by the user (CSV and .sav only)
    wave_given: int | None = None  # the wave set for a file without a wave column (--wave)
    ids_generated: str | None = None  # the pattern of respondent ids made for a file without any
    staged: object = None  # a survey CSV read in blocks: its rows on disk (``_stream.Staged``)

    @property
    def rows(self) -> int:
        if self.staged is not None:
            return self.staged.rows
        return 0 if self.frame is None else len(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the rows as they will be stored."""
        if self.staged is not None:
            return self.staged.columns
        return () if self.frame is None else tuple(self.frame.columns)

    def key_frame(self, key: list[str]) -> pd.DataFrame:
        """The key columns of the rows as they will be stored, indexed by row position."""
        if self.staged is not None:
            return self.staged.key_frame(key)
        return self.frame[key]

    def key_table(self, key: list[str]):
        """The rows with a whole key: their key columns and ``_row`` (the row position), as a
        frame for DuckDB, or a query of the rows staged on disk."""
        if self.staged is not None:
            where = " AND ".join(f"{quote_name(k)} IS NOT NULL" for k in key)
            return f"SELECT * FROM ({self.staged.key_sql(key)}) WHERE {where}"
        return self.frame[list(key)].assign(_row=self.frame.index).dropna(subset=list(key))

    def cleanup(self) -> None:
        """Remove the staged files (if any)."""
        if self.staged is not None:
            self.staged.cleanup()

    def user_row(self, index) -> int:
        """The row number the user sees for frame index ``index`` (header = row 1 in CSV/Excel,
        case number in .sav/Parquet)."""
        if self.row_numbers is not None and 0 <= int(index) < len(self.row_numbers):
            return int(self.row_numbers[int(index)])
        return int(index) + (2 if self.format in ("csv", "xlsx") else 1)


@dataclass
class _Batch:
    items: list[_Item]
    problems: list[Problem]
    skipped: list[tuple[str, str, int, object]] = field(default_factory=list)  # file, as, id, when


def resolve_codebook(codebook):
    """(Codebook, YAML text, sha256 of that text or of the file's bytes)."""
    from cxresearch import codebook as cbmod

    cb = cbmod.load(codebook)
    if isinstance(codebook, str | Path) and Path(codebook).is_file():
        raw = Path(codebook).read_bytes()
        return cb, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()
    text = cb.to_yaml()
    return cb, text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_batch(
    paths: list[Path],
    *,
    codebook,
    table: str,
    employee_scale,
    imported=None,
    skip_imported: bool = False,
    client: str = "",
    wave: int | None = None,
    encoding: str | None = None,
) -> _Batch:
    """Read and validate every file; ``imported(sha256)`` gives ``(file, imported_at, import_id)``
    of an earlier load of the same content for the client (None if there is none): such a file is
    not read again, and is a problem unless ``skip_imported``. ``wave`` is the wave of survey
    files without a wave column (a survey file with one is a problem)."""
    items: list[_Item] = []
    problems: list[Problem] = []
    skipped: list[tuple[str, str, int, object]] = []
    seen: dict[str, str] = {}
    for path in paths:
        file = path.name
        if path.is_dir():
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    None,
                    "a data file, not a folder (give its files, e.g. folder/*.csv)",
                )
            )
            continue
        if not path.is_file():
            problems.append(Problem(file, None, None, None, "an existing file (no such file)"))
            continue
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            hint = (
                " (save the old Excel format .xls as .xlsx)"
                if path.suffix.lower() == ".xls"
                else ""
            )
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    path.suffix or "(no extension)",
                    f"a .csv, .xlsx, .sav or .parquet file{hint}",
                )
            )
            continue
        try:
            digest = _sha256(path)
        except OSError as exc:
            problems.append(Problem(file, None, None, None, f"a readable file ({exc.strerror})"))
            continue
        if digest in seen:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    None,
                    f"each file once per import; it has the same content as {seen[digest]!r}",
                )
            )
            continue
        seen[digest] = file
        earlier = imported(digest) if imported is not None else None
        if earlier is not None:
            old_file, when, import_id = earlier
            if skip_imported:
                skipped.append((file, old_file, import_id, when))
            else:
                problems.append(
                    Problem(
                        file,
                        None,
                        None,
                        None,
                        f"a file not yet imported for client {client!r}: the same content (sha256 "
                        f"{digest[:12]}…) was imported as {old_file!r} on {when:%Y-%m-%d %H:%M:%S} UTC "
                        f"(import {import_id}); leave it out, or skip such files (--skip-imported)",
                    )
                )
            continue
        empty = _empty_file(path, fmt)
        if empty is not None:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    empty,
                    "a header row and at least one data row (the file is empty)",
                )
            )
            continue
        target = table
        if table == "auto":
            target = _detect_table(path, fmt, codebook, encoding=encoding)
            if target is None:
                problems.append(
                    Problem(
                        file,
                        None,
                        None,
                        None,
                        "a survey file holding the codebook's variables, a CRM file (customer_id, year, "
                        "active, churned), an employee survey file (unit, wave, q01 …) or a comment file "
                        "(respondent_id, wave, text); name the table with table=/--table if the columns "
                        "are right",
                    )
                )
                continue
        item = _Item(
            path=path,
            file=file,
            name=path.name,
            sha256=digest,
            format=fmt,
            table=target,
            forced_encoding=encoding if fmt in ("csv", "sav") else None,
        )
        try:
            if target == "responses":
                found = _read_survey(item, codebook, wave=wave)
            else:
                found = _read_other(item, codebook, employee_scale)
        except BaseException:
            for done in (*items, item):  # files staged on disk by the streaming reader
                done.cleanup()
            raise
        problems += found
        if not found:
            items.append(item)
        else:
            item.cleanup()
    try:
        problems += _duplicates_across(items)
    except BaseException:
        for done in items:
            done.cleanup()
        raise
    return _Batch(items, problems, skipped)


def _empty_file(path: Path, fmt: str) -> str | None:
    """What is empty about a file that holds nothing (None when it holds something)."""
    size = path.stat().st_size
    if size == 0:
        return "0 bytes"
    if fmt == "csv" and size < 4096 and not path.read_bytes().strip(b" \t\r\n\xef\xbb\xbf"):
        return "only blank lines"
    return None


def _peek_columns(path: Path, fmt: str, encoding: str | None = None) -> list[str] | None:
    """The header of a file without reading its rows (None if it cannot be read)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if fmt == "sav":
            import pyreadstat

            try:
                _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
            except Exception:
                _, meta = pyreadstat.read_sav(str(path), metadataonly=True, encoding="GB18030")
            return list(meta.column_names)
        if fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                row = next(wb.worksheets[0].iter_rows(min_row=1, max_row=1, values_only=True), ())
            finally:
                wb.close()
            names = [None if c is None or not str(c).strip() else str(c) for c in row]
            while names and names[-1] is None:
                names.pop()
            if None in names:  # merged group headings above the names, or a blank name:
                return None  # the survey reader finds the names or says what is wrong
            return names
        import csv

        with open(
            path, "rb"
        ) as fh:  # the header only: the reader decodes and checks the whole file
            head = fh.read(1 << 16)
        if b"\x00" in head or head.startswith(
            (b"PK\x03\x04", b"PAR1", b"$FL2", b"$FL3", b"\xd0\xcf\x11\xe0")
        ):
            return None  # not text: the reader says what it looks like
        head = head.split(b"\n", 1)[0]
        try:
            first = head.decode(encoding or "utf-8")
        except (UnicodeDecodeError, LookupError):
            first = head.decode("gb18030", errors="replace")
        first = first.lstrip("\ufeff").rstrip("\r\n")
        sep = "\t" if path.suffix.lower() == ".tsv" else max(",\t;|", key=first.count)
        return next(csv.reader([first], delimiter=sep), [])
    except Exception:
        return None


def _detect_table(path: Path, fmt: str, codebook, *, encoding: str | None = None) -> str | None:
    columns = _peek_columns(path, fmt, encoding)
    if not columns:  # unreadable or no header: the survey reader says what is wrong
        return "responses"  # let the survey reader say what is wrong with the file
    cols = {str(c).strip().lower() for c in columns}
    if {"customer_id", "year"} <= cols and cols & {"active", "churned"}:
        return "customers"
    if {"unit", "wave"} <= cols and any(_Q_ITEM.match(c) for c in cols):
        return "employees"
    known = {n.lower() for n in codebook.names}
    known |= {a.name.lower() for v in codebook.variables for a in v.aliases}
    structural = {
        v.name.lower() for v in codebook.variables if v.kind in ("id", "wave", "weight", "text")
    }
    items = (cols & known) - structural
    if {"respondent_id", "wave", "text"} <= cols and not items:
        return "comments"
    rid = _respondent_name(codebook)
    if items or (rid is not None and rid.lower() in cols):
        return "responses"
    return None


def _respondent_name(codebook) -> str | None:
    if "respondent_id" in codebook:
        return "respondent_id"
    var = codebook.respondent_variable
    return None if var is None else var.name


def _encoding(path: Path) -> str:
    try:
        from cxresearch.io import detect_encoding
    except ImportError:
        from cxresearch.io._raw import detect_encoding
    return detect_encoding(path)


# -- survey files ----------------------------------------------------------------------------------


def _wave_columns(item: _Item, codebook) -> list[str]:
    """The file's columns that hold a wave (the codebook's wave variable, its aliases, ``wave``)."""
    names = {"wave"}
    var = codebook.wave_variable
    if var is not None:
        names |= {var.name.lower(), *(a.name.lower() for a in var.aliases)}
    return [
        str(c)
        for c in (_peek_columns(item.path, item.format) or [])
        if str(c).strip().lower() in names
    ]


def _read_survey(item: _Item, codebook, *, wave: int | None = None) -> list[Problem]:
    """Read a survey wave through cxresearch.io and shape it for the store."""
    from cxresearch import io as cxio

    if wave is not None:
        own = _wave_columns(item, codebook)
        if own:
            return [
                Problem(
                    item.file,
                    None,
                    own[0],
                    wave,
                    f"no wave column when the wave is given (--wave {wave}): the file has "
                    f"its own wave column {own[0]!r}; import it without --wave, or import "
                    "the files without a wave column in a call of their own",
                )
            ]
        item.wave_given = int(wave)
    problems = None
    if item.format == "csv":  # a file that loads is read in blocks and staged on disk
        from cxresearch.store._stream import stream_survey

        problems = stream_survey(item, codebook, wave=wave)
    if problems is None:  # the whole-file path (and every refusal, worded by it)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = cxio.read(item.path, codebook, wave=wave, encoding=item.forced_encoding)
            except DataValidationError as exc:
                return list(exc.problems)
        item.notes = tuple(
            str(w.message) if str(w.message).startswith(item.file) else f"{item.file}: {w.message}"
            for w in caught
        )
        item.encoding = getattr(result, "encoding", None)
        item.format = getattr(result, "format", None) or item.format
        numbers = getattr(result, "row_numbers", None)
        item.row_numbers = None if numbers is None else np.asarray(numbers)
        problems = _prepare_responses(
            item, result.frame, getattr(result, "missing", None), codebook
        )
    if not problems:
        said = []
        if item.wave_given is not None:
            said.append(
                f"{item.file}: wave {item.wave_given} set for its {item.rows:,} rows "
                "(the file has no wave column)"
            )
        if item.ids_generated is not None:
            said.append(
                f"{item.file}: no respondent id column; ids generated as "
                f"{item.ids_generated} (recorded in imports.ids_generated); its answers "
                "cannot be linked to other waves or to the CRM"
            )
        item.notes = (*item.notes, *said)
    return problems


def _prepare_responses(
    item: _Item,
    frame: pd.DataFrame,
    missing: pd.DataFrame | None,
    codebook,
    *,
    normalise: bool = True,
) -> list[Problem]:
    """Shape a survey frame for the store (into ``item``); ``normalise=False`` for one block of a
    file read in blocks (ids are normalised once the whole column is known)."""
    problems: list[Problem] = []
    frame = frame.copy()
    rid = _respondent_name(codebook)
    wave_var = codebook.wave_variable
    renames = {}
    if rid is not None and rid != "respondent_id":
        renames[rid] = "respondent_id"
    if wave_var is not None and wave_var.name != "wave":
        renames[wave_var.name] = "wave"
    frame = frame.rename(columns=renames)
    back = {v: k for k, v in renames.items()}
    if "wave" not in frame.columns and item.wave_given is not None:
        frame["wave"] = np.int64(item.wave_given)
    if "respondent_id" not in frame.columns and (rid is None or not codebook.get(rid).required):
        # no respondent key in the file: one per row, deterministic and unique per file
        frame["respondent_id"] = generated_ids(item, len(frame))
        item.ids_generated = f"{item.sha256[:ID_PREFIX]}-<row>"
    for col in ("respondent_id", "wave"):
        if col not in frame.columns:
            hint = (
                " (or give the wave of a file without one: --wave 2024, wave=)"
                if col == "wave"
                else ""
            )
            problems.append(
                Problem(
                    item.file,
                    None,
                    back.get(col, col),
                    None,
                    f"a {col} column (the store keys responses by respondent and wave){hint}",
                )
            )
    lowered: dict[str, str] = {}
    for col in frame.columns:
        low = str(col).lower()
        if low in _RESERVED:
            problems.append(
                Problem(
                    item.file,
                    None,
                    str(col),
                    None,
                    f"a column name other than {sorted(_RESERVED)} (reserved by the store)",
                )
            )
        if low in lowered:
            problems.append(
                Problem(
                    item.file,
                    None,
                    str(col),
                    None,
                    f"column names that differ in more than case ({lowered[low]!r})",
                )
            )
        lowered[low] = str(col)
    if problems:
        return problems

    ids, bad = _to_id(frame["respondent_id"], normalise=normalise)
    problems += _cell_problems(
        item, frame.index, bad, "respondent_id", frame["respondent_id"], "a non-empty id"
    )
    waves, bad = _to_int(frame["wave"], lo=None, hi=None, allow_missing=False)
    problems += _cell_problems(
        item, frame.index, bad, "wave", frame["wave"], "a whole-number wave (e.g. the year)"
    )
    if problems:
        return problems
    frame["respondent_id"] = ids
    frame["wave"] = waves

    # missing codes: keep the original, blank the cell
    if missing is not None and len(missing):
        miss = missing
        pos = frame.index.get_indexer(miss["row_index"])
        if (pos < 0).any():
            raise CXError(
                f"{item.file}: the reader reported missing codes for rows it did not return"
            )
        codes = pd.to_numeric(miss["code"], errors="coerce").astype("float64")
        item.missing = pd.DataFrame(
            {
                "respondent_id": frame["respondent_id"].to_numpy()[pos],
                "wave": frame["wave"].to_numpy()[pos],
                "variable": miss["variable"].astype(str).to_numpy(),
                "code": codes.to_numpy(),
                "meaning": miss["meaning"]
                .astype(object)
                .where(miss["meaning"].notna(), None)
                .to_numpy(),
            }
        )
        for var, rows in item.missing.groupby("variable").groups.items():
            if var in frame.columns:
                v = codebook.get(var) if var in codebook else None
                if (
                    v is not None
                    and str(v.kind) == "category"
                    and any(isinstance(k, str) for k in (v.values or ()))
                ):
                    # text codes: blank the cell only (converting the column to numbers, as
                    # for answers on a scale, turned every text code of it into NaN)
                    col = frame[var].astype(object).copy()
                    col.iloc[pos[np.asarray(rows)]] = None
                else:
                    col = (
                        pd.to_numeric(frame[var], errors="coerce").astype("float64")
                        if not pd.api.types.is_float_dtype(frame[var])
                        else frame[var].copy()
                    )
                    col.iloc[pos[np.asarray(rows)]] = np.nan
                frame[var] = col

    texts = []
    types: dict[str, str] = {}
    out: dict[str, pd.Series] = {}
    for col in frame.columns:
        var = codebook.get(col) if col in codebook else None
        kind = str(var.kind) if var is not None else None
        if col == "respondent_id":
            out[col], types[col] = frame[col], "VARCHAR"
        elif kind == "id":
            out[col], _ = _to_id(frame[col], allow_missing=True, normalise=normalise)
            types[col] = "VARCHAR"
        elif col == "wave":
            out[col], types[col] = frame[col], "BIGINT"
        elif kind == "text":
            texts.append(col)
            continue
        elif kind in _NUMERIC_KINDS:
            out[col], types[col] = _to_float(frame[col]), "DOUBLE"
        else:  # category, or a column the codebook does not know
            out[col], types[col] = _infer(frame[col])
    stored = pd.DataFrame(out, index=frame.index)
    item.frame = stored
    item.types = types
    if texts:
        item.comments = _comments_from(frame, texts)
    item.variables = tuple(str(c) for c in frame.columns if c not in ("respondent_id", "wave"))
    return []


#: hex digits of the file's sha256 that prefix generated respondent ids
ID_PREFIX = 12


def generated_ids(item: _Item, n: int) -> np.ndarray:
    """Respondent ids for the ``n`` rows of a survey file without any: ``<sha256 prefix>-<row>``,
    the row being the number the user sees (spreadsheet row, ``.sav`` case number).
    Deterministic (the same file gives the same ids) and unique per file; files of different
    content get different prefixes."""
    prefix = item.sha256[:ID_PREFIX]
    return np.array([f"{prefix}-{item.user_row(i)}" for i in range(n)], dtype=object)


def _comments_from(frame: pd.DataFrame, texts: list[str]) -> pd.DataFrame:
    from cxresearch.io._validate import plain_strings

    parts = []
    for var in texts:
        s = frame[var]
        present = s.notna()
        if pd.api.types.infer_dtype(s, skipna=True) == "string" and plain_strings(s):
            keep = present  # every text a str with no space at its ends: none is blank
        else:
            keep = present & (s.astype(str).str.strip() != "")
        if not keep.any():
            continue
        t = s[keep]
        if not (pd.api.types.infer_dtype(t, skipna=True) == "string"):
            t = t.astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "respondent_id": frame.loc[keep, "respondent_id"].to_numpy(),
                    "wave": frame.loc[keep, "wave"].to_numpy(),
                    "variable": var,
                    "text": t.to_numpy(),
                    "lang": detect_lang(t),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["respondent_id", "wave", "variable", "text", "lang"])
    return pd.concat(parts, ignore_index=True)


# -- CRM, employee and comment files ----------------------------------------------------------------


def _raw_reader():
    try:
        from cxresearch.io import read_raw
    except ImportError:  # io keeps it private
        from cxresearch.io._raw import read_raw
    return read_raw


def _read_raw(item: _Item) -> pd.DataFrame:
    """The file's values as they are (io's raw reader), blanks as missing; row numbers kept."""
    raw = _raw_reader()(item.path, encoding=item.forced_encoding)
    item.encoding = raw.encoding
    item.row_numbers = np.asarray(raw.rows)
    frame = raw.frame.reset_index(drop=True)
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object:
            blank = s.str.strip().eq("").fillna(False).astype(bool)
            if blank.any():
                frame[col] = s.where(~blank, None)
    return frame


def _read_other(item: _Item, codebook, scale) -> list[Problem]:
    try:
        raw = _read_raw(item)
    except DataValidationError as exc:
        return list(exc.problems)
    except CXValueError as exc:
        return [Problem(item.file, None, None, None, f"a readable {item.format} file ({exc})")]
    if raw.empty:
        return [Problem(item.file, None, None, None, "at least one data row (the file is empty)")]
    raw = raw.rename(columns=lambda c: str(c).strip())
    spec = {
        "customers": _CUSTOMER_COLUMNS,
        "employees": _EMPLOYEE_COLUMNS,
        "comments": _COMMENT_COLUMNS,
    }[item.table]
    raw = raw.rename(
        columns={c: c.lower() for c in raw.columns if c.lower() in spec or _Q_ITEM.match(c.lower())}
    )
    problems: list[Problem] = []
    lowered: dict[str, str] = {}
    for col in raw.columns:
        low = col.lower()
        if low in _RESERVED:
            problems.append(
                Problem(
                    item.file,
                    None,
                    col,
                    None,
                    f"a column name other than {sorted(_RESERVED)} (reserved by the store)",
                )
            )
        if low in lowered:
            problems.append(
                Problem(
                    item.file,
                    None,
                    col,
                    None,
                    f"column names that differ in more than case ({lowered[low]!r})",
                )
            )
        lowered[low] = col
    need = [c for c, (_, required) in spec.items() if required and c not in raw.columns]
    for col in need:
        problems.append(
            Problem(
                item.file,
                None,
                col,
                None,
                f"a column {col!r} ({item.table} files have "
                f"{', '.join(c for c, (_, r) in spec.items() if r)})",
            )
        )
    if problems:
        return problems

    out: dict[str, pd.Series] = {}
    types: dict[str, str] = {}
    for col in raw.columns:
        s = raw[col]
        kind = (
            spec[col][0]
            if col in spec
            else ("item" if item.table == "employees" and _Q_ITEM.match(col) else None)
        )
        required = spec[col][1] if col in spec else False
        if kind is None:
            out[col], types[col] = _infer(s)
            continue
        if kind == "id":
            conv, bad = _to_id(s, allow_missing=not required)
            expected = "a non-empty id"
        elif kind == "wave":
            conv, bad = _to_int(s, lo=_YEARS[0], hi=_YEARS[1], allow_missing=False)
            expected = f"a whole-number wave from {_YEARS[0]} to {_YEARS[1]} (the year)"
        elif kind in ("year", "year_or_missing"):
            conv, bad = _to_int(
                s, lo=_YEARS[0], hi=_YEARS[1], allow_missing=kind == "year_or_missing"
            )
            expected = f"a year from {_YEARS[0]} to {_YEARS[1]}" + (
                " or empty" if kind == "year_or_missing" else ""
            )
        elif kind == "bool":
            conv, bad = _to_bool(s, allow_missing=not required)
            expected = "true/false (or 1/0, yes/no)" + ("" if required else " or empty")
        elif kind == "count":
            conv, bad = _to_int(s, lo=0, hi=None, allow_missing=True)
            expected = "a whole number >= 0 or empty"
        elif kind == "float":
            conv = _to_float(s)
            bad = (s.notna() & conv.isna()) | ~np.isfinite(conv.fillna(0))
            expected = "a number or empty"
        elif kind == "item":
            conv = _to_float(s)
            lo, hi = scale
            bad = (s.notna() & conv.isna()) | (conv.notna() & ((conv < lo) | (conv > hi)))
            expected = f"a number from {lo:g} to {hi:g} or empty"
        elif kind == "code":
            conv, sqltype = _infer(s)
            bad = s.isna() if required else pd.Series(False, index=s.index)
            expected = "a code (number or text)" + ("" if required else " or empty")
            types[col] = sqltype
        elif kind == "lang":
            conv = s.astype(object).where(s.notna(), None)
            bad = s.notna() & ~s.astype(str).str.strip().str.lower().isin(["zh", "en"])
            conv = conv.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
            expected = "'zh', 'en' or empty (detected)"
        else:  # text, name
            conv = (
                s.astype(object)
                .where(s.notna(), None)
                .map(lambda v: v if v is None or isinstance(v, str) else str(v))
            )
            bad = conv.map(lambda v: isinstance(v, str) and "\x00" in v).astype(bool)
            expected = "text without NUL characters (a NUL cuts a text short when stored)"
        problems += _cell_problems(item, raw.index, bad, col, s, expected)
        out[col] = conv
        types.setdefault(col, _SQL_OF_KIND.get(kind, "VARCHAR"))
    if problems:
        return problems
    frame = pd.DataFrame(out, index=raw.index)
    if item.table == "comments":
        frame = frame[frame["text"].notna() & (frame["text"].astype(str).str.strip() != "")]
        if "variable" not in frame.columns:
            texts = codebook.by_kind("text")
            frame = frame.assign(variable=texts[0].name if len(texts) == 1 else "comment")
            types["variable"] = "VARCHAR"
        lang = (
            frame["lang"]
            if "lang" in frame.columns
            else pd.Series(None, index=frame.index, dtype=object)
        )
        frame = frame.assign(
            lang=lang.where(lang.notna(), pd.Series(detect_lang(frame["text"]), index=frame.index))
        )
        types["lang"] = "VARCHAR"
    item.frame = frame
    item.types = types
    item.variables = tuple(frame.columns)
    key = {
        "customers": ["customer_id", "year"],
        "employees": ["employee_id", "wave"],
        "comments": ["respondent_id", "wave", "variable"],
    }[item.table]
    if set(key) <= set(frame.columns):
        dup = frame.duplicated(key, keep="first") & frame[key].notna().all(axis=1)
        if dup.any():
            shown = pd.Series("", index=frame.index, dtype=object)
            shown[dup] = frame.loc[dup, key].astype(str).agg(", ".join, axis=1)
            problems += _cell_problems(
                item,
                frame.index,
                dup,
                "/".join(key),
                shown,
                f"one row per ({', '.join(key)}); this one repeats an earlier row",
            )
    return problems


# -- cell converters: (converted series, mask of bad cells) -----------------------------------------


def _to_float(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _to_int(s: pd.Series, *, lo, hi, allow_missing: bool):
    num = _to_float(s)
    bad = s.notna() & num.isna()
    bad |= num.notna() & (num != np.round(num))
    if lo is not None:
        bad |= num < lo
    if hi is not None:
        bad |= num > hi
    if not allow_missing:
        bad |= s.isna()
    conv = num.where(~bad).round().astype("Int64")
    return conv, bad


def _to_id(s: pd.Series, *, allow_missing: bool = False, normalise: bool = True):
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype("float64")
        whole = num.notna() & (num == np.round(num))
        conv = pd.Series(None, index=s.index, dtype=object)
        conv[whole] = num[whole].astype("int64").astype(str)
        bad = num.notna() & ~whole
    else:
        from cxresearch.io._validate import normalise_ids, plain_strings

        if pd.api.types.infer_dtype(s, skipna=True) == "string" and plain_strings(s):
            # every id a str, none blank or with spaces at its ends: nothing to trim
            conv = s.astype(object).where(s.notna(), None)
            if normalise:
                conv = normalise_ids(conv)
            bad = conv.isna() if not allow_missing else pd.Series(False, index=s.index)
            return conv.astype(object), bad
        txt = s.astype("string").str.strip()
        txt = txt.where(txt != "")
        conv = txt.astype(object).where(txt.notna(), None)
        if normalise:
            conv = normalise_ids(conv)
        bad = s.notna() & txt.isna()
    if not allow_missing:
        bad = bad | conv.isna()
    return conv.astype(object), bad


def _to_bool(s: pd.Series, *, allow_missing: bool):
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    txt = s.astype(str).str.strip().str.lower()
    conv = pd.Series(pd.NA, index=s.index, dtype="boolean")
    conv[txt.isin(_TRUE) & s.notna()] = True
    conv[txt.isin(_FALSE) & s.notna()] = False
    bad = s.notna() & conv.isna()
    if not allow_missing:
        bad |= s.isna()
    return conv, bad


def _infer(s: pd.Series) -> tuple[pd.Series, str]:
    """A column the store has no rule for: whole numbers -> BIGINT, numbers -> DOUBLE, booleans,
    timestamps, else text; a column with no value at all -> "NULL" (fits any stored type, and is not
    added to the store by itself)."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), "BOOLEAN"
    if pd.api.types.is_datetime64_any_dtype(s):
        return s, "TIMESTAMP"
    num = s if pd.api.types.is_numeric_dtype(s) else pd.to_numeric(s, errors="coerce")
    if s.notna().any() and not (s.notna() & num.isna()).any():
        num = num.astype("float64")
        if (num.dropna() == np.round(num.dropna())).all() and num.abs().max() < 2**53:
            return num.round().astype("Int64"), "BIGINT"
        return num, "DOUBLE"
    if not s.notna().any():  # no value to tell the type by: fits any column ("NULL")
        return pd.Series(None, index=s.index, dtype=object), "NULL"
    txt = s.astype("string")
    return txt.astype(object).where(txt.notna(), None), "VARCHAR"


def _cell_problems(item: _Item, index, bad, column: str, values, expected: str) -> list[Problem]:
    """Problems for the bad cells of one column: the first 50 each, then one line counting the rest."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return []
    where = np.flatnonzero(bad)
    vals = np.asarray(values, dtype=object)
    out = []
    for pos in where[:MAX_PROBLEMS_PER_COLUMN]:
        v = vals[pos]
        if v is not None and not isinstance(v, str) and pd.isna(v):
            v = None
        out.append(
            Problem(
                item.file,
                item.user_row(index[pos]),
                column,
                "(empty)" if v is None else _plain(v),
                expected,
            )
        )
    if len(where) > MAX_PROBLEMS_PER_COLUMN:
        out.append(
            Problem(
                item.file,
                None,
                column,
                f"{len(where) - MAX_PROBLEMS_PER_COLUMN} more rows",
                expected,
            )
        )
    return out


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def _duplicates_across(items: list[_Item]) -> list[Problem]:
    """The same key in two files of one call (within one file each reader reports it)."""
    problems: list[Problem] = []
    for table, key in (
        ("responses", ["respondent_id", "wave"]),
        ("customers", ["customer_id", "year"]),
        ("employees", ["employee_id", "wave"]),
        ("comments", ["respondent_id", "wave", "variable"]),
    ):
        group = [i for i in items if i.table == table and set(key) <= set(i.columns)]
        if len(group) < 2:
            continue
        frames = [i.key_frame(key) for i in group]
        keys = pd.concat(
            [f.assign(cx_src=n, cx_pos=f.index) for n, f in enumerate(frames)], ignore_index=True
        ).dropna(subset=key)
        dup = keys.duplicated(key, keep=False)
        if not dup.any():
            continue
        d = keys[dup]
        first = d.drop_duplicates(key, keep="first").set_index(key)[["cx_src", "cx_pos"]]
        later = d[d.duplicated(key, keep="first")].join(first, on=key, rsuffix="_first")
        later = later[later["cx_src"] != later["cx_src_first"]]
        shown = 0
        for rec in later.itertuples(index=False):
            if shown == 10 * MAX_PROBLEMS_PER_COLUMN:
                problems.append(
                    Problem(
                        "these files",
                        None,
                        "/".join(key),
                        f"{len(later) - shown} more rows",
                        "keys that appear in one file only",
                    )
                )
                break
            this, other = group[rec.cx_src], group[rec.cx_src_first]
            vals = ", ".join(f"{k}={_plain(getattr(rec, k))!r}" for k in key)
            problems.append(
                Problem(
                    this.file,
                    this.user_row(rec.cx_pos),
                    "/".join(key),
                    vals,
                    f"a ({', '.join(key)}) not already in {other.file!r} "
                    f"(row {other.user_row(rec.cx_pos_first)}) of the same import",
                )
            )
            shown += 1
    return problems
