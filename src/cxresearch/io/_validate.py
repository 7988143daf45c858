"""Checking a raw table against the codebook and building the tidy frame.

Every check is vectorised over whole columns; Python objects are only built for the problems that
are reported. The happy path makes no per-cell Python calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.codebook import (
    CODED_KINDS,
    INTEGER_KINDS,
    Codebook,
    CodebookError,
    Kind,
    MissingCode,
    Variable,
)
from cxresearch.errors import DataValidationError, Problem
from cxresearch.io._raw import RawTable

#: strings that mean "no answer" in a numeric column (besides the empty string)
NA_STRINGS = ("NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "#N/A", ".", "-")
#: values that fieldwork agencies commonly use as missing codes; named in the error when undeclared
SENTINELS = (-99, -98, -97, -9, -8, -7, -1, 97, 98, 99, 997, 998, 999, 9999)
#: at most this many problems are turned into :class:`Problem` objects (all are counted)
MAX_PROBLEMS = 10_000

_MEANING_WORDS = {
    "dont_know": ("don't know", "dont know", "do not know", "(dk)", "不知道", "不清楚", "说不清"),
    "refused": ("refus", "拒答", "拒绝", "no answer"),
    "not_applicable": ("not applicable", "n/a", "inapplicable", "不适用"),
    "system": ("system", "系统"),
}


def guess_meaning(label: str | None) -> str:
    """A missing code's meaning guessed from its value label (``other`` when nothing matches)."""
    if label:
        low = label.strip().lower()
        if low in ("dk", "d/k"):
            return "dont_know"
        for meaning, words in _MEANING_WORDS.items():
            if any(w in low for w in words):
                return meaning
    return "other"


@dataclass
class _Issues:
    """Problems collected column by column, as arrays, sorted and materialised at the end."""

    file: str
    file_level: list[Problem] = field(default_factory=list)
    blocks: list[tuple[np.ndarray, int, str, np.ndarray, Any]] = field(default_factory=list)

    def add(
        self, rows: np.ndarray, order: int, column: str, values: np.ndarray, expected: Any
    ) -> None:
        """``expected`` is a string, or an array of strings (one per row)."""
        if len(rows):
            self.blocks.append((rows, order, column, values, expected))

    @property
    def count(self) -> int:
        return len(self.file_level) + sum(len(b[0]) for b in self.blocks)

    def problems(self) -> tuple[list[Problem], int]:
        """Up to :data:`MAX_PROBLEMS` problems sorted by (row, column order), and the total count."""
        out = list(self.file_level)
        total = self.count
        if not self.blocks:
            return out, total
        # each block is in row order, so the first MAX_PROBLEMS of the whole file by row are among
        # the first MAX_PROBLEMS of each block: keeps a wholly wrong file's problem list small
        keep = [min(len(b[0]), MAX_PROBLEMS) for b in self.blocks]
        rows = np.concatenate([b[0][:k] for b, k in zip(self.blocks, keep, strict=True)])
        order = np.concatenate([np.full(k, b[1]) for b, k in zip(self.blocks, keep, strict=True)])
        block = np.concatenate([np.full(k, i) for i, k in enumerate(keep)])
        pos = np.concatenate([np.arange(k) for k in keep])
        idx = np.lexsort((order, rows))[: max(0, MAX_PROBLEMS - len(out))]
        for k in idx:
            rows_b, _, column, values, expected = self.blocks[block[k]]
            j = pos[k]
            exp = expected if isinstance(expected, str) else str(expected[j])
            out.append(Problem(self.file, int(rows_b[j]), column, _display(values[j]), exp))
        return out, total


def _display(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class FileValidationError(DataValidationError):
    """A file does not match the codebook. ``.problems`` holds up to 10,000 problems; ``.total``
    counts all of them (the message lists the first 50 and counts the rest)."""

    def __init__(self, problems: list[Problem], *, total: int, file: str, limit: int = 50):
        self.total = total
        shown = min(limit, len(problems))
        head = f"{file}: {total} problem{'s' if total != 1 else ''} found"
        super().__init__(problems[:shown], limit=limit, header=head)
        self.problems = list(problems)
        if total > shown:
            more = total - shown
            lines = str(self).split("\n")[: shown + 1]
            lines.append(f"  ... and {more} more problem{'s' if more != 1 else ''}")
            self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Built:
    frame: pd.DataFrame
    missing: pd.DataFrame
    waves: tuple[int, ...]
    renamed: dict[str, str]
    extra_columns: tuple[str, ...]
    undeclared_codes: dict[str, tuple[float, ...]] = field(default_factory=dict)


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(num, blank, bad)``: floats (NaN where blank or not a number), blank mask, not-a-number mask.

    Strings are stripped; the empty string and :data:`NA_STRINGS` are blank. Infinite values are
    not numbers. Vectorised: the column's type is inferred once (in C), not cell by cell.
    """
    n = len(s)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float).to_numpy(), np.zeros(n, bool), np.zeros(n, bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        num = s.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(num)
        bad = np.isinf(num)
        return np.where(bad, np.nan, num), blank, bad
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    if inferred == "string":  # CSV: every cell a string
        st = s.astype(object).str.strip()
        blank = (s.isna() | (st == "") | st.isin(NA_STRINGS)).to_numpy()
        num = pd.to_numeric(st.where(~blank), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    elif inferred in ("integer", "floating", "mixed-integer-float", "decimal", "empty", "boolean"):
        blank = s.isna().to_numpy()
        num = pd.to_numeric(s.astype(object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    else:  # Excel: numbers, text and dates mixed in one column
        obj = s.astype(object)
        isstr = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        st = obj.where(~isstr, obj[isstr].astype(str).str.strip())
        blank = obj.isna().to_numpy() | (isstr & (st.eq("") | st.isin(NA_STRINGS)).to_numpy())
        nums = obj.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool))
        keep = isstr | nums.to_numpy(dtype=bool)
        num = pd.to_numeric(st.where(keep & ~blank), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    bad = ~blank & ~np.isfinite(num)
    return np.where(bad, np.nan, num), blank, bad


def _codes_text(codes: tuple[MissingCode, ...]) -> str:
    if not codes:
        return "no missing codes are declared for it"
    return "or a declared missing code: " + ", ".join(f"{c.code} ({c.meaning})" for c in codes)


def _sentinel_hint(values: np.ndarray) -> np.ndarray:
    """Per value: a hint to declare it when it looks like a missing-value sentinel."""
    hint = np.where(
        np.isin(values, SENTINELS),
        "; this looks like a missing-value code: declare it under 'missing_codes' in the codebook",
        "",
    )
    return hint.astype(object)


def _var_desc(v: Variable, column: str) -> str:
    return "" if column == v.name else f" (variable {v.name!r})"


@dataclass(frozen=True)
class _Column:
    """One column of the file under check: the variable it holds, and where its problems go."""

    var: Variable
    name: str  # the column's name in the file (the variable's name or an alias)
    order: int  # its position in the file, to sort problems
    rows: np.ndarray  # the user's row number of every cell
    issues: _Issues
    codebook: Codebook
    sav: Any  # the .sav's metadata (user-missing ranges, value labels), or None

    @property
    def desc(self) -> str:
        """`` (variable 'x')`` when the file names the column by an alias, else empty."""
        return _var_desc(self.var, self.name)

    def flag(self, where: np.ndarray, values: np.ndarray, expected: Any) -> None:
        """File a problem for every cell of mask ``where`` (``values`` its cells' values)."""
        self.issues.add(self.rows[where], self.order, self.name, values, expected)

    def missing_codes(
        self, num: np.ndarray
    ) -> tuple[np.ndarray, _MissingPart | None, tuple[MissingCode, ...]]:
        """:func:`_apply_codes` on this column's numbers."""
        return _apply_codes(self.var, self.codebook, num, self.name, self.sav, self.rows)


#: waves (years) a file may hold when the codebook's wave variable gives no min/max
PLAUSIBLE_WAVES = (1900, 2100)


def wave_range(var: Variable | None) -> tuple[int, int]:
    """``(lowest, highest)`` wave allowed: the codebook's ``min``/``max`` of the wave variable,
    else :data:`PLAUSIBLE_WAVES` (a year)."""
    lo, hi = PLAUSIBLE_WAVES
    if var is not None and var.min is not None:
        lo = int(var.min)
    if var is not None and var.max is not None:
        hi = int(var.max)
    return lo, hi


def build_frame(
    raw: RawTable,
    codebook: Codebook,
    *,
    wave: int | None = None,
    whole_file: bool = True,
    rename_waves: tuple[int, ...] | None = None,
) -> Built:
    """Validate ``raw`` against ``codebook`` and return the typed, renamed frame.

    Raises :class:`FileValidationError` listing every problem.

    ``whole_file=False`` checks one block of rows of a file read in blocks (the store's streaming
    import): the checks that need the whole file (no data rows, duplicate keys, weight totals,
    the one-way form of ids, which depends on every id of the column) are left to the caller, and
    ``rename_waves`` gives the waves of the whole file for choosing the aliases (None: the block's).
    """
    name = raw.file
    issues = _Issues(name)
    df = raw.frame
    rows = raw.rows
    n = len(df)
    cols = list(df.columns)

    if n == 0 and whole_file:
        issues.file_level.append(
            Problem(name, None, None, "no data rows", "at least one data row below the header")
        )

    # -- which waves does this file hold? (needed to choose the aliases) -----------------------
    wave_var = codebook.wave_variable
    wave_col: str | None = None
    if wave_var is not None:
        cands = [wave_var.name, *(a.name for a in wave_var.aliases)]
        present = [c for c in cands if c in cols]
        wave_col = present[0] if present else None
    file_waves: tuple[int, ...] = ()
    wave_values: np.ndarray | None = None
    if wave_col is not None:
        wave_column = _Column(
            wave_var, wave_col, cols.index(wave_col), rows, issues, codebook, raw.sav
        )
        wnum, wblank, wbad = _numbers(df[wave_col])
        whole = np.isfinite(wnum) & (np.mod(wnum, 1) == 0)
        badw = ~whole
        if badw.any():
            wave_column.flag(
                badw,
                df[wave_col].to_numpy(dtype=object)[badw],
                "a wave as a whole number (e.g. the year 2019)",
            )
        if wave is not None:
            other = whole & (wnum != wave)
            if other.any():
                wave_column.flag(other, wnum[other], f"wave {wave} (the wave given for this file)")
        lo_w, hi_w = wave_range(wave_var)
        odd = whole & ((wnum < lo_w) | (wnum > hi_w))
        if odd.any():
            wave_column.flag(
                odd,
                wnum[odd],
                f"a wave from {lo_w} to {hi_w} (a year; "
                + (
                    "the codebook's range)"
                    if wave_var.min is not None or wave_var.max is not None
                    else "a two-digit year such as 25 is not read as 2025)"
                ),
            )
        wave_values = np.where(whole, wnum, np.nan)
        file_waves = tuple(sorted({int(w) for w in np.unique(wnum[whole])}))
    elif wave is not None:
        file_waves = (int(wave),)
        lo_w, hi_w = wave_range(wave_var)
        if not lo_w <= wave <= hi_w:
            issues.file_level.append(
                Problem(
                    name,
                    None,
                    None,
                    wave,
                    f"a wave from {lo_w} to {hi_w} (the wave given for this file)",
                )
            )

    # -- rename through aliases ---------------------------------------------------------------------
    if not whole_file and rename_waves is not None:
        file_waves = tuple(rename_waves)
    rename_waves = file_waves or None
    try:
        rmap = codebook.rename_map(rename_waves)
    except CodebookError as exc:  # an alias ambiguous for a file of unknown wave
        issues.file_level.append(Problem(name, None, None, None, str(exc)))
        rmap = {}
    declared = set(codebook.names)
    source: dict[str, str] = {}  # variable -> file column
    extra: list[str] = []
    for c in cols:
        if c in rmap:
            var = rmap[c]
        elif c in declared:
            var = c
        else:
            extra.append(c)
            continue
        if var in source:
            issues.file_level.append(
                Problem(
                    name,
                    1,
                    c,
                    c,
                    f"one column for variable {var!r}; column {source[var]!r} "
                    f"already means {var!r} in wave(s) {list(file_waves) or 'any'}",
                )
            )
            continue
        source[var] = c
    for var in codebook.variables:
        if var.name in source or not var.required:
            continue
        if var.kind is Kind.wave and wave is not None:
            continue
        names = [var.name, *(a.name for a in var.aliases if a.applies_to(rename_waves))]
        alt = f" (or {', '.join(repr(x) for x in names[1:])})" if len(names) > 1 else ""
        elsewhere = [a for a in var.aliases if a.name in extra and not a.applies_to(rename_waves)]
        if elsewhere:
            a = elsewhere[0]
            alt += f" (column {a.name!r} is its alias only in wave(s) {list(a.waves or [])})"
        issues.file_level.append(
            Problem(
                name,
                None,
                var.name,
                None,
                f"a column {var.name!r}{alt}: the variable is required by the codebook",
            )
        )

    # -- per-variable checks and typing ---------------------------------------------------------------
    out: dict[str, Any] = {}
    miss_parts: list[_MissingPart] = []
    sav = raw.sav
    for var in codebook.variables:
        col = source.get(var.name)
        if col is None:
            if var.kind is Kind.wave and wave is not None:
                out[var.name] = np.full(n, int(wave), dtype=np.int64)
            continue
        s = df[col]
        k = var.kind
        if k is Kind.wave:
            # unparseable waves are problems already; the frame is only built when there are none
            wv = wave_values if wave_values is not None else np.zeros(n)
            out[var.name] = np.where(np.isnan(wv), 0, wv).astype(np.int64)
            continue
        column = _Column(var, col, cols.index(col), rows, issues, codebook, sav)
        if k in (Kind.id, Kind.text):
            out[var.name] = _as_text(s, column, normalise=whole_file)
            continue
        if k is Kind.category and var.values and all(isinstance(key, str) for key in var.values):
            out[var.name], part = _string_category(s, column)
        else:
            out[var.name], part = _numeric(s, column)
        if part is not None and len(part):
            miss_parts.append(part)

    # -- duplicate (respondent, wave) -------------------------------------------------------------------
    rid = codebook.respondent_variable
    if rid is not None and rid.name in out and n and whole_file:
        key = pd.DataFrame({"id": out[rid.name]})
        if wave_var is not None and wave_var.name in out:
            key["wave"] = out[wave_var.name]
        valid = key["id"].notna().to_numpy()
        dup = key.duplicated(keep="first").to_numpy() & valid
        if dup.any():
            first = (
                pd.Series(rows, index=pd.MultiIndex.from_frame(key.astype(object)))
                .groupby(level=list(range(key.shape[1])), dropna=False)
                .transform("first")
                .to_numpy()
            )
            col = source[rid.name]
            what = "(respondent, wave)" if "wave" in key else "respondent id"
            expected = np.array(
                [f"a unique {what}; the same appears first at row {r}" for r in first[dup]],
                dtype=object,
            )
            vals = key["id"].to_numpy(dtype=object)[dup]
            if "wave" in key:
                vals = np.array(
                    [
                        f"{i}, wave {w}"
                        for i, w in zip(vals, key["wave"].to_numpy(dtype=object)[dup], strict=True)
                    ],
                    dtype=object,
                )
            issues.add(rows[dup], cols.index(col), col, vals, expected)

    if whole_file:
        _check_weight_totals(out, codebook, source, cols, rows, issues, wave_var)
        _check_customer_waves(out, codebook, source, cols, rows, issues, wave_var)

    if issues.count:
        problems, total = issues.problems()
        raise FileValidationError(problems, total=total, file=name)

    if wave_var is not None and wave_var.name in out:
        out[wave_var.name] = np.asarray(out[wave_var.name], dtype=np.int64)
    frame = _assemble_frame(out, [v.name for v in codebook.variables if v.name in out], n)
    missing = _assemble_missing(miss_parts, rows) if miss_parts else _empty_missing()
    renamed = {c: v for v, c in source.items() if c != v}
    return Built(
        frame=frame,
        missing=missing,
        waves=file_waves,
        renamed=renamed,
        extra_columns=tuple(extra),
        undeclared_codes={p.variable: p.undeclared for p in miss_parts if p.undeclared},
    )


def _check_weight_totals(out, codebook, source, cols, rows, issues, wave_var) -> None:
    """Per wave, the weights must add up to more than 0 (all-zero weights would divide by zero or
    silently drop the wave from every weighted estimate)."""
    for var in codebook.by_kind("weight"):
        if var.name not in out or not len(rows):
            continue
        w = np.asarray(out[var.name], dtype=float)
        waves = (
            np.asarray(out[wave_var.name])
            if wave_var is not None and wave_var.name in out
            else np.zeros(len(w), dtype=np.int64)
        )
        for wv in np.unique(waves):
            sel = waves == wv
            total = np.nansum(w[sel])
            if total > 0 or np.isnan(w[sel]).all():
                continue
            col = source[var.name]
            first = int(np.flatnonzero(sel)[0])
            where = f" of wave {int(wv)}" if wave_var is not None and wave_var.name in out else ""
            issues.add(
                rows[first : first + 1],
                cols.index(col),
                col,
                np.array(
                    [f"weights adding up to {total:g} over {int(sel.sum())} rows{where}"],
                    dtype=object,
                ),
                "weights whose total is more than 0 (all zero: nobody would count)",
            )


def _check_customer_waves(out, codebook, source, cols, rows, issues, wave_var) -> None:
    """One answer per customer and wave: the same ``customer_id`` twice in one wave (two
    respondent ids) is refused, naming both rows — the loyalty and persistence analyses follow
    customers across waves and need one answer per customer-year."""
    rid = codebook.respondent_variable
    name = "customer_id"
    if name not in out or (rid is not None and rid.name == name) or not len(rows):
        return
    var = codebook.get(name)
    if var.kind is not Kind.id:
        return
    key = pd.DataFrame({"id": pd.Series(out[name]).reset_index(drop=True)})
    if wave_var is not None and wave_var.name in out:
        key["wave"] = np.asarray(out[wave_var.name])
    valid = key["id"].notna().to_numpy() & (key["id"].astype(str) != "").to_numpy()
    dup = key.duplicated(keep="first").to_numpy() & valid
    if not dup.any():
        return
    first_pos = (
        key.assign(_pos=np.arange(len(key)))
        .groupby(list(key.columns), dropna=False)["_pos"]
        .transform("first")
        .to_numpy()
    )
    col = source[name]
    what = "(customer, wave)" if "wave" in key else "customer"
    expected = np.array(
        [
            f"one answer per {what}; the same customer answered at row {rows[p]}"
            for p in first_pos[dup]
        ],
        dtype=object,
    )
    vals = key["id"].to_numpy(dtype=object)[dup]
    if "wave" in key:
        vals = np.array(
            [f"{i}, wave {w}" for i, w in zip(vals, key["wave"].to_numpy()[dup], strict=True)],
            dtype=object,
        )
    issues.add(rows[dup], cols.index(col), col, vals, expected)


def _assemble_frame(out: dict[str, Any], ordered: list[str], n: int) -> pd.DataFrame:
    """The frame in codebook order, its float columns in one 2-D block built once.

    Building it from a dict of 150 columns would make pandas consolidate (copy) them again; here
    each float column is copied once into a Fortran-ordered array the frame wraps without a copy,
    and the few other columns are inserted at their places.
    """
    index = pd.RangeIndex(n)
    floats = [k for k in ordered if isinstance(out[k], np.ndarray) and out[k].dtype == np.float64]
    if floats:
        block = np.empty((n, len(floats)), dtype=np.float64, order="F")
        for j, k in enumerate(floats):
            block[:, j] = out[k]
        frame = pd.DataFrame(block, columns=floats, index=index, copy=False)
    else:
        frame = pd.DataFrame(index=index)
    done = set(floats)
    for pos, k in enumerate(ordered):
        if k not in done:
            frame.insert(pos, k, out[k])
    return frame


def _empty_missing() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_index": pd.Series(dtype=np.int64),
            "row": pd.Series(dtype=np.int64),
            "variable": pd.Series(dtype=object),
            "code": pd.Series(dtype=float),
            "meaning": pd.Series(dtype=object),
        }
    )


#: first and last UTF-8 bytes of the characters ``str.strip()`` removes (``str.isspace``: ASCII
#: tab to CR, 0x1C-0x20, and U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
#: U+205F, U+3000): a string that starts (ends) with none of them has nothing to strip there
_WS_FIRST = np.zeros(256, dtype=bool)
_WS_FIRST[[*range(0x09, 0x0E), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True
_WS_LAST = np.zeros(256, dtype=bool)
_WS_LAST[
    [*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, *range(0x80, 0x8B), 0xA8, 0xA9, 0xAF, 0x9F]
] = True


def _edge_bytes(values: np.ndarray):
    """``(first bytes, last bytes)`` of the UTF-8 of every string in ``values``, read from one
    pyarrow array (no Python call per cell); None when a value is not a non-empty str."""
    import pyarrow as pa

    if not len(values):
        return np.zeros(0, np.uint8), np.zeros(0, np.uint8)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    _, off_buf, data_buf = arr.buffers()
    if arr.null_count or data_buf is None:
        return None
    offsets = np.frombuffer(off_buf, dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    if (np.diff(offsets) <= 0).any():
        return None  # an empty string
    data = np.frombuffer(data_buf, dtype=np.uint8)
    return data[offsets[:-1]], data[offsets[1:] - 1]


def plain_strings(s: pd.Series) -> bool:
    """Whether every present value of ``s`` is a non-empty str without whitespace at its ends
    (``str.strip()`` and blank checks would change nothing); False when unsure."""
    edges = _edge_bytes(s.to_numpy(dtype=object)[s.notna().to_numpy()])
    return edges is not None and not (_WS_FIRST[edges[0]].any() or _WS_LAST[edges[1]].any())


def _no_blank_text(values: np.ndarray) -> bool:
    """Whether none of ``values`` (strings) is empty or only whitespace; False when unsure."""
    edges = _edge_bytes(values)
    return edges is not None and not _WS_FIRST[edges[0]].any()


def _as_text(s: pd.Series, column: _Column, *, normalise: bool = True) -> pd.Series:
    """Ids and free text as strings (integers written without ``.0``); blank ids are problems.
    ``normalise=False`` leaves ids as written (trimmed): a block of a file read in blocks, whose
    ids are normalised once the whole column is known."""
    n = len(s)
    if pd.api.types.is_float_dtype(s.dtype):
        arr = s.to_numpy(dtype=float)
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0)
        txt = pd.Series(
            np.where(whole, np.where(whole, arr, 0).astype("int64").astype(str), arr.astype(str)),
            dtype=object,
        )
        txt[np.isnan(arr)] = None
    elif pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        txt = s.astype(str).astype(object)
        txt[s.isna().to_numpy()] = None
    else:
        obj = s.astype(object)
        txt = pd.Series(np.empty(n, dtype=object))
        if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
            txt[:] = obj.to_numpy()
        else:
            txt[:] = obj.map(
                lambda v: (
                    None
                    if v is None or (isinstance(v, float) and np.isnan(v))
                    else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                )
            ).to_numpy()
    txt = txt.reset_index(drop=True)
    present = txt.notna().to_numpy()
    nul = np.zeros(len(txt), dtype=bool)
    if present.any() and "\x00" in "".join(map(str, txt[present].tolist())):  # one C-level scan
        nul[present] = (
            txt[present].astype(str).str.contains("\x00", regex=False).to_numpy(dtype=bool)
        )
    if nul.any():
        column.flag(
            nul,
            txt.to_numpy(dtype=object)[nul],
            f"text without NUL characters{column.desc} (a NUL cuts a text short when stored)",
        )
    if column.var.kind is Kind.id:
        if not plain_strings(txt):
            txt = txt.where(txt.isna(), txt.str.strip())
        if normalise:
            txt = normalise_ids(txt)
        blank = (txt.isna() | (txt == "")).to_numpy()
        if blank.any():
            column.flag(blank, _blanks(blank), f"a non-empty id{column.desc}")
        return txt
    blank = txt.isna().to_numpy()
    txt[blank] = None
    if _no_blank_text(txt.to_numpy(dtype=object)[~blank]):
        return txt  # no text is only whitespace
    return txt.where(txt.isna() | (txt.astype(str).str.strip() != ""), None)


_WHOLE_WITH_ZEROS = r"^[+-]?(?:0|[1-9]\d*)(?:\.0*)?$"


def normalise_ids(ids: pd.Series) -> pd.Series:
    """Ids stored one way whatever the file format (CONTRACT §3, *ids*).

    A column whose every non-blank id is a whole number, written with or without a fraction of
    zeros (``1``, ``1.0``, ``17.00``, no leading zero), holds numbers in disguise — a CSV written
    from a numeric column, an Excel or SPSS number — and is stored as the integers' digits
    (``1``, ``17``), as Excel, SPSS and Parquet numbers already are. Any other column (a letter, a
    leading zero, a real fraction in any of its ids) is stored exactly as written, spaces trimmed.
    Strings only; blanks (None) stay None.
    """
    present = ids.notna()
    if not present.any():
        return ids
    first = str(ids[present].iloc[0])
    if not re.fullmatch(_WHOLE_WITH_ZEROS, first):  # one look rules out most id columns (R000123)
        return ids
    vals = ids[present].astype(str)
    if "." not in "".join(vals.tolist()):
        return ids
    if not vals.str.fullmatch(_WHOLE_WITH_ZEROS).all():
        return ids
    out = ids.copy()
    out[present] = vals.str.replace(r"\.0*$", "", regex=True).str.replace(r"^\+", "", regex=True)
    out[present & (out == "-0")] = "0"
    return out


def _sav_user_missing(sav, column: str, num: np.ndarray) -> tuple[np.ndarray, dict[float, str]]:
    """Mask of values the ``.sav`` declares user-missing for ``column``, and their value labels."""
    mask = np.zeros(len(num), dtype=bool)
    if sav is None or column not in sav.missing_ranges:
        return mask, {}
    for lo, hi in sav.missing_ranges[column]:
        try:
            lo_f, hi_f = float(lo), float(hi)
        except (TypeError, ValueError):
            continue
        mask |= (num >= lo_f) & (num <= hi_f)
    labels = {
        float(k): str(v)
        for k, v in sav.value_labels.get(column, {}).items()
        if isinstance(k, int | float)
    }
    return mask, labels


@dataclass(frozen=True)
class _MissingPart:
    variable: str
    pos: np.ndarray
    codes: np.ndarray
    meanings: np.ndarray
    undeclared: tuple[float, ...] = ()  # .sav user-missing values the codebook does not list

    def __len__(self) -> int:
        return len(self.pos)


def _assemble_missing(parts: list[_MissingPart], rows: np.ndarray) -> pd.DataFrame:
    """One long frame from the per-variable parts, sorted by row then codebook order."""
    pos = np.concatenate([p.pos for p in parts])
    order = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])
    idx = np.lexsort((order, pos))
    names = np.array([p.variable for p in parts], dtype=object)
    return pd.DataFrame(
        {
            "row_index": pos[idx].astype(np.int64),
            "row": rows[pos[idx]].astype(np.int64),
            "variable": names[order[idx]],
            "code": np.concatenate([p.codes for p in parts])[idx].astype(float),
            "meaning": np.concatenate([p.meanings for p in parts])[idx],
        }
    )


def _apply_codes(
    var: Variable, codebook: Codebook, num: np.ndarray, column: str, sav, rows: np.ndarray
) -> tuple[np.ndarray, _MissingPart | None, tuple[MissingCode, ...]]:
    """Mask of declared missing codes (codebook and ``.sav`` user-missing) and the long record."""
    codes = codebook.missing_codes_for(var.name) if var.kind in CODED_KINDS else ()
    code_vals = np.array([float(c.code) for c in codes], dtype=float)
    is_code = np.isin(num, code_vals) if len(codes) else np.zeros(len(num), dtype=bool)
    um, um_labels = _sav_user_missing(sav, column, num)
    mask = is_code | um
    if not mask.any():
        return mask, None, codes
    pos = np.flatnonzero(mask)
    vals = num[pos]
    by_code = {float(c.code): c.meaning for c in codes}
    uniq = np.unique(vals)
    meanings = np.empty(len(vals), dtype=object)
    for u in uniq:  # a handful of distinct codes
        meanings[vals == u] = by_code.get(float(u)) or guess_meaning(um_labels.get(float(u)))
    undeclared = tuple(float(u) for u in uniq if float(u) not in by_code)
    return mask, _MissingPart(var.name, pos, vals, meanings, undeclared), codes


def _numeric(s: pd.Series, column: _Column) -> tuple[Any, _MissingPart | None]:
    var = column.var
    num, blank, bad = _numbers(s)
    k = var.kind
    desc = column.desc
    if bad.any():
        what = {Kind.weight: "a non-negative number (survey weight)"}.get(k)
        if what is None:
            scale = var.scale
            rng = f" {scale[0]}-{scale[1]}" if scale else ""
            what = f"a number ({k.value}{rng}){desc}"
        column.flag(bad, s.to_numpy(dtype=object)[bad], what)
    mask, part, codes = column.missing_codes(num)
    present = ~blank & ~bad & ~mask
    if k is Kind.weight:
        wrong = present & (num < 0)
        if wrong.any():
            column.flag(wrong, num[wrong], f"a non-negative number (survey weight){desc}")
        if blank.any():
            column.flag(blank, _blanks(blank), f"a weight for every row (survey weight){desc}")
        return np.where(present, num, np.nan), None
    if k is Kind.category:
        allowed = np.array([float(x) for x in var.values], dtype=float)  # type: ignore[union-attr]
        wrong = present & ~np.isin(num, allowed)
        if wrong.any():
            exp = _category_expected(var.values, column, codes)  # type: ignore[arg-type]
            column.flag(wrong, num[wrong], exp + _sentinel_hint(num[wrong]))
        vals = np.where(present & ~wrong, num, np.nan)
        outv = pd.array(np.where(np.isnan(vals), 0, vals).astype(np.int64), dtype="Int64")
        outv[np.isnan(vals)] = pd.NA
        return outv, part
    scale = var.scale
    lo, hi = scale if scale is not None else (var.min, var.max)  # numeric: either bound alone
    wrong = np.zeros(len(num), dtype=bool)
    if k in INTEGER_KINDS:
        wrong |= present & (np.mod(num, 1) != 0)
    if lo is not None:
        wrong |= present & (num < lo)
    if hi is not None:
        wrong |= present & (num > hi)
    if wrong.any():
        if k is Kind.binary:
            exp = f"0 or 1 (binary){desc}; {_codes_text(codes)}"
        elif k in INTEGER_KINDS:
            exp = f"a whole number {lo}-{hi} ({k.value}){desc}; {_codes_text(codes)}"
        elif lo is not None and hi is not None:
            exp = f"a number {lo}-{hi}{desc}; {_codes_text(codes)}"
        elif lo is not None:
            exp = f"a number of at least {lo}{desc}; {_codes_text(codes)}"
        else:
            exp = f"a number of at most {hi}{desc}; {_codes_text(codes)}"
        column.flag(wrong, num[wrong], exp + _sentinel_hint(num[wrong]))
    return np.where(present & ~wrong, num, np.nan), part


def _string_category(s: pd.Series, column: _Column) -> tuple[Any, _MissingPart | None]:
    """A category whose codes are strings (e.g. ``values: {north: ..., south: ...}``)."""
    obj = s.astype(object)
    isna = obj.isna().to_numpy()
    txt = obj.where(isna, obj.astype(str).str.strip())
    blank = isna | (txt == "").to_numpy()
    num = pd.to_numeric(txt.where(~blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    mask, part, codes = column.missing_codes(num)
    present = ~blank & ~mask
    allowed = list(column.var.values)  # type: ignore[arg-type]
    wrong = present & ~txt.isin(allowed).to_numpy()
    if wrong.any():
        exp = _category_expected(allowed, column, codes)
        column.flag(wrong, txt.to_numpy(dtype=object)[wrong], exp)
    return txt.where(present & ~wrong, None).reset_index(drop=True), part


def _category_expected(values, column: _Column, codes: tuple[MissingCode, ...]) -> str:
    """What a category's cell should hold: one of its codes, or a declared missing code."""
    codes_txt = ", ".join(str(x) for x in values)
    return f"one of the category codes {codes_txt}{column.desc}; {_codes_text(codes)}"


def _blanks(where: np.ndarray) -> np.ndarray:
    """The value shown for each blank cell of mask ``where``: the empty string."""
    return np.full(where.sum(), "", dtype=object)
