"""Input checks and small numeric helpers shared by the math: arrays, tensors or labelled
arrays in, finite float64 matrices out; clipped angles; keyword-argument checks.

Nothing here imports xarray: a labelled array is recognised by its ``dims`` and
``transpose`` (duck typing), and dim names come from :mod:`repgeom.dims`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from repgeom.dims import STIMULUS as STIMULUS_DIM
from repgeom.errors import InvalidInputError, ShapeMismatchError

#: What a NaN/inf message suggests by default.
FINITE_HINT = "remove or impute them"


def check_finite(X: np.ndarray, name: str = "X", hint: str = FINITE_HINT) -> np.ndarray:
    """Return ``X`` unchanged, or raise :class:`InvalidInputError` counting its NaN/inf
    entries (the one finiteness check of the math)."""
    if not np.isfinite(X).all():
        bad = int((~np.isfinite(X)).sum())
        raise InvalidInputError(f"{name} holds {bad} NaN/inf values; {hint}")
    return X


def as_matrix(X: Any, name: str = "X", *, min_rows: int = 2) -> np.ndarray:
    """Return ``X`` as a finite float64 (n_stimuli, n_units) matrix.

    Accepts numpy arrays, torch tensors and labelled arrays (xarray-like: ``dims`` and
    ``transpose``); a labelled array must have a ``stimulus`` dim, which becomes the rows (all
    other dims are flattened into units).
    """
    if hasattr(X, "dims") and hasattr(X, "transpose"):  # a labelled array
        if STIMULUS_DIM not in X.dims:
            raise ShapeMismatchError(
                f"{name} is a DataArray with dims {tuple(X.dims)}; it needs a "
                f"{STIMULUS_DIM!r} dim for the rows"
            )
        X = X.transpose(STIMULUS_DIM, ...).values
    elif hasattr(X, "detach") and hasattr(X, "cpu"):  # torch.Tensor
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1 or X.ndim == 0:
        raise ShapeMismatchError(f"{name} has shape {X.shape}; expected (n_stimuli, n_units)")
    X = X.reshape(X.shape[0], -1)
    if X.shape[0] < min_rows:
        raise InvalidInputError(f"{name} has {X.shape[0]} stimuli; at least {min_rows} needed")
    return check_finite(X, name)


def real_matrix(X: Any, name: str = "X", hint: str = FINITE_HINT) -> np.ndarray:
    """Return ``X``, a 2-d array of real numbers, as a finite float64 (n_stimuli, n_units)
    matrix (no reshaping, no conversion from tensors or labelled arrays: see :func:`as_matrix`).

    Raises :class:`ShapeMismatchError` unless ``X`` is 2-d and :class:`InvalidInputError` for a
    non-numeric or complex dtype or NaN/inf entries (the message ends with ``hint``).
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ShapeMismatchError(f"{name} has shape {X.shape}; expected (n_stimuli, n_units)")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise InvalidInputError(f"{name} has dtype {X.dtype}; expected real numbers")
    return check_finite(X.astype(np.float64, copy=False), name, hint)


def check_same_stimuli(X: np.ndarray, Y: np.ndarray) -> None:
    """Raise :class:`ShapeMismatchError` unless both matrices have the same number of rows."""
    if X.shape[0] != Y.shape[0]:
        raise ShapeMismatchError(
            f"X has {X.shape[0]} stimuli, Y has {Y.shape[0]}; both must index the same "
            "stimuli — select them with repgeom.store.align_stimuli(a, b)"
        )


def check_widths(X: np.ndarray, Y: np.ndarray, zero_pad: bool) -> None:
    """Without zero padding both widths must agree (netrep's message)."""
    if not zero_pad and X.shape[1] != Y.shape[1]:
        raise ValueError(
            "Expected arrays with equal dimensions, but got arrays with shapes "
            f"{X.shape} and {Y.shape}. Set zero_pad=True to compare different widths."
        )


def angle(cosine: float | np.ndarray) -> float | np.ndarray:
    """``θ = arccos(clip(cos, −1, 1))``: rounding can push a cosine past ±1.

    Examples
    --------
    >>> float(angle(1 + 1e-15))
    0.0
    """
    return np.arccos(np.clip(cosine, -1.0, 1.0))


def check_kwargs(owner: str, given: Mapping[str, Any], accepted: Collection[str]) -> None:
    """Raise :class:`TypeError` naming the accepted parameters when ``given`` holds others.

    Examples
    --------
    >>> check_kwargs("cka", {"bogus": 1}, ("kernel", "estimator"))
    Traceback (most recent call last):
    ...
    TypeError: cka got unexpected keyword argument(s) ['bogus']; accepted: ['estimator', 'kernel']
    """
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise TypeError(
            f"{owner} got unexpected keyword argument(s) {unknown}; accepted: {sorted(accepted)}"
        )
