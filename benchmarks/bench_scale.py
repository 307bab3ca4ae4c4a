"""How the workflow's cost grows with the number of representations K (config/scale.yaml).

For K = 50, 100 and 200 (the first ceil((K − 1) / 6) ResNet-18 seeds of ``config/scale.yaml``,
6 layers each, plus the V1 dataset) this runs the whole workflow in a fresh folder with the
local profile and reads Snakemake's own benchmark files (``results/benchmarks/{rule}/*.tsv``:
wall seconds ``s`` and peak resident memory ``max_rss`` of each job). It reports, per K and
rule: the number of jobs, mean and max seconds per job, max peak memory, and the workflow's
wall time.

    .venv/bin/python benchmarks/bench_scale.py            # writes benchmarks/out/bench_scale.json
    .venv/bin/python benchmarks/bench_scale.py --ks 50    # one K only
"""

from __future__ import annotations

import argparse
import csv
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import environment, write_report

REPO = Path(__file__).resolve().parents[1]
SCALE = REPO / "config" / "scale.yaml"
LAYERS_PER_MODEL = 6


def run(k: int, cores: int) -> dict:
    config = yaml.safe_load(SCALE.read_text())
    n_models = math.ceil((k - 1) / LAYERS_PER_MODEL)
    config["models"] = dict(list(config["models"].items())[:n_models])
    with tempfile.TemporaryDirectory(prefix=f"repgeom-scale-{k}-") as tmp:
        workdir = Path(tmp)
        (workdir / "config.yaml").write_text(yaml.safe_dump(config))
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--snakefile",
                str(REPO / "Snakefile"),
                "--profile",
                str(REPO / "workflow/profiles/local"),
                "--directory",
                str(workdir),
                "--configfile",
                str(workdir / "config.yaml"),
                "--cores",
                str(cores),
                "--quiet",
            ],
            check=True,
        )
        wall = time.perf_counter() - start
        rules = {}
        for folder in sorted((workdir / "results/benchmarks").iterdir()):
            rows = []
            for tsv in folder.glob("*.tsv"):
                with tsv.open() as handle:
                    rows += list(csv.DictReader(handle, delimiter="\t"))
            seconds = [float(r["s"]) for r in rows]
            rules[folder.name] = {
                "jobs": len(rows),
                "mean_s_per_job": round(sum(seconds) / len(seconds), 2),
                "max_s_per_job": round(max(seconds), 2),
                "sum_s": round(sum(seconds), 1),
                "max_peak_rss_mib": round(max(float(r["max_rss"]) for r in rows), 1),
            }
    n_reps = n_models * LAYERS_PER_MODEL + 1
    return {"K": n_reps, "models": n_models, "wall_s": round(wall, 1), "rules": rules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    results = []
    for k in args.ks:
        result = run(k, args.cores)
        results.append(result)
        print(yaml.safe_dump(result, sort_keys=False), flush=True)
    scale = yaml.safe_load(SCALE.read_text())
    report = {
        "config": "config/scale.yaml",
        "stimuli": "96 gratings, 32 px",
        "block_size": scale["analyses"]["distances"]["block_size"],
        "metrics": list(scale["analyses"]["distances"]["metrics"]),
        "cores": args.cores,
        "runs": results,
        **environment(),
    }
    print(write_report("bench_scale", report))


if __name__ == "__main__":
    main()
