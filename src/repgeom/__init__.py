"""repgeom: compare neural representations reproducibly.

The metric code is a plain library (``repgeom.dimensionality``, ``repgeom.reduce``, ...); the
Snakemake workflow at the repository root is thin wiring around the stage functions in
``repgeom.stages``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("repgeom")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["__version__", "compare"]


def __getattr__(name: str):
    """``repgeom.compare`` is imported lazily, so that the CLI starts fast."""
    if name == "compare":
        from repgeom.metrics.registry import compare

        return compare
    raise AttributeError(f"module 'repgeom' has no attribute {name!r}")
