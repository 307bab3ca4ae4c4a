"""repsim.kernels → repgeom.metrics.kernels."""

from repgeom.metrics.kernels import (  # noqa: F401
    DEFAULT_KERNEL,
    Kernel,
    Laplace,
    Linear,
    SquaredExponential,
    center,
    hsic,
    is_centered,
    kernel_cka as cka,
)
