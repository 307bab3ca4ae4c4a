"""Shared figure style and atomic saving."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window (headless CI, SLURM nodes)

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402

from repgeom import selection, store  # noqa: E402
from repgeom.paths import FIGURE_EXTS as EXTS  # noqa: E402

#: Resolution of the PNG files.
DPI = 150


#: Width of a figure drawn for a double journal column (183 mm) and a single one (89 mm), in
#: inches: figures are drawn at the size they print at, so their text sizes are the printed
#: ones (:mod:`repgeom.figures.checks`).
DOUBLE, SINGLE = 183 / 25.4, 89 / 25.4


def apply() -> None:
    """Set the house style: seaborn ticks, colour-blind palette, and text sizes that are at
    least :data:`MIN_FONT_PT` on a figure drawn at its printed width."""
    sns.set_theme(context="paper", style="ticks", palette="colorblind")
    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "font.size": 8,
            "axes.titlesize": 8,
            "axes.labelsize": 8,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "legend.title_fontsize": 8,
            "figure.titlesize": 9,
        }
    )


#: PNG text chunk holding a figure's provenance (``repgeom inspect FIGURE.png`` prints it).
PROVENANCE_KEY = "repgeom-provenance"


def provenance(
    inputs: Sequence[str | os.PathLike[str]], tables: Sequence[str | os.PathLike[str]] = ()
) -> str:
    """JSON list of the stores a figure was made from, with their provenance attrs, and of the
    tables (CSV files) it was drawn from, with their SHA-256."""
    records = []
    for path in inputs:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            attrs = {k: str(v) for k, v in ds.attrs.items()}
        records.append({"store": str(path), **attrs})
    for path in tables:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        records.append({"store": str(path), "schema": "layer table (CSV)", "sha256": digest})
    return json.dumps(records, indent=1)


def model_markers(kinds: Sequence[str]) -> dict[str, str]:
    """One marker per training paradigm (or any other category), in first-seen order; the
    study figures pair it with one colour per model
    (:func:`repgeom.figures.panels.model_colors`)."""
    unique = list(dict.fromkeys(kinds))
    return {k: MARKERS[i % len(MARKERS)] for i, k in enumerate(unique)}


#: Marker cycle of :func:`model_markers`.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">")
#: Smallest text of the study figures, in points at the saved size.
MIN_FONT_PT = 7.5


def model_legend(fig: plt.Figure, handles: Sequence[Artist]) -> None:
    """The study figures' legend of ``handles`` (one colour per model first), outside the
    axes at the upper right, titled "colour: model"."""
    fig.legend(
        handles=handles,
        title="colour: model",
        loc="outside right upper",
        fontsize=MIN_FONT_PT,
        title_fontsize=8,
        frameon=False,
    )


#: Readable names and symbols of parameters.
PARAM_LABELS = {"alpha": "α", "n_components": "PCs", "rdm_method": "RDMs", "comparator": "by"}


def metric_label(ds: xr.Dataset) -> str:
    """A store's metric (attrs ``method``, ``params``) as the registry's readable name
    (``MetricInfo.label``) with its parameters,
    e.g. ``Procrustes angle`` (linear shape at α = 1), ``shape distance (α = 0.5)``,
    ``RSA (RDMs = correlation, by = spearman)``."""
    return method_label(str(ds.attrs["method"]), json.loads(str(ds.attrs.get("params", "{}"))))


def method_label(method: str, params: Mapping[str, Any]) -> str:
    """A metric ``method`` with ``params`` as a readable name (see :func:`metric_label`)."""
    params = dict(params)
    if method == "linear_shape" and float(params.get("alpha", 1.0)) == 1.0:
        name = (
            "Procrustes angle"
            if params.get("score_method", "angular") == "angular"
            else ("Procrustes distance")
        )
        params = {k: v for k, v in params.items() if k not in ("alpha", "score_method")}
    else:
        name = _registry_label(method)
    shown = ", ".join(
        f"{PARAM_LABELS.get(k, k.replace('_', ' '))} = {v}" for k, v in params.items()
    )
    return f"{name} ({shown})" if shown else name


def _registry_label(method: str) -> str:
    """The registry's readable name of a method (the method itself if it has none)."""
    from repgeom.metrics.registry import REGISTRY

    info = REGISTRY.get(method)
    return info.label if info is not None and info.label else method.replace("_", " ")


def natural_key(label: object) -> tuple:
    """Sort key that orders the numbers inside labels by value (``ori22.5`` < ``ori112.5``,
    ``2`` < ``10``).

    Examples
    --------
    >>> sorted(["ori112.5", "ori0", "ori22.5"], key=natural_key)
    ['ori0', 'ori22.5', 'ori112.5']
    """
    parts = re.split(r"(\d+(?:\.\d+)?)", str(label))
    return tuple((0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p)


def ed_stimset_spec(config: Mapping[str, Any]) -> dict[str, Any]:
    """The spec of a figure that reads effective dimensionality: the stimulus set it is
    measured on (:func:`repgeom.selection.ed_stimset`)."""
    return {"ed_stimset": selection.ed_stimset(config)}


def save(
    fig: plt.Figure,
    out_stem: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]] = (),
    *,
    tables: Sequence[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write ``fig`` as PNG and PDF next to ``out_stem``, each atomically (temp + rename).

    The PNG carries the provenance of its ``inputs`` (see :func:`provenance`) and of the
    ``tables`` (CSV files) it was drawn from in a text chunk; the PDF lists them in its
    ``Subject``.
    """
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    sources = provenance(inputs, tables)
    metadata = {
        "png": {PROVENANCE_KEY: sources},
        "pdf": {"Subject": "repgeom figure from " + ", ".join(map(str, [*inputs, *tables]))},
    }
    for ext in EXTS:
        final = out_stem.with_name(f"{out_stem.name}.{ext}")
        with store.atomic_path(final) as tmp:
            fig.savefig(tmp, format=ext, metadata=metadata[ext])
        written.append(final)
    plt.close(fig)
    return written
