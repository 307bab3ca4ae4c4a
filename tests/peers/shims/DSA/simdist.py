"""Shim: ``DSA.simdist`` is ``repgeom.dsa.simdist``."""

from repgeom.dsa.simdist import SimilarityTransformDist  # noqa: F401
