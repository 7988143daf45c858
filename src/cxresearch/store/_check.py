"""Checks of an import's files against what the store already holds for the client: keys loaded
before, column types that would not fit, content imported before."""

from __future__ import annotations

from cxresearch.errors import Problem
from cxresearch.store._files import MAX_PROBLEMS_PER_COLUMN
from cxresearch.store._schema import TABLES, column_types, compatible
from cxresearch.store._sql import first_row, quote


def store_problems(con, client: str, batch) -> list[Problem]:
    """Problems between the files and what the store already holds (duplicate keys, column
    types); files imported before were left out by :func:`read_batch`."""
    problems: list[Problem] = []
    for table, key in (
        ("responses", ("respondent_id", "wave")),
        ("customers", ("customer_id", "year")),
        ("employees", ("employee_id", "wave")),
        ("comments", ("respondent_id", "wave", "variable")),
    ):
        if not set(key) <= {name for name, _ in column_types(con, table).values()}:
            continue
        for item in batch.items:
            if item.table != table or not set(key) <= set(item.columns):
                continue
            problems += _stored_keys(con, client, table, key, item)
    problems += _type_problems(con, batch)
    return problems


def imported_before(con, client: str, digest: str):
    """(file, imported_at, import_id) of the client's earlier load of this content, or None."""
    return first_row(
        con.execute(
            "SELECT file, imported_at, import_id FROM imports WHERE client = ? AND sha256 = ? "
            "ORDER BY import_id LIMIT 1",
            [client, digest],
        )
    )


def _stored_keys(con, client: str, table: str, key: tuple[str, ...], item) -> list[Problem]:
    """Rows of one file whose key the store already holds for this client."""
    keys = item.key_table(list(key))
    on = " AND ".join(f"t.{quote(k)} = k.{quote(k)}" for k in key)
    if isinstance(keys, str):  # rows staged on disk: a query of them
        con.execute(f"CREATE OR REPLACE TEMP VIEW _cx_keys AS {keys}")
    else:
        con.register("_cx_keys", keys)
    try:
        total = first_row(
            con.execute(
                f"SELECT count(*) FROM _cx_keys k JOIN {table} t ON t.client = ? AND {on}", [client]
            )
        )[0]
        hits = (
            []
            if not total
            else con.execute(
                f"SELECT k._row, {', '.join('k.' + quote(c) for c in key)}, i.file, i.imported_at "
                f"FROM _cx_keys k JOIN {table} t ON t.client = ? AND {on} "
                f"JOIN imports i ON i.import_id = t.import_id ORDER BY k._row LIMIT ?",
                [client, MAX_PROBLEMS_PER_COLUMN],
            ).fetchall()
        )
    finally:
        if isinstance(keys, str):
            con.execute("DROP VIEW IF EXISTS temp._cx_keys")
        else:
            con.unregister("_cx_keys")
    problems = []
    for row, *vals, old_file, when in hits:
        desc = ", ".join(f"{k}={v!r}" for k, v in zip(key, vals, strict=True))
        problems.append(
            Problem(
                item.file,
                item.user_row(row),
                "/".join(key),
                desc,
                f"a new ({', '.join(key)}) for client {client!r}; the store already has it "
                f"from {old_file!r} (imported {when:%Y-%m-%d %H:%M:%S} UTC)",
            )
        )
    if total > len(hits):
        problems.append(
            Problem(
                item.file,
                None,
                "/".join(key),
                f"{total - len(hits)} more rows",
                f"new ({', '.join(key)}) keys; the store already holds these for client {client!r}",
            )
        )
    return problems


def _type_problems(con, batch) -> list[Problem]:
    """A column's type in a file must fit the store's column (or an earlier file's in the call)."""
    problems = []
    for table in TABLES:
        known = {k: (v[0], v[1], "the store") for k, v in column_types(con, table).items()}
        for item in (i for i in batch.items if i.table == table):
            for col, sqltype in item.types.items():
                have = known.get(col.lower())
                if have is None or have[1] == "NULL":
                    known[col.lower()] = (col, sqltype, repr(item.file))
                elif not compatible(have[1], sqltype):
                    problems.append(
                        Problem(
                            item.file,
                            None,
                            col,
                            sqltype,
                            f"values that fit type {have[1]}: {have[2]} holds {have[0]!r} of the "
                            f"{table} table as {have[1]}, this file's values are {sqltype}",
                        )
                    )
    return problems
