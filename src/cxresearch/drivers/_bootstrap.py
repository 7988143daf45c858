"""Respondent bootstrap through weighted correlation matrices, and percentile / BCa intervals.

A replicate draws ``n`` respondents with replacement; respondent ``i`` drawn ``c_i`` times enters
with weight ``c_i w_i`` (``w_i`` = 1 unweighted). Each replicate is therefore one weighted
cross-product of the centred data (``O(n q^2)``), after which the statistic costs nothing that
grows with ``n``.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.special import ndtr, ndtri
from threadpoolctl import threadpool_limits

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


#: bytes of replicate draws and counts held at once by :func:`replicate_corrs` (12 per row and
#: replicate: int32 draws, float32 counts of the batch being counted and of the one being multiplied)
BATCH_BYTES = 64 * 2**20

#: rows per single-precision product in :func:`replicate_corrs`; the products are summed in double
ROW_CHUNK = 131072

#: rows from which :func:`replicate_corrs` multiplies in single precision (below, the products
#: cost little and run in double: replicates equal to the loop's to rounding)
SINGLE_MIN_ROWS = 20_000

#: one BLAS thread limit at a time: threadpoolctl sets and restores a process-wide setting, which
#: two bootstraps in threads of one process would otherwise restore out of order
_PIPELINE = threading.Lock()


def replicate_corrs(X: np.ndarray, w: np.ndarray | None, n_boot: int, rng) -> np.ndarray:
    """Correlation matrices of ``n_boot`` respondent-bootstrap replicates, shape (B, q, q).

    Replicate b draws ``n`` rows with replacement (``rng.integers(0, n, n)``, the counts ``c_b``);
    its weighted moments are ``c_b' (w ∘ Z)`` with ``Z`` the rows' ``[1, x, x_j x_k (j <= k)]``
    (centred at the full-sample mean). Replicates are formed in batches, so the whole bootstrap is
    a few matrix products ``(w ∘ Z)' C'`` (BLAS) instead of one weighted pass per replicate; the
    draws are those of the one-at-a-time loop (:func:`replicate_corrs_loop`) with the same
    generator (drawn as int32, which numpy draws from the same stream as int64 below 2^31 rows).

    From :data:`SINGLE_MIN_ROWS` rows the products run in single precision, which halves their
    cost, without losing the double result: every column of ``w ∘ Z`` is centred at its mean ``z̄`` first (``c_b' Z = n z̄ +
    c_b' (Z - z̄)``, as the counts sum to ``n``), the counts are small integers (exact in float32)
    and the products over :data:`ROW_CHUNK` rows at a time are summed in double. The replicate
    correlations then differ from the double-precision loop by about 1e-8 (at n = 100,000, p = 15,
    also with two drivers correlated 0.99, and uncentred columns would give 1e-6; tested to 1e-6
    against the loop), the interval limits of the shares by about 1e-8, far below the
    bootstrap's own Monte-Carlo error (see ``benchmarks/bench_drivers.py``).
    """
    n, q = X.shape
    base = np.ones(n) if w is None else np.asarray(w, dtype=float)
    Xc = X - (base @ X) / base.sum()
    iu, ju = np.triu_indices(q)
    m = 1 + q + iu.size
    # Z' - z̄ = [1, x, x_j x_k]' ∘ w, centred per row: m x n, the layout BLAS multiplies fastest
    XT = np.ascontiguousarray(Xc.T)
    WX = XT * base
    dtype = np.float32 if n >= SINGLE_MIN_ROWS else np.float64
    ZT = np.empty((m, n), dtype=dtype)
    zbar = np.empty(m)

    def put(k: int, row: np.ndarray) -> None:  # one row at a time: no n x m double temporaries
        zbar[k] = row.mean()
        ZT[k] = row - zbar[k]

    put(0, base)
    for i in range(q):
        put(1 + i, WX[i])
    for k, (i, j) in enumerate(zip(iu, ju, strict=True)):
        put(1 + q + k, WX[i] * XT[j])
    del WX
    reps_chunk = max(1, min(n_boot, BATCH_BYTES // (12 * n)))
    draw_type = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    out = np.empty((n_boot, q, q))
    buffers = [np.empty((reps_chunk, n), dtype=dtype) for _ in range(2)]

    def moments(b0: int, C: np.ndarray) -> None:  # replicates b0 .. b0 + len(C) - 1 into out
        nb = C.shape[0]
        M = np.repeat((n * zbar)[:, None], nb, axis=1)  # m x nb, double
        for s in range(0, n, ROW_CHUNK):
            M += ZT[:, s : s + ROW_CHUNK] @ C[:, s : s + ROW_CHUNK].T
        M = M.T
        W = M[:, 0]
        mean = M[:, 1 : 1 + q] / W[:, None]
        S = np.empty((nb, q, q))
        S[:, iu, ju] = M[:, 1 + q :] / W[:, None] - mean[:, iu] * mean[:, ju]
        S[:, ju, iu] = S[:, iu, ju]
        out[b0 : b0 + nb] = S

    starts = range(0, n_boot, reps_chunk)
    if len(starts) == 1:  # one batch: nothing to overlap
        C = buffers[0][:n_boot]
        _kernels.bootstrap_counts(rng.integers(0, n, size=(n_boot, n), dtype=draw_type), C)
        moments(0, C)
        return _corr_from(out, np.diag(_weighted_cov(Xc, base)))
    # a pipeline of two threads: this one draws and counts batch k + 1 while a worker multiplies
    # batch k (numpy's generator, the counting kernel and BLAS release the GIL). BLAS runs
    # single-threaded meanwhile: the two threads already fill two cores, and OpenBLAS's own
    # threads would only spin between products (the numbers agree to single-precision rounding
    # either way; tested)
    with (
        _PIPELINE,
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending = []
        for k, b0 in enumerate(starts):
            nb = min(n_boot, b0 + reps_chunk) - b0
            # the same draws as nb successive rng.integers(0, n, n) calls (row-major fill)
            draws = rng.integers(0, n, size=(nb, n), dtype=draw_type)
            if len(pending) == 2:  # the buffer about to be filled is free again
                pending.pop(0).result()
            C = buffers[k % 2][:nb]
            _kernels.bootstrap_counts(draws, C)
            del draws
            pending.append(pool.submit(moments, b0, C))
        for f in pending:
            f.result()
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
