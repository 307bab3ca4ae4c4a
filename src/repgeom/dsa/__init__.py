"""Dynamical similarity analysis (dsa-metric-compatible).

``delay_embed`` → :class:`DMD` (HAVOK or reduced-rank regression) per system →
:class:`SimilarityTransformDist` per pair, over O(n), SO(n) or GL(n), or the Wasserstein
distance between spectra; :class:`DSA` runs many systems, :func:`dsa_distances` returns the
``rep_a`` × ``rep_b`` DataArray the workflow stores.
"""

from repgeom.dsa.dmd import DMD
from repgeom.dsa.dsa import DSA, dsa_distances
from repgeom.dsa.embedding import delay_embed
from repgeom.dsa.simdist import SimilarityTransformDist, wasserstein

__all__ = ["DMD", "DSA", "SimilarityTransformDist", "delay_embed", "dsa_distances", "wasserstein"]
