"""A survey CSV read in blocks of rows and staged on disk, so that an import's memory does not grow
with the file (issue 15: a 1e7-row file must import on a 24 GB machine).

The whole-file path (:func:`cxresearch.io.read`, then ``_prepare_responses``) holds the file's
bytes, its text and every cell as Python objects at once. Here the file is decoded and checked
block by block (:mod:`cxresearch.io._stream`), parsed ``CHUNK_ROWS`` rows at a time, each block
checked by the same code as a whole file (``build_frame(whole_file=False)`` and
``_prepare_responses``), and its rows, missing codes and comments appended to Parquet files in a
temporary folder (pyarrow, uncompressed; DuckDB reads them back in the import's one transaction,
with one thread and a bounded buffer). What needs the whole file is kept small and checked at the
end: a 64-bit hash of every key (respondent, wave) and (customer, wave) — 8 bytes a row; equal
keys hash equal, so no two equal hashes means no duplicate, and two equal hashes send the file to
the whole-file reader, which names the rows (or finds no duplicate) — each wave's weight total,
and whether an id column is numbers in disguise (``normalise_ids`` decides on the whole column;
the ids are normalised in SQL as they are written, and in the keys checked against the store).

Only a file that loads is streamed. At the first sign of a problem — a block that fails a check,
a duplicate key, a wave whose weights add up to 0, a file the streaming reader does not take
(see :mod:`cxresearch.io._stream`) — the staging is dropped and :func:`stream_survey` returns
None: the caller reads the file whole, and its refusal names every problem exactly as before.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch.errors import DataValidationError

_ARROW_OF_SQL = {"VARCHAR": "string", "BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}
_WHOLE_WITH_ZEROS = r"^[+-]?(?:0|[1-9]\d*)(?:\.0*)?$"
#: the SQL form of ``normalise_ids``' rewrite of a whole number written with a fraction of zeros
_NORMALISED_ID = (
    "CASE WHEN regexp_replace(regexp_replace({c}, '\\.0*$', ''), '^\\+', '') = '-0' "
    "THEN '0' ELSE regexp_replace(regexp_replace({c}, '\\.0*$', ''), '^\\+', '') END"
)


def _arrow_type(name: str):
    import pyarrow as pa

    return getattr(pa, name)()


@dataclass
class _IdForm:
    """What ``normalise_ids`` would decide for one id column, seen block by block."""

    first: bool | None = None  # whether the column's first id is a whole number (None: no id yet)
    all_whole: bool = True
    dot: bool = False

    def see(self, ids: pd.Series) -> None:
        if self.first is False:
            return
        vals = ids[ids.notna()].astype(str)
        if not len(vals):
            return
        if self.first is None:
            self.first = re.fullmatch(_WHOLE_WITH_ZEROS, str(vals.iloc[0])) is not None
            if not self.first:
                return
        self.dot = self.dot or "." in "".join(vals.tolist())
        if self.all_whole:
            self.all_whole = bool(vals.str.fullmatch(_WHOLE_WITH_ZEROS).all())

    @property
    def rewrite(self) -> bool:
        return bool(self.first and self.dot and self.all_whole)


@dataclass
class Staged:
    """A survey file's rows, missing codes and comments staged as Parquet files."""

    folder: Path
    rows: int = 0
    n_missing: int = 0
    n_comments: int = 0
    columns: tuple[str, ...] = ()
    sql_types: dict[str, str] = field(default_factory=dict)
    normalised: tuple[str, ...] = ()  # id columns written as whole numbers (``1.0`` -> ``1``)

    @property
    def responses(self) -> Path:
        return self.folder / "responses.parquet"

    @property
    def missing(self) -> Path:
        return self.folder / "missing.parquet"

    @property
    def comments(self) -> Path:
        return self.folder / "comments.parquet"

    def select(self, stored: set[str], column: str = "respondent_id") -> str:
        """The SELECT list writing the staged responses into a table with columns ``stored``."""
        out = []
        for c in self.columns:
            if c.lower() not in stored or self.sql_types.get(c) == "NULL":
                continue
            q = '"' + c.replace('"', '""') + '"'
            out.append(f"{_NORMALISED_ID.format(c=q)} AS {q}" if c in self.normalised else q)
        return ", ".join(out)

    def key_sql(self, key: list[str]) -> str:
        """A query of the staged rows' key columns (as they will be stored) and ``_row``, their
        position."""
        cols = []
        for c in key:
            q = '"' + c.replace('"', '""') + '"'
            cols.append(f"{_NORMALISED_ID.format(c=q)} AS {q}" if c in self.normalised else q)
        path = str(self.responses).replace("'", "''")
        return (
            f"SELECT {', '.join(cols)}, file_row_number AS _row "
            f"FROM read_parquet('{path}', file_row_number = true)"
        )

    def key_frame(self, key: list[str]) -> pd.DataFrame:
        """The staged rows' key columns as they will be stored, indexed by position."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        table = pq.read_table(self.responses, columns=list(key))
        for c in key:
            if c in self.normalised:
                table = table.set_column(
                    table.schema.get_field_index(c), c, _normalise(table[c], pc)
                )
        return table.to_pandas()

    def star(self) -> str:
        """``*`` of the staged missing codes and comments, ids normalised like the responses."""
        if "respondent_id" not in self.normalised:
            return "*"
        return f"* REPLACE ({_NORMALISED_ID.format(c='respondent_id')} AS respondent_id)"

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _NotStreamed(Exception):
    """The file must be read whole (a problem, or something the streaming path does not take)."""


def stream_survey(item, codebook, *, wave: int | None = None, chunk_rows: int | None = None):
    """Read, check and stage one survey CSV block by block; the problems (always none) or None
    when the file must be read whole (it has a problem, or the streaming reader does not take it).

    Sets ``item.staged``, ``types``, ``variables``, ``encoding``, ``row_numbers``, ``notes`` and
    ``ids_generated`` as the whole-file path sets them.
    """
    from cxresearch.io import _stream as st
    from cxresearch.store._files import _prepare_responses

    if any(a.waves for v in codebook.variables for a in v.aliases):
        return None  # aliases chosen by the waves of the whole file: the whole-file reader
    scan = st.scan_csv(item.path, encoding=item.forced_encoding)
    if scan is None or not st.structure_ok(item.path, scan):
        return None
    stage = _Stager(item, codebook, Path(tempfile.mkdtemp(prefix="cx-import-")))
    try:
        text_columns = frozenset(
            name
            for v in codebook.variables
            if v.kind in ("id", "text")
            or (v.kind == "category" and v.values and any(isinstance(k, str) for k in v.values))
            for name in (v.name, *(a.name for a in v.aliases))
        )
        from cxresearch.io._validate import build_frame

        for raw in st.iter_chunks(
            item.path, scan, text_columns=text_columns, chunk_rows=chunk_rows or st.CHUNK_ROWS
        ):
            try:
                built = build_frame(raw, codebook, wave=wave, whole_file=False)
            except DataValidationError:
                raise _NotStreamed from None
            part = dataclasses.replace(
                item,
                row_numbers=raw.rows,
                notes=(),
                frame=None,
                missing=None,
                comments=None,
                staged=None,
            )
            if _prepare_responses(part, built.frame, built.missing, codebook, normalise=False):
                raise _NotStreamed
            stage.add(part, built, raw)
        staged = stage.finish()
    except (_NotStreamed, st.NotStreamable):
        stage.close()
        stage.staged.cleanup()
        return None
    except BaseException:
        stage.close()
        stage.staged.cleanup()
        raise
    item.staged = staged
    item.types = stage.types
    item.variables = stage.variables
    item.encoding = scan.encoding
    item.format = "csv"
    item.row_numbers = stage.row_numbers()
    item.ids_generated = stage.ids_generated
    item.notes = stage.notes
    return []


class _Stager:
    """Appends each checked block to the Parquet files and keeps what the end needs."""

    def __init__(self, item, codebook, folder: Path):
        self.item = item
        self.codebook = codebook
        self.staged = Staged(folder)
        self.writers: dict[str, object] = {}
        self.schemas: dict[str, object] = {}
        self.types: dict[str, str] = {}
        self.variables: tuple[str, ...] = ()
        self.notes: tuple[str, ...] = ()
        self.ids_generated: str | None = None
        self.rows: list[np.ndarray | tuple[int, int]] = []
        self.dropped = False  # a blank line was dropped (row numbers are not position + 2)
        self.next_row = 2
        self.ids: dict[str, _IdForm] = {}
        self.key_hashes: list[np.ndarray] = []
        self.customer_hashes: list[np.ndarray] = []
        self.weights: dict[str, dict[int, list]] = {}
        self.n = 0

    # -- per block ------------------------------------------------------------------------------------

    def add(self, part, built, raw) -> None:

        frame = part.frame
        if not self.writers:
            self._open(part, built)
        elif tuple(frame.columns) != self.staged.columns:
            raise _NotStreamed
        for col, sqltype in part.types.items():
            have = self.types.get(col, "NULL")
            if sqltype != "NULL":
                if have not in ("NULL", sqltype):
                    raise _NotStreamed  # e.g. codes that look like numbers in one block only
                self.types[col] = sqltype
        for col in self.ids:
            self.ids[col].see(frame[col])
        self._write("responses", frame)
        if part.missing is not None and len(part.missing):
            self._write("missing", part.missing)
            self.staged.n_missing += len(part.missing)
        if part.comments is not None and len(part.comments):
            self._write("comments", part.comments)
            self.staged.n_comments += len(part.comments)
        waves_stored = frame["wave"].to_numpy(dtype=np.int64)
        self.key_hashes.append(
            _key_hash(frame["respondent_id"], waves_stored, self.ids["respondent_id"])
        )
        if self.customer is not None:
            ids = frame[self.customer]
            valid = (ids.notna() & (ids.astype(str) != "")).to_numpy()
            self.customer_hashes.append(
                _key_hash(ids[valid], waves_stored[valid], self.ids[self.customer])
            )
        wave_var = self.codebook.wave_variable
        waves = (
            np.asarray(built.frame[wave_var.name])
            if wave_var is not None and wave_var.name in built.frame
            else np.zeros(len(frame), dtype=np.int64)
        )
        for name in self.weight_names:
            w = np.asarray(built.frame[name], dtype=float)
            acc = self.weights.setdefault(name, {})
            for wv in np.unique(waves):
                sel = waves == wv
                tot = acc.setdefault(int(wv), [0.0, False])
                tot[0] += float(np.nansum(w[sel]))
                tot[1] = tot[1] or not np.isnan(w[sel]).all()
        if np.array_equal(raw.rows, np.arange(self.next_row, self.next_row + len(raw.rows))):
            self.rows.append((self.next_row, len(raw.rows)))  # rows in a run: kept as (first, n)
        else:
            self.rows.append(raw.rows)
            self.dropped = True
        self.next_row = int(raw.rows[-1]) + 1
        self.n += len(frame)
        if part.ids_generated is not None:
            self.ids_generated = part.ids_generated

    def _open(self, part, built) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        cb = self.codebook
        frame = part.frame
        self.staged.columns = tuple(str(c) for c in frame.columns)
        self.variables = part.variables
        self.notes = part.notes
        if built.extra_columns:
            extra = built.extra_columns
            self.notes = (
                f"{self.item.file}: {len(extra)} column(s) not in the codebook were left out: "
                + ", ".join(repr(c) for c in extra[:20])
                + (" ..." if len(extra) > 20 else ""),
            )
        rid = cb.respondent_variable
        back = {"respondent_id": rid.name} if rid is not None else {}
        fields = []
        for col in frame.columns:
            var_name = back.get(col, col)
            var = cb.get(var_name) if var_name in cb else None
            sqltype = part.types.get(col, "NULL")
            if sqltype == "NULL":
                keys = list(var.values or ()) if var is not None else []
                sqltype = "VARCHAR" if any(isinstance(k, str) for k in keys) else "BIGINT"
            if sqltype not in _ARROW_OF_SQL:
                raise _NotStreamed
            fields.append(pa.field(str(col), _arrow_type(_ARROW_OF_SQL[sqltype])))
            if col == "respondent_id" or (var is not None and str(var.kind) == "id"):
                self.ids[str(col)] = _IdForm()
        self.schemas["responses"] = pa.schema(fields)
        self.schemas["missing"] = pa.schema(
            [
                ("respondent_id", pa.string()),
                ("wave", pa.int64()),
                ("variable", pa.string()),
                ("code", pa.float64()),
                ("meaning", pa.string()),
            ]
        )
        self.schemas["comments"] = pa.schema(
            [
                ("respondent_id", pa.string()),
                ("wave", pa.int64()),
                ("variable", pa.string()),
                ("text", pa.string()),
                ("lang", pa.string()),
            ]
        )
        for name in ("responses", "missing", "comments"):
            self.writers[name] = pq.ParquetWriter(
                self.staged.folder / f"{name}.parquet", self.schemas[name], compression="none"
            )
        name = "customer_id"
        var = cb.get(name) if name in cb else None
        self.customer = (
            name
            if var is not None
            and str(var.kind) == "id"
            and name in frame.columns
            and (rid is None or rid.name != name)
            else None
        )
        self.weight_names = [v.name for v in cb.by_kind("weight") if v.name in built.frame.columns]

    def _write(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        schema = self.schemas[name]
        try:
            table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError):
            raise _NotStreamed from None
        self.writers[name].write_table(table)

    # -- the end ----------------------------------------------------------------------------------------

    def close(self) -> None:
        for w in self.writers.values():
            try:
                w.close()
            except Exception:  # closing after a failure: the folder is removed anyway
                pass
        self.writers = {}

    def finish(self) -> Staged:
        self.close()
        if not self.n:
            raise _NotStreamed  # no data rows: the whole-file reader says so
        staged = self.staged
        staged.rows = self.n
        staged.sql_types = dict(self.types)
        for col in staged.columns:
            self.types.setdefault(col, "NULL")
            staged.sql_types.setdefault(col, "NULL")
        staged.normalised = tuple(c for c, form in self.ids.items() if form.rewrite)
        for hashes in (self.key_hashes, self.customer_hashes):
            if _has_duplicates(hashes):  # (empties the list)
                raise _NotStreamed  # the whole-file reader names the rows (or finds none)
        for totals in self.weights.values():
            for total, any_weight in totals.values():
                if any_weight and not total > 0:
                    raise _NotStreamed
        return staged

    def row_numbers(self) -> np.ndarray | None:
        """The user's row of every staged row (None: row = position + 2, no blank line dropped)."""
        if not self.dropped:
            return None
        return np.concatenate(
            [
                np.arange(r[0], r[0] + r[1], dtype=np.int64) if isinstance(r, tuple) else r
                for r in self.rows
            ]
        )


def _normalise(ids, pc):
    out = pc.replace_substring_regex(ids, pattern=r"\.0*$", replacement="")
    out = pc.replace_substring_regex(out, pattern=r"^\+", replacement="")
    return pc.if_else(pc.equal(out, "-0"), "0", out)


def _key_hash(ids: pd.Series, waves: np.ndarray, form: _IdForm) -> np.ndarray:
    """A 64-bit hash of every (id, wave), the id taken in the form ``normalise_ids`` gives a
    whole number (``1.0`` -> ``1``) whenever it is one, so equal keys as stored always hash
    equal (whether or not the column ends up normalised); 8 bytes a row instead of the ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = ids.to_numpy(dtype=object)
    if form.first is not False and len(values):  # ids that may be numbers in disguise
        arr = pa.array(values, type=pa.string(), from_pandas=True)
        whole = pc.fill_null(pc.match_substring_regex(arr, _WHOLE_WITH_ZEROS), False)
        values = pc.if_else(whole, _normalise(arr, pc), arr).to_numpy(zero_copy_only=False)
    h = pd.util.hash_array(values, categorize=False)
    return h * np.uint64(0x9E3779B97F4A7C15) ^ pd.util.hash_array(np.asarray(waves, dtype=np.int64))


def _has_duplicates(hashes: list[np.ndarray]) -> bool:
    """Whether two keys hash equal (equal keys always do; unequal keys almost never)."""
    if not hashes:
        return False
    h = np.concatenate(hashes)
    hashes.clear()
    h.sort()
    return bool((h[1:] == h[:-1]).any())
