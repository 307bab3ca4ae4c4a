"""Peak memory and time of extracting every block-level layer of ResNet-50: raw vs reduced.

Problem (the foundation issue's acceptance check): untrained ResNet-50, 2,000 stimuli at
224 × 224, the block-level layers stem (max-pool), layer1–layer4 and the global average pool
(1.7 M units per stimulus in all, 802,816 in layer1).

- ``raw``: what users do today: one forward pass per batch through torchvision's feature
  extractor, concatenating every layer's float32 activations in RAM.
- ``raw-tuned``: the same rows (in (channel, y, x) order, kept in RAM) through repgeom's
  forward pass: glibc's malloc keeping freed memory for reuse
  (:func:`repgeom.models.allocator.reuse_freed_memory`) and the prepared graph
  (:func:`repgeom.models.extract.inference_graph`: batch norms folded, channels-last), as
  ``reduced`` runs it: how much of the difference is the forward pass rather than the
  reduction.
- ``reduced``: repgeom's path: the same forward passes stream into
  :class:`repgeom.reduce.GramAccumulator` (float32 spill to a scratch file on disk, float64 Gram
  matrix per layer, one eigendecomposition), keeping only Z = U S (2,000 × ≤2,000 per layer).
  The spill is bounded by ``--scratch-gb`` (the config's ``scratch_budget_gb``, default 4): a
  wider spill is split over several passes (:func:`repgeom.reduce.plan_passes`). The report
  gives the passes, the planned bound and the peak bytes of scratch files seen on disk
  (polled every 0.1 s).

The stimuli (distinct photo crops) are built once by the parent and saved; each mode runs in
its own subprocess, loads them (1.2 GB at full size, counted) and reports its own peak RSS
(``VmHWM``: see ``_common.peak_rss_gib``). Results go to
``benchmarks/out/bench_extract.json`` with hardware, versions and thread counts. Not a test.

Usage::

    .venv/bin/python benchmarks/bench_extract.py                 # all three modes, full size
    .venv/bin/python benchmarks/bench_extract.py --n-stimuli 200 --size 96   # quick look
    .venv/bin/python benchmarks/bench_extract.py --n-stimuli 10000 --size 64 --modes reduced
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import torch
from _common import environment, peak_rss_gib, write_report

LAYERS = {
    "stem": "maxpool",
    "layer1": "layer1",
    "layer2": "layer2",
    "layer3": "layer3",
    "layer4": "layer4",
    "pool": "avgpool",
}

MODES = ("raw", "raw-tuned", "reduced")


def _images(n: int, size: int) -> np.ndarray:
    """``n`` distinct photo crops from scikit-image: 18 photos, each whole and at 2 smaller
    scales on a grid of at least 8 × 8 positions (finer for more than 2,322 stimuli)."""
    from repgeom.stimuli import photo_crops

    positions = max(8, math.ceil(math.sqrt((n / 18 - 1) / 2)))
    images = photo_crops(size=size, scales=(1.0, 0.6, 0.35), positions=positions)
    images = images["images"].values
    if len(images) < n:
        raise SystemExit(f"only {len(images)} distinct crops; ask for at most that many")
    return np.ascontiguousarray(images[:n])


class ScratchWatch(threading.Thread):
    """Polls the total size of the files in a folder; ``peak`` is the largest seen."""

    def __init__(self, folder: str) -> None:
        super().__init__(daemon=True)
        self.folder, self.peak, self.done = folder, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            sizes = []
            for entry in os.scandir(self.folder):
                try:
                    sizes.append(entry.stat().st_size)
                except FileNotFoundError:  # removed between listing and stat
                    pass
            self.peak = max(self.peak, sum(sizes))


def run_mode(mode: str, images_path: str, batch_size: int, scratch_gb: float) -> dict:
    """One mode, in its own process; the stimuli were built by the parent (their construction
    is not part of extraction's memory)."""
    from torchvision.models.feature_extraction import create_feature_extractor

    from repgeom.models import build_model, extract_reduced
    from repgeom.models.allocator import reuse_freed_memory
    from repgeom.models.extract import _normalise, inference_graph
    from repgeom.reduce import plan_passes

    images = np.load(images_path)
    n = len(images)
    model = build_model("resnet50", seed=0)
    start, cpu_start = time.perf_counter(), os.times()
    if mode in ("raw", "raw-tuned"):
        device = torch.device("cpu")
        extractor = create_feature_extractor(model, return_nodes={v: k for k, v in LAYERS.items()})
        allocator = contextlib.nullcontext()
        if mode == "raw-tuned":
            extractor, allocator = inference_graph(extractor, device), reuse_freed_memory()
        parts: dict[str, list[np.ndarray]] = {k: [] for k in LAYERS}
        with allocator, torch.inference_mode():
            for s in range(0, n, batch_size):
                out = extractor(_normalise(images[s : s + batch_size], device))
                for k in LAYERS:  # one copy, in (channel, y, x) order
                    rows = out[k].clone(memory_format=torch.contiguous_format)
                    parts[k].append(rows.reshape(rows.shape[0], -1).numpy())
        widths = {k: int(sum(p.shape[1] for p in v[:1])) for k, v in parts.items()}
        extra = {}
    else:
        budget = int(scratch_gb * 10**9)
        with tempfile.TemporaryDirectory(dir=os.environ.get("REPGEOM_SCRATCH")) as scratch:
            watch = ScratchWatch(scratch)
            watch.start()
            result = extract_reduced(
                model,
                images,
                LAYERS,
                batch_size=batch_size,
                scratch_dir=scratch,
                scratch_budget=budget,
                progress=False,
            )
            watch.done.set()
            watch.join()
        widths = {k: r.n_units for k, (r, _) in result.items()}
        extra = {
            "components_per_layer": {k: r.n_components for k, (r, _) in result.items()},
            "scratch_budget_gb": scratch_gb,
            "passes": len(plan_passes(n, widths, budget_bytes=budget)),
            "peak_scratch_gb": round(watch.peak / 1e9, 2),
            "spill_without_budget_gb": round(n * 4 * sum(widths.values()) / 1e9, 2),
        }
    seconds = time.perf_counter() - start
    cpu = os.times()
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "cpu_user_s": round(cpu.user - cpu_start.user, 1),
        "cpu_system_s": round(cpu.system - cpu_start.system, 1),
        "peak_rss_gb": peak_rss_gib(),
        "units_per_layer": widths,
        **extra,
    }


def _ratios(runs: list[dict]) -> dict[str, float]:
    """reduced / raw and reduced / raw-tuned wall times, for the modes that ran."""
    seconds = {r["mode"]: r["seconds"] for r in runs if "seconds" in r}
    if "reduced" not in seconds:
        return {}
    return {
        f"reduced/{mode}": round(seconds["reduced"] / seconds[mode], 3)
        for mode in ("raw", "raw-tuned")
        if mode in seconds
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-stimuli", type=int, default=2000)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--modes", nargs="+", default=["raw", "reduced", "raw-tuned"], choices=MODES
    )
    parser.add_argument(
        "--scratch-gb", type=float, default=4.0, help="scratch budget (GB, 10^9 bytes)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--images", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.child, args.images, args.batch_size, args.scratch_gb)))
        return
    scratch = tempfile.mkdtemp(dir=os.environ.get("REPGEOM_SCRATCH"))
    images_path = os.path.join(scratch, "images.npy")
    np.save(images_path, _images(args.n_stimuli, args.size))
    runs = []
    for mode in args.modes:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--images",
            images_path,
            "--batch-size",
            str(args.batch_size),
            "--scratch-gb",
            str(args.scratch_gb),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            runs.append({"mode": mode, "failed": proc.stderr[-2000:]})
        else:
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1]), flush=True)
    os.remove(images_path)
    os.rmdir(scratch)
    import repgeom

    report = {
        "benchmark": "extract resnet50 block-level layers, raw vs exact reduced",
        "n_stimuli": args.n_stimuli,
        "image_size": args.size,
        "batch_size": args.batch_size,
        "layers": LAYERS,
        "runs": runs,
        "time_ratios": _ratios(runs),
        **environment(repgeom=repgeom.__version__),
    }
    name = f"bench_extract_{args.n_stimuli}x{args.size}_b{args.batch_size}_s{args.scratch_gb:g}"
    path = write_report(name, report)
    print(json.dumps(report["time_ratios"]))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
