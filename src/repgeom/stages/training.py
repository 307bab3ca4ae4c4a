"""Stage ``train``: train a model of the config on still-image stimulus sets."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repgeom import paths, store
from repgeom.errors import InvalidInputError
from repgeom.stages.base import Arg, Config, Stage

log = logging.getLogger(__name__)


def training_stage(
    model: str,
    spec: Mapping[str, Any],
    stimuli: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    threads: int | None = None,
) -> Path:
    """Train one model on still-image stimulus sets; write its state dict atomically.

    Labels are ``stimset/category``; ``spec`` holds ``architecture``, ``seed``, ``kwargs``
    and ``train`` (objective, epochs, batch_size, lr).
    """
    import torch

    from repgeom.models import build_model
    from repgeom.training import train_model

    if threads:
        torch.set_num_threads(threads)
    images, categories = [], []
    for path in stimuli:
        ds = store.read(path, "stimuli")
        if store.TIME in ds["images"].dims:
            raise InvalidInputError(f"{path} holds clips; train on still images")
        images.append(
            ds["images"].transpose(store.STIMULUS, store.CHANNEL, store.Y, store.X).values
        )
        categories += [f"{ds.attrs['stimset']}/{c}" for c in ds[store.CATEGORY].values]
    sizes = {im.shape[-2:] for im in images}
    if len(sizes) != 1:
        raise InvalidInputError(f"training sets have different image sizes {sorted(sizes)}")
    _, labels = np.unique(categories, return_inverse=True)
    train = spec["train"]
    net = build_model(spec["architecture"], seed=spec["seed"], kwargs=spec.get("kwargs"))
    history = train_model(
        net,
        np.concatenate(images),
        labels,
        objective=train["objective"],
        epochs=train["epochs"],
        batch_size=train["batch_size"],
        lr=train["lr"],
        seed=spec["seed"],
    )
    with store.atomic_path(out) as tmp:
        torch.save(
            {
                "state_dict": net.state_dict(),
                "provenance": store.provenance(
                    "weights",
                    config=spec,
                    model=model,
                    seed=spec["seed"],
                    loss_history=str(history),
                ),
            },
            tmp,
        )
    log.info("%s: %s losses per epoch %s", model, train["objective"], history)
    return Path(out)


def _spec(config: Config, model: str) -> dict[str, Any]:
    spec = config["models"][model]
    return {k: spec[k] for k in ("architecture", "seed", "kwargs", "train")}


def _inputs(config: Config, model: str) -> dict[str, list[str]]:
    stimsets = config["models"][model]["train"]["stimsets"]
    return {"stimuli": [paths.STIMULI.format(stimset=s) for s in stimsets]}


STAGE = Stage(
    name="train",
    command="train",
    help="train a model on stimulus sets",
    output=paths.WEIGHTS,
    spec=_spec,
    run=training_stage,
    inputs=_inputs,
    threads=2,
    args=(
        Arg("model", "{wildcards.model}", help="the model's name in the config"),
        Arg("threads", "{threads}", type=int, required=False, help="torch CPU threads"),
        Arg("stimuli", "{input.stimuli}", nargs="+", positional=True, help="stores to train on"),
    ),
)
