"""Writes panel_waves.csv: a small seeded 3-wave tracker for the panel tests (run from this folder).

120 customers in 2 regions (strata), each answering a random subset of waves 2023-2025 (so waves
overlap in customers: the customer is the cluster); recommend 0-10 and sat 1-5 (5% missing).
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261124)
rows = []
for c in range(120):
    region = "N" if c < 70 else "S"
    base = rng.normal()
    w = rng.uniform(0.5, 2.0)
    for wave in (2023, 2024, 2025):
        if rng.random() < 0.75:
            rec = int(
                np.clip(
                    np.round(7.5 + 1.8 * base + 0.4 * (wave - 2023) + rng.normal(scale=1.5)), 0, 10
                )
            )
            sat = int(np.clip(np.round(3.6 + 0.8 * base + rng.normal(scale=0.8)), 1, 5))
            rows.append(
                dict(
                    customer=f"C{c:03d}",
                    region=region,
                    wave=wave,
                    weight=round(w, 4),
                    recommend=rec,
                    sat=sat if rng.random() > 0.05 else np.nan,
                )
            )
pd.DataFrame(rows).to_csv("panel_waves.csv", index=False)
