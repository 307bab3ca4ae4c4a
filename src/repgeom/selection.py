"""What a validated config selects: which representations, sets and metrics exist.

Pure functions of the config (no heavy imports), shared by the stage and figure declarations
and by :mod:`repgeom.plan`. The one exception to "no I/O" is :func:`category_sizes`, which lists
a user's image folder (or reads an array file's header) to count its categories without
building the set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from repgeom import paths
from repgeom.errors import ConfigError

Config = Mapping[str, Any]
log = logging.getLogger("repgeom")


def is_still(config: Config, stimset: str) -> bool:
    """Whether a stimulus set holds still images (not clips with a ``time`` dim)."""
    from repgeom.stimuli.builtin import CLIP_KINDS

    return config["stimsets"][stimset]["kind"] not in CLIP_KINDS


def stimset_files(config: Config, stimset: str) -> list[str]:
    """The user's files a stimulus set is built from (the stimuli rule's inputs, so that a
    changed, added or removed image reruns exactly what depends on the set): every image of an
    ``image_folder`` (sorted), the file of an ``array_file``, nothing for a built-in set."""
    spec = config["stimsets"][stimset]
    if spec["kind"] == "array_file":
        return [spec["path"]]
    if spec["kind"] == "image_folder":
        from pathlib import Path

        from repgeom.stimuli.loaders import image_files

        root = Path(spec["path"])
        if root.is_dir():
            return [str(p) for p in image_files(root)]
    return []


def recording_files(config: Config, neural: str) -> list[str]:
    """The user's recordings file of a neural dataset (``kind: file``), else nothing."""
    spec = config["neural"][neural]
    return [spec["path"]] if spec["kind"] == "file" else []


def weights_files(config: Config, model: str) -> list[str]:
    """The pretrained weights file a model loads (a local file or the torch cache's), else
    nothing: the extraction rule's input, so that replacing the file reruns the model."""
    from repgeom.models.zoo import weights_file

    spec = config["models"][model]
    path = weights_file(spec["architecture"], spec["weights"])
    return [] if path is None else [str(path)]


def factory_files(config: Config, model: str) -> list[str]:
    """The Python file of a model built by a factory in a user's file, else nothing: an
    extraction input, so that editing the network reruns the model."""
    from repgeom.models.zoo import factory_file

    path = factory_file(config["models"][model]["architecture"])
    return [] if path is None else [str(path)]


def models_on(config: Config, stimset: str) -> list[str]:
    """Models extracted on ``stimset``: those without a ``stimsets`` list, and those whose list
    names it (in config order)."""
    return [
        m
        for m, spec in config["models"].items()
        if spec.get("stimsets") is None or stimset in spec["stimsets"]
    ]


def neural_on(config: Config, stimset: str) -> list[str]:
    """Neural datasets recorded on ``stimset``."""
    return [n for n, spec in config.get("neural", {}).items() if spec["stimset"] == stimset]


def still_neural(config: Config) -> list[str]:
    """Neural datasets recorded on still images (encoding models use these)."""
    return [n for n, spec in config.get("neural", {}).items() if is_still(config, spec["stimset"])]


def encoding_stimsets(config: Config) -> list[str]:
    """Still stimulus sets with neural data (where encoding models are fitted), sorted."""
    return sorted({config["neural"][n]["stimset"] for n in still_neural(config)})


def encoded_models(config: Config) -> list[str]:
    """Models seen on a set of :func:`encoding_stimsets` (each gets an encoding job)."""
    sets = encoding_stimsets(config)
    return [m for m in config["models"] if any(m in models_on(config, s) for s in sets)]


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


def scratch_mb(config: Config) -> int:
    """An extraction job's scratch disk (``scratch_budget_gb`` in MB, 10⁶ bytes): the most its
    raw activations spill at once (:func:`repgeom.reduce.plan_passes`), and its ``disk_mb``."""
    return max(1, round(float(config["scratch_budget_gb"]) * 1000))


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


def movie_sets(config: Config) -> list[str]:
    """Clip sets whose representations get one RDM per frame (``analyses.rdm_movie``)."""
    if not config["analyses"]["rdm_movie"]:
        return []
    return [s for s in config["stimsets"] if not is_still(config, s)]


def dsa_sweep_sets(config: Config) -> list[str]:
    """The sets swept over delay settings and ranks: ``tutorial`` (when the tutorial runs and
    ``tutorial.sweep`` is set) and the DSA clip sets with neural data and at least one model
    extracted on them (when ``clip_sweep`` is set: it compares models with brains)."""
    spec = config["analyses"]["dsa"]
    sets = dsa_sets(config)
    out = []
    if spec["tutorial"]["sweep"] is not None and paths.DSA_TUTORIAL in sets:
        out.append(paths.DSA_TUTORIAL)
    if spec["clip_sweep"] is not None:
        out += [
            s
            for s in sets
            if s != paths.DSA_TUTORIAL and neural_on(config, s) and models_on(config, s)
        ]
    return out


def paths_stimset(config: Config) -> str | None:
    """The still set the representational paths run over (None: no paths)."""
    return config["analyses"]["paths"]["stimset"]


def path_models(config: Config) -> list[str]:
    """The models whose layers make the representational paths (``analyses.paths.models``;
    default every model extracted on the set)."""
    stimset = paths_stimset(config)
    if stimset is None:
        return []
    chosen = config["analyses"]["paths"]["models"]
    return list(chosen) if chosen is not None else models_on(config, stimset)


def steps_view(config: Config) -> tuple[str, str] | None:
    """``(stimset, model)`` of the per-step geometry (None: not drawn)."""
    spec = config["analyses"]["steps"]
    stimset = spec["stimset"] or paths_stimset(config)
    if spec["model"] is None or stimset is None:
        return None
    return stimset, spec["model"]


def inference_stimsets(config: Config) -> list[str]:
    """Distance stimulus sets with neural data: their model–brain scores get inference."""
    if not inference_metrics(config):
        return []
    return [s for s in distance_stimsets(config) if neural_on(config, s)]


def inference_metrics(config: Config) -> dict[str, dict[str, int]]:
    """Each metric inference runs on, with its resample counts (``n_bootstrap``,
    ``n_permutations``): the section's defaults under each metric's overrides."""
    spec = config["analyses"]["inference"]
    chosen = spec["metrics"]
    if chosen is None:
        chosen = dict.fromkeys(distance_metrics(config))
    counts = {k: spec[k] for k in ("n_bootstrap", "n_permutations")}
    return {name: {**counts, **(over or {})} for name, over in chosen.items()}


def _first_metric(config: Config, method: str) -> str | None:
    metrics = config["analyses"]["distances"]["metrics"]
    return next((m for m, spec in metrics.items() if spec["method"] == method), None)


def matrix_metrics(config: Config) -> list[str]:
    """The distance metrics the distance-matrix figure draws: every one but the RSA metric the
    RSA figure draws, so that each configured metric appears in some figure."""
    rsa = rsa_metric(config)
    return [m for m in distance_metrics(config) if m != rsa]


def rsa_metric(config: Config) -> str | None:
    """The first ``rsa`` metric (the RSA figure's second-order RDM), if any."""
    return _first_metric(config, "rsa")


def dsa_sets(config: Config) -> list[str]:
    """Clip sets analysed with DSA, plus ``tutorial`` for the circle / oval / walk systems
    (``tutorial.enabled``: true, false, or null for "when there are clip sets")."""
    spec = config["analyses"]["dsa"]
    if not spec["enabled"]:
        return []
    clipsets = spec.get("clipsets")
    if clipsets is None:
        clipsets = [s for s in config["stimsets"] if not is_still(config, s)]
    tutorial = spec["tutorial"]["enabled"]
    if tutorial is None:  # the default: the tutorial beside the config's own clip sets
        tutorial = bool(clipsets)
    return [*clipsets, *([paths.DSA_TUTORIAL] if tutorial else [])]


def _chosen(config: Config, stimset: str, models: Sequence[str] | None) -> list[str]:
    """``models``, or by default every model extracted on ``stimset``."""
    return models_on(config, stimset) if models is None else list(models)


def representation_files(
    config: Config, stimset: str, models: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Every representation of a stimulus set in matrix order: each model's configured layers
    (``activations``; ``models``: only these, default every model on the set), then the neural
    datasets recorded on it (``neural``)."""
    return {
        "activations": [
            paths.LAYER.format(stimset=stimset, model=m, layer=layer)
            for m in _chosen(config, stimset, models)
            for layer in config["models"][m]["layers"]
        ],
        "neural": [paths.NEURAL.format(neural=n) for n in neural_on(config, stimset)],
    }


def representation_inputs(
    config: Config, stimset: str, models: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """The rule inputs behind :func:`representation_files` (activation folders, neural
    stores)."""
    return {
        "activations": [
            paths.ACTIVATIONS.format(stimset=stimset, model=m)
            for m in _chosen(config, stimset, models)
        ],
        "neural": representation_files(config, stimset)["neural"],
    }


def rdm_models(config: Config, stimset: str) -> list[str]:
    """The models whose RDMs the rdms store holds: the first model on the set (the RSA figure
    and the RDM movie draw its layers beside the brains). Every model's would be K square
    matrices: 12 GB for the paper config's 565 representations of 1,368 stimuli."""
    return models_on(config, stimset)[:1]


def representation_attrs(config: Config, stimset: str) -> list[dict[str, Any]]:
    """What the stores of :func:`representation_files` will say of themselves (the attrs that
    name and label a representation: :func:`repgeom.representations.load_representations`'s
    ``described``), predicted from the config alone."""
    layers = [
        {
            "schema": "activations",
            "stimset": stimset,
            "model": model,
            "layer": layer,
            "training": model_training(config, model),
            "layer_index": index,
            "n_layers": len(config["models"][model]["layers"]),
        }
        for model in models_on(config, stimset)
        for index, layer in enumerate(config["models"][model]["layers"])
    ]
    brains = [
        {"schema": "neural", "stimset": stimset, "neural": n} for n in neural_on(config, stimset)
    ]
    return layers + brains


def n_representations(config: Config, stimset: str) -> int:
    """K, the side of a stimulus set's distance matrices."""
    return sum(len(v) for v in representation_files(config, stimset).values())


# -- the dimensionality study: categorised still sets -------------------------------------------

#: The fewest classes the few-shot scores need (top-5 accuracy and MRR as the study scores
#: them; :data:`repgeom.classification.MIN_CLASSES`).
MIN_CLASSES_CLASSIFICATION = 3
#: Manifold geometry needs two classes of at least two samples (a class radius).
MIN_CLASSES_MANIFOLDS = 2
MIN_PER_CLASS_MANIFOLDS = 2


def _photo_sizes(spec: Mapping[str, Any]) -> dict[str, int]:
    import inspect

    from repgeom.stimuli.builtin import photo_crops

    defaults = {
        k: v.default for k, v in inspect.signature(photo_crops).parameters.items() if k != "name"
    }
    scales = spec.get("scales", defaults["scales"])
    positions = spec.get("positions", defaults["positions"])
    per_photo = sum(1 if scale >= 1 else positions**2 for scale in scales)
    return {name: per_photo for name in spec.get("names", defaults["names"])}


def _grating_sizes(spec: Mapping[str, Any]) -> dict[str, int]:
    import inspect

    import numpy as np

    from repgeom.stimuli.builtin import gratings

    defaults = {k: v.default for k, v in inspect.signature(gratings).parameters.items()}
    n_ori = spec.get("orientations", defaults["orientations"])
    per_class = len(spec.get("spatial_frequencies", defaults["spatial_frequencies"])) * spec.get(
        "phases", defaults["phases"]
    )
    return {f"ori{o:g}": per_class for o in np.arange(n_ori) * 180.0 / n_ori}


def _counts(labels: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for label in labels:
        out[label] = out.get(label, 0) + 1
    return out


def _folder_sizes(path: str) -> dict[str, int] | None:
    from pathlib import Path

    from repgeom.stimuli.loaders import image_files

    root = Path(path)
    if not root.is_dir():
        return None
    files = image_files(root)
    rel = [f.relative_to(root).parts for f in files]
    return _counts([parts[0] if len(parts) > 1 else "none" for parts in rel]) or None


def _array_sizes(path: str) -> dict[str, int] | None:
    from pathlib import Path

    import numpy as np

    file = Path(path)
    if not file.is_file():
        return None
    if file.suffix == ".npy":
        return {"none": int(np.load(file, mmap_mode="r").shape[0])}
    import xarray as xr

    from repgeom import store

    with xr.open_dataset(file, engine="netcdf4") as ds:
        if store.CATEGORY not in ds.coords:
            return {"none": int(ds.sizes.get(store.STIMULUS, 0))}
        return _counts([str(c) for c in ds[store.CATEGORY].values])


@cache
def _digit_targets() -> tuple[int, ...]:
    from sklearn.datasets import load_digits

    return tuple(int(t) for t in load_digits().target)


def category_sizes(config: Config, stimset: str) -> dict[str, int] | None:
    """Stimuli per category (the stimuli store's ``category`` coord) of a still set, in order of
    first appearance, computed from the config without building the set: photo crops by source
    photograph, faces / non-faces, digits by digit, gratings by orientation, a user's image
    folder by sub-folder (files at its top level: ``"none"``), an array file's categories.

    Returns None for clips and where the set's files do not exist (yet).
    """
    spec = config["stimsets"][stimset]
    kind = spec["kind"]
    if not is_still(config, stimset):
        return None
    if kind == "photos":
        return _photo_sizes(spec)
    if kind == "gratings":
        return _grating_sizes(spec)
    if kind == "faces":
        from repgeom.stimuli.builtin import LFW_N_FACES

        return {"face": LFW_N_FACES, "nonface": 200 - LFW_N_FACES}
    if kind == "digits":
        return _counts([str(t) for t in _digit_targets()[: spec.get("n", 200)]])
    if kind == "image_folder":
        return _folder_sizes(spec["path"])
    if kind == "array_file":
        return _array_sizes(spec["path"])
    return None


def classification_samples(config: Config) -> int:
    """Samples each class needs for the few-shot readout: ``max(n_train) + n_test``."""
    spec = config["analyses"]["classification"]
    return max(spec["n_train"]) + spec["n_test"]


def _still_categories(
    config: Config, stimset: str, analysis: str
) -> tuple[dict[str, int] | None, str | None]:
    """The category sizes of a still set (:func:`category_sizes`) and None, or None and why
    ``analysis`` (e.g. "the manifold geometry") cannot take the set: clips, or categories that
    cannot be counted."""
    if not is_still(config, stimset):
        return None, f"it holds clips; {analysis} takes still images"
    sizes = category_sizes(config, stimset)
    if sizes is None:
        return None, "its categories cannot be counted (is its path there?)"
    return sizes, None


def _classification_problem(config: Config, stimset: str) -> str | None:
    """Why ``stimset`` cannot be classified (None: it can)."""
    sizes, problem = _still_categories(config, stimset, "the few-shot readout")
    if sizes is None:
        return problem
    if len(sizes) < MIN_CLASSES_CLASSIFICATION:
        return (
            f"it has {len(sizes)} categor{'y' if len(sizes) == 1 else 'ies'} "
            f"({', '.join(sizes)}); the few-shot scores need at least {MIN_CLASSES_CLASSIFICATION}"
        )
    need = classification_samples(config)
    small = {c: n for c, n in sizes.items() if n < need}
    if small:
        spec = config["analyses"]["classification"]
        shown = dict(list(small.items())[:5])
        return (
            f"{len(small)} of its {len(sizes)} categories have fewer than max(n_train) + n_test "
            f"= {max(spec['n_train'])} + {spec['n_test']} = {need} stimuli (e.g. {shown}; the "
            f"smallest has {min(sizes.values())}); lower analyses.classification.n_train / "
            "n_test, or enlarge the set"
        )
    return None


def _manifold_problem(config: Config, stimset: str) -> str | None:
    """Why ``stimset`` cannot enter the manifold geometry (None: it can)."""
    sizes, problem = _still_categories(config, stimset, "the manifold geometry")
    if sizes is None:
        return problem
    if len(sizes) < MIN_CLASSES_MANIFOLDS:
        return f"it has {len(sizes)} category; projection distances need at least 2"
    small = {c: n for c, n in sizes.items() if n < MIN_PER_CLASS_MANIFOLDS}
    if small:
        return f"categories {sorted(small)[:5]} have one stimulus; a class radius needs 2"
    return None


def labelled_problem(config: Config, stimset: str, analysis: str) -> str | None:
    """Why ``analysis`` (e.g. "the paths analysis") cannot take ``stimset`` as a
    labelled still set — clips, uncountable categories or fewer than two (None: it can)."""
    sizes, problem = _still_categories(config, stimset, analysis)
    if sizes is None:
        return problem
    if len(sizes) < 2:
        return f"it has {len(sizes)} category; {analysis} needs at least 2"
    return None


_SKIPPED: set[str] = set()


def _skip(message: str) -> None:
    if message not in _SKIPPED:  # the planner asks many times; say it once
        _SKIPPED.add(message)
        log.warning(message)


def _study_stimsets(config: Config, section: str, problem) -> list[str]:
    spec = config["analyses"][section]
    if not spec["enabled"]:
        return []
    if spec.get("stimsets") is not None:
        return list(spec["stimsets"])  # checked by check_study_stimsets
    chosen = []
    for stimset in config["stimsets"]:
        if not is_still(config, stimset):
            continue
        reason = problem(config, stimset)
        if reason is None:
            chosen.append(stimset)
        else:
            _skip(f"analyses.{section}: skipping stimulus set {stimset!r}: {reason}")
    return chosen


def classification_stimsets(config: Config) -> list[str]:
    """Still sets of the few-shot readout: ``analyses.classification.stimsets``, or (null)
    every still set with at least 3 categories of ``max(n_train) + n_test`` stimuli each (the
    others are skipped with a logged reason)."""
    return _study_stimsets(config, "classification", _classification_problem)


def manifold_stimsets(config: Config) -> list[str]:
    """Still sets of the class-manifold geometry: ``analyses.manifolds.stimsets``, or (null)
    every still set with at least 2 categories of 2 or more stimuli."""
    return _study_stimsets(config, "manifolds", _manifold_problem)


def ed_stimset(config: Config) -> str | None:
    """The stimulus set the study's figures take effective dimensionality from
    (``analyses.ed_stimset``); None: the set the compared quantity was measured on."""
    return config["analyses"].get("ed_stimset")


def check_study_stimsets(config: Config) -> None:
    """Config checks of the dimensionality study's sections (part of
    :func:`repgeom.config.check`).

    Raises
    ------
    ConfigError
        An explicitly listed set that does not exist or cannot be analysed (too few or too
        small categories, clips), or an ``ed_stimset`` that is not a still set; the message
        names the key, the set and the fix.
    """
    analyses = config.get("analyses", {})
    stimsets = config["stimsets"]
    for section, problem in (
        ("classification", _classification_problem),
        ("manifolds", _manifold_problem),
    ):
        spec = analyses.get(section) or {}
        if not spec.get("enabled") or spec.get("stimsets") is None:
            continue
        for stimset in spec["stimsets"]:
            if stimset not in stimsets:
                raise ConfigError(
                    f"analyses.{section}.stimsets: {stimset!r} is not a stimulus set; choose "
                    f"from {sorted(stimsets)}"
                )
            reason = problem(config, stimset)
            if reason is not None:
                raise ConfigError(
                    f"analyses.{section}.stimsets: {stimset!r} cannot be analysed: {reason} "
                    f"(or remove it from the list; null picks every set that fits)"
                )
    chosen = analyses.get("ed_stimset")
    if chosen is not None:
        if chosen not in stimsets:
            raise ConfigError(
                f"analyses.ed_stimset: {chosen!r} is not a stimulus set; choose from "
                f"{sorted(stimsets)}"
            )
        if not is_still(config, chosen):
            raise ConfigError(f"analyses.ed_stimset: {chosen!r} holds clips; choose a still set")
        if not analyses.get("dimensionality", True):
            raise ConfigError(
                "analyses.ed_stimset is set but analyses.dimensionality is false; switch "
                "dimensionality on (ED is measured there)"
            )
