"""Shared pieces of the benchmark scripts: peak memory of this process and the report header."""

from __future__ import annotations

import json
import os
import platform
import resource
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"


def peak_rss_gib() -> float:
    """This program's peak resident memory in GiB.

    Linux's ``VmHWM`` is reset when a process execs a new program; ``ru_maxrss`` is not: a
    child started from a large parent reports the parent's size at fork, so it cannot
    measure a benchmark run in a subprocess.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 2**20, 3)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)


def environment(**versions: str) -> dict[str, Any]:
    """Hardware, thread counts and versions for a report."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    return {
        "hardware": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "blas_threads": [
                {k: i.get(k) for k in ("internal_api", "num_threads")} for i in threadpool_info()
            ],
        },
        "versions": {
            "numpy": np.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            **versions,
        },
    }


def write_report(name: str, report: dict[str, Any]) -> Path:
    """Write ``benchmarks/out/{name}.json`` and return its path."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(report, indent=2))
    return path
