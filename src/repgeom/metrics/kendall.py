"""Kendall's tau-a and tau-b for many RDMs against many, compiled.

rsatoolbox (and scipy) compute each pair from scratch: two lexsorts, two rankings and a
merge-sort count of discordant pairs. For a stack against a stack we rank each RDM once,
sort by each row RDM once, and run only the per-pair work, ``O(m log m)`` for ``m`` entries,
in one compiled loop over pairs that runs on every core. The numba kernel is ours because no
library exposes a discordant-pair count: scipy's is a private helper behind ``kendalltau``.

With ``n₀ = m(m−1)/2`` pairs of entries, ``n₁``/``n₂`` pairs tied in a / in b, ``n₃`` tied in
both and ``n_d`` discordant pairs, ``S = n_c − n_d = n₀ − n₁ − n₂ + n₃ − 2 n_d``;
``τ_a = S / n₀`` and ``τ_b = S / sqrt((n₀ − n₁)(n₀ − n₂))``.
"""

from __future__ import annotations

import numba
import numpy as np

from repgeom.metrics.ranks import dense_ranks


def _tied_pairs(ranks: np.ndarray) -> np.ndarray:
    """Number of tied pairs ``Σ t(t−1)/2`` of each row of dense ranks."""
    counts = [np.bincount(row) for row in ranks]
    return np.array([float(np.sum(c * (c - 1) // 2)) for c in counts])


@numba.njit(cache=True)
def _discordant(values: np.ndarray, buffer: np.ndarray) -> int:
    """Pairs ``i < j`` with ``values[i] > values[j]`` (strict), by bottom-up merge sort;
    ``values`` ends sorted."""
    n = values.size
    count = 0
    width = 1
    src, dst = values, buffer
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:  # branch-free: random data mispredicts branches
                x, y = src[i], src[j]
                right = y < x
                dst[k] = y if right else x
                count += (mid - i) if right else 0
                j += right
                i += 1 - right
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
        src, dst = dst, src
        width *= 2
    return count


@numba.njit(parallel=True, cache=True)
def _concordance(ranks_a, order_a, ranks_b, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """``S = n_c − n_d`` and the joint ties ``n₃`` for the pairs (row ``rows[p]`` of a, row
    ``cols[p]`` of b)."""
    m = ranks_a.shape[1]
    S = np.zeros((ranks_a.shape[0], ranks_b.shape[0]))
    joint = np.zeros_like(S)
    for pair in numba.prange(rows.size):
        i, j = rows[pair], cols[pair]
        a = ranks_a[i][order_a[i]]
        b = ranks_b[j][order_a[i]]
        # sort b inside each tie group of a, and count pairs tied in both
        tied_both = 0
        start = 0
        for stop in range(1, m + 1):
            if stop == m or a[stop] != a[start]:
                if stop - start > 1:
                    b[start:stop] = np.sort(b[start:stop])
                    run = 1
                    for t in range(start + 1, stop + 1):
                        if t < stop and b[t] == b[t - 1]:
                            run += 1
                        else:
                            tied_both += run * (run - 1) // 2
                            run = 1
                start = stop
        joint[i, j] = tied_both
        S[i, j] = -2.0 * _discordant(b, np.empty_like(b))
    return S, joint


def kendall_matrix(A: np.ndarray, B: np.ndarray, variant: str = "a") -> np.ndarray:
    """Kendall's tau (``variant`` "a" or "b") of every row of ``A`` with every row of ``B``.

    Rows hold NaN-free RDM entries; a row with all entries tied gives 0 (as rsatoolbox).
    """
    ranks_a = dense_ranks(A)
    ranks_b = ranks_a if B is A else dense_ranks(B)
    order_a = np.argsort(ranks_a, axis=1, kind="stable")
    m = A.shape[1]
    n0 = m * (m - 1) / 2
    ties_a, ties_b = _tied_pairs(ranks_a), _tied_pairs(ranks_b)
    # τ is symmetric: a stack against itself needs only the upper triangle
    rows, cols = np.triu_indices(len(A)) if B is A else np.indices((len(A), len(B))).reshape(2, -1)
    S, joint = _concordance(ranks_a, order_a, ranks_b, rows, cols)
    if B is A:
        S, joint = S + np.triu(S, 1).T, joint + np.triu(joint, 1).T
    S += n0 - ties_a[:, None] - ties_b[None, :] + joint
    if variant == "a":
        denom = np.full(S.shape, n0)
    else:
        denom = np.sqrt(np.outer(n0 - ties_a, n0 - ties_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(denom > 0, S / denom, 0.0)
    return np.clip(tau, -1.0, 1.0)
