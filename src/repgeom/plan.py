"""Paths and target lists of the workflow, as tested library functions.

The Snakefile only imports these: every path template lives here once, and the jobs a config
asks for are computed here, not in ``.smk`` files.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

STIMULI = "results/stimuli/{stimset}.nc"
NEURAL = "results/neural/{neural}.nc"
ACTIVATIONS = "results/activations/{stimset}/{model}"
DIMENSIONALITY = "results/dimensionality.nc"
FIGURE = "figures/{figure}.{ext}"
LOG = "logs/{rule}/{name}.log"
FIGURE_EXTS = ("png", "pdf")


def quoted_json(obj: Any) -> str:
    """A config fragment as one shell-quoted JSON word (for a rule's ``params``)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


def stimuli_spec(config: Mapping[str, Any], stimset: str) -> str:
    return quoted_json(config["stimsets"][stimset])


def neural_spec(config: Mapping[str, Any], neural: str) -> str:
    return quoted_json(config["neural"][neural])


def neural_stimuli(config: Mapping[str, Any], neural: str) -> str:
    """The stimuli store a neural dataset is recorded on."""
    return STIMULI.format(stimset=config["neural"][neural]["stimset"])


def extraction_spec(config: Mapping[str, Any], model: str) -> str:
    """Everything that determines one model's activation stores."""
    return quoted_json(
        {
            "model": config["models"][model],
            "batch_size": config["batch_size"],
            "device": config["device"],
            "store_raw": config["store_raw"],
            "layer_policy": config["layer_policy"],
        }
    )


def dimensionality_spec(config: Mapping[str, Any]) -> str:
    return quoted_json({"powerlaw_method": config["analyses"]["powerlaw_method"]})


def activation_dirs(config: Mapping[str, Any]) -> list[str]:
    """One folder of per-layer stores for every stimulus set × model."""
    return [
        ACTIVATIONS.format(stimset=s, model=m) for s in config["stimsets"] for m in config["models"]
    ]


def figure_files(figure: str) -> list[str]:
    return [FIGURE.format(figure=figure, ext=ext) for ext in FIGURE_EXTS]


def figures(config: Mapping[str, Any]) -> list[str]:
    """Names of the figures the config produces."""
    names = ["stimuli"]
    if config["analyses"]["dimensionality"]:
        names.append("dimensionality")
    return names


def targets(config: Mapping[str, Any]) -> list[str]:
    """Every final output of the workflow for a validated config (``rule all``'s inputs)."""
    out = [STIMULI.format(stimset=s) for s in config["stimsets"]]
    out += [NEURAL.format(neural=n) for n in config.get("neural", {})]
    out += activation_dirs(config)
    if config["analyses"]["dimensionality"]:
        out.append(DIMENSIONALITY)
    for name in figures(config):
        out += figure_files(name)
    return out
