"""repsim.metrics.generalized_shape_metrics → repgeom."""

from repgeom.geometry import (  # noqa: F401
    orthogonal_procrustes as _orthogonal_procrustes,
    orthogonal_procrustes_rotation as _orthogonal_procrustes_rotation,
)
from repgeom.metrics.spaces import AngularShapeMetric, EuclideanShapeMetric, ShapeMetric  # noqa: F401
