"""repsim.geometry → repgeom.geometry."""

from repgeom.geometry import (  # noqa: F401
    GeodesicLengthSpace,
    LengthSpace,
    Point,
    RiemannianSpace,
    Scalar,
    Vector,
)
