"""Kernels and HSIC estimators (repsim's conventions), torch-native.

Kernels are callables ``k(X) → (n, n)`` and ``k(X, Y) → (n_x, n_y)`` Gram matrices:

- :class:`Linear`: ``⟨x, y⟩`` (no centering inside);
- :class:`SquaredExponential`: ``exp(−‖x/ℓ_x − y/ℓ_y‖²)`` (no factor ½);
- :class:`Laplace`: ``exp(−‖x/ℓ_x − y/ℓ_y‖)``.

``length_scale`` is a number or a rule evaluated on each input separately (as repsim does):
``"auto"`` / ``"median"`` (``sqrt`` of the lower median of squared pairwise distances),
``"mean"`` (mean pairwise distance), or expressions of them such as ``"median/2"`` and
``"mean*3"``. A data-driven length scale is a constant of the data (not differentiated).

Every function here runs the same torch code on both backends: a torch tensor in gives a
tensor out on its dtype and device (differentiable), anything else (numpy, lists) is
converted once to a float64 tensor and comes back as numpy.
"""

from __future__ import annotations

import abc
import math
import re
from typing import Any

import numpy as np
import torch

from repgeom.errors import InvalidInputError, RepgeomError, ShapeMismatchError
from repgeom.metrics._validation import as_matrix

#: What a length-scale rule may contain: median or mean, optionally times or over a number.
_RULE = re.compile(r"^(median|mean)(\s*[*/]\s*[0-9.]+)?$")


class AutoLengthScaleWarning(RepgeomError, RuntimeWarning):
    """Raised (as repsim does) when a data-driven length scale meets fewer stimuli than units."""


def as_tensor(X: Any, name: str = "X", *, min_rows: int = 2) -> torch.Tensor:
    """``X`` as an (n_stimuli, n_units) torch matrix, the math's one entry point for data.

    A floating tensor keeps its dtype, device and autograd graph (other tensors become
    float64); anything else goes through :func:`~repgeom.metrics._validation.as_matrix`
    (numpy, labelled arrays) and becomes a float64 CPU tensor. Trailing dims are flattened
    into units.

    Raises
    ------
    ShapeMismatchError
        For fewer than two dims.
    InvalidInputError
        For fewer than ``min_rows`` rows or NaN/inf values.
    """
    if not isinstance(X, torch.Tensor):
        return torch.from_numpy(as_matrix(X, name, min_rows=min_rows))
    if not X.is_floating_point():
        X = X.to(torch.float64)
    if X.ndim < 2:
        raise ShapeMismatchError(f"{name} has shape {tuple(X.shape)}; expected (n_stimuli, ...)")
    X = X.reshape(X.shape[0], -1)
    if X.shape[0] < min_rows:
        raise InvalidInputError(f"{name} has {X.shape[0]} stimuli; at least {min_rows} needed")
    if not bool(torch.isfinite(X).all()):
        bad = int((~torch.isfinite(X)).sum())
        raise InvalidInputError(f"{name} holds {bad} NaN/inf values; remove or impute them")
    return X


def _square(K: Any, name: str) -> tuple[torch.Tensor, bool]:
    """A square matrix as a tensor, and whether it came in as a tensor."""
    is_tensor = isinstance(K, torch.Tensor)
    T = K if is_tensor else torch.as_tensor(np.asarray(K, dtype=np.float64))
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise ShapeMismatchError(f"{name} must be a square matrix but has shape {tuple(T.shape)}")
    return T, is_tensor


def sq_distances(x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Squared Euclidean distances ``‖xᵢ − yⱼ‖² = ‖xᵢ‖² + ‖yⱼ‖² − 2⟨xᵢ, yⱼ⟩``, clipped at 0.

    Parameters
    ----------
    x : Tensor of shape (n_x, d)
    y : Tensor of shape (n_y, d), optional
        Default ``x``.

    Returns
    -------
    Tensor of shape (n_x, n_y)
    """
    y = x if y is None else y
    xx, yy = torch.sum(x * x, dim=1), torch.sum(y * y, dim=1)
    return torch.clamp(xx[:, None] + yy[None, :] - 2 * x @ y.T, min=0.0)


def _upper(M: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(M.shape[0], M.shape[1], offset=1, device=M.device)
    return M[i, j]


def _parse_rule(rule: str) -> tuple[str, str | None, float]:
    rule = "median" if rule == "auto" else rule.strip()
    match = _RULE.match(rule)
    if not match:
        raise InvalidInputError(
            f"length_scale={rule!r}; use a number, 'auto', 'median', 'mean', or e.g. 'median/2'"
        )
    if not match.group(2):
        return match.group(1), None, 1.0
    op = match.group(2).strip()
    return match.group(1), op[0], float(op[1:])


def length_scale(rule: float | str, x: torch.Tensor) -> float:
    """The length scale ``ℓ`` of ``rule`` on data ``x`` (n, d): a number as is, or a rule.

    Notes
    -----
    ``median``: ``sqrt`` of the lower median (torch's convention) of the squared distances of
    distinct rows; ``mean``: the mean distance of distinct rows; then ``*c`` or ``/c``.

    Raises
    ------
    AutoLengthScaleWarning
        For a rule on fewer rows than columns (repsim raises there too).
    """
    if not isinstance(rule, str):
        return float(rule)
    base, op, value = _parse_rule(rule)
    if x.shape[0] < x.shape[1]:
        raise AutoLengthScaleWarning(
            "It's a bad idea to use automatic length-scale with too little data "
            f"({x.shape[0]} stimuli < {x.shape[1]} units); pass a number as length_scale"
        )
    with torch.no_grad():
        upper = _upper(sq_distances(x))
        if base == "median":
            scale = float(torch.sqrt(torch.sort(upper).values[(len(upper) - 1) // 2]))
        else:
            scale = float(torch.mean(torch.sqrt(upper)))
    if op == "*":
        return scale * value
    return scale / value if op == "/" else scale


class Kernel(abc.ABC):
    """A positive-definite kernel evaluated on all pairs of rows.

    ``k(x)`` is the (n, n) Gram matrix of ``x``; ``k(x, y)`` the (n_x, n_y) matrix
    ``k(xᵢ, yⱼ)``. Rows are stimuli; trailing dims are flattened. Tensors in, tensors out
    (dtype, device and autograd kept); numpy in, numpy out.
    """

    def __call__(self, x: Any, y: Any = None) -> Any:
        to_numpy = not isinstance(x, torch.Tensor)
        tx = as_tensor(x, "x", min_rows=1)
        ty = tx if y is None else as_tensor(y, "y", min_rows=1).to(tx)
        K = self._gram(tx, ty)
        return K.detach().cpu().numpy() if to_numpy else K

    @abc.abstractmethod
    def _gram(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``k(xᵢ, yⱼ)`` for (n_x, d) and (n_y, d) tensors."""

    @abc.abstractmethod
    def string_id(self) -> str:
        """repsim's identifier of this kernel (``Linear``, ``SqExp[auto]``, ``Laplace[5.000]``)."""

    @abc.abstractmethod
    def effective_dim(self, x: Any) -> float:
        """Dimension of the feature map ``φ(x)`` (``inf`` for the radial kernels)."""


class Linear(Kernel):
    """Linear kernel ``k(x, y) = ⟨x, y⟩``."""

    def _gram(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x @ y.T

    def string_id(self) -> str:
        return "Linear"

    def effective_dim(self, x: Any) -> float:
        return math.prod(tuple(x.shape[1:]))

    def __repr__(self) -> str:
        return "Linear()"


class _DistanceKernel(Kernel):
    """A kernel ``k(x, y) = profile(‖x/ℓ_x − y/ℓ_y‖²)`` with a fixed or data-driven scale.

    With a rule each argument is divided by its own length scale (repsim's convention; for
    ``k(x)`` this is ``profile(‖xᵢ − xⱼ‖² / ℓ²)``).
    """

    _tag = ""

    def __init__(self, length_scale: float | str = "auto") -> None:
        if isinstance(length_scale, str):
            _parse_rule(length_scale)
        elif length_scale <= 0:
            raise InvalidInputError(f"length_scale={length_scale!r}; it must be positive")
        self.length_scale = length_scale

    def _gram(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        same = y is x
        x = x / length_scale(self.length_scale, x)
        y = x if same else y / length_scale(self.length_scale, y)
        return self._profile(sq_distances(x, y))

    def _profile(self, d2: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _scale_str(self) -> str:
        if isinstance(self.length_scale, str):
            return self.length_scale.lower().replace(" ", "")
        return f"{self.length_scale:.3f}"

    def string_id(self) -> str:
        return f"{self._tag}[{self._scale_str()}]"

    def effective_dim(self, x: Any) -> float:
        return float("inf")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(length_scale={self.length_scale!r})"


class SquaredExponential(_DistanceKernel):
    """``k(x, y) = exp(−‖x − y‖² / ℓ²)``."""

    _tag = "SqExp"

    def _profile(self, d2: torch.Tensor) -> torch.Tensor:
        return torch.exp(-d2)


class Laplace(_DistanceKernel):
    """``k(x, y) = exp(−‖x − y‖ / ℓ)``."""

    _tag = "Laplace"

    def _profile(self, d2: torch.Tensor) -> torch.Tensor:
        # sqrt has an infinite slope at 0: keep the (exact) zeros out of the graph
        positive = d2 > 0
        return torch.exp(-torch.where(positive, torch.sqrt(torch.where(positive, d2, 1.0)), 0.0))


#: Kernel names (config files, ``repgeom.compare(..., kernel="laplace")``).
KERNELS = {"linear": Linear, "squared_exponential": SquaredExponential, "laplace": Laplace}

#: The kernel used when none is given (repsim's ``DEFAULT_KERNEL``).
DEFAULT_KERNEL = Linear()


def resolve_kernel(kernel: Any) -> Any:
    """A kernel object from a kernel, a name of :data:`KERNELS`, or None (linear)."""
    if kernel is None:
        return Linear()
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise InvalidInputError(f"kernel={kernel!r}; choose from {sorted(KERNELS)}")
        return KERNELS[kernel]()
    return kernel


def _center(K: torch.Tensor) -> torch.Tensor:
    return K - K.mean(0, keepdim=True) - K.mean(1, keepdim=True) + K.mean()


def center(K: Any) -> Any:
    """Double centring ``H K H`` with ``H = I − 11ᵀ/n``.

    Parameters
    ----------
    K : array or Tensor of shape (n, n)

    Returns
    -------
    Same type as ``K`` (numpy: float64), shape (n, n)
    """
    T, is_tensor = _square(K, "K")
    out = _center(T)
    return out if is_tensor else out.numpy()


def is_centered(K: Any, **tolerances: Any) -> bool:
    """Whether every row and column mean of ``K`` is zero (``torch.allclose`` tolerances,
    e.g. ``atol``, ``rtol``)."""
    T, _ = _square(K, "K")
    zeros = torch.zeros(T.shape[0], dtype=T.dtype, device=T.device)
    return bool(
        torch.allclose(T.mean(0), zeros, **tolerances)
        and torch.allclose(T.mean(1), zeros, **tolerances)
    )


def _hsic(K: torch.Tensor, L: torch.Tensor, centered: bool, unbiased: bool) -> torch.Tensor:
    if K.shape != L.shape:
        raise ShapeMismatchError(
            f"Gram matrices must have the same size, but got {tuple(K.shape)} and {tuple(L.shape)}"
        )
    if not centered:
        L = _center(L)
    m = K.shape[0]
    if not unbiased:
        return torch.sum(K * L) / (m - 1) ** 2
    if m < 4:
        raise InvalidInputError(f"the unbiased HSIC needs at least 4 stimuli, got {m}")
    off = 1 - torch.eye(m, dtype=K.dtype, device=K.device)
    K, L = K * off, L * off
    return (
        torch.sum(K * L)
        - 2 * torch.dot(K.sum(0), L.sum(0)) / (m - 2)
        + K.sum() * L.sum() / ((m - 1) * (m - 2))
    ) / (m * (m - 3))


def _result(value: torch.Tensor, is_tensor: bool) -> Any:
    return value if is_tensor else np.float64(value.item())


def hsic(k_x: Any, k_y: Any, centered: bool = False, unbiased: bool = True) -> Any:
    """Hilbert–Schmidt independence criterion of two Gram matrices (repsim's ``hsic``).

    Parameters
    ----------
    k_x, k_y : array or Tensor of shape (m, m)
    centered : bool
        Whether a Gram matrix is already centred; otherwise ``k_y`` is (one centred factor
        suffices).
    unbiased : bool
        Song et al.'s unbiased estimator (default) or Gretton et al.'s biased one.

    Returns
    -------
    0-d Tensor (tensor inputs) or numpy float64

    Notes
    -----
    Unbiased (Song et al. 2012), with zeroed diagonals ``K̃``, ``L̃``:
    ``[tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((m−1)(m−2)) − 2·1ᵀK̃L̃1/(m−2)] / (m(m−3))``.
    Biased: ``Σ kₓ∘k_y / (m−1)²``.
    """
    K, tx = _square(k_x, "k_x")
    L, ty = _square(k_y, "k_y")
    return _result(_hsic(K, L.to(K), centered, unbiased), tx or ty)


def kernel_cka(k_x: Any, k_y: Any, centered: bool = False, unbiased: bool = True) -> Any:
    """``HSIC(K, L) / sqrt(HSIC(K, K) · HSIC(L, L))`` from Gram matrices (repsim's ``cka``).

    Parameters
    ----------
    k_x, k_y : array or Tensor of shape (m, m)
    centered, unbiased : bool
        As in :func:`hsic`.

    Returns
    -------
    0-d Tensor (tensor inputs) or numpy float64
    """
    K, tx = _square(k_x, "k_x")
    L, ty = _square(k_y, "k_y")
    L = L.to(K)
    value = _hsic(K, L, centered, unbiased) / torch.sqrt(
        _hsic(K, K, centered, unbiased) * _hsic(L, L, centered, unbiased)
    )
    return _result(value, tx or ty)
