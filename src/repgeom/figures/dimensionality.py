"""Eigenspectra, effective dimensionality and power-law exponent of every layer.

Per stimulus set (one row each): (a) the PCA eigenspectrum of each layer on log-log axes,
coloured by relative depth; (b) effective dimensionality ``ED = (Σλ)² / Σλ²`` against depth and
(c) the eigenspectrum's power-law exponent α (``λ_k ∝ k^−α``) against depth, one line per model
(colour = model, marker = training paradigm, as in every figure).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from repgeom import paths, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure

#: Eigenvalues below this fraction of the largest are numerical zeros (the null direction that
#: centring creates, rank deficiency) and are not drawn.
PLOT_FLOOR = 1e-10
#: Height of one stimulus set's row, in inches.
ROW_HEIGHT = 2.0


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dimensionality.nc`` (the only input)."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "dimensionality")
    stimsets = [str(s) for s in ds[store.STIMSET].values]
    models = [str(m) for m in ds[store.MODEL].values]
    trainings = [str(t) for t in ds["training"].values]
    colors = panels.model_colors(models)
    markers = style.model_markers(trainings)
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(
        len(stimsets),
        3,
        figsize=(style.DOUBLE, ROW_HEIGHT * len(stimsets) + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for (ax_spec, ax_ed, ax_alpha), stimset in zip(axes, stimsets, strict=True):
        sub = ds.sel({store.STIMSET: stimset})
        for model, training in zip(models, trainings, strict=True):
            depth = sub["layer_depth"].sel({store.MODEL: model}).values
            ed = sub["effective_dimensionality"].sel({store.MODEL: model}).values
            alpha = sub["alpha"].sel({store.MODEL: model}).values
            have = np.flatnonzero(np.isfinite(ed))
            for layer_i in have:
                lam = sub["eigenspectrum"].sel({store.MODEL: model}).values[layer_i]
                lam = lam[np.isfinite(lam)]
                lam = lam[lam > PLOT_FLOOR * lam.max()]
                ax_spec.loglog(
                    np.arange(1, len(lam) + 1), lam / lam.sum(), color=cmap(depth[layer_i]), lw=0.6
                )
            order = have[np.argsort(depth[have], kind="stable")]
            for ax, values in ((ax_ed, ed), (ax_alpha, alpha)):
                ax.plot(
                    depth[order],
                    values[order],
                    marker=markers[training],
                    ms=3,
                    lw=1,
                    color=colors[model],
                )
        if not np.isfinite(sub["alpha"].values).any():
            ax_alpha.text(
                0.5,
                0.5,
                "no power-law fit\non this set",
                ha="center",
                va="center",
                transform=ax_alpha.transAxes,
            )
            ax_alpha.set(xticks=[], yticks=[])
        ax_spec.set(ylabel=f"{stimset}\nfraction of variance", xlabel="PC index")
        ax_ed.set(ylabel="ED = (Σλ)² / Σλ²", xlabel="relative layer depth")
        ax_alpha.set(ylabel="power-law α", xlabel="relative layer depth")
    for ax, title in zip(
        axes[0],
        ("a  eigenspectra", "b  effective dim. (ED)", "c  power-law exponent"),
        strict=True,
    ):
        ax.set_title(title, loc="left")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    cax = axes[0, 0].inset_axes([0.08, 0.1, 0.45, 0.06])
    fig.colorbar(sm, cax=cax, orientation="horizontal", label="layer depth")
    cax.xaxis.set_ticks_position("top")  # clear of the panel's own tick labels below
    cax.xaxis.set_label_position("top")
    handles = [Line2D([], [], color=c, label=m) for m, c in panels.colour_key(models)]
    handles += [
        Line2D([], [], ls="", marker=markers[t], color="0.4", label=f"{t} (marker)")
        for t in dict.fromkeys(trainings)
    ]
    style.model_legend(fig, handles)
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="dimensionality",
    drawn=lambda config: bool(config["analyses"]["dimensionality"]),
    inputs=lambda config: [paths.DIMENSIONALITY],
    render=render,
)
