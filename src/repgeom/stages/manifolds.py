"""Stage ``manifolds``: class-manifold projection distances of every layer on the categorised
still sets (the encoder-dimensionality study's geometry,
:func:`repgeom.manifolds.projection_distances`)."""

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

SOURCE, TARGET = "source_category", "target_category"
#: Dims of ``projection_distances`` in ``results/manifolds.nc``.
GRID = (store.MODEL, store.LAYER, store.STIMSET, "metric", SOURCE, TARGET)


def manifolds_stage(
    activations: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Projection distances between the classes of every categorised still set, every layer.

    ``activations`` are the activation folders of the sets × models. Each layer's exact reduced
    features go to :func:`repgeom.manifolds.projection_distance_arrays` with the store's
    ``category`` coord as labels (every stimulus; classes may differ in size) and the stored
    original width ``n_units`` (the class radius averages variance over the original units), so
    the numbers equal those of the raw layer.

    Writes ``results/manifolds.nc``:

    - ``projection_distances`` (model, layer, stimset, metric, source_category,
      target_category), metric = ``centroid_distances``, ``scaled_projections``,
      ``projections_raw``. The category dims are the union of the sets' categories (in order of
      first appearance); a category that a set lacks is NaN there, as is a layer a model lacks.
      One store keeps every set, so a figure reads one file; ``n_stimuli`` tells which
      categories belong to which set.
    - ``pair_mean`` (model, layer, stimset, metric): the mean over ordered pairs of distinct
      categories of the set (the study's "mean projection distance").
    - ``n_stimuli`` (stimset, source_category): stimuli per category (0: not in the set).
    - ``layer_depth``, ``n_units`` (model, layer); ``training``, ``architecture`` on model.
    """
    from repgeom.manifolds import METRICS, projection_distance_arrays

    stores = layer_stores(activations)
    grid = LayerGrid.of(stores)
    models, layers, stimsets = grid.models, grid.layers, grid.stimsets
    categories: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    for ds in stores:
        stimset = str(ds.attrs["stimset"])
        if stimset not in counts:
            labels = [str(c) for c in ds[store.CATEGORY].values]
            counts[stimset] = {c: labels.count(c) for c in dict.fromkeys(labels)}
            categories += [c for c in counts[stimset] if c not in categories]
    position = {c: n for n, c in enumerate(categories)}
    K = len(categories)
    values = np.full((len(models), len(layers), len(stimsets), len(METRICS), K, K), np.nan)
    pair_mean = np.full(values.shape[:4], np.nan)
    for ds in stores:
        model, layer, stimset = (str(ds.attrs[k]) for k in ("model", "layer", "stimset"))
        if store.TIME in ds["features"].dims:
            raise InvalidInputError(f"{stimset}: clips; the manifold geometry takes still images")
        i, j, k = grid.index(ds)
        try:
            arrays, cats = projection_distance_arrays(
                feature_rows(ds)[0],
                np.asarray(ds[store.CATEGORY].values).astype(str),
                n_units=int(ds.attrs["n_units"]),
            )
        except InvalidInputError as exc:
            raise InvalidInputError(f"stimulus set {stimset!r}, {model}/{layer}: {exc}") from exc
        idx = np.array([position[c] for c in cats])
        values[i, j, k][:, idx[:, None], idx[None, :]] = arrays
        off = ~np.eye(len(cats), dtype=bool)
        pair_mean[i, j, k] = arrays[:, off].mean(axis=1)
        log.info(
            "%s/%s on %s: mean scaled projection %.3f",
            model,
            layer,
            stimset,
            pair_mean[i, j, k, 1],
        )
    n_stimuli = np.array([[counts[s].get(c, 0) for c in categories] for s in stimsets])
    out_ds = xr.Dataset(
        {
            "projection_distances": (GRID, values),
            "pair_mean": (GRID[:4], pair_mean),
            "n_stimuli": ((store.STIMSET, SOURCE), n_stimuli),
            **grid.layer_variables(),
        },
        coords=grid.coords({"metric": list(METRICS), SOURCE: categories, TARGET: categories}),
    )
    out_ds["pair_mean"].attrs["definition"] = "mean over ordered pairs of distinct categories"
    out_ds.attrs.update(store.provenance("manifolds", config=spec))
    return store.write(out_ds, out, "manifolds")


def _spec(config: Config) -> dict[str, Any]:
    return {"stimsets": selection.manifold_stimsets(config)}


STAGE = Stage(
    name="manifolds",
    command="manifolds",
    help="class-manifold geometry of every layer",
    output=paths.MANIFOLDS,
    spec=_spec,
    run=manifolds_stage,
    inputs=activation_folders(selection.manifold_stimsets),
    args=(ACTIVATION_FOLDERS,),
)
