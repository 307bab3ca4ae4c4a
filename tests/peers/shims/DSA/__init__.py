"""Shim: dsa-metric's package name over ``repgeom.dsa`` (re-exports only; see tests/peers)."""

from repgeom.dsa import *  # noqa: F403
