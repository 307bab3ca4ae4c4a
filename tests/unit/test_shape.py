import numpy as np
import pytest
import torch
import xarray as xr
from sklearn.base import clone
from sklearn.model_selection import cross_validate

import repgeom
from repgeom.blocks import Block
from repgeom.errors import InvalidInputError, NotFittedError, ShapeMismatchError
from repgeom.metrics import (
    EnergyStochasticMetric,
    GaussianStochasticMetric,
    LinearMetric,
    PermutationMetric,
    pairwise_distances,
)
from repgeom.metrics.pairwise import pairwise_matrix
from repgeom.metrics.registry import available
from repgeom.metrics.shape import polar_nuclear_norms

ESTIMATORS = [
    LinearMetric(alpha=0.5, score_method="euclidean"),
    PermutationMetric(center_columns=False),
    GaussianStochasticMetric(alpha=0.5, niter=10),
    EnergyStochasticMetric(niter=5),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_estimator_contract(estimator):
    """sklearn's contract: clone, get_params round trip, nothing learned in __init__."""
    params = estimator.get_params()
    twin = clone(estimator)
    assert twin.get_params() == params
    assert type(estimator)(**params).get_params() == params
    assert not [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")]


def test_fit_leaves_params_alone(rng):
    metric = LinearMetric(alpha=0.25, center_columns=False)
    before = metric.get_params()
    metric.fit(rng.standard_normal((20, 4)), rng.standard_normal((20, 6)))
    assert metric.get_params() == before
    assert metric.width_ == 6 and metric.prep_x_.n_units == 4


def test_netrep_style_cross_validation(rng):
    """As in netrep's README: cross_validate(metric, X, Y, cv=...) gives train/test scores."""
    X = rng.standard_normal((60, 8))
    Y = X @ rng.standard_normal((8, 8)) + 0.5 * rng.standard_normal((60, 8))
    result = cross_validate(LinearMetric(alpha=0.5), X, Y, cv=5, return_train_score=True)
    assert np.all(result["test_score"] >= 0) and np.all(result["train_score"] >= 0)
    assert result["test_score"].mean() >= result["train_score"].mean()  # held out is farther


def test_held_out_score_uses_training_alignment(rng):
    X = rng.standard_normal((80, 6))
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    metric = LinearMetric(alpha=1.0).fit(X[:60], X[:60] @ Q)
    assert metric.score(X[60:], X[60:] @ Q) == pytest.approx(0.0, abs=1e-6)
    other = rng.standard_normal((20, 6))
    assert metric.score(X[60:], other) > 0.5


def test_transform_aligns_and_score_agrees(rng):
    X = rng.standard_normal((40, 5))
    Y = rng.standard_normal((40, 9))
    metric = LinearMetric(alpha=0.5, score_method="euclidean").fit(X, Y)
    tX, tY = metric.transform(X, Y)
    assert tX.shape == tY.shape == (40, 9)
    assert np.linalg.norm(tX - tY) == pytest.approx(metric.score(X, Y), rel=1e-10)


def test_inputs_may_be_tensors_or_dataarrays(rng):
    X = rng.standard_normal((30, 4))
    Y = rng.standard_normal((30, 7))
    expected = LinearMetric().fit_score(X, Y)
    tensors = LinearMetric().fit_score(torch.from_numpy(X), torch.from_numpy(Y))
    arrays = LinearMetric().fit_score(
        xr.DataArray(X.T, dims=("unit", "stimulus")), xr.DataArray(Y, dims=("stimulus", "u"))
    )
    assert tensors == pytest.approx(expected) and arrays == pytest.approx(expected)
    with pytest.raises(ShapeMismatchError, match="needs a 'stimulus' dim"):
        LinearMetric().fit_score(xr.DataArray(X, dims=("a", "b")), Y)


def test_bad_input_gets_clear_errors(rng):
    X = rng.standard_normal((30, 4))
    with pytest.raises(ShapeMismatchError, match="X has 30 stimuli, Y has 29"):
        LinearMetric().fit(X, X[:29])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="1 NaN/inf"):
        LinearMetric().fit(bad, X)
    with pytest.raises(InvalidInputError, match="at least 2 needed"):
        LinearMetric().fit(X[:1], X[:1])
    with pytest.raises(ValueError, match="Expected arrays with equal dimensions"):
        LinearMetric(zero_pad=False).fit(X, X[:, :3])
    with pytest.raises(ValueError, match="`alpha` must be between zero and one"):
        LinearMetric(alpha=1.5)
    metric = LinearMetric()
    metric.set_params(alpha=-1)
    with pytest.raises(ValueError, match="between zero and one"):
        metric.fit(X, X)
    with pytest.raises(NotFittedError, match="call fit"):
        LinearMetric().score(X, X)
    with pytest.raises(ValueError, match="score_method='cosine'"):
        LinearMetric(score_method="cosine").fit_score(X, X)


def test_pairwise_dataarray_blocks_and_netrep_form(rng):
    reps = {f"r{i}": rng.standard_normal((25, 3 + i)) for i in range(5)}
    full = pairwise_distances(reps, LinearMetric(alpha=0.5))
    assert full.dims == ("rep_a", "rep_b") and list(full.rep_a.values) == list(reps)
    assert np.allclose(full.values, full.values.T) and np.all(np.diag(full.values) == 0)
    # two blocks of size 2 assemble into the full matrix where computed
    block = pairwise_distances(reps, LinearMetric(alpha=0.5), block=Block(0, 2, size=2, n=5))
    np.testing.assert_allclose(block.values[:2, 4], full.values[:2, 4], rtol=1e-12)
    assert np.isnan(block.values[2, 3])
    with pytest.raises(InvalidInputError, match="outside"):
        pairwise_distances(reps, LinearMetric(), block=Block(5, 0, size=2, n=5))
    # netrep form: metric first, returns arrays
    D = pairwise_distances(LinearMetric(alpha=0.5), list(reps.values()), verbose=False)
    np.testing.assert_allclose(D, full.values)
    split = pairwise_distances(list(reps.values()), LinearMetric(), test=list(reps.values()))
    assert split.dims == ("split", "rep_a", "rep_b")


def test_batched_pairwise_equals_the_per_pair_loop(rng):
    reps = [rng.standard_normal((40, w)) for w in (5, 12, 30, 45, 8, 20)]
    for alpha in (0.0, 0.5, 1.0):
        for method in ("angular", "euclidean"):
            metric = LinearMetric(alpha=alpha, score_method=method)
            loop = np.zeros((6, 6))
            for i in range(6):
                for j in range(6):
                    if i != j:
                        loop[i, j] = LinearMetric(alpha=alpha, score_method=method).fit_score(
                            reps[i], reps[j]
                        )
            fast, _ = pairwise_matrix(metric, reps)
            prepared = {k: metric.prepare(X) for k, X in enumerate(reps)}
            pairs = Block.whole(6).pairs
            batched = metric.score_pairs(prepared, pairs, batched=True, batch_bytes=10**5)
            np.testing.assert_allclose(fast, loop, atol=1e-10, rtol=0)
            np.testing.assert_allclose(batched, [loop[i, j] for i, j in pairs], atol=1e-10, rtol=0)


def test_polar_nuclear_norm(rng, device):
    M = torch.tensor(rng.standard_normal((3, 40, 25)), device=device)
    exact = torch.linalg.svdvals(M).sum(-1)
    torch.testing.assert_close(polar_nuclear_norms(M), exact, rtol=1e-10, atol=0)


def test_stochastic_metrics_find_known_alignments(rng):
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    means = rng.standard_normal((6, 4))
    A = rng.standard_normal((6, 4, 4))
    covs = A @ A.transpose(0, 2, 1) + np.eye(4)
    rotated = (means @ Q, np.einsum("ji,mjk,kl->mil", Q, covs, Q))
    for alpha in (0.0, 0.5, 1.0, 2.0):
        d = GaussianStochasticMetric(alpha=alpha).fit_score((means, covs), rotated)
        assert abs(d) < 1e-6
    samples = rng.standard_normal((5, 6, 3))
    Q3, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    assert EnergyStochasticMetric().fit_score(samples, samples @ Q3) < 1e-3
    with pytest.raises(ShapeMismatchError, match="expected \\(M, N\\) and \\(M, N, N\\)"):
        GaussianStochasticMetric().fit((means, covs[:, :3]), rotated)
    with pytest.raises(ValueError, match="between zero and two"):
        GaussianStochasticMetric(alpha=3)
    with pytest.raises(ShapeMismatchError, match="repeats ≥ 2"):
        EnergyStochasticMetric().fit(samples[:, :1], samples[:, :1])


def test_gaussian_is_deterministic_for_a_seed(rng):
    means = rng.standard_normal((5, 3))
    covs = np.stack([np.eye(3) * (1 + i) for i in range(5)])
    other = (rng.standard_normal((5, 3)), covs[::-1].copy())
    kwargs = dict(init="rand", n_restarts=3, random_state=7, niter=50)
    a = GaussianStochasticMetric(**kwargs).fit_score((means, covs), other)
    b = GaussianStochasticMetric(**kwargs).fit_score((means, covs), other)
    assert a == b


def test_compare_entry_point(rng):
    X = rng.standard_normal((30, 6))
    assert repgeom.compare(X, X, method="LINEAR_SHAPE").item() == pytest.approx(0, abs=1e-6)
    assert set(available()) >= {"linear_shape", "angular_shape_metric", "euclidean_shape_metric"}
    assert available()["linear_shape"].axioms == ("identity", "symmetry", "triangle")
    with pytest.raises(ValueError, match="unknown method 'cka9'"):
        repgeom.compare(X, X, method="cka9")
