"""Benchmark of the report runner: one demo report end to end, and batch throughput.

    python benchmarks/bench_reports.py                 # builds the demo study in a temp folder
    python benchmarks/bench_reports.py --store demo_study/study.duckdb   # reuse `make demo`'s store

Prints:
1. seconds for the demo report end to end (papermill + HTML + PDF + xlsx), with the share spent in
   kernel start (and per-notebook overhead), notebook execution, HTML and PDF;
2. batch throughput (reports per minute) for 8 reports with 1 and 2 workers, and the speed-up.

The batch reports are the demo client at 8 periods. By default they run the data-quality and KPI
notebooks to HTML (``--batch-notebooks`` / ``--batch-formats`` change that) so the batch part stays
within a few minutes; the first part is always the full report. Timings on a shared machine are noisy:
the script prints the load average next to each figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load() -> str:
    try:
        return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        return "load average n/a"


def _build_store(folder: Path, customers: int) -> Path:
    from cxresearch import codebook, synth
    from cxresearch.store import Store

    study = synth.generate(seed=2026, n_customers=customers)
    paths = synth.write(study, folder)
    files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    db = folder / "study.duckdb"
    with Store(db) as st:
        st.import_files(files, client="demo", codebook=codebook.load(paths["codebook"]))
    return db


def _params(folder: Path, name: str, store: Path, **over) -> Path:
    raw = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text(encoding="utf-8"))
    raw["data"] = {"store": str(store)}
    raw["notebook_dir"] = str(ROOT / "notebooks")
    raw.update(over)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--store", type=Path, default=None, help="existing demo store (client 'demo')")
    ap.add_argument(
        "--customers", type=int, default=4000, help="demo size when building a store (default 4000)"
    )
    ap.add_argument(
        "--batch-notebooks",
        default="01_data_quality,02_kpis",
        help="notebooks of each batch report (comma list; 'all' = every notebook)",
    )
    ap.add_argument(
        "--batch-formats", default="html", help="formats of each batch report (default html)"
    )
    ap.add_argument("--skip-batch", action="store_true", help="only the single-report figures")
    args = ap.parse_args(argv)

    from cxresearch.report import NOTEBOOKS, run_batch, run_report

    work = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    try:
        if args.store is None:
            t0 = time.perf_counter()
            store = _build_store(work / "demo", args.customers)
            print(
                f"built the demo study ({args.customers} customers) in {time.perf_counter() - t0:.1f} s"
            )
        else:
            store = args.store.resolve()

        # 1. one full report
        full = _params(
            work,
            "full",
            store,
            output={"formats": ["html", "pdf", "xlsx"], "dir": str(work / "reports")},
        )
        print(f"\n== demo report end to end ({_load()})")
        t0 = time.perf_counter()
        result = run_report(full)
        wall = time.perf_counter() - t0
        t = result.timings
        parts = {
            "kernel start + per-notebook overhead": t.get("kernel", 0.0),
            "notebook execution (cells)": t.get("cells", 0.0),
            "HTML": t.get("html", 0.0),
            "PDF (Chromium)": t.get("pdf", 0.0),
            "xlsx": t.get("xlsx", 0.0),
            "validation, manifest, other": max(
                0.0, wall - sum(t.get(k, 0.0) for k in ("kernel", "cells", "html", "pdf", "xlsx"))
            ),
        }
        print(f"total: {wall:.1f} s for {len(result.notebooks)} notebooks (target < 60 s)")
        for name, secs in parts.items():
            print(f"  {name:<40} {secs:6.1f} s  {100 * secs / wall:5.1f}%")
        print(f"  (kernel process start alone: {t.get('kernel_start', 0.0):.2f} s)")

        if args.skip_batch:
            return 0
        # 2. batch throughput: 8 reports, 1 then 2 workers
        nbs = (
            list(NOTEBOOKS)
            if args.batch_notebooks == "all"
            else [s.strip() for s in args.batch_notebooks.split(",")]
        )
        formats = [s.strip() for s in args.batch_formats.split(",")]
        throughput = {}
        for workers in (1, 2):
            folder = work / f"batch{workers}"
            folder.mkdir()
            files = [
                _params(
                    folder,
                    f"p{year}",
                    store,
                    period=str(year),
                    notebooks=nbs,
                    output={"formats": formats, "dir": str(folder / "reports")},
                )
                for year in range(2018, 2026)
            ]
            print(
                f"\n== batch of {len(files)} reports ({', '.join(nbs)} → {', '.join(formats)}), "
                f"{workers} worker(s) ({_load()})"
            )
            t0 = time.perf_counter()
            batch = run_batch(files, workers=workers)
            secs = time.perf_counter() - t0
            ok = sum(i.ok for i in batch.items)
            throughput[workers] = len(files) / secs * 60
            print(
                f"  {ok}/{len(files)} ok in {secs:.1f} s: {throughput[workers]:.1f} reports/minute"
            )
            for item in batch.failed:
                print(f"  FAILED {item.params}: {item.error}")
        speedup = throughput[2] / throughput[1]
        print(
            f"\nspeed-up with 2 workers: {speedup:.2f}x (target >= 1.6x; {os.cpu_count()} CPUs, {_load()})"
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
