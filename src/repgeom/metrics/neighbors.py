"""Neighbourhood and canonical-correlation measures of representational alignment."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import as_matrix, check_same_stimuli


def mutual_knn(X: Any, Y: Any, k: int = 10) -> float:
    """Mutual k-nearest-neighbour alignment (Huh et al. 2024, the platonic-representation
    study): the mean over stimuli of ``|N_k^X(i) ∩ N_k^Y(i)| / k`` (self excluded)."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    if not 1 <= k < len(X):
        raise InvalidInputError(f"k={k}; choose 1 ≤ k < n_stimuli = {len(X)}")
    sets = []
    for M in (X, Y):
        idx = NearestNeighbors(n_neighbors=k + 1).fit(M).kneighbors(M, return_distance=False)
        sets.append([set(row[row != i][:k]) for i, row in enumerate(idx)])
    return float(np.mean([len(a & b) / k for a, b in zip(*sets, strict=True)]))


def _orthonormal_basis(M: np.ndarray, name: str) -> np.ndarray:
    Mc = M - M.mean(axis=0)
    U, s, _ = np.linalg.svd(Mc, full_matrices=False)
    rank = int((s > s[0] * max(Mc.shape) * np.finfo(float).eps).sum()) if s.size else 0
    if M.shape[1] >= M.shape[0] - 1 or rank < M.shape[1]:
        raise InvalidInputError(
            f"{name} has {M.shape[1]} units (rank {rank}) on {M.shape[0]} stimuli: canonical "
            "correlations are degenerate (all 1) when width ≥ n_stimuli − 1 or columns are "
            "dependent; reduce it first (svcca) or use more stimuli"
        )
    return U[:, :rank]


def canonical_correlations(X: Any, Y: Any) -> np.ndarray:
    """Canonical correlations ρ₁ ≥ ρ₂ ≥ … of centred X and Y (singular values of QₓᵀQ_y)."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    return np.clip(
        np.linalg.svd(_orthonormal_basis(X, "X").T @ _orthonormal_basis(Y, "Y"), compute_uv=False),
        0.0,
        1.0,
    )


def mean_cca(X: Any, Y: Any) -> float:
    """Mean canonical correlation."""
    return float(canonical_correlations(X, Y).mean())


def svcca(X: Any, Y: Any, *, keep_variance: float = 0.99) -> float:
    """SVCCA (Raghu et al. 2017): each input reduced to the principal components that explain
    ``keep_variance`` of its variance, then the mean canonical correlation."""
    reduced = []
    for M, name in ((X, "X"), (Y, "Y")):
        M = as_matrix(M, name)
        Mc = M - M.mean(axis=0)
        U, s, _ = np.linalg.svd(Mc, full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), keep_variance) + 1)
        reduced.append(U[:, :k] * s[:k])
    return mean_cca(*reduced)


def pwcca(X: Any, Y: Any) -> float:
    """Projection-weighted CCA (Morcos et al. 2018): canonical correlations weighted by how
    much of X each canonical variate accounts for, ``αᵢ ∝ Σⱼ |⟨hᵢ, xⱼ⟩|``."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    Qx, Qy = _orthonormal_basis(X, "X"), _orthonormal_basis(Y, "Y")
    U, rho, _ = np.linalg.svd(Qx.T @ Qy, full_matrices=False)
    variates = Qx @ U  # canonical variates of X (unit norm)
    weights = np.abs(variates.T @ (X - X.mean(axis=0))).sum(axis=1)
    return float(np.sum(weights / weights.sum() * np.clip(rho, 0, 1)))
