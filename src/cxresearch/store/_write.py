"""The store's writing: an import of many files in one transaction, and taking an import back out."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cxresearch.errors import CXError, CXValueError, DataValidationError
from cxresearch.store._args import (
    check_choice,
    check_client,
    check_flag,
    check_new_client,
    check_scale,
)
from cxresearch.store._check import imported_before, store_problems
from cxresearch.store._files import read_batch, resolve_codebook
from cxresearch.store._results import FileImport, ImportReport
from cxresearch.store._schema import CLIENT_TABLES, TABLES, add_columns, column_types, new_columns
from cxresearch.store._sql import count_rows, first_row, transaction, utcnow

#: DuckDB's memory limit while it writes a file staged on disk
STAGED_MEMORY_BYTES = 32 * 2**20


class StoreWriter:
    """The writing half of :class:`~cxresearch.store.Store` (a mixin: it uses ``self.con``,
    ``self.path`` and ``self.read_only``)."""

    # -- importing -----------------------------------------------------------------------------------

    def import_files(
        self,
        paths: Sequence[str | Path] | str | Path,
        *,
        client: str,
        codebook,
        table: str = "auto",
        employee_scale: tuple[float, float] = (1, 5),
        skip_imported: bool = False,
        dry_run: bool = False,
        wave: int | None = None,
        encoding: str | None = None,
    ) -> ImportReport:
        """Check files against the codebook and load them in one transaction.

        Every file is read and validated first and every problem of every file is collected; only
        when there is none is anything written, inside one ``BEGIN … COMMIT``. Any failure while
        writing rolls the whole call back: the store is left exactly as it was.

        Parameters
        ----------
        paths : path or sequence of paths
            Survey waves (``.csv``, ``.xlsx``, ``.sav``, ``.parquet``), CRM extracts, employee survey
            files or comment files.
        client : str
            The client the rows belong to: letters (any script), digits, ``_``, ``-`` and ``.``
            (not first), at most 64 characters — it names the client's report folder.
        codebook : path, dict or Codebook
            The study's codebook (:func:`cxresearch.codebook.load` accepts a path or a dict).
        table : {'auto', 'responses', 'customers', 'employees', 'comments'}
            Where the files go. ``auto`` tells each file by its columns: CRM files by
            ``customer_id, year, active/churned``; employee files by ``unit, wave, q01…``; comment
            files by ``respondent_id, wave, text`` and no survey item; survey files by the codebook's
            variables (or their aliases).
        employee_scale : (min, max), default (1, 5)
            Allowed range of employee survey items (``q01`` …).
        skip_imported : bool, default False
            Leave out, without reading them, files whose content was imported for this client
            before (listed in ``ImportReport.skipped``) instead of refusing the call — for loading a
            whole delivery folder again after new files arrived.
        dry_run : bool, default False
            Read and validate everything, write nothing; the report tells what would be written
            (``import_id`` 0).
        wave : int, optional
            The wave of survey files that have no wave column (e.g. ``2024``): set on every row
            and recorded in ``imports.wave_given``. A survey file that has a wave column is refused
            when ``wave`` is given.
        encoding : str, optional
            The text encoding of the CSV files (and of the strings of ``.sav`` files) when
            detection is not wanted (e.g. ``gbk``, ``big5``, ``cp1252``); the whole file must
            still decode cleanly in it. Excel and Parquet files ignore it.

        Notes
        -----
        A survey file without a respondent id column (when the codebook has no required id
        variable) gets generated ids ``<first 12 hex digits of its sha256>-<row>`` (the row
        number the user sees): deterministic and unique per file. ``imports.ids_generated``
        records the pattern and ``ImportReport.notes`` says so.

        Returns
        -------
        ImportReport

        Raises
        ------
        DataValidationError
            Any problem in any file — unreadable or unknown file, a column or value the codebook does
            not allow, a file already imported for this client (same sha256), a duplicate
            (respondent, wave), (customer, year) or (employee, wave) within the call or against the
            store, a column whose type conflicts with the store's. Lists every problem; nothing is
            loaded.
        CXValueError
            A bad parameter (client, table, employee_scale).
        CXError
            The store is read-only, or writing failed (the transaction was rolled back).
        """
        started = time.perf_counter()
        check_flag("dry_run", dry_run)
        if encoding is not None:
            import codecs

            try:
                codecs.lookup(str(encoding))
            except LookupError:
                raise CXValueError(
                    f"encoding {encoding!r} is not a known codec (e.g. utf-8, gbk, "
                    "gb18030, big5, cp1252, latin-1)"
                ) from None
        check_flag("skip_imported", skip_imported)
        if not dry_run:
            self._check_writable("import")
        client = check_new_client(client)
        check_choice("table", table, ("auto", *TABLES))
        scale = check_scale(employee_scale)
        if wave is not None and (isinstance(wave, bool) or not isinstance(wave, int | np.integer)):
            raise CXValueError(f"wave must be a whole number (e.g. 2024) or None; got {wave!r}")
        if isinstance(paths, str | Path):
            paths = [paths]
        paths = [Path(p) for p in paths]
        if not paths:
            raise CXValueError("paths is empty; give at least one data file to import")

        cb, cb_yaml, cb_sha = resolve_codebook(codebook)
        batch = read_batch(
            paths,
            codebook=cb,
            table=table,
            employee_scale=scale,
            imported=lambda digest: imported_before(self.con, client, digest),
            skip_imported=skip_imported,
            client=client,
            wave=None if wave is None else int(wave),
            encoding=encoding,
        )
        try:
            problems = list(batch.problems)
            problems += store_problems(self.con, client, batch)
            if problems:
                n_files = len({p.file for p in problems})
                raise DataValidationError(
                    problems,
                    header=(
                        f"import refused, nothing was loaded: {len(problems)} problem"
                        f"{'s' if len(problems) != 1 else ''} in {n_files} file"
                        f"{'s' if n_files != 1 else ''}"
                    ),
                )
            return self._write(client, batch, cb, cb_yaml, cb_sha, started, table, dry_run=dry_run)
        finally:
            for item in batch.items:  # files staged on disk by the streaming reader
                item.cleanup()

    def remove_import(self, client: str, *, import_id: int) -> dict[str, int]:
        """Take one file's load back out of the store (e.g. before loading a corrected delivery).

        Deletes, in one transaction, every row the import wrote (responses, customers, employees,
        comments, missing codes) and its ``imports`` row; the file can then be imported again.

        Parameters
        ----------
        client : str
            The client the import belongs to.
        import_id : int
            The ``import_id`` shown by :meth:`imports` (and in :class:`ImportReport`).

        Returns
        -------
        dict
            Rows deleted per table.

        Raises
        ------
        CXValueError
            No import ``import_id`` for this client (the client's imports are listed).
        CXError
            The store is read-only.
        """
        self._check_writable("remove an import")
        client = check_client(client)
        if isinstance(import_id, bool) or not isinstance(import_id, int | np.integer):
            raise CXValueError(f"import_id must be an integer; got {import_id!r}")
        con = self.con
        if not count_rows(con, "imports", client, int(import_id)):
            known = [
                r[0]
                for r in con.execute(
                    "SELECT import_id FROM imports WHERE client = ? ORDER BY import_id", [client]
                ).fetchall()
            ]
            raise CXValueError(
                f"client {client!r} has no import {import_id!r}; its imports are {known}"
            )
        deleted = {}
        with transaction(con):
            for table in CLIENT_TABLES:
                deleted[table] = count_rows(con, table, client, int(import_id))
                con.execute(
                    f"DELETE FROM {table} WHERE client = ? AND import_id = ?",
                    [client, int(import_id)],
                )
        return deleted

    def _check_writable(self, what: str) -> None:
        """Refuse to ``what`` (change the store) when it is open read-only."""
        if self.read_only:
            raise CXError(
                f"store {str(self.path)!r} is open read-only; open it with read_only=False to {what}"
            )

    def _write(
        self, client, batch, cb, cb_yaml, cb_sha, started, table_opt, *, dry_run: bool = False
    ) -> ImportReport:
        """Write a checked batch in one transaction (new columns, rows, missing codes, comments,
        provenance); a dry run, or a batch whose files were all skipped, writes nothing."""
        from cxresearch import __version__

        con = self.con
        study = getattr(cb, "study", None)
        version = getattr(cb, "version", None)
        version = None if version is None else str(version)
        if dry_run or not batch.items:  # nothing to write (every file skipped, or a dry run)
            return self._dry_report(
                client, batch, cb_sha, study, version, started, table_opt, dry_run=dry_run
            )
        rows = _no_rows()
        added: list[tuple[str, str, str]] = []
        files: list[FileImport] = []
        now = utcnow()
        batch_id = hashlib.sha256(
            (client + now.isoformat() + "".join(i.sha256 for i in batch.items)).encode()
        ).hexdigest()[:16]
        with transaction(
            con,
            failed=f"writing to store {str(self.path)!r} failed, nothing was loaded (rolled back)",
        ):
            if (
                first_row(
                    con.execute(
                        "SELECT 1 FROM codebooks WHERE client = ? AND sha256 = ?", [client, cb_sha]
                    )
                )
                is None
            ):
                con.execute(
                    "INSERT INTO codebooks VALUES (?, ?, ?, ?, ?, ?)",
                    [client, cb_sha, study, version, cb_yaml, now],
                )
            next_id = int(
                first_row(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports"))[0]
            )
            for item in batch.items:
                import_id = next_id
                next_id += 1
                added += add_columns(con, item.table, item.types)
                stored = column_types(con, item.table)
                if item.staged is not None:
                    n_missing, n_comments = self._insert_staged(
                        item, set(stored), client, import_id
                    )
                else:
                    frame = item.frame[[c for c in item.frame.columns if c.lower() in stored]]
                    self._insert(item.table, frame, client, import_id)
                    n_missing = n_comments = 0
                    if item.missing is not None and len(item.missing):
                        self._insert("missing_codes", item.missing, client, import_id)
                        n_missing = len(item.missing)
                    if item.comments is not None and len(item.comments):
                        self._insert("comments", item.comments, client, import_id)
                        n_comments = len(item.comments)
                files.append(_tally(rows, item, n_missing, n_comments, import_id))
                con.execute(
                    "INSERT INTO imports (import_id, batch_id, client, file, path, sha256, format, "
                    "encoding, table_name, rows, missing, variables, imported_at, codebook_study, "
                    "codebook_version, codebook_sha256, cxresearch_version, wave_given, "
                    "ids_generated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        import_id,
                        batch_id,
                        client,
                        item.name,
                        str(item.path.resolve()),
                        item.sha256,
                        item.format,
                        item.encoding,
                        item.table,
                        item.rows,
                        n_missing,
                        list(item.variables),
                        now,
                        study,
                        version,
                        cb_sha,
                        __version__,
                        item.wave_given,
                        item.ids_generated,
                    ],
                )
        return self._report(
            client,
            batch,
            files,
            rows,
            added,
            cb_sha,
            study,
            version,
            started,
            table_opt,
            dry_run=False,
        )

    def _dry_report(
        self, client, batch, cb_sha, study, version, started, table_opt, *, dry_run: bool = True
    ) -> ImportReport:
        """The report of what the batch would write (``import_id`` 0), written nothing."""
        rows = _no_rows()
        added: list[tuple[str, str, str]] = []
        files = []
        known = {t: set(column_types(self.con, t)) for t in TABLES}
        for item in batch.items:
            added += new_columns(item.table, item.types, known[item.table])
            if item.staged is not None:
                n_missing, n_comments = item.staged.n_missing, item.staged.n_comments
            else:
                n_missing = 0 if item.missing is None else len(item.missing)
                n_comments = 0 if item.comments is None else len(item.comments)
            files.append(_tally(rows, item, n_missing, n_comments, 0))
        return self._report(
            client,
            batch,
            files,
            rows,
            added,
            cb_sha,
            study,
            version,
            started,
            table_opt,
            dry_run=dry_run,
        )

    def _report(
        self,
        client,
        batch,
        files,
        rows,
        added,
        cb_sha,
        study,
        version,
        started,
        table_opt,
        *,
        dry_run: bool,
    ) -> ImportReport:
        """The :class:`ImportReport` of a call, real or dry."""
        return ImportReport(
            client=client,
            files=tuple(files),
            rows_by_table=rows,
            added_columns=tuple(added),
            seconds=time.perf_counter() - started,
            codebook_study=study,
            codebook_version=version,
            codebook_sha256=cb_sha,
            notes=tuple(n for i in batch.items for n in i.notes),
            skipped=tuple(batch.skipped),
            settings={"table": table_opt, "store": str(self.path), "dry_run": dry_run},
        )

    def _insert(self, table: str, frame, client: str, import_id: int) -> None:
        """Append ``frame`` to ``table`` by column name, with the client and import id; ``frame``
        is a DataFrame, or ``(select list, Arrow stream file)`` of rows staged on disk."""
        import pyarrow as pa

        source = None
        if isinstance(frame, tuple):  # an arrow stream staged on disk, scanned block by block
            from cxresearch.store._stream import read_staged

            select, path = frame
            data, source = read_staged(path)
        else:
            select, data = "*", pa.Table.from_pandas(frame, preserve_index=False)
        self.con.register("_cx_in", data)
        try:
            self.con.execute(
                f"INSERT INTO {table} BY NAME SELECT {select}, ?::VARCHAR AS client, "
                "?::BIGINT AS import_id FROM _cx_in",
                [client, import_id],
            )
        finally:
            self.con.unregister("_cx_in")
            if source is not None:
                source.close()

    def _insert_staged(
        self, item, stored: set[str], client: str, import_id: int
    ) -> tuple[int, int]:
        """Append a survey file staged on disk (Arrow stream files) to responses, missing codes and comments;
        ``(missing codes, comments)`` written."""
        staged = item.staged
        con = self.con
        # one thread and a bounded buffer: DuckDB streams the staged rows into the table (its
        # optimistic writes spill full row groups to the store file) instead of caching them
        settings = {
            k: first_row(con.execute(f"SELECT current_setting('{k}')"))[0]
            for k in ("threads", "memory_limit")
        }
        con.execute("SET threads = 1")
        used = first_row(
            con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()")
        )[0]
        if used < STAGED_MEMORY_BYTES // 2:  # a lower limit than what is in use would fail
            con.execute(f"SET memory_limit = '{STAGED_MEMORY_BYTES // 2**20}MB'")
        try:
            self._insert(item.table, (staged.select(stored), staged.responses), client, import_id)
            if staged.n_missing:
                self._insert("missing_codes", (staged.star(), staged.missing), client, import_id)
            if staged.n_comments:
                self._insert("comments", (staged.star(), staged.comments), client, import_id)
        finally:
            con.execute(f"SET threads = {int(settings['threads'])}")
            con.execute(f"SET memory_limit = '{settings['memory_limit']}'")
        return staged.n_missing, staged.n_comments


def _no_rows() -> dict[str, int]:
    """Rows written per table, all zero."""
    return dict.fromkeys((*TABLES, "missing_codes"), 0)


def _tally(
    rows: dict[str, int], item, n_missing: int, n_comments: int, import_id: int
) -> FileImport:
    """Count one file's rows into ``rows`` (in place) and describe what it contributed."""
    rows[item.table] += item.rows
    rows["missing_codes"] += n_missing
    if item.table != "comments":
        rows["comments"] += n_comments
    return FileImport(
        item.name,
        str(item.path),
        item.table,
        item.format,
        item.encoding,
        item.sha256,
        item.rows,
        n_missing,
        n_comments,
        import_id,
        wave_given=item.wave_given,
        ids_generated=item.ids_generated,
    )
