"""Shim: ``DSA.dsa`` is ``repgeom.dsa.dsa``."""

from repgeom.dsa.dsa import DSA  # noqa: F401
