"""repsim.metrics → repgeom.metrics.spaces."""

from repgeom.metrics.spaces import (  # noqa: F401
    AffineInvariantRiemannian,
    AngularCKA,
    AngularShapeMetric,
    EuclideanShapeMetric,
    RepresentationMetricSpace,
    Stress,
)
