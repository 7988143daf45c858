"""The engagement index per unit and wave, with a t interval, and Cronbach's alpha of the items.

Why hand-written: a group-by mean with scipy's t quantile over the cells left after anonymity
suppression; Cronbach's alpha is the package's one numpy kernel (``survey.reliability._alpha_raw``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch.survey.reliability import _alpha_raw

from ._prepare import _check_alpha, _check_int, _person_scores


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's alpha of complete responses: the bare coefficient.

    :func:`cxresearch.survey.cronbach_alpha` gives the same coefficient with Feldt's interval,
    reverse-keyed items and scale checks, as a one-row frame.

    Parameters
    ----------
    items : DataFrame or 2-D array
        Respondents × items; rows with a missing item are dropped (listwise).

    Returns
    -------
    float
        :math:`\\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\sum_j s_j^2}{s_T^2}\\right)`, NaN with
        fewer than 2 items or 2 complete rows, or when the total score does not vary (the
        coefficient is undefined).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16(3), 297–334. doi:10.1007/BF02310555

    Examples
    --------
    The twelve engagement items of the demo study's employee survey hold together; two items
    that do not go together give an alpha far below 0.7 (here below 0):

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> items = study.employees.loc[:, "q01":"q12"]
    >>> items.shape
    (626, 12)
    >>> round(cx.employee.cronbach_alpha(items), 3)
    0.862
    >>> unrelated = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [3, 5, 1, 4, 2]})
    >>> round(cx.employee.cronbach_alpha(unrelated), 3)
    -0.857
    """
    x = np.asarray(items, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan")
    if x.sum(axis=1).var(ddof=1) == 0:
        return float("nan")
    return _alpha_raw(x)  # the package's one alpha kernel (cx.survey.reliability)


@dataclass(frozen=True, repr=False)
class EngagementResult(ResultDisplay):
    """Engagement index per unit and wave (see :func:`engagement_index`).

    Attributes
    ----------
    frame : DataFrame
        ``unit``, ``wave``, ``n``, ``estimate``, ``sd``, ``se``, ``ci_lower``, ``ci_upper`` — only
        cells with at least ``min_n`` respondents.
    n_suppressed : int
        Unit × wave cells withheld for anonymity (their identity is not reported).
    cronbach_alpha : float
        Of the items, over the respondents of the shown cells.
    items : tuple of str
    min_n, min_items : int
    scale : tuple
    index : str
    alpha : float
    """

    frame: pd.DataFrame
    n_suppressed: int
    cronbach_alpha: float
    items: tuple[str, ...]
    min_n: int
    min_items: int
    scale: tuple
    index: str
    alpha: float

    def to_frame(self) -> pd.DataFrame:
        """The index table (:attr:`frame`)."""
        return self.frame.copy()


def engagement_index(
    employees: pd.DataFrame,
    *,
    items=None,
    unit: str = "unit",
    wave: str = "wave",
    min_n: int = 5,
    min_items: int | None = None,
    scale=(1, 5),
    index: str = "mean",
    alpha: float = 0.05,
) -> EngagementResult:
    """Engagement index per unit and wave, with confidence interval and anonymity suppression.

    Parameters
    ----------
    employees : DataFrame
        One row per anonymous employee response × wave, with ``unit``, ``wave`` and the items.
    items : sequence of str, optional
        Item columns (default: every ``qNN`` column, e.g. q01…q12).
    unit, wave : str
        Column names.
    min_n : int, default 5
        Anonymity minimum: a unit × wave cell with fewer respondents is withheld entirely.
    min_items : int, optional
        A respondent needs at least this many answered items (default: two thirds of the items).
    scale : (min, max), default (1, 5)
        Item scale; values outside raise an error (recode missing-value codes first).
    index : {"mean", "percent"}
        ``mean``: mean item score on the item scale; ``percent``: rescaled to 0–100
        (``(mean - min) / (max - min) * 100``).
    alpha : float, default 0.05

    Returns
    -------
    EngagementResult
        ``frame`` columns: ``unit``, ``wave``, ``n`` (respondents with an index), ``estimate``
        (mean index), ``sd``, ``se`` (sd / sqrt(n)), ``ci_lower``, ``ci_upper`` (t interval with
        n - 1 df).

    Raises
    ------
    CXValueError
        Missing or non-numeric columns, values outside the scale, bad options.

    Notes
    -----
    Person index :math:`e_i = \\bar x_i` over answered items; cell estimate
    :math:`\\bar e \\pm t_{n-1,1-\\alpha/2}\\, s/\\sqrt n`. Unweighted (a census of employees).

    Examples
    --------
    Engagement per branch in the latest wave of the demo study's employee survey (q01…q12 on a
    1–5 scale); branch 8 has fewer than 5 respondents in some waves and those cells are withheld:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> res = cx.employee.engagement_index(study.employees)
    >>> latest = res.frame[res.frame["wave"] == 2017]
    >>> latest[["unit", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
        unit   n  estimate  ci_lower  ci_upper
    3      1  27      3.53      3.35      3.71
    7      2  28      3.04      2.82      3.26
    11     3  23      3.44      3.24      3.64
    15     4  20      3.23      3.01      3.45
    19     5  20      3.52      3.28      3.75
    23     6  13      3.48      3.03      3.93
    27     7  12      3.11      2.74      3.48
    >>> res.n_suppressed, round(res.cronbach_alpha, 3)
    (3, 0.863)

    The same index on a 0–100 scale:

    >>> pct = cx.employee.engagement_index(study.employees, index="percent").frame
    >>> pct.loc[pct["wave"] == 2017, ["unit", "estimate"]].round(1).head(3)
        unit  estimate
    3      1      63.3
    7      2      51.0
    11     3      61.1
    """
    alpha = _check_alpha(alpha)
    min_n = _check_int("min_n", min_n, 1)
    persons, items, n_supp, x = _person_scores(
        employees,
        items=items,
        unit=unit,
        wave=wave,
        min_items=min_items,
        scale=scale,
        index=index,
        min_n=min_n,
    )
    g = persons.groupby([unit, wave], observed=True, sort=True)["score"]
    out = g.agg(n="size", estimate="mean", sd="std").reset_index()
    out["n"] = out["n"].astype(np.int64)
    out["se"] = out["sd"] / np.sqrt(out["n"])
    tq = stats.t.ppf(1 - alpha / 2, np.maximum(out["n"] - 1, 1))
    out["ci_lower"] = np.where(out["n"] > 1, out["estimate"] - tq * out["se"], np.nan)
    out["ci_upper"] = np.where(out["n"] > 1, out["estimate"] + tq * out["se"], np.nan)
    k = len(items)
    mi = math.ceil(2 * k / 3) if min_items is None else int(min_items)
    return EngagementResult(
        frame=out[[unit, wave, "n", "estimate", "sd", "se", "ci_lower", "ci_upper"]],
        n_suppressed=n_supp,
        cronbach_alpha=cronbach_alpha(x),
        items=tuple(items),
        min_n=min_n,
        min_items=mi,
        scale=tuple(scale),
        index=index,
        alpha=alpha,
    )
