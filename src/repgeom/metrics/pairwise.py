"""All-pairs distance matrices: prepare each representation once, then score pairs cheaply.

netrep's ``pairwise_distances`` refits (and re-whitens) both matrices for each of the
K(K−1)/2 pairs. Here a metric with a ``prepare``/``score_prepared`` split (``LinearMetric``)
prepares each representation once; a pair then costs one (k × k) product and its singular
values. Metrics without that split (the stochastic ones) fall back to ``fit_score`` per pair.

A block ``(block_i, block_j)`` of the K×K matrix can be computed alone (rows of block i,
columns of block j, ``block_size`` representations per block), so a workflow can spread the
matrix over jobs and assemble it.

``backend="torch"`` scores training pairs as batched tensor programs (on the GPU when
``device="cuda"``): the (k × k) products of a batch of pairs are one batched GEMM, and their
nuclear norms come from GEMM-only Newton–Schulz polar iterations instead of batched SVDs
(singular values are the GPU's bottleneck: about 62 ms per 1,000 × 1,000 matrix on an H100
against under 1 ms for 30 polar steps). Pairs whose angle comes out near zero, where the
iteration's ~1e-5 relative error would matter, are recomputed exactly in float64.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations, product
from typing import Any

import numpy as np
import torch
import xarray as xr
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from repgeom.errors import InvalidInputError
from repgeom.metrics.shape import LinearMetric, PreparedLinear
from repgeom.store import REP_A, REP_B, SPLIT

#: Newton–Schulz steps for the polar factor; singular values above ~1e-5 of the largest
#: converge within 30 cubic steps (each multiplies small ones by 1.5).
POLAR_STEPS = 30
#: Pairs whose cosine exceeds this are rechecked with an exact float64 SVD (angles below
#: ~0.045 rad are sensitive to the iteration's error).
NEAR_ZERO_COS = 1 - 1e-3
#: Default memory for one batch of (k × k) pair products, in bytes.
DEFAULT_BATCH_BYTES = 2 * 2**30


def block_pairs(
    n: int, block: tuple[int, int] | None, block_size: int | None
) -> list[tuple[int, int]]:
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


def polar_nuclear_norms(M: torch.Tensor, steps: int = POLAR_STEPS) -> torch.Tensor:
    """Nuclear norms of a batch of matrices (b, p, q) by Newton–Schulz polar iterations.

    Notes
    -----
    With ``X₀ = M / ‖M‖_F`` (singular values in (0, 1]) the iteration
    ``X ← 1.5 X − 0.5 X Xᵀ X`` drives every singular value to 1 while keeping the singular
    vectors, so it converges to the polar factor ``U Vᵀ`` and ``‖M‖_* = tr(Xᵀ M)``. Only
    matrix products are used. Singular values below ~1.5^(−steps) of the largest are not
    converged; their share of the norm is underestimated.
    """
    if M.shape[-2] < M.shape[-1]:
        M = M.mT  # iterate on the thinner Gram side
    X = M / torch.linalg.matrix_norm(M, keepdim=True).clamp_min(torch.finfo(M.dtype).tiny)
    for _ in range(steps):
        X = 1.5 * X - 0.5 * X @ (X.mT @ X)
    return (X * M).sum(dim=(-2, -1))


def _torch_train_scores(
    metric: LinearMetric,
    prepared: dict[int, PreparedLinear],
    pairs: list[tuple[int, int]],
    *,
    device: torch.device,
    dtype: torch.dtype,
    batch_bytes: int,
    progress: bool | None,
) -> dict[tuple[int, int], float]:
    """Training distances of many pairs as batched products + polar iterations."""
    k_max = max(p.coords.shape[1] for p in prepared.values())
    m = next(iter(prepared.values())).coords.shape[0]
    index = {k: n for n, k in enumerate(prepared)}
    coords = torch.zeros((len(prepared), m, k_max), dtype=dtype, device=device)
    for k, prep in prepared.items():  # zero columns change neither products nor norms
        coords[index[k], :, : prep.coords.shape[1]] = torch.as_tensor(prep.coords, dtype=dtype)
    per_pair = 4 * k_max * k_max * torch.finfo(dtype).bits // 8  # M, X and temporaries
    batch = max(1, batch_bytes // per_pair)
    out: dict[tuple[int, int], float] = {}
    starts = range(0, len(pairs), batch)
    for start in tqdm(
        starts, desc="pair batches", disable=None if progress is None else not progress
    ):
        chunk = pairs[start : start + batch]
        a = torch.tensor([index[i] for i, _ in chunk], device=device)
        b = torch.tensor([index[j] for _, j in chunk], device=device)
        nuclear = polar_nuclear_norms(coords[a].mT @ coords[b]).double().cpu().numpy()
        for (i, j), value in zip(chunk, nuclear, strict=True):
            pa, pb = prepared[i], prepared[j]
            if value / (pa.norm * pb.norm) > NEAR_ZERO_COS:
                out[(i, j)] = metric.score_prepared(pa, pb)  # exact float64 recheck
            else:
                out[(i, j)] = metric._distance(pa, pb, float(value), pa.norm**2, pb.norm**2)
    return out


def _map_pairs(
    score_pair: Any, pairs: Any, n_jobs: int | None
) -> Iterator[tuple[float, float | None]]:
    """Score pairs in order, on ``n_jobs`` threads with one BLAS thread each.

    A pair's cost is one LAPACK call on a (k × k) matrix, which parallelises poorly inside
    BLAS but releases the GIL, so pairs run side by side instead (``n_jobs=None``: one per
    core; 1: in this thread with BLAS's own threads).
    """
    n_jobs = (os.cpu_count() or 1) if n_jobs is None else n_jobs
    if n_jobs <= 1:
        yield from (score_pair(i, j) for i, j in pairs)
        return
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=n_jobs) as pool:
        yield from pool.map(lambda pair: score_pair(*pair), pairs)


def pairwise_matrix(
    metric: Any,
    train: Sequence[Any],
    test: Sequence[Any] | None = None,
    *,
    block: tuple[int, int] | None = None,
    block_size: int | None = None,
    progress: bool | None = None,
    backend: str = "numpy",
    device: str | torch.device = "cpu",
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Symmetric K×K train (and test) distance matrices with zeros on the diagonal.

    Pairs outside ``block`` are NaN. With test data, each pair is aligned on the training data
    and scored on the test data. ``backend="torch"`` batches the training scores of a
    ``LinearMetric`` on ``device`` (float32 on CUDA, float64 on CPU; see the module notes).
    ``n_jobs`` pairs are scored at once on the CPU (default: one per core).
    """
    if backend not in ("numpy", "torch"):
        raise InvalidInputError(f"backend={backend!r}; choose 'numpy' or 'torch'")
    n = len(train)
    if test is not None and len(test) != n:
        raise InvalidInputError(f"{n} training but {len(test)} test representations")
    pairs = block_pairs(n, block, block_size)
    D_train = np.full((n, n), np.nan)
    D_test = None if test is None else np.full((n, n), np.nan)
    np.fill_diagonal(D_train, 0.0)
    if D_test is not None:
        np.fill_diagonal(D_test, 0.0)
    bar = tqdm(pairs, desc="pairs", unit="pair", disable=None if progress is None else not progress)
    if isinstance(metric, LinearMetric):
        needed = sorted({k for pair in pairs for k in pair})
        prepared = {k: metric.prepare(train[k]) for k in needed}
        if backend == "torch" and test is None:
            device = torch.device(device)
            dtype = torch.float32 if device.type == "cuda" else torch.float64
            scores = _torch_train_scores(
                metric,
                prepared,
                pairs,
                device=device,
                dtype=dtype,
                batch_bytes=batch_bytes,
                progress=progress,
            )
            for (i, j), value in scores.items():
                D_train[i, j] = D_train[j, i] = value
            return D_train, None

        def score_pair(i: int, j: int) -> tuple[float, float | None]:
            d_train = metric.score_prepared(prepared[i], prepared[j])
            if test is None:
                return d_train, None
            fitted = metric.__class__(**metric.get_params()).finalize_fit(prepared[i], prepared[j])
            return d_train, fitted.score(test[i], test[j])

    else:

        def score_pair(i: int, j: int) -> tuple[float, float | None]:
            fitted = metric.__class__(**metric.get_params()).fit(train[i], train[j])
            d_test = None if test is None else fitted.score(test[i], test[j])
            return fitted.score(train[i], train[j]), d_test

    for (i, j), (d_train, d_test) in zip(pairs, _map_pairs(score_pair, bar, n_jobs), strict=True):
        D_train[i, j] = D_train[j, i] = d_train
        if D_test is not None:
            D_test[i, j] = D_test[j, i] = d_test
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
      block_size=None, progress=None, backend="numpy", device="cpu")``: ``reps`` is a list
      or a ``{name: matrix}`` mapping;
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
