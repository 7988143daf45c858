"""One consistent copy of a client's rows for a report, and waiting for a store another process
is writing.

DuckDB lets one process write a store file, or several read it, never both: a report that opened
the store for every read failed whenever an import ran meanwhile, and a late file imported between
two of its reads gave one report two different bases. A report therefore reads a *snapshot*: the
client's rows of every table, copied in one read-only transaction into a file of its own at the
start of the run. The live store is held (read-only) only for the copy — seconds — and an import
that finds it held waits for it (``Store(..., wait=...)``), as a snapshot waits for an import.
"""

from __future__ import annotations

import time
from pathlib import Path

from cxresearch.errors import CXError

#: seconds a report waits for an import holding the store before it gives up
SNAPSHOT_WAIT = 600.0


class UnknownClient(CXError):
    """The client has no import in the store; ``clients`` lists those it has."""

    def __init__(self, message: str, clients: list[str]):
        super().__init__(message)
        self.clients = clients


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error says another process holds the file's lock."""
    msg = str(exc).lower()
    return "lock" in msg and ("conflicting" in msg or "could not set" in msg)


def connect(path: Path, *, read_only: bool, wait: float):
    """``duckdb.connect`` that retries for up to ``wait`` seconds while another process holds the
    file's lock (back-off from 0.05 s to 2 s); other errors are raised at once."""
    import duckdb

    deadline = time.monotonic() + max(0.0, float(wait))
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not is_lock_conflict(exc) or time.monotonic() + pause > deadline:
                if is_lock_conflict(exc) and wait > 0:
                    raise duckdb.IOException(
                        f"{exc} (waited {wait:g} s for the other process to finish)"
                    ) from exc
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def snapshot(
    store: str | Path, client: str, dest: str | Path, *, wait: float = SNAPSHOT_WAIT
) -> Path:
    """Copy one client's rows of every table of ``store`` into a new store file ``dest``.

    The copy is made in one read-only transaction, so it is one consistent state of the store:
    an import that commits later is not in it (an import in progress holds the store; the
    snapshot waits up to ``wait`` seconds for it to finish). Only ``client``'s rows are copied
    (and the ``meta`` table), so a report reading the snapshot cannot see another client.

    Parameters
    ----------
    store : path
        The study store.
    client : str
        The client whose rows to copy.
    dest : path
        The snapshot file to create (must not exist); a :class:`~cxresearch.store.Store` opens it.
    wait : float, default 600
        Seconds to wait while another process (an import) holds the store.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    CXError
        The store cannot be opened (no such file, not a store, still held after ``wait`` s).
    UnknownClient
        The client has no import in the store (a :class:`CXError`; ``clients`` lists the others).

    Examples
    --------
    Two clients in one store; the snapshot holds one of them:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from cxresearch.store import Store, snapshot
    >>> folder = Path(tempfile.mkdtemp())
    >>> book = {"variables": [{"name": "respondent_id", "kind": "id", "role": "id"},
    ...                       {"name": "wave", "kind": "wave", "role": "wave"},
    ...                       {"name": "q", "kind": "likert", "min": 1, "max": 5}]}
    >>> pd.DataFrame({"respondent_id": ["a", "b"], "wave": 2024, "q": [4, 5]}).to_csv(
    ...     folder / "acme.csv", index=False)
    >>> pd.DataFrame({"respondent_id": ["x", "y"], "wave": 2024, "q": 3}).to_csv(
    ...     folder / "beta.csv", index=False)
    >>> with Store(folder / "study.duckdb") as st:
    ...     _ = st.import_files([folder / "acme.csv"], client="acme", codebook=book)
    ...     _ = st.import_files([folder / "beta.csv"], client="beta", codebook=book)
    >>> snap = snapshot(folder / "study.duckdb", "acme", folder / "acme.duckdb")
    >>> with Store(snap, read_only=True) as st:
    ...     print(st.clients())
    ...     print(st.sql("acme", "SELECT respondent_id, q FROM responses ORDER BY 1"))
    ['acme']
      respondent_id    q
    0             a  4.0
    1             b  5.0
    """
    import duckdb

    from cxresearch.store._schema import CLIENT_TABLES
    from cxresearch.store._sql import quote

    src, dst = Path(store), Path(dest)
    if not src.is_file():
        raise CXError(f"store {str(src)!r} does not exist")
    if dst.exists():
        raise CXError(f"snapshot {str(dst)!r} exists already")
    try:
        con = connect(dst, read_only=False, wait=0)
    except duckdb.Error as exc:
        raise CXError(f"cannot create snapshot {str(dst)!r}: {exc}") from exc
    try:
        deadline = time.monotonic() + max(0.0, float(wait))
        pause = 0.05
        while True:
            try:
                con.execute(f"ATTACH {_literal(str(src.resolve()))} AS cx_src (READ_ONLY)")
                break
            except duckdb.Error as exc:
                if not is_lock_conflict(exc) or time.monotonic() + pause > deadline:
                    raise CXError(
                        f"cannot read store {str(src)!r} for a snapshot: {exc}"
                        + (f" (waited {wait:g} s)" if is_lock_conflict(exc) else "")
                    ) from exc
                time.sleep(pause)
                pause = min(pause * 2, 2.0)
        try:
            tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'cx_src' "
                    "AND table_schema = 'main'"
                ).fetchall()
            }
            if "meta" not in tables:
                raise CXError(f"{str(src)!r} is not a cxresearch store (no 'meta' table)")
            clients = [
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT client FROM cx_src.main.imports ORDER BY client"
                ).fetchall()
            ]
            if client not in clients:
                raise UnknownClient(
                    f"client {client!r} is not in store {str(src)!r}; clients there: "
                    f"{', '.join(clients) or '(none)'}",
                    clients,
                )
            con.execute("BEGIN TRANSACTION")
            con.execute("CREATE TABLE meta AS SELECT * FROM cx_src.main.meta")
            for table in (*CLIENT_TABLES, "codebooks"):
                if table in tables:
                    con.execute(
                        f"CREATE TABLE {quote(table)} AS SELECT * FROM cx_src.main.{quote(table)} "
                        "WHERE client = ?",
                        [client],
                    )
            con.execute("COMMIT")
        finally:
            con.execute("DETACH cx_src")
    except BaseException:
        con.close()
        dst.unlink(missing_ok=True)
        raise
    con.close()
    return dst


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
