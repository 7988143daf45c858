"""Benchmark: draft a codebook from, and read + validate, a large SPSS file with user-missing codes.

Builds a 200,000-respondent x 150-variable ``.sav`` (an id, the wave, a weight, a branch category,
116 five-point items, 30 eleven-point ratings; 98 = don't know and 99 = refused declared user-missing
on every item, about 3 % of answers coded), then times

* ``cxresearch.io.draft_codebook`` (target under 10 s), and
* ``cxresearch.io.read`` with that codebook: read, validate every cell, build the frame and the
  long missing-code record (target under 30 s).

Usage: ``python benchmarks/bench_import.py [--rows N] [--keep DIR]``. Prints wall-clock and CPU
time of each step (CPU time is the better guide on a loaded, shared machine).
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


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument(
        "--keep", default=None, help="folder to keep the generated .sav and codebook in"
    )
    args = ap.parse_args()
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
