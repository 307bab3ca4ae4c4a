"""Stage ``neural``: simulate or load one neural dataset on its stimulus set."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repgeom import paths, store
from repgeom.stages.base import Arg, Config, Stage

log = logging.getLogger(__name__)


def neural_stage(
    name: str,
    spec: Mapping[str, Any],
    stimuli: str | os.PathLike[str],
    out: str | os.PathLike[str],
) -> Path:
    """Simulate or load neural dataset ``name`` on its stimulus set (the store ``stimuli``)
    and write its store."""
    from repgeom.neural import build_neural

    stimuli_ds = store.read(stimuli, "stimuli")
    ds = build_neural(name, spec, stimuli_ds)
    ds.attrs.update(
        store.provenance(
            "neural", config=spec, seed=spec.get("seed"), neural=name, stimset=spec["stimset"]
        )
    )
    log.info("neural dataset %s: %s", name, dict(ds["responses"].sizes))
    return store.write(ds, out, "neural")


def _spec(config: Config, neural: str) -> dict[str, Any]:
    return dict(config["neural"][neural])


def _inputs(config: Config, neural: str) -> dict[str, str]:
    return {"stimuli": paths.STIMULI.format(stimset=config["neural"][neural]["stimset"])}


STAGE = Stage(
    name="neural",
    command="neural",
    help="simulate or load neural data",
    output=paths.NEURAL,
    spec=_spec,
    run=neural_stage,
    inputs=_inputs,
    args=(
        Arg("name", "{wildcards.neural}", help="the neural dataset's name"),
        Arg("stimuli", "{input.stimuli}", help="the stimuli store it is recorded on"),
    ),
)
