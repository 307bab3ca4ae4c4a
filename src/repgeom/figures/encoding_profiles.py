"""Layer-wise encoding profiles: ceiling-normalised held-out r of each layer against its
relative depth in the model (the store's ``layer_depth``), one line per model (colour = model,
marker = training paradigm, as in every figure), the median over neuroids with their
interquartile range as a band, one panel per neural dataset. ``r / ceiling`` with the
split-half Spearman–Brown ceiling; 1 is as good as the data's own repeatability allows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/encoding.nc`` (the only input)."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "encoding")
    neural = [str(n) for n in ds[store.NEURAL].values]
    models = [str(m) for m in ds[store.MODEL].values]
    trainings = [str(t) for t in ds["training"].values]
    colors = panels.model_colors(models)
    markers = style.model_markers(trainings)
    fig, axes = plt.subplots(
        1,
        len(neural),
        figsize=(style.DOUBLE, 3.0),
        squeeze=False,
        layout="constrained",
    )
    normalized = ds["normalized_r"]
    for ax, name in zip(axes[0], neural, strict=True):
        for model, training in zip(models, trainings, strict=True):
            per_neuroid = normalized.sel({store.MODEL: model, store.NEURAL: name}).values
            depth = ds["layer_depth"].sel({store.MODEL: model}).values
            have = np.flatnonzero(np.isfinite(depth) & np.isfinite(per_neuroid).any(axis=-1))
            have = have[np.argsort(depth[have], kind="stable")]  # the model's layers by depth
            low, mid, high = np.nanpercentile(per_neuroid[have], [25, 50, 75], axis=-1)
            ax.fill_between(depth[have], low, high, color=colors[model], alpha=0.15, lw=0)
            ax.plot(depth[have], mid, marker=markers[training], ms=4, color=colors[model])
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set(
            title=name,
            xlabel="relative layer depth (0 = first, 1 = last)",
            ylabel="r / noise ceiling (median over neuroids)",
        )
    handles = [Line2D([], [], color=c, label=m) for m, c in panels.colour_key(models)]
    handles += [
        Line2D([], [], ls="", marker=markers[t], color="0.4", label=f"{t} (marker)")
        for t in dict.fromkeys(trainings)
    ]
    handles += [
        Patch(facecolor="0.5", alpha=0.3, label="interquartile range over neuroids"),
        Line2D([], [], color="grey", ls="--", label="noise ceiling"),
    ]
    style.model_legend(fig, handles)
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="encoding_profiles",
    drawn=selection.encodes,
    inputs=lambda config: [paths.ENCODING],
    render=render,
)
