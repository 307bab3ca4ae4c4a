"""Stage ``encoding``: cross-validated encoding models from every layer to every still-image
neural dataset, with split-half noise ceilings."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
from repgeom.representations import feature_rows, layer_depth
from repgeom.stages import common
from repgeom.stages.base import Arg, Config, Stage

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def encoding_stage(
    neural: Sequence[str | os.PathLike[str]],
    activations: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    device: torch.device | str = "cpu",
) -> Path:
    """Cross-validated encoding models from every layer to every (still) neural dataset.

    ``neural`` are neural stores, ``activations`` activation folders. Responses are averaged
    over repetitions; stimuli are matched by ``stimulus_id``. Writes ``results/encoding.nc``:
    ``pearson_r`` and ``alpha`` (model, layer, neural, neuroid), ``ceiling`` (neural,
    neuroid), ``normalized_r = r / ceiling``, the medians over neuroids (model, layer,
    neural) and ``layer_depth`` (model, layer).
    """
    from repgeom.device import himalaya_backend
    from repgeom.encoding import fit_encoding, noise_ceiling

    backend = himalaya_backend(device)
    datasets = {}
    for path in neural:
        ds = store.read(path, "neural")
        if store.TIME in ds["responses"].dims:
            raise InvalidInputError(f"{path}: encoding models take still-image responses")
        datasets[str(ds.attrs["neural"])] = ds
    stores = sorted(
        common.layer_stores(activations),
        key=lambda d: (str(d.attrs["model"]), int(d.attrs["layer_index"])),
    )
    models = list(dict.fromkeys(str(d.attrs["model"]) for d in stores))
    layers = list(dict.fromkeys(str(d.attrs["layer"]) for d in stores))
    names = list(datasets)
    neuroids = [str(i) for ds in datasets.values() for i in ds[store.NEUROID_ID].values]
    col = {n: i for i, n in enumerate(neuroids)}
    shape = (len(models), len(layers), len(names), len(neuroids))
    r, alpha = np.full(shape, np.nan), np.full(shape, np.nan)
    ceiling = np.full((len(names), len(neuroids)), np.nan)
    depth = np.full(shape[:2], np.nan)
    training = {str(d.attrs["model"]): str(d.attrs["training"]) for d in stores}
    for ds in stores:
        i, j = models.index(str(ds.attrs["model"])), layers.index(str(ds.attrs["layer"]))
        depth[i, j] = layer_depth(ds.attrs["layer_index"], ds.attrs["n_layers"])
    for k, (name, resp) in enumerate(datasets.items()):
        trials = resp["responses"].transpose(store.STIMULUS, store.REPETITION, store.NEUROID)
        cols = [col[str(i)] for i in resp[store.NEUROID_ID].values]
        ceiling[k, cols] = noise_ceiling(trials.values)[1]
        for ds in stores:
            if ds.attrs["stimset"] != resp.attrs["stimset"]:
                continue
            _, aligned = store.align_stimuli(ds, resp)
            Y = aligned["responses"].mean(store.REPETITION).transpose(store.STIMULUS, store.NEUROID)
            result = fit_encoding(
                feature_rows(ds)[0],
                Y.values,
                model=spec["model"],
                cv=spec["folds"],
                outer_cv=spec["folds"],
                backend=backend,
            )
            i, j = models.index(str(ds.attrs["model"])), layers.index(str(ds.attrs["layer"]))
            r[i, j, k, cols] = result.pearson_r
            alpha[i, j, k, cols] = (
                np.nanmedian(result.best_alphas, axis=0)
                if np.isfinite(result.best_alphas).any()
                else np.nan
            )
            log.info(
                "%s/%s -> %s: median r %.3f",
                ds.attrs["model"],
                ds.attrs["layer"],
                name,
                np.median(result.pearson_r),
            )
    grid = (store.MODEL, store.LAYER, store.NEURAL, store.NEUROID)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # NaN cells are layers a model does not have, or neuroids of another dataset
        warnings.simplefilter("ignore", RuntimeWarning)
        normalized = r / ceiling[None, None]
        median_r, median_norm = np.nanmedian(r, axis=3), np.nanmedian(normalized, axis=3)
    out_ds = xr.Dataset(
        {
            "pearson_r": (grid, r),
            "alpha": (grid, alpha),
            "ceiling": ((store.NEURAL, store.NEUROID), ceiling),
            "normalized_r": (grid, normalized),
            "median_r": (grid[:3], median_r),
            "median_normalized_r": (grid[:3], median_norm),
            "layer_depth": ((store.MODEL, store.LAYER), depth),
        },
        coords={
            store.MODEL: models,
            store.LAYER: layers,
            store.NEURAL: names,
            store.NEUROID_ID: (store.NEUROID, neuroids),
            "training": (store.MODEL, [training[m] for m in models]),
            store.STIMSET: (store.NEURAL, [str(datasets[n].attrs["stimset"]) for n in names]),
        },
    )
    out_ds["normalized_r"].attrs["definition"] = "pearson_r / split-half Spearman-Brown ceiling"
    out_ds.attrs.update(store.provenance("encoding", config=spec))
    return store.write(out_ds, out, "encoding")


def _spec(config: Config) -> dict[str, Any]:
    analyses = config["analyses"]
    return {
        "model": analyses["encoding_model"],
        "folds": analyses["encoding_folds"],
        "device": config["device"],
    }


def _inputs(config: Config) -> dict[str, list[str]]:
    """Neural stores and the activation folders on their stimulus sets."""
    neural = selection.still_neural(config)
    stimsets = sorted({config["neural"][n]["stimset"] for n in neural})
    return {
        "neural": [paths.NEURAL.format(neural=n) for n in neural],
        "activations": [
            paths.ACTIVATIONS.format(stimset=s, model=m) for s in stimsets for m in config["models"]
        ],
    }


STAGE = Stage(
    name="encoding",
    command="encoding",
    help="encoding models, every layer to data",
    output=paths.ENCODING,
    spec=_spec,
    run=encoding_stage,
    inputs=_inputs,
    device=True,
    args=(
        Arg("neural", "{input.neural}", nargs="+", help="neural stores"),
        Arg("activations", "{input.activations}", nargs="+", help="activation folders"),
    ),
)
