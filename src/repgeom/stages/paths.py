"""Stage ``paths``: representational paths — every layer of the chosen models, the pixels and the
one-hot labels of one still set in one metric space (:mod:`repgeom.layer_paths`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
from repgeom.stages.base import Arg, Config, Stage
from repgeom.stages.common import Paths

log = logging.getLogger(__name__)

#: The ``rep_model`` of the input and label anchors.
ANCHOR = "anchor"


def paths_stage(
    stimuli: str | os.PathLike[str],
    activations: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Distances between every layer of ``spec["models"]``, the pixels and the labels; MDS
    coordinates of all of them; each model's path length.

    ``activations`` are the layer stores, model by model in the configured layer order. The
    pixels are the stimuli store's images flattened, the labels one-hot codes of its
    ``category`` (:mod:`repgeom.layer_paths`); every representation uses the stimuli of the
    layer stores. Writes ``results/paths/{stimset}.nc``:

    - ``distance`` (rep_a, rep_b): the metric (``spec["method"]``, ``spec["params"]``) between
      every two points, pixels first and labels last;
    - ``coordinate`` (rep, axis): 2-D metric MDS of ``distance`` (``1 − s`` for a similarity);
    - ``path_length`` (model): Σ d between consecutive layers; ``anchored_path_length``
      (model): from the pixels through the layers to the labels.

    ``rep_model`` / ``rep_layer`` / ``rep_step`` (the layer's position on its model's path,
    −1 for the pixels) label the points.
    """
    from repgeom import distances as dist, layer_paths, layout
    from repgeom.representations import Representation, load_representations

    layers = load_representations(activations)
    ids = list(layers[0].stimulus_ids)
    images = store.select_stimuli(store.read(stimuli, "stimuli"), ids)
    if store.TIME in images["images"].dims:
        raise InvalidInputError(f"{spec['stimset']}: clips; paths take still images")
    if store.CATEGORY not in images.coords:
        raise InvalidInputError(
            f"{spec['stimset']}: its stimuli have no categories; the labels anchor needs them"
        )
    x = layer_paths.pixels(images["images"].transpose(store.STIMULUS, ...).values)
    y = layer_paths.one_hot(images[store.CATEGORY].values)
    anchors = [
        Representation(name, a, a.mean(axis=1), a.shape[1], {}, (len(a),), stimulus_ids=tuple(ids))
        for name, a in ((layer_paths.INPUT, x), (layer_paths.LABELS, y))
    ]
    reps = [anchors[0], *layers, anchors[1]]
    log.info(
        "%s: %d layers of %d models, and 2 anchors",
        spec["stimset"],
        len(layers),
        len(spec["models"]),
    )
    D = dist.distance_block(reps, spec["method"], spec["params"])
    distance = layout.dissimilarity(D, dist.metric_measure(spec["method"]))
    coords = layout.mds_coordinates(distance)
    model_of = [ANCHOR] + [str(r.labels["model"]) for r in layers] + [ANCHOR]
    layer_of = [layer_paths.INPUT] + [str(r.labels["layer"]) for r in layers] + [layer_paths.LABELS]
    step_of, lengths, anchored = [-1], [], []
    for model in spec["models"]:
        chain = [k for k, m in enumerate(model_of) if m == model]
        step_of += list(range(len(chain)))
        lengths.append(layer_paths.path_length(distance, chain))
        anchored.append(layer_paths.path_length(distance, [0, *chain, len(reps) - 1]))
        log.info("%s: path length %.3f, anchored %.3f", model, lengths[-1], anchored[-1])
    step_of.append(len(layers))
    names = [r.name for r in reps]
    rep_coords = {
        f"{store.REP}_model": (store.REP, model_of),
        f"{store.REP}_layer": (store.REP, layer_of),
        f"{store.REP}_step": (store.REP, np.array(step_of)),
    }
    ds = xr.Dataset(
        {
            "distance": ((store.REP_A, store.REP_B), distance),
            "coordinate": ((store.REP, "axis"), coords),
            "path_length": ((store.MODEL,), np.array(lengths)),
            "anchored_path_length": ((store.MODEL,), np.array(anchored)),
        },
        coords={
            store.REP: names,
            store.REP_A: names,
            store.REP_B: names,
            "axis": ["MDS 1", "MDS 2"],
            store.MODEL: list(spec["models"]),
            **rep_coords,
        },
    )
    ds["distance"].attrs["measure"] = "distance"
    ds.attrs.update(
        store.provenance(
            "paths",
            config=spec,
            stimset=spec["stimset"],
            method=spec["method"],
            params=json.dumps(dict(spec["params"]), sort_keys=True),
            n_stimuli_used=len(ids),
        )
    )
    return store.write(ds, out, "paths")


def _spec(config: Config, stimset: str) -> dict[str, Any]:
    metric = dict(config["analyses"]["paths"]["metric"])
    return {
        "stimset": stimset,
        "models": selection.path_models(config),
        "method": metric.pop("method"),
        "params": metric,
    }


def _files(config: Config, stimset: str) -> list[str]:
    return [
        paths.LAYER.format(stimset=stimset, model=m, layer=layer)
        for m in selection.path_models(config)
        for layer in config["models"][m]["layers"]
    ]


STAGE = Stage(
    name="paths",
    command="paths",
    help="layers, pixels and labels in one metric space",
    output=paths.PATHS,
    spec=_spec,
    run=paths_stage,
    inputs=lambda config, stimset: {
        "stimuli": paths.STIMULI.format(stimset=stimset),
        "activations": [
            paths.ACTIVATIONS.format(stimset=stimset, model=m)
            for m in selection.path_models(config)
        ],
    },
    files=lambda config, stimset: {"activations": _files(config, stimset)},
    args=(
        Arg("stimuli", "{input.stimuli}", help="the stimuli store (pixels and labels)"),
        Arg(
            "activations",
            "{params.files[activations]}",
            nargs="+",
            help="layer stores, model by model",
        ),
    ),
)
