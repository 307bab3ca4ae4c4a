"""Distance-geometry metrics of repsim: stress and the affine-invariant Riemannian distance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from scipy.linalg import eigh

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import as_matrix, check_same_stimuli
from repgeom.metrics.kernels import resolve_kernel
from repgeom.metrics.pairwise import Scorer, as_data


def _distances(X: np.ndarray, kernel: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    K = kernel(X)
    d = np.diag(K)
    return np.sqrt(np.maximum(d[:, None] + d[None, :] - 2 * K, 0.0))


class StressScorer(Scorer):
    """repsim's ``Stress`` for the pairwise engine: the (rescaled) pairwise-distance vector
    once per representation, ``sqrt(mean (D^X − D^Y)²)`` per pair."""

    def __init__(self, kernel: Callable | str | None = None, rescale: bool = False) -> None:
        self.kernel = resolve_kernel(kernel)
        self.rescale = rescale

    def prepare(self, rep: Any) -> np.ndarray:
        X = as_matrix(as_data(rep).features, "X")
        d = _distances(X, self.kernel)[np.triu_indices(len(X), 1)]
        return d / np.sort(d)[(len(d) - 1) // 2] if self.rescale else d

    def score(self, a: np.ndarray, b: np.ndarray) -> float:
        check_same_stimuli(a[:, None], b[:, None])
        return float(np.sqrt(np.mean((a - b) ** 2)))


def stress(X: Any, Y: Any, *, kernel: Callable | str | None = None, rescale: bool = False) -> float:
    """repsim's ``Stress``: root mean squared difference of pairwise distances.

    Notes
    -----
    ``D = sqrt(max(kᵢᵢ + kⱼⱼ − 2kᵢⱼ, 0))`` through the kernel (Euclidean for the linear one);
    ``rescale`` divides each ``D`` by the lower median of its strict upper triangle;
    ``stress = sqrt(mean_{i<j} (D^X_ij − D^Y_ij)²)``.
    """
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = StressScorer(kernel, rescale)
    return scorer.score(scorer.prepare(X), scorer.prepare(Y))


def _air_point(X: np.ndarray, eps: float, kernel: Callable, p: int | None, mode: str) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    if mode == "gram":
        return kernel(Xc) + eps * np.eye(len(Xc))
    if p is None:
        raise InvalidInputError("mode='cov' needs p (the number of dimensions to compare)")
    if Xc.shape[1] > p:
        # repsim's quirk, kept for compatibility: the first p COLUMNS of Vᵀ from torch's
        # full SVD (not the top-p principal axes)
        _, _, Vh = torch.linalg.svd(torch.from_numpy(Xc), full_matrices=True)
        Xc = Xc @ Vh.numpy()[:, :p]
    elif Xc.shape[1] < p:
        Xc = np.pad(Xc, ((0, 0), (0, p - Xc.shape[1])))
    return Xc.T @ Xc / (len(Xc) - 1) + eps * np.eye(p)


def _full_rank(M: np.ndarray) -> bool:
    s = np.linalg.svd(M, compute_uv=False)
    return bool((s > s[0] * max(M.shape) * np.finfo(np.float64).eps).sum() >= len(M))


class AffineInvariantRiemannianScorer(Scorer):
    """repsim's affine-invariant Riemannian distance for the pairwise engine: the SPD point
    and whether it has full rank once per representation, ``sqrt(Σ log² λᵢ)`` per pair."""

    def __init__(
        self,
        eps: float = 0.0,
        kernel: Callable | str | None = None,
        p: int | None = None,
        mode: Literal["gram", "cov"] = "gram",
    ) -> None:
        self.eps = eps
        self.kernel = resolve_kernel(kernel)
        self.p = p
        self.mode = mode

    def prepare(self, rep: Any) -> tuple[np.ndarray, bool]:
        X = as_matrix(as_data(rep).features, "X")
        point = _air_point(X, self.eps, self.kernel, self.p, self.mode)
        return point, _full_rank(point)

    def score(self, a: tuple[np.ndarray, bool], b: tuple[np.ndarray, bool]) -> float:
        (A, full_a), (B, full_b) = a, b
        if A.shape != B.shape:
            check_same_stimuli(A, B)
        if not (full_a and full_b):
            return float("inf")
        lam = eigh(B, A, eigvals_only=True)
        return float(np.sqrt(np.sum(np.log(lam) ** 2)))


def affine_invariant_riemannian(
    X: Any,
    Y: Any,
    *,
    eps: float = 0.0,
    kernel: Callable | str | None = None,
    p: int | None = None,
    mode: Literal["gram", "cov"] = "gram",
) -> float:
    """repsim's ``AffineInvariantRiemannian`` distance between SPD summaries.

    Notes
    -----
    Points are ``K(Xc) + εI`` (``mode="gram"``) or ``XcᵀXc/(m−1) + εI`` (``mode="cov"``,
    after reducing or padding to ``p`` dims); ``d = sqrt(Σ log² λᵢ)`` with ``λ`` the
    eigenvalues of ``A^{-½} B A^{-½}``. A rank-deficient point gives +inf (as repsim): with
    centred data and the linear kernel, ``eps = 0`` is always rank deficient.
    """
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = AffineInvariantRiemannianScorer(eps, kernel, p, mode)
    return scorer.score(scorer.prepare(X), scorer.prepare(Y))
