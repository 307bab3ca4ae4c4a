"""Shim: the ``netrep.utils`` names repgeom provides."""

from repgeom.metrics.multiset import align, angular_distance, rand_orth  # noqa: F401
