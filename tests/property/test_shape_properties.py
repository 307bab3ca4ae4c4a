"""Metric axioms and invariances of the shape metrics (hypothesis)."""

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.stats import ortho_group

from repgeom.metrics import LinearMetric

#: Angles near 0 carry ~sqrt(eps) error from arccos, so "zero" means below this.
ZERO_ANGLE = 1e-6
ALPHAS = st.sampled_from([0.0, 0.25, 0.5, 1.0])


@st.composite
def representation(draw, n_stimuli=None):
    """A well-conditioned Gaussian (n_stimuli, n_units) matrix."""
    n = n_stimuli or draw(st.integers(8, 30))
    width = draw(st.integers(2, max(2, n // 2)))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal((n, width)), seed


@settings(max_examples=40, deadline=None)
@given(representation(), ALPHAS, st.floats(0.2, 5), st.floats(-3, 3))
def test_rotated_scaled_shifted_copy_is_at_zero(data, alpha, scale, shift):
    """Rotations and translations for every alpha; isotropic scale only at alpha ∈ {0, 1}
    (partial whitening α + (1 − α)λ^{-1/2} is not scale invariant)."""
    X, seed = data
    Q = ortho_group.rvs(X.shape[1], random_state=seed)
    scale = scale if alpha in (0.0, 1.0) else 1.0
    assert LinearMetric(alpha=alpha).fit_score(X, scale * X @ Q + shift) < ZERO_ANGLE


@settings(max_examples=40, deadline=None)
@given(representation())
def test_alpha_zero_is_invariant_to_any_invertible_map(data):
    X, seed = data
    A = np.random.default_rng(seed + 1).standard_normal((X.shape[1], X.shape[1]))
    A += 3 * np.eye(X.shape[1])  # keep it well conditioned
    assert LinearMetric(alpha=0.0).fit_score(X, X @ A) < ZERO_ANGLE


@settings(max_examples=40, deadline=None)
@given(
    st.integers(10, 30).flatmap(lambda n: st.tuples(representation(n), representation(n))),
    ALPHAS,
    st.sampled_from(["angular", "euclidean"]),
)
def test_symmetric_and_non_negative(pair, alpha, method):
    (X, _), (Y, _) = pair
    metric = LinearMetric(alpha=alpha, score_method=method)
    d_xy, d_yx = metric.fit_score(X, Y), metric.fit_score(Y, X)
    assert d_xy >= 0
    assert abs(d_xy - d_yx) <= 1e-9 * max(1.0, d_xy)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(10, 30).flatmap(
        lambda n: st.tuples(representation(n), representation(n), representation(n))
    ),
    ALPHAS,
)
def test_triangle_inequality_for_the_angle(triple, alpha):
    (X, _), (Y, _), (Z, _) = triple
    d = LinearMetric(alpha=alpha).fit_score
    assert d(X, Z) <= d(X, Y) + d(Y, Z) + 1e-9


@settings(max_examples=40, deadline=None)
@given(representation(), ALPHAS, st.integers(1, 5))
def test_invariant_to_column_permutation_and_zero_padding(data, alpha, extra):
    X, seed = data
    Y = np.random.default_rng(seed + 2).standard_normal(X.shape)
    metric = LinearMetric(alpha=alpha)
    base = metric.fit_score(X, Y)
    perm = np.random.default_rng(seed).permutation(X.shape[1])
    assert abs(metric.fit_score(X[:, perm], Y) - base) < 1e-9
    padded = np.pad(X, ((0, 0), (0, extra)))
    assert abs(metric.fit_score(padded, Y) - base) < 1e-9


@settings(max_examples=30, deadline=None)
@given(representation(n_stimuli=40), ALPHAS)
def test_held_out_distances_are_non_negative(data, alpha):
    X, seed = data
    Y = X + np.random.default_rng(seed).standard_normal(X.shape)
    metric = LinearMetric(alpha=alpha).fit(X[:25], Y[:25])
    assert metric.score(X[25:], Y[25:]) >= 0
