"""Stage ``dsa``: DSA between every representation of a clip set (clips are trials)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from repgeom import paths, store
from repgeom.errors import InvalidInputError
from repgeom.reduce import principal_axes
from repgeom.representations import Representation, load_representations
from repgeom.stages.base import ON_DEVICE, Config, Stage
from repgeom.stages.common import (
    REPRESENTATION_ARGS,
    Paths,
    distance_dataset,
    representation_files,
    representation_inputs,
)

if TYPE_CHECKING:
    import torch

#: Keys of a DSA spec that are :class:`~repgeom.dsa.DSA` arguments.
DSA_KEYS = ("n_delays", "delay_interval", "rank", "score_method", "group")


def _principal_series(rep: Representation, n_components: int) -> np.ndarray:
    """A representation's clips (stimulus, time, units) on its ``n_components`` leading
    principal axes (centred over all frames): DMD needs few dims and many samples."""
    series = rep.series
    rows = series.reshape(-1, series.shape[-1])
    mean, axes = principal_axes(rows, n_components)
    return ((rows - mean) @ axes).reshape(*series.shape[:2], axes.shape[1])


def dsa_params(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`~repgeom.dsa.DSA` arguments of a DSA spec."""
    return {k: spec[k] for k in DSA_KEYS if k in spec}


def dsa_stage(
    activations: Paths,
    neural: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    device: torch.device | str = "cpu",
) -> Path:
    """DSA between every representation of a clip set (clips are trials).

    Writes ``results/dsa/{clipset}.nc``; each representation enters on its ``n_components``
    leading principal axes. The clips are those every neural dataset on the set holds (attr
    ``n_stimuli_used``); a brain's series are trial means over valid trials.
    """
    from repgeom import distances as dist
    from repgeom.dsa import DSA

    reps = load_representations(activations, neural)
    if len(reps) < 2:
        raise InvalidInputError(f"{spec['clipset']}: DSA needs at least 2 representations")
    series = [_principal_series(r, spec["n_components"]) for r in reps]
    params = dsa_params(spec)
    D = np.asarray(DSA(series, **params, device=str(device)).fit_score())
    da = dist.as_dataarray(D, reps, "dsa", "dsa", params)
    ds = distance_dataset(
        da, spec, stimset=spec["clipset"], n_stimuli_used=len(reps[0].stimulus_ids)
    )
    return store.write(ds, out, "distances")


def _spec(config: Config, clipset: str) -> dict[str, Any]:
    spec = {
        k: v
        for k, v in config["analyses"]["dsa"].items()
        if k not in ("clipsets", "enabled", "tutorial")
    }
    return {**spec, "clipset": clipset, "device": config["device"]}


STAGE = Stage(
    name="dsa",
    command="dsa",
    help="DSA between representations of a clip set",
    output=paths.DSA,
    spec=_spec,
    run=dsa_stage,
    inputs=representation_inputs,
    files=representation_files,
    **ON_DEVICE,
    threads=2,  # the batched pair search runs torch on both cores (CPU 13 s in 8.6 s)
    args=REPRESENTATION_ARGS,
)
