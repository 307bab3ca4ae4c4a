"""Shim: ``netrep.metrics`` is ``repgeom.metrics``."""

from repgeom.metrics import *  # noqa: F403
