"""All-pairs distance matrices: prepare each representation once, then score pairs cheaply.

netrep's ``pairwise_distances`` refits (and re-whitens) both matrices for each of the
K(K−1)/2 pairs. Here a metric with a ``prepare``/``score_prepared`` split (``LinearMetric``)
prepares each representation once; a pair then costs one (k × k) product and its singular
values. Metrics without that split (the stochastic ones) fall back to ``fit_score`` per pair.

A block ``(block_i, block_j)`` of the K×K matrix can be computed alone (rows of block i,
columns of block j, ``block_size`` representations per block), so a workflow can spread the
matrix over jobs and assemble it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, product
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from repgeom.errors import InvalidInputError
from repgeom.metrics.shape import LinearMetric

REP_A, REP_B, SPLIT = "rep_a", "rep_b", "split"


def _pairs(n: int, block: tuple[int, int] | None, block_size: int | None) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, optionally restricted to one block of the matrix."""
    if block is None:
        return list(combinations(range(n), 2))
    if not block_size or block_size < 1:
        raise InvalidInputError("block= needs block_size ≥ 1 (representations per block)")
    bi, bj = block
    rows = range(bi * block_size, min((bi + 1) * block_size, n))
    cols = range(bj * block_size, min((bj + 1) * block_size, n))
    if not rows or not cols:
        raise InvalidInputError(f"block {block} is outside a {n}×{n} matrix of {block_size}-blocks")
    return sorted({(min(i, j), max(i, j)) for i, j in product(rows, cols) if i != j})


def pairwise_matrix(
    metric: Any,
    train: Sequence[Any],
    test: Sequence[Any] | None = None,
    *,
    block: tuple[int, int] | None = None,
    block_size: int | None = None,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Symmetric K×K train (and test) distance matrices with zeros on the diagonal.

    Pairs outside ``block`` are NaN. With test data, each pair is aligned on the training data
    and scored on the test data.
    """
    n = len(train)
    if test is not None and len(test) != n:
        raise InvalidInputError(f"{n} training but {len(test)} test representations")
    pairs = _pairs(n, block, block_size)
    D_train = np.full((n, n), np.nan)
    D_test = None if test is None else np.full((n, n), np.nan)
    np.fill_diagonal(D_train, 0.0)
    if D_test is not None:
        np.fill_diagonal(D_test, 0.0)
    bar = tqdm(pairs, desc="pairs", unit="pair", disable=None if progress is None else not progress)
    if isinstance(metric, LinearMetric):
        needed = sorted({k for pair in pairs for k in pair})
        prepared = {k: metric.prepare(train[k]) for k in needed}
        for i, j in bar:
            if test is None:
                d_train, d_test = metric.score_prepared(prepared[i], prepared[j]), None
            else:
                fitted = metric.__class__(**metric.get_params()).finalize_fit(
                    prepared[i], prepared[j]
                )
                d_train = metric.score_prepared(prepared[i], prepared[j])
                d_test = fitted.score(test[i], test[j])
            D_train[i, j] = D_train[j, i] = d_train
            if D_test is not None:
                D_test[i, j] = D_test[j, i] = d_test
    else:
        for i, j in bar:
            fitted = metric.__class__(**metric.get_params()).fit(train[i], train[j])
            D_train[i, j] = D_train[j, i] = fitted.score(train[i], train[j])
            if D_test is not None:
                D_test[i, j] = D_test[j, i] = fitted.score(test[i], test[j])
    return D_train, D_test


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


def pairwise_distances(*args: Any, **kwargs: Any):
    """All-pairs distances, in netrep's form or as a labelled DataArray.

    - ``pairwise_distances(metric, traindata, testdata=None, verbose=True)`` (netrep's
      ``netrep.multiset.pairwise_distances``): returns ``D_train``, or ``(D_train, D_test)``
      when test data are given.
    - ``pairwise_distances(reps, metric, *, test=None, names=None, block=None,
      block_size=None, progress=None)``: ``reps`` is a list or a ``{name: matrix}`` mapping;
      returns an ``xarray.DataArray`` with dims ``(rep_a, rep_b)``, plus ``split``
      (``train``, ``test``) when test data are given.
    """
    if args and hasattr(args[0], "fit"):
        metric, train, *rest = args
        test = rest[0] if rest else kwargs.pop("testdata", None)
        verbose = kwargs.pop("verbose", True)
        D_train, D_test = pairwise_matrix(metric, train, test, progress=verbose)
        return D_train if D_test is None else (D_train, D_test)
    reps, metric = args[0], args[1] if len(args) > 1 else kwargs.pop("metric")
    test = kwargs.pop("test", None)
    names = kwargs.pop("names", None)
    if isinstance(reps, dict):
        names = list(reps) if names is None else names
        reps = [reps[k] for k in names]
        test = [test[k] for k in names] if isinstance(test, dict) else test
    names = [str(k) for k in (names if names is not None else range(len(reps)))]
    D_train, D_test = pairwise_matrix(metric, reps, test, **kwargs)
    coords = {REP_A: names, REP_B: names}
    if D_test is None:
        out = xr.DataArray(D_train, dims=(REP_A, REP_B), coords=coords)
    else:
        out = xr.DataArray(
            np.stack([D_train, D_test]),
            dims=(SPLIT, REP_A, REP_B),
            coords={SPLIT: ["train", "test"], **coords},
        )
    out.attrs["metric"] = repr(metric)
    return out
