"""Properties of the exact reduction and of effective dimensionality on random matrices."""

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.stats import ortho_group

from repgeom.dimensionality import effective_dimensionality, eigenspectrum
from repgeom.reduce import reduce


@st.composite
def matrices(draw, min_rows=3, max_rows=25, max_cols=60):
    """Well-conditioned Gaussian matrices of random shape and rank, with an offset."""
    n = draw(st.integers(min_rows, max_rows))
    p = draw(st.integers(2, max_cols))
    rank = draw(st.integers(1, min(n, p)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, p))
    return X + draw(st.floats(-3, 3)), seed


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_reduction_preserves_the_gram_matrix_and_row_means(data):
    X, _ = data
    red = reduce(X)
    G = X @ X.T
    np.testing.assert_allclose(red.features @ red.features.T, G, atol=1e-9 * np.abs(G).max())
    np.testing.assert_allclose(red.row_mean, X.mean(1), atol=1e-12 * (1 + np.abs(X).max()))
    assert red.n_components <= min(X.shape)


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_ed_lies_between_one_and_rank(data):
    X, _ = data
    lam = eigenspectrum(X)
    rank = int((lam > 1e-10 * lam.max()).sum())
    ed = effective_dimensionality(lam)
    assert 1 - 1e-9 <= ed <= rank + 1e-9


@settings(max_examples=40, deadline=None)
@given(matrices(), st.floats(0.1, 10), st.floats(-5, 5))
def test_ed_is_invariant_to_rotation_scale_and_translation(data, scale, shift):
    X, seed = data
    Q = ortho_group.rvs(X.shape[1], random_state=seed) if X.shape[1] > 1 else np.eye(1)
    moved = scale * X @ Q + shift
    ed = effective_dimensionality(X)
    assert abs(effective_dimensionality(moved) - ed) <= 1e-7 * ed


@settings(max_examples=40, deadline=None)
@given(matrices())
def test_spectrum_of_reduced_equals_raw(data):
    X, _ = data
    red = reduce(X)
    lam_raw = eigenspectrum(X)
    lam_red = eigenspectrum(red.features, n_units=red.n_units)
    np.testing.assert_allclose(lam_red, lam_raw, atol=1e-9 * lam_raw.max())
