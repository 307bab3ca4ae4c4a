"""Cross-validated encoding models from representations to neural responses.

Ridge and kernel ridge follow himalaya (``RidgeCV``, ``KernelRidgeCV``): K folds over
stimuli choose one alpha per neuroid (nested inside any outer split), the final model is
refit on all training stimuli, and held-out predictions are scored by Pearson r per neuroid.
Ridge on the numpy backend is :func:`ridge_cv` (himalaya's result from one factorisation per
fold); the torch backends and kernel ridge call himalaya itself.
``model="pls"`` reruns the encoder-dimensionality study's protocol (Brain-Score's 25-component
``PLSRegression``). The math layer takes numpy arrays (stimuli × features); ridge is rotation
invariant, so exact reduced representations (:mod:`repgeom.reduce`) give the raw results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import KFold, check_cv

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.metrics._validation import as_matrix, check_same_stimuli

Model = Literal["ridge", "kernel_ridge", "pls"]
Backend = Literal["numpy", "torch", "torch_cuda"]
#: Default alpha grid: 10^-2 … 10^6, two per decade.
DEFAULT_ALPHAS = tuple(np.logspace(-2, 6, 17))
#: Components of the study's PLS regression (Brain-Score's pls_regression).
PLS_COMPONENTS = 25


@dataclass(frozen=True)
class EncodingResult:
    """Held-out performance of an encoding model.

    Attributes
    ----------
    pearson_r : ndarray of shape (n_neuroids,)
        Correlation across held-out stimuli between predicted and measured responses.
    predictions : ndarray of shape (n_test, n_neuroids)
        Held-out predictions (every stimulus once, with an outer K-fold).
    best_alphas : ndarray of shape (n_neuroids,) or (n_folds, n_neuroids)
        Alpha chosen per neuroid (per outer fold); NaN for PLS.
    cv_scores : ndarray, same shape as ``best_alphas``
        Inner cross-validation score (negative mean squared error) at the chosen alpha.
    """

    pearson_r: np.ndarray
    predictions: np.ndarray
    best_alphas: np.ndarray
    cv_scores: np.ndarray


@contextlib.contextmanager
def _himalaya_backend(name: Backend) -> Iterator[None]:
    """Use a himalaya backend for one call and restore the previous one (himalaya keeps the
    backend in a module-level global; repgeom never leaves it changed)."""
    from himalaya.backend import get_backend, set_backend

    previous = get_backend().name
    set_backend(name, on_error="raise")
    try:
        yield
    finally:
        set_backend(previous)


def pearson_r(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Pearson correlation per column: ``Σ(y−ȳ)(ŷ−ŷ̄) / (‖y−ȳ‖ ‖ŷ−ŷ̄‖)``; 0 where either column
    is constant (nothing predicted, nothing to predict)."""
    yt = y_true - y_true.mean(0)
    yp = y_pred - y_pred.mean(0)
    denom = np.linalg.norm(yt, axis=0) * np.linalg.norm(yp, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.sum(yt * yp, axis=0) / denom
    return np.where(denom > 0, r, 0.0)


def _fit_predict(
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray,
    *,
    alphas: Sequence[float],
    cv: Any,
    fit_intercept: bool,
    model: Model,
    backend: Backend,
    kernel: str,
    kernel_params: dict | None,
    n_components: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One train/test split: predictions, best alphas, cv scores."""
    n_targets = Y_train.shape[1]
    if model == "pls":
        from sklearn.cross_decomposition import PLSRegression

        k = min(n_components, X_train.shape[0] - 1, X_train.shape[1])
        pls = PLSRegression(n_components=k, scale=False).fit(X_train, Y_train)
        nan = np.full(n_targets, np.nan)
        return np.asarray(pls.predict(X_test)).reshape(len(X_test), n_targets), nan, nan
    if model == "ridge" and backend == "numpy":  # any shape: one factorisation per fold
        return ridge_cv(X_train, Y_train, X_test, alphas=alphas, cv=cv, fit_intercept=fit_intercept)
    from himalaya.backend import get_backend
    from himalaya.kernel_ridge import KernelRidgeCV
    from himalaya.ridge import RidgeCV

    if model == "ridge" and X_train.shape[0] < X_train.shape[1]:
        # fewer stimuli than features: the linear-kernel form gives the same predictions and
        # alphas, faster (himalaya's own advice for its solvers)
        model, kernel, kernel_params = "kernel_ridge", "linear", None
    with _himalaya_backend(backend):
        if model == "ridge":
            est = RidgeCV(alphas=np.asarray(alphas), cv=cv, fit_intercept=fit_intercept)
        else:
            est = KernelRidgeCV(
                alphas=np.asarray(alphas),
                kernel=kernel,
                kernel_params=kernel_params,
                cv=cv,
                fit_intercept=fit_intercept,
            )
        est.fit(X_train, Y_train)
        to_numpy = get_backend().to_numpy
        return (
            np.asarray(to_numpy(est.predict(X_test)), dtype=np.float64),
            np.asarray(to_numpy(est.best_alphas_), dtype=np.float64),
            np.asarray(to_numpy(est.cv_scores_), dtype=np.float64).reshape(-1),
        )


def ridge_cv(
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: Any = 5,
    fit_intercept: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ridge with one alpha per target chosen by K folds: himalaya's ``RidgeCV`` (svd solver)
    exactly, from one SVD per fold shared by every alpha and target.

    For a fold with training rows ``X = U S Vᵀ`` the validation predictions at ``α`` are
    ``X_val V diag(s / (s² + α)) Uᵀ Y`` (from the kernel ``X Xᵀ`` when features outnumber
    rows); each target's score is the negative mean squared error
    ``−‖y_val − ŷ‖² / n_val``, averaged over folds (plus himalaya's tie-break toward larger
    alphas, ``10⁻¹⁰ log α``). The best alpha per target is refit on all training rows:
    ``W = V diag(s / (s² + α)) Uᵀ Y``. With ``fit_intercept`` X and Y are centred by their
    training means (per fold as well), and the prediction is ``(x − x̄) W + ȳ``.

    himalaya forms the (alphas × n_val × n_train) resolution matrices ``X_val V diag(·) Uᵀ``
    for every fold; here the two thin products ``X_val V`` and ``Uᵀ Y`` are formed once and
    each alpha costs ``n_val · rank · n_targets``: 3–12× faster than himalaya's fastest form
    at the paper config's 64–2,048 features (``benchmarks/bench_encoding.py --solvers``), same
    alphas and predictions (``tests/unit/test_encoding.py`` checks it against himalaya).

    Parameters
    ----------
    X_train : ndarray of shape (n_stimuli, n_features)
    Y_train : ndarray of shape (n_stimuli, n_targets)
    X_test : ndarray of shape (n_test, n_features)
        Computed in float64 whatever their dtype.

    Returns
    -------
    predictions : ndarray of shape (n_test, n_targets)
    best_alphas, cv_scores : ndarray of shape (n_targets,)
        As himalaya's ``best_alphas_`` and ``cv_scores_`` (the mean score at the best alpha,
        tie-break term included).
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    X, Y, X_test = (np.asarray(a, dtype=np.float64) for a in (X_train, Y_train, X_test))
    x_offset, y_offset = X.mean(0), Y.mean(0)
    if fit_intercept:
        X, Y = X - x_offset, Y - y_offset
    splits = list(check_cv(cv).split(X))
    if any(len(train) == 0 or len(val) == 0 for train, val in splits):
        raise InvalidInputError(f"cv={cv!r} gives an empty training or validation fold")
    scores = np.empty((len(splits), len(alphas), Y.shape[1]))
    for fold, (train, val) in enumerate(splits):
        X_tr, X_val, Y_tr, Y_val = X[train], X[val], Y[train], Y[val]
        if fit_intercept:
            x_mean, y_mean = X_tr.mean(0), Y_tr.mean(0)
            X_tr, X_val, Y_tr, Y_val = X_tr - x_mean, X_val - x_mean, Y_tr - y_mean, Y_val - y_mean
        left, UtY, power = _factors(X_tr, Y_tr, X_val)
        for a, alpha in enumerate(alphas):
            pred = (left * _inverse(power, alpha)) @ UtY
            scores[fold, a] = -((Y_val - pred) ** 2).sum(0) / len(val)
    mean = scores.mean(0) + 1e-10 * np.log(alphas)[:, None]
    best = mean.argmax(0)
    cv_scores = mean[best, np.arange(Y.shape[1])]
    left, UtY, power = _factors(X, Y, X_test - x_offset if fit_intercept else X_test)
    predictions = np.empty((len(X_test), Y.shape[1]))
    for a in np.unique(best):
        cols = best == a
        predictions[:, cols] = (left * _inverse(power, alphas[a])) @ UtY[:, cols]
    if fit_intercept:
        predictions += y_offset
    return predictions, alphas[best], cv_scores


def _factors(
    X: np.ndarray, Y: np.ndarray, X_new: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X_new V diag(s)``, ``Uᵀ Y`` and ``s²`` of the thin SVD ``X = U diag(s) Vᵀ``, so that
    ridge predicts ``X_new V diag(s / (s² + α)) Uᵀ Y = (X_new V diag(s)) diag(1 / (s² + α))
    Uᵀ Y``. With fewer rows than features, from the kernel ``X Xᵀ = U diag(s²) Uᵀ`` instead
    (``X_new V diag(s) = X_new Xᵀ U``: an n × n eigendecomposition, himalaya's kernel form)."""
    if X.shape[0] < X.shape[1]:
        power, U = np.linalg.eigh(X @ X.T)
        return (X_new @ X.T) @ U, U.T @ Y, np.maximum(power, 0.0)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return (X_new @ Vt.T) * s, U.T @ Y, s**2


def _inverse(power: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge's filter on ``X_new V diag(s)``: ``1 / (s² + α)`` (0 where ``s² + α = 0``)."""
    denom = power + alpha
    return np.divide(1.0, denom, out=np.zeros_like(power), where=denom > 0)


def fit_encoding(
    X_train: Any,
    Y_train: Any,
    X_test: Any = None,
    Y_test: Any = None,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: Any = 5,
    outer_cv: Any = 5,
    fit_intercept: bool = False,
    model: Model = "ridge",
    backend: Backend = "numpy",
    kernel: str = "linear",
    kernel_params: dict | None = None,
    n_components: int = PLS_COMPONENTS,
) -> EncodingResult:
    """Fit a cross-validated encoding model and score it on held-out stimuli.

    Parameters
    ----------
    X_train : array-like of shape (n_stimuli, n_features)
        Representation (raw or exact reduced).
    Y_train : array-like of shape (n_stimuli, n_neuroids)
        Responses (e.g. trial-averaged).
    X_test, Y_test : array-like, optional
        Held-out stimuli. Without them an outer K-fold (``outer_cv``) over the training
        stimuli gives out-of-fold predictions for every stimulus.
    alphas : sequence of float
        Ridge penalty grid; one alpha is chosen per neuroid by the inner ``cv``.
    cv : int or sklearn splitter
        Inner folds for alpha selection (himalaya: int → contiguous KFold).
    outer_cv : int or sklearn splitter
        Outer folds when no test set is given.
    fit_intercept : bool
        Centre X and Y with training means (himalaya's convention).
    model : {"ridge", "kernel_ridge", "pls"}
        himalaya RidgeCV, KernelRidgeCV, or scikit-learn PLSRegression (``n_components``,
        no alpha).
    backend : {"numpy", "torch", "torch_cuda"}
        himalaya backend for this call only.

    Returns
    -------
    EncodingResult

    Notes
    -----
    For each neuroid, ridge ``W = (XᵀX + αI)⁻¹XᵀY`` with ``α`` maximising the inner folds'
    negative mean squared error; ``r = corr(y_test, X_test W)`` across held-out stimuli.
    """
    X_train, Y_train = as_matrix(X_train, "X_train"), as_matrix(Y_train, "Y_train")
    check_same_stimuli(X_train, Y_train)
    if model not in ("ridge", "kernel_ridge", "pls"):
        raise InvalidInputError(f"model={model!r}; choose 'ridge', 'kernel_ridge' or 'pls'")
    options = dict(
        alphas=alphas,
        cv=cv,
        fit_intercept=fit_intercept,
        model=model,
        backend=backend,
        kernel=kernel,
        kernel_params=kernel_params,
        n_components=n_components,
    )
    if (X_test is None) != (Y_test is None):
        raise InvalidInputError("give both X_test and Y_test, or neither")
    if X_test is not None:
        X_test, Y_test = as_matrix(X_test, "X_test", min_rows=2), as_matrix(Y_test, "Y_test")
        check_same_stimuli(X_test, Y_test)
        if X_test.shape[1] != X_train.shape[1] or Y_test.shape[1] != Y_train.shape[1]:
            raise ShapeMismatchError(
                f"train is {X_train.shape} -> {Y_train.shape}, test is {X_test.shape} -> "
                f"{Y_test.shape}; features and neuroids must match"
            )
        pred, best, scores = _fit_predict(X_train, Y_train, X_test, **options)
        return EncodingResult(pearson_r(Y_test, pred), pred, best, scores)
    splitter = KFold(n_splits=outer_cv) if isinstance(outer_cv, int) else outer_cv
    n_folds = splitter.get_n_splits()
    inner = cv if isinstance(cv, int) else splitter.get_n_splits()
    if len(X_train) < n_folds * max(inner, 2):
        raise InvalidInputError(
            f"{len(X_train)} stimuli are too few for {n_folds} outer × {inner} inner folds; "
            "use fewer folds or more stimuli"
        )
    predictions = np.zeros_like(Y_train)
    bests, scores = [], []
    for train, test in splitter.split(X_train):
        pred, best, score = _fit_predict(X_train[train], Y_train[train], X_train[test], **options)
        predictions[test] = pred
        bests.append(best)
        scores.append(score)
    return EncodingResult(
        pearson_r(Y_train, predictions), predictions, np.stack(bests), np.stack(scores)
    )


def _nan_mean(x: np.ndarray, axis: int) -> np.ndarray:
    """Mean over ``axis`` of the non-NaN entries; NaN where there is none (no warning)."""
    ok = ~np.isnan(x)
    count = ok.sum(axis=axis)
    total = np.where(ok, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def pearson_r_complete(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """:func:`pearson_r` per column over the rows where both values are present (not NaN);
    NaN for a column with fewer than 3 such rows."""
    ok = ~(np.isnan(y_true) | np.isnan(y_pred))
    if ok.all():
        return pearson_r(y_true, y_pred)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(ok, y_true, 0.0)
        b = np.where(ok, y_pred, 0.0)
        da = np.where(ok, y_true - a.sum(0) / np.maximum(n, 1), 0.0)
        db = np.where(ok, y_pred - b.sum(0) / np.maximum(n, 1), 0.0)
        denom = np.sqrt((da**2).sum(0) * (db**2).sum(0))
        r = np.where(denom > 0, (da * db).sum(0) / denom, 0.0)
    return np.where(n >= 3, r, np.nan)


def noise_ceiling(
    trials: np.ndarray, n_splits: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split-half reliability with the Spearman–Brown correction; NaN marks a missing trial.

    Parameters
    ----------
    trials : ndarray of shape (n_stimuli, n_repetitions, n_neuroids)
        Single trials; NaN where a trial was not recorded (inf is an error).
    n_splits : int
        Random splits of the repetitions into halves.
    seed : int
        ``numpy.random.default_rng(seed)`` draws ``permutation(n_repetitions)`` once per split.

    Returns
    -------
    r_half, ceiling : ndarray of shape (n_neuroids,)

    Notes
    -----
    Per split, halves ``A = perm[:R//2]`` and ``B = perm[R//2:]``; ``r_s`` is the Pearson r
    across stimuli of the two half-means. ``r_half`` is the mean over splits (no Fisher z) and
    ``ceiling = 2 r_half / (1 + r_half)`` estimates the reliability of the mean over all R
    repetitions. repgeom normalises encoding scores as ``r / ceiling`` (Brain-Score's
    convention); some papers divide by ``sqrt(ceiling)`` instead.

    Missing trials: a half-mean is the mean of the half's valid trials; a stimulus enters a
    split's correlation for a neuroid when both halves hold a valid trial of it (a split with
    fewer than 3 such stimuli gives no ``r_s``); ``r_half`` is the mean over the splits that
    give one (NaN if none). Without NaN this is exactly the estimator above.
    """
    trials = np.asarray(trials, dtype=np.float64)
    if trials.ndim != 3:
        raise ShapeMismatchError(
            f"trials have shape {trials.shape}; expected (stimulus, repetition, neuroid)"
        )
    if trials.shape[1] < 2:
        raise InvalidInputError("a split-half ceiling needs at least 2 repetitions")
    n_inf = int(np.isinf(trials).sum())
    if n_inf:
        raise InvalidInputError(
            f"trials hold {n_inf} inf values; NaN marks a missing trial, inf is never valid"
        )
    missing = np.isnan(trials)
    rng = np.random.default_rng(seed)
    n_rep = trials.shape[1]
    rs = []
    for _ in range(n_splits):
        perm = rng.permutation(n_rep)
        if missing.any():
            half_a = _nan_mean(trials[:, perm[: n_rep // 2]], axis=1)
            half_b = _nan_mean(trials[:, perm[n_rep // 2 :]], axis=1)
            rs.append(pearson_r_complete(half_a, half_b))
        else:
            half_a = trials[:, perm[: n_rep // 2]].mean(axis=1)
            half_b = trials[:, perm[n_rep // 2 :]].mean(axis=1)
            rs.append(pearson_r(half_a, half_b))
    if missing.any():
        r_half = _nan_mean(np.asarray(rs), axis=0)
    else:
        r_half = np.mean(rs, axis=0)
    return r_half, 2 * r_half / (1 + r_half)
