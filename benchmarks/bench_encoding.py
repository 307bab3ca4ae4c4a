"""Encoding models from a wide layer: raw features vs the exact reduced representation.

Problem (the encoding issue): a 100,000-unit layer on 2,000 stimuli predicting 500 neuroids,
``repgeom.encoding.fit_encoding`` (himalaya RidgeCV, 5 outer × 5 inner folds, 17 alphas),
once on the raw float32 features and once on ``Z = U S`` from :func:`repgeom.reduce.reduce`
(its cost included). Scores must agree to 1e-6. Each path runs in its own process so its
peak RSS is its own. Results: ``benchmarks/out/bench_encoding.json``. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import environment, peak_rss_gib, write_report


def make_data(n: int, p: int, k: int, path: str, seed: int = 0) -> None:
    """A low-dimensional latent drives both the layer and the neuroids (plus noise)."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 50)).astype(np.float32)
    X = latent @ rng.standard_normal((50, p)).astype(np.float32)
    X += rng.standard_normal((n, p), dtype=np.float32)
    Y = latent @ rng.standard_normal((50, k)) + 3.0 * rng.standard_normal((n, k))
    np.savez(path, X=X, Y=Y)


def run(mode: str, path: str) -> dict:
    from repgeom.encoding import fit_encoding
    from repgeom.reduce import reduce

    data = np.load(path)
    X, Y = data["X"], data["Y"]
    start = time.perf_counter()
    features = X if mode == "raw" else reduce(X).features
    reduced_at = time.perf_counter() - start
    result = fit_encoding(features, Y)
    return {
        "mode": mode,
        "seconds": round(time.perf_counter() - start, 2),
        "reduction_seconds": round(reduced_at, 2) if mode == "reduced" else None,
        "peak_rss_gb": peak_rss_gib(),
        "features_shape": list(features.shape),
        "median_r": float(np.median(result.pearson_r)),
        "pearson_r": result.pearson_r.tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-stimuli", type=int, default=2000)
    parser.add_argument("--n-units", type=int, default=100_000)
    parser.add_argument("--n-neuroids", type=int, default=500)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.data)))
        return
    folder = tempfile.mkdtemp(dir=os.environ.get("REPGEOM_SCRATCH"))
    path = os.path.join(folder, "data.npz")
    make_data(args.n_stimuli, args.n_units, args.n_neuroids, path)
    runs = {}
    for mode in ("reduced", "raw"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--data", path],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        runs[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        print({k: v for k, v in runs[mode].items() if k != "pearson_r"}, flush=True)
    os.remove(path)
    os.rmdir(folder)
    diff = float(
        np.max(np.abs(np.subtract(runs["raw"]["pearson_r"], runs["reduced"]["pearson_r"])))
    )
    import himalaya

    report = {
        "benchmark": "fit_encoding on a wide layer: raw vs exact reduced",
        "n_stimuli": args.n_stimuli,
        "n_units": args.n_units,
        "n_neuroids": args.n_neuroids,
        "runs": {m: {k: v for k, v in r.items() if k != "pearson_r"} for m, r in runs.items()},
        "max_abs_difference_in_r": diff,
        "speedup": round(runs["raw"]["seconds"] / runs["reduced"]["seconds"], 1),
        **environment(himalaya=himalaya.__version__),
    }
    out = write_report(f"bench_encoding_{args.n_stimuli}x{args.n_units}", report)
    print(f"max |r_raw - r_reduced| = {diff:.2e}; wrote {out}")


if __name__ == "__main__":
    main()
