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
DISTANCES = "results/distances/{stimset}/{metric}.nc"
DISTANCE_BLOCK = "results/distances/{stimset}/blocks/{metric}/{block}.nc"
RDMS = "results/rdms/{stimset}.nc"
DSA = "results/dsa/{clipset}.nc"
#: The DSA tutorial's circle / oval / walk systems (``results/dsa/tutorial.nc``).
DSA_TUTORIAL = "tutorial"
BENCHMARK = "results/benchmarks/{rule}/{name}.tsv"
FIGURE = "figures/{figure}.{ext}"
LOG = "logs/{rule}/{name}.log"
FIGURE_EXTS = ("png", "pdf")
#: Every figure the workflow can render (one module each under repgeom.figures).
FIGURE_NAMES = (
    "stimuli",
    "dimensionality",
    "ed_encoding",
    "encoding_profiles",
    "rsa",
    "shape",
    "dsa",
)


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


def gpus(config: Mapping[str, Any]) -> int:
    """GPUs a GPU-capable job asks the scheduler for: 1 with ``device: cuda``, else 0."""
    return 1 if str(config["device"]).startswith("cuda") else 0


def figure_files(figure: str) -> list[str]:
    return [FIGURE.format(figure=figure, ext=ext) for ext in FIGURE_EXTS]


def figures(config: Mapping[str, Any]) -> list[str]:
    """Names of the figures the config produces."""
    names = ["stimuli"]
    if config["analyses"]["dimensionality"]:
        names.append("dimensionality")
    if config["analyses"]["dimensionality"] and _encodes(config):
        names.append("ed_encoding")
    if _encodes(config):
        names.append("encoding_profiles")
    if distance_stimsets(config):
        names += [n for n, m in (("rsa", rsa_metric), ("shape", shape_metric)) if m(config)]
    if dsa_sets(config):
        names.append("dsa")
    return names


def figure_inputs(config: Mapping[str, Any], figure: str) -> list[str]:
    """The result stores a figure reads (in the order its ``render`` takes them)."""
    first = (distance_stimsets(config) or [None])[0]
    if figure == "stimuli":
        return [STIMULI.format(stimset=s) for s in config["stimsets"]]
    if figure == "dimensionality":
        return [DIMENSIONALITY]
    if figure == "ed_encoding":
        return [DIMENSIONALITY, ENCODING]
    if figure == "encoding_profiles":
        return [ENCODING]
    if figure == "rsa":
        return [
            RDMS.format(stimset=first),
            DISTANCES.format(stimset=first, metric=rsa_metric(config)),
        ]
    if figure == "shape":
        return [DISTANCES.format(stimset=first, metric=shape_metric(config))]
    if figure == "dsa":
        return [DSA.format(clipset=c) for c in dsa_sets(config)]
    raise KeyError(f"unknown figure {figure!r}; known: {FIGURE_NAMES}")


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
    for stimset in distance_stimsets(config):
        out += [DISTANCES.format(stimset=stimset, metric=m) for m in distance_metrics(config)]
        out.append(RDMS.format(stimset=stimset))
    out += [DSA.format(clipset=c) for c in dsa_sets(config)]
    for name in figures(config):
        out += figure_files(name)
    return out


def _still(config: Mapping[str, Any], stimset: str) -> bool:
    from repgeom.stimuli import CLIP_KINDS

    return config["stimsets"][stimset]["kind"] not in CLIP_KINDS


def neural_on(config: Mapping[str, Any], stimset: str) -> list[str]:
    """Neural datasets recorded on ``stimset``."""
    return [n for n, spec in config.get("neural", {}).items() if spec["stimset"] == stimset]


def distance_stimsets(config: Mapping[str, Any]) -> list[str]:
    """Still stimulus sets whose representations are compared (default: those with neural
    data, else the first still set)."""
    spec = config["analyses"]["distances"]
    if not spec["metrics"]:
        return []
    if spec.get("stimsets") is not None:
        return list(spec["stimsets"])
    still = [s for s in config["stimsets"] if _still(config, s)]
    with_data = [s for s in still if neural_on(config, s)]
    return with_data or still[:1]


def distance_metrics(config: Mapping[str, Any]) -> list[str]:
    return list(config["analyses"]["distances"]["metrics"])


def shape_metric(config: Mapping[str, Any]) -> str | None:
    """The first ``linear_shape`` metric (the shape figure shows it), if any."""
    metrics = config["analyses"]["distances"]["metrics"]
    return next((m for m, spec in metrics.items() if spec["method"] == "linear_shape"), None)


def rsa_metric(config: Mapping[str, Any]) -> str | None:
    """The first ``rsa`` metric (the RSA figure's second-order RDM), if any."""
    metrics = config["analyses"]["distances"]["metrics"]
    return next((m for m, spec in metrics.items() if spec["method"] == "rsa"), None)


def dsa_sets(config: Mapping[str, Any]) -> list[str]:
    """Clip sets analysed with DSA, plus ``tutorial`` for the circle / oval / walk systems."""
    spec = config["analyses"]["dsa"]
    if not spec["enabled"]:
        return []
    clipsets = spec.get("clipsets")
    if clipsets is None:
        clipsets = [s for s in config["stimsets"] if not _still(config, s)]
    return [*clipsets, *([DSA_TUTORIAL] if spec["tutorial"]["enabled"] else [])]


def representation_files(config: Mapping[str, Any], stimset: str) -> dict[str, list[str]]:
    """Every representation of a stimulus set in matrix order: each model's configured layers
    (``activations``), then the neural datasets recorded on it (``neural``)."""
    return {
        "activations": [
            f"{ACTIVATIONS.format(stimset=stimset, model=m)}/{layer}.nc"
            for m, spec in config["models"].items()
            for layer in spec["layers"]
        ],
        "neural": [NEURAL.format(neural=n) for n in neural_on(config, stimset)],
    }


def representation_inputs(config: Mapping[str, Any], stimset: str) -> dict[str, list[str]]:
    """The rule inputs behind :func:`representation_files` (activation folders, neural stores)."""
    return {
        "activations": [ACTIVATIONS.format(stimset=stimset, model=m) for m in config["models"]],
        "neural": representation_files(config, stimset)["neural"],
    }


def n_representations(config: Mapping[str, Any], stimset: str) -> int:
    return sum(len(v) for v in representation_files(config, stimset).values())


def distance_blocks(config: Mapping[str, Any], stimset: str, metric: str) -> list[str]:
    """Block stores of one metric's matrix (``i-j``, ``i ≤ j``)."""
    from repgeom.distances import block_ids

    size = config["analyses"]["distances"]["block_size"]
    return [
        DISTANCE_BLOCK.format(stimset=stimset, metric=metric, block=f"{i}-{j}")
        for i, j in block_ids(n_representations(config, stimset), size)
    ]


def distance_spec(config: Mapping[str, Any], stimset: str, metric: str) -> str:
    spec = dict(config["analyses"]["distances"]["metrics"][metric])
    return quoted_json(
        {
            "stimset": stimset,
            "metric": metric,
            "method": spec.pop("method"),
            "params": spec,
            "block_size": config["analyses"]["distances"]["block_size"],
            "device": config["device"],
        }
    )


def rdms_spec(config: Mapping[str, Any], stimset: str) -> str:
    metric = rsa_metric(config)
    method = config["analyses"]["distances"]["metrics"][metric] if metric else {}
    return quoted_json({"stimset": stimset, "rdm_method": method.get("rdm_method", "correlation")})


def dsa_spec(config: Mapping[str, Any], clipset: str) -> str:
    spec = {k: v for k, v in config["analyses"]["dsa"].items() if k not in ("clipsets", "enabled")}
    if clipset == DSA_TUTORIAL:
        return quoted_json(spec["tutorial"])
    spec.pop("tutorial")
    return quoted_json({**spec, "clipset": clipset, "device": config["device"]})
