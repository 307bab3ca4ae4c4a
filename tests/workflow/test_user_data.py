"""A user's own data through the real workflow (issue #15): every user file is a Snakemake
input, so a change reruns exactly what depends on it; configs with their own ``output_dir``
run side by side; a hard-killed run resumes without ``--unlock``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.workflow

#: Two small sets (a user's image folder and gratings), two models (one from a user's weights
#: file), one metric: about 20 s on 2 cores.
MICRO = {
    "device": "cpu",
    "batch_size": 8,
    "stimsets": {
        "mine": {"kind": "image_folder", "path": "images", "size": 32},
        "g": {"kind": "gratings", "size": 32, "orientations": 4, "spatial_frequencies": [4.0]},
    },
    "neural": {"rec": {"kind": "file", "stimset": "g", "path": "data/rec.nc"}},
    "models": {
        "r": {"architecture": "resnet18", "layers": ["stem", "pool"]},
        "w": {"architecture": "resnet18", "layers": ["pool"], "weights": "weights/w.pth"},
    },
    "analyses": {
        "encoding_folds": 2,
        "classification": {"enabled": False},
        "manifolds": {"enabled": False},
        # 4 representations on g (r/stem, r/pool, w/pool, rec): blocks 0-0, 0-1, 1-1
        "distances": {"block_size": 2, "metrics": {"cka": {"method": "cka"}}},
    },
}


def _recording(path: Path, seed: int) -> None:
    """A user's recordings of 20 neuroids on all but two gratings, one trial missing."""
    from repgeom.neural import write_recordings
    from repgeom.stimuli import build_stimset

    ids = [str(i) for i in build_stimset("g", MICRO["stimsets"]["g"])["stimulus_id"].values][2:]
    responses = np.random.default_rng(seed).poisson(3.0, (len(ids), 3, 20)).astype(float)
    responses[0, 1, 4] = np.nan
    write_recordings(responses, ids, path=path)


def run(cwd: Path, config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Snakemake from ``cwd`` (no --directory: the config's output_dir decides)."""
    cmd = [*SNAKEMAKE, "--configfile", str(config), "--cores", "2", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def planned(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """The job counts of a dry run (its 'Job stats' table)."""
    stats = (proc.stdout + proc.stderr).split("Job stats:")[-1]
    return {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", stats, flags=re.M)}


def _image(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(path)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, Path]:
    """A user's folder (images, a weights file, a config) after one complete run."""
    root = tmp_path_factory.mktemp("user")
    for i in range(6):
        _image(root / "images" / ("cats" if i < 3 else "dogs") / f"{i}.png", i)
    (root / "data").mkdir()
    _recording(root / "data" / "rec.nc", 0)
    (root / "weights").mkdir()
    torch.manual_seed(7)
    torch.save(torchvision.models.resnet18().state_dict(), root / "weights" / "w.pth")
    config = root / "mine.yaml"
    config.write_text(yaml.safe_dump(MICRO))
    run(root, config)
    assert "Nothing to be done" in run(root, config, "--dry-run").stdout
    return root, config


def test_an_added_image_reruns_its_stimulus_set_and_nothing_else(project):
    root, config = project
    _image(root / "images" / "dogs" / "new.png", 99)
    try:
        jobs = planned(run(root, config, "--dry-run"))
    finally:
        (root / "images" / "dogs" / "new.png").unlink()
    # the image set and both models on it; the gratings and their distances are untouched
    assert jobs["stimuli"] == 1 and jobs["activations"] == 2
    assert "distances_block" not in jobs and "rdms" not in jobs


def test_a_replaced_recording_reruns_its_dependents_and_nothing_else(project):
    root, config = project
    from repgeom import store

    encoding = store.read(root / "results/encoding.nc")
    assert int(encoding["n_stimuli_used"].sel(neural="rec")) == 14  # 16 gratings, 2 unrecorded
    assert store.read(root / "results/distances/g/cka.nc").attrs["n_stimuli_used"] == 14
    _recording(root / "data" / "rec.nc", 1)
    jobs = planned(run(root, config, "--dry-run"))
    assert jobs["neural"] == 1 and jobs["encoding"] == 1 and jobs["distances_block"] == 3
    assert "stimuli" not in jobs and "activations" not in jobs and "dimensionality" not in jobs
    run(root, config)  # up to date again for the next test


def test_a_changed_model_reruns_only_the_distance_blocks_it_is_in(project, tmp_path):
    root, config = project
    edited = yaml.safe_load(config.read_text())
    edited["models"]["r"]["seed"] = 5
    changed = tmp_path / "seed.yaml"
    changed.write_text(yaml.safe_dump(edited))
    jobs = planned(run(root, changed, "--dry-run"))
    assert jobs["activations"] == 2  # r on both sets
    assert jobs["distances_block"] == 2  # 0-0 and 0-1 hold r's layers; 1-1 (w, rec) does not


def test_a_replaced_weights_file_reruns_that_model_only(project):
    root, config = project
    torch.manual_seed(8)
    torch.save(torchvision.models.resnet18().state_dict(), root / "weights" / "w.pth")
    jobs = planned(run(root, config, "--dry-run"))
    assert "stimuli" not in jobs
    assert jobs["activations"] == 2  # model w on both sets; model r is not rerun


def test_two_configs_with_their_own_output_dir_run_side_by_side(tmp_path):
    small = {
        "device": "cpu",
        "stimsets": {"g": {"kind": "gratings", "size": 32, "orientations": 4}},
        "models": {"r": {"architecture": "resnet18", "layers": ["stem", "pool"]}},
        "analyses": {
            "classification": {"enabled": False},
            "manifolds": {"enabled": False},
            "distances": {"metrics": {"cka": {"method": "cka"}}},
        },
    }
    procs = []
    for name, seed in (("a", 0), ("b", 1)):
        small["output_dir"] = f"runs/{name}"
        small["models"]["r"]["seed"] = seed
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(small))
        cmd = [*SNAKEMAKE, "--configfile", str(path), "--cores", "1"]
        procs.append(
            subprocess.Popen(
                cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    for proc in procs:  # both at once: separate .snakemake folders, separate locks
        out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
        assert proc.returncode == 0, out[-3000:]
    from repgeom import store

    seeds = set()
    for name in ("a", "b"):
        out = tmp_path / "runs" / name
        assert (out / "figures" / "dimensionality.png").stat().st_size > 1000
        layer = store.read(out / "results/activations/g/r/pool.nc")
        seeds.add(int(layer.attrs["seed"]))
    assert seeds == {0, 1}
    assert not (tmp_path / "results").exists() and not (tmp_path / "figures").exists()
