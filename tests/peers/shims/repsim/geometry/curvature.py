"""repsim.geometry.curvature → repgeom.geometry."""

from repgeom.geometry import alexandrov  # noqa: F401
