"""Dynamical similarity analysis (dsa-metric-compatible).

``delay_embed`` → :class:`DMD` (HAVOK or reduced-rank regression) per system →
:class:`SimilarityTransformDist` per pair, over O(n), SO(n) or GL(n), or the Wasserstein
distance between spectra; :class:`DSA` runs many systems. :func:`dsa_distances` (the
``rep_a`` × ``rep_b`` DataArray the workflow stores) is defined in
:mod:`repgeom.comparisons` and imported on first use, so this package never imports xarray.
"""

from __future__ import annotations

from typing import Any

from repgeom.dsa.dmd import DMD
from repgeom.dsa.dsa import DSA
from repgeom.dsa.embedding import delay_embed, embed_signal_torch
from repgeom.dsa.simdist import SimilarityTransformDist, wasserstein

__all__ = [
    "DMD",
    "DSA",
    "SimilarityTransformDist",
    "delay_embed",
    "dsa_distances",
    "embed_signal_torch",
    "wasserstein",
]


def __getattr__(name: str) -> Any:
    """``dsa_distances`` is imported from :mod:`repgeom.comparisons` on first use."""
    if name == "dsa_distances":
        from repgeom.comparisons import dsa_distances

        return dsa_distances
    raise AttributeError(f"module 'repgeom.dsa' has no attribute {name!r}")
