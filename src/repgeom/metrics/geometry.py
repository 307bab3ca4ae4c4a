"""Distance-geometry metrics of repsim: stress and the affine-invariant Riemannian distance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from scipy.linalg import eigh

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import as_matrix, check_same_stimuli
from repgeom.metrics.kernels import Linear


def _distances(X: np.ndarray, kernel: Callable) -> np.ndarray:
    K = kernel(X)
    d = np.diag(K)
    return np.sqrt(np.maximum(d[:, None] + d[None, :] - 2 * K, 0.0))


def stress(X: Any, Y: Any, *, kernel: Callable | None = None, rescale: bool = False) -> float:
    """repsim's ``Stress``: root mean squared difference of pairwise distances.

    Notes
    -----
    ``D = sqrt(max(kᵢᵢ + kⱼⱼ − 2kᵢⱼ, 0))`` through the kernel (Euclidean for the linear one);
    ``rescale`` divides each ``D`` by the lower median of its strict upper triangle;
    ``stress = sqrt(mean_{i<j} (D^X_ij − D^Y_ij)²)``.
    """
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    kernel = kernel or Linear()
    iu = np.triu_indices(len(X), 1)
    dx, dy = _distances(X, kernel)[iu], _distances(Y, kernel)[iu]
    if rescale:
        dx = dx / np.sort(dx)[(len(dx) - 1) // 2]
        dy = dy / np.sort(dy)[(len(dy) - 1) // 2]
    return float(np.sqrt(np.mean((dx - dy) ** 2)))


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


def affine_invariant_riemannian(
    X: Any,
    Y: Any,
    *,
    eps: float = 0.0,
    kernel: Callable | None = None,
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
    kernel = kernel or Linear()
    A = _air_point(X, eps, kernel, p, mode)
    B = _air_point(Y, eps, kernel, p, mode)
    for M in (A, B):
        s = np.linalg.svd(M, compute_uv=False)
        if (s > s[0] * max(M.shape) * np.finfo(np.float64).eps).sum() < len(M):
            return float("inf")
    lam = eigh(B, A, eigvals_only=True)
    return float(np.sqrt(np.sum(np.log(lam) ** 2)))
