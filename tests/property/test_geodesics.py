"""Closed-form geodesics bisect the distance: ``d(x, m) = d(m, y) = d(x, y) / 2`` (hypothesis).

``m = space.geodesic(x, y, frac=0.5)`` for every metric space of
:mod:`repgeom.metrics.spaces` and the sphere of :mod:`repgeom.geometry`, and more generally
``d(x, c) = t d(x, y)`` for ``c`` a fraction ``t`` along.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

from repgeom.geometry import HyperSphere, midpoint
from repgeom.metrics.kernels import Laplace
from repgeom.metrics.spaces import (
    AffineInvariantRiemannian,
    AngularCKA,
    AngularShapeMetric,
    EuclideanShapeMetric,
    Stress,
)

#: float64 round-off of eigen-decompositions and arccos near 1.
TOL = 1e-7


def _spaces(m: int, width: int) -> list:
    return [
        AngularCKA(m),
        AngularCKA(m, use_unbiased_hsic=False),
        Stress(m),
        Stress(m, kernel=Laplace(length_scale=2.0)),
        AffineInvariantRiemannian(m, eps=0.5),
        AffineInvariantRiemannian(m, eps=0.1, mode="cov", p=width),
        EuclideanShapeMetric(m, p=width, alpha=1.0),
        EuclideanShapeMetric(m, p=width, alpha=0.5),
        AngularShapeMetric(m, p=width, alpha=1.0),
        AngularShapeMetric(m, p=width - 1, alpha=0.0),
    ]


@st.composite
def data(draw):
    m, width = draw(st.integers(6, 14)), draw(st.integers(3, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((m, width))
    y = x + draw(st.floats(0.2, 2.0)) * rng.standard_normal((m, width))
    return torch.from_numpy(x), torch.from_numpy(y)


@settings(max_examples=12, deadline=None)
@given(data(), st.floats(0.05, 0.95))
def test_geodesic_points_divide_the_distance(pair, frac):
    x, y = pair
    for space in _spaces(x.shape[0], x.shape[1]):
        a, b = space.neural_data_to_point(x), space.neural_data_to_point(y)
        with warnings.catch_warnings():
            # points of partly whitened shape spaces are centred but not whitened
            warnings.simplefilter("ignore", UserWarning)
            d = float(space.length(a, b))
            mid = midpoint(space, a, b)
            d_am, d_mb = float(space.length(a, mid)), float(space.length(mid, b))
            c = space.geodesic(a, b, frac=frac)
            d_ac, d_cb = float(space.length(a, c)), float(space.length(c, b))
        scale = TOL * max(1.0, d)
        name = space.string_id()
        assert abs(d_am - d / 2) < scale and abs(d_mb - d / 2) < scale, name
        assert abs(d_ac - frac * d) < scale and abs(d_cb - (1 - frac) * d) < scale, name


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.floats(0.05, 0.95))
def test_sphere_geodesics(dim, seed, frac):
    sphere = HyperSphere(dim)
    rng = np.random.default_rng(seed)
    a, b = (sphere.project(torch.from_numpy(rng.standard_normal(dim + 1))) for _ in range(2))
    d = float(sphere.length(a, b))
    mid = midpoint(sphere, a, b)
    assert abs(float(sphere.length(a, mid)) - d / 2) < TOL
    assert abs(float(sphere.length(mid, b)) - d / 2) < TOL
    c = sphere.geodesic(a, b, frac=frac)
    assert abs(float(sphere.length(a, c)) - frac * d) < TOL
