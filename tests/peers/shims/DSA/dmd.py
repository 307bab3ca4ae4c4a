"""Shim: ``DSA.dmd`` is ``repgeom.dsa.dmd``."""

from repgeom.dsa.dmd import DMD, embed_signal_torch  # noqa: F401
