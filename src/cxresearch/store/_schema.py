"""The store's tables: their DDL, the schema version, and columns added as new variables arrive."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cxresearch.errors import CXError
from cxresearch.store._sql import first_row, quote, transaction, utcnow

SCHEMA_VERSION = "1"

#: Data tables a file can be imported into (``table=`` of :meth:`Store.import_files`).
TABLES = ("responses", "customers", "employees", "comments")

#: Every table holding a client's rows (each has ``client`` and ``import_id`` columns).
CLIENT_TABLES = (*TABLES, "missing_codes", "imports")

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id BIGINT NOT NULL, batch_id VARCHAR NOT NULL, client VARCHAR NOT NULL,
        file VARCHAR NOT NULL, path VARCHAR, sha256 VARCHAR NOT NULL, format VARCHAR,
        encoding VARCHAR, table_name VARCHAR NOT NULL, rows BIGINT NOT NULL, missing BIGINT NOT NULL,
        variables VARCHAR[], imported_at TIMESTAMP NOT NULL, codebook_study VARCHAR,
        codebook_version VARCHAR, codebook_sha256 VARCHAR, cxresearch_version VARCHAR,
        wave_given BIGINT, ids_generated VARCHAR)""",
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


#: provenance columns added after schema version 1: the wave given for a file without a wave
#: column (``--wave``), the pattern of respondent ids generated for a file without any
_UPGRADES = [
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS wave_given BIGINT",
    "ALTER TABLE imports ADD COLUMN IF NOT EXISTS ids_generated VARCHAR",
]


def init_schema(con, path: Path, *, read_only: bool) -> None:
    """Create the tables of a new store (unless ``read_only``) and check the schema version.

    Raises
    ------
    CXError
        ``path`` is a DuckDB file but not a cxresearch store, or one of another schema version.
    """
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if "meta" not in existing and (read_only or existing):
        raise CXError(
            f"{str(path)!r} is not a cxresearch store (a DuckDB file without its "
            f"'meta' table{'' if not existing else '; tables: ' + ', '.join(sorted(existing))}); "
            "give a new file name or an existing store"
        )
    if not read_only:
        with transaction(con):
            for ddl in _DDL:
                con.execute(ddl)
            for ddl in _UPGRADES:  # columns added since schema version 1 (older stores gain them)
                con.execute(ddl)
            if "meta" not in existing:
                con.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?), ('created_at', ?)",
                    [SCHEMA_VERSION, utcnow().isoformat()],
                )
    row = first_row(con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
    if row is None or row[0] != SCHEMA_VERSION:
        got = None if row is None else row[0]
        raise CXError(
            f"store {str(path)!r} has schema version {got!r}; this cxresearch "
            f"reads version {SCHEMA_VERSION!r}"
        )


def column_types(con, table: str) -> dict[str, tuple[str, str]]:
    """Lower-cased column name -> (name, type) of one table, in the table's order."""
    return {
        r[0].lower(): (r[0], r[1])
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    }


def new_columns(
    table: str, types: Mapping[str, str], known: set[str]
) -> list[tuple[str, str, str]]:
    """``(table, column, sql_type)`` of the columns of ``types`` not in ``known`` (lower-cased names,
    updated in place); columns of type ``NULL`` (all blank) are never added."""
    added = []
    for col, sqltype in types.items():
        if col.lower() not in known and sqltype != "NULL":
            known.add(col.lower())
            added.append((table, col, sqltype))
    return added


def add_columns(con, table: str, types: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``ALTER TABLE … ADD COLUMN`` for the columns of ``types`` the table lacks; what was added."""
    added = new_columns(table, types, set(column_types(con, table)))
    for _, col, sqltype in added:
        con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(col)} {sqltype}")
    return added


def compatible(stored: str, new: str) -> bool:
    """Whether values of SQL type ``new`` fit a column of type ``stored`` without loss."""
    if stored == new or "NULL" in (stored, new):
        return True
    numeric = {"BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "FLOAT"}
    if stored in numeric and new in numeric:
        # a DOUBLE value cannot go into an integer column without loss; ints into DOUBLE can
        return not (stored != "DOUBLE" and stored != "FLOAT" and new in {"DOUBLE", "FLOAT"})
    return False
