"""Stage ``stimuli``: build one stimulus set from its config entry."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repgeom import paths, selection, store
from repgeom.stages.base import Arg, Config, Stage

log = logging.getLogger(__name__)


def stimuli_stage(name: str, spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """Build stimulus set ``name`` from its config entry and write ``results/stimuli/{name}.nc``."""
    from repgeom.stimuli import build_stimset

    ds = build_stimset(name, spec)
    ds.attrs.update(store.provenance("stimuli", config=spec, stimset=name))
    log.info("stimulus set %s: %s", name, dict(ds["images"].sizes))
    return store.write(ds, out, "stimuli")


def _spec(config: Config, stimset: str) -> dict[str, Any]:
    return dict(config["stimsets"][stimset])


def _inputs(config: Config, stimset: str) -> dict[str, list[str]]:
    return {"files": selection.stimset_files(config, stimset)}


STAGE = Stage(
    name="stimuli",
    command="stimuli",
    help="build a stimulus set",
    output=paths.STIMULI,
    spec=_spec,
    run=stimuli_stage,
    inputs=_inputs,
    args=(Arg("name", "{wildcards.stimset}", help="the stimulus set's name"),),
)
