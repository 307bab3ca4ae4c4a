"""Stochastic shape metrics (Duong et al. 2023), compatible with netrep's input formats.

- :class:`GaussianStochasticMetric` on ``(means (M, N), covariances (M, N, N))``;
- :class:`EnergyStochasticMetric` on samples ``(M conditions, R repeats, N units)``.

Both minimise over an alignment ``T`` of the second network (orthogonal by default). They
first run netrep's own optimiser, then keep improving the exact objective from there, so the
value returned is never above netrep's (lower is better: these are minima).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
from scipy.linalg import orthogonal_procrustes
from scipy.optimize import linear_sum_assignment
from scipy.stats import ortho_group
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from repgeom.errors import InvalidInputError, NotFittedError, ShapeMismatchError
from repgeom.metrics._base import FittedAlias, NetrepPairwise
from repgeom.metrics._validation import check_finite
from repgeom.metrics.pairwise import Data, Scorer, as_data
from repgeom.reduce import principal_axes

Group = Literal["orth", "perm", "identity"]
GROUPS: tuple[Group, ...] = ("orth", "perm", "identity")
#: Floor of the energy fit's residuals in its re-weighting (netrep's value).
ENERGY_RESID_FLOOR = 1e-6


def _align(B: np.ndarray, A: np.ndarray, group: Group) -> np.ndarray:
    """``T`` in ``group`` minimising ``‖B T − A‖_F``."""
    if group == "orth":
        return orthogonal_procrustes(B, A)[0]
    if group == "perm":
        rows, cols = linear_sum_assignment(B.T @ A, maximize=True)
        T = np.zeros((B.shape[1], B.shape[1]))
        T[rows, cols] = 1.0
        return T
    return np.eye(B.shape[1])


def _check_group(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"group={group!r}; expected one of {GROUPS}")


def _sqrtm_psd(covs: np.ndarray) -> np.ndarray:
    """Symmetric square roots of a stack of PSD matrices (negative eigenvalues clipped)."""
    vals, vecs = np.linalg.eigh(covs)
    return np.einsum("ijk,ik,ilk->ijl", vecs, np.sqrt(np.maximum(vals, 0.0)), vecs)


def _gaussian_inputs(X: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        means, covs = X
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a (means, covariances) pair") from exc
    means, covs = np.asarray(means, float), np.asarray(covs, float)
    if means.ndim != 2 or covs.shape != (*means.shape, means.shape[1]):
        raise ShapeMismatchError(
            f"{name}: means {means.shape} and covariances {covs.shape}; expected (M, N) and "
            "(M, N, N)"
        )
    check_finite(means, f"{name} means")
    check_finite(covs, f"{name} covariances")
    return means, covs


class _Tracker:
    """The best alignment seen so far under the exact objective ``D²``, and its history."""

    def __init__(self, metric: GaussianStochasticMetric, X: tuple, Y: tuple, T: np.ndarray):
        self.metric = metric
        self.X, self.sqrt_x = X[:2], X[2]
        self.Y = Y[:2]
        self.T = T
        self.value = metric._sq_distance(self.X, self.Y, T, self.sqrt_x)
        self.history: list[float] = [self.value]

    def offer(self, T: np.ndarray) -> None:
        value = self.metric._sq_distance(self.X, self.Y, T, self.sqrt_x)
        if value < self.value:
            self.T, self.value = T, value
        self.history.append(self.value)


class GaussianStochasticMetric(NetrepPairwise, BaseEstimator):
    """Interpolated 2-Wasserstein distance between Gaussian responses, minimised over ``T``.

    Parameters
    ----------
    alpha : float in [0, 2]
        0: covariances only, 1: 2-Wasserstein, 2: means only.
    group : {"orth", "perm", "identity"}
        Alignments searched over.
    init : {"means", "rand"}
        Start from the Procrustes alignment of the means, or random rotations.
    niter, tol : int, float
        Iteration budget and stopping tolerance of each optimisation phase.
    random_state : int, optional
        Seed of the random starts.
    n_restarts : int
        Random starts (``init="rand"``); the lowest score wins.

    Attributes
    ----------
    T_ : ndarray of shape (N, N)
        Alignment applied to the second network (``μ_y T``, ``Tᵀ Σ_y T``); ``T`` is netrep's
        name for it.
    loss_hist : list of float
        ``D²`` (below) of the best alignment so far: at the start, then after each iteration
        of both descents of the best start. Non-increasing; the last entry is
        ``score(X, Y)²``. (netrep records ``‖A − B T‖`` of its weighted rows instead, for its
        last start.)

    Notes
    -----
    ``D² = (1/M) Σᵢ [α ‖μxᵢ − μyᵢ T‖² + (2 − α) B²(Σxᵢ, Tᵀ Σyᵢ T)]`` with the squared Bures
    distance ``B²(A, B) = tr A + tr B − 2 ‖A^{1/2} B^{1/2}‖_*``; the value is
    ``sign(D²) · sqrt(|D²|)``. Since ``B²(A, B) = min_U ‖A^{1/2} − B^{1/2} U‖²`` over
    orthogonal ``U``, alternating Procrustes steps on the rows ``[√α μ; √(2−α) Σ^{1/2}]`` descend
    ``D²`` exactly. netrep's steps weight the rows by ``α`` and ``2 − α`` instead (its loss
    matches ``D²`` only for α ∈ {0, 1, 2}); repgeom runs netrep's steps first, then the exact
    ones from where they stopped, so its value is at most netrep's.

    References
    ----------
    Duong, Zhou, Nassar, Berman, Olieslagers & Williams (2023), "Representational dissimilarity
    metric spaces for stochastic neural networks", ICLR.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        group: Group = "orth",
        init: Literal["means", "rand"] = "means",
        niter: int = 1000,
        tol: float = 1e-8,
        random_state: int | None = None,
        n_restarts: int = 1,
    ) -> None:
        if not 0 <= alpha <= 2:
            raise ValueError("alpha parameter should be between zero and two.")
        self.alpha = alpha
        self.group = group
        self.init = init
        self.niter = niter
        self.tol = tol
        self.random_state = random_state
        self.n_restarts = n_restarts

    def _descend(
        self, mX, sX, mY, sY, T, weights: tuple[float, float], track: _Tracker
    ) -> np.ndarray:
        """Alternating Procrustes from ``T``: per-condition rotations Qᵢ, then T (netrep's
        scheme); rows weighted by ``weights`` = (means, covariance square roots). Each new
        ``T`` is offered to ``track`` (the exact objective's best so far)."""
        w_mean, w_cov = weights
        A = np.vstack([w_mean * mX, *(w_cov * s for s in sX)])
        losses: list[float] = []
        for step in range(self.niter):
            Qs = [orthogonal_procrustes(T.T @ sy, sx)[0] for sx, sy in zip(sX, sY, strict=True)]
            B = np.vstack(
                [w_mean * mY, *(Q.T @ (w_cov * sy) for Q, sy in zip(Qs, sY, strict=True))]
            )
            T = _align(B, A, self.group)
            track.offer(T)
            losses.append(float(np.linalg.norm(A - B @ T)))
            if step >= 2 and losses[-2] - losses[-1] < self.tol:
                break
        return T

    def fit(self, X: Any, Y: Any) -> GaussianStochasticMetric:
        """Fit the alignment of ``Y = (means, covs)`` to ``X = (means, covs)``.

        Sets ``T_`` (the alignment of lowest ``D²`` among every iterate of every start) and
        ``loss_hist`` (``D²`` of the best alignment so far after each iteration of the best
        start: non-increasing, and its last entry is ``score(X, Y)²``).
        """
        if not 0 <= self.alpha <= 2:
            raise ValueError("alpha parameter should be between zero and two.")
        _check_group(self.group)
        if self.init not in ("means", "rand"):
            raise ValueError(f"init={self.init!r}; expected 'means' or 'rand'")
        mX, cX = _gaussian_inputs(X, "X")
        mY, cY = _gaussian_inputs(Y, "Y")
        if mX.shape != mY.shape:
            raise ShapeMismatchError(f"X means {mX.shape} and Y means {mY.shape} differ")
        sX, sY = _sqrtm_psd(cX), _sqrtm_psd(cY)
        rng = check_random_state(self.random_state)
        n = mX.shape[1]
        a = float(self.alpha)
        starts = self.n_restarts if self.init == "rand" else 1
        best: _Tracker | None = None
        for _ in range(starts):
            if self.init == "means":
                T = _align(mY, mX, self.group)
            else:
                T = ortho_group.rvs(n, random_state=rng) if n > 1 else np.eye(1)
            track = _Tracker(self, (mX, cX, sX), (mY, cY, sY), T)
            T = self._descend(mX, sX, mY, sY, T, (a, 2 - a), track)  # netrep's weights
            self._descend(mX, sX, mY, sY, T, (np.sqrt(a), np.sqrt(2 - a)), track)  # exact D²
            if best is None or track.value < best.value:
                best = track
        self.T_ = best.T
        self.loss_hist = best.history
        return self

    T = FittedAlias("T_")

    def _score_T(self, X, Y, T) -> float:
        d2 = self._sq_distance(X, Y, T)
        return float(np.sign(d2) * np.sqrt(abs(d2)))

    def _sq_distance(self, X, Y, T, sqrt_x=None) -> float:
        """``D²`` of the alignment ``T`` (``sqrt_x``: the square roots of ``X``'s
        covariances, if already known)."""
        (mX, cX), (mY, cY) = X, Y
        mYt = mY @ T
        cYt = np.einsum("ji,mjk,kl->mil", T, cY, T)
        mean_term = np.sum((mX - mYt) ** 2, axis=1)
        sqrt_x = _sqrtm_psd(cX) if sqrt_x is None else sqrt_x
        sqrt_y = _sqrtm_psd(cYt)
        nuclear = np.linalg.svd(sqrt_x @ sqrt_y, compute_uv=False).sum(axis=1)
        bures = np.trace(cX, axis1=1, axis2=2) + np.trace(cYt, axis1=1, axis2=2) - 2 * nuclear
        return float(np.mean(self.alpha * mean_term + (2 - self.alpha) * bures))

    def transform(self, X: Any, Y: Any):
        """``(X, Y aligned)``: ``Y``'s means times ``T`` and covariances ``Tᵀ Σ T``."""
        if not hasattr(self, "T_"):
            raise NotFittedError("call fit(X, Y) before transform or score")
        mY, cY = _gaussian_inputs(Y, "Y")
        return X, (mY @ self.T_, np.einsum("ji,mjk,kl->mil", self.T_, cY, self.T_))

    def score(self, X: Any, Y: Any) -> float:
        if not hasattr(self, "T_"):
            raise NotFittedError("call fit(X, Y) before score")
        return self._score_T(_gaussian_inputs(X, "X"), _gaussian_inputs(Y, "Y"), self.T_)

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.fit(X, Y).score(X, Y)

    def pairwise_distances(
        self,
        train_data: list[Any],
        test_data: list[Any] | None = None,
        eps: float = 1e-6,
        processes: int | None = None,
        verbose: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """netrep's method: ``eps · I`` is added to the training covariances (fit and training
        score); test data are scored as given. ``processes`` is accepted and ignored."""
        regularised = [
            (m, c + eps * np.eye(c.shape[-1]))
            for m, c in (_gaussian_inputs(x, "train_data") for x in train_data)
        ]
        return super().pairwise_distances(regularised, test_data, processes, verbose)


def _samples(X: Any, name: str) -> np.ndarray:
    X = np.asarray(X, float)
    if X.ndim != 3 or X.shape[1] < 2:
        raise ShapeMismatchError(
            f"{name} has shape {X.shape}; expected (conditions, repeats ≥ 2, units)"
        )
    return check_finite(X, name)


def _mean_pair_distance(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Per condition, mean over all repeat pairs (a, b) of ‖A[a] − B[b]‖: shape (M,)."""
    diff = A[:, :, None, :] - B[:, None, :, :]
    return np.linalg.norm(diff, axis=-1).mean(axis=(1, 2))


def _mean_within_distance(A: np.ndarray) -> np.ndarray:
    """Per condition, mean over repeat pairs a < b of ‖A[a] − A[b]‖."""
    a, b = np.array(list(combinations(range(A.shape[1]), 2))).T
    return np.linalg.norm(A[:, a] - A[:, b], axis=-1).mean(axis=1)


class EnergyStochasticMetric(NetrepPairwise, BaseEstimator):
    """Energy distance between sampled responses, minimised over an alignment ``Q``.

    Notes
    -----
    With ``E_xy`` the mean over conditions and all repeat pairs of ``‖x_ia − y_ib Q‖`` and
    ``E_xx``, ``E_yy`` the within-network means over pairs a < b,
    ``score = sqrt(max(0, E_xy − (E_xx + E_yy)/2))``. The fit is netrep's iteratively
    re-weighted Procrustes on all ``R²`` sample pairs (weights ``1/√residual``), keeping the
    alignment of lowest mean residual.

    Attributes
    ----------
    Q_ : ndarray of shape (N, N)
        The alignment applied to ``Y`` (``Q`` is netrep's name for it).
    loss_hist : list of float
        Mean residual ``(1/(M R²)) Σ ‖x_ia − y_ib Q‖`` of the kept alignment (the best so far):
        for ``Q = I``, then after each iteration, as netrep records it; non-increasing.
    w : ndarray of shape (M R²,)
        The last re-weighting, as netrep's.
    """

    def __init__(self, group: Group = "orth", niter: int = 100, tol: float = 1e-6) -> None:
        self.group = group
        self.niter = niter
        self.tol = tol

    def fit(self, X: Any, Y: Any) -> EnergyStochasticMetric:
        _check_group(self.group)
        X, Y = _samples(X, "X"), _samples(Y, "Y")
        if X.shape != Y.shape:
            raise ShapeMismatchError(f"X {X.shape} and Y {Y.shape} must have the same shape")
        r = X.shape[1]
        ia, ib = np.repeat(np.arange(r), r), np.tile(np.arange(r), r)
        Xs = X[:, ia].reshape(-1, X.shape[2])
        Ys = Y[:, ib].reshape(-1, Y.shape[2])
        w = np.ones(len(Xs))
        best_Q, best = np.eye(X.shape[2]), float(np.mean(np.linalg.norm(Xs - Ys, axis=-1)))
        history, previous = [best], best
        for _ in range(self.niter):
            Q = _align(w[:, None] * Ys, w[:, None] * Xs, self.group)
            resid = np.linalg.norm(Xs - Ys @ Q, axis=-1)
            loss = float(resid.mean())
            if loss < best:
                best, best_Q = loss, Q
            history.append(best)
            w = 1 / np.maximum(np.sqrt(resid), ENERGY_RESID_FLOOR)
            if previous - loss < self.tol:
                break
            previous = loss
        self.Q_ = best_Q
        self.w = w
        self.loss_hist = history
        return self

    Q = FittedAlias("Q_")

    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "Q_"):
            raise NotFittedError("call fit(X, Y) before transform or score")
        return _samples(X, "X"), _samples(Y, "Y") @ self.Q_

    def score(self, X: Any, Y: Any) -> float:
        X, Y = self.transform(X, Y)
        exy = _mean_pair_distance(X, Y).mean()
        exx, eyy = _mean_within_distance(X).mean(), _mean_within_distance(Y).mean()
        return float(np.sqrt(max(0.0, exy - 0.5 * (exx + eyy))))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.fit(X, Y).score(X, Y)


#: Leading principal axes the workflow's stochastic metrics project trials on, by default.
DEFAULT_N_COMPONENTS = 10
#: The fewest repetitions a stochastic metric sees (a point mass is repeated this often).
MIN_TRIALS = 2


def _trials(data: Data) -> tuple[np.ndarray, np.ndarray | None]:
    """(trial means (stimulus, units), single trials or None); a plain 3-D array is read as
    netrep's samples (conditions, repeats, units)."""
    features = np.asarray(data.features, dtype=np.float64)
    if data.samples is None and features.ndim == 3:
        return features.mean(axis=1), features
    return features, None if data.samples is None else np.asarray(data.samples, dtype=np.float64)


def n_trials(reps: Sequence[Any]) -> int:
    """Repetitions per stimulus the stochastic metrics use: the most of any representation,
    at least :data:`MIN_TRIALS`."""
    counts = (_trials(as_data(r))[1] for r in reps)
    return max([MIN_TRIALS, *(s.shape[1] for s in counts if s is not None)])


def stochastic_samples(
    rep: Any,
    n_components: int,
    n_trials: int,
    basis: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Single trials (stimulus, repetition, n_components) on the leading principal axes of
    the trial means; a deterministic representation (no trials) is a point mass, its response
    repeated ``n_trials`` times.

    Notes
    -----
    With ``μ`` the column means and ``V`` the leading ``n_components`` right singular vectors
    of the trial means (zero-padded to ``n_components`` columns; :func:`trial_basis`), trials
    become ``(x − μ) V``. ``basis`` gives another representation's ``(μ, V)`` instead: held-out
    stimuli go on the axes of the training stimuli.
    """
    data = as_data(rep)
    features, samples = _trials(data)
    trials = samples if samples is not None else features[:, None, :]
    mean, axes = trial_basis(rep, n_components) if basis is None else basis
    projected = (trials - mean) @ axes
    if projected.shape[1] != n_trials:
        if samples is not None:
            raise InvalidInputError(
                f"{data.name}: {projected.shape[1]} repetitions, others have {n_trials}; "
                "stochastic metrics need the same number of repetitions"
            )
        projected = np.repeat(projected, n_trials, axis=1)
    return projected


def trial_basis(rep: Any, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """``(μ, V)``: the column means of a representation's trial means and their leading
    ``n_components`` principal axes, zero-padded to ``n_components`` columns."""
    features, _ = _trials(as_data(rep))
    mean, leading = principal_axes(features, n_components)
    axes = np.zeros((features.shape[1], n_components))  # zero-padded to a common width
    axes[:, : leading.shape[1]] = leading
    return mean, axes


@dataclass(frozen=True)
class PreparedTrials:
    """A representation as a stochastic metric sees it: ``value`` (trials on its principal
    axes, or their per-stimulus Gaussian moments) and the ``basis`` that put them there."""

    value: Any
    basis: tuple[np.ndarray, np.ndarray]


def gaussian_moments(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(means, covariances) per stimulus of (stimulus, repetition, units) trials; the
    covariance divides by ``max(n_reps − 1, 1)``."""
    centred = samples - samples.mean(axis=1, keepdims=True)
    covs = np.einsum("srk,srl->skl", centred, centred) / max(samples.shape[1] - 1, 1)
    return samples.mean(axis=1), covs


class StochasticScorer(Scorer):
    """A stochastic shape metric for the pairwise engine.

    Once per representation: single trials projected on its ``n_components`` leading
    principal axes (:func:`stochastic_samples`; a deterministic network is a point mass), and
    for the Gaussian metric their per-stimulus means and covariances
    (:func:`gaussian_moments`). Per pair: the metric's alignment is fitted and scored
    (``fit(a, b).score(a, b)``). The repetition count is common to the whole set
    (:meth:`for_set`, :func:`n_trials`).
    """

    def __init__(
        self,
        metric: GaussianStochasticMetric | EnergyStochasticMetric,
        n_components: int = DEFAULT_N_COMPONENTS,
        n_trials: int | None = None,
    ) -> None:
        self.metric = metric
        self.n_components = int(n_components)
        self.n_trials = n_trials

    def for_set(self, reps: Sequence[Any]) -> StochasticScorer:
        return StochasticScorer(self.metric, self.n_components, n_trials(reps))

    fits = True

    def prepare(self, rep: Any, basis: tuple[np.ndarray, np.ndarray] | None = None) -> Any:
        count = self.n_trials if self.n_trials is not None else n_trials([rep])
        basis = trial_basis(rep, self.n_components) if basis is None else basis
        samples = stochastic_samples(rep, self.n_components, count, basis)
        if isinstance(self.metric, GaussianStochasticMetric):
            return PreparedTrials(gaussian_moments(samples), basis)
        return PreparedTrials(samples, basis)

    def _fitted(self, a: PreparedTrials, b: PreparedTrials) -> Any:
        return self.metric.__class__(**self.metric.get_params()).fit(a.value, b.value)

    def score(self, a: PreparedTrials, b: PreparedTrials) -> float:
        return float(self._fitted(a, b).score(a.value, b.value))

    def score_split(
        self, a: PreparedTrials, b: PreparedTrials, test_a: Any, test_b: Any
    ) -> tuple[float, float]:
        """Aligned on the training trials; the held-out trials go on each representation's
        training axes (:func:`stochastic_samples` with ``basis``) and are scored with that
        alignment."""
        fitted = self._fitted(a, b)
        ta, tb = self.prepare(test_a, a.basis), self.prepare(test_b, b.basis)
        return float(fitted.score(a.value, b.value)), float(fitted.score(ta.value, tb.value))
