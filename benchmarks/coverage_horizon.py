"""Monte Carlo check of the horizon's default on panels with a stable trait (issue 14).

    .venv/bin/python benchmarks/coverage_horizon.py                 # 40 panels per truth
    .venv/bin/python benchmarks/coverage_horizon.py --panels 10

Panels as in ``tests/test_persistence.py::simulate_panel`` (customers × 10 years, satisfaction AR(1)
around a customer mean) with loyalty = Σ_k β_k sat_{t−k} + ``trait`` × (mean satisfaction − 6) + a
customer effect + noise, true horizons 3, 0, 5 and 2. For each panel ``cx.persistence.horizon`` runs
with its defaults (``method="auto"``, alpha 0.05, ``n_boot``) and the script prints, per truth and
trait, how often the Mundlak test rejected the pooled model, how often the reported H equals the
truth, how often the bootstrap interval covers it, and the same for the pooled estimator (the old
default). Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

TRUTHS = {3: (0.3, 0.2, 0.15), 0: (), 5: (0.3, 0.25, 0.2, 0.15, 0.12), 2: (0.3, 0.2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", type=int, default=40)
    ap.add_argument("--customers", type=int, default=800)
    ap.add_argument("--n-boot", type=int, default=100)
    args = ap.parse_args()

    from cxresearch import persistence as P
    from test_persistence import simulate_panel

    rows = []
    for trait in (1.0, 0.0):
        for truth, effects in TRUTHS.items():
            t0 = time.perf_counter()
            rec = []
            for s in range(args.panels):
                df = simulate_panel(
                    effects=effects,
                    n_customers=args.customers,
                    n_years=10,
                    seed=10_000 + 100 * truth + s,
                    trait=trait,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = P.horizon(
                        df,
                        id="customer_id",
                        time="year",
                        outcome="loyalty",
                        exposure="sat",
                        max_lag=6,
                        n_boot=args.n_boot,
                        seed=s,
                    )
                pooled = r.primary if r.method == "pooled" else r.robustness
                rec.append(
                    dict(
                        reject=r.test.reject,
                        h_ok=r.h == truth,
                        covers=r.primary.ci_lower <= truth <= r.primary.ci_upper,
                        pooled_ok=pooled.h == truth,
                        pooled_covers=pooled.ci_lower <= truth <= pooled.ci_upper,
                    )
                )
            f = pd.DataFrame(rec).mean()
            rows.append(
                dict(
                    trait=trait,
                    truth=truth,
                    panels=args.panels,
                    mundlak_rejects=f["reject"],
                    auto_h_equals_truth=f["h_ok"],
                    auto_interval_covers=f["covers"],
                    pooled_h_equals_truth=f["pooled_ok"],
                    pooled_interval_covers=f["pooled_covers"],
                    seconds=time.perf_counter() - t0,
                )
            )
            print(rows[-1], flush=True)
    with pd.option_context("display.width", 160, "display.float_format", "{:.3f}".format):
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
