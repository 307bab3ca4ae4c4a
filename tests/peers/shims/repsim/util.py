"""repsim.util → repgeom.geometry."""

from repgeom.geometry import CompareType, pdist2, upper_triangle  # noqa: F401
