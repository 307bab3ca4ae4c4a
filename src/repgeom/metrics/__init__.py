"""Representational similarity metrics.

Shape metrics (netrep-compatible): :class:`LinearMetric`, :class:`PermutationMetric`,
:class:`GaussianStochasticMetric`, :class:`EnergyStochasticMetric`; all-pairs distances with
:func:`pairwise_distances`. RSA (rsatoolbox's conventions): :func:`rdm`,
:func:`compare_rdms`, :func:`rdm_noise_ceiling`, and :mod:`repgeom.metrics.noise`. Every
metric by a standard name: :func:`compare`, listed with its declared axioms by
:func:`available`.
"""

from repgeom.metrics import noise
from repgeom.metrics.cka import LinearCKA, angular_cka, cka
from repgeom.metrics.pairwise import pairwise_distances
from repgeom.metrics.registry import available, compare
from repgeom.metrics.rsa import compare_rdms, evaluate_models, rdm, rdm_noise_ceiling
from repgeom.metrics.shape import LinearMetric, PermutationMetric
from repgeom.metrics.stochastic import EnergyStochasticMetric, GaussianStochasticMetric

__all__ = [
    "EnergyStochasticMetric",
    "GaussianStochasticMetric",
    "LinearCKA",
    "LinearMetric",
    "angular_cka",
    "available",
    "cka",
    "PermutationMetric",
    "compare",
    "compare_rdms",
    "evaluate_models",
    "noise",
    "pairwise_distances",
    "rdm",
    "rdm_noise_ceiling",
]
