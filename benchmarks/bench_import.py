"""Benchmark: draft a codebook from, and read + validate, a large SPSS file with user-missing codes.

Builds a 200,000-respondent x 150-variable ``.sav`` (an id, the wave, a weight, a branch category,
116 five-point items, 30 eleven-point ratings; 98 = don't know and 99 = refused declared user-missing
on every item, about 3 % of answers coded), then times

* ``cxresearch.io.draft_codebook`` (target under 10 s), and
* ``cxresearch.io.read`` with that codebook: read, validate every cell, build the frame and the
  long missing-code record (target under 30 s).

Usage: ``python benchmarks/bench_import.py [--rows N] [--keep DIR]``. Prints wall-clock and CPU
time of each step (CPU time is the better guide on a loaded, shared machine).

``--csv`` (issue 15) benchmarks a store import of a survey CSV instead, side by side in one run:
a CSV of ``--rows`` respondents (25 columns: ids, wave, branch, weight, 18 items, a comment) is
imported into a new DuckDB store

* by the baseline: ``pandas.read_csv`` then ``CREATE TABLE … AS SELECT`` in DuckDB (no checks),
* by ``cxresearch import`` (``Store.import_files``: decode and verify, validate every cell, one
  transaction), and
* with ``--old-src DIR``, by the cxresearch source tree in ``DIR`` (e.g. a checkout of an earlier
  commit's ``src``) — the old path,

each in a fresh process, reporting wall and CPU time and peak resident memory (``ru_maxrss``)
against the file size. Targets: peak ≤ 3 × the file, time ≤ 1.3 × the baseline.
``--no-baseline`` leaves the baseline out (a 1e7-row file would need about 11 GB for it); a file
kept with ``--keep`` is reused when it has the same number of rows.

``--gbk`` imports the same file written in GBK, without ``--encoding`` (detected block by block;
the baseline is given ``encoding="gbk"``). CPU is user + sys of the whole child process (every
thread, interpreter start included), from ``RUSAGE_CHILDREN``; peak is the child's ``ru_maxrss``.

Measured 2026-12-03 on the shared 2-core, 24 GB machine (load average 3-8 from other sessions:
wall times are noisy, CPU times are the better guide), 1,000,000 rows, 85 MB, ``--csv --old-src``
with the source of this branch's base (cff3845, the pandas-chunk streaming path), ``--repeat 2``
(two interleaved rounds)::

    baseline pandas + DuckDB        8.0 s wall   6.0 s CPU   peak 1075 MB = 12.7 x file
    cxresearch import (arrow path) 14.8 s wall   9.1 s CPU   peak  254 MB =  3.0 x file  1.50 x CPU
    cxresearch import (old)        18.3 s wall  12.0 s CPU   peak  306 MB =  3.6 x file  1.99 x CPU
    baseline pandas + DuckDB        9.9 s wall   5.3 s CPU   peak 1075 MB = 12.7 x file
    cxresearch import (arrow path)  9.2 s wall   6.3 s CPU   peak  253 MB =  3.0 x file  1.19 x CPU
    cxresearch import (old)        17.1 s wall  10.5 s CPU   peak  316 MB =  3.7 x file  1.96 x CPU

Over five rounds (these two, and three of the commit before, which differs only in checking the
numbers with two more regex passes; one of them with tests running alongside) the import's CPU
was 1.19-1.50 x the baseline's (median 1.32 x: the 1.3 x target is met in some rounds, not all;
the old path 1.75-2.27 x) and its wall time 0.90-1.86 x; the peak 251-254 MB, 3.0 x the file
every time (the target, 255 MB, met narrowly). Of the peak, about 160 MB is there before the first row is read (pandas,
pyarrow and DuckDB loaded, the store opened); the arrow path adds about 50 MB (reader blocks of
256 KiB joined into batches of 16,384 rows, Parquet writers, malloc_trim after every batch) and
DuckDB's insert of the staged rows runs with a 32 MB limit.

The same file in GBK without ``--encoding`` (``--csv --gbk``, at the commit before): 267 MB = 3.2 x the file and
1.65 x the baseline's CPU (two more passes: the line-by-line encoding check and the strict
decode of each candidate), against 1860 MB = 22.6 x for the old path (the whole file).

``--no-wave-column`` writes the CSV without its wave column (24 columns) and imports it with
``wave=2025`` (the baseline reads the same file); ``--text-codes`` writes the branches as text
codes (``north`` ... ``coast``, ``N``, ``S``; the codebook's branch codes are those, stored as
VARCHAR); the two combine. Measured 2026-12-03 (load average 2.4-5.9 from other sessions),
1,000,000 rows, ``--csv --repeat 2 --old-src`` with the source of 5f0eaa2, where such files took
the pandas-chunk path (first round shown, the second in brackets)::

    --no-wave-column, 80 MB
    baseline pandas + DuckDB       10.1 s wall   5.6 s CPU   peak 1055 MB = 13.3 x file
    cxresearch import (arrow path)  8.0 s wall   5.6 s CPU   peak  243 MB =  3.1 x file  0.99 x CPU
    cxresearch import (old)        15.3 s wall  10.7 s CPU   peak  298 MB =  3.7 x file  1.91 x CPU
    (round 2: 1.11 x CPU, 246 MB for the arrow path; 2.41 x, 267 MB for the old path)

    --text-codes, 87 MB
    baseline pandas + DuckDB        7.8 s wall   5.2 s CPU   peak 1065 MB = 12.2 x file
    cxresearch import (arrow path)  8.1 s wall   5.2 s CPU   peak  248 MB =  2.8 x file  0.99 x CPU
    cxresearch import (old)        26.0 s wall  13.5 s CPU   peak  268 MB =  3.1 x file  2.56 x CPU
    (round 2: 1.15 x CPU, 247 MB; 3.10 x, 290 MB)

    --no-wave-column --text-codes, 82 MB
    baseline pandas + DuckDB        5.0 s wall   4.7 s CPU   peak  803 MB =  9.7 x file
    cxresearch import (arrow path)  5.5 s wall   5.3 s CPU   peak  246 MB =  3.0 x file  1.13 x CPU
    cxresearch import (old)        18.5 s wall  15.3 s CPU   peak  274 MB =  3.3 x file  3.29 x CPU
    (round 2: 1.12 x CPU, 245 MB; 2.94 x, 267 MB)

The CPU target (1.3 x) is met in every round (0.99-1.15 x). The peak is the same 243-248 MB as
for the default file: it is nearly all fixed (about 160 MB of libraries and the open store) and
reached during DuckDB's insert of the staged rows (the arrow path's reading peaks at about
215 MB, sampled from /proc), so the 80 MB file without its wave column reads as 3.04-3.08 x,
3-6 MB over the 3 x target. In the same runs the default file measured 0.89-1.13 x CPU and
245-248 MB (2.9 x), the old tree 0.89-1.04 x: no change there.

10,000,000 rows, 846 MB (``--csv --rows 10000000 --no-baseline``, at the commit before), the
arrow path::

    cxresearch import (arrow path) 127.5 s wall  71.7 s CPU   peak  297 MB =  0.4 x file

(the old streaming path, measured by an earlier session: 190 s wall, 139.5 s CPU, 583 MB; the
baseline would hold the whole file as pandas objects, about 11 GB.)

Re-measured on ``main`` after the merge, on the quiet machine (load below 1), three interleaved
rounds, ``--csv --repeat 3 --old-src`` with the source of dae49ee (the pandas-chunk path)::

    baseline pandas + DuckDB        4.2 s wall   4.6 s CPU   peak 1075 MB = 12.7 x file
    cxresearch import (this tree)   6.1 s wall   6.4 s CPU   peak  252 MB =  3.0 x file  1.38 x CPU
    cxresearch import (old)         9.5 s wall   9.9 s CPU   peak  316 MB =  3.7 x file  2.12 x CPU
    (rounds 2 and 3: 1.42 x and 1.44 x CPU for this tree, 2.33 x and 2.34 x for the old path)

so the CPU target (1.3 x) was not met then: the checks cost about 1.9 s more than the baseline's
untyped load. The file is built in a process of its own: before, the bench built it in the
parent, whose ~300 MB peak Linux carries into the ``ru_maxrss`` of the children it forks, and the
import's peak read 305 MB (3.6 x) whenever the file was not kept from an earlier run.

Two changes closed the gap (profiled with cProfile at 1e6 rows: DuckDB's insert of the staged
Parquet took 1.9 s, the numbers' regex checks 0.9 s):

* the rows are staged as Arrow IPC stream files instead of Parquet (no page encoding on the way
  out, no decoding in DuckDB; the insert scans the stream one block at a time): DuckDB's insert
  under the 32 MB limit went from 2.2 s to 1.5 s CPU, the staging writes from 0.27 s to 0.17 s
  (the keys, read back by the checks against the store, still go to a small Parquet file);
* a column of whole numbers (every answer column, the branch codes, the wave) is checked on its
  bytes (every byte a digit, no leading zero, at most 15 digits) and cast to integers, instead of
  the regex pass: about 0.7 s at 1e6 rows; anything else still takes the regex.

Measured on 2026-12-03 on ``main`` (b3a13ac), with the tests of other sessions running alongside
(load average 4-5), ``--csv --repeat 3 --old-src`` with the source of dae49ee::

    baseline pandas + DuckDB        8.0 s wall   7.8 s CPU   peak 1074 MB = 12.7 x file
    cxresearch import (this tree)   7.2 s wall   7.4 s CPU   peak  247 MB =  2.9 x file  0.94 x CPU
    cxresearch import (old)        15.3 s wall  15.8 s CPU   peak  323 MB =  3.8 x file  2.02 x CPU
    (rounds 2 and 3: 0.98 x and 0.76 x CPU, 246-247 MB for this tree; 2.17 x and 1.55 x,
    310-319 MB for the old path)

and earlier the same day on the quieter machine, the two changes against the commit before them
(ede86a8, Parquet staging and the regex): 0.96 x and 1.13 x CPU against 1.25 x and 1.40 x, peak
244-248 MB against 250-253 MB. The GBK file without ``--encoding`` (``--gbk``): 1.37 x CPU,
268 MB = 3.3 x its 82 MB (the Parquet staging: 1.57 x, 265 MB); its pyarrow transcoding keeps
about 25 MB more than the UTF-8 read.

10,000,000 rows, 846 MB, ``--csv --rows 10000000 --no-baseline`` with the Arrow staging (5f0eaa2)::

    cxresearch import (this tree)  99.3 s wall  55.1 s CPU   peak  297 MB =  0.4 x file

(127.5 s wall, 71.7 s CPU with the Parquet staging; about 2 GB of staged rows on disk while it
runs, removed after.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cxresearch import io as cxio

N_LIKERT = 116
N_RATING = 30


def _items(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c[0] in "qr" and c[1:].isdigit()]


def build(path: Path, rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {
        "respondent_id": np.array([f"R{i:07d}" for i in range(rows)], dtype=object),
        "wave": np.full(rows, 2025.0),
        "weight": rng.uniform(0.3, 3.0, rows).round(4),
        "branch": rng.integers(1, 9, rows).astype(float),
    }
    for j in range(N_LIKERT):
        cols[f"q{j + 1:03d}"] = rng.integers(1, 6, rows).astype(float)
    for j in range(N_RATING):
        cols[f"r{j + 1:02d}"] = rng.integers(0, 11, rows).astype(float)
    df = pd.DataFrame(cols)
    items = _items(df)
    codes = rng.random((rows, len(items)))
    block = df[items].to_numpy()
    block[codes < 0.02] = 98.0
    block[(codes >= 0.02) & (codes < 0.03)] = 99.0
    df[items] = block
    labels = {c: {98.0: "Don't know", 99.0: "Refused"} for c in items}
    labels["branch"] = {float(b): f"Branch {b}" for b in range(1, 9)}
    pyreadstat.write_sav(
        df,
        path,
        column_labels={c: f"Item {c}" for c in items},
        variable_value_labels=labels,
        missing_ranges={c: [98.0, 99.0] for c in items},
        variable_measure={**{c: "ordinal" for c in items}, "branch": "nominal", "weight": "scale"},
    )
    return df


CSV_CODEBOOK = {
    "study": "bench",
    "version": "1",
    "variables": [
        {"name": "respondent_id", "kind": "id", "role": "id"},
        {"name": "customer_id", "kind": "id", "required": False},
        {"name": "wave", "kind": "wave", "role": "wave"},
        {
            "name": "branch",
            "kind": "category",
            "role": "segment",
            "values": {b: {"zh": f"分公司{b}", "en": f"Branch {b}"} for b in range(1, 9)},
        },
        {"name": "weight", "kind": "weight", "role": "weight"},
        *({"name": f"q{j:02d}", "kind": "likert", "min": 1, "max": 5} for j in range(1, 19)),
        {"name": "comment", "kind": "text", "role": "text", "required": False},
    ],
}

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, csv, store = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t0 = time.perf_counter()
opts = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}  # encoding, wave
if mode == "baseline":
    import duckdb, pandas as pd
    frame = pd.read_csv(csv, encoding=opts.get("encoding"))
    con = duckdb.connect(str(store))
    con.register("f", frame)
    con.execute("CREATE TABLE responses AS SELECT * FROM f")
    con.close()
    rows = len(frame)
else:
    from cxresearch.store import Store
    with Store(store) as st:
        rows = st.import_files([csv], client="bench", codebook=json.loads(sys.argv[4]),
                               wave=opts.get("wave")).rows_by_table["responses"]
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": wall, "cpu": use.ru_utime + use.ru_stime, "peak": use.ru_maxrss * 1024,
                  "rows": int(rows)}))
"""


#: the branches written as text codes (``--text-codes``)
TEXT_BRANCHES = ("north", "south", "east", "west", "centre", "coast", "N", "S")


def build_csv(
    path: Path,
    rows: int,
    seed: int = 0,
    block: int = 200_000,
    wave_column: bool = True,
    text_codes: bool = False,
) -> None:
    """A survey CSV of ``rows`` respondents, written in blocks (no frame of the whole file);
    ``wave_column=False`` leaves the wave column out, ``text_codes`` writes the branches as
    :data:`TEXT_BRANCHES` (the same random draws either way)."""
    rng = np.random.default_rng(seed)
    comments = np.array(
        [
            "",
            "",
            "服务很好",
            "Great service, thanks",
            "价格太贵了，配件等待时间长",
            "The engineer came late",
            "",
        ],
        dtype=object,
    )
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, rows, block):
            n = min(block, rows - start)
            ids = np.arange(start, start + n)
            cols = {
                "respondent_id": [f"R{i:08d}" for i in ids],
                "customer_id": [f"C{i:08d}" for i in ids],
                "wave": 2025,
                "branch": rng.integers(1, 9, n),
                "weight": rng.uniform(0.3, 3.0, n).round(4),
            }
            for j in range(1, 19):
                cols[f"q{j:02d}"] = rng.integers(1, 6, n)
            cols["comment"] = comments[rng.integers(0, len(comments), n)]
            if not wave_column:
                del cols["wave"]
            if text_codes:
                cols["branch"] = np.array(TEXT_BRANCHES, dtype=object)[cols["branch"] - 1]
            pd.DataFrame(cols).to_csv(fh, index=False, header=start == 0)


def csv_codebook(text_codes: bool = False) -> dict:
    """:data:`CSV_CODEBOOK`, its branches' codes :data:`TEXT_BRANCHES` with ``text_codes``."""
    import copy

    cb = copy.deepcopy(CSV_CODEBOOK)
    if text_codes:
        branch = next(v for v in cb["variables"] if v["name"] == "branch")
        branch["values"] = {c: {"en": f"Branch {c}"} for c in TEXT_BRANCHES}
    return cb


def bench_csv(
    rows: int,
    folder: Path,
    old_src: str | None,
    repeat: int = 1,
    baseline: bool = True,
    gbk: bool = False,
    wave_column: bool = True,
    text_codes: bool = False,
) -> None:
    import json
    import os
    import resource
    import subprocess
    import sys

    shape = ("" if wave_column else "-nowave") + ("-text" if text_codes else "")
    csv = folder / f"bench{shape}.csv"
    marker = folder / f"bench{shape}.rows"  # a file kept (--keep) of the same rows: not built again
    t0 = time.perf_counter()
    if not (csv.exists() and marker.exists() and marker.read_text() == str(rows)):
        # built in a process of its own: Linux carries a parent's peak RSS into the ru_maxrss of
        # the children it forks, so a bench that built the file itself (about 300 MB) reported
        # that figure, not the import's own peak
        import multiprocessing

        proc = multiprocessing.get_context("spawn").Process(
            target=build_csv,
            args=(csv, rows),
            kwargs={"wave_column": wave_column, "text_codes": text_codes},
        )
        proc.start()
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"building {csv} failed (exit {proc.exitcode})")
        marker.write_text(str(rows))
    if gbk:  # the same file in GBK, imported without --encoding (detected block by block)
        utf8, csv = csv, folder / f"bench{shape}-gbk.csv"
        with open(utf8, encoding="utf-8") as src, open(csv, "w", encoding="gbk") as dst:
            for block in iter(lambda: src.read(1 << 20), ""):
                dst.write(block)
    size = csv.stat().st_size
    print(
        f"built {csv.name}: {rows:,} rows x {25 if wave_column else 24} columns, "
        f"{size / 1e6:.0f} MB, in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    runs = [("baseline pandas + DuckDB", "baseline", src)] if baseline else []
    runs.append(("cxresearch import (this tree)", "import", src))
    if old_src:
        runs.append((f"cxresearch import (old: {old_src})", "import", old_src))
    base = None
    for label, mode, path in [r for _ in range(repeat) for r in runs]:  # rounds interleaved: the
        # machine's load changes over minutes; each round compares like with like
        store = folder / f"{mode}-{len(label)}.duckdb"
        store.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": path}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        opts = {"encoding": "gbk" if gbk else None, "wave": None if wave_column else 2025}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, mode, str(csv), str(store)]
            + [json.dumps(csv_codebook(text_codes)), json.dumps(opts)],
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode:
            print(f"{label}: failed\n{done.stderr[-2000:]}")
            continue
        res = json.loads(done.stdout.strip().splitlines()[-1])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of the whole child process (user + sys, every thread, interpreter start included)
        res["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        base = res if mode == "baseline" else base
        ratio = (
            f"  {res['wall'] / base['wall']:.2f} x baseline wall, {res['cpu'] / base['cpu']:.2f} x CPU"
            if base and mode != "baseline"
            else ""
        )
        print(
            f"{label:<40} {res['wall']:7.1f} s wall {res['cpu']:6.1f} s CPU   peak {res['peak'] / 1e6:7.0f} MB = "
            f"{res['peak'] / size:5.1f} x file{ratio}   ({res['rows']:,} rows)",
            flush=True,
        )
        store.unlink(missing_ok=True)
        store.with_name(store.name + ".wal").unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--rows", type=int, default=None, help="default 200,000 (.sav) or 1,000,000 (--csv)"
    )
    ap.add_argument("--keep", default=None, help="folder to keep the generated files in")
    ap.add_argument(
        "--csv", action="store_true", help="benchmark a store import of a CSV (issue 15)"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="with --csv: rounds of the runs (interleaved)"
    )
    ap.add_argument(
        "--no-baseline",
        action="store_true",
        help="with --csv: leave out the pandas + DuckDB baseline (e.g. for 1e7 rows)",
    )
    ap.add_argument(
        "--gbk",
        action="store_true",
        help="with --csv: the file in GBK, imported without --encoding (the baseline is told)",
    )
    ap.add_argument(
        "--no-wave-column",
        action="store_true",
        help="with --csv: the file without its wave column, imported with wave=2025",
    )
    ap.add_argument(
        "--text-codes",
        action="store_true",
        help="with --csv: the branches written as text codes (north, south, ..., N, S)",
    )
    ap.add_argument(
        "--old-src",
        default=None,
        metavar="DIR",
        help="with --csv: also import with the cxresearch source tree in DIR (the old path)",
    )
    args = ap.parse_args()
    if args.csv:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(args.keep or tmp)
            folder.mkdir(parents=True, exist_ok=True)
            bench_csv(
                args.rows or 1_000_000,
                folder,
                args.old_src,
                args.repeat,
                baseline=not args.no_baseline,
                gbk=args.gbk,
                wave_column=not args.no_wave_column,
                text_codes=args.text_codes,
            )
        return
    args.rows = args.rows or 200_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sav = folder / "bench.sav"
        t0 = time.perf_counter()
        df = build(sav, args.rows)
        t1 = time.perf_counter()
        print(
            f"built {sav.name}: {df.shape[0]:,} rows x {df.shape[1]} variables, "
            f"{sav.stat().st_size / 1e6:.0f} MB, in {t1 - t0:.1f} s"
        )

        t0, c0 = time.perf_counter(), time.process_time()
        draft = cxio.write_draft(sav, folder / "codebook.yaml", overwrite=True)
        t_draft, c_draft = time.perf_counter() - t0, time.process_time() - c0
        kinds: dict[str, int] = {}
        for v in draft.codebook.variables:
            kinds[v.kind.value] = kinds.get(v.kind.value, 0) + 1
        print(
            f"draft:  {t_draft:6.2f} s wall, {c_draft:6.2f} s CPU  (target < 10 s)  kinds: {kinds}"
        )

        t0, c0 = time.perf_counter(), time.process_time()
        res = cxio.read(sav, draft.codebook)
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
        n_cells = res.frame.shape[0] * res.frame.shape[1]
        print(
            f"import: {t_read:6.2f} s wall, {c_read:6.2f} s CPU  (target < 30 s)  {res.rows:,} rows, {n_cells / 1e6:.0f} M cells "
            f"validated, {len(res.missing):,} coded missing answers kept"
        )
        items = _items(df)
        expected = int(df[items].isin([98.0, 99.0]).to_numpy().sum())
        if len(res.missing) != expected:
            raise SystemExit(f"missing-code count {len(res.missing)} != {expected} written")


if __name__ == "__main__":
    main()
