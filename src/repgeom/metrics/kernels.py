"""Kernels and HSIC estimators (repsim's conventions).

Kernels are callables ``k(X) → (n, n)`` Gram matrices:

- :class:`Linear`: ``x yᵀ`` (no centering inside);
- :class:`SquaredExponential`: ``exp(−‖x − y‖² / ℓ²)`` (no factor ½);
- :class:`Laplace`: ``exp(−‖x − y‖ / ℓ)``.

``length_scale`` is a number or a rule evaluated on each input separately: ``"auto"`` /
``"median"`` (``sqrt`` of the lower median of squared pairwise distances), ``"mean"`` (mean
pairwise distance), or expressions of them such as ``"median/2"`` and ``"mean*3"``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from repgeom.errors import InvalidInputError, RepgeomError
from repgeom.metrics._validation import as_matrix

#: What a length-scale rule may contain: median, mean, numbers and arithmetic.
_RULE = re.compile(r"^(median|mean)(\s*[*/]\s*[0-9.]+)?$")


class AutoLengthScaleWarning(RepgeomError, RuntimeWarning):
    """Raised (as repsim does) when a data-driven length scale meets fewer stimuli than units."""


def _sq_distances(X: np.ndarray) -> np.ndarray:
    sq = np.sum(X**2, axis=1)
    return np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)


def _length_scale(rule: float | str, X: np.ndarray, d2: np.ndarray) -> float:
    if not isinstance(rule, str):
        return float(rule)
    if X.shape[0] < X.shape[1]:
        raise AutoLengthScaleWarning(
            "It's a bad idea to use automatic length-scale with too little data "
            f"({X.shape[0]} stimuli < {X.shape[1]} units); pass a number as length_scale"
        )
    rule = "median" if rule == "auto" else rule.strip()
    match = _RULE.match(rule)
    if not match:
        raise InvalidInputError(
            f"length_scale={rule!r}; use a number, 'auto', 'median', 'mean', or e.g. 'median/2'"
        )
    upper = d2[np.triu_indices(len(d2), 1)]
    # torch.median's convention: the lower middle element for an even count
    median = float(np.sqrt(np.sort(upper)[(len(upper) - 1) // 2]))
    mean = float(np.mean(np.sqrt(upper)))
    base = median if match.group(1) == "median" else mean
    if match.group(2):
        op, value = match.group(2).strip()[0], float(match.group(2).strip()[1:])
        base = base * value if op == "*" else base / value
    return base


class Linear:
    """Linear kernel ``k(x, y) = ⟨x, y⟩``."""

    def __call__(self, X: Any) -> np.ndarray:
        X = as_matrix(X, "X")
        return X @ X.T

    def __repr__(self) -> str:
        return "Linear()"


class _DistanceKernel:
    """A kernel ``k(x, y) = profile(‖x − y‖², ℓ)`` with a fixed or data-driven length scale."""

    def __init__(self, length_scale: float | str = "auto") -> None:
        self.length_scale = length_scale

    def __call__(self, X: Any) -> np.ndarray:
        X = as_matrix(X, "X")
        d2 = _sq_distances(X)
        return self._profile(d2, _length_scale(self.length_scale, X, d2))

    def _profile(self, d2: np.ndarray, ell: float) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(length_scale={self.length_scale!r})"


class SquaredExponential(_DistanceKernel):
    """``k(x, y) = exp(−‖x − y‖² / ℓ²)``."""

    def _profile(self, d2: np.ndarray, ell: float) -> np.ndarray:
        return np.exp(-d2 / ell**2)


class Laplace(_DistanceKernel):
    """``k(x, y) = exp(−‖x − y‖ / ℓ)``."""

    def _profile(self, d2: np.ndarray, ell: float) -> np.ndarray:
        return np.exp(-np.sqrt(d2) / ell)


#: Kernel names (config files, ``repgeom.compare(..., kernel="laplace")``).
KERNELS = {"linear": Linear, "squared_exponential": SquaredExponential, "laplace": Laplace}


def resolve_kernel(kernel: Any) -> Any:
    """A kernel object from a kernel, a name of :data:`KERNELS`, or None (linear)."""
    if kernel is None:
        return Linear()
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise InvalidInputError(f"kernel={kernel!r}; choose from {sorted(KERNELS)}")
        return KERNELS[kernel]()
    return kernel


def center(K: np.ndarray) -> np.ndarray:
    """Double centring ``H K H`` with ``H = I − 11ᵀ/n``."""
    K = np.asarray(K, dtype=np.float64)
    return K - K.mean(0) - K.mean(1)[:, None] + K.mean()


def hsic(k_x: Any, k_y: Any, *, centered: bool = False, unbiased: bool = True) -> np.float64:
    """Hilbert–Schmidt independence criterion of two Gram matrices (repsim's ``hsic``).

    Notes
    -----
    Unless ``centered``, only ``k_y`` is centred (``H k_y H``; one centred factor suffices).
    Unbiased (Song et al. 2012), with zeroed diagonals ``K̃``, ``L̃``:
    ``[tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((m−1)(m−2)) − 2·1ᵀK̃L̃1/(m−2)] / (m(m−3))``.
    Biased: ``Σ kₓ∘k_y / (m−1)²``.
    """
    K = np.asarray(k_x, dtype=np.float64)
    L = np.asarray(k_y, dtype=np.float64)
    if not centered:
        L = center(L)
    m = K.shape[0]
    if not unbiased:
        return np.float64(np.sum(K * L) / (m - 1) ** 2)
    if m < 4:
        raise InvalidInputError(f"the unbiased HSIC needs at least 4 stimuli, got {m}")
    K, L = K - np.diag(np.diag(K)), L - np.diag(np.diag(L))
    value = (
        np.sum(K * L)
        - 2 * np.dot(K.sum(0), L.sum(0)) / (m - 2)
        + K.sum() * L.sum() / ((m - 1) * (m - 2))
    ) / (m * (m - 3))
    return np.float64(value)


def kernel_cka(k_x: Any, k_y: Any, *, centered: bool = False, unbiased: bool = True) -> np.float64:
    """``HSIC(K, L) / sqrt(HSIC(K, K) · HSIC(L, L))`` from Gram matrices (repsim's ``cka``)."""
    opts = dict(centered=centered, unbiased=unbiased)
    denom = np.sqrt(hsic(k_x, k_x, **opts) * hsic(k_y, k_y, **opts))
    return np.float64(hsic(k_x, k_y, **opts) / denom)
