"""DSA heatmaps: the tutorial's circle / oval / walk systems under each delay setting, and
every representation of each clip set (clips are trials).

DSA distance: ``min_{C ∈ O(n)} arccos(⟨A_X, C A_Y Cᵀ⟩ / ‖A_X‖‖A_Y‖)`` between the DMD
operators of the delay-embedded series (angular score).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dsa/*.nc`` (the tutorial store, if any, and clip sets)."""
    style.apply()
    stores = [store.read(p, "distances") for p in inputs]
    panels_needed = [
        (ds, s)
        for ds in stores
        for s in (ds[store.SETTING].values if store.SETTING in ds.dims else [None])
    ]
    n_cols = min(2, len(panels_needed))
    n_rows = -(-len(panels_needed) // n_cols)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(style.DOUBLE, 3.3 * n_rows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel()[len(panels_needed) :]:
        ax.set_visible(False)
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    for ax, (ds, setting) in zip(axes.ravel(), panels_needed, strict=False):
        da = ds["distance"] if setting is None else ds["distance"].sel({store.SETTING: setting})
        names = [str(n) for n in da[store.REP_A].values]
        title = f"{next(letters)}  {ds.attrs['stimset']}" + (
            "\n" + str(setting).replace(", ", "\n") if setting is not None else ""
        )
        if len(names) <= 6:
            panels.annotated_matrix(ax, da.values, names, title, "DSA (angular, rad)")
        else:
            panels.heatmap(
                ax,
                da.values,
                names,
                "",
                "DSA (angular, rad)",
                groups=[str(m) for m in da[f"{store.REP_A}_model"].values],
                cmap="mako",
            )
            ax.set_title(title, loc="left")
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="dsa",
    drawn=lambda config: bool(selection.dsa_sets(config)),
    inputs=lambda config: [paths.DSA.format(clipset=c) for c in selection.dsa_sets(config)],
    render=render,
)
