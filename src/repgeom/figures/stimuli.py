"""Stimulus montage: a few examples of every stimulus set, one row per set."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from repgeom import paths, store
from repgeom.figures import style
from repgeom.figures.base import Figure

#: Examples shown per stimulus set.
N_EXAMPLES = 8
#: Longest category name shown whole above an example (longer ones are shortened with "…").
MAX_TITLE = 11


def _examples(ds, n: int) -> tuple[np.ndarray, list[str]]:
    """Pick ``n`` stimuli spread over the categories (in natural order: ``ori22.5`` before
    ``ori112.5``); first frame of clips; (n, y, x, 3)."""
    images = ds["images"]
    if store.TIME in images.dims:
        images = images.isel({store.TIME: 0})
    cats = ds[store.CATEGORY].values
    order = np.array(sorted(range(len(cats)), key=lambda i: style.natural_key(cats[i])))
    pick = order[np.linspace(0, len(order) - 1, min(n, len(order))).round().astype(int)]
    arr = images.transpose(store.STIMULUS, store.Y, store.X, store.CHANNEL).values[pick]
    return np.clip(arr, 0, 1), [str(c) for c in cats[pick]]


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Montage of every stimuli store in ``inputs``."""
    style.apply()
    stores = [store.read(p, "stimuli") for p in inputs]
    fig, axes = plt.subplots(
        len(stores),
        N_EXAMPLES,
        figsize=(style.DOUBLE, 1.05 * len(stores) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for row, ds in zip(axes, stores, strict=True):
        images, cats = _examples(ds, N_EXAMPLES)
        for ax in row:
            ax.axis("off")
        for ax, img, cat in zip(row, images, cats, strict=False):
            ax.imshow(img, interpolation="nearest")
            ax.set_title(cat if len(cat) <= MAX_TITLE else cat[: MAX_TITLE - 1] + "…")
        clip = " (clips, frame 0)" if store.TIME in ds["images"].dims else ""
        row[0].text(
            -0.15,
            0.5,
            f"{ds.attrs['stimset']}\n{ds.sizes[store.STIMULUS]} stimuli{clip}",
            transform=row[0].transAxes,
            ha="right",
            va="center",
        )
    fig.suptitle("Stimulus sets")
    return style.save(fig, out_stem, inputs)


FIGURE = Figure(
    name="stimuli",
    drawn=lambda config: True,
    inputs=lambda config: [paths.STIMULI.format(stimset=s) for s in config["stimsets"]],
    render=render,
)
