"""Representational dissimilarity matrices and their comparison (rsatoolbox's conventions).

An RDM over n conditions is a condensed vector of length n(n−1)/2: the strict upper triangle
in row-major order (scipy's ``squareform``). ``p`` is the number of channels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

import numba
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse
from scipy.stats import rankdata

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.metrics.kendall import kendall_matrix
from repgeom.metrics.pairwise import Pair, Scorer, as_data
from repgeom.metrics.ranks import average_ranks, dense_ranks

RDMMethod = Literal[
    "euclidean", "correlation", "cosine", "mahalanobis", "crossnobis", "poisson", "poisson_cv"
]
CompareMethod = Literal[
    "cosine",
    "corr",
    "spearman",
    "rho-a",
    "kendall",
    "tau-b",
    "tau-a",
    "cosine_cov",
    "corr_cov",
    "bures",
    "bures_metric",
    "neg_riem_dist",
]
COMPARE_METHODS: tuple[str, ...] = get_args(CompareMethod)
#: RSA's defaults when comparing two representations (the registry's ``rsa``, the workflow).
RSA_RDM_METHOD: RDMMethod = "correlation"
RSA_COMPARATOR: CompareMethod = "spearman"


# -- conventions ----------------------------------------------------------------------------
def n_conditions(n_pairs: int) -> int:
    """Conditions of a condensed RDM of ``n_pairs`` entries: ``ceil(sqrt(2 m))``."""
    n = int(np.ceil(np.sqrt(2 * n_pairs)))
    if n * (n - 1) // 2 != n_pairs:
        raise ShapeMismatchError(f"{n_pairs} entries are not n(n−1)/2 for any n")
    return n


def vector_to_matrix(vector: np.ndarray) -> np.ndarray:
    """Condensed RDM → symmetric matrix with zero diagonal (NaN entries kept)."""
    v = np.asarray(vector, dtype=np.float64)
    n = n_conditions(v.size)
    M = np.zeros((n, n))
    iu = np.triu_indices(n, 1)
    M[iu] = v
    M[iu[::-1]] = v
    return M


def matrix_to_vector(matrix: np.ndarray) -> np.ndarray:
    """Symmetric matrix → condensed RDM (strict upper triangle, row-major)."""
    M = np.asarray(matrix, dtype=np.float64)
    return M[np.triu_indices(M.shape[0], 1)]


# -- RDM computation ------------------------------------------------------------------------
def _condition_means(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average the rows of each label; conditions sorted by label value (stable)."""
    values, index = np.unique(labels, return_inverse=True)
    means = np.zeros((len(values), X.shape[1]))
    np.add.at(means, index, X)
    return means / np.bincount(index)[:, None], values


def _pairwise_quadratic(A: np.ndarray, B: np.ndarray, P: np.ndarray | None) -> np.ndarray:
    """``(a_i − a_j)ᵀ P (b_i − b_j)`` for all i < j, through ``K = A P Bᵀ``."""
    K = A @ (B.T if P is None else P @ B.T)
    d = np.diag(K)
    full = d[:, None] + d[None, :] - K - K.T
    return matrix_to_vector(full)


def _poisson_prior(M: np.ndarray, prior_lambda: float, prior_weight: float) -> np.ndarray:
    return (M + prior_lambda * prior_weight) / (1 + prior_weight)


def _folds(labels_sorted: np.ndarray, cv: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Fold of each row and the sorted fold values; without ``cv`` the k-th occurrence of a
    condition (in row order) goes to fold k."""
    if cv is not None:
        values, index = np.unique(cv, return_inverse=True)
        return index, values
    occurrence = np.zeros(len(labels_sorted), dtype=int)
    seen: dict[Any, int] = {}
    for row, label in enumerate(labels_sorted):
        occurrence[row] = seen.get(label, 0)
        seen[label] = occurrence[row] + 1
    return occurrence, np.unique(occurrence)


def rdm(
    X: Any,
    method: RDMMethod = "euclidean",
    *,
    descriptor: Sequence[Any] | np.ndarray | None = None,
    noise: np.ndarray | Sequence[np.ndarray] | None = None,
    cv_descriptor: Sequence[Any] | np.ndarray | None = None,
    remove_mean: bool = False,
    prior_lambda: float = 1.0,
    prior_weight: float = 0.1,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Condensed RDM of the patterns in ``X`` (rsatoolbox ``calc_rdm``'s parameters).

    Parameters
    ----------
    X : array-like of shape (n_observations, n_channels)
        One pattern per row (an ``xarray.DataArray`` needs a ``stimulus`` dim).
    method : str
        ``euclidean``: ``‖xᵢ − xⱼ‖² / p``. ``correlation``: ``1 − r(xᵢ, xⱼ)`` across channels.
        ``cosine``: ``1 − cos(xᵢ, xⱼ)``. ``mahalanobis``: ``(xᵢ − xⱼ)ᵀ P (xᵢ − xⱼ) / p``.
        ``crossnobis``: cross-validated Mahalanobis, leave-one-fold-out
        ``(aᵢ − aⱼ)ᵀ P (bᵢ − bⱼ) / p`` averaged over folds (can be negative). ``poisson``:
        symmetrised KL of prior-regularised rates ``Σ (mᵢ − mⱼ)(log mᵢ − log mⱼ) / p``.
        ``poisson_cv``: rsatoolbox 0.3.2's cross-validated version (only the last fold).
    descriptor : array-like, optional
        Condition of each observation; rows of a condition are averaged and conditions are
        sorted by value.
    noise : ndarray or list of ndarray, optional
        Noise precision (p × p); a list gives one per fold (crossnobis).
    cv_descriptor : array-like, optional
        Fold of each observation (crossnobis, poisson_cv).
    remove_mean : bool
        Subtract each pattern's mean over channels (euclidean, mahalanobis, crossnobis).

    Returns
    -------
    ndarray of shape (n(n−1)/2,), or (dissimilarities, conditions) with ``descriptor``.
    """
    from repgeom.metrics._validation import as_matrix

    X = as_matrix(X, "X")
    p = X.shape[1]
    labels = None if descriptor is None else np.asarray(descriptor)
    if labels is not None and len(labels) != len(X):
        raise ShapeMismatchError(f"descriptor has {len(labels)} entries for {len(X)} rows")
    if method in ("crossnobis", "poisson_cv"):
        if labels is None:
            raise InvalidInputError(f"{method} needs descriptor= (the condition of each row)")
        vector, conditions = _cross_validated(
            X, labels, method, noise, cv_descriptor, remove_mean, prior_lambda, prior_weight
        )
        return vector, conditions
    if labels is None:
        M, conditions = X, None
    else:
        M, conditions = _condition_means(X, labels)
    if M.shape[0] < 2:
        raise InvalidInputError("an RDM needs at least 2 conditions")
    if remove_mean and method in ("euclidean", "mahalanobis"):
        M = M - M.mean(axis=1, keepdims=True)
    if method == "euclidean" or (method == "mahalanobis" and noise is None):
        vector = _pairwise_quadratic(M, M, None) / p
    elif method == "mahalanobis":
        vector = _pairwise_quadratic(M, M, np.asarray(noise, dtype=np.float64)) / p
    elif method in ("correlation", "cosine"):
        Z = M - M.mean(axis=1, keepdims=True) if method == "correlation" else M
        norms = np.linalg.norm(Z, axis=1)
        if np.any(norms == 0):
            bad = np.flatnonzero(norms == 0)[:5].tolist()
            raise InvalidInputError(
                f"{method} distance is undefined for constant patterns (rows {bad}); "
                "use euclidean, or drop those conditions"
            )
        Z = Z / norms[:, None]
        vector = 1 - matrix_to_vector(Z @ Z.T)
    elif method == "poisson":
        m = _poisson_prior(M, prior_lambda, prior_weight)
        if np.any(m <= 0):
            raise InvalidInputError("poisson needs non-negative rates (after the prior)")
        logm = np.log(m)
        vector = _pairwise_quadratic(m, logm, None) / p
    else:
        raise InvalidInputError(f"method={method!r}; choose one of {get_args(RDMMethod)}")
    return vector if conditions is None else (vector, conditions)


def _cross_validated(
    X: np.ndarray,
    labels: np.ndarray,
    method: str,
    noise: Any,
    cv_descriptor: Any,
    remove_mean: bool,
    prior_lambda: float,
    prior_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    p = X.shape[1]
    cv = None if cv_descriptor is None else np.asarray(cv_descriptor)
    if cv is not None and len(cv) != len(X):
        raise ShapeMismatchError(f"cv_descriptor has {len(cv)} entries for {len(X)} rows")
    order = np.argsort(labels, kind="stable")
    X, labels = X[order], labels[order]
    fold, fold_values = _folds(labels, None if cv is None else cv[order])
    if len(fold_values) < 2:
        raise InvalidInputError(f"{method} needs at least 2 folds (runs); found {len(fold_values)}")
    conditions = np.unique(labels)

    def means(rows: np.ndarray) -> np.ndarray:
        M, present = _condition_means(X[rows], labels[rows])
        if len(present) != len(conditions):
            missing = sorted(set(conditions.tolist()) - set(present.tolist()))[:5]
            raise InvalidInputError(
                f"conditions {missing} are missing from a fold; every "
                "condition needs data in every run"
            )
        return M - M.mean(axis=1, keepdims=True) if remove_mean else M

    if method == "poisson_cv":  # rsatoolbox 0.3.2 keeps only the last fold's result
        k = len(fold_values) - 1
        A = _poisson_prior(means(fold != k), prior_lambda, prior_weight)
        B = _poisson_prior(means(fold == k), prior_lambda, prior_weight)
        return _pairwise_quadratic(A, np.log(B), None) / p, conditions
    if isinstance(noise, (list, tuple)):
        if len(noise) != len(fold_values):
            raise InvalidInputError(f"{len(noise)} precisions for {len(fold_values)} folds")
        covs = [np.linalg.inv(P) for P in noise]
        M = [means(fold == k) for k in range(len(fold_values))]
        parts = []
        for k in range(len(M)):
            for j in range(k + 1, len(M)):
                P = np.linalg.inv((covs[k] + covs[j]) / 2)
                parts.append(_pairwise_quadratic(M[k], M[j], P) / p)
        return np.mean(parts, axis=0), conditions
    P = None if noise is None else np.asarray(noise, dtype=np.float64)
    parts = [
        _pairwise_quadratic(means(fold != k), means(fold == k), P) / p
        for k in range(len(fold_values))
    ]
    return np.mean(parts, axis=0), conditions


# -- transforms -----------------------------------------------------------------------------
def rank_transform(rdms: np.ndarray, method: str = "average") -> np.ndarray:
    """Ranks (1-based) within each RDM; NaN entries stay NaN."""
    R = np.atleast_2d(np.asarray(rdms, dtype=np.float64))
    return np.stack([rankdata(r, method=method, nan_policy="omit") for r in R]).reshape(
        np.shape(rdms)
    )


def sqrt_transform(rdms: np.ndarray) -> np.ndarray:
    """Square root after setting negative entries to 0."""
    return np.sqrt(np.maximum(np.asarray(rdms, dtype=np.float64), 0.0))


# -- comparison -----------------------------------------------------------------------------
def _cosines(inner: np.ndarray, norm_a: np.ndarray, norm_b: np.ndarray) -> np.ndarray:
    """``inner[i, j] / (norm_a[i] norm_b[j])``; 0 where a norm is 0."""
    denom = np.outer(norm_a, norm_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, inner / denom, 0.0)


def _cosine_rows(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Cosine of every row of A with every row of B; 0 where a norm is 0."""
    na = np.sqrt(np.einsum("ij,ij->i", A, A))
    nb = na if B is A else np.sqrt(np.einsum("ij,ij->i", B, B))
    return _cosines(A @ B.T, na, nb)


def _center_rows(A: np.ndarray) -> np.ndarray:
    return A - A.mean(axis=1, keepdims=True)


def _whitened_features(
    V: np.ndarray, keep: np.ndarray, sigma: np.ndarray | None, demean: bool
) -> np.ndarray:
    """Features whose cosine is rsatoolbox's whitened cosine (Diedrichsen et al. 2021), for a
    stack ``V`` of RDMs restricted to the entries ``keep``.

    ``G = −D/2`` minus row and column effects ``aᵢ + aⱼ``, fitted by least squares over the
    available entries (off-diagonal entries weigh 2, the zero diagonal 1): the normal
    equations are ``(SᵀS + 2I) a = r`` with ``S`` the entry-to-condition incidence and ``r``
    the row sums of ``G``; with no NaN this is double centring, ``JGJ``. Scaled by
    ``1/sqrt(sᵢ sⱼ)``; features ``[√2 · upper(G), diag(G)]``.
    """
    n = n_conditions(keep.size)
    vals = V - V.mean(axis=1, keepdims=True) if demean else V
    iu = np.triu_indices(n, 1)
    rows_i, rows_j = iu[0][keep], iu[1][keep]
    m = len(rows_i)
    incidence = scipy.sparse.csr_matrix(
        (np.ones(2 * m), (np.tile(np.arange(m), 2), np.concatenate([rows_i, rows_j]))),
        shape=(m, n),
    )
    row_sums = -0.5 * (incidence.T @ vals.T)  # n × k
    normal = (incidence.T @ incidence).toarray() + 2 * np.eye(n)
    coef = scipy.linalg.solve(normal, row_sums, assume_a="pos").T  # k × n
    off = -vals / 2 - coef[:, rows_i] - coef[:, rows_j]
    diag = -2 * coef
    if sigma is not None:
        off = off / np.sqrt(sigma[rows_i] * sigma[rows_j])
        diag = diag / sigma
    return np.concatenate([np.sqrt(2) * off, diag], axis=1)


@numba.njit(parallel=True, cache=True)
def _square_row_sums(V: np.ndarray, n: int) -> np.ndarray:
    """Row sums ``ρᵢ = Σ_{j≠i} d_ij`` of the square form of every condensed RDM in ``V``."""
    out = np.zeros((V.shape[0], n))
    for r in numba.prange(V.shape[0]):
        k = 0
        for i in range(n):
            acc = 0.0
            for j in range(i + 1, n):
                acc += V[r, k]
                out[r, j] += V[r, k]
                k += 1
            out[r, i] += acc
    return out


def _whitened_cosine_complete(A: np.ndarray, B: np.ndarray, demean: bool) -> np.ndarray:
    """rsatoolbox's whitened cosine (identity ``sigma_k``) for RDMs with no missing entry,
    without forming the double-centred matrices.

    With ``G = −D/2`` and ``J = I − 11ᵀ/n``, ``⟨JG_aJ, JG_bJ⟩ = tr(G_a J G_b J)
    = ⟨G_a, G_b⟩ − (2/n) r_a·r_b + s_a s_b / n²`` (r: row sums of G, s: its total). In terms
    of the condensed vectors v (row sums ρ of the square form):
    ``½ v_a·v_b − ρ_a·ρ_b / (2n) + (Σv_a)(Σv_b) / n²``. One matrix product of the stacks and
    one pass for the row sums replace the features of :func:`_whitened_features` (which also
    handles NaN entries and ``sigma_k``); equal to them to round-off.
    """
    n = n_conditions(A.shape[1])
    Parts = tuple[np.ndarray, np.ndarray, np.ndarray]

    def parts(V: np.ndarray) -> Parts:
        V = _center_rows(V) if demean else np.ascontiguousarray(V)
        return V, _square_row_sums(V, n), V.sum(axis=1)

    def inner(a: Parts, b: Parts) -> np.ndarray:
        (Va, rho_a, sum_a), (Vb, rho_b, sum_b) = a, b
        return Va @ Vb.T / 2 - rho_a @ rho_b.T / (2 * n) + np.outer(sum_a, sum_b) / n**2

    def norms(a: Parts) -> np.ndarray:
        V, rho, total = a
        squares = np.einsum("ij,ij->i", V, V), np.einsum("ij,ij->i", rho, rho)
        sq = squares[0] / 2 - squares[1] / (2 * n) + total**2 / n**2
        return np.sqrt(np.maximum(sq, 0))

    pa = parts(A)
    pb = pa if B is A else parts(B)
    return _cosines(inner(pa, pb), norms(pa), norms(pb))


def _contrast_covariance(n: int, sigma_k: np.ndarray) -> np.ndarray:
    """``V = Ξ ∘ Ξ`` with ``Ξ = C Σ Cᵀ`` and C the pairwise contrasts (rsatoolbox's 2-D
    ``sigma_k`` route)."""
    iu = np.triu_indices(n, 1)
    C = np.zeros((len(iu[0]), n))
    C[np.arange(len(iu[0])), iu[0]] = 1
    C[np.arange(len(iu[0])), iu[1]] = -1
    xi = C @ sigma_k @ C.T
    return xi * xi


def _bures(g1: np.ndarray, g2: np.ndarray) -> tuple[float, float, float]:
    """``tr sqrtm(G1^½ G2 G1^½)``, ``tr G1``, ``tr G2`` (negative eigenvalues clipped)."""
    vals, vecs = np.linalg.eigh(g1)
    root = (vecs * np.sqrt(np.maximum(vals, 0))) @ vecs.T
    inner = np.linalg.eigvalsh(root @ g2 @ root)
    return float(np.sqrt(np.maximum(inner, 0)).sum()), float(np.trace(g1)), float(np.trace(g2))


def _second_moment(v: np.ndarray) -> np.ndarray:
    n = n_conditions(v.size)
    J = np.eye(n) - 1 / n
    return J @ (-vector_to_matrix(v) / 2) @ J


def _frame_second_moment(v: np.ndarray) -> np.ndarray:
    """Second moments in the frame of condition 0 (Shahbazi et al. 2021):
    ``Ĝ_kk = d_0k`` and ``Ĝ_kl = (d_0k + d_0l − d_kl)/2`` for k, l = 1..n−1."""
    D = vector_to_matrix(v)
    d0 = D[0, 1:]
    return (d0[:, None] + d0[None, :] - D[1:, 1:]) / 2


def _neg_riemannian(g1: np.ndarray, g2: np.ndarray, sigma_hat: np.ndarray) -> float:
    """``−min_θ sqrt(Σ log² eig(e^θ₀ G₁ + e^θ₁ P Σ Pᵀ, G₂))`` by Nelder–Mead from (0, 0), as
    rsatoolbox does (two smooth parameters: a better optimiser buys nothing here)."""

    def distance(theta: np.ndarray) -> float:
        model = np.exp(theta[0]) * g1 + np.exp(theta[1]) * sigma_hat
        eigenvalues = scipy.linalg.eigh(model, g2, eigvals_only=True)
        return float(np.sqrt(np.sum(np.log(eigenvalues) ** 2)))

    try:
        return -float(scipy.optimize.minimize(distance, (0.0, 0.0), method="Nelder-Mead").fun)
    except np.linalg.LinAlgError as error:
        raise InvalidInputError(
            "neg_riem_dist needs RDMs whose second moments (in the frame of condition 0) are "
            f"positive definite: {error}"
        ) from None


def _nan_columns(V: np.ndarray) -> np.ndarray:
    """Columns holding a NaN in any row. Column sums find them in one pass without a
    boolean copy of the stack (a NaN sum can also come from +inf and −inf, so a NaN sum is
    then checked exactly)."""
    if not np.isnan(V.sum(axis=0)).any():
        return np.zeros(V.shape[1], dtype=bool)
    return np.isnan(V).any(axis=0)


def compare_rdms(
    a: np.ndarray,
    b: np.ndarray,
    method: CompareMethod = "cosine",
    *,
    sigma_k: np.ndarray | None = None,
) -> float | np.ndarray:
    """Compare RDMs (rsatoolbox ``compare``): 1-D vs 1-D → float; stacks → (n_a × n_b).

    Notes
    -----
    Entries that are NaN in any RDM of either argument are dropped from all (the NaN patterns
    must agree). ``cosine``: ``a·b / (‖a‖‖b‖)`` (0 for a zero vector); ``corr``: cosine of the
    centred vectors; ``spearman``: ``corr`` of average-tie ranks; ``rho-a``:
    ``12 Σ (r_a − r̄_a)(r_b − r̄_b) / (n³ − n)``; ``kendall``/``tau-b``: scipy's tau-b;
    ``tau-a``: ``(n_c − n_d) / (n(n−1)/2)``; ``cosine_cov``/``corr_cov``: whitened cosine of
    the double-centred second moments (``corr_cov`` demeans the vectors first), with
    ``sigma_k`` per-condition variances (1-D) or a full condition covariance (2-D, exact
    solve where rsatoolbox uses CG); ``bures``: ``tr sqrtm(G₁^½ G₂ G₁^½)/sqrt(tr G₁ tr G₂)``;
    ``bures_metric``: the squared Bures distance; ``neg_riem_dist``: minus the Riemannian
    distance between second moments in the frame of condition 0,
    ``−min_θ sqrt(Σ log² eig(e^θ₀ Ĝ_a + e^θ₁ P Σ Pᵀ, Ĝ_b))`` with ``P = [−1 | I]`` and
    ``Σ = sigma_k`` (identity by default).
    """
    A = np.asarray(a, dtype=np.float64)
    B = np.asarray(b, dtype=np.float64)
    scalar = A.ndim == 1 and B.ndim == 1
    A, B = np.atleast_2d(A), np.atleast_2d(B)
    if A.shape[1] != B.shape[1]:
        raise ShapeMismatchError(
            f"RDMs of {A.shape[1]} and {B.shape[1]} entries; both must have the same conditions"
        )
    nan_a, nan_b = _nan_columns(A), _nan_columns(B)
    if not np.array_equal(nan_a, nan_b):
        raise ValueError("the NaN patterns of the two sets of RDMs differ")
    keep = ~nan_a
    Ak, Bk = (A, B) if keep.all() else (A[:, keep], B[:, keep])  # no copy when complete
    same = Ak is Bk or (Ak.shape == Bk.shape and np.array_equal(Ak, Bk))

    def both(transform: Any) -> tuple[np.ndarray, np.ndarray]:
        """``transform`` of each stack, computed once when they are the same stack."""
        ta = transform(Ak)
        return ta, ta if same else transform(Bk)

    if method == "cosine":
        out = _cosine_rows(Ak, Bk)
    elif method == "corr":
        out = _cosine_rows(*both(_center_rows))
    elif method in ("spearman", "rho-a"):
        ra, rb = both(lambda x: average_ranks(x, centred=True))
        n = Ak.shape[1]
        out = _cosine_rows(ra, rb) if method == "spearman" else 12 * (ra @ rb.T) / (n**3 - n)
    elif method in ("kendall", "tau-b", "tau-a"):
        out = kendall_matrix(Ak, Ak if same else Bk, "a" if method == "tau-a" else "b")
    elif method in ("cosine_cov", "corr_cov"):
        demean = method == "corr_cov"
        if sigma_k is not None and np.ndim(sigma_k) == 2:
            out = _whitened_cosine_full(Ak, Bk, keep, np.asarray(sigma_k, float), demean)
        elif sigma_k is None and keep.all():
            out = _whitened_cosine_complete(Ak, Ak if same else Bk, demean)
        else:
            sigma = None if sigma_k is None else np.asarray(sigma_k, dtype=np.float64)
            out = _cosine_rows(*both(lambda x: _whitened_features(x, keep, sigma, demean)))
    elif method in ("bures", "bures_metric"):
        if not keep.all():
            raise InvalidInputError(f"{method} does not support NaN entries")
        out = np.zeros((len(A), len(B)))
        for i, x in enumerate(A):
            for j, y in enumerate(B):
                root, ta, tb = _bures(_second_moment(x), _second_moment(y))
                out[i, j] = root / np.sqrt(ta * tb) if method == "bures" else ta + tb - 2 * root
    elif method == "neg_riem_dist":
        if not keep.all():
            raise InvalidInputError(f"{method} does not support NaN entries")
        n = n_conditions(A.shape[1])
        sigma = np.eye(n) if sigma_k is None else np.asarray(sigma_k, dtype=np.float64)
        if sigma.ndim == 1:
            sigma = np.diag(sigma)
        P = np.hstack([-np.ones((n - 1, 1)), np.eye(n - 1)])
        sigma_hat = P @ sigma @ P.T
        GA = [_frame_second_moment(x) for x in A]
        GB = [_frame_second_moment(y) for y in B]
        out = np.array([[_neg_riemannian(ga, gb, sigma_hat) for gb in GB] for ga in GA])
    else:
        raise InvalidInputError(f"method={method!r}; choose one of {COMPARE_METHODS}")
    return float(out[0, 0]) if scalar else out


def _whitened_cosine_full(
    Ak: np.ndarray, Bk: np.ndarray, keep: np.ndarray, sigma: np.ndarray, demean: bool
) -> np.ndarray:
    """Whitened cosine under a full condition covariance: ``aᵀV⁻¹b / sqrt(aᵀV⁻¹a bᵀV⁻¹b)``
    with ``V`` from :func:`_contrast_covariance` (an exact solve where rsatoolbox uses CG)."""
    V = _contrast_covariance(n_conditions(keep.size), sigma)[np.ix_(keep, keep)]
    if demean:
        Ak, Bk = _center_rows(Ak), _center_rows(Bk)
    vinv_b = np.linalg.solve(V, Bk.T)
    vinv_a = np.linalg.solve(V, Ak.T)
    num = Ak @ vinv_b
    na = np.sqrt(np.maximum(np.sum(Ak.T * vinv_a, axis=0), 0))
    nb = np.sqrt(np.maximum(np.sum(Bk.T * vinv_b, axis=0), 0))
    return _cosines(num, na, nb)


# -- inference ------------------------------------------------------------------------------
def _pool(rdms: np.ndarray, method: str) -> np.ndarray:
    """rsatoolbox's pooled RDM for a comparison method."""
    if method in ("cosine", "cosine_cov"):
        return np.mean(rdms / np.sqrt(np.nanmean(rdms**2, axis=1, keepdims=True)), axis=0)
    if method in ("corr", "corr_cov"):
        z = (rdms - np.nanmean(rdms, axis=1, keepdims=True)) / np.nanstd(
            rdms, axis=1, keepdims=True
        )
        mean = z.mean(axis=0)
        return mean - np.nanmin(mean)
    return np.mean(rank_transform(rdms), axis=0)


def rdm_noise_ceiling(rdms: np.ndarray, method: CompareMethod = "cosine") -> tuple[float, float]:
    """Lower and upper bound of the noise ceiling over subjects' RDMs (rows).

    Notes
    -----
    ``upper = mean_s compare(pool(all), s)``; ``lower = mean_s compare(pool(all but s), s)``
    (leave-one-subject-out: no subject is on both sides). Pooling follows the method: RMS
    normalised mean (cosine), z-scored mean (corr), mean rank (rank methods).
    """
    R = np.atleast_2d(np.asarray(rdms, dtype=np.float64))
    if len(R) < 2:
        raise InvalidInputError("a noise ceiling needs RDMs of at least 2 subjects")
    upper = np.mean([compare_rdms(_pool(R, method), r, method) for r in R])
    lower = np.mean(
        [compare_rdms(_pool(np.delete(R, s, axis=0), method), R[s], method) for s in range(len(R))]
    )
    return float(lower), float(upper)


def evaluate_models(
    models: np.ndarray, rdms: np.ndarray, method: CompareMethod = "cosine"
) -> dict[str, Any]:
    """Fixed-model evaluation (rsatoolbox ``eval_fixed``): ``evaluations`` (model × subject),
    the noise ceiling, ``variances = cov(evaluations, ddof=0) / n_subjects`` and ``dof``."""
    M, R = np.atleast_2d(models), np.atleast_2d(rdms)
    evaluations = np.atleast_2d(compare_rdms(M, R, method))
    return {
        "evaluations": evaluations,
        "noise_ceiling": np.array(rdm_noise_ceiling(R, method)),
        "variances": np.atleast_2d(np.cov(evaluations, ddof=0)) / R.shape[0],
        "dof": R.shape[0] - 1,
    }


# -- second-order analysis ------------------------------------------------------------------
def second_order_rdm(rdms: np.ndarray, method: CompareMethod = "corr") -> np.ndarray:
    """RDM of RDMs: ``1 − compare(rdmᵢ, rdmⱼ)`` for every pair (condensed)."""
    R = np.atleast_2d(np.asarray(rdms, dtype=np.float64))
    return matrix_to_vector(1 - compare_rdms(R, R, method))


def classical_mds(D: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS of a square dissimilarity matrix: the leading eigenvectors of
    ``B = −½ J D² J`` (``J`` the centring matrix) scaled by the square roots of their
    eigenvalues, negative eigenvalues (a non-Euclidean ``D``) clipped to 0 rather than giving
    NaN coordinates. (n, n_components)."""
    D = np.asarray(D, dtype=np.float64)
    n = len(D)
    J = np.eye(n) - 1.0 / n
    w, V = np.linalg.eigh(-0.5 * J @ (D**2) @ J)
    top = np.argsort(w)[::-1][:n_components]
    X = V[:, top] * np.sqrt(np.maximum(w[top], 0.0))
    if X.shape[1] < n_components:  # fewer conditions than components
        X = np.hstack([X, np.zeros((n, n_components - X.shape[1]))])
    return X


def mds(rdm_vector: np.ndarray, n_components: int = 2, seed: int = 0) -> np.ndarray:
    """Metric MDS embedding (scikit-learn's SMACOF) of a condensed dissimilarity vector,
    started from :func:`classical_mds`: (n_conditions, n_components)."""
    from sklearn.manifold import MDS

    D = vector_to_matrix(rdm_vector)
    if np.isnan(D).any():
        raise InvalidInputError("MDS needs an RDM without NaN entries")
    model = MDS(
        n_components=n_components,
        metric="precomputed",
        init="classical_mds",  # named only to say so; the start is the array given to fit
        n_init=1,
        random_state=seed,
    )
    return model.fit_transform(D, init=classical_mds(D, n_components))


def percentile_transform(rdms: np.ndarray) -> np.ndarray:
    """Each RDM's entries as percentiles (0–100) of its own distribution, for display."""
    ranks = rank_transform(rdms)
    R = np.atleast_2d(ranks)
    counts = np.sum(~np.isnan(R), axis=1, keepdims=True)
    return (100 * (R - 1) / np.maximum(counts - 1, 1)).reshape(np.shape(rdms))


def rdm_from_reduced(
    features: np.ndarray,
    row_mean: np.ndarray,
    n_units: int,
    method: Literal["euclidean", "correlation", "cosine"] = "euclidean",
) -> np.ndarray:
    """Exact RDM of a raw layer from its reduced representation (:mod:`repgeom.reduce`).

    Notes
    -----
    With ``Z Zᵀ = X Xᵀ`` and ``x̄ᵢ`` the row means: euclidean
    ``(Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ) / p``; cosine from ``G``; correlation from the row-centred Gram
    ``G − p x̄ x̄ᵀ`` (which is why the row means are stored).
    """
    Z = np.asarray(features, dtype=np.float64)
    G = Z @ Z.T
    if method == "euclidean":
        d = np.diag(G)
        return matrix_to_vector(d[:, None] + d[None, :] - 2 * G) / n_units
    if method == "correlation":
        m = np.asarray(row_mean, dtype=np.float64)
        G = G - n_units * np.outer(m, m)
    elif method != "cosine":
        raise InvalidInputError(
            f"method={method!r}; reduced RDMs support euclidean, correlation and cosine"
        )
    norms = np.sqrt(np.maximum(np.diag(G), 0))
    if np.any(norms == 0):
        raise InvalidInputError(
            f"{method} distance is undefined for constant patterns ({np.sum(norms == 0)} of "
            f"{len(norms)} stimuli, e.g. rows {np.flatnonzero(norms == 0)[:5].tolist()}: "
            "every unit equal, such as a ReLU layer silent for those stimuli); use euclidean "
            "RDMs, or drop those stimuli"
        )
    return 1 - matrix_to_vector(G / np.outer(norms, norms))


class RSAScorer(Scorer):
    """RSA for the pairwise engine: an RDM once per representation, then RDMs compared
    stack against stack.

    A representation with ``row_mean`` and ``n_units`` (a reduced store) gets its exact RDM
    from :func:`rdm_from_reduced`; a plain matrix gets :func:`rdm`. The value of a pair is
    ``compare_rdms(rdm_a, rdm_b, comparator)`` (a similarity).
    """

    def __init__(
        self, rdm_method: RDMMethod = RSA_RDM_METHOD, comparator: CompareMethod = RSA_COMPARATOR
    ) -> None:
        self.rdm_method = rdm_method
        self.comparator = comparator

    def prepare(self, rep: Any) -> np.ndarray:
        data = as_data(rep)
        if data.row_mean is not None and data.n_units is not None:
            return rdm_from_reduced(data.features, data.row_mean, data.n_units, self.rdm_method)
        return np.asarray(rdm(data.features, self.rdm_method))

    def score(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(compare_rdms(a, b, self.comparator))

    def score_block(self, rows: Sequence[Any], cols: Sequence[Any], **_: Any) -> np.ndarray:
        """``compare_rdms`` of the stacked row RDMs against the stacked column RDMs."""
        return np.atleast_2d(compare_rdms(np.stack(rows), np.stack(cols), self.comparator))

    def score_pairs(
        self, prepared: Mapping[int, np.ndarray], pairs: Sequence[Pair], **kwargs: Any
    ) -> np.ndarray:
        """One stack-against-stack comparison over the pairs' rows and columns."""
        rows = {i: r for r, i in enumerate(sorted({i for i, _ in pairs}))}
        cols = {j: c for c, j in enumerate(sorted({j for _, j in pairs}))}
        S = self.score_block([prepared[i] for i in rows], [prepared[j] for j in cols])
        return np.array([S[rows[i], cols[j]] for i, j in pairs])

    # -- resampled stimuli ------------------------------------------------------------------
    def resampling(self, rep: Any) -> np.ndarray:
        """The square RDM: resamples index its rows and columns."""
        return vector_to_matrix(self.prepare(rep))

    def resample(self, state: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The RDM of the stimuli ``idx``: rows and columns of the square RDM, with NaN where
        a stimulus meets its own copy (rsatoolbox's ``subsample_pattern``: those entries are
        left out of every comparison)."""
        idx = np.asarray(idx)
        a, b = np.triu_indices(len(idx), 1)
        out = state[idx[a], idx[b]]
        out[idx[a] == idx[b]] = np.nan
        return out

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
        """:meth:`Scorer.score_resamples` without re-ranking resampled RDMs, for the
        ``cosine``, ``corr`` and ``spearman`` comparators (the others, and RDMs with NaN
        entries, take the general path).

        Notes
        -----
        A bootstrap sample that draws stimulus ``a`` ``c_a`` times holds RDM entry ``(a, b)``
        ``w_ab = c_a c_b`` times (``a ≠ b``; a stimulus against its own copy is left out), so
        each comparison is a ``w``-weighted one over the original entries: cosine
        ``Σ w x y / √(Σ w x² Σ w y²)``, ``corr`` the cosine after subtracting the weighted
        means, ``spearman`` ``corr`` of the weighted average ranks — for an entry whose value
        has total weight ``W_=`` and ``W_<`` below it, ``W_< + (W_= + 1) / 2``. These equal
        :func:`compare_rdms` on the resampled RDMs. A permutation moves entries without
        changing their values (or ranks), so its scores are inner products of the fixed,
        normalised rows with the permuted columns.
        """
        fast = self.comparator in ("cosine", "corr", "spearman")
        A = np.stack([self.prepare(r) for r in rows]) if fast else None
        B = np.stack([self.prepare(c) for c in cols]) if fast else None
        if not fast or np.isnan(A).any() or np.isnan(B).any():
            return super().score_resamples(
                rows, cols, samples, shuffle_cols=shuffle_cols, n_jobs=n_jobs, progress=progress
            )
        n = n_conditions(A.shape[1])
        a, b = np.triu_indices(n, 1)
        out = np.empty((len(samples), len(rows), len(cols)))
        if shuffle_cols:
            if self.comparator == "spearman":
                A, B = average_ranks(A), average_ranks(B)
            if self.comparator != "cosine":
                A, B = _center_rows(A), _center_rows(B)
            A = A / _row_norms(A)[:, None]
            B = B / _row_norms(B)[:, None]
            pair = np.full((n, n), -1)
            pair[a, b] = pair[b, a] = np.arange(len(a))
            for k, perm in enumerate(samples):
                out[k] = A @ B[:, pair[perm[a], perm[b]]].T
            return out
        dense = dense_ranks(np.concatenate([A, B])) if self.comparator == "spearman" else None
        for k, idx in enumerate(samples):
            counts = np.bincount(idx, minlength=n).astype(np.float64)
            w = counts[a] * counts[b]
            if dense is None:
                X, Y = A, B
            else:
                ranks = np.stack([_weighted_ranks(d, w) for d in dense])
                X, Y = ranks[: len(rows)], ranks[len(rows) :]
            if self.comparator != "cosine":
                total = w.sum()
                X = X - (X @ w / total)[:, None]
                Y = Y - (Y @ w / total)[:, None]
            Xw = X * w
            out[k] = _cosines(
                Xw @ Y.T, np.sqrt(np.sum(Xw * X, axis=1)), np.sqrt(np.sum(Y * w * Y, axis=1))
            )
        return out


def _row_norms(A: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row; 1 for a zero row (whose cosines are 0 either way)."""
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    return np.where(norms > 0, norms, 1.0)


def _weighted_ranks(dense: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Average ranks of a vector whose entry ``i`` occurs ``w[i]`` times, from its 0-based
    dense ranks: ``W_< + (W_= + 1) / 2`` with ``W_=`` the total weight of the entry's value
    and ``W_<`` that of smaller values."""
    d = dense.astype(np.intp)
    group = np.bincount(d, weights=w)
    below = np.cumsum(group) - group
    return below[d] + (group[d] + 1) / 2
