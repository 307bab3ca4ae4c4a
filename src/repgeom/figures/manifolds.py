"""Class-manifold projection distances per layer (the encoder-dimensionality study's
projections figure).

One row per categorised still set (``results/manifolds.nc``): (a) the mean scaled projection
distance of each layer (how far, in units of its class radius, a class spreads along the
direction to another class, averaged over ordered pairs of categories) against the layer's
effective dimensionality (log axis; ED on ``analyses.ed_stimset``, default the set itself),
colour = model, each model's layers joined in depth order; (b) the same against relative
depth; (c–e) the source × target matrices of scaled projections of the layers with the lowest,
median and highest ED on the set, on one colour scale.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Config, Figure
from repgeom.figures.ed_encoding import log_ticks
from repgeom.figures.panels import colour_key, model_colors

METRIC = "scaled_projections"
#: Beyond this many categories the matrices drop their tick labels.
MAX_LABELLED = 12


def render(
    inputs: Sequence[str | os.PathLike[str]],
    out_stem: str | os.PathLike[str],
    spec: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Figure from ``results/manifolds.nc`` and ``results/dimensionality.nc``; ``spec`` holds
    ``ed_stimset``."""
    style.apply()
    man = store.read(inputs[0], "manifolds")
    dim = store.read(inputs[1], "dimensionality")
    ed_stimset = (spec or {}).get("ed_stimset")
    models = [str(m) for m in dim[store.MODEL].values]
    colours = model_colors(models)
    stimsets = [str(s) for s in man[store.STIMSET].values]
    fig = plt.figure(figsize=(style.DOUBLE, 4.1 * len(stimsets) + 0.4), layout="constrained")
    outer = fig.add_gridspec(len(stimsets), 1)
    letters = iter("abcdefghijklmnopqrstuvwxyz" * 4)
    for k, stimset in enumerate(stimsets):
        inner = outer[k].subgridspec(2, 1, height_ratios=[2.1, 2.0])
        top, bottom = inner[0].subgridspec(1, 2), inner[1].subgridspec(1, 3)
        ax_ed, ax_depth = fig.add_subplot(top[0]), fig.add_subplot(top[1])
        ax_maps = [fig.add_subplot(bottom[i]) for i in range(3)]
        ed_set = ed_stimset or stimset
        cells = []  # (ed, model, layer)
        for model in (m for m in models if m in man[store.MODEL]):
            layers = [str(x) for x in man[store.LAYER].values]
            pm = man["pair_mean"].sel(
                {store.MODEL: model, store.STIMSET: stimset, "metric": METRIC}
            )
            depth = man["layer_depth"].sel({store.MODEL: model}).values
            ed = np.array(
                [
                    float(
                        dim["effective_dimensionality"].sel(
                            {store.MODEL: model, store.LAYER: layer, store.STIMSET: ed_set}
                        )
                    )
                    if layer in dim[store.LAYER]
                    else np.nan
                    for layer in layers
                ]
            )
            y = pm.values
            have = np.flatnonzero(np.isfinite(y) & np.isfinite(ed))
            have = have[np.argsort(depth[have], kind="stable")]
            ax_ed.plot(ed[have], y[have], marker="o", ms=4, lw=0.9, color=colours[model])
            ax_depth.plot(depth[have], y[have], marker="o", ms=4, lw=0.9, color=colours[model])
            cells += [(ed[i], model, layers[i]) for i in have]
        ax_ed.set(xlabel=f"effective dimensionality (on {ed_set})", ylabel="mean scaled projection")
        if cells:
            log_ticks(ax_ed, np.array([c[0] for c in cells]))
        ax_ed.set_title(f"{next(letters)}  {stimset}: per layer", loc="left")
        ax_depth.set(xlabel="relative layer depth", ylabel="mean scaled projection")
        ax_depth.set_title(f"{next(letters)}  {stimset}: by depth", loc="left")
        present = man["n_stimuli"].sel({store.STIMSET: stimset}).values > 0
        cats = [str(c) for c in man["source_category"].values[present]]
        cells.sort(key=lambda c: c[0])
        picks = [cells[0], cells[len(cells) // 2], cells[-1]] if cells else []
        mats = [
            man["projection_distances"]
            .sel({store.MODEL: m, store.LAYER: layer, store.STIMSET: stimset, "metric": METRIC})
            .values[np.ix_(present, present)]
            for _, m, layer in picks
        ]
        finite = [M[np.isfinite(M) & ~np.eye(len(M), dtype=bool)] for M in mats]
        vmax = max((float(f.max()) for f in finite if f.size), default=1.0)
        image = None
        for ax, (ed, model, layer), M, which in zip(
            ax_maps, picks, mats, ("lowest", "median", "highest"), strict=False
        ):
            M = M.copy()
            np.fill_diagonal(M, np.nan)
            image = ax.imshow(M, cmap="magma", vmin=0, vmax=vmax)
            ax.set_title(
                f"{next(letters)}  {which} ED\n{model}/{layer}\n(ED = {ed:.3g})",
                loc="left",
            )
            if len(cats) <= MAX_LABELLED:
                ax.set_xticks(range(len(cats)), cats, rotation=90)
                ax.set_yticks(range(len(cats)), cats)
            else:
                ax.set_xticks([])
                ax.set_yticks([])
            ax.set(xlabel="target category", ylabel="source category")
        for ax in ax_maps[len(picks) :]:
            ax.set_visible(False)
        if image is not None:
            fig.colorbar(image, ax=ax_maps, label="scaled projection", shrink=0.8, pad=0.01)
    handles = [
        Line2D([], [], marker="o", ms=5, lw=0.9, color=c, label=m) for m, c in colour_key(models)
    ]
    style.model_legend(fig, handles)
    fig.suptitle("Class-manifold geometry: projection distances per layer")
    return style.save(fig, out_stem, inputs)


def _drawn(config: Config) -> bool:
    return bool(config["analyses"]["dimensionality"]) and bool(selection.manifold_stimsets(config))


FIGURE = Figure(
    name="manifolds",
    drawn=_drawn,
    inputs=lambda config: [paths.MANIFOLDS, paths.DIMENSIONALITY],
    render=render,
    spec=style.ed_stimset_spec,
)
