"""Which layer matches the brain, and how sure we are: one row per (brain, metric) of the
inference stores (:mod:`repgeom.stages.inference`).

Left: each model's score against the brain along its layers (x: relative depth), with its
bootstrap interval as a ribbon, the best layer of each model starred, the brain's noise
ceiling as a grey band (a line when its bounds agree) and the permutation nulls' central band
(hatched; the envelope over representations). Right: the paired bootstrap comparisons of
every two representations, Benjamini–Hochberg corrected: a cell is coloured where the row's
score is significantly better (or worse) than the column's at q < 0.05, rsatoolbox-style.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from repgeom import paths, selection, store
from repgeom.figures import panels, style
from repgeom.figures.base import Config, Figure

#: Significance level of the comparison panel (on Benjamini–Hochberg q-values).
ALPHA = 0.05
#: Height of a row, in inches (the figure is a double column wide).
ROW_HEIGHT = 2.9


def _fits(ds: xr.Dataset) -> bool:
    """Whether the store's metric fits an alignment (its scores are in-sample)."""
    from repgeom.metrics.registry import get

    return get(str(ds.attrs["method"])).bind(**json.loads(str(ds.attrs["params"]))).fits


def _better(ds: xr.Dataset) -> str:
    return "lower is closer" if ds.attrs["measure"] == "distance" else "higher is closer"


def _profile(ax: plt.Axes, ds: xr.Dataset, brain: str, colors: dict) -> None:
    """Scores along depth per model, CI ribbons, best layers, ceiling and null bands."""
    sel = ds.sel({store.BRAIN: brain})
    stat = sel["inference"]
    models = list(dict.fromkeys(str(m) for m in ds[f"{store.REP}_model"].values))
    distance = ds.attrs["measure"] == "distance"
    null_low = stat.sel({store.STATISTIC: "null_low"}).values
    null_high = stat.sel({store.STATISTIC: "null_high"}).values
    if np.isfinite(null_low).any():
        ax.axhspan(
            np.nanmin(null_low),
            np.nanmax(null_high),
            color="0.6",
            alpha=0.25,
            hatch="///",
            lw=0,
            zorder=0,
        )
    low, high = sel["ceiling"].values
    if np.isfinite(low):
        if high - low > 1e-12:
            ax.axhspan(low, high, color="0.5", alpha=0.35, lw=0, zorder=0)
        else:
            ax.axhline(low, color="0.4", lw=1.5, zorder=0)
    for model in models:
        mask = ds[f"{store.REP}_model"].values == model
        depth = ds[f"{store.REP}_depth"].values[mask].astype(float)
        order = np.argsort(depth, kind="stable")
        x = depth[order]
        score = stat.sel({store.STATISTIC: "score"}).values[mask][order]
        lo = stat.sel({store.STATISTIC: "ci_low"}).values[mask][order]
        hi = stat.sel({store.STATISTIC: "ci_high"}).values[mask][order]
        color = colors[model]
        ax.plot(x, score, "-o", color=color, ms=3, lw=1.2, label=model)
        if np.isfinite(lo).all():
            ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)
        best = int(np.nanargmin(score) if distance else np.nanargmax(score))
        ax.plot(x[best], score[best], marker="*", ms=11, color=color, mec="k", mew=0.5)
    n_subjects = int(sel["n_subjects"].values)
    ax.set(
        xlabel="relative depth (0 = first layer, 1 = last)",
        ylabel=f"score ({_better(ds)})",
        title=f"{brain} ({n_subjects} subject{'s' if n_subjects > 1 else ''})\n"
        + style.metric_label(ds)
        + (", fitted on all stimuli" if _fits(ds) else ""),
        xlim=(-0.05, 1.05),
    )


def _comparisons(ax: plt.Axes, ds: xr.Dataset, brain: str) -> None:
    """Significant paired differences (q < ALPHA), rows against columns; model blocks marked."""
    q = ds["comparison_q"].sel({store.BRAIN: brain}).values
    score = ds["inference"].sel({store.BRAIN: brain, store.STATISTIC: "score"}).values
    sign = -1.0 if ds.attrs["measure"] == "distance" else 1.0
    better = sign * (score[:, None] - score[None, :]) > 0
    grid = np.where(np.isfinite(q) & (q < ALPHA), np.where(better, 2, 0), 1).astype(float)
    grid[~np.isfinite(q)] = np.nan
    cmap = ListedColormap(["#d6604d", "#f7f7f7", "#4393c3"])
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=2, interpolation="nearest")
    panels.group_ticks(ax, [str(m) for m in ds[f"{store.REP}_model"].values], color="k")
    ax.set_title(f"layer vs layer\n(paired bootstrap,\nBH q < {ALPHA})")
    if np.isnan(grid).all():
        ax.text(
            0.5,
            0.5,
            "no bootstrap\nresamples",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )


def render(
    inputs: Sequence[str | os.PathLike[str]], out_stem: str | os.PathLike[str]
) -> list[Path]:
    """Figure from the ``results/inference/{stimset}/{metric}.nc`` stores."""
    style.apply()
    stores = [store.read(p, "inference") for p in inputs]
    rows = [(ds, str(b)) for ds in stores for b in ds[store.BRAIN].values]
    models = list(dict.fromkeys(str(m) for ds in stores for m in ds[f"{store.REP}_model"].values))
    colors = panels.model_colors(models)
    fig = plt.figure(figsize=(style.DOUBLE, ROW_HEIGHT * len(rows)), layout="constrained")
    grid = fig.add_gridspec(len(rows), 2, width_ratios=[2, 1])
    for r, (ds, brain) in enumerate(rows):
        _profile(fig.add_subplot(grid[r, 0]), ds, brain, colors)
        _comparisons(fig.add_subplot(grid[r, 1]), ds, brain)
    first = stores[0]
    pct = int(round(100 * float(first.attrs["confidence"])))
    handles = [
        Line2D([], [], color=c, marker="o", ms=3, label=m) for m, c in panels.colour_key(models)
    ] + [
        Patch(facecolor="0.5", alpha=0.2, label=f"{pct}% bootstrap interval (model colour)"),
        Line2D([], [], ls="", marker="*", ms=10, color="0.3", mec="k", label="best layer"),
        Patch(facecolor="0.5", alpha=0.35, label="noise ceiling (lower–upper)"),
        Patch(facecolor="0.6", alpha=0.25, hatch="///", label=f"permutation null, central {pct}%"),
        Patch(facecolor="#4393c3", label="row better than column"),
        Patch(facecolor="#d6604d", label="row worse than column"),
        Patch(facecolor="#f7f7f7", edgecolor="0.7", label="not significant"),
    ]
    style.model_legend(fig, handles)
    return style.save(fig, out_stem, inputs)


def _inputs(config: Config) -> list[str]:
    return [
        paths.INFERENCE.format(stimset=s, metric=m)
        for s in selection.inference_stimsets(config)
        for m in selection.inference_metrics(config)
    ]


FIGURE = Figure(
    name="brain_match",
    drawn=lambda config: bool(_inputs(config)),
    inputs=_inputs,
    render=render,
)
