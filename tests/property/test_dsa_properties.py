"""DSA axioms on random operators (hypothesis): symmetry and the triangle inequality of
the angular score over O(n), up to the optimiser's tolerance."""

import numpy as np
from hypothesis import given, settings, strategies as st

from repgeom.dsa import SimilarityTransformDist

#: The optimiser finds the minimum to about this (it is a non-convex search).
TOL = 1e-3


@st.composite
def operators(draw, count: int):
    n = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(count)]


@settings(max_examples=20, deadline=None)
@given(operators(2))
def test_symmetric(ops):
    A, B = ops
    d = SimilarityTransformDist()
    assert abs(d.fit_score(A, B) - d.fit_score(B, A)) < TOL


@settings(max_examples=20, deadline=None)
@given(operators(3), st.floats(0.1, 10))
def test_triangle_inequality_and_scale_invariance(ops, scale):
    A, B, C = ops
    d = SimilarityTransformDist()
    ab, bc, ac = d.fit_score(A, B), d.fit_score(B, C), d.fit_score(A, C)
    assert ac <= ab + bc + TOL
    assert abs(d.fit_score(scale * A, B) - ab) < TOL
