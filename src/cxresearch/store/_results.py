"""What an import returns: one :class:`FileImport` per file inside an :class:`ImportReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class FileImport:
    """What one file contributed to an import.

    Attributes
    ----------
    file, path : str
        The file's name, and its path as given.
    table : str
        Table the rows went to (``responses``, ``customers``, ``employees``, ``comments``).
    format : str
        ``csv``, ``xlsx``, ``sav`` or ``parquet``.
    encoding : str or None
        Text encoding detected or used (CSV, and the strings of a ``.sav``); None for Excel and
        Parquet.
    sha256 : str
        Hash of the file's bytes.
    rows : int
        Rows written to ``table``.
    missing : int
        Missing answers whose code was kept in ``missing_codes``.
    comments : int
        Non-empty text answers written to ``comments`` (survey files).
    import_id : int
        Key of the file's ``imports`` row.
    wave_given : int or None
        The wave set for a survey file without a wave column (``wave=`` / ``--wave``).
    ids_generated : str or None
        For a survey file without respondent ids: the pattern of the ids made for it
        (``<sha256 prefix>-<row>``).
    """

    file: str
    path: str
    table: str
    format: str
    encoding: str | None
    sha256: str
    rows: int
    missing: int
    comments: int
    import_id: int
    wave_given: int | None = None
    ids_generated: str | None = None


@dataclass(frozen=True)
class ImportReport:
    """The result of :meth:`Store.import_files`: one transaction, several files.

    Attributes
    ----------
    client : str
    files : tuple of FileImport
        One entry per file, in the order given.
    rows_by_table : dict
        Rows written per table (``responses``, ``customers``, ``employees``, ``comments``,
        ``missing_codes``), zero for tables untouched.
    added_columns : tuple of (table, column, sql_type)
        Columns this import added to the store's tables (schema evolution).
    seconds : float
        Wall time of the whole call (reading, validating and writing).
    codebook_study, codebook_version, codebook_sha256 : str or None
        The codebook the files were checked against, as recorded in ``imports``.
    notes : tuple of str
        What the readers warned about (e.g. columns the codebook does not declare, left out).
    skipped : tuple of (file, imported as, import_id, imported_at)
        Files left out because their content was imported before (``skip_imported=True``).
    settings : dict
        The options the import ran with.
    """

    client: str
    files: tuple[FileImport, ...]
    rows_by_table: dict[str, int]
    added_columns: tuple[tuple[str, str, str], ...]
    seconds: float
    codebook_study: str | None
    codebook_version: str | None
    codebook_sha256: str
    notes: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str, int, Any], ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per file: ``file, table, format, encoding, rows, missing, comments, sha256,
        import_id``."""
        cols = [
            "file",
            "table",
            "format",
            "encoding",
            "rows",
            "missing",
            "comments",
            "sha256",
            "import_id",
        ]
        return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in self.files], columns=cols)
