"""``benchmarks/gpu_check.sh --cpu``: every part of the prepared GPU run, tiny, on the CPU.

The device run (issue #19) calls the same functions with the same parameters at full size on
``cuda``; this test proves the script, the parts and the merged JSON without a GPU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PARTS = ("gpu_tests", "rdm", "encoding", "dsa", "extract", "shape")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("bash") is None or shutil.which("timeout") is None:
        pytest.skip("gpu_check.sh needs bash and coreutils' timeout")
    out = tmp_path_factory.mktemp("gpu_check")
    proc = subprocess.run(
        ["bash", str(REPO / "benchmarks" / "gpu_check.sh"), "--cpu", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=300,
    )
    assert (out / "gpu_check.json").exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (out / "gpu_check.log").exists()
    for part in PARTS:  # one summary line per part, then the table
        assert f"[{part}] " in proc.stdout
    assert "wrote " in proc.stdout
    return json.loads((out / "gpu_check.json").read_text())


def test_every_part_is_there_with_its_environment(report):
    assert report["mode"] == "cpu/tiny"
    assert tuple(report["parts"]) == PARTS
    assert set(report["summary"]) == set(PARTS)
    for name, part in report["parts"].items():
        assert part["status"] in ("ok", "missed"), (name, part.get("error"), part.get("log_tail"))
        assert part["device"] == "cpu" and part["size"] == "tiny", name
        assert part["device_name"].startswith("cpu") and part["torch_version"], name
        assert part["torch_threads"] >= 1 and part["environment"]["hardware"]["cores"] >= 1
        assert part["rc"] == 0 and 0 < part["limit_s"] <= report["budget_s"], name
        assert part["wall_s"] >= 0 and part["headline"], name
        assert part["checks"], name
        for check in part["checks"]:
            assert {"name", "value", "limit", "ok"} <= set(check)
    assert sum(p["limit_s"] for p in report["parts"].values()) >= report["budget_s"]


def test_library_parts_meet_their_checks_on_the_cpu(report):
    """Accuracy checks are judged on the CPU too; time targets only on a GPU (``ok: None``)."""
    parts = report["parts"]
    for name in PARTS[1:]:
        assert parts[name]["status"] == "ok", (name, parts[name]["checks"])
        assert parts[name]["sizes"], name
    time_checks = [c for p in parts.values() for c in p["checks"] if "minutes" in c["name"]]
    assert len(time_checks) == 2 and all(c["ok"] is None for c in time_checks)

    shape = parts["shape"]
    k = shape["sizes"]["k"]
    assert shape["pairs"] == k * (k - 1) // 2 and shape["finite"]
    assert shape["max_abs_difference_vs_float64_cpu"] <= 1e-3
    assert shape["extrapolated_minutes_at_k_target"] > 0 and shape["pairs_per_second"] > 0
    assert "device" in shape["call"]

    dsa = parts["dsa"]
    assert dsa["operator_size"] >= 64  # the float32 search branch, as on the GPU
    warm = dsa["sizes"]["warmup_k"]
    assert len(dsa["sampled"]["cpu"]) == warm * (warm - 1) // 2
    assert dsa["extrapolated_minutes_at_k_target"] > 0

    assert parts["encoding"]["max_abs_difference_in_r"] <= 1e-6
    assert parts["encoding"]["call_device"] != parts["encoding"]["call_reference"]

    extract = parts["extract"]
    assert set(extract["runs"]) == {"reduced", "raw"}
    assert extract["runs"]["reduced"]["peak_gpu_gib"] is None  # no GPU memory on the CPU

    rdm = parts["rdm"]
    assert rdm["max_relative_difference"] <= 1e-9
    assert set(rdm["compare_rdms"]) == {"spearman", "corr_cov"}


def test_gpu_tests_part_counts_the_gpu_marked_tests(report):
    """Without CUDA every ``gpu`` test is skipped (or deselected): none may pass here."""
    counts = report["parts"]["gpu_tests"]["counts"]
    assert {"passed", "failed", "skipped", "errors", "deselected"} <= set(counts)
    assert counts["deselected"] > 0
    if not _cuda():
        assert counts["passed"] == 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
