"""repsim.geometry.optimize → repgeom.geometry."""

from repgeom.geometry import (  # noqa: F401
    OptimResult,
    minimize,
    project_by_binary_search,
    project_by_tangent_iteration,
)
