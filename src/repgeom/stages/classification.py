"""Stage ``classification``: few-shot readouts of every layer on the categorised still sets
(the encoder-dimensionality study's n-shot protocol, :func:`repgeom.classification.nshot`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
from repgeom.representations import feature_rows
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import (
    ACTIVATION_FOLDERS,
    LayerGrid,
    activation_folders,
    layer_stores,
)

log = logging.getLogger(__name__)

#: Dims of every score variable of ``results/classification.nc``.
GRID = (store.MODEL, store.LAYER, store.STIMSET, "classifier", "n_train", "repeat")


def class_rows(categories: np.ndarray, n_per_class: int | None = None) -> tuple[np.ndarray, list]:
    """Row indices that put a set's stimuli in contiguous class blocks.

    Classes in order of first appearance, each class's stimuli in their stored order; with
    ``n_per_class``, only the first ``n_per_class`` of each class (the n-shot protocol uses
    exactly those). Returns the indices and the class labels.

    Raises
    ------
    InvalidInputError
        A class with fewer than ``n_per_class`` stimuli.
    """
    categories = np.asarray(categories).astype(str)
    classes = list(dict.fromkeys(categories.tolist()))
    rows = []
    for c in classes:
        members = np.flatnonzero(categories == c)
        if n_per_class is not None:
            if members.size < n_per_class:
                raise InvalidInputError(
                    f"category {c!r} has {members.size} stimuli but the few-shot readout needs "
                    f"max(n_train) + n_test = {n_per_class}; lower analyses.classification."
                    "n_train / n_test or leave this set out"
                )
            members = members[:n_per_class]
        rows.append(members)
    return np.concatenate(rows), classes


def chance_levels(n_classes: int) -> tuple[float, float]:
    """Top-1 accuracy and MRR of a readout that ranks the classes at random: ``1/K`` and
    ``H_K / K`` (the mean of ``1/rank`` over ranks 1..K)."""
    return 1.0 / n_classes, float(np.sum(1.0 / np.arange(1, n_classes + 1)) / n_classes)


def classification_stage(
    activations: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Few-shot classification of every layer on every categorised still set.

    ``activations`` are the activation folders of the sets (``spec["stimsets"]``) × models.
    Each layer's exact reduced features (``Z = U S``, the same numbers as the raw features: both
    readouts are rotation invariant) are put in class blocks (:func:`class_rows`, the store's
    ``category`` coord) and scored with :func:`repgeom.classification.nshot_arrays` for each of
    ``spec["classifiers"]``, ``spec["n_train"]``, ``spec["n_test"]`` and ``spec["n_repeats"]``.

    Writes ``results/classification.nc``: ``top1``, ``top5``, ``mrr`` (and ``log_likelihood``
    with the linear readout; NaN for the prototype one) with dims (model, layer, stimset,
    classifier, n_train, repeat), NaN where a model lacks a layer; ``n_classes``,
    ``chance_top1``, ``chance_mrr`` (stimset); ``layer_depth``, ``n_units`` (model, layer);
    ``training`` and ``architecture`` coords on model.
    """
    from repgeom.classification import nshot_arrays

    n_train = [int(n) for n in spec["n_train"]]
    n_test, n_repeats = int(spec["n_test"]), int(spec["n_repeats"])
    classifiers = list(spec["classifiers"])
    need = max(n_train) + n_test
    stores = layer_stores(activations)
    grid = LayerGrid.of(stores)
    models, layers, stimsets = grid.models, grid.layers, grid.stimsets
    names = ["top1", "top5", "mrr"] + (["log_likelihood"] if "linear" in classifiers else [])
    shape = (len(models), len(layers), len(stimsets), len(classifiers), len(n_train), n_repeats)
    scores = {name: np.full(shape, np.nan) for name in names}
    n_classes = np.zeros(len(stimsets), dtype=int)
    for ds in stores:
        model, layer, stimset = (str(ds.attrs[k]) for k in ("model", "layer", "stimset"))
        if store.TIME in ds["features"].dims:
            raise InvalidInputError(f"{stimset}: clips; the few-shot readout takes still images")
        i, j, k = grid.index(ds)
        try:
            rows, classes = class_rows(ds[store.CATEGORY].values, need)
        except InvalidInputError as exc:
            raise InvalidInputError(f"stimulus set {stimset!r}: {exc}") from exc
        n_classes[k] = len(classes)
        X = feature_rows(ds)[0][rows]
        labels = np.repeat(np.arange(len(classes)), need)
        for c, classifier in enumerate(classifiers):
            result = nshot_arrays(X, labels, n_train, n_test, n_repeats, classifier)
            for name, values in result.items():
                scores[name][i, j, k, c] = values
        log.info(
            "%s/%s on %s: MRR %s",
            model,
            layer,
            stimset,
            ", ".join(f"{v:.3f}" for v in scores["mrr"][i, j, k, 0].mean(axis=-1)),
        )
    chance = np.array([chance_levels(n) for n in n_classes])
    ds = xr.Dataset(
        {
            **{name: (GRID, values) for name, values in scores.items()},
            "n_classes": (store.STIMSET, n_classes),
            "chance_top1": (store.STIMSET, chance[:, 0]),
            "chance_mrr": (store.STIMSET, chance[:, 1]),
            **grid.layer_variables(),
        },
        coords=grid.coords(
            {"classifier": classifiers, "n_train": n_train, "repeat": np.arange(n_repeats)}
        ),
    )
    ds["mrr"].attrs["definition"] = "mean over test samples of 1 / rank of the true class"
    ds.attrs.update(
        store.provenance("classification", config=spec, n_test=n_test, n_repeats=n_repeats)
    )
    return store.write(ds, out, "classification")


def _spec(config: Config) -> dict[str, Any]:
    section = config["analyses"]["classification"]
    return {
        "stimsets": selection.classification_stimsets(config),
        "classifiers": list(section["classifiers"]),
        "n_train": list(section["n_train"]),
        "n_test": section["n_test"],
        "n_repeats": section["n_repeats"],
    }


STAGE = Stage(
    name="classification",
    command="classification",
    help="few-shot readouts of every layer",
    output=paths.CLASSIFICATION,
    spec=_spec,
    run=classification_stage,
    inputs=activation_folders(selection.classification_stimsets),
    args=(ACTIVATION_FOLDERS,),
)
