"""Dynamical similarity analysis of many systems: DMD once per system, then every pair.

:class:`DSAScorer` is DSA as a :class:`~repgeom.metrics.pairwise.Scorer` (the registry's
``dsa``): ``prepare`` fits a system's DMD once, pairs are scored in batched searches.
:class:`DSA` is dsa-metric's interface on top of it. The labelled ``rep_a`` × ``rep_b`` result
(:func:`repgeom.comparisons.dsa_distances`) lives outside the math.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from itertools import combinations, product
from typing import Any

import numpy as np

from repgeom.dsa.dmd import DMD
from repgeom.dsa.simdist import SimilarityTransformDist
from repgeom.errors import NotFittedError
from repgeom.metrics.pairwise import Pair, Scorer, as_data, fill_symmetric

log = logging.getLogger(__name__)


def _is_collection(data: Any) -> bool:
    return isinstance(data, (list, tuple))


class DSAScorer(Scorer):
    """DSA for the pairwise engine: the HAVOK DMD operator ``A`` of each system once, then
    ``min_{C ∈ group} score(A_X, C A_Y C⁻¹)`` per pair (batched; see
    :meth:`SimilarityTransformDist.fit_score_many`). Parameters are :class:`DSA`'s."""

    def __init__(
        self,
        n_delays: int = 1,
        delay_interval: int = 1,
        rank: int | None = None,
        rank_thresh: float | None = None,
        rank_explained_variance: float | None = None,
        lamb: float = 1e-8,
        reduced_rank_reg: bool = False,
        iters: int = 1500,
        score_method: str = "wasserstein",
        lr: float = 5e-3,
        group: str = "O(n)",
        wasserstein_compare: str = "eig",
        device: str = "cpu",
        verbose: bool = False,
        progress: bool | None = None,
    ) -> None:
        self.dmd_kwargs = {
            "n_delays": n_delays,
            "delay_interval": delay_interval,
            "rank": rank,
            "rank_thresh": rank_thresh,
            "rank_explained_variance": rank_explained_variance,
            "lamb": lamb,
            "reduced_rank_reg": reduced_rank_reg,
        }
        self.simdist = SimilarityTransformDist(
            iters=iters,
            score_method=score_method,
            lr=lr,
            group=group,
            wasserstein_compare=wasserstein_compare,
            device=device,
        )
        self.progress = verbose if progress is None else progress

    def prepare(self, rep: Any) -> DMD:
        """The fitted DMD of one system (time × dims, or trials × time × dims)."""
        return DMD(as_data(rep).features, **self.dmd_kwargs).fit()

    def score(self, a: DMD, b: DMD) -> float:
        return float(self.score_dmds([(a, b)])[0])

    def score_dmds(self, pairs: Sequence[tuple[DMD, DMD]]) -> np.ndarray:
        """Distances of many DMD pairs in batched searches."""
        if self.progress:
            log.info("DSA: %d pairs", len(pairs))
        return self.simdist.fit_score_many([(a.A_v, b.A_v) for a, b in pairs])

    def score_pairs(
        self, prepared: Mapping[int, DMD], pairs: Sequence[Pair], **_: Any
    ) -> np.ndarray:
        return self.score_dmds([(prepared[i], prepared[j]) for i, j in pairs])


class DSA:
    """Dynamical similarity (Ostrow et al. 2023) with dsa-metric 2.0.2's arguments.

    ``d(X, Y) = min_{C ∈ group} score(A_X, C A_Y C⁻¹)`` where ``A_X`` is the HAVOK DMD operator
    of system X (:class:`~repgeom.dsa.dmd.DMD`) and the score is that of
    :class:`~repgeom.dsa.simdist.SimilarityTransformDist`. ``X`` is one system (time × dims or
    trials × time × dims) or a list of systems; ``Y`` likewise or None.

    The delay settings decide what "same dynamics" means. With ``n_delays=1`` the operator is
    the one-step linear map of the observed state, so the circle and oval systems of the DSA
    tutorial (conjugate linear maps) are close (angular ≈ 0.001) and the random walk is far
    (≈ 0.095). With ``n_delays=20, delay_interval=10`` and full rank the operator also
    describes how the state covaries over 200 steps, noise included, and circle–oval
    (≈ 0.10) is then no closer than circle–walk (≈ 0.085), although the tutorial's prose says
    the opposite: these are dsa-metric's numbers, and ours match them.

    ``fit_score()`` returns a float for a pair, a symmetric K × K array with zero diagonal for
    a list (``Y=None``), and a len(X) × len(Y) array for two lists. ``iters`` and ``lr`` are
    accepted for compatibility; the optimiser needs neither (see ``simdist``). Any other
    keyword raises :class:`TypeError`.
    """

    def __init__(
        self,
        X: Any,
        Y: Any = None,
        n_delays: int = 1,
        delay_interval: int = 1,
        rank: int | None = None,
        rank_thresh: float | None = None,
        rank_explained_variance: float | None = None,
        lamb: float = 1e-8,
        reduced_rank_reg: bool = False,
        iters: int = 1500,
        score_method: str = "wasserstein",
        lr: float = 5e-3,
        group: str = "O(n)",
        wasserstein_compare: str = "eig",
        device: str = "cpu",
        verbose: bool = False,
        progress: bool | None = None,
    ) -> None:
        self.X, self.Y = X, Y
        self.scorer = DSAScorer(
            n_delays=n_delays,
            delay_interval=delay_interval,
            rank=rank,
            rank_thresh=rank_thresh,
            rank_explained_variance=rank_explained_variance,
            lamb=lamb,
            reduced_rank_reg=reduced_rank_reg,
            iters=iters,
            score_method=score_method,
            lr=lr,
            group=group,
            wasserstein_compare=wasserstein_compare,
            device=device,
            verbose=verbose,
            progress=progress,
        )
        self.dmd_kwargs = self.scorer.dmd_kwargs
        self.simdist = self.scorer.simdist

    def fit(self) -> DSA:
        """DMD of every system, once; sets ``dmds`` (and ``dmds_y``)."""
        xs = self.X if _is_collection(self.X) else [self.X]
        self.dmds = [self.scorer.prepare(x) for x in xs]
        if self.Y is None:
            self.dmds_y = None
        else:
            ys = self.Y if _is_collection(self.Y) else [self.Y]
            self.dmds_y = [self.scorer.prepare(y) for y in ys]
        return self

    def score(self) -> float | np.ndarray:
        """Distances among the fitted systems (see the class docstring for the shape)."""
        if not hasattr(self, "dmds"):
            raise NotFittedError("call fit() before score(), or use fit_score()")
        if self.dmds_y is None:
            K = len(self.dmds)
            pairs = list(combinations(range(K), 2))
            values = self.scorer.score_dmds([(self.dmds[i], self.dmds[j]) for i, j in pairs])
            D = fill_symmetric(np.zeros((K, K)), pairs, values)
            return D if _is_collection(self.X) else 0.0
        D = np.zeros((len(self.dmds), len(self.dmds_y)))
        pairs = list(product(range(len(self.dmds)), range(len(self.dmds_y))))
        values = self.scorer.score_dmds([(self.dmds[i], self.dmds_y[j]) for i, j in pairs])
        for (i, j), value in zip(pairs, values, strict=True):
            D[i, j] = value
        if not _is_collection(self.X) and not _is_collection(self.Y):
            return float(D[0, 0])
        return D

    def fit_score(self) -> float | np.ndarray:
        """:meth:`fit`, then :meth:`score`."""
        return self.fit().score()
