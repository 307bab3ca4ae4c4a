"""What a validated config selects: which representations, sets and metrics exist.

Pure functions of the config (no I/O, no heavy imports), shared by the stage and figure
declarations and by :mod:`repgeom.plan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repgeom import paths

Config = Mapping[str, Any]


def is_still(config: Config, stimset: str) -> bool:
    """Whether a stimulus set holds still images (not clips with a ``time`` dim)."""
    from repgeom.stimuli.builtin import CLIP_KINDS

    return config["stimsets"][stimset]["kind"] not in CLIP_KINDS


def neural_on(config: Config, stimset: str) -> list[str]:
    """Neural datasets recorded on ``stimset``."""
    return [n for n, spec in config.get("neural", {}).items() if spec["stimset"] == stimset]


def still_neural(config: Config) -> list[str]:
    """Neural datasets recorded on still images (encoding models use these)."""
    return [n for n, spec in config.get("neural", {}).items() if is_still(config, spec["stimset"])]


def encodes(config: Config) -> bool:
    """Whether the config fits encoding models (switched on, and still-image data exist)."""
    return bool(config["analyses"]["encoding"] and still_neural(config))


def model_training(config: Config, model: str) -> str:
    """``untrained``, ``pretrained``, or the objective a model is trained with here."""
    spec = config["models"][model]
    if spec.get("train"):
        return spec["train"]["objective"]
    return "untrained" if spec["weights"] in ("untrained", "none") else "pretrained"


def gpus(config: Config) -> int:
    """GPUs a GPU-capable job asks the scheduler for: 1 with ``device: cuda``, else 0."""
    return 1 if str(config["device"]).startswith("cuda") else 0


def distance_stimsets(config: Config) -> list[str]:
    """Still stimulus sets whose representations are compared (default: those with neural
    data, else the first still set)."""
    spec = config["analyses"]["distances"]
    if not spec["metrics"]:
        return []
    if spec.get("stimsets") is not None:
        return list(spec["stimsets"])
    still = [s for s in config["stimsets"] if is_still(config, s)]
    with_data = [s for s in still if neural_on(config, s)]
    return with_data or still[:1]


def distance_metrics(config: Config) -> list[str]:
    """Names of the configured distance metrics (the ``{metric}`` wildcard)."""
    return list(config["analyses"]["distances"]["metrics"])


def _first_metric(config: Config, method: str) -> str | None:
    metrics = config["analyses"]["distances"]["metrics"]
    return next((m for m, spec in metrics.items() if spec["method"] == method), None)


def shape_metric(config: Config) -> str | None:
    """The first ``linear_shape`` metric (the shape figure shows it), if any."""
    return _first_metric(config, "linear_shape")


def rsa_metric(config: Config) -> str | None:
    """The first ``rsa`` metric (the RSA figure's second-order RDM), if any."""
    return _first_metric(config, "rsa")


def dsa_sets(config: Config) -> list[str]:
    """Clip sets analysed with DSA, plus ``tutorial`` for the circle / oval / walk systems."""
    spec = config["analyses"]["dsa"]
    if not spec["enabled"]:
        return []
    clipsets = spec.get("clipsets")
    if clipsets is None:
        clipsets = [s for s in config["stimsets"] if not is_still(config, s)]
    return [*clipsets, *([paths.DSA_TUTORIAL] if spec["tutorial"]["enabled"] else [])]


def representation_files(config: Config, stimset: str) -> dict[str, list[str]]:
    """Every representation of a stimulus set in matrix order: each model's configured layers
    (``activations``), then the neural datasets recorded on it (``neural``)."""
    return {
        "activations": [
            paths.LAYER.format(stimset=stimset, model=m, layer=layer)
            for m, spec in config["models"].items()
            for layer in spec["layers"]
        ],
        "neural": [paths.NEURAL.format(neural=n) for n in neural_on(config, stimset)],
    }


def representation_inputs(config: Config, stimset: str) -> dict[str, list[str]]:
    """The rule inputs behind :func:`representation_files` (activation folders, neural
    stores)."""
    return {
        "activations": [
            paths.ACTIVATIONS.format(stimset=stimset, model=m) for m in config["models"]
        ],
        "neural": representation_files(config, stimset)["neural"],
    }


def n_representations(config: Config, stimset: str) -> int:
    """K, the side of a stimulus set's distance matrices."""
    return sum(len(v) for v in representation_files(config, stimset).values())
