"""Scale reliability per codebook dimension: Cronbach's alpha (with CI), McDonald's omega, item-total.

Cronbach's alpha comes from pingouin (``pingouin.cronbach_alpha``); its Feldt interval is recomputed
here unrounded (pingouin rounds the CI to three decimals). McDonald's omega total uses a one-factor
minimum-residual (minres / unweighted least squares) fit of the correlation matrix, solved by
iterated principal-axis factoring to a 1e-12 fixed point - the solution ``psych::fa(fm="minres")``
reaches by numerical optimisation (it matches ``psych::omega(nfactors=1)$omega.tot`` to 1e-6,
the precision of psych's optimiser). Neither scipy nor pingouin provides minres, hence the short
hand-written solver.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError, CXWarning, NotEstimableWarning
from cxresearch.survey import _design as core

__all__ = [
    "cronbach_alpha",
    "omega",
    "item_total",
    "reliability",
    "ReliabilityResult",
    "ImproperSolutionWarning",
]


def _items_frame(
    data: pd.DataFrame,
    items: Sequence[str],
    reverse: Sequence[str] | None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None,
) -> pd.DataFrame:
    data = core.check_frame(data)
    items = core.as_list(items, "items")
    if len(items) < 2:
        raise CXValueError(f"items must name at least two columns; got {items!r}")
    if len(set(items)) != len(items):
        raise CXValueError(f"items lists a column twice: {items!r}")
    core.check_columns(data, items, "items")
    rev = core.as_list(reverse, "reverse")
    unknown = [r for r in rev if r not in items]
    if unknown:
        raise CXValueError(f"reverse: {unknown[0]!r} is not one of the items {items!r}")
    out = {}
    for col in items:
        x = core.numeric_column(data, col, role="item")
        sc = scale.get(col) if isinstance(scale, Mapping) else scale
        if sc is not None:
            core.check_scale(x, col, tuple(sc), data.index)
        if col in rev:
            if sc is None:
                raise CXValueError(f"reverse-keying {col!r} needs its scale: pass scale=(min, max)")
            x = sc[0] + sc[1] - x
        out[col] = x
    frame = pd.DataFrame(out, index=data.index).dropna()
    if len(frame) < 3:
        raise CXValueError(
            f"items {items!r} have {len(frame)} complete rows; reliability needs at least 3"
        )
    const = [c for c in items if frame[c].std(ddof=1) == 0]
    if const:
        raise CXValueError(f"item {const[0]!r} is constant in the complete rows; drop it")
    return frame


def _alpha_raw(x: np.ndarray) -> float:
    k = x.shape[1]
    C = np.cov(x, rowvar=False, ddof=1)
    return float(k / (k - 1) * (1 - np.trace(C) / C.sum()))


def _feldt(a: float, n: int, k: int, level_alpha: float) -> tuple[float, float]:
    df1 = n - 1
    df2 = df1 * (k - 1)
    lower = 1 - (1 - a) * stats.f.isf(level_alpha / 2, df1, df2)
    upper = 1 - (1 - a) * stats.f.isf(1 - level_alpha / 2, df1, df2)
    return float(lower), float(upper)


class ImproperSolutionWarning(CXWarning):
    """The one-factor model behind omega is improper (a Heywood case: a communality of 1 or more)
    or its iteration did not converge; omega is then not a trustworthy reliability."""


#: communality at or above which an item is a Heywood case (1 minus rounding)
HEYWOOD_COMMUNALITY = 1.0 - 1e-6


def _minres_one_factor(R: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100_000):
    """One-factor minres (ULS) loadings of a correlation matrix by iterated principal axes.

    Returns ``(loadings, converged)``: ``converged`` is False when ``max_iter`` sweeps did not
    bring the communalities within ``tol`` of a fixed point."""
    converged = False
    try:
        h = 1 - 1 / np.diag(np.linalg.inv(R))  # squared multiple correlations as start (psych)
    except np.linalg.LinAlgError:
        h = np.full(R.shape[0], 0.5)
    h = np.clip(h, 0.005, 1.0)
    lam = np.sqrt(h)
    for _ in range(max_iter):
        Rr = R.copy()
        np.fill_diagonal(Rr, h)
        vals, vecs = np.linalg.eigh(Rr)
        lam = vecs[:, -1] * np.sqrt(max(vals[-1], 0.0))
        h_new = lam**2
        if np.max(np.abs(h_new - h)) < tol:
            h = h_new
            converged = True
            break
        h = h_new
    if lam.sum() < 0:
        lam = -lam
    return lam, converged


def cronbach_alpha(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cronbach's alpha of a set of items with Feldt's confidence interval.

    Parameters
    ----------
    data : DataFrame
        Not modified. Complete cases over ``items`` are used.
    items : list of str
        Two or more numeric item columns.
    reverse : list of str, optional
        Reverse-keyed items, recoded ``min + max - x`` (needs ``scale``).
    scale : (min, max) or dict {item: (min, max)}, optional
        Item scale(s): values outside raise.
    alpha : float
        1 - confidence level of the interval (not Cronbach's alpha).

    Returns
    -------
    DataFrame
        One row: ``n`` (complete cases), ``n_items``, ``estimate`` (raw alpha), ``ci_lower``,
        ``ci_upper``, ``std_alpha`` (from the mean inter-item correlation), ``mean_r``.

    Notes
    -----
    ``alpha = k/(k-1) (1 - sum_j s_j^2 / s_total^2)``; standardised
    ``k rbar / (1 + (k-1) rbar)``. Feldt interval: ``1 - (1 - alpha) F_{1-a/2}(n-1, (n-1)(k-1))``
    and ``1 - (1 - alpha) F_{a/2}(...)``. Unweighted (psychometric reliability of the items, not
    a population estimate).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika* 16(3), 297-334. https://doi.org/10.1007/BF02310555
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. *Applied Psychological Measurement* 11(1), 93-103.
    https://doi.org/10.1177/014662168701100107

    Examples
    --------
    The twelve engagement items of the demo study's employee survey:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> items = [f"q{i:02d}" for i in range(1, 13)]
    >>> cx.survey.cronbach_alpha(study.employees, items=items, scale=(1, 5)).round(3)
           n  n_items  estimate  ci_lower  ci_upper  std_alpha  mean_r
    0  626.0       12     0.862     0.846     0.878      0.862   0.343
    """
    level = core.check_alpha(alpha)
    frame = _items_frame(data, items, reverse, scale)
    n, k = frame.shape
    import pingouin as pg  # heavy import: only when used

    a = float(pg.cronbach_alpha(data=frame, nan_policy="listwise")[0])
    lo, hi = _feldt(a, n, k, level)
    R = np.corrcoef(frame.to_numpy(float), rowvar=False)
    rbar = float((R.sum() - k) / (k * (k - 1)))
    return pd.DataFrame(
        {
            "n": [float(n)],
            "n_items": [k],
            "estimate": [a],
            "ci_lower": [lo],
            "ci_upper": [hi],
            "std_alpha": [k * rbar / (1 + (k - 1) * rbar)],
            "mean_r": [rbar],
        }
    )


def omega(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """McDonald's omega total from a one-factor minres model of the item correlations.

    Parameters are those of :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        One row per item: ``item``, ``loading`` (standardised one-factor loading),
        ``communality`` (``loading^2``), ``heywood`` (bool: communality of 1 or more, an improper
        solution — psych calls it an "ultra-Heywood case" above 1), ``omega_total`` (the same value
        on every row) and ``converged`` (bool, the same on every row).

    Warns
    -----
    ImproperSolutionWarning
        A Heywood case or no convergence: omega rests on an improper one-factor fit (an item
        loading 1 or more means the items do not fit one factor; psych warns alike), so it is
        flagged rather than reported as a reliability.

    Notes
    -----
    ``omega_t = 1 - sum_j (1 - lambda_j^2) / sum_{jk} r_jk`` with ``lambda`` the minres loadings of
    the correlation matrix ``R`` - psych's ``omega(nfactors=1)$omega.tot``. Matches it to 1e-6
    (relative) on the bfi Agreeableness items (test). Loadings are signed so their sum is
    positive; reverse-key items first (``reverse=``).

    References
    ----------
    McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
    *Psychometrika* 74(1), 145-154. https://doi.org/10.1007/s11336-008-9102-z

    Examples
    --------
    The twelve engagement items of the demo study's employee survey:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> items = [f"q{i:02d}" for i in range(1, 13)]
    >>> res = cx.survey.omega(study.employees, items=items, scale=(1, 5))
    >>> res.head(3).round(3)
      item  loading  communality  heywood  omega_total  converged
    0  q01    0.613        0.376    False        0.862       True
    1  q02    0.609        0.371    False        0.862       True
    2  q03    0.592        0.350    False        0.862       True
    """
    frame = _items_frame(data, items, reverse, scale)
    R = np.corrcoef(frame.to_numpy(float), rowvar=False)
    lam, converged = _minres_one_factor(R)
    om = 1 - float((1 - lam**2).sum() / R.sum())
    heywood = lam**2 >= HEYWOOD_COMMUNALITY
    if heywood.any() or not converged:
        what = []
        if heywood.any():
            bad = [
                f"{c!r} (loading {v:.3f})"
                for c, v, h in zip(frame.columns, lam, heywood, strict=True)
                if h
            ]
            what.append("a Heywood case: " + ", ".join(bad) + " with a communality of 1 or more")
        if not converged:
            what.append("the minres iteration did not converge")
        warnings.warn(
            f"omega of {list(frame.columns)}: the one-factor fit is improper ({'; '.join(what)}); "
            "omega is flagged, not a trustworthy reliability",
            ImproperSolutionWarning,
            stacklevel=2,
        )
    return pd.DataFrame(
        {
            "item": list(frame.columns),
            "loading": lam,
            "communality": lam**2,
            "heywood": heywood,
            "omega_total": om,
            "converged": converged,
        }
    )


def item_total(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Corrected item-total correlations and alpha if each item were dropped.

    Returns
    -------
    DataFrame
        One row per item: ``item``, ``n`` (complete cases), ``mean``, ``sd``, ``r_drop`` (Pearson
        correlation of the item with the sum of the other items, psych's ``r.drop``),
        ``alpha_if_dropped`` (raw alpha of the remaining items; NaN with two items).

    References
    ----------
    Revelle, W. psych: ``alpha()``, https://CRAN.R-project.org/package=psych

    Examples
    --------
    The twelve engagement items of the demo study's employee survey (first three shown):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> items = [f"q{i:02d}" for i in range(1, 13)]
    >>> res = cx.survey.item_total(study.employees, items=items, scale=(1, 5))
    >>> res.head(3).round(3)
      item      n   mean     sd  r_drop  alpha_if_dropped
    0  q01  626.0  3.291  0.805   0.565             0.850
    1  q02  626.0  3.278  0.821   0.562             0.850
    2  q03  626.0  3.319  0.835   0.546             0.851
    """
    frame = _items_frame(data, items, reverse, scale)
    x = frame.to_numpy(float)
    n, k = x.shape
    total = x.sum(axis=1)
    rows = []
    for j, col in enumerate(frame.columns):
        rest = total - x[:, j]
        others = np.delete(x, j, axis=1)
        rows.append(
            {
                "item": col,
                "n": float(n),
                "mean": float(x[:, j].mean()),
                "sd": float(x[:, j].std(ddof=1)),
                "r_drop": float(np.corrcoef(x[:, j], rest)[0, 1]),
                "alpha_if_dropped": _alpha_raw(others) if k > 2 else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True, repr=False)
class ReliabilityResult(ResultDisplay):
    """Reliability of each scale (dimension).

    Attributes
    ----------
    scales : DataFrame
        One row per dimension: ``dimension``, ``n_items``, ``n``, ``estimate`` (Cronbach's alpha),
        ``ci_lower``, ``ci_upper``, ``std_alpha``, ``mean_r``, ``omega_total``, ``omega_improper``
        (bool: the one-factor fit behind omega has a Heywood case or did not converge — read
        omega as unusable), ``low_alpha`` (alpha below ``threshold``), ``small_base``,
        ``suppressed``.
    items : DataFrame
        One row per dimension x item: ``dimension``, ``item``, ``n``, ``mean``, ``sd``, ``r_drop``,
        ``alpha_if_dropped``, ``loading``, ``heywood``.
    settings : dict
        ``threshold``, ``alpha``, the dimensions and reversed items.
    """

    scales: pd.DataFrame
    items: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-dimension table."""
        return self.scales.copy()


def _codebook_dimensions(codebook: object) -> tuple[dict, list, dict]:
    """{dimension: [items]}, reversed items and scales from a codebook (object or dict)."""
    if isinstance(codebook, Mapping):
        entries = list(codebook.get("variables", []))

        def attr(e, k):
            return e.get(k)
    else:
        entries = list(getattr(codebook, "variables", []))

        def attr(e, k):
            return getattr(e, k, None)

    dims: dict[str, list[str]] = {}
    rev = []
    scales = {}
    for e in entries:
        dim = attr(e, "dimension")
        kind = attr(e, "kind")
        if not dim or kind not in ("likert", "rating", "numeric"):
            continue
        name = attr(e, "name")
        dims.setdefault(str(dim), []).append(name)
        sc = attr(e, "scale") if not isinstance(e, Mapping) else None
        lo, hi = (sc[0], sc[1]) if sc is not None else (attr(e, "min"), attr(e, "max"))
        if lo is not None and hi is not None:
            scales[name] = (float(lo), float(hi))
        if attr(e, "reverse"):
            rev.append(name)
    return dims, rev, scales


def reliability(
    data: pd.DataFrame,
    *,
    dimensions: Mapping[str, Sequence[str]] | None = None,
    items: Sequence[str] | None = None,
    codebook: object | None = None,
    reverse: Sequence[str] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    alpha: float = 0.05,
    threshold: float = 0.7,
    min_base: int = 30,
    anonymity_min: int = 5,
) -> ReliabilityResult:
    """Reliability of every scale: alpha with CI, omega total, item-total statistics, a low-alpha flag.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    dimensions : dict {name: [items]}, optional
        The scales. Or ``items`` (one scale named ``'scale'``), or ``codebook`` (its ``dimension``
        of every likert/rating variable, with ``reverse`` and ``min``/``max``). Dimensions with a
        single item are skipped (a :class:`~cxresearch.errors.NotEstimableWarning` says so).
    reverse, scale
        Reverse-keyed items and item scales (added to the codebook's).
    alpha : float
        1 - confidence level of alpha's interval.
    threshold : float
        ``low_alpha`` flags scales with Cronbach's alpha below it (0.7, Nunnally's convention).
    min_base, anonymity_min : int
        Small-base rules on the number of complete cases.

    Returns
    -------
    ReliabilityResult

    Examples
    --------
    Every multi-item dimension of the demo study's codebook (only ``service`` has more than one
    item; the others are skipped with a warning):

    >>> import warnings
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = cx.survey.reliability(study.responses, codebook=study.codebook)
    >>> res.scales[["dimension", "n_items", "n", "estimate", "omega_total", "low_alpha"]].round(3)
      dimension  n_items       n  estimate  omega_total  low_alpha
    0   service        3  1146.0     0.661        0.662       True
    >>> res.items[["item", "r_drop", "alpha_if_dropped"]].round(3)
                     item  r_drop  alpha_if_dropped
    0        svc_courtesy   0.476             0.561
    1      svc_competence   0.452             0.593
    2  svc_responsiveness   0.489             0.542
    """
    import warnings

    threshold = float(threshold)
    rev = core.as_list(reverse, "reverse")
    scales: dict = dict(scale) if isinstance(scale, Mapping) else {}
    if dimensions is None and items is None and codebook is None:
        raise CXValueError("reliability needs dimensions=, items= or codebook=")
    if dimensions is not None:
        dims = {str(k): core.as_list(v, f"dimensions[{k!r}]") for k, v in dimensions.items()}
    elif items is not None:
        dims = {"scale": core.as_list(items, "items")}
    else:
        dims, cb_rev, cb_scales = _codebook_dimensions(codebook)
        rev = list(dict.fromkeys([*cb_rev, *rev]))
        scales = {**cb_scales, **scales}
        dims = {d: [c for c in v if c in data.columns] for d, v in dims.items()}
    scale_arg = scales if scales else (scale if not isinstance(scale, Mapping) else None)
    srows, irows = [], []
    for dim, its in dims.items():
        if len(its) < 2:
            warnings.warn(
                f"reliability: dimension {dim!r} has {len(its)} item(s); skipped",
                NotEstimableWarning,
                stacklevel=2,
            )
            continue
        r_its = [c for c in rev if c in its]
        a = cronbach_alpha(data, items=its, reverse=r_its, scale=scale_arg, alpha=alpha)
        o = omega(data, items=its, reverse=r_its, scale=scale_arg)
        it = item_total(data, items=its, reverse=r_its, scale=scale_arg)
        row = {
            "dimension": dim,
            **a.iloc[0].to_dict(),
            "omega_total": o["omega_total"].iloc[0],
            "omega_improper": bool(o["heywood"].any() or not o["converged"].iloc[0]),
        }
        row["n_items"] = int(row["n_items"])
        srows.append(row)
        it.insert(0, "dimension", dim)
        it["loading"] = o["loading"].to_numpy()
        it["heywood"] = o["heywood"].to_numpy()
        irows.append(it)
    if not srows:
        raise CXValueError("no dimension has two or more items")
    scales_df = pd.DataFrame(srows)
    scales_df["low_alpha"] = scales_df["estimate"] < threshold
    scales_df = core.finish(
        scales_df,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=("estimate", "ci_lower", "ci_upper", "std_alpha", "mean_r", "omega_total"),
        where="survey.reliability",
    )
    return ReliabilityResult(
        scales=scales_df,
        items=pd.concat(irows, ignore_index=True),
        settings=dict(threshold=threshold, alpha=alpha, dimensions=dims, reverse=rev),
    )
