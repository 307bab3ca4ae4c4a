"""Shape-metric distances over all representations: the matrix ordered by hierarchical
clustering with its dendrogram, and a 2-D MDS map (colour = model, size = depth, star = brain).
The tree (``linkage``, ``leaf_order``) and the map (``mds``) are read from the distances store,
where the distances stage wrote them (:mod:`repgeom.layout`).

The matrix is the first ``linear_shape`` metric of the config (generalized shape metric,
Williams et al. 2021: ``d(X, Y) = min_{Q ∈ O(n)} arccos(⟨φ(X), φ(Y) Q⟩ / ‖φ(X)‖‖φ(Y)‖)`` for
the angular score).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from scipy.cluster.hierarchy import dendrogram

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Config, Figure


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from one ``results/distances/{stimset}/{metric}.nc`` store."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "distances")
    D = ds["dissimilarity"].values
    names = [str(n) for n in ds[store.REP_A].values]
    fig = plt.figure(figsize=(15, 6), layout="constrained")
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 2.2, 2])
    ax_tree, ax_mat, ax_map = (fig.add_subplot(grid[0, i]) for i in range(3))
    dendrogram(
        ds["linkage"].values, ax=ax_tree, orientation="left", no_labels=True, color_threshold=0
    )
    order = ds["leaf_order"].values[::-1]  # top to bottom, as the tree is drawn
    ax_tree.set(title="average linkage", xlabel="distance", yticks=[])
    label = f"{ds.attrs['metric']} ({ds.attrs['method']}, {ds.attrs['params']})"
    if store.SPLIT in ds["distance"].dims:  # held-out: the layout is the test split's
        label += f"\nheld-out test split, {ds.attrs['cv_folds']}-fold"
    panels.heatmap(
        ax_mat,
        D[order][:, order],
        [names[i] for i in order],
        f"{ds.attrs['stimset']}: distances",
        label,
    )
    panels.mds_map(ax_map, ds, "MDS of the distance matrix")
    return style.save(fig, out_stem, inputs)


def _inputs(config: Config) -> list[str]:
    stimset = selection.distance_stimsets(config)[0]
    return [paths.DISTANCES.format(stimset=stimset, metric=selection.shape_metric(config))]


FIGURE = Figure(
    name="shape",
    drawn=lambda config: bool(
        selection.distance_stimsets(config) and selection.shape_metric(config)
    ),
    inputs=_inputs,
    render=render,
)
