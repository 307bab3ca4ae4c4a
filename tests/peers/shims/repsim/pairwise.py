"""repsim.pairwise → repgeom.geometry."""

from repgeom.geometry import pairwise_compare as compare  # noqa: F401
