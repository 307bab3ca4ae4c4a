"""All-pairs LinearMetric distances: a faithful per-pair netrep baseline vs repgeom.

Problem (the shape-metrics issue): K = 50 representations of 1,000 stimuli × 2,048 units,
``LinearMetric(alpha=1)`` and ``alpha=0.5``, angular score, all K(K−1)/2 = 1,225 pairs.

- (a) baseline: what ``netrep.multiset.pairwise_distances`` does for each pair: zero-pad,
  centre, partially whiten both matrices at full width (eigendecomposition of the 2,048 ×
  2,048 ``XᵀX``), SVD of the 2,048 × 2,048 ``XwᵀYw``, transform both, angle. netrep is not on
  the package index, so this re-implements its algorithm (same steps and sizes; the numbers
  are checked against repgeom's). It is timed on a sample of pairs and scaled to all pairs.
- (b) repgeom on this CPU: :func:`repgeom.metrics.pairwise_distances` (each representation
  prepared once; a pair is one k × k product and its singular values).

Results go to ``benchmarks/out/bench_shape.json`` with hardware, versions and threads. Not a
test. Usage: ``.venv/bin/python benchmarks/bench_shape.py [--k 50 --sample-pairs 20]``.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import combinations

import numpy as np
from _common import environment, write_report

from repgeom.metrics import LinearMetric, pairwise_distances

EIG_CLIP = 1e-7  # netrep's absolute eigenvalue floor


def make_representations(k: int, n_stimuli: int, n_units: int, seed: int = 0) -> list[np.ndarray]:
    """K representations sharing a 64-dimensional latent, each with its own mixing and noise."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_stimuli, 64))
    return [
        latent @ rng.standard_normal((64, n_units)) + rng.standard_normal((n_stimuli, n_units))
        for _ in range(k)
    ]


def _netrep_whiten(Xc: np.ndarray, alpha: float) -> np.ndarray:
    """netrep's partial whitening of one centred, padded matrix (full n × n)."""
    if alpha > 1 - 1e-7:
        return Xc
    lam, V = np.linalg.eigh(Xc.T @ Xc)
    lam = np.maximum(lam, EIG_CLIP)
    d = alpha + (1 - alpha) / np.sqrt(lam)
    new_var = np.sum(alpha**2 * lam + 2 * alpha * (1 - alpha) * np.sqrt(lam) + (1 - alpha) ** 2)
    d *= np.sqrt(lam.sum() / new_var)
    return Xc @ (V * d) @ V.T


def netrep_pair(X: np.ndarray, Y: np.ndarray, alpha: float) -> float:
    """One pair the way netrep computes it: everything again, at full width."""
    n = max(X.shape[1], Y.shape[1])
    X = np.pad(X, ((0, 0), (0, n - X.shape[1])))
    Y = np.pad(Y, ((0, 0), (0, n - Y.shape[1])))
    Xw = _netrep_whiten(X - X.mean(0), alpha)
    Yw = _netrep_whiten(Y - Y.mean(0), alpha)
    U, _, Vt = np.linalg.svd(Xw.T @ Yw)
    tX, tY = Xw @ U, Yw @ Vt.T
    cos = np.sum(tX * tY) / (np.linalg.norm(tX) * np.linalg.norm(tY))
    return float(np.arccos(np.clip(cos, -1, 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--n-stimuli", type=int, default=1000)
    parser.add_argument("--n-units", type=int, default=2048)
    parser.add_argument("--sample-pairs", type=int, default=20)
    parser.add_argument("--alphas", type=float, nargs="+", default=[1.0, 0.5])
    args = parser.parse_args()
    reps = make_representations(args.k, args.n_stimuli, args.n_units)
    all_pairs = list(combinations(range(args.k), 2))
    sample = all_pairs[:: max(1, len(all_pairs) // args.sample_pairs)][: args.sample_pairs]
    results = []
    for alpha in args.alphas:
        start = time.perf_counter()
        baseline = {(i, j): netrep_pair(reps[i], reps[j], alpha) for i, j in sample}
        per_pair = (time.perf_counter() - start) / len(sample)
        start = time.perf_counter()
        D = pairwise_distances(reps, LinearMetric(alpha=alpha), progress=False).values
        ours = time.perf_counter() - start
        max_diff = max(abs(D[i, j] - v) for (i, j), v in baseline.items())
        row = {
            "alpha": alpha,
            "baseline_seconds_per_pair": round(per_pair, 3),
            "baseline_pairs_timed": len(sample),
            "baseline_all_pairs_seconds_extrapolated": round(per_pair * len(all_pairs), 1),
            "repgeom_all_pairs_seconds": round(ours, 1),
            "speedup": round(per_pair * len(all_pairs) / ours, 1),
            "max_abs_difference_on_sampled_pairs": float(max_diff),
            "mean_distance": float(D[np.triu_indices(args.k, 1)].mean()),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {
        "benchmark": "pairwise LinearMetric, per-pair netrep baseline vs repgeom (CPU)",
        "k": args.k,
        "n_stimuli": args.n_stimuli,
        "n_units": args.n_units,
        "pairs": len(all_pairs),
        "results": results,
        **environment(),
    }
    path = write_report(f"bench_shape_k{args.k}_{args.n_stimuli}x{args.n_units}", report)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
