"""Extending repgeom takes one module: a metric is one registration, a figure one declaration.

The same plugin module is used in process (``repgeom.compare``, ``pairwise_distances``) and by
a tiny workflow (``plugins:`` in its config), where the toy metric fills a distance matrix in
block jobs and the toy figure draws it, reported with its caption.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import repgeom
from repgeom import store
from repgeom.metrics import pairwise_distances
from repgeom.metrics.registry import _TABLE, REGISTRY

REPO = Path(__file__).resolve().parents[2]
#: Generous bound on the micro run (stimuli, one small extraction, two blocks, one figure).
RUN_TIMEOUT_S = 600

PLUGIN = '''
"""A toy metric and a toy figure, registered on import."""
from pathlib import Path

import numpy as np

from repgeom import paths, store
from repgeom.figures import Figure, register as register_figure, style
from repgeom.metrics.pairwise import Scorer, as_data
from repgeom.metrics.registry import MetricInfo, register as register_metric


class GramDistance(Scorer):
    """‖K_x − K_y‖_F / n of the centred Gram matrices K = (HX)(HX)ᵀ."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def prepare(self, rep):
        X = np.asarray(as_data(rep).features, dtype=float)
        Xc = X - X.mean(axis=0)
        return Xc @ Xc.T

    def score(self, a, b):
        return self.scale * float(np.linalg.norm(a - b)) / a.shape[0]


register_metric(
    MetricInfo(
        "toy_gram_distance",
        "distance",
        ("symmetry", "triangle"),
        "Frobenius distance of centred Gram matrices, over n (scale)",
        {"scale": {"type": "number", "exclusiveMinimum": 0}},
        GramDistance,
    )
)


def render(inputs, out_stem):
    style.apply()
    import matplotlib.pyplot as plt

    D = store.read(inputs[0], "distances")["distance"].values
    fig, ax = plt.subplots(figsize=(3, 3))
    image = ax.imshow(D)
    fig.colorbar(image, ax=ax, label="toy distance")
    return style.save(fig, out_stem, inputs)


register_figure(
    Figure(
        name="toy",
        drawn=lambda config: "toy" in config["analyses"]["distances"]["metrics"],
        inputs=lambda config: [
            paths.DISTANCES.format(stimset=s, metric="toy")
            for s in config["analyses"]["distances"]["stimsets"]
        ],
        render=render,
        caption=Path(__file__).with_name("toy.rst"),
    )
)
'''

MICRO = """
plugins: [{plugin}]
device: cpu
batch_size: 4
stimsets:
  g: {{kind: gratings, size: 16, orientations: 2, spatial_frequencies: [2.0], phases: 2}}
models:
  r18: {{architecture: resnet18, seed: 0, layers: [stem, block1, block2]}}
analyses:
  dimensionality: false
  encoding: false
  distances:
    stimsets: [g]
    block_size: 2
    metrics: {{toy: {{method: toy_gram_distance, scale: 2.0}}}}
  dsa: {{enabled: false}}
"""


@pytest.fixture
def plugin(tmp_path):
    """The plugin module, written to a file and imported; its metric is unregistered after."""
    path = tmp_path / "toy_plugin.py"
    path.write_text(PLUGIN)
    (tmp_path / "toy.rst").write_text("The toy metric's matrix (a toy figure).\n")
    spec = importlib.util.spec_from_file_location("toy_plugin_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from repgeom.figures import FIGURES

    yield path
    _TABLE.pop("toy_gram_distance", None)
    FIGURES.pop("toy", None)


def _gram_distance(X, Y, scale=1.0):
    Kx = (X - X.mean(0)) @ (X - X.mean(0)).T
    Ky = (Y - Y.mean(0)) @ (Y - Y.mean(0)).T
    return scale * np.linalg.norm(Kx - Ky) / X.shape[0]


def test_a_registered_metric_works_through_compare_and_pairwise(plugin):
    rng = np.random.default_rng(0)
    reps = {k: rng.standard_normal((15, 4 + k)) for k in range(4)}
    assert REGISTRY["toy_gram_distance"].measure == "distance"
    value = repgeom.compare(reps[0], reps[1], method="toy_gram_distance", scale=2.0)
    assert value == pytest.approx(_gram_distance(reps[0], reps[1], 2.0), rel=1e-12)
    with pytest.raises(TypeError, match="scale"):
        repgeom.compare(reps[0], reps[1], method="toy_gram_distance", scael=2.0)
    D = pairwise_distances(reps, REGISTRY["toy_gram_distance"].bind(scale=2.0))
    expected = [[_gram_distance(reps[i], reps[j], 2.0) for j in reps] for i in reps]
    np.testing.assert_allclose(D.values, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.workflow
def test_a_plugin_metric_and_figure_run_through_the_workflow(plugin, tmp_path):
    config = tmp_path / "micro.yaml"
    config.write_text(MICRO.format(plugin=plugin))
    work = tmp_path / "work"
    base = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]
    base += ["--directory", str(work), "--configfile", str(config), "--cores", "2"]
    for extra in ([], ["--report", "report.html"]):
        proc = subprocess.run(
            [*base, *extra], capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
    # 3 layers in blocks of 2: blocks 0-0, 0-1, 1-1, each its own job
    assert len(list((work / "results/distances/g/blocks/toy").glob("*.nc"))) == 3
    D = store.read(work / "results/distances/g/toy.nc", "distances")["distance"]
    layers = [
        store.read(work / f"results/activations/g/r18/{k}.nc") for k in D["rep_a_layer"].values
    ]
    # the reduced store is exact for a rotation-invariant metric: same value as on raw features
    expected = [
        [_gram_distance(a["features"].values, b["features"].values, 2.0) for b in layers]
        for a in layers
    ]
    np.testing.assert_allclose(D.values, expected, rtol=1e-9, atol=1e-12)
    for ext in ("png", "pdf"):
        assert (work / f"figures/toy.{ext}").stat().st_size > 1000
    assert "toy.png" in (work / "report.html").read_text(errors="replace")
