"""The study's pairwise class projection distances: known answers, exactness, bad input."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import ortho_group

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.manifolds import METRICS, projection_distances


def brute_force(X: np.ndarray, labels: list, n_units: int) -> np.ndarray:
    """Loop transcription of the spec (the study's projection_distances.py, lines 81-103)."""
    cats = list(dict.fromkeys(labels))
    labels = np.asarray(labels)
    out = np.zeros((3, len(cats), len(cats)))
    for (i, a), (j, b) in itertools.product(enumerate(cats), enumerate(cats)):
        if i == j:
            continue
        ci, cj = X[labels == a].mean(0), X[labels == b].mean(0)
        v = cj - ci
        d = np.linalg.norm(v)
        samples = X[labels == a] - ci
        p = np.abs(samples @ v) / d
        radius = np.sqrt((samples**2).sum() / (len(samples) - 1) / n_units)
        out[:, i, j] = [d, (p / radius).mean(), p.mean()]
    return out


def test_two_point_classes():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 6.0, 3.0])
    X = np.stack([a, a, a, b, b])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 gives NaN silently
        da = projection_distances(X, ["p", "p", "p", "q", "q"])
    assert da.dims == ("metric", "source_category", "target_category")
    assert da.metric.values.tolist() == list(METRICS)
    assert da.source_category.values.tolist() == ["p", "q"]
    for s, t in [("p", "q"), ("q", "p")]:
        cell = da.sel(source_category=s, target_category=t)
        assert float(cell.sel(metric="centroid_distances")) == pytest.approx(5.0)
        assert float(cell.sel(metric="projections_raw")) == 0.0
        # a point class has radius 0 and projections 0: 0/0, reported as NaN
        assert np.isnan(float(cell.sel(metric="scaled_projections")))
    np.testing.assert_array_equal(np.diagonal(da.values, axis1=1, axis2=2), 0.0)


def test_known_answer_on_a_segment():
    # class a spreads along the axis to b: |projections| = 1, radius = sqrt(2 / 1 / 2) = 1
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [5.0, 0.0], [5.0, 0.0]])
    da = projection_distances(X, [0, 0, 1, 1])
    np.testing.assert_allclose(da.sel(source_category=0, target_category=1).values, [5, 1, 1])
    # with the radius averaged over 8 units (a reduced view of a wider layer) it shrinks by 2
    da8 = projection_distances(X, [0, 0, 1, 1], n_units=8)
    np.testing.assert_allclose(da8.sel(source_category=0, target_category=1).values, [5, 2, 1])


def test_coincident_centroids_give_nan_projections():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0], [3.0, 3.0], [3.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        da = projection_distances(X, ["a", "a", "b", "b", "c", "c"])
    cell = da.sel(source_category="a", target_category="b").values
    assert cell[0] == 0.0 and np.isnan(cell[1]) and np.isnan(cell[2])


def test_matches_the_loop_transcription_with_unequal_scattered_classes(rng):
    X = rng.standard_normal((40, 7)) * rng.uniform(0.5, 3, 7) + 2.0
    labels = rng.choice(["x", "y", "z", "w"], size=40).tolist()
    da = projection_distances(X, labels)
    assert da.source_category.values.tolist() == list(dict.fromkeys(labels))
    np.testing.assert_allclose(da.values, brute_force(X, labels, 7), rtol=1e-12, atol=1e-12)


def test_single_sample_class_has_nan_scaled_projections(rng):
    X = rng.standard_normal((7, 3))
    da = projection_distances(X, [0, 0, 0, 1, 1, 1, 2])
    cell = da.sel(source_category=2).values  # (metric, target)
    assert np.isnan(cell[1, :2]).all()
    np.testing.assert_array_equal(cell[2], 0.0)


def test_reduced_representation_is_exact_given_the_width(rng):
    X = rng.standard_normal((30, 200)) + rng.standard_normal(200) * 3
    labels = np.repeat(np.arange(5), 6)
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    Z = U * S
    raw = projection_distances(X, labels)
    red = projection_distances(Z, labels, n_units=200)
    np.testing.assert_allclose(red.values, raw.values, rtol=1e-8, atol=1e-8)
    # without the original width, the radius is averaged over the wrong number of units
    wrong = projection_distances(Z, labels)
    assert not np.allclose(
        wrong.sel(metric="scaled_projections"), raw.sel(metric="scaled_projections")
    )


@st.composite
def rotated(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    dim = draw(st.integers(2, 10))
    n_classes = draw(st.integers(2, 5))
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=draw(st.integers(3 * n_classes, 30)))
    labels[:n_classes] = np.arange(n_classes)  # every class present
    labels[n_classes : 2 * n_classes] = np.arange(n_classes)  # at least two samples each
    X = rng.standard_normal((labels.size, dim)) + draw(st.floats(-5, 5))
    return X, labels, ortho_group.rvs(dim, random_state=seed)


@settings(max_examples=40, deadline=None)
@given(rotated())
def test_rotation_invariance(problem):
    X, labels, Q = problem
    a = projection_distances(X, labels).values
    b = projection_distances(X @ Q, labels).values
    np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10)


def test_bad_input():
    X = np.ones((4, 2))
    with pytest.raises(InvalidInputError, match="NaN"):
        projection_distances(np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1])
    with pytest.raises(ShapeMismatchError, match="one per feature row"):
        projection_distances(X, [0, 1, 1])
    with pytest.raises(ShapeMismatchError, match="n_stimuli, n_units"):
        projection_distances(np.ones(4), [0, 0, 1, 1])
    with pytest.raises(InvalidInputError, match="at least 2"):
        projection_distances(X, [0, 0, 0, 0])
    with pytest.raises(InvalidInputError, match="smaller than the 2 columns"):
        projection_distances(X, [0, 0, 1, 1], n_units=1)
    with pytest.raises(InvalidInputError, match="positive integer"):
        projection_distances(X, [0, 0, 1, 1], n_units=2.5)
