"""RDM and comparator properties (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from repgeom.metrics import compare_rdms, rdm
from repgeom.metrics.rsa import vector_to_matrix

COMPARATORS = ["cosine", "corr", "spearman", "rho-a", "kendall", "tau-a", "cosine_cov", "corr_cov"]


@st.composite
def patterns(draw):
    n, p = draw(st.integers(4, 12)), draw(st.integers(3, 30))
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal((n, p))


@settings(max_examples=40, deadline=None)
@given(patterns(), st.sampled_from(["euclidean", "correlation", "cosine"]))
def test_rdms_are_symmetric_zero_diagonal_non_negative(X, method):
    M = vector_to_matrix(rdm(X, method))
    np.testing.assert_allclose(M, M.T)
    assert np.all(np.diag(M) == 0) and np.all(M >= -1e-12)


@settings(max_examples=40, deadline=None)
@given(patterns(), st.floats(0.1, 10), st.floats(-5, 5))
def test_correlation_rdm_ignores_per_pattern_affine_changes(X, scale, shift):
    gains = scale * np.linspace(1, 2, len(X))[:, None]
    np.testing.assert_allclose(
        rdm(X * gains + shift, "correlation"), rdm(X, "correlation"), atol=1e-10
    )


@settings(max_examples=30, deadline=None)
@given(patterns(), patterns(), st.sampled_from(COMPARATORS))
def test_comparators_are_symmetric(X, Y, method):
    n = min(len(X), len(Y))
    a, b = rdm(X[:n], "euclidean"), rdm(Y[:n], "euclidean")
    assert compare_rdms(a, b, method) == pytest.approx(compare_rdms(b, a, method), abs=1e-10)
    assert compare_rdms(a, a, method) == pytest.approx(1.0, abs=1e-9)
