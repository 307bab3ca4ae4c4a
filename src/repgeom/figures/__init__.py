"""Manuscript figures: one module per figure, each reading only result stores and drawing.

A figure module declares ``FIGURE = Figure(name, drawn, inputs, render)``
(:class:`~repgeom.figures.base.Figure`) and has a caption ``workflow/report/{name}.rst``. The
built-in modules are listed once in :data:`BUILTIN`; :data:`FIGURES` maps every registered
figure's name to its declaration, and the planner (``repgeom.plan.figures``), the rules and
``repgeom figure`` read it.

Figures from outside the package: call :func:`register` with a :class:`Figure`, or name the
modules that declare one in the environment variable ``REPGEOM_FIGURES`` (comma-separated
module names, importable from ``sys.path``), so that Snakemake and the jobs it starts see them
alike::

    REPGEOM_FIGURES=my_figures.similarity snakemake --cores 2
"""

from __future__ import annotations

import os
from importlib import import_module

from repgeom.errors import ConfigError
from repgeom.figures.base import Figure

#: Modules of the built-in figures, in the order the workflow draws them.
BUILTIN = (
    "stimuli",
    "dimensionality",
    "ed_encoding",
    "encoding_profiles",
    "rsa",
    "shape",
    "dsa",
)
#: Environment variable naming modules of more figures (each declares ``FIGURE``).
PLUGINS_ENV = "REPGEOM_FIGURES"

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


def load_module(name: str) -> Figure:
    """Import a module that declares ``FIGURE`` and register that figure."""
    module = import_module(name)
    figure = getattr(module, "FIGURE", None)
    if not isinstance(figure, Figure):
        raise ConfigError(f"module {name!r} declares no FIGURE = repgeom.figures.Figure(...)")
    return register(figure)


for _module in BUILTIN:
    load_module(f"{__name__}.{_module}")
for _module in filter(None, os.environ.get(PLUGINS_ENV, "").split(",")):
    load_module(_module.strip())

__all__ = ["BUILTIN", "FIGURES", "Figure", "load_module", "register"]
