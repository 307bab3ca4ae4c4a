"""The encoder-dimensionality study's main figure: effective dimensionality vs encoding.

Drawn from a per-layer table (:mod:`repgeom.layer_table`: model, architecture, layer,
training, ed, encoding[, depth]) with the study's statistics (:func:`statistics`, the same
function as :func:`repgeom.layer_table.statistics`). One row of panels per table:

(a) every model layer as a point: x = effective dimensionality (log axis, as in the study),
    y = encoding performance; colour = model (or architecture when there are many models),
    marker = training paradigm, size = relative depth where the table has it; Pearson r and p
    of ED vs encoding over all layers (and r with log ED);
(b) histogram of the within-(architecture, layer) correlations: r over the models that share
    an architecture and a layer (groups of at least 3 models), which removes the depth trend
    that every network shares; the median is marked;
(c, d, ...) one panel per training paradigm, with its own r and p.

In the workflow the tables come from ``results/dimensionality.nc`` and
``results/encoding.nc``: one per still neural dataset, encoding = median over neuroids of the
ceiling-normalised held-out r, ED on ``analyses.ed_stimset`` (default: the dataset's own
stimulus set). ``repgeom figure ed_encoding --table data.csv`` draws the same panels from a
published table (:func:`from_table`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from repgeom import paths, selection, store
from repgeom.figures import style
from repgeom.figures.base import Config, Figure
from repgeom.figures.panels import MAX_MODEL_COLOURS, colour_key, model_colors, model_family
from repgeom.layer_table import MIN_WITHIN_LAYER, statistics

__all__ = ["FIGURE", "draw_tables", "from_table", "render", "statistics", "store_tables"]

#: Smallest text in the figure (points at the saved size).
SMALL = style.MIN_FONT_PT
#: Panels to a row (the figure is a double column wide) and the height of a row, in inches.
N_COLS, PANEL_H = 2, 2.5
#: Most key lines in one column of a spare panel slot (more: further columns of colours).
LEGEND_ROWS = 12


def _fmt_p(p: float) -> str:
    return "n/a" if not np.isfinite(p) else f"{p:.2g}"


def _fmt_r(r: float) -> str:
    return "n/a" if not np.isfinite(r) else f"{r:.2f}"


def store_tables(dim, enc, ed_stimset: str | None = None) -> dict[str, pd.DataFrame]:
    """Per-layer tables from the dimensionality and encoding stores, one per neural dataset.

    Rows are the (model, layer) pairs with a finite ED and encoding score, in the
    dimensionality store's model order (the config's); ``encoding`` is the median over
    neuroids of ``r / ceiling``; ``ed`` is the layer's ED on ``ed_stimset`` (None: the neural
    dataset's stimulus set); ``depth`` is the layer's relative depth. The keys are titles such
    as ``"v1_photos (ED on photos)"``.
    """
    tables = {}
    models = [str(m) for m in dim[store.MODEL].values]
    arch = (
        {str(m): str(a) for m, a in zip(models, dim["architecture"].values, strict=True)}
        if "architecture" in dim.coords
        else {m: m for m in models}
    )
    training = {str(m): str(t) for m, t in zip(models, dim["training"].values, strict=True)}
    for neural in (str(n) for n in enc[store.NEURAL].values):
        stimset = ed_stimset or str(enc[store.STIMSET].sel({store.NEURAL: neural}).values)
        ed = dim["effective_dimensionality"].sel({store.STIMSET: stimset})
        score = enc["median_normalized_r"].sel({store.NEURAL: neural})
        rows = []
        for model in models:
            if model not in enc[store.MODEL]:
                continue
            for layer in (str(x) for x in dim[store.LAYER].values):
                if layer not in enc[store.LAYER]:
                    continue
                e = float(ed.sel({store.MODEL: model, store.LAYER: layer}))
                s = float(score.sel({store.MODEL: model, store.LAYER: layer}))
                if np.isfinite(e) and np.isfinite(s):
                    depth = float(dim["layer_depth"].sel({store.MODEL: model, store.LAYER: layer}))
                    rows.append(
                        {
                            "model": model,
                            "architecture": arch[model],
                            "layer": layer,
                            "training": training[model],
                            "ed": e,
                            "encoding": s,
                            "depth": depth,
                        }
                    )
        tables[f"{neural} (ED on {stimset})"] = pd.DataFrame(rows)
    return tables


def _colour_key(
    tables: Sequence[pd.DataFrame],
) -> tuple[str, dict[str, Any], list[tuple[str, Any]]]:
    """The column colour encodes, its colours and its key entries: the model (by family past
    MAX_MODEL_COLOURS models, as in every figure: :func:`panels.colour_key`), else, when even
    the families are too many (a published table's names), the architecture, else training."""
    models = list(dict.fromkeys(v for t in tables for v in t["model"].astype(str)))
    if len({model_family(m) for m in models}) <= MAX_MODEL_COLOURS:
        return "model", model_colors(models), colour_key(models)
    for column in ("architecture", "training"):
        values = list(dict.fromkeys(v for t in tables for v in t[column].astype(str)))
        if len(values) <= MAX_MODEL_COLOURS or column == "training":
            colours = model_colors(values)
            return column, colours, list(colours.items())
    raise AssertionError("unreachable")


def _scatter(ax, table: pd.DataFrame, key: str, colours, markers, with_depth: bool) -> None:
    many = len(table) > 150
    for (value, kind), part in table.groupby([key, "training"], sort=False):
        sizes = (12 + 45 * part["depth"].to_numpy()) if with_depth else (8 if many else 22)
        ax.scatter(
            part["ed"],
            part["encoding"],
            s=sizes,
            color=colours[str(value)],
            marker=markers[str(kind)],
            alpha=0.75,
            linewidths=0,
        )
    ax.set(xlabel="effective dimensionality")
    log_ticks(ax, part_ed=table["ed"].to_numpy())


def log_ticks(ax, part_ed: np.ndarray) -> None:
    """A log x axis with plain-number labels: 1-2-5 ticks over a decade or two, decades
    beyond, finer steps on a narrow range (the untrained layers' ED spans less than 3x)."""
    ax.set_xscale("log")
    lo, hi = float(np.nanmin(part_ed)), float(np.nanmax(part_ed))
    span = hi / max(lo, 1e-12)
    subs = (1.0,) if span > 100 else (1.0, 2.0, 5.0) if span > 8 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    ax.xaxis.set_major_locator(LogLocator(subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _draw_row(axes, title: str, table: pd.DataFrame, stats, key, colours, markers, ylabel):
    """Panels a (all layers), b (within-layer r) and one per training paradigm; each panel's
    statistics are its title's second line, so they never cover a point."""
    with_depth = "depth" in table.columns and table["depth"].notna().all()
    ax_a, ax_b, *ax_kinds = axes
    _scatter(ax_a, table, key, colours, markers, with_depth)
    ax_a.set(ylabel=f"{title}\n{ylabel}")
    ax_a.set_title(
        f"a  all layers\nr = {_fmt_r(stats['r'])}, p = {_fmt_p(stats['p'])}, n = {stats['n']}"
        f"\nwith log ED: r = {_fmt_r(stats['r_log'])}",
        loc="left",
    )
    within = np.array([r for r in stats["r_within_layer"].values() if np.isfinite(r)])
    ax_b.set(xlabel="r (ED, encoding) across models", ylabel="(architecture, layer) groups")
    ax_b.set_xlim(-1, 1)
    ax_b.axvline(0, color="0.6", lw=0.8)
    if within.size:
        ax_b.hist(within, bins=np.linspace(-1, 1, 21), color="0.55", edgecolor="white")
        median = float(np.median(within))
        ax_b.axvline(median, color="black", ls="--", lw=1)
        summary = f"median r = {median:.2f} (dashed), {within.size} groups"
    else:
        summary = f"no group of ≥ {MIN_WITHIN_LAYER} models sharing a layer"
    ax_b.set_title(f"b  within (architecture, layer)\n{summary}", loc="left")
    for letter, ax, kind in zip("cdefghij", ax_kinds, stats["r_by_training"], strict=False):
        part = table[table["training"] == kind]
        _scatter(ax, part, key, colours, markers, with_depth)
        ax.set(ylabel=ylabel)
        ax.set_title(
            f"{letter}  {kind}\nr = {_fmt_r(stats['r_by_training'][kind])}, "
            f"p = {_fmt_p(stats['p_by_training'][kind])}, n = {len(part)}",
            loc="left",
        )
    for ax in axes[2 + len(stats["r_by_training"]) :]:
        ax.set_visible(False)
    return with_depth


def _legend(fig, key: str, entries, markers, with_depth: bool, slot=None) -> None:
    """The key of every encoding (colour, marker, size): in ``slot`` (an unused panel) when
    there is one, else beside the panels."""
    handles = [
        Line2D([], [], ls="", marker="o", color=c, label=name, markersize=6) for name, c in entries
    ]
    others = [Line2D([], [], ls="", label="marker: training", marker="")]
    others += [
        Line2D([], [], ls="", marker=m, color="0.3", label=kind, markersize=6)
        for kind, m in markers.items()
    ]
    if with_depth:
        others += [Line2D([], [], ls="", label="size: relative depth", marker="")]
        others += [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                color="0.3",
                label=f"{d:g}",
                markersize=np.sqrt(12 + 45 * d),
            )
            for d in (0.0, 0.5, 1.0)
        ]
    owner, where, ncols = fig, {"loc": "outside right upper"}, 1
    if slot is not None:  # the key of the slot's axes moves with it when the layout settles
        slot.set_visible(True)
        slot.axis("off")
        owner, where = slot, {"loc": "upper center", "bbox_to_anchor": (0.5, 1.0)}
        if len(handles) + len(others) > LEGEND_ROWS:
            # columns of colours, then one of markers and sizes: one column would run out of
            # the slot (matplotlib fills columns top to bottom, so each is padded to `rows`)
            rows = max(LEGEND_ROWS, len(others))
            blank = Line2D([], [], ls="", marker="", label=" ")
            colour_cols = -(-len(handles) // rows)
            handles += [blank] * (colour_cols * rows - len(handles))
            others += [blank] * (rows - len(others))
            ncols = colour_cols + 1
    owner.legend(
        handles=handles + others,
        ncols=ncols,
        title=f"colour: {key}",
        fontsize=SMALL,
        title_fontsize=8,
        frameon=False,
        **where,
    )


def draw_tables(
    tables: Mapping[str, pd.DataFrame],
    out_stem: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]] = (),
    *,
    ylabel: str = "encoding score",
    tables_from: Sequence[str | os.PathLike[str]] = (),
) -> tuple[list[Path], dict[str, dict[str, Any]]]:
    """Draw panels a, b, c… for each table (a row each); returns the files and the statistics.

    ``inputs`` are result stores (their provenance goes into the PNG); ``tables_from`` are CSV
    files the tables were read from.
    """
    style.apply()
    frames = [t for t in tables.values() if len(t)]
    if not frames:
        from repgeom.errors import InvalidInputError

        raise InvalidInputError("no layer has both an ED and an encoding score; nothing to draw")
    key, colours, entries = _colour_key(frames)
    kinds = list(dict.fromkeys(k for t in frames for k in t["training"].astype(str)))
    markers = style.model_markers(kinds)
    n_panels = 2 + max(t["training"].nunique() for t in frames)
    rows_each = -(-n_panels // N_COLS)  # panels of one neural dataset, N_COLS to a row
    drawn = {title: t for title, t in tables.items() if len(t)}
    fig, axes = plt.subplots(
        len(drawn) * rows_each,
        N_COLS,
        figsize=(style.DOUBLE, PANEL_H * len(drawn) * rows_each + 0.4),
        squeeze=False,
        layout="constrained",
    )
    blocks = [axes[k * rows_each : (k + 1) * rows_each].ravel() for k in range(len(drawn))]
    all_stats, with_depth = {}, False
    for row, (title, table) in zip(blocks, drawn.items(), strict=True):
        stats = statistics(table)
        all_stats[title] = stats
        with_depth |= _draw_row(row, title, table, stats, key, colours, markers, ylabel)
    spare = [ax for ax in axes.ravel() if not ax.get_visible()]
    _legend(fig, key, entries, markers, with_depth, spare[0] if spare else None)
    fig.suptitle("Effective dimensionality vs encoding performance")
    return style.save(fig, out_stem, inputs, tables=tables_from), all_stats


def render(
    inputs: Sequence[str | os.PathLike[str]],
    out_stem: str | os.PathLike[str],
    spec: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Figure from ``results/dimensionality.nc`` and ``results/encoding.nc``; ``spec`` holds
    ``ed_stimset`` (None: each neural dataset's own set)."""
    dim_path, enc_path = inputs
    dim, enc = store.read(dim_path, "dimensionality"), store.read(enc_path, "encoding")
    tables = store_tables(dim, enc, (spec or {}).get("ed_stimset"))
    files, _ = draw_tables(tables, out_stem, inputs, ylabel="encoding (median r / ceiling)")
    return files


def summary(stats: Mapping[str, Any]) -> str:
    """The statistics as lines of text (what ``repgeom figure ed_encoding --table`` prints)."""
    lines = [
        f"all layers: r = {stats['r']:.2f}, p = {stats['p']:.2g}, n = {stats['n']} "
        f"(log ED: r = {stats['r_log']:.2f})"
    ]
    within = np.array([r for r in stats["r_within_layer"].values() if np.isfinite(r)])
    if within.size:
        lines.append(
            f"within (architecture, layer): median r = {np.median(within):.2f} over "
            f"{within.size} groups"
        )
    for kind, r in stats["r_by_training"].items():
        lines.append(f"{kind}: r = {r:.2f}, p = {stats['p_by_training'][kind]:.2g}")
    return "\n".join(lines)


def from_table(
    table: pd.DataFrame,
    out_stem: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """The same panels from a per-layer table (:func:`repgeom.layer_table.read_table`), e.g.
    the study's own ``data.csv``; prints the statistics (:func:`summary`)."""
    title = Path(source).stem if source is not None else "table"
    files, stats = draw_tables(
        {title: table}, out_stem, (), tables_from=[source] if source is not None else ()
    )
    print(summary(stats[title]))
    return files


def _drawn(config: Config) -> bool:
    return bool(config["analyses"]["dimensionality"]) and selection.encodes(config)


FIGURE = Figure(
    name="ed_encoding",
    drawn=_drawn,
    inputs=lambda config: [paths.DIMENSIONALITY, paths.ENCODING],
    render=render,
    spec=style.ed_stimset_spec,
    table=from_table,
)
