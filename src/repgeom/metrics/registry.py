"""The one metric registry: every metric by a standard name, with :func:`compare` and
:func:`available`.

Each entry (:class:`MetricInfo`) declares its measure (``distance`` or ``similarity``), the
metric axioms it satisfies (the property tests read them), its parameters as JSON-schema
fragments, and how to build a :class:`~repgeom.metrics.pairwise.Scorer` from them: the
scorer's ``prepare(representation)`` runs once per representation and its ``score(a, b)``
(or batched ``score_pairs`` / ``score_block``) compares prepared representations.
:func:`compare`, :func:`repgeom.metrics.pairwise.pairwise_matrix` and the workflow's
:func:`repgeom.distances.distance_block` all read this table, and the workflow's config schema
lists the names it marks ``workflow``.

A representation is a plain (n_stimuli × units) array or any object with ``features`` (and
optionally ``row_mean``, ``n_units``, ``samples``), such as the workflow's
:class:`repgeom.representations.Representation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

import numpy as np
import torch

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import check_kwargs
from repgeom.metrics.cka import AngularCKAScorer, CKAScorer, LinearCKAScorer
from repgeom.metrics.geometry import AffineInvariantRiemannianScorer, StressScorer
from repgeom.metrics.kernels import KERNELS
from repgeom.metrics.neighbors import CCAScorer, MutualKNNScorer, PWCCAScorer
from repgeom.metrics.pairwise import EstimatorScorer, Scorer
from repgeom.metrics.rsa import COMPARE_METHODS, RDMMethod, RSAScorer
from repgeom.metrics.shape import SCORE_METHODS, LinearMetric, PermutationMetric, RepsimShapeScorer
from repgeom.metrics.stochastic import (
    GROUPS,
    EnergyStochasticMetric,
    GaussianStochasticMetric,
    StochasticScorer,
)

Measure = Literal["distance", "similarity"]
MEASURES: tuple[Measure, ...] = get_args(Measure)
Axiom = Literal["identity", "symmetry", "triangle"]
AXIOMS: tuple[Axiom, ...] = get_args(Axiom)


@dataclass(frozen=True)
class MetricInfo:
    """One named metric: what it measures, which axioms it satisfies, its parameters.

    Attributes
    ----------
    name : str
        The standard name (``compare(..., method=name)``, a workflow metric's ``method``).
    measure : {"distance", "similarity"}
    axioms : tuple of {"identity", "symmetry", "triangle"}
        Metric axioms that hold (under ``axiom_params`` where the defaults are not enough).
    description : str
    params : mapping of str → dict
        Each accepted parameter with a JSON-schema fragment.
    build : callable
        ``build(**params) → Scorer``.
    axiom_params : mapping
        Parameters under which the declared axioms hold, where the defaults are not enough.
    workflow : bool
        Whether the workflow's distances stage offers it (``dsa`` runs on clips in its own
        stage; ``pwcca`` is not symmetric, so it makes no symmetric K × K matrix).
    label : str
        The metric's name for people (figure labels), e.g. ``"shape distance"``.
    angle : callable ``(**params) -> bool``
        Whether the distance under ``params`` is an angle ``arccos`` of a correlation-like
        inner product (noise ceilings then step a split-half value up through its cosine,
        :func:`repgeom.inference.step_up`).
    """

    name: str
    measure: Measure
    axioms: tuple[Axiom, ...]
    description: str
    params: Mapping[str, Mapping[str, Any]]
    build: Callable[..., Scorer]
    axiom_params: Mapping[str, Any] = field(default_factory=dict)
    workflow: bool = True
    angle: Callable[..., bool] = field(default=lambda **_: False)
    label: str = ""

    def bind(self, **params: Any) -> Scorer:
        """The scorer of this metric under ``params``.

        Raises
        ------
        TypeError
            Naming the accepted parameters, if ``params`` holds any other.
        """
        check_kwargs(f"metric {self.name!r}", params, self.params)
        return self.build(**params)


def _schema(json_type: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"type": json_type, **extra}


_BOOL = _schema("boolean")
_KERNEL = _schema("string", enum=sorted(KERNELS))
_SCORE = _schema("string", enum=list(SCORE_METHODS))
_ALPHA_01 = _schema("number", minimum=0, maximum=1)
_P = _schema(["integer", "null"], minimum=1)
_N_COMPONENTS = _schema("integer", minimum=1)
_NITER = _schema("integer", minimum=1)
_TOL = _schema("number", exclusiveMinimum=0)
_GROUP = _schema("string", enum=list(GROUPS))
_SHAPE_PARAMS = {"center_columns": _BOOL, "zero_pad": _BOOL, "score_method": _SCORE}
_METRIC_AXIOMS: tuple[Axiom, ...] = ("identity", "symmetry", "triangle")


def _always(**_: Any) -> bool:
    return True


def _angular_score(score_method: str = "angular", **_: Any) -> bool:
    return score_method == "angular"


def _stochastic(estimator: type) -> Callable[..., Scorer]:
    def build(n_components: int | None = None, **params: Any) -> Scorer:
        extra = {} if n_components is None else {"n_components": n_components}
        return StochasticScorer(estimator(**params), **extra)

    return build


def _dsa(**params: Any) -> Scorer:
    from repgeom.dsa.dsa import DSAScorer  # the DSA stack (POT, the optimiser) loads on use

    return DSAScorer(**params)


_DSA_PARAMS = {
    "n_delays": _schema("integer", minimum=1),
    "delay_interval": _schema("integer", minimum=1),
    "rank": _P,
    "rank_thresh": _schema(["number", "null"]),
    "rank_explained_variance": _schema(["number", "null"]),
    "lamb": _schema("number", minimum=0),
    "reduced_rank_reg": _BOOL,
    "iters": _NITER,
    "score_method": _schema("string", enum=["angular", "euclidean", "wasserstein"]),
    "lr": _schema("number"),
    "group": _schema("string", enum=["O(n)", "SO(n)", "GL(n)"]),
    "wasserstein_compare": _schema("string", enum=["eig", "sv"]),
    "device": _schema("string"),
    "verbose": _BOOL,
    "progress": _schema(["boolean", "null"]),
}

_ENTRIES = (
    MetricInfo(
        "linear_shape",
        "distance",
        _METRIC_AXIOMS,
        "netrep's LinearMetric (alpha, center_columns, zero_pad, score_method)",
        {"alpha": _ALPHA_01, **_SHAPE_PARAMS},
        lambda **p: EstimatorScorer(LinearMetric(**p)),
        angle=_angular_score,
        label="shape distance",
    ),
    MetricInfo(
        "permutation_shape",
        "distance",
        _METRIC_AXIOMS,
        "netrep's PermutationMetric: alignment by a permutation of units (center_columns, "
        "zero_pad, score_method)",
        _SHAPE_PARAMS,
        lambda **p: EstimatorScorer(PermutationMetric(**p)),
        angle=_angular_score,
        label="permutation shape distance",
    ),
    MetricInfo(
        "angular_shape_metric",
        "distance",
        _METRIC_AXIOMS,
        "repsim's AngularShapeMetric (p, alpha)",
        {"p": _P, "alpha": _ALPHA_01},
        lambda **p: RepsimShapeScorer(**p, score_method="angular"),
        angle=_always,
        label="angular shape metric",
    ),
    MetricInfo(
        "euclidean_shape_metric",
        "distance",
        _METRIC_AXIOMS,
        "repsim's EuclideanShapeMetric (p, alpha)",
        {"p": _P, "alpha": _ALPHA_01},
        lambda **p: RepsimShapeScorer(**p, score_method="euclidean"),
        label="Euclidean shape metric",
    ),
    MetricInfo(
        "energy_stochastic",
        "distance",
        ("identity", "symmetry"),
        "energy distance between single trials on the n_components leading principal axes "
        "(netrep's EnergyStochasticMetric: group, niter, tol); no trials: a point mass",
        {"n_components": _N_COMPONENTS, "group": _GROUP, "niter": _NITER, "tol": _TOL},
        _stochastic(EnergyStochasticMetric),
        label="energy distance",
    ),
    MetricInfo(
        "gaussian_stochastic",
        "distance",
        ("identity", "symmetry"),
        "interpolated 2-Wasserstein distance between per-stimulus Gaussians of single trials on "
        "the n_components leading principal axes (netrep's GaussianStochasticMetric: alpha, "
        "group, init, niter, tol, random_state, n_restarts); no trials: a point mass",
        {
            "n_components": _N_COMPONENTS,
            "alpha": _schema("number", minimum=0, maximum=2),
            "group": _GROUP,
            "init": _schema("string", enum=["means", "rand"]),
            "niter": _NITER,
            "tol": _TOL,
            "random_state": _schema(["integer", "null"]),
            "n_restarts": _schema("integer", minimum=1),
        },
        _stochastic(GaussianStochasticMetric),
        label="Gaussian stochastic shape distance",
    ),
    MetricInfo(
        "linear_cka_angle",
        "distance",
        _METRIC_AXIOMS,
        "arccos of biased linear CKA (netrep's LinearCKA: center_columns)",
        {"center_columns": _BOOL},
        LinearCKAScorer,
        angle=_always,
        label="linear CKA angle",
    ),
    MetricInfo(
        "angular_cka",
        "distance",
        _METRIC_AXIOMS,
        "repsim's AngularCKA (kernel, use_unbiased_hsic)",
        {"kernel": _KERNEL, "use_unbiased_hsic": _BOOL},
        AngularCKAScorer,
        angle=_always,
        label="angular CKA",
    ),
    MetricInfo(
        "cka",
        "similarity",
        ("symmetry",),
        "CKA similarity (kernel, estimator='biased' | 'unbiased')",
        {"kernel": _KERNEL, "estimator": _schema("string", enum=["biased", "unbiased"])},
        CKAScorer,
        label="CKA",
    ),
    MetricInfo(
        "stress",
        "distance",
        ("symmetry", "triangle"),
        "repsim's Stress: RMS difference of pairwise distances (kernel, rescale)",
        {"kernel": _KERNEL, "rescale": _BOOL},
        StressScorer,
        label="stress",
    ),
    MetricInfo(
        "affine_invariant_riemannian",
        "distance",
        _METRIC_AXIOMS,
        "repsim's affine-invariant Riemannian distance (eps, kernel, p, mode); +inf for "
        "rank-deficient points, so the axioms need eps > 0",
        {
            "eps": _schema("number", minimum=0),
            "kernel": _KERNEL,
            "p": _P,
            "mode": _schema("string", enum=["gram", "cov"]),
        },
        AffineInvariantRiemannianScorer,
        {"eps": 0.1},
        label="affine-invariant Riemannian distance",
    ),
    MetricInfo(
        "rsa",
        "similarity",
        ("symmetry",),
        "RDM comparison (rdm_method='correlation', comparator='spearman'); exact RDMs from a "
        "reduced representation's row_mean and n_units",
        {
            "rdm_method": _schema("string", enum=list(get_args(RDMMethod))),
            "comparator": _schema("string", enum=list(COMPARE_METHODS)),
        },
        RSAScorer,
        label="RSA",
    ),
    MetricInfo(
        "mutual_knn",
        "similarity",
        ("symmetry",),
        "mutual k-nearest-neighbour alignment (k)",
        {"k": _schema("integer", minimum=1)},
        MutualKNNScorer,
        label="mutual k-NN alignment",
    ),
    MetricInfo(
        "cca",
        "similarity",
        ("symmetry",),
        "mean canonical correlation (widths below n_stimuli − 1)",
        {},
        CCAScorer,
        label="mean CCA",
    ),
    MetricInfo(
        "svcca",
        "similarity",
        ("symmetry",),
        "SVCCA: mean canonical correlation of the components keeping keep_variance",
        {"keep_variance": _schema("number", exclusiveMinimum=0, maximum=1)},
        lambda keep_variance=0.99: CCAScorer(keep_variance),
        label="SVCCA",
    ),
    MetricInfo(
        "pwcca",
        "similarity",
        (),
        "projection-weighted CCA (weights from the first representation: not symmetric, so "
        "not a workflow matrix)",
        {},
        PWCCAScorer,
        workflow=False,
        label="PWCCA",
    ),
    MetricInfo(
        "dsa",
        "distance",
        _METRIC_AXIOMS,
        "dynamical similarity of two time series (time × dims), dsa-metric's arguments "
        "(n_delays, rank, score_method='wasserstein', group, ...); the axioms hold for the "
        "angular score at a common rank, up to the optimiser's tolerance",
        _DSA_PARAMS,
        _dsa,
        {"score_method": "angular", "rank": 3},
        workflow=False,
        label="DSA",
    ),
)

_TABLE: dict[str, MetricInfo] = {info.name: info for info in _ENTRIES}
#: Every metric by its standard name (a read-only view; add entries with :func:`register`).
REGISTRY: Mapping[str, MetricInfo] = MappingProxyType(_TABLE)


def available() -> dict[str, MetricInfo]:
    """Every name :func:`compare` accepts, with its declared measure, axioms and parameters."""
    return dict(REGISTRY)


def register(info: MetricInfo) -> MetricInfo:
    """Add a metric to the registry; :func:`compare`, the pairwise engine, the workflow's
    distance blocks and the config check then know it by ``info.name``. Returns ``info``.

    A module that registers metrics is a plugin: name it in a config's ``plugins`` list (or in
    ``$REPGEOM_PLUGINS``) and the workflow and its jobs import it (:mod:`repgeom.plugins`).

    Raises
    ------
    InvalidInputError
        If a different metric of that name is registered, or the measure or an axiom is not
        one of :data:`MEASURES` / :data:`AXIOMS`.
    """
    name = info.name.lower()
    if name != info.name:
        raise InvalidInputError(f"metric name {info.name!r}: use lower case")
    if _TABLE.get(name, info) != info:
        raise InvalidInputError(f"a different metric named {name!r} is registered; rename one")
    if info.measure not in MEASURES or not set(info.axioms) <= set(AXIOMS):
        raise InvalidInputError(
            f"metric {name!r}: measure must be one of {MEASURES} and axioms from {AXIOMS}"
        )
    _TABLE[name] = info
    return info


def get(method: str) -> MetricInfo:
    """The entry named ``method`` (case-insensitive).

    Raises
    ------
    InvalidInputError
        Listing the names, if there is none.
    """
    info = REGISTRY.get(method.lower())
    if info is None:
        raise InvalidInputError(f"unknown method {method!r}; available: {sorted(REGISTRY)}")
    return info


def metric_schema(method: str) -> dict[str, Any]:
    """The JSON schema of a workflow config's metric entry ``{method: NAME, **params}``: the
    registry's parameter fragments, and no other key."""
    info = get(method)
    return {
        "type": "object",
        "required": ["method"],
        "properties": {"method": {"const": info.name}, **info.params},
        "additionalProperties": False,
    }


def workflow_methods() -> list[str]:
    """The names a workflow metric's ``method`` may take (the entries marked ``workflow``)."""
    return sorted(name for name, info in REGISTRY.items() if info.workflow)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def _as_result(value: Any, X: Any, Y: Any) -> Any:
    """A 0-d tensor when either input is a tensor (on its device; its dtype if floating),
    a numpy float64 otherwise."""
    if not (_is_tensor(X) or _is_tensor(Y)):
        return np.float64(float(value))
    ref = X if _is_tensor(X) else Y
    if isinstance(value, torch.Tensor):
        return value.reshape(())
    dtype = ref.dtype if ref.is_floating_point() else torch.float64
    return torch.tensor(float(value), dtype=dtype, device=ref.device)


def compare(X: Any, Y: Any, method: Any = "stress", **params: Any) -> Any:
    """Compare two representations (n_stimuli × units) with the metric ``method``.

    Parameters
    ----------
    X, Y : array, Tensor or representation
        (m, ...) data of the same m stimuli.
    method : str or metric space
        A registry name (case-insensitive, default ``stress`` as in ``repsim.compare``; see
        :func:`available`), or a metric-space object such as
        ``repgeom.metrics.spaces.AngularCKA(m)`` (anything with ``neural_data_to_point`` and
        ``length``), which brings its own parameters: ``params`` are then ignored, as in
        repsim.
    **params
        The named metric's parameters.

    Returns
    -------
    0-d Tensor or numpy float64
        A tensor when an input is a tensor (differentiable where the metric is torch-native:
        the repsim metrics, CKA), else a numpy float (so repsim-style ``.item()`` works on
        both).

    Raises
    ------
    InvalidInputError
        For an unknown ``method``.
    TypeError
        For a parameter the metric does not accept (the message lists those it does), or a
        ``method`` that is neither a name nor a metric space.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((20, 4))
    >>> round(float(compare(X, 2 * X, method="cka")), 6)
    1.0
    """
    if isinstance(method, str):
        scorer = get(method).bind(**params).for_set([X, Y])
        value = scorer.score(scorer.prepare(X), scorer.prepare(Y))
    elif hasattr(method, "neural_data_to_point") and hasattr(method, "length"):
        value = method.length(method.neural_data_to_point(X), method.neural_data_to_point(Y))
    else:
        raise TypeError(
            "method must be a metric name or a metric space (e.g. "
            f"repgeom.metrics.spaces.Stress(m)), not {type(method).__name__}"
        )
    return _as_result(value, X, Y)
