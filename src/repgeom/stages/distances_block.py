"""Stage ``distances_block`` (command ``distances-block``): one block of one metric's K × K
matrix over every representation of a stimulus set."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from repgeom import paths, selection, store
from repgeom.blocks import Block
from repgeom.representations import load_representations
from repgeom.stages.base import ON_DEVICE, Arg, Config, Stage
from repgeom.stages.common import (
    REPRESENTATION_ARGS,
    Paths,
    distance_dataset,
    representation_files,
)

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


def distances_block_stage(
    activations: Paths,
    neural: Paths,
    spec: Mapping[str, Any],
    block: str | Block,
    out: str | os.PathLike[str],
    *,
    device: torch.device | str = "cpu",
) -> Path:
    """One block of one metric's matrix over every representation of a stimulus set.

    ``spec`` holds ``stimset``, ``metric`` (its name), ``method``, ``params``, ``block_size``,
    ``device``, ``cv_folds`` (None, or K: train and held-out test matrices along a ``split``
    dim, :func:`repgeom.distances.held_out_block`) and ``representations`` (every
    representation's attrs as the config predicts them); ``block`` is the block's ``"i-j"``
    label (the rule's wildcard) or a :class:`~repgeom.blocks.Block`. The block's pairs are
    computed, the rest of the matrix is NaN; only the block's rows and columns are loaded (and
    the neural stores, whose stimuli decide the rows every block uses), so a changed model
    reruns the blocks it is in only.
    """
    from repgeom import distances as dist

    n = len(activations) + len(neural)
    if not isinstance(block, Block):
        block = Block.parse(block, size=spec["block_size"], n=n)
    reps = load_representations(
        activations, neural, needed=block.members, described=spec.get("representations")
    )
    folds = spec.get("cv_folds")
    if folds:
        D = np.stack(
            dist.held_out_block(reps, spec["method"], spec["params"], folds=folds, block=block)
        )
    else:
        D = dist.distance_block(reps, spec["method"], spec["params"], block=block, device=device)
    da = dist.as_dataarray(
        D, reps, spec["metric"], spec["method"], spec["params"], split=bool(folds)
    )
    log.info("%s %s block %s: %d representations", spec["stimset"], spec["metric"], block.label, n)
    ds = distance_dataset(
        da,
        spec,
        stimset=spec["stimset"],
        block=block.label,
        n_stimuli_used=len(reps[block.members[0]].stimulus_ids),
    )
    return store.write(ds, out, "distances")


def distance_spec(config: Config, stimset: str, metric: str, **_: str) -> dict[str, Any]:
    """The spec of a metric's block jobs and of their assembly."""
    spec = dict(config["analyses"]["distances"]["metrics"][metric])
    return {
        "stimset": stimset,
        "metric": metric,
        "method": spec.pop("method"),
        "params": spec,
        "block_size": config["analyses"]["distances"]["block_size"],
        "cv_folds": config["analyses"]["distances"]["cv_folds"],
        "device": config["device"],
        "representations": selection.representation_attrs(config, stimset),
    }


def block_inputs(config: Config, stimset: str, metric: str, block: str) -> dict[str, list[str]]:
    """A block job's inputs: the activation folders of the models with a layer among the
    block's members, and every neural store of the set (they decide the common stimuli)."""
    files = selection.representation_files(config, stimset)
    layer_models = [
        m for m in selection.models_on(config, stimset) for _ in config["models"][m]["layers"]
    ]
    members = Block.parse(
        block,
        size=config["analyses"]["distances"]["block_size"],
        n=len(layer_models) + len(files["neural"]),
    ).members
    folders = dict.fromkeys(
        paths.ACTIVATIONS.format(stimset=stimset, model=layer_models[k])
        for k in members
        if k < len(layer_models)
    )
    return {"activations": list(folders), "neural": files["neural"]}


def blocks(config: Config, stimset: str) -> list[Block]:
    """The blocks of a stimulus set's K × K matrices (``i ≤ j``)."""
    size = config["analyses"]["distances"]["block_size"]
    return Block.grid(selection.n_representations(config, stimset), size)


STAGE = Stage(
    name="distances_block",
    command="distances-block",
    help="one block of a distance matrix",
    output=paths.DISTANCE_BLOCK,
    spec=distance_spec,
    run=distances_block_stage,
    inputs=block_inputs,
    files=representation_files,
    mem_mb=4000,
    **ON_DEVICE,
    args=(
        *REPRESENTATION_ARGS,
        Arg("block", "{wildcards.block}", help="the block, 'i-j' (see repgeom.blocks.Block)"),
    ),
)
