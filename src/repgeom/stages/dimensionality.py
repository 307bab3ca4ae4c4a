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
from repgeom.representations import feature_rows, layer_depth
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import ACTIVATION_FOLDERS, activation_folders, layer_stores


def _training_of(records: list[dict], model: str, key: str = "training") -> str:
    return next(r[key] for r in records if r["model"] == model)


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

    records = []
    for ds in layer_stores(activations):
        X, _ = feature_rows(ds)
        if X.shape[0] < 2:
            raise InvalidInputError(
                f"{ds.attrs['stimset']}/{ds.attrs['model']}/{ds.attrs['layer']}: fewer than 2 "
                "stimuli; cannot compute a spectrum"
            )
        n_units = int(ds.attrs["n_units"])
        lam = dim.eigenspectrum(X, n_units=n_units)
        records.append(
            {
                "model": str(ds.attrs["model"]),
                "training": str(ds.attrs["training"]),
                "architecture": str(ds.attrs.get("architecture", ds.attrs["model"])),
                "layer": str(ds.attrs["layer"]),
                "stimset": str(ds.attrs["stimset"]),
                "depth": layer_depth(ds.attrs["layer_index"], ds.attrs["n_layers"]),
                "n_units": n_units,
                "spectrum": lam,
                "ed": dim.effective_dimensionality(lam),
                "alpha": dim.powerlaw_exponent(lam, method=spec["powerlaw_method"]),
                "k80": dim.n_components_for_variance(lam, 0.8),
            }
        )
    models = list(dict.fromkeys(r["model"] for r in records))
    layers = list(dict.fromkeys(r["layer"] for r in records))
    stimsets = list(dict.fromkeys(r["stimset"] for r in records))
    n_spec = max(len(r["spectrum"]) for r in records)
    shape = (len(models), len(layers), len(stimsets))
    ed, alpha, k80 = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    spectrum = np.full((*shape, n_spec), np.nan)
    depth = np.full(shape[:2], np.nan)
    n_units = np.full(shape[:2], np.nan)
    for r in records:
        i, j, k = models.index(r["model"]), layers.index(r["layer"]), stimsets.index(r["stimset"])
        ed[i, j, k], alpha[i, j, k], k80[i, j, k] = r["ed"], r["alpha"], r["k80"]
        spectrum[i, j, k, : len(r["spectrum"])] = r["spectrum"]
        depth[i, j], n_units[i, j] = r["depth"], r["n_units"]
    grid = (store.MODEL, store.LAYER, store.STIMSET)
    ds = xr.Dataset(
        {
            "effective_dimensionality": (grid, ed),
            "alpha": (grid, alpha),
            "n_components_80": (grid, k80),
            "eigenspectrum": ((*grid, store.SPECTRUM_INDEX), spectrum),
            "layer_depth": ((store.MODEL, store.LAYER), depth),
            "n_units": ((store.MODEL, store.LAYER), n_units),
        },
        coords={
            store.MODEL: models,
            store.LAYER: layers,
            store.STIMSET: stimsets,
            store.SPECTRUM_INDEX: np.arange(1, n_spec + 1),
            "training": (store.MODEL, [_training_of(records, m) for m in models]),
            "architecture": (
                store.MODEL,
                [_training_of(records, m, "architecture") for m in models],
            ),
        },
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
