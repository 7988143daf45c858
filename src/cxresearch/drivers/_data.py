"""Input checks and the single pass over the data: weighted moments and correlation matrices."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError, CXWarning

from . import _kernels

MISSING = ("listwise", "pairwise")
ON_DEGENERATE = ("drop", "raise")
COLLINEAR_TOL = 1e-10


class DroppedDriverWarning(CXWarning):
    """A driver was left out of the model (zero variance or perfect collinearity)."""


@dataclass(frozen=True)
class Prepared:
    """Everything the estimators need after the one pass over the data."""

    corr: np.ndarray  # (p+1) x (p+1), outcome last, kept drivers only
    cov: np.ndarray  # same, covariances (weights normalised to sum 1, no n-1 correction)
    mean: np.ndarray  # weighted means, outcome last
    drivers: tuple[str, ...]  # kept drivers
    dropped: tuple[tuple[str, str], ...]  # (driver, reason)
    n: int
    n_eff: float
    missing: str
    X: np.ndarray | None  # listwise rows (kept drivers then outcome), for bootstrap/logistic
    w: np.ndarray | None  # listwise weights (None = unweighted)


def check_columns(data, *, outcome: str, drivers, weights, by=None) -> tuple[str, ...]:
    """Validate the names; return the drivers as a tuple."""
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if not isinstance(outcome, str):
        raise CXValueError(f"outcome must be one column name (str); got {outcome!r}")
    if isinstance(drivers, str) or not isinstance(drivers, Sequence | pd.Index | np.ndarray):
        raise CXValueError(f"drivers must be a list of column names; got {drivers!r}")
    drivers = tuple(drivers)
    if len(drivers) == 0:
        raise CXValueError("drivers must name at least one column; got an empty list")
    dupes = sorted({d for d in drivers if drivers.count(d) > 1})
    if dupes:
        raise CXValueError(f"drivers must be distinct; repeated: {dupes}")
    if outcome in drivers:
        raise CXValueError(
            f"outcome {outcome!r} is also among the drivers; a column cannot explain itself"
        )
    needed = [outcome, *drivers]
    if weights is not None:
        if not isinstance(weights, str):
            raise CXValueError(f"weights must be a column name or None; got {weights!r}")
        if weights == outcome or weights in drivers:
            raise CXValueError(f"weights column {weights!r} is also the outcome or a driver")
        needed.append(weights)
    if by is not None:
        needed += [by] if isinstance(by, str) else list(by)
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise CXValueError(
            f"column(s) not in data: {missing}; available: {list(map(str, data.columns))}"
        )
    for c in [outcome, *drivers] + ([weights] if weights else []):
        dt = data[c].dtype
        if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt)) or isinstance(
            dt, pd.CategoricalDtype
        ):
            raise CXValueError(f"column {c!r} must be numeric (int, float or bool); got dtype {dt}")
    return drivers


def weight_vector(data: pd.DataFrame, weights: str | None) -> np.ndarray | None:
    """The weights column as floats; NaN, infinite, negative or all-zero weights are refused."""
    if weights is None:
        return None
    w = data[weights].to_numpy(dtype=float)
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CXValueError(
            f"weights column {weights!r} has {int(bad.sum())} missing or infinite value(s) "
            f"(first at row {data.index[i]!r}: {w[i]!r}); weights must be finite and >= 0"
        )
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise CXValueError(
            f"weights column {weights!r} has negative values (row {data.index[i]!r}: {w[i]!r}); "
            "weights must be >= 0"
        )
    if not (w > 0).any():
        raise CXValueError(f"weights column {weights!r} is zero for every row")
    return w


def kish(w: np.ndarray | None, n: int) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    if w is None:
        return float(n)
    return float(w.sum() ** 2 / (w @ w))


def columns_shifted(data: pd.DataFrame, cols) -> tuple[np.ndarray, np.ndarray]:
    """The columns as a variables-by-rows float array, each shifted by one of its own values.

    Filling column by column is several times faster than ``DataFrame.to_numpy`` on frames of
    many columns, and the shift (the column's first observed value) keeps the cross-products
    accurate when a column's mean is large relative to its spread; it cancels exactly in every
    covariance.
    """
    n = len(data)
    Xt = np.empty((len(cols), n))
    shift = np.zeros(len(cols))
    for i, c in enumerate(cols):
        col = data[c].to_numpy(dtype=float, na_value=np.nan)
        head = col[:1000]
        seen = np.flatnonzero(~np.isnan(head))
        if seen.size:
            shift[i] = head[seen[0]]
        else:
            m = np.nanmean(col) if np.isfinite(col).any() else 0.0
            shift[i] = m
        np.subtract(col, shift[i], out=Xt[i])
    return Xt, shift


def moments_t(Xt: np.ndarray, w: np.ndarray | None, *, overwrite: bool = False):
    """Weighted mean and covariance (divisor Σw) of the rows of a variables-by-rows array."""
    n = Xt.shape[1]
    if w is None:
        m = Xt.sum(axis=1) / n
        S = Xt @ Xt.T / n
    else:
        W = float(w.sum())
        m = Xt @ w / W
        Z = Xt if overwrite else Xt.copy()
        Z *= np.sqrt(w)
        S = Z @ Z.T / W
    cov = S - np.outer(m, m)
    return m, (cov + cov.T) / 2


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):  # zero-variance columns are dropped later
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    return corr


def pairwise_moments(X: np.ndarray, w: np.ndarray | None):
    """Pairwise-complete weighted correlation (as R's ``cor(use = "pairwise")`` when unweighted).

    Returns ``(mean, cov, corr, count, n_eff)`` with ``count[i, j]`` the rows where both i and j are
    observed and ``n_eff[i, j]`` their Kish effective size. ``cov`` pairs each pair's covariance
    with the full-column standard deviations implied by ``corr``.
    """
    obs = ~np.isnan(X)
    centre = np.nanmean(X, axis=0)
    Z = np.where(obs, X - centre, 0.0)
    wv = np.ones(X.shape[0]) if w is None else w
    M = obs.astype(float)
    Mw = M * wv[:, None]
    W = Mw.T @ M  # sum of weights where both observed
    W2 = (Mw * wv[:, None]).T @ M
    Sx = (Z * wv[:, None]).T @ M  # Sx[i, j] = sum_w x_i over rows with j observed (and i)
    Sxx = (Z * wv[:, None]).T @ Z
    Sx2 = (Z * Z * wv[:, None]).T @ M
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = Sx / W  # mean of i on pairs with j
        mj = Sx.T / W  # mean of j on pairs with i
        cov = Sxx / W - mi * mj
        vi = Sx2 / W - mi**2
        vj = Sx2.T / W - mj**2
        corr = cov / np.sqrt(vi * vj)
        n_eff = W**2 / W2
    np.fill_diagonal(corr, 1.0)
    count = M.T @ M
    sd = np.sqrt(np.diag(vi))
    mean = np.diag(mi) + centre
    return mean, corr * np.outer(sd, sd), corr, count, n_eff


def prepare(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    weights: str | None,
    missing: str = "listwise",
    on_degenerate: str = "drop",
    keep_rows: bool = False,
    min_extra_rows: int = 2,
) -> Prepared:
    """Validate, apply the missing-data rule, compute the (weighted) correlation matrix once and
    drop zero-variance or perfectly collinear drivers (warning naming them)."""
    drivers = check_columns(data, outcome=outcome, drivers=drivers, weights=weights)
    if missing not in MISSING:
        raise CXValueError(f"missing must be one of {MISSING}; got {missing!r}")
    if on_degenerate not in ON_DEGENERATE:
        raise CXValueError(f"on_degenerate must be one of {ON_DEGENERATE}; got {on_degenerate!r}")
    w = weight_vector(data, weights)
    cols = [*drivers, outcome]
    Xt, shift = columns_shifted(data, cols)
    if w is not None:
        pos = w > 0  # zero-weight rows carry no information
        if not pos.all():
            Xt, w = Xt[:, pos], w[pos]
    p = len(drivers)
    if missing == "listwise":
        ok = ~np.isnan(Xt).any(axis=0)
        if not ok.all():
            Xt = Xt[:, ok]
            w = None if w is None else w[ok]
        n = Xt.shape[1]
        n_eff = kish(w, n)
        if n < p + min_extra_rows:
            raise CXValueError(
                f"{n} complete row(s) for {p} driver(s) of {outcome!r}; need at least "
                f"{p + min_extra_rows} (drivers + {min_extra_rows}) after listwise deletion"
            )
        X = (Xt + shift[:, None]).T if keep_rows else None
        mean, cov = moments_t(Xt, w, overwrite=True)
        mean = mean + shift
        corr_full = None
    else:
        X = (Xt + shift[:, None]).T
        has_y = ~np.isnan(X[:, -1])  # rows without the outcome carry nothing
        X = X[has_y]
        w = None if w is None else w[has_y]
        mean, cov, corr_full, count, n_eff_m = pairwise_moments(X, w)
        n = int(count.min())
        n_eff = float(np.nanmin(n_eff_m))
        if n < p + min_extra_rows:
            raise CXValueError(
                f"smallest pairwise base is {n} row(s) for {p} driver(s) of {outcome!r}; "
                f"need at least {p + min_extra_rows} (drivers + {min_extra_rows})"
            )
    var = np.diag(cov)
    if not var[-1] > 0:
        raise CXValueError(f"outcome {outcome!r} is constant (no variance) in the rows used")
    dropped: list[tuple[str, str]] = []
    zero = [i for i in range(p) if not var[i] > 1e-12 * max(1.0, abs(mean[i]) ** 2)]
    for i in zero:
        dropped.append((drivers[i], "zero variance"))
    keep = [i for i in range(p) if i not in zero]
    corr = cov_to_corr(cov) if corr_full is None else corr_full
    if keep:
        sub = corr[np.ix_(keep, keep)]
        res = _kernels.residual_variances(np.ascontiguousarray(sub), COLLINEAR_TOL)
        coll = [keep[i] for i in range(len(keep)) if res[i] <= COLLINEAR_TOL]
        for i in coll:
            dropped.append((drivers[i], "perfect collinearity with earlier drivers"))
        keep = [i for i in keep if i not in coll]
    if dropped:
        names = ", ".join(f"{d!r} ({why})" for d, why in dropped)
        if on_degenerate == "raise":
            raise CXValueError(f"driver(s) cannot enter the model of {outcome!r}: {names}")
        if not keep:
            raise CXValueError(f"no usable driver of {outcome!r} is left: {names}")
        warnings.warn(
            f"driver(s) dropped from the model of {outcome!r}: {names}",
            DroppedDriverWarning,
            stacklevel=3,
        )
    idx = [*keep, p]
    corr = np.ascontiguousarray(corr[np.ix_(idx, idx)])
    if missing == "pairwise":
        ev = np.linalg.eigvalsh(corr)
        if ev.min() < -1e-10:
            raise CXValueError(
                "the pairwise correlation matrix is not positive semi-definite (smallest "
                f"eigenvalue {ev.min():.3g}); use missing='listwise'"
            )
    return Prepared(
        corr=corr,
        cov=np.ascontiguousarray(cov[np.ix_(idx, idx)]),
        mean=mean[idx],
        drivers=tuple(drivers[i] for i in keep),
        dropped=tuple(dropped),
        n=int(n),
        n_eff=float(n_eff),
        missing=missing,
        X=np.ascontiguousarray(X[:, idx])
        if X is not None and keep_rows and missing == "listwise"
        else None,
        w=w if (keep_rows and missing == "listwise") else None,
    )
