"""Neighbourhood and canonical-correlation measures of representational alignment.

Each measure is a :class:`~repgeom.metrics.pairwise.Scorer` (a step per representation, a step
per pair) and a function of two matrices built from it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import as_matrix, check_same_stimuli
from repgeom.metrics.pairwise import Scorer, as_data

#: Neighbours per stimulus of :func:`mutual_knn` by default.
DEFAULT_K = 10
#: Share of the variance SVCCA keeps by default.
DEFAULT_KEEP_VARIANCE = 0.99


def _matrix(rep: Any) -> np.ndarray:
    return as_matrix(as_data(rep).features, "X")


class MutualKNNScorer(Scorer):
    """Mutual k-nearest-neighbour alignment: each stimulus's ``k`` nearest neighbours once
    per representation, ``mean_i |N_k^X(i) ∩ N_k^Y(i)| / k`` per pair."""

    def __init__(self, k: int = DEFAULT_K) -> None:
        self.k = k

    def prepare(self, rep: Any) -> list[set[int]]:
        M = _matrix(rep)
        if not 1 <= self.k < len(M):
            raise InvalidInputError(f"k={self.k}; choose 1 ≤ k < n_stimuli = {len(M)}")
        idx = NearestNeighbors(n_neighbors=self.k + 1).fit(M).kneighbors(M, return_distance=False)
        return [set(row[row != i][: self.k]) for i, row in enumerate(idx)]

    def score(self, a: list[set[int]], b: list[set[int]]) -> float:
        check_same_stimuli(np.empty((len(a), 0)), np.empty((len(b), 0)))
        return float(np.mean([len(x & y) / self.k for x, y in zip(a, b, strict=True)]))


def mutual_knn(X: Any, Y: Any, k: int = DEFAULT_K) -> float:
    """Mutual k-nearest-neighbour alignment (Huh et al. 2024, the platonic-representation
    study): the mean over stimuli of ``|N_k^X(i) ∩ N_k^Y(i)| / k`` (self excluded)."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = MutualKNNScorer(k)
    return scorer.score(scorer.prepare(X), scorer.prepare(Y))


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


def _correlations(Qx: np.ndarray, Qy: np.ndarray) -> np.ndarray:
    """Canonical correlations from orthonormal bases: singular values of ``QₓᵀQ_y`` in
    [0, 1]."""
    check_same_stimuli(Qx, Qy)
    return np.clip(np.linalg.svd(Qx.T @ Qy, compute_uv=False), 0.0, 1.0)


def _svcca_reduced(M: np.ndarray, keep_variance: float) -> np.ndarray:
    """The principal components of ``M`` that explain ``keep_variance`` of its variance."""
    Mc = M - M.mean(axis=0)
    U, s, _ = np.linalg.svd(Mc, full_matrices=False)
    k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), keep_variance) + 1)
    return U[:, :k] * s[:k]


class CCAScorer(Scorer):
    """Mean canonical correlation: an orthonormal basis of the centred columns once per
    representation (after SVCCA's reduction with ``keep_variance``), ``mean ρᵢ`` per pair."""

    def __init__(self, keep_variance: float | None = None) -> None:
        self.keep_variance = keep_variance

    def prepare(self, rep: Any) -> np.ndarray:
        M = _matrix(rep)
        if self.keep_variance is not None:
            M = as_matrix(_svcca_reduced(M, self.keep_variance), "X")
        return _orthonormal_basis(M, "X")

    def score(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(_correlations(a, b).mean())


class PWCCAScorer(Scorer):
    """Projection-weighted CCA: the basis and the centred matrix once per representation;
    per pair ``Σᵢ αᵢ ρᵢ`` with ``αᵢ ∝ Σⱼ |⟨hᵢ, xⱼ⟩|`` (not symmetric: weights come from X)."""

    def prepare(self, rep: Any) -> tuple[np.ndarray, np.ndarray]:
        M = _matrix(rep)
        return _orthonormal_basis(M, "X"), M - M.mean(axis=0)

    def score(self, a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
        (Qx, Xc), (Qy, _) = a, b
        check_same_stimuli(Qx, Qy)
        U, rho, _ = np.linalg.svd(Qx.T @ Qy, full_matrices=False)
        variates = Qx @ U  # canonical variates of X (unit norm)
        weights = np.abs(variates.T @ Xc).sum(axis=1)
        return float(np.sum(weights / weights.sum() * np.clip(rho, 0, 1)))


def canonical_correlations(X: Any, Y: Any) -> np.ndarray:
    """Canonical correlations ρ₁ ≥ ρ₂ ≥ … of centred X and Y (singular values of QₓᵀQ_y)."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    return _correlations(_orthonormal_basis(X, "X"), _orthonormal_basis(Y, "Y"))


def mean_cca(X: Any, Y: Any) -> float:
    """Mean canonical correlation ``mean ρᵢ``."""
    return float(canonical_correlations(X, Y).mean())


def svcca(X: Any, Y: Any, *, keep_variance: float = DEFAULT_KEEP_VARIANCE) -> float:
    """SVCCA (Raghu et al. 2017): each input reduced to the principal components that explain
    ``keep_variance`` of its variance, then the mean canonical correlation."""
    scorer = CCAScorer(keep_variance)
    return scorer.score(scorer.prepare(as_matrix(X, "X")), scorer.prepare(as_matrix(Y, "Y")))


def pwcca(X: Any, Y: Any) -> float:
    """Projection-weighted CCA (Morcos et al. 2018): canonical correlations weighted by how
    much of X each canonical variate accounts for, ``αᵢ ∝ Σⱼ |⟨hᵢ, xⱼ⟩|``."""
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = PWCCAScorer()
    return scorer.score(scorer.prepare(X), scorer.prepare(Y))
