"""repsim.geometry.hypersphere → repgeom.geometry."""

from repgeom.geometry import HyperSphere  # noqa: F401
