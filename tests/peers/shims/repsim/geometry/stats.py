"""repsim.geometry.stats → repgeom.geometry."""

from repgeom.geometry import IterativeFrechetMean, iterate_frechet_mean, optimize_frechet_mean  # noqa: F401
