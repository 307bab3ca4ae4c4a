import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.model_selection import ShuffleSplit

from repgeom.encoding import (
    fit_encoding,
    noise_ceiling,
    pearson_r,
    pearson_r_complete,
    ridge_cv,
)
from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.neural import simulate_v1
from repgeom.stimuli import gratings


@pytest.fixture(scope="module")
def v1():
    stim = gratings(size=24, orientations=12, spatial_frequencies=(2.0, 3.0, 4.0, 6.0), phases=4)
    return simulate_v1(stim, n_neuroids=20, n_repetitions=8, seed=0, complex_fraction=0.0)


def _true_features(ds):
    """The generative rates' own inputs: the noise-free rates themselves."""
    return ds["rates"].values


def test_true_features_reach_the_noise_ceiling(v1):
    """An encoding model from the generative features explains what the ceiling allows."""
    trials = v1["responses"].values
    _, ceiling = noise_ceiling(trials, n_splits=20, seed=0)
    mean = trials.mean(axis=1)
    result = fit_encoding(_true_features(v1), mean, alphas=np.logspace(-4, 4, 9), cv=4)
    # r² of the mean against a perfect model ≈ reliability of the mean (= ceiling)
    np.testing.assert_allclose(np.median(result.pearson_r**2), np.median(ceiling), atol=0.08)
    assert result.best_alphas.shape == (5, 20) and result.predictions.shape == mean.shape


def test_shuffled_features_predict_nothing(v1, rng):
    mean = v1["responses"].values.mean(axis=1)
    shuffled = _true_features(v1)[rng.permutation(len(mean))]
    result = fit_encoding(shuffled, mean, alphas=np.logspace(-2, 6, 9))
    assert abs(np.median(result.pearson_r)) < 0.15


def test_noise_ceiling_matches_the_simulation(v1):
    """Population reliability of the R-trial mean: var_signal / (var_signal + E[var_noise]/R)."""
    rates = v1["rates"].values
    R = v1.sizes["repetition"]
    truth = rates.var(0) / (rates.var(0) + rates.mean(0) / R)  # Poisson noise variance = rate
    _, ceiling = noise_ceiling(v1["responses"].values, n_splits=50, seed=1)
    assert truth.max() - truth.min() > 0.3  # neuroids span a wide range of reliabilities
    assert np.corrcoef(truth, ceiling)[0, 1] > 0.7  # 20 neuroids, 8 trials: sampling noise
    assert np.median(np.abs(ceiling - truth)) < 0.05


def test_pls_protocol_runs(v1):
    """With as many components as features PLS is least squares: close to ridge."""
    mean = v1["responses"].values.mean(axis=1)
    pls = fit_encoding(_true_features(v1), mean, model="pls", n_components=20)
    ridge = fit_encoding(_true_features(v1), mean, alphas=np.logspace(-4, 4, 9), cv=4)
    assert np.isnan(pls.best_alphas).all()
    assert abs(np.median(pls.pearson_r) - np.median(ridge.pearson_r)) < 0.1


def test_pearson_r_matches_numpy(rng):
    a, b = rng.standard_normal((30, 4)), rng.standard_normal((30, 4))
    expected = [np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(4)]
    np.testing.assert_allclose(pearson_r(a, b), expected, rtol=1e-12)
    assert pearson_r(a, np.ones((30, 4))).tolist() == [0.0] * 4


def test_bad_input(rng):
    X, Y = rng.standard_normal((20, 5)), rng.standard_normal((20, 3))
    with pytest.raises(ShapeMismatchError, match="X has 20 stimuli, Y has 19"):
        fit_encoding(X, Y[:19])
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(InvalidInputError, match="X_train holds 1 NaN"):
        fit_encoding(Xn, Y)
    with pytest.raises(InvalidInputError, match="too few for 5 outer × 5 inner folds"):
        fit_encoding(X, Y)
    with pytest.raises(InvalidInputError, match="give both X_test and Y_test"):
        fit_encoding(X, Y, X_test=X)
    with pytest.raises(ShapeMismatchError, match="features and neuroids must match"):
        fit_encoding(X, Y, X[:, :4], Y)
    with pytest.raises(InvalidInputError, match="choose 'ridge'"):
        fit_encoding(X, Y, X, Y, model="lasso")
    with pytest.raises(ShapeMismatchError, match="expected \\(stimulus, repetition, neuroid\\)"):
        noise_ceiling(np.ones((4, 2)))
    with pytest.raises(InvalidInputError, match="at least 2 repetitions"):
        noise_ceiling(np.ones((4, 1, 2)))


def test_backend_is_restored(rng):
    from himalaya.backend import get_backend

    X, Y = rng.standard_normal((40, 5)), rng.standard_normal((40, 3))
    fit_encoding(X[:30], Y[:30], X[30:], Y[30:], backend="torch")
    assert get_backend().name == "numpy"


def test_noise_ceiling_skips_missing_trials(v1, rng):
    """NaN marks a missing trial: the ceiling of the remaining trials stays close to the full
    one; without NaN nothing changes; inf is refused."""
    trials = v1["responses"].values.astype(np.float64)
    _, full = noise_ceiling(trials, n_splits=50, seed=1)
    holed = trials.copy()
    holed[rng.random(trials.shape) < 0.15] = np.nan
    _, ceiling = noise_ceiling(holed, n_splits=50, seed=1)
    assert np.isfinite(ceiling).all()
    assert np.median(np.abs(ceiling - full)) < 0.06
    assert not np.array_equal(ceiling, full)  # the holes were seen
    np.testing.assert_array_equal(noise_ceiling(trials, n_splits=50, seed=1)[1], full)
    holed[0, 0, 0] = np.inf
    with pytest.raises(InvalidInputError, match="trials hold 1 inf values; NaN marks"):
        noise_ceiling(holed)


def test_pearson_r_complete_uses_the_rows_both_hold(rng):
    a, b = rng.standard_normal((30, 3)), rng.standard_normal((30, 3))
    a[[2, 5], 0], b[7, 0], b[:28, 2] = np.nan, np.nan, np.nan
    r = pearson_r_complete(a, b)
    keep = ~np.isnan(a[:, 0]) & ~np.isnan(b[:, 0])
    np.testing.assert_allclose(r[0], np.corrcoef(a[keep, 0], b[keep, 0])[0, 1], rtol=1e-12)
    np.testing.assert_allclose(r[1], np.corrcoef(a[:, 1], b[:, 1])[0, 1], rtol=1e-12)
    assert np.isnan(r[2])  # 2 rows in common: no correlation


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_features=st.integers(1, 59),  # past the 45 training rows of a fold
    n_targets=st.integers(1, 6),
    fit_intercept=st.booleans(),
    shuffled=st.booleans(),
)
def test_ridge_cv_is_himalaya_ridgecv(seed, n_features, n_targets, fit_intercept, shuffled):
    """repgeom's SVD ridge gives himalaya RidgeCV's alphas, cv scores and predictions (the
    numpy backend's ridge runs through it); rank-deficient X (repeated columns) included."""
    from himalaya.ridge import RidgeCV

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, n_features)) * rng.uniform(0.1, 10, n_features) + 3.0
    if n_features > 2:
        X[:, -1] = X[:, 0]
    Y = X @ rng.standard_normal((n_features, n_targets)) + 5 * rng.standard_normal((60, n_targets))
    X_test = rng.standard_normal((15, n_features)) + 3.0
    alphas = np.logspace(-3, 5, 9)
    cv = ShuffleSplit(4, test_size=0.25, random_state=seed) if shuffled else 4
    ours = ridge_cv(X, Y, X_test, alphas=alphas, cv=cv, fit_intercept=fit_intercept)
    ref = RidgeCV(alphas=alphas, cv=cv, fit_intercept=fit_intercept).fit(X, Y)
    # himalaya returns exp(−log α): the grid value to rounding; ours is the grid value
    np.testing.assert_allclose(ours[1], ref.best_alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours[2], ref.cv_scores_, rtol=1e-9)
    np.testing.assert_allclose(ours[0], ref.predict(X_test), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("wide", [False, True])
def test_fit_encoding_ridge_is_himalaya_on_every_backend(v1, rng, wide):
    """The numpy path (repgeom's SVD ridge, any shape) and himalaya's torch backend agree; a
    layer wider than its training stimuli takes himalaya's linear-kernel form on torch."""
    Y = v1["responses"].values.mean(axis=1)
    X = _true_features(v1)
    if wide:
        X = np.hstack([X, rng.standard_normal((len(X), 3 * len(X)))])
    a = fit_encoding(X, Y, backend="numpy", fit_intercept=True, cv=3, outer_cv=3)
    b = fit_encoding(X, Y, backend="torch", fit_intercept=True, cv=3, outer_cv=3)
    np.testing.assert_allclose(a.best_alphas, b.best_alphas, rtol=1e-6)
    np.testing.assert_allclose(a.pearson_r, b.pearson_r, atol=1e-6)


def test_ridge_cv_refuses_an_empty_fold(rng):
    X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
    with pytest.raises(InvalidInputError, match="empty training or validation fold"):
        ridge_cv(X, Y, X, cv=[(np.arange(10), np.array([], dtype=int))])
