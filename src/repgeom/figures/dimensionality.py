"""Eigenspectra and effective dimensionality of every layer.

Per stimulus set: (left) the PCA eigenspectrum of each layer on log-log axes, coloured by
relative depth, one line style per model; (right) effective dimensionality against depth, one
line per model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from repgeom import paths, store
from repgeom.figures import style
from repgeom.figures.base import Figure

#: Eigenvalues below this fraction of the largest are numerical zeros (the null direction that
#: centring creates, rank deficiency) and are not drawn.
PLOT_FLOOR = 1e-10


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dimensionality.nc`` (the only input)."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "dimensionality")
    stimsets = [str(s) for s in ds[store.STIMSET].values]
    models = [str(m) for m in ds[store.MODEL].values]
    cmap = plt.get_cmap("viridis")
    styles = ["-", "--", ":", "-."]
    fig, axes = plt.subplots(
        len(stimsets), 2, figsize=(10, 3.0 * len(stimsets)), squeeze=False, layout="constrained"
    )
    for (ax_spec, ax_ed), stimset in zip(axes, stimsets, strict=True):
        sub = ds.sel({store.STIMSET: stimset})
        for m, model in enumerate(models):
            depth = sub["layer_depth"].sel({store.MODEL: model}).values
            ed = sub["effective_dimensionality"].sel({store.MODEL: model}).values
            have = np.isfinite(ed)
            for layer_i in np.flatnonzero(have):
                lam = sub["eigenspectrum"].sel({store.MODEL: model}).values[layer_i]
                lam = lam[np.isfinite(lam)]
                lam = lam[lam > PLOT_FLOOR * lam.max()]
                ax_spec.loglog(
                    np.arange(1, len(lam) + 1),
                    lam / lam.sum(),
                    color=cmap(depth[layer_i]),
                    ls=styles[m % len(styles)],
                    lw=1,
                )
            order = np.argsort(depth[have])
            ax_ed.plot(
                depth[have][order],
                ed[have][order],
                marker="o",
                label=model,
                ls=styles[m % len(styles)],
            )
        ax_spec.set(
            title=f"{stimset}: eigenspectra", xlabel="PC index", ylabel="fraction of variance"
        )
        ax_ed.set(
            title=f"{stimset}: effective dimensionality",
            xlabel="relative layer depth",
            ylabel="ED = (Σλ)² / Σλ²",
        )
        ax_ed.legend(fontsize=7, frameon=False)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(
        sm,
        ax=axes[:, 0].tolist(),
        label="relative layer depth",
        location="left",
        shrink=0.5,
        pad=0.08,
    )
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="dimensionality",
    drawn=lambda config: bool(config["analyses"]["dimensionality"]),
    inputs=lambda config: [paths.DIMENSIONALITY],
    render=render,
)
