"""The pairwise engine: prepare each representation once, then score pairs cheaply.

netrep's ``pairwise_distances`` refits (and re-whitens) both matrices for each of the
K(K−1)/2 pairs. Here every metric is a :class:`Scorer`: :meth:`Scorer.prepare` runs once per
representation (centre and whiten, an RDM, a centred Gram matrix, a DMD, ...) and
:meth:`Scorer.score` compares two prepared representations. :meth:`Scorer.score_pairs` scores
many pairs at once; its default runs :meth:`Scorer.score` on ``n_jobs`` threads, and metrics
override it where batching pays (stack-against-stack RDM comparisons, batched GPU products).

A :class:`~repgeom.blocks.Block` of the K×K matrix can be computed alone, so a workflow can
spread the matrix over jobs and assemble it. netrep-style estimators (``fit``/``score``) are
wrapped by :func:`as_scorer`: those with ``prepare``/``score_prepared`` (``LinearMetric``)
prepare once, the others are refitted per pair.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from repgeom.blocks import Block
from repgeom.errors import InvalidInputError

#: Default memory for one batch of pair products on a device, in bytes.
DEFAULT_BATCH_BYTES = 2 * 2**30

Pair = tuple[int, int]


@dataclass(frozen=True)
class Data:
    """One representation as the math sees it (no labels, no xarray).

    Attributes
    ----------
    features : ndarray of shape (n_stimuli, n_components)
        Rows are stimuli; a reduced store's ``Z = U S`` or raw units.
    row_mean : ndarray of shape (n_stimuli,), optional
        Mean of each raw row over its original units (exact RDMs from a reduced store).
    n_units : int, optional
        Width of the original units.
    samples : ndarray of shape (n_stimuli, n_reps, n_units), optional
        Single trials, for stochastic metrics.
    name : str
        For messages.
    """

    features: Any
    row_mean: np.ndarray | None = None
    n_units: int | None = None
    samples: np.ndarray | None = None
    name: str = "X"


def as_data(rep: Any) -> Data:
    """A :class:`Data` from a plain array or any object with ``features`` (and optionally
    ``row_mean``, ``n_units``, ``samples``), such as :class:`repgeom.representations.
    Representation`."""
    if isinstance(rep, Data):
        return rep
    if hasattr(rep, "features"):
        return Data(
            rep.features,
            getattr(rep, "row_mean", None),
            getattr(rep, "n_units", None),
            getattr(rep, "samples", None),
            str(getattr(rep, "name", "X")),
        )
    return Data(rep)


def take_stimuli(data: Data, idx: np.ndarray) -> Data:
    """The rows ``idx`` of a representation's data (features, row means and trials)."""
    idx = np.asarray(idx)
    return Data(
        data.features[idx],
        None if data.row_mean is None else np.asarray(data.row_mean)[idx],
        data.n_units,
        None if data.samples is None else np.asarray(data.samples)[idx],
        data.name,
    )


def _as_device(device: torch.device | str | None) -> torch.device | None:
    """``None`` stays ``None`` (numpy on this CPU); anything else becomes a torch.device."""
    return None if device is None else torch.device(device)


def fill_symmetric(D: np.ndarray, pairs: Iterable[Pair], values: Iterable[float]) -> np.ndarray:
    """Write ``values`` at ``(i, j)`` and ``(j, i)`` of ``D`` for each pair; returns ``D``.

    Examples
    --------
    >>> fill_symmetric(np.zeros((2, 2)), [(0, 1)], [3.0]).tolist()
    [[0.0, 3.0], [3.0, 0.0]]
    """
    for (i, j), value in zip(pairs, values, strict=True):
        D[i, j] = D[j, i] = value
    return D


def _threaded(
    fn: Callable[[Pair], Any], pairs: Sequence[Pair], n_jobs: int | None, progress: bool | None
) -> list[Any]:
    """``fn(pair)`` for each pair, in order, on ``n_jobs`` threads with one BLAS thread each.

    A pair typically costs one LAPACK call on a small matrix, which parallelises poorly
    inside BLAS but releases the GIL, so pairs run side by side instead (``n_jobs=None``:
    one per core; 1: in this thread with BLAS's own threads).
    """
    n_jobs = (os.cpu_count() or 1) if n_jobs is None else n_jobs
    bar = tqdm(pairs, desc="pairs", unit="pair", disable=None if progress is None else not progress)
    if n_jobs <= 1:
        return [fn(p) for p in bar]
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        return list(pool.map(fn, bar))


def map_pairs(
    score: Callable[[Any, Any], float],
    prepared: Mapping[int, Any],
    pairs: Sequence[Pair],
    *,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """``score(prepared[i], prepared[j])`` for each pair ``(i, j)``, on ``n_jobs`` threads."""
    values = _threaded(lambda p: score(prepared[p[0]], prepared[p[1]]), pairs, n_jobs, progress)
    return np.array(values, dtype=float)


class Scorer:
    """A metric split into a step per representation and a step per pair.

    Subclasses define :meth:`prepare` and :meth:`score`; they may override
    :meth:`score_pairs` (many pairs at once), :meth:`score_block` (rows against columns),
    :meth:`for_set` (settings that depend on the whole set of representations) and
    :meth:`score_split` (train and held-out test values of a pair).
    """

    #: Whether a pair's value fits something (an alignment) that :meth:`score_split` can score
    #: on held-out stimuli; metrics with nothing to fit have the same value on any split.
    fits: bool = False

    def prepare(self, rep: Any) -> Any:
        """The per-representation work, once per representation."""
        raise NotImplementedError

    def score(self, a: Any, b: Any) -> float:
        """The value of one pair of prepared representations."""
        raise NotImplementedError

    def for_set(self, reps: Sequence[Any]) -> Scorer:
        """This scorer, with any setting that depends on all representations resolved."""
        return self

    def score_pairs(
        self,
        prepared: Mapping[int, Any],
        pairs: Sequence[Pair],
        *,
        n_jobs: int | None = None,
        progress: bool | None = None,
        device: torch.device | None = None,
    ) -> np.ndarray:
        """Values of ``pairs`` (indices into ``prepared``), in order."""
        return map_pairs(self.score, prepared, pairs, n_jobs=n_jobs, progress=progress)

    def score_block(self, rows: Sequence[Any], cols: Sequence[Any], **kwargs: Any) -> np.ndarray:
        """The (len(rows), len(cols)) matrix of values, rows against columns."""
        prepared = dict(enumerate([*rows, *cols]))
        pairs = [(i, len(rows) + j) for i in range(len(rows)) for j in range(len(cols))]
        return self.score_pairs(prepared, pairs, **kwargs).reshape(len(rows), len(cols))

    def score_split(self, a: Any, b: Any, test_a: Any, test_b: Any) -> tuple[float, float]:
        """``(train, test)`` values of a pair: aligned on the prepared training data, scored
        on both the training and the held-out test data."""
        raise InvalidInputError(f"{type(self).__name__} does not score held-out test data")

    # -- resampled stimuli (bootstrap samples and permutations, repgeom.inference) ------
    def resampling(self, rep: Any) -> Any:
        """What resamples of ``rep``'s stimuli are prepared from (:meth:`resample`), computed
        once per representation; default: its data."""
        return as_data(rep)

    def resample(self, state: Any, idx: np.ndarray) -> Any:
        """The prepared representation of the stimuli ``idx`` (a bootstrap sample, with
        repeats, or a permutation) of the representation ``state`` was made from
        (:meth:`resampling`); default: :meth:`prepare` those rows anew. Metrics override it
        to index what they prepared instead (an RDM's rows and columns, a Gram matrix)."""
        return self.prepare(take_stimuli(state, idx))

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
        """Values of ``rows`` × ``cols`` on each stimulus resample: (n_samples, R, C).

        Each sample is an index array into the stimuli. Bootstrap (default): both sides take
        the sample's stimuli. ``shuffle_cols``: the rows keep their stimuli and the columns
        take the sample's order (a permutation: the shuffled stimulus correspondence of a
        permutation test). Metrics override it where a batched path pays (RSA).
        """
        # rows keep their stimuli under a permutation: prepared once, never resampled
        fixed = [self.prepare(r) for r in rows] if shuffle_cols else None
        row_states = [] if shuffle_cols else [self.resampling(r) for r in rows]
        col_states = [self.resampling(c) for c in cols]
        out = np.empty((len(samples), len(rows), len(cols)))
        bar = tqdm(samples, desc="resamples", disable=None if progress is None else not progress)
        for k, idx in enumerate(bar):
            R = fixed if fixed is not None else [self.resample(s, idx) for s in row_states]
            C = [self.resample(s, idx) for s in col_states]
            out[k] = self.score_resampled_block(R, C, n_jobs=n_jobs, progress=False)
        return out

    def score_resampled_block(
        self, rows: Sequence[Any], cols: Sequence[Any], **kwargs: Any
    ) -> np.ndarray:
        """:meth:`score_block` of resampled representations, where a metric may take a faster
        path of slightly lower precision (resampling noise dwarfs it); default the same."""
        return self.score_block(rows, cols, **kwargs)


class EstimatorScorer(Scorer):
    """A netrep-style estimator as a :class:`Scorer`.

    With ``prepare``/``score_prepared``/``finalize_fit`` (``LinearMetric``) each representation
    is prepared once and the estimator's own ``score_pairs`` (if any) batches pairs; otherwise
    a fresh copy of the estimator is fitted for each pair (``fit_score``).
    """

    fits = True

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.prepares = hasattr(estimator, "prepare") and hasattr(estimator, "score_prepared")

    def prepare(self, rep: Any) -> Any:
        data = as_data(rep).features
        return self.estimator.prepare(data) if self.prepares else data

    def score(self, a: Any, b: Any) -> float:
        if self.prepares:
            return float(self.estimator.score_prepared(a, b))
        fitted = clone(self.estimator).fit(a, b)
        return float(fitted.score(a, b))

    def score_pairs(
        self,
        prepared: Mapping[int, Any],
        pairs: Sequence[Pair],
        *,
        n_jobs: int | None = None,
        progress: bool | None = None,
        device: torch.device | None = None,
    ) -> np.ndarray:
        if self.prepares and hasattr(self.estimator, "score_pairs"):
            return self.estimator.score_pairs(
                prepared, pairs, n_jobs=n_jobs, progress=progress, device=device
            )
        return super().score_pairs(prepared, pairs, n_jobs=n_jobs, progress=progress)

    def score_resampled_block(
        self, rows: Sequence[Any], cols: Sequence[Any], **kwargs: Any
    ) -> np.ndarray:
        if self.prepares and hasattr(self.estimator, "score_block_prepared"):
            return self.estimator.score_block_prepared(rows, cols)
        return super().score_resampled_block(rows, cols, **kwargs)

    def resampling(self, rep: Any) -> Any:
        if self.prepares and hasattr(self.estimator, "resample_prepared"):
            return self.prepare(rep)
        return super().resampling(rep)

    def resample(self, state: Any, idx: np.ndarray) -> Any:
        if self.prepares and hasattr(self.estimator, "resample_prepared"):
            return self.estimator.resample_prepared(state, idx)
        return super().resample(state, idx)

    def score_split(self, a: Any, b: Any, test_a: Any, test_b: Any) -> tuple[float, float]:
        test_a, test_b = as_data(test_a).features, as_data(test_b).features
        if self.prepares:
            fitted = clone(self.estimator).finalize_fit(a, b)
            return self.score(a, b), float(fitted.score(test_a, test_b))
        fitted = clone(self.estimator).fit(a, b)
        return float(fitted.score(a, b)), float(fitted.score(test_a, test_b))


def as_scorer(metric: Any) -> Scorer:
    """``metric`` itself if it is a :class:`Scorer`, else an :class:`EstimatorScorer`."""
    return metric if isinstance(metric, Scorer) else EstimatorScorer(metric)


def pairwise_matrix(
    metric: Any,
    train: Sequence[Any],
    test: Sequence[Any] | None = None,
    *,
    block: Block | None = None,
    diagonal: bool = False,
    progress: bool | None = None,
    device: torch.device | str | None = None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Symmetric K×K train (and test) matrices of ``metric`` over representations.

    Parameters
    ----------
    metric : Scorer or estimator
        A :class:`Scorer` (a registry entry bound to parameters) or a netrep-style estimator.
    train, test : sequence of length K
        Representations (arrays or objects with ``features``); with ``test``, each pair is
        fitted on the training data and scored on the test data.
    block : Block, optional
        Only this block's pairs are computed (NaN elsewhere); default the whole matrix.
    diagonal : bool
        False (distances): zeros on the whole diagonal. True (similarities): each
        representation's self-similarity on the diagonal entries inside the block.
    device : torch.device, optional
        Where batched metrics run (``None``: numpy on this CPU; see each scorer).
    n_jobs : int, optional
        Pairs scored side by side on the CPU (default: one per core).

    Returns
    -------
    D_train : ndarray of shape (K, K)
    D_test : ndarray of shape (K, K) or None
    """
    scorer = as_scorer(metric).for_set(train)
    n = len(train)
    if test is not None and len(test) != n:
        raise InvalidInputError(f"{n} training but {len(test)} test representations")
    block = Block.whole(n) if block is None else block
    if block.n != n:
        raise InvalidInputError(f"block of a {block.n}×{block.n} matrix for {n} representations")
    pairs = block.pairs
    D_train = np.full((n, n), np.nan)
    D_test = None if test is None else np.full((n, n), np.nan)
    if diagonal:
        pairs = [*pairs, *((k, k) for k in block.diagonal)]
    else:
        for D in (D_train, D_test):
            if D is not None:
                np.fill_diagonal(D, 0.0)
    members = tqdm(
        block.members, desc="prepare", disable=None if progress is None else not progress
    )
    prepared = {k: _prepare(scorer, train[k], k) for k in members}
    device = _as_device(device)
    if not pairs:
        return D_train, D_test
    if test is None:
        values = scorer.score_pairs(
            prepared, pairs, n_jobs=n_jobs, progress=progress, device=device
        )
        return fill_symmetric(D_train, pairs, values), None

    def both(pair: Pair) -> tuple[float, float]:
        i, j = pair
        return scorer.score_split(prepared[i], prepared[j], test[i], test[j])

    scored = _threaded(both, pairs, n_jobs, progress)
    fill_symmetric(D_train, pairs, [t for t, _ in scored])
    fill_symmetric(D_test, pairs, [s for _, s in scored])
    return D_train, D_test


def _prepare(scorer: Scorer, rep: Any, index: int) -> Any:
    """``scorer.prepare(rep)``; an input error names the representation (its ``name``, e.g. a
    workflow layer ``model/layer``, else its index)."""
    try:
        return scorer.prepare(rep)
    except InvalidInputError as exc:
        name = getattr(rep, "name", None) or f"representation {index}"
        raise InvalidInputError(f"{name}: {exc}") from exc


def pairwise_distances(
    metric: Any,
    traindata: Sequence[Any],
    testdata: Sequence[Any] | None = None,
    verbose: bool = True,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """netrep's ``netrep.multiset.pairwise_distances``: ``D_train``, or
    ``(D_train, D_test)`` when test data are given (numpy arrays, zeros on the diagonal)."""
    D_train, D_test = pairwise_matrix(metric, traindata, testdata, progress=verbose)
    return D_train if D_test is None else (D_train, D_test)


def netrep_pairwise(
    metric: Any, train: Sequence[Any], test: Sequence[Any] | None, verbose: bool
) -> tuple[np.ndarray, np.ndarray]:
    """netrep's ``Metric.pairwise_distances`` result: ``(D_train, D_test)``, with ``D_test``
    +inf off the diagonal when there are no test data."""
    D_train, D_test = pairwise_matrix(metric, train, test, progress=verbose)
    if D_test is None:
        D_test = np.full_like(D_train, np.inf)
        np.fill_diagonal(D_test, 0.0)
    return D_train, D_test
