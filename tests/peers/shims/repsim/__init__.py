"""repsim → repgeom shim: repsim's top-level names, re-exported from repgeom."""

from repgeom.metrics.registry import compare  # noqa: F401
from repgeom.metrics.spaces import (  # noqa: F401
    AffineInvariantRiemannian,
    AngularCKA,
    AngularShapeMetric,
    EuclideanShapeMetric,
    RepresentationMetricSpace,
    Stress,
)
