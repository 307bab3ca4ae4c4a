"""The workflow's stages, each declared once in its own module (:class:`Stage`).

A stage module holds the stage function (read stores, convert to numpy with an explicit dim
order, call the library, write one store atomically with provenance) and its declaration
``STAGE``: rule name, ``repgeom`` subcommand, output path, inputs, the part of the config that
determines the output (``spec``) and the command-line arguments. :data:`STAGES` maps each rule
name to its declaration; the CLI (:mod:`repgeom.cli`), the planner (:mod:`repgeom.plan`) and the
rules (``workflow/rules/*.smk``) read it.

Stage modules import only numpy, xarray and the store layer at the top; torch, the model zoo
and the metrics are imported by the stage function that needs them, so a distance job never
loads torchvision.
"""

from __future__ import annotations

from importlib import import_module

from repgeom.stages.base import Arg, Stage, quoted_json

#: Stage modules, in workflow order.
MODULES = (
    "stimuli",
    "neural",
    "training",
    "activations",
    "dimensionality",
    "encoding",
    "encoding_combine",
    "classification",
    "manifolds",
    "paths",
    "steps",
    "distances_block",
    "distances_combine",
    "rdms",
    "inference",
    "dsa",
    "dsa_tutorial",
    "dsa_sweep",
)

#: Every stage, by rule name.
STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (import_module(f"{__name__}.{module}").STAGE for module in MODULES)
}

__all__ = ["STAGES", "Arg", "Stage", "quoted_json"]
