"""Respondent bootstrap through weighted correlation matrices, and percentile / BCa intervals.

A replicate draws ``n`` respondents with replacement; respondent ``i`` drawn ``c_i`` times enters
with weight ``c_i w_i`` (``w_i`` = 1 unweighted). Each replicate is therefore one weighted
cross-product of the centred data (``O(n q^2)``), after which the statistic costs nothing that
grows with ``n``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

CI_METHODS = ("bca", "percentile")


def _corr_from(S: np.ndarray, ref_var: np.ndarray) -> np.ndarray:
    """Correlations of a stack of covariance matrices; a matrix in which some variable has
    (numerically) no variance — at most 1e-10 of its full-sample variance — becomes all NaN."""
    var = np.diagonal(S, axis1=-2, axis2=-1)
    dead = (var <= 1e-10 * ref_var).any(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(var)
        C = S / (sd[..., :, None] * sd[..., None, :])
    C[dead] = np.nan
    idx = np.arange(S.shape[-1])
    C[..., idx, idx] = 1.0
    return C


def _weighted_cov(Xc: np.ndarray, v: np.ndarray) -> np.ndarray:
    W = v.sum()
    m = v @ Xc / W
    S = (Xc * v[:, None]).T @ Xc / W - np.outer(m, m)
    return (S + S.T) / 2


def replicate_corrs(X: np.ndarray, w: np.ndarray | None, n_boot: int, rng) -> np.ndarray:
    """Correlation matrices of ``n_boot`` respondent-bootstrap replicates, shape (B, q, q)."""
    n, q = X.shape
    base = np.ones(n) if w is None else w
    Xc = X - (base @ X) / base.sum()
    out = np.empty((n_boot, q, q))
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n)
        out[b] = _weighted_cov(Xc, counts * base)
    return _corr_from(out, np.diag(_weighted_cov(Xc, base)))


def jackknife_corrs(X: np.ndarray, w: np.ndarray | None, groups: int, rng) -> np.ndarray:
    """Delete-a-group jackknife correlation matrices, shape (G, q, q).

    With ``groups >= n`` every respondent is its own group (the ordinary jackknife); otherwise the
    respondents are split at random into ``groups`` groups of (nearly) equal size.
    """
    n, q = X.shape
    base = np.ones(n) if w is None else w
    Xc = X - (base @ X) / base.sum()
    G = min(groups, n)
    label = np.arange(n) % G
    if G < n:
        label = rng.permutation(label)
    order = np.argsort(label, kind="stable")
    starts = np.searchsorted(label[order], np.arange(G))
    Xw = Xc * base[:, None]
    S0 = base.sum()
    S1 = Xw.sum(axis=0)
    S2 = Xw.T @ Xc
    out = np.empty((G, q, q))
    bounds = [*starts.tolist(), n]
    for g in range(G):
        rows = order[bounds[g] : bounds[g + 1]]
        w0 = S0 - base[rows].sum()
        s1 = S1 - Xw[rows].sum(axis=0)
        s2 = S2 - Xw[rows].T @ Xc[rows]
        m = s1 / w0
        S = s2 / w0 - np.outer(m, m)
        out[g] = (S + S.T) / 2
    return _corr_from(out, np.diag(S2 / S0 - np.outer(S1 / S0, S1 / S0)))


def bca_levels(theta_hat, boot, jack, alpha):
    """Adjusted lower/upper quantile levels of the BCa interval (Efron & Tibshirani 1993, 14.3).

    ``theta_hat`` (k,), ``boot`` (B, k), ``jack`` (G, k). ``z0`` uses the share of replicates
    below the estimate, ties counted half; ``a`` is the jackknife skewness of the influence
    values.
    """
    B = boot.shape[0]
    below = (boot < theta_hat).sum(axis=0) + 0.5 * (boot == theta_hat).sum(axis=0)
    z0 = ndtri(below / B)
    U = jack.mean(axis=0) - jack
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (U**3).sum(axis=0) / (6.0 * ((U**2).sum(axis=0)) ** 1.5)
    a = np.where(np.isfinite(a), a, 0.0)
    z_lo = ndtri(alpha / 2)
    z_hi = -z_lo
    lo = ndtr(z0 + (z0 + z_lo) / (1 - a * (z0 + z_lo)))
    hi = ndtr(z0 + (z0 + z_hi) / (1 - a * (z0 + z_hi)))
    return lo, hi, z0, a


def interval(theta_hat, boot, jack, alpha, method):
    """(lower, upper) per column; NaN where the bootstrap distribution is degenerate."""
    if method == "percentile":
        lo = np.full(boot.shape[1], alpha / 2)
        hi = np.full(boot.shape[1], 1 - alpha / 2)
    else:
        lo, hi, _, _ = bca_levels(theta_hat, boot, jack, alpha)
    lower = np.full(boot.shape[1], np.nan)
    upper = np.full(boot.shape[1], np.nan)
    for j in range(boot.shape[1]):
        if np.isfinite(lo[j]) and np.isfinite(hi[j]):
            lower[j] = np.quantile(boot[:, j], lo[j])
            upper[j] = np.quantile(boot[:, j], hi[j])
    return lower, upper


def p_value(boot):
    """Two-sided bootstrap p-value for a difference being zero: 2 min(P(d* <= 0), P(d* >= 0))."""
    B = boot.shape[0]
    le = (boot <= 0).sum(axis=0) / B
    ge = (boot >= 0).sum(axis=0) / B
    return np.minimum(1.0, 2 * np.minimum(le, ge))
