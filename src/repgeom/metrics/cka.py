"""Centered kernel alignment.

:func:`cka` (similarity, estimator chosen explicitly), :func:`angular_cka` (repsim's
distance), and :class:`LinearCKA` (netrep's estimator: the angle between centred Gram
matrices).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import angle, as_matrix, check_same_stimuli


class LinearCKA(BaseEstimator):
    """Angular distance ``arccos(CKA)`` with biased linear CKA (netrep's ``LinearCKA``).

    Notes
    -----
    ``CKA = ⟨K_X, K_Y⟩_F / (‖K_X‖_F ‖K_Y‖_F)`` with ``K = X Xᵀ`` after column centering, so
    ``⟨K_X, K_Y⟩ = ‖XᵀY‖_F²``: the cost is in the widths, not the stimuli.
    """

    def __init__(self, center_columns: bool = True) -> None:
        self.center_columns = center_columns

    def fit(self, X: Any, Y: Any) -> LinearCKA:
        """Nothing to learn (netrep compatibility)."""
        return self

    def score(self, X: Any, Y: Any) -> float:
        X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
        check_same_stimuli(X, Y)
        if self.center_columns:
            X, Y = X - X.mean(0), Y - Y.mean(0)
        cross = np.linalg.norm(X.T @ Y) ** 2
        return float(angle(cross / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.score(X, Y)


Estimator = Literal["biased", "unbiased"]


def cka(
    X: Any, Y: Any, *, kernel: Callable | str | None = None, estimator: Estimator = "biased"
) -> float:
    """Centered kernel alignment of two representations (a similarity in [0, 1] for the
    biased estimator).

    Parameters
    ----------
    kernel : callable or str, optional
        ``k(X) → Gram``, or a name (``linear``, ``squared_exponential``, ``laplace``);
        default :class:`~repgeom.metrics.kernels.Linear`.
    estimator : {"biased", "unbiased"}
        ``biased``: ``⟨K_c, L_c⟩ / (‖K_c‖ ‖L_c‖)`` (Kornblith et al. 2019), which reads about
        0.2 even on unrelated data of 32 stimuli; ``unbiased``: from the unbiased HSIC (Song
        et al. 2012; "debiased CKA"), near 0 for unrelated data but it can be negative.

    Raises
    ------
    InvalidInputError
        If a Gram matrix is constant (CKA undefined) instead of returning NaN.
    """
    from repgeom.metrics.kernels import center, kernel_cka, resolve_kernel

    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    kernel = resolve_kernel(kernel)
    K, L = center(kernel(X)), center(kernel(Y))
    if not (np.any(K) and np.any(L)):
        raise InvalidInputError("a centred Gram matrix is zero (constant data): CKA is undefined")
    return float(kernel_cka(K, L, centered=True, unbiased=estimator == "unbiased"))


def angular_cka(
    X: Any, Y: Any, *, kernel: Callable | str | None = None, use_unbiased_hsic: bool = True
) -> float:
    """repsim's ``AngularCKA`` distance: ``arccos(⟨P_X, P_Y⟩)``.

    Notes
    -----
    ``P = K_c / ‖K_c‖_F`` with ``K_c = H K H``; with ``use_unbiased_hsic`` (repsim's default)
    the diagonal of ``K_c`` is zeroed before normalising — repsim's own "unbiased" variant, not
    Song et al.'s estimator. Without it this is ``arccos`` of biased CKA.
    """
    from repgeom.metrics.kernels import center, resolve_kernel

    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    kernel = resolve_kernel(kernel)
    points = []
    for M in (X, Y):
        K = center(kernel(M))
        if use_unbiased_hsic:
            np.fill_diagonal(K, 0.0)
        norm = np.linalg.norm(K)
        if norm == 0:
            raise InvalidInputError("a centred Gram matrix is zero (constant data)")
        points.append(K / norm)
    return float(angle(np.sum(points[0] * points[1])))
