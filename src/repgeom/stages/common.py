"""What several stages share: their representation and activation-folder arguments and inputs,
the layer stores of activation folders, and the distance store the comparison stages write."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
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
                for m in config["models"]
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
