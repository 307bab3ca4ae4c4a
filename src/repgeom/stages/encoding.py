"""Stage ``encoding_model`` (command ``encoding``): cross-validated encoding models from every
layer of one model (any activation folders, from the CLI) to every still-image neural dataset,
with split-half noise ceilings (on each dataset's stimuli; NaN trials skipped)."""

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
from repgeom.neural.recordings import (
    N_TRIALS,
    annotate_trials,
    drop_incomplete,
    neuroid_ids,
    trials_line,
)
from repgeom.neural.trials import nan_mean
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

    ``neural`` are neural stores, ``activations`` activation folders. Stimuli are matched by
    ``stimulus_id``: each neural dataset is fitted on the stimuli it holds (it may cover a
    subset of its stimulus set; an id outside the set is an error naming the file). Responses
    are averaged over each neuroid's valid trials (NaN: a missing trial), the split-half
    ceiling splits the valid trials, and a neuroid without a valid trial for some stimulus is
    dropped (logged). Writes ``results/encoding.nc``: ``pearson_r`` and ``alpha`` (model,
    layer, neural, neuroid), ``ceiling`` (neural, neuroid), ``normalized_r = r / ceiling``, the
    medians over neuroids (model, layer, neural), ``layer_depth`` (model, layer),
    ``n_stimuli_used`` / ``n_stimuli_in_set`` (neural) and, on neuroid, ``neuroid_id`` and
    ``n_trials`` (the valid trials on the stimuli used).
    """
    from repgeom.device import himalaya_backend
    from repgeom.encoding import fit_encoding, noise_ceiling

    backend = himalaya_backend(device)
    stores = sorted(
        common.layer_stores(activations),
        key=lambda d: (str(d.attrs["model"]), int(d.attrs["layer_index"])),
    )
    set_ids: dict[str, list[str]] = {}
    for ds in stores:
        set_ids.setdefault(str(ds.attrs["stimset"]), store.stimulus_ids(ds))
    datasets: dict[str, xr.Dataset] = {}
    n_recorded: dict[str, int] = {}
    for path in neural:
        ds = store.read(path, "neural")
        if store.TIME in ds["responses"].dims:
            raise InvalidInputError(f"{path}: encoding models take still-image responses")
        name, stimset = str(ds.attrs["neural"]), str(ds.attrs["stimset"])
        ids = store.stimulus_ids(ds)
        if stimset in set_ids:
            ids = store.common_stimuli(
                set_ids[stimset], {str(path): ids}, reference_name=f"stimulus set {stimset}"
            )
        used = drop_incomplete(store.select_stimuli(ds, ids), source=path)
        datasets[name] = annotate_trials(used)
        n_recorded[name] = ds.sizes[store.STIMULUS]
        log.info(
            "%s: %d of the %d stimuli of %s used; %d neuroids; %s",
            name,
            len(ids),
            len(set_ids.get(stimset, ids)),
            stimset,
            used.sizes[store.NEUROID],
            trials_line(datasets[name]),
        )
    models = list(dict.fromkeys(str(d.attrs["model"]) for d in stores))
    layers = list(dict.fromkeys(str(d.attrs["layer"]) for d in stores))
    names = list(datasets)
    # neuroids of all datasets side by side, by position (ids may repeat across datasets)
    offsets = np.cumsum([0, *(ds.sizes[store.NEUROID] for ds in datasets.values())])
    neuroids = [i for ds in datasets.values() for i in neuroid_ids(ds)]
    n_trials = np.concatenate([ds[N_TRIALS].values for ds in datasets.values()] or [[]])
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
        cols = slice(offsets[k], offsets[k + 1])
        ceiling[k, cols] = noise_ceiling(trials.values)[1]
        Y = nan_mean(trials.values, axis=1)
        ids = store.stimulus_ids(resp)
        for ds in stores:
            if ds.attrs["stimset"] != resp.attrs["stimset"]:
                continue
            result = fit_encoding(
                feature_rows(store.select_stimuli(ds, ids))[0],
                Y,
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
            "n_stimuli_used": (
                (store.NEURAL,),
                np.array([datasets[n].sizes[store.STIMULUS] for n in names], dtype=np.int64),
            ),
            "n_stimuli_recorded": (
                (store.NEURAL,),
                np.array([n_recorded[n] for n in names], dtype=np.int64),
            ),
        },
        coords={
            store.MODEL: models,
            store.LAYER: layers,
            store.NEURAL: names,
            store.NEUROID_ID: (store.NEUROID, neuroids),
            N_TRIALS: (store.NEUROID, n_trials.astype(np.int64)),
            "training": (store.MODEL, [training[m] for m in models]),
            store.STIMSET: (store.NEURAL, [str(datasets[n].attrs["stimset"]) for n in names]),
        },
    )
    out_ds["normalized_r"].attrs["definition"] = "pearson_r / split-half Spearman-Brown ceiling"
    out_ds["n_stimuli_used"].attrs["definition"] = (
        "stimuli the dataset was fitted on: those it holds of its stimulus set"
    )
    out_ds[N_TRIALS].attrs["definition"] = "valid (non-NaN) trials of the neuroid, stimuli used"
    out_ds.attrs.update(store.provenance("encoding", config=spec))
    return store.write(out_ds, out, "encoding")


def encoding_spec(config: Config, **_wildcards: str) -> dict[str, Any]:
    """What determines an encoding store: the model kind, the folds and the device."""
    analyses = config["analyses"]
    return {
        "model": analyses["encoding_model"],
        "folds": analyses["encoding_folds"],
        "device": config["device"],
    }


def _inputs(config: Config, model: str) -> dict[str, list[str]]:
    """Neural stores and the model's activation folders on their stimulus sets."""
    neural = selection.still_neural(config)
    return {
        "neural": [paths.NEURAL.format(neural=n) for n in neural],
        "activations": [
            paths.ACTIVATIONS.format(stimset=s, model=model)
            for s in selection.encoding_stimsets(config)
            if model in selection.models_on(config, s)
        ],
    }


#: One job per model (its layers on every still set with neural data): on a laptop two run
#: side by side, on a cluster all at once; ``encoding`` joins them (stages.encoding_combine).
STAGE = Stage(
    name="encoding_model",
    command="encoding",
    help="encoding models, every layer of the given folders to data",
    output=paths.ENCODING_MODEL,
    spec=encoding_spec,
    run=encoding_stage,
    inputs=_inputs,
    device=True,
    args=(
        Arg("neural", "{input.neural}", nargs="+", help="neural stores"),
        Arg("activations", "{input.activations}", nargs="+", help="activation folders"),
    ),
)
