"""Benchmark of the banner book (cxresearch.report.tabs): build and write on the demo study's focus wave.

Workload: every question of the demo codebook (18 tables: 1–5 items, 0–10 ratings, NPS, a count)
against the banner branch (8 columns) + segment (2), weighted, design-based letters with Holm's
correction; then the workbook. Prints wall and CPU seconds. Run:
``.venv/bin/python benchmarks/bench_tabs.py [n_customers]`` (default 4000: ~2,900 respondents a wave).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cxresearch import synth
from cxresearch.report import tabs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n_customers", nargs="?", type=int, default=4000)
    args = ap.parse_args()
    study = synth.generate(seed=0, n_customers=args.n_customers, n_waves=4)
    resp = study.responses
    wave = resp[resp["wave"] == resp["wave"].max()]
    c0, t0 = time.process_time(), time.perf_counter()
    book = tabs.build_tabs(
        wave, codebook=study.codebook, banners=["branch", "segment"], weights="weight"
    )
    build = (time.perf_counter() - t0, time.process_time() - c0)
    n_tests = sum(len(s.tests) for s in book.sheets)
    with tempfile.TemporaryDirectory() as tmp:
        c0, t0 = time.process_time(), time.perf_counter()
        path = tabs.write_tabs(book, Path(tmp) / "tabs.en.xlsx")
        write = (time.perf_counter() - t0, time.process_time() - c0)
        size = path.stat().st_size
    print(
        f"respondents {len(wave):,}; tables {len(book.sheets)}; banner columns {len(book.columns) - 1}; "
        f"pairwise tests {n_tests:,}"
    )
    print(f"build  {build[0]:6.2f} s wall  {build[1]:6.2f} s CPU")
    print(f"write  {write[0]:6.2f} s wall  {write[1]:6.2f} s CPU  ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
