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
import seaborn as sns

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
    fig, axes = plt.subplots(
        1,
        len(panels_needed),
        figsize=(5.5 * len(panels_needed), 5),
        squeeze=False,
        layout="constrained",
    )
    for ax, (ds, setting) in zip(axes[0], panels_needed, strict=True):
        da = ds["distance"] if setting is None else ds["distance"].sel({store.SETTING: setting})
        names = [str(n) for n in da[store.REP_A].values]
        title = f"{ds.attrs['stimset']}" + (f"\n{setting}" if setting is not None else "")
        if len(names) <= 6:
            sns.heatmap(
                da.values,
                annot=True,
                fmt=".3f",
                cmap="mako",
                ax=ax,
                square=True,
                xticklabels=names,
                yticklabels=names,
                cbar_kws={"label": "DSA (angular, rad)"},
            )
            ax.set_title(title)
        else:
            panels.heatmap(ax, da.values, names, title, "DSA (angular, rad)", cmap="mako")
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="dsa",
    drawn=lambda config: bool(selection.dsa_sets(config)),
    inputs=lambda config: [paths.DSA.format(clipset=c) for c in selection.dsa_sets(config)],
    render=render,
)
