"""Stage ``encoding`` (command ``encoding-combine``): the per-model encoding stores
(:mod:`repgeom.stages.encoding`) joined into ``results/encoding.nc``."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom import paths, selection, store
from repgeom.errors import InvalidInputError
from repgeom.stages.base import Arg, Config, Stage
from repgeom.stages.encoding import encoding_spec


def combine_encoding(
    parts: Sequence[str | os.PathLike[str]],
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Join one-model encoding stores along ``model``, models in sorted order (as one
    store over every folder would have them). Layers are the union in first-seen order (NaN
    where a model has no such layer); what does not depend on the model (ceilings, neuroids,
    stimuli used) must agree between the parts, and is kept once."""
    datasets = [store.read(p, "encoding") for p in parts]
    for path, ds in zip(parts, datasets, strict=True):
        if ds.sizes[store.MODEL] != 1:
            raise InvalidInputError(
                f"{path}: {ds.sizes[store.MODEL]} models; each part holds one model's layers"
            )
    datasets.sort(key=lambda d: str(d[store.MODEL].values[0]))
    layers = list(dict.fromkeys(str(v) for d in datasets for v in d[store.LAYER].values))
    joined = xr.concat(
        [d.reindex({store.LAYER: layers}) for d in datasets],
        dim=store.MODEL,
        data_vars="minimal",
        coords="minimal",
        compat="equals",
        join="outer",
        combine_attrs="drop",
    )
    for name, var in datasets[0].variables.items():
        joined[name].attrs.update(var.attrs)
    joined.attrs.update(store.provenance("encoding", config=spec))
    return store.write(joined, out, "encoding")


def _inputs(config: Config) -> dict[str, list[str]]:
    return {
        "parts": [paths.ENCODING_MODEL.format(model=m) for m in selection.encoded_models(config)]
    }


STAGE = Stage(
    name="encoding",
    command="encoding-combine",
    help="join the per-model encoding stores",
    output=paths.ENCODING,
    spec=encoding_spec,
    run=combine_encoding,
    inputs=_inputs,
    args=(Arg("parts", "{input.parts}", nargs="+", help="per-model encoding stores"),),
)
