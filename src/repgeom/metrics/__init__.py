"""Representational similarity metrics.

Shape metrics (netrep-compatible): :class:`LinearMetric`, :class:`PermutationMetric`,
:class:`GaussianStochasticMetric`, :class:`EnergyStochasticMetric`; all-pairs distances with
:func:`pairwise_distances`.
"""

from repgeom.metrics.cka import LinearCKA
from repgeom.metrics.pairwise import pairwise_distances
from repgeom.metrics.shape import LinearMetric, PermutationMetric
from repgeom.metrics.stochastic import EnergyStochasticMetric, GaussianStochasticMetric

__all__ = [
    "EnergyStochasticMetric",
    "GaussianStochasticMetric",
    "LinearCKA",
    "LinearMetric",
    "PermutationMetric",
    "pairwise_distances",
]
