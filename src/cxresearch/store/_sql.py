"""Small DuckDB helpers of the store: first row, identifier quoting, the clock, one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from cxresearch.errors import CXError


def first_row(result):
    """The first row of a DuckDB result (None if empty), the result fully consumed."""
    rows = result.fetchall()
    return rows[0] if rows else None


def utcnow() -> datetime:
    """The time now, UTC, without a time zone (as the store's ``TIMESTAMP`` columns hold it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def quote(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + str(name).replace('"', '""') + '"'


def count_rows(con, table: str, client: str, import_id: int | None = None) -> int:
    """Rows the client has in ``table`` (only those of one import when ``import_id`` is given)."""
    if import_id is None:
        return int(
            first_row(con.execute(f"SELECT count(*) FROM {table} WHERE client = ?", [client]))[0]
        )
    return int(
        first_row(
            con.execute(
                f"SELECT count(*) FROM {table} WHERE client = ? AND import_id = ?",
                [client, import_id],
            )
        )[0]
    )


@contextmanager
def transaction(con, *, failed: str | None = None) -> Iterator[None]:
    """``BEGIN … COMMIT`` on ``con``; any exception rolls back and is raised again.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    failed : str, optional
        When given, a DuckDB error is raised as :class:`CXError` ``"{failed}: {error}"``.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if failed is not None:
            import duckdb

            if isinstance(exc, duckdb.Error):
                raise CXError(f"{failed}: {exc}") from exc
        raise
