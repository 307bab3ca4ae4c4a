"""Eigenspectra and effective dimensionality of representations.

Conventions follow the encoder-dimensionality study (Elmoznino & Bonner): the eigenspectrum is
the PCA variance spectrum of the centred data with divisor ``n_stimuli − 1`` (scikit-learn's
``explained_variance_``), of length ``min(n_stimuli, n_units)``, in descending order. Every
function here is exact on a reduced representation ``Z = U S`` (pass ``n_units`` = the raw
width so that the spectrum keeps its full length).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import check_finite

PowerlawMethod = Literal["logspace50", "fix_alpha"]

#: Number of log-spaced indices of the study's power-law fit (``powerlaw_exponent``).
LOGSPACE_POINTS = 50
#: ``fix_alpha`` keeps indices n with ln n ≤ this fraction of ln N (drops the spectrum's tail).
FIX_ALPHA_TAIL = 0.95


def _as_matrix(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2:
        raise InvalidInputError(f"X has shape {X.shape}; expected (n_stimuli, n_units, ...)")
    X = X.reshape(X.shape[0], -1)
    if X.shape[0] < 2:
        raise InvalidInputError(f"X has {X.shape[0]} stimuli; a spectrum needs at least 2")
    return check_finite(X, "X")


def eigenspectrum(X: np.ndarray, *, n_units: int | None = None) -> np.ndarray:
    """PCA variance spectrum ``λ`` of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_stimuli, n_units, ...)
        Data; more than 2 dims are flattened per stimulus.
    n_units : int, optional
        Width of the raw data when ``X`` is a reduced representation; the spectrum then has the
        raw length ``min(n_stimuli, n_units)`` (trailing zeros).

    Returns
    -------
    ndarray of shape (min(n_stimuli, n_units),)
        ``λ_i = s_i² / (n − 1)``, with ``s`` the singular values of the column-centred ``X``.
    """
    X = _as_matrix(X)
    width = X.shape[1] if n_units is None else int(n_units)
    centred = X - X.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    spectrum = np.zeros(min(X.shape[0], width))
    k = min(len(s), len(spectrum))
    spectrum[:k] = s[:k] ** 2 / (X.shape[0] - 1)
    return spectrum


def _spectrum(X_or_spectrum: np.ndarray, n_units: int | None) -> np.ndarray:
    arr = np.asarray(X_or_spectrum, dtype=np.float64)
    return arr if arr.ndim == 1 else eigenspectrum(arr, n_units=n_units)


def effective_dimensionality(X_or_spectrum: np.ndarray, *, n_units: int | None = None) -> float:
    """Participation ratio of the eigenspectrum.

    Notes
    -----
    ``ED = (Σᵢ λᵢ)² / Σᵢ λᵢ²``; it lies in [1, rank] and equals r for r equal nonzero
    variances.

    References
    ----------
    Elmoznino & Bonner (2024), "High-performing neural network models of visual cortex benefit
    from high latent dimensionality", PLoS Comput Biol.

    Examples
    --------
    >>> effective_dimensionality(np.array([1.0, 1.0, 1.0, 0.0]))
    3.0
    """
    lam = _spectrum(X_or_spectrum, n_units)
    total = float((lam**2).sum())
    if total == 0.0:
        raise InvalidInputError("the spectrum is all zeros (constant data): ED is undefined")
    return float(lam.sum() ** 2 / total)


def powerlaw_exponent(
    X_or_spectrum: np.ndarray, *, method: PowerlawMethod = "logspace50", n_units: int | None = None
) -> float:
    """Decay exponent α of a power-law fit ``λ_n ∝ n^(−α)`` to the eigenspectrum.

    Notes
    -----
    ``"logspace50"`` (the study's ``powerlaw_exponent``): indices
    ``idx = round(logspace(0, log10 N, 50))`` with their duplicates; ordinary least squares with
    intercept of ``log10 λ[idx−1]`` on ``log10 idx``; ``α = −slope``. The last eigenvalue is
    always included, so for wide data (n_stimuli ≤ n_units) the null eigenvalue of centring
    makes this estimate meaningless.

    ``"fix_alpha"`` (the study's later correction): indices ``n = 1..N`` with
    ``ln n ≤ 0.95 ln N``, least squares of ``ln λ_n`` on ``ln n`` over all of them.
    """
    lam = _spectrum(X_or_spectrum, n_units)
    N = len(lam)
    if method == "logspace50":
        idx = np.logspace(0, np.log10(N), num=LOGSPACE_POINTS).round().astype(int)
        x, y = np.log10(idx), np.log10(lam[idx - 1])
    elif method == "fix_alpha":
        n = np.arange(1, N + 1)
        keep = np.log(n) <= FIX_ALPHA_TAIL * np.log(N)
        x, y = np.log(n[keep]), np.log(lam[keep])
    else:
        raise InvalidInputError(f"method {method!r}; choose 'logspace50' or 'fix_alpha'")
    if len(x) < 2 or not np.isfinite(y).all():
        return float("nan")
    slope = np.polyfit(x, y, 1)[0]
    return float(-slope)


def n_components_for_variance(
    X_or_spectrum: np.ndarray, fraction: float = 0.8, *, n_units: int | None = None
) -> int:
    """Smallest k with ``Σ_{i≤k} λᵢ / Σᵢ λᵢ ≥ fraction`` (1-based)."""
    if not 0 < fraction <= 1:
        raise InvalidInputError(f"fraction={fraction}; expected a value in (0, 1]")
    lam = _spectrum(X_or_spectrum, n_units)
    cumulative = np.cumsum(lam) / lam.sum()
    return int(np.searchsorted(cumulative, fraction, side="left") + 1)


def twonn_dimension(X: np.ndarray) -> float:
    """Intrinsic dimension by the TwoNN estimator (Facco et al. 2017).

    Notes
    -----
    For each point ``μ = r₂ / r₁`` (distances to its two nearest neighbours). With ``ln μ``
    sorted ascending and ``yᵢ = −ln(1 − i/N)`` for ``i = 0..N−1``, the dimension is the slope
    of a least-squares line through the origin: ``d = Σ xᵢ yᵢ / Σ xᵢ²``.
    """
    from sklearn.neighbors import NearestNeighbors

    X = _as_matrix(X)
    dist, _ = NearestNeighbors(n_neighbors=3).fit(X).kneighbors(X)
    with np.errstate(divide="ignore"):
        mu = dist[:, 2] / dist[:, 1]
    if not np.isfinite(mu).all():
        raise InvalidInputError("X has duplicate rows; TwoNN needs distinct points")
    x = np.sort(np.log(mu))
    y = -np.log(1 - np.arange(len(x)) / len(x))
    return float((x @ y) / (x @ x))
