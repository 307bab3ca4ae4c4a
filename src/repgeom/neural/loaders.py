"""Build a neural dataset from its config entry: simulate one, or load a user's recordings
(:mod:`repgeom.neural.recordings` describes the file format)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom.errors import ConfigError
from repgeom.neural.recordings import load_recordings
from repgeom.neural.simulate import simulate_v1


def load_responses(
    path: str | os.PathLike[str], stimuli: xr.Dataset, *, name: str | None = None
) -> xr.Dataset:
    """Read a recordings file (``responses`` of dims (stimulus, repetition, neuroid[, time])
    and ``stimulus_id``; see :mod:`repgeom.neural.recordings`) and return it as a neural store
    in the stimulus set's order, with provenance.

    The file may cover a subset of the stimulus set; it needs no repgeom attrs, no
    ``neuroid_id``, ``region`` or ``subject``. ``name`` (the config's dataset name) makes a
    missing file's message name the config key ``neural.{name}.path``.

    Raises
    ------
    RecordingsError
        (a :class:`SchemaError` and :class:`ShapeMismatchError`) listing every problem of the
        file at once, e.g. stimulus ids that are in the file but not in the stimulus set.
    """
    return load_recordings(path, stimuli, name=name)


def build_neural(name: str, spec: Mapping[str, Any], stimuli: xr.Dataset) -> xr.Dataset:
    """Build the neural dataset ``name`` from its config entry: ``kind: simulated_v1`` (the
    remaining keys are :func:`~repgeom.neural.simulate_v1` arguments) or ``kind: file`` with
    ``path`` (a recordings file, :mod:`repgeom.neural.recordings`)."""
    params = {k: v for k, v in spec.items() if k not in ("kind", "stimset")}
    kind = spec.get("kind")
    if kind == "simulated_v1":
        return simulate_v1(stimuli, name=name, **params)
    if kind == "file":
        if "path" not in params:
            raise ConfigError(f"neural.{name}.path: kind 'file' needs the recordings file's path")
        return load_responses(Path(params["path"]), stimuli, name=name)
    raise ConfigError(f"neural.{name}.kind: {kind!r} is unknown; choose simulated_v1 or file")
