"""Every representation of a stimulus set, model layers and brains alike, on common stimuli.

The distance matrices of the workflow compare *all* representations of a stimulus set: each
configured layer of each model (its exact reduced store, :mod:`repgeom.reduce`) and each neural
dataset recorded on the same stimuli (responses averaged over repetitions). This module loads
them once, matches their stimuli by ``stimulus_id`` and describes each one (source, model,
layer, training, depth) so that result stores can label their ``rep_a`` / ``rep_b`` axes.

Recordings may cover a subset of the stimulus set and miss trials (NaN;
:mod:`repgeom.neural.trials`). Every representation of a stimulus set is then compared on the
stimuli that *all* its neural datasets share (:func:`common_stimulus_ids`): the ids of every
store given, loaded or not, so that every block of a distance matrix uses the same stimuli.
Trial means skip missing trials; the stochastic metrics' samples hold the trial mean in their
place; a neuroid without a valid trial for some common stimulus is dropped (logged).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from repgeom import store
from repgeom.errors import InvalidInputError, ShapeMismatchError
from repgeom.neural.recordings import drop_incomplete, trials_line
from repgeom.neural.trials import fill_missing, nan_mean

log = logging.getLogger(__name__)

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
    ``samples`` holds the single trials (stimulus, repetition, units) where there are any
    (missing trials filled with the trial mean). ``stimulus_ids`` are the stimuli of the rows
    (the same for every representation of one :func:`load_representations` call).
    ``subjects`` labels each unit of a brain with its subject (None: one population).
    """

    name: str
    features: np.ndarray
    row_mean: np.ndarray
    n_units: int
    labels: dict[str, str | float]
    lead: tuple[int, ...]
    samples: np.ndarray | None = field(default=None, repr=False)
    stimulus_ids: tuple[str, ...] = field(default=(), repr=False)
    subjects: np.ndarray | None = field(default=None, repr=False)

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


def _brain_rep(ds: xr.Dataset, source: str | os.PathLike[str] = "<memory>") -> Representation:
    """A neural store's representation: trial means over the valid trials of each neuroid
    (neuroids without a valid trial for some stimulus are dropped, logged), and for still
    images the single trials, missing ones filled with the trial mean."""
    ds = drop_incomplete(ds, source=source)
    responses = ds["responses"]
    time = (store.TIME,) if store.TIME in responses.dims else ()
    trials = responses.transpose(store.STIMULUS, *time, store.REPETITION, store.NEUROID).values
    mean = nan_mean(trials, axis=-2)
    rows = mean.reshape(-1, mean.shape[-1])
    name, labels = _labels(ds.attrs)
    log.info("%s (%s): %d neuroids; %s", name, source, rows.shape[1], trials_line(ds))
    return Representation(
        name=name,
        features=rows,
        row_mean=rows.mean(axis=1),
        n_units=rows.shape[1],
        labels=labels,
        lead=mean.shape[:-1],
        samples=None if time else fill_missing(trials, axis=-2),
        subjects=ds[store.SUBJECT].values.astype(str) if store.SUBJECT in ds.coords else None,
    )


def _unloaded(attrs: Mapping[str, Any]) -> Representation:
    """A representation known by its labels only (its data are not needed by this job)."""
    name, labels = _labels(attrs)
    empty = np.empty((0, 0))
    return Representation(name, empty, np.empty(0), 0, labels, (0,))


def common_stimulus_ids(
    activation_ids: Mapping[str, Sequence[str]],
    neural_ids: Mapping[str, Sequence[str]],
    *,
    stimset: str = "?",
) -> list[str]:
    """The stimuli every representation of a stimulus set is compared on.

    ``activation_ids`` and ``neural_ids`` map each store (its path) to its stimulus ids. Model
    layers hold the whole stimulus set (their id sets must agree); each neural dataset may hold
    a subset of it. The result is the stimulus set's ids (in the first activation store's
    order) that every neural dataset holds; without activation stores, the ids all neural
    datasets share, in the first one's order.

    Raises
    ------
    ShapeMismatchError
        If layers disagree on the stimulus set, if a neural store holds an id that is not in
        the stimulus set (the message names the file and the side of each id), or if nothing
        is common.
    """
    layers = list(activation_ids.items())
    if layers:
        first_path, reference = layers[0]
        for path, ids in layers[1:]:
            store.check_same_ids(reference, ids, names=(str(first_path), str(path)))
        return store.common_stimuli(
            reference,
            {str(p): ids for p, ids in neural_ids.items()},
            reference_name=f"stimulus set {stimset} (as in {first_path})",
        )
    brains = list(neural_ids.items())
    if not brains:
        raise InvalidInputError("no representations given: pass activation or neural stores")
    common = set.intersection(*(set(map(str, ids)) for _, ids in brains))
    if not common:
        raise ShapeMismatchError(
            f"the neural datasets {[str(p) for p, _ in brains]} on stimulus set {stimset} share "
            "no stimulus"
        )
    return [str(i) for i in brains[0][1] if str(i) in common]


def load_representations(
    activation_files: Sequence[str | os.PathLike[str]],
    neural_files: Sequence[str | os.PathLike[str]] = (),
    *,
    needed: Collection[int] | None = None,
    described: Sequence[Mapping[str, Any]] | None = None,
) -> list[Representation]:
    """Load model-layer stores and neural stores of one stimulus set, in a common stimulus order.

    The order of the result is the order of the arguments (model layers first, then brains).
    The rows are the stimuli common to every store given (:func:`common_stimulus_ids`: the
    neural datasets may cover subsets of the stimulus set), in the first store's order, and
    every representation's ``stimulus_ids`` lists them. With ``needed`` only those positions
    are loaded; the others carry their name, labels and stimulus ids but no data (a block of a
    large matrix reads its own rows and columns, not all K representations, yet uses the same
    stimuli as every other block: the ids of the unloaded stores are read too). ``described``
    gives every position's store attrs as the config predicts them
    (:func:`repgeom.selection.representation_attrs`); with it, model layers outside ``needed``
    are not opened at all, so a block job depends only on its own members' stores (and on the
    neural stores, which decide the stimuli).

    Raises
    ------
    InvalidInputError
        If nothing is given or the stores are on different stimulus sets.
    ShapeMismatchError
        If model layers disagree on the stimulus set, or a neural store holds a stimulus id
        that is not in it (the message names the file).
    """
    paths = [*activation_files, *neural_files]
    if not paths:
        raise InvalidInputError("no representations given: pass activation or neural stores")
    schemas = ["activations"] * len(activation_files) + ["neural"] * len(neural_files)
    needed = set(range(len(paths))) if needed is None else set(needed)
    stores: list[xr.Dataset | dict[str, Any]] = []
    ids_of: list[list[str]] = []
    for k, (path, schema) in enumerate(zip(paths, schemas, strict=True)):
        if k in needed:
            stores.append(store.read(path, schema))
            ids_of.append(store.stimulus_ids(stores[-1]))
        elif described is not None and schema == "activations":
            stores.append(dict(described[k]))  # a layer of the same set: ids as the others'
            ids_of.append([])
        else:
            with xr.open_dataset(path, engine="netcdf4") as lazy:  # attrs and ids only
                stores.append(dict(lazy.attrs))
                ids_of.append(store.stimulus_ids(lazy))
    attrs = [ds.attrs if isinstance(ds, xr.Dataset) else ds for ds in stores]
    stimsets = {str(a.get("stimset")) for a in attrs}
    if len(stimsets) != 1:
        raise InvalidInputError(
            f"representations come from different stimulus sets {sorted(stimsets)}; "
            "compare representations of one stimulus set at a time"
        )
    stimset = stimsets.pop()
    n_layers = len(activation_files)
    ids = common_stimulus_ids(
        {
            str(p): i
            for p, i, ds in zip(paths[:n_layers], ids_of[:n_layers], stores, strict=False)
            if isinstance(ds, xr.Dataset) or described is None
        },
        {str(p): i for p, i in zip(paths[n_layers:], ids_of[n_layers:], strict=True)},
        stimset=stimset,
    )
    n_set = len(next((i for i in ids_of[:n_layers] if i), [])) or len(set().union(*ids_of))
    log.info(
        "stimulus set %s: %d of %d stimuli used (those every neural dataset holds: %s)",
        stimset,
        len(ids),
        n_set,
        ", ".join(str(a.get("neural")) for a in attrs[n_layers:]) or "none",
    )
    reps: list[Representation] = []
    for path, ds in zip(paths, stores, strict=True):
        if isinstance(ds, xr.Dataset):
            used = store.select_stimuli(ds, ids)
            neural = ds.attrs["schema"] == "neural"
            rep = _brain_rep(used, path) if neural else _model_rep(used)
        else:
            rep = _unloaded(ds)
        rep.stimulus_ids = tuple(ids)
        if any(r.name == rep.name for r in reps):
            raise InvalidInputError(f"{path}: representation {rep.name!r} is given twice")
        reps.append(rep)
    return reps
