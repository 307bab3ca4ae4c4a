"""repsim.geometry.trig → repgeom.geometry."""

from repgeom.geometry import angle, slerp  # noqa: F401
