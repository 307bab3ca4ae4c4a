"""Panels several figures share: labelled matrices and MDS maps of representations.

Everything drawn here is read from a store: the MDS coordinates come from the ``mds``
variable that the distances stage writes beside each matrix (:mod:`repgeom.layout`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from repgeom import store
from repgeom.figures import style

#: Marker of brain representations in maps (model layers are circles).
BRAIN_MARKER = "*"


#: The brains' colours (tab10's pink and grey are left out of the models' palette).
BRAIN_COLORS = ("#e377c2", "#7f7f7f")


#: Most models coloured one by one; past it, a model shares its family's colour (its name
#: without the trailing seed: ``resnet18_sup_s02`` → ``resnet18_sup``) and keys list families.
MAX_MODEL_COLOURS = 20


def model_family(name: str) -> str:
    """A model's name without a trailing seed (``_s2``, ``_seed2``, ``-s02``); numbers that
    are part of the name stay (``vit_b_16``, ``squeezenet1_1``)."""
    return re.sub(r"[_-](?:s|seed)\d+$", "", name) or name


def _colour_names(models: Sequence[str], brains: Sequence[str]) -> dict[str, str]:
    """What each non-brain model's colour stands for: itself, or (many models) its family."""
    named = [m for m in dict.fromkeys(models) if m not in set(brains)]
    if len(named) <= MAX_MODEL_COLOURS:
        return {m: m for m in named}
    return {m: model_family(m) for m in named}


def model_colors(models: Sequence[str], brains: Sequence[str] = ()) -> dict[str, tuple]:
    """One colour per model, the same in every figure: models take the colour-blind-safe
    palette in sorted order of their names (so a figure's own order of models does not change
    them), brains (``brains``) take :data:`BRAIN_COLORS`. Past :data:`MAX_MODEL_COLOURS`
    models, the seeds of one family share a colour (:func:`model_family`; the keys say so,
    :func:`colour_key`). Returned in first-seen order."""
    unique = list(dict.fromkeys(models))
    stands_for = _colour_names(unique, brains)
    keys = sorted(set(stands_for.values()))
    base = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i not in (6, 7)]
    # tab20 without its pinks and greys (12–15): the brains' colours
    wide = [c for i, c in enumerate(plt.get_cmap("tab20").colors) if i not in (12, 13, 14, 15)]
    palette = base if len(keys) <= len(base) else wide
    by_key = {k: palette[i % len(palette)] for i, k in enumerate(keys)}
    by_name = {m: by_key[k] for m, k in stands_for.items()}
    brain_order = [m for m in unique if m not in stands_for]
    by_name.update({b: BRAIN_COLORS[i % len(BRAIN_COLORS)] for i, b in enumerate(brain_order)})
    return {m: by_name[m] for m in unique}


def colour_key(models: Sequence[str], brains: Sequence[str] = ()) -> list[tuple[str, tuple]]:
    """The legend entries of :func:`model_colors`: ``(label, colour)`` for each model, or for
    each family (``"resnet18 (11 seeds)"``) when there are too many models to colour one by
    one; brains last, each by name."""
    colors = model_colors(models, brains)
    stands_for = _colour_names(list(colors), brains)
    counts: dict[str, int] = {}
    for key in stands_for.values():
        counts[key] = counts.get(key, 0) + 1
    entries, seen = [], set()
    for model, key in stands_for.items():
        if key not in seen:
            seen.add(key)
            many = "seeds" if counts[key] > 1 else "seed"
            label = key if key == model else f"{key} ({counts[key]} {many})"
            entries.append((label, colors[model]))
    return entries + [(m, colors[m]) for m in colors if m not in stands_for]


#: Most tick labels a matrix axis shows one by one; past it, rows are labelled by group.
MAX_TICK_LABELS = 12


def group_ticks(
    ax: plt.Axes, groups: Sequence[str], *, x: bool = True, y: bool = True, color: str = "w"
) -> None:
    """Label a matrix's rows and columns by runs of equal ``groups`` (e.g. the model of each
    layer): one tick at the middle of each run, thin ``color`` lines between runs. Past
    :data:`MAX_MODEL_COLOURS` runs, runs of one family (:func:`model_family`) make one."""
    runs = sum(1 for i, g in enumerate(groups) if i == 0 or g != groups[i - 1])
    if runs > MAX_MODEL_COLOURS:
        groups = [model_family(str(g)) for g in groups]
    starts = [i for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]]
    bounds = [*starts, len(groups)]
    centres = [(a + b - 1) / 2 for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    names = [str(groups[i]) for i in starts]
    for b in bounds[1:-1]:
        if x:
            ax.axvline(b - 0.5, color=color, lw=0.6)
        if y:
            ax.axhline(b - 0.5, color=color, lw=0.6)
    shown = _spaced(centres, [b - a for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    ticks = [centres[i] for i in shown]
    labels = [names[i] for i in shown]
    if x:
        ax.set_xticks(ticks, labels, rotation=90)
    if y:
        ax.set_yticks(ticks, labels)
    hidden = [names[i] for i in range(len(names)) if i not in shown]
    if hidden and x:  # runs too short for a label of their own are named, in order, below
        ax.set_xlabel("unlabelled blocks, in order: " + ", ".join(hidden), wrap=True)
    ax.tick_params(length=0)


#: A group label needs at least this fraction of a matrix's side (about one line of 7.5 pt
#: text on a matrix 1.6 inches wide).
MIN_LABEL_SPACING = 1 / 16


def _spaced(centres: Sequence[float], sizes: Sequence[int]) -> list[int]:
    """Indices of the runs that get a label: the longest first, each at least
    :data:`MIN_LABEL_SPACING` of the side away from every label kept before it."""
    gap = MIN_LABEL_SPACING * sum(sizes)
    kept: list[int] = []
    for i in sorted(range(len(centres)), key=lambda i: -sizes[i]):
        if all(abs(centres[i] - centres[j]) >= gap for j in kept):
            kept.append(i)
    return sorted(kept)


def heatmap(
    ax: plt.Axes,
    M: np.ndarray,
    labels: Sequence[str],
    title: str,
    label: str,
    groups: Sequence[str] | None = None,
    **kw,
) -> None:
    """A square matrix with a colour bar; each row labelled while there are at most
    :data:`MAX_TICK_LABELS`, else runs of equal ``groups`` (the model of each
    representation) labelled once (:func:`group_ticks`)."""
    image = ax.imshow(M, cmap=kw.pop("cmap", "viridis"), **kw)
    if len(labels) <= MAX_TICK_LABELS or groups is None:
        ticks = np.arange(len(labels))
        ax.set_xticks(ticks, list(labels), rotation=90)
        ax.set_yticks(ticks, list(labels))
    else:
        group_ticks(ax, groups)
    ax.set_title(title)
    plt.colorbar(image, ax=ax, label=label, shrink=0.8)


def mds_map(ax: plt.Axes, ds: xr.Dataset, title: str, *, legend: bool = True) -> None:
    """The stored 2-D MDS map of a distances store (its ``mds`` variable): colour = model,
    size = depth, star = brain; with ``legend``, its key beside the axes
    (:func:`mds_handles`)."""
    xy = ds["mds"].transpose(store.REP_A, ...).values
    models = [str(m) for m in ds[f"{store.REP_A}_model"].values]
    kinds = [str(k) for k in ds[f"{store.REP_A}_source"].values]
    depth = np.asarray(ds[f"{store.REP_A}_depth"].values, dtype=float)
    colors = model_colors(models, _brains(models, kinds))
    for model in colors:
        idx = [i for i, m in enumerate(models) if m == model]
        brain = kinds[idx[0]] == "brain"
        ax.scatter(
            xy[idx, 0],
            xy[idx, 1],
            s=BRAIN_SIZE if brain else _depth_size(depth[idx]),
            marker=BRAIN_MARKER if brain else "o",
            color=colors[model],
            edgecolor="black" if brain else "none",
        )
        if not brain and len(idx) > 1:  # a model's layers in order, joined
            order = sorted(idx, key=lambda i: depth[i])
            ax.plot(xy[order, 0], xy[order, 1], color=colors[model], lw=0.6, alpha=0.6)
    ax.set(title=title, xticks=[], yticks=[], xlabel="MDS 1", ylabel="MDS 2")
    if legend:
        ax.legend(
            handles=mds_handles(ds), frameon=False, loc="center left", bbox_to_anchor=(1, 0.5)
        )


#: Marker area of a brain, and of the first and last layer of a model, in points².
BRAIN_SIZE, FIRST_SIZE, LAST_SIZE = 120, 12, 60


def _depth_size(depth: np.ndarray) -> np.ndarray:
    return FIRST_SIZE + (LAST_SIZE - FIRST_SIZE) * np.asarray(depth, dtype=float)


def mds_handles(ds: xr.Dataset) -> list:
    """The key of :func:`mds_map`: one colour per model, the size of the first and last layer,
    the brain marker."""
    from matplotlib.lines import Line2D

    models = [str(m) for m in ds[f"{store.REP_A}_model"].values]
    kinds = [str(k) for k in ds[f"{store.REP_A}_source"].values]
    brains = _brains(models, kinds)

    def dot(label: str, color: object, size: float, marker: str = "o") -> Line2D:
        return Line2D([], [], ls="", marker=marker, ms=np.sqrt(size), color=color, label=label)

    handles = [
        dot(m, c, BRAIN_SIZE if m in brains else 30, BRAIN_MARKER if m in brains else "o")
        for m, c in colour_key(models, brains)
    ]
    return handles + [
        dot("first layer (size = depth)", "0.5", FIRST_SIZE),
        dot("last layer", "0.5", LAST_SIZE),
    ]


def _brains(models: Sequence[str], kinds: Sequence[str]) -> list[str]:
    return [m for m, k in zip(models, kinds, strict=True) if k == "brain"]


def annotated_matrix(
    ax: plt.Axes, values: np.ndarray, names: Sequence[str], title: str, label: str
) -> None:
    """A small square matrix over named items with each value written in its cell (3
    decimals) and a colour bar labelled ``label``."""
    import seaborn as sns

    sns.heatmap(
        values,
        annot=True,
        fmt=".3f",
        cmap="mako",
        ax=ax,
        square=True,
        xticklabels=list(names),
        yticklabels=list(names),
        annot_kws={"fontsize": style.MIN_FONT_PT},
        cbar_kws={"label": label, "shrink": 0.8},
    )
    ax.set_title(title, loc="left")
