"""One entry point for every metric by a standard name: :func:`compare` and :func:`available`.

Each entry declares whether it is a distance or a similarity and which metric axioms it
satisfies; the property tests read these declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from repgeom.metrics.cka import LinearCKA, angular_cka, cka
from repgeom.metrics.geometry import affine_invariant_riemannian, stress
from repgeom.metrics.rsa import CompareMethod, RDMMethod, compare_rdms, rdm
from repgeom.metrics.shape import LinearMetric, repsim_shape_distance

Axiom = str  # "identity", "symmetry", "triangle"


@dataclass(frozen=True)
class MetricInfo:
    """What a named metric is and which axioms it satisfies."""

    name: str
    kind: str  # "distance" or "similarity"
    axioms: tuple[Axiom, ...]
    description: str
    function: Callable[..., float]
    #: Parameters under which the declared axioms hold, where the defaults are not enough.
    axiom_params: dict[str, Any] = field(default_factory=dict)


def _linear_shape(X: Any, Y: Any, **params: Any) -> float:
    return LinearMetric(**params).fit_score(X, Y)


def _linear_cka_angle(X: Any, Y: Any, **params: Any) -> float:
    return LinearCKA(**params).score(X, Y)


def _rsa(
    X: Any, Y: Any, *, rdm_method: RDMMethod = "correlation", comparator: CompareMethod = "spearman"
) -> float:
    return float(compare_rdms(rdm(X, rdm_method), rdm(Y, rdm_method), comparator))


def _dsa(X: Any, Y: Any, **params: Any) -> float:
    from repgeom.dsa import DSA  # the DSA stack (POT, the optimiser) loads on first use

    return float(DSA(X, Y, **params).fit_score())


def _repsim_shape(score_method: str) -> Callable[..., float]:
    def distance(X: Any, Y: Any, *, p: int | None = None, alpha: float = 1.0) -> float:
        return repsim_shape_distance(X, Y, p=p, alpha=alpha, score_method=score_method)

    return distance


_METRIC_AXIOMS = ("identity", "symmetry", "triangle")
REGISTRY: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo(
            "linear_shape",
            "distance",
            _METRIC_AXIOMS,
            "netrep's LinearMetric (alpha, center_columns, zero_pad, score_method)",
            _linear_shape,
        ),
        MetricInfo(
            "angular_shape_metric",
            "distance",
            _METRIC_AXIOMS,
            "repsim's AngularShapeMetric (p, alpha)",
            _repsim_shape("angular"),
        ),
        MetricInfo(
            "euclidean_shape_metric",
            "distance",
            _METRIC_AXIOMS,
            "repsim's EuclideanShapeMetric (p, alpha)",
            _repsim_shape("euclidean"),
        ),
        MetricInfo(
            "linear_cka_angle",
            "distance",
            _METRIC_AXIOMS,
            "arccos of biased linear CKA (netrep's LinearCKA)",
            _linear_cka_angle,
        ),
        MetricInfo(
            "angular_cka",
            "distance",
            _METRIC_AXIOMS,
            "repsim's AngularCKA (kernel, use_unbiased_hsic)",
            angular_cka,
        ),
        MetricInfo(
            "cka",
            "similarity",
            ("symmetry",),
            "CKA similarity (kernel, estimator='biased' | 'unbiased')",
            cka,
        ),
        MetricInfo(
            "stress",
            "distance",
            ("symmetry", "triangle"),
            "repsim's Stress: RMS difference of pairwise distances (kernel, rescale)",
            stress,
        ),
        MetricInfo(
            "affine_invariant_riemannian",
            "distance",
            _METRIC_AXIOMS,
            "repsim's affine-invariant Riemannian distance (eps, kernel, p, mode); +inf for "
            "rank-deficient points, so the axioms need eps > 0",
            affine_invariant_riemannian,
            {"eps": 0.1},
        ),
        MetricInfo(
            "rsa",
            "similarity",
            ("symmetry",),
            "RDM comparison (rdm_method='correlation', comparator='spearman')",
            _rsa,
        ),
        MetricInfo(
            "dsa",
            "distance",
            _METRIC_AXIOMS,
            "dynamical similarity of two time series (time × dims), dsa-metric's arguments "
            "(n_delays, rank, score_method='wasserstein', group, ...); the axioms hold for the "
            "angular score at a common rank, up to the optimiser's tolerance",
            _dsa,
            {"score_method": "angular", "rank": 3},
        ),
    )
}


def available() -> dict[str, MetricInfo]:
    """Every name :func:`compare` accepts, with its declared kind and axioms."""
    return dict(REGISTRY)


def compare(X: Any, Y: Any, method: str = "stress", **params: Any) -> np.float64:
    """Compare two representations (n_stimuli × units) with the metric ``method``.

    Names are case-insensitive and the default is ``stress``, as in ``repsim.compare``;
    ``params`` go to the metric (see :func:`available`). Returns a numpy float (so
    repsim-style ``.item()`` works).
    """
    key = method.lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown method {method!r}; available: {sorted(REGISTRY)}")
    return np.float64(REGISTRY[key].function(X, Y, **params))
