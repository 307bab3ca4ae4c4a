"""Centered kernel alignment.

:func:`cka` (similarity, estimator chosen explicitly), :func:`angular_cka` (repsim's
distance), and :class:`LinearCKA` (netrep's estimator: the angle between centred Gram
matrices).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
#: Memory for one chunk of stacked points in :meth:`AngularCKAScorer.score_block`.
BLOCK_BYTES = 2**28


def _centred_gram(rep: Any, kernel: Any) -> torch.Tensor:
    """``K_c = H k(X) H`` of one representation (torch; see
    :func:`~repgeom.metrics.kernels.as_tensor`)."""
    return center(kernel(as_tensor(as_data(rep).features, "X")))


class _GramResampling(Scorer):
    """Resamples of the stimuli index the centred Gram matrix of all stimuli.

    ``H_s K_c[s, s] H_s = H_s K[s, s] H_s`` because ``K_c = K − 1mᵀ − m1ᵀ + c`` and ``H_s``
    removes such terms, and the Gram matrix of resampled rows is the resampled Gram matrix (a
    kernel with a data-dependent length scale keeps the one set on all stimuli). A stimulus
    drawn more than once is not compared with its own copies: those entries of the resampled,
    centred Gram matrix are zeroed, as rsatoolbox leaves such pairs out of resampled RDMs —
    copies would otherwise add agreement that no pair of distinct stimuli shows.
    """

    kernel: Any

    def resampling(self, rep: Any) -> torch.Tensor:
        return _centred_gram(rep, self.kernel)

    def resample(self, state: torch.Tensor, idx: np.ndarray) -> Any:
        index = torch.as_tensor(np.asarray(idx), device=state.device)
        return self.from_centred_gram(_centre_stack(state[None], index)[0])

    def from_centred_gram(self, K: torch.Tensor) -> Any:
        """The prepared representation of a centred Gram matrix."""
        raise NotImplementedError

    def score_resamples(
        self,
        rows: Sequence[Any],
        cols: Sequence[Any],
        samples: Sequence[np.ndarray],
        *,
        shuffle_cols: bool = False,
        n_jobs: int | None = 1,
        progress: bool | None = None,
    ) -> np.ndarray:
        """:meth:`Scorer.score_resamples` with every representation's centred Gram matrix
        stacked once and indexed for all of them at a time."""
        R = torch.stack([self.resampling(r) for r in rows])
        C = torch.stack([self.resampling(c) for c in cols])
        # rows keep their stimuli under a permutation: their points are made once
        fixed = [self.from_centred_gram(K) for K in R] if shuffle_cols else None
        out = np.empty((len(samples), len(rows), len(cols)))
        for k, idx in enumerate(samples):
            index = torch.as_tensor(np.asarray(idx), device=C.device)
            if fixed is None:
                rows_k = [self.from_centred_gram(K) for K in _centre_stack(R, index)]
            else:
                rows_k = fixed
            cols_k = [self.from_centred_gram(K) for K in _centre_stack(C, index)]
            out[k] = self.score_block(rows_k, cols_k, n_jobs=n_jobs, progress=False)
        return out


def _centre_stack(S: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``H K[s, s] H`` of every matrix of a (k, n, n) stack for the stimuli ``index`` (one
    gather of the flattened matrices, centred in place), with the entries of a stimulus
    against its own copies (off the diagonal) zeroed."""
    k, n, _ = S.shape
    m = len(index)
    K = S.reshape(k, n * n)[:, (index[:, None] * n + index[None, :]).reshape(-1)].reshape(k, m, m)
    col, row = K.mean(1, keepdim=True), K.mean(2, keepdim=True)
    K.sub_(col).sub_(row).add_(col.mean(2, keepdim=True))
    copies = (index[:, None] == index[None, :]) & ~torch.eye(m, dtype=torch.bool, device=K.device)
    if bool(copies.any()):
        K[:, copies] = 0
    return K


class CKAScorer(_GramResampling):
    """:func:`cka` split for the pairwise engine: the centred Gram matrix ``K_c`` and
    ``HSIC(K_c, K_c)`` once per representation, ``HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))``
    per pair (0-d tensors)."""

    def __init__(self, kernel: Callable | str | None = None, estimator: Estimator = "biased"):
        if estimator not in ("biased", "unbiased"):
            raise InvalidInputError(f"estimator={estimator!r}; choose 'biased' or 'unbiased'")
        self.kernel = resolve_kernel(kernel)
        self.unbiased = estimator == "unbiased"

    def prepare(self, rep: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return self.from_centred_gram(_centred_gram(rep, self.kernel))

    def from_centred_gram(self, K: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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


class AngularCKAScorer(_GramResampling):
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
        return self.from_centred_gram(_centred_gram(rep, self.kernel))

    def from_centred_gram(self, K: torch.Tensor) -> torch.Tensor:
        """The unit-norm point of a centred Gram matrix."""
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

    def score_block(self, rows: Sequence[Any], cols: Sequence[Any], **_: Any) -> np.ndarray:
        """All rows against all columns as one product of the flattened points (in chunks
        of rows that keep it within :data:`BLOCK_BYTES`)."""
        B = torch.stack([c.reshape(-1) for c in cols])
        step = max(1, BLOCK_BYTES // max(1, B.shape[1] * B.element_size()))
        out = [
            torch.stack([r.reshape(-1) for r in rows[i : i + step]]) @ B.T
            for i in range(0, len(rows), step)
        ]
        return torch.arccos(torch.clamp(torch.cat(out), -1.0, 1.0)).cpu().numpy()

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
