"""Encoding models from a wide layer: raw features vs the exact reduced representation.

Problem (the encoding issue): a 100,000-unit layer on 2,000 stimuli predicting 500 neuroids,
``repgeom.encoding.fit_encoding`` (himalaya RidgeCV, 5 outer × 5 inner folds, 17 alphas),
once on the raw float32 features and once on ``Z = U S`` from :func:`repgeom.reduce.reduce`
(its cost included). Scores must agree to 1e-6. Each path runs in its own process so its
peak RSS is its own. Results: ``benchmarks/out/bench_encoding.json``. Not a test.

``--solvers``: the ridge solver itself at the paper config's shapes (1,368 stimuli, reduced
features of 64–2,048 columns, 200 neuroids, 3 outer × 3 inner folds, 17 alphas): repgeom's
SVD ridge (:func:`repgeom.encoding.ridge_cv`, what ``fit_encoding`` runs on the numpy backend)
against himalaya's ``RidgeCV`` (``KernelRidgeCV`` with a linear kernel when the features
outnumber an outer fold's 912 training stimuli, as repgeom called it before) in the same
process on the same data, with the largest difference in held-out r. Results:
``benchmarks/out/bench_encoding_solvers.json``.
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


def solvers(n: int, widths: list[int], k: int, repeats: int = 2) -> dict:
    """Seconds per ``fit_encoding`` call with repgeom's SVD ridge and with himalaya RidgeCV."""
    from unittest import mock

    from himalaya.kernel_ridge import KernelRidgeCV
    from himalaya.ridge import RidgeCV

    from repgeom import encoding

    def himalaya_ridge(X_train, Y_train, X_test, *, alphas, cv, fit_intercept):
        # himalaya's fastest form: the linear kernel when features outnumber the stimuli
        wide = X_train.shape[0] < X_train.shape[1]
        kind = KernelRidgeCV if wide else RidgeCV
        est = kind(alphas=np.asarray(alphas), cv=cv, fit_intercept=fit_intercept)
        est.fit(X_train, Y_train)
        return est.predict(X_test), est.best_alphas_, est.cv_scores_

    rows = []
    for p in widths:
        rng = np.random.default_rng(p)
        latent = rng.standard_normal((n, 20))
        X = latent @ rng.standard_normal((20, p)) + rng.standard_normal((n, p))
        Y = latent @ rng.standard_normal((20, k)) + 3.0 * rng.standard_normal((n, k))
        times, r = {}, {}
        for name, solver in (("repgeom", encoding.ridge_cv), ("himalaya", himalaya_ridge)):
            with mock.patch.object(encoding, "ridge_cv", solver):
                best = float("inf")
                for _ in range(repeats):
                    start = time.perf_counter()
                    result = encoding.fit_encoding(X, Y, cv=3, outer_cv=3)
                    best = min(best, time.perf_counter() - start)
            times[name], r[name] = best, result.pearson_r
        rows.append(
            {
                "shape": [n, p, k],
                "repgeom_s": round(times["repgeom"], 3),
                "himalaya_s": round(times["himalaya"], 3),
                "speedup": round(times["himalaya"] / times["repgeom"], 1),
                "max_abs_difference_in_r": float(np.max(np.abs(r["repgeom"] - r["himalaya"]))),
            }
        )
        print(rows[-1], flush=True)
    return {"benchmark": "ridge solver: repgeom SVD ridge vs himalaya RidgeCV", "runs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-stimuli", type=int, default=2000)
    parser.add_argument("--n-units", type=int, default=100_000)
    parser.add_argument("--n-neuroids", type=int, default=500)
    parser.add_argument(
        "--solvers", action="store_true", help="compare the ridge solvers (see above)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child, args.data)))
        return
    if args.solvers:
        import himalaya

        report = solvers(1368, [64, 256, 512, 1024, 2048], 200)
        out = write_report(
            "bench_encoding_solvers", {**report, **environment(himalaya=himalaya.__version__)}
        )
        print(f"wrote {out}")
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
