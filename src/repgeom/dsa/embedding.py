"""Delay (Hankel) embedding of time series (numpy: :func:`delay_embed`; torch, under
dsa-metric's name: :func:`embed_signal_torch`)."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import torch

from repgeom.dims import TIME
from repgeom.errors import InvalidInputError
from repgeom.metrics._validation import check_finite


def as_series(data: Any, name: str = "data") -> np.ndarray:
    """A float64 array of shape (time × dims) or (trials × time × dims), checked.

    Accepts numpy arrays, torch tensors and xarray DataArrays (a DataArray with a ``time``
    dim is transposed so that ``time`` comes right before the last dim).
    """
    if hasattr(data, "dims") and TIME in data.dims:
        others = [d for d in data.dims if d != TIME]
        data = data.transpose(*others[:-1], TIME, others[-1]).values if others else data.values
    if hasattr(data, "detach"):
        data = data.detach().cpu().numpy()
    X = np.asarray(data, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim not in (2, 3):
        raise InvalidInputError(
            f"{name} must be (time × dims) or (trials × time × dims); got shape {X.shape}"
        )
    return check_finite(X, name)


ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


def _delay_blocks(
    X: ArrayT, n_delays: int, delay_interval: int, min_length: int, too_short: str
) -> list[ArrayT]:
    """The ``d = n_delays`` time slices of the Hankel embedding of ``X`` (time on axis −2),
    newest first: slice k is ``X[..., span − kτ : T − kτ, :]`` with ``span = (d−1)τ``.

    Raises :class:`InvalidInputError` when ``d`` or ``τ`` is below 1, or with ``too_short``
    (a :meth:`str.format` template of ``T``, ``n_delays``, ``delay_interval`` and
    ``need = span + min_length``) when the embedding keeps fewer than ``min_length`` time points.
    """
    if n_delays < 1 or delay_interval < 1:
        raise InvalidInputError(
            f"n_delays and delay_interval must be ≥ 1; got {n_delays} and {delay_interval}"
        )
    T = X.shape[-2]
    span = (n_delays - 1) * delay_interval
    if T - span < min_length:
        raise InvalidInputError(
            too_short.format(
                T=T, n_delays=n_delays, delay_interval=delay_interval, need=span + min_length
            )
        )
    return [X[..., span - k * delay_interval : T - k * delay_interval, :] for k in range(n_delays)]


def delay_embed(data: Any, n_delays: int = 1, delay_interval: int = 1) -> np.ndarray:
    """Hankel embedding with ``d = n_delays`` blocks spaced ``τ = delay_interval`` apart.

    Row ``t`` of the result is ``[x(t + (d−1)τ), x(t + (d−2)τ), …, x(t)]`` (newest block
    first, as dsa-metric), so (T × n) becomes (T − (d−1)τ) × nd; trials (K × T × n) are
    embedded one by one into (K × T' × nd).
    """
    X = as_series(data)
    blocks = _delay_blocks(
        X,
        n_delays,
        delay_interval,
        2,
        "{T} time points are too few for n_delays={n_delays} with "
        "delay_interval={delay_interval}: the embedding needs at least {need}",
    )
    return np.concatenate(blocks, axis=-1)


def embed_signal_torch(data: Any, n_delays: int, delay_interval: int = 1) -> torch.Tensor:
    """dsa-metric's ``embed_signal_torch``: the delay embedding of :func:`delay_embed` as a
    torch tensor, on the input's device and in its dtype.

    Parameters
    ----------
    data : tensor or array of shape (T, N) or (K, T, N)
    n_delays : int
        ``d``, the number of blocks.
    delay_interval : int
        ``τ``, the spacing of the blocks.

    Returns
    -------
    Tensor of shape (T − (d−1)τ, N d) or (K, T − (d−1)τ, N d)
        Row ``t`` is ``[x(t + (d−1)τ), …, x(t + τ), x(t)]``.

    Raises
    ------
    InvalidInputError
        (a ``ValueError``, as dsa-metric raises) if ``(d−1)τ`` leaves no time point.
    """
    X = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
    if X.ndim not in (2, 3):
        raise InvalidInputError(
            f"data must be (time × dims) or (trials × time × dims); got shape {tuple(X.shape)}"
        )
    blocks = _delay_blocks(
        X,
        n_delays,
        delay_interval,
        1,
        "The number of delays is too large for the number of time points in the data: "
        "{T} time points, n_delays={n_delays}, delay_interval={delay_interval}",
    )
    return torch.cat(blocks, dim=-1)
