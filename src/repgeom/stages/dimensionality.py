"""Stage ``dimensionality``: eigenspectrum, effective dimensionality and power-law exponent
of every layer on every stimulus set."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, store
from repgeom.errors import InvalidInputError
from repgeom.representations import feature_rows
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import (
    ACTIVATION_FOLDERS,
    LayerGrid,
    activation_folders,
    layer_stores,
)


def dimensionality_stage(
    activations: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Eigenspectrum, effective dimensionality and power-law exponent of every layer.

    ``activations`` are activation folders. Writes ``results/dimensionality.nc`` with dims
    (model, layer, stimset[, spectrum_index]); a layer that a model does not have is NaN.
    ``layer_depth`` (model, layer) is the layer's relative position in its model's configured
    list (:func:`repgeom.representations.layer_depth`); ``training`` and ``architecture`` are
    coords on model.
    """
    from repgeom import dimensionality as dim

    stores = layer_stores(activations)
    grid = LayerGrid.of(stores)
    records = []
    for ds in stores:
        X, _ = feature_rows(ds)
        if X.shape[0] < 2:
            raise InvalidInputError(
                f"{ds.attrs['stimset']}/{ds.attrs['model']}/{ds.attrs['layer']}: fewer than 2 "
                "stimuli; cannot compute a spectrum"
            )
        lam = dim.eigenspectrum(X, n_units=int(ds.attrs["n_units"]))
        records.append(
            {
                "index": grid.index(ds),
                "spectrum": lam,
                "ed": dim.effective_dimensionality(lam),
                "alpha": dim.powerlaw_exponent(lam, method=spec["powerlaw_method"]),
                "k80": dim.n_components_for_variance(lam, 0.8),
            }
        )
    n_spec = max(len(r["spectrum"]) for r in records)
    shape = (len(grid.models), len(grid.layers), len(grid.stimsets))
    ed, alpha, k80 = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    spectrum = np.full((*shape, n_spec), np.nan)
    for r in records:
        i, j, k = r["index"]
        ed[i, j, k], alpha[i, j, k], k80[i, j, k] = r["ed"], r["alpha"], r["k80"]
        spectrum[i, j, k, : len(r["spectrum"])] = r["spectrum"]
    cells = (store.MODEL, store.LAYER, store.STIMSET)
    ds = xr.Dataset(
        {
            "effective_dimensionality": (cells, ed),
            "alpha": (cells, alpha),
            "n_components_80": (cells, k80),
            "eigenspectrum": ((*cells, store.SPECTRUM_INDEX), spectrum),
            **grid.layer_variables(),
        },
        coords=grid.coords({store.SPECTRUM_INDEX: np.arange(1, n_spec + 1)}),
    )
    ds["alpha"].attrs["method"] = spec["powerlaw_method"]
    ds.attrs.update(store.provenance("dimensionality", config=spec))
    return store.write(ds, out, "dimensionality")


def activation_dirs(config: Config) -> list[str]:
    """One folder of per-layer stores for every stimulus set × model."""
    return activation_folders(lambda c: c["stimsets"])(config)["activations"]


def _spec(config: Config) -> dict[str, Any]:
    return {"powerlaw_method": config["analyses"]["powerlaw_method"]}


STAGE = Stage(
    name="dimensionality",
    command="dimensionality",
    help="spectra and ED of every layer",
    output=paths.DIMENSIONALITY,
    spec=_spec,
    run=dimensionality_stage,
    inputs=activation_folders(lambda config: config["stimsets"]),
    args=(ACTIVATION_FOLDERS,),
)
