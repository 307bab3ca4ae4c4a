"""Distance matrices over all representations, one row per configured metric (every distance
metric but the one the RSA figure draws): the matrix, rows in representation order (each
model's layers by depth, labelled by model), and a 2-D MDS map (colour = model, size = depth,
star = brain) read from each distances store, where the distances stage wrote it
(:mod:`repgeom.layout`); a held-out store shows its test split and says so.

For the shape metrics (generalized shape metric, Williams et al. 2021):
``d(X, Y) = min_{Q ∈ O(n)} arccos(⟨φ(X), φ(Y) Q⟩ / ‖φ(X)‖‖φ(Y)‖)`` for the angular score.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Config, Figure

#: Height of one metric's row, in inches.
ROW_HEIGHT = 2.9


def _row(fig: plt.Figure, grid, ds, letter: str) -> None:
    """One metric: the matrix in representation order (models in config order, layers by
    depth; labels grouped by model) and its MDS map."""
    ax_mat, ax_map = (fig.add_subplot(grid[i]) for i in range(2))
    kind = "1 − similarity" if ds.attrs["measure"] == "similarity" else "distance"
    da = ds["distance"]
    held_out = store.SPLIT in da.dims and not np.array_equal(
        da.sel({store.SPLIT: "train"}).values, da.sel({store.SPLIT: "test"}).values
    )
    panels.heatmap(
        ax_mat,
        ds["dissimilarity"].values,
        [str(n) for n in ds[store.REP_A].values],
        "",
        f"{kind}, held-out ({ds.attrs['cv_folds']}-fold test)" if held_out else kind,
        groups=[str(m) for m in ds[f"{store.REP_A}_model"].values],
    )
    ax_mat.set_title(f"{letter}  {style.metric_label(ds)}", loc="left")
    panels.mds_map(ax_map, ds, "MDS of the matrix", legend=False)


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from the ``results/distances/{stimset}/{metric}.nc`` stores, one row each."""
    style.apply()
    stores = [store.read(p, "distances") for p in inputs]
    fig = plt.figure(figsize=(style.DOUBLE, ROW_HEIGHT * len(stores)), layout="constrained")
    grid = fig.add_gridspec(len(stores), 2, width_ratios=[2.2, 1.6])
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    for r, ds in enumerate(stores):
        _row(fig, [grid[r, i] for i in range(2)], ds, next(letters))
    style.model_legend(fig, panels.mds_handles(stores[0]))
    fig.suptitle(f"{stores[0].attrs['stimset']}: distances between all representations")
    return style.save(fig, out_stem, inputs)


def _inputs(config: Config) -> list[str]:
    stimset = selection.distance_stimsets(config)[0]
    return [
        paths.DISTANCES.format(stimset=stimset, metric=m) for m in selection.matrix_metrics(config)
    ]


FIGURE = Figure(
    name="shape",
    drawn=lambda config: bool(
        selection.distance_stimsets(config) and selection.matrix_metrics(config)
    ),
    inputs=_inputs,
    render=render,
)
