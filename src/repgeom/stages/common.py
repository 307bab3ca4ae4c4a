"""What several comparison stages share: their representation arguments and inputs, and the
distance store they write."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import xarray as xr

from repgeom import selection, store
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
