"""HAVOK dynamic mode decomposition on delay embeddings (dsa-metric's ``DMD``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from repgeom.dsa.embedding import as_series, delay_embed
from repgeom.errors import InvalidInputError


def select_rank(
    values: np.ndarray,
    rank: int | None = None,
    rank_thresh: float | None = None,
    rank_explained_variance: float | None = None,
) -> int:
    """Rank from exactly one of the three rules (none given: all ``values``).

    ``rank_thresh``: the number of values ``> thresh`` (at least 1);
    ``rank_explained_variance = ev``: the smallest k with ``Σ_{i≤k} sᵢ² / Σ s² ≥ ev``.
    """
    given = [r is not None for r in (rank, rank_thresh, rank_explained_variance)]
    if sum(given) > 1:
        raise InvalidInputError("give at most one of rank, rank_thresh and rank_explained_variance")
    available = len(values)
    if rank is not None:
        if not 1 <= rank <= available:
            raise InvalidInputError(
                f"rank={rank} but the delay embedding has only {available} dimensions "
                "(n_delays × dims); choose 1 ≤ rank ≤ that, or more delays"
            )
        return int(rank)
    if rank_thresh is not None:
        return max(int(np.sum(values > rank_thresh)), 1)
    if rank_explained_variance is not None:
        cumulative = np.cumsum(values**2) / np.sum(values**2)
        return min(int(np.searchsorted(cumulative, rank_explained_variance)) + 1, available)
    return available


class DMD:
    """HAVOK DMD of one system, with dsa-metric's constructor arguments.

    Notes
    -----
    With ``H`` the delay embedding (trials stacked), the thin SVD ``Hᵀ = U S Vᵀ`` gives unit-norm
    time courses ``V``; ``V₋``/``V₊`` are ``V`` without its last / first time step (within each
    trial). Principal-component regression on the first ``r`` columns:
    ``A_v = ((V₋ᵣᵀV₋ᵣ + λI)⁻¹ V₋ᵣᵀ V₊ᵣ)ᵀ`` (``v(t+1) ≈ A_v v(t)``). Reduced-rank regression
    (``reduced_rank_reg=True``) uses all columns: ``B = (V₋ᵀV₋ + λI)⁻¹V₋ᵀV₊``,
    ``M = V₊ᵀV₋(V₋ᵀV₋ + λI)⁻¹V₋ᵀV₊`` with eigenvectors ``W`` (descending), and
    ``A_v = B W_r W_rᵀ`` (dsa-metric's transposed convention; ranks then count eigenvalues of
    M). Computed in float64 (dsa-metric works in float32), so ``A_v`` is defined up to
    ``D A_v D`` with ``D = diag(±1)``: we fix each column of ``V`` to have its largest entry
    positive.
    """

    def __init__(
        self,
        data: Any,
        n_delays: int = 1,
        delay_interval: int = 1,
        rank: int | None = None,
        rank_thresh: float | None = None,
        rank_explained_variance: float | None = None,
        reduced_rank_reg: bool = False,
        lamb: float = 1e-8,
        device: str = "cpu",
        verbose: bool = False,
        steps_ahead: int = 1,
    ) -> None:
        self.data = data
        self.n_delays = n_delays
        self.delay_interval = delay_interval
        self.rank_args = (rank, rank_thresh, rank_explained_variance)
        self.reduced_rank_reg = reduced_rank_reg
        self.lamb = lamb
        self.steps_ahead = steps_ahead
        self.device = device
        self.verbose = verbose

    def fit(self, data: Any = None) -> DMD:
        """Embed, decompose and regress; sets ``H``, ``U``, ``S``, ``V``, ``rank``, ``A_v``."""
        X = as_series(self.data if data is None else data)
        H = delay_embed(X, self.n_delays, self.delay_interval)
        flat = H.reshape(-1, H.shape[-1])
        if flat.shape[0] < flat.shape[1]:
            raise InvalidInputError(
                f"the delay embedding has {flat.shape[0]} rows but {flat.shape[1]} columns; "
                "use fewer delays or more time points"
            )
        U, S, Vt = np.linalg.svd(flat.T, full_matrices=False)
        signs = np.sign(Vt[np.arange(len(Vt)), np.argmax(np.abs(Vt), axis=1)])
        U, V = U * signs, Vt.T * signs
        trials = V.reshape(H.shape[:-1] + (V.shape[1],))
        if trials.ndim == 2:
            trials = trials[None]
        k = self.steps_ahead
        Vm = trials[:, :-k].reshape(-1, V.shape[1])
        Vp = trials[:, k:].reshape(-1, V.shape[1])
        self.H, self.U, self.S, self.V = H, U, S, V
        if self.reduced_rank_reg:
            gram = Vm.T @ Vm + self.lamb * np.eye(V.shape[1])
            B = np.linalg.solve(gram, Vm.T @ Vp)
            M = (Vp.T @ Vm) @ B
            eigenvalues, W = np.linalg.eigh((M + M.T) / 2)
            eigenvalues, W = eigenvalues[::-1], W[:, ::-1]
            self.rank = select_rank(eigenvalues, *self.rank_args)
            self.A_v = B @ W[:, : self.rank] @ W[:, : self.rank].T
        else:
            self.rank = select_rank(S, *self.rank_args)
            r = self.rank
            gram = Vm[:, :r].T @ Vm[:, :r] + self.lamb * np.eye(r)
            self.A_v = np.linalg.solve(gram, Vm[:, :r].T @ Vp[:, :r]).T
        return self
