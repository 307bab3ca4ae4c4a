"""HAVOK dynamic mode decomposition on delay embeddings (dsa-metric's ``DMD``).

``embed_signal_torch`` is re-exported here, where dsa-metric defines it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from repgeom.dsa.embedding import as_series, delay_embed, embed_signal_torch
from repgeom.errors import InvalidInputError

__all__ = ["DMD", "embed_signal_torch", "select_rank"]


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
    positive. ``A_havok_dmd = U_r S_r A_v S_r⁻¹ U_rᵀ`` is the same operator on the delay
    embedding itself (``h(t+1) ≈ A_havok_dmd h(t)``).

    The constructor only records the settings (dsa-metric's names and defaults, which
    :class:`~repgeom.dsa.DSA` reads from its ``dmds`` before fitting); :meth:`fit` does the
    work.
    """

    def __init__(
        self,
        data: Any = None,
        n_delays: int = 1,
        delay_interval: int = 1,
        rank: int | None = None,
        rank_thresh: float | None = None,
        rank_explained_variance: float | None = None,
        reduced_rank_reg: bool = False,
        lamb: float = 1e-8,
        device: str = "cpu",
        verbose: bool = False,
        send_to_cpu: bool = False,
        steps_ahead: int = 1,
    ) -> None:
        self.data = data
        self.n_delays = n_delays
        self.delay_interval = delay_interval
        self.rank = rank
        self.rank_thresh = rank_thresh
        self.rank_explained_variance = rank_explained_variance
        self.rank_args = (rank, rank_thresh, rank_explained_variance)
        self.reduced_rank_reg = reduced_rank_reg
        self.lamb = lamb
        self.steps_ahead = steps_ahead
        self.device = device
        self.verbose = verbose
        self.send_to_cpu = send_to_cpu
        self.H: np.ndarray | None = None
        self.A_v: np.ndarray | None = None
        self.A_havok_dmd: np.ndarray | None = None

    def compute_hankel(
        self, data: Any = None, n_delays: int | None = None, delay_interval: int | None = None
    ) -> np.ndarray:
        """The delay embedding ``H`` (sets and returns it); arguments override the
        constructor's (dsa-metric's signature)."""
        if data is not None:
            self.data = data
        if self.data is None:
            raise InvalidInputError("no data: pass it to DMD(...), fit(data) or compute_hankel")
        self.n_delays = self.n_delays if n_delays is None else n_delays
        self.delay_interval = self.delay_interval if delay_interval is None else delay_interval
        self.H = delay_embed(as_series(self.data), self.n_delays, self.delay_interval)
        return self.H

    def fit(
        self,
        data: Any = None,
        n_delays: int | None = None,
        delay_interval: int | None = None,
        rank: int | None = None,
        rank_thresh: float | None = None,
        rank_explained_variance: float | None = None,
        lamb: float | None = None,
        device: str | None = None,
        verbose: bool | None = None,
        steps_ahead: int | None = None,
    ) -> DMD:
        """Embed, decompose and regress; sets ``H``, ``U``, ``S``, ``V``, ``rank``, ``A_v`` and
        ``A_havok_dmd``. Arguments override the constructor's (dsa-metric's signature); a
        rank above the embedding's dimensions is lowered to them with a warning (dsa-metric
        lowers it silently)."""
        if any(r is not None for r in (rank, rank_thresh, rank_explained_variance)):
            self.rank_args = (rank, rank_thresh, rank_explained_variance)
            self.rank, self.rank_thresh, self.rank_explained_variance = self.rank_args
        self.lamb = self.lamb if lamb is None else lamb
        self.device = self.device if device is None else device
        self.verbose = self.verbose if verbose is None else verbose
        self.steps_ahead = self.steps_ahead if steps_ahead is None else steps_ahead
        H = self.compute_hankel(data, n_delays, delay_interval)
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
        self.U, self.S, self.V = U, S, V
        rank_args = self._clipped_rank_args(S.size)
        if self.reduced_rank_reg:
            gram = Vm.T @ Vm + self.lamb * np.eye(V.shape[1])
            B = np.linalg.solve(gram, Vm.T @ Vp)
            M = (Vp.T @ Vm) @ B
            eigenvalues, W = np.linalg.eigh((M + M.T) / 2)
            eigenvalues, W = eigenvalues[::-1], W[:, ::-1]
            self.rank = select_rank(eigenvalues, *rank_args)
            self.A_v = B @ W[:, : self.rank] @ W[:, : self.rank].T
        else:
            self.rank = select_rank(S, *rank_args)
            r = self.rank
            gram = Vm[:, :r].T @ Vm[:, :r] + self.lamb * np.eye(r)
            self.A_v = np.linalg.solve(gram, Vm[:, :r].T @ Vp[:, :r]).T
        r = self.A_v.shape[0]
        self.A_havok_dmd = (U[:, :r] * S[:r]) @ self.A_v @ (U[:, :r] / S[:r]).T
        if self.send_to_cpu:
            self.all_to_device("cpu")
        return self

    def _clipped_rank_args(self, available: int) -> tuple:
        rank, rank_thresh, rank_explained_variance = self.rank_args
        if rank is not None and rank > available:
            warnings.warn(
                f"rank={rank} but the delay embedding has only {available} dimensions "
                f"(n_delays × dims); using rank={available}, as dsa-metric does",
                stacklevel=3,
            )
            rank = available
        return rank, rank_thresh, rank_explained_variance

    def all_to_device(self, device: str = "cpu") -> None:
        """Every fitted array as a torch tensor on ``device`` (dsa-metric keeps its fitted
        attributes as tensors; repgeom computes in float64 numpy and converts on request)."""
        for key, value in list(vars(self).items()):
            if isinstance(value, np.ndarray):
                setattr(self, key, torch.as_tensor(value, device=device))
            elif isinstance(value, torch.Tensor):
                setattr(self, key, value.to(device))
