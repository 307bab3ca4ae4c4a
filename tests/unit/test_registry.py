"""The one metric registry and the pairwise engine.

- every workflow method's K × K matrix (prepare once, batched pairs) equals the
  straightforward per-pair computation with the library's public functions to 1e-10;
- unknown keyword arguments raise TypeError naming the accepted ones;
- the math imports neither xarray nor repgeom.store, and its imports have no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from repgeom import distances as dist
from repgeom.blocks import Block
from repgeom.dsa import DSA, SimilarityTransformDist
from repgeom.metrics import available, compare
from repgeom.metrics.cka import LinearCKA, angular_cka, cka
from repgeom.metrics.geometry import affine_invariant_riemannian, stress
from repgeom.metrics.neighbors import mean_cca, mutual_knn, pwcca, svcca
from repgeom.metrics.pairwise import pairwise_matrix
from repgeom.metrics.registry import get
from repgeom.metrics.rsa import compare_rdms, rdm
from repgeom.metrics.shape import LinearMetric, PermutationMetric, repsim_shape_distance
from repgeom.metrics.stochastic import EnergyStochasticMetric, GaussianStochasticMetric
from repgeom.representations import Representation

#: New engine against per-pair reference: the same float64 arithmetic, up to BLAS blocking.
TOL = 1e-10
SRC = Path(__file__).resolve().parents[2] / "src" / "repgeom"


def _rep(name: str, X: np.ndarray, samples: np.ndarray | None = None) -> Representation:
    return Representation(name, X, X.mean(axis=1), X.shape[1], {}, (X.shape[0],), samples)


@pytest.fixture(scope="module")
def reps() -> list[Representation]:
    rng = np.random.default_rng(7)
    out = [_rep(f"r{k}", rng.standard_normal((24, 4 + k))) for k in range(4)]
    trials = rng.standard_normal((24, 3, 6))
    out.append(_rep("brain", trials.mean(axis=1), trials))
    return out


def _samples(rep: Representation, n_components: int, n_trials: int) -> np.ndarray:
    """The workflow's stochastic preprocessing, written out: trials on the leading PCs of
    the trial means, a deterministic representation repeated as a point mass."""
    X = rep.features
    mean = X.mean(axis=0)
    vt = np.linalg.svd(X - mean, full_matrices=False)[2][:n_components]
    axes = np.zeros((X.shape[1], n_components))
    axes[:, : len(vt)] = vt.T
    trials = rep.samples if rep.samples is not None else X[:, None, :]
    projected = (trials - mean) @ axes
    return projected if projected.shape[1] == n_trials else np.repeat(projected, n_trials, 1)


def _gaussian(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    C = S - S.mean(axis=1, keepdims=True)
    return S.mean(axis=1), np.einsum("srk,srl->skl", C, C) / (S.shape[1] - 1)


def _energy(reps, i, j):
    a, b = _samples(reps[i], 4, 3), _samples(reps[j], 4, 3)
    return EnergyStochasticMetric(niter=20).fit_score(a, b)


def _gauss(reps, i, j):
    a, b = _gaussian(_samples(reps[i], 4, 3)), _gaussian(_samples(reps[j], 4, 3))
    return GaussianStochasticMetric(niter=20).fit_score(a, b)


def _f(fn: Callable) -> Callable:
    return lambda reps, i, j: fn(reps[i].features, reps[j].features)


#: Each workflow method with parameters and its per-pair reference.
CASES: dict[str, tuple[dict, Callable]] = {
    "linear_shape": ({"alpha": 0.5}, _f(lambda a, b: LinearMetric(alpha=0.5).fit_score(a, b))),
    "permutation_shape": ({}, _f(lambda a, b: PermutationMetric().fit_score(a, b))),
    "angular_shape_metric": ({}, _f(repsim_shape_distance)),
    "euclidean_shape_metric": (
        {"p": 5, "alpha": 0.3},
        _f(lambda a, b: repsim_shape_distance(a, b, p=5, alpha=0.3, score_method="euclidean")),
    ),
    "energy_stochastic": ({"n_components": 4, "niter": 20}, _energy),
    "gaussian_stochastic": ({"n_components": 4, "niter": 20}, _gauss),
    "linear_cka_angle": ({}, _f(lambda a, b: LinearCKA().score(a, b))),
    "angular_cka": ({"kernel": "laplace"}, _f(lambda a, b: angular_cka(a, b, kernel="laplace"))),
    "cka": ({"estimator": "unbiased"}, _f(lambda a, b: cka(a, b, estimator="unbiased"))),
    "stress": ({"rescale": True}, _f(lambda a, b: stress(a, b, rescale=True))),
    "affine_invariant_riemannian": (
        {"eps": 0.1},
        _f(lambda a, b: affine_invariant_riemannian(a, b, eps=0.1)),
    ),
    "rsa": (
        {"comparator": "kendall"},
        _f(lambda a, b: compare_rdms(rdm(a, "correlation"), rdm(b, "correlation"), "kendall")),
    ),
    "mutual_knn": ({"k": 5}, _f(lambda a, b: mutual_knn(a, b, k=5))),
    "cca": ({}, _f(mean_cca)),
    "svcca": ({"keep_variance": 0.9}, _f(lambda a, b: svcca(a, b, keep_variance=0.9))),
}


def test_every_workflow_method_has_a_case():
    assert sorted(CASES) == dist.methods()


@pytest.mark.parametrize("method", sorted(CASES))
def test_engine_equals_the_per_pair_computation(reps, method):
    params, reference = CASES[method]
    similarity = get(method).measure == "similarity"
    D = dist.distance_block(reps, method, params, n_jobs=2, progress=False)
    K = len(reps)
    expected = np.zeros((K, K))
    for i in range(K):
        for j in range(i if similarity else i + 1, K):
            expected[i, j] = expected[j, i] = reference(reps, i, j)
    np.testing.assert_allclose(D, expected, rtol=0, atol=TOL)
    block = dist.distance_block(reps, method, params, block=Block(0, 1, size=3, n=K), n_jobs=1)
    np.testing.assert_allclose(block[:3, 3:], expected[:3, 3:], rtol=0, atol=TOL)
    assert np.isnan(block[3, 4])


def test_pwcca_and_dsa_are_registered_outside_the_workflow(rng):
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    assert compare(X, Y, method="pwcca") == pytest.approx(pwcca(X, Y), abs=TOL)
    assert "pwcca" not in dist.methods() and "dsa" not in dist.methods()
    series = [np.cumsum(rng.standard_normal((60, 2)), axis=0) for _ in range(3)]
    params = {"score_method": "angular", "rank": 2}
    D, _ = pairwise_matrix(get("dsa").bind(**params), series, n_jobs=1)
    np.testing.assert_allclose(D, DSA(series, **params).fit_score(), atol=TOL)


def test_compare_rejects_unknown_parameters(rng):
    X = rng.standard_normal((20, 4))
    with pytest.raises(TypeError, match=r"'bogus'.*accepted: \['estimator', 'kernel'\]"):
        compare(X, X, method="cka", bogus=1)
    for name, info in available().items():
        with pytest.raises(TypeError, match="accepted"):
            info.bind(bogus=1)
        assert all(isinstance(fragment, dict) for fragment in info.params.values()), name


def test_dsa_and_simdist_reject_unknown_parameters():
    with pytest.raises(TypeError, match="bogus"):
        DSA(np.zeros((10, 2)), bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        SimilarityTransformDist(bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        SimilarityTransformDist().fit_score(np.eye(2), np.eye(2), bogus=1)


def test_stats_take_a_measure(rng):
    from repgeom.metrics.stats import permutation_test

    X = rng.standard_normal((20, 3))
    res = permutation_test(cka, X, X, measure="similarity", n_permutations=9)
    assert res.p_value == pytest.approx(0.1)
    with pytest.raises(TypeError, match="accepted"):
        permutation_test("cka", X, X, n_permutations=9, bogus=1)


MATH = ["metrics", "dsa", "dimensionality.py", "encoding.py", "reduce.py"]


def test_pairwise_distances_by_registry_name(rng):
    from repgeom.metrics import pairwise_distances

    reps = {k: rng.standard_normal((20, 5)) for k in "abc"}
    S = pairwise_distances(reps, "cka", params={"estimator": "unbiased"})
    assert S.attrs["measure"] == "similarity"
    np.testing.assert_allclose(np.diag(S.values), 1.0)  # self-similarity, not a zero
    assert S.values[0, 1] == pytest.approx(
        float(compare(reps["a"], reps["b"], method="cka", estimator="unbiased")), rel=1e-12
    )
    D = pairwise_distances(reps, "linear_shape", params={"alpha": 0.5})
    assert D.attrs["measure"] == "distance" and np.all(np.diag(D.values) == 0)
    with pytest.raises(TypeError, match="params"):
        pairwise_distances(reps, available()["cka"].bind(), params={"estimator": "biased"})
