"""Where DSA's answer depends on the delay embedding: the tutorial's circle, oval and walk
systems over a grid of ``n_delays`` × ``delay_interval``, one row per DMD rank. The first three
columns are the angular DSA of each pair of systems; the last says which pair is the closest at
each setting — the tutorial's lesson is that circle and oval (conjugate rotations) are.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Figure

#: Colours of the closest-pair panel, one per pair of systems.
PAIR_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dsa_sweep/tutorial.nc``."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "dsa_sweep")
    names = [str(n) for n in ds[store.REP_A].values]
    pairs = list(itertools.combinations(range(len(names)), 2))
    delays = [int(d) for d in ds[store.N_DELAYS].values]
    intervals = [int(i) for i in ds[store.DELAY_INTERVAL].values]
    ranks = [str(r) for r in ds[store.RANK].values]
    D = ds["distance"].values
    vmax = float(np.nanmax(D))
    fig, axes = plt.subplots(
        len(ranks),
        len(pairs) + 1,
        figsize=(style.DOUBLE, 2.2 * len(ranks) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    image = None
    for row, (k, rank) in zip(axes, enumerate(ranks), strict=True):
        for ax, (a, b) in zip(row, pairs, strict=False):
            values = D[:, :, k, a, b]
            image = ax.imshow(values, cmap="mako", vmin=0, vmax=vmax, aspect="auto")
            for (i, j), v in np.ndenumerate(values):
                ax.text(
                    j,
                    i,
                    f"{v:.3f}",
                    ha="center",
                    va="center",
                    fontsize=style.MIN_FONT_PT,
                    color="w" if v < 0.6 * vmax else "k",
                )
            ax.set_title(f"{names[a]} – {names[b]}\nrank {rank}", loc="left")
            _axes(ax, delays, intervals)
        closest = np.argmin(np.stack([D[:, :, k, a, b] for a, b in pairs]), axis=0)
        ax = row[-1]
        ax.imshow(
            closest,
            cmap=ListedColormap(PAIR_COLOURS[: len(pairs)]),
            vmin=-0.5,
            vmax=len(pairs) - 0.5,
            aspect="auto",
        )
        ax.set_title(f"closest pair\nrank {rank}", loc="left")
        _axes(ax, delays, intervals)
    fig.colorbar(image, ax=axes[:, :-1].ravel().tolist(), label="DSA (angular, rad)", shrink=0.7)
    fig.legend(
        handles=[
            Patch(facecolor=c, label=f"{names[a]} – {names[b]}")
            for c, (a, b) in zip(PAIR_COLOURS, pairs, strict=False)
        ],
        title="closest pair",
        loc="outside lower center",
        ncols=len(pairs),
        frameon=False,
    )
    fig.suptitle("DSA of the tutorial's systems across delay embeddings and DMD ranks")
    return style.save(fig, out_stem, inputs)


def _axes(ax: plt.Axes, delays: list[int], intervals: list[int]) -> None:
    ax.set_xticks(range(len(intervals)), intervals)
    ax.set_yticks(range(len(delays)), delays)
    ax.set(xlabel="delay_interval", ylabel="n_delays")


FIGURE = Figure(
    name="dsa_sweep",
    drawn=lambda config: selection.dsa_sweep(config) is not None,
    inputs=lambda config: [paths.DSA_SWEEP],
    render=render,
)
