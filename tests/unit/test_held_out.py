"""Held-out distances of the workflow's matrices (repgeom.distances.held_out_block): netrep's
cross_validate semantics for metrics that fit an alignment, one value for those that don't."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_validate

from repgeom.blocks import Block
from repgeom.distances import distance_block, held_out_block
from repgeom.errors import InvalidInputError
from repgeom.metrics.shape import LinearMetric
from repgeom.representations import Representation


def _reps(rng: np.random.Generator, n: int = 40, k: int = 4) -> list[Representation]:
    """Noisy views of one latent: an alignment fitted on some stimuli generalises only partly."""
    Z = rng.standard_normal((n, 5))
    out = []
    for i in range(k):
        X = Z @ rng.standard_normal((5, 8)) + 0.8 * rng.standard_normal((n, 8))
        out.append(Representation(f"r{i}", X, X.mean(axis=1), 8, {}, (n,)))
    return out


@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_linear_shape_folds_are_netreps_cross_validate(alpha, rng) -> None:
    """Each pair's (train, test) is the mean of scikit-learn's cross_validate of netrep's
    estimator with cv=K (contiguous folds), as netrep's README computes it."""
    reps = _reps(rng)
    D_train, D_test = held_out_block(reps, "linear_shape", {"alpha": alpha}, folds=5)
    cv = cross_validate(
        LinearMetric(alpha=alpha),
        reps[0].features,
        reps[2].features,
        cv=5,
        return_train_score=True,
    )
    assert D_train[0, 2] == pytest.approx(np.mean(cv["train_score"]), abs=1e-10)
    assert D_test[0, 2] == pytest.approx(np.mean(cv["test_score"]), abs=1e-10)
    assert np.allclose(D_train, D_train.T) and np.allclose(np.diag(D_test), 0)


def test_train_is_at_most_test_on_average(rng) -> None:
    """An alignment fitted on the training stimuli fits them better than held-out ones."""
    gaps = []
    for _ in range(5):
        D_train, D_test = held_out_block(_reps(rng), "linear_shape", {"alpha": 0.5}, folds=4)
        i, j = np.triu_indices(len(D_train), 1)
        gaps.append(np.mean(D_test[i, j] - D_train[i, j]))
    assert np.mean(gaps) > 0


def test_a_metric_with_nothing_to_fit_gives_train_equal_test(rng) -> None:
    reps = _reps(rng)
    params = {"rdm_method": "correlation", "comparator": "spearman"}
    D_train, D_test = held_out_block(reps, "rsa", params, folds=5)
    np.testing.assert_array_equal(D_train, D_test)
    np.testing.assert_allclose(D_train, distance_block(reps, "rsa", params, n_jobs=1))


def test_a_block_holds_its_pairs_only(rng) -> None:
    reps = _reps(rng, k=4)
    block = Block.grid(4, 2)[1]
    D_train, D_test = held_out_block(reps, "linear_shape", {}, folds=3, block=block)
    whole_train, whole_test = held_out_block(reps, "linear_shape", {}, folds=3)
    computed = ~np.isnan(D_test)
    np.testing.assert_allclose(D_test[computed], whole_test[computed])
    np.testing.assert_allclose(D_train[computed], whole_train[computed])
    assert not computed.all()


def test_more_folds_than_stimuli_is_an_error(rng) -> None:
    with pytest.raises(InvalidInputError, match="cv_folds=50"):
        held_out_block(_reps(rng, n=10), "linear_shape", {}, folds=50)


def _noisy_reps(rng: np.random.Generator, n: int = 30, k: int = 3) -> list[Representation]:
    """Representations with single trials (stimulus, repetition, unit) around a shared latent."""
    Z = rng.standard_normal((n, 4))
    out = []
    for i in range(k):
        mean = Z @ rng.standard_normal((4, 6))
        trials = mean[:, None, :] + 0.7 * rng.standard_normal((n, 5, 6))
        X = trials.mean(axis=1)
        out.append(Representation(f"s{i}", X, X.mean(axis=1), 6, {}, (n,), trials))
    return out


@pytest.mark.parametrize("method", ["energy_stochastic", "gaussian_stochastic"])
def test_stochastic_metrics_fit_on_training_trials_and_score_held_out_ones(method, rng) -> None:
    """The alignment is fitted on the training stimuli's trials; held-out trials go on the
    training principal axes. Train ≤ test on average; a fold's training value equals the
    metric on those stimuli alone."""
    reps = _noisy_reps(rng)
    params = {"n_components": 3}
    D_train, D_test = held_out_block(reps, method, params, folds=3)
    i, j = np.triu_indices(3, 1)
    assert np.mean(D_train[i, j]) <= np.mean(D_test[i, j])
    assert np.isfinite(D_test).all() and np.allclose(np.diag(D_test), 0)
