"""``cxresearch batch params/*.yaml --workers N``: many reports in parallel, with a summary."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="render many reports in parallel (one per params file)",
        description="Run one report per params file (folders are expanded to their *.yaml files) in "
        "parallel worker processes, or on a Dask distributed cluster. Continues past failures, prints "
        "a summary table and exits non-zero if any report failed.",
    )
    p.add_argument("params", nargs="+", help="params YAML files or folders of them")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes (default 1)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask distributed scheduler, e.g. tcp://host:8786 "
        "(needs the distributed extra: pip install 'cxresearch[distributed]')",
    )
    p.add_argument("--out", default=None, metavar="DIR", help="reports root for every report")
    p.add_argument(
        "--lang", choices=("zh", "en"), default=None, help="override every report's language"
    )
    p.add_argument(
        "--formats",
        default=None,
        metavar="LIST",
        help="comma-separated subset of html,pdf,xlsx,tabs,pptx",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from cxresearch.report.batch import collect_params, run_batch

    files = collect_params(args.params)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats else None
    err = Console(stderr=True)
    out = Console()
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{args.workers} worker(s)"
    with Progress(
        TextColumn("[bold]reports"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(f"on {where}", total=len(files))

        def done(item) -> None:
            mark = "ok" if item.ok else "FAILED"
            progress.console.print(
                f"{mark:>6}  {item.params}  ({item.seconds:.1f} s)", highlight=False
            )
            progress.advance(task)

        result = run_batch(
            files,
            workers=args.workers,
            scheduler=args.scheduler,
            out_root=args.out,
            formats=formats,
            lang=args.lang,
            on_done=done,
        )
    table = Table(title=f"{len(result.items)} report(s) in {result.seconds:.1f} s on {where}")
    table.add_column("status")
    table.add_column("params")
    table.add_column("time", justify="right")
    table.add_column("output / error", overflow="fold")
    for item in result.items:
        status = "[green]ok[/green]" if item.ok else "[red]failed[/red]"
        detail = (
            item.directory
            if item.ok
            else " ".join(line.strip() for line in (item.error or "").splitlines())
        )
        table.add_row(status, item.params, f"{item.seconds:.1f} s", detail)
    out.print(table)
    if not result.ok:
        print(f"{len(result.failed)} of {len(result.items)} report(s) failed", file=sys.stderr)
        return 1
    return 0
