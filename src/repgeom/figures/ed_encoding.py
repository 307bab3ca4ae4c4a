"""The encoder-dimensionality study's main figure: effective dimensionality vs encoding.

One row per (still-image) neural dataset:

(a) every model × layer as a point: x = effective dimensionality of the layer on the
    dataset's stimulus set (log axis, as in the study), y = median over neuroids of the
    ceiling-normalised held-out r; colour = training (untrained / trained in the workflow),
    marker size = relative depth; Pearson r and p of log ED vs score over all points.
(b) within depth: both quantities minus the mean of their depth tercile (early, middle,
    late layers), so that the depth trend every network shares cannot drive the
    correlation; Pearson r and p again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import ScalarFormatter
from scipy.stats import pearsonr

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Config, Figure

#: Depth terciles for the within-depth panel.
DEPTH_BINS = (0.0, 1 / 3, 2 / 3, 1.0 + 1e-9)
MIN_POINTS_FOR_STATS = 3


def _points(dim, enc, neural: str):
    stimset = str(enc[store.STIMSET].sel({store.NEURAL: neural}).values)
    ed_all = dim["effective_dimensionality"]
    rows = []
    for model in enc[store.MODEL].values:
        for layer in enc[store.LAYER].values:
            score = float(enc["median_normalized_r"].sel(model=model, layer=layer, neural=neural))
            if model not in dim[store.MODEL] or layer not in dim[store.LAYER]:
                continue
            ed = float(ed_all.sel(model=model, layer=layer, stimset=stimset))
            depth = float(dim["layer_depth"].sel(model=model, layer=layer))
            if np.isfinite(score) and np.isfinite(ed):
                training = str(enc["training"].sel(model=model).values)
                rows.append((np.log10(ed), score, depth, training))
    return rows


def _stats(x: np.ndarray, y: np.ndarray) -> str:
    if len(x) < MIN_POINTS_FOR_STATS or np.std(x) == 0 or np.std(y) == 0:
        return "too few points for r"
    r, p = pearsonr(x, y)
    return f"r = {r:.2f}, p = {p:.2g}, n = {len(x)}"


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dimensionality.nc`` and ``results/encoding.nc``."""
    style.apply()
    dim_path, enc_path = inputs
    dim, enc = store.read(dim_path, "dimensionality"), store.read(enc_path, "encoding")
    neurals = [str(n) for n in enc[store.NEURAL].values]
    fig, axes = plt.subplots(
        len(neurals), 2, figsize=(10, 4 * len(neurals)), squeeze=False, layout="constrained"
    )
    trainings = sorted({str(t) for t in enc["training"].values})
    colours = dict(zip(trainings, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for (ax_a, ax_b), neural in zip(axes, neurals, strict=True):
        rows = _points(dim, enc, neural)
        x, y, depth = (np.array([r[i] for r in rows]) for i in range(3))
        kinds = [r[3] for r in rows]
        bins = np.digitize(depth, DEPTH_BINS) - 1
        x_in, y_in = x.copy(), y.copy()
        for b in np.unique(bins):
            x_in[bins == b] -= x[bins == b].mean()
            y_in[bins == b] -= y[bins == b].mean()
        for kind in trainings:
            sel = np.array([k == kind for k in kinds])
            sizes = 20 + 80 * depth[sel]
            ax_a.scatter(10 ** x[sel], y[sel], s=sizes, color=colours[kind], label=kind, alpha=0.8)
            ax_b.scatter(x_in[sel], y_in[sel], s=sizes, color=colours[kind], label=kind, alpha=0.8)
        ax_a.set_xscale("log")
        ax_a.xaxis.set_major_formatter(ScalarFormatter())
        ax_a.xaxis.set_minor_formatter(ScalarFormatter())
        ax_a.set(
            xlabel="effective dimensionality",
            ylabel="encoding score (median r / ceiling)",
            title=f"{neural}: {_stats(x, y)}",
        )
        ax_b.axhline(0, color="0.8", lw=0.8)
        ax_b.axvline(0, color="0.8", lw=0.8)
        ax_b.set(
            xlabel="log₁₀ ED − depth-tercile mean",
            ylabel="score − depth-tercile mean",
            title=f"within depth: {_stats(x_in, y_in)}",
        )
        ax_a.legend(title="training (size = depth)", fontsize=7, frameon=False)
    fig.suptitle("Effective dimensionality vs encoding performance")
    return style.save(fig, out_stem, inputs)


def _drawn(config: Config) -> bool:
    return bool(config["analyses"]["dimensionality"]) and selection.encodes(config)


FIGURE = Figure(
    name="ed_encoding",
    drawn=_drawn,
    inputs=lambda config: [paths.DIMENSIONALITY, paths.ENCODING],
    render=render,
)
