"""Write the simulated inputs of make_reference.R (run once; the CSVs are committed).

python tests/reference/persistence/make_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def churn_panel(n_customers=600, n_years=10, seed=20):
    """Customers churn with logit = -3 + (0, .4, .8, 1.2, 1.8)[min(run, 4)] - 0.1 (sat - 7); sat 0-10;
    dissatisfied when sat <= 6; about 8 % of years have no score (a skipped survey)."""
    rng = np.random.default_rng(seed)
    eff = (0.0, 0.4, 0.8, 1.2, 1.8)
    rows = []
    for i in range(n_customers):
        level = rng.normal(7, 1.5)
        run = 0
        for t in range(n_years):
            sat = float(np.clip(np.round(level + rng.normal(0, 1.2)), 0, 10))
            run = run + 1 if sat <= 6 else 0
            p = 1 / (1 + np.exp(3 - eff[min(run, 4)] + 0.1 * (sat - 7)))
            churned = rng.random() < p
            shown = sat if rng.random() > 0.08 else np.nan
            rows.append((f"C{i:04d}", 2014 + t, shown, int(churned), rng.integers(0, 3)))
            if churned:
                break
    return pd.DataFrame(rows, columns=["customer_id", "year", "overall_sat", "churned", "contacts"])


def transfer_panel(n_customers=400, n_waves=3, penalty=0.10, seed=21):
    rng = np.random.default_rng(seed)
    n = n_customers * n_waves
    d1, d2 = rng.integers(1, 6, n), rng.integers(1, 6, n)
    T = np.minimum(rng.poisson(0.8, n), 4)
    mean = (3 + 0.6 * d1 + 0.3 * d2) * (1 - penalty) ** T
    y = np.clip(np.rint(mean + rng.normal(0, 1.2, n)), 0, 10)
    rec = np.clip(np.rint(7.5 * (1 - penalty) ** T + 0.3 * (d1 - 3) + rng.normal(0, 1.5, n)), 0, 10)
    return pd.DataFrame(
        {
            "customer_id": np.repeat([f"C{i:04d}" for i in range(n_customers)], n_waves),
            "wave": np.tile(np.arange(2020, 2020 + n_waves), n_customers),
            "repurchase": y,
            "recommend": rec,
            "transfers": T,
            "d1": d1,
            "d2": d2,
        }
    )


def trait_panel(n_customers=400, n_years=9, seed=22, effects=(0.3, 0.2), trait=0.8, p_obs=0.9):
    """Issue 14: satisfaction AR(1) around a customer mean mu; loyalty = sum_k effects[k] sat_{t-k} +
    trait * (mu - 6) + noise, so a stable trait goes with mean satisfaction; about 10 % of the
    customer-years are missing (gaps: lags are by calendar year)."""
    rng = np.random.default_rng(seed)
    burn = 4
    T = n_years + burn
    mu = rng.normal(6, 1, n_customers)
    x = np.empty((n_customers, T))
    x[:, 0] = rng.normal(0, 1 / np.sqrt(0.75), n_customers)
    for t in range(1, T):
        x[:, t] = 0.5 * x[:, t - 1] + rng.normal(0, 1, n_customers)
    x += mu[:, None]
    y = rng.normal(0, 1, (n_customers, T)) + trait * (mu - 6)[:, None]
    for k, b in enumerate(effects):
        y[:, k:] += b * x[:, : T - k]
    x, y = x[:, burn:], y[:, burn:]
    df = pd.DataFrame(
        {
            "customer_id": np.repeat([f"C{i:04d}" for i in range(n_customers)], n_years),
            "year": np.tile(np.arange(2014, 2014 + n_years), n_customers),
            "sat": np.round(x.ravel(), 6),
            "loyalty": np.round(y.ravel(), 6),
            "contacts": rng.integers(0, 4, n_customers * n_years),
        }
    )
    return df.loc[rng.random(len(df)) < p_obs].reset_index(drop=True)


if __name__ == "__main__":
    churn_panel().to_csv(HERE / "churn_panel.csv", index=False)
    transfer_panel().to_csv(HERE / "transfer_panel.csv", index=False)
    trait_panel().to_csv(HERE / "trait_panel.csv", index=False)
