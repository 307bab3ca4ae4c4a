"""repsim.stats → repgeom.geometry."""

from repgeom.geometry import ManifoldPCA, SphericalMDS  # noqa: F401
