"""Distance (or similarity) matrices over all representations of a stimulus set, in blocks.

A metric of the workflow is a config entry ``{method: NAME, **params}``; ``NAME`` is any
entry of the one metric registry (:mod:`repgeom.metrics.registry`) that the workflow offers
(:func:`methods`: every entry but ``dsa``, which runs on clips in its own stage). The
registry's scorer prepares each representation once (centre and whiten for
``linear_shape``, an exact RDM from the reduced store for ``rsa``, single trials on the
``n_components`` leading principal axes for ``energy_stochastic`` / ``gaussian_stochastic``
— a deterministic network is a point mass —, a centred Gram matrix for the CKA family, ...)
and then scores the block's pairs (:func:`repgeom.metrics.pairwise.pairwise_matrix`).

:func:`distance_block` computes the pairs of one :class:`~repgeom.blocks.Block` of the K×K
matrix (NaN elsewhere) so that a cluster spreads a large K over jobs; :func:`combine_blocks`
assembles them and checks that every pair was computed exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import xarray as xr

from repgeom import store
from repgeom.blocks import Block
from repgeom.dims import SPLIT
from repgeom.errors import InvalidInputError
from repgeom.labelled import pair_matrix
from repgeom.metrics.pairwise import as_data, pairwise_matrix, take_stimuli
from repgeom.metrics.registry import REGISTRY, Measure, MetricInfo, workflow_methods
from repgeom.representations import LABELS, Representation

#: The workflow's distance-store attribute naming the measure (``distance`` / ``similarity``).
MEASURE_ATTR = "measure"
#: The values of a held-out distance store's ``split`` dim; figures show ``test``.
SPLITS = ("train", "test")


def methods() -> list[str]:
    """Every ``method`` a workflow metric may name (the registry's workflow entries)."""
    return workflow_methods()


def metric_info(method: str) -> MetricInfo:
    """The registry entry of a workflow ``method``.

    Raises
    ------
    InvalidInputError
        Listing the workflow's methods, if ``method`` is not one.
    """
    info = REGISTRY.get(method)
    if info is None or not info.workflow:
        raise InvalidInputError(f"unknown metric method {method!r}; choose from {methods()}")
    return info


def metric_measure(method: str) -> Measure:
    """``distance`` or ``similarity``, as the metric declares (``dsa`` is a distance)."""
    return "distance" if method == "dsa" else metric_info(method).measure


def check_metric(method: str, params: Mapping[str, Any]) -> None:
    """Run ``method`` with ``params`` on three small random representations, so that a wrong
    parameter fails when the config is read, not hours later in a job.

    Raises
    ------
    InvalidInputError
        Naming the method and what went wrong.
    """
    rng = np.random.default_rng(0)
    trials = rng.standard_normal((12, 2, 4))
    data = [(rng.standard_normal((12, 5)), None), (rng.standard_normal((12, 5)), None)]
    data.append((trials.mean(axis=1), trials))
    probe = [
        Representation(str(k), X, X.mean(axis=1), X.shape[1], {}, (12,), samples)
        for k, (X, samples) in enumerate(data)
    ]
    try:
        distance_block(probe, method, params, n_jobs=1, progress=False)
    except (TypeError, ValueError, InvalidInputError) as exc:
        raise InvalidInputError(f"method {method!r} with {dict(params)}: {exc}") from exc


def distance_block(
    reps: Sequence[Representation],
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    block: Block | None = None,
    n_jobs: int | None = None,
    progress: bool | None = None,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """The K×K matrix of ``method`` over ``reps``, restricted to one block (NaN elsewhere).

    Distances have zeros on the diagonal; similarities carry each representation's
    self-similarity on the diagonal entries inside the block. ``device`` is where batched
    metrics run (``linear_shape`` on CUDA: batched products and polar iterations).
    """
    info = metric_info(method)
    scorer = info.bind(**dict(params or {}))
    D, _ = pairwise_matrix(
        scorer,
        reps,
        block=block,
        diagonal=info.measure == "similarity",
        progress=progress,
        device=torch.device(device),
        n_jobs=n_jobs,
    )
    return D


def held_out_block(
    reps: Sequence[Representation],
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    folds: int,
    block: Block | None = None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out test matrices of one block, each the mean over ``folds``.

    netrep's ``cross_validate`` semantics (scikit-learn's ``KFold(folds)``: contiguous folds of
    the stimuli, no shuffling): each pair is aligned on a fold's training stimuli and scored on
    them (train) and on the fold's other stimuli (test). A metric with nothing to fit
    (``Scorer.fits`` False: RSA, CKA, ...) has one value on all stimuli, returned as both.
    """
    from sklearn.model_selection import KFold

    scorer = metric_info(method).bind(**dict(params or {}))
    if not scorer.fits:
        D = distance_block(reps, method, params, block=block, n_jobs=n_jobs, progress=progress)
        return D, D
    n = len(reps[block.members[0] if block is not None else 0].features)
    if not 2 <= folds <= n:
        raise InvalidInputError(f"cv_folds={folds}: between 2 and the {n} stimuli")
    diagonal = metric_info(method).measure == "similarity"
    train, test = [], []
    for train_rows, test_rows in KFold(n_splits=folds).split(np.arange(n)):
        D_train, D_test = pairwise_matrix(
            scorer,
            [_rows(r, train_rows) for r in reps],
            [_rows(r, test_rows) for r in reps],
            block=block,
            diagonal=diagonal,
            progress=progress,
            n_jobs=n_jobs,
        )
        train.append(D_train)
        test.append(D_test)
    return np.mean(train, axis=0), np.mean(test, axis=0)


def _rows(rep: Representation, rows: np.ndarray) -> Any:
    """The stimuli ``rows`` of a loaded representation (an unloaded one stays as it is)."""
    if rep.features.size == 0:
        return rep
    return take_stimuli(as_data(rep), rows)


def as_dataarray(
    D: np.ndarray,
    reps: Sequence[Representation],
    name: str,
    method: str,
    params: Mapping[str, Any],
    *,
    split: bool = False,
) -> xr.DataArray:
    """A matrix over ``reps`` as a labelled ``(rep_a, rep_b)`` DataArray (attrs ``metric``,
    ``method``, ``params`` as JSON and ``measure``); with ``split``, ``D`` stacks the train and
    test matrices along a leading ``split`` dim."""
    return pair_matrix(
        D,
        [r.name for r in reps],
        lead=(SPLIT, list(SPLITS)) if split else None,
        labels={key: [r.labels[key] for r in reps] for key in LABELS},
        attrs={
            "metric": name,
            "method": method,
            "params": json.dumps(dict(params), sort_keys=True),
            MEASURE_ATTR: metric_measure(method),
        },
    )


def combine_blocks(blocks: Sequence[xr.DataArray]) -> xr.DataArray:
    """Assemble block matrices (NaN outside each block) into the full matrix.

    Raises
    ------
    InvalidInputError
        If the blocks label different representations, overlap with different values, or leave
        a pair uncomputed.
    """
    if not blocks:
        raise InvalidInputError("no blocks to combine")
    first = blocks[0]
    out = np.full(first.shape, np.nan)
    for block in blocks:
        if list(block[store.REP_A].values) != list(first[store.REP_A].values):
            raise InvalidInputError(
                "blocks list different representations; rerun every distances_block job "
                "of this metric with the same config"
            )
        values = block.values
        both = ~np.isnan(out) & ~np.isnan(values)
        if both.any() and not np.allclose(out[both], values[both], rtol=1e-9, atol=1e-12):
            raise InvalidInputError("blocks disagree where they overlap")
        out = np.where(np.isnan(out), values, out)
    missing = int(np.isnan(out).sum())
    if missing:
        raise InvalidInputError(f"{missing} entries of the matrix are in no block")
    return first.copy(data=out)
