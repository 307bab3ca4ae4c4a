"""Dynamics against geometry on the DSA tutorial's circle, oval and walk: DSA under each delay
setting beside geometric comparisons of the same simulations — RSA and the Procrustes angle
with time points as conditions, and the angle between the shapes of the clouds of states
(:func:`repgeom.dsa.systems.state_cloud_angle`). Each panel names its closest pair.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Figure

#: Colours of the three systems in the state panel.
SYSTEM_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")
#: Time points drawn per system in the state panel.
SHOWN_STEPS = 400


def _closest(values: np.ndarray, names: list[str], measure: str) -> str:
    pairs = list(itertools.combinations(range(len(names)), 2))
    score = [values[i, j] for i, j in pairs]
    i, j = pairs[int(np.argmax(score) if measure == "similarity" else np.argmin(score))]
    return f"{names[i]}–{names[j]}"


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from ``results/dsa/tutorial.nc``."""
    style.apply()
    (path,) = inputs
    ds = store.read(path, "distances")
    names = [str(n) for n in ds[store.REP_A].values]
    settings = [str(s) for s in ds[store.SETTING].values]
    comparisons = [str(c) for c in ds["comparison"].values]
    n_panels = 1 + len(settings) + len(comparisons)
    n_cols = 3
    n_rows = -(-n_panels // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(style.DOUBLE, 2.9 * n_rows), squeeze=False, layout="constrained"
    )
    for ax in axes.ravel()[n_panels:]:
        ax.set_visible(False)
    slots = iter(axes.ravel())
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    ax = next(slots)
    for name, colour in zip(names, SYSTEM_COLOURS, strict=False):
        X = ds["states"].sel({store.REP: name}).values[:SHOWN_STEPS]
        Z = X - X.mean(axis=0)
        Z = Z / np.sqrt((Z**2).sum(axis=1).mean())
        ax.plot(*Z.T, lw=0.5, color=colour, label=name, alpha=0.8)
    ax.set(xlabel="state 1 (unit variance)", ylabel="state 2", aspect="equal")
    legend = ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncols=3)
    for line in legend.get_lines():
        line.set(linewidth=2, alpha=1)
    ax.set_title(f"{next(letters)}  states (first {SHOWN_STEPS} steps)", loc="left")
    for setting in settings:
        values = ds["distance"].sel({store.SETTING: setting}).values
        what = "DSA\n" + setting.replace(", ", "\n")
        ax = next(slots)
        panels.annotated_matrix(ax, values, names, f"{next(letters)}  {what}", "DSA (angular, rad)")
        ax.set_xlabel(f"closest: {_closest(values, names, 'distance')}")
    for comparison in comparisons:
        da = ds["geometry"].sel(comparison=comparison)
        method = str(da["comparison_method"].values)
        measure = str(da["comparison_measure"].values)
        key = measure
        if method == "state_cloud":
            what = "state-cloud shape\n(no time\ncorrespondence)"
        else:
            label = style.method_label(method, json.loads(str(da["comparison_params"].values)))
            name, _, params = label.partition(" (")
            what = f"{name}\n(time points\nas conditions)"
            key = f"{measure} ({params}" if params else measure
        ax = next(slots)
        panels.annotated_matrix(ax, da.values, names, f"{next(letters)}  {what}", key)
        ax.set_xlabel(f"closest: {_closest(da.values, names, measure)}")
    fig.suptitle("Dynamics (DSA) against geometry on the DSA tutorial's systems")
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="dsa_geometry",
    drawn=lambda config: paths.DSA_TUTORIAL in selection.dsa_sets(config),
    inputs=lambda config: [paths.DSA.format(clipset=paths.DSA_TUTORIAL)],
    render=render,
)
