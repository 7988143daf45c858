"""Respondent bootstrap through weighted correlation matrices, and percentile / BCa intervals.

A replicate draws ``n`` respondents with replacement; respondent ``i`` drawn ``c_i`` times enters
with weight ``c_i w_i`` (``w_i`` = 1 unweighted). Each replicate is therefore one weighted
cross-product of the centred data (``O(n q^2)``), after which the statistic costs nothing that
grows with ``n``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from . import _kernels

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


#: bytes of replicate counts and row cross-products held at once by :func:`replicate_corrs`
BATCH_BYTES = 64 * 2**20


def replicate_corrs(X: np.ndarray, w: np.ndarray | None, n_boot: int, rng) -> np.ndarray:
    """Correlation matrices of ``n_boot`` respondent-bootstrap replicates, shape (B, q, q).

    Replicate b draws ``n`` rows with replacement (``rng.integers(0, n, n)``, the counts ``c_b``);
    its weighted moments are ``c_b' (w ∘ Z)`` with ``Z`` the rows' ``[1, x, x_j x_k (j <= k)]``
    (centred at the full-sample mean). Replicates are formed in batches, so the whole bootstrap is
    a few matrix products ``(w ∘ Z)' C'`` (BLAS) instead of one weighted pass per replicate; the
    draws, and so the replicates, are those of the one-at-a-time loop
    (:func:`replicate_corrs_loop`) with the same generator, to rounding (tested to 1e-12).
    """
    n, q = X.shape
    base = np.ones(n) if w is None else np.asarray(w, dtype=float)
    Xc = X - (base @ X) / base.sum()
    iu, ju = np.triu_indices(q)
    m = 1 + q + iu.size
    # Z' = [1, x, x_j x_k]' ∘ w, built once (m x n, the layout BLAS multiplies fastest here)
    XT = np.ascontiguousarray(Xc.T)
    ZT = np.empty((m, n))
    ZT[0] = base
    np.multiply(XT, base, out=ZT[1 : 1 + q])
    for k, (i, j) in enumerate(zip(iu, ju, strict=True)):  # row by row: no n x m temporaries
        np.multiply(ZT[1 + i], XT[j], out=ZT[1 + q + k])
    reps_chunk = max(1, min(n_boot, BATCH_BYTES // (16 * n)))
    out = np.empty((n_boot, q, q))
    C_buf = np.empty((reps_chunk, n))
    for b0 in range(0, n_boot, reps_chunk):
        nb = min(n_boot, b0 + reps_chunk) - b0
        # the same draws as nb successive rng.integers(0, n, n) calls (row-major fill)
        draws = rng.integers(0, n, size=(nb, n))
        C = C_buf[:nb]
        _kernels.bootstrap_counts(draws, C)
        M = (ZT @ C.T).T  # nb x m
        W = M[:, 0]
        mean = M[:, 1 : 1 + q] / W[:, None]
        S = np.empty((nb, q, q))
        S[:, iu, ju] = M[:, 1 + q :] / W[:, None] - mean[:, iu] * mean[:, ju]
        S[:, ju, iu] = S[:, iu, ju]
        out[b0 : b0 + nb] = S
    return _corr_from(out, np.diag(_weighted_cov(Xc, base)))


def replicate_corrs_loop(X: np.ndarray, w: np.ndarray | None, n_boot: int, rng) -> np.ndarray:
    """:func:`replicate_corrs` one replicate at a time (the implementation before issue 14; kept as
    its check and for ``benchmarks/bench_drivers.py``)."""
    n, q = X.shape
    base = np.ones(n) if w is None else w
    Xc = X - (base @ X) / base.sum()
    out = np.empty((n_boot, q, q))
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n)
        out[b] = _weighted_cov(Xc, counts * base)
    return _corr_from(out, np.diag(_weighted_cov(Xc, base)))


#: groups of the delete-a-group jackknife behind the BCa acceleration (the ordinary jackknife when
#: n is at most this): the acceleration's Monte-Carlo SD is about 0.41 / groups (the SD of a
#: sample skewness over G values, sqrt(6/G), over 6 sqrt(G)), 0.002 with 200 groups — a shift of
#: the BCa quantile levels below 0.001, within the bootstrap's own Monte-Carlo error at 1,000
#: replicates
JACKKNIFE_GROUPS = 200


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
    """Two-sided bootstrap p-value for a difference being zero: 2 min(P(d* <= 0), P(d* >= 0)),
    floored at 1/(B + 1): B replicates cannot resolve a smaller p (Davison & Hinkley 1997, 4.2),
    so a p-value at the floor means "at most 1/(B + 1)" (see :func:`p_floor`)."""
    B = boot.shape[0]
    le = (boot <= 0).sum(axis=0) / B
    ge = (boot >= 0).sum(axis=0) / B
    return np.maximum(np.minimum(1.0, 2 * np.minimum(le, ge)), p_floor(B))


def p_floor(n_boot: int) -> float:
    """The smallest bootstrap p-value :func:`p_value` reports from ``n_boot`` replicates, 1/(B + 1)."""
    return 1.0 / (n_boot + 1)
