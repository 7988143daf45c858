"""Run many reports: parallel processes on this machine, or a Dask distributed cluster.

Each params file is one job (:func:`cxresearch.report.run_report` in a worker process). A failed
report does not stop the others; the result lists every job with its status, time and output
folder or error. The same job function runs under a local process pool and under
``dask.distributed`` (``scheduler=`` an address such as ``tcp://10.0.0.5:8786``).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import require_extra
from cxresearch.errors import CXError, CXValueError

__all__ = ["BatchItem", "BatchResult", "collect_params", "run_batch"]


@dataclass(frozen=True)
class BatchItem:
    """Outcome of one report in a batch."""

    params: str
    ok: bool
    seconds: float
    directory: str | None = None
    html: str | None = None
    pdf: str | None = None
    error: str | None = None


@dataclass(frozen=True, repr=False)
class BatchResult(ResultDisplay):
    """All outcomes of a batch, in the order the params were given."""

    items: tuple[BatchItem, ...]
    seconds: float
    workers: int
    scheduler: str | None = None

    @property
    def ok(self) -> bool:
        """True when every report succeeded."""
        return all(item.ok for item in self.items)

    @property
    def failed(self) -> tuple[BatchItem, ...]:
        """The failed reports."""
        return tuple(item for item in self.items if not item.ok)

    def to_frame(self):
        """One row per report: ``params, ok, seconds, directory, html, pdf, error``."""
        import pandas as pd

        return pd.DataFrame([item.__dict__ for item in self.items])


def collect_params(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their ``*.yaml``/``*.yml`` files (sorted); keep files as given.

    Raises
    ------
    CXValueError
        A path does not exist, or nothing is left to run.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(
                p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        elif path.exists():
            out.append(path)
        else:
            raise CXValueError(f"params file or folder not found: {str(raw)!r}")
    if not out:
        raise CXValueError("no params files to run (give YAML files or folders holding them)")
    return list(dict.fromkeys(out))


def _clashes(files: list[str], root: str | None, lang: str | None = None) -> dict[str, str]:
    """``{params file: earlier params file}`` for files whose report folder an earlier file writes."""
    from cxresearch.report.params import load_params

    seen: dict[tuple, str] = {}
    out: dict[str, str] = {}
    for f in files:
        try:
            p = load_params(f, check_files=False)
        except CXError:
            continue  # reported by its own job
        base = Path(root) if root is not None else (p.output.dir or Path.cwd() / "reports")
        # files are named with the language: a zh and an en report of one folder do not clash
        key = (str(Path(base).resolve()), p.client, p.period, lang or p.language)
        if key in seen:
            out[f] = seen[key]
        else:
            seen[key] = f
    return out


def _job(
    params: str, out_root: str | None, formats: list[str] | None, lang: str | None
) -> BatchItem:
    """Run one report; never raises (the error is returned as text)."""
    t0 = time.perf_counter()
    try:
        from cxresearch.report.run import run_report

        result = run_report(params, out_root=out_root, formats=formats, lang=lang)
    except CXError as exc:
        return BatchItem(params=params, ok=False, seconds=time.perf_counter() - t0, error=str(exc))
    except Exception as exc:  # a bug or an environment problem: report it, keep the batch going
        return BatchItem(
            params=params,
            ok=False,
            seconds=time.perf_counter() - t0,
            error=f"{type(exc).__name__}: {exc}",
        )
    return BatchItem(
        params=params,
        ok=True,
        seconds=time.perf_counter() - t0,
        directory=str(result.directory),
        html=str(result.html) if result.html else None,
        pdf=str(result.pdf) if result.pdf else None,
    )


def run_batch(
    params: Sequence[str | Path],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    out_root: str | Path | None = None,
    formats: list[str] | None = None,
    lang: str | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
) -> BatchResult:
    """Run one report per params file, in parallel.

    Parameters
    ----------
    params : sequence of path
        Params files, or folders of them (see :func:`collect_params`).
    workers : int, default 1
        Worker processes on this machine (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running Dask distributed scheduler; the jobs run on its workers instead.
    out_root, formats, lang
        Passed to :func:`cxresearch.report.run_report` for every report.
    on_done : callable, optional
        Called with each :class:`BatchItem` as it finishes (e.g. to advance a progress bar).

    Returns
    -------
    BatchResult
        Every report's outcome, in the order given. Never raises for a failed report.

    Raises
    ------
    CXValueError
        Bad ``workers``, a missing params path, or an unreachable scheduler.

    Examples
    --------
    Every params file of a folder, two reports at a time, HTML only (each report as
    :func:`run_report` renders it):

    >>> import cxresearch as cx
    >>> res = cx.report.run_batch(["params/"], workers=2, formats=["html"])  # doctest: +SKIP
    >>> res.ok  # doctest: +SKIP
    True
    >>> res.to_frame()[["params", "ok"]]  # doctest: +SKIP
                 params    ok
    0  params/demo.yaml  True
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise CXValueError(f"workers must be a whole number >= 1; got {workers!r}")
    files = [str(p) for p in collect_params(params)]
    root = str(out_root) if out_root is not None else None
    t0 = time.perf_counter()
    done: dict[str, BatchItem] = {}

    def record(item: BatchItem) -> None:
        done[item.params] = item
        if on_done is not None:
            on_done(item)

    # Two params files writing the same folder would overwrite each other: run the first only.
    for f, first in _clashes(files, root, lang).items():
        record(
            BatchItem(
                params=f,
                ok=False,
                seconds=0.0,
                error=f"{f}: writes the same report folder as {first} (same client, period, language and output root)",
            )
        )
    files_to_run = [f for f in files if f not in done]

    if scheduler is not None:
        distributed = require_extra(
            "dask.distributed",
            extra="distributed",
            purpose="batch on a Dask cluster (scheduler=...)",
        )
        Client, dask_completed = distributed.Client, distributed.as_completed
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise CXValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        try:
            futures = [
                client.submit(_job, f, root, formats, lang, pure=False, key=f"cxreport-{i}")
                for i, f in enumerate(files_to_run)
            ]
            for future in dask_completed(futures):
                record(future.result())
            n_workers = len(client.scheduler_info().get("workers", {}))
        finally:
            client.close()
    elif workers == 1:
        n_workers = 1
        for f in files_to_run:
            record(_job(f, root, formats, lang))
    else:
        n_workers = max(1, min(workers, len(files_to_run)))
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = {pool.submit(_job, f, root, formats, lang): f for f in files_to_run}
            for future in as_completed(futures):
                try:
                    record(future.result())
                except Exception as exc:  # the worker process died
                    record(
                        BatchItem(
                            params=futures[future],
                            ok=False,
                            seconds=time.perf_counter() - t0,
                            error=f"worker process failed: {type(exc).__name__}: {exc}",
                        )
                    )
    return BatchResult(
        items=tuple(done[f] for f in files),
        seconds=time.perf_counter() - t0,
        workers=n_workers,
        scheduler=scheduler,
    )
