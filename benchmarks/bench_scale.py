"""How the workflow's cost grows with the number of layers: per-rule job counts, time and memory.

For each target layer count L this runs a config's whole workflow with its first models (in
config order) holding at least L layers, in a fresh folder with the local profile, and reads
Snakemake's own benchmark files (every rule writes ``results/benchmarks/{rule}/*.tsv``: wall
seconds ``s`` and peak resident memory ``max_rss`` of each job). It reports, per L and rule:
the number of jobs, mean / max / total seconds per job, max peak memory, and the run's wall
time, job count and bytes of results. (The extraction's scratch disk is measured by
``bench_extract.py``; at the study's pooling no layer spills.)

    .venv/bin/python benchmarks/bench_scale.py                       # paper.yaml: 150, 300, all
    .venv/bin/python benchmarks/bench_scale.py --keep runs/scale     # runs/scale/layers-150 ...
    .venv/bin/python benchmarks/bench_scale.py --config config/scale.yaml --layers 50 100

Writes ``benchmarks/out/bench_scale_{config}.json``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import environment, write_report

REPO = Path(__file__).resolve().parents[1]


def first_models(config: dict, n_layers: int) -> dict:
    """The config with its first models holding at least ``n_layers`` layers (0: all)."""
    if n_layers <= 0:
        return config
    kept, total = {}, 0
    for name, model in config["models"].items():
        if total >= n_layers:
            break
        kept[name] = model
        total += len(model["layers"])
    return {**config, "models": kept}


def rule_costs(workdir: Path) -> dict[str, dict]:
    """Per rule: jobs, seconds per job (mean, max, total) and peak memory, from the TSVs."""
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
    return rules


def run(config_file: Path, n_layers: int, cores: int, keep: Path | None) -> dict:
    config = first_models(yaml.safe_load(config_file.read_text()), n_layers)
    config.pop("output_dir", None)  # --directory decides
    if keep is None:
        workdir = Path(tempfile.mkdtemp(prefix=f"repgeom-scale-{n_layers}-"))
    else:
        workdir = keep / f"layers-{n_layers or 'all'}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
    try:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
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
        results = workdir / "results"
        rules = rule_costs(workdir)
        return {
            "layers": sum(len(m["layers"]) for m in config["models"].values()),
            "models": len(config["models"]),
            "wall_s": round(wall, 1),
            "jobs": sum(r["jobs"] for r in rules.values()),
            "result_bytes": sum(f.stat().st_size for f in results.rglob("*") if f.is_file()),
            "rules": rules,
        }
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "paper.yaml")
    parser.add_argument(
        "--layers", type=int, nargs="+", default=[150, 300, 0], help="0: every model"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, help="run in KEEP/layers-L (results, figures, logs) and keep it"
    )
    args = parser.parse_args()
    results = []
    for n_layers in args.layers:
        result = run(args.config, n_layers, args.cores, args.keep)
        results.append(result)
        print(yaml.safe_dump(result, sort_keys=False), flush=True)
    report = {
        "config": str(args.config.resolve().relative_to(REPO)),
        "cores": args.cores,
        "runs": results,
        **environment(),
    }
    print(write_report(f"bench_scale_{args.config.stem}", report))


if __name__ == "__main__":
    main()
