"""CKA axioms and invariances (hypothesis)."""

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.stats import ortho_group

from repgeom.metrics.cka import angular_cka, cka


@st.composite
def pair(draw):
    n, p = draw(st.integers(8, 30)), draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), rng.standard_normal((n, p)), seed


@settings(max_examples=40, deadline=None)
@given(pair(), st.floats(0.1, 10), st.floats(-3, 3))
def test_invariant_to_orthogonal_maps_isotropic_scale_and_shift(data, scale, shift):
    X, Y, seed = data
    Q = ortho_group.rvs(X.shape[1], random_state=seed)
    moved = scale * X @ Q + shift
    assert abs(cka(moved, Y) - cka(X, Y)) < 1e-9
    assert abs(angular_cka(moved, Y) - angular_cka(X, Y)) < 1e-7


@settings(max_examples=40, deadline=None)
@given(pair())
def test_biased_cka_in_unit_interval_and_symmetric(data):
    X, Y, _ = data
    value = cka(X, Y)
    assert -1e-12 <= value <= 1 + 1e-12
    assert abs(value - cka(Y, X)) < 1e-12
