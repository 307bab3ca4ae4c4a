"""The study's n-shot readouts: known answers, exactness, protocol sampling, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.special import softmax
from scipy.stats import ortho_group
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    label_ranking_average_precision_score,
    log_loss,
    pairwise_distances,
    top_k_accuracy_score,
)
from sklearn.preprocessing import label_binarize

from repgeom.classification import (
    logistic_performance,
    nshot,
    nshot_samples,
    prototype_performance,
    ranking_scores,
)
from repgeom.errors import InvalidInputError, ShapeMismatchError


def blobs(
    rng: np.random.Generator, n_classes: int, per_class: int, dim: int, sep: float, offset=0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian classes in contiguous blocks, centred ``sep`` apart along random directions."""
    means = rng.standard_normal((n_classes, dim)) * sep
    X = np.repeat(means, per_class, axis=0) + rng.standard_normal((n_classes * per_class, dim))
    return X + offset, np.repeat(np.arange(n_classes), per_class)


def reduced(X: np.ndarray) -> np.ndarray:
    """``Z = U S`` of the thin SVD ``X = U S Vᵀ`` (rank-truncated)."""
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    keep = S > S[0] * 1e-12
    return U[:, keep] * S[keep]


def study_scores(scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The study's scoring calls (n_shot_learning.py), via scikit-learn."""
    return {
        "accuracy (top 1)": top_k_accuracy_score(y, scores, k=1),
        "accuracy (top 5)": top_k_accuracy_score(y, scores, k=5),
        "MRR": label_ranking_average_precision_score(
            label_binarize(y, classes=range(scores.shape[1])), scores
        ),
    }


# ---------------------------------------------------------------- known answers


@pytest.mark.parametrize("classifier", ["prototype", "linear"])
def test_separated_classes_are_classified_perfectly(rng, classifier):
    X, y = blobs(rng, n_classes=8, per_class=12, dim=20, sep=30.0)
    ds = nshot(X, y, n_train=(1, 5), n_test=5, n_repeats=3, classifier=classifier)
    assert ds.top1.dims == ("n_train", "repeat")
    assert ds.n_train.values.tolist() == [1, 5]
    assert ds.repeat.values.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(ds.top1.values, 1.0)
    np.testing.assert_array_equal(ds.top5.values, 1.0)
    np.testing.assert_array_equal(ds.mrr.values, 1.0)
    if classifier == "linear":
        assert (ds.log_likelihood.values <= 0).all()
        assert (ds.log_likelihood.values > np.log(1 / 8)).all()
    else:
        assert "log_likelihood" not in ds


@pytest.mark.parametrize("classifier", ["prototype", "linear"])
def test_identical_classes_score_at_chance(classifier):
    rng = np.random.default_rng(7)
    K, per = 10, 30
    X = rng.standard_normal((K * per, 8))  # every class from the same distribution
    y = np.repeat(np.arange(K), per)
    repeats = 40 if classifier == "prototype" else 12
    ds = nshot(X, y, n_train=(5,), n_test=10, n_repeats=repeats, classifier=classifier)
    chance_mrr = np.mean(1 / np.arange(1, K + 1))
    assert abs(float(ds.top1.mean()) - 1 / K) < 0.04
    assert abs(float(ds.top5.mean()) - 5 / K) < 0.06
    assert abs(float(ds.mrr.mean()) - chance_mrr) < 0.04


def test_ranking_scores_match_scikit_learn_including_ties(rng):
    K = 9
    y = np.tile(np.arange(K), 6)
    scores = rng.random((y.size, K))
    scores[::3] = np.round(scores[::3], 1)  # many ties
    scores[1::7] = 0.0  # all tied (an underflowed softmax)
    scores[2::11, :4] = 0.5
    ours = ranking_scores(scores, y)
    theirs = study_scores(scores, y)
    assert ours == pytest.approx(theirs, abs=1e-15)


def test_ties_rank_the_higher_class_index_first():
    scores = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0] * 7])
    out = ranking_scores(scores, np.array([5, 1]))
    # top-k: row 0 orders 6, 5, ... (class 5 second); row 1 orders 6, 5, 4, 3, 2 first, so top-5
    # misses class 1. MRR counts every class scoring >= the true one: all 7 in both rows.
    assert out["accuracy (top 1)"] == 0.0
    assert out["accuracy (top 5)"] == 0.5
    assert out["MRR"] == pytest.approx(1 / 7)


def test_prototype_performance_matches_the_study_transcription(rng):
    X, y = blobs(rng, n_classes=12, per_class=8, dim=15, sep=1.0, offset=3.0)
    tr = np.tile(np.arange(8) < 3, 12)
    X_train, y_train, X_test, y_test = X[tr], y[tr], X[~tr], y[~tr]
    centroids = np.stack([X_train[y_train == k].mean(0) for k in range(12)])
    scores = softmax(-pairwise_distances(X_test, centroids, metric="euclidean"), axis=1)
    expected = study_scores(scores, y_test)
    got = prototype_performance(X_train, y_train, X_test, y_test)
    assert got == pytest.approx(expected, abs=1e-15)
    assert 0 < got["accuracy (top 1)"] < 1  # a non-trivial case


def test_logistic_performance_reports_the_log_likelihood(rng):
    X, y = blobs(rng, n_classes=6, per_class=10, dim=5, sep=1.5)
    tr = np.tile(np.arange(10) < 6, 6)
    out = logistic_performance(X[tr], y[tr], X[~tr], y[~tr])
    assert set(out) == {"accuracy (top 1)", "accuracy (top 5)", "MRR", "log likelihood"}
    assert out["log likelihood"] < 0
    assert out["accuracy (top 1)"] <= out["accuracy (top 5)"] <= 1


def test_logistic_in_given_coordinates_matches_the_study_transcription(rng):
    X, y = blobs(rng, n_classes=7, per_class=9, dim=30, sep=0.3, offset=1.0)
    tr = np.tile(np.arange(9) < 4, 7)
    X_train, y_train, X_test, y_test = X[tr], y[tr], X[~tr], y[~tr]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter, as in the study
        proba = LogisticRegression().fit(X_train, y_train).predict_proba(X_test)
        got = logistic_performance(X_train, y_train, X_test, y_test, canonical=False)
    expected = study_scores(proba, y_test) | {"log likelihood": -log_loss(y_test, proba)}
    assert got == pytest.approx(expected, abs=1e-15)


# ---------------------------------------------------------------- exactness on Z = U S


@pytest.mark.parametrize("classifier", ["prototype", "linear"])
def test_reduced_representation_gives_the_same_numbers(rng, classifier):
    X, y = blobs(rng, n_classes=6, per_class=9, dim=120, sep=0.25, offset=0.7)
    Z = reduced(X)
    assert Z.shape[1] < X.shape[1]
    kwargs = dict(n_train=(1, 4), n_test=5, n_repeats=3, classifier=classifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lbfgs converges here (see logistic_performance)
        raw, red = nshot(X, y, **kwargs), nshot(Z, y, **kwargs)
    assert set(raw.data_vars) == set(red.data_vars)
    for name in raw.data_vars:
        np.testing.assert_allclose(red[name].values, raw[name].values, rtol=0, atol=1e-8)
    assert 0 < float(raw.top1.mean()) < 1  # not a trivial case


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_readout_is_rotation_invariant_when_lbfgs_converges(seed):
    rng = np.random.default_rng(seed)
    X, y = blobs(rng, n_classes=5, per_class=8, dim=12, sep=0.4)
    Q = ortho_group.rvs(12, random_state=seed)
    tr = np.tile(np.arange(8) < 5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning would void the exactness claim
        a = logistic_performance(X[tr], y[tr], X[~tr], y[~tr])
        b = logistic_performance(X[tr] @ Q, y[tr], X[~tr] @ Q, y[~tr])
    assert a == pytest.approx(b, abs=1e-8)


@st.composite
def rotated_problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n_classes = draw(st.integers(3, 8))
    dim = draw(st.integers(2, 12))
    sep = draw(st.floats(0.1, 3.0))
    rng = np.random.default_rng(seed)
    X, y = blobs(rng, n_classes, 6, dim, sep, offset=draw(st.floats(-5, 5)))
    return X, y, ortho_group.rvs(dim, random_state=seed) if dim > 1 else np.eye(1)


@settings(max_examples=40, deadline=None)
@given(rotated_problems())
def test_prototype_readout_is_rotation_invariant(problem):
    X, y, Q = problem
    tr = np.tile(np.arange(6) < 2, y.max() + 1)
    a = prototype_performance(X[tr], y[tr], X[~tr], y[~tr])
    b = prototype_performance(X[tr] @ Q, y[tr], X[~tr] @ Q, y[~tr])
    assert a == pytest.approx(b, abs=1e-8)


# ---------------------------------------------------------------- the protocol's sampling


def study_orders(n_samples: int, n_repeats: int) -> list[np.ndarray]:
    """Direct transcription of the study's loop (n_shot_learning.py, lines 85-88)."""
    orders, out = np.arange(n_samples), []
    for r in range(n_repeats):
        np.random.seed(r)  # noqa: NPY002
        np.random.shuffle(orders)  # noqa: NPY002
        out.append(orders.copy())
    return out


def test_sample_orders_accumulate_shuffles_as_in_the_study():
    expected = study_orders(25, 5)
    got = nshot_samples(25, 5, 5)
    np.testing.assert_array_equal(got, np.stack(expected))
    # the shuffles accumulate: repeat 1 is not a fresh seed-1 shuffle of arange
    fresh = np.arange(25)
    np.random.RandomState(1).shuffle(fresh)
    assert not np.array_equal(got[1], fresh)


def test_nshot_uses_the_study_rows_and_leaves_the_global_rng_alone(rng):
    K, per, n_test, n_train = 4, 9, 3, (1, 2, 5)
    X, y = blobs(rng, n_classes=K, per_class=per, dim=6, sep=0.5)
    n_samples = max(n_train) + n_test  # 8 < 9: the ninth row of each class is never used
    acts = X.reshape(K, per, -1)[:, :n_samples]
    np.random.seed(123)  # noqa: NPY002
    before = np.random.get_state()  # noqa: NPY002
    ds = nshot(X, y, n_train=n_train, n_test=n_test, n_repeats=3)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2] == after[2]
    for r, order in enumerate(study_orders(n_samples, 3)):
        X_test = acts[:, order[-n_test:]].reshape(-1, X.shape[1])
        y_test = np.repeat(np.arange(K), n_test)
        for i, n in enumerate(n_train):
            X_train = acts[:, order[:n]].reshape(-1, X.shape[1])
            exp = prototype_performance(X_train, np.repeat(np.arange(K), n), X_test, y_test)
            assert float(ds.top1[i, r]) == exp["accuracy (top 1)"]
            assert float(ds.top5[i, r]) == exp["accuracy (top 5)"]
            assert float(ds.mrr[i, r]) == exp["MRR"]


def test_rows_beyond_the_protocol_do_not_matter(rng):
    X, y = blobs(rng, n_classes=5, per_class=10, dim=4, sep=0.5)
    X2 = X.copy()
    X2[9::10] = 1e6  # the last sample of each class; only 5 + 3 = 8 are used
    a = nshot(X, y, n_train=(2, 5), n_test=3, n_repeats=2)
    b = nshot(X2, y, n_train=(2, 5), n_test=3, n_repeats=2)
    assert a.identical(b)


def test_string_labels_in_blocks_work(rng):
    X, y = blobs(rng, n_classes=4, per_class=6, dim=3, sep=20.0)
    names = np.array(["dog", "cat", "ant", "bee"])[y]
    a = nshot(X, names, n_train=(1,), n_test=3, n_repeats=2)
    b = nshot(X, y, n_train=(1,), n_test=3, n_repeats=2)
    assert a.identical(b)


# ---------------------------------------------------------------- bad input


def test_two_classes_are_too_few():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3))
    y = np.repeat([0, 1], 4)
    with pytest.raises(InvalidInputError, match="at least 3 classes"):
        prototype_performance(X, y, X, y)
    with pytest.raises(InvalidInputError, match="at least 3 classes"):
        nshot(X, y, n_train=(1,), n_test=2, n_repeats=1)


def test_labels_must_be_zero_to_k_minus_one():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(InvalidInputError, match="0..K-1"):
        prototype_performance(X, np.array([1, 1, 2, 2, 3, 3]), X, np.array([1, 1, 2, 2, 3, 3]))
    y = np.array([0, 0, 1, 1, 2, 2])
    with pytest.raises(InvalidInputError, match="0..2"):
        prototype_performance(X, y, X, np.array([0, 1, 2, 3, 0, 1]))
    with pytest.raises(InvalidInputError, match="integer class labels"):
        logistic_performance(X, y + 0.5, X, y)


def test_unequal_or_scattered_classes_are_rejected():
    X = np.zeros((10, 2))
    with pytest.raises(InvalidInputError, match="unequal sizes"):
        nshot(X, np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]), n_train=(1,), n_test=1)
    with pytest.raises(InvalidInputError, match="contiguous"):
        nshot(X, np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 3]), n_train=(1,), n_test=1)


def test_nan_features_are_rejected():
    X = np.ones((9, 2))
    X[4, 1] = np.nan
    y = np.repeat([0, 1, 2], 3)
    with pytest.raises(InvalidInputError, match="NaN"):
        nshot(X, y, n_train=(1,), n_test=1)
    with pytest.raises(InvalidInputError, match="NaN"):
        prototype_performance(np.ones((3, 2)), np.arange(3), X, y)


def test_protocol_larger_than_a_class_is_rejected():
    X = np.zeros((12, 2))
    y = np.repeat([0, 1, 2], 4)
    with pytest.raises(InvalidInputError, match=r"20 \+ 10 = 30 exceeds the 4 samples"):
        nshot(X, y)


def test_shape_mismatches_are_rejected():
    X = np.zeros((9, 2))
    with pytest.raises(ShapeMismatchError, match="one label per feature row"):
        nshot(X, np.repeat([0, 1, 2], 2), n_train=(1,), n_test=1)
    with pytest.raises(ShapeMismatchError, match="units"):
        prototype_performance(X, np.repeat([0, 1, 2], 3), np.zeros((3, 4)), np.arange(3))
    with pytest.raises(InvalidInputError, match="classifier"):
        nshot(X, np.repeat([0, 1, 2], 3), n_train=(1,), n_test=1, classifier="svm")


def test_no_warnings_on_ordinary_input(rng):
    X, y = blobs(rng, n_classes=5, per_class=6, dim=4, sep=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nshot(X, y, n_train=(1, 3), n_test=3, n_repeats=2)
