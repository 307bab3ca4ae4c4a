"""All-pairs LinearMetric distances: netrep itself (sampled pairs, scaled) vs repgeom.

Problem (the shape-metrics issue): K = 50 representations of 1,000 stimuli × 2,048 units,
``LinearMetric(alpha=1)`` and ``alpha=0.5``, angular score, all K(K−1)/2 = 1,225 pairs.

- (a) netrep, imported from a source checkout (``--netrep PATH``, default
  ``$REPGEOM_PEER_NETREP``; netrep is not on the package index): the time of
  ``netrep.metrics.LinearMetric(alpha, score_method="angular").fit_score(X, Y)`` on a seeded
  random sample of ``--peer-pairs`` pairs, in seconds per pair, scaled to all K(K−1)/2 pairs
  (the report says so). That refit per pair is what ``netrep.multiset.pairwise_distances``
  does for every pair (its default, ``enable_caching=False``).
- (b) repgeom on this CPU: :func:`repgeom.metrics.pairwise_distances` for the full K × K,
  preparation included (each representation prepared once; a pair is one k × k product and
  its singular values).

The report has the ratio (netrep scaled / repgeom), the largest |difference| on the sampled
pairs, thread counts, shapes, versions and netrep's commit. Results go to
``benchmarks/out/bench_shape_k{K}_{n}x{units}.json`` (or ``--out``). Not a test. Usage:
``.venv/bin/python benchmarks/bench_shape.py --netrep /path/to/netrep [--k 50]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from _common import OUT, environment

from repgeom.metrics import LinearMetric, pairwise_distances

PAIR_SEED = 1  # the sample of pairs netrep is timed on (the data use seed 0)


def make_representations(k: int, n_stimuli: int, n_units: int, seed: int = 0) -> list[np.ndarray]:
    """K representations sharing a 64-dimensional latent, each with its own mixing and noise."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_stimuli, 64))
    return [
        latent @ rng.standard_normal((64, n_units)) + rng.standard_normal((n_stimuli, n_units))
        for _ in range(k)
    ]


def import_netrep(path: str | None) -> tuple[Any, dict[str, str]]:
    """netrep's ``LinearMetric`` from the checkout at ``path`` (put first on ``sys.path``),
    with its version and commit; exits with a message naming ``--netrep`` when it cannot."""
    hint = "pass --netrep PATH (or set REPGEOM_PEER_NETREP) to a netrep source checkout"
    if not path:
        sys.exit(f"bench_shape: no netrep checkout given: {hint}")
    root = Path(path).expanduser().resolve()
    if not (root / "netrep").is_dir():
        sys.exit(f"bench_shape: --netrep {path}: no netrep package there: {hint}")
    sys.path.insert(0, str(root))
    try:
        import netrep
        from netrep.metrics import LinearMetric as NetrepLinearMetric
    except Exception as exc:
        sys.exit(
            f"bench_shape: --netrep {path}: netrep.metrics.LinearMetric does not import ({exc})"
        )
    if not Path(netrep.__file__ or "").resolve().is_relative_to(root):
        sys.exit(f"bench_shape: --netrep {path}: netrep was imported from {netrep.__file__}")
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    setup = root / "setup.py"
    found = (
        re.search(r"version\s*=\s*['\"]([^'\"]+)", setup.read_text()) if setup.exists() else None
    )
    info = {"netrep": found.group(1) if found else "unknown", "netrep_commit": commit}
    return NetrepLinearMetric, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--n-stimuli", type=int, default=1000)
    parser.add_argument("--n-units", type=int, default=2048)
    parser.add_argument("--peer-pairs", type=int, default=20)
    parser.add_argument("--netrep", default=os.environ.get("REPGEOM_PEER_NETREP"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    NetrepLinearMetric, netrep_info = import_netrep(args.netrep)
    out = args.out or OUT / f"bench_shape_k{args.k}_{args.n_stimuli}x{args.n_units}.json"

    reps = make_representations(args.k, args.n_stimuli, args.n_units)
    all_pairs = list(combinations(range(args.k), 2))
    rng = np.random.default_rng(PAIR_SEED)
    picked = rng.choice(len(all_pairs), size=min(args.peer_pairs, len(all_pairs)), replace=False)
    sample = [all_pairs[p] for p in sorted(picked)]
    results = []
    for alpha in (1.0, 0.5):
        peer = NetrepLinearMetric(alpha=alpha, score_method="angular")
        start = time.perf_counter()
        theirs = {(i, j): float(peer.fit_score(reps[i], reps[j])) for i, j in sample}
        per_pair = (time.perf_counter() - start) / len(sample)
        start = time.perf_counter()
        D = pairwise_distances(reps, LinearMetric(alpha=alpha), progress=False).values
        ours = time.perf_counter() - start
        scaled = per_pair * len(all_pairs)
        row = {
            "alpha": alpha,
            "netrep_seconds_per_pair": round(per_pair, 4),
            "netrep_pairs_timed": len(sample),
            "netrep_all_pairs_seconds_extrapolated": round(scaled, 2),
            "repgeom_all_pairs_seconds": round(ours, 2),
            "ratio_netrep_extrapolated_over_repgeom": round(scaled / ours, 1),
            "max_abs_difference_on_sampled_pairs": max(
                abs(float(D[i, j]) - v) for (i, j), v in theirs.items()
            ),
            "mean_distance": float(D[np.triu_indices(args.k, 1)].mean()),
        }
        results.append(row)
        print(json.dumps(row), flush=True)

    report = {
        "benchmark": "all-pairs LinearMetric (angular), netrep (sampled pairs, scaled) vs repgeom",
        "k": args.k,
        "n_stimuli": args.n_stimuli,
        "n_units": args.n_units,
        "shape": [args.n_stimuli, args.n_units],
        "pairs": len(all_pairs),
        "netrep_path": str(Path(args.netrep).expanduser().resolve()),
        "netrep_call": 'netrep.metrics.LinearMetric(alpha, score_method="angular").fit_score(X, Y)',
        "netrep_timing": (
            f"{len(sample)} pairs drawn at random (seed {PAIR_SEED}), seconds per pair scaled to "
            f"all {len(all_pairs)} pairs; netrep.multiset.pairwise_distances refits every pair "
            "the same way (enable_caching=False, its default)"
        ),
        "netrep_sampled_pairs": [list(p) for p in sample],
        "repgeom_call": "repgeom.metrics.pairwise_distances(reps, LinearMetric(alpha)), all pairs,"
        " preparation included",
        "results": results,
        **environment(**netrep_info),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))

    print(
        f"\nK = {args.k}, {args.n_stimuli} × {args.n_units}, {len(all_pairs)} pairs; netrep "
        f"{netrep_info['netrep_commit']} timed on {len(sample)} pairs and scaled"
    )
    header = ("alpha", "netrep s/pair", "netrep all (est.)", "repgeom all", "ratio", "max |diff|")
    print("{:>6} {:>14} {:>18} {:>12} {:>8} {:>11}".format(*header))
    for r in results:
        print(
            f"{r['alpha']:>6} {r['netrep_seconds_per_pair']:>14.4f} "
            f"{r['netrep_all_pairs_seconds_extrapolated']:>16.2f} s "
            f"{r['repgeom_all_pairs_seconds']:>10.2f} s "
            f"{r['ratio_netrep_extrapolated_over_repgeom']:>8.1f} "
            f"{r['max_abs_difference_on_sampled_pairs']:>11.1e}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
