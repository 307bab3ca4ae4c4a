import numpy as np
import pytest
from scipy.spatial.distance import pdist

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.metrics import compare_rdms, rdm, rdm_noise_ceiling
from repgeom.metrics.rsa import matrix_to_vector, vector_to_matrix
from repgeom.reduce import reduce


def test_euclidean_rdm_is_exact_on_reduced_representations(rng):
    X = rng.standard_normal((15, 400))
    red = reduce(X)
    # rsatoolbox divides by the channel count: use the raw width
    reduced = pdist(red.features, "sqeuclidean") / red.n_units
    np.testing.assert_allclose(reduced, rdm(X, "euclidean"), rtol=1e-10)


def test_stacks_give_matrices(rng):
    A = np.stack([rdm(rng.standard_normal((6, 5))) for _ in range(3)])
    B = np.stack([rdm(rng.standard_normal((6, 5))) for _ in range(2)])
    out = compare_rdms(A, B, "spearman")
    assert out.shape == (3, 2)
    assert out[1, 0] == pytest.approx(compare_rdms(A[1], B[0], "spearman"))


def test_conventions_round_trip(rng):
    M = vector_to_matrix(rng.random(10))
    np.testing.assert_array_equal(vector_to_matrix(matrix_to_vector(M)), M)
    with pytest.raises(ShapeMismatchError, match="not n\\(n−1\\)/2"):
        vector_to_matrix(np.ones(7))


def test_bad_input(rng):
    X = rng.standard_normal((5, 4))
    X[2] = 3.0
    with pytest.raises(InvalidInputError, match="constant patterns \\(rows \\[2\\]\\)"):
        rdm(X, "correlation")
    with pytest.raises(InvalidInputError, match="at least 2 conditions"):
        rdm(X, "euclidean", descriptor=np.zeros(5))
    with pytest.raises(InvalidInputError, match="crossnobis needs descriptor"):
        rdm(X, "crossnobis")
    with pytest.raises(InvalidInputError, match="at least 2 folds"):
        rdm(X, "crossnobis", descriptor=np.arange(5), cv_descriptor=np.zeros(5))
    runs = np.array([0, 0, 1, 1, 1])
    with pytest.raises(InvalidInputError, match="missing from a fold"):
        rdm(X, "crossnobis", descriptor=np.array([0, 1, 0, 1, 2]), cv_descriptor=runs)
    with pytest.raises(ShapeMismatchError, match="descriptor has 4 entries for 5 rows"):
        rdm(X, "euclidean", descriptor=np.arange(4))
    with pytest.raises(ShapeMismatchError, match="RDMs of 10 and 6 entries"):
        compare_rdms(np.ones(10), np.ones(6))
    a = np.arange(10.0)
    b = a.copy()
    b[3] = np.nan
    with pytest.raises(ValueError, match="NaN patterns"):
        compare_rdms(a, b)
    with pytest.raises(InvalidInputError, match="at least 2 subjects"):
        rdm_noise_ceiling(a[None], "cosine")


@pytest.mark.parametrize("method", ["euclidean", "correlation", "cosine"])
def test_rdm_from_reduced_equals_raw(rng, method):
    from repgeom.metrics.rsa import rdm_from_reduced

    X = rng.standard_normal((12, 300)) + 0.5
    red = reduce(X)
    got = rdm_from_reduced(red.features, red.row_mean, red.n_units, method)
    np.testing.assert_allclose(got, rdm(X, method), rtol=1e-8, atol=1e-12)


def test_rdm_dataarray(rng):
    import xarray as xr

    from repgeom.comparisons import rdm_dataarray

    X = xr.DataArray(
        rng.standard_normal((5, 3)),
        dims=("stimulus", "unit"),
        coords={"stimulus_id": ("stimulus", list("abcde"))},
    )
    out = rdm_dataarray(X, "euclidean")
    assert out.dims == ("stimulus", "stimulus_") and list(out.stimulus_id_.values) == list("abcde")
    np.testing.assert_allclose(out.values, vector_to_matrix(rdm(X.values)))


@pytest.mark.parametrize("demean", [False, True])
@pytest.mark.parametrize("offset", [0.0, 1.0, 100.0])
def test_complete_whitened_cosine_equals_features(rng, demean, offset):
    """The closed form for RDMs with no missing entry equals the double-centred features
    (also for RDMs far from zero, where its sums could cancel, and for a constant RDM)."""
    from repgeom.metrics.rsa import _cosine_rows, _whitened_cosine_complete, _whitened_features

    n = 25
    A = rng.random((4, n * (n - 1) // 2)) + offset
    A[0] = offset + 1  # constant: its double-centred second moment is not zero
    B = rng.random((3, A.shape[1])) * 5
    keep = np.ones(A.shape[1], bool)
    for a, b in ((A, B), (A, A)):
        features = [_whitened_features(x, keep, None, demean) for x in (a, b)]
        expected = _cosine_rows(*features)
        np.testing.assert_allclose(_whitened_cosine_complete(a, b, demean), expected, atol=1e-10)


def test_mds_of_a_non_euclidean_matrix_has_finite_coordinates():
    """A dissimilarity matrix whose double-centred form has a negative eigenvalue among the
    leading two (1 − CKA of four layers, as a workflow run produced) embeds without NaN."""
    from repgeom.metrics.rsa import classical_mds, matrix_to_vector, mds

    S = np.array(
        [
            [1.0, 0.69059579, 0.65825827, 0.00108546],
            [0.69059579, 1.0, 0.98970207, 0.50841055],
            [0.65825827, 0.98970207, 1.0, 0.52798257],
            [0.00108546, 0.50841055, 0.52798257, 1.0],
        ]
    )
    D = 1 - S
    assert np.isfinite(classical_mds(D)).all()
    X = mds(matrix_to_vector(D))
    assert X.shape == (4, 2) and np.isfinite(X).all()
    # the first axis orders the layers as their dissimilarity to the first one does
    assert np.argsort(np.abs(X[:, 0] - X[0, 0])).tolist() == np.argsort(D[0]).tolist()
