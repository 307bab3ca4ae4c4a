"""Stage functions: what each workflow rule runs.

Each stage reads its input stores, converts them to numpy with explicit dim order, calls the
math/model code, and writes its output store(s) atomically with provenance. The ``spec`` a stage
receives is the part of the validated config that determines its output (Snakemake passes it as
a param, so a job reruns exactly when its own part of the config changes).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from repgeom import dimensionality as dim, store
from repgeom.errors import InvalidInputError
from repgeom.models import LayerPolicy, build_model, extract_reduced, resolve_device, resolve_layers
from repgeom.models.zoo import weights_label
from repgeom.neural import build_neural
from repgeom.stimuli import build_stimset

log = logging.getLogger(__name__)


def stimuli_stage(name: str, spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """Build stimulus set ``name`` from its config entry and write ``results/stimuli/{name}.nc``."""
    ds = build_stimset(name, spec)
    ds.attrs.update(store.provenance("stimuli", config=spec, stimset=name))
    log.info("stimulus set %s: %s", name, dict(ds["images"].sizes))
    return store.write(ds, out, "stimuli")


def neural_stage(
    name: str,
    spec: Mapping[str, Any],
    stimuli_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
) -> Path:
    """Simulate or load neural dataset ``name`` on its stimulus set and write its store."""
    stimuli = store.read(stimuli_path, "stimuli")
    ds = build_neural(name, spec, stimuli)
    ds.attrs.update(
        store.provenance(
            "neural", config=spec, seed=spec.get("seed"), neural=name, stimset=spec["stimset"]
        )
    )
    log.info("neural dataset %s: %s", name, dict(ds["responses"].sizes))
    return store.write(ds, out, "neural")


def _frames(images: xr.DataArray) -> tuple[np.ndarray, tuple[int, ...]]:
    """(stimulus, [time,] channel, y, x) → rows (stimulus·time, channel, y, x) and lead shape."""
    if store.TIME in images.dims:
        arr = images.transpose(store.STIMULUS, store.TIME, store.CHANNEL, store.Y, store.X).values
        return arr.reshape(-1, *arr.shape[2:]), arr.shape[:2]
    arr = images.transpose(store.STIMULUS, store.CHANNEL, store.Y, store.X).values
    return arr, arr.shape[:1]


def activations_stage(
    stimset: str,
    model_name: str,
    spec: Mapping[str, Any],
    stimuli_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    threads: int | None = None,
) -> list[Path]:
    """Extract every configured layer of one model on one stimulus set.

    One forward pass per batch feeds all layers; each layer is reduced exactly
    (:mod:`repgeom.reduce`) and written to ``{out_dir}/{layer}.nc``.

    ``spec`` holds ``model`` (the config entry), ``batch_size``, ``device``, ``store_raw`` and
    ``layer_policy``.
    """
    if threads:
        torch.set_num_threads(threads)
    model_spec = spec["model"]
    stimuli = store.read(stimuli_path, "stimuli")
    rows, lead = _frames(stimuli["images"])
    model = build_model(
        model_spec["architecture"],
        weights=model_spec["weights"],
        seed=model_spec["seed"],
        kwargs=model_spec.get("kwargs"),
    )
    layers = resolve_layers(model_spec["architecture"], list(model_spec["layers"]), model)
    device = resolve_device(spec["device"])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".scratch-", dir=out_dir) as scratch:
        reduced = extract_reduced(
            model,
            rows,
            layers,
            policy=LayerPolicy(**spec["layer_policy"]),
            batch_size=spec["batch_size"],
            device=device,
            scratch_dir=scratch,
            keep_raw=spec["store_raw"],
        )
    paths = []
    for index, (layer, (red, raw)) in enumerate(reduced.items()):
        ds = activation_dataset(stimuli, red.features, red.row_mean, lead, raw=raw)
        ds.attrs.update(
            store.provenance(
                "activations",
                config=spec,
                model=model_name,
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
            )
        )
        paths.append(store.write(ds, out_dir / f"{layer}.nc", "activations"))
        log.info(
            "%s/%s/%s: %d units -> %d components",
            stimset,
            model_name,
            layer,
            red.n_units,
            red.n_components,
        )
    return paths


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


def _flat_features(ds: xr.Dataset) -> np.ndarray:
    """Reduced features as rows: (stimulus[·time], component)."""
    features = ds["features"]
    if store.TIME in features.dims:
        arr = features.transpose(store.STIMULUS, store.TIME, store.COMPONENT).values
        return arr.reshape(-1, arr.shape[-1])
    return features.transpose(store.STIMULUS, store.COMPONENT).values


def _training_of(records: list[dict], model: str) -> str:
    return next(r["training"] for r in records if r["model"] == model)


def dimensionality_stage(
    activation_dirs: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Eigenspectrum, effective dimensionality and power-law exponent of every layer.

    Writes ``results/dimensionality.nc`` with dims (model, layer, stimset[, spectrum_index]);
    a layer that a model does not have is NaN. ``layer_depth`` (model, layer) is the layer's
    relative position in its model's configured list (0 = first, 1 = last).
    """
    records = []
    for folder in activation_dirs:
        layer_stores = [store.read(p, "activations") for p in Path(folder).glob("*.nc")]
        for ds in sorted(layer_stores, key=lambda d: int(d.attrs["layer_index"])):
            X = _flat_features(ds)
            if X.shape[0] < 2:
                raise InvalidInputError(
                    f"{folder}: fewer than 2 stimuli; cannot compute a spectrum"
                )
            n_units = int(ds.attrs["n_units"])
            lam = dim.eigenspectrum(X, n_units=n_units)
            records.append(
                {
                    "model": str(ds.attrs["model"]),
                    "training": str(ds.attrs["training"]),
                    "layer": str(ds.attrs["layer"]),
                    "stimset": str(ds.attrs["stimset"]),
                    "depth": int(ds.attrs["layer_index"]) / max(int(ds.attrs["n_layers"]) - 1, 1),
                    "n_units": n_units,
                    "spectrum": lam,
                    "ed": dim.effective_dimensionality(lam),
                    "alpha": dim.powerlaw_exponent(lam, method=spec["powerlaw_method"]),
                    "k80": dim.n_components_for_variance(lam, 0.8),
                }
            )
    if not records:
        raise InvalidInputError("no activation stores found; run the extraction stage first")
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
        },
    )
    ds["alpha"].attrs["method"] = spec["powerlaw_method"]
    ds.attrs.update(store.provenance("dimensionality", config=spec))
    return store.write(ds, out, "dimensionality")


def training_stage(
    model_name: str,
    spec: Mapping[str, Any],
    stimuli_paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    threads: int | None = None,
) -> Path:
    """Train one model on still-image stimulus sets; write its state dict atomically.

    Labels are ``stimset/category``; ``spec`` holds ``architecture``, ``seed``, ``kwargs``
    and ``train`` (objective, epochs, batch_size, lr).
    """
    from repgeom.training import train_model

    if threads:
        torch.set_num_threads(threads)
    images, categories = [], []
    for path in stimuli_paths:
        ds = store.read(path, "stimuli")
        if store.TIME in ds["images"].dims:
            raise InvalidInputError(f"{path} holds clips; train on still images")
        images.append(
            ds["images"].transpose(store.STIMULUS, store.CHANNEL, store.Y, store.X).values
        )
        categories += [f"{ds.attrs['stimset']}/{c}" for c in ds[store.CATEGORY].values]
    sizes = {im.shape[-2:] for im in images}
    if len(sizes) != 1:
        raise InvalidInputError(f"training sets have different image sizes {sorted(sizes)}")
    _, labels = np.unique(categories, return_inverse=True)
    train = spec["train"]
    model = build_model(spec["architecture"], seed=spec["seed"], kwargs=spec.get("kwargs"))
    history = train_model(
        model,
        np.concatenate(images),
        labels,
        objective=train["objective"],
        epochs=train["epochs"],
        batch_size=train["batch_size"],
        lr=train["lr"],
        seed=spec["seed"],
    )
    with store.atomic_path(out) as tmp:
        torch.save(
            {
                "state_dict": model.state_dict(),
                "provenance": store.provenance(
                    "weights",
                    config=spec,
                    model=model_name,
                    seed=spec["seed"],
                    loss_history=str(history),
                ),
            },
            tmp,
        )
    log.info("%s: %s losses per epoch %s", model_name, train["objective"], history)
    return Path(out)


def encoding_stage(
    neural_paths: Sequence[str | os.PathLike[str]],
    activation_dirs: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Cross-validated encoding models from every layer to every (still) neural dataset.

    Responses are averaged over repetitions; stimuli are matched by ``stimulus_id``. Writes
    ``results/encoding.nc``: ``pearson_r`` and ``alpha`` (model, layer, neural, neuroid),
    ``ceiling`` (neural, neuroid), ``normalized_r = r / ceiling``, and the medians over
    neuroids (model, layer, neural).
    """
    from repgeom.encoding import fit_encoding, noise_ceiling

    backend = "torch_cuda" if resolve_device(spec["device"]).type == "cuda" else "numpy"
    neural = {}
    for path in neural_paths:
        ds = store.read(path, "neural")
        if store.TIME in ds["responses"].dims:
            raise InvalidInputError(f"{path}: encoding models take still-image responses")
        neural[str(ds.attrs["neural"])] = ds
    layer_stores = [
        store.read(p, "activations")
        for folder in activation_dirs
        for p in Path(folder).glob("*.nc")
    ]
    if not layer_stores:
        raise InvalidInputError("no activation stores found; run the extraction stage first")
    layer_stores.sort(key=lambda d: (str(d.attrs["model"]), int(d.attrs["layer_index"])))
    models = list(dict.fromkeys(str(d.attrs["model"]) for d in layer_stores))
    layers = list(dict.fromkeys(str(d.attrs["layer"]) for d in layer_stores))
    names = list(neural)
    neuroids = [str(i) for ds in neural.values() for i in ds[store.NEUROID_ID].values]
    col = {n: i for i, n in enumerate(neuroids)}
    shape = (len(models), len(layers), len(names), len(neuroids))
    r, alpha = np.full(shape, np.nan), np.full(shape, np.nan)
    ceiling = np.full((len(names), len(neuroids)), np.nan)
    training = {str(d.attrs["model"]): str(d.attrs["training"]) for d in layer_stores}
    for k, (name, resp) in enumerate(neural.items()):
        trials = resp["responses"].transpose(store.STIMULUS, store.REPETITION, store.NEUROID)
        cols = [col[str(i)] for i in resp[store.NEUROID_ID].values]
        ceiling[k, cols] = noise_ceiling(trials.values)[1]
        for ds in layer_stores:
            if ds.attrs["stimset"] != resp.attrs["stimset"]:
                continue
            _, aligned = store.align_stimuli(ds, resp)
            Y = aligned["responses"].mean(store.REPETITION).transpose(store.STIMULUS, store.NEUROID)
            result = fit_encoding(
                _flat_features(ds),
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
        },
        coords={
            store.MODEL: models,
            store.LAYER: layers,
            store.NEURAL: names,
            store.NEUROID_ID: (store.NEUROID, neuroids),
            "training": (store.MODEL, [training[m] for m in models]),
            store.STIMSET: (store.NEURAL, [str(neural[n].attrs["stimset"]) for n in names]),
        },
    )
    out_ds["normalized_r"].attrs["definition"] = "pearson_r / split-half Spearman-Brown ceiling"
    out_ds.attrs.update(store.provenance("encoding", config=spec))
    return store.write(out_ds, out, "encoding")
