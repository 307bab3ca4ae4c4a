"""One model's geometry layer by layer (a recurrent net's steps): per column a layer, its RDM
(percentiles of its own entries, stimuli sorted by category) and its stimuli on a plane by PCA,
MDS and t-SNE, coloured by category."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Figure
from repgeom.figures.rsa import category_marks


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/steps/{stimset}/{model}.nc``."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "steps")
    layers = [str(v) for v in ds[store.LAYER].values]
    embeddings = [str(v) for v in ds["projection"].values]
    categories = ds[store.CATEGORY].values.astype(str)
    classes = sorted(set(categories), key=style.natural_key)
    palette = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20").colors
    color_of = {c: palette[i % len(palette)] for i, c in enumerate(classes)}
    colors = [color_of[c] for c in categories]
    order = np.array(sorted(range(len(categories)), key=lambda s: style.natural_key(categories[s])))
    fig, axes = plt.subplots(
        1 + len(embeddings),
        len(layers),
        figsize=(style.DOUBLE, 0.55 + 0.92 * (1 + len(embeddings)) * 7 / max(len(layers), 7)),
        squeeze=False,
        layout="constrained",
    )
    image = None
    for j, layer in enumerate(layers):
        P = ds["rdm_percentile"].values[j][order][:, order]
        image = axes[0, j].imshow(P, cmap="bone", vmin=0, vmax=100)
        category_marks(axes[0, j], categories[order])
        axes[0, j].set_title(layer)
        for i, method in enumerate(embeddings, start=1):
            ax = axes[i, j]
            x, y = ds["embedding"].values[j, i - 1].T
            ax.scatter(x, y, c=colors, s=2, lw=0)
            ax.set(xticks=[], yticks=[])
            if j == 0:
                ax.set_ylabel(method)
    axes[0, 0].set_ylabel(f"RDM\n({ds['rdm'].attrs['method']})")
    fig.colorbar(image, ax=axes[0, :].tolist(), label="percentile", shrink=0.8)
    fig.legend(
        handles=[
            Line2D([], [], ls="", marker="o", ms=4, color=color_of[c], label=c) for c in classes
        ],
        title=store.CATEGORY,
        loc="outside lower center",
        ncols=min(len(classes), 10),
        frameon=False,
    )
    fig.suptitle(f"{ds.attrs['model']} layer by layer on {ds.attrs['stimset']}")
    return style.save(fig, out_stem, inputs)


def _inputs(config) -> list[str]:
    stimset, model = selection.steps_view(config)
    return [paths.STEPS.format(stimset=stimset, model=model)]


FIGURE = Figure(
    name="steps",
    drawn=lambda config: selection.steps_view(config) is not None,
    inputs=_inputs,
    render=render,
)
