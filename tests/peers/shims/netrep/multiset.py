"""Shim: ``netrep.multiset`` is ``repgeom.metrics.multiset``."""

from repgeom.metrics.multiset import *  # noqa: F403
