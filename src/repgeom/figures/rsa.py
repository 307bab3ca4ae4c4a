"""The RSA tutorial's figure over the workflow's representations.

Top row: the RDMs of each layer of the first model and of each brain dataset, each shown as
percentiles of its own entries (rank colouring, as in rsatoolbox's ``show_rdm``; the rdms
store's ``rdm_percentile``), stimuli sorted by category (orange lines between categories).
Bottom: the second-order RDM
``1 − compare(RDMᵢ, RDMⱼ)`` over every representation (the configured RSA metric; the
distances store's ``dissimilarity``) and its stored 2-D MDS map.
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

#: RDMs drawn in the top row at most.
MAX_RDMS = 8


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/rdms/{stimset}.nc`` and the RSA metric's distance store."""
    style.apply()
    rdm_path, rsa_path = inputs
    rdms = store.read(rdm_path, "rdms")
    second_ds = store.read(rsa_path, "distances")
    kinds = [str(k) for k in rdms[f"{store.REP}_source"].values]
    models = [str(m) for m in rdms[f"{store.REP}_model"].values]
    first_model = next(m for m, k in zip(models, kinds, strict=True) if k == "model")
    shown = [i for i, (m, k) in enumerate(zip(models, kinds, strict=True)) if m == first_model]
    shown = (shown + [i for i, k in enumerate(kinds) if k == "brain"])[:MAX_RDMS]
    order = np.argsort(rdms[store.CATEGORY].values, kind="stable")
    categories = rdms[store.CATEGORY].values[order]
    n_cols = 4
    n_rows = -(-len(shown) // n_cols)
    fig = plt.figure(figsize=(style.DOUBLE, 1.75 * n_rows + 3.4), layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[1.75 * n_rows, 3.4])
    top = grid[0].subgridspec(n_rows, n_cols)
    image = None
    for k, i in enumerate(shown):
        ax = fig.add_subplot(top[k // n_cols, k % n_cols])
        P = rdms["rdm_percentile"].values[i][order][:, order]
        image = ax.imshow(P, cmap="bone", vmin=0, vmax=100)
        category_marks(ax, categories)
        ax.set_title(str(rdms[store.REP].values[i]).replace("/", "\n"))  # model, then layer
    if image is not None:
        fig.colorbar(
            image,
            ax=fig.axes,
            label="dissimilarity (percentile of each RDM)",
            shrink=0.6,
            location="right",
        )
    bottom = grid[1].subgridspec(1, 2, width_ratios=[1.25, 1])
    ax_mat, ax_map = fig.add_subplot(bottom[0, 0]), fig.add_subplot(bottom[0, 1])
    second = second_ds["distance"]
    panels.heatmap(
        ax_mat,
        second_ds["dissimilarity"].values,
        [str(n) for n in second[store.REP_A].values],
        "second-order RDM",
        f"1 − {style.metric_label(second_ds)}".replace(" (", "\n(", 1),  # fits beside the bar
        groups=[str(m) for m in second[f"{store.REP_A}_model"].values],
    )
    panels.mds_map(ax_map, second_ds, "MDS of the second-order RDM")
    fig.suptitle(
        f"{rdms.attrs['stimset']}: {rdms['rdm'].attrs['method']} RDMs (stimuli by category)"
    )
    return style.save(fig, out_stem, inputs)


def category_marks(ax: plt.Axes, categories: np.ndarray) -> None:
    """Lines between the categories of an RDM's sorted stimuli; no ticks."""
    bounds = [i for i in range(1, len(categories)) if categories[i] != categories[i - 1]]
    for b in bounds:
        ax.axhline(b - 0.5, color="tab:orange", lw=0.4)
        ax.axvline(b - 0.5, color="tab:orange", lw=0.4)
    ax.set(xticks=[], yticks=[])


def _inputs(config: Config) -> list[str]:
    stimset = selection.distance_stimsets(config)[0]
    return [
        paths.RDMS.format(stimset=stimset),
        paths.DISTANCES.format(stimset=stimset, metric=selection.rsa_metric(config)),
    ]


FIGURE = Figure(
    name="rsa",
    drawn=lambda config: bool(selection.distance_stimsets(config) and selection.rsa_metric(config)),
    inputs=_inputs,
    render=render,
)
