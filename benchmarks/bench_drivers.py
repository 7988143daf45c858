"""Benchmark of key driver analysis (issue 4), side by side with pingouin, in one run.

    .venv/bin/python benchmarks/bench_drivers.py            # pingouin up to p = 15
    .venv/bin/python benchmarks/bench_drivers.py --full     # pingouin at p = 20 too (minutes)

Prints one table: wall-clock seconds of ``cxresearch.drivers.shapley`` (whole call from the
DataFrame: the one pass over the rows plus the exact subset walk) and of
``pingouin.linear_regression(X, y, relimp=True)``, the speed-up and the largest absolute difference
of the LMG values; then p = 25, p = 15 at n = 1,000,000 and the bootstrap. Each figure is the best
of ``--repeat`` runs (default 3); the numba kernels are compiled (or loaded from cache) first.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also time pingouin at p = 20")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import pingouin as pg

    import cxresearch.drivers as drv

    warm, names = simulate(500, 5)
    drv.shapley(warm, outcome="y", drivers=names, ci=True, n_boot=60, seed=0)

    rows = []
    for p in (8, 12, 15, 20):
        df, names = simulate(100_000, p, seed=p)
        t_cx, res = best(lambda df=df, names=names: drv.shapley(df, outcome="y", drivers=names),
                         args.repeat)
        t_pg = diff = np.nan
        if p <= 15 or args.full:
            reps = args.repeat if p <= 12 else 1
            t_pg, lm = best(
                lambda df=df, names=names: pg.linear_regression(df[names], df["y"], relimp=True),
                reps,
            )
            diff = float(np.max(np.abs(res.importance["lmg"].to_numpy()
                                       - lm["relimp"].to_numpy()[1:])))
        rows.append(("exact LMG", p, 100_000, t_cx, t_pg, t_pg / t_cx, diff))

    df, names = simulate(1_000_000, 15, seed=1)
    t_cx, _ = best(lambda: drv.shapley(df, outcome="y", drivers=names), args.repeat)
    t_w, _ = best(lambda: drv.shapley(df, outcome="y", drivers=names, weights="w"), args.repeat)
    rows.append(("exact LMG", 15, 1_000_000, t_cx, np.nan, np.nan, np.nan))
    rows.append(("exact LMG, weighted", 15, 1_000_000, t_w, np.nan, np.nan, np.nan))
    del df

    df, names = simulate(100_000, 25, seed=25)
    t25, r25 = best(lambda: drv.shapley(df, outcome="y", drivers=names), 1)
    rows.append(("exact LMG", 25, 100_000, t25, np.nan, np.nan,
                 abs(r25.importance["lmg"].sum() - r25.r2)))  # r2 solved directly

    df, names = simulate(5_000, 10, seed=10)
    for method in ("percentile", "bca"):
        t_b, _ = best(lambda method=method: drv.shapley(df, outcome="y", drivers=names,
                                                         weights="w", ci=True, n_boot=1000,
                                                         ci_method=method, seed=1), args.repeat)
        rows.append((f"bootstrap 1000 x, {method}", 10, 5_000, t_b, np.nan, np.nan, np.nan))

    table = pd.DataFrame(rows, columns=["task", "p", "n", "cxresearch_s", "pingouin_s",
                                        "speedup", "max_abs_diff"])
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    print("max_abs_diff: |LMG cxresearch - pingouin| (p = 25 row: |sum LMG - R²|)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {rss:,.0f} MB")


if __name__ == "__main__":
    main()
