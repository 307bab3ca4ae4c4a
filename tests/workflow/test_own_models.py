"""A user's own network through the real workflow (issue #17): a factory in a Python file,
its repeated-module nodes as layers, and an edit of the file rerunning the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from repgeom import store

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]

pytestmark = pytest.mark.workflow

#: conv1, then the same conv2 applied ``steps`` times with a residual add (FX names the calls
#: conv2, conv2_1, conv2_2, ...), then a linear readout.
NET = """
import torch
from torch import nn


class Recurrent(nn.Module):
    def __init__(self, channels, steps):
        super().__init__()
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.steps = steps
        self.readout = nn.Linear(channels, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        for _ in range(self.steps):
            x = torch.relu(x + self.conv2(x))
        return self.readout(x.mean(dim=(2, 3)))


def make_net(channels=4, steps=3):
    return Recurrent(channels, steps)
"""

CONFIG = {
    "device": "cpu",
    "batch_size": 8,
    "stimsets": {"g": {"kind": "gratings", "size": 32, "orientations": 4, "phases": 2}},
    "models": {
        "rec": {
            "architecture": "nets/net.py:make_net",
            "kwargs": {"channels": 6, "steps": 3},
            "layers": ["conv1", "conv2_1", "conv2_2", "logits"],
        }
    },
    "analyses": {
        "classification": {"enabled": False},
        "manifolds": {"enabled": False},
        "distances": {"metrics": {"cka": {"method": "cka"}}},
    },
}


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "--configfile", "own.yaml", "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def test_a_factory_in_a_users_file_runs_end_to_end_and_is_tracked(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "net.py").write_text(NET)
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(CONFIG))
    check = subprocess.run(
        [sys.executable, "-m", "repgeom", "layers", "nets/net.py:make_net", "--all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(f"  {n}\n" in check.stdout for n in ("conv2", "conv2_1", "conv2_2"))
    run(tmp_path)
    layers = sorted(p.stem for p in (tmp_path / "results/activations/g/rec").glob("*.nc"))
    assert layers == ["conv1", "conv2_1", "conv2_2", "logits"]
    ds = store.read(tmp_path / "results/activations/g/rec/conv2_2.nc")
    assert ds.attrs["architecture"].endswith("nets/net.py:make_net")
    assert ds.attrs["n_units"] == 6 * 32 * 32  # channels x the 32 x 32 map, flattened
    dims = store.read(tmp_path / "results/dimensionality.nc")
    assert dims.sizes["layer"] == 4
    (tmp_path / "nets" / "net.py").write_text(NET + "\n# edited\n")
    dry = run(tmp_path, "--dry-run")
    assert "activations" in dry.stdout and "stimuli" not in dry.stdout.split("Job stats:")[-1]
