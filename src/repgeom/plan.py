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
ENCODING = "results/encoding.nc"
WEIGHTS = "results/weights/{model}.pt"
FIGURE = "figures/{figure}.{ext}"
LOG = "logs/{rule}/{name}.log"
FIGURE_EXTS = ("png", "pdf")
#: Every figure the workflow can render (one module each under repgeom.figures).
FIGURE_NAMES = ("stimuli", "dimensionality", "ed_encoding")


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


def trained_weights(config: Mapping[str, Any], model: str) -> list[str]:
    """The weights file a model's extraction needs: ``[WEIGHTS]`` if trained here, else ``[]``."""
    return [WEIGHTS.format(model=model)] if config["models"][model].get("train") else []


def training_spec(config: Mapping[str, Any], model: str) -> str:
    spec = config["models"][model]
    return quoted_json({k: spec[k] for k in ("architecture", "seed", "kwargs", "train")})


def training_stimuli(config: Mapping[str, Any], model: str) -> list[str]:
    return [STIMULI.format(stimset=s) for s in config["models"][model]["train"]["stimsets"]]


def model_training(config: Mapping[str, Any], model: str) -> str:
    """``untrained``, or the objective a model is trained with in the workflow."""
    spec = config["models"][model]
    if spec.get("train"):
        return spec["train"]["objective"]
    return "untrained" if spec["weights"] in ("untrained", "none") else "pretrained"


def extraction_spec(config: Mapping[str, Any], model: str) -> str:
    """Everything that determines one model's activation stores."""
    model_spec = dict(config["models"][model])
    if model_spec.get("train"):
        model_spec["weights"] = WEIGHTS.format(model=model)
    return quoted_json(
        {
            "model": model_spec,
            "training": model_training(config, model),
            "batch_size": config["batch_size"],
            "device": config["device"],
            "store_raw": config["store_raw"],
            "layer_policy": config["layer_policy"],
        }
    )


def dimensionality_spec(config: Mapping[str, Any]) -> str:
    return quoted_json({"powerlaw_method": config["analyses"]["powerlaw_method"]})


def encoding_spec(config: Mapping[str, Any]) -> str:
    analyses = config["analyses"]
    return quoted_json(
        {
            "model": analyses["encoding_model"],
            "folds": analyses["encoding_folds"],
            "device": config["device"],
        }
    )


def still_neural(config: Mapping[str, Any]) -> list[str]:
    """Neural datasets recorded on still images (encoding models use these)."""
    from repgeom.stimuli import CLIP_KINDS

    return [
        n
        for n, spec in config.get("neural", {}).items()
        if config["stimsets"][spec["stimset"]]["kind"] not in CLIP_KINDS
    ]


def encoding_inputs(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """Neural stores and the activation folders on their stimulus sets."""
    neural = still_neural(config)
    stimsets = sorted({config["neural"][n]["stimset"] for n in neural})
    return {
        "neural": [NEURAL.format(neural=n) for n in neural],
        "activations": [
            ACTIVATIONS.format(stimset=s, model=m) for s in stimsets for m in config["models"]
        ],
    }


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
    if config["analyses"]["dimensionality"] and _encodes(config):
        names.append("ed_encoding")
    return names


def _encodes(config: Mapping[str, Any]) -> bool:
    return bool(config["analyses"]["encoding"] and still_neural(config))


def targets(config: Mapping[str, Any]) -> list[str]:
    """Every final output of the workflow for a validated config (``rule all``'s inputs)."""
    out = [STIMULI.format(stimset=s) for s in config["stimsets"]]
    out += [NEURAL.format(neural=n) for n in config.get("neural", {})]
    out += activation_dirs(config)
    if config["analyses"]["dimensionality"]:
        out.append(DIMENSIONALITY)
    if _encodes(config):
        out.append(ENCODING)
    for name in figures(config):
        out += figure_files(name)
    return out
