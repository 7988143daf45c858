"""Reading survey files against the codebook: CSV, Excel, SPSS and Parquet into one tidy frame.

::

    import cxresearch as cx
    cb = cx.codebook.load("codebook.yaml")
    res = cx.io.read("survey_2014.csv", cb)         # encoding detected (UTF-8, BOM, GBK, GB18030)
    res.frame                                       # tidy: one row per respondent x wave, typed
    res.missing                                     # every declared missing code found, kept apart

Every reader gives the same frame: columns renamed through the codebook's aliases for the file's
wave, in codebook order; scale items, ratings, NPS, binary and numeric variables as ``float64`` with
missing answers as NaN; categories with integer codes as ``Int64``; ids and text as strings; the wave
as ``int64``. A file that does not match the codebook is refused whole with a
:class:`~cxresearch.errors.DataValidationError` that lists every problem (file, row as the user sees
it, column, value, what was expected), the first 50 in the message.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay
from cxresearch.codebook import Codebook
from cxresearch.codebook import load as load_codebook
from cxresearch.errors import CXValueError, CXWarning
from cxresearch.io._raw import (
    CSV_ENCODINGS,
    FORMATS,
    RawTable,
    SavMeta,
    detect_encoding,
    file_format,
    read_raw,
    sha256,
)
from cxresearch.io._validate import FileValidationError, build_frame
from cxresearch.io.draft import Draft, draft_codebook, write_draft

__all__ = [
    "CSV_ENCODINGS",
    "Draft",
    "FORMATS",
    "FileValidationError",
    "PartialMultiResponseWarning",
    "RawTable",
    "ReadResult",
    "SavMeta",
    "UndeclaredColumnWarning",
    "UndeclaredMissingCodeWarning",
    "detect_encoding",
    "draft_codebook",
    "file_format",
    "missing_summary",
    "multi_response_shares",
    "read",
    "read_raw",
    "sha256",
    "write_draft",
]


class UndeclaredColumnWarning(CXWarning):
    """A file has columns the codebook does not declare; they are left out of the frame."""


class UndeclaredMissingCodeWarning(CXWarning):
    """A ``.sav`` declares user-missing values the codebook does not list (kept as missing)."""


@dataclass(frozen=True, repr=False)
class ReadResult(ResultDisplay):
    """One file read and validated against the codebook.

    Attributes
    ----------
    frame : pandas.DataFrame
        The tidy frame (RangeIndex ``0..rows-1``), one column per declared variable found in the
        file, renamed through the aliases, in codebook order. Declared missing codes are NaN here.
    file : str
        The file's path as given.
    sha256 : str
        SHA-256 of the file's bytes.
    encoding : str or None
        The text encoding detected or used: ``utf-8``, ``utf-8-sig``, ``gbk``, ``gb18030``,
        ``utf-16`` for CSV; the encoding of the strings in a ``.sav`` (e.g. ``utf-8``, ``gbk``);
        None for Excel and Parquet.
    format : str
        ``csv``, ``xlsx``, ``sav`` or ``parquet``.
    rows : int
        Data rows in the frame.
    missing : pandas.DataFrame
        One row per missing answer that carried a code: ``row_index`` (the frame's row), ``row``
        (the row as the user sees it in the file), ``variable``, ``code`` (the original value) and
        ``meaning`` (``dont_know``, ``refused``, ``not_applicable``, ``system``, ``other``).
    waves : tuple of int
        The waves the file holds.
    renamed : dict
        ``{file column: variable}`` for columns renamed through an alias.
    extra_columns : tuple of str
        File columns the codebook does not declare (left out of the frame).
    row_numbers : numpy.ndarray
        For each frame row, its row number as the user sees it in the file.
    """

    frame: pd.DataFrame
    file: str
    sha256: str
    encoding: str | None
    format: str
    rows: int
    missing: pd.DataFrame
    waves: tuple[int, ...] = ()
    renamed: dict[str, str] | None = None
    extra_columns: tuple[str, ...] = ()
    row_numbers: np.ndarray | None = None


def read(
    path: str | os.PathLike[str],
    codebook: Codebook | str | os.PathLike[str] | dict,
    *,
    wave: int | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> ReadResult:
    """Read one survey file and validate it against the codebook.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.tsv``/``.txt`` (delimiter sniffed), ``.xlsx``, ``.sav``/``.zsav`` or
        ``.parquet`` file. The file is never modified.
    codebook : Codebook, path or dict
        The study codebook (anything :func:`cxresearch.codebook.load` takes).
    wave : int, optional
        The file's wave. Needed when the file has no wave column; when it has one, every row must
        hold this wave. Aliases restricted to some waves apply when the file holds one of them.
    encoding : str, optional
        Force the text encoding of a CSV (or the strings of a ``.sav``) instead of detecting it.
    sheet : str or int, optional
        The worksheet of an ``.xlsx`` (default: the first).

    Returns
    -------
    ReadResult
        The frame, the long ``missing`` frame and the file's provenance (sha256, encoding, format).

    Raises
    ------
    DataValidationError
        The file cannot be read or decoded, or does not match the codebook: the error lists every
        problem (missing required columns, values out of scale, non-numeric values in numeric
        items, unknown category codes, undeclared missing-value codes, duplicate (respondent,
        wave), an empty file, an unparseable wave). Its ``problems`` attribute holds them.
    CXValueError
        A parameter is wrong (unknown suffix, no such file, ``wave`` not an integer).

    Notes
    -----
    Missing answers: a value equal to one of the variable's missing codes (its own plus the
    study-wide ones) becomes NaN and is recorded in ``missing`` with its code and meaning. In a
    ``.sav``, values SPSS declares user-missing (discrete or a range) are missing too, with the
    codebook's meaning for that code or, if the codebook does not list it, a meaning guessed from
    the value label (``other`` when it cannot tell). An out-of-scale value that is not a declared
    code is an error; common sentinels (-99, 98, 99, ...) are named as probable missing codes.
    Columns the codebook does not declare are left out with an :class:`UndeclaredColumnWarning`.

    Examples
    --------
    A GBK-encoded export whose 99 means "don't know":

    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> path = Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_bytes("respondent_id,wave,满意度,意见\\n1,2025,4,服务很好\\n"
    ...                      "2,2025,2,价格太贵\\n3,2025,99,\\n".encode("gbk"))
    >>> book = {"variables": [
    ...     {"name": "respondent_id", "kind": "id", "role": "id"},
    ...     {"name": "wave", "kind": "wave", "role": "wave"},
    ...     {"name": "满意度", "kind": "likert", "min": 1, "max": 5,
    ...      "missing_codes": [{"code": 99, "meaning": "dont_know"}]},
    ...     {"name": "意见", "kind": "text", "required": False}]}
    >>> res = cx.io.read(path, book)
    >>> res.rows, res.encoding
    (3, 'gbk')
    >>> res.frame
      respondent_id  wave  满意度    意见
    0             1  2025  4.0  服务很好
    1             2  2025  2.0  价格太贵
    2             3  2025  NaN  None
    >>> res.missing[["row", "variable", "code", "meaning"]]
       row variable  code    meaning
    0    4      满意度  99.0  dont_know
    """
    cb = load_codebook(codebook)
    if wave is not None and (isinstance(wave, bool) or not isinstance(wave, int | np.integer)):
        raise CXValueError(f"wave must be a whole number (e.g. 2019) or None; got {wave!r}")
    p = Path(path)
    text_columns = frozenset(
        name
        for v in cb.variables
        if v.kind in ("id", "text")
        or (v.kind == "category" and v.values and any(isinstance(k, str) for k in v.values))
        for name in (v.name, *(a.name for a in v.aliases))
    )
    raw = read_raw(p, encoding=encoding, sheet=sheet, text_columns=text_columns)
    digest = sha256(p)
    built = build_frame(raw, cb, wave=None if wave is None else int(wave))
    if built.extra_columns:
        warnings.warn(
            f"{raw.file}: {len(built.extra_columns)} column(s) not in the codebook were left out: "
            + ", ".join(repr(c) for c in built.extra_columns[:20])
            + (" ..." if len(built.extra_columns) > 20 else ""),
            UndeclaredColumnWarning,
            stacklevel=2,
        )
    if built.undeclared_codes:
        listed = "; ".join(
            f"{var}: {', '.join(f'{c:g}' for c in codes)}"
            for var, codes in built.undeclared_codes.items()
        )
        warnings.warn(
            f"{raw.file}: values the .sav declares user-missing but the codebook does not list "
            f"were kept as missing (meaning guessed from their value labels): {listed}; add them "
            "to the codebook's missing_codes to set their meaning",
            UndeclaredMissingCodeWarning,
            stacklevel=2,
        )
    frame = built.frame
    return ReadResult(
        frame=frame,
        file=str(path),
        sha256=digest,
        encoding=raw.encoding,
        format=raw.format,
        rows=len(frame),
        missing=built.missing,
        waves=built.waves,
        renamed=built.renamed,
        extra_columns=built.extra_columns,
        row_numbers=raw.rows.copy(),
    )


def missing_summary(
    result: ReadResult | pd.DataFrame, *, frame: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per variable and code: how many answers carried the code and their share of the rows.

    Parameters
    ----------
    result : ReadResult or DataFrame
        A :class:`ReadResult`, or a long ``missing`` frame (then give ``frame`` for the row count).
    frame : DataFrame, optional
        The tidy frame the missing records belong to (when ``result`` is a missing frame).

    Returns
    -------
    pandas.DataFrame
        Columns ``variable``, ``code``, ``meaning``, ``n`` (answers with the code), ``base`` (rows in
        the file) and ``share`` (``n / base``), sorted by variable and code.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> path = Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_bytes("respondent_id,wave,满意度,意见\\n1,2025,4,服务很好\\n"
    ...                      "2,2025,2,价格太贵\\n3,2025,99,\\n".encode("gbk"))
    >>> book = {"variables": [
    ...     {"name": "respondent_id", "kind": "id", "role": "id"},
    ...     {"name": "wave", "kind": "wave", "role": "wave"},
    ...     {"name": "满意度", "kind": "likert", "min": 1, "max": 5,
    ...      "missing_codes": [{"code": 99, "meaning": "dont_know"}]},
    ...     {"name": "意见", "kind": "text", "required": False}]}
    >>> cx.io.missing_summary(cx.io.read(path, book)).round(3)
      variable  code    meaning  n  base  share
    0      满意度  99.0  dont_know  1     3  0.333
    """
    if isinstance(result, ReadResult):
        missing, base = result.missing, result.rows
    else:
        if frame is None:
            raise CXValueError("missing_summary: give frame= (the tidy frame) with a missing frame")
        missing, base = result, len(frame)
    if missing.empty:
        return pd.DataFrame(
            {
                "variable": pd.Series(dtype=object),
                "code": pd.Series(dtype=float),
                "meaning": pd.Series(dtype=object),
                "n": pd.Series(dtype=np.int64),
                "base": pd.Series(dtype=np.int64),
                "share": pd.Series(dtype=float),
            }
        )
    out = (
        missing.groupby(["variable", "code", "meaning"], sort=True, dropna=False)
        .size()
        .rename("n")
        .reset_index()
    )
    out["base"] = int(base)
    out["share"] = out["n"] / float(base) if base else np.nan
    return out


def multi_response_shares(
    frame: pd.DataFrame,
    codebook: Codebook | str | os.PathLike[str] | dict,
    name: str,
    *,
    weights: str | None = None,
) -> pd.DataFrame:
    """Share of respondents choosing each option of a "select all that apply" set.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy frame (as :func:`read` returns) holding every option column of the set.
    codebook : Codebook, path or dict
        The codebook declaring the set under ``multi_response``.
    name : str
        The set's name.
    weights : str, optional
        Column of survey (sampling) weights; None for unweighted shares.

    Returns
    -------
    pandas.DataFrame
        One row per option, in codebook order: ``option``, ``n`` (respondents in the base),
        ``n_eff`` (Kish effective base, equal to ``n`` unweighted), ``selected`` (respondents who
        chose the option, unweighted count), ``weighted_base`` and ``weighted_selected`` (sums of
        weights; equal to the counts when unweighted) and ``estimate`` (the share). Shares can add
        up to more than 1 across options.

    Notes
    -----
    The base is the respondents who answered the question: those with every option non-missing
    (0 or 1). A respondent with all options missing was not asked or did not answer; one with some
    options missing and others given is excluded from the base too (an incomplete answer), and
    counted in a :class:`PartialMultiResponseWarning`. With weights :math:`w_i` the share of option
    *j* is :math:`\\sum_{i \\in B} w_i y_{ij} / \\sum_{i \\in B} w_i`; the effective base is
    :math:`(\\sum w)^2 / \\sum w^2` (Kish 1965). Significance tests of these shares are those of a
    proportion (``cxresearch.survey``).

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    "Why did you choose us? (all that apply)": the fourth respondent answered one option only and
    is left out of the base (a warning says so):

    >>> import warnings
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> frame = pd.DataFrame({"why_price": [1, 0, 1, 1], "why_service": [0, 1, 1, None],
    ...                       "w": [1.0, 2.0, 1.0, 1.0]})
    >>> book = {"variables": [{"name": "why_price", "kind": "binary"},
    ...                       {"name": "why_service", "kind": "binary"},
    ...                       {"name": "w", "kind": "weight", "role": "weight"}],
    ...         "multi_response": [{"name": "why", "options": ["why_price", "why_service"]}]}
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     shares = cx.io.multi_response_shares(frame, book, "why", weights="w")
    >>> shares[["option", "n", "n_eff", "estimate"]].round(3)
            option  n  n_eff  estimate
    0    why_price  3  2.667      0.50
    1  why_service  3  2.667      0.75
    """
    cb = load_codebook(codebook)
    mr = cb.multi_response_set(name)
    absent = [o for o in mr.options if o not in frame.columns]
    if absent:
        raise CXValueError(
            f"multi_response_shares: the frame has no column for option(s) {absent} of set {name!r}"
        )
    opts = frame[list(mr.options)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    nonbin = ~np.isnan(opts) & ~np.isin(opts, (0.0, 1.0))
    if nonbin.any():
        i, j = np.argwhere(nonbin)[0]
        raise CXValueError(
            f"multi_response_shares: option {mr.options[j]!r} of set {name!r} must be 0 or 1; "
            f"got {float(opts[i, j])!r} at frame row {frame.index[i]!r}"
        )
    answered_any = ~np.isnan(opts).all(axis=1)
    complete = ~np.isnan(opts).any(axis=1)
    partial = int((answered_any & ~complete).sum())
    if partial:
        warnings.warn(
            f"multi-response set {name!r}: {partial} respondent(s) answered some options and not "
            "others; they are left out of the base",
            PartialMultiResponseWarning,
            stacklevel=2,
        )
    if weights is None:
        w = np.ones(len(frame))
    else:
        if weights not in frame.columns:
            raise CXValueError(
                f"multi_response_shares: weights column {weights!r} is not in the frame"
            )
        w = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=float)
        badw = complete & (~np.isfinite(w) | (w < 0))
        if badw.any():
            i = int(np.flatnonzero(badw)[0])
            raise CXValueError(
                f"multi_response_shares: weights column {weights!r} must be non-negative numbers; "
                f"got {float(w[i])!r} at frame row {frame.index[i]!r}"
            )
    wb = w[complete]
    y = opts[complete]
    n = int(complete.sum())
    sw = float(wb.sum())
    n_eff = sw**2 / float((wb**2).sum()) if n and sw > 0 else 0.0
    wsel = (wb[:, None] * y).sum(axis=0)
    est = wsel / sw if sw > 0 else np.full(len(mr.options), np.nan)
    return pd.DataFrame(
        {
            "option": list(mr.options),
            "n": n,
            "n_eff": n_eff,
            "selected": y.sum(axis=0).astype(np.int64),
            "weighted_base": sw,
            "weighted_selected": wsel,
            "estimate": est,
        }
    )


class PartialMultiResponseWarning(CXWarning):
    """Some respondents answered part of a multi-response set; they are left out of its base."""
