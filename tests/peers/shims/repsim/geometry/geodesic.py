"""repsim.geometry.geodesic → repgeom.geometry."""

from repgeom.geometry import midpoint, subdivide_geodesic  # noqa: F401
