"""Monte Carlo coverage of driver-share intervals: percentile vs BCa at n = 100, 300, 1,000 (issue 14).

    .venv/bin/python benchmarks/coverage_drivers.py                  # 400 samples per n, B = 999
    .venv/bin/python benchmarks/coverage_drivers.py --samples 100    # quicker, rougher

The population: ten 1-5 Likert driver items built like the demo study's (a shared customer factor
plus item noise, rounded and clipped), overall satisfaction = the demo's driver weights times the
items plus noise. The true Shapley (LMG) shares are those of a population sample of 2,000,000 rows.
For each n, ``--samples`` samples are drawn; each gets ``cx.drivers.shapley(ci=True)`` with
``ci_method="percentile"`` and ``"bca"`` from the same bootstrap replicates (same seed), and the
script prints the share of samples whose interval covers the true share, per driver (smallest,
median and largest true share) and averaged, with the Monte-Carlo SE sqrt(c (1 - c) / samples).
Not a test: it prints figures; the default ``ci_method`` of ``cx.drivers`` follows them (see the
docstring of ``cxresearch.drivers.importance``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

WEIGHTS = {
    "product_quality": 0.55,
    "svc_responsiveness": 0.45,
    "price_value": 0.38,
    "svc_competence": 0.22,
    "channel_ease": 0.18,
    "exp_need": 0.15,
    "svc_courtesy": 0.12,
    "exp_convenience": 0.10,
    "competitor_compare": 0.08,
    "exp_emotion": 0.06,
}


def population(n: int, rng: np.random.Generator) -> pd.DataFrame:
    a = rng.normal(0, 0.6, n)
    cols = {}
    for k in WEIGHTS:
        cols[k] = np.clip(np.rint(3.5 + a + rng.normal(0, 0.75, n)), 1, 5)
    y = 7 + sum(w * (cols[k] - 3.5) for k, w in WEIGHTS.items()) + rng.normal(0, 0.9, n)
    cols["overall_sat"] = np.clip(np.rint(y), 0, 10)
    return pd.DataFrame(cols)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--n-boot", type=int, default=999)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()

    import cxresearch.drivers as drv

    rng = np.random.default_rng(args.seed)
    drivers = list(WEIGHTS)
    truth = drv.shapley(population(2_000_000, rng), outcome="overall_sat", drivers=drivers)
    true_share = truth.importance.set_index("driver")["share"]
    order = true_share.sort_values().index
    pick = {"smallest": order[0], "median": order[len(order) // 2], "largest": order[-1]}
    rows = []
    for n in args.sizes:
        hits = {m: np.zeros(len(drivers)) for m in ("percentile", "bca")}
        width = {m: 0.0 for m in hits}
        done = 0
        t0 = time.perf_counter()
        t = true_share.reindex(drivers).to_numpy()
        for s in range(args.samples):
            df = population(n, rng)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = {
                        m: drv.shapley(
                            df,
                            outcome="overall_sat",
                            drivers=drivers,
                            ci=True,
                            n_boot=args.n_boot,
                            ci_method=m,
                            seed=s,
                        )
                        for m in hits
                    }
            except ValueError:  # a sample where a driver has no variance, etc.: skipped
                continue
            for method, r in res.items():
                imp = r.importance.set_index("driver").reindex(drivers)
                hits[method] += (imp["ci_lower"].to_numpy() <= t) & (
                    t <= imp["ci_upper"].to_numpy()
                )
                width[method] += float((imp["ci_upper"] - imp["ci_lower"]).mean())
            done += 1
        for method, h in hits.items():
            cov = pd.Series(h / done, index=drivers)
            row = {
                "n": n,
                "method": method,
                "samples": done,
                "mean_coverage": cov.mean(),
                **{f"{k}_share_coverage": cov[v] for k, v in pick.items()},
                "min_coverage": cov.min(),
                "mean_width": width[method] / done,
                "mc_se": np.sqrt(0.95 * 0.05 / done),
                "seconds": time.perf_counter() - t0,
            }
            rows.append(row)
            print(row, flush=True)
    table = pd.DataFrame(rows)
    print(f"true shares: {true_share.round(4).to_dict()}")
    with pd.option_context("display.width", 160, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
