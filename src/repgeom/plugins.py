"""Plugins: your own metrics and figures, in a module of your own, seen by the whole workflow.

A plugin is a Python module (a dotted name importable from ``sys.path``, or the path of a
``.py`` file) that registers what it adds when it is imported::

    # my_metrics.py
    from repgeom.metrics.registry import MetricInfo, register
    register(MetricInfo("my_distance", "distance", ("symmetry",), "...", {...}, MyScorer))

    # my_figures.py
    from repgeom.figures import Figure, register
    register(Figure("my_figure", drawn=..., inputs=..., render=...))

Name plugins in a config's ``plugins`` list. The Snakefile imports them before it checks the
config (so a metric's ``method`` and a figure's name are known to the check and the planner)
and exports them in ``$REPGEOM_PLUGINS``, which every ``repgeom`` command imports first, so
the jobs (also those on a cluster) see them too. In a script or notebook, just import the
module.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from repgeom.errors import ConfigError

#: Environment variable listing plugins (separated by ``os.pathsep``) for every repgeom command.
ENV = "REPGEOM_PLUGINS"


def _import(name: str) -> ModuleType:
    if name.endswith(".py"):
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"plugin {name!r}: no such file; give an existing .py path")
        module_name = f"repgeom_plugin_{path.stem}"
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"plugin {name!r}: module not found ({exc}); give a .py path or put the module on "
            "PYTHONPATH"
        ) from exc


def load(names: Iterable[str]) -> list[ModuleType]:
    """Import each plugin (a module name or a ``.py`` path) once; returns the modules.

    Raises
    ------
    ConfigError
        Naming the plugin, when it cannot be found or raises while it is imported.
    """
    modules = []
    for name in names:
        try:
            modules.append(_import(str(name)))
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"plugin {name!r} failed on import: {exc!r}") from exc
    return modules


def activate(names: Sequence[str]) -> list[ModuleType]:
    """Load plugins and export them in :data:`ENV` (``.py`` paths made absolute), so that
    commands started from here load them too."""
    names = [str(Path(n).resolve()) if str(n).endswith(".py") else str(n) for n in names]
    modules = load(names)
    known = [n for n in os.environ.get(ENV, "").split(os.pathsep) if n]
    os.environ[ENV] = os.pathsep.join(dict.fromkeys([*known, *names]))
    return modules


def load_from_environment() -> list[ModuleType]:
    """Load the plugins listed in :data:`ENV` (what every ``repgeom`` command does first)."""
    return load(n for n in os.environ.get(ENV, "").split(os.pathsep) if n)
