"""repsim's representation metrics as metric spaces (torch-native).

Each class is a view of the registry entry of the same name (:mod:`repgeom.metrics.registry`):
its ``neural_data_to_point`` is the entry's scorer's ``point`` and its ``length`` the scorer's
``distance``, so ``space.length(space.neural_data_to_point(x), space.neural_data_to_point(y))``
is ``repgeom.compare(x, y, method=<name>, **params)``, the same code. On top of that each
class is a :class:`~repgeom.geometry.RiemannianSpace` with repsim's geometry: closed-form
geodesics, tangent spaces, exponential and logarithmic maps, parallel transport.

========================== ============================= ============================
class                      registry name                 points
========================== ============================= ============================
:class:`AngularCKA`        ``angular_cka``               unit-norm centred Gram (m, m)
:class:`Stress`            ``stress``                    distance matrix (m, m)
:class:`AffineInvariant…`  ``affine_invariant_riemannian`` SPD (m, m) or (p, p)
:class:`EuclideanShape…`   ``euclidean_shape_metric``    whitened data (m, p)
:class:`AngularShape…`     ``angular_shape_metric``      unit-norm whitened (m, p)
========================== ============================= ============================

Tensors in, tensors out: points keep the data's dtype and device, and ``length`` is
differentiable in both points. ``string_id()`` gives repsim's identifiers.
"""

from __future__ import annotations

import abc
import warnings
from typing import Any

import torch

from repgeom.geometry import (
    LengthSpace,
    Point,
    RiemannianSpace,
    Scalar,
    Vector,
    _sphere_exp,
    _sphere_log,
    _sphere_tangent,
    _sphere_transport,
    slerp,
    sym_matrix_function,
)
from repgeom.metrics.kernels import DEFAULT_KERNEL, Kernel, center, is_centered
from repgeom.metrics.pairwise import Scorer
from repgeom.metrics.registry import get
from repgeom.metrics.shape import REPSIM_EIG_CLIP, procrustes_rotation

__all__ = [
    "AffineInvariantRiemannian",
    "AngularCKA",
    "AngularShapeMetric",
    "EuclideanShapeMetric",
    "RepresentationMetricSpace",
    "ShapeMetric",
    "Stress",
]

#: Neural data: (m, ...) with m stimuli.
NeuralData = torch.Tensor


def _eye_like(pt: torch.Tensor) -> torch.Tensor:
    return torch.eye(pt.shape[0], dtype=pt.dtype, device=pt.device)


def _upper(M: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(M.shape[0], M.shape[1], offset=1, device=M.device)
    return M[i, j]


class RepresentationMetricSpace(LengthSpace, abc.ABC):
    """A metric between neural representations of ``m`` stimuli, as a length space.

    Subclasses bind the registry entry ``_method`` to their parameters (``self._scorer``) and
    use its ``point`` and ``distance``.
    """

    _method: str = ""
    _scorer: Scorer

    def _bind(self, **params: Any) -> None:
        self._scorer = get(self._method).bind(**params)

    @property
    def m(self) -> int:
        """Number of stimuli (rows of the neural data)."""
        return self.shape[0]

    @m.setter
    def m(self, value: int) -> None:
        self.shape = (value,) + tuple(self.shape[1:])

    def _check_rows(self, x: Any) -> None:
        if x.shape[0] != self.m:
            raise ValueError(f"Expected x to be size ({self.m}, ?) but is size {tuple(x.shape)}")

    def neural_data_to_point(self, x: NeuralData) -> Point:
        """The point of (m, ...) neural data ``x`` (the registry scorer's ``point``)."""
        self._check_rows(x)
        return self._scorer.point(x)

    def _length_impl(self, pt_a: Point, pt_b: Point) -> Scalar:
        return self._scorer.distance(pt_a, pt_b)

    @abc.abstractmethod
    def string_id(self) -> str:
        """repsim's identifier of this metric (e.g. ``AngularCKA.unb.Linear.100``)."""

    @property
    @abc.abstractmethod
    def is_spherical(self) -> bool:
        """Whether ``length`` is an arc length in [0, π] on a hypersphere."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.string_id()}>"


class AngularCKA(RepresentationMetricSpace, RiemannianSpace):
    """Angular CKA: arc length between normalised centred Gram matrices (Williams et al. 2021).

    Points are ``P = K̃ / ‖K̃‖_F`` with ``K̃ = H k(X) H`` (diagonal zeroed when
    ``use_unbiased_hsic``, repsim's variant); ``d(P, Q) = arccos⟨P, Q⟩_F``, the great-circle
    distance on the unit sphere of (m, m) matrices, whose geometry this class uses.

    Parameters
    ----------
    m : int
        Number of stimuli.
    kernel : Kernel, optional
        Default linear.
    use_unbiased_hsic : bool
    """

    _method = "angular_cka"

    def __init__(
        self, m: int, kernel: Kernel | None = None, use_unbiased_hsic: bool = True
    ) -> None:
        super().__init__(dim=m * (m + 1) / 2 - 1, shape=(m, m))
        self._kernel = kernel if kernel is not None else DEFAULT_KERNEL
        self._unbiased = use_unbiased_hsic
        self._bind(kernel=self._kernel, use_unbiased_hsic=use_unbiased_hsic)

    def string_id(self) -> str:
        bias = ".unb" if self._unbiased else ""
        return f"AngularCKA{bias}.{self._kernel.string_id()}.{self.m}"

    @property
    def is_spherical(self) -> bool:
        return True

    def _project_impl(self, pt: Point) -> Point:
        """Symmetrise; unbiased: zero the diagonal; biased: clip negative eigenvalues and
        centre; then scale to unit Frobenius norm."""
        pt = (pt + pt.T) / 2
        if self._unbiased:
            pt = pt * (1 - _eye_like(pt))
        else:
            pt = center(sym_matrix_function(pt, lambda e: torch.clamp(e, min=0.0)))
        return pt / torch.linalg.norm(pt)

    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        if not torch.allclose(pt, pt.T, atol=atol):
            return False
        if self._unbiased:
            if not torch.allclose(torch.diagonal(pt), pt.new_zeros(self.m), atol=atol):
                return False
        elif not bool(torch.all(torch.linalg.eigvalsh(pt) >= -atol)) or not is_centered(
            pt, atol=atol
        ):
            return False
        return bool(torch.isclose(torch.linalg.norm(pt), pt.new_ones(()), atol=atol))

    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        """The great-circle point (:func:`~repgeom.geometry.slerp`), projected."""
        return self.project(slerp(pt_a, pt_b, frac))

    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """``w − ⟨a, w⟩ a`` (the sphere's tangent space)."""
        return _sphere_tangent(pt_a, vec_w)

    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """``⟨w, v⟩_F``."""
        return torch.sum(vec_w * vec_v)

    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """``cos‖w‖ a + sin‖w‖ w/‖w‖`` for the tangent part of ``w``."""
        return _sphere_exp(pt_a, self.to_tangent(pt_a, vec_w))

    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """``d(a, b)`` times the unit tangent part of ``b`` at ``a``."""
        return _sphere_log(pt_a, pt_b, self._length_impl(pt_a, pt_b))

    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """Parallel transport on the sphere along the great circle from ``a`` to ``b``."""
        dist = self._length_impl(pt_a, pt_b)
        return _sphere_transport(pt_a, self.log_map(pt_a, pt_b), dist, vec_w)


class Stress(RepresentationMetricSpace, RiemannianSpace):
    """Stress: RMS difference of pairwise distances (the MDS literature's stress).

    Points are distance matrices ``Dᵢⱼ = ‖φ(xᵢ) − φ(xⱼ)‖`` in the kernel's feature space
    (divided by their median with ``rescale``); ``d(D, E) = sqrt(mean_{i<j}(Dᵢⱼ − Eᵢⱼ)²)``,
    a Euclidean distance on the upper triangles: flat geometry, straight geodesics.

    Parameters
    ----------
    m : int
    kernel : Kernel, optional
        Default linear.
    rescale : bool
    """

    _method = "stress"

    def __init__(self, m: int, kernel: Kernel | None = None, rescale: bool = False) -> None:
        super().__init__(dim=m * (m - 1) / 2, shape=(m, m))
        self._kernel = kernel if kernel is not None else DEFAULT_KERNEL
        self._rescale = rescale
        self._bind(kernel=self._kernel, rescale=rescale)

    def string_id(self) -> str:
        scaled = ".scaled" if self._rescale else ""
        return f"Stress.{self._kernel.string_id()}{scaled}.{self.m}"

    @property
    def is_spherical(self) -> bool:
        return False

    def _project_impl(self, pt: Point) -> Point:
        """Symmetrise, clip at 0, zero the diagonal."""
        pt = torch.clamp((pt + pt.T) / 2, min=0.0)
        return pt * (1 - _eye_like(pt))

    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        return (
            bool(torch.all(pt >= 0.0))
            and torch.allclose(pt, pt.T)
            and torch.allclose(torch.diagonal(pt), pt.new_zeros(self.m), atol=atol)
        )

    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        """``(1 − t) a + t b``."""
        return self.project((1 - frac) * pt_a + frac * pt_b)

    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """The nearest symmetric, zero-diagonal matrix to ``w``."""
        return (vec_w + vec_w.T) / 2 * (1 - _eye_like(vec_w))

    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """``mean_{i<j} wᵢⱼ vᵢⱼ`` (the metric of :meth:`length`)."""
        return torch.mean(_upper(vec_w * vec_v))

    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """``a + w``."""
        return pt_a + vec_w

    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """``b − a``."""
        return pt_b - pt_a

    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """``w`` (flat space)."""
        return vec_w.clone()


class AffineInvariantRiemannian(RepresentationMetricSpace, RiemannianSpace):
    """The affine-invariant Riemannian metric on SPD matrices (Shahbazi et al. 2021).

    Points are ``k(Xc) + εI`` (``mode="gram"``, (m, m)) or ``XcᵀXc/(m − 1) + εI``
    (``mode="cov"``, (p, p)); ``d(A, B) = ‖log(A^{-½} B A^{-½})‖_F = sqrt(Σ log² λᵢ)``
    (+inf for a rank-deficient point). Geometry after Pennec (2019): geodesic
    ``A^{½} (A^{-½} B A^{-½})^t A^{½}``, metric ``⟨W, V⟩_A = tr(A⁻¹W A⁻¹V)``.

    Parameters
    ----------
    m : int
    eps : float
        Ridge added to the diagonal (the regularisation that makes points full rank).
    kernel : Kernel, optional
        ``mode="gram"`` only; default linear.
    p : int, optional
        ``mode="cov"`` only (required there).
    mode : {"gram", "cov"}
    """

    _method = "affine_invariant_riemannian"

    def __init__(
        self,
        m: int,
        eps: float = 0.0,
        *,
        kernel: Kernel | None = None,
        p: int | None = None,
        mode: str = "gram",
    ) -> None:
        if mode == "gram":
            n = m
            if p is not None:
                warnings.warn("Parameter 'p' has no effect when mode='gram'", stacklevel=2)
        elif mode == "cov":
            if p is None:
                raise ValueError("Parameter 'p' is required when mode is 'cov'")
            n = p
            if kernel is not None:
                warnings.warn("Parameter 'kernel' has no effect when mode='cov'", stacklevel=2)
        else:
            raise ValueError(f"'mode' argument must be 'gram' or 'cov' but was {mode}")
        if eps < 0.0:
            raise ValueError(f"eps regularization must be nonnegative but is {eps}")
        super().__init__(dim=n * (n + 1) / 2, shape=(n, n))
        self._kernel = kernel if kernel is not None else DEFAULT_KERNEL
        self._eps, self._mode, self._p, self._m = eps, mode, p, m
        self._bind(eps=eps, kernel=self._kernel, p=p, mode=mode)

    @property
    def m(self) -> int:
        return self._m

    @m.setter
    def m(self, value: int) -> None:
        self._m = value
        if self._mode == "gram":
            self.shape = (value, value)
            self.dim = value * (value + 1) / 2

    def string_id(self) -> str:
        eps = "" if self._eps == 0.0 else f"[{self._eps:.3f}]"
        if self._mode == "gram":
            return f"AffineInvariantRiemannian[gram]{eps}.{self._kernel.string_id()}.{self.m}"
        return f"AffineInvariantRiemannian[cov]{eps}[{self._p}].{self.m}"

    @property
    def is_spherical(self) -> bool:
        return False

    def _project_impl(self, pt: Point) -> Point:
        """Symmetrise and clip negative eigenvalues."""
        return sym_matrix_function((pt + pt.T) / 2, lambda e: torch.clamp(e, min=0.0))

    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        if not torch.allclose(pt, pt.T, atol=atol):
            return False
        return bool(torch.all(torch.linalg.eigvalsh(pt) > -atol))

    @staticmethod
    def _halves(pt_a: Point) -> tuple[torch.Tensor, torch.Tensor]:
        evals, evecs = torch.linalg.eigh(pt_a)
        root = torch.sqrt(evals)
        return (evecs * root) @ evecs.mT, (evecs / root) @ evecs.mT

    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        """``A^{½} (A^{-½} B A^{-½})^t A^{½}``."""
        half, inv_half = self._halves(pt_a)
        inner = sym_matrix_function(inv_half @ pt_b @ inv_half, lambda e: torch.pow(e, frac))
        return half @ inner @ half

    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """``(w + wᵀ) / 2`` (tangent vectors are symmetric matrices)."""
        return (vec_w + vec_w.T) / 2

    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """``tr(A⁻¹ W A⁻¹ V)``."""
        inv = sym_matrix_function(pt_a, lambda e: 1.0 / e)
        return torch.einsum("ij,ji->", inv @ vec_w, inv @ vec_v)

    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """``A^{½} exp(A^{-½} W A^{-½}) A^{½}``."""
        half, inv_half = self._halves(pt_a)
        return half @ sym_matrix_function(inv_half @ vec_w @ inv_half, torch.exp) @ half

    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """``A^{½} log(A^{-½} B A^{-½}) A^{½}``."""
        half, inv_half = self._halves(pt_a)
        return half @ sym_matrix_function(inv_half @ pt_b @ inv_half, torch.log) @ half

    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """``E W Eᵀ`` with ``E = A^{½} (A^{-½} B A^{-½})^{½} A^{-½}``."""
        half, inv_half = self._halves(pt_a)
        E = half @ sym_matrix_function(inv_half @ pt_b @ inv_half, torch.sqrt) @ inv_half
        return self.to_tangent(pt_b, E @ vec_w @ E.T)


def _whiten(x: torch.Tensor, alpha: float) -> torch.Tensor:
    evals, evecs = torch.linalg.eigh(x.T @ x / len(x))
    gain = alpha + (1 - alpha) / torch.sqrt(torch.clamp(evals, min=REPSIM_EIG_CLIP))
    return x @ (evecs * gain) @ evecs.T


def _skew_sylvester(gram: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``S`` with ``G S + S G = Q`` for symmetric PSD ``G``: ``U [(UᵀQU)ᵢⱼ / (λᵢ + λⱼ)] Uᵀ``
    (zero where ``λᵢ + λⱼ`` vanishes)."""
    evals, evecs = torch.linalg.eigh(gram)
    denom = evals[:, None] + evals[None, :]
    tiny = torch.finfo(gram.dtype).eps * torch.clamp(evals.abs().max(), min=1.0)
    safe = denom > tiny
    rotated = evecs.mT @ q @ evecs
    return evecs @ torch.where(safe, rotated / torch.where(safe, denom, 1.0), 0.0) @ evecs.mT


class ShapeMetric(RepresentationMetricSpace, RiemannianSpace):
    """Generalised shape metrics (Williams et al. 2021) in repsim's conventions.

    Points are (m, p) data, centred, reduced to their top ``p`` principal axes (or padded),
    partially whitened by ``α``, and unit-norm for the angular score. The distance is that of
    the pre-shape space (Frobenius or arc length) after the optimal rotation:
    ``min_R ‖aR − b‖_F`` or ``arccos(max_R ⟨aR, b⟩ / (‖a‖‖b‖))``. Tangent vectors split into a
    vertical part ``aS`` (``S`` skew-symmetric: rotations, no movement in shape space) and a
    horizontal part (Nava-Yazdani et al. 2020); ``inner_product`` and ``log_map`` see only
    the horizontal part, so ``exp`` and ``log`` are inverse up to rotation.

    Parameters
    ----------
    m, p : int
    alpha : float in [0, 1]
        0: full whitening; 1: none.
    score_method : {"euclidean", "angular"}
    """

    SCORE_METHODS = ("euclidean", "angular")

    def __init__(self, m: int, p: int, alpha: float = 1.0, score_method: str = "euclidean"):
        if score_method not in self.SCORE_METHODS:
            raise ValueError(f"score_method must be one of {self.SCORE_METHODS}: {score_method}")
        super().__init__(dim=m * p, shape=(m, p))
        self.p, self._alpha, self._score_method = p, alpha, score_method
        self._method = f"{score_method}_shape_metric"
        self._bind(p=p, alpha=alpha)

    @property
    def _angular(self) -> bool:
        return self._score_method == "angular"

    def string_id(self) -> str:
        return f"ShapeMetric[{self._alpha:.2f}][{self.p}][{self._score_method}].{self.m}"

    @property
    def is_spherical(self) -> bool:
        return self._angular

    def _project_impl(self, pt: Point) -> Point:
        """Centre (and scale to unit norm for the angular score)."""
        pt = pt - torch.mean(pt, dim=0)
        return pt / torch.linalg.norm(pt) if self._angular else pt

    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        if not torch.allclose(torch.mean(pt, dim=0), pt.new_zeros(pt.shape[1:]), atol=atol):
            return False
        if self._angular and not torch.isclose(torch.linalg.norm(pt), pt.new_ones(())):
            return False
        if self._alpha == 0.0:
            # whitening is idempotent: re-whiten (in float64, so that the check measures the
            # point and not the round-off of the check) and compare
            pt64 = pt.to(torch.float64)
            white = _whiten(pt64, 0.0)
            if self._angular:
                white = white / torch.linalg.norm(white)
            if not torch.allclose(pt64, white, atol=atol):
                return False
        return True

    def _align_to(self, pt_a: Point, pt_b: Point) -> Point:
        """``b`` rotated onto ``a``."""
        return pt_b @ procrustes_rotation(pt_b, pt_a)

    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        """Align ``b`` to ``a``, then the straight line or great circle of the pre-shapes."""
        pt_b = self._align_to(pt_a, pt_b)
        if self._angular:
            return slerp(pt_a, pt_b, frac)
        return pt_a * (1 - frac) + pt_b * frac

    def _preshape_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        vec_w = vec_w - torch.mean(vec_w, dim=0)
        if self._angular:
            vec_w = vec_w - pt_a * torch.sum(vec_w * pt_a) / torch.sum(pt_a * pt_a)
        return vec_w

    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """The pre-shape tangent: remove the mean shift (and the radial part, angular)."""
        return self._preshape_tangent(pt_a, vec_w)

    def _vertical_generator(self, pt_a: Point, vec_w: Vector) -> torch.Tensor:
        """Skew-symmetric ``S`` with ``aS`` the vertical part of ``w``:
        ``(aᵀa) S + S (aᵀa) = wᵀa − aᵀw``."""
        vec_w = self._preshape_tangent(pt_a, vec_w)
        gram, cross = pt_a.T @ pt_a, vec_w.T @ pt_a
        return _skew_sylvester(gram, cross - cross.T)

    def _horizontal(self, pt_a: Point, vec_w: Vector, vertical: Vector | None = None) -> Vector:
        vec_w = self._preshape_tangent(pt_a, vec_w)
        if vertical is None:
            vertical = pt_a @ self._vertical_generator(pt_a, vec_w)
        sq = torch.clamp(torch.sum(vertical * vertical), min=1e-7)
        return vec_w - vertical * torch.sum(vec_w * vertical) / sq

    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """``⟨hor(w), hor(v)⟩_F`` of the horizontal parts."""
        return torch.sum(self._horizontal(pt_a, vec_w) * self._horizontal(pt_a, vec_v))

    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """Rotate by ``exp(S)`` (the vertical part), then move along the rotated horizontal
        part in the pre-shape space."""
        S = self._vertical_generator(pt_a, vec_w)
        horizontal = self._horizontal(pt_a, vec_w, vertical=pt_a @ S)
        rotation = torch.linalg.matrix_exp(S)
        pt_a, horizontal = pt_a @ rotation, horizontal @ rotation
        if not self._angular:
            return pt_a + horizontal
        return _sphere_exp(pt_a, horizontal, self.norm(pt_a, horizontal))

    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """The horizontal tangent at ``a`` towards ``b`` aligned to ``a``."""
        pt_b = self._align_to(pt_a, pt_b)
        if not self._angular:
            return pt_b - pt_a
        direction = self._preshape_tangent(pt_a, pt_b)
        norm = torch.clamp(self.norm(pt_a, direction), min=1e-7)
        return direction / norm * self.length(pt_a, pt_b)

    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """Rotate ``a`` and ``w`` onto ``b``, then transport in the pre-shape space."""
        rotation = procrustes_rotation(pt_a, pt_b)
        pt_a, vec_w = pt_a @ rotation, vec_w @ rotation
        if not self._angular:
            return vec_w
        return _sphere_transport(pt_a, self.log_map(pt_a, pt_b), self.length(pt_a, pt_b), vec_w)


class EuclideanShapeMetric(ShapeMetric):
    """:class:`ShapeMetric` with ``score_method="euclidean"``: ``min_R ‖aR − b‖_F``.

    Parameters
    ----------
    m, p : int
    alpha : float in [0, 1]
    """

    def __init__(self, m: int, p: int, alpha: float = 1.0) -> None:
        super().__init__(m, p, alpha, score_method="euclidean")


class AngularShapeMetric(ShapeMetric):
    """:class:`ShapeMetric` with ``score_method="angular"``:
    ``arccos(‖aᵀb‖_* / (‖a‖ ‖b‖))``.

    Parameters
    ----------
    m, p : int
    alpha : float in [0, 1]
    """

    def __init__(self, m: int, p: int, alpha: float = 1.0) -> None:
        super().__init__(m, p, alpha, score_method="angular")
