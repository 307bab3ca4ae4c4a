"""Labelled results over pairs of representations: the one way a ``(rep_a, rep_b)`` matrix
becomes an :class:`xarray.DataArray`.

The math (:mod:`repgeom.metrics`, :mod:`repgeom.dsa`) returns plain arrays; the library's
labelled entry points and the workflow stages wrap them here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from repgeom.dims import REP_A, REP_B


def pair_matrix(
    values: np.ndarray,
    names: Sequence[str],
    *,
    lead: tuple[str, Sequence[Any]] | None = None,
    labels: Mapping[str, Sequence[Any]] | None = None,
    attrs: Mapping[str, Any] | None = None,
    name: str = "distance",
) -> xr.DataArray:
    """A ``(rep_a, rep_b)`` DataArray of a K × K matrix (or a stack of them).

    Parameters
    ----------
    values : ndarray of shape (K, K) or (L, K, K)
        The matrix; with ``lead``, a stack along a leading dim.
    names : sequence of str, length K
        Representation names, on both ``rep_a`` and ``rep_b``.
    lead : (dim, coords), optional
        Name and coordinate values of the leading dim of a stack (e.g. ``("split",
        ["train", "test"])``).
    labels : mapping of label → sequence of length K, optional
        Per-representation labels, stored as ``rep_a_<label>`` and ``rep_b_<label>`` coords.
    attrs : mapping, optional
        Attributes of the DataArray.
    name : str
        Name of the DataArray.

    Examples
    --------
    >>> da = pair_matrix(np.zeros((2, 2)), ["a", "b"], labels={"source": ["model", "brain"]})
    >>> da.dims, da["rep_b_source"].values.tolist()
    (('rep_a', 'rep_b'), ['model', 'brain'])
    """
    names = [str(n) for n in names]
    coords: dict[str, Any] = {REP_A: names, REP_B: names}
    for label, column in (labels or {}).items():
        column = list(column)
        coords[f"{REP_A}_{label}"] = (REP_A, column)
        coords[f"{REP_B}_{label}"] = (REP_B, column)
    dims: tuple[str, ...] = (REP_A, REP_B)
    if lead is not None:
        dims = (lead[0], *dims)
        coords[lead[0]] = list(lead[1])
    return xr.DataArray(
        np.asarray(values), dims=dims, coords=coords, name=name, attrs=dict(attrs or {})
    )
