"""Geometry of representation spaces, torch-native (repsim's ``geometry``, ``pairwise``,
``util`` and ``stats``).

A :class:`LengthSpace` has a differentiable ``length`` and finds points along geodesics by
gradient descent; a :class:`GeodesicLengthSpace` has them in closed form; a
:class:`RiemannianSpace` adds tangent spaces (``to_tangent``, ``inner_product``,
``exp_map``, ``log_map``, ``levi_civita``). The representation metrics of
:mod:`repgeom.metrics.spaces` are such spaces; :class:`HyperSphere` is the unit sphere.

On top of any space: :func:`slerp`, :func:`angle` (the angle of a geodesic triangle),
:func:`midpoint`, :func:`alexandrov` (a curvature sign), projections onto geodesics
(:func:`project_by_binary_search`, :func:`project_by_tangent_iteration`), Fréchet means,
:class:`ManifoldPCA` and :class:`SphericalMDS`. Points are tensors; everything keeps their
dtype and device.
"""

from __future__ import annotations

import abc
import enum
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from repgeom.metrics.kernels import DEFAULT_KERNEL, Kernel

#: A point of a space (a tensor of the space's ``shape``).
Point = torch.Tensor
#: A 0-d tensor.
Scalar = torch.Tensor
#: A tangent vector (a tensor of the space's ``shape``).
Vector = torch.Tensor
Tensor = torch.Tensor

__all__ = [
    "CompareType",
    "GeodesicLengthSpace",
    "HyperSphere",
    "IterativeFrechetMean",
    "LengthSpace",
    "ManifoldPCA",
    "OptimResult",
    "Point",
    "RiemannianSpace",
    "Scalar",
    "SphericalMDS",
    "Vector",
    "alexandrov",
    "angle",
    "iterate_frechet_mean",
    "midpoint",
    "minimize",
    "optimize_frechet_mean",
    "orthogonal_procrustes",
    "orthogonal_procrustes_rotation",
    "pairwise_compare",
    "pdist2",
    "project_by_binary_search",
    "project_by_tangent_iteration",
    "slerp",
    "subdivide_geodesic",
    "sym_matrix_function",
    "upper_triangle",
]


# --------------------------------------------------------------------------------------------
# Pairwise comparisons of rows (repsim.util, repsim.pairwise)
# --------------------------------------------------------------------------------------------


class CompareType(enum.Enum):
    """What :func:`pairwise_compare` returns.

    ``INNER_PRODUCT`` (large = similar), ``ANGLE`` (in [0, π]), ``COSINE`` (of the angle),
    ``DISTANCE`` (``‖x − y‖``) or ``SQUARE_DISTANCE``; the sign of the value says whether
    large means similar (−1) or distant.
    """

    INNER_PRODUCT = -1
    ANGLE = 0
    COSINE = 1
    DISTANCE = 2
    SQUARE_DISTANCE = 3


def pdist2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared pairwise distances ``‖xᵢ − yⱼ‖² = ‖xᵢ‖² + ‖yⱼ‖² − 2⟨xᵢ, yⱼ⟩``, clipped at 0.

    Parameters
    ----------
    x : Tensor of shape (n, ...)
    y : Tensor of shape (m, ...)
        Trailing shapes must agree.

    Returns
    -------
    Tensor of shape (n, m)
    """
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(
            f"x and y must have the same trailing shape but have {tuple(x.shape[1:])} and "
            f"{tuple(y.shape[1:])}"
        )
    xx = torch.einsum("i...,i...->i", x, x)
    yy = torch.einsum("j...,j...->j", y, y)
    xy = torch.einsum("i...,j...->ij", x, y)
    return torch.clamp(xx[:, None] + yy[None, :] - 2 * xy, min=0.0)


def upper_triangle(A: torch.Tensor, offset: int = 1) -> torch.Tensor:
    """The entries of square ``A`` above its ``offset``-th diagonal, row by row.

    Parameters
    ----------
    A : Tensor of shape (n, n)
    offset : int
        Diagonals excluded, the main one included (1: the strict upper triangle).

    Returns
    -------
    Tensor of shape (k,)
    """
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square but has shape {tuple(A.shape)}")
    i, j = torch.triu_indices(A.shape[0], A.shape[1], offset=offset, device=A.device)
    return A[i, j]


def pairwise_compare(
    x: torch.Tensor, *, type: CompareType = CompareType.INNER_PRODUCT, kernel: Kernel | None = None
) -> torch.Tensor:
    """All pairs of rows of ``x`` compared through a kernel (repsim's ``pairwise.compare``).

    Parameters
    ----------
    x : Tensor of shape (n, ...)
    type : CompareType
        With ``G = k(x, x)``: ``G`` (inner product), ``Gᵢⱼ / sqrt(GᵢᵢGⱼⱼ)`` (cosine), its
        arccos (angle), ``Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ`` clipped at 0 (squared distance) or its root.
    kernel : Kernel, optional
        Default linear.

    Returns
    -------
    Tensor of shape (n, n)
    """
    G = (DEFAULT_KERNEL if kernel is None else kernel)(x, x)
    if type == CompareType.INNER_PRODUCT:
        return G
    diag = torch.diagonal(G)
    if type in (CompareType.COSINE, CompareType.ANGLE):
        lengths = torch.sqrt(diag)
        cosine = G / (lengths[:, None] * lengths[None, :])
        if type == CompareType.COSINE:
            return cosine
        return torch.arccos(torch.clamp(cosine, -1.0, 1.0))
    sq = torch.clamp(diag[:, None] + diag[None, :] - 2 * G, min=0.0)
    return sq if type == CompareType.SQUARE_DISTANCE else torch.sqrt(sq)


def sym_matrix_function(M: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> Tensor:
    """``U fn(Λ) Uᵀ`` for symmetric ``M = U Λ Uᵀ`` (matrix square root, log, power, ...).

    Parameters
    ----------
    M : Tensor of shape (n, n), symmetric
    fn : callable
        Applied to the eigenvalues.

    Returns
    -------
    Tensor of shape (n, n)
    """
    evals, evecs = torch.linalg.eigh(M)
    return (evecs * fn(evals)) @ evecs.mT


# --------------------------------------------------------------------------------------------
# Optimisation on a space
# --------------------------------------------------------------------------------------------


class OptimResult(enum.Enum):
    """How an optimisation ended (``NO_OPT_NEEDED`` is an alias of ``CONVERGED``)."""

    CONVERGED = 0
    MAX_STEPS_REACHED = 1
    CONDITIONS_VIOLATED = 2
    ILL_POSED = 3
    NO_OPT_NEEDED = 0


def minimize(
    space: LengthSpace,
    fun: Callable[[Point], Scalar],
    init: Point,
    *,
    pt_tol: float = 1e-6,
    fn_tol: float = 1e-6,
    init_step_size: float = 0.1,
    max_step_size: float = 100.0,
    wolfe_c1: float = 1e-4,
    wolfe_c2: float = 0.9,
    wolfe_c2_min: float = 1e-2,
    max_iter: int = 10000,
) -> tuple[Point, OptimResult]:
    """Minimise a differentiable ``fun`` over the points of ``space`` by projected gradient
    descent with a Wolfe-condition step size.

    Each step moves to ``project(x − s ∇f(x))``. The step is accepted when it decreases ``f``
    enough (``f(x') ≤ f(x) − c₁ s ‖∇f‖²``, Wolfe I) and the slope flattens enough
    (``−∇f(x)·∇f(x') ≤ c₂ ‖∇f(x)‖²``, Wolfe II); a step failing only II grows ``s`` by 10 %,
    one failing only I shrinks it by 20 %; failing both relaxes ``c₂`` by 20 % until it drops
    below ``wolfe_c2_min``. Convergence: the step moves less than ``pt_tol`` (by
    ``space.length``) and improves ``f`` by at most ``fn_tol``.

    Parameters
    ----------
    space : LengthSpace
    fun : callable
        Point → 0-d tensor, differentiable.
    init : Tensor
        The starting point.

    Returns
    -------
    point : Tensor
    status : OptimResult
    """

    def value_and_grad(pt: Point) -> tuple[Scalar, Tensor]:
        with torch.enable_grad():
            x = pt.detach().clone().requires_grad_(True)
            value = fun(x)
            (grad,) = torch.autograd.grad(value, x, allow_unused=True)
        grad = torch.zeros_like(pt) if grad is None else grad
        return value.detach(), grad

    step, pt = init_step_size, init.detach().clone()
    fval, grad = value_and_grad(pt)
    for _ in range(max_iter):
        direction = -grad
        new_pt = space.project(pt + step * direction)
        new_fval, new_grad = value_and_grad(new_pt)
        if space.length(pt, new_pt) <= pt_tol and new_fval <= fval and fval - new_fval <= fn_tol:
            return (new_pt if new_fval < fval else pt), OptimResult.CONVERGED
        slope = torch.sum(grad * direction)
        sufficient_decrease = bool(new_fval <= fval + wolfe_c1 * step * slope)
        flatter = bool(torch.sum(direction * new_grad) >= wolfe_c2 * slope)
        if sufficient_decrease:
            pt, fval, grad = new_pt.clone(), new_fval, new_grad
            if not flatter:
                step = min(max_step_size, step * 1.1)
        elif flatter:
            step *= 0.8
        else:
            wolfe_c2 *= 0.8
            if wolfe_c2 < wolfe_c2_min:
                return pt, OptimResult.CONDITIONS_VIOLATED
            if new_fval < fval:
                pt, fval, grad = new_pt.clone(), new_fval, new_grad
    return pt, OptimResult.MAX_STEPS_REACHED


# --------------------------------------------------------------------------------------------
# Spaces
# --------------------------------------------------------------------------------------------


class LengthSpace(abc.ABC):
    """A metric space whose distance is the length of shortest paths.

    ``d`` satisfies identity ``d(a, a) = 0``, symmetry and the triangle inequality, and
    ``d(a, b) = Σ d(xᵢ₋₁, xᵢ)`` along a shortest path ``a = x₀, …, x_N = b``.

    Parameters
    ----------
    dim : int or float
        Dimension of the space as a manifold (a sphere in 3-d has ``dim = 2``).
    shape : tuple of int
        Shape of a point tensor; ``ambient = prod(shape)``.

    Subclasses implement ``_length_impl`` (differentiable in both points), ``_project_impl``
    and ``_contains_impl``.
    """

    def __init__(self, *, dim: float, shape: tuple[int, ...]) -> None:
        self.dim = dim
        self._shape = tuple(shape)
        self.ambient = math.prod(self._shape)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of a point."""
        return self._shape

    @shape.setter
    def shape(self, new_shape: tuple[int, ...]) -> None:
        self._shape = tuple(new_shape)
        self.ambient = math.prod(self._shape)

    def project(self, pt: Point) -> Point:
        """The point of the space nearest ``pt`` of the ambient space (a copy if it is in)."""
        return pt.clone() if self.contains(pt) else self._project_impl(pt)

    @abc.abstractmethod
    def _project_impl(self, pt: Point) -> Point:
        """:meth:`project` without checking :meth:`contains` first."""

    def contains(self, pt: Point, atol: float = 1e-6) -> bool:
        """Whether ``pt`` has the space's shape and lies in it to within ``atol``."""
        if tuple(pt.shape) != tuple(self.shape):
            return False
        return bool(self._contains_impl(pt, atol))

    @abc.abstractmethod
    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        """:meth:`contains` once the shape matched."""

    def length(self, pt_a: Point, pt_b: Point) -> Scalar:
        """``d(a, b)``, projecting a point that is not in the space first (with a warning).

        Returns
        -------
        0-d Tensor, differentiable in both points
        """
        if not self.contains(pt_a):
            warnings.warn("pt_a is not on the manifold - trying to project", stacklevel=2)
            pt_a = self._project_impl(pt_a)
        if not self.contains(pt_b):
            warnings.warn("pt_b is not on the manifold - trying to project", stacklevel=2)
            pt_b = self._project_impl(pt_b)
        return self._length_impl(pt_a, pt_b)

    @abc.abstractmethod
    def _length_impl(self, pt_a: Point, pt_b: Point) -> Scalar:
        """:meth:`length` of two points of the space (differentiable in both)."""

    def geodesic(
        self,
        pt_a: Point,
        pt_b: Point,
        init_pt: Point | None = None,
        frac: float = 0.5,
        **kwargs: Any,
    ) -> Point:
        """The point ``c`` a fraction ``frac`` along a geodesic from ``a`` to ``b``, by
        gradient descent.

        ``c`` minimises ``(1 − t) d(a, c)² + t d(c, b)²`` (``t = frac``), whose minimum on a
        length space has ``d(a, c) = t d(a, b)`` and ``d(c, b) = (1 − t) d(a, b)``.

        Parameters
        ----------
        pt_a, pt_b : Tensor
            Endpoints.
        init_pt : Tensor, optional
            Starting point; default ``project((1 − t) a + t b)``.
        frac : float in [0, 1]
        **kwargs
            :func:`minimize`'s settings (``pt_tol``, ``fn_tol``, ``max_iter``, ...).

        Returns
        -------
        Tensor
            The point (with a warning if the descent did not converge).
        """
        if not 0.0 <= frac <= 1.0:
            raise ValueError(f"'frac' must be in [0, 1] but is {frac}")
        if frac == 0:
            return pt_a
        if frac == 1:
            return pt_b
        if torch.allclose(pt_a, pt_b, atol=kwargs.get("pt_tol", 1e-6)):
            return self.project((pt_a + pt_b) / 2)
        start = self.project((1 - frac) * pt_a + frac * pt_b) if init_pt is None else init_pt

        def loss(pt_c: Point) -> Scalar:
            d_ac, d_cb = self.length(pt_a, pt_c), self.length(pt_c, pt_b)
            return d_ac * d_ac * (1 - frac) + d_cb * d_cb * frac

        pt, status = minimize(self, loss, start.clone(), **kwargs)
        if status != OptimResult.CONVERGED:
            warnings.warn(
                f"Minimization failed to converge ({status}); the geodesic point may be unreliable",
                stacklevel=2,
            )
        return pt


class GeodesicLengthSpace(LengthSpace):
    """A :class:`LengthSpace` with geodesics in closed form (``_geodesic_impl``)."""

    def geodesic(self, pt_a: Point, pt_b: Point, frac: float = 0.5, **kwargs: Any) -> Point:
        """The point a fraction ``frac`` along the geodesic from ``a`` to ``b``, in closed
        form: ``d(a, c) = frac · d(a, b)``, ``d(c, b) = (1 − frac) · d(a, b)``.

        Parameters
        ----------
        pt_a, pt_b : Tensor
        frac : float in [0, 1]
        **kwargs
            None accepted (a warning names them).

        Returns
        -------
        Tensor
        """
        if kwargs:
            warnings.warn(
                f"{type(self).__name__}.geodesic takes no kwargs, but got {sorted(kwargs)}",
                stacklevel=2,
            )
        if frac == 0.0 or torch.allclose(pt_a, pt_b):
            return pt_a.clone()
        if frac == 1.0:
            return pt_b.clone()
        return self._geodesic_impl(pt_a, pt_b, frac)

    @abc.abstractmethod
    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        """:meth:`geodesic` without the shortcuts."""


class RiemannianSpace(GeodesicLengthSpace):
    """A Riemannian manifold: a :class:`GeodesicLengthSpace` with tangent spaces.

    Subclasses implement ``to_tangent``, ``inner_product``, ``exp_map``, ``log_map`` and
    ``levi_civita``; ``exp_map(a, log_map(a, b))`` is ``b`` (up to the space's
    equivalence) and ``norm(a, log_map(a, b)) = length(a, b)``.
    """

    @abc.abstractmethod
    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """The projection of an ambient vector ``w`` onto the tangent space at ``a``."""

    @abc.abstractmethod
    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """The metric ``⟨w, v⟩_a`` of two tangent vectors at ``a``."""

    def squared_norm(self, pt_a: Point, vec_w: Vector) -> Scalar:
        """``⟨w, w⟩_a``."""
        return self.inner_product(pt_a, vec_w, vec_w)

    def norm(self, pt_a: Point, vec_w: Vector) -> Scalar:
        """``sqrt⟨w, w⟩_a``."""
        return torch.sqrt(self.squared_norm(pt_a, vec_w))

    @abc.abstractmethod
    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """The point reached from ``a`` along the geodesic with initial velocity ``w``."""

    @abc.abstractmethod
    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """The tangent vector at ``a`` pointing to ``b`` with length ``d(a, b)``."""

    @abc.abstractmethod
    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """Parallel transport of the tangent vector ``w`` at ``a`` to ``b`` along the geodesic
        (preserves inner products)."""


# --------------------------------------------------------------------------------------------
# The sphere and triangles
# --------------------------------------------------------------------------------------------


def _unit(v: Tensor) -> Tensor:
    return v / torch.sqrt(torch.sum(v * v))


def slerp(pt_a: Point, pt_b: Point, frac: float) -> Point:
    """Spherical linear interpolation of the directions of ``a`` and ``b``.

    With ``â, b̂`` the unit vectors and ``ω = arccos⟨â, b̂⟩``:
    ``slerp = [sin((1 − t) ω) â + sin(t ω) b̂] / sin ω``, a unit vector a fraction ``t`` of
    the arc from ``â`` to ``b̂`` (any shape; treated as flat vectors).

    Raises
    ------
    ValueError
        For antipodal ``a`` and ``b`` (no unique great circle) or ``frac`` outside [0, 1].
    """
    if not 0.0 <= frac <= 1.0:
        raise ValueError(f"frac must be in [0, 1] but is {frac}")
    a, b = _unit(pt_a), _unit(pt_b)
    if frac == 0.0:
        return a
    if frac == 1.0:
        return b
    dot = torch.sum(a * b)
    if dot > 1.0 - 1e-6:  # the same direction: interpolate linearly and renormalise
        return _unit(a * (1 - frac) + b * frac)
    if dot < -1.0 + 1e-6:
        raise ValueError("A and B are antipodal - cannot SLERP")
    omega = torch.arccos(torch.clamp(dot, -1.0, 1.0))
    return (a * torch.sin((1 - frac) * omega) + b * torch.sin(frac * omega)) / torch.sin(omega)


class HyperSphere(RiemannianSpace):
    """The unit sphere ``S^dim`` in ``R^{dim+1}`` with the arc-length (great-circle) metric
    ``d(a, b) = arccos⟨a, b⟩``.

    Parameters
    ----------
    dim : int
        Dimension of the sphere; points have shape (dim + 1,).
    """

    def __init__(self, dim: int) -> None:
        super().__init__(dim=dim, shape=(dim + 1,))

    def _project_impl(self, pt: Point) -> Point:
        return _unit(pt)

    def _contains_impl(self, pt: Point, atol: float = 1e-6) -> bool:
        return bool(torch.abs(torch.sqrt(torch.sum(pt * pt, dim=-1)) - 1.0) <= atol)

    def _length_impl(self, pt_a: Point, pt_b: Point) -> Scalar:
        cosine = torch.sum(pt_a * pt_b) / torch.sqrt(
            torch.sum(pt_a * pt_a) * torch.sum(pt_b * pt_b)
        )
        return torch.arccos(torch.clamp(cosine, -1.0, 1.0))

    def _geodesic_impl(self, pt_a: Point, pt_b: Point, frac: float = 0.5) -> Point:
        return slerp(pt_a, pt_b, frac)

    def to_tangent(self, pt_a: Point, vec_w: Vector) -> Vector:
        """``w − ⟨a, w⟩ a``."""
        return _sphere_tangent(pt_a, vec_w)

    def inner_product(self, pt_a: Point, vec_w: Vector, vec_v: Vector) -> Scalar:
        """The ambient ``⟨w, v⟩``."""
        return torch.sum(vec_w * vec_v)

    def exp_map(self, pt_a: Point, vec_w: Vector) -> Point:
        """``cos‖w‖ a + sin‖w‖ w/‖w‖`` for the tangent part of ``w``."""
        return _sphere_exp(pt_a, _sphere_tangent(pt_a, vec_w))

    def log_map(self, pt_a: Point, pt_b: Point) -> Vector:
        """``d(a, b) · u`` with ``u`` the unit tangent part of ``b`` at ``a``."""
        return _sphere_log(pt_a, pt_b, self.length(pt_a, pt_b))

    def levi_civita(self, pt_a: Point, pt_b: Point, vec_w: Vector) -> Vector:
        """Rotate the part of ``w`` along the geodesic in the plane of ``a`` and its direction
        ``u``; the orthogonal part is unchanged."""
        return _sphere_transport(pt_a, self.log_map(pt_a, pt_b), self.length(pt_a, pt_b), vec_w)


def _sphere_tangent(pt_a: Point, vec_w: Vector) -> Vector:
    return vec_w - torch.sum(pt_a * vec_w) * pt_a


def _sphere_exp(pt_a: Point, tangent: Vector, norm: Scalar | None = None) -> Point:
    norm = torch.sqrt(torch.sum(tangent * tangent)) if norm is None else norm
    # sin(θ)/θ as torch.sinc(θ/π), which is smooth through θ = 0
    return torch.cos(norm) * pt_a + torch.sinc(norm / math.pi) * tangent


def _sphere_log(pt_a: Point, pt_b: Point, dist: Scalar, tangent: Vector | None = None) -> Vector:
    w = _sphere_tangent(pt_a, pt_b) if tangent is None else tangent
    return w / torch.clamp(torch.sqrt(torch.sum(w * w)), min=1e-7) * dist


def _sphere_transport(pt_a: Point, log_ab: Vector, dist: Scalar, vec_w: Vector) -> Vector:
    unit_v = log_ab / torch.clamp(dist, min=1e-7)
    along = torch.sum(unit_v * vec_w)
    return vec_w - along * unit_v + along * (torch.cos(dist) * unit_v - torch.sin(dist) * pt_a)


def midpoint(space: LengthSpace, pt_a: Point, pt_b: Point, **kwargs: Any) -> Point:
    """The point halfway along a geodesic: ``d(a, m) = d(m, b) = d(a, b) / 2``."""
    return space.geodesic(pt_a, pt_b, frac=0.5, **kwargs)


def subdivide_geodesic(
    space: LengthSpace, pt_a: Point, pt_b: Point, octaves: int = 5, **kwargs: Any
) -> list[Point]:
    """``2**octaves + 1`` equally spaced points ``[a, …, b]`` along a geodesic, by halving
    recursively."""
    mid = midpoint(space, pt_a, pt_b, **kwargs)
    if octaves <= 1:
        return [pt_a, mid, pt_b]
    left = subdivide_geodesic(space, pt_a, mid, octaves - 1, **kwargs)
    right = subdivide_geodesic(space, mid, pt_b, octaves - 1, **kwargs)
    return left + right[1:]


def angle(space: LengthSpace, pt_a: Point, pt_b: Point, pt_c: Point, **kwargs: Any) -> Scalar:
    """The angle at ``b`` of the geodesic triangle ``abc`` (π when ``b`` is on the geodesic
    from ``a`` to ``c``, 0 when ``a = c``).

    On a :class:`RiemannianSpace`: ``arccos⟨log_b a, log_b c⟩_b / (‖log_b a‖ ‖log_b c‖)``.
    Otherwise by the law of cosines on the points a fraction ``delta`` (keyword, default
    1e-3) along the geodesics from ``b`` to ``a`` and to ``c``; other ``kwargs`` go to
    :meth:`LengthSpace.geodesic`.
    """
    if isinstance(space, RiemannianSpace):
        to_a, to_c = space.log_map(pt_b, pt_a), space.log_map(pt_b, pt_c)
        cosine = space.inner_product(
            pt_b, to_a / space.norm(pt_b, to_a), to_c / space.norm(pt_b, to_c)
        )
        return torch.arccos(torch.clamp(cosine, -1.0, 1.0))
    delta = kwargs.pop("delta", 1e-3)
    near_a = space.geodesic(pt_b, pt_a, frac=delta, **kwargs)
    near_c = space.geodesic(pt_b, pt_c, frac=delta, **kwargs)
    side_a, side_c = space.length(pt_b, near_a), space.length(pt_b, near_c)
    opposite = space.length(near_a, near_c)
    cosine = (side_a**2 + side_c**2 - opposite**2) / (2 * side_a * side_c)
    return torch.arccos(torch.clamp(cosine, -1.0, 1.0))


def alexandrov(space: LengthSpace, pt_a: Point, pt_b: Point, pt_c: Point) -> Scalar:
    """A sign of curvature from a triangle: ``d(b, m) − sqrt(d_ab²/2 + d_bc²/2 − d_ac²/4)``.

    ``m`` is the midpoint of ``a`` and ``c``; the second term is the length of the same median
    in a flat triangle with the same sides (Apollonius). Positive: positively curved, as on a
    sphere; zero: flat; negative: hyperbolic.
    """
    mid = midpoint(space, pt_a, pt_c)
    d_ab, d_bc, d_ac = space.length(pt_a, pt_b), space.length(pt_b, pt_c), space.length(pt_a, pt_c)
    flat = torch.sqrt(d_ab * d_ab / 2 + d_bc * d_bc / 2 - d_ac * d_ac / 4)
    return space.length(pt_b, mid) - flat


# --------------------------------------------------------------------------------------------
# Projections onto geodesics
# --------------------------------------------------------------------------------------------


def project_by_binary_search(
    space: LengthSpace,
    pt_a: Point,
    pt_b: Point,
    pt_c: Point,
    *,
    dist_a_b: Scalar | None = None,
    dist_a_c: Scalar | None = None,
    dist_c_b: Scalar | None = None,
    tol: float = 1e-6,
    max_recurse: int = 20,
) -> tuple[Point, OptimResult]:
    """The point of the geodesic segment ``[a, b]`` nearest ``c``, by halving the segment
    towards the nearer end (interpolates only; see :func:`project_by_tangent_iteration`).

    Parameters
    ----------
    dist_a_b, dist_a_c, dist_c_b : Tensor, optional
        Known distances (computed when not given).
    tol : float
        ``c`` counts as on the segment when ``d(a, c) + d(c, b)`` is within ``tol`` of
        ``d(a, b)``.
    max_recurse : int
        Halvings before giving up with the nearer end (20: about 1e-6 of the segment).

    Returns
    -------
    point : Tensor
    status : OptimResult
    """
    d_ab = space.length(pt_a, pt_b) if dist_a_b is None else dist_a_b
    d_ac = space.length(pt_a, pt_c) if dist_a_c is None else dist_a_c
    d_cb = space.length(pt_c, pt_b) if dist_c_b is None else dist_c_b
    while True:
        if torch.isclose(d_ac + d_cb, d_ab, atol=tol):
            return pt_c.clone(), OptimResult.CONVERGED
        if d_ab < tol:
            return midpoint(space, pt_a, pt_b), OptimResult.CONVERGED
        if max_recurse == 0:
            nearer = pt_a if d_ac < d_cb else pt_b
            return nearer.clone(), OptimResult.MAX_STEPS_REACHED
        mid = midpoint(space, pt_a, pt_b)
        d_mc = space.length(mid, pt_c)
        if d_ac < d_cb:
            pt_b, d_cb = mid, d_mc
        else:
            pt_a, d_ac = mid, d_mc
        d_ab, max_recurse = d_ab / 2, max_recurse - 1


def project_by_tangent_iteration(
    space: RiemannianSpace,
    pt_a: Point,
    pt_b: Point,
    pt_c: Point,
    *,
    tol: float = 1e-6,
    max_iterations: int = 100,
) -> tuple[Point, OptimResult]:
    """The point ``p`` of the geodesic through ``a`` and ``b`` (extended both ways) nearest
    ``c``: ``p = exp_a(t u)`` with ``u = log_a b / d(a, b)``, moving ``t`` by the component
    along ``u`` of ``log_p c`` transported back to ``a`` until it is below ``tol``.

    Returns
    -------
    point : Tensor
    status : OptimResult
        ``ILL_POSED`` (and the midpoint) when ``a`` and ``b`` coincide to within ``tol``.
    """
    d_ab = space.length(pt_a, pt_b)
    if d_ab < tol:
        return midpoint(space, pt_a, pt_b), OptimResult.ILL_POSED
    unit_ab = space.log_map(pt_a, pt_b) / d_ab
    proj, t = pt_a.clone(), 0.0
    for _ in range(max_iterations):
        at_a = space.levi_civita(proj, pt_a, space.log_map(proj, pt_c))
        along = space.inner_product(pt_a, at_a, unit_ab)
        if torch.abs(along) < tol:
            return proj, OptimResult.CONVERGED
        t = t + along
        proj = space.exp_map(pt_a, t * unit_ab)
    return pt_a, OptimResult.MAX_STEPS_REACHED


# --------------------------------------------------------------------------------------------
# Procrustes, Fréchet means, PCA and MDS on manifolds
# --------------------------------------------------------------------------------------------


def orthogonal_procrustes_rotation(
    a: Tensor, b: Tensor, anchor: str = "middle"
) -> tuple[Tensor | None, Tensor | None]:
    """Rotations ``(r_a, r_b)`` of centred (m, p) ``a`` and ``b`` minimising
    ``‖a r_a − b r_b‖_F`` (None: that side is not rotated).

    With ``aᵀb = U S Vᵀ``: ``anchor="middle"`` rotates both (``U``, ``V``), ``"a"`` only ``b``
    (``V Uᵀ``), ``"b"`` only ``a`` (``U Vᵀ``). The SVD is held fixed under autograd.
    """
    with torch.no_grad():
        U, _, Vh = torch.linalg.svd(a.T @ b)
    if anchor == "middle":
        return U, Vh.T
    if anchor == "a":
        return None, Vh.T @ U.T
    if anchor == "b":
        return U @ Vh, None
    raise ValueError(f"Invalid 'anchor' argument: {anchor} (must be 'middle', 'a', or 'b')")


def orthogonal_procrustes(a: Tensor, b: Tensor, anchor: str = "middle") -> tuple[Tensor, Tensor]:
    """``a`` and ``b`` rotated into a common frame by
    :func:`orthogonal_procrustes_rotation` (shapes unchanged)."""
    r_a, r_b = orthogonal_procrustes_rotation(a, b, anchor)
    return (a if r_a is None else a @ r_a), (b if r_b is None else b @ r_b)


class IterativeFrechetMean:
    """A running Fréchet mean on a Riemannian space: the n-th point moves the mean
    ``1/n`` of the way along the geodesic towards it (order-dependent, approximate)."""

    def __init__(self, space: RiemannianSpace) -> None:
        self.space = space
        self.n = 0
        self.mean: Point | None = None

    def update(self, x: Point) -> None:
        """Take one more point into the mean."""
        self.n += 1
        x = self.space.project(x)
        if self.mean is None:
            self.mean = x.clone()
        else:
            self.mean = self.space.exp_map(self.mean, self.space.log_map(self.mean, x) / self.n)

    def reset(self, n: int = 0) -> None:
        """Restart the step size as if ``n`` points had been seen (the mean is kept)."""
        self.n = n


def iterate_frechet_mean(space: RiemannianSpace, points: Iterable[Point]) -> Point:
    """The :class:`IterativeFrechetMean` of ``points`` in order."""
    ifm = IterativeFrechetMean(space)
    for pt in points:
        ifm.update(pt)
    return ifm.mean


def optimize_frechet_mean(
    space: LengthSpace, points: Iterable[Point], init_method: str = "random point"
) -> Point:
    """The Fréchet mean ``argmin_m Σᵢ d(m, xᵢ)²`` by :func:`minimize`.

    Parameters
    ----------
    init_method : {"random point", "euclidean", "iterative"}
        Start at a random point (numpy's global generator), the projected Euclidean mean, or
        :func:`iterate_frechet_mean`.
    """
    points = [space.project(x) for x in points]
    if init_method == "random point":
        init = points[np.random.randint(len(points))].clone()  # noqa: NPY002 (seedable)
    elif init_method == "euclidean":
        init = space.project(sum(points) / len(points))
    elif init_method == "iterative":
        init = iterate_frechet_mean(space, points)
    else:
        raise ValueError(f"Invalid initialization method: {init_method}")

    def sum_squared_distance(m: Point) -> Scalar:
        return sum(space.length(m, p) ** 2 for p in points)

    mean, status = minimize(space, sum_squared_distance, init, max_iter=1000)
    if status != OptimResult.CONVERGED:
        warnings.warn(f"minimize() did not converge ({status})", stacklevel=2)
    return mean


class ManifoldPCA(BaseEstimator):
    """Principal components in the tangent space at the Fréchet mean (sklearn-style).

    ``fit_transform`` finds the Fréchet mean ``μ`` (:func:`optimize_frechet_mean`, initialised
    iteratively), maps each point to ``log_μ x`` and takes the top right singular vectors of
    the (n, ambient) matrix of tangent vectors; coordinates are projections onto them and
    ``inverse_transform`` maps coordinates back by ``exp_μ``.

    Parameters
    ----------
    space : RiemannianSpace
    n_components : int

    Attributes
    ----------
    frechet_mean_ : Tensor of the space's shape
    components_ : Tensor of shape ``space.shape + (n_components,)``
    singular_values_ : Tensor
    scales_ : Tensor of shape (n_components,)
    """

    def __init__(self, space: RiemannianSpace, n_components: int = 2) -> None:
        self.space = space
        self.n_components = n_components

    def _points(self, X: Iterable[Point]) -> Tensor:
        return torch.stack([self.space.project(x) for x in X], dim=0)

    def _tangents(self, points: Tensor) -> Tensor:
        return torch.stack([self.space.log_map(self.frechet_mean_, pt) for pt in points], dim=0)

    def fit(self, X: Iterable[Point], y: Any = None, init: Any = None) -> ManifoldPCA:
        """Fit to points ``X`` (an iterable or a stacked tensor)."""
        self.fit_transform(X, y, init)
        return self

    def fit_transform(self, X: Iterable[Point], y: Any = None, init: Any = None) -> Tensor:
        """Fit, then the (n, n_components) coordinates of ``X``."""
        if y is not None or init is not None:
            warnings.warn("ManifoldPCA does not use 'y' nor 'init' arguments", stacklevel=2)
        points = self._points(X)
        self.frechet_mean_ = optimize_frechet_mean(self.space, points, init_method="iterative")
        tangents = self._tangents(points)
        _, s, vT = torch.linalg.svd(tangents.reshape(len(tangents), -1), full_matrices=False)
        self.singular_values_ = s
        self.components_ = vT[: self.n_components].T.reshape(
            tuple(self.space.shape) + (self.n_components,)
        )
        self.scales_ = torch.sqrt(s[: self.n_components])
        return self._coordinates(tangents)

    def transform(self, X: Iterable[Point], y: Any = None) -> Tensor:
        """(n, n_components) coordinates of points ``X``."""
        if y is not None:
            warnings.warn("ManifoldPCA does not use 'y' argument", stacklevel=2)
        return self._coordinates(self._tangents(self._points(X)))

    def inverse_transform(self, coordinates: Tensor) -> Tensor:
        """Points ``exp_μ(Σⱼ cⱼ vⱼ)`` of (n, n_components) coordinates."""
        tangents = torch.einsum("nj,...j->n...", coordinates.to(self.components_), self.components_)
        return torch.stack([self.space.exp_map(self.frechet_mean_, v) for v in tangents], dim=0)

    def _coordinates(self, tangents: Tensor) -> Tensor:
        return torch.einsum("n...,...j->nj", tangents, self.components_)


def _arc_lengths(X: Tensor, center: bool) -> Tensor:
    if center:
        X = X - X.mean(dim=0)
    dots = X @ X.T
    lengths = torch.sqrt(torch.diagonal(dots))
    return torch.arccos(torch.clamp(dots / lengths[:, None] / lengths[None, :], -1.0, 1.0))


def _is_arc_length_matrix(D: Tensor) -> bool:
    tolerance, soft_tolerance = 1e-4, 1e-3
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        return False
    if not bool(torch.all(D >= 0.0)) or not bool(torch.all(D <= math.pi)):
        return False
    diag = torch.diagonal(D).abs()
    # arccos amplifies rounding of a unit dot product: allow arccos(1 − tolerance) on the diagonal
    if not bool(torch.all(diag < math.acos(1.0 - tolerance))):
        if not bool(torch.all(diag < math.acos(1.0 - soft_tolerance))):
            return False
        warnings.warn(
            "Diagonal of arc-length matrix is not zero, but is close to zero.", stacklevel=3
        )
    return True


def _spherical_mds_single(
    distances: Tensor,
    *,
    dim: int,
    init: Tensor | None,
    max_iter: int,
    max_inner_loop: int | None,
    eps: float,
    random_state: Any,
) -> tuple[Tensor, Tensor, int]:
    """One run of Agarwal et al.'s (2010) spherical MDS: start from Euclidean MDS (or
    ``init``) projected onto ``S^dim``, then repeatedly move each point to the running mean of
    its targets, the points at the desired arc length from each other point along the arc
    through it, until the squared stress drops by less than ``eps``."""
    from sklearn.manifold import MDS
    from sklearn.utils import check_random_state

    random_state = check_random_state(random_state)
    n = distances.shape[0]

    def on_sphere(z: Tensor) -> Tensor:
        z = z - z.mean(dim=0)
        return z / torch.sqrt(torch.sum(z * z, dim=-1, keepdim=True))

    if init is None:
        euclidean = MDS(
            n_components=dim + 1,
            n_init=1,
            metric="precomputed",
            init="random",
            random_state=random_state,
        )
        z = on_sphere(torch.as_tensor(euclidean.fit_transform(np.asarray(distances))))
    else:
        if tuple(init.shape) != (n, dim + 1):
            raise ValueError(f"init must have shape {(n, dim + 1)} but has {tuple(init.shape)}")
        z = on_sphere(torch.as_tensor(init))
    z = z.to(torch.float64)
    target = torch.triu(torch.as_tensor(distances, dtype=z.dtype))

    def squared_stress(z_: Tensor) -> Tensor:
        arcs = torch.arccos(torch.clamp(z_ @ z_.T, -1.0, 1.0))
        return torch.sum((target - torch.triu(arcs)) ** 2)

    sphere = HyperSphere(dim=dim)
    stress = squared_stress(z)
    updaters = [IterativeFrechetMean(sphere) for _ in range(n)]
    for itr in range(max_iter):
        for u in updaters:
            u.reset(n=itr)  # smaller steps as the iterations go on
        for i in torch.randperm(n).tolist():
            others = torch.randperm(n)
            if max_inner_loop is not None:
                others = others[:max_inner_loop]
            for j in others.tolist():
                if i == j:
                    continue
                ratio = distances[i, j] / sphere.length(z[i], z[j])
                updaters[i].update(sphere.exp_map(z[j], sphere.log_map(z[j], z[i]) * ratio))
            if updaters[i].mean is not None:
                z[i] = updaters[i].mean
        new_stress = squared_stress(z)
        if stress - new_stress < eps:
            return z, torch.sqrt(new_stress), itr
        stress = new_stress
    return z, torch.sqrt(stress), max_iter - 1


class SphericalMDS(BaseEstimator):
    """Multidimensional scaling onto the sphere ``S^dim`` (sklearn-style; Agarwal, Phillips &
    Venkatasubramanian 2010).

    Finds points ``zᵢ`` on ``S^dim`` ⊂ ``R^{dim+1}`` whose arc lengths ``arccos⟨zᵢ, zⱼ⟩``
    match the dissimilarities: ``"arc length"`` between the rows of ``X`` (optionally
    centred first), or ``"precomputed"`` arc lengths in [0, π]. The best of ``n_init`` runs
    (lowest stress ``sqrt Σ_{i<j} (Dᵢⱼ − θᵢⱼ)²``) is kept; ``n_jobs`` runs them in parallel.

    Attributes
    ----------
    embedding_ : Tensor of shape (n, dim + 1)
    stress_ : Tensor
    n_iter_ : int
    dissimilarity_matrix_ : Tensor of shape (n, n)
    """

    def __init__(
        self,
        dim: int = 2,
        *,
        n_init: int = 4,
        dissimilarity: str = "arc length",
        center: bool = False,
        max_iter: int = 300,
        max_inner_loop: int | None = None,
        verbose: int = 0,
        eps: float = 1e-3,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.dim = dim
        self.n_init = n_init
        self.dissimilarity = dissimilarity
        self.center = center
        self.max_iter = max_iter
        self.max_inner_loop = max_inner_loop
        self.verbose = verbose
        self.eps = eps
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X: Tensor, y: Any = None, init: Tensor | None = None) -> SphericalMDS:
        self.fit_transform(X, y, init=init)
        return self

    def fit_transform(self, X: Tensor, y: Any = None, init: Tensor | None = None) -> Tensor:
        """Fit, then the (n, dim + 1) embedding."""
        from joblib import Parallel, delayed, effective_n_jobs
        from sklearn.utils import check_random_state

        if y is not None:
            warnings.warn("SphericalMDS does not use 'y' argument", stacklevel=2)
        X = torch.as_tensor(X)
        kind = self.dissimilarity.lower()
        if kind == "precomputed":
            if not _is_arc_length_matrix(X):
                raise ValueError(
                    "With dissimilarity='precomputed', X must be a valid matrix of pairwise "
                    "arc-distances."
                )
            self.dissimilarity_matrix_ = X
        elif kind == "arc length":
            self.dissimilarity_matrix_ = _arc_lengths(X, self.center)
        else:
            raise ValueError(
                "'dissimilarity' argument must be one of 'arc length' or 'precomputed'"
            )
        settings = dict(
            dim=self.dim,
            init=init,
            max_iter=self.max_iter,
            max_inner_loop=self.max_inner_loop,
            eps=self.eps,
        )
        random_state = check_random_state(self.random_state)
        D = self.dissimilarity_matrix_
        if effective_n_jobs(self.n_jobs) == 1:
            runs = [
                _spherical_mds_single(D, random_state=random_state, **settings)
                for _ in range(self.n_init)
            ]
        else:
            seeds = random_state.randint(np.iinfo(np.int32).max, size=self.n_init)
            runs = Parallel(n_jobs=self.n_jobs, verbose=max(self.verbose - 1, 0))(
                delayed(_spherical_mds_single)(D, random_state=int(seed), **settings)
                for seed in seeds
            )
        best = min(range(len(runs)), key=lambda k: float(runs[k][1]))
        self.embedding_, self.stress_, self.n_iter_ = runs[best]
        return self.embedding_
