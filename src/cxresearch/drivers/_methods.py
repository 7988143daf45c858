"""Importance statistics computed from stacks of correlation matrices (outcome last).

Every function takes ``As`` of shape ``(B, p + 1, p + 1)`` and returns ``(estimate, share, r2)``
with shapes ``(B, p)``, ``(B, p)``, ``(B,)`` so that the point estimate (``B = 1``) and the
bootstrap replicates share one code path.
"""

from __future__ import annotations

import numpy as np

from . import _kernels

METHODS = ("lmg", "relative_weights", "beta", "pratt", "pearson", "spearman")

#: name of the estimate column for each method
VALUE_COLUMN = {
    "lmg": "lmg",
    "relative_weights": "raw_weight",
    "beta": "beta",
    "pratt": "pratt",
    "pearson": "r",
    "spearman": "rho",
}


def _split(As):
    Rxx = As[:, :-1, :-1]
    rxy = As[:, :-1, -1]
    return Rxx, rxy


def _betas(As):
    Rxx, rxy = _split(As)
    beta = np.linalg.solve(Rxx, rxy[..., None])[..., 0]
    r2 = np.einsum("bi,bi->b", beta, rxy)
    return beta, rxy, r2


def lmg(As):
    """LMG from the subset walk; R² solved directly, so Σ LMG = R² is a check, not a definition."""
    est = _kernels.lmg_batch(np.ascontiguousarray(As))
    _, _, r2 = _betas(As)
    return est, est / r2[:, None], r2


def relative_weights(As):
    """Johnson (2000): ε_j = Σ_k λ_jk² β_k², Λ = R_xx^{1/2}, β = Λ^{-1} r_xy."""
    Rxx, rxy = _split(As)
    vals, vecs = np.linalg.eigh(Rxx)
    vals = np.clip(vals, 0.0, None)
    Lam = np.einsum("bik,bk,bjk->bij", vecs, np.sqrt(vals), vecs)
    beta = np.linalg.solve(Lam, rxy[..., None])[..., 0]
    eps = np.einsum("bjk,bk->bj", Lam**2, beta**2)
    r2 = eps.sum(axis=1)
    return eps, eps / r2[:, None], r2


def beta(As):
    b, _, r2 = _betas(As)
    sq = b**2
    return b, sq / sq.sum(axis=1, keepdims=True), r2


def pratt(As):
    b, r, r2 = _betas(As)
    pr = b * r
    return pr, pr / r2[:, None], r2


def pearson(As):
    _, r, r2 = _betas(As)
    sq = r**2
    return r, sq / sq.sum(axis=1, keepdims=True), r2


STATISTIC = {
    "lmg": lmg,
    "relative_weights": relative_weights,
    "beta": beta,
    "pratt": pratt,
    "pearson": pearson,
    "spearman": pearson,  # on rank-transformed data
}


def vif(R: np.ndarray) -> np.ndarray:
    """Variance inflation factors: the diagonal of the inverse driver correlation matrix."""
    return np.diag(np.linalg.inv(R[:-1, :-1]))
