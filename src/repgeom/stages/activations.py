"""Stage ``activations`` (command ``extract``): every configured layer of one model on one
stimulus set, each reduced exactly (:mod:`repgeom.reduce`) into its own store."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.stages.base import ON_DEVICE, Arg, Config, Stage

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def _frames(images: xr.DataArray) -> tuple[np.ndarray, tuple[int, ...]]:
    """(stimulus, [time,] channel, y, x) → rows (stimulus·time, channel, y, x) and lead shape."""
    if store.TIME in images.dims:
        arr = images.transpose(store.STIMULUS, store.TIME, store.CHANNEL, store.Y, store.X).values
        return arr.reshape(-1, *arr.shape[2:]), arr.shape[:2]
    arr = images.transpose(store.STIMULUS, store.CHANNEL, store.Y, store.X).values
    return arr, arr.shape[:1]


def activations_stage(
    stimset: str,
    model: str,
    spec: Mapping[str, Any],
    stimuli: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    device: torch.device | str = "cpu",
    threads: int | None = None,
    scratch_mb: int | None = None,
) -> list[Path]:
    """Extract every configured layer of one model on one stimulus set.

    One forward pass per batch feeds all layers; each layer is reduced exactly
    (:mod:`repgeom.reduce`) and written to ``{out}/{layer}.nc``.

    ``spec`` holds ``model`` (the config entry), ``training``, ``batch_size``, ``device``,
    ``store_raw`` and ``layer_policy`` (the global policy under the model's own keys);
    ``device`` is the resolved device the job runs on; ``scratch_mb`` bounds the disk the raw
    activations spill to at once (default :data:`repgeom.reduce.DEFAULT_SCRATCH_BUDGET`; more
    passes over the stimuli when they need more, same result).
    """
    import torch

    from repgeom.models import LayerPolicy, build_model, extract_reduced, resolve_layers
    from repgeom.models.zoo import file_sha256, weights_file, weights_label

    if threads:
        torch.set_num_threads(threads)
    device = torch.device(device)
    model_spec = spec["model"]
    stimuli_ds = store.read(stimuli, "stimuli")
    rows, lead = _frames(stimuli_ds["images"])
    net = build_model(
        model_spec["architecture"],
        weights=model_spec["weights"],
        seed=model_spec["seed"],
        kwargs=model_spec.get("kwargs"),
    )
    layers = resolve_layers(model_spec["architecture"], list(model_spec["layers"]), net)
    weights_path = weights_file(model_spec["architecture"], model_spec["weights"])
    weights_sha256 = store.NOT_APPLICABLE if weights_path is None else file_sha256(weights_path)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".scratch-", dir=out_dir) as scratch:
        reduced = extract_reduced(
            net,
            rows,
            layers,
            policy=LayerPolicy(**spec["layer_policy"]),
            batch_size=spec["batch_size"],
            device=device,
            scratch_dir=scratch,
            keep_raw=spec["store_raw"],
            **({"scratch_budget": scratch_mb * 10**6} if scratch_mb else {}),
        )
    written = []
    for index, (layer, (red, raw)) in enumerate(reduced.items()):
        ds = activation_dataset(stimuli_ds, red.features, red.row_mean, lead, raw=raw)
        ds.attrs.update(
            store.provenance(
                "activations",
                config=spec,
                model=model,
                layer=layer,
                weights=weights_label(model_spec["weights"]),
                seed=model_spec["seed"],
                stimset=stimset,
                training=spec["training"],
                architecture=model_spec["architecture"],
                node=layers[layer],
                n_units=red.n_units,
                layer_index=index,
                n_layers=len(layers),
                device=str(device),
                weights_sha256=weights_sha256,
            )
        )
        written.append(store.write(ds, out_dir / f"{layer}.nc", "activations"))
        log.info(
            "%s/%s/%s: %d units -> %d components",
            stimset,
            model,
            layer,
            red.n_units,
            red.n_components,
        )
    return written


def activation_dataset(
    stimuli: xr.Dataset,
    features: np.ndarray,
    row_mean: np.ndarray,
    lead: tuple[int, ...],
    *,
    raw: np.ndarray | None = None,
) -> xr.Dataset:
    """Wrap reduced rows back into (stimulus[, time], component) with the stimulus coords."""
    lead_dims = (store.STIMULUS, store.TIME) if len(lead) == 2 else (store.STIMULUS,)
    data = {
        "features": ((*lead_dims, store.COMPONENT), features.reshape(*lead, -1)),
        "row_mean": (lead_dims, row_mean.reshape(lead)),
    }
    if raw is not None:
        data["raw"] = ((*lead_dims, store.UNIT), raw.reshape(*lead, -1))
    coords = {
        store.STIMULUS_ID: (store.STIMULUS, stimuli[store.STIMULUS_ID].values),
        store.CATEGORY: (store.STIMULUS, stimuli[store.CATEGORY].values),
    }
    return xr.Dataset(data, coords=coords)


def _spec(config: Config, model: str, stimset: str | None = None) -> dict[str, Any]:
    """Everything that determines one model's activation stores (the same on every set)."""
    model_spec = dict(config["models"][model])
    if model_spec.get("train"):
        model_spec["weights"] = paths.WEIGHTS.format(model=model)
    own_policy = model_spec.pop("layer_policy", {})
    model_spec.pop("stimsets", None)  # which sets a model sees, not what its stores hold
    return {
        "model": model_spec,
        "training": selection.model_training(config, model),
        "batch_size": config["batch_size"],
        "device": config["device"],
        "store_raw": config["store_raw"],
        "layer_policy": {**config["layer_policy"], **own_policy},
    }


def weights_input(config: Config, model: str) -> list[str]:
    """The weights file a model's extraction needs: ``[WEIGHTS]`` if trained here, the user's
    pretrained weights file (:func:`repgeom.selection.weights_files`), or ``[]``."""
    if config["models"][model].get("train"):
        return [paths.WEIGHTS.format(model=model)]
    return selection.weights_files(config, model)


def _inputs(config: Config, stimset: str, model: str) -> dict[str, Any]:
    return {
        "stimuli": paths.STIMULI.format(stimset=stimset),
        "weights": weights_input(config, model),
        "factory": selection.factory_files(config, model),
    }


STAGE = Stage(
    name="activations",
    command="extract",
    help="extract and reduce a model's layers",
    output=paths.ACTIVATIONS,
    directory=True,
    spec=_spec,
    run=activations_stage,
    inputs=_inputs,
    mem_mb=4000,
    # One thread (the default): the built-in sets' jobs are bound by start-up and the
    # single-threaded reduction (resnet18 on 342 photos: 5.6 s with 1 or 2 threads), so two jobs
    # side by side finish twice as many; large inputs on a CPU box:
    # `snakemake --set-threads activations=N`.
    **ON_DEVICE,
    args=(
        Arg("stimset", "{wildcards.stimset}", help="the stimulus set's name"),
        Arg("model", "{wildcards.model}", help="the model's name in the config"),
        Arg("stimuli", "{input.stimuli}", help="the stimuli store"),
        Arg("threads", "{threads}", type=int, required=False, help="torch CPU threads"),
        Arg(
            "scratch_mb",
            "{resources.disk_mb}",
            type=int,
            required=False,
            help="most MB (10⁶ bytes) of raw activations spilled to disk at once",
        ),
    ),
)
