"""Manuscript figures: one module per figure, each reading only result stores and drawing.

A figure module declares ``FIGURE = Figure(name, drawn, inputs, render)``
(:class:`~repgeom.figures.base.Figure`) and has a caption ``workflow/report/{name}.rst``. The
built-in modules are listed once in :data:`BUILTIN`; :data:`FIGURES` maps every registered
figure's name to its declaration, and the planner (``repgeom.plan.figures``), the rules and
``repgeom figure`` read it.

Figures from outside the package: a plugin module (:mod:`repgeom.plugins`, a config's
``plugins`` list) calls :func:`register` with a :class:`Figure`; Snakemake and the jobs it
starts then see it alike.
"""

from __future__ import annotations

from importlib import import_module

from repgeom.errors import ConfigError
from repgeom.figures.base import Figure

#: Modules of the built-in figures, in the order the workflow draws them.
BUILTIN = (
    "stimuli",
    "dimensionality",
    "ed_encoding",
    "classification",
    "manifolds",
    "paths",
    "steps",
    "encoding_profiles",
    "rsa",
    "shape",
    "brain_match",
    "dsa",
    "dsa_sweep",
    "dsa_geometry",
    "rdm_movie",
)
#: Every registered figure, by name.
FIGURES: dict[str, Figure] = {}


def register(figure: Figure) -> Figure:
    """Add a figure to :data:`FIGURES` (the planner and the CLI then know it); returns it.

    Raises
    ------
    ConfigError
        If another figure of that name is registered.
    """
    if FIGURES.get(figure.name, figure) != figure:
        raise ConfigError(f"a figure named {figure.name!r} is already registered; rename one")
    FIGURES[figure.name] = figure
    return figure


for _module in BUILTIN:
    register(import_module(f"{__name__}.{_module}").FIGURE)

__all__ = ["BUILTIN", "FIGURES", "Figure", "register"]
