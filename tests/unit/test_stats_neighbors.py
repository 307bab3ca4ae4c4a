import numpy as np
import pytest

from repgeom.errors import InvalidInputError
from repgeom.metrics.cka import cka
from repgeom.metrics.neighbors import canonical_correlations, mean_cca, mutual_knn, pwcca, svcca
from repgeom.metrics.rsa import mds, percentile_transform, rdm, second_order_rdm, vector_to_matrix
from repgeom.metrics.stats import bootstrap, permutation_test


def test_permutation_test_separates_related_from_unrelated(rng):
    X = rng.standard_normal((40, 8))
    related = X @ rng.standard_normal((8, 8)) + 0.3 * rng.standard_normal((40, 8))
    unrelated = rng.standard_normal((40, 8))
    hit = permutation_test("linear_shape", X, related, n_permutations=99)
    miss = permutation_test("linear_shape", X, unrelated, n_permutations=99)
    assert hit.p_value == pytest.approx(0.01) and hit.z > 3  # a distance: smaller than null
    assert miss.p_value > 0.05 and abs(miss.z) < 3
    sim = permutation_test(cka, X, related, measure="similarity", n_permutations=99)
    assert sim.p_value == pytest.approx(0.01) and sim.z > 3
    with pytest.raises(InvalidInputError, match="needs measure="):
        permutation_test(cka, X, related)


def test_bootstrap_interval_brackets_the_observed_value(rng):
    X = rng.standard_normal((50, 6))
    Y = X + 0.5 * rng.standard_normal((50, 6))
    res = bootstrap(cka, X, Y, measure="similarity", n_resamples=200)
    assert res.low < res.observed < res.high and res.samples.shape == (200,)
    assert (
        bootstrap(cka, X, Y, measure="similarity", n_resamples=50, seed=3).low
        == bootstrap(cka, X, Y, measure="similarity", n_resamples=50, seed=3).low
    )


def test_mutual_knn(rng):
    X = rng.standard_normal((60, 5))
    assert mutual_knn(X, 2 * X + 1, k=5) == 1.0
    assert mutual_knn(X, rng.standard_normal((60, 5)), k=5) < 0.3
    with pytest.raises(InvalidInputError, match="k=60"):
        mutual_knn(X, X, k=60)


def test_cca_family(rng):
    X = rng.standard_normal((100, 5))
    A = rng.standard_normal((5, 5))
    np.testing.assert_allclose(canonical_correlations(X, X @ A), 1.0, atol=1e-10)
    assert mean_cca(X, rng.standard_normal((100, 5))) < 0.4
    assert pwcca(X, X @ A) == pytest.approx(1.0)
    assert svcca(X, X @ A) == pytest.approx(1.0)
    with pytest.raises(InvalidInputError, match="degenerate"):
        mean_cca(rng.standard_normal((10, 12)), rng.standard_normal((10, 3)))


def test_second_order_helpers(rng):
    rdms = np.stack([rdm(rng.standard_normal((7, 4))) for _ in range(4)])
    so = vector_to_matrix(second_order_rdm(rdms))
    assert so.shape == (4, 4) and np.allclose(np.diag(so), 0)
    emb = mds(rdms[0])
    assert emb.shape == (7, 2)
    pct = percentile_transform(rdms[0])
    assert pct.min() == 0 and pct.max() == 100
