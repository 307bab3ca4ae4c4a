"""RDMs and RDM comparisons: rsatoolbox vs repgeom, side by side in one process.

Problem (the RSA/CKA issue):

- ``calc_rdm`` with ``correlation`` and ``euclidean`` for 50 datasets of 1,000 conditions ×
  4,096 channels (each dataset generated from its own seed, timed for both tools);
- ``compare`` with ``spearman``, ``tau-a`` and ``corr_cov`` among 50 RDMs of 1,000
  conditions, all pairs (rsatoolbox's ``compare(rdms, rdms)``, which is what a user calls).

rsatoolbox's tau-a costs about 0.15 s a pair here (2,500 pairs: about 6 minutes), so by default
it is timed on the first ``--tau-rows`` RDMs against all 50 and scaled to the full matrix (the
report says so); repgeom always computes the full matrix. Every repgeom number is checked
against rsatoolbox's on what both computed.

Results go to ``benchmarks/out/bench_rsa_{k}x{conditions}x{channels}.json``. Not a test.
Usage: ``.venv/bin/pip install -e '.[bench]'`` then ``.venv/bin/python benchmarks/bench_rsa.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np
from _common import environment, peak_rss_gib, write_report
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import RDMs, calc_rdm, compare

from repgeom.metrics import compare_rdms, rdm


def dataset(seed: int, n_conditions: int, n_channels: int) -> np.ndarray:
    """Conditions sharing a 32-dimensional latent plus channel noise."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_conditions, 32))
    return latent @ rng.standard_normal((32, n_channels)) + rng.standard_normal(
        (n_conditions, n_channels)
    )


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench_calc(args: argparse.Namespace) -> tuple[list[dict], np.ndarray]:
    rows, corr_rdms = [], []
    for method in ("correlation", "euclidean"):
        t_peer = t_ours = diff = 0.0
        for seed in range(args.k):
            X = dataset(seed, args.conditions, args.channels)
            peer, dt = timed(calc_rdm, Dataset(X), method=method)
            peer = peer.get_vectors()[0]
            t_peer += dt
            ours, dt = timed(rdm, X, method)
            t_ours += dt
            diff = max(diff, float(np.max(np.abs(peer - ours))))
            if method == "correlation":
                corr_rdms.append(ours)
        row = {
            "operation": f"calc_rdm {method}",
            "datasets": args.k,
            "rsatoolbox_seconds": round(t_peer, 2),
            "repgeom_seconds": round(t_ours, 2),
            "speedup": round(t_peer / t_ours, 1),
            "max_abs_difference": diff,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows, np.stack(corr_rdms)


def bench_compare(args: argparse.Namespace, R: np.ndarray) -> list[dict]:
    rows = []
    compare_rdms(R[:2], R[:2], "tau-a")  # compile the kernel outside the timing
    for method in ("spearman", "tau-a", "corr_cov"):
        ours, t_ours = timed(compare_rdms, R, R, method)
        peer_rows = args.tau_rows if method == "tau-a" else len(R)
        peer, t_peer = timed(compare, RDMs(R[:peer_rows]), RDMs(R), method=method)
        scale = len(R) / peer_rows
        row = {
            "operation": f"compare {method}",
            "rdms": len(R),
            "entries_per_rdm": R.shape[1],
            "rsatoolbox_rows_timed": peer_rows,
            "rsatoolbox_seconds": round(t_peer * scale, 2),
            "rsatoolbox_extrapolated": scale != 1,
            "repgeom_seconds": round(t_ours, 2),
            "speedup": round(t_peer * scale / t_ours, 1),
            "max_abs_difference": float(np.max(np.abs(peer - ours[:peer_rows]))),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--conditions", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=4096)
    parser.add_argument("--tau-rows", type=int, default=10)
    args = parser.parse_args()
    calc_rows, R = bench_calc(args)
    results = calc_rows + bench_compare(args, R)
    report = {
        "benchmark": "RDMs and RDM comparisons, rsatoolbox vs repgeom (CPU, same process)",
        "k": args.k,
        "conditions": args.conditions,
        "channels": args.channels,
        "results": results,
        "peak_rss_gib": peak_rss_gib(),
        **environment(rsatoolbox=version("rsatoolbox")),
    }
    path = write_report(f"bench_rsa_{args.k}x{args.conditions}x{args.channels}", report)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
