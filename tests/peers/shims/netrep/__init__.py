"""Shim: netrep's package name over repgeom (re-exports only; see tests/peers)."""
