"""Labelled all-pairs results: the math's K × K matrices as ``(rep_a, rep_b)`` DataArrays.

The math (:mod:`repgeom.metrics`, :mod:`repgeom.dsa`) returns plain arrays and never imports
xarray; these wrappers label its results (:func:`repgeom.labelled.pair_matrix` for pair
matrices). :func:`pairwise_distances` and :func:`dsa_distances` are also reachable as
``repgeom.metrics.pairwise_distances`` and ``repgeom.dsa.dsa_distances`` (imported on first
use by those packages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from repgeom.dims import SPLIT, STIMULUS
from repgeom.errors import ShapeMismatchError
from repgeom.labelled import pair_matrix
from repgeom.metrics import pairwise
from repgeom.metrics.rsa import RDMMethod, rdm, vector_to_matrix


def pairwise_distances(*args: Any, **kwargs: Any) -> Any:
    """All-pairs distances, in netrep's form or as a labelled DataArray.

    - ``pairwise_distances(metric, traindata, testdata=None, verbose=True)`` (netrep's
      ``netrep.multiset.pairwise_distances``): returns ``D_train``, or ``(D_train, D_test)``
      when test data are given (numpy).
    - ``pairwise_distances(reps, metric, *, params=None, test=None, names=None, block=None,
      progress=None, device=None, n_jobs=None)``: ``reps`` is a list or a
      ``{name: matrix}`` mapping, ``metric`` an estimator, a scorer or a registry name (with
      its ``params``), ``block`` a :class:`~repgeom.blocks.Block`; returns an
      ``xarray.DataArray`` with dims ``(rep_a, rep_b)``, plus ``split`` (``train``,
      ``test``) when test data are given. A similarity named from the registry carries each
      representation's self-similarity on the diagonal; distances have zeros there.
    """
    if args and hasattr(args[0], "fit"):
        return pairwise.pairwise_distances(*args, **kwargs)
    reps, metric = args[0], args[1] if len(args) > 1 else kwargs.pop("metric")
    params = kwargs.pop("params", None) or {}
    measure, label = "distance", repr(metric)
    if isinstance(metric, str):
        from repgeom.metrics.registry import get

        info = get(metric)
        metric, measure = info.bind(**params), info.measure
        label = f"{info.name} {params}" if params else info.name
        kwargs["diagonal"] = measure == "similarity"
    elif params:
        raise TypeError("params= goes with a metric named by its registry name")
    test = kwargs.pop("test", None)
    names = kwargs.pop("names", None)
    if isinstance(reps, Mapping):
        names = list(reps) if names is None else names
        reps = [reps[k] for k in names]
        test = [test[k] for k in names] if isinstance(test, Mapping) else test
    names = [str(k) for k in (names if names is not None else range(len(reps)))]
    D_train, D_test = pairwise.pairwise_matrix(metric, reps, test, **kwargs)
    attrs = {"metric": label, "measure": measure}
    if D_test is None:
        return pair_matrix(D_train, names, attrs=attrs)
    return pair_matrix(
        np.stack([D_train, D_test]), names, lead=(SPLIT, ["train", "test"]), attrs=attrs
    )


def dsa_distances(
    systems: Mapping[str, Any] | Sequence[Any], names: Sequence[str] | None = None, **kwargs: Any
) -> xr.DataArray:
    """All-pairs DSA distances as a DataArray with dims ``rep_a`` × ``rep_b``.

    ``systems`` maps names to time series (or is a list, named by ``names``); ``kwargs`` go
    to :class:`~repgeom.dsa.DSA` (delays, rank, score_method, group, ...) and are stored as
    attrs.
    """
    if isinstance(systems, Mapping):
        names, series = list(systems), list(systems.values())
    else:
        series = list(systems)
        names = list(names) if names is not None else [str(i) for i in range(len(series))]
    from repgeom.dsa.dsa import DSA  # the DSA stack (POT, the optimiser) loads on use

    D = DSA(series, **kwargs).fit_score()
    attrs = {"metric": "dsa", **{k: str(v) for k, v in kwargs.items()}}
    return pair_matrix(np.asarray(D), names, attrs=attrs, name=None)


def rdm_dataarray(X: Any, method: RDMMethod = "euclidean", **kwargs: Any) -> xr.DataArray:
    """:func:`~repgeom.metrics.rdm` of a DataArray with a ``stimulus`` dim, as a square
    DataArray with dims ``(stimulus, stimulus_)`` carrying the stimulus coords."""
    mirror = f"{STIMULUS}_"
    if not hasattr(X, "dims") or STIMULUS not in X.dims:
        raise ShapeMismatchError(f"rdm_dataarray needs an xarray.DataArray with a {STIMULUS!r} dim")
    M = vector_to_matrix(rdm(X, method, **kwargs))
    coords = {name: c for name, c in X.coords.items() if c.dims == (STIMULUS,)}
    out = xr.DataArray(M, dims=(STIMULUS, mirror), coords=coords)
    for name, c in coords.items():
        out = out.assign_coords({f"{name}_": (mirror, c.values)})
    out.attrs["method"] = method
    return out
