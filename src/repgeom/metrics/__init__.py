"""Representational similarity metrics.

Shape metrics (netrep-compatible): :class:`LinearMetric`, :class:`PermutationMetric`,
:class:`GaussianStochasticMetric`, :class:`EnergyStochasticMetric`; all-pairs distances with
:func:`pairwise_distances`; many networks at once (netrep's ``multiset``):
:func:`frechet_mean`, :func:`euclidean_tangent_space`, :func:`cross_distances`. RSA
(rsatoolbox's conventions): :func:`rdm`, :func:`compare_rdms`, :func:`rdm_noise_ceiling`, and
:mod:`repgeom.metrics.noise`. repsim's metric spaces (:class:`AngularCKA`, :class:`Stress`,
:class:`AffineInvariantRiemannian`, :class:`AngularShapeMetric`, :class:`EuclideanShapeMetric`;
torch-native, with geodesics) and its kernels (:mod:`repgeom.metrics.kernels`), each a view of
the registry entry of the same metric. Every metric by a standard name: :func:`compare`, listed with
its declared measure and axioms by :func:`available` (the one registry,
:mod:`repgeom.metrics.registry`).

Names are imported on first use (a module-level ``__getattr__``), so importing a submodule
such as :mod:`repgeom.metrics._validation` stays light. :func:`pairwise_distances` lives in
:mod:`repgeom.comparisons` (it can return a labelled ``xarray.DataArray``); the math never
imports xarray.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Public name → the module that defines it.
_EXPORTS = {
    "EnergyStochasticMetric": "repgeom.metrics.stochastic",
    "GaussianStochasticMetric": "repgeom.metrics.stochastic",
    "AffineInvariantRiemannian": "repgeom.metrics.spaces",
    "AngularCKA": "repgeom.metrics.spaces",
    "AngularShapeMetric": "repgeom.metrics.spaces",
    "EuclideanShapeMetric": "repgeom.metrics.spaces",
    "LinearCKA": "repgeom.metrics.cka",
    "LinearMetric": "repgeom.metrics.shape",
    "PermutationMetric": "repgeom.metrics.shape",
    "RepresentationMetricSpace": "repgeom.metrics.spaces",
    "ShapeMetric": "repgeom.metrics.spaces",
    "Stress": "repgeom.metrics.spaces",
    "affine_invariant_riemannian": "repgeom.metrics.geometry",
    "angular_cka": "repgeom.metrics.cka",
    "available": "repgeom.metrics.registry",
    "cka": "repgeom.metrics.cka",
    "compare": "repgeom.metrics.registry",
    "compare_rdms": "repgeom.metrics.rsa",
    "cross_distances": "repgeom.metrics.multiset",
    "euclidean_tangent_space": "repgeom.metrics.multiset",
    "evaluate_models": "repgeom.metrics.rsa",
    "frechet_mean": "repgeom.metrics.multiset",
    "kernels": "repgeom.metrics.kernels",
    "noise": "repgeom.metrics.noise",
    "pairwise_distances": "repgeom.comparisons",
    "rdm": "repgeom.metrics.rsa",
    "rdm_noise_ceiling": "repgeom.metrics.rsa",
    "stress": "repgeom.metrics.geometry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'repgeom.metrics' has no attribute {name!r}")
    module = import_module(_EXPORTS[name])
    return module if _EXPORTS[name].endswith(f".{name}") else getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
