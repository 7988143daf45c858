"""The study store: an embedded DuckDB file holding every client's survey waves, CRM, employee survey
and comments, with the provenance of every load and the original code of every missing answer.

A store is one file (no server). It holds many clients side by side; every read names its client and
every query is parameterised on it, so a report can never see another client's rows.

The code: :class:`Store` opens the file and holds the connection; its readers live in ``_read``,
the one-transaction import and ``remove_import`` in ``_write`` (files read and checked by ``_files``
— a survey CSV in blocks, staged on disk, by ``_stream`` — then against the stored rows by
``_check``), the tables and schema evolution in ``_schema``, the
results in ``_results``, parameter checks in ``_args``, DuckDB helpers in ``_sql``, and the
consistent per-client copy a report reads (:func:`snapshot`) in ``_snapshot``.

Tables
------
``responses``
    One row per respondent × wave: ``client``, ``respondent_id``, ``wave``, then one column per
    codebook variable found in the imported files (``customer_id``, segment columns, ``weight``,
    items). Numeric items are ``DOUBLE``; a declared missing code (don't know, refused, -99 …) is
    stored as ``NULL`` here — statistics see it as missing — and its code lives in
    ``missing_codes``. A later import that brings a new variable adds its column
    (``ALTER TABLE … ADD COLUMN``); earlier rows hold ``NULL`` there.
``missing_codes``
    ``client, respondent_id, wave, variable, code, meaning``: the original code of every missing
    answer, so the raw answer is recoverable for every respondent and variable.
``comments``
    ``client, respondent_id, wave, variable, text, lang``: the non-empty answers of the text
    variables of survey files (and of comment files), with the language detected (``zh`` when the text
    holds CJK ideographs, otherwise ``en``).
``customers``
    The CRM extract, one row per customer × year (columns of CONTRACT §2).
``employees``
    The employee engagement survey, one row per anonymous employee response × wave.
``imports``
    Provenance of every file loaded: client, file name, path, sha256, format, encoding detected,
    table, rows, missing codes kept, the variables it supplied, time (UTC) and the codebook's
    study, version and sha256.
``codebooks``
    Each codebook a client's files were checked against (its YAML text, by sha256), so the labels
    and scales of stored data can be had back (:meth:`Store.codebook`).

Every data table also carries ``import_id`` (the ``imports`` row it came from).

Examples
--------
>>> from cxresearch.store import Store
>>> with Store("study.duckdb") as store:                                       # doctest: +SKIP
...     report = store.import_files(["survey_2024.sav"], client="acme", codebook="codebook.yaml")
...     frame = store.responses("acme", waves=[2024])
"""

from __future__ import annotations

from pathlib import Path

from cxresearch.errors import CXError
from cxresearch.store._args import check_flag
from cxresearch.store._files import detect_lang
from cxresearch.store._read import StoreReader
from cxresearch.store._results import FileImport, ImportReport
from cxresearch.store._schema import SCHEMA_VERSION, TABLES, init_schema
from cxresearch.store._snapshot import connect as _connect
from cxresearch.store._snapshot import snapshot
from cxresearch.store._write import StoreWriter

__all__ = [
    "Store",
    "ImportReport",
    "FileImport",
    "TABLES",
    "SCHEMA_VERSION",
    "detect_lang",
    "snapshot",
]

#: suffixes of files a store is never opened on (DuckDB can open some data files as databases)
_NOT_A_STORE = {
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".xlsm",
    ".xls",
    ".sav",
    ".zsav",
    ".parquet",
    ".pq",
    ".json",
    ".yaml",
    ".yml",
    ".ipynb",
    ".py",
}


class Store(StoreReader, StoreWriter):
    """An embedded DuckDB study store (one file, many clients).

    Parameters
    ----------
    path : str or Path
        The DuckDB file; created (with its tables) when absent unless ``read_only``.
    read_only : bool, default False
        Open for reading only: several processes may read one store at once, but only one may write.
    wait : float, default 0
        Seconds to wait while another process holds the store (an import writing, a report taking
        its snapshot) before giving up; 0 fails at once.

    Raises
    ------
    CXError
        The file cannot be opened (a missing file in read-only mode, a directory that does not exist,
        another process holding the write lock) or is not a cxresearch store of a known schema.

    Notes
    -----
    Use it as a context manager, or call :meth:`close`. Every read method names its client.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, wait: float = 0.0):
        import duckdb

        check_flag("read_only", read_only)
        self.path = Path(path)
        self.read_only = read_only
        if self.path.suffix.lower() in _NOT_A_STORE:
            raise CXError(
                f"store {str(self.path)!r} looks like a data file ({self.path.suffix}), not a "
                "study store; give the store a name such as study.duckdb"
            )
        if read_only and not self.path.exists():
            raise CXError(
                f"store {str(self.path)!r} does not exist (opened read-only, so it is not created)"
            )
        if not self.path.parent.exists():
            raise CXError(
                f"cannot create store {str(self.path)!r}: folder {str(self.path.parent)!r} does not exist"
            )
        try:
            self._con = _connect(self.path, read_only=read_only, wait=wait)
        except duckdb.Error as exc:
            raise CXError(f"cannot open store {str(self.path)!r}: {exc}") from exc
        try:
            self._init_schema()
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------------

    def _init_schema(self) -> None:
        init_schema(self._con, self.path, read_only=self.read_only)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        con = getattr(self, "_con", None)
        if con is not None:
            con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"Store({str(self.path)!r}, {mode})"

    @property
    def con(self):
        """The underlying DuckDB connection (for heavy aggregations; always filter by client)."""
        if self._con is None:
            raise CXError(f"store {str(self.path)!r} is closed")
        return self._con
