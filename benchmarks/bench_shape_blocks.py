"""Block timing of the batched (torch) pairwise path and its extrapolation to K = 1,000.

The shape-metrics issue asks for K = 1,000 representations of 1,000 stimuli, all 499,500
pairs, in under 10 minutes on one H100-class GPU, measured where a device is lent or else
extrapolated from measured block times. This script measures, on this machine, one block
of the batched (GEMM + Newton–Schulz) pair path, ``LinearMetric.score_pairs(...,
batched=True)`` (what a CUDA device selects), and the time of one (k × k) GEMM at the same
size and precision, and reports the ratio: how many GEMMs a pair costs (1 product + 2 per
Newton–Schulz step = 61 by construction). The GPU figure is then that ratio times the
H100 GEMM and polar-iteration times the issue quotes (measured there, not here): it is an
extrapolation, and the report says so.

Results go to ``benchmarks/out/bench_shape_blocks_{n}x{units}.json``. Not a test. Usage:
``.venv/bin/python benchmarks/bench_shape_blocks.py [--block-size 4]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _common import environment, write_report
from bench_shape import make_representations

from repgeom.blocks import Block
from repgeom.metrics import LinearMetric
from repgeom.metrics.shape import POLAR_STEPS

#: The issue's H100 measurements for one 1,000 × 1,000 pair matrix (fp32).
H100_GEMM_MS = 0.04
H100_POLAR_30_STEPS_MS = 0.85


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-stimuli", type=int, default=1000)
    parser.add_argument("--n-units", type=int, default=1000)
    parser.add_argument("--block-size", type=int, default=4)
    parser.add_argument("--k-target", type=int, default=1000)
    args = parser.parse_args()
    B = args.block_size
    reps = make_representations(2 * B, args.n_stimuli, args.n_units)
    metric = LinearMetric(alpha=1.0)
    block = Block(0, 1, size=B, n=2 * B)
    prepared = {k: metric.prepare(reps[k]) for k in block.members}
    start = time.perf_counter()
    D = metric.score_pairs(prepared, block.pairs, batched=True, device=torch.device("cpu"))
    block_seconds = time.perf_counter() - start
    pairs = len(block.pairs)
    exact = metric.score_pairs(prepared, block.pairs, batched=False)
    M = torch.randn(args.n_units, args.n_units, dtype=torch.float64)
    M @ M
    start = time.perf_counter()
    for _ in range(10):
        M @ M
    gemm_seconds = (time.perf_counter() - start) / 10
    gemms_per_pair = block_seconds / pairs / gemm_seconds
    k_pairs = args.k_target * (args.k_target - 1) // 2
    per_pair_ms = H100_GEMM_MS + H100_POLAR_30_STEPS_MS * POLAR_STEPS / 30
    report = {
        "benchmark": "torch pairwise block on this CPU, extrapolated to K pairs on one H100",
        "n_stimuli": args.n_stimuli,
        "n_units": args.n_units,
        "block_pairs": pairs,
        "block_seconds_cpu_float64": round(block_seconds, 2),
        "seconds_per_pair_cpu": round(block_seconds / pairs, 3),
        "gemm_seconds_cpu_float64": round(gemm_seconds, 4),
        "measured_gemms_per_pair": round(gemms_per_pair, 1),
        "gemms_per_pair_by_construction": 1 + 2 * POLAR_STEPS,
        "max_abs_difference_vs_exact": float(np.nanmax(np.abs(D - exact))),
        "k_target": args.k_target,
        "pairs_at_k_target": k_pairs,
        "extrapolated_h100_ms_per_pair": per_pair_ms,
        "extrapolated_h100_minutes_all_pairs": round(k_pairs * per_pair_ms / 60000, 1),
        "extrapolated_h100_minutes_if_every_gemm_took_0.04ms": round(
            k_pairs * (1 + 2 * POLAR_STEPS) * H100_GEMM_MS / 60000, 1
        ),
        "note": "extrapolation from the issue's H100 figures; no GPU was lent to this session",
        **environment(),
    }
    path = write_report(f"bench_shape_blocks_{args.n_stimuli}x{args.n_units}", report)
    for key in (
        "seconds_per_pair_cpu",
        "measured_gemms_per_pair",
        "max_abs_difference_vs_exact",
        "extrapolated_h100_minutes_all_pairs",
    ):
        print(key, report[key])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
