"""Layer-wise encoding profiles: median ceiling-normalised held-out r of each layer against its
relative depth in the model (the store's ``layer_depth``), one line per model (colour =
training), one panel per neural dataset. ``r / ceiling`` with the split-half Spearman–Brown
ceiling; 1 is as good as the data's own repeatability allows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Figure


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/encoding.nc`` (the only input)."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "encoding")
    neural = [str(n) for n in ds[store.NEURAL].values]
    trainings = list(dict.fromkeys(str(t) for t in ds["training"].values))
    palette = dict(zip(trainings, plt.get_cmap("Dark2").colors, strict=False))
    fig, axes = plt.subplots(
        1, len(neural), figsize=(5.5 * len(neural), 4), squeeze=False, layout="constrained"
    )
    for ax, name in zip(axes[0], neural, strict=True):
        for model, training in zip(ds[store.MODEL].values, ds["training"].values, strict=True):
            score = ds["median_normalized_r"].sel({store.MODEL: model, store.NEURAL: name}).values
            depth = ds["layer_depth"].sel({store.MODEL: model}).values
            have = np.flatnonzero(np.isfinite(score))  # the model's layers
            have = have[np.argsort(depth[have], kind="stable")]  # in depth order
            ax.plot(
                depth[have], score[have], marker="o", color=palette[str(training)], label=str(model)
            )
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set(
            title=name,
            xlabel="relative layer depth",
            ylabel="median r / noise ceiling",
        )
        ax.legend(fontsize=6, frameon=False)
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="encoding_profiles",
    drawn=selection.encodes,
    inputs=lambda config: [paths.ENCODING],
    render=render,
)
