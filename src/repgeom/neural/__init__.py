"""Neural data: the simulated V1 population of the default config and a loader for recordings."""

from repgeom.neural.loaders import build_neural, load_responses
from repgeom.neural.simulate import V1Population, simulate_v1

__all__ = ["V1Population", "build_neural", "load_responses", "simulate_v1"]
