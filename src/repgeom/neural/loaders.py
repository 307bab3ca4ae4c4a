"""Load a user's recorded responses and check them against the stimulus set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom import store
from repgeom.errors import ConfigError
from repgeom.neural.simulate import simulate_v1


def load_responses(path: str | os.PathLike[str], stimuli: xr.Dataset) -> xr.Dataset:
    """Read a neural store (``responses`` of dims (stimulus, repetition, neuroid[, time])) and
    return it in the stimulus set's order.

    Raises
    ------
    SchemaError
        If the file does not follow the neural store schema.
    ShapeMismatchError
        If its ``stimulus_id`` values are not exactly those of the stimulus set; the message
        lists a few of the offending ids on each side.
    """
    responses = store.read(path, "neural")
    _, aligned = store.align_stimuli(stimuli, responses)
    return aligned


def build_neural(name: str, spec: Mapping[str, Any], stimuli: xr.Dataset) -> xr.Dataset:
    """Build the neural dataset ``name`` from its config entry: ``kind: simulated_v1`` (the
    remaining keys are :func:`~repgeom.neural.simulate_v1` arguments) or ``kind: file`` with
    ``path``."""
    params = {k: v for k, v in spec.items() if k not in ("kind", "stimset")}
    kind = spec.get("kind")
    if kind == "simulated_v1":
        return simulate_v1(stimuli, name=name, **params)
    if kind == "file":
        return load_responses(Path(params["path"]), stimuli)
    raise ConfigError(f"neural.{name}.kind: {kind!r} is unknown; choose simulated_v1 or file")
