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


def _branch_errors(errors: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    """A ``oneOf`` / ``anyOf`` violation replaced by what is wrong inside the alternative of
    the value's own type (``architecture: {factory: x}`` says what the mapping lacks, not that
    it matches no alternative)."""
    out = []
    for error in errors:
        inner = [c for c in error.context or () if c.validator != "type"]
        if error.validator in ("oneOf", "anyOf") and inner:
            out += _branch_errors(inner)
        else:
            out.append(error)
    return out


def _problems(errors: list[jsonschema.ValidationError]) -> list[str]:
    """One line per problem of the schema violations, ``key.path: problem``. An unknown key is
    named once with the closest valid keys of its section; a required key that such a
    suggestion names is not reported again (``layer:`` for ``layers:`` is one mistake)."""
    errors = _branch_errors(errors)
    lines, suggested = [], set()
    for error in errors:
        if error.validator != "additionalProperties" or not isinstance(error.instance, Mapping):
            continue
        section = _dotted(error.absolute_path) if error.absolute_path else "the top level"
        allowed = sorted(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(allowed)):
            close = difflib.get_close_matches(str(key), allowed, n=2, cutoff=0.6)
            suggested |= {(tuple(error.absolute_path), c) for c in close}
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            where = _dotted([*error.absolute_path, key])
            lines.append(f"{where}: unknown key; {hint}{section} takes {allowed}")
    for error in errors:
        if error.validator == "additionalProperties":
            continue
        if error.validator == "required" and isinstance(error.instance, Mapping):
            missing = [k for k in error.validator_value if k not in error.instance]
            if all((tuple(error.absolute_path), k) in suggested for k in missing):
                continue
        lines.append(f"{_dotted(error.absolute_path)}: {error.message}")
    return lines


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``config`` with defaults filled in; raise :class:`ConfigError` listing
    every violation as ``key.path: problem`` (an unknown key with the closest valid keys).

    The Snakefile validates with this function too (not Snakemake's ``validate``, which
    appends the whole schema to the message)."""
    config = copy.deepcopy(dict(config))
    errors = sorted(_Validator(schema()).iter_errors(config), key=lambda e: list(e.path))
    lines = _problems(errors)
    if lines:
        raise ConfigError(
            "invalid config:\n"
            + "\n".join(f"  {line}" for line in lines)
            + f"\n(every key is described in {SCHEMA_PATH})"
        )
    for name, spec in config["models"].items():  # {factory, kwargs}: one spelling downstream
        architecture = spec["architecture"]
        if isinstance(architecture, Mapping):
            if spec["kwargs"] and architecture.get("kwargs"):
                raise ConfigError(
                    f"models.{name}: kwargs are given twice (in architecture and beside it); "
                    "keep one"
                )
            spec["architecture"] = architecture["factory"]
            spec["kwargs"] = dict(architecture.get("kwargs") or spec["kwargs"])
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
    for name, spec in config["models"].items():
        for stimset in spec.get("stimsets") or ():
            if stimset not in stimsets:
                raise ConfigError(
                    f"models.{name}.stimsets: {stimset!r} is not a stimulus set; choose from "
                    f"{sorted(stimsets)}"
                )
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
    geometry = analyses.get("dsa", {}).get("tutorial", {}).get("geometry", {})
    for name, metric in geometry.items():
        check_metric_entry(f"analyses.dsa.tutorial.geometry.{name}", metric)
    distance_metrics = analyses.get("distances", {}).get("metrics", {})
    for name in analyses.get("inference", {}).get("metrics") or {}:
        if name not in distance_metrics:
            raise ConfigError(
                f"analyses.inference.metrics: {name!r} is not a distance metric; choose from "
                f"{sorted(distance_metrics)} (analyses.distances.metrics defines them)"
            )
    _check_distance_sizes(config)
    from repgeom.selection import check_study_stimsets

    check_study_stimsets(config)  # classification / manifolds sets, ed_stimset
    _check_paths(config)
    _check_clip_sweep(config)
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


#: The environment variable through which the workflow's jobs learn where the run was
#: started (the base of the config's relative paths; set by the Snakefile's main process).
LAUNCH_DIR = "REPGEOM_LAUNCH_DIR"


def launch_dir(*, main_process: bool = True) -> Path:
    """The folder the config's relative paths are relative to: the working directory of the
    process that starts the workflow (which exports it in ``$REPGEOM_LAUNCH_DIR``, so that a
    job re-reading the config elsewhere, e.g. on a cluster node inside ``output_dir``,
    resolves them the same way)."""
    if main_process or LAUNCH_DIR not in os.environ:
        os.environ[LAUNCH_DIR] = os.getcwd()
    return Path(os.environ[LAUNCH_DIR])


def output_dir(config: Mapping[str, Any]) -> Path:
    """The absolute folder of a config's results/, figures/ and logs/ (``output_dir``, relative
    to :func:`launch_dir`)."""
    return Path(os.environ.get(LAUNCH_DIR, os.getcwd())) / config.get("output_dir", ".")


#: The environment variable through which the workflow's jobs learn the run's folder.
RUN_DIR = "REPGEOM_RUN_DIR"


def run_dir(
    config: Mapping[str, Any], *, main_process: bool = True, directory: str | None = None
) -> Path:
    """The folder a run writes to: Snakemake's ``--directory`` when given (it overrides the
    Snakefile's ``workdir:``, hence ``output_dir``), else :func:`output_dir`. The main process
    exports it in ``$REPGEOM_RUN_DIR`` and jobs read it back: a cluster job re-evaluates the
    Snakefile without ``--directory`` and would otherwise write under ``output_dir`` while the
    main process looks for its outputs in ``--directory``.

    ``directory`` is the ``--directory`` as typed; Snakemake has already changed into it when
    the Snakefile runs, so the folder is the working directory (a relative ``directory``
    resolved again would be doubled)."""
    if main_process or RUN_DIR not in os.environ:
        folder = Path.cwd() if directory else output_dir(config)
        os.environ[RUN_DIR] = str(folder)
    return Path(os.environ[RUN_DIR])


def _is_file_setting(weights: str) -> bool:
    """Whether a model's ``weights`` names a file (rather than untrained or a torchvision
    weights name such as ``DEFAULT``)."""
    return Path(weights).suffix in (".pt", ".pth") or os.sep in weights


def resolve_paths(config: Mapping[str, Any], base: str | os.PathLike[str]) -> dict[str, Any]:
    """A copy of a validated config whose relative file paths are made absolute against
    ``base``: stimulus-set ``path``s, recordings' ``path``s, weights files, model factories'
    ``.py`` files and ``.py`` plugins (what jobs open, wherever they run)."""
    config = copy.deepcopy(dict(config))
    base = Path(base)

    def absolute(value: str) -> str:
        return str(base / Path(value).expanduser())

    for section in ("stimsets", "neural"):
        for spec in config.get(section, {}).values():
            if "path" in spec:
                spec["path"] = absolute(spec["path"])
    for spec in config.get("models", {}).values():
        if _is_file_setting(str(spec.get("weights", "untrained"))):
            spec["weights"] = absolute(spec["weights"])
        source, colon, function = str(spec.get("architecture", "")).rpartition(":")
        if colon and source.endswith(".py"):  # a factory in a user's file
            spec["architecture"] = f"{absolute(source)}:{function}"
    config["plugins"] = [absolute(p) if p.endswith(".py") else p for p in config.get("plugins", [])]
    return config


def _check_distance_sizes(config: Mapping[str, Any]) -> None:
    """A distance matrix needs two representations (model layers and neural datasets of the
    stimulus set)."""
    from repgeom.selection import distance_metrics, distance_stimsets, n_representations

    if not distance_metrics(config):
        return
    for stimset in distance_stimsets(config):
        k = n_representations(config, stimset)
        if k < 2:
            raise ConfigError(
                f"analyses.distances: stimulus set {stimset!r} has {k} representation"
                f"{'' if k == 1 else 's'} (model layers plus neural datasets on it), and a "
                "distance needs two; add a model layer or a neural dataset on it, or set "
                "analyses.distances.metrics: {} to compare nothing"
            )


def check_inputs(config: Mapping[str, Any]) -> None:
    """The checks of a (validated, :func:`check`-ed) config that read files or build models,
    done once before a run (the Snakefile's main process, ``repgeom check-config``):

    - every stimulus set's and recording's ``path`` exists and is of the right kind (an image
      folder with images, a ``.npy`` / ``.nc`` file, a recordings file; its content is checked
      when it is loaded, or beforehand with ``repgeom neural check``);
    - every pretrained weights file exists and passes its hash check
      (:func:`repgeom.models.zoo.verify_weights`);
    - every model takes the image size of every stimulus set it sees (a shape-only forward
      pass, :func:`repgeom.models.zoo.input_size_problem`).

    Raises
    ------
    ConfigError
        Naming the config key, the file and the fix.
    """
    from repgeom.models.zoo import UNTRAINED, input_size_problem, verify_weights
    from repgeom.stimuli.loaders import IMAGE_SUFFIXES, image_files

    for name, spec in config["stimsets"].items():
        if spec["kind"] not in ("image_folder", "array_file"):
            continue
        path = Path(spec["path"])
        key = f"stimsets.{name}.path"
        if spec["kind"] == "image_folder":
            if not path.is_dir():
                raise ConfigError(f"{key}: image folder {path} does not exist; fix the path")
            if not image_files(path):
                raise ConfigError(
                    f"{key}: {path} holds no images (suffixes {sorted(IMAGE_SUFFIXES)})"
                )
        elif not path.is_file():
            raise ConfigError(f"{key}: {path} does not exist; fix the path")
        elif path.suffix not in (".npy", ".nc"):
            raise ConfigError(f"{key}: {path} is neither a .npy array nor a .nc stimuli store")
    for name, spec in config.get("neural", {}).items():
        if spec["kind"] == "file" and not Path(spec["path"]).is_file():
            raise ConfigError(
                f"neural.{name}.path: recordings file {spec['path']} does not exist; fix the "
                "path (the README's 'Your own data' describes the file)"
            )
    for name, spec in config["models"].items():
        if spec["weights"] not in UNTRAINED:
            try:
                verify_weights(spec["architecture"], spec["weights"])
            except RepgeomError as exc:
                raise ConfigError(f"models.{name}.weights: {exc}") from exc
        for stimset, size in sorted(_image_sizes(config).items()):
            if spec.get("stimsets") is not None and stimset not in spec["stimsets"]:
                continue  # a set this model does not see
            problem = input_size_problem(spec["architecture"], size, spec.get("kwargs"))
            if problem is None:
                continue
            reason, side = problem
            fix = f"set stimsets.{stimset}.size: {side or 'a size it takes'}"
            if side is not None:
                fix += (
                    f", or build it for {size} px with models.{name}.kwargs: {{image_size: {size}}}"
                )
            raise ConfigError(
                f"models.{name}: {reason}, but stimulus set {stimset!r} is {size} px; {fix}"
            )


def _image_sizes(config: Mapping[str, Any]) -> dict[str, int]:
    """The side in pixels of every stimulus set's images."""
    return {name: int(spec.get("size", 64)) for name, spec in config["stimsets"].items()}


def _check_paths(config: Mapping[str, Any]) -> None:
    """The paths' and steps' sets are categorised still sets and their models are extracted
    there; the paths' metric is a workflow metric."""
    from repgeom.selection import (
        labelled_problem,
        models_on,
        path_models,
        paths_stimset,
        steps_view,
    )

    analyses = config["analyses"]
    views = [("analyses.paths", "the paths analysis", paths_stimset(config), path_models(config))]
    if steps_view(config) is not None:
        stimset, model = steps_view(config)
        views.append(("analyses.steps", "the per-step geometry", stimset, [model]))
    for key, analysis, stimset, models in views:
        if stimset is None:
            continue
        if stimset not in config["stimsets"]:
            raise ConfigError(
                f"{key}: {stimset!r} is not a stimulus set; choose from "
                f"{sorted(config['stimsets'])}"
            )
        problem = labelled_problem(config, stimset, analysis)
        if problem is not None:
            raise ConfigError(f"{key}: stimulus set {stimset!r} cannot be used: {problem}")
        for model in models:
            if model not in models_on(config, stimset):
                raise ConfigError(
                    f"{key}: model {model!r} is not extracted on {stimset!r}; choose from "
                    f"{models_on(config, stimset)}"
                )
    if paths_stimset(config) is not None:
        check_metric_entry("analyses.paths.metric", analyses["paths"]["metric"])


def _check_clip_sweep(config: Mapping[str, Any]) -> None:
    """The longest delay embedding of ``analyses.dsa.clip_sweep`` fits the clips of every swept
    built-in clip set: ``(n_delays − 1) · delay_interval`` frames back, leaving at least two
    frames of every clip for DMD."""
    import inspect

    from repgeom.selection import dsa_sweep_sets
    from repgeom.stimuli import builtin

    sweep = config["analyses"]["dsa"]["clip_sweep"]
    span = (max(sweep["n_delays"]) - 1) * max(sweep["delay_interval"]) if sweep else 0
    for clipset in dsa_sweep_sets(config):
        spec = config["stimsets"].get(clipset)
        maker = getattr(builtin, str((spec or {}).get("kind")), None)
        if maker is None:  # the tutorial, or a user's clips: their length shows at run time
            continue
        frames = spec.get("n_frames", inspect.signature(maker).parameters["n_frames"].default)
        if span > frames - 2:
            raise ConfigError(
                f"analyses.dsa.clip_sweep: delays reach {span} frames back, but the clips of "
                f"{clipset!r} have {frames} frames; keep (max n_delays − 1) × max "
                f"delay_interval ≤ {frames - 2}, or lengthen stimsets.{clipset}.n_frames"
            )


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


def load(path: str | os.PathLike[str], *, inputs: bool = True) -> dict[str, Any]:
    """Read a YAML config, validate it against the schema (filling defaults), make its
    relative paths absolute (relative to the working directory, as the workflow does) and
    check it, with its files, weights and image sizes unless ``inputs`` is false
    (:func:`check_inputs`)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of config keys, found {type(raw).__name__}")
    config = resolve_paths(validate(raw), Path.cwd())
    from repgeom.plugins import activate

    activate(config["plugins"])
    check(config)
    if inputs:
        check_inputs(config)
    return config
