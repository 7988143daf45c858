"""A survey CSV read in blocks of rows and staged on disk, so that an import's memory does not grow
with the file (issue 15: a 1e7-row file must import on a 24 GB machine).

The whole-file path (:func:`cxresearch.io.read`, then ``_prepare_responses``) holds the file's
bytes, its text and every cell as Python objects at once. Here the file is decoded and checked
block by block (:mod:`cxresearch.io._stream`), parsed ``CHUNK_ROWS`` rows at a time, each block
checked by the same code as a whole file (``build_frame(whole_file=False)`` and
``_prepare_responses``), and its rows, missing codes and comments appended to Arrow stream files
in a temporary folder (no encoding; DuckDB scans them back as arrow streams in the import's one
transaction, with one thread and a bounded buffer; the keys are also kept as Parquet, which
DuckDB reads with row positions for the checks against the store). What needs the whole file is kept small and checked at the
end: a 64-bit hash of every key (respondent, wave) and (customer, wave) — 8 bytes a row; equal
keys hash equal, so no two equal hashes means no duplicate, and two equal hashes send the file to
the whole-file reader, which names the rows (or finds no duplicate) — each wave's weight total,
and whether an id column is numbers in disguise (``normalise_ids`` decides on the whole column;
the ids are normalised in SQL as they are written, and in the keys checked against the store).

A plain file of a plain codebook (kinds with simple rules, text or number codes, aliases that
hold in every wave; ``--wave`` and generated respondent ids too) takes the arrow path first (see
the comment above :func:`_fast_plan`): parsed by pyarrow's reader as strings, checked on arrow
columns and written to the staging without a pandas frame; at anything it does not read exactly
as pandas does, it hands the file to the pandas path below, which starts again from the file's
first row.

Only a file that loads is streamed. At the first sign of a problem — a block that fails a check,
a duplicate key, a wave whose weights add up to 0, a file the streaming reader does not take
(see :mod:`cxresearch.io._stream`) — the staging is dropped and :func:`stream_survey` returns
None: the caller reads the file whole, and its refusal names every problem exactly as before.
"""

from __future__ import annotations

import dataclasses
import os
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

    def see_arrow(self, ids) -> None:
        """:meth:`see` for a pyarrow string column without nulls (ids not all ASCII go through
        :meth:`see`: Python's ``\\d`` takes digits RE2's does not)."""
        import pyarrow.compute as pc

        if self.first is False or not len(ids):
            return
        if not pc.all(pc.string_is_ascii(ids)).as_py():
            self.see(pd.Series(ids.to_numpy(zero_copy_only=False), dtype=object))
            return
        if self.first is None:
            self.first = re.fullmatch(_WHOLE_WITH_ZEROS, ids[0].as_py()) is not None
            if not self.first:
                return
        self.dot = self.dot or pc.any(pc.match_substring(ids, ".")).as_py()
        if self.all_whole:
            self.all_whole = pc.all(pc.match_substring_regex(ids, _WHOLE_WITH_ZEROS)).as_py()

    @property
    def rewrite(self) -> bool:
        return bool(self.first and self.dot and self.all_whole)


@dataclass
class Staged:
    """A survey file's rows, missing codes and comments staged on disk (Arrow stream files; the keys also as Parquet)."""

    folder: Path
    rows: int = 0
    n_missing: int = 0
    n_comments: int = 0
    columns: tuple[str, ...] = ()
    sql_types: dict[str, str] = field(default_factory=dict)
    normalised: tuple[str, ...] = ()  # id columns written as whole numbers (``1.0`` -> ``1``)

    @property
    def responses(self) -> Path:
        return self.folder / "responses.arrows"

    @property
    def missing(self) -> Path:
        return self.folder / "missing.arrows"

    @property
    def comments(self) -> Path:
        return self.folder / "comments.arrows"

    @property
    def keys(self) -> Path:
        """The staged responses' key columns (respondent id, wave) as Parquet, for the checks
        against the store (DuckDB reads them with their row positions)."""
        return self.folder / "keys.parquet"

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
        path = str(self.keys).replace("'", "''")
        return (
            f"SELECT {', '.join(cols)}, file_row_number AS _row "
            f"FROM read_parquet('{path}', file_row_number = true)"
        )

    def key_frame(self, key: list[str]) -> pd.DataFrame:
        """The staged rows' key columns as they will be stored, indexed by position."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        table = pq.read_table(self.keys, columns=list(key))
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
    head = st.read_head(item.path, encoding=item.forced_encoding)
    plan = _fast_plan(codebook, head, wave) if head is not None else None
    if plan is not None:
        done = _stream_fast(item, codebook, head, plan)
        if done is not None:
            return done
    scan = st.scan_csv(item.path, encoding=item.forced_encoding)
    if scan is None and item.forced_encoding is None:  # not UTF-8: detected block by block
        detected = st.detect_encoding(item.path)
        if detected is not None:
            head = st.read_head(item.path, encoding=detected)
            plan = _fast_plan(codebook, head, wave) if head is not None else None
            if plan is not None:
                done = _stream_fast(item, codebook, head, plan)
                if done is not None:
                    return done
            scan = st.scan_csv(item.path, encoding=detected)
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
    """Appends each checked block to the staged files and keeps what the end needs."""

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
        # the key hashes, appended to files in the staging folder: 8 bytes a row on disk, read
        # back one key at a time at the end
        self.key_hashes = _Hashes(self.staged.folder / "keys.u64")
        self.customer_hashes = _Hashes(self.staged.folder / "customers.u64")
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
        self._open_writers(fields)
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

    # -- the arrow path (see _fast_plan) --------------------------------------------------------------

    def open_fast(self, plan: _Plan) -> None:
        """Open the staging for the arrow path: the columns, types and notes the pandas path
        would set from its first block."""
        import pyarrow as pa

        cb = self.codebook
        self.staged.columns = plan.columns
        self.variables = tuple(
            v.name for v in plan.variables if v.name not in ("respondent_id", "wave")
        )
        self.notes = ()
        if plan.extra:
            extra = plan.extra
            self.notes = (
                f"{self.item.file}: {len(extra)} column(s) not in the codebook were left out: "
                + ", ".join(repr(c) for c in extra[:20])
                + (" ..." if len(extra) > 20 else ""),
            )
        fields = []
        for name, kind in plan.kinds.items():
            sqltype = {"id": "VARCHAR", "wave": "BIGINT", "category": "BIGINT"}.get(kind, "DOUBLE")
            if name in plan.text_codes:
                sqltype = "VARCHAR"
            # in the whole file's order; a category's type is known once it holds a value
            # ("NULL" fits any stored type)
            self.types[name] = "NULL" if kind == "category" else sqltype
            fields.append(pa.field(name, _arrow_type(_ARROW_OF_SQL[sqltype])))
            if kind == "id":
                self.ids[name] = _IdForm()
        self._open_writers(fields)
        var = cb.get("customer_id") if "customer_id" in cb else None
        self.customer = (
            "customer_id"
            if var is not None and str(var.kind) == "id" and "customer_id" in plan.columns
            else None
        )
        self.weight_names = [v.name for v in cb.by_kind("weight") if v.name in plan.columns]

    def _open_writers(self, fields) -> None:
        """The staged tables' schemas (responses from ``fields``; missing codes and comments are
        fixed), an Arrow stream file for each and a Parquet file of the responses' keys."""
        import pyarrow as pa
        import pyarrow.parquet as pq

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
            self.writers[name] = _Sink(self.staged.folder / f"{name}.arrows", self.schemas[name])
        self.schemas["keys"] = pa.schema([("respondent_id", pa.string()), ("wave", pa.int64())])
        self.writers["keys"] = pq.ParquetWriter(
            self.staged.keys,
            self.schemas["keys"],
            compression="none",
            use_dictionary=False,
            write_statistics=False,
        )

    def add_fast(self, batch, plan: _Plan) -> None:
        """Check one record batch of strings as the pandas path checks a block, and stage it;
        _NotStreamed at anything the arrow path does not take."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from cxresearch.codebook import CODED_KINDS
        from cxresearch.io._stream import CONTROL_RE2
        from cxresearch.io._validate import wave_range
        from cxresearch.store._files import _CJK_RE2

        n = batch.num_rows
        if not n:
            return
        col = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        if plan.generate_ids:  # no id to hold back a line of empty cells, which pandas drops
            blank = np.ones(n, dtype=bool)
            for arr in col.values():
                blank &= _blank_texts(arr)  # (a superset of the cells pandas reads as blank)
                if not blank.any():
                    break
            if blank.any():
                raise _NotStreamed
        for c in plan.check_text:
            arr = col[c]
            if arr.null_count < n and pc.any(pc.match_substring_regex(arr, CONTROL_RE2)).as_py():
                raise _NotStreamed
        out: dict[str, object] = {}
        parts = []  # (codebook order, variable, positions, codes, meanings)
        waves = None
        weights: dict[str, np.ndarray] = {}
        for order, v in enumerate(plan.variables):
            kind = str(v.kind)
            arr = col[plan.source[v.name]]
            if kind == "text":
                continue
            codes = plan.text_codes.get(v.name)
            if codes is not None:  # as ``_string_category``: each cell one of the codes exactly
                if arr.null_count < n:
                    vals = arr.drop_null() if arr.null_count else arr
                    known = pc.is_in(vals, value_set=pa.array(codes, type=pa.string()))
                    if not _no_edge_space(vals) or not pc.all(known).as_py():
                        raise _NotStreamed  # spaces, a code in other case, a missing code, ...
                    self.types[v.name] = "VARCHAR"
                out[v.name] = arr
                continue
            if kind == "id":
                if arr.null_count or not _no_edge_space(arr):
                    raise _NotStreamed
                out[v.name] = arr
                continue
            if kind in ("wave", "weight") and arr.null_count:
                raise _NotStreamed
            num = _numbers_of(arr, pc)
            if kind == "wave":
                lo, hi = wave_range(v)
                if not (np.mod(num, 1) == 0).all() or (num < lo).any() or (num > hi).any():
                    raise _NotStreamed
                waves = num.astype(np.int64)
                out[v.name] = pa.array(waves, type=pa.int64())
                continue
            if kind == "weight":
                if (num < 0).any():
                    raise _NotStreamed
                weights[v.name] = num
                out[v.name] = pa.array(num, type=pa.float64())
                continue
            codes = self.codebook.missing_codes_for(v.name) if v.kind in CODED_KINDS else ()
            by_code = {float(c.code): c.meaning for c in codes}
            blank = np.isnan(num)
            is_code = np.isin(num, list(by_code)) if by_code else np.zeros(n, dtype=bool)
            present = ~blank & ~is_code
            if kind == "category":
                allowed = np.array([float(x) for x in v.values], dtype=float)
                if (present & ~np.isin(num, allowed)).any():
                    raise _NotStreamed
                out[v.name] = pa.array(
                    np.where(present, num, 0).astype(np.int64), mask=~present, type=pa.int64()
                )
                if present.any():
                    self.types[v.name] = "BIGINT"
            else:
                scale = v.scale
                lo, hi = scale if scale is not None else (v.min, v.max)
                wrong = np.zeros(n, dtype=bool)
                if v.kind in _integer_kinds():
                    wrong |= present & (np.mod(num, 1) != 0)
                if lo is not None:
                    wrong |= present & (num < lo)
                if hi is not None:
                    wrong |= present & (num > hi)
                if wrong.any():
                    raise _NotStreamed
                out[v.name] = pa.array(num, mask=~present, type=pa.float64())
            if is_code.any():
                pos = np.flatnonzero(is_code)
                vals = num[pos]
                meanings = np.array([by_code[float(x)] for x in vals], dtype=object)
                parts.append((order, v.name, pos, vals, meanings))
        if plan.wave is not None:  # no wave column: the wave given, on every row
            waves = np.full(n, plan.wave, dtype=np.int64)
            out["wave"] = pa.array(waves, type=pa.int64())
        if plan.generate_ids:  # ``generated_ids``: the file's sha256 prefix and the user's row
            from cxresearch.store._files import ID_PREFIX

            rows = pa.array(np.arange(self.next_row, self.next_row + n, dtype=np.int64))
            out["respondent_id"] = pc.binary_join_element_wise(
                self.item.sha256[:ID_PREFIX] + "-", pc.cast(rows, pa.string()), ""
            )
        rid = out["respondent_id"]
        table = pa.Table.from_arrays(
            [out[c] for c in plan.columns], schema=self.schemas["responses"]
        )
        self.writers["responses"].write_table(table)
        self.writers["keys"].write_table(table.select(["respondent_id", "wave"]))
        if parts:
            pos = np.concatenate([p[2] for p in parts])
            order = np.concatenate([np.full(len(p[2]), p[0]) for p in parts])
            idx = np.lexsort((order, pos))
            names = np.concatenate([np.full(len(p[2]), p[1], dtype=object) for p in parts])
            pos = pos[idx]
            miss = pa.Table.from_arrays(
                [
                    rid.take(pa.array(pos)),
                    pa.array(waves[pos], type=pa.int64()),
                    pa.array(names[idx], type=pa.string()),
                    pa.array(np.concatenate([p[3] for p in parts])[idx], type=pa.float64()),
                    pa.array(np.concatenate([p[4] for p in parts])[idx], type=pa.string()),
                ],
                schema=self.schemas["missing"],
            )
            self.writers["missing"].write_table(miss)
            self.staged.n_missing += len(pos)
        for name in plan.texts:
            arr = col[plan.source[name]]
            keep = ~_blank_texts(arr)
            if not keep.any():
                continue
            mask = pa.array(keep)
            texts = arr.filter(mask)
            lang = pc.if_else(pc.match_substring_regex(texts, _CJK_RE2), "zh", "en")
            comments = pa.Table.from_arrays(
                [
                    rid.filter(mask),
                    pa.array(waves[keep], type=pa.int64()),
                    pa.array(np.full(int(keep.sum()), name, dtype=object), type=pa.string()),
                    texts,
                    lang,
                ],
                schema=self.schemas["comments"],
            )
            self.writers["comments"].write_table(comments)
            self.staged.n_comments += int(keep.sum())
        for c, form in self.ids.items():
            form.see_arrow(out[c])
        self.key_hashes.append(_key_hash_arrow(rid, waves, self.ids["respondent_id"]))
        if self.customer is not None:
            self.customer_hashes.append(
                _key_hash_arrow(out[self.customer], waves, self.ids[self.customer])
            )
        for name in self.weight_names:
            w = weights[name]
            acc = self.weights.setdefault(name, {})
            for wv in np.unique(waves):
                tot = acc.setdefault(int(wv), [0.0, False])
                tot[0] += float(np.nansum(w[waves == wv]))
                tot[1] = True
        self.rows.append((self.next_row, n))
        self.next_row += n
        self.n += n

    def _write(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        schema = self.schemas[name]
        try:
            table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError):
            raise _NotStreamed from None
        self.writers[name].write_table(table)
        if name == "responses":
            self.writers["keys"].write_table(table.select(["respondent_id", "wave"]))

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
        _release_memory()
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
            if hashes.has_duplicates():
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


def _key_hash_arrow(ids, waves: np.ndarray, form: _IdForm) -> np.ndarray:
    """:func:`_key_hash` of a pyarrow string column without nulls."""
    import pyarrow.compute as pc

    values = ids
    if form.first is not False and len(ids):
        whole = pc.fill_null(pc.match_substring_regex(ids, _WHOLE_WITH_ZEROS), False)
        values = pc.if_else(whole, _normalise(ids, pc), ids)
    h = pd.util.hash_array(values.to_numpy(zero_copy_only=False), categorize=False)
    return h * np.uint64(0x9E3779B97F4A7C15) ^ pd.util.hash_array(np.asarray(waves, dtype=np.int64))


def _release_memory() -> None:
    """Hand the memory freed by the blocks back to the system before DuckDB writes the staged
    rows (the allocators keep it otherwise, and the import's peak is the sum)."""

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        pa.jemalloc_memory_pool().release_unused()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        pass
    _trim()


_LIBC: list = []


def _trim() -> None:
    """glibc's ``malloc_trim``: freed heap pages back to the system (nothing elsewhere)."""
    import ctypes
    import ctypes.util

    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim)
        except (OSError, AttributeError):  # not glibc
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)


def _integer_kinds():
    from cxresearch.codebook import INTEGER_KINDS

    return INTEGER_KINDS


class _Sink:
    """An Arrow IPC stream written to a file block by block: no encoding and no buffering (a
    Parquet writer encodes every page, and DuckDB decodes it again); the insert scans it back as
    an arrow stream, one block at a time."""

    def __init__(self, path: Path, schema):
        import pyarrow as pa

        self.file = pa.OSFile(str(path), "wb")
        try:
            self.writer = pa.ipc.new_stream(self.file, schema)
        except BaseException:
            self.file.close()
            raise

    def write_table(self, table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.file.close()


def read_staged(path: Path):
    """A staged Arrow stream file as a ``pyarrow.RecordBatchReader`` (and the open file, for the
    caller to close)."""
    import pyarrow as pa

    source = pa.OSFile(str(path))
    try:
        return pa.ipc.open_stream(source), source
    except BaseException:
        source.close()
        raise


class _Hashes:
    """64-bit key hashes appended to a file (no list of arrays held while the file is read)."""

    def __init__(self, path: Path):
        self.path = path
        self.n = 0

    def append(self, h: np.ndarray) -> None:
        with open(self.path, "ab") as fh:
            np.ascontiguousarray(h, dtype=np.uint64).tofile(fh)
        self.n += len(h)

    def has_duplicates(self) -> bool:
        """Whether two keys hash equal (equal keys always do; unequal keys almost never)."""
        if not self.n:
            return False
        h = np.fromfile(self.path, dtype=np.uint64)
        self.path.unlink()
        h.sort()
        dup = bool((h[1:] == h[:-1]).any())
        del h
        return dup


# -- the arrow path -----------------------------------------------------------------------------------
#
# A plain UTF-8 file of a plain codebook is parsed by pyarrow's reader (C++) as strings and checked
# column by column with pyarrow.compute, then written to the staging as it is: no pandas
# object column, no second parse. It stores exactly what the pandas path stores, because it takes
# only what both read the same way and hands everything else to the pandas path (which reads the
# file again from its start):
#
# * numbers written plainly: ``-?digits[.digits]``, at most 15 characters (then pandas' C parser
#   and pyarrow's both give the correctly rounded double; pandas' parser is not correctly rounded
#   for 17 significant digits), not ``-0``;
# * ids without blanks or spaces at their ends, texts of any kind (a text only of spaces is
#   treated as pandas treats it); no blank line, no row without a respondent id;
# * every value of the kinds' rules (waves in range, weights present and not negative, answers
#   whole and on their scale or a declared missing code, categories one of their codes);
# * a category whose codes are all text (``N``, ``north``) when no code reads as a number (its
#   column is then VARCHAR, as ``_infer`` types it) and every cell is one of the codes exactly:
#   a cell with spaces at its ends, in other case, or a missing code goes to the pandas path;
# * a one-wave file without a wave column imported with ``wave=`` (the wave on every row, in the
#   wave variable's place, or after the file's columns when the codebook has none), a file without a respondent id column when the codebook does not
#   require one (``generated_ids``: ``<sha256 prefix>-<row>``, the rows counted as the file has
#   no blank line, nor a line of empty or blank cells, which pandas drops as blank), and columns named by aliases that hold in every wave (stored under the
#   variable's name). A file with a wave column and ``wave=``, out-of-range ``wave=``, two columns
#   for one variable, or aliases of some waves only are never planned here.
#
# A file failing any of these goes to the pandas path, which either loads it or sends it to the
# whole-file reader, whose refusal names the file, row and value.

_PLAIN_NUMBER = r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$"
_FAST_KINDS = frozenset(
    {"id", "wave", "weight", "text", "likert", "nps", "rating", "binary", "numeric", "category"}
)
_RESERVED = {"client", "import_id"}


@dataclass(frozen=True)
class _Plan:
    """How the arrow path reads one file with one codebook."""

    variables: tuple  # the codebook's variables read from the file, in codebook order
    columns: tuple[str, ...]  # the stored columns (as the whole-file path orders them, no texts)
    texts: tuple[str, ...]  # text variables (to comments)
    extra: tuple[str, ...]  # header columns not in the codebook (left out, noted)
    check_text: tuple[str, ...]  # header columns read as text: checked for implausible characters
    source: dict = field(default_factory=dict)  # variable -> its file column (an alias or its name)
    kinds: dict = field(default_factory=dict)  # stored column -> kind
    wave: int | None = None  # the wave given for a file without a wave column (``--wave``)
    generate_ids: bool = False  # no respondent id column: ``<sha256 prefix>-<row>`` made per row
    text_codes: dict = field(default_factory=dict)  # category with text codes -> its codes


def _text_codes(v) -> tuple[str, ...] | None:
    """The codes of a category whose codes are all text, when the arrow path can check its cells
    as ``_string_category`` does (each cell one of the codes exactly) and they are stored as text
    (``_infer``: a column of which one value is not a number is VARCHAR); else None."""
    from cxresearch.io._raw import _CONTROL

    codes = list(v.values or ())
    if not codes or not all(isinstance(k, str) for k in codes):
        return None
    for k in codes:
        if not k or k != k.strip() or _CONTROL.search(k) is not None:
            return None  # a cell is stripped before it is compared: such a code never matches
    if pd.to_numeric(pd.Series(codes, dtype=object), errors="coerce").notna().any():
        return None  # a code that reads as a number (``1.5``, ``1e3``, ``inf``): its column's
        # type depends on the other values of the whole file
    return tuple(codes)


def _fast_plan(codebook, scan, wave) -> _Plan | None:
    """The arrow path's plan, or None when the file or codebook needs the pandas path."""
    from cxresearch.io._validate import wave_range

    rid, wave_var = codebook.respondent_variable, codebook.wave_variable
    if rid is None or rid.name != "respondent_id":
        return None
    if (wave_var is None and wave is None) or (wave_var is not None and wave_var.name != "wave"):
        return None
    header = list(scan.header)
    declared = set(codebook.names)
    alias_names = [a.name for v in codebook.variables for a in v.aliases]
    if any(a.waves is not None for v in codebook.variables for a in v.aliases):
        return None  # aliases chosen by the file's waves: the pandas path
    if len(set(alias_names)) != len(alias_names) or set(alias_names) & declared:
        return None  # an alias of two variables, or named as another variable
    if wave is not None:
        lo, hi = wave_range(wave_var)
        if not lo <= int(wave) <= hi:
            return None  # the whole-file reader refuses the wave given
    present, source, text_codes = [], {}, {}
    generate_ids = False
    for v in codebook.variables:
        if str(v.kind) not in _FAST_KINDS:
            return None
        here = [c for c in (v.name, *(a.name for a in v.aliases)) if c in header]
        if len(here) > 1:
            return None  # two columns for one variable: the whole-file reader refuses the file
        if v is wave_var and wave is not None:
            if here:
                return None  # a wave column and a wave given: refused by the whole-file path
            continue
        if not here:
            if v is rid and not v.required:
                generate_ids = True
            elif v.required:
                return None  # the whole-file reader names the missing column
            continue
        if str(v.kind) == "category":
            if not v.values:
                return None
            if any(isinstance(k, str) for k in v.values):
                codes = _text_codes(v)
                if codes is None:
                    return None
                text_codes[v.name] = codes
        present.append(v)
        source[v.name] = here[0]
    kinds = {}
    for v in codebook.variables:  # the stored columns in codebook order, as build_frame gives
        if str(v.kind) != "text" and (v.name in source or (v is wave_var and wave is not None)):
            kinds[v.name] = str(v.kind)
    # ``_prepare_responses`` adds the wave given (when the codebook has no wave variable) and
    # then the generated ids after the file's columns
    if wave_var is None:
        if "wave" in kinds:
            return None
        kinds["wave"] = "wave"
    if generate_ids:
        kinds["respondent_id"] = "id"
    names = [*kinds, *(v.name for v in present if str(v.kind) == "text")]
    lowered = [n.lower() for n in names]
    if "respondent_id" not in kinds or "wave" not in kinds:
        return None
    if len(set(lowered)) != len(lowered) or set(lowered) & _RESERVED:
        return None
    used = set(source.values())
    extra = tuple(c for c in header if c not in used)
    texts = tuple(v.name for v in present if str(v.kind) == "text")
    ids = {source[v.name] for v in present if str(v.kind) == "id"}
    text_cols = {source[t] for t in texts}
    return _Plan(
        variables=tuple(present),
        columns=tuple(kinds),
        texts=texts,
        extra=extra,
        check_text=tuple(c for c in header if c in extra or c in text_cols or c in ids),
        source=source,
        kinds=kinds,
        wave=None if wave is None else int(wave),
        generate_ids=generate_ids,
        text_codes=text_codes,
    )


def _stream_fast(item, codebook, scan, plan: _Plan):
    """Stage the file through the arrow path; [] when staged, None when the pandas path must
    read it (nothing is left behind then)."""
    import pyarrow as pa

    from cxresearch.io import _stream as st

    stage = _Stager(item, codebook, Path(tempfile.mkdtemp(prefix="cx-import-")))
    # the system allocator while the blocks are read: what they free goes back to the system
    # (malloc_trim at the end) instead of staying with pyarrow's mimalloc (about 10 MB of peak at
    # 1e6 rows); arrow buffers keep their own pool, so the default is restored safely after
    pool = pa.default_memory_pool()
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") is None:
        pa.set_memory_pool(pa.system_memory_pool())
    try:
        stage.open_fast(plan)
        for batch in st.arrow_batches(item.path, scan):
            stage.add_fast(batch, plan)
            del batch
            _trim()  # each block's memory back to the system before the next is read
        staged = stage.finish()
    except (_NotStreamed, st.NotStreamable):
        stage.close()
        stage.staged.cleanup()
        return None
    except BaseException:
        stage.close()
        stage.staged.cleanup()
        raise
    finally:
        pa.set_memory_pool(pool)
    item.staged = staged
    item.types = stage.types
    item.variables = stage.variables
    item.encoding = scan.encoding
    item.format = "csv"
    item.row_numbers = stage.row_numbers()
    item.ids_generated = None
    if plan.generate_ids:
        from cxresearch.store._files import ID_PREFIX

        item.ids_generated = f"{item.sha256[:ID_PREFIX]}-<row>"
    item.notes = stage.notes
    return []


def _numbers_of(arr, pc) -> np.ndarray:
    """The float values of a string column (NaN where null), or _NotStreamed unless every value
    is a plain number (see above)."""
    import pyarrow as pa

    if arr.null_count < len(arr):
        if _plain_whole_numbers(arr):  # the usual answer column: checked on its bytes
            return pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
        if pc.max(pc.binary_length(arr)).as_py() > 15:
            raise _NotStreamed
        if not pc.all(pc.match_substring_regex(arr, _PLAIN_NUMBER)).as_py():
            raise _NotStreamed
    num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    if (np.signbit(num) & (num == 0)).any():
        raise _NotStreamed  # -0: pandas reads it as 0 in a column of whole numbers
    return num


def _plain_whole_numbers(arr) -> bool:
    """Whether every non-null value of a string column is a whole number of at most 15 digits
    without sign or leading zero (``0|[1-9][0-9]*``: what :data:`_PLAIN_NUMBER` takes without a
    fraction), seen on the column's bytes (a regex pass costs about five times as much); False
    when unsure (the caller then checks with the regex)."""
    n = len(arr)
    _, off_buf, data_buf = arr.buffers()
    if data_buf is None:
        return False
    offsets = np.frombuffer(off_buf, dtype=np.int32)[arr.offset : arr.offset + n + 1]
    lengths = np.diff(offsets)
    valid = arr.is_valid().to_numpy(zero_copy_only=False).astype(bool)
    if (lengths[valid] < 1).any() or (lengths > 15).any():
        return False
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0] : offsets[-1]]
    if ((data < 48) | (data > 57)).any():  # a byte that is not 0-9
        return False
    first = np.frombuffer(data_buf, dtype=np.uint8)[offsets[:-1][valid]]
    return not ((first == 48) & (lengths[valid] > 1)).any()  # a leading zero


def _no_edge_space(arr) -> bool:
    """Whether no value of a string column without nulls starts or ends with a byte that may begin
    or end a character ``str.strip()`` removes (False when unsure)."""
    from cxresearch.io._validate import _WS_FIRST, _WS_LAST

    if not len(arr):
        return True
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    if data_buf is None or (np.diff(offsets) <= 0).any():
        return False
    data = np.frombuffer(data_buf, dtype=np.uint8)
    return not (_WS_FIRST[data[offsets[:-1]]].any() or _WS_LAST[data[offsets[1:] - 1]].any())


def _blank_texts(arr) -> np.ndarray:
    """Per value of a string column: null or only whitespace (``str.strip() == ""``); only the
    values whose first byte may begin a whitespace character are looked at in Python."""
    from cxresearch.io._validate import _WS_FIRST

    n = len(arr)
    blank = np.ones(n, dtype=bool)
    if arr.null_count == n:
        return blank
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int32)[arr.offset : arr.offset + n + 1]
    valid = arr.is_valid().to_numpy(zero_copy_only=False).astype(bool)
    has = valid & (np.diff(offsets) > 0)
    blank = ~has
    if data_buf is None or not has.any():
        return blank
    data = np.frombuffer(data_buf, dtype=np.uint8)
    first = np.zeros(n, dtype=np.uint8)
    first[has] = data[offsets[:-1][has]]
    for i in np.flatnonzero(has & _WS_FIRST[first]):
        if not arr[int(i)].as_py().strip():
            blank[i] = True
    return blank
