"""Distance-geometry metrics of repsim: stress and the affine-invariant Riemannian distance.

Torch-native: tensors in, tensors out (dtype and device kept, differentiable); numpy data are
converted once to float64 tensors. Each scorer's :meth:`point` and :meth:`distance` are the one
implementation of its metric: the registry's ``compare`` and the metric-space classes of
:mod:`repgeom.metrics.spaces` (``Stress``, ``AffineInvariantRiemannian``) both call them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import check_same_stimuli
from repgeom.metrics.kernels import as_tensor, resolve_kernel
from repgeom.metrics.pairwise import Scorer, as_data


def safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    """``sqrt(x)`` for ``x ≥ 0`` with a zero (not infinite) slope at exact zeros."""
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, 1.0)), 0.0)


def kernel_distances(X: torch.Tensor, kernel: Callable) -> torch.Tensor:
    """Distances in the kernel's feature space, ``Dᵢⱼ = sqrt(max(kᵢᵢ + kⱼⱼ − 2kᵢⱼ, 0))``.

    Parameters
    ----------
    X : Tensor of shape (m, d)
    kernel : callable
        ``kernel(X) → (m, m)`` Gram matrix.

    Returns
    -------
    Tensor of shape (m, m), zero diagonal
    """
    K = kernel(X)
    d = torch.diagonal(K)
    return safe_sqrt(torch.clamp(d[:, None] + d[None, :] - 2 * K, min=0.0))


def _upper(M: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(M.shape[0], M.shape[1], offset=1, device=M.device)
    return M[i, j]


class StressScorer(Scorer):
    """repsim's ``Stress``: the (rescaled) distance matrix once per representation
    (:meth:`point`), the RMS difference of the upper triangles per pair (:meth:`distance`)."""

    def __init__(self, kernel: Callable | str | None = None, rescale: bool = False) -> None:
        self.kernel = resolve_kernel(kernel)
        self.rescale = rescale

    def point(self, rep: Any) -> torch.Tensor:
        """``D`` (m, m) of :func:`kernel_distances`; with ``rescale`` divided by the lower
        median of its strict upper triangle."""
        D = kernel_distances(as_tensor(as_data(rep).features, "X"), self.kernel)
        if self.rescale:
            upper = _upper(D)
            D = D / torch.sort(upper).values[(len(upper) - 1) // 2]
        return D

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``sqrt(mean_{i<j} (aᵢⱼ − bᵢⱼ)²)`` (0-d tensor)."""
        check_same_stimuli(a, b)
        return torch.sqrt(torch.mean(_upper(a - b) ** 2))

    prepare = point
    score = distance


def stress(X: Any, Y: Any, *, kernel: Callable | str | None = None, rescale: bool = False) -> float:
    """repsim's ``Stress``: root mean squared difference of pairwise distances.

    Notes
    -----
    ``D = sqrt(max(kᵢᵢ + kⱼⱼ − 2kᵢⱼ, 0))`` through the kernel (Euclidean for the linear one);
    ``rescale`` divides each ``D`` by the lower median of its strict upper triangle;
    ``stress = sqrt(mean_{i<j} (D^X_ij − D^Y_ij)²)``.
    """
    X, Y = as_tensor(X, "X"), as_tensor(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = StressScorer(kernel, rescale)
    return float(scorer.score(scorer.prepare(X), scorer.prepare(Y)))


def air_point(
    X: torch.Tensor, eps: float, kernel: Callable, p: int | None, mode: str
) -> torch.Tensor:
    """repsim's SPD summary of (m, d) data ``X`` after centring its columns.

    Returns
    -------
    Tensor of shape (m, m) for ``mode="gram"``: ``k(Xc) + εI``; (p, p) for ``mode="cov"``:
    ``XcᵀXc / (m − 1) + εI`` after reducing or zero-padding ``Xc`` to ``p`` columns.
    """
    Xc = X - X.mean(dim=0, keepdim=True)
    eye = torch.eye
    if mode == "gram":
        return kernel(Xc) + eps * eye(len(Xc), dtype=Xc.dtype, device=Xc.device)
    if mode != "cov":
        raise InvalidInputError(f"mode={mode!r}; choose 'gram' or 'cov'")
    if p is None:
        raise InvalidInputError("mode='cov' needs p (the number of dimensions to compare)")
    if Xc.shape[1] > p:
        # repsim's quirk, kept for compatibility: the first p COLUMNS of Vᵀ from torch's
        # full SVD (not the top-p principal axes)
        _, _, Vh = torch.linalg.svd(Xc, full_matrices=True)
        Xc = Xc @ Vh[:, :p]
    elif Xc.shape[1] < p:
        Xc = torch.cat([Xc, Xc.new_zeros(len(Xc), p - Xc.shape[1])], dim=1)
    return Xc.T @ Xc / (len(Xc) - 1) + eps * eye(p, dtype=Xc.dtype, device=Xc.device)


def full_rank(M: torch.Tensor) -> bool:
    """Whether ``M`` has full rank by ``torch.linalg.matrix_rank`` (σ > σ₁·max(shape)·eps of
    its dtype), repsim's test."""
    with torch.no_grad():
        return bool(torch.linalg.matrix_rank(M) >= M.shape[0])


def air_distance(
    A: torch.Tensor, B: torch.Tensor, full_a: bool | None = None, full_b: bool | None = None
) -> torch.Tensor:
    """Affine-invariant Riemannian distance of SPD matrices, ``sqrt(Σᵢ log² λᵢ)``.

    ``λ`` are the eigenvalues of ``A^{-½} B A^{-½}``, computed as those of ``L⁻¹ B L⁻ᵀ`` with
    ``A = L Lᵀ`` (Cholesky). A rank-deficient point (:func:`full_rank`, unless ``full_a`` /
    ``full_b`` say) gives +inf, as in repsim.

    Parameters
    ----------
    A, B : Tensor of shape (n, n)

    Returns
    -------
    0-d Tensor
    """
    if A.shape != B.shape:
        check_same_stimuli(A, B)
    full_a = full_rank(A) if full_a is None else full_a
    full_b = full_rank(B) if full_b is None else full_b
    inf = torch.full((), float("inf"), dtype=A.dtype, device=A.device)
    if not (full_a and full_b):
        return inf
    L, info = torch.linalg.cholesky_ex(A)
    if int(info) != 0:
        return inf  # not numerically positive definite
    half = torch.linalg.solve_triangular(L, B, upper=False)
    C = torch.linalg.solve_triangular(L, half.mT, upper=False)
    lam = torch.linalg.eigvalsh((C + C.mT) / 2)
    return torch.sqrt(torch.sum(torch.log(lam) ** 2))


class AffineInvariantRiemannianScorer(Scorer):
    """repsim's affine-invariant Riemannian distance for the pairwise engine: the SPD point
    (:meth:`point`) and whether it has full rank once per representation,
    :func:`air_distance` per pair."""

    def __init__(
        self,
        eps: float = 0.0,
        kernel: Callable | str | None = None,
        p: int | None = None,
        mode: Literal["gram", "cov"] = "gram",
    ) -> None:
        if eps < 0:
            raise InvalidInputError(f"eps={eps!r}; the regularisation must be nonnegative")
        self.eps = eps
        self.kernel = resolve_kernel(kernel)
        self.p = p
        self.mode = mode

    def point(self, rep: Any) -> torch.Tensor:
        """:func:`air_point` of one representation."""
        X = as_tensor(as_data(rep).features, "X")
        return air_point(X, self.eps, self.kernel, self.p, self.mode)

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """:func:`air_distance` of two points (0-d tensor)."""
        return air_distance(a, b)

    def prepare(self, rep: Any) -> tuple[torch.Tensor, bool]:
        point = self.point(rep)
        return point, full_rank(point)

    def score(self, a: tuple[torch.Tensor, bool], b: tuple[torch.Tensor, bool]) -> torch.Tensor:
        (A, full_a), (B, full_b) = a, b
        return air_distance(A, B, full_a, full_b)


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
    X, Y = as_tensor(X, "X"), as_tensor(Y, "Y")
    check_same_stimuli(X, Y)
    scorer = AffineInvariantRiemannianScorer(eps, kernel, p, mode)
    return float(scorer.score(scorer.prepare(X), scorer.prepare(Y)))
