"""Shared figure style and atomic saving."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window (headless CI, SLURM nodes)

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from repgeom import store  # noqa: E402
from repgeom.plan import FIGURE_EXTS as EXTS  # noqa: E402

#: Resolution of the PNG files.
DPI = 150


def apply() -> None:
    """Set the house style (seaborn ticks, colour-blind palette, readable fonts)."""
    sns.set_theme(context="paper", style="ticks", palette="colorblind", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": DPI, "savefig.bbox": "tight", "axes.titleweight": "bold"})


def save(fig: plt.Figure, out_stem: str | os.PathLike[str]) -> list[Path]:
    """Write ``fig`` as PNG and PDF next to ``out_stem``, each atomically (temp + rename)."""
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for ext in EXTS:
        final = out_stem.with_name(f"{out_stem.name}.{ext}")
        with store.atomic_path(final) as tmp:
            fig.savefig(tmp, format=ext)
        written.append(final)
    plt.close(fig)
    return written
