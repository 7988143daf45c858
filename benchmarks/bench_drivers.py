"""Benchmark of key driver analysis (issue 4), side by side with pingouin, in one run.

    .venv/bin/python benchmarks/bench_drivers.py            # pingouin up to p = 15
    .venv/bin/python benchmarks/bench_drivers.py --full     # pingouin at p = 20 too (minutes)
    .venv/bin/python benchmarks/bench_drivers.py --bootstrap  # issue 14 only: old vs new bootstrap

Prints one table: wall-clock seconds of ``cxresearch.drivers.shapley`` (whole call from the
DataFrame: the one pass over the rows plus the exact subset walk) and of
``pingouin.linear_regression(X, y, relimp=True)``, the speed-up and the largest absolute difference
of the LMG values; then p = 25, p = 15 at n = 1,000,000 and the bootstrap. Each figure is the best
of ``--repeat`` runs (default 3); the numba kernels are compiled (or loaded from cache) first.

``--bootstrap`` (issue 14) times ``shapley(ci=True, n_boot=1000)`` at n = 100,000, p = 15 and 20, with
today's implementation and with the one before issue 14 in the same run: the old code path is the
same function with its three pieces swapped back in — one weighted pass per replicate
(``_bootstrap.replicate_corrs_loop``), the per-replicate subset walk (``_kernels.lmg_batch_walk``)
and the 1,000-group jackknife — and prints the speed-up and the largest difference between the old
and new interval limits (percentile: the same replicates, so rounding only; BCa: the acceleration
from 200 instead of 1,000 jackknife groups), with the difference between two seeds for scale.

Measured in one run (``--bootstrap``) on the shared 2-core development machine under heavy load
from other sessions (load average 11.7 at the start, 5.7 at the end), 2026-12-03; seconds, n_boot
1,000, n = 100,000; ``cpu`` = CPU time of the process (all threads), steadier than wall time here:

    p   ci_method    point  old     new    speed-up  old cpu  new cpu  cpu speed-up  max |Δ CI|  seed Δ CI  CI width
    15  bca          0.08   54.1    3.64   14.9x     21.8     1.67     13.1x         1.3e-05     2.1e-04    0.0025
    15  percentile   0.08   83.1    5.53   15.0x     22.0     1.44     15.3x         3.2e-09     1.6e-04    0.0025
    20  bca          0.33   349.6   28.1   12.4x     101.1    5.51     18.4x         1.0e-05     1.8e-04    0.0017
    20  percentile   0.33   197.2   16.2   12.2x     74.2     4.33     17.2x         1.3e-09     1.4e-04    0.0017

``max |Δ CI|`` is the largest difference between the old and the new interval limits (percentile:
the same replicates, single-precision rounding only; BCa: the acceleration from 200 instead of
1,000 jackknife groups); ``seed Δ CI`` the largest difference between the new limits with seeds 1
and 2 (the bootstrap's own Monte-Carlo error), 10^4-10^5 times the percentile difference.

Where the time goes at p = 15 (CPU seconds, one BLAS thread, measured piece by piece; the old
call took 22 s of CPU in all, one weighted pass over the rows per replicate): the 10^8 row draws (numpy, kept identical to
the old ones; drawn as int32, the same stream) take 0.3 s, counting them 0.15 s, the cross-products
of the counts with the rows' centred moments as single-precision BLAS products 0.55 s (double
precision: 1.1 s), the blocked subset walk over the 1,000 replicates 0.1 s, the BCa jackknife (200
groups) 0.1 s. The draws and counts of one batch overlap the product of the previous batch (two
threads); OpenBLAS runs single-threaded meanwhile, since its idle threads' spinning cost about
0.5 s of CPU. At p = 20 the subset walk (2^20 subsets, 32 replicates per walk) is about half of
the new time (2.4 s CPU).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd


def simulate(n: int, p: int, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(n, 1))
    X = 0.6 * factor + rng.normal(size=(n, p))
    beta = rng.uniform(0.1, 1.0, size=p)
    y = X @ beta + rng.normal(size=n) * 2.0
    names = [f"x{i:02d}" for i in range(p)]
    df = pd.DataFrame(X, columns=names)
    df["y"] = y
    df["w"] = rng.gamma(4.0, 0.25, size=n)
    return df, names


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


class _OldBootstrap:
    """Context manager: the driver bootstrap as it was before issue 14."""

    def __enter__(self):
        from cxresearch.drivers import _bootstrap, _kernels

        self._saved = (_bootstrap.replicate_corrs, _kernels.lmg_batch, _bootstrap.JACKKNIFE_GROUPS)
        _bootstrap.replicate_corrs = _bootstrap.replicate_corrs_loop
        _kernels.lmg_batch = _kernels.lmg_batch_walk
        _bootstrap.JACKKNIFE_GROUPS = 1000
        return self

    def __exit__(self, *exc):
        from cxresearch.drivers import _bootstrap, _kernels

        _bootstrap.replicate_corrs, _kernels.lmg_batch, _bootstrap.JACKKNIFE_GROUPS = self._saved
        return False


def bootstrap_old_vs_new(
    n_boot: int = 1000, n: int = 100_000, ps=(15, 20), methods=("bca", "percentile")
) -> None:
    import cxresearch.drivers as drv

    load = os.getloadavg()
    warm, names = simulate(500, 5)
    drv.shapley(warm, outcome="y", drivers=names, ci=True, n_boot=60, seed=0)
    with _OldBootstrap():
        drv.shapley(warm, outcome="y", drivers=names, ci=True, n_boot=60, seed=0)
    rows = []
    for p in ps:
        df, names = simulate(n, p, seed=p)
        t0 = time.perf_counter()
        drv.shapley(df, outcome="y", drivers=names)
        t_point = time.perf_counter() - t0
        for method in methods:
            kw = dict(outcome="y", drivers=names, ci=True, n_boot=n_boot, seed=1, ci_method=method)
            t0, c0 = time.perf_counter(), time.process_time()
            new = drv.shapley(df, **kw).importance
            t_new, c_new = time.perf_counter() - t0, time.process_time() - c0
            with _OldBootstrap():
                t0, c0 = time.perf_counter(), time.process_time()
                old = drv.shapley(df, **kw).importance
                t_old, c_old = time.perf_counter() - t0, time.process_time() - c0
            lims = ["ci_lower", "ci_upper"]
            diff = float(np.max(np.abs(new[lims].to_numpy() - old[lims].to_numpy())))
            width = float((old["ci_upper"] - old["ci_lower"]).mean())
            # the bootstrap's own Monte-Carlo error: the same call with another seed
            other = drv.shapley(df, **{**kw, "seed": 2}).importance
            mc = float(np.max(np.abs(new[lims].to_numpy() - other[lims].to_numpy())))
            rows.append(
                (
                    p,
                    n,
                    n_boot,
                    method,
                    t_point,
                    t_old,
                    t_new,
                    t_old / t_new,
                    c_old,
                    c_new,
                    c_old / c_new,
                    diff,
                    mc,
                    width,
                )
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(
        rows,
        columns=[
            "p",
            "n",
            "n_boot",
            "ci_method",
            "point_s",
            "old_s",
            "new_s",
            "speedup",
            "old_cpu_s",
            "new_cpu_s",
            "cpu_speedup",
            "max_abs_ci_diff",
            "seed_ci_diff",
            "mean_ci_width",
        ],
    )
    print(
        f"load average before the run: {load[0]:.1f}; after: {os.getloadavg()[0]:.1f} "
        f"({os.cpu_count()} CPUs; cpu = process CPU time, all threads)"
    )
    with pd.option_context("display.width", 140, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also time pingouin at p = 20")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--bootstrap",
        action="store_true",
        help="only the issue-14 comparison of the old and new bootstrap",
    )
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--p", type=int, nargs="+", default=[15, 20], help="with --bootstrap")
    ap.add_argument("--methods", nargs="+", default=["bca", "percentile"], help="with --bootstrap")
    args = ap.parse_args()
    if args.bootstrap:
        bootstrap_old_vs_new(args.n_boot, ps=args.p, methods=args.methods)
        return

    import pingouin as pg

    import cxresearch.drivers as drv

    warm, names = simulate(500, 5)
    drv.shapley(warm, outcome="y", drivers=names, ci=True, n_boot=60, seed=0)

    rows = []
    for p in (8, 12, 15, 20):
        df, names = simulate(100_000, p, seed=p)
        t_cx, res = best(
            lambda df=df, names=names: drv.shapley(df, outcome="y", drivers=names), args.repeat
        )
        t_pg = diff = np.nan
        if p <= 15 or args.full:
            reps = args.repeat if p <= 12 else 1
            t_pg, lm = best(
                lambda df=df, names=names: pg.linear_regression(df[names], df["y"], relimp=True),
                reps,
            )
            diff = float(
                np.max(np.abs(res.importance["lmg"].to_numpy() - lm["relimp"].to_numpy()[1:]))
            )
        rows.append(("exact LMG", p, 100_000, t_cx, t_pg, t_pg / t_cx, diff))

    df, names = simulate(1_000_000, 15, seed=1)
    t_cx, _ = best(lambda: drv.shapley(df, outcome="y", drivers=names), args.repeat)
    t_w, _ = best(lambda: drv.shapley(df, outcome="y", drivers=names, weights="w"), args.repeat)
    rows.append(("exact LMG", 15, 1_000_000, t_cx, np.nan, np.nan, np.nan))
    rows.append(("exact LMG, weighted", 15, 1_000_000, t_w, np.nan, np.nan, np.nan))
    del df

    df, names = simulate(100_000, 25, seed=25)
    t25, r25 = best(lambda: drv.shapley(df, outcome="y", drivers=names), 1)
    rows.append(
        ("exact LMG", 25, 100_000, t25, np.nan, np.nan, abs(r25.importance["lmg"].sum() - r25.r2))
    )  # r2 solved directly

    df, names = simulate(5_000, 10, seed=10)
    for method in ("percentile", "bca"):
        t_b, _ = best(
            lambda method=method: drv.shapley(
                df,
                outcome="y",
                drivers=names,
                weights="w",
                ci=True,
                n_boot=1000,
                ci_method=method,
                seed=1,
            ),
            args.repeat,
        )
        rows.append((f"bootstrap 1000 x, {method}", 10, 5_000, t_b, np.nan, np.nan, np.nan))

    table = pd.DataFrame(
        rows, columns=["task", "p", "n", "cxresearch_s", "pingouin_s", "speedup", "max_abs_diff"]
    )
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    print("max_abs_diff: |LMG cxresearch - pingouin| (p = 25 row: |sum LMG - R²|)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {rss:,.0f} MB")


if __name__ == "__main__":
    main()
