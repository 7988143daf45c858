"""Benchmark of cxresearch.persistence (prints measured figures; the machine's load is not controlled).

    python benchmarks/bench_persistence.py                   # timings (targets: 30 s and 5 s)
    python benchmarks/bench_persistence.py --false-horizon 100 [--customers 4000]
    python benchmarks/bench_persistence.py --recovery 50 [--customers 4000]

Timings: ``horizon`` with ``n_boot=200`` (pooled, plus the within estimator as robustness check, both
bootstrapped) and ``churn_hazard``, on (a) a complete rectangular panel of 10,000 customers × 12 years
(120,000 customer-years) and (b) the demo study generated with 10,000 starting customers × 12 waves
(gaps, churn and newcomers as in ``cxresearch.synth``).

``--false-horizon N`` generates N demo studies with no effect of satisfaction on loyalty
(``Truth(sat_loyalty_lags=())``) and of proc_service on overall satisfaction
(``Truth(process_sat_lags=())``) and prints how often each estimator finds H >= 1. ``--recovery N``
prints the distribution of H over N demo studies with the default truth (horizons 4 and 2).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cxresearch import persistence as P
from cxresearch import synth


def rectangular_panel(n_customers: int = 10_000, n_years: int = 12, seed: int = 0) -> pd.DataFrame:
    """sat AR(1) around a customer mean; loyalty = 0.4 sat + 0.3 sat_-1 + 0.2 sat_-2 + 0.1 sat_-3 + e;
    churn with a logit rising in the current dissatisfaction (no structure needed for a timing)."""
    rng = np.random.default_rng(seed)
    T = n_years + 6
    x = np.empty((n_customers, T))
    x[:, 0] = rng.normal(0, 1.15, n_customers)
    for t in range(1, T):
        x[:, t] = 0.5 * x[:, t - 1] + rng.normal(0, 1, n_customers)
    x += rng.normal(7, 1, n_customers)[:, None]
    # loyalty is driven by the score as measured (0-10 integers): with a latent, error-measured score
    # the pooled lags of a persistent exposure absorb part of the true lags (see horizon's Notes)
    x = np.clip(np.rint(x), 0, 10)
    y = rng.normal(0, 1, (n_customers, T))
    for k, b in enumerate((0.4, 0.3, 0.2, 0.1)):
        y[:, k:] += b * x[:, : T - k]
    x, y = x[:, 6:], y[:, 6:]
    churn = rng.random(x.shape) < 1 / (1 + np.exp(3 + 0.5 * (x - 7)))
    return pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(n_customers), n_years),
            "year": np.tile(np.arange(2014, 2014 + n_years), n_customers),
            "overall_sat": x.ravel(),
            "repurchase": y.ravel(),
            "churned": churn.ravel(),
        }
    )


def timed(f, *args, **kw):
    t0 = time.perf_counter()
    out = f(*args, **kw)
    return out, time.perf_counter() - t0


def timings() -> None:
    print("cxresearch.persistence benchmark (wall clock, shared 2-core machine: figures are noisy)")
    panel = rectangular_panel()
    h, s = timed(
        P.horizon,
        panel,
        id="customer_id",
        time="year",
        outcome="repurchase",
        exposure="overall_sat",
        max_lag=6,
        n_boot=200,
        seed=1,
    )
    print(
        f"(a) rectangular 10,000 x 12 ({len(panel):,} rows): horizon n_boot=200, pooled + within: "
        f"{s:.1f} s (target < 30 s); H = {h.h}, within H = {h.robustness.h}, "
        f"n_obs = {h.profile.n_obs:,}"
    )
    h1, s1 = timed(
        P.horizon,
        panel,
        id="customer_id",
        time="year",
        outcome="repurchase",
        exposure="overall_sat",
        max_lag=6,
        n_boot=200,
        seed=1,
        robustness=False,
    )
    print(f"    horizon n_boot=200, pooled only: {s1:.1f} s")
    hz, s2 = timed(
        P.churn_hazard,
        panel,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=5,
    )
    print(f"    churn_hazard ({hz.n_obs:,} person-years): {s2:.2f} s (target < 5 s)")

    study, sg = timed(synth.generate, seed=0, n_customers=10_000, n_waves=12)
    r = study.responses
    print(
        f"(b) demo study, 10,000 starting customers x 12 waves (generated in {sg:.1f} s): "
        f"{len(r):,} responses from {r.customer_id.nunique():,} customers"
    )
    h, s = timed(
        P.horizon,
        r,
        id="customer_id",
        time="wave",
        outcome="repurchase",
        exposure="overall_sat",
        max_lag=6,
        n_boot=200,
        seed=1,
    )
    print(
        f"    horizon n_boot=200, pooled + within: {s:.1f} s; H = {h.h} "
        f"(CI {h.primary.ci_lower:.0f}-{h.primary.ci_upper:.0f}), within H = {h.robustness.h}"
    )
    cy, s3 = timed(P.customer_years, study.customers, r, columns="overall_sat")
    hz, s4 = timed(
        P.churn_hazard,
        cy,
        id="customer_id",
        time="year",
        score="overall_sat",
        churn="churned",
        cut=study.truth.dissatisfied_cut,
    )
    print(f"    customer_years {s3:.2f} s; churn_hazard ({hz.n_obs:,} person-years): {s4:.2f} s")


def false_horizon(n: int, n_customers: int) -> None:
    print(
        f"false-horizon rate over {n} demo studies ({n_customers} starting customers, 12 waves, "
        "max_lag=6, alpha=0.05)"
    )
    hits = {("sat->repurchase", m): 0 for m in P.METHODS}
    hits.update({("proc_service->overall_sat", m): 0 for m in P.METHODS})
    t0 = time.perf_counter()
    for seed in range(n):
        truth = synth.Truth(sat_loyalty_lags=(), process_sat_lags=())
        st = synth.generate(seed=10_000 + seed, truth=truth, n_customers=n_customers)
        for name, outcome, exposure in [
            ("sat->repurchase", "repurchase", "overall_sat"),
            ("proc_service->overall_sat", "overall_sat", "proc_service"),
        ]:
            res = P.horizon(
                st.responses,
                id="customer_id",
                time="wave",
                outcome=outcome,
                exposure=exposure,
                max_lag=6,
                n_boot=0,
            )
            hits[(name, "pooled")] += res.primary.h > 0
            hits[(name, "within")] += res.robustness.h > 0
    for (name, m), k in hits.items():
        print(f"  {name:28s} {m:7s}: H >= 1 in {k}/{n} = {k / n:.3f}")
    print(f"  ({time.perf_counter() - t0:.0f} s)")


def recovery(n: int, n_customers: int) -> None:
    print(
        f"horizon recovery over {n} demo studies with the default truth ({n_customers} starting "
        "customers, 12 waves, max_lag=6, alpha=0.05): share of studies with each H"
    )
    rows = []
    for seed in range(n):
        st = synth.generate(seed=20_000 + seed, n_customers=n_customers)
        for name, outcome, exposure, truth in [
            ("sat->repurchase", "repurchase", "overall_sat", st.truth.sat_loyalty_horizon),
            (
                "proc_service->overall_sat",
                "overall_sat",
                "proc_service",
                st.truth.process_sat_horizon,
            ),
        ]:
            res = P.horizon(
                st.responses,
                id="customer_id",
                time="wave",
                outcome=outcome,
                exposure=exposure,
                max_lag=6,
                n_boot=0,
            )
            rows += [
                (name, truth, "pooled", res.primary.h),
                (name, truth, "within", res.robustness.h),
            ]
    df = pd.DataFrame(rows, columns=["effect", "truth", "method", "h"])
    tab = (
        df.groupby(["effect", "truth", "method"])["h"]
        .value_counts(normalize=True)
        .unstack(fill_value=0)
    )
    print(tab.to_string())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--false-horizon", type=int, default=0)
    ap.add_argument("--recovery", type=int, default=0)
    ap.add_argument("--customers", type=int, default=4000)
    a = ap.parse_args()
    if a.false_horizon:
        false_horizon(a.false_horizon, a.customers)
    elif a.recovery:
        recovery(a.recovery, a.customers)
    else:
        timings()
