"""``cxresearch demo``: generate the demo study, import it into a store, and render its report.

This is what ``make demo`` runs. Everything it writes is generated output: the demo folder (default
``demo_study/``) holds the study's files and its store, and the report goes to ``reports/demo/<period>/``
(in the current folder). The demo parameters are the checkout's ``params/demo.yaml``, or the copy an
installed package ships (:func:`cxresearch.report.params.demo_params_file`), so a plain ``pip install``
runs the demo from any folder.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the demo study end to end: generate, import into a store, render the report",
        description="Generate the demo study (a machinery dealer with known truth), import its files "
        "into a fresh DuckDB store, and render the demo report when the report module is installed.",
    )
    p.add_argument(
        "--out",
        default="demo_study",
        help="folder for the demo files and store (default demo_study)",
    )
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.add_argument(
        "--customers", type=int, default=4000, help="customers at the start (default 4000)"
    )
    p.add_argument(
        "--params",
        default=None,
        help="report parameters (default: the demo's params/demo.yaml, shipped with the package)",
    )
    p.add_argument("--no-report", action="store_true", help="stop after the import")
    p.set_defaults(func=run)


def run(args) -> int:
    from cxresearch import codebook, store, synth
    from cxresearch.errors import CXValueError

    params = None
    if not args.no_report and importlib.util.find_spec("cxresearch.report") is not None:
        from cxresearch.report.params import demo_params_file

        params = Path(args.params) if args.params is not None else demo_params_file()
        if not params.is_file():
            raise CXValueError(f"--params: file not found: {params}")
    out = Path(args.out)
    t0 = time.perf_counter()
    study = synth.generate(seed=args.seed, n_customers=args.customers)
    paths = synth.write(study, out)
    t1 = time.perf_counter()
    print(f"[1/3] generated the demo study (seed {args.seed}) into {out}/ in {t1 - t0:.1f} s")
    print(
        f"      {len(study.responses):,} survey responses in {study.n_waves} waves, "
        f"{study.customers['customer_id'].nunique():,} customers and prospects, "
        f"{len(study.employees):,} employee responses, {len(study.comments):,} comments"
    )

    db = out / "study.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        if stale.exists():
            stale.unlink()  # the demo store is generated output: rebuild it from scratch
    data_files = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    cb = codebook.load(paths["codebook"])
    with store.Store(db) as st:
        report = st.import_files(data_files, client="demo", codebook=cb)
    t2 = time.perf_counter()
    print(f"[2/3] imported {len(data_files)} files into {db} (client 'demo') in {t2 - t1:.1f} s")
    for line in _describe(report):
        print(f"      {line}")

    if args.no_report:
        return 0
    if params is None:
        print("[3/3] report: skipped (no report module)")
        return 0
    from cxresearch.report import run_report

    result = run_report(_params_for(params, db))
    t3 = time.perf_counter()
    print(f"[3/3] rendered the demo report in {t3 - t2:.1f} s")
    for line in _describe_outputs(result):
        print(f"      {line}")
    return 0


def _params_for(params: Path, db: Path) -> Path:
    """The params to render: ``params`` itself when its ``data.store`` is the store just built, else
    a copy beside that store (``<out>/<name>.yaml``) pointing at it, so ``--out`` renders the study
    it generated (the report goes where the params send it, as without ``--out``). The original
    params file is not modified."""
    import yaml

    from cxresearch.codebook import write_text_atomic

    raw = yaml.safe_load(params.read_text(encoding="utf-8")) or {}
    store = (raw.get("data") or {}).get("store")
    if store is not None and (params.parent / store).resolve() == db.resolve():
        return params
    raw.setdefault("data", {})["store"] = db.name
    copy = db.parent / params.name
    write_text_atomic(
        copy,
        "# written by `cxresearch demo --out`: "
        + str(params)
        + " pointed at the store built here\n"
        + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False),
    )
    return copy


def _describe(report) -> list[str]:
    rows = getattr(report, "rows_by_table", None)
    if isinstance(rows, dict):
        return [f"{table:<10} {n:>9,} rows" for table, n in rows.items()]
    return [str(report)]


def _describe_outputs(result) -> list[str]:
    if isinstance(result, dict):
        return [f"{k:<10} {v}" for k, v in result.items()]
    fields = ("html", "pdf", "tables", "tabs", "manifest", "directory")
    lines = [f"{f:<10} {getattr(result, f)}" for f in fields if getattr(result, f, None)]
    return lines or [str(result)]
