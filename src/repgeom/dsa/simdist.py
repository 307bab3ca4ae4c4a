"""Similarity-transform distance between linear operators (dsa-metric's
``SimilarityTransformDist``), with an optimiser that knows the group.

For unit-norm A and B and C in O(n), ``‖A − C B Cᵀ‖²_F = 2 − 2⟨A, C B Cᵀ⟩``, so both scores
come from one maximisation of ``f(C) = ⟨A, C B Cᵀ⟩ = tr(Aᵀ C B Cᵀ)``:
``angular = arccos f*`` and ``euclidean = sqrt(2 − 2 f*)``.

Why not dsa-metric's optimiser: it runs Adam for a fixed 1,500 steps through a three-layer
network feeding a Cayley map (which only reaches SO(n), so it runs twice to cover det −1).
Here the search runs on the group itself, with the analytic gradient: the Euclidean gradient
``G = A C Bᵀ + Aᵀ C B`` gives the Riemannian gradient ``C Ω`` with ``Ω = skew(Cᵀ G)`` in the
Lie algebra, and steps are Cayley retractions ``C (I − t/2 D)⁻¹ (I + t/2 D)``. The direction
D comes from L-BFGS on the Lie-algebra coordinates, which matters: delay-embedded operators
(200 × 200 in the DSA benchmark) give flat, ill-conditioned landscapes, where plain gradient
steps with Barzilai–Borwein lengths needed over 300 iterations to reach what L-BFGS reaches
in about 100. Starts are run as one batch: the identity, a reflection (the det −1
component), eigenbases of the symmetric parts aligned to each other with signs chosen
greedily (exact when ``A = C B Cᵀ`` and the symmetric part has distinct eigenvalues), and
random rotations of both components (dsa-metric's start is random too). O(n) keeps the best
start of either component; SO(n) uses only det +1 starts. GL(n) minimises the score over
invertible C with L-BFGS, starting from the best orthogonal C and from aligned eigenbases.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import ot
import torch

from repgeom.errors import InvalidInputError, NotFittedError, ShapeMismatchError
from repgeom.metrics._validation import angle, check_finite

ScoreMethod = Literal["angular", "euclidean", "wasserstein"]
Group = Literal["O(n)", "SO(n)", "GL(n)"]
GROUPS = ("O(n)", "SO(n)", "GL(n)")
SCORES = ("angular", "euclidean", "wasserstein")


def _as_operator(M: Any, name: str) -> np.ndarray:
    if hasattr(M, "detach"):
        M = M.detach().cpu().numpy()
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise InvalidInputError(f"{name} must be a square matrix; got shape {M.shape}")
    return check_finite(M, name)


def wasserstein(A: np.ndarray, B: np.ndarray, compare: str = "eig") -> float:
    """Squared 2-Wasserstein distance (exact EMD, POT) between the eigenvalues (points in the
    complex plane) or singular values of A and B, uniform weights, the smaller set padded with
    zeros: ``min_π Σ π_ij |λᵢ − μⱼ|²`` (dsa-metric's value; no square root)."""
    if compare == "eig":
        points = [np.linalg.eigvals(M) for M in (A, B)]
        points = [np.stack([p.real, p.imag], axis=1) for p in points]
    elif compare == "sv":
        points = [np.linalg.svd(M, compute_uv=False)[:, None] for M in (A, B)]
    else:
        raise InvalidInputError(f"wasserstein_compare={compare!r}; choose 'eig' or 'sv'")
    n = max(len(p) for p in points)
    a, b = (np.pad(p, ((0, n - len(p)), (0, 0))) for p in points)
    weights = np.full(n, 1.0 / n)
    return float(ot.emd2(weights, weights, ot.dist(a, b)))


def _sym_eig_starts(A: np.ndarray, B: np.ndarray) -> list[np.ndarray]:
    """``C = E_A D E_Bᵀ`` from the eigenbases of the symmetric parts, with the signs D chosen
    by greedy coordinate ascent of ``⟨Ã, D B̃ D⟩`` (Ã, B̃: A and B in those bases)."""
    _, EA = np.linalg.eigh((A + A.T) / 2)
    _, EB = np.linalg.eigh((B + B.T) / 2)
    At, Bt = EA.T @ A @ EA, EB.T @ B @ EB
    W = At * Bt + At.T * Bt.T
    d = np.ones(len(A))
    for _ in range(len(A)):
        gains = -2 * d * (W @ d - np.diag(W) * d)  # change of dᵀWd when flipping d_i
        i = int(np.argmax(gains))
        if gains[i] <= 1e-15:
            break
        d[i] = -d[i]
    C = (EA * d) @ EB.T
    flipped = C.copy()
    flipped[:, -1] *= -1
    return [C, flipped]


def _starts(A: np.ndarray, B: np.ndarray, group: str, n_random: int, seed: int) -> np.ndarray:
    n = len(A)
    reflection = np.eye(n)
    if n > 1:
        reflection[[0, 1]] = reflection[[1, 0]]
    rng = np.random.default_rng(seed)
    randoms = [np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(n_random)]
    starts = [np.eye(n), reflection, *_sym_eig_starts(A, B), *randoms]
    if group == "SO(n)":
        starts = [C for C in starts if np.linalg.det(C) > 0]
    return np.stack(starts)


def _cayley(K: torch.Tensor, eye: torch.Tensor) -> torch.Tensor:
    """``(I − K)⁻¹ (I + K)`` for skew K, as ``(I + K)² (I − K²)⁻¹``: the factors commute and
    ``I − K² = I + KᵀK`` is symmetric positive definite, so a Cholesky solve does it without
    pivoting. (Batched LU solves of 200 × 200 matrices fail in torch 2.14's MKL build once
    ``torch.set_num_threads`` has been called — "Parameter 6 was incorrect on entry to
    SLASWP" — and Cholesky is not affected; it also costs about the same.)"""
    K2 = K @ K
    return torch.cholesky_solve(eye + 2 * K + K2, torch.linalg.cholesky(eye - K2))


def _lbfgs_orthogonal(
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    max_iter: int,
    tol: float,
    screen: int,
    keep: int,
    memory: int = 5,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched Riemannian L-BFGS ascent of ``f(C) = tr(Aᵀ C B Cᵀ)`` over O(n).

    ``A``, ``B``: (pairs, 1, n, n); ``C``: starts (pairs, starts, n, n). Returns ``f`` and C
    for every start left (pairs, starts'). The search works on ``Â = Cᵀ A C``: then
    ``f = ⟨Â, B⟩`` and the Riemannian gradient in the Lie algebra is
    ``Ω = skew(Â Bᵀ + Âᵀ B)`` (two products); a step ``R = cay(t D)`` updates
    ``Â ← Rᵀ Â R`` and ``C ← C R``. The direction D is L-BFGS's two-loop recursion on the
    Lie-algebra coordinates of the last ``memory`` steps and gradient changes (the body frame
    makes them comparable across iterates), with Armijo backtracking per start. Every pair and
    start advances in one tensor program; after ``screen`` iterations only the ``keep`` best
    starts of each pair go on (the ranking of starts is settled early).
    """
    eye = torch.eye(A.shape[-1], dtype=A.dtype, device=A.device)
    tiny = torch.finfo(A.dtype).tiny

    def gradient(A_hat: torch.Tensor) -> torch.Tensor:
        M = A_hat @ B.mT + A_hat.mT @ B
        return (M - M.mT) / 2

    def dot(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (x * y).sum(dim=(-2, -1))

    def expand(x: torch.Tensor) -> torch.Tensor:
        return x[..., None, None]

    A_hat = C.mT @ A @ C
    f, g = dot(A_hat, B), gradient(A_hat)
    steps: list[torch.Tensor] = []  # s_k, y_k and 1 / ⟨s_k, y_k⟩ (0 where not kept)
    changes: list[torch.Tensor] = []
    rhos: list[torch.Tensor] = []
    gamma = 1 / (dot(g, g).sqrt() * 10).clamp_min(1e-30)  # first step ‖tD‖ = 0.1
    active = torch.ones_like(f, dtype=torch.bool)
    for iteration in range(max_iter):
        if iteration == screen and f.shape[1] > keep:
            top = torch.topk(f, keep, dim=1).indices

            def pick(x: torch.Tensor, top: torch.Tensor = top) -> torch.Tensor:
                index = top.reshape(*top.shape, *([1] * (x.dim() - 2)))
                return torch.gather(x, 1, index.expand(*top.shape, *x.shape[2:]))

            A_hat, C, f, g, gamma, active = map(pick, (A_hat, C, f, g, gamma, active))
            steps, changes, rhos = ([pick(x) for x in h] for h in (steps, changes, rhos))
        active &= dot(g, g).sqrt() >= tol
        if not bool(active.any()):
            break
        q, alphas = g.clone(), []
        for s, y, rho in zip(reversed(steps), reversed(changes), reversed(rhos), strict=True):
            alphas.append(rho * dot(s, q))
            q -= expand(alphas[-1]) * y
        D = expand(gamma) * q
        for s, y, rho, alpha in zip(steps, changes, rhos, reversed(alphas), strict=True):
            D += expand(alpha - rho * dot(y, D)) * s
        slope = dot(g, D)
        # keep an ascent direction (a non-finite one can come from round-off in float32)
        D = torch.where(expand((slope > 0) & slope.isfinite()), D, expand(gamma) * g)
        slope = dot(g, D)
        t = torch.ones_like(f)
        for _ in range(40):  # Armijo backtracking, per start
            R = _cayley(expand(t / 2) * D, eye)
            A_new = R.mT @ A_hat @ R
            f_new = dot(A_new, B)
            ok = (f_new >= f + 1e-4 * t * slope) | ~active
            if bool(ok.all()):
                break
            t = torch.where(ok, t, t / 2)
        moved = active & (f_new > f)
        active &= moved  # no ascent left at round-off: this start has converged
        g_new = gradient(A_new)
        s, y = expand(t) * D, g - g_new
        sy = dot(s, y)
        # curvature pairs with ⟨s, y⟩ at round-off level would give 1/⟨s, y⟩ overflow
        kept = moved & (sy > torch.finfo(sy.dtype).eps * (dot(s, s) * dot(y, y)).sqrt())
        steps.append(torch.where(expand(kept), s, 0))
        changes.append(torch.where(expand(kept), y, 0))
        rhos.append(torch.where(kept, 1 / sy.clamp_min(tiny), 0))
        gamma = torch.where(kept, sy / dot(y, y).clamp_min(tiny), gamma)
        if len(steps) > memory:
            del steps[0], changes[0], rhos[0]
        if bool(moved.all()):
            A_hat, C, f, g = A_new, C @ R, f_new, g_new
        else:
            m = expand(moved)
            A_hat, C = torch.where(m, A_new, A_hat), torch.where(m, C @ R, C)
            f, g = torch.where(moved, f_new, f), torch.where(m, g_new, g)
    return f, C


def _optimise_orthogonal(
    A: np.ndarray,
    B: np.ndarray,
    starts: np.ndarray,
    max_iter: int,
    tol: float,
    screen: int = 50,
    keep: int = 2,
    polish_iter: int = 50,
    device: str | torch.device = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``f = tr(Aᵀ C B Cᵀ)`` and its C for each pair, from a batch of starts.

    ``A``, ``B``: (pairs, n, n); ``starts``: (pairs, starts, n, n), all float64. Operators of
    64 × 64 and more are searched in float32 (half the cost of every product, and float32 is
    what dsa-metric computes in); the best C is then projected on O(n) (polar factor) and
    polished in float64, so the returned value and C are float64-exact. float32 resolves
    ``f`` to ~6e-8, i.e. angles to ~1e-5 at 0.01 but not below ~3e-4 near 0: pairs whose
    float32 angle is under 0.01 get up to ``polish_iter`` float64 iterations (distances of
    ~1e-8 stay resolvable), the others 5. Smaller operators are searched in float64.
    """
    search = torch.float32 if A.shape[-1] >= 64 else torch.float64

    def tensor(M: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.from_numpy(M).to(device=device, dtype=dtype)

    A64, B64 = tensor(A, torch.float64)[:, None], tensor(B, torch.float64)[:, None]
    f, C = _lbfgs_orthogonal(
        A64.to(search), B64.to(search), tensor(starts, search), max_iter, tol, screen, keep
    )
    rows = torch.arange(len(A), device=f.device)
    best = torch.argmax(f, dim=1)
    f, C = f[rows, best].to(torch.float64), C[rows, best].to(torch.float64)
    if search != torch.float64:
        U, _, Vh = torch.linalg.svd(C)  # nearest orthogonal matrix
        C = U @ Vh
        near = f > np.cos(0.01)
        for part, iterations in ((near, polish_iter), (~near, 5)):
            if bool(part.any()):
                _, polished = _lbfgs_orthogonal(
                    A64[part], B64[part], C[part][:, None], iterations, tol, iterations, 1
                )
                C[part] = polished[:, 0]
    f = (A64[:, 0] * (C @ B64[:, 0] @ C.mT)).sum(dim=(-2, -1))
    return f.cpu().numpy(), C.cpu().numpy()


def _score_from_cos(cos: float, score_method: str) -> float:
    """``arccos(cos)`` (angular) or ``sqrt(2 − 2 cos)`` (euclidean, unit-norm operators), the
    cosine clipped to [−1, 1]."""
    if score_method == "angular":
        return float(angle(cos))
    return float(np.sqrt(max(2 - 2 * min(max(cos, -1.0), 1.0), 0.0)))


def _general_objective(A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, score_method: str):
    """``1 − cos`` (angular) or ``‖A − C B C⁻¹‖²`` (euclidean) as a differentiable tensor."""
    M = C @ torch.linalg.solve(C.mT, B.mT).mT  # C B C⁻¹
    if score_method == "angular":
        return 1 - (A * M).sum() / (M.norm() * A.norm())
    return (A - M).pow(2).sum()


def _lbfgs_general(A: torch.Tensor, B: torch.Tensor, start: np.ndarray, score_method: str):
    """One L-BFGS run over invertible C from ``start``; returns (score, C)."""
    C = torch.from_numpy(start.copy()).requires_grad_(True)
    opt = torch.optim.LBFGS([C], max_iter=500, tolerance_grad=1e-12, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        out = _general_objective(A, B, C, score_method)
        out.backward()
        return out

    opt.step(closure)
    with torch.no_grad():
        value = float(_general_objective(A, B, C, score_method))
    if score_method == "angular":
        return _score_from_cos(1 - value, "angular"), C.detach().numpy()
    return float(np.sqrt(max(value, 0.0))), C.detach().numpy()


def _optimise_general(
    A: np.ndarray, B: np.ndarray, starts: list[np.ndarray], score_method: str
) -> tuple[float, np.ndarray]:
    """Minimise the score of ``C B C⁻¹`` against A over invertible C (L-BFGS, autograd)."""
    At, Bt = torch.from_numpy(A), torch.from_numpy(B)
    best_score, best_C = np.inf, starts[0]
    for start in starts:
        try:
            score, C = _lbfgs_general(At, Bt, start, score_method)
        except torch.linalg.LinAlgError:  # C became singular on the way
            continue
        if np.isfinite(score) and score < best_score:
            best_score, best_C = score, C
    return best_score, best_C


def _eigenbasis_start(A: np.ndarray, B: np.ndarray) -> np.ndarray | None:
    """``V_A V_B⁻¹`` (real part) with eigenvalues matched by assignment: exact for
    ``A = M B M⁻¹`` with distinct eigenvalues, up to the scaling of each eigenvector."""
    from scipy.optimize import linear_sum_assignment

    la, VA = np.linalg.eig(A)
    lb, VB = np.linalg.eig(B)
    _, cols = linear_sum_assignment(np.abs(la[:, None] - lb[None, :]))
    VB = VB[:, cols]
    C = (VA @ np.linalg.inv(VB)).real if np.linalg.cond(VB) < 1e12 else None
    return C if C is not None and np.linalg.cond(C) < 1e12 else None


class SimilarityTransformDist:
    """``min_C ‖A − C B C⁻¹‖`` over a group, with dsa-metric's arguments.

    Parameters
    ----------
    iters, lr
        Accepted for compatibility and unused: steps come from L-BFGS with backtracking,
        and ``max_iter`` caps them.
    score_method : {"angular", "euclidean", "wasserstein"}
        ``angular = arccos⟨A, C B C⁻¹⟩/(‖A‖‖C B C⁻¹‖)``; ``euclidean = ‖A − C B C⁻¹‖`` on
        unit-norm A and B (dsa-metric 2.0.2's convention; on the raw operators for GL(n),
        whose conjugations keep eigenvalues, not norms); ``wasserstein``: see
        :func:`wasserstein` (no optimisation; also used for operators of different sizes).
    group : {"O(n)", "SO(n)", "GL(n)"}
    wasserstein_compare : {"eig", "sv"}
    n_random : int, optional
        Random starts besides the four structured ones; default 8 for operators up to
        32 × 32 (where they are cheap and local optima common), else 0: on the DSA benchmark's
        200 × 200 operators the best of the structured starts after 50 iterations ended as
        low as the random ones, and each start costs as much as the whole rest.
    tol, max_iter
        A start stops when the Riemannian gradient norm is below ``tol`` (or no ascent is
        left) or after ``max_iter`` iterations; after 50, only the 2 best starts go on.
        Operators of 64 × 64 and more are then polished in float64 (see
        ``_optimise_orthogonal``).
    seed : int
        Seed of the random starts (results are deterministic for a seed).
    """

    def __init__(
        self,
        iters: int = 200,
        score_method: ScoreMethod = "angular",
        lr: float = 0.01,
        device: str = "cpu",
        verbose: bool = False,
        group: Group = "O(n)",
        wasserstein_compare: str = "eig",
        n_random: int | None = None,
        seed: int = 0,
        tol: float = 1e-9,
        max_iter: int = 150,
    ) -> None:
        if score_method not in SCORES:
            raise InvalidInputError(f"score_method={score_method!r}; choose one of {SCORES}")
        if group not in GROUPS:
            raise InvalidInputError(f"group={group!r}; choose one of {GROUPS}")
        self.iters = iters
        self.score_method = score_method
        self.lr = lr
        self.device = device
        self.verbose = verbose
        self.group = group
        self.wasserstein_compare = wasserstein_compare
        self.n_random = n_random
        self.seed = seed
        self.tol = tol
        self.max_iter = max_iter

    def fit(
        self,
        A: Any,
        B: Any,
        iters: int | None = None,
        lr: float | None = None,
        score_method: ScoreMethod | None = None,
        group: Group | None = None,
    ) -> SimilarityTransformDist:
        """Find the best C; sets ``C_star`` and ``score_``. ``score_method`` and ``group``
        override the constructor's (dsa-metric's signature); ``iters`` and ``lr`` are
        accepted and unused."""
        if score_method is not None:
            self.score_method = score_method
        if group is not None:
            self.group = group
        A, B = _as_operator(A, "A"), _as_operator(B, "B")
        if self.score_method == "wasserstein" or A.shape != B.shape:
            if self.score_method != "wasserstein":
                raise ShapeMismatchError(
                    f"operators of shapes {A.shape} and {B.shape} can only be compared with "
                    "score_method='wasserstein'"
                )
            self.C_star = None
            self.score_ = wasserstein(A, B, self.wasserstein_compare)
            return self
        ((cos,), (C,)) = self._orthogonal_search([(A, B)])
        self.C_star, self.score_ = C, _score_from_cos(cos, self.score_method)
        if self.group == "GL(n)":
            norm_a, norm_b = np.linalg.norm(A), np.linalg.norm(B)
            A, B = A / norm_a, B / norm_b
            # Conjugation keeps eigenvalues, not norms: under GL(n) the euclidean score is
            # taken on the raw operators (as dsa-metric 1.0.2, the version with GL(n)).
            if self.score_method == "euclidean":
                A, B = A * norm_a, B * norm_b
                self.score_ = float(np.linalg.norm(A - C @ B @ C.T))
            general = [C] + [s for s in [_eigenbasis_start(A, B)] if s is not None]
            score, C_gl = _optimise_general(A, B, general, self.score_method)
            if score < self.score_:
                self.C_star, self.score_ = C_gl, score
        return self

    def _orthogonal_search(
        self, pairs: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``cos = ⟨A, C B Cᵀ⟩`` (unit-norm A, B) and its C over O(n) or SO(n), for pairs
        of equal-size operators, all in one batch."""
        firsts, seconds, swaps, starts = [], [], [], []
        group = "SO(n)" if self.group == "SO(n)" else "O(n)"
        for A, B in pairs:
            norm_a, norm_b = np.linalg.norm(A), np.linalg.norm(B)
            if norm_a == 0 or norm_b == 0:
                raise InvalidInputError("an operator is all zeros; its angle is undefined")
            A, B = A / norm_a, B / norm_b
            # d(A, B) at C is d(B, A) at Cᵀ: searching in a canonical order makes the result
            # symmetric exactly, not only up to the optimiser's tolerance
            swap = A.tobytes() > B.tobytes()
            first, second = (B, A) if swap else (A, B)
            n_random = self.n_random if self.n_random is not None else (8 if len(A) <= 32 else 0)
            firsts.append(first)
            seconds.append(second)
            swaps.append(swap)
            starts.append(_starts(first, second, group, n_random, self.seed))
        cos, C = _optimise_orthogonal(
            np.stack(firsts),
            np.stack(seconds),
            np.stack(starts),
            self.max_iter,
            self.tol,
            device=torch.device(self.device),
        )
        C = np.where(np.asarray(swaps)[:, None, None], C.transpose(0, 2, 1), C)
        return cos, C

    def fit_score_many(
        self, pairs: list[tuple[Any, Any]], batch_bytes: int | None = None
    ) -> np.ndarray:
        """Distances of many operator pairs at once (one batched search per chunk of pairs
        of one size, about ``batch_bytes`` of search state each); equal to ``fit_score`` pair
        by pair. GL(n), Wasserstein and pairs of different sizes go pair by pair.

        The default chunk is 16 MiB on CPU, where a search state larger than the caches makes
        every element-wise step memory-bound (all 45 pairs of 200 × 200 operators in one
        batch ran 1.7× slower per pair than pair by pair), and 1 GiB on a GPU, which needs
        large batches to be busy."""
        if batch_bytes is None:
            batch_bytes = 2**30 if torch.device(self.device).type == "cuda" else 2**24
        ops = [(_as_operator(A, "A"), _as_operator(B, "B")) for A, B in pairs]
        out = np.empty(len(ops))
        batched = [
            k
            for k, (A, B) in enumerate(ops)
            if self.score_method != "wasserstein" and self.group != "GL(n)" and A.shape == B.shape
        ]
        for k in sorted(set(range(len(ops))) - set(batched)):
            out[k] = self.fit_score(*ops[k])
        by_size: dict[int, list[int]] = {}
        for k in batched:
            by_size.setdefault(len(ops[k][0]), []).append(k)
        for n, ks in by_size.items():
            per_pair = 6 * 20 * n * n * 8  # starts × (C, Â, gradients, history) × float64
            chunk = max(1, batch_bytes // per_pair)
            for lo in range(0, len(ks), chunk):
                part = ks[lo : lo + chunk]
                cos, _ = self._orthogonal_search([ops[k] for k in part])
                out[part] = [_score_from_cos(float(c), self.score_method) for c in cos]
        return out

    def score(
        self,
        A: Any = None,
        B: Any = None,
        score_method: ScoreMethod | None = None,
        group: Group | None = None,
    ) -> float:
        """The score of the last fit (or fit ``A``, ``B`` first when given)."""
        if A is not None and B is not None:
            self.fit(A, B, score_method=score_method, group=group)
        if not hasattr(self, "score_"):
            raise NotFittedError("call fit(A, B) (or pass A and B) before score()")
        return self.score_

    def fit_score(self, A: Any, B: Any, *args: Any, **kwargs: Any) -> float:
        """Fit (the arguments of :meth:`fit`) and return the distance (a float)."""
        return self.fit(A, B, *args, **kwargs).score_
