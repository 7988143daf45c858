"""Numba kernels behind the exact and sampled Shapley (LMG) decomposition.

Why hand-written: pingouin 0.7 (``linear_regression(relimp=True)``) and R's ``relaimpo`` invert one
sub-matrix per subset (``O(2^p p^3)``, a Python loop in pingouin); no maintained Python package
enumerates the subset lattice incrementally. Here every subset's R² comes from its parent's by one
*sweep* (a Schur-complement update) in a depth-first walk of the subset tree in which a node only
adds drivers with a larger index than its last one. A node whose last driver is ``j`` keeps the
partial covariance of the ``p - 1 - j`` later drivers and the outcome, so the whole walk costs
``sum_j 2^j (p - j)^2 = O(2^p)`` flops, plus ``O(p)`` per subset to accumulate the Shapley sums —
no subset is solved from scratch and no ``2^p`` array is stored unless asked for.

All kernels take ``A``, the ``(p + 1) x (p + 1)`` correlation matrix with the outcome in the last
row and column, and assume every driver has a positive residual variance given the others (the
caller drops perfectly collinear drivers first).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def _walk(A, store):  # pragma: no cover - compiled
    """Depth-first walk of all subsets.

    Returns ``(plus, minus, r2)``: ``plus[j, k]`` sums R²(S ∪ {j}) and ``minus[j, k]`` sums R²(S)
    over the subsets S of the other drivers with ``|S| = k``; ``r2[mask]`` is every subset's R²
    (bit j = driver j) when ``store`` is true, else an empty array.
    """
    p = A.shape[0] - 1
    y = p
    syy = A[y, y]
    plus = np.zeros((p, p))
    minus = np.zeros((p, p))
    if store:
        r2 = np.zeros(1 << p)
    else:
        r2 = np.zeros(0)
    # the root (empty set, R² = 0) adds nothing to plus or minus
    work = np.empty((p + 1, p + 1, p + 1))
    for a in range(p + 1):
        for b in range(p + 1):
            work[0, a, b] = A[a, b]
    cand = np.zeros(p + 1, dtype=np.int64)
    masks = np.zeros(p + 1, dtype=np.int64)
    d = 0
    cand[0] = 0
    masks[0] = 0
    while d >= 0:
        j = cand[d]
        if j >= p:
            d -= 1
            continue
        cand[d] = j + 1
        piv = work[d, j, j]
        # sweep driver j out of the remaining block (upper triangle only)
        for a in range(j + 1, p + 1):
            f = work[d, j, a] / piv
            for b in range(a, p + 1):
                work[d + 1, a, b] = work[d, a, b] - f * work[d, j, b]
        mask = masks[d] | (1 << j)
        v = (syy - work[d + 1, y, y]) / syy
        if store:
            r2[mask] = v
        k = d + 1  # size of the new subset
        for i in range(p):
            if (mask >> i) & 1:
                plus[i, k - 1] += v
            elif k < p:
                minus[i, k] += v
        masks[d + 1] = mask
        cand[d + 1] = j + 1
        d += 1
    return plus, minus, r2


@njit(cache=True, error_model="numpy")
def _binom(n, k):  # pragma: no cover - compiled
    if k < 0 or k > n:
        return 0.0
    out = 1.0
    for i in range(1, k + 1):
        out = out * (n - k + i) / i
    return out


@njit(cache=True, error_model="numpy")
def conditional_gains(A):  # pragma: no cover - compiled
    """``cond[j, k]``: mean R² gain of driver j over the subsets of the others of size k."""
    p = A.shape[0] - 1
    plus, minus, _ = _walk(A, False)
    cond = np.empty((p, p))
    for k in range(p):
        c = _binom(p - 1, k)
        for j in range(p):
            cond[j, k] = (plus[j, k] - minus[j, k]) / c
    return cond


#: replicates swept together by :func:`lmg_batch` (innermost, contiguous: SIMD lanes)
LMG_BLOCK = 32


@njit(cache=True, error_model="numpy")
def _lmg_block(As, b0, nb, out):  # pragma: no cover - compiled
    """LMG of replicates ``b0 .. b0 + nb - 1`` of ``As`` into ``out``, one subset walk for all.

    The walk is :func:`_walk`'s, with the ``nb`` replicates in the innermost (contiguous) axis of the
    work array, so every sweep is a short vector loop. The Shapley sums need no ``O(p)`` step per
    subset: with ``c⁺_k = 1/C(p-1, k-1) + 1/C(p-1, k)`` (the last term 0 for k = p) and
    ``c⁻_k = 1/C(p-1, k)``, ``LMG_j = (Σ_{S∋j} c⁺_|S| R²(S) − Σ_S c⁻_|S| R²(S)) / p``; the first sum is
    collected per node of the tree (a subset containing j passes through exactly one node whose
    last driver is j) by adding each finished node's subtree total to its last driver.
    """
    p = As.shape[1] - 1
    y = p
    cplus = np.zeros(p + 1)
    cminus = np.zeros(p + 1)
    for k in range(1, p + 1):
        cplus[k] = 1.0 / _binom(p - 1, k - 1)
        if k < p:
            cminus[k] = 1.0 / _binom(p - 1, k)
            cplus[k] += cminus[k]
    work = np.empty((p + 1, p + 1, p + 1, nb))
    for a in range(p + 1):
        for b in range(p + 1):
            for t in range(nb):
                work[0, a, b, t] = As[b0 + t, a, b]
    syy = np.empty(nb)
    for t in range(nb):
        syy[t] = As[b0 + t, y, y]
    acc = np.zeros((p, nb))
    total = np.zeros(nb)
    sub = np.zeros((p + 2, nb))
    last = np.zeros(p + 2, dtype=np.int64)
    cand = np.zeros(p + 2, dtype=np.int64)
    f = np.empty(nb)
    inv = np.empty(nb)
    d = 0
    while d >= 0:
        j = cand[d]
        if j >= p:
            if d > 0:  # node finished: its subtree total goes to its last driver and its parent
                lj = last[d]
                for t in range(nb):
                    acc[lj, t] += sub[d, t]
                    sub[d - 1, t] += sub[d, t]
            d -= 1
            continue
        cand[d] = j + 1
        for t in range(nb):
            inv[t] = 1.0 / work[d, j, j, t]
        for a in range(j + 1, p + 1):
            for t in range(nb):
                f[t] = work[d, j, a, t] * inv[t]
            for b in range(a, p + 1):
                for t in range(nb):
                    work[d + 1, a, b, t] = work[d, a, b, t] - f[t] * work[d, j, b, t]
        k = d + 1
        cp = cplus[k]
        cm = cminus[k]
        for t in range(nb):
            v = (syy[t] - work[d + 1, y, y, t]) / syy[t]
            sub[k, t] = v * cp
            total[t] += v * cm
        last[k] = j
        cand[k] = j + 1
        d = k
    for t in range(nb):
        for j in range(p):
            out[b0 + t, j] = (acc[j, t] - total[t]) / p


@njit(cache=True, error_model="numpy")
def lmg_batch(As):  # pragma: no cover - compiled
    """LMG values for a stack of correlation matrices ``As`` (B x (p+1) x (p+1)) -> (B x p).

    Blocks of :data:`LMG_BLOCK` replicates share one walk (:func:`_lmg_block`).
    """
    B = As.shape[0]
    p = As.shape[1] - 1
    out = np.empty((B, p))
    b0 = 0
    while b0 < B:
        nb = min(LMG_BLOCK, B - b0)
        _lmg_block(As, b0, nb, out)
        b0 += nb
    return out


@njit(cache=True, error_model="numpy")
def lmg_batch_walk(As):  # pragma: no cover - compiled
    """LMG from :func:`conditional_gains`, one replicate at a time (the implementation before
    issue 14; kept as the independent check of :func:`lmg_batch` and for the benchmark)."""
    B = As.shape[0]
    p = As.shape[1] - 1
    out = np.empty((B, p))
    for b in range(B):
        cond = conditional_gains(As[b])
        for j in range(p):
            s = 0.0
            for k in range(p):
                s += cond[j, k]
            out[b, j] = s / p
    return out


@njit(cache=True, error_model="numpy")
def subset_r2(A):  # pragma: no cover - compiled
    """R² of every subset, indexed by bitmask (bit j set = driver j in the model)."""
    _, _, r2 = _walk(A, True)
    return r2


@njit(cache=True, error_model="numpy")
def complete_dominance(r2, p):  # pragma: no cover - compiled
    """``D[i, j] = 1`` if i adds more R² than j to every subset of the other drivers, ``-1`` if
    less for every subset, ``0`` otherwise (undetermined; ties count as undetermined)."""
    D = np.zeros((p, p))
    for i in range(p):
        for j in range(i + 1, p):
            bi = 1 << i
            bj = 1 << j
            above = True
            below = True
            for mask in range(1 << p):
                if mask & bi or mask & bj:
                    continue
                gi = r2[mask | bi]
                gj = r2[mask | bj]
                if not gi > gj:
                    above = False
                if not gi < gj:
                    below = False
                if not above and not below:
                    break
            if above:
                D[i, j] = 1.0
                D[j, i] = -1.0
            elif below:
                D[i, j] = -1.0
                D[j, i] = 1.0
    return D


@njit(cache=True, error_model="numpy")
def permutation_gains(A, perms):  # pragma: no cover - compiled
    """R² gain of each driver when drivers enter in the order of each row of ``perms``."""
    n_perm, p = perms.shape
    y = p
    syy = A[y, y]
    out = np.empty((n_perm, p))
    W = np.empty((p + 1, p + 1))
    done = np.zeros(p + 1, dtype=np.bool_)
    for r in range(n_perm):
        for a in range(p + 1):
            done[a] = False
            for b in range(p + 1):
                W[a, b] = A[a, b]
        prev = 0.0
        for t in range(p):
            j = perms[r, t]
            piv = W[j, j]
            done[j] = True
            for a in range(p + 1):
                if done[a]:
                    continue
                f = W[a, j] / piv
                for b in range(a, p + 1):
                    if done[b]:
                        continue
                    W[a, b] -= f * W[j, b]
                    W[b, a] = W[a, b]
            cur = (syy - W[y, y]) / syy
            out[r, j] = cur - prev
            prev = cur
    return out


@njit(cache=True, error_model="numpy")
def residual_variances(A, tol):  # pragma: no cover - compiled
    """Sequential sweep in column order of the drivers' block of ``A`` (p x p correlation).

    Returns the residual variance of each driver given the earlier *kept* drivers; a driver whose
    residual variance is at most ``tol`` is not swept (it is flagged as collinear by the caller).
    """
    p = A.shape[0]
    W = A.copy()
    res = np.empty(p)
    done = np.zeros(p, dtype=np.bool_)
    for j in range(p):
        res[j] = W[j, j]
        if W[j, j] <= tol:
            continue
        piv = W[j, j]
        done[j] = True
        for a in range(p):
            if done[a]:
                continue
            f = W[a, j] / piv
            for b in range(p):
                if done[b]:
                    continue
                W[a, b] -= f * W[j, b]
    return res


@njit(cache=True, nogil=True)
def bootstrap_counts(draws, C):  # pragma: no cover - compiled
    """``C[b, i]`` = how often row ``i`` is among ``draws[b]`` (C is overwritten; float counts)."""
    nb, n = draws.shape
    for b in range(nb):
        for i in range(C.shape[1]):
            C[b, i] = 0.0
        for k in range(n):
            C[b, draws[b, k]] += 1.0
