"""Load and check the workflow config against ``workflow/schemas/config.schema.yaml``.

The schema is the only definition of the config. Snakemake applies it with ``validate()`` when
the Snakefile loads; :func:`load` applies the same file for the CLI and tests, filling in the
schema's defaults. :func:`check` adds what a JSON schema cannot express: known architectures,
resolvable layer names, and references between sections.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from repgeom.errors import ConfigError, RepgeomError

#: The schema file, shared with the Snakefile (editable installs and source checkouts).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


@cache
def schema() -> dict[str, Any]:
    """The parsed config schema."""
    if not SCHEMA_PATH.exists():
        raise ConfigError(
            f"config schema not found at {SCHEMA_PATH}; install repgeom from its source "
            "checkout with `pip install -e .` (the README's `make run` does this)"
        )
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _with_defaults(validator_class: type) -> type:
    """Extend a jsonschema validator so that ``properties`` fills in ``default`` values."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema_):  # noqa: ANN001 - jsonschema API
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema_)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _with_defaults(jsonschema.Draft202012Validator)


def _dotted(path: Iterator[Any]) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``config`` with defaults filled in; raise :class:`ConfigError` listing
    every violation as ``key.path: problem``."""
    config = copy.deepcopy(dict(config))
    errors = sorted(_Validator(schema()).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"  {_dotted(e.path)}: {e.message}" for e in errors]
        raise ConfigError(
            "invalid config:\n" + "\n".join(lines) + f"\n(the schema is {SCHEMA_PATH})"
        )
    return config


def check(config: Mapping[str, Any]) -> None:
    """Semantic checks after schema validation.

    Raises
    ------
    ConfigError
        For a neural dataset on an unknown stimulus set, an unknown architecture or an unknown
        layer; the message names the config key and what is allowed.
    """
    from repgeom.models import resolve_layers
    from repgeom.models.zoo import UNTRAINED, build_model, check_architecture
    from repgeom.stimuli import CLIP_KINDS

    stimsets = config["stimsets"]
    for name, spec in config.get("neural", {}).items():
        if spec["stimset"] not in stimsets:
            raise ConfigError(
                f"neural.{name}.stimset: {spec['stimset']!r} is not a stimulus set; "
                f"choose one of {sorted(stimsets)}"
            )
    from repgeom.plan import DSA_TUTORIAL

    if DSA_TUTORIAL in stimsets:
        raise ConfigError(
            f"stimsets.{DSA_TUTORIAL}: the name is taken by the DSA tutorial systems "
            f"(results/dsa/{DSA_TUTORIAL}.nc); rename the stimulus set"
        )
    analyses = config.get("analyses", {})
    for section, key, want_clips in (("distances", "stimsets", False), ("dsa", "clipsets", True)):
        for stimset in analyses.get(section, {}).get(key) or []:
            if stimset not in stimsets:
                raise ConfigError(
                    f"analyses.{section}.{key}: {stimset!r} is not a stimulus set; "
                    f"choose from {sorted(stimsets)}"
                )
            if (stimsets[stimset]["kind"] in CLIP_KINDS) != want_clips:
                need = "clips (a time dim)" if want_clips else "still images"
                raise ConfigError(f"analyses.{section}.{key}: {stimset!r} does not hold {need}")
    for name, metric in analyses.get("distances", {}).get("metrics", {}).items():
        check_metric_entry(f"analyses.distances.metrics.{name}", metric)
    from repgeom.selection import check_study_stimsets

    check_study_stimsets(config)  # classification / manifolds sets, ed_stimset
    for name, spec in config["models"].items():
        key = f"models.{name}"
        train = spec.get("train")
        if train:
            if spec["weights"] not in UNTRAINED:
                raise ConfigError(
                    f"{key}: a model with train: starts from its seeded initialisation; "
                    f"remove weights: {spec['weights']!r}"
                )
            for stimset in train["stimsets"]:
                if stimset not in stimsets:
                    raise ConfigError(
                        f"{key}.train.stimsets: {stimset!r} is not a stimulus set; "
                        f"choose from {sorted(stimsets)}"
                    )
                if stimsets[stimset]["kind"] in CLIP_KINDS:
                    raise ConfigError(
                        f"{key}.train.stimsets: {stimset!r} holds clips; train on still images"
                    )
        try:
            check_architecture(spec["architecture"])
            model = (
                build_model(spec["architecture"], kwargs=spec["kwargs"])
                if spec.get("kwargs")
                else None
            )
            resolve_layers(spec["architecture"], list(spec["layers"]), model)
        except RepgeomError as exc:
            raise ConfigError(f"{key}: {exc}") from exc
        except TypeError as exc:  # bad constructor kwargs
            raise ConfigError(f"{key}.kwargs: {exc}") from exc


def check_metric_entry(key: str, entry: Mapping[str, Any]) -> None:
    """Check one workflow metric ``{method: NAME, **params}`` against the metric registry:
    the name (with the closest names when it is unknown), the parameters against the
    registry's schema fragment, then a run on a small probe (a wrong value fails here, not
    hours later in a job).

    Raises
    ------
    ConfigError
        Naming ``key`` and the fix.
    """
    from repgeom.distances import check_metric, methods
    from repgeom.metrics.registry import metric_schema

    method = entry["method"]
    if method not in methods():
        close = difflib.get_close_matches(method, methods(), n=3)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise ConfigError(
            f"{key}.method: {method!r} is not a workflow metric; {hint}choose one of "
            f"{methods()} (or register your own in a plugin)"
        )
    fragment = metric_schema(method)
    errors = sorted(
        jsonschema.Draft202012Validator(fragment).iter_errors(dict(entry)), key=lambda e: e.path
    )
    if errors:
        allowed = sorted(set(fragment["properties"]) - {"method"})
        lines = [f"  {key}.{_dotted(e.path)}: {e.message}" for e in errors]
        raise ConfigError(
            f"invalid metric {key}:\n" + "\n".join(lines) + f"\n{method!r} takes {allowed}"
        )
    params = {k: v for k, v in entry.items() if k != "method"}
    try:
        check_metric(method, params)
    except RepgeomError as exc:
        raise ConfigError(f"{key}: {exc}") from exc


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML config, validate it against the schema (filling defaults) and check it."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of config keys, found {type(raw).__name__}")
    config = validate(raw)
    from repgeom.plugins import activate

    activate(config["plugins"])
    check(config)
    return config
