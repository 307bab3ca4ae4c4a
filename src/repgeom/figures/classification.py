"""Few-shot readout against effective dimensionality and encoding performance.

One row per categorised still set (× readout): every model layer is a point at each number of
training samples per class (marker = ``n_train``, colour = model), y = the few-shot mean
reciprocal rank or top-1 accuracy (mean over repeats, ``results/classification.nc``). Columns:
(a) MRR and (b) top-1 against the layer's effective dimensionality (log axis; ED on
``analyses.ed_stimset``, default the classified set itself), and, where encoding models were
fitted, (c) MRR and (d) top-1 against the encoding score (median r / ceiling on the first
still neural dataset). Pearson r per ``n_train`` (with log10 ED) in each panel; the dashed line
is chance (``1/K``, ``H_K/K``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from scipy.stats import pearsonr

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Config, Figure
from repgeom.figures.ed_encoding import log_ticks
from repgeom.figures.panels import colour_key, model_colors


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if np.std(x) == 0 or np.std(y) == 0:
        return float("nan"), float("nan")
    res = pearsonr(x, y)
    return float(res.statistic), float(res.pvalue)


SCORES = {"mrr": ("MRR", "chance_mrr"), "top1": ("top-1 accuracy", "chance_top1")}


def _points(cls, dim, enc, stimset: str, classifier: str, ed_stimset: str | None):
    """Rows (model, n_train, ed, encoding, mrr, top1) of every layer with finite values."""
    ed_set = ed_stimset or stimset
    sub = cls.sel({store.STIMSET: stimset, "classifier": classifier}).mean("repeat")
    neural = str(enc[store.NEURAL].values[0]) if enc is not None else None
    rows = []
    for model in (str(m) for m in dim[store.MODEL].values):
        if model not in cls[store.MODEL]:
            continue
        for layer in (str(x) for x in cls[store.LAYER].values):
            if layer not in dim[store.LAYER]:
                continue
            ed = float(
                dim["effective_dimensionality"].sel(
                    {store.MODEL: model, store.LAYER: layer, store.STIMSET: ed_set}
                )
            )
            score = np.nan
            if enc is not None and model in enc[store.MODEL] and layer in enc[store.LAYER]:
                score = float(
                    enc["median_normalized_r"].sel(
                        {store.MODEL: model, store.LAYER: layer, store.NEURAL: neural}
                    )
                )
            for n in (int(n) for n in cls["n_train"].values):
                cell = sub.sel({store.MODEL: model, store.LAYER: layer, "n_train": n})
                mrr, top1 = float(cell["mrr"]), float(cell["top1"])
                if np.isfinite(ed) and np.isfinite(mrr):
                    rows.append((model, n, ed, score, mrr, top1))
    return rows, neural


def _panel(
    ax, rows, x_index: int, y_key: str, colours, markers, chance: float, log_x: bool
) -> list[str]:
    """Scatter one score against ED or encoding; returns the per-n_train correlation lines
    (the caller puts them in the panel's title, where they cover no point)."""
    y_index = 4 if y_key == "mrr" else 5
    lines = []
    for n, marker in markers.items():
        pts = [r for r in rows if r[1] == int(n) and np.isfinite(r[x_index])]
        for r in pts:
            ax.scatter(r[x_index], r[y_index], color=colours[r[0]], marker=marker, s=18, lw=0)
        x = np.array([r[x_index] for r in pts])
        y = np.array([r[y_index] for r in pts])
        if x.size >= 3:
            rr, p = _pearson(np.log10(x) if log_x else x, y)
            lines.append(
                f"n_train {n}: r = {rr:.2f} (p = {p:.2g})"
                if np.isfinite(rr)
                else f"n_train {n}: r n/a (constant)"
            )
    ax.axhline(chance, color="0.4", ls="--", lw=0.8)
    if log_x:
        xs = np.array([r[x_index] for r in rows])
        log_ticks(ax, xs[np.isfinite(xs)])
    return lines


def render(
    inputs: Sequence[str | os.PathLike[str]],
    out_stem: str | os.PathLike[str],
    spec: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Figure from ``results/classification.nc``, ``results/dimensionality.nc`` and (where
    encoding models exist) ``results/encoding.nc``; ``spec`` holds ``ed_stimset``."""
    style.apply()
    cls = store.read(inputs[0], "classification")
    dim = store.read(inputs[1], "dimensionality")
    enc = store.read(inputs[2], "encoding") if len(inputs) > 2 else None
    ed_stimset = (spec or {}).get("ed_stimset")
    models = [str(m) for m in dim[store.MODEL].values]
    colours = model_colors(models)
    markers = style.model_markers([str(int(n)) for n in cls["n_train"].values])
    x_keys = ["ed"] + (["encoding"] if enc is not None else [])
    cases = [
        (str(s), str(c), y)
        for s in cls[store.STIMSET].values
        for c in cls["classifier"].values
        for y in ("mrr", "top1")
    ]
    fig, axes = plt.subplots(
        len(cases),
        len(x_keys),
        figsize=(style.DOUBLE, 2.3 * len(cases) + 0.4),
        squeeze=False,
        layout="constrained",
    )
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    neural = None
    for row, (stimset, classifier, y_key) in zip(axes, cases, strict=True):
        rows, neural = _points(cls, dim, enc, stimset, classifier, ed_stimset)
        k = int(cls["n_classes"].sel({store.STIMSET: stimset}))
        label, chance_var = SCORES[y_key]
        chance = float(cls[chance_var].sel({store.STIMSET: stimset}))
        for ax, x_key in zip(row, x_keys, strict=True):
            lines = _panel(
                ax, rows, 2 if x_key == "ed" else 3, y_key, colours, markers, chance, x_key == "ed"
            )
            xlabel = (
                f"effective dim. (on {ed_stimset or stimset})"
                if x_key == "ed"
                else f"encoding, r / ceiling ({neural})"
            )
            ax.set(xlabel=xlabel, ylabel=f"few-shot {label}")
            ax.set_title(
                "\n".join([f"{next(letters)}  {stimset} ({k} classes), {classifier}", *lines]),
                loc="left",
            )
    handles = [
        Line2D([], [], ls="", marker="o", color=c, label=m, markersize=6)
        for m, c in colour_key(models)
    ]
    handles.append(Line2D([], [], ls="", marker="", label="marker: train samples / class"))
    handles += [
        Line2D([], [], ls="", marker=mk, color="0.3", label=f"n_train = {n}", markersize=6)
        for n, mk in markers.items()
    ]
    handles.append(Line2D([], [], ls="--", color="0.4", lw=0.8, label="chance"))
    style.model_legend(fig, handles)
    fig.suptitle("Few-shot readout vs effective dimensionality and encoding")
    return style.save(fig, out_stem, inputs)


def _drawn(config: Config) -> bool:
    return bool(config["analyses"]["dimensionality"]) and bool(
        selection.classification_stimsets(config)
    )


def _inputs(config: Config) -> list[str]:
    extra = [paths.ENCODING] if selection.encodes(config) else []
    return [paths.CLASSIFICATION, paths.DIMENSIONALITY, *extra]


FIGURE = Figure(
    name="classification",
    drawn=_drawn,
    inputs=_inputs,
    render=render,
    spec=style.ed_stimset_spec,
)
