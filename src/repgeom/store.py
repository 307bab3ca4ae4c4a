"""Result stores: xarray Datasets as netCDF with named dims, provenance and atomic writes.

All netCDF I/O of repgeom goes through this module. Dimension and coordinate names are defined
here once and checked on every :func:`read` and :func:`write`.

Store schemas (``SCHEMAS``) and what each must hold:

========================  =====================================================================
schema                    required variables (dims)
========================  =====================================================================
``stimuli``               ``images`` (stimulus, [time,] channel, y, x)
``neural``                ``responses`` (stimulus, repetition, neuroid[, time])
``activations``           ``features`` (stimulus, component), ``row_mean`` (stimulus)
``dimensionality``        ``effective_dimensionality`` (model, layer, stimset)
``encoding``              ``pearson_r`` (model, layer, neural, neuroid), ``ceiling``
``classification``        ``top1``, ``top5``, ``mrr`` (model, layer, stimset, classifier, n_train,
                          repeat)
``manifolds``             ``projection_distances`` (model, layer, stimset, metric,
                          source_category, target_category)
``paths``                 ``distance`` (rep_a, rep_b), ``coordinate`` (rep, axis),
                          ``path_length`` (model)
``steps``                 ``rdm`` (layer, stimulus, stimulus_), ``embedding`` (layer,
                          projection, stimulus, axis)
``dsa_sweep``             ``distance`` (n_delays, delay_interval, rank, rep_a, rep_b)
``inference``             ``inference`` (rep, brain, statistic), ``ceiling`` (brain, bound),
                          ``comparison_p``, ``comparison_q`` (rep_a, rep_b, brain)
========================  =====================================================================

Every stimulus-indexed store has a ``stimulus_id`` coordinate on ``stimulus``. Floating-point
data are finite, except in result grids (NaN: a layer a model lacks, a pair outside a block)
and in a neural store's ``responses``, where NaN marks a missing trial (``inf`` never passes;
:mod:`repgeom.neural.trials` has the conventions).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import __version__

# The vocabulary of dims and coords lives in repgeom.dims (no xarray); re-exported here.
from repgeom.dims import (
    BOUND as BOUND,
    BRAIN as BRAIN,
    CATEGORY as CATEGORY,
    CHANNEL as CHANNEL,
    COMPONENT as COMPONENT,
    DELAY_INTERVAL as DELAY_INTERVAL,
    LAYER as LAYER,
    MODEL as MODEL,
    N_DELAYS as N_DELAYS,
    NEURAL as NEURAL,
    NEUROID as NEUROID,
    NEUROID_ID as NEUROID_ID,
    RANK as RANK,
    REGION as REGION,
    REP as REP,
    REP_A as REP_A,
    REP_B as REP_B,
    REPETITION as REPETITION,
    SETTING as SETTING,
    SPECTRUM_INDEX as SPECTRUM_INDEX,
    SPLIT as SPLIT,
    STATISTIC as STATISTIC,
    STIMSET as STIMSET,
    STIMULUS as STIMULUS,
    STIMULUS_ID as STIMULUS_ID,
    SUBJECT as SUBJECT,
    TIME as TIME,
    UNIT as UNIT,
    X as X,
    Y as Y,
)
from repgeom.errors import SchemaError, ShapeMismatchError

#: Attributes every store carries (see :func:`provenance`).
PROVENANCE_KEYS = (
    "repgeom_version",
    "config_hash",
    "model",
    "layer",
    "weights",
    "seed",
    "created",
    "schema",
)

#: The environment variable through which the workflow hands every job the hash of the whole
#: run's config (set by the Snakefile; not a rule param, so that it reruns nothing).
RUN_CONFIG_HASH = "REPGEOM_CONFIG_HASH"

#: Placeholder for provenance fields that do not apply (netCDF attrs cannot be None).
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class VariableSpec:
    """One variable a store schema requires: its name and the allowed dim tuples."""

    name: str
    dims: tuple[tuple[str, ...], ...]


SCHEMAS: dict[str, tuple[VariableSpec, ...]] = {
    "stimuli": (
        VariableSpec("images", ((STIMULUS, CHANNEL, Y, X), (STIMULUS, TIME, CHANNEL, Y, X))),
    ),
    "neural": (
        VariableSpec(
            "responses",
            ((STIMULUS, REPETITION, NEUROID), (STIMULUS, REPETITION, NEUROID, TIME)),
        ),
    ),
    "activations": (
        VariableSpec("features", ((STIMULUS, COMPONENT), (STIMULUS, TIME, COMPONENT))),
        VariableSpec("row_mean", ((STIMULUS,), (STIMULUS, TIME))),
    ),
    "encoding": (
        VariableSpec("pearson_r", ((MODEL, LAYER, NEURAL, NEUROID),)),
        VariableSpec("ceiling", ((NEURAL, NEUROID),)),
    ),
    "distances": (
        VariableSpec("distance", ((REP_A, REP_B), (SETTING, REP_A, REP_B), (SPLIT, REP_A, REP_B))),
    ),
    "rdms": (
        VariableSpec(
            "rdm", ((REP, STIMULUS, f"{STIMULUS}_"), (REP, TIME, STIMULUS, f"{STIMULUS}_"))
        ),
    ),
    "paths": (
        VariableSpec("distance", ((REP_A, REP_B),)),
        VariableSpec("coordinate", ((REP, "axis"),)),
        VariableSpec("path_length", ((MODEL,),)),
    ),
    "steps": (
        VariableSpec("rdm", ((LAYER, STIMULUS, f"{STIMULUS}_"),)),
        VariableSpec("embedding", ((LAYER, "projection", STIMULUS, "axis"),)),
    ),
    "dsa_sweep": (VariableSpec("distance", ((N_DELAYS, DELAY_INTERVAL, RANK, REP_A, REP_B),)),),
    "inference": (
        VariableSpec("inference", ((REP, BRAIN, STATISTIC),)),
        VariableSpec("ceiling", ((BRAIN, BOUND),)),
        VariableSpec("comparison_p", ((REP_A, REP_B, BRAIN),)),
        VariableSpec("comparison_q", ((REP_A, REP_B, BRAIN),)),
    ),
    "classification": tuple(
        VariableSpec(name, ((MODEL, LAYER, STIMSET, "classifier", "n_train", "repeat"),))
        for name in ("top1", "top5", "mrr")
    ),
    "manifolds": (
        VariableSpec(
            "projection_distances",
            ((MODEL, LAYER, STIMSET, "metric", "source_category", "target_category"),),
        ),
    ),
    "dimensionality": (
        VariableSpec("effective_dimensionality", ((MODEL, LAYER, STIMSET),)),
        VariableSpec("alpha", ((MODEL, LAYER, STIMSET),)),
        VariableSpec("eigenspectrum", ((MODEL, LAYER, STIMSET, SPECTRUM_INDEX),)),
    ),
}

#: Workflow outputs that are not netCDF stores but carry the same provenance (torch files).
OTHER_ARTIFACTS = frozenset({"weights"})

#: Result schemas where NaN means "not there": a layer a model lacks, a pair outside a block.
RESULT_GRIDS = frozenset(
    {"dimensionality", "encoding", "distances", "classification", "manifolds", "inference"}
)

#: Variables where NaN marks a missing value (a trial not recorded), by schema; inf is still
#: an error there.
NAN_ALLOWED: dict[str, frozenset[str]] = {"neural": frozenset({"responses"})}

#: Schemas whose data are indexed by stimulus and therefore need ``stimulus_id``.
STIMULUS_INDEXED = frozenset({"stimuli", "neural", "activations", "rdms", "steps"})


def config_hash(config: Mapping[str, Any]) -> str:
    """Return a short, order-independent SHA-256 of a (JSON-serialisable) config mapping."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def provenance(
    schema: str,
    *,
    config: Mapping[str, Any] | None = None,
    model: str | None = None,
    layer: str | None = None,
    weights: str | None = None,
    seed: int | None = None,
    **extra: str | int | float,
) -> dict[str, str | int | float]:
    """Build the provenance attrs of a store.

    Parameters
    ----------
    schema : str
        One of :data:`SCHEMAS` (or :data:`OTHER_ARTIFACTS`).
    config : mapping, optional
        The part of the config the store was made from (a stage's spec); its hash is
        ``spec_hash``. ``config_hash`` is the hash of the whole run's config, which the
        workflow hands every job in ``$REPGEOM_CONFIG_HASH`` (so every store one run writes
        carries the same value); outside the workflow it is the spec's hash too.
    model, layer, weights, seed : optional
        What produced the data; ``"n/a"`` where it does not apply.
    **extra
        More attrs (numbers or strings), e.g. ``stimset="photos"``.
    """
    if schema not in SCHEMAS and schema not in OTHER_ARTIFACTS:
        raise SchemaError(f"unknown store schema {schema!r}; expected one of {sorted(SCHEMAS)}")
    spec_hash = config_hash(config) if config is not None else NOT_APPLICABLE
    attrs: dict[str, str | int | float] = {
        "repgeom_version": __version__,
        "config_hash": os.environ.get(RUN_CONFIG_HASH) or spec_hash,
        "spec_hash": spec_hash,
        "model": model if model is not None else NOT_APPLICABLE,
        "layer": layer if layer is not None else NOT_APPLICABLE,
        "weights": weights if weights is not None else NOT_APPLICABLE,
        "seed": int(seed) if seed is not None else NOT_APPLICABLE,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "schema": schema,
    }
    attrs.update(extra)
    return attrs


def check(ds: xr.Dataset, schema: str, *, source: str | os.PathLike[str] = "<memory>") -> None:
    """Raise :class:`SchemaError` unless ``ds`` is a valid store of ``schema``.

    Checks the required variables and their dims, ``stimulus_id`` on stimulus-indexed stores
    (present, unique), finite floating-point data (NaN allowed in result grids and in
    :data:`NAN_ALLOWED`), and the provenance attrs.
    """
    where = f"{source}"
    if schema not in SCHEMAS:
        raise SchemaError(
            f"{where}: unknown store schema {schema!r}; expected one of {sorted(SCHEMAS)}"
        )
    for spec in SCHEMAS[schema]:
        if spec.name not in ds.data_vars:
            raise SchemaError(
                f"{where}: a {schema!r} store needs the variable {spec.name!r}, found "
                f"{sorted(map(str, ds.data_vars))}; was it written by repgeom?"
            )
        dims = tuple(map(str, ds[spec.name].dims))
        if dims not in spec.dims:
            allowed = " or ".join(str(d) for d in spec.dims)
            raise SchemaError(
                f"{where}: variable {spec.name!r} has dims {dims}, expected {allowed}; "
                "transpose or rename the dims to match"
            )
        values = ds[spec.name].values
        if spec.name in NAN_ALLOWED.get(schema, ()) and np.issubdtype(values.dtype, np.floating):
            n_inf = int(np.isinf(values).sum())
            if n_inf:
                raise SchemaError(
                    f"{where}: variable {spec.name!r} holds {n_inf} inf values; NaN marks a "
                    "missing value, inf is never valid"
                )
        elif np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
            if schema not in RESULT_GRIDS:  # a model may lack a layer: NaN there
                bad = int((~np.isfinite(values)).sum())
                raise SchemaError(
                    f"{where}: variable {spec.name!r} holds {bad} NaN/inf values; "
                    "remove or impute them before storing"
                )
    if schema in STIMULUS_INDEXED:
        if STIMULUS_ID not in ds.coords or ds[STIMULUS_ID].dims != (STIMULUS,):
            raise SchemaError(
                f"{where}: a {schema!r} store needs a {STIMULUS_ID!r} coordinate on the "
                f"{STIMULUS!r} dim; add it with ds.assign_coords({STIMULUS_ID}=(...))"
            )
        ids = ds[STIMULUS_ID].values
        if len(np.unique(ids)) != len(ids):
            raise SchemaError(f"{where}: {STIMULUS_ID!r} has duplicate values; ids must be unique")
    missing = [k for k in PROVENANCE_KEYS if k not in ds.attrs]
    if missing:
        raise SchemaError(
            f"{where}: provenance attrs {missing} are missing; build them with "
            "repgeom.store.provenance(...)"
        )


def write(ds: xr.Dataset, path: str | os.PathLike[str], schema: str) -> Path:
    """Check ``ds`` against ``schema`` and write it to ``path`` atomically.

    The data go to a temporary file in the destination folder, which is flushed and fsynced and
    then renamed over ``path`` with :func:`os.replace`. A reader therefore sees either the old
    file, no file, or the complete new one, never a partial write, even if the process is
    killed.

    The on-disk encodings that variables read from other files carry are dropped: a string
    coordinate read as fixed-width characters (e.g. 11 for ``alexnet_s00``) would otherwise
    cut longer names joined to it (``resnet18_s00`` → ``resnet18_s0``).
    """
    path = Path(path)
    check(ds, schema, source=path)
    ds = ds.copy(deep=False)
    for variable in ds.variables.values():
        variable.encoding = {}
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
    return path


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success fsync it and rename it over
    ``final``, on any failure (or kill signal raised as an exception) delete it.

    Every file repgeom writes (stores, figures, weights) goes through here. The temp file gets
    the permissions a plain ``open`` would give (``mkstemp`` makes it 0600).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable: fsync the folder entry (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(path: str | os.PathLike[str], schema: str | None = None) -> xr.Dataset:
    """Load a store fully into memory and check it.

    Parameters
    ----------
    path : path-like
        A netCDF file written by :func:`write` (or by a user, in the same schema).
    schema : str, optional
        Expected schema; defaults to the file's ``schema`` attr.

    Raises
    ------
    SchemaError
        If the file is missing, unreadable, or does not follow its schema.
    """
    path = Path(path)
    if not path.exists():
        raise SchemaError(f"{path}: no such store; run the workflow stage that makes it first")
    try:
        ds = xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError) as exc:
        raise SchemaError(
            f"{path}: not a readable netCDF file ({exc}); delete it and rerun the stage"
        ) from exc
    schema = schema or str(ds.attrs.get("schema", ""))
    if not schema:
        raise SchemaError(f"{path}: no 'schema' attr; pass schema= to repgeom.store.read")
    check(ds, schema, source=path)
    return ds


def align_stimuli(a: xr.Dataset, b: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    """Reorder ``b`` to ``a``'s stimulus order; raise if their ``stimulus_id`` sets differ."""
    ids_a = [str(i) for i in a[STIMULUS_ID].values]
    ids_b = [str(i) for i in b[STIMULUS_ID].values]
    check_same_ids(ids_a, ids_b, names=("first", "second"))
    position = {s: i for i, s in enumerate(ids_b)}
    return a, b.isel({STIMULUS: [position[s] for s in ids_a]})


def check_same_ids(
    ids_a: Iterable[str], ids_b: Iterable[str], *, names: tuple[str, str], shown: int = 5
) -> None:
    """Raise :class:`ShapeMismatchError` listing a few offending ids if the sets differ."""
    set_a, set_b = list(ids_a), list(ids_b)
    only_a = sorted(set(set_a) - set(set_b))
    only_b = sorted(set(set_b) - set(set_a))
    if only_a or only_b:
        raise ShapeMismatchError(
            f"stimulus ids differ: {len(only_a)} only in the {names[0]} ({only_a[:shown]}), "
            f"{len(only_b)} only in the {names[1]} ({only_b[:shown]}); both must index the same "
            "stimuli (check which stimulus set the data were recorded on)"
        )


def stimulus_ids(ds: xr.Dataset) -> list[str]:
    """A store's ``stimulus_id`` values as strings, in its order."""
    return [str(i) for i in ds[STIMULUS_ID].values]


def select_stimuli(ds: xr.Dataset, ids: Iterable[str]) -> xr.Dataset:
    """``ds`` restricted to the stimuli ``ids``, in that order (each must be in ``ds``)."""
    position = {s: i for i, s in enumerate(stimulus_ids(ds))}
    return ds.isel({STIMULUS: [position[str(s)] for s in ids]})


def n_ids(n: int) -> str:
    """``"1 stimulus id is"`` or ``"n stimulus ids are"``, for messages."""
    return "1 stimulus id is" if n == 1 else f"{n} stimulus ids are"


def check_known_ids(
    ids: Iterable[str],
    known: Iterable[str],
    *,
    source: str | os.PathLike[str],
    reference: str,
    shown: int = 5,
) -> None:
    """Raise :class:`ShapeMismatchError` if ``ids`` (of the file ``source``) hold ids that are
    not in ``known`` (those of ``reference``, e.g. ``"stimulus set photos"``).

    A store may cover a subset of a stimulus set, never more: the message lists a few ids that
    are in ``source`` but not in ``reference`` and a few of ``reference``'s own.
    """
    known = list(known)
    known_set = set(known)
    unknown = [i for i in dict.fromkeys(ids) if i not in known_set]
    if unknown:
        raise ShapeMismatchError(
            f"{n_ids(len(unknown))} in {source} but not in {reference}: "
            f"{unknown[:shown]}{' ...' if len(unknown) > shown else ''} ({reference} has "
            f"{len(known)} ids, e.g. {known[:3]}); the data may cover a subset of the stimulus "
            "set, never other stimuli (check which stimulus set they were recorded on)"
        )


def common_stimuli(
    reference: Iterable[str],
    others: Mapping[str, Iterable[str]],
    *,
    reference_name: str,
) -> list[str]:
    """The ids of ``reference`` (in its order) that every one of ``others`` (file → ids) also
    holds; each of ``others`` must be a subset of ``reference``.

    Raises
    ------
    ShapeMismatchError
        If one of ``others`` holds an id that is not in ``reference`` (naming the file and the
        side of each id), or if no stimulus is common to all.
    """
    reference = [str(i) for i in reference]
    common = set(reference)
    for source, ids in others.items():
        ids = [str(i) for i in ids]
        check_known_ids(ids, reference, source=source, reference=reference_name)
        common &= set(ids)
    if not common:
        raise ShapeMismatchError(
            f"no stimulus of {reference_name} is in every one of {sorted(others)}; the data "
            "share no stimuli to compare on"
        )
    return [i for i in reference if i in common]
