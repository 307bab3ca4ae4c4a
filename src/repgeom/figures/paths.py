"""Representational paths: each model's layers (a recurrent net's steps) as a path through one
metric space, from the input pixels to the one-hot labels (:mod:`repgeom.layer_paths`).

a: the MDS plane of every layer and both anchors, each model's layers joined in depth order
(solid) and to the anchors (dotted); b: each layer's distance to the labels and from the
pixels along its path; c: path lengths, over the layers and anchored (pixels → layers →
labels), against the straight distance pixels → labels.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure
from repgeom.layer_paths import INPUT, LABELS

#: Markers of the two anchors.
ANCHOR_MARKERS = {INPUT: "s", LABELS: "*"}


def render(
    inputs: Sequence[str | os.PathLike[str]],
    out_stem: str | os.PathLike[str],
    *,
    spec: Mapping[str, Any],
) -> list[Path]:
    """Figure from ``results/paths/{stimset}.nc``; ``spec["models"]`` lists every model of the
    config (for the colours every figure shares)."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "paths")
    models = [str(m) for m in ds[store.MODEL].values]
    colors = panels.model_colors(spec["models"])
    rep_model = ds[f"{store.REP}_model"].values.astype(str)
    rep_layer = ds[f"{store.REP}_layer"].values.astype(str)
    xy = ds["coordinate"].values
    D = ds["distance"].values
    first, last = 0, len(rep_model) - 1
    label = style.metric_label(ds)
    fig = plt.figure(figsize=(style.DOUBLE, 3.4), layout="constrained")
    grid = fig.add_gridspec(1, 3, width_ratios=(1.5, 1, 0.8))
    ax_map, ax_depth, ax_len = (fig.add_subplot(grid[0, i]) for i in range(3))
    for model in models:
        chain = np.flatnonzero(rep_model == model)
        color = colors[model]
        ax_map.plot(*xy[chain].T, "-o", color=color, ms=3.5, lw=1.2)
        for ends in ((first, chain[0]), (chain[-1], last)):
            ax_map.plot(*xy[list(ends)].T, ":", color=color, lw=0.9)
        ax_map.annotate(
            rep_layer[chain[-1]],
            xy[chain[-1]],
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=style.MIN_FONT_PT,
            color=color,
        )
        steps = np.arange(len(chain))
        ax_depth.plot(steps, D[chain, last], "-o", color=color, ms=3)
        ax_depth.plot(steps, D[chain, first], "--", color=color, lw=1)
    for anchor, k in ((INPUT, first), (LABELS, last)):
        ax_map.plot(*xy[k], ANCHOR_MARKERS[anchor], color="k", ms=9)
        ax_map.annotate(anchor, xy[k], xytext=(7, 2), textcoords="offset points")
    ax_map.set(xlabel="MDS 1", ylabel="MDS 2", aspect="equal")
    ax_map.set_title(f"a  paths in one space ({ds.attrs['stimset']})", loc="left")
    chains = [list(rep_layer[rep_model == m]) for m in models]
    longest = max(chains, key=len)
    shared = all(chain == longest[: len(chain)] for chain in chains)
    ax_depth.set_xticks(
        range(len(longest)), longest if shared else range(len(longest)), rotation=45, ha="right"
    )
    ax_depth.set(xlabel="layer" if shared else "layer along the path", ylabel=label)
    ax_depth.set_title("b  to the labels and from the pixels", loc="left")
    x = np.arange(len(models))
    width = 0.38
    for offset, variable, hatch in (
        (-width / 2, "path_length", ""),
        (width / 2, "anchored_path_length", "//"),
    ):
        ax_len.bar(
            x + offset,
            ds[variable].values,
            width,
            color=[colors[m] for m in models],
            hatch=hatch,
            edgecolor="k",
            lw=0.5,
        )
    ax_len.axhline(D[first, last], color="k", lw=0.8, ls="--")
    ax_len.set_xticks(x, models, rotation=30, ha="right")
    ax_len.set(ylabel=f"path length ({label})")
    ax_len.set_title("c  path lengths", loc="left")
    fig.legend(
        handles=[
            *(Line2D([], [], color=colors[m], marker="o", ms=3.5, label=m) for m in models),
            *(
                Line2D([], [], color="k", ls="", marker=ANCHOR_MARKERS[a], ms=7, label=a)
                for a in (INPUT, LABELS)
            ),
            Line2D([], [], color="0.3", ls=":", label="to / from the anchors (a)"),
            Line2D([], [], color="0.3", marker="o", ms=3, label="distance to the labels (b)"),
            Line2D([], [], color="0.3", ls="--", label="distance from the pixels (b)"),
            Patch(facecolor="w", edgecolor="k", label="over the layers (c)"),
            Patch(facecolor="w", edgecolor="k", hatch="//", label="pixels → layers → labels (c)"),
            Line2D([], [], color="k", lw=0.8, ls="--", label="pixels → labels, straight (c)"),
        ],
        loc="outside lower center",
        ncols=4,
        frameon=False,
    )
    return style.save(fig, out_stem, inputs)


def _inputs(config: Mapping[str, Any]) -> list[str]:
    return [paths.PATHS.format(stimset=selection.paths_stimset(config))]


FIGURE = Figure(
    name="paths",
    drawn=lambda config: selection.paths_stimset(config) is not None,
    inputs=_inputs,
    render=render,
    spec=lambda config: {"models": list(config["models"])},
)
