"""All-pairs DSA among K systems: dsa-metric vs repgeom, side by side in one process.

Problem (the DSA issue): K = 10 systems of 1,000 time steps × 20 dims, ``n_delays=10``
(200 × 200 operators at full rank), ``score_method='angular'``, group O(n), dsa-metric's
default 1,500 Adam iterations. dsa-metric costs about 40 s a pair single-threaded, so it is
run on ``--sample-pairs`` pairs (all 45 take half an hour) and its time scaled to all
K(K−1)/2 (the report says so); repgeom computes every pair. Each dsa-metric pair's distance
and seconds are kept in ``--peer-cache`` (a JSON file keyed by the problem and the pair), so
a later run reuses them instead of spending another half hour. On the pairs run by both, the
report compares the distances (mean, and the per-pair differences): repgeom's are minima over
the same group, so lower is better.

Systems: noise-driven linear dynamics with random rotation blocks in random bases; systems
come in pairs that share their dynamics matrix (one observed in a rotated basis) but not
their noise. With 10 delays the operators also encode that noise, so in the measured run
these pairs were no closer than unrelated ones (about 0.11 for all): the report lists them.

Results go to ``benchmarks/out/bench_dsa_k{K}_{T}x{n}.json``. Not a test. Usage:
``.venv/bin/pip install -e '.[bench]'`` then ``.venv/bin/python benchmarks/bench_dsa.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from importlib.metadata import version
from itertools import combinations
from pathlib import Path

import numpy as np
import torch
from _common import OUT, environment, peak_rss_gib, write_report
from DSA import DSA as PeerDSA
from scipy.stats import ortho_group

from repgeom.dsa import DSA


def system(seed: int, T: int, n: int) -> np.ndarray:
    """x(t+1) = Q R Qᵀ x(t) + e(t) with R block rotations (radius 0.9–0.99), e ~ N(0, I);
    odd seeds are a rotated copy of the dynamics of the even seed before them."""
    rng = np.random.default_rng(seed // 2)
    R = np.zeros((n, n))
    for k in range(0, n - 1, 2):
        r, a = rng.uniform(0.9, 0.99), rng.uniform(0.02, 0.6)
        R[k : k + 2, k : k + 2] = r * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    Q = ortho_group.rvs(n, random_state=seed // 2)
    A = Q @ R @ Q.T
    noise = np.random.default_rng(1000 + seed).standard_normal((T, n))
    x = np.zeros((T, n))
    for t in range(1, T):
        x[t] = A @ x[t - 1] + noise[t]
    if seed % 2:
        x = x @ ortho_group.rvs(n, random_state=500 + seed).T
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--n-delays", type=int, default=10)
    parser.add_argument("--sample-pairs", type=int, default=3)
    parser.add_argument("--peer-cache", type=Path, default=OUT / "bench_dsa_peer_cache.json")
    args = parser.parse_args()
    systems = [system(s, args.T, args.n) for s in range(args.k)]
    settings = {"n_delays": args.n_delays, "score_method": "angular"}
    pairs = list(combinations(range(args.k), 2))
    sample = pairs[:: max(1, len(pairs) // args.sample_pairs)][: args.sample_pairs]

    torch_threads = torch.get_num_threads()
    start = time.perf_counter()
    D = DSA(systems, **settings, progress=True).fit_score()
    ours = time.perf_counter() - start
    print(f"repgeom: all {len(pairs)} pairs in {ours:.1f} s", flush=True)

    cache = json.loads(args.peer_cache.read_text()) if args.peer_cache.exists() else {}
    problem = f"k{args.k}_T{args.T}_n{args.n}_d{args.n_delays}"
    torch.set_num_threads(1)  # as the dsa-metric figure was measured
    for i, j in sample:
        key = f"{problem}:{i},{j}"
        if key not in cache:
            torch.manual_seed(0)
            start = time.perf_counter()
            value = PeerDSA(systems[i], systems[j], **settings, iters=1500, lr=5e-3).fit_score()
            cache[key] = {"value": float(value), "seconds": time.perf_counter() - start}
            args.peer_cache.write_text(json.dumps(cache, indent=1))
        value, seconds = cache[key]["value"], cache[key]["seconds"]
        print(f"dsa-metric pair {(i, j)}: {value:.5f} in {seconds:.1f} s")
    torch.set_num_threads(torch_threads)
    peer = {(i, j): cache[f"{problem}:{i},{j}"] for i, j in sample}
    peer_values = {pair: entry["value"] for pair, entry in peer.items()}
    per_pair = float(np.mean([entry["seconds"] for entry in peer.values()]))
    report = {
        "benchmark": "all-pairs DSA, dsa-metric (sampled pairs, scaled) vs repgeom (all pairs)",
        "k": args.k,
        "time_steps": args.T,
        "dims": args.n,
        "operator_size": args.n * args.n_delays,
        "settings": settings,
        "pairs": len(pairs),
        "dsa_metric_torch_threads": 1,
        "repgeom_torch_threads": torch_threads,
        "dsa_metric_seconds_per_pair": round(per_pair, 2),
        "dsa_metric_pairs_timed": len(sample),
        "dsa_metric_all_pairs_seconds_extrapolated": round(per_pair * len(pairs), 1),
        "repgeom_all_pairs_seconds": round(ours, 1),
        "speedup": round(per_pair * len(pairs) / ours, 1),
        "sampled_pairs": [
            {"pair": [i, j], "dsa_metric": v, "repgeom": float(D[i, j])}
            for (i, j), v in peer_values.items()
        ],
        "mean_distance_on_these_pairs": {
            "dsa_metric": float(np.mean(list(peer_values.values()))),
            "repgeom": float(np.mean([D[i, j] for i, j in peer_values])),
        },
        "pairs_where_repgeom_is_lower": int(sum(D[i, j] < v for (i, j), v in peer_values.items())),
        "dsa_metric_values_from": str(args.peer_cache.name),
        "repgeom_minus_dsa_metric_max": max(
            float(D[i, j]) - v for (i, j), v in peer_values.items()
        ),
        "rotated_copy_distances": [float(D[i, i + 1]) for i in range(0, args.k - 1, 2)],
        "peak_rss_gib": peak_rss_gib(),
        **environment(dsa_metric=version("dsa-metric")),
    }
    path = write_report(f"bench_dsa_k{args.k}_{args.T}x{args.n}", report)
    keys = ("speedup", "mean_distance_on_these_pairs", "repgeom_minus_dsa_metric_max")
    print(json.dumps({k: report[k] for k in keys}))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
