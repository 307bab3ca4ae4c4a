"""A figure declared outside the package joins the workflow: planned, ruled, drawn, reported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Generous bound on the micro run (stimuli, one small extraction, two figures).
RUN_TIMEOUT_S = 600

pytestmark = pytest.mark.workflow

TOY_MODULE = '''
"""A toy figure: the number of stimuli of each set, as bars."""
from pathlib import Path

from repgeom import paths, store
from repgeom.figures import Figure, style


def render(inputs, out_stem):
    style.apply()
    import matplotlib.pyplot as plt

    sizes = [store.read(p, "stimuli").sizes["stimulus"] for p in inputs]
    fig, ax = plt.subplots()
    ax.bar(range(len(sizes)), sizes)
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="toy",
    drawn=lambda config: True,
    inputs=lambda config: [paths.STIMULI.format(stimset=s) for s in config["stimsets"]],
    render=render,
    caption=Path(__file__).with_name("toy.rst"),
)
'''

MICRO = """
device: cpu
batch_size: 4
stimsets:
  g: {kind: gratings, size: 16, orientations: 2, spatial_frequencies: [2.0], phases: 2}
models:
  r18: {architecture: resnet18, seed: 0, layers: [stem]}
analyses:
  dimensionality: false
  encoding: false
  distances: {metrics: {}}
  dsa: {enabled: false}
"""


def test_a_figure_registered_from_outside_runs_through_the_workflow(tmp_path):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "toy_figure.py").write_text(TOY_MODULE)
    (plugin / "toy.rst").write_text("Stimuli per set (a toy figure).\n")
    config = tmp_path / "micro.yaml"
    config.write_text(MICRO)
    work = tmp_path / "work"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin), os.environ.get("PYTHONPATH")])),
        "REPGEOM_FIGURES": "toy_figure",
    }
    base = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    base += ["--directory", str(work), "--configfile", str(config), "--cores", "2"]
    for extra in ([], ["--report", "report.html"]):
        proc = subprocess.run(
            [*base, *extra], capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
    for ext in ("png", "pdf"):
        assert (work / f"figures/toy.{ext}").stat().st_size > 1000
    assert "toy.png" in (work / "report.html").read_text(errors="replace")
