"""``cxresearch import``: check data files against the codebook and load them into a study store.

All the files of one call are loaded in one transaction: any problem in any file and nothing is
loaded (the store is left as it was, and a store this call would have created is not left behind).
"""

from __future__ import annotations

import sys
from pathlib import Path

TABLE_CHOICES = ("auto", "responses", "customers", "employees", "comments")
#: seconds an import waits for a store another process holds (a report copying its snapshot)
IMPORT_WAIT = 120.0


def register(sub) -> None:
    p = sub.add_parser(
        "import",
        help="check data files against the codebook and load them into a study store",
        description="Check survey waves (.csv, .xlsx, .sav, .parquet), CRM extracts, employee survey "
        "and comment files against the codebook and load them into a DuckDB study store, all in one "
        "transaction: if any file has a problem, every problem is listed and nothing is loaded. A "
        "file already imported for the client (same content) is refused.",
    )
    p.add_argument(
        "--store", required=True, metavar="FILE", help="the DuckDB study store (created if absent)"
    )
    p.add_argument("--client", required=True, metavar="ID", help="the client the data belong to")
    p.add_argument("--codebook", required=True, metavar="FILE", help="the study's codebook (YAML)")
    p.add_argument(
        "--table",
        default="auto",
        choices=TABLE_CHOICES,
        help="where the files go (default auto: told from each file's columns)",
    )
    p.add_argument(
        "--employee-scale",
        nargs=2,
        type=float,
        default=(1.0, 5.0),
        metavar=("MIN", "MAX"),
        help="allowed range of employee survey items q01… (default 1 5)",
    )
    p.add_argument(
        "--skip-imported",
        action="store_true",
        help="leave out files whose content was imported for the client before, instead "
        "of refusing the call (load a whole delivery folder again)",
    )
    p.add_argument(
        "--encoding",
        default=None,
        metavar="CODEC",
        help="text encoding of the CSV files (e.g. utf-8, gbk, big5, cp1252) instead of "
        "detecting it; the whole file must still decode cleanly",
    )
    p.add_argument(
        "--wave",
        type=int,
        default=None,
        metavar="WAVE",
        help="the wave (e.g. the year 2024) of survey files that have no wave column; "
        "a survey file with its own wave column is refused with it. Survey files "
        "without a respondent id column get ids made from the file's sha256 and row "
        "number (the summary says so)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="read and validate only; write nothing (the store is not created)",
    )
    p.add_argument("data", nargs="+", metavar="DATA", help="data files to import")
    p.set_defaults(func=run)


def run(args) -> int:
    from cxresearch.store import Store

    store_path = Path(args.store)
    existed = store_path.exists()
    if args.check and not existed:
        return _check_without_store(args)
    store = Store(
        store_path, read_only=args.check, wait=IMPORT_WAIT
    )  # a report may be taking its snapshot
    ok = False
    summary = None
    try:
        report = store.import_files(
            args.data,
            client=args.client,
            codebook=args.codebook,
            table=args.table,
            employee_scale=tuple(args.employee_scale),
            skip_imported=args.skip_imported,
            dry_run=args.check,
            wave=args.wave,
            encoding=args.encoding,
        )
        ok = True
        if not args.check and report.rows_by_table.get("missing_codes"):
            summary = store.missing_summary(args.client)
    finally:
        store.close()
        if not ok and not existed:
            _remove_store(store_path)
    for line in describe(report, store=store_path, check=args.check):
        print(line)
    if summary is not None:
        for line in describe_missing(summary, client=args.client):
            print(line)
    return 0


def describe_missing(summary, *, client: str, top: int = 10) -> list[str]:
    """The largest shares of missing codes per item (a data-quality finding in itself)."""
    rows = summary.sort_values(["share", "variable"], ascending=[False, True]).head(top)
    lines = [
        f"  missing codes kept for client {client!r} (largest shares of the respondents asked):"
    ]
    for r in rows.itertuples(index=False):
        code = int(r.code) if float(r.code).is_integer() else r.code
        lines.append(
            f"    {r.variable:<24} {code!s:>6} {r.meaning or '':<15} {r.n:>9,} of {r.base:>9,}"
            f"  {r.share:6.1%}"
        )
    if len(summary) > top:
        lines.append(f"    … {len(summary) - top} more (item, code) pairs: Store.missing_summary()")
    return lines


def _check_without_store(args) -> int:
    """``--check`` against a store that does not exist: validate in a throw-away store."""
    import tempfile

    from cxresearch.store import Store

    with tempfile.TemporaryDirectory(prefix="cx-check-") as tmp:
        with Store(Path(tmp) / "check.duckdb") as store:
            report = store.import_files(
                args.data,
                client=args.client,
                codebook=args.codebook,
                table=args.table,
                employee_scale=tuple(args.employee_scale),
                skip_imported=args.skip_imported,
                dry_run=True,
                wave=args.wave,
                encoding=args.encoding,
            )
    for line in describe(report, store=Path(args.store), check=True):
        print(line)
    return 0


def _remove_store(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # pragma: no cover - best effort, say so
            print(f"warning: could not remove {p}: {exc}", file=sys.stderr)


def describe(report, *, store: Path, check: bool = False) -> list[str]:
    """Lines telling what an import did (or, with ``check``, would do)."""
    n = len(report.files)
    verb = "checked" if check else "imported"
    cb = report.codebook_study or "codebook"
    lines = [
        f"{verb} {n} file{'s' if n != 1 else ''} for client {report.client!r} "
        f"{'against' if check else 'into'} {store} in {report.seconds:.1f} s "
        f"({cb} version {report.codebook_version}, sha256 {report.codebook_sha256[:12]})"
    ]
    width = max([len(f.file) for f in report.files] + [len(s[0]) for s in report.skipped] + [4])
    lines.append(
        f"  {'file':<{width}}  {'table':<9}  {'format':<7}  {'encoding':<8}  "
        f"{'rows':>9}  {'missing':>8}  {'comments':>8}"
    )
    for f in report.files:
        lines.append(
            f"  {f.file:<{width}}  {f.table:<9}  {f.format:<7}  {f.encoding or '-':<8}  "
            f"{f.rows:>9,}  {f.missing:>8,}  {f.comments:>8,}"
        )
    for file, old_file, import_id, when in report.skipped:
        lines.append(
            f"  {file:<{width}}  skipped: imported before as {old_file!r} on "
            f"{when:%Y-%m-%d %H:%M:%S} UTC (import {import_id})"
        )
    rows = report.rows_by_table
    lines.append(
        "  rows "
        + ("that would be written: " if check else "written: ")
        + ", ".join(
            f"{t} {rows.get(t, 0):,}"
            for t in ("responses", "customers", "employees", "comments", "missing_codes")
        )
    )
    if report.added_columns:
        by_table: dict[str, list[str]] = {}
        for table, col, _ in report.added_columns:
            by_table.setdefault(table, []).append(col)
        for table, cols in by_table.items():
            lines.append(f"  new columns in {table} ({len(cols)}): {', '.join(cols)}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if check:
        lines.append("  nothing was written (--check)")
    return lines
