"""Stage ``steps``: one model's per-layer geometry on a categorised still set — the RDM of each
layer (a recurrent net's steps) and 2-D maps of the stimuli in it by PCA, MDS and t-SNE."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import layout, paths, store
from repgeom.stages.base import Arg, Config, Stage
from repgeom.stages.common import Paths

log = logging.getLogger(__name__)

#: The 2-D maps of each layer, in the order the figure draws them.
EMBEDDINGS = ("PCA", "MDS", "t-SNE")
#: t-SNE perplexity (scikit-learn's default; needs more than 3 × 30 stimuli).
PERPLEXITY = 30.0


def embed(features: np.ndarray, method: str, *, seed: int = 0) -> np.ndarray:
    """Stimuli (rows of ``features``) on a plane.

    - ``PCA``: the scores on the first two principal axes of the centred rows;
    - ``MDS``: metric MDS of the Euclidean distances between rows
      (:func:`repgeom.layout.mds_coordinates`);
    - ``t-SNE``: scikit-learn's ``TSNE`` (perplexity min(30, (n − 1) / 3), PCA initialisation,
      ``random_state=seed``).

    All three depend on the rows only through their distances, so the exact reduced features of
    a layer give the raw layer's maps (up to a rotation or reflection for PCA and MDS).
    """
    from scipy.spatial.distance import pdist, squareform

    X = np.asarray(features, dtype=np.float64)
    if method == "PCA":
        U, S, _ = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
        scores = U[:, :2] * S[:2]
        return np.pad(scores, ((0, 0), (0, 2 - scores.shape[1])))
    if method == "MDS":
        return layout.mds_coordinates(squareform(pdist(X)))
    if method == "t-SNE":
        from sklearn.manifold import TSNE

        perplexity = min(PERPLEXITY, (len(X) - 1) / 3)
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(X)
    raise ValueError(f"embedding {method!r}; choose from {EMBEDDINGS}")


def steps_stage(activations: Paths, spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """Per-layer RDMs and 2-D stimulus maps of one model (``activations``: its layer stores in
    depth order).

    Writes ``results/steps/{stimset}/{model}.nc``: ``rdm`` and ``rdm_percentile`` (layer,
    stimulus, stimulus_; ``spec["rdm_method"]``, exact from the reduced stores; percentiles of
    each RDM's own entries for display) and ``embedding`` (layer, projection, stimulus, axis),
    with the stimuli's ``category``.
    """
    from repgeom.metrics.rsa import rdm_from_reduced, vector_to_matrix
    from repgeom.representations import load_representations

    reps = load_representations(activations)
    rdms = np.stack(
        [
            vector_to_matrix(
                rdm_from_reduced(r.features, r.row_mean, r.n_units, spec["rdm_method"])
            )
            for r in reps
        ]
    )
    maps = np.empty((len(reps), len(EMBEDDINGS), len(reps[0].features), 2))
    for i, rep in enumerate(reps):
        for j, method in enumerate(EMBEDDINGS):
            maps[i, j] = embed(rep.features, method)
        log.info("%s: RDM and %s maps", rep.name, ", ".join(EMBEDDINGS))
    with xr.open_dataset(activations[0], engine="netcdf4") as first:
        labels = store.select_stimuli(
            first[[store.STIMULUS_ID, store.CATEGORY]].load(), reps[0].stimulus_ids
        )
    mirror = f"{store.STIMULUS}_"
    ds = xr.Dataset(
        {
            "rdm": ((store.LAYER, store.STIMULUS, mirror), rdms),
            "rdm_percentile": (
                (store.LAYER, store.STIMULUS, mirror),
                layout.percentile_rdms(rdms).astype(np.float32),
            ),
            "embedding": ((store.LAYER, "projection", store.STIMULUS, "axis"), maps),
        },
        coords={
            store.LAYER: [str(r.labels["layer"]) for r in reps],
            "projection": list(EMBEDDINGS),
            store.STIMULUS_ID: (store.STIMULUS, list(reps[0].stimulus_ids)),
            store.CATEGORY: (store.STIMULUS, labels[store.CATEGORY].values),
        },
    )
    ds["rdm"].attrs["method"] = spec["rdm_method"]
    ds.attrs.update(
        store.provenance("steps", config=spec, model=spec["model"], stimset=spec["stimset"])
    )
    return store.write(ds, out, "steps")


def _spec(config: Config, stimset: str, model: str) -> dict[str, Any]:
    return {
        "stimset": stimset,
        "model": model,
        "rdm_method": config["analyses"]["steps"]["rdm_method"],
    }


STAGE = Stage(
    name="steps",
    command="steps",
    help="one model's per-layer RDMs and stimulus maps",
    output=paths.STEPS,
    spec=_spec,
    run=steps_stage,
    inputs=lambda config, stimset, model: {
        "activations": paths.ACTIVATIONS.format(stimset=stimset, model=model)
    },
    files=lambda config, stimset, model: {
        "activations": [
            paths.LAYER.format(stimset=stimset, model=model, layer=layer)
            for layer in config["models"][model]["layers"]
        ]
    },
    args=(
        Arg(
            "activations",
            "{params.files[activations]}",
            nargs="+",
            help="the model's layer stores, in depth order",
        ),
    ),
)
