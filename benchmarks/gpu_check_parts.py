"""The parts of ``gpu_check.sh``: each GPU path at the issue's size, or tiny on the CPU.

Every part runs the same library calls with the same parameters on ``cuda`` (``--size full``)
and on ``cpu`` (``--size tiny``), so a device run has nothing left to debug. The data come
from the benchmark scripts' own set-up functions (imported, not copied). Two of those scripts
import a peer tool at the top (rsatoolbox, dsa-metric) that the GPU image lacks and no part
calls: :func:`import_bench` lends them an empty module there.

Library signatures are read at run time (``inspect.signature``), so a part keeps working
while an API gains or loses its ``device=``/``backend=`` arguments; the JSON records which
form was called.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import environment, peak_rss_gib

REPO = Path(__file__).resolve().parents[1]

#: Sizes per part: ``full`` is the issue's problem, ``tiny`` the same calls in seconds.
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "shape": {
        "full": dict(k=300, n_stimuli=1000, n_units=1000, warmup_k=40, sample_pairs=50),
        "tiny": dict(k=8, n_stimuli=60, n_units=40, warmup_k=5, sample_pairs=6),
    },
    "dsa": {
        # tiny keeps 64 × 64 operators: the size from which the search runs in float32
        # the first warmup_k systems: a warm-up on the device and the CPU sample (all pairs)
        "full": dict(k=30, T=1000, n=20, n_delays=10, warmup_k=5),
        "tiny": dict(k=2, T=300, n=8, n_delays=8, warmup_k=2),
    },
    "encoding": {
        "full": dict(n_stimuli=2000, n_units=100_000, n_neuroids=500),
        "tiny": dict(n_stimuli=100, n_units=2000, n_neuroids=20),
    },
    "extract": {
        "full": dict(n_stimuli=2000, image_size=224, batch_size=32),
        "tiny": dict(n_stimuli=8, image_size=64, batch_size=4),
    },
    "rdm": {
        "full": dict(k=50, conditions=1000, channels=4096),
        "tiny": dict(k=3, conditions=60, channels=128),
    },
}
#: Targets (issue #19 and the issues it proves).
SHAPE_K_TARGET, SHAPE_MINUTES = 1000, 10.0
DSA_K_TARGET, DSA_MINUTES = 100, 5.0
ENCODING_R_TOL = 1e-6
SHAPE_TOL = 1e-3  # radians: the float32 polar iteration against float64 SVDs
DSA_TOL = 1e-3  # mean |difference| of the angular distance, GPU against CPU
RDM_REL_TOL = 1e-9  # float64 Gram form against repgeom's rdm, relative to the largest entry


# -- shared helpers ---------------------------------------------------------------------------


def import_bench(module: str, peers: tuple[str, ...] = ()) -> types.ModuleType:
    """Import a benchmark script for its set-up functions. A peer tool it imports at the top
    and that is not installed gets an empty stand-in whose attributes raise when called."""
    tops = {peer.split(".")[0] for peer in peers}
    missing = {t for t in tops if t not in sys.modules and importlib.util.find_spec(t) is None}
    for peer in peers:
        if peer.split(".")[0] not in missing:
            continue
        parts = peer.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            stub = sys.modules.setdefault(name, types.ModuleType(name))
            stub.__getattr__ = _absent(name)  # type: ignore[method-assign]
    return importlib.import_module(module)


def _absent(module: str) -> Callable[[str], Any]:
    def attribute(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)

        def missing(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"{module}.{attr} is not installed here (gpu_check stand-in)")

        return missing

    return attribute


def parameters(fn: Any) -> set[str]:
    """Names ``fn`` accepts; ``**`` when it takes arbitrary keywords."""
    params = inspect.signature(fn).parameters.values()
    names = {p.name for p in params}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        names.add("**")
    return names


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(on: torch.device, fn: Callable[..., Any], /, *args: Any, **kwargs: Any):
    """``fn(*args, **kwargs)`` and its wall time, the device's queue drained on both sides."""
    sync(on)
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    sync(on)
    return out, time.perf_counter() - start


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gpu_gib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**30, 3)


def start(report: Any, part: str, device_name: str, size: str) -> tuple[torch.device, dict]:
    """Resolve the device, record the environment and the sizes; return both."""
    device = torch.device(device_name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device cuda asked for, but torch sees no CUDA device")
    sizes = SIZES[part][size] if part in SIZES else {}
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"cpu ({os.cpu_count()} cores)"
    )
    report.update(
        sizes=sizes,
        device_name=name,
        torch_version=torch.__version__,
        cuda_version=torch.version.cuda,
        torch_threads=torch.get_num_threads(),
        environment=environment(),
    )
    return device, sizes


def on_gpu(device: torch.device, ok: bool) -> bool | None:
    """A time target is judged on the GPU only (``None`` on the CPU)."""
    return ok if device.type == "cuda" else None


def check_minutes(
    report: Any, device: torch.device, k_target: int, minutes: float, limit: float
) -> None:
    """Check the minutes extrapolated to ``K = k_target`` against ``limit`` (on the GPU only)."""
    report.check(
        f"minutes for K = {k_target} (extrapolated)",
        round(minutes, 2),
        f"< {limit:g}",
        on_gpu(device, minutes < limit),
    )


def even_sample(items: list, n: int) -> list:
    return items[:: max(1, len(items) // n)][:n]


# -- 1. the GPU-only tests --------------------------------------------------------------------


def part_gpu_tests(report: Any, device_name: str, size: str, deadline: float) -> None:
    """``pytest -m gpu -q``: pass, fail and skip counts (all skipped on a CPU: expected)."""
    import re

    device, _ = start(report, "gpu_tests", device_name, size)
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider"]
    report.update(command=" ".join(["python", *command[1:]]))
    try:
        proc = subprocess.run(
            command,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=max(deadline - time.monotonic() - 3, 5),
        )
        output, returncode = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as error:
        output = error.stdout or b""  # bytes, whatever text= says
        output = output.decode(errors="replace") if isinstance(output, bytes) else output
        returncode = "timeout"
    counts = {
        word if word != "error" else "errors": int(n)
        for n, word in re.findall(
            r"(\d+) (passed|failed|skipped|deselected|errors|error|xfailed|xpassed)",
            output.strip().splitlines()[-1] if output.strip() else "",
        )
    }
    for key in ("passed", "failed", "skipped", "errors", "deselected"):
        counts.setdefault(key, 0)
    report.update(returncode=returncode, counts=counts, output_tail=output[-3000:])
    bad = counts["failed"] + counts["errors"]
    # pytest's exit code 5: no test collected (every test deselected)
    report.check("failed + errors", bad, "== 0", bad == 0 and returncode in (0, 5))
    if device.type == "cuda":
        report.check("passed", counts["passed"], "> 0", counts["passed"] > 0)
        report.check("skipped on a GPU", counts["skipped"], "== 0", counts["skipped"] == 0)
    else:
        report.check("skipped (no GPU here)", counts["skipped"], "any", None)
    report.stage(
        "pytest",
        headline=f"{counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {counts['errors']} errors, "
        f"{counts['deselected']} deselected (rc {returncode})",
    )


# -- 2. RDMs and their comparisons ------------------------------------------------------------


def torch_euclidean_rdm(X: torch.Tensor) -> torch.Tensor:
    """Condensed ``‖xᵢ − xⱼ‖² / p`` (scipy order) from the Gram matrix ``X Xᵀ``."""
    n, p = X.shape
    G = X @ X.mT
    sq = G.diagonal()
    D = (sq[:, None] + sq[None, :] - 2 * G).clamp_min_(0) / p
    i, j = torch.triu_indices(n, n, 1, device=X.device)
    return D[i, j]


def part_rdm(report: Any, device_name: str, size: str, deadline: float) -> None:
    """Euclidean RDMs (repgeom's numpy ``rdm`` vs a float64 torch matmul on the device, and
    repgeom's own device path where ``rdm`` takes ``device=``); RDM comparisons likewise."""
    device, s = start(report, "rdm", device_name, size)
    bench_rsa = import_bench("bench_rsa", ("rsatoolbox", "rsatoolbox.data", "rsatoolbox.rdm"))
    from repgeom.metrics import compare_rdms, rdm

    Xs = [bench_rsa.dataset(seed, s["conditions"], s["channels"]) for seed in range(s["k"])]
    report.update(dtype="float64", datasets=len(Xs), shape=list(Xs[0].shape))
    rdm(Xs[0], "euclidean")
    R_np, t_np = timed(device, lambda: np.stack([rdm(X, "euclidean") for X in Xs]))
    report.stage("numpy rdm", numpy_seconds=round(t_np, 4))

    lib_device = "device" in parameters(rdm)
    report.update(repgeom_rdm_takes_device=lib_device)
    if lib_device:
        rdm(Xs[0], "euclidean", device=device)
        R_lib, t_lib = timed(
            device, lambda: np.stack([np.asarray(rdm(X, "euclidean", device=device)) for X in Xs])
        )
        report.stage(
            "repgeom rdm on device",
            repgeom_device_seconds=round(t_lib, 4),
            repgeom_device_max_abs_difference=float(np.max(np.abs(R_lib - R_np))),
        )

    def with_transfers() -> np.ndarray:
        return np.stack(
            [torch_euclidean_rdm(torch.from_numpy(X).to(device)).cpu().numpy() for X in Xs]
        )

    with_transfers()  # warm-up: CUDA context, cuBLAS handles
    R_t, t_t = timed(device, with_transfers)
    resident = [torch.from_numpy(X).to(device) for X in Xs]
    reset_peak(device)
    _, t_resident = timed(device, lambda xs: [torch_euclidean_rdm(X) for X in xs], resident)
    scale = float(np.max(np.abs(R_np)))
    rel = float(np.max(np.abs(R_t - R_np))) / scale
    report.stage(
        "torch matmul rdm",
        torch_seconds_with_transfers=round(t_t, 4),
        torch_seconds_on_device=round(t_resident, 4),
        speedup_with_transfers=round(t_np / t_t, 2),
        speedup_on_device=round(t_np / t_resident, 2),
        max_relative_difference=rel,
        peak_gpu_gib=peak_gpu_gib(device),
    )
    report.check("torch rdm vs numpy, relative", rel, f"<= {RDM_REL_TOL}", rel <= RDM_REL_TOL)
    del resident

    compare_device = "device" in parameters(compare_rdms)
    comparisons = {}
    for method in ("spearman", "corr_cov"):
        compare_rdms(R_np[:2], R_np[:2], method)
        S, t = timed(device, compare_rdms, R_np, R_np, method)
        row = {"numpy_seconds": round(t, 4)}
        if compare_device:
            compare_rdms(R_np[:2], R_np[:2], method, device=device)
            S_d, t_d = timed(device, compare_rdms, R_np, R_np, method, device=device)
            row.update(
                device_seconds=round(t_d, 4),
                max_abs_difference=float(np.max(np.abs(np.asarray(S_d) - S))),
            )
        comparisons[method] = row
    report.stage(
        "compare_rdms",
        compare_rdms_takes_device=compare_device,
        compare_rdms=comparisons,
        note=None
        if lib_device and compare_device
        else "repgeom.metrics.rsa has no torch path for what is marked False; the euclidean "
        "RDM is then timed as a torch matmul (X Xᵀ → squared distances) against numpy",
    )
    report.update(
        headline=f"{len(Xs)} euclidean RDMs {Xs[0].shape[0]}×{Xs[0].shape[1]}: numpy "
        f"{t_np:.3f} s, torch {t_t:.3f} s with transfers / {t_resident:.4f} s on device "
        f"({t_np / t_resident:.1f}×), rel diff {rel:.1e}"
    )


# -- 3. encoding models -----------------------------------------------------------------------


def encoding_options(fit_encoding: Any, device: torch.device) -> tuple[dict, dict]:
    """Keyword arguments for the device run and for the numpy reference run."""
    names = parameters(fit_encoding)
    if "backend" in names:
        backend = "torch_cuda" if device.type == "cuda" else "torch"
        return {"backend": backend}, {"backend": "numpy"}
    if "device" in names:
        return {"device": str(device)}, {"device": "cpu"}
    raise RuntimeError("fit_encoding takes neither backend= nor device=")


def part_encoding(report: Any, device_name: str, size: str, deadline: float) -> None:
    """bench_encoding's wide layer through ``fit_encoding`` on himalaya's torch backend on the
    device and on numpy: the same r to 1e-6."""
    device, s = start(report, "encoding", device_name, size)
    bench_encoding = import_bench("bench_encoding")
    import himalaya

    from repgeom.encoding import fit_encoding

    on_device, reference = encoding_options(fit_encoding, device)
    report.update(call_device=on_device, call_reference=reference, himalaya=himalaya.__version__)
    with tempfile.TemporaryDirectory(dir=os.environ.get("REPGEOM_SCRATCH")) as folder:
        path = os.path.join(folder, "data.npz")
        bench_encoding.make_data(s["n_stimuli"], s["n_units"], s["n_neuroids"], path)
        data = np.load(path)
        X, Y = data["X"], data["Y"]
    report.stage("data", X_dtype=str(X.dtype), Y_dtype=str(Y.dtype), X_shape=list(X.shape))
    fit_encoding(X[:50, :200], Y[:50, :3], **on_device)  # warm-up: backend and CUDA start
    reset_peak(device)
    dev, t_dev = timed(device, fit_encoding, X, Y, **on_device)
    report.stage(
        "device fit",
        device_seconds=round(t_dev, 2),
        device_median_r=float(np.median(dev.pearson_r)),
        peak_gpu_gib=peak_gpu_gib(device),
        headline=f"(device only) {t_dev:.1f} s on the device; the numpy run did not finish",
    )
    ref, t_ref = timed(device, fit_encoding, X, Y, **reference)
    diff = float(np.max(np.abs(dev.pearson_r - ref.pearson_r)))
    alphas_same = float(np.mean(dev.best_alphas == ref.best_alphas))
    report.stage(
        "numpy fit",
        numpy_seconds=round(t_ref, 2),
        numpy_median_r=float(np.median(ref.pearson_r)),
        max_abs_difference_in_r=diff,
        share_of_same_alphas=alphas_same,
        speedup=round(t_ref / t_dev, 2),
    )
    report.check("max |r_device - r_numpy|", diff, f"<= {ENCODING_R_TOL}", diff <= ENCODING_R_TOL)
    report.update(
        headline=f"{s['n_stimuli']}×{s['n_units']} → {s['n_neuroids']}: "
        f"{', '.join(f'{k}={v}' for k, v in on_device.items())} "
        f"{t_dev:.1f} s vs numpy {t_ref:.1f} s ({t_ref / t_dev:.1f}×), max |Δr| {diff:.1e}"
    )


# -- 4. dynamical similarity ------------------------------------------------------------------


def part_dsa(report: Any, device_name: str, size: str, deadline: float) -> None:
    """All pairs of K systems on the device (``DSA(..., device=)``), a sample of the same
    pairs on the CPU, and the extrapolation to K = 100."""
    device, s = start(report, "dsa", device_name, size)
    bench_dsa = import_bench("bench_dsa", ("DSA",))
    from repgeom.dsa import DSA

    if "device" not in parameters(DSA):
        raise RuntimeError("repgeom.dsa.DSA takes no device=")
    settings = {"n_delays": s["n_delays"], "score_method": "angular"}
    systems = [bench_dsa.system(seed, s["T"], s["n"]) for seed in range(s["k"])]
    pairs = list(combinations(range(s["k"]), 2))
    report.update(
        settings=settings,
        dtype="float64 in, float32 search + float64 polish from 64 × 64",
        operator_size=s["n"] * s["n_delays"],
        pairs=len(pairs),
    )

    first = systems[: s["warmup_k"]]
    sample = list(combinations(range(len(first)), 2))
    D_warm, t_warm = timed(device, DSA(first, **settings, device=str(device)).fit_score)
    k_pairs = DSA_K_TARGET * (DSA_K_TARGET - 1) // 2
    warm_minutes = t_warm / len(sample) * k_pairs / 60  # first-call costs included: high
    report.stage(
        "warm-up",
        warmup_pairs=len(sample),
        warmup_seconds=round(t_warm, 2),
        warmup_extrapolated_minutes_at_k_target=round(warm_minutes, 2),
        headline=f"(warm-up only) {len(sample)} pairs in {t_warm:.1f} s; K={DSA_K_TARGET} ≈ "
        f"{warm_minutes:.1f} min from the warm-up (an upper bound)",
    )
    D_cpu, t_cpu = timed(device, DSA(first, **settings, device="cpu").fit_score)
    cpu = {(i, j): float(D_cpu[i, j]) for i, j in sample}
    report.stage(
        "cpu sample",
        cpu_sample_pairs=[list(p) for p in sample],
        cpu_seconds_per_pair=round(t_cpu / len(sample), 3),
        warmup_max_abs_difference=max(abs(float(D_warm[p]) - v) for p, v in cpu.items()),
    )

    full = DSA(systems, **settings, device=str(device))
    reset_peak(device)
    _, t_fit = timed(device, full.fit)
    D, t_score = timed(device, full.score)
    per_pair = t_score / len(pairs)
    minutes = (t_fit / s["k"] * DSA_K_TARGET + per_pair * k_pairs) / 60
    diffs = [float(D[i, j]) - v for (i, j), v in cpu.items()]
    mean_abs = float(np.mean(np.abs(diffs)))
    report.stage(
        "all pairs",
        fit_seconds=round(t_fit, 2),
        score_seconds=round(t_score, 2),
        seconds=round(t_fit + t_score, 2),
        pairs_per_second=round(len(pairs) / t_score, 2),
        peak_gpu_gib=peak_gpu_gib(device),
        sampled={
            "pairs": [list(p) for p in cpu],
            "device": [float(D[i, j]) for i, j in cpu],
            "cpu": list(cpu.values()),
            "mean_device": float(np.mean([D[i, j] for i, j in cpu])),
            "mean_cpu": float(np.mean(list(cpu.values()))),
            "max_abs_difference": float(np.max(np.abs(diffs))),
            "device_lower_count": int(sum(d < 0 for d in diffs)),
        },
        k_target=DSA_K_TARGET,
        extrapolated_minutes_at_k_target=round(minutes, 2),
        cpu_extrapolated_minutes_at_k_target=round(t_cpu / len(sample) * k_pairs / 60, 1),
    )
    report.check(
        "mean |device - cpu| on the sample", mean_abs, f"<= {DSA_TOL}", mean_abs <= DSA_TOL
    )
    check_minutes(report, device, DSA_K_TARGET, minutes, DSA_MINUTES)
    report.update(
        headline=f"K={s['k']} ({len(pairs)} pairs of {s['n'] * s['n_delays']}²) in "
        f"{t_fit + t_score:.1f} s; mean |Δ| vs cpu {mean_abs:.1e}; K={DSA_K_TARGET} ≈ "
        f"{minutes:.1f} min (target < {DSA_MINUTES:g})"
    )


# -- 5. extraction ----------------------------------------------------------------------------


def build_images(size: str) -> np.ndarray:
    """The extraction part's stimuli: bench_extract's photo crops (``full``), or the first
    of the 18 whole photographs (``tiny``: the 2,322 crops take 15 s even at 64 px)."""
    s = SIZES["extract"][size]
    if size == "full":
        return import_bench("bench_extract")._images(s["n_stimuli"], s["image_size"])
    from repgeom.stimuli import photo_crops

    images = photo_crops(size=s["image_size"], scales=(1.0,), positions=1)["images"].values
    return np.ascontiguousarray(images[: s["n_stimuli"]])


def save_images(size: str, path: str) -> None:
    """Build the stimuli and save them (``gpu_check.sh`` runs this in the background while
    the parts before the extraction part run: a minute of CPU at full size)."""
    start = time.perf_counter()
    try:
        images = build_images(size)
    except Exception:
        Path(path + ".failed").write_text("")
        raise
    np.save(path + ".tmp.npy", images)
    os.replace(path + ".tmp.npy", path)
    Path(path + ".json").write_text(f'{{"seconds": {time.perf_counter() - start:.2f}}}')


def wait_for_images(size: str, deadline: float) -> tuple[np.ndarray, dict[str, Any]]:
    """The stimuli built in the background (``GPU_CHECK_IMAGES``, by the process
    ``GPU_CHECK_IMAGES_PID``), or built here if there are none."""
    import json

    path, pid = os.environ.get("GPU_CHECK_IMAGES"), os.environ.get("GPU_CHECK_IMAGES_PID")

    def alive() -> bool:
        try:
            os.kill(int(pid or 0), 0)
            return bool(pid)
        except OSError:
            return False

    if path:
        waited = time.perf_counter()
        while not Path(path + ".json").exists() and alive() and time.monotonic() < deadline - 30:
            time.sleep(0.5)
        if Path(path + ".json").exists():
            seconds = json.loads(Path(path + ".json").read_text())["seconds"]
            images = np.load(path)
            return images, {
                "seconds": seconds,
                "where": "in the background while the earlier parts ran "
                f"(waited {time.perf_counter() - waited:.1f} s for it)",
            }
    start = time.perf_counter()
    images = build_images(size)
    return images, {"seconds": round(time.perf_counter() - start, 2), "where": "in this part"}


def part_extract(report: Any, device_name: str, size: str, deadline: float) -> None:
    """bench_extract's ResNet-50 block layers, reduced (``extract_reduced(device=)``) and raw
    (torchvision's feature extractor, activations copied to RAM): time and peak GPU memory."""
    device, s = start(report, "extract", device_name, size)
    bench_extract = import_bench("bench_extract")
    from torchvision.models.feature_extraction import create_feature_extractor

    from repgeom.models import build_model, extract_reduced
    from repgeom.models.extract import _normalise

    if "device" not in parameters(extract_reduced):
        raise RuntimeError("extract_reduced takes no device=")
    layers = bench_extract.LAYERS
    images, built = wait_for_images(size, deadline)
    report.stage(
        "stimuli",
        images_seconds=built["seconds"],
        images_built=built["where"],
        images_shape=list(images.shape),
        dtype=str(images.dtype),
        layers=layers,
    )
    model = build_model("resnet50", seed=0)
    runs = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("REPGEOM_SCRATCH")) as scratch:
        reset_peak(device)
        result, t = timed(
            device,
            extract_reduced,
            model,
            images,
            layers,
            batch_size=s["batch_size"],
            device=device,
            scratch_dir=scratch,
            progress=False,
        )
    runs["reduced"] = {
        "seconds": round(t, 2),
        "peak_gpu_gib": peak_gpu_gib(device),
        "peak_rss_gib": peak_rss_gib(),
        "units_per_layer": {k: r.n_units for k, (r, _) in result.items()},
        "components_per_layer": {k: r.n_components for k, (r, _) in result.items()},
    }
    del result
    report.stage(
        "reduced",
        runs=runs,
        headline=f"(reduced only) {runs['reduced']['seconds']} s, GPU peak "
        f"{runs['reduced']['peak_gpu_gib']} GiB; the raw run did not finish",
    )

    def raw() -> dict[str, int]:
        extractor = create_feature_extractor(model, return_nodes={v: k for k, v in layers.items()})
        extractor = extractor.to(device).eval()
        parts: dict[str, list[np.ndarray]] = {k: [] for k in layers}
        with torch.inference_mode():
            for b in range(0, len(images), s["batch_size"]):
                out = extractor(_normalise(images[b : b + s["batch_size"]], device))
                for k in layers:
                    parts[k].append(out[k].reshape(out[k].shape[0], -1).cpu().numpy())
        return {k: int(v[0].shape[1]) for k, v in parts.items()}

    reset_peak(device)
    widths, t = timed(device, raw)
    runs["raw"] = {
        "seconds": round(t, 2),
        "peak_gpu_gib": peak_gpu_gib(device),
        "peak_rss_gib": peak_rss_gib(),
        "units_per_layer": widths,
    }
    report.stage("raw", runs=runs)
    same = widths == runs["reduced"]["units_per_layer"]
    report.check("both modes see the same layer widths", same, "True", same)
    r, w = runs["reduced"], runs["raw"]
    report.update(
        headline=f"resnet50 × {s['n_stimuli']} at {s['image_size']}px: reduced "
        f"{r['seconds']:.1f} s (GPU peak {r['peak_gpu_gib']} GiB, RSS {r['peak_rss_gib']}), "
        f"raw {w['seconds']:.1f} s (GPU peak {w['peak_gpu_gib']} GiB, RSS {w['peak_rss_gib']})"
    )


# -- 6. shape metrics, all pairs --------------------------------------------------------------


def pairwise_options(device: torch.device) -> dict[str, Any]:
    """``device=`` alone where the public function takes it without ``backend=``; else
    ``backend="torch", device=`` (also where it forwards ``**kwargs`` to ``pairwise_matrix``)."""
    from repgeom.metrics import pairwise, pairwise_distances

    names = parameters(pairwise_distances)
    if "**" in names and "device" not in names:
        inner = getattr(pairwise, "pairwise_matrix", None)
        names |= parameters(inner) if inner is not None else set()
    quiet = {"progress": False} if "progress" in names else {}
    if "backend" in names:
        return {"backend": "torch", "device": str(device), **quiet}
    if "device" in names:
        return {"device": str(device), **quiet}
    raise RuntimeError("pairwise_distances takes no device=")


def part_shape(report: Any, device_name: str, size: str, deadline: float) -> None:
    """``pairwise_distances(reps, LinearMetric(alpha=1), device=...)`` for all pairs of K
    representations, a sample of pairs against float64 ``fit_score`` on the CPU, and the
    extrapolation to K = 1,000."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    device, s = start(report, "shape", device_name, size)
    bench_shape = import_bench("bench_shape")
    from repgeom.metrics import LinearMetric, pairwise_distances

    options = pairwise_options(device)
    metric = LinearMetric(alpha=1.0)
    report.update(call=options, metric=repr(metric), score_method="angular")
    reps, t_data = timed(
        device, bench_shape.make_representations, s["k"], s["n_stimuli"], s["n_units"]
    )
    pairs = s["k"] * (s["k"] - 1) // 2
    report.stage("data", data_seconds=round(t_data, 2), dtype="float64 in", pairs=pairs)

    prep_seconds = None
    if hasattr(metric, "prepare"):
        _, t = timed(device, lambda: [metric.prepare(X) for X in reps[:3]])
        prep_seconds = t / 3
    warm = reps[: s["warmup_k"]]
    warm_pairs = len(warm) * (len(warm) - 1) // 2
    D_warm, t_warm = timed(device, pairwise_distances, warm, metric, **options)
    k_pairs = SHAPE_K_TARGET * (SHAPE_K_TARGET - 1) // 2
    per_pair = max(t_warm - (prep_seconds or 0.0) * len(warm), 1e-9) / warm_pairs
    warm_minutes = ((prep_seconds or 0.0) * SHAPE_K_TARGET + per_pair * k_pairs) / 60
    report.stage(
        "warm-up",
        prepare_seconds_per_rep=prep_seconds,
        warmup_k=len(warm),
        warmup_seconds=round(t_warm, 2),
        warmup_pairs_per_second=round(warm_pairs / t_warm, 1),
        warmup_extrapolated_minutes_at_k_target=round(warm_minutes, 2),
        headline=f"(warm-up only) K={len(warm)}: {warm_pairs / t_warm:.0f} pairs/s; "
        f"K={SHAPE_K_TARGET} ≈ {warm_minutes:.1f} min from the warm-up",
    )

    sample = even_sample(list(combinations(range(len(warm)), 2)), s["sample_pairs"])

    def exact(pair: tuple[int, int]) -> float:
        return float(LinearMetric(alpha=1.0).fit_score(reps[pair[0]], reps[pair[1]]))

    start_cpu = time.perf_counter()
    with threadpool_limits(limits=1), ThreadPoolExecutor(os.cpu_count()) as pool:
        cpu = dict(zip(sample, pool.map(exact, sample), strict=True))
    D_warm = np.asarray(D_warm)
    warm_diff = max(abs(float(D_warm[i, j]) - v) for (i, j), v in cpu.items())
    report.stage(
        "cpu float64 sample",
        sample_pairs=len(sample),
        cpu_sample_seconds=round(time.perf_counter() - start_cpu, 2),
        warmup_max_abs_difference=warm_diff,
    )

    score_pairs = getattr(metric, "score_pairs", None)
    if device.type == "cpu" and score_pairs is not None and "batched" in parameters(score_pairs):
        # pairwise_distances(device="cpu") takes exact SVDs; the GPU's batched polar
        # iteration is run here too, in float64, on the sampled pairs
        prepared = {k: metric.prepare(reps[k]) for k in sorted({k for p in sample for k in p})}
        values = score_pairs(prepared, sample, device=device, batched=True)
        batched_diff = max(abs(float(v) - cpu[p]) for p, v in zip(sample, values, strict=True))
        report.stage("cpu batched polar path", batched_max_abs_difference=batched_diff)
        report.check(
            "batched polar path on the cpu vs exact (rad)",
            batched_diff,
            f"<= {SHAPE_TOL}",
            batched_diff <= SHAPE_TOL,
        )

    reset_peak(device)
    D, t_all = timed(device, pairwise_distances, reps, metric, **options)
    D = np.asarray(D)
    diff = max(abs(float(D[i, j]) - v) for (i, j), v in cpu.items())
    prep_total = (prep_seconds or 0.0) * s["k"]
    per_pair = max(t_all - prep_total, 1e-9) / pairs
    minutes = ((prep_seconds or 0.0) * SHAPE_K_TARGET + per_pair * k_pairs) / 60
    report.stage(
        "all pairs",
        seconds=round(t_all, 2),
        pairs_per_second=round(pairs / t_all, 1),
        pairs_per_second_without_preparation=round(1 / per_pair, 1),
        peak_gpu_gib=peak_gpu_gib(device),
        max_abs_difference_vs_float64_cpu=diff,
        finite=bool(np.isfinite(D).all()),
        k_target=SHAPE_K_TARGET,
        pairs_at_k_target=k_pairs,
        extrapolated_minutes_at_k_target=round(minutes, 2),
        extrapolated_minutes_scaling_all_time_by_pairs=round(t_all * k_pairs / pairs / 60, 2),
    )
    report.check("max |device - float64 cpu| (rad)", diff, f"<= {SHAPE_TOL}", diff <= SHAPE_TOL)
    check_minutes(report, device, SHAPE_K_TARGET, minutes, SHAPE_MINUTES)
    report.update(
        headline=f"K={s['k']} ({pairs} pairs of {s['n_stimuli']}×{s['n_units']}) in "
        f"{t_all:.1f} s ({pairs / t_all:.0f} pairs/s), max |Δ| {diff:.1e}; "
        f"K={SHAPE_K_TARGET} ≈ {minutes:.1f} min (target < {SHAPE_MINUTES:g})"
    )
