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
from repgeom.errors import InvalidInputError, NotFittedError
from repgeom.metrics._validation import check_kwargs
from repgeom.metrics.pairwise import Pair, Scorer, as_data, fill_symmetric

log = logging.getLogger(__name__)


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


#: dsa-metric's DMD keyword arguments that :class:`DSA` forwards, each broadcast per system.
DMD_PARAMS: tuple[str, ...] = (
    "n_delays",
    "delay_interval",
    "rank",
    "rank_thresh",
    "rank_explained_variance",
    "reduced_rank_reg",
    "lamb",
    "send_to_cpu",
    "steps_ahead",
)
#: :class:`DSA`'s own parameters besides the data (named in the TypeError for others).
_DSA_OWN_PARAMS: tuple[str, ...] = (
    "dmd_class",
    "device",
    "verbose",
    "n_jobs",
    "score_method",
    "iters",
    "lr",
    "group",
    "wasserstein_compare",
    "progress",
)


def _is_array(data: Any) -> bool:
    return hasattr(data, "shape") and not isinstance(data, (list, tuple))


def broadcast_param(value: Any, sizes: Sequence[int]) -> list[list[Any]]:
    """One value per system, dsa-metric's way: ``[[x₁ … x_Nx], [y₁ … y_Ny]]`` for the
    systems of ``X`` (and ``Y``, when ``sizes`` has two entries).

    - a single value (number, string, None) applies to every system;
    - with one set of systems, a list or tuple of at least ``Nx`` values gives one per system;
    - otherwise a list or tuple of one or two entries gives ``X``'s systems the first and
      ``Y``'s the second, each a single value (for all of that side's systems) or a list of at
      least that side's count (one per system).

    Raises
    ------
    InvalidInputError
        For any other shape of ``value``.
    """
    if not isinstance(value, (list, tuple, np.ndarray)):
        return [[value] * n for n in sizes]
    if len(sizes) == 1 and len(value) >= sizes[0]:
        return [list(value[: sizes[0]])]
    if not 1 <= len(value) <= 2 or len(value) < len(sizes):
        raise InvalidInputError(
            f"per-system parameter {value!r}: give one value, one per system, or one entry "
            f"(value or list) for each of X's {sizes[0]} systems"
            + (f" and Y's {sizes[1]}" if len(sizes) > 1 else "")
        )
    out = []
    for side, n in zip(value, sizes, strict=False):
        if isinstance(side, (list, tuple, np.ndarray)):
            if len(side) < n:
                raise InvalidInputError(f"per-system parameter {side!r}: need {n} values")
            out.append(list(side[:n]))
        else:
            out.append([side] * n)
    return out


class DSA:
    """Dynamical similarity (Ostrow et al. 2023) with dsa-metric 2.0's arguments.

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

    Parameters
    ----------
    X, Y
        Systems (see above); ``X=None`` with a list ``Y`` swaps them, as dsa-metric.
    dmd_class
        Only the HAVOK :class:`~repgeom.dsa.dmd.DMD` (the default; ``None`` means it).
    device, verbose, n_jobs
        dsa-metric's; the search runs on ``device``; ``n_jobs`` is accepted (pairs are
        batched instead).
    score_method, iters, lr
        :class:`~repgeom.dsa.simdist.SimilarityTransformDist`'s (``iters`` and ``lr`` are
        accepted for compatibility; the optimiser needs neither).
    group, wasserstein_compare, progress
        repgeom's additions: the group searched, the spectra compared by ``wasserstein``, and
        a log line per batch.
    **dmd_kwargs
        :data:`DMD_PARAMS` (``n_delays``, ``rank``, ...), each a single value or per-system
        values broadcast by :func:`broadcast_param`; any other keyword raises
        :class:`TypeError` naming the accepted ones.

    Attributes
    ----------
    dmds : list of lists of DMD
        ``dmds[0]``: one DMD per system of ``X``; ``dmds[1]``: of ``Y`` (when given). Built
        unfitted by the constructor (their ``n_delays``, ``rank``, ... are the per-system
        settings), fitted by :meth:`fit`.

    Notes
    -----
    ``fit_score()`` returns a float for two single systems, a symmetric K × K array with zero
    diagonal for a list (``Y=None``), a ``(len(X),)`` or ``(len(Y),)`` array when one side is
    a single system (dsa-metric's one-to-many and many-to-one shapes), and a
    ``len(X) × len(Y)`` array for two lists (dsa-metric would also squeeze a list of one).
    """

    def __init__(
        self,
        X: Any,
        Y: Any = None,
        dmd_class: type | None = None,
        device: str = "cpu",
        verbose: bool = False,
        n_jobs: int = 1,
        score_method: str = "wasserstein",
        iters: int = 1500,
        lr: float = 5e-3,
        group: str = "O(n)",
        wasserstein_compare: str = "eig",
        progress: bool | None = None,
        **dmd_kwargs: Any,
    ) -> None:
        check_kwargs("DSA", dmd_kwargs, (*DMD_PARAMS, *_DSA_OWN_PARAMS))
        if dmd_class not in (None, DMD):
            raise InvalidInputError(f"dmd_class={dmd_class!r}: only the HAVOK DMD is provided")
        if X is None and isinstance(Y, (list, tuple)):
            X, Y = Y, None
        self.X, self.Y = X, Y
        self.device, self.verbose, self.n_jobs = device, verbose, n_jobs
        self.scorer = DSAScorer(
            iters=iters,
            score_method=score_method,
            lr=lr,
            group=group,
            wasserstein_compare=wasserstein_compare,
            device=device,
            verbose=verbose,
            progress=progress,
        )
        self.simdist = self.scorer.simdist
        sides = [self._systems(X)] + ([] if Y is None else [self._systems(Y)])
        sizes = [len(side) for side in sides]
        self.dmd_config = {
            key: broadcast_param(dmd_kwargs[key], sizes) for key in DMD_PARAMS if key in dmd_kwargs
        }
        for key, values in self.dmd_config.items():
            setattr(self, key, values)  # e.g. self.n_delays = [[10, 20], [5]], as dsa-metric
        self.dmd_kwargs = dmd_kwargs
        self.dmds = [
            [
                DMD(data, device=device, **{k: v[i][j] for k, v in self.dmd_config.items()})
                for j, data in enumerate(side)
            ]
            for i, side in enumerate(sides)
        ]

    @staticmethod
    def _systems(data: Any) -> list[Any]:
        return list(data) if isinstance(data, (list, tuple)) else [data]

    def fit(self) -> DSA:
        """Fit the DMD of every system (``dmds``), once."""
        for side in self.dmds:
            for dmd in side:
                dmd.fit()
        self._fitted = True
        return self

    def score(self) -> float | np.ndarray:
        """Distances among the fitted systems (see the Notes for the shape)."""
        if not getattr(self, "_fitted", False):
            raise NotFittedError("call fit() before score(), or use fit_score()")
        xs = self.dmds[0]
        if len(self.dmds) == 1:
            K = len(xs)
            pairs = list(combinations(range(K), 2))
            values = self.scorer.score_dmds([(xs[i], xs[j]) for i, j in pairs])
            D = fill_symmetric(np.zeros((K, K)), pairs, values)
            return D if isinstance(self.X, (list, tuple)) else 0.0
        ys = self.dmds[1]
        pairs = list(product(range(len(xs)), range(len(ys))))
        values = self.scorer.score_dmds([(xs[i], ys[j]) for i, j in pairs])
        D = np.asarray(values, dtype=float).reshape(len(xs), len(ys))
        x_one, y_one = _is_array(self.X), _is_array(self.Y)
        if x_one and y_one:
            return float(D[0, 0])
        if x_one:
            return D[0]
        if y_one:
            return D[:, 0]
        return D

    def fit_score(self) -> float | np.ndarray:
        """:meth:`fit`, then :meth:`score`."""
        return self.fit().score()
