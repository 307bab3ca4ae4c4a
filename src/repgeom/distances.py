"""Distance (or similarity) matrices over all representations of a stimulus set, in blocks.

A metric of the workflow is a config entry ``{method: NAME, **params}``. ``NAME`` is one of

- ``linear_shape``: generalized shape metric (:class:`~repgeom.metrics.LinearMetric`); each
  representation is prepared (centred, partially whitened) once and a pair costs one small
  product (:func:`repgeom.metrics.pairwise.pairwise_matrix`);
- ``rsa``: RDMs (``rdm_method`` euclidean, correlation or cosine, exact from the reduced
  stores) computed once per representation, then compared stack against stack
  (``comparator``, :func:`~repgeom.metrics.compare_rdms`);
- ``energy_stochastic`` / ``gaussian_stochastic``: stochastic shape metrics on single trials,
  projected on the ``n_components`` leading principal axes of the trial means (the metrics need a
  common width). A representation without repetitions (a deterministic network) is a point
  mass: its one response repeated, zero covariance;
- any other name of :func:`repgeom.metrics.available` (``angular_cka``, ``cka``, ``stress``,
  ...), scored pair by pair with :func:`repgeom.compare`.

``distance_block`` computes the pairs of one block of the K×K matrix (``block_size``
representations per block; NaN elsewhere) so that a cluster spreads a large K over jobs;
``combine_blocks`` assembles them and checks that every pair was computed exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from repgeom import store
from repgeom.errors import InvalidInputError
from repgeom.metrics.pairwise import _map_pairs, block_pairs, pairwise_matrix
from repgeom.metrics.registry import REGISTRY, compare
from repgeom.metrics.rsa import compare_rdms, rdm_from_reduced
from repgeom.metrics.shape import LinearMetric
from repgeom.metrics.stochastic import EnergyStochasticMetric, GaussianStochasticMetric
from repgeom.representations import Representation, label_coords, principal_axes

STOCHASTIC = {
    "energy_stochastic": EnergyStochasticMetric,
    "gaussian_stochastic": GaussianStochasticMetric,
}
#: Methods with their own all-pairs path (everything else goes through the registry).
OWN_PATHS = ("linear_shape", "rsa", *STOCHASTIC)


def methods() -> list[str]:
    """Every ``method`` a workflow metric may name."""
    return sorted({*OWN_PATHS, *REGISTRY} - {"dsa"})


def metric_kind(method: str) -> str:
    """``distance`` or ``similarity``, as the metric declares."""
    if method in STOCHASTIC:
        return "distance"
    if method not in REGISTRY or method == "dsa":
        raise InvalidInputError(f"unknown metric method {method!r}; choose from {methods()}")
    return REGISTRY[method].kind


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


def n_blocks(n_reps: int, block_size: int) -> int:
    """Blocks per side of a K×K matrix: ``ceil(K / block_size)``."""
    return -(-n_reps // block_size)


def block_ids(n_reps: int, block_size: int) -> list[tuple[int, int]]:
    """The blocks ``(i, j)``, ``i ≤ j``, that together hold every pair of a symmetric matrix."""
    n = n_blocks(n_reps, block_size)
    return [(i, j) for i in range(n) for j in range(i, n)]


def _n_trials(reps: Sequence[Representation]) -> int:
    """Repetitions per stimulus that stochastic metrics use (at least 2)."""
    return max([2, *(r.samples.shape[1] for r in reps if r.samples is not None)])


def _stochastic_samples(rep: Representation, n_components: int, n_trials: int) -> np.ndarray:
    """Single trials (stimulus, repetition, n_components) on the leading principal axes of the
    trial means; a deterministic representation repeats its response ``n_trials`` times."""
    trials = rep.samples if rep.samples is not None else rep.features[:, None, :]
    mean, leading = principal_axes(rep.features, n_components)
    axes = np.zeros((rep.features.shape[1], n_components))  # zero-padded to a common width
    axes[:, : leading.shape[1]] = leading
    projected = (trials - mean) @ axes
    if projected.shape[1] != n_trials:
        if rep.samples is not None:
            raise InvalidInputError(
                f"{rep.name}: {projected.shape[1]} repetitions, others have {n_trials}; "
                "stochastic metrics need the same number of repetitions"
            )
        projected = np.repeat(projected, n_trials, axis=1)
    return projected


def _gaussian(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(means, covariances) per stimulus of (stimulus, repetition, units) trials."""
    centred = samples - samples.mean(axis=1, keepdims=True)
    covs = np.einsum("srk,srl->skl", centred, centred) / max(samples.shape[1] - 1, 1)
    return samples.mean(axis=1), covs


def distance_block(
    reps: Sequence[Representation],
    method: str,
    params: Mapping[str, Any] | None = None,
    *,
    block: tuple[int, int] | None = None,
    block_size: int | None = None,
    n_jobs: int | None = None,
    progress: bool | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """The K×K matrix of ``method`` over ``reps``, restricted to one block (NaN elsewhere).

    Distances have zeros on the diagonal; similarities carry each representation's
    self-similarity there (for the blocks on the diagonal). On a CUDA ``device`` the shape
    metrics run as batched tensor programs (``pairwise_matrix(..., backend="torch")``).
    """
    params = dict(params or {})
    kind = metric_kind(method)
    n = len(reps)
    pairs = block_pairs(n, block, block_size)
    if method == "linear_shape":
        D, _ = pairwise_matrix(
            LinearMetric(**params),
            [r.features for r in reps],
            block=block,
            block_size=block_size,
            progress=progress,
            n_jobs=n_jobs,
            backend="torch" if str(device).startswith("cuda") else "numpy",
            device=device,
        )
        return D
    D = np.full((n, n), np.nan)
    if method in STOCHASTIC:
        n_components = int(params.pop("n_components", 10))
        needed = sorted({k for pair in pairs for k in pair})
        n_trials = _n_trials(reps)
        samples = {k: _stochastic_samples(reps[k], n_components, n_trials) for k in needed}
        data = [
            (_gaussian(samples[k]) if method == "gaussian_stochastic" else samples[k])
            if k in samples
            else None
            for k in range(n)
        ]
        D, _ = pairwise_matrix(
            STOCHASTIC[method](**params),
            data,
            block=block,
            block_size=block_size,
            progress=progress,
            n_jobs=n_jobs,
        )
        return D
    if kind == "similarity":  # the self-similarities of the diagonal blocks
        rows, cols = block_ranges(n, block, block_size)
        pairs = [*pairs, *((k, k) for k in sorted(set(rows) & set(cols)))]
    else:
        np.fill_diagonal(D, 0.0)
    if method == "rsa":
        rdm_method = params.get("rdm_method", "correlation")
        comparator = params.get("comparator", "spearman")
        needed = sorted({k for pair in pairs for k in pair})
        rdms = {
            k: rdm_from_reduced(reps[k].features, reps[k].row_mean, reps[k].n_units, rdm_method)
            for k in tqdm(needed, desc="RDMs", disable=None if progress is None else not progress)
        }
        rows = {i: r for r, i in enumerate(sorted({i for i, _ in pairs}))}
        cols = {j: c for c, j in enumerate(sorted({j for _, j in pairs}))}
        S = np.atleast_2d(
            compare_rdms(
                np.stack([rdms[i] for i in rows]), np.stack([rdms[j] for j in cols]), comparator
            )
        )
        for i, j in pairs:
            D[i, j] = D[j, i] = S[rows[i], cols[j]]
        return D

    def score_pair(i: int, j: int) -> tuple[float, None]:
        return float(compare(reps[i].features, reps[j].features, method, **params)), None

    bar = tqdm(pairs, desc=method, unit="pair", disable=None if progress is None else not progress)
    for (i, j), (value, _) in zip(pairs, _map_pairs(score_pair, bar, n_jobs), strict=True):
        D[i, j] = D[j, i] = value
    return D


def block_ranges(
    n: int, block: tuple[int, int] | None, block_size: int | None
) -> tuple[range, range]:
    """Rows and columns of one block of an n×n matrix (all of them without a block)."""
    if block is None:
        return range(n), range(n)
    (bi, bj), size = block, int(block_size or n)
    return range(bi * size, min((bi + 1) * size, n)), range(bj * size, min((bj + 1) * size, n))


def as_dataarray(
    D: np.ndarray,
    reps: Sequence[Representation],
    name: str,
    method: str,
    params: Mapping[str, Any],
) -> xr.DataArray:
    """A matrix over ``reps`` as a labelled ``(rep_a, rep_b)`` DataArray."""
    names = [r.name for r in reps]
    coords = {store.REP_A: names, store.REP_B: names}
    coords |= label_coords(reps, store.REP_A) | label_coords(reps, store.REP_B)
    return xr.DataArray(
        D,
        dims=(store.REP_A, store.REP_B),
        coords=coords,
        name="distance",
        attrs={
            "metric": name,
            "method": method,
            "params": json.dumps(dict(params), sort_keys=True),
            "metric_kind": metric_kind(method) if method != "dsa" else "distance",
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
