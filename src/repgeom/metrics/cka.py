"""Centered kernel alignment.

:func:`cka` (similarity, estimator chosen explicitly), :func:`angular_cka` (repsim's
distance), and :class:`LinearCKA` (netrep's estimator: the angle between centred Gram
matrices).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import BaseEstimator

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import angle, as_matrix, check_same_stimuli
from repgeom.metrics.kernels import as_tensor, center, hsic, resolve_kernel
from repgeom.metrics.pairwise import Scorer, as_data


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
        scorer = LinearCKAScorer(self.center_columns)
        return scorer.score(scorer.prepare(X), scorer.prepare(Y))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.score(X, Y)


class LinearCKAScorer(Scorer):
    """:class:`LinearCKA` split for the pairwise engine: the centred matrix and ``‖XᵀX‖_F``
    once per representation, ``arccos(‖XᵀY‖_F² / (‖XᵀX‖_F ‖YᵀY‖_F))`` per pair."""

    def __init__(self, center_columns: bool = True) -> None:
        self.center_columns = center_columns

    def prepare(self, rep: Any) -> tuple[np.ndarray, float]:
        X = as_matrix(as_data(rep).features, "X")
        if self.center_columns:
            X = X - X.mean(0)
        return X, float(np.linalg.norm(X.T @ X))

    def score(self, a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> float:
        (X, norm_x), (Y, norm_y) = a, b
        check_same_stimuli(X, Y)
        cross = np.linalg.norm(X.T @ Y) ** 2
        return float(angle(cross / (norm_x * norm_y)))


Estimator = Literal["biased", "unbiased"]


def _centred_gram(rep: Any, kernel: Any) -> torch.Tensor:
    """``K_c = H k(X) H`` of one representation (torch; see
    :func:`~repgeom.metrics.kernels.as_tensor`)."""
    return center(kernel(as_tensor(as_data(rep).features, "X")))


class CKAScorer(Scorer):
    """:func:`cka` split for the pairwise engine: the centred Gram matrix ``K_c`` and
    ``HSIC(K_c, K_c)`` once per representation, ``HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))``
    per pair (0-d tensors)."""

    def __init__(self, kernel: Callable | str | None = None, estimator: Estimator = "biased"):
        if estimator not in ("biased", "unbiased"):
            raise InvalidInputError(f"estimator={estimator!r}; choose 'biased' or 'unbiased'")
        self.kernel = resolve_kernel(kernel)
        self.unbiased = estimator == "unbiased"

    def prepare(self, rep: Any) -> tuple[torch.Tensor, torch.Tensor]:
        K = _centred_gram(rep, self.kernel)
        if not bool(torch.any(K != 0)):
            raise InvalidInputError(
                "a centred Gram matrix is zero (constant data): CKA is undefined"
            )
        return K, hsic(K, K, centered=True, unbiased=self.unbiased)

    def score(
        self, a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        (K, hk), (L, hl) = a, b
        check_same_stimuli(K, L)
        return hsic(K, L, centered=True, unbiased=self.unbiased) / torch.sqrt(hk * hl)


class AngularCKAScorer(Scorer):
    """:func:`angular_cka` split for the pairwise engine: the unit-norm point ``P`` once per
    representation (:meth:`point`), ``arccos⟨P_X, P_Y⟩`` per pair (:meth:`distance`).

    :class:`repgeom.metrics.spaces.AngularCKA` is a view of this scorer: its points and
    ``length`` are these functions.
    """

    def __init__(self, kernel: Callable | str | None = None, use_unbiased_hsic: bool = True):
        self.kernel = resolve_kernel(kernel)
        self.use_unbiased_hsic = use_unbiased_hsic

    def point(self, rep: Any) -> torch.Tensor:
        """``P = K̃ / ‖K̃‖_F`` (m, m) with ``K̃ = H k(X) H``, its diagonal zeroed when
        ``use_unbiased_hsic``."""
        K = _centred_gram(rep, self.kernel)
        if self.use_unbiased_hsic:
            K = K * (1 - torch.eye(K.shape[0], dtype=K.dtype, device=K.device))
        norm = torch.linalg.norm(K)
        if not bool(norm > 0):
            raise InvalidInputError("a centred Gram matrix is zero (constant data)")
        return K / norm

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``arccos(clip(⟨a, b⟩_F, −1, 1))`` of two unit-norm points (0-d tensor)."""
        check_same_stimuli(a, b)
        return torch.arccos(torch.clamp(torch.sum(a * b), -1.0, 1.0))

    prepare = point
    score = distance


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
    scorer = CKAScorer(kernel, estimator)
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    return float(scorer.score(scorer.prepare(X), scorer.prepare(Y)))


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
    scorer = AngularCKAScorer(kernel, use_unbiased_hsic)
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    return float(scorer.score(scorer.prepare(X), scorer.prepare(Y)))
