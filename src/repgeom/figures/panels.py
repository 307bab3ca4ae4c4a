"""Panels several figures share: labelled matrices and MDS maps of representations.

Everything drawn here is read from a store: the MDS coordinates come from the ``mds``
variable that the distances stage writes beside each matrix (:mod:`repgeom.layout`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from repgeom import store

#: Marker of brain representations in maps (model layers are circles).
BRAIN_MARKER = "*"


def model_colors(models: Sequence[str]) -> dict[str, tuple]:
    """One colour-blind-safe colour per model (brains included), in first-seen order."""
    unique = list(dict.fromkeys(models))
    palette = plt.get_cmap("tab10" if len(unique) <= 10 else "tab20")
    return {m: palette(i % palette.N) for i, m in enumerate(unique)}


def heatmap(
    ax: plt.Axes, M: np.ndarray, labels: Sequence[str], title: str, label: str, **kw
) -> None:
    """A square matrix with its labels on both axes (ticks thinned past 40 labels)."""
    image = ax.imshow(M, cmap=kw.pop("cmap", "viridis"), **kw)
    step = max(1, len(labels) // 40)
    ticks = np.arange(0, len(labels), step)
    ax.set_xticks(ticks, [labels[t] for t in ticks], rotation=90, fontsize=5)
    ax.set_yticks(ticks, [labels[t] for t in ticks], fontsize=5)
    ax.set_title(title)
    plt.colorbar(image, ax=ax, label=label, shrink=0.8)


def mds_map(ax: plt.Axes, ds: xr.Dataset, title: str) -> None:
    """The stored 2-D MDS map of a distances store (its ``mds`` variable): colour = model,
    size = depth, star = brain."""
    xy = ds["mds"].transpose(store.REP_A, ...).values
    models = [str(m) for m in ds[f"{store.REP_A}_model"].values]
    kinds = [str(k) for k in ds[f"{store.REP_A}_source"].values]
    depth = np.asarray(ds[f"{store.REP_A}_depth"].values, dtype=float)
    colors = model_colors(models)
    for model in colors:
        idx = [i for i, m in enumerate(models) if m == model]
        brain = kinds[idx[0]] == "brain"
        ax.scatter(
            xy[idx, 0],
            xy[idx, 1],
            s=200 if brain else 15 + 60 * depth[idx],
            marker=BRAIN_MARKER if brain else "o",
            color=colors[model],
            edgecolor="black" if brain else "none",
            label=model,
        )
        if not brain and len(idx) > 1:  # a model's layers in order, joined
            order = sorted(idx, key=lambda i: depth[i])
            ax.plot(xy[order, 0], xy[order, 1], color=colors[model], lw=0.6, alpha=0.6)
    ax.set(title=title, xticks=[], yticks=[], xlabel="MDS 1", ylabel="MDS 2")
    ax.legend(fontsize=6, frameon=False, loc="best", markerscale=0.6)
