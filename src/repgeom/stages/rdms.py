"""Stage ``rdms``: the square RDMs the figures draw (the first model's layers and the brains of
a stimulus set; of each frame, on a clip set), and each RDM as percentiles of its own entries
(what the RSA figure and the RDM movie show). The second-order RDM over every representation
is the RSA metric's distance matrix."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import layout, paths, selection, store
from repgeom.representations import load_representations
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import (
    REPRESENTATION_ARGS,
    Paths,
)


def rdms_stage(
    activations: Paths,
    neural: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Square RDMs (rep, stimulus, stimulus_) of the given representations (in the workflow:
    the first model's layers and the brains, :func:`repgeom.selection.rdm_models`), for the
    RSA figure; on a clip set one per frame (rep, time, stimulus, stimulus_), for the RDM
    movie.

    ``rdm`` holds the RDMs (``spec["rdm_method"]``, exact from the reduced stores) and
    ``rdm_percentile`` each RDM's entries as percentiles of its own entries (float32, for
    display; :func:`repgeom.layout.percentile_rdms`). The stimuli are those every neural
    dataset on the set holds (:func:`~repgeom.representations.load_representations`; the attr
    ``n_stimuli_used`` counts them), trial means over valid trials.
    """
    from repgeom.metrics.rsa import rdm_from_reduced, vector_to_matrix

    reps = load_representations(activations, neural)
    used = list(reps[0].stimulus_ids)
    first = activations[0] if activations else neural[0]
    with xr.open_dataset(first, engine="netcdf4") as reference:  # the set's order
        n_set = reference.sizes[store.STIMULUS]
        labels = reference[[store.STIMULUS_ID, *_category(reference)]].load()
    ids = store.select_stimuli(labels, used)
    category = ids[store.CATEGORY].values if store.CATEGORY in ids else np.full(len(used), "")
    frames = reps[0].lead[1] if len(reps[0].lead) == 2 else None

    def square(features: np.ndarray, row_mean: np.ndarray, n_units: int) -> np.ndarray:
        return vector_to_matrix(rdm_from_reduced(features, row_mean, n_units, spec["rdm_method"]))

    if frames is None:
        M = np.stack([square(r.features, r.row_mean, r.n_units) for r in reps])
    else:  # clips: one RDM per frame (rows are stimulus-major: stimulus · time)
        M = np.stack(
            [
                [
                    square(r.features[t::frames], r.row_mean[t::frames], r.n_units)
                    for t in range(frames)
                ]
                for r in reps
            ]
        )
    mirror = f"{store.STIMULUS}_"
    dims = (store.REP, *((store.TIME,) if frames else ()), store.STIMULUS, mirror)
    n = M.shape[-1]
    percentiles = layout.percentile_rdms(M.reshape(-1, n, n)).reshape(M.shape)
    ds = xr.Dataset(
        {
            "rdm": (dims, M),
            "rdm_percentile": (dims, percentiles.astype(np.float32)),
        },
        coords={
            store.REP: [r.name for r in reps],
            store.STIMULUS_ID: (store.STIMULUS, used),
            store.CATEGORY: (store.STIMULUS, category),
            **{
                f"{store.REP}_{k}": (store.REP, [r.labels[k] for r in reps])
                for k in ("source", "model", "layer")
            },
        },
    )
    ds["rdm"].attrs["method"] = spec["rdm_method"]
    ds.attrs.update(
        store.provenance(
            "rdms",
            config=spec,
            stimset=spec["stimset"],
            n_stimuli_used=len(used),
            n_stimuli_in_set=n_set,
        )
    )
    return store.write(ds, out, "rdms")


def _category(ds: xr.Dataset) -> list[str]:
    return [store.CATEGORY] if store.CATEGORY in ds.coords else []


def _spec(config: Config, stimset: str) -> dict[str, Any]:
    metric = selection.rsa_metric(config)
    method = config["analyses"]["distances"]["metrics"][metric] if metric else {}
    return {"stimset": stimset, "rdm_method": method.get("rdm_method", "correlation")}


def _inputs(config: Config, stimset: str) -> dict[str, list[str]]:
    return selection.representation_inputs(config, stimset, selection.rdm_models(config, stimset))


def _files(config: Config, stimset: str) -> dict[str, list[str]]:
    return selection.representation_files(config, stimset, selection.rdm_models(config, stimset))


STAGE = Stage(
    name="rdms",
    command="rdms",
    help="RDMs of the first model's layers and the brains",
    output=paths.RDMS,
    spec=_spec,
    run=rdms_stage,
    inputs=_inputs,
    files=_files,
    args=REPRESENTATION_ARGS,
)
