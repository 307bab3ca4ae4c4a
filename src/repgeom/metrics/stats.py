"""Statistics for any metric: bootstrap intervals and permutation nulls over stimuli.

A metric here is any callable ``f(X, Y) → float`` of two (n_stimuli × units) matrices, or a
name from :func:`repgeom.metrics.registry.available` (whose declared measure, distance or
similarity, sets the direction of the test).

Raw similarity scores grow with width and depth even between unrelated representations, so
:func:`permutation_test` also reports the score calibrated against its own null:
``z = (observed − mean_null) / sd_null``, signed so that larger means more similar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import as_matrix, check_same_stimuli

Measure = Literal["distance", "similarity"]
#: Default resamples; enough for a 95% interval to settle to about ±0.01 in coverage.
DEFAULT_RESAMPLES = 1000


def _resolve(
    metric: str | Callable, measure: Measure | None, params: dict
) -> tuple[Callable, Measure]:
    if isinstance(metric, str):
        from repgeom.metrics.registry import compare, get

        info = get(metric)
        info.bind(**params)  # unknown parameters fail here, before any resampling
        return (lambda X, Y: float(compare(X, Y, method=metric, **params))), info.measure
    if measure not in ("distance", "similarity"):
        raise InvalidInputError("a callable metric needs measure='distance' or 'similarity'")
    return (lambda X, Y: float(metric(X, Y, **params))), measure


@dataclass(frozen=True)
class BootstrapResult:
    """Observed value, bootstrap distribution and percentile interval."""

    observed: float
    samples: np.ndarray
    low: float
    high: float


@dataclass(frozen=True)
class PermutationResult:
    """Observed value, null distribution, p-value and the null-calibrated score ``z``."""

    observed: float
    null: np.ndarray
    p_value: float
    z: float


def bootstrap(
    metric: str | Callable,
    X: Any,
    Y: Any,
    *,
    measure: Measure | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
    progress: bool | None = None,
    **params: Any,
) -> BootstrapResult:
    """Percentile bootstrap over stimuli (the same resampled stimuli for X and Y)."""
    fn, _ = _resolve(metric, measure if measure else "distance", params)
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    rng = np.random.default_rng(seed)
    n = len(X)
    samples = np.array(
        [
            fn(X[idx], Y[idx])
            for idx in (
                rng.integers(0, n, n) for _ in tqdm(range(n_resamples), disable=not progress)
            )
        ]
    )
    tail = (1 - confidence) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return BootstrapResult(fn(X, Y), samples, float(low), float(high))


def permutation_test(
    metric: str | Callable,
    X: Any,
    Y: Any,
    *,
    measure: Measure | None = None,
    n_permutations: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    progress: bool | None = None,
    **params: Any,
) -> PermutationResult:
    """Null distribution from shuffling the stimulus correspondence of ``Y``.

    Notes
    -----
    ``p = (1 + #{null at least as similar as observed}) / (1 + n_permutations)``;
    ``z = ±(observed − mean(null)) / sd(null)``, positive when more similar than chance.
    """
    fn, measure = _resolve(metric, measure, params)
    X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
    check_same_stimuli(X, Y)
    rng = np.random.default_rng(seed)
    observed = fn(X, Y)
    null = np.array(
        [
            fn(X, Y[rng.permutation(len(Y))])
            for _ in tqdm(range(n_permutations), disable=not progress)
        ]
    )
    sign = -1.0 if measure == "distance" else 1.0
    extreme = np.sum(sign * null >= sign * observed)
    sd = null.std(ddof=1)
    z = sign * (observed - null.mean()) / sd if sd > 0 else 0.0
    return PermutationResult(observed, null, float((1 + extreme) / (1 + n_permutations)), float(z))
