"""Every representation of a stimulus set, model layers and brains alike, on common stimuli.

The distance matrices of the workflow compare *all* representations of a stimulus set: each
configured layer of each model (its exact reduced store, :mod:`repgeom.reduce`) and each neural
dataset recorded on the same stimuli (responses averaged over repetitions). This module loads
them once, matches their stimuli by ``stimulus_id`` and describes each one (source, model,
layer, training, depth) so that result stores can label their ``rep_a`` / ``rep_b`` axes.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from repgeom import store
from repgeom.errors import InvalidInputError

#: ``source`` of a representation: a model layer or a neural dataset (brain).
MODEL_SOURCE, BRAIN_SOURCE = "model", "brain"
#: Per-representation labels carried as coords on the ``rep_a`` / ``rep_b`` dims.
LABELS = ("source", "model", "layer", "training", "depth")


@dataclass
class Representation:
    """One representation on a stimulus set.

    ``features`` rows are stimuli (times frames for clips: ``lead`` gives the shape): the exact
    reduced rows of a model layer, or the repetition-averaged responses of a neural dataset.
    ``row_mean`` and ``n_units`` restore what a rotation loses (per-row means over the original
    units, the original width), so RDMs stay exact (:func:`repgeom.metrics.rsa.rdm_from_reduced`).
    ``samples`` holds the single trials (stimulus, repetition, units) where there are any.
    """

    name: str
    features: np.ndarray
    row_mean: np.ndarray
    n_units: int
    labels: dict[str, str | float]
    lead: tuple[int, ...]
    samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def series(self) -> np.ndarray:
        """Rows regrouped as (stimulus, time, units) for dynamics (clips only)."""
        if len(self.lead) != 2:
            raise InvalidInputError(f"{self.name}: no time dim; dynamics need clips")
        return self.features.reshape(*self.lead, -1)


def layer_depth(layer_index: int, n_layers: int) -> float:
    """Relative depth of a model's layer among its configured layers: 0 = first, 1 = last
    (a single layer is at 0). The one definition: stores record it and figures read it."""
    return int(layer_index) / max(int(n_layers) - 1, 1)


def feature_rows(ds: xr.Dataset) -> tuple[np.ndarray, tuple[int, ...]]:
    """An activation store's reduced features as rows ``(stimulus[·time], component)``, and the
    lead shape ``(n_stimuli[, n_frames])`` that regroups them."""
    features = ds["features"]
    time = (store.TIME,) if store.TIME in features.dims else ()
    arr = features.transpose(store.STIMULUS, *time, store.COMPONENT).values
    return arr.reshape(-1, arr.shape[-1]), arr.shape[:-1]


def rep_name(model: str, layer: str) -> str:
    """The name of a model layer among all representations: ``model/layer``."""
    return f"{model}/{layer}"


def _labels(attrs: Mapping[str, Any]) -> tuple[str, dict[str, str | float]]:
    """A store's representation name and labels, from its attrs alone."""
    if attrs["schema"] == "neural":
        name = str(attrs["neural"])
        return name, {
            "source": BRAIN_SOURCE,
            "model": name,
            "layer": "-",
            "training": "brain",
            "depth": 1.0,
        }
    model, layer = str(attrs["model"]), str(attrs["layer"])
    depth = layer_depth(attrs["layer_index"], attrs["n_layers"])
    labels = {
        "source": MODEL_SOURCE,
        "model": model,
        "layer": layer,
        "training": str(attrs["training"]),
    }
    return rep_name(model, layer), {**labels, "depth": depth}


def _model_rep(ds: xr.Dataset) -> Representation:
    rows, lead = feature_rows(ds)
    time = (store.TIME,) if store.TIME in ds["features"].dims else ()
    row_mean = ds["row_mean"].transpose(store.STIMULUS, *time).values.reshape(-1)
    name, labels = _labels(ds.attrs)
    return Representation(
        name=name,
        features=rows,
        row_mean=row_mean,
        n_units=int(ds.attrs["n_units"]),
        labels=labels,
        lead=lead,
    )


def _brain_rep(ds: xr.Dataset) -> Representation:
    responses = ds["responses"]
    time = (store.TIME,) if store.TIME in responses.dims else ()
    trials = responses.transpose(store.STIMULUS, *time, store.REPETITION, store.NEUROID).values
    mean = trials.mean(axis=-2)
    rows = mean.reshape(-1, mean.shape[-1])
    name, labels = _labels(ds.attrs)
    return Representation(
        name=name,
        features=rows,
        row_mean=rows.mean(axis=1),
        n_units=rows.shape[1],
        labels=labels,
        lead=mean.shape[:-1],
        samples=None if time else trials,
    )


def _unloaded(attrs: Mapping[str, Any]) -> Representation:
    """A representation known by its labels only (its data are not needed by this job)."""
    name, labels = _labels(attrs)
    empty = np.empty((0, 0))
    return Representation(name, empty, np.empty(0), 0, labels, (0,))


def load_representations(
    activation_files: Sequence[str | os.PathLike[str]],
    neural_files: Sequence[str | os.PathLike[str]] = (),
    *,
    needed: Collection[int] | None = None,
) -> list[Representation]:
    """Load model-layer stores and neural stores of one stimulus set, in a common stimulus order.

    The order of the result is the order of the arguments (model layers first, then brains);
    stimuli follow the first loaded store's ``stimulus_id`` order. With ``needed`` only those
    positions are loaded; the others carry their name and labels but no data (a block of a
    large matrix reads its own rows and columns, not all K representations).

    Raises
    ------
    InvalidInputError
        If nothing is given or the stores are on different stimulus sets.
    ShapeMismatchError
        If their stimulus ids differ.
    """
    paths = [*activation_files, *neural_files]
    if not paths:
        raise InvalidInputError("no representations given: pass activation or neural stores")
    schemas = ["activations"] * len(activation_files) + ["neural"] * len(neural_files)
    needed = set(range(len(paths))) if needed is None else set(needed)
    stores: list[xr.Dataset | dict[str, Any]] = []
    for k, (path, schema) in enumerate(zip(paths, schemas, strict=True)):
        if k in needed:
            stores.append(store.read(path, schema))
        else:
            with xr.open_dataset(path, engine="netcdf4") as lazy:  # attrs only
                stores.append(dict(lazy.attrs))
    attrs = [ds.attrs if isinstance(ds, xr.Dataset) else ds for ds in stores]
    stimsets = {str(a.get("stimset")) for a in attrs}
    if len(stimsets) != 1:
        raise InvalidInputError(
            f"representations come from different stimulus sets {sorted(stimsets)}; "
            "compare representations of one stimulus set at a time"
        )
    reference = next((ds for ds in stores if isinstance(ds, xr.Dataset)), None)
    reps: list[Representation] = []
    for path, ds in zip(paths, stores, strict=True):
        if isinstance(ds, xr.Dataset):
            _, aligned = store.align_stimuli(reference, ds)
            rep = _brain_rep(aligned) if ds.attrs["schema"] == "neural" else _model_rep(aligned)
        else:
            rep = _unloaded(ds)
        if any(r.name == rep.name for r in reps):
            raise InvalidInputError(f"{path}: representation {rep.name!r} is given twice")
        reps.append(rep)
    return reps
