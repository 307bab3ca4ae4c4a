"""Stage functions of the comparison rules: distance blocks and their assembly, RDM stores,
and DSA over clips and the tutorial systems.

As in :mod:`repgeom.stages`, each reads stores, calls the library and writes one store
atomically with provenance; ``spec`` is the part of the config that determines the output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import distances as dist, store
from repgeom.device import resolve_device
from repgeom.errors import InvalidInputError
from repgeom.metrics.rsa import rdm_from_reduced, vector_to_matrix
from repgeom.representations import Representation, load_representations, principal_axes

log = logging.getLogger(__name__)

Paths = Sequence[str | os.PathLike[str]]


def _distance_store(
    da: xr.DataArray, kind_attrs: Mapping[str, Any], spec: Mapping[str, Any]
) -> xr.Dataset:
    ds = da.to_dataset(name="distance")
    ds.attrs.update(da.attrs)
    ds.attrs.update(store.provenance("distances", config=spec, **kind_attrs))
    return ds


def distances_block_stage(
    activation_files: Paths,
    neural_files: Paths,
    spec: Mapping[str, Any],
    block: tuple[int, int],
    out: str | os.PathLike[str],
) -> Path:
    """One block of one metric's matrix over every representation of a stimulus set.

    ``spec`` holds ``stimset``, ``metric`` (its name), ``method``, ``params``, ``block_size``
    and ``device``; the block's pairs are computed, the rest of the matrix is NaN.
    """
    n = len(activation_files) + len(neural_files)
    rows, cols = dist.block_ranges(n, block, spec["block_size"])
    reps = load_representations(activation_files, neural_files, needed={*rows, *cols})
    D = dist.distance_block(
        reps,
        spec["method"],
        spec["params"],
        block=block,
        block_size=spec["block_size"],
        device=str(resolve_device(spec["device"])),
    )
    da = dist.as_dataarray(D, reps, spec["metric"], spec["method"], spec["params"])
    log.info(
        "%s %s block %s: %d representations", spec["stimset"], spec["metric"], block, len(reps)
    )
    attrs = {"stimset": spec["stimset"], "block": f"{block[0]}-{block[1]}"}
    return store.write(_distance_store(da, attrs, spec), out, "distances")


def distances_combine_stage(
    block_paths: Paths, spec: Mapping[str, Any], out: str | os.PathLike[str]
) -> Path:
    """Assemble a metric's blocks into ``results/distances/{stimset}/{metric}.nc``."""
    blocks = [store.read(p, "distances")["distance"] for p in block_paths]
    da = dist.combine_blocks(blocks)
    attrs = {"stimset": spec["stimset"], "n_blocks": len(blocks)}
    return store.write(_distance_store(da, attrs, spec), out, "distances")


def rdms_stage(
    activation_files: Paths,
    neural_files: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Square RDMs (rep, stimulus, stimulus_) of every representation, for the RSA figure."""
    reps = load_representations(activation_files, neural_files)
    first = activation_files[0] if activation_files else neural_files[0]
    with xr.open_dataset(first, engine="netcdf4") as reference:  # reps follow its order
        ids = reference[[store.STIMULUS_ID, store.CATEGORY]].load()
    M = np.stack(
        [
            vector_to_matrix(
                rdm_from_reduced(r.features, r.row_mean, r.n_units, spec["rdm_method"])
            )
            for r in reps
        ]
    )
    mirror = f"{store.STIMULUS}_"
    ds = xr.Dataset(
        {"rdm": ((store.REP, store.STIMULUS, mirror), M)},
        coords={
            store.REP: [r.name for r in reps],
            store.STIMULUS_ID: (store.STIMULUS, ids[store.STIMULUS_ID].values),
            store.CATEGORY: (store.STIMULUS, ids[store.CATEGORY].values),
            **{
                f"{store.REP}_{k}": (store.REP, [r.labels[k] for r in reps])
                for k in ("source", "model", "layer")
            },
        },
    )
    ds["rdm"].attrs["method"] = spec["rdm_method"]
    ds.attrs.update(store.provenance("rdms", config=spec, stimset=spec["stimset"]))
    return store.write(ds, out, "rdms")


def _principal_series(rep: Representation, n_components: int) -> np.ndarray:
    """A representation's clips (stimulus, time, units) on its ``n_components`` leading
    principal axes (centred over all frames): DMD needs few dims and many samples."""
    series = rep.series
    rows = series.reshape(-1, series.shape[-1])
    mean, axes = principal_axes(rows, n_components)
    return ((rows - mean) @ axes).reshape(*series.shape[:2], axes.shape[1])


def dsa_params(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`~repgeom.dsa.DSA` arguments of a DSA spec."""
    keys = ("n_delays", "delay_interval", "rank", "score_method", "group")
    return {k: spec[k] for k in keys if k in spec}


def dsa_stage(
    activation_files: Paths,
    neural_files: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """DSA between every representation of a clip set (clips are trials).

    Writes ``results/dsa/{clipset}.nc``; each representation enters on its ``n_components``
    leading principal axes.
    """
    from repgeom.dsa import DSA

    reps = load_representations(activation_files, neural_files)
    if len(reps) < 2:
        raise InvalidInputError(f"{spec['clipset']}: DSA needs at least 2 representations")
    series = [_principal_series(r, spec["n_components"]) for r in reps]
    params = dsa_params(spec)
    D = np.asarray(DSA(series, **params, device=str(resolve_device(spec["device"]))).fit_score())
    da = dist.as_dataarray(D, reps, "dsa", "dsa", params)
    return store.write(_distance_store(da, {"stimset": spec["clipset"]}, spec), out, "distances")


def dsa_tutorial_stage(spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """DSA of the tutorial's circle, oval and walk under each configured delay setting.

    Writes a (setting, rep_a, rep_b) store: ``setting`` names the delay settings, e.g.
    ``n_delays=1`` and ``n_delays=20, delay_interval=10``.
    """
    from repgeom.dsa import DSA
    from repgeom.dsa.systems import tutorial_systems

    systems = tutorial_systems(spec["n_steps"], spec["seed"])
    names = list(systems)
    matrices, labels = [], []
    for setting in spec["settings"]:
        params = {"score_method": "angular", **setting}
        matrices.append(np.asarray(DSA(list(systems.values()), **params).fit_score()))
        labels.append(", ".join(f"{k}={v}" for k, v in setting.items()))
    ds = xr.Dataset(
        {"distance": ((store.SETTING, store.REP_A, store.REP_B), np.stack(matrices))},
        coords={store.SETTING: labels, store.REP_A: names, store.REP_B: names},
    )
    ds.attrs.update({"metric": "dsa", "method": "dsa", "metric_kind": "distance"})
    ds.attrs.update(store.provenance("distances", config=spec, stimset="tutorial"))
    return store.write(ds, out, "distances")
