"""The jobs a config asks for, derived from the stage and figure declarations.

The Snakefile imports this module: paths live in :mod:`repgeom.paths` (re-exported here),
what a config selects in :mod:`repgeom.selection`, each stage's output, inputs and spec in its
declaration (:data:`repgeom.stages.STAGES`) and each figure's inputs and condition in its own
(:data:`repgeom.figures.FIGURES`). This module only puts them together: the target list of
``rule all`` and the figures a config draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from repgeom.figures import FIGURES, Figure
from repgeom.paths import (
    ACTIVATIONS,
    BENCHMARK,
    CLASSIFICATION,
    DIMENSIONALITY,
    DISTANCE_BLOCK,
    DISTANCES,
    DSA,
    DSA_SWEEP,
    DSA_TUTORIAL,
    ENCODING,
    FIGURE,
    FIGURE_EXTS,
    FIGURE_STEM,
    INFERENCE,
    LAYER,
    LOG,
    MANIFOLDS,
    NEURAL,
    PATHS,
    RDMS,
    STEPS,
    STIMULI,
    WEIGHTS,
    figure_files,
)
from repgeom.selection import (
    classification_stimsets,
    distance_metrics,
    distance_stimsets,
    dsa_sets,
    dsa_sweep_sets,
    ed_stimset,
    encodes,
    gpus,
    inference_metrics,
    inference_stimsets,
    manifold_stimsets,
    matrix_metrics,
    movie_sets,
    n_representations,
    neural_on,
    paths_stimset,
    representation_files,
    representation_inputs,
    rsa_metric,
    scratch_mb,
    steps_view,
    still_neural,
)
from repgeom.stages import STAGES, Stage, quoted_json
from repgeom.stages.dimensionality import activation_dirs
from repgeom.stages.distances_block import blocks

Config = Mapping[str, Any]

__all__ = [
    "ACTIVATIONS",
    "BENCHMARK",
    "CLASSIFICATION",
    "DIMENSIONALITY",
    "DISTANCES",
    "DISTANCE_BLOCK",
    "DSA",
    "DSA_SWEEP",
    "DSA_TUTORIAL",
    "ENCODING",
    "FIGURE",
    "INFERENCE",
    "FIGURES",
    "FIGURE_EXTS",
    "FIGURE_STEM",
    "LAYER",
    "LOG",
    "MANIFOLDS",
    "NEURAL",
    "PATHS",
    "RDMS",
    "STAGES",
    "STEPS",
    "STIMULI",
    "WEIGHTS",
    "activation_dirs",
    "classification_stimsets",
    "distance_blocks",
    "distance_metrics",
    "distance_stimsets",
    "dsa_sets",
    "dsa_sweep_sets",
    "ed_stimset",
    "figure",
    "figure_files",
    "figure_inputs",
    "figure_spec_words",
    "figures",
    "gpus",
    "inference_metrics",
    "inference_stimsets",
    "manifold_stimsets",
    "matrix_metrics",
    "movie_sets",
    "n_representations",
    "neural_on",
    "output_stem",
    "representation_files",
    "representation_inputs",
    "rsa_metric",
    "scratch_mb",
    "spec",
    "stage",
    "still_neural",
    "targets",
]


def stage(name: str) -> Stage:
    """The declaration of the stage (rule) ``name``."""
    try:
        return STAGES[name]
    except KeyError:
        raise KeyError(f"unknown stage {name!r}; known: {sorted(STAGES)}") from None


def spec(config: Config, name: str, **wildcards: str) -> dict[str, Any]:
    """The spec of one job of stage ``name`` (what its rule passes as ``--spec``)."""
    return stage(name).spec_for(config, wildcards)


def figure(name: str) -> Figure:
    """The declaration of the figure ``name``."""
    try:
        return FIGURES[name]
    except KeyError:
        raise KeyError(f"unknown figure {name!r}; known: {sorted(FIGURES)}") from None


def figures(config: Config) -> list[str]:
    """Names of the figures the config draws, in registration order."""
    return [name for name, fig in FIGURES.items() if fig.drawn(config)]


def figure_inputs(config: Config, name: str) -> list[str]:
    """The result stores a figure reads (in the order its ``render`` takes them)."""
    return figure(name).inputs(config)


def figure_spec_words(config: Config, name: str) -> str:
    """``--spec JSON`` (one shell-quoted word) for a figure that declares a spec, else ``""``:
    what the figure rule passes to ``repgeom figure``, so the figure is redrawn when that part
    of the config changes."""
    spec = figure(name).spec_for(config)
    return "" if spec is None else f"--spec {quoted_json(spec)}"


def output_stem(wildcards: Any, output: Any) -> str:
    """A rule's first output without its suffix (``figures/shape.png`` → ``figures/shape``):
    the ``--out`` of ``repgeom figure`` (a rule param, inferred from the output)."""
    return str(PurePath(output[0]).with_suffix(""))


def distance_blocks(config: Config, stimset: str, metric: str) -> list[str]:
    """Block stores of one metric's matrix (``i-j``, ``i ≤ j``; :meth:`Block.grid`)."""
    return [
        DISTANCE_BLOCK.format(stimset=stimset, metric=metric, block=b.label)
        for b in blocks(config, stimset)
    ]


def targets(config: Config) -> list[str]:
    """Every final output of the workflow for a validated config (``rule all``'s inputs)."""
    out = [STIMULI.format(stimset=s) for s in config["stimsets"]]
    out += [NEURAL.format(neural=n) for n in config.get("neural", {})]
    out += activation_dirs(config)
    if config["analyses"]["dimensionality"]:
        out.append(DIMENSIONALITY)
    if encodes(config):
        out.append(ENCODING)
    if classification_stimsets(config):
        out.append(CLASSIFICATION)
    if manifold_stimsets(config):
        out.append(MANIFOLDS)
    for stimset in distance_stimsets(config):
        out += [DISTANCES.format(stimset=stimset, metric=m) for m in distance_metrics(config)]
        out.append(RDMS.format(stimset=stimset))
    out += [RDMS.format(stimset=s) for s in movie_sets(config)]
    for stimset in inference_stimsets(config):
        out += [INFERENCE.format(stimset=stimset, metric=m) for m in inference_metrics(config)]
    if paths_stimset(config) is not None:
        out.append(PATHS.format(stimset=paths_stimset(config)))
    if steps_view(config) is not None:
        stimset, model = steps_view(config)
        out.append(STEPS.format(stimset=stimset, model=model))
    out += [DSA.format(clipset=c) for c in dsa_sets(config)]
    out += [DSA_SWEEP.format(clipset=c) for c in dsa_sweep_sets(config)]
    for name in figures(config):
        out += figure_files(name)
    return out
