"""Where DSA's answer depends on the delay embedding: each swept set over a grid of
``n_delays`` × ``delay_interval``, one row per DMD rank. The tutorial's circle, oval and walk
systems: the angular DSA of each pair of systems, then which pair is the closest at each
setting (the tutorial's lesson is that circle and oval, conjugate rotations, are). A clip set
with neural data: each model's deepest layer against the brain, then which model is the
closest to it at each setting.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure

#: Colours of the tutorial's closest-pair panel, one per pair of systems.
PAIR_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")


def sweep_pairs(names: Sequence[str], sources: Sequence[str]) -> list[tuple[int, int]]:
    """The pairs a sweep figure draws: each model with each brain where there are brains, else
    every pair."""
    brains = [i for i, s in enumerate(sources) if s == "brain"]
    if not brains:
        return list(itertools.combinations(range(len(names)), 2))
    return [(i, b) for b in brains for i, s in enumerate(sources) if s != "brain"]


def _wrap(name: str, width: int = 11) -> str:
    """A long model name over two lines, broken after its first underscore."""
    return name.replace("_", "_\n", 1) if len(name) > width else name


def _short(name: str) -> str:
    """A representation's model (``model/layer`` → ``model``), a system's or brain's name."""
    return name.split("/")[0]


def render(
    inputs: Sequence[str | os.PathLike[str]],
    out_stem: str | os.PathLike[str],
    *,
    spec: Mapping[str, Any],
) -> list[Path]:
    """Figure from the ``results/dsa_sweep/{clipset}.nc`` stores (``spec["models"]``: every
    model of the config, for the colours every figure shares)."""
    style.apply()
    stores = [store.read(p, "dsa_sweep") for p in inputs]
    vmax = max(float(np.nanmax(ds["distance"].values)) for ds in stores)
    model_colours = panels.model_colors(spec["models"])
    heights = [ds.sizes[store.RANK] * 1.9 + 1.0 for ds in stores]
    fig = plt.figure(figsize=(style.DOUBLE, sum(heights) + 0.4), layout="constrained")
    subfigs = fig.subfigures(len(stores), 1, height_ratios=heights, squeeze=False)[:, 0]
    for sub, ds in zip(subfigs, stores, strict=True):
        _block(sub, ds, vmax, model_colours)
    fig.suptitle("DSA across delay embeddings and DMD ranks")
    return style.save(fig, out_stem, inputs)


def _block(fig: Any, ds: Any, vmax: float, model_colours: Mapping[str, Any]) -> None:
    """One swept set: a row per rank, a column per pair, then the closest pair or model."""
    names = [str(n) for n in ds[store.REP_A].values]
    pairs = sweep_pairs(names, [str(s) for s in ds[f"{store.REP_A}_source"].values])
    tutorial = ds.attrs["stimset"] == paths.DSA_TUTORIAL
    ranks = [str(r) for r in ds[store.RANK].values]
    axes = fig.subplots(len(ranks), len(pairs) + 1, squeeze=False, sharey=True)
    D = ds["distance"].values
    delays = [int(d) for d in ds[store.N_DELAYS].values]
    intervals = [int(i) for i in ds[store.DELAY_INTERVAL].values]
    if tutorial:
        labels = [f"{names[a]} – {names[b]}" for a, b in pairs]
        colours = list(PAIR_COLOURS[: len(pairs)])
        closest_title, key_title = "closest pair", "closest pair"
    else:
        labels = [_short(names[a]) for a, _ in pairs]
        colours = [model_colours.get(m, "0.5") for m in labels]
        brain = _short(names[pairs[0][1]])
        closest_title, key_title = "closest", f"closest to {brain}"
    image = None
    for row, (k, rank) in zip(axes, enumerate(ranks), strict=True):
        for ax, (a, b), label in zip(row, pairs, labels, strict=False):
            values = D[:, :, k, a, b]
            image = ax.imshow(values, cmap="mako", vmin=0, vmax=vmax, aspect="auto")
            for (i, j), v in np.ndenumerate(values):
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=style.MIN_FONT_PT,
                    color="w" if v < 0.6 * vmax else "k",
                )
            ax.set_title(label.replace(" – ", " –\n") if tutorial else _wrap(label), loc="left")
            _axes(ax, delays, intervals)
        row[0].set_ylabel(f"rank {rank}\nn_delays")
        row[0].set_xlabel("delay_interval")  # once a row: the panels are narrower than it
        closest = np.argmin(np.stack([D[:, :, k, a, b] for a, b in pairs]), axis=0)
        row[-1].imshow(
            closest, cmap=ListedColormap(colours), vmin=-0.5, vmax=len(pairs) - 0.5, aspect="auto"
        )
        row[-1].set_title(closest_title, loc="left")
        _axes(row[-1], delays, intervals)
    fig.colorbar(image, ax=axes[:, :-1].ravel().tolist(), label="DSA (angular, rad)", shrink=0.8)
    fig.legend(
        handles=[Patch(facecolor=c, label=label) for label, c in zip(labels, colours, strict=True)],
        title=key_title,
        loc="outside lower center",
        ncols=min(len(labels), 6),
        frameon=False,
    )
    where = (
        "the tutorial's systems" if tutorial else f"{ds.attrs['stimset']}: models against {brain}"
    )
    fig.suptitle(where, x=0.01, ha="left", fontweight="bold")


def _axes(ax: plt.Axes, delays: list[int], intervals: list[int]) -> None:
    ax.set_xticks(range(len(intervals)), intervals)
    ax.set_yticks(range(len(delays)), delays)


FIGURE = Figure(
    name="dsa_sweep",
    drawn=lambda config: bool(selection.dsa_sweep_sets(config)),
    inputs=lambda config: [
        paths.DSA_SWEEP.format(clipset=c) for c in selection.dsa_sweep_sets(config)
    ],
    render=render,
    spec=lambda config: {"models": list(config["models"])},
)
