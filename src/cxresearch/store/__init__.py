"""The study store: an embedded DuckDB file holding every client's survey waves, CRM, employee survey
and comments, with the provenance of every load and the original code of every missing answer.

A store is one file (no server). It holds many clients side by side; every read names its client and
every query is parameterised on it, so a report can never see another client's rows.

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

import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import CXError, CXValueError, DataValidationError, Problem
from cxresearch.store._files import (
    MAX_PROBLEMS_PER_COLUMN,
    detect_lang,
    read_batch,
    resolve_codebook,
)

__all__ = ["Store", "ImportReport", "FileImport", "TABLES", "SCHEMA_VERSION", "detect_lang"]

SCHEMA_VERSION = "1"

#: Data tables a file can be imported into (``table=`` of :meth:`Store.import_files`).
TABLES = ("responses", "customers", "employees", "comments")

#: suffixes of files a store is never opened on (DuckDB can open some data files as databases)
_NOT_A_STORE = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".sav", ".zsav", ".parquet", ".pq",
                ".json", ".yaml", ".yml", ".ipynb", ".py"}

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id BIGINT NOT NULL, batch_id VARCHAR NOT NULL, client VARCHAR NOT NULL,
        file VARCHAR NOT NULL, path VARCHAR, sha256 VARCHAR NOT NULL, format VARCHAR,
        encoding VARCHAR, table_name VARCHAR NOT NULL, rows BIGINT NOT NULL, missing BIGINT NOT NULL,
        variables VARCHAR[], imported_at TIMESTAMP NOT NULL, codebook_study VARCHAR,
        codebook_version VARCHAR, codebook_sha256 VARCHAR, cxresearch_version VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS responses (
        client VARCHAR NOT NULL, respondent_id VARCHAR NOT NULL, wave BIGINT NOT NULL,
        import_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS missing_codes (
        client VARCHAR NOT NULL, respondent_id VARCHAR NOT NULL, wave BIGINT NOT NULL,
        variable VARCHAR NOT NULL, code DOUBLE NOT NULL, meaning VARCHAR, import_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS comments (
        client VARCHAR NOT NULL, respondent_id VARCHAR NOT NULL, wave BIGINT NOT NULL,
        variable VARCHAR NOT NULL, text VARCHAR NOT NULL, lang VARCHAR NOT NULL,
        import_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS customers (
        client VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, year BIGINT NOT NULL,
        import_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS employees (
        client VARCHAR NOT NULL, wave BIGINT NOT NULL, import_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS codebooks (
        client VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, study VARCHAR, version VARCHAR,
        yaml VARCHAR NOT NULL, first_imported_at TIMESTAMP NOT NULL)""",
]


# ---------------------------------------------------------------------------------------------------
# results


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
        cols = ["file", "table", "format", "encoding", "rows", "missing", "comments", "sha256",
                "import_id"]
        return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in self.files], columns=cols)


# ---------------------------------------------------------------------------------------------------
# the store


class Store:
    """An embedded DuckDB study store (one file, many clients).

    Parameters
    ----------
    path : str or Path
        The DuckDB file; created (with its tables) when absent unless ``read_only``.
    read_only : bool, default False
        Open for reading only: several processes may read one store at once, but only one may write.

    Raises
    ------
    CXError
        The file cannot be opened (a missing file in read-only mode, a directory that does not exist,
        another process holding the write lock) or is not a cxresearch store of a known schema.

    Notes
    -----
    Use it as a context manager, or call :meth:`close`. Every read method names its client.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False):
        import duckdb

        if not isinstance(read_only, bool):
            raise CXValueError(f"read_only must be True or False; got {read_only!r}")
        self.path = Path(path)
        self.read_only = read_only
        if self.path.suffix.lower() in _NOT_A_STORE:
            raise CXError(f"store {str(self.path)!r} looks like a data file ({self.path.suffix}), not a "
                          "study store; give the store a name such as study.duckdb")
        if read_only and not self.path.exists():
            raise CXError(f"store {str(self.path)!r} does not exist (opened read-only, so it is not created)")
        if not self.path.parent.exists():
            raise CXError(f"cannot create store {str(self.path)!r}: folder {str(self.path.parent)!r} does not exist")
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise CXError(f"cannot open store {str(self.path)!r}: {exc}") from exc
        try:
            self._init_schema()
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------------

    def _init_schema(self) -> None:
        con = self._con
        existing = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "meta" not in existing and (self.read_only or existing):
            raise CXError(f"{str(self.path)!r} is not a cxresearch store (a DuckDB file without its "
                          f"'meta' table{'' if not existing else '; tables: ' + ', '.join(sorted(existing))}); "
                          "give a new file name or an existing store")
        if not self.read_only:
            con.execute("BEGIN TRANSACTION")
            try:
                for ddl in _DDL:
                    con.execute(ddl)
                if "meta" not in existing:
                    con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created_at', ?)",
                                [SCHEMA_VERSION, _now().isoformat()])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        row = _one(con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
        if row is None or row[0] != SCHEMA_VERSION:
            got = None if row is None else row[0]
            raise CXError(f"store {str(self.path)!r} has schema version {got!r}; this cxresearch "
                          f"reads version {SCHEMA_VERSION!r}")

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

    # -- reading -------------------------------------------------------------------------------------

    def clients(self) -> list[str]:
        """Clients with at least one import, sorted."""
        return [r[0] for r in self.con.execute(
            "SELECT DISTINCT client FROM imports ORDER BY client").fetchall()]

    def columns(self, table: str = "responses") -> list[str]:
        """Column names of one table, in order (``client`` and ``import_id`` included)."""
        _check_choice("table", table, (*TABLES, "missing_codes", "imports"))
        return [r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]

    def responses(self, client: str, *, waves: Iterable[int] | None = None,
                  columns: Sequence[str] | None = None, codes: bool = False) -> pd.DataFrame:
        """The client's survey responses, one row per respondent × wave.

        Parameters
        ----------
        client : str
            The client whose rows to return (no other client's row is ever returned).
        waves : iterable of int, optional
            Only these waves; all when None.
        columns : sequence of str, optional
            Only these columns (``client``, ``respondent_id`` and ``wave`` always come first). All
            columns but ``import_id`` when None.
        codes : bool, default False
            Put each missing answer's original code back (-99, 98, 99 …): the values as the files
            held them. Never for statistics.

        Returns
        -------
        pandas.DataFrame
            ``client, respondent_id, wave`` then the codebook's columns. Declared missing codes are
            NaN unless ``codes`` (their codes: :meth:`missing_codes`). Sorted by wave and
            respondent.

        Raises
        ------
        CXValueError
            An empty client, a non-integer wave, or a column the store does not hold.
        """
        if not isinstance(codes, bool):
            raise CXValueError(f"codes must be True or False; got {codes!r}")
        frame = self._read("responses", client, period="wave", periods=waves, columns=columns,
                           key=("respondent_id", "wave"), order=("wave", "respondent_id"))
        if codes and len(frame):
            miss = self.missing_codes(client, waves=waves,
                                      variables=[c for c in frame.columns if c not in
                                                 ("client", "respondent_id", "wave")])
            if len(miss):
                rows = pd.MultiIndex.from_frame(frame[["respondent_id", "wave"]])
                pos = rows.get_indexer(pd.MultiIndex.from_frame(miss[["respondent_id", "wave"]]))
                values = miss["code"].to_numpy()
                for var, idx in miss.groupby("variable").indices.items():
                    col = frame[var].to_numpy(dtype="float64", na_value=np.nan, copy=True)
                    col[pos[idx]] = values[idx]
                    frame[var] = col
        return frame

    def customers(self, client: str, *, years: Iterable[int] | None = None,
                  columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The client's CRM rows (one per customer × year), sorted by customer and year.

        Parameters
        ----------
        client : str
        years : iterable of int, optional
            Only these years.
        columns : sequence of str, optional
            Only these columns (``client, customer_id, year`` always come first).

        Returns
        -------
        pandas.DataFrame
            ``client, customer_id, year`` then the CRM columns loaded (``active``, ``churned``,
            ``revenue``, ``service_contacts``, ``transfers`` … as in CONTRACT §2).

        Raises
        ------
        CXValueError
            As :meth:`responses`.
        """
        return self._read("customers", client, period="year", periods=years, columns=columns,
                          key=("customer_id", "year"), order=("customer_id", "year"))

    def employees(self, client: str, *, waves: Iterable[int] | None = None,
                  columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The client's employee survey rows, sorted by wave and unit.

        Parameters
        ----------
        client : str
        waves : iterable of int, optional
            Only these waves.
        columns : sequence of str, optional
            Only these columns (``client, unit, wave`` always come first).

        Returns
        -------
        pandas.DataFrame
            ``client, wave``, then ``employee_id``, ``unit`` and the items ``q01`` … (floats, NaN
            where not answered) as loaded.

        Raises
        ------
        CXValueError
            As :meth:`responses`.
        """
        return self._read("employees", client, period="wave", periods=waves, columns=columns,
                          key=("unit", "wave"), order=("wave", "unit"))

    def comments(self, client: str, *, waves: Iterable[int] | None = None) -> pd.DataFrame:
        """The client's verbatim comments, sorted by wave, respondent and variable.

        Parameters
        ----------
        client : str
        waves : iterable of int, optional
            Only these waves.

        Returns
        -------
        pandas.DataFrame
            ``client, respondent_id, wave, variable, text, lang``: one row per non-empty answer to
            a text variable; ``text`` exactly as in the file (data, never markup); ``lang`` ``zh``
            or ``en``.
        """
        return self._read("comments", client, period="wave", periods=waves,
                          columns=["variable", "text", "lang"], key=("respondent_id", "wave"),
                          order=("wave", "respondent_id", "variable"))

    def missing_codes(self, client: str, *, waves: Iterable[int] | None = None,
                      variables: Sequence[str] | None = None) -> pd.DataFrame:
        """The original code of every missing answer of the client.

        Parameters
        ----------
        client : str
        waves : iterable of int, optional
            Only these waves.
        variables : sequence of str, optional
            Only these variables.

        Returns
        -------
        pandas.DataFrame
            ``client, respondent_id, wave, variable, code, meaning`` (``code`` a float such as -99.0
            or 98.0; ``meaning`` such as ``dont_know``, ``refused``, ``system``), sorted by wave,
            respondent and variable.
        """
        return self._read("missing_codes", client, period="wave", periods=waves,
                          columns=["variable", "code", "meaning"], key=("respondent_id", "wave"),
                          order=("wave", "respondent_id", "variable"), variables=variables)

    def sql(self, client: str, query: str, *, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one SELECT in DuckDB over the client's rows only (aggregate millions of rows in place).

        In the query, ``responses``, ``customers``, ``employees``, ``comments``, ``missing_codes`` and
        ``imports`` name the client's rows of those tables (common table expressions filtered on
        the client, as a parameter).

        Parameters
        ----------
        client : str
            The client whose rows the query sees.
        query : str
            One ``SELECT`` (or ``WITH … SELECT``/``FROM …``) statement, without ``;`` between
            statements and without naming ``main.`` tables.
        params : mapping, optional
            Named parameters of the query (``$name`` in the SQL); never format values into the text.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        CXValueError
            Not a single SELECT, a ``main.`` table, ``WITH RECURSIVE``, or a parameter named
            ``cx_client`` (reserved).
        CXError
            DuckDB could not run the query (its message is given).

        Examples
        --------
        >>> store.sql("acme", "SELECT wave, avg(overall_sat) AS mean FROM responses "
        ...           "WHERE branch = $b GROUP BY wave ORDER BY wave", params={"b": 3})  # doctest: +SKIP
        """
        import duckdb

        client = _check_client(client)
        if not isinstance(query, str) or not query.strip():
            raise CXValueError(f"query must be a SELECT statement; got {query!r}")
        q = query.strip().rstrip(";").strip()
        words = q.split(None, 2)
        head = words[0].upper()
        if head not in ("SELECT", "WITH", "FROM"):
            raise CXValueError(f"query must be one SELECT (or WITH … SELECT) statement; got {words[0]!r}")
        if ";" in q:
            raise CXValueError("query must be one statement; it holds ';' (remove it, or pass the "
                               "value as a parameter)")
        if re.search(r"\bmain\s*\.", q, flags=re.IGNORECASE):
            raise CXValueError("query must not name main.<table>: the plain table names are the "
                               "client's rows")
        params = dict(params or {})
        if "cx_client" in params:
            raise CXValueError("params must not hold 'cx_client' (reserved for the client filter)")
        scoped = ", ".join(f"{t} AS (SELECT * FROM main.{t} WHERE client = $cx_client)"
                           for t in (*TABLES, "missing_codes", "imports"))
        if head == "WITH":
            if len(words) > 1 and words[1].upper() == "RECURSIVE":
                raise CXValueError("query must not use WITH RECURSIVE")
            text = f"WITH {scoped}, {q[4:].lstrip()}"
        else:
            text = f"WITH {scoped} {q}"
        try:
            return self.con.execute(text, {**params, "cx_client": client}).df()
        except duckdb.Error as exc:
            raise CXError(f"query failed: {exc}") from None

    def imports(self, client: str) -> pd.DataFrame:
        """The client's provenance rows, one per file loaded, oldest first (all ``imports`` columns)."""
        client = _check_client(client)
        return self.con.execute(
            "SELECT * FROM imports WHERE client = ? ORDER BY import_id", [client]).df()

    def counts(self, client: str) -> dict[str, int]:
        """Rows the client has in each table (``responses``, ``customers``, ``employees``,
        ``comments``, ``missing_codes``, ``imports``)."""
        client = _check_client(client)
        out = {}
        for table in (*TABLES, "missing_codes", "imports"):
            out[table] = int(_one(self.con.execute(
                f"SELECT count(*) FROM {table} WHERE client = ?", [client]))[0])
        return out

    def codebook(self, client: str):
        """The codebook of the client's latest import, as a :class:`cxresearch.codebook.Codebook`.

        Raises
        ------
        CXError
            The client has no import.
        """
        from cxresearch import codebook as cbmod

        client = _check_client(client)
        row = _one(self.con.execute(
            "SELECT c.yaml FROM imports i JOIN codebooks c ON c.client = i.client "
            "AND c.sha256 = i.codebook_sha256 WHERE i.client = ? ORDER BY i.import_id DESC LIMIT 1",
            [client]))
        if row is None:
            raise CXError(f"client {client!r} has no import in store {str(self.path)!r}; "
                          f"clients: {self.clients()}")
        import yaml

        return cbmod.load(yaml.safe_load(row[0]))

    def missing_summary(self, client: str, *, waves: Iterable[int] | None = None,
                        by: str | None = None) -> pd.DataFrame:
        """Per item, the count and share of each missing code — a data-quality finding.

        Parameters
        ----------
        client : str
        waves : iterable of int, optional
            Only these waves.
        by : str, optional
            Break the counts down by a column of ``responses`` (``'wave'``, a segment such as
            ``'branch'`` …).

        Returns
        -------
        pandas.DataFrame
            ``[by,] variable, code, meaning, n, base, share``: ``n`` answers carrying the code,
            ``base`` the respondents asked the item (rows from files that held the variable: valid
            answers, coded answers and blanks), ``share = n / base``. Sorted by ``by``, variable
            and code.

        Raises
        ------
        CXValueError
            ``by`` is not a column of ``responses``; a bad client or wave.

        Notes
        -----
        The base counts unweighted respondents; a share of 0.12 for ``dont_know`` on
        ``price_value`` reads "12% don't know on price fairness".
        """
        client = _check_client(client)
        if by is not None:
            allowed = [c for c in self.columns("responses") if c not in ("client", "import_id")]
            if by not in allowed:
                raise CXValueError(f"by must be None or a column of responses ({', '.join(allowed)}); "
                                   f"got {by!r}")
        params: list[Any] = [client]
        wave_sql = ""
        if waves is not None:
            wave_sql = " AND list_contains(?, r.wave)"
            params.append(_int_list("waves", waves))
        group = f"r.{_q(by)} AS {_q(by)}, " if by is not None else ""
        # base: respondents whose row came from a file that supplied the variable
        base = self.con.execute(
            f"SELECT {group}v.variable, count(*) AS base FROM responses r "
            "JOIN (SELECT import_id, unnest(variables) AS variable FROM imports "
            "      WHERE client = ? AND table_name = 'responses') v ON v.import_id = r.import_id "
            f"WHERE r.client = ?{wave_sql} GROUP BY ALL",
            [client, *params]).df()
        counts = self.con.execute(
            f"SELECT {group}m.variable, m.code, any_value(m.meaning) AS meaning, count(*) AS n "
            "FROM missing_codes m JOIN responses r ON r.client = m.client "
            "AND r.respondent_id = m.respondent_id AND r.wave = m.wave "
            f"WHERE m.client = ?{wave_sql} GROUP BY ALL", params).df()
        keys = [by, "variable"] if by is not None else ["variable"]
        out = counts.merge(base, on=keys, how="left")
        out["n"] = out["n"].astype("int64")
        out["base"] = out["base"].fillna(0).astype("int64")
        out["share"] = out["n"] / out["base"].where(out["base"] > 0)
        cols = [*keys, "code", "meaning", "n", "base", "share"]
        return out[cols].sort_values([*keys, "code"]).reset_index(drop=True)

    def _read(self, table, client, *, period, periods, columns, key, order,
              variables=None) -> pd.DataFrame:
        client = _check_client(client)
        available = self.columns(table)
        key = [c for c in key if c in available]
        if columns is None:
            chosen = [c for c in available if c != "import_id"]
        else:
            wanted = _str_list("columns", columns)
            unknown = [c for c in wanted if c not in available]
            if unknown:
                raise CXValueError(
                    f"columns {unknown} are not in the store's {table} table; available: "
                    f"{[c for c in available if c != 'import_id']}")
            chosen = ["client", *key]
            chosen += [c for c in wanted if c not in chosen]
        sql = f"SELECT {', '.join(_q(c) for c in chosen)} FROM {table} WHERE client = ?"
        params: list[Any] = [client]
        if periods is not None:
            sql += f" AND list_contains(?, {period})"
            params.append(_int_list("waves" if period == "wave" else "years", periods))
        if variables is not None:
            sql += " AND list_contains(?, variable)"
            params.append(_str_list("variables", variables))
        order = [c for c in order if c in available]  # e.g. no 'unit' before any employee file
        sql += " ORDER BY " + ", ".join(_q(c) for c in order)
        return self.con.execute(sql, params).df()

    # -- importing -----------------------------------------------------------------------------------

    def import_files(self, paths: Sequence[str | Path] | str | Path, *, client: str, codebook,
                     table: str = "auto", employee_scale: tuple[float, float] = (1, 5),
                     skip_imported: bool = False, dry_run: bool = False) -> ImportReport:
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
        for name, flag in (("dry_run", dry_run), ("skip_imported", skip_imported)):
            if not isinstance(flag, bool):
                raise CXValueError(f"{name} must be True or False; got {flag!r}")
        if self.read_only and not dry_run:
            raise CXError(f"store {str(self.path)!r} is open read-only; open it with read_only=False to import")
        client = _check_new_client(client)
        _check_choice("table", table, ("auto", *TABLES))
        scale = _check_scale(employee_scale)
        if isinstance(paths, str | Path):
            paths = [paths]
        paths = [Path(p) for p in paths]
        if not paths:
            raise CXValueError("paths is empty; give at least one data file to import")

        cb, cb_yaml, cb_sha = resolve_codebook(codebook)
        batch = read_batch(paths, codebook=cb, table=table, employee_scale=scale,
                           imported=lambda digest: self._imported(client, digest),
                           skip_imported=skip_imported, client=client)
        problems = list(batch.problems)
        problems += self._check_against_store(client, batch)
        if problems:
            n_files = len({p.file for p in problems})
            raise DataValidationError(
                problems,
                header=(f"import refused, nothing was loaded: {len(problems)} problem"
                        f"{'s' if len(problems) != 1 else ''} in {n_files} file"
                        f"{'s' if n_files != 1 else ''}"))
        return self._write(client, batch, cb, cb_yaml, cb_sha, started, table, dry_run=dry_run)

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
        if self.read_only:
            raise CXError(f"store {str(self.path)!r} is open read-only; open it with read_only=False to remove an import")
        client = _check_client(client)
        if isinstance(import_id, bool) or not isinstance(import_id, int | np.integer):
            raise CXValueError(f"import_id must be an integer; got {import_id!r}")
        con = self.con
        if _one(con.execute("SELECT 1 FROM imports WHERE client = ? AND import_id = ?",
                            [client, int(import_id)])) is None:
            known = [r[0] for r in con.execute(
                "SELECT import_id FROM imports WHERE client = ? ORDER BY import_id", [client]).fetchall()]
            raise CXValueError(f"client {client!r} has no import {import_id!r}; its imports are {known}")
        deleted = {}
        con.execute("BEGIN TRANSACTION")
        try:
            for table in (*TABLES, "missing_codes", "imports"):
                deleted[table] = int(_one(con.execute(
                    f"SELECT count(*) FROM {table} WHERE client = ? AND import_id = ?",
                    [client, int(import_id)]))[0])
                con.execute(f"DELETE FROM {table} WHERE client = ? AND import_id = ?",
                            [client, int(import_id)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return deleted

    def _check_against_store(self, client: str, batch) -> list[Problem]:
        """Problems between the files and what the store already holds (duplicate keys, column
        types); files imported before were left out by :func:`read_batch`."""
        problems: list[Problem] = []
        for table, key in (("responses", ("respondent_id", "wave")),
                           ("customers", ("customer_id", "year")),
                           ("employees", ("employee_id", "wave")),
                           ("comments", ("respondent_id", "wave", "variable"))):
            if not set(key) <= set(self.columns(table)):
                continue
            for item in batch.items:
                if item.table != table or not set(key) <= set(item.frame.columns):
                    continue
                problems += self._stored_keys(client, table, key, item)
        problems += self._check_types(batch)
        return problems

    def _imported(self, client: str, digest: str):
        """(file, imported_at, import_id) of the client's earlier load of this content, or None."""
        return _one(self.con.execute(
            "SELECT file, imported_at, import_id FROM imports WHERE client = ? AND sha256 = ? "
            "ORDER BY import_id LIMIT 1", [client, digest]))

    def _stored_keys(self, client: str, table: str, key: tuple[str, ...], item) -> list[Problem]:
        """Rows of one file whose key the store already holds for this client."""
        con = self.con
        keys = item.frame[list(key)].assign(_row=item.frame.index).dropna(subset=list(key))
        on = " AND ".join(f"t.{_q(k)} = k.{_q(k)}" for k in key)
        con.register("_cx_keys", keys)
        try:
            total = _one(con.execute(
                f"SELECT count(*) FROM _cx_keys k JOIN {table} t ON t.client = ? AND {on}",
                [client]))[0]
            hits = [] if not total else con.execute(
                f"SELECT k._row, {', '.join('k.' + _q(c) for c in key)}, i.file, i.imported_at "
                f"FROM _cx_keys k JOIN {table} t ON t.client = ? AND {on} "
                f"JOIN imports i ON i.import_id = t.import_id ORDER BY k._row LIMIT ?",
                [client, MAX_PROBLEMS_PER_COLUMN]).fetchall()
        finally:
            con.unregister("_cx_keys")
        problems = []
        for row, *vals, old_file, when in hits:
            desc = ", ".join(f"{k}={v!r}" for k, v in zip(key, vals, strict=True))
            problems.append(Problem(
                item.file, item.user_row(row), "/".join(key), desc,
                f"a new ({', '.join(key)}) for client {client!r}; the store already has it "
                f"from {old_file!r} (imported {when:%Y-%m-%d %H:%M:%S} UTC)"))
        if total > len(hits):
            problems.append(Problem(
                item.file, None, "/".join(key), f"{total - len(hits)} more rows",
                f"new ({', '.join(key)}) keys; the store already holds these for client {client!r}"))
        return problems

    def _check_types(self, batch) -> list[Problem]:
        """A column's type in a file must fit the store's column (or an earlier file's in the call)."""
        problems = []
        for table in TABLES:
            known = {k: (v[0], v[1], "the store") for k, v in self._column_types(table).items()}
            for item in (i for i in batch.items if i.table == table):
                for col, sqltype in item.types.items():
                    have = known.get(col.lower())
                    if have is None or have[1] == "NULL":
                        known[col.lower()] = (col, sqltype, repr(item.file))
                    elif not _compatible(have[1], sqltype):
                        problems.append(Problem(
                            item.file, None, col, sqltype,
                            f"values that fit type {have[1]}: {have[2]} holds {have[0]!r} of the "
                            f"{table} table as {have[1]}, this file's values are {sqltype}"))
        return problems

    def _column_types(self, table: str) -> dict[str, tuple[str, str]]:
        """Lower-cased column name -> (name, type) of one table."""
        return {r[0].lower(): (r[0], r[1]) for r in self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table]).fetchall()}

    def _write(self, client, batch, cb, cb_yaml, cb_sha, started, table_opt, *,
               dry_run: bool = False) -> ImportReport:
        import duckdb

        from cxresearch import __version__

        con = self.con
        rows = dict.fromkeys((*TABLES, "missing_codes"), 0)
        added: list[tuple[str, str, str]] = []
        files: list[FileImport] = []
        now = _now()
        batch_id = hashlib.sha256(
            (client + now.isoformat() + "".join(i.sha256 for i in batch.items)).encode()).hexdigest()[:16]
        study = getattr(cb, "study", None)
        version = getattr(cb, "version", None)
        version = None if version is None else str(version)
        if dry_run or not batch.items:  # nothing to write (every file skipped, or a dry run)
            return self._dry_report(client, batch, cb_sha, study, version, started, table_opt,
                                    dry_run=dry_run)
        con.execute("BEGIN TRANSACTION")
        try:
            if _one(con.execute("SELECT 1 FROM codebooks WHERE client = ? AND sha256 = ?",
                                [client, cb_sha])) is None:
                con.execute("INSERT INTO codebooks VALUES (?, ?, ?, ?, ?, ?)",
                            [client, cb_sha, study, version, cb_yaml, now])
            next_id = int(_one(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports"))[0])
            for item in batch.items:
                import_id = next_id
                next_id += 1
                added += self._ensure_columns(item.table, item.types)
                stored = self._column_types(item.table)
                frame = item.frame[[c for c in item.frame.columns if c.lower() in stored]]
                self._insert(item.table, frame, client, import_id)
                n_missing = n_comments = 0
                if item.missing is not None and len(item.missing):
                    self._ensure_columns("missing_codes", {})
                    self._insert("missing_codes", item.missing, client, import_id)
                    n_missing = len(item.missing)
                if item.comments is not None and len(item.comments):
                    self._insert("comments", item.comments, client, import_id)
                    n_comments = len(item.comments)
                rows[item.table] += item.rows
                rows["missing_codes"] += n_missing
                if item.table != "comments":
                    rows["comments"] += n_comments
                con.execute(
                    "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [import_id, batch_id, client, item.name, str(item.path.resolve()), item.sha256,
                     item.format, item.encoding, item.table, item.rows, n_missing,
                     list(item.variables), now, study, version, cb_sha, __version__])
                files.append(FileImport(item.name, str(item.path), item.table, item.format,
                                        item.encoding, item.sha256, item.rows, n_missing,
                                        n_comments, import_id))
            con.execute("COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise CXError(f"writing to store {str(self.path)!r} failed, nothing was loaded "
                              f"(rolled back): {exc}") from exc
            raise
        return ImportReport(
            client=client, files=tuple(files), rows_by_table=rows, added_columns=tuple(added),
            seconds=time.perf_counter() - started, codebook_study=study, codebook_version=version,
            codebook_sha256=cb_sha, notes=tuple(n for i in batch.items for n in i.notes),
            skipped=tuple(batch.skipped),
            settings={"table": table_opt, "store": str(self.path), "dry_run": False})

    def _dry_report(self, client, batch, cb_sha, study, version, started, table_opt, *,
                    dry_run: bool = True) -> ImportReport:
        rows = dict.fromkeys((*TABLES, "missing_codes"), 0)
        added: list[tuple[str, str, str]] = []
        files = []
        known = {t: set(self._column_types(t)) for t in TABLES}
        for item in batch.items:
            for col, sqltype in item.types.items():
                if col.lower() not in known[item.table] and sqltype != "NULL":
                    known[item.table].add(col.lower())
                    added.append((item.table, col, sqltype))
            n_missing = 0 if item.missing is None else len(item.missing)
            n_comments = 0 if item.comments is None else len(item.comments)
            rows[item.table] += item.rows
            rows["missing_codes"] += n_missing
            if item.table != "comments":
                rows["comments"] += n_comments
            files.append(FileImport(item.name, str(item.path), item.table, item.format,
                                    item.encoding, item.sha256, item.rows, n_missing, n_comments, 0))
        return ImportReport(
            client=client, files=tuple(files), rows_by_table=rows, added_columns=tuple(added),
            seconds=time.perf_counter() - started, codebook_study=study, codebook_version=version,
            codebook_sha256=cb_sha, notes=tuple(n for i in batch.items for n in i.notes),
            skipped=tuple(batch.skipped),
            settings={"table": table_opt, "store": str(self.path), "dry_run": dry_run})

    def _ensure_columns(self, table: str, types: Mapping[str, str]) -> list[tuple[str, str, str]]:
        stored = self._column_types(table)
        added = []
        for col, sqltype in types.items():
            if col.lower() not in stored and sqltype != "NULL":
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN {_q(col)} {sqltype}")
                stored[col.lower()] = (col, sqltype)
                added.append((table, col, sqltype))
        return added

    def _insert(self, table: str, frame: pd.DataFrame, client: str, import_id: int) -> None:
        import pyarrow as pa

        data = pa.Table.from_pandas(frame, preserve_index=False)
        self.con.register("_cx_in", data)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT *, ?::VARCHAR AS client, "
                             "?::BIGINT AS import_id FROM _cx_in", [client, import_id])
        finally:
            self.con.unregister("_cx_in")


# ---------------------------------------------------------------------------------------------------
# helpers


def _one(result):
    """The first row of a DuckDB result (None if empty), the result fully consumed."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + str(name).replace('"', '""') + '"'


def _compatible(stored: str, new: str) -> bool:
    if stored == new or "NULL" in (stored, new):
        return True
    numeric = {"BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "FLOAT"}
    if stored in numeric and new in numeric:
        # a DOUBLE value cannot go into an integer column without loss; ints into DOUBLE can
        return not (stored != "DOUBLE" and stored != "FLOAT" and new in {"DOUBLE", "FLOAT"})
    return False


def _check_client(client) -> str:
    if not isinstance(client, str) or not client.strip():
        raise CXValueError(f"client must be a non-empty string (the client's id); got {client!r}")
    return client


_CLIENT_ID = re.compile(r"^\w[\w.\-]{0,63}$")


def _check_new_client(client) -> str:
    """A client id that data are loaded under: safe as a folder name (reports/<client>/...)."""
    client = _check_client(client)
    if not _CLIENT_ID.match(client):
        raise CXValueError(
            "client must be an id of letters, digits, '_', '-' and '.' (not first), at most 64 "
            f"characters, e.g. 'acme' or 'acme-cn'; got {client!r}")
    return client


def _check_choice(name: str, value, allowed: Sequence) -> None:
    if value not in allowed:
        raise CXValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")


def _check_scale(scale) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise CXValueError(f"employee_scale must be a (min, max) pair of numbers; got {scale!r}") from None
    if not lo <= hi:
        raise CXValueError(f"employee_scale must have min <= max; got {scale!r}")
    return lo, hi


def _int_list(name: str, values) -> list[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            if isinstance(v, float | np.floating) and float(v).is_integer():
                v = int(v)
            else:
                raise CXValueError(f"{name} must be integers (e.g. [2023, 2024]); got {v!r}")
        out.append(int(v))
    return out


def _str_list(name: str, values) -> list[str]:
    if isinstance(values, str):
        values = [values]
    out = list(values)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise CXValueError(f"{name} must be column names (strings); got {bad[0]!r}")
    return out
