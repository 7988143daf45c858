"""Write ``fair_tabs.csv``: a weighted subsample of statsmodels' ``fair`` data for the banner-table oracle.

Run from this folder: ``python make_fair_tabs.py`` (then ``Rscript make_tabs.R``).

Data: Fair (1978), "A Theory of Extramarital Affairs", *J. Political Economy* 86(1), as shipped with
statsmodels (``statsmodels.datasets.fair``; 6366 women, 1974 Redbook survey). Every 8th row is kept
(796 rows). Columns: ``id`` (row number in the original), ``rate_marriage`` (1 very poor … 5 very
good), ``religious`` (1 not … 4 strongly), ``occupation`` (1–6), ``kids`` (1 = has children),
``weight`` (illustrative sampling weights, a fixed function of age and children so the design is
weighted: ``(0.6 + age / 50) * (1.4 if no children else 1)``). One ``rate_marriage`` answer in 40
(every 40th kept row, starting with the first) is blanked, so the base of that item differs from the sample.
"""

from pathlib import Path

import numpy as np
import statsmodels.api as sm

d = sm.datasets.fair.load_pandas().data
d = d.iloc[::8].copy()
d.insert(0, "id", d.index.astype(int))
out = d[["id", "rate_marriage", "religious", "occupation"]].astype(
    {"religious": int, "occupation": int}
)
out["kids"] = (d["children"] > 0).astype(int)
out["weight"] = np.round((0.6 + d["age"] / 50) * np.where(d["children"] > 0, 1.0, 1.4), 6)
out["rate_marriage"] = out["rate_marriage"].astype("Int64")
out.loc[out.index[::40], "rate_marriage"] = None
out.to_csv(Path(__file__).with_name("fair_tabs.csv"), index=False)
print(len(out), "rows;", int(out["rate_marriage"].isna().sum()), "blank rate_marriage")
