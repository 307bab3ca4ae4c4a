"""Shared figure style and atomic saving."""

from __future__ import annotations

import hashlib
import json
import os
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


def apply() -> None:
    """Set the house style (seaborn ticks, colour-blind palette, readable fonts)."""
    sns.set_theme(context="paper", style="ticks", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": DPI, "savefig.bbox": "tight", "axes.titleweight": "bold"})


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
