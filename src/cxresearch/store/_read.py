"""The store's readers: every one names its client and filters on it, as a query parameter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import CXError, CXValueError
from cxresearch.store._args import check_choice, check_client, check_flag, int_list, str_list
from cxresearch.store._schema import CLIENT_TABLES, column_types
from cxresearch.store._sql import count_rows, first_row, quote

#: ``DataFrame.attrs`` key of the codebook scales a responses read carries (docs/CONTRACT.md §4)
SCALES_ATTR = "cx_scales"


class StoreReader:
    """The reading half of :class:`~cxresearch.store.Store` (a mixin: it uses ``self.con`` and
    ``self.path``)."""

    def clients(self) -> list[str]:
        """Clients with at least one import, sorted."""
        return [
            r[0]
            for r in self.con.execute(
                "SELECT DISTINCT client FROM imports ORDER BY client"
            ).fetchall()
        ]

    def columns(self, table: str = "responses") -> list[str]:
        """Column names of one table, in order (``client`` and ``import_id`` included)."""
        check_choice("table", table, CLIENT_TABLES)
        return [name for name, _ in column_types(self.con, table).values()]

    def responses(
        self,
        client: str,
        *,
        waves: Iterable[int] | None = None,
        columns: Sequence[str] | None = None,
        codes: bool = False,
    ) -> pd.DataFrame:
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
            respondent. ``attrs["cx_scales"]`` holds ``{column: (min, max)}`` of every returned
            column the client's codebook gives a scale (NPS items 0-10), so the statistics can
            check each item's scale (``cx.survey.nps`` refuses a 1-7 item; top-box follows each
            item's own scale). pandas keeps ``attrs`` through copies, row filters, column
            selection, ``assign`` and ``groupby``; not through ``merge``.

        Raises
        ------
        CXValueError
            An empty client, a non-integer wave, or a column the store does not hold.
        """
        check_flag("codes", codes)
        frame = self._read(
            "responses",
            client,
            period="wave",
            periods=waves,
            columns=columns,
            key=("respondent_id", "wave"),
            order=("wave", "respondent_id"),
        )
        if codes and len(frame):
            miss = self.missing_codes(
                client,
                waves=waves,
                variables=[
                    c for c in frame.columns if c not in ("client", "respondent_id", "wave")
                ],
            )
            if len(miss):
                rows = pd.MultiIndex.from_frame(frame[["respondent_id", "wave"]])
                pos = rows.get_indexer(pd.MultiIndex.from_frame(miss[["respondent_id", "wave"]]))
                values = miss["code"].to_numpy()
                for var, idx in miss.groupby("variable").indices.items():
                    col = frame[var].to_numpy(dtype="float64", na_value=np.nan, copy=True)
                    col[pos[idx]] = values[idx]
                    frame[var] = col
        frame.attrs[SCALES_ATTR] = self._codebook_scales(client, frame.columns)
        return frame

    def _codebook_scales(self, client: str, columns) -> dict[str, tuple[float, float]]:
        """``{column: (min, max)}`` from the client's latest codebook ({} without an import)."""
        try:
            cb = self.codebook(client)
        except CXError:
            return {}
        cols = set(columns)
        return {
            v.name: (float(v.scale[0]), float(v.scale[1]))
            for v in cb.variables
            if v.name in cols and v.scale is not None
        }

    def customers(
        self,
        client: str,
        *,
        years: Iterable[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
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
        return self._read(
            "customers",
            client,
            period="year",
            periods=years,
            columns=columns,
            key=("customer_id", "year"),
            order=("customer_id", "year"),
        )

    def employees(
        self,
        client: str,
        *,
        waves: Iterable[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
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
        return self._read(
            "employees",
            client,
            period="wave",
            periods=waves,
            columns=columns,
            key=("unit", "wave"),
            order=("wave", "unit"),
        )

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
        return self._read(
            "comments",
            client,
            period="wave",
            periods=waves,
            columns=["variable", "text", "lang"],
            key=("respondent_id", "wave"),
            order=("wave", "respondent_id", "variable"),
        )

    def missing_codes(
        self,
        client: str,
        *,
        waves: Iterable[int] | None = None,
        variables: Sequence[str] | None = None,
    ) -> pd.DataFrame:
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
        return self._read(
            "missing_codes",
            client,
            period="wave",
            periods=waves,
            columns=["variable", "code", "meaning"],
            key=("respondent_id", "wave"),
            order=("wave", "respondent_id", "variable"),
            variables=variables,
        )

    def sql(
        self, client: str, query: str, *, params: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
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
        >>> import tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> from cxresearch.store import Store
        >>> folder = Path(tempfile.mkdtemp())
        >>> book = {"variables": [{"name": "respondent_id", "kind": "id", "role": "id"},
        ...                       {"name": "wave", "kind": "wave", "role": "wave"},
        ...                       {"name": "branch", "kind": "category",
        ...                        "values": {1: {"en": "North"}, 2: {"en": "South"}}},
        ...                       {"name": "overall_sat", "kind": "likert", "min": 1, "max": 5}]}
        >>> pd.DataFrame({"respondent_id": list("abcd"), "wave": [2024, 2024, 2025, 2025],
        ...               "branch": [1, 2, 1, 1], "overall_sat": [3, 5, 4, 5]}).to_csv(
        ...     folder / "survey.csv", index=False)
        >>> with Store(folder / "study.duckdb") as store:
        ...     _ = store.import_files([folder / "survey.csv"], client="acme", codebook=book)
        ...     print(store.sql("acme", "SELECT wave, avg(overall_sat) AS mean FROM responses "
        ...                     "WHERE branch = $b GROUP BY wave ORDER BY wave", params={"b": 1}))
           wave  mean
        0  2024   3.0
        1  2025   4.5
        """
        import duckdb

        client = check_client(client)
        if not isinstance(query, str) or not query.strip():
            raise CXValueError(f"query must be a SELECT statement; got {query!r}")
        q = query.strip().rstrip(";").strip()
        words = q.split(None, 2)
        head = words[0].upper()
        if head not in ("SELECT", "WITH", "FROM"):
            raise CXValueError(
                f"query must be one SELECT (or WITH … SELECT) statement; got {words[0]!r}"
            )
        if ";" in q:
            raise CXValueError(
                "query must be one statement; it holds ';' (remove it, or pass the "
                "value as a parameter)"
            )
        if re.search(r"\bmain\s*\.", q, flags=re.IGNORECASE):
            raise CXValueError(
                "query must not name main.<table>: the plain table names are the client's rows"
            )
        params = dict(params or {})
        if "cx_client" in params:
            raise CXValueError("params must not hold 'cx_client' (reserved for the client filter)")
        scoped = ", ".join(
            f"{t} AS (SELECT * FROM main.{t} WHERE client = $cx_client)" for t in CLIENT_TABLES
        )
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
        client = check_client(client)
        return self.con.execute(
            "SELECT * FROM imports WHERE client = ? ORDER BY import_id", [client]
        ).df()

    def counts(self, client: str) -> dict[str, int]:
        """Rows the client has in each table (``responses``, ``customers``, ``employees``,
        ``comments``, ``missing_codes``, ``imports``)."""
        client = check_client(client)
        return {table: count_rows(self.con, table, client) for table in CLIENT_TABLES}

    def codebook(self, client: str):
        """The codebook of the client's latest import, as a :class:`cxresearch.codebook.Codebook`.

        Raises
        ------
        CXError
            The client has no import.
        """
        from cxresearch import codebook as cbmod

        client = check_client(client)
        row = first_row(
            self.con.execute(
                "SELECT c.yaml FROM imports i JOIN codebooks c ON c.client = i.client "
                "AND c.sha256 = i.codebook_sha256 WHERE i.client = ? ORDER BY i.import_id DESC LIMIT 1",
                [client],
            )
        )
        if row is None:
            raise CXError(
                f"client {client!r} has no import in store {str(self.path)!r}; "
                f"clients: {self.clients()}"
            )
        import yaml

        return cbmod.load(yaml.safe_load(row[0]))

    def missing_summary(
        self, client: str, *, waves: Iterable[int] | None = None, by: str | None = None
    ) -> pd.DataFrame:
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
        client = check_client(client)
        if by is not None:
            allowed = [c for c in self.columns("responses") if c not in ("client", "import_id")]
            if by not in allowed:
                raise CXValueError(
                    f"by must be None or a column of responses ({', '.join(allowed)}); got {by!r}"
                )
        params: list[Any] = [client]
        wave_sql = ""
        if waves is not None:
            wave_sql = " AND list_contains(?, r.wave)"
            params.append(int_list("waves", waves))
        group = f"r.{quote(by)} AS {quote(by)}, " if by is not None else ""
        # base: respondents whose row came from a file that supplied the variable
        base = self.con.execute(
            f"SELECT {group}v.variable, count(*) AS base FROM responses r "
            "JOIN (SELECT import_id, unnest(variables) AS variable FROM imports "
            "      WHERE client = ? AND table_name = 'responses') v ON v.import_id = r.import_id "
            f"WHERE r.client = ?{wave_sql} GROUP BY ALL",
            [client, *params],
        ).df()
        counts = self.con.execute(
            f"SELECT {group}m.variable, m.code, any_value(m.meaning) AS meaning, count(*) AS n "
            "FROM missing_codes m JOIN responses r ON r.client = m.client "
            "AND r.respondent_id = m.respondent_id AND r.wave = m.wave "
            f"WHERE m.client = ?{wave_sql} GROUP BY ALL",
            params,
        ).df()
        keys = [by, "variable"] if by is not None else ["variable"]
        out = counts.merge(base, on=keys, how="left")
        out["n"] = out["n"].astype("int64")
        out["base"] = out["base"].fillna(0).astype("int64")
        out["share"] = out["n"] / out["base"].where(out["base"] > 0)
        cols = [*keys, "code", "meaning", "n", "base", "share"]
        return out[cols].sort_values([*keys, "code"]).reset_index(drop=True)

    def _read(
        self, table, client, *, period, periods, columns, key, order, variables=None
    ) -> pd.DataFrame:
        client = check_client(client)
        available = self.columns(table)
        key = [c for c in key if c in available]
        if columns is None:
            chosen = [c for c in available if c != "import_id"]
        else:
            wanted = str_list("columns", columns)
            unknown = [c for c in wanted if c not in available]
            if unknown:
                raise CXValueError(
                    f"columns {unknown} are not in the store's {table} table; available: "
                    f"{[c for c in available if c != 'import_id']}"
                )
            chosen = ["client", *key]
            chosen += [c for c in wanted if c not in chosen]
        sql = f"SELECT {', '.join(quote(c) for c in chosen)} FROM {table} WHERE client = ?"
        params: list[Any] = [client]
        if periods is not None:
            sql += f" AND list_contains(?, {period})"
            params.append(int_list("waves" if period == "wave" else "years", periods))
        if variables is not None:
            sql += " AND list_contains(?, variable)"
            params.append(str_list("variables", variables))
        order = [c for c in order if c in available]  # e.g. no 'unit' before any employee file
        sql += " ORDER BY " + ", ".join(quote(c) for c in order)
        return self.con.execute(sql, params).df()
