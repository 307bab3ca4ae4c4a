"""Few-shot (n-shot) classification readouts, as in the encoder-dimensionality study.

The protocol is that of Elmoznino & Bonner's ``custom_model_tools/n_shot_learning.py``: for each
repeat the samples of every class are shuffled with ``np.random.seed(repeat)`` (the shuffles
accumulate across repeats), the last ``n_test`` samples of each class are the test set and the
first ``n_train`` samples the training set, and a prototype (nearest class mean) or logistic
readout is scored by top-1 / top-5 accuracy and mean reciprocal rank.

Both readouts depend on the features only through inner products, so they give the same numbers
on the exact reduced representation ``Z = U S`` of ``X = U S Vᵀ`` as on the raw features: the
prototype readout through Euclidean distances, the logistic one because it is fitted in the
principal axes of the training features (:func:`canonical_basis`; lbfgs's stopping rule is not
rotation invariant, so fitting in the given coordinates would tie the result to the basis at the
level of the solver's tolerance).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import xarray as xr
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.metrics.pairwise import euclidean_distances

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.metrics._validation import real_matrix

__all__ = [
    "CLASSIFIERS",
    "canonical_basis",
    "logistic_performance",
    "nshot",
    "nshot_arrays",
    "nshot_samples",
    "prototype_performance",
    "ranking_scores",
]

#: Readouts understood by :func:`nshot`.
CLASSIFIERS = ("prototype", "linear")
#: The fewest classes the study's scoring accepts (scikit-learn's ``top_k_accuracy_score``
#: treats two classes as a binary problem and raises on a two-column score matrix).
MIN_CLASSES = 3
#: What a NaN/inf message about the features suggests.
FINITE_HINT = "remove or impute them before classifying"


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _int_labels(y: np.ndarray, n_rows: int, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_rows:
        raise ShapeMismatchError(
            f"{what} has shape {y.shape}; expected ({n_rows},), one label per feature row"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if (
            np.issubdtype(y.dtype, np.floating)
            and np.isfinite(y).all()
            and (y == np.round(y)).all()
        ):
            y = y.astype(np.int64)
        else:
            raise InvalidInputError(
                f"{what} has dtype {y.dtype}; expected integer class labels 0..K-1"
            )
    return y.astype(np.int64, copy=False)


def _check_split(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    X_train = real_matrix(X_train, "X_train", FINITE_HINT)
    X_test = real_matrix(X_test, "X_test", FINITE_HINT)
    if X_train.shape[1] != X_test.shape[1]:
        raise ShapeMismatchError(
            f"X_train has {X_train.shape[1]} units but X_test has {X_test.shape[1]}; "
            "both must come from the same representation"
        )
    y_train = _int_labels(y_train, X_train.shape[0], "y_train")
    y_test = _int_labels(y_test, X_test.shape[0], "y_test")
    present = np.unique(y_train)
    n_classes = int(present.size)
    if present.size == 0 or present[0] != 0 or present[-1] != n_classes - 1:
        raise InvalidInputError(
            f"y_train holds the labels {present[:10].tolist()}{'...' if present.size > 10 else ''}"
            "; expected every integer 0..K-1 at least once (relabel the classes 0..K-1, e.g. "
            "with np.unique(labels, return_inverse=True)[1])"
        )
    if n_classes < MIN_CLASSES:
        raise InvalidInputError(
            f"y_train has {n_classes} class(es); top-5 accuracy and MRR as the study scores them "
            f"need at least {MIN_CLASSES} classes (with 3 to 5 classes top-5 accuracy is 1)"
        )
    if y_test.size and (y_test.min() < 0 or y_test.max() >= n_classes):
        raise InvalidInputError(
            f"y_test holds labels in [{y_test.min()}, {y_test.max()}]; expected labels "
            f"0..{n_classes - 1} (the classes seen in y_train)"
        )
    return X_train, y_train, X_test, y_test, n_classes


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def ranking_scores(scores: np.ndarray, y_true: np.ndarray) -> dict[str, float]:
    """Top-1 / top-5 accuracy and mean reciprocal rank of class scores.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
        Higher is better.
    y_true : ndarray of shape (n_samples,)
        True class index of each row, in ``0..n_classes-1``.

    Returns
    -------
    dict
        ``'accuracy (top 1)'``, ``'accuracy (top 5)'``: fraction of rows whose true class is among
        the first k of ``np.argsort(scores, kind='mergesort')[:, ::-1]`` (ties: higher class index
        first, as scikit-learn's ``top_k_accuracy_score``); ``'MRR'``: mean over rows of
        ``1 / #{c : scores[c] >= scores[true]}`` (scikit-learn's
        ``label_ranking_average_precision_score`` with one relevant label).
    """
    scores = np.asarray(scores, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    order = np.argsort(scores, axis=1, kind="mergesort")[:, ::-1]
    hit_rank = order == y_true[:, None]
    top1 = float(hit_rank[:, :1].any(axis=1).mean())
    top5 = float(hit_rank[:, :5].any(axis=1).mean())
    true_score = scores[np.arange(scores.shape[0]), y_true]
    rank = (scores >= true_score[:, None]).sum(axis=1)
    mrr = float((1.0 / rank).mean())
    return {"accuracy (top 1)": top1, "accuracy (top 5)": top5, "MRR": mrr}


def class_means(X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Class-mean centroids ``c_k = mean{x_s : y_s = k}``, shape (n_classes, n_units)."""
    return np.stack([X[y == k].mean(axis=0) for k in range(n_classes)])


def prototype_performance(
    X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, float]:
    """Score a prototype (nearest class mean) readout.

    Parameters
    ----------
    X_train : ndarray of shape (n_train, n_units)
    y_train : ndarray of shape (n_train,)
        Integer labels; every class ``0..K-1`` appears (K >= 3).
    X_test : ndarray of shape (n_test, n_units)
    y_test : ndarray of shape (n_test,)
        Integer labels in ``0..K-1``.

    Returns
    -------
    dict
        Keys ``'accuracy (top 1)'``, ``'accuracy (top 5)'``, ``'MRR'`` (see
        :func:`ranking_scores`) of the scores ``softmax(-D, axis=1)`` (float64), with
        ``D[s, k] = ‖x_s − c_k‖`` the Euclidean distance of test sample s to the mean ``c_k`` of
        the training samples of class k. ``D`` is computed as scikit-learn's
        ``pairwise_distances`` does (``sqrt(‖x‖² − 2 x·c + ‖c‖²)``), as in the study; the softmax
        only orders the classes, and where it underflows to 0 the tied classes rank by index.

    Raises
    ------
    InvalidInputError
        NaN/inf features, labels that are not 0..K-1, or fewer than 3 classes.
    ShapeMismatchError
        Inconsistent shapes.
    """
    X_train, y_train, X_test, y_test, n_classes = _check_split(X_train, y_train, X_test, y_test)
    centroids = class_means(X_train, y_train, n_classes)
    D = euclidean_distances(X_test, centroids)
    scores = softmax(-D, axis=1)
    return ranking_scores(scores, y_test)


def canonical_basis(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Express train and test features in the principal axes of the training features.

    With the thin SVD ``X_train = U S Vᵀ`` (singular values above ``S_max · n_train · eps``;
    each column of ``U`` signed so that its largest-magnitude entry is positive), returns
    ``Z_train = U S`` (n_train, r) and ``Z_test = X_test V`` (n_test, r). Both depend on the
    features only through their inner products, so any rotation of the features (in particular
    the exact reduction ``Z = U S`` of the whole representation) gives the same output up to
    rounding. A linear model fitted from zero lies in the row space of ``X_train``, so dropping
    the rest of ``X_test`` changes none of its predictions.
    """
    U, S, Vt = np.linalg.svd(X_train, full_matrices=False)
    keep = S > (S[0] if S.size else 0.0) * X_train.shape[0] * np.finfo(np.float64).eps
    U, S, Vt = U[:, keep], S[keep], Vt[keep]
    pivot = np.abs(U).argmax(axis=0)
    signs = np.sign(U[pivot, np.arange(U.shape[1])])
    signs[signs == 0] = 1.0
    return (U * signs) * S, (X_test @ Vt.T) * signs


def logistic_performance(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    canonical: bool = True,
) -> dict[str, float]:
    """Score a multinomial logistic-regression readout.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : ndarray
        As in :func:`prototype_performance`.
    canonical : bool
        Fit in the principal axes of ``X_train`` (:func:`canonical_basis`), so that raw
        features and any rotation of them (the reduced ``Z = U S``) give the same numbers. The
        penalised optimum is rotation invariant, but lbfgs stops at a tolerance checked
        coordinate-wise (max-norm of the gradient), so the fitted model, and the log likelihood,
        depend on the basis at the level of that tolerance (~1e-4). ``False`` fits the given
        coordinates, as the study did on raw activations. The canonical fit is exact (to
        rounding) across bases when lbfgs converges; when it stops at 100 iterations
        (scikit-learn's ``ConvergenceWarning``), rounding-level differences between bases can
        grow along the unconverged path (seen: up to ~5e-4 in the log likelihood).

    Returns
    -------
    dict
        ``'accuracy (top 1)'``, ``'accuracy (top 5)'``, ``'MRR'`` of the scores
        ``P = LogisticRegression().fit(X_train, y_train).predict_proba(X_test)`` (scikit-learn's
        defaults: L2 penalty, C = 1, lbfgs, 100 iterations), and ``'log likelihood'``
        ``= -log_loss(y_test, P) = mean_s log P[s, y_s]`` (scikit-learn clips P away from 0).
    """
    X_train, y_train, X_test, y_test, n_classes = _check_split(X_train, y_train, X_test, y_test)
    if canonical:
        X_train, X_test = canonical_basis(X_train, X_test)
    model = LogisticRegression()
    model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    out = ranking_scores(proba, y_test)
    out["log likelihood"] = float(-log_loss(y_test, proba, labels=np.arange(n_classes)))
    return out


_PERFORMANCE = {"prototype": prototype_performance, "linear": logistic_performance}
_VARIABLES = {
    "accuracy (top 1)": "top1",
    "accuracy (top 5)": "top5",
    "MRR": "mrr",
    "log likelihood": "log_likelihood",
}


# --------------------------------------------------------------------------------------------
# the protocol
# --------------------------------------------------------------------------------------------


def class_blocks(labels: np.ndarray, n_rows: int) -> tuple[list, int]:
    """Split labels into contiguous equal-size blocks.

    Parameters
    ----------
    labels : array of shape (n_rows,)
        Any hashable values; class k is the k-th contiguous block in order of first appearance.
    n_rows : int
        Number of feature rows.

    Returns
    -------
    categories : list
        The class labels in order of first appearance.
    block : int
        Rows per class.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_rows:
        raise ShapeMismatchError(
            f"labels has shape {labels.shape}; expected ({n_rows},), one label per feature row"
        )
    if n_rows == 0:
        raise InvalidInputError("features has no rows; nothing to classify")
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    categories = labels[starts].tolist()
    if len(set(categories)) != len(categories):
        raise InvalidInputError(
            "labels are not in contiguous blocks (a class reappears after another class); sort "
            "the rows by class, keeping each class's sample order"
        )
    sizes = np.diff(np.concatenate([starts, [n_rows]]))
    if (sizes != sizes[0]).any():
        found = dict(zip(map(str, categories), sizes.tolist(), strict=True))
        raise InvalidInputError(
            f"classes have unequal sizes {found}; the n-shot protocol needs the same number of "
            "samples in every class (keep the first min(size) rows of each)"
        )
    return categories, int(sizes[0])


def nshot_samples(n_samples: int, n_test: int, n_repeats: int) -> np.ndarray:
    """The study's per-repeat sample orders.

    ``orders = np.arange(n_samples)``; for repeat r: ``np.random.seed(r)`` then
    ``np.random.shuffle(orders)`` in place, so the shuffles accumulate. Repeat r tests on
    ``orders[r, -n_test:]`` and trains on ``orders[r, :n_train]``. The same draws are made from
    ``np.random.RandomState(r)``, so numpy's global random state is left untouched.

    Returns
    -------
    ndarray of shape (n_repeats, n_samples)
        Row r is the sample order of repeat r.
    """
    del n_test  # the split is taken by the caller; kept for a self-describing signature
    # ``np.random.seed(r); np.random.shuffle(a)`` draws from a fresh MT19937 seeded with r, which
    # is exactly ``np.random.RandomState(r).shuffle(a)``: same numbers, global state untouched.
    orders = np.arange(n_samples)
    out = np.empty((n_repeats, n_samples), dtype=np.int64)
    for r in range(n_repeats):
        np.random.RandomState(r).shuffle(orders)
        out[r] = orders
    return out


def nshot_arrays(
    features: np.ndarray,
    labels: np.ndarray,
    n_train: Sequence[int] = (1, 5, 20),
    n_test: int = 10,
    n_repeats: int = 3,
    classifier: str = "prototype",
    canonical: bool = True,
) -> dict[str, np.ndarray]:
    """The n-shot protocol in numpy; see :func:`nshot`.

    Returns
    -------
    dict of str to ndarray of shape (len(n_train), n_repeats)
        ``top1``, ``top5``, ``mrr`` (and ``log_likelihood`` for ``classifier='linear'``).
    """
    if classifier not in _PERFORMANCE:
        raise InvalidInputError(
            f"classifier {classifier!r} is unknown; expected one of {CLASSIFIERS}"
        )
    X = real_matrix(features, "features", FINITE_HINT)
    _, block = class_blocks(labels, X.shape[0])
    n_classes = X.shape[0] // block
    n_train = [int(n) for n in n_train]
    if not n_train or min(n_train) < 1:
        raise InvalidInputError(f"n_train is {n_train}; expected one or more sizes >= 1")
    if int(n_test) < 1 or int(n_repeats) < 1:
        raise InvalidInputError(f"n_test = {n_test} and n_repeats = {n_repeats}; both must be >= 1")
    n_test, n_repeats = int(n_test), int(n_repeats)
    n_samples = max(n_train) + n_test
    if n_samples > block:
        raise InvalidInputError(
            f"max(n_train) + n_test = {max(n_train)} + {n_test} = {n_samples} exceeds the "
            f"{block} samples per class; lower n_train or n_test"
        )
    if n_classes < MIN_CLASSES:
        raise InvalidInputError(
            f"labels hold {n_classes} class(es); the n-shot scores (top-5 accuracy, MRR) need at "
            f"least {MIN_CLASSES} classes"
        )
    # (class, sample, unit), only the first n_samples rows of each class
    acts = X.reshape(n_classes, block, X.shape[1])[:, :n_samples]
    perf = _PERFORMANCE[classifier]
    if classifier == "linear":
        perf = functools.partial(logistic_performance, canonical=canonical)
    orders = nshot_samples(n_samples, n_test, n_repeats)
    keys = ["accuracy (top 1)", "accuracy (top 5)", "MRR"]
    if classifier == "linear":
        keys.append("log likelihood")
    out = {_VARIABLES[k]: np.empty((len(n_train), n_repeats)) for k in keys}
    for r in range(n_repeats):
        test = orders[r, -n_test:]
        X_test = acts[:, test].reshape(-1, X.shape[1])
        y_test = np.repeat(np.arange(n_classes), n_test)
        for i, n in enumerate(n_train):
            X_train = acts[:, orders[r, :n]].reshape(-1, X.shape[1])
            y_train = np.repeat(np.arange(n_classes), n)
            scores = perf(X_train, y_train, X_test, y_test)
            for k in keys:
                out[_VARIABLES[k]][i, r] = scores[k]
    return out


def nshot(
    features: np.ndarray,
    labels: np.ndarray,
    n_train: Sequence[int] = (1, 5, 20),
    n_test: int = 10,
    n_repeats: int = 3,
    classifier: str = "prototype",
    canonical: bool = True,
) -> xr.Dataset:
    """Few-shot classification performance of a representation (the study's protocol).

    Parameters
    ----------
    features : ndarray of shape (n_stimuli, n_units)
        Raw features, or their exact reduction ``Z = U S`` (same numbers).
    labels : array of shape (n_stimuli,)
        Class of each row, in contiguous equal-size blocks; class k is the k-th block in order
        of first appearance.
    n_train : sequence of int
        Training samples per class.
    n_test : int
        Test samples per class.
    n_repeats : int
        Repeats; repeat r re-shuffles with ``np.random.seed(r)`` (cumulatively).
    classifier : {'prototype', 'linear'}
        :func:`prototype_performance` or :func:`logistic_performance`.
    canonical : bool
        For ``'linear'``: fit in the principal axes of the training features (default; exact
        on reduced representations) or, with ``False``, in the given coordinates as the study
        did (see :func:`logistic_performance`).

    Returns
    -------
    xarray.Dataset
        Dims ``(n_train, repeat)``; variables ``top1``, ``top5``, ``mrr`` (and
        ``log_likelihood`` for ``'linear'``). Only the first ``max(n_train) + n_test`` rows of
        each class are used; with ``orders`` from :func:`nshot_samples`, repeat r tests on rows
        ``orders[r, -n_test:]`` of every class and trains on ``orders[r, :n]``, stacked class by
        class. Numpy's global random state is left as it was.

    Raises
    ------
    InvalidInputError
        NaN/inf features, unequal or non-contiguous classes, fewer than 3 classes, or
        ``max(n_train) + n_test`` larger than a class.
    ShapeMismatchError
        ``labels`` does not match the rows of ``features``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.repeat(np.eye(4) * 10, 12, axis=0) + rng.standard_normal((48, 4))
    >>> ds = nshot(X, np.repeat(np.arange(4), 12), n_train=(1, 2), n_test=5, n_repeats=2)
    >>> ds.top1.dims, float(ds.mrr.min())
    (('n_train', 'repeat'), 1.0)
    """
    arrays = nshot_arrays(features, labels, n_train, n_test, n_repeats, classifier, canonical)
    attrs: dict[str, object] = {"classifier": classifier, "n_test": int(n_test)}
    if classifier == "linear":
        attrs["canonical"] = int(canonical)
    return xr.Dataset(
        {name: (("n_train", "repeat"), values) for name, values in arrays.items()},
        coords={"n_train": [int(n) for n in n_train], "repeat": np.arange(int(n_repeats))},
        attrs=attrs,
    )
