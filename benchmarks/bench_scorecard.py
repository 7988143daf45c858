"""Benchmark of the executive summary's segment scorecard (``cx.findings.scorecard``), old vs new.

    python benchmarks/bench_scorecard.py            # the demo study's current wave (seed 0)
    python benchmarks/bench_scorecard.py --scale 25 # that wave repeated 25 times

The scorecard runs on every report. Before issue 14 it stacked the data (every row as Total and as
its segment) and ran ``cx.survey.difference`` once per segment and KPI with a row id as the cluster
(raked weights held fixed); now it computes the joint influence values on the rows themselves, one
covariance matrix per KPI (calibration-aware when given the wave's rake). Prints best wall and CPU
time of the old computation (reproduced here), the new one with a weight column, and the new one
with the wave's rake (``study.design_for`` when the params rake), on the demo's headline KPIs by
branch (8 segments).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import cxresearch as cx
from cxresearch import synth

KPIS = [("recommend", "nps"), ("overall_sat", "mean"), ("repurchase", "mean")]
RAKING = {
    "segment": {1: 0.3, 2: 0.7},
    "branch": dict(zip(range(1, 9), (0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1), strict=True)),
}


def old_scorecard(cur: pd.DataFrame, by: str, weights: str) -> list[pd.DataFrame]:
    """The former computation: stacked rows, a row id as the cluster, one difference per segment."""
    base = cur.reset_index(drop=True)
    levels = sorted(base[by].dropna().unique().tolist())
    codes = {lev: f"L{i}" for i, lev in enumerate(levels)}
    rows = np.arange(len(base))
    stacked = pd.concat(
        [
            base.assign(__group__="__total__", __row__=rows),
            base.assign(__group__=base[by].map(codes), __row__=rows),
        ],
        ignore_index=True,
    )
    out = []
    for score, kpi in KPIS:
        for lev in levels:
            out.append(
                cx.survey.difference(
                    stacked,
                    score=score,
                    by="__group__",
                    levels=("__total__", codes[lev]),
                    statistic=kpi,
                    weights=weights,
                    cluster="__row__",
                )
            )
    return out


def timed(label: str, fn, repeat: int = 5):
    best, cpu, out = np.inf, np.nan, None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    print(f"{label:<52s} wall {best:7.3f} s   cpu {cpu:7.3f} s   (best of {repeat})")
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="repeat the wave this many times")
    scale = parser.parse_args().scale
    study = synth.generate(seed=0)
    r = study.responses
    cur = r[r["wave"] == r["wave"].max()]
    if scale > 1:
        cur = pd.concat([cur] * scale, ignore_index=True)
    rake = cx.survey.rake(cur, margins=RAKING, weights="weight")
    cur = rake.apply(cur, name="raked_weight")
    print(f"segment scorecard: {len(cur):,} respondents, {len(KPIS)} KPIs x 8 branches")
    warnings.simplefilter("ignore")
    t_old, _ = timed(
        "old: stacked, difference per segment (fixed)",
        lambda: old_scorecard(cur, "branch", "raked_weight"),
    )
    t_col, _ = timed(
        "new: weight column (fixed)",
        lambda: cx.findings.scorecard(cur, kpis=KPIS, by="branch", weights="raked_weight"),
    )
    t_cal, _ = timed(
        "new: the wave's rake (calibrated)",
        lambda: cx.findings.scorecard(cur, kpis=KPIS, by="branch", weights=rake),
    )
    print(f"speed-up, weight column: {t_old / t_col:5.1f}x", end="; ")
    print(f"calibrated vs old fixed: {t_old / t_cal:5.1f}x")


if __name__ == "__main__":
    main()
