"""Noise covariance and precision estimates from residuals (rsatoolbox's conventions).

Residuals ``R`` (n observations × p channels) are first demeaned per channel; ``dof``
defaults to ``n − 1``. ``prec_from_residuals`` is the inverse of ``cov_from_residuals``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import check_finite

NoiseMethod = Literal["full", "diag", "shrinkage_eye", "shrinkage_diag"]
NOISE_METHODS: tuple[NoiseMethod, ...] = ("full", "diag", "shrinkage_eye", "shrinkage_diag")


def _residuals(residuals: np.ndarray) -> np.ndarray:
    R = np.asarray(residuals, dtype=np.float64)
    if R.ndim != 2 or R.shape[0] < 2:
        raise InvalidInputError(f"residuals have shape {R.shape}; expected (n_obs ≥ 2, n_channels)")
    return check_finite(R, "residuals") - R.mean(axis=0)


def _shrinkage_eye(R: np.ndarray, dof: int) -> np.ndarray:
    """Ledoit–Wolf shrinkage towards ``m I`` (covariance divided by n, rescaled to dof)."""
    n, p = R.shape
    S = R.T @ R / n
    # Σ_t ‖r_t r_tᵀ − S‖²_F = Σ_t (‖r_t‖⁴ − 2 r_tᵀ S r_t) + n ‖S‖²_F
    sq = np.sum(R**2, axis=1)
    b2 = (np.sum(sq**2) - 2 * np.sum((R @ S) * R) + n * np.sum(S**2)) / n**2
    m = np.trace(S) / p
    d2 = np.sum((S - m * np.eye(p)) ** 2)
    b2 = min(b2, d2)
    shrink = b2 / d2 if d2 > 0 else 1.0
    return (shrink * m * np.eye(p) + (1 - shrink) * S) * n / dof


def _shrinkage_diag(R: np.ndarray, dof: int) -> np.ndarray:
    """Schäfer–Strimmer shrinkage of the correlations towards zero (diagonal target)."""
    n, _ = R.shape
    S = R.T @ R / dof
    s = np.sqrt(np.diag(S))
    Rs = R / s
    r = Rs.T @ Rs / (n - 1)
    w = (Rs**2).T @ (Rs**2) / (n - 1)
    v = n / dof**2 * (w - r**2)
    off = ~np.eye(len(s), dtype=bool)
    denom = np.sum(r[off] ** 2)
    lam = float(np.clip(np.sum(v[off]) / denom, 0, 1)) if denom > 0 else 1.0
    out = S.copy()
    out[off] *= 1 - lam
    return out


def cov_from_residuals(
    residuals: np.ndarray, dof: int | None = None, method: NoiseMethod = "shrinkage_diag"
) -> np.ndarray:
    """Noise covariance (p × p) from residuals.

    Notes
    -----
    ``full``: ``RᵀR / dof``. ``diag``: its diagonal. ``shrinkage_eye`` (Ledoit & Wolf 2004):
    with ``S = RᵀR / n``, ``b² = min(n⁻² Σ_t ‖r_t r_tᵀ − S‖², d²)``, ``d² = ‖S − mI‖²``,
    ``m = tr S / p``: ``(b²/d²) m I + (1 − b²/d²) S``, times ``n / dof``. ``shrinkage_diag``
    (Schäfer & Strimmer 2005): off-diagonal entries of ``RᵀR / dof`` shrunk by ``1 − λ``,
    ``λ = clip(Σ_{k≠l} Var(r_kl) / Σ_{k≠l} r_kl², 0, 1)``.
    """
    R = _residuals(residuals)
    dof = R.shape[0] - 1 if dof is None else int(dof)
    if method == "full":
        return R.T @ R / dof
    if method == "diag":
        return np.diag(np.sum(R**2, axis=0) / dof)
    if method == "shrinkage_eye":
        return _shrinkage_eye(R, dof)
    if method == "shrinkage_diag":
        return _shrinkage_diag(R, dof)
    raise InvalidInputError(f"method={method!r}; choose one of {NOISE_METHODS}")


def prec_from_residuals(
    residuals: np.ndarray, dof: int | None = None, method: NoiseMethod = "shrinkage_diag"
) -> np.ndarray:
    """Noise precision: the inverse of :func:`cov_from_residuals`."""
    return np.linalg.inv(cov_from_residuals(residuals, dof=dof, method=method))


def cov_from_unbalanced(
    X: np.ndarray,
    descriptor: np.ndarray,
    dof: int | None = None,
    method: NoiseMethod = "shrinkage_diag",
) -> np.ndarray:
    """Covariance of ``X`` after removing each condition's mean (conditions from
    ``descriptor``); ``dof = n_obs − n_conditions`` by default."""
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(descriptor)
    if len(labels) != len(X):
        raise InvalidInputError(f"{len(labels)} labels for {len(X)} observations")
    values, index = np.unique(labels, return_inverse=True)
    means = np.stack([X[index == k].mean(axis=0) for k in range(len(values))])
    dof = len(X) - len(values) if dof is None else dof
    return cov_from_residuals(X - means[index], dof=dof, method=method)
