"""Every registered metric's K × K matrix: the code before the one-registry redesign vs now.

Problem: K = 50 representations of 500 stimuli × 512 units (a shared 64-dimensional latent,
each with its own mixing and noise), each with 3 single trials (stochastic metrics use the
trials; the others use the trial means), every workflow method of the registry with the
parameters in ``PARAMS``, all K(K−1)/2 pairs through
``repgeom.distances.distance_block(reps, method, params)``.

- before: the code at commit ``e7c51a7`` (checked out with ``git worktree add --detach``),
  run in a subprocess with ``PYTHONPATH`` on its ``src``;
- after: this working tree, in a subprocess the same way.

Slow metrics run at a smaller K (``SLOW_K``, shown in the table); metrics the old code did
not offer have no "before"; ``dsa`` is left out (it runs on clips in its own stage, and the
old ``distance_block`` did not offer it); ``pwcca`` is not symmetric, so it makes no workflow
matrix; ``cca``/``svcca`` are skipped when units ≥ stimuli − 1 (canonical correlations are
then degenerate). Both runs must give the same matrix: the table shows max |before − after|.

Results go to ``benchmarks/out/bench_pairwise_all.json``. Not a test. Usage:
``.venv/bin/python benchmarks/bench_pairwise_all.py [--k 50] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import environment, write_report

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "e7c51a7"
#: Parameters of each method (the same for both runs).
PARAMS: dict[str, dict] = {
    "linear_shape": {"alpha": 0.5},
    "rsa": {"rdm_method": "correlation", "comparator": "spearman"},
    "angular_cka": {"kernel": "linear"},
    "cka": {},
    "linear_cka_angle": {},
    "stress": {},
    "affine_invariant_riemannian": {"eps": 0.1},
    "angular_shape_metric": {"p": 64},
    "euclidean_shape_metric": {"p": 64},
    "energy_stochastic": {"n_components": 10},
    "gaussian_stochastic": {"n_components": 10, "niter": 50},
    "permutation_shape": {},
    "mutual_knn": {"k": 10},
    "cca": {},
    "svcca": {},
}
#: K for metrics whose old per-pair cost would take minutes at K = 50 on 2 cores.
SLOW_K = {
    "affine_invariant_riemannian": 10,
    "angular_shape_metric": 10,
    "euclidean_shape_metric": 10,
    "energy_stochastic": 12,
    "gaussian_stochastic": 5,
    "permutation_shape": 20,
}
#: Trials per stimulus.
N_TRIALS = 3


def make_data(k: int, n_stimuli: int, n_units: int, seed: int = 0) -> dict[str, np.ndarray]:
    """K representations sharing a 64-dimensional latent, with ``N_TRIALS`` noisy trials."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_stimuli, 64))
    out = {}
    for r in range(k):
        base = latent @ rng.standard_normal((64, n_units))
        trials = base[:, None, :] + rng.standard_normal((n_stimuli, N_TRIALS, n_units))
        out[f"trials{r}"] = trials
    return out


def child(data_path: str, plan_path: str, out_path: str) -> None:
    """Time ``distance_block`` for each planned method on the representations of
    ``data_path`` (run by the code on ``PYTHONPATH``)."""
    from repgeom.distances import distance_block
    from repgeom.representations import Representation

    data = np.load(data_path)
    plan = json.loads(Path(plan_path).read_text())
    results, matrices = {}, {}
    for method, (k, params) in plan.items():
        reps = []
        for r in range(k):
            trials = data[f"trials{r}"]
            X = trials.mean(axis=1)
            reps.append(
                Representation(f"r{r}", X, X.mean(axis=1), X.shape[1], {}, (len(X),), trials)
            )
        start = time.perf_counter()
        D = distance_block(reps, method, params, progress=False)
        results[method] = time.perf_counter() - start
        matrices[method] = D
        print(f"  {method}: {results[method]:.2f} s", file=sys.stderr, flush=True)
    np.savez(out_path, **matrices)
    Path(out_path + ".json").write_text(json.dumps(results))


def _run(src: Path, data_path: Path, plan: dict, tmp: Path, tag: str) -> tuple[dict, dict]:
    plan_path, out_path = tmp / f"plan_{tag}.json", tmp / f"out_{tag}.npz"
    plan_path.write_text(json.dumps(plan))
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--child", str(data_path), str(plan_path), str(out_path)]
    print(f"{tag}: {src}", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, env=env, cwd=tmp)
    times = json.loads(Path(str(out_path) + ".json").read_text())
    with np.load(out_path) as f:
        return times, {m: f[m] for m in f.files}


def _old_methods(src: Path) -> list[str]:
    code = "from repgeom.distances import methods; print(' '.join(methods()))"
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--n-stimuli", type=int, default=500)
    parser.add_argument("--n-units", type=int, default=512)
    parser.add_argument("--quick", action="store_true", help="K=6, 120 stimuli × 96 units")
    args = parser.parse_args()
    if args.quick:
        args.k, args.n_stimuli, args.n_units = 6, 120, 96
    sys.path.insert(0, str(ROOT / "src"))
    from repgeom.distances import methods

    skipped = {
        "dsa": "runs on clips in its own stage; not a distance_block method before or after",
        "pwcca": "not symmetric: no workflow matrix",
    }
    if args.n_units >= args.n_stimuli - 1:
        reason = f"{args.n_units} units ≥ {args.n_stimuli} stimuli − 1: CCA is degenerate"
        skipped |= {"cca": reason, "svcca": reason}
    plan = {
        m: (min(args.k, SLOW_K.get(m, args.k)), PARAMS.get(m, {}))
        for m in methods()
        if m not in skipped
    }
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        worktree = tmp / "bench-before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(worktree), BEFORE_COMMIT],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            data_path = tmp / "data.npz"
            np.savez(
                data_path,
                **make_data(max(k for k, _ in plan.values()), args.n_stimuli, args.n_units),
            )
            old = set(_old_methods(worktree / "src"))
            before_plan = {m: v for m, v in plan.items() if m in old}
            t_before, D_before = _run(worktree / "src", data_path, before_plan, tmp, "before")
            t_after, D_after = _run(ROOT / "src", data_path, plan, tmp, "after")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
            )
    rows = []
    for method, (k, params) in plan.items():
        before = t_before.get(method)
        diff = None
        if method in D_before:
            both = ~np.isnan(D_before[method])
            diff = float(np.max(np.abs(D_before[method][both] - D_after[method][both])))
        rows.append(
            {
                "metric": method,
                "params": params,
                "k": k,
                "pairs": k * (k - 1) // 2,
                "before_seconds": None if before is None else round(before, 3),
                "after_seconds": round(t_after[method], 3),
                "ratio_before_over_after": None
                if before is None
                else round(before / t_after[method], 2),
                "max_abs_difference": diff,
            }
        )
    env = environment()
    threads = env["hardware"]["cores"]
    shape = f"{args.n_stimuli}×{args.n_units} (+{N_TRIALS} trials)"
    print(
        f"\n{'metric':30s} {'K':>3s} {'before s':>9s} {'after s':>9s} {'ratio':>7s} "
        f"{'max|diff|':>10s}  shapes; threads={threads}"
    )
    for row in rows:
        b = "n/a" if row["before_seconds"] is None else f"{row['before_seconds']:.2f}"
        r = (
            "n/a"
            if row["ratio_before_over_after"] is None
            else f"{row['ratio_before_over_after']:.1f}"
        )
        d = "n/a" if row["max_abs_difference"] is None else f"{row['max_abs_difference']:.1e}"
        print(
            f"{row['metric']:30s} {row['k']:3d} {b:>9s} {row['after_seconds']:9.2f} {r:>7s} "
            f"{d:>10s}  {shape}"
        )
    for method, reason in skipped.items():
        print(f"{method:30s} skipped: {reason}")
    report = {
        "benchmark": "every registered metric's K × K matrix, before (e7c51a7) vs after",
        "before_commit": BEFORE_COMMIT,
        "k": args.k,
        "n_stimuli": args.n_stimuli,
        "n_units": args.n_units,
        "n_trials": N_TRIALS,
        "results": rows,
        "skipped": skipped,
        **env,
    }
    path = write_report("bench_pairwise_all", report)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
