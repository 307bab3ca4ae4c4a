"""Time-resolved RDMs ("RDM movies", rsatoolbox issues #235 and #247): on each clip set, the RDM
of every frame (columns) for the first model's layers and each brain (rows), each RDM coloured
by percentile of its own entries, stimuli sorted by category with lines between categories.
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
from repgeom.figures.rsa import category_marks

#: Representations shown per clip set at most (the first model's layers, then the brains).
MAX_ROWS = 6


def _shown(rdms) -> list[int]:
    kinds = [str(k) for k in rdms[f"{store.REP}_source"].values]
    models = [str(m) for m in rdms[f"{store.REP}_model"].values]
    first = next((m for m, k in zip(models, kinds, strict=True) if k == "model"), None)
    layers = [i for i, m in enumerate(models) if m == first]
    brains = [i for i, k in enumerate(kinds) if k == "brain"]
    return (layers[: MAX_ROWS - len(brains[:2])] + brains[:2])[:MAX_ROWS]


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from the ``results/rdms/{clipset}.nc`` stores of the clip sets."""
    style.apply()
    stores = [store.read(p, "rdms") for p in inputs]
    rows = [(ds, i) for ds in stores for i in _shown(ds)]
    n_frames = max(ds.sizes[store.TIME] for ds in stores)
    fig, axes = plt.subplots(
        len(rows),
        n_frames,
        figsize=(style.DOUBLE, 0.95 * len(rows) + 0.9),
        squeeze=False,
        layout="constrained",
    )
    image = None
    for row, (ds, i) in zip(axes, rows, strict=True):
        order = np.array(
            sorted(
                range(ds.sizes[store.STIMULUS]),
                key=lambda s: style.natural_key(ds[store.CATEGORY].values[s]),
            )
        )
        categories = ds[store.CATEGORY].values[order]
        name = str(ds[store.REP].values[i])
        for t, ax in enumerate(row):
            if t >= ds.sizes[store.TIME]:
                ax.set_visible(False)
                continue
            P = ds["rdm_percentile"].values[i, t][order][:, order]
            image = ax.imshow(P, cmap="bone", vmin=0, vmax=100)
            category_marks(ax, categories)
            if t == 0:
                ax.set_ylabel(
                    f"{ds.attrs['stimset']}\n{name}".replace("/", "\n"),
                    rotation=0,
                    ha="right",
                    va="center",
                )
            if ax is axes[0, t]:
                ax.set_title(f"frame {t}")
    fig.colorbar(image, ax=axes.ravel().tolist(), label="dissimilarity (percentile)", shrink=0.6)
    fig.suptitle(f"RDMs over time ({stores[0]['rdm'].attrs['method']} RDMs, stimuli by category)")
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="rdm_movie",
    drawn=lambda config: bool(selection.movie_sets(config)),
    inputs=lambda config: [paths.RDMS.format(stimset=s) for s in selection.movie_sets(config)],
    render=render,
)
