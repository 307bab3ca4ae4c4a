"""What several stages share: their representation and activation-folder arguments and inputs,
the layer stores of activation folders and their (model, layer, stimset) grid, and the distance
store the comparison stages write."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
from repgeom.representations import layer_depth
from repgeom.stages.base import Arg, Config

Paths = Sequence[str | os.PathLike[str]]

#: ``--activations`` (per-layer stores) and ``--neural`` (neural stores), from the rule's
#: ``params.files`` (:func:`representation_files`).
REPRESENTATION_ARGS = (
    Arg(
        "activations",
        "{params.files[activations]}",
        nargs="*",
        help="per-layer activation stores",
    ),
    Arg("neural", "{params.files[neural]}", nargs="*", help="neural stores"),
)


#: The activation folders (one per stimulus set × model) of a stage over whole models, from the
#: rule's ``input.activations`` (:func:`activation_folders`).
ACTIVATION_FOLDERS = Arg(
    "activations",
    "{input.activations}",
    nargs="+",
    positional=True,
    help="activation folders (one per stimulus set × model)",
)


def activation_folders(
    stimsets: Callable[[Config], Iterable[str]],
) -> Callable[[Config], dict[str, list[str]]]:
    """Rule inputs: the activation folder of every model on each of ``stimsets(config)``."""

    def inputs(config: Config) -> dict[str, list[str]]:
        return {
            "activations": [
                paths.ACTIVATIONS.format(stimset=s, model=m)
                for s in stimsets(config)
                for m in selection.models_on(config, s)
            ]
        }

    return inputs


def layer_stores(activations: Paths) -> list[xr.Dataset]:
    """The layer stores of activation folders: folder by folder (the config's model order),
    each model's layers in their configured order."""
    out = []
    for folder in activations:
        stores = [store.read(p, "activations") for p in Path(folder).glob("*.nc")]
        if not stores:
            raise InvalidInputError(f"{folder}: no layer stores; run the extraction stage first")
        out += sorted(stores, key=lambda d: int(d.attrs["layer_index"]))
    if not out:
        raise InvalidInputError("no activation stores found; run the extraction stage first")
    return out


@dataclass(frozen=True)
class LayerGrid:
    """The (model, layer, stimset) grid of layer stores, in first-seen order, with what each
    layer's stores tell of it: ``depth`` and ``n_units`` (model, layer; NaN where a model lacks
    the layer), ``training`` and ``architecture`` per model."""

    models: list[str]
    layers: list[str]
    stimsets: list[str]
    depth: np.ndarray
    n_units: np.ndarray
    training: list[str]
    architecture: list[str]

    @classmethod
    def of(cls, stores: Sequence[xr.Dataset]) -> LayerGrid:
        """The grid of ``stores`` (as :func:`layer_stores` returns them)."""
        models = list(dict.fromkeys(str(d.attrs["model"]) for d in stores))
        layers = list(dict.fromkeys(str(d.attrs["layer"]) for d in stores))
        stimsets = list(dict.fromkeys(str(d.attrs["stimset"]) for d in stores))
        depth = np.full((len(models), len(layers)), np.nan)
        n_units = np.full((len(models), len(layers)), np.nan)
        training, architecture = {}, {}
        for ds in stores:
            model = str(ds.attrs["model"])
            i, j = models.index(model), layers.index(str(ds.attrs["layer"]))
            training[model] = str(ds.attrs["training"])
            architecture[model] = str(ds.attrs.get("architecture", model))
            depth[i, j] = layer_depth(ds.attrs["layer_index"], ds.attrs["n_layers"])
            n_units[i, j] = int(ds.attrs["n_units"])
        return cls(
            models,
            layers,
            stimsets,
            depth,
            n_units,
            [training[m] for m in models],
            [architecture[m] for m in models],
        )

    def index(self, ds: xr.Dataset) -> tuple[int, int, int]:
        """The (model, layer, stimset) position of a layer store."""
        return (
            self.models.index(str(ds.attrs["model"])),
            self.layers.index(str(ds.attrs["layer"])),
            self.stimsets.index(str(ds.attrs["stimset"])),
        )

    def layer_variables(self) -> dict[str, tuple[tuple[str, str], np.ndarray]]:
        """The ``layer_depth`` and ``n_units`` variables (model, layer) of a result store."""
        layer = (store.MODEL, store.LAYER)
        return {"layer_depth": (layer, self.depth), "n_units": (layer, self.n_units)}

    def coords(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The coords of a result store over the grid: model, layer, stimset, then ``extra``,
        then ``training`` and ``architecture`` on model."""
        return {
            store.MODEL: self.models,
            store.LAYER: self.layers,
            store.STIMSET: self.stimsets,
            **(extra or {}),
            "training": (store.MODEL, self.training),
            "architecture": (store.MODEL, self.architecture),
        }


def representation_inputs(config: Config, **wildcards: str) -> dict[str, list[str]]:
    """Rule inputs of a stage over every representation of ``stimset`` (or ``clipset``)."""
    return selection.representation_inputs(config, _stimset(wildcards))


def representation_files(config: Config, **wildcards: str) -> dict[str, list[str]]:
    """Per-layer and neural stores of every representation of ``stimset`` (or ``clipset``)."""
    return selection.representation_files(config, _stimset(wildcards))


def _stimset(wildcards: Mapping[str, str]) -> str:
    return wildcards["stimset"] if "stimset" in wildcards else wildcards["clipset"]


def distance_dataset(
    da: xr.DataArray, spec: Mapping[str, Any], **attrs: str | int | float
) -> xr.Dataset:
    """A ``(rep_a, rep_b)`` matrix as a distances store with its provenance."""
    ds = da.to_dataset(name="distance")
    ds.attrs.update(da.attrs)
    ds.attrs.update(store.provenance("distances", config=spec, **attrs))
    return ds
