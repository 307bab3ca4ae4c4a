"""Class-manifold projection distances, as in the encoder-dimensionality study.

For every ordered pair of classes (i, j) the study (``custom_model_tools/projection_distances.py``
of Elmoznino & Bonner) measures how far class i's samples spread along the direction that
separates it from class j, raw and relative to the class's radius. Every quantity is a Euclidean
distance or an inner product of centred samples, so the analysis gives the same numbers on the
exact reduced representation ``Z = U S`` of ``X = U S Vᵀ`` provided the radius is normalised by
the original width (``n_units``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.metrics._validation import real_matrix

__all__ = ["METRICS", "projection_distances", "projection_distance_arrays"]

#: The ``metric`` coordinate of :func:`projection_distances`, in order.
METRICS = ("centroid_distances", "scaled_projections", "projections_raw")


def _check(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    X = real_matrix(features, "features", "remove or impute them first")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise ShapeMismatchError(
            f"labels has shape {labels.shape}; expected ({X.shape[0]},), one per feature row"
        )
    _, first, codes = np.unique(labels, return_index=True, return_inverse=True)
    # re-code classes in order of first appearance
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    codes = rank[codes.reshape(-1)]
    categories = labels[np.sort(first)].tolist()
    if len(categories) < 2:
        raise InvalidInputError(
            f"labels hold {len(categories)} class(es); projection distances need at least 2"
        )
    return X, codes, categories


def projection_distance_arrays(
    features: np.ndarray, labels: np.ndarray, n_units: int | None = None
) -> tuple[np.ndarray, list]:
    """The projection-distance analysis in numpy; see :func:`projection_distances`.

    Returns
    -------
    values : ndarray of shape (3, n_classes, n_classes)
        ``[centroid_distances, scaled_projections, projections_raw]`` indexed
        ``[metric, source i, target j]``.
    categories : list
        Class labels in order of first appearance.
    """
    X, codes, categories = _check(features, labels)
    if n_units is None:
        n_units = X.shape[1]
    if int(n_units) != n_units or n_units < 1:
        raise InvalidInputError(
            f"n_units is {n_units!r}; expected a positive integer (the original layer width)"
        )
    if n_units < X.shape[1]:
        raise InvalidInputError(
            f"n_units = {n_units} is smaller than the {X.shape[1]} columns of features; pass the "
            "width of the original layer"
        )
    K = len(categories)
    counts = np.bincount(codes, minlength=K)
    centroids = np.zeros((K, X.shape[1]))
    np.add.at(centroids, codes, X)
    centroids /= counts[:, None]
    centred = X - centroids[codes]
    out = np.zeros((3, K, K))
    with np.errstate(divide="ignore", invalid="ignore"):
        # radius_i = sqrt(mean over units of the unbiased per-unit variance of class i)
        ss = np.bincount(codes, weights=(centred**2).sum(axis=1), minlength=K)
        radius = np.sqrt(ss / (counts - 1) / n_units)
        for i in range(K):
            rows = centred[codes == i]
            v = centroids - centroids[i]  # (K, units): c_j - c_i for every target j
            d = np.linalg.norm(v, axis=1)
            proj = np.abs(rows @ v.T) / d  # (n_i, K)
            out[0, i] = d
            out[1, i] = (proj / radius[i]).mean(axis=0)
            out[2, i] = proj.mean(axis=0)
            out[:, i, i] = 0.0
    return out, categories


def projection_distances(
    features: np.ndarray, labels: np.ndarray, n_units: int | None = None
) -> xr.DataArray:
    """Pairwise class projection distances (the study's manifold geometry).

    Parameters
    ----------
    features : ndarray of shape (n_stimuli, n_units)
        Raw features, or their exact reduction ``Z = U S`` (then pass ``n_units``).
    labels : array of shape (n_stimuli,)
        Class of each row (any hashable values; classes need not be contiguous or equal-sized).
    n_units : int, optional
        Width used to average the per-unit variance in the radius; defaults to
        ``features.shape[1]``. Pass the original layer width for a reduced representation.

    Returns
    -------
    xarray.DataArray of shape (3, n_classes, n_classes)
        Dims ``(metric, source_category, target_category)``; categories in order of first
        appearance. For source i ≠ target j, with class means ``c``, ``v = c_j − c_i``,
        ``d = ‖v‖``, projections ``p_s = |(x_s − c_i)·v| / d`` over class i's samples and radius
        ``r_i = sqrt(Σ_s ‖x_s − c_i‖² / (n_i − 1) / n_units)``:

        - ``centroid_distances`` = ``d``
        - ``scaled_projections`` = ``mean_s(p_s / r_i)``
        - ``projections_raw`` = ``mean_s(p_s)``

        The diagonal is 0. Undefined ratios are NaN, not errors: coincident centroids
        (``d = 0``) make both projection metrics NaN; a class of identical samples (or of one
        sample) has ``r_i = 0`` (or 0/0), so its ``scaled_projections`` are NaN while its
        ``projections_raw`` are 0.

    Raises
    ------
    InvalidInputError
        NaN/inf features, fewer than 2 classes, or ``n_units`` below the number of columns.
    ShapeMismatchError
        ``labels`` does not match the rows of ``features``.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [0.0, -1.0], [4.0, 1.0], [4.0, -1.0]])
    >>> da = projection_distances(X, ["a", "a", "b", "b"])
    >>> float(da.sel(metric="centroid_distances", source_category="a", target_category="b"))
    4.0
    >>> float(da.sel(metric="projections_raw", source_category="a", target_category="b"))
    0.0
    """
    values, categories = projection_distance_arrays(features, labels, n_units)
    return xr.DataArray(
        values,
        dims=("metric", "source_category", "target_category"),
        coords={
            "metric": list(METRICS),
            "source_category": categories,
            "target_category": categories,
        },
        name="projection_distances",
    )
