"""Many networks at once (netrep's ``netrep.multiset``): Fréchet means, tangent spaces and
cross-distance matrices.

For a group ``G`` of alignments of the ``n`` units (``"orth"``: rotations and reflections,
``"perm"``: permutations, ``"identity"``), the distance between two (m × n) matrices is
``d(X, Y) = min_{T ∈ G} ‖X T − Y‖_F`` and the Fréchet (Karcher) mean of ``X_1 … X_K`` is

    X̄ = argmin_Y (1/K) Σᵢ min_{Tᵢ ∈ G} ‖Xᵢ Tᵢ − Y‖²_F.

:func:`frechet_mean` alternates the two minimisations (align every ``Xᵢ`` to the current
mean, then average the aligned matrices), with all K alignments of a pass computed together:
one batched product ``Xᵢᵀ X̄`` for the stack and, for rotations, one batched SVD.
:func:`cross_distances` scores every (X, Y) pair of two sets through the pairwise engine,
preparing each representation once.

Names and defaults are netrep's; the shims under ``tests/peers`` run netrep's own tests
against this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import ortho_group
from sklearn.utils import check_random_state

from repgeom.metrics.pairwise import _threaded, as_scorer, pairwise_matrix

__all__ = [
    "align",
    "angular_distance",
    "cross_distances",
    "euclidean_tangent_space",
    "frechet_mean",
    "pairwise_distances",
    "rand_orth",
]

Group = Literal["orth", "perm", "identity"]
GROUPS: tuple[Group, ...] = ("orth", "perm", "identity")
Method = Literal["streaming", "full_batch"]
METHODS: tuple[Method, ...] = ("streaming", "full_batch")


def _check_group(group: str) -> None:
    if group not in GROUPS:
        raise ValueError(f"Specified group '{group}' not recognized; expected one of {GROUPS}.")


def align(X: np.ndarray, Y: np.ndarray, group: Group = "orth") -> np.ndarray:
    """The ``T`` in ``group`` minimising ``‖X T − Y‖_F`` (netrep's ``netrep.utils.align``).

    Parameters
    ----------
    X, Y : ndarray of shape (m, n)
        ``X`` is transformed, ``Y`` fixed.
    group : {"orth", "perm", "identity"}

    Returns
    -------
    T : ndarray of shape (n, n)
        Dense (netrep returns a sparse matrix for permutations and the identity; ``X @ T`` is
        the same).

    Notes
    -----
    ``‖X T − Y‖² = ‖X‖² + ‖Y‖² − 2 tr(Tᵀ XᵀY)`` for any orthogonal ``T``, so the best rotation is
    the polar factor ``U Vᵀ`` of ``XᵀY = U S Vᵀ`` and the best permutation is the linear
    assignment maximising ``Σ (XᵀY)_{i, π(i)}``.
    """
    _check_group(group)
    return _align_stack(np.asarray(X, float)[None], np.asarray(Y, float), group)[0]


def _align_stack(Xs: np.ndarray, target: np.ndarray, group: Group) -> np.ndarray:
    """Alignments ``Tᵢ`` of each ``Xs[i]`` (K, m, n) to ``target`` (m, n): shape (K, n, n).

    One batched product ``Xᵢᵀ target`` for the whole stack; rotations then take one batched
    SVD, permutations one linear assignment each.
    """
    K, n = Xs.shape[0], Xs.shape[2]
    if group == "identity":
        return np.broadcast_to(np.eye(n), (K, n, n)).copy()
    cross = np.matmul(Xs.transpose(0, 2, 1), target)  # (K, n, n): Xᵢᵀ target
    if group == "orth":
        U, _, Vt = np.linalg.svd(cross)
        return U @ Vt
    T = np.zeros((K, n, n))
    for k in range(K):
        rows, cols = linear_sum_assignment(cross[k], maximize=True)
        T[k, rows, cols] = 1.0
    return T


def _stack(Xs: Sequence[Any]) -> np.ndarray:
    """The inputs as a new float (K, m, n) array; ValueError unless all are (m × n)."""
    arrays = [np.asarray(X, dtype=float) for X in Xs]
    if not arrays:
        raise ValueError("Expected at least one (m x n) matrix, got none.")
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 2:
        raise ValueError(
            "Expected (n_datasets x n_observations x n_features) data: matrices of one "
            f"(m x n) shape; got shapes {sorted(shapes)}"
        )
    stack = np.stack(arrays)
    if not np.all(np.isfinite(stack)):
        raise ValueError("Input contains NaN or infinity.")
    return stack


def frechet_value(Xs: Sequence[Any], Xbar: np.ndarray, group: Group = "orth") -> float:
    """The Fréchet objective ``(1/K) Σᵢ min_{Tᵢ ∈ G} ‖Xᵢ Tᵢ − X̄‖²_F`` at ``Xbar``."""
    _check_group(group)
    stack = _stack(Xs)
    Xbar = np.asarray(Xbar, dtype=float)
    aligned = np.matmul(stack, _align_stack(stack, Xbar, group))
    return float(np.mean(np.sum((aligned - Xbar) ** 2, axis=(1, 2))))


def frechet_mean(
    Xs: Sequence[Any],
    group: Group = "orth",
    random_state: int | np.random.RandomState | None = None,
    tol: float = 1e-3,
    max_iter: int = 100,
    warmstart: np.ndarray | None = None,
    verbose: bool = False,
    method: Method = "streaming",
    return_aligned_Xs: bool = False,
) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
    """Fréchet (Karcher) mean of K networks up to ``group`` (netrep's ``frechet_mean``).

    Parameters
    ----------
    Xs : sequence of K ndarrays of shape (m, n)
        Matrices of one shape; alignments act on the n columns.
    group : {"orth", "perm", "identity"}
        Alignments: rotations and reflections (Procrustes), permutations of columns (linear
        assignment) or none (the plain mean).
    random_state : int or RandomState, optional
        Picks the starting matrix (one of the inputs) when there is no ``warmstart``.
    tol : float
        Stop once ``‖X̄_t − X̄_{t−1}‖_F / sqrt(m n) ≤ tol``.
    max_iter : int
        Most passes over the K inputs.
    warmstart : ndarray of shape (m, n), optional
        Starting mean (never modified).
    verbose : bool
        Print the change after each pass.
    method : {"streaming", "full_batch"}
        ``"full_batch"``: ``X̄_t = (1/K) Σᵢ Xᵢ Tᵢ(X̄_{t−1})`` (alternating minimisation, so the
        Fréchet value never increases). ``"streaming"``: netrep's running average, which
        weighs the start once and every aligned input of every pass equally:
        ``X̄_t = (c X̄_{t−1} + Σᵢ Xᵢ Tᵢ(X̄_{t−1})) / (c + K)`` with ``c = 1 + (t − 1) K`` (netrep
        adds the aligned inputs one at a time in a shuffled order, all aligned to the mean at
        the start of the pass, so the order changes nothing but rounding).
    return_aligned_Xs : bool
        Also return ``[Xᵢ Tᵢ(X̄)]``.

    Returns
    -------
    Xbar : ndarray of shape (m, n)
    aligned_Xs : list of K ndarrays of shape (m, n)
        Only with ``return_aligned_Xs``.

    Raises
    ------
    ValueError
        If the inputs differ in shape, are not matrices or hold NaN or infinity, or for an
        unknown ``group`` or ``method``.

    Notes
    -----
    The inputs are never modified (netrep's ``full_batch`` overwrites one of them in place
    when there is no ``warmstart``). All K alignments of a pass are computed together
    (:func:`_align_stack`: one batched product ``Xᵢᵀ X̄``, one batched SVD for rotations).
    The mean is unique only up to ``group``: any ``X̄ T`` is an equally good answer.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 4))
    >>> Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    >>> Xbar = frechet_mean([X, X @ Q], method="full_batch", random_state=0)
    >>> round(frechet_value([X, X @ Q], Xbar), 8)
    0.0
    """
    _check_group(group)
    if method not in METHODS:
        raise ValueError(f"method={method!r}; expected one of {METHODS}")
    stack = _stack(Xs)
    K, m, n = stack.shape
    if group == "identity":
        Xbar = stack.mean(axis=0)
    elif K == 1:
        Xbar = stack[0].copy()
    else:
        rs = check_random_state(random_state)
        if warmstart is not None:
            Xbar = np.array(warmstart, dtype=float)  # a copy: the caller's stays as it was
            if Xbar.shape != (m, n):
                raise ValueError(f"warmstart has shape {Xbar.shape}; expected {(m, n)}")
        else:  # netrep's streaming start: the last of a random permutation
            Xbar = stack[rs.permutation(K)[-1]].copy()
        count = 1.0
        for it in range(max_iter):
            previous = Xbar
            aligned_sum = np.matmul(stack, _align_stack(stack, previous, group)).sum(axis=0)
            if method == "full_batch":
                Xbar = aligned_sum / K
            else:
                Xbar = (count * previous + aligned_sum) / (count + K)
                count += K
            change = float(np.linalg.norm(Xbar - previous) / np.sqrt(m * n))
            if verbose:
                print(f"Iteration {it}, Change: {change}")
            if change <= tol:
                break
    if not return_aligned_Xs:
        return Xbar
    aligned = np.matmul(stack, _align_stack(stack, Xbar, group))
    return Xbar, list(aligned)


def euclidean_tangent_space(
    Xs: Sequence[Any], Xbar: np.ndarray, group: Group = "orth"
) -> np.ndarray:
    """Residuals ``X̄ − Xᵢ Tᵢ`` of each input aligned to ``Xbar`` (netrep's
    ``euclidean_tangent_space``): the inputs in the (Euclidean) tangent space at ``Xbar``.

    Parameters
    ----------
    Xs : sequence of K ndarrays of shape (m, n)
    Xbar : ndarray of shape (m, n)
        Reference point, e.g. the :func:`frechet_mean`.
    group : {"orth", "perm", "identity"}

    Returns
    -------
    ndarray of shape (K, m, n)
        ``X̄ − Xᵢ Tᵢ`` with ``Tᵢ = argmin_{T ∈ G} ‖Xᵢ T − X̄‖_F``.
    """
    _check_group(group)
    stack = _stack(Xs)
    Xbar = np.asarray(Xbar, dtype=float)
    if Xbar.shape != stack.shape[1:]:
        raise ValueError(f"Xbar has shape {Xbar.shape}; the inputs are {stack.shape[1:]}")
    return Xbar - np.matmul(stack, _align_stack(stack, Xbar, group))


def cross_distances(
    metric: Any,
    Xs: Sequence[Any],
    Ys: Sequence[Any],
    Xs_test: Sequence[Any] | None = None,
    Ys_test: Sequence[Any] | None = None,
    verbose: bool = True,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Distances between every member of ``Xs`` and every member of ``Ys`` (netrep's
    ``cross_distances``, like ``scipy.spatial.distance.cdist``).

    Parameters
    ----------
    metric : estimator or Scorer
        A netrep-style metric (``LinearMetric(...)``, ...) or a registry scorer.
    Xs, Ys : sequences of Nx and Ny representations
    Xs_test, Ys_test : sequences of Nx and Ny representations, optional
        Held-out data: each pair is aligned on the training data and also scored here.
    verbose : bool
        Progress bar.

    Returns
    -------
    D_train : ndarray of shape (Nx, Ny)
    D_test : ndarray of shape (Nx, Ny)
        Only with test data.

    Raises
    ------
    ValueError
        If only one of ``Xs_test`` and ``Ys_test`` is given, or their lengths differ from the
        training sets'.

    Notes
    -----
    Runs on the pairwise engine (:mod:`repgeom.metrics.pairwise`): each of the Nx + Ny
    representations is prepared once (centred and whitened for ``LinearMetric``), then each
    of the Nx·Ny pairs costs one small product and its singular values; netrep refits both
    members of every pair.
    """
    if (Xs_test is None) != (Ys_test is None):
        given, missing = ("Xs_test", "Ys_test") if Ys_test is None else ("Ys_test", "Xs_test")
        raise ValueError(f"If '{given}' is specified, '{missing}' must also be specified.")
    Nx, Ny = len(Xs), len(Ys)
    if Xs_test is not None and len(Xs_test) != Nx:
        raise ValueError("Length of Xs_test does not match train set.")
    if Ys_test is not None and len(Ys_test) != Ny:
        raise ValueError("Length of Ys_test does not match train set.")
    scorer = as_scorer(metric).for_set([*Xs, *Ys])
    prep_x = [scorer.prepare(X) for X in Xs]
    prep_y = [scorer.prepare(Y) for Y in Ys]
    if Xs_test is None or Ys_test is None:
        return scorer.score_block(prep_x, prep_y, progress=verbose)
    pairs = [(i, j) for i in range(Nx) for j in range(Ny)]

    def both(pair: tuple[int, int]) -> tuple[float, float]:
        i, j = pair
        return scorer.score_split(prep_x[i], prep_y[j], Xs_test[i], Ys_test[j])

    scored = np.array(_threaded(both, pairs, None, verbose), dtype=float).reshape(Nx, Ny, 2)
    return scored[..., 0], scored[..., 1]


def pairwise_distances(
    metric: Any,
    traindata: Sequence[Any],
    testdata: Sequence[Any] | None = None,
    verbose: bool = True,
    enable_caching: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """netrep's ``netrep.multiset.pairwise_distances``: the symmetric K × K ``D_train``, or
    ``(D_train, D_test)`` with test data. Each representation is always prepared once
    (``enable_caching`` is accepted for netrep's signature and changes nothing)."""
    D_train, D_test = pairwise_matrix(metric, traindata, testdata, progress=verbose)
    return D_train if D_test is None else (D_train, D_test)


def angular_distance(X: np.ndarray, Y: np.ndarray) -> float:
    """``arccos(⟨X, Y⟩_F / (‖X‖_F ‖Y‖_F))``, clipped into [0, π] (netrep's
    ``netrep.utils.angular_distance``)."""
    x, y = np.ravel(X).astype(float), np.ravel(Y).astype(float)
    cosine = float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))
    return float(np.arccos(np.clip(cosine, -1.0, 1.0)))


def rand_orth(
    m: int, n: int | None = None, random_state: int | np.random.RandomState | None = None
) -> np.ndarray:
    """A random (m × n) matrix with orthonormal columns (m ≥ n) or rows (m < n), drawn from the
    Haar measure on O(max(m, n)) and cut to shape (netrep's ``netrep.utils.rand_orth``)."""
    rs = check_random_state(random_state)
    n = m if n is None else n
    size = max(m, n)
    Q = ortho_group.rvs(size, random_state=rs) if size > 1 else np.ones((1, 1))
    return Q[:m, :n]
