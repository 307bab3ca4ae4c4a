"""Your own recordings: the file format repgeom reads (config: neural.NAME.kind: file).

A recordings file is a netCDF file (write it with repgeom.neural.write_recordings, or with
xarray's Dataset.to_netcdf) holding

  responses     variable, dims (stimulus, repetition, neuroid) for still images or
                (stimulus, repetition, neuroid, time) for clips; real numbers (spike counts,
                rates, dF/F...). The dims are found by name, in any order.
  stimulus_id   coordinate on stimulus (strings): which stimulus of the stimulus set each row
                is. The ids are the stimulus set's own: `repgeom inspect
                results/stimuli/NAME.nc` lists them; an image_folder set's id is the image's
                path below the folder, without suffix ("cats/tabby01" for cats/tabby01.png).

and optionally

  neuroid_id    coordinate on neuroid (unique strings); default n0000, n0001, ...
  region, subject
                coordinates on neuroid (strings), carried along.

Nothing else is needed: no repgeom attributes (the loader adds the provenance), no category
(taken from the stimulus set). Other variables and coordinates are kept as they are.

Conventions:

  missing trials  NaN marks a trial that was not recorded. Means over repetitions use the
                  valid trials only; the split-half noise ceiling splits the valid trials; the
                  stochastic metrics (energy_stochastic, gaussian_stochastic), which take the
                  repetitions as samples, see a missing trial as the mean of the valid ones.
                  The neural store records each neuroid's valid trials (coordinates n_trials,
                  its total, and min_trials, the fewest on any one stimulus). A neuroid with no
                  valid trial for some stimulus (or time bin) is dropped, with a warning in the
                  log that counts and names the dropped neuroids. inf is always an error.
  stimulus subset A recording may cover only part of its stimulus set. Every analysis then
                  uses the stimuli all of its neural datasets share (encoding: those of each
                  dataset; distances, RDMs and DSA: those common to every neural dataset on
                  the stimulus set, the same in every block), logs how many, and records it
                  (n_stimuli_used). A stimulus id that is not in the stimulus set is an error.

Check a file before a run (every problem is listed at once; exit status 2 if there is any):

  repgeom neural check FILE --stimset NAME [--config config.yaml]
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import store
from repgeom.errors import InvalidInputError, SchemaError, ShapeMismatchError
from repgeom.neural.trials import incomplete_neuroids, trial_counts

log = logging.getLogger(__name__)

#: The variable holding the responses.
RESPONSES = "responses"
#: The dims of still-image and of clip responses, in the neural store's order.
STILL_DIMS = (store.STIMULUS, store.REPETITION, store.NEUROID)
CLIP_DIMS = (*STILL_DIMS, store.TIME)
#: Coordinates on neuroid a recording may carry.
NEUROID_COORDS = (store.NEUROID_ID, store.REGION, store.SUBJECT)
#: Coordinates the neural stage adds: valid trials per neuroid (total, fewest per stimulus).
N_TRIALS, MIN_TRIALS = "n_trials", "min_trials"
#: Ids shown in a message.
SHOWN = 5
#: Neuroids listed by name in the NaN summary.
SHOWN_NEUROIDS = 8


class RecordingsError(SchemaError, ShapeMismatchError):
    """A recordings file does not follow the format, or does not fit its stimulus set (a
    :class:`SchemaError` and, for mismatching ids, a :class:`ShapeMismatchError`)."""


def default_neuroid_ids(n: int) -> list[str]:
    """The ids of neuroids a recording does not name: ``n0000``, ``n0001``, ..."""
    return [f"n{i:04d}" for i in range(n)]


def neuroid_ids(ds: xr.Dataset) -> list[str]:
    """A neural dataset's neuroid ids (its ``neuroid_id`` coordinate, or the defaults)."""
    if store.NEUROID_ID in ds.coords:
        return [str(i) for i in ds[store.NEUROID_ID].values]
    return default_neuroid_ids(ds.sizes[store.NEUROID])


def _few(values: Sequence[Any], shown: int = SHOWN) -> str:
    values = list(values)
    more = f" and {len(values) - shown} more" if len(values) > shown else ""
    return f"{[str(v) for v in values[:shown]]}{more}"


@dataclass
class RecordingsReport:
    """What :func:`inspect_recordings` found: ``problems`` (each makes the file unusable),
    ``notes`` (worth knowing, not errors) and a one-line ``summary``."""

    source: str
    stimset: str | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """Every problem (and note) as one message."""
        against = f" for stimulus set {self.stimset}" if self.stimset else ""
        n = len(self.problems)
        lines = [
            f"{self.source}: {n} problem{'s' if n != 1 else ''} with these recordings{against}:"
        ]
        lines += [f"  - {p}" for p in self.problems]
        if self.notes:
            lines += ["notes:", *(f"  - {note}" for note in self.notes)]
        lines.append("(the recordings format: `repgeom neural --help`)")
        return "\n".join(lines)

    def raise_if_problems(self) -> None:
        if self.problems:
            raise RecordingsError(self.message())


def _stimulus_problems(
    ds: xr.Dataset,
    report: RecordingsReport,
    stimulus_ids: Sequence[str] | None,
) -> list[str] | None:
    """Check ``stimulus_id``; return the file's ids (as strings) when they can be read."""
    problems = report.problems
    if store.STIMULUS_ID not in ds.coords:
        hint = "add it: ds.assign_coords(stimulus_id=('stimulus', ids))"
        if store.STIMULUS in ds.indexes:
            hint += (
                f" (if the {store.STIMULUS!r} coordinate holds the ids: "
                f"ds.assign_coords({store.STIMULUS_ID}=('{store.STIMULUS}', "
                f"ds['{store.STIMULUS}'].values)))"
            )
        problems.append(f"no {store.STIMULUS_ID!r} coordinate on {store.STIMULUS!r}; {hint}")
        return None
    coord = ds[store.STIMULUS_ID]
    if coord.dims != (store.STIMULUS,):
        problems.append(
            f"{store.STIMULUS_ID!r} has dims {tuple(map(str, coord.dims))}, expected "
            f"({store.STIMULUS!r},)"
        )
        return None
    ids = [str(i) for i in coord.values]
    counts = Counter(ids)
    duplicates = sorted(i for i, c in counts.items() if c > 1)
    if duplicates:
        problems.append(
            f"{len(duplicates)} duplicate stimulus ids (each stimulus needs one row; put "
            f"repeated presentations on 'repetition'): {_few(duplicates)}"
        )
    if stimulus_ids is not None:
        known = set(stimulus_ids)
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            hint = ""
            if any(Path(i).suffix for i in unknown) and not any(Path(i).suffix for i in known):
                hint = (
                    "; the recording's ids carry a file suffix, the set's do not (an "
                    "image_folder id is 'subfolder/file' without suffix)"
                )
            problems.append(
                f"{store.n_ids(len(unknown))} in {report.source} but not in stimulus set "
                f"{report.stimset}: {_few(unknown)} (the stimulus set's ids are like "
                f"{_few(list(stimulus_ids), 3)}){hint}"
            )
        present = set(ids) & known
        if present and len(present) < len(known):
            report.notes.append(
                f"covers {len(present)} of the {len(known)} stimuli of stimulus set "
                f"{report.stimset} ({store.n_ids(len(known) - len(present))} in stimulus set "
                f"{report.stimset} but not in {report.source}, e.g. "
                f"{_few(sorted(known - present), 3)}); the analyses use the common stimuli"
            )
    return ids


def _neuroid_problems(ds: xr.Dataset, problems: list[str]) -> None:
    for name in NEUROID_COORDS:
        if name in ds.coords and ds[name].dims != (store.NEUROID,):
            problems.append(
                f"{name!r} has dims {tuple(map(str, ds[name].dims))}, expected "
                f"({store.NEUROID!r},): one value per neuroid"
            )
    if store.NEUROID_ID in ds.coords and ds[store.NEUROID_ID].dims == (store.NEUROID,):
        counts = Counter(str(i) for i in ds[store.NEUROID_ID].values)
        duplicates = sorted(i for i, c in counts.items() if c > 1)
        if duplicates:
            problems.append(f"{len(duplicates)} duplicate neuroid ids: {_few(duplicates)}")


def _nan_summary(values: np.ndarray, ids: list[str]) -> str:
    """Missing trials per neuroid, in one line."""
    missing = np.isnan(values)
    missing = missing.any(axis=3) if missing.ndim == 4 else missing
    per_neuroid = missing.sum(axis=(0, 1))
    with_nan = np.flatnonzero(per_neuroid)
    if not len(with_nan):
        return "no missing trials"
    order = with_nan[np.argsort(-per_neuroid[with_nan], kind="stable")]
    listed = ", ".join(f"{ids[k]}: {int(per_neuroid[k])}" for k in order[:SHOWN_NEUROIDS])
    more = f", and {len(order) - SHOWN_NEUROIDS} more" if len(order) > SHOWN_NEUROIDS else ""
    return (
        f"{int(per_neuroid.sum())} missing (NaN) trials in {len(with_nan)} neuroids "
        f"({listed}{more})"
    )


def inspect_recordings(
    ds: xr.Dataset,
    stimulus_ids: Sequence[str] | None = None,
    *,
    source: str | os.PathLike[str] = "<memory>",
    stimset: str | None = None,
    clips: bool | None = None,
) -> RecordingsReport:
    """Check a recordings dataset and list every problem at once.

    Parameters
    ----------
    ds : xarray.Dataset
        The recordings, as read from the file.
    stimulus_ids : sequence of str, optional
        The stimulus set's ids; every id of the recording must be one of them.
    source, stimset : str, optional
        The file and the stimulus set's name, for the messages.
    clips : bool, optional
        Whether the stimulus set holds clips (then the responses need a ``time`` dim; still
        images need none).

    Returns
    -------
    RecordingsReport
        Its ``problems`` name the file and say what to change; ``notes`` list what is allowed
        but worth knowing (missing trials per neuroid, neuroids that will be dropped, a subset
        of the stimulus set).
    """
    report = RecordingsReport(str(source), stimset)
    problems = report.problems
    resp = ds[RESPONSES] if RESPONSES in ds.data_vars else None
    if resp is None:
        problems.append(
            f"no variable {RESPONSES!r} (the file holds {sorted(map(str, ds.data_vars))}); "
            f"name the response array {RESPONSES!r}"
        )
    values = None
    if resp is not None:
        dims = tuple(map(str, resp.dims))
        missing = [d for d in STILL_DIMS if d not in dims]
        unknown = [d for d in dims if d not in CLIP_DIMS]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if unknown:
                parts.append(f"unknown {unknown} (rename them)")
            problems.append(
                f"{RESPONSES!r} has dims {dims}: {', '.join(parts)}; expected {STILL_DIMS} or "
                f"{CLIP_DIMS} (any order)"
            )
        elif clips is not None and clips != (store.TIME in dims):
            problems.append(
                f"{RESPONSES!r} has dims {dims} but stimulus set {stimset} holds "
                + (
                    f"clips: add a {store.TIME!r} dim"
                    if clips
                    else f"still images: responses to them have no {store.TIME!r} dim"
                )
            )
        empty = [d for d in dims if resp.sizes[d] == 0]
        if empty:
            problems.append(f"{RESPONSES!r} is empty along {empty}")
        dtype = resp.dtype
        if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
            problems.append(
                f"{RESPONSES!r} has dtype {dtype}; expected real numbers (NaN marks a missing "
                "trial)"
            )
        else:
            n_inf = int(np.isinf(resp.values).sum()) if np.issubdtype(dtype, np.floating) else 0
            if n_inf:
                problems.append(
                    f"{RESPONSES!r} holds {n_inf} inf values; only NaN (a missing trial) is "
                    "allowed besides finite numbers"
                )
            if not missing and not unknown and not empty:
                order = CLIP_DIMS if store.TIME in dims else STILL_DIMS
                values = resp.transpose(*order).values.astype(np.float64)
                values = np.where(np.isinf(values), 0.0, values)  # counted above
    ids = _stimulus_problems(ds, report, stimulus_ids) if store.STIMULUS in ds.dims else None
    if store.STIMULUS not in ds.dims and resp is None:
        problems.append(f"no {store.STIMULUS!r} dim")
    _neuroid_problems(ds, problems)
    if values is not None:
        named = store.NEUROID_ID in ds.coords and ds[store.NEUROID_ID].dims == (store.NEUROID,)
        names = neuroid_ids(ds) if named else default_neuroid_ids(values.shape[2])
        if ids is not None and stimulus_ids is not None:
            known = set(stimulus_ids)
            used = [k for k, i in enumerate(ids) if i in known]
            values = values[used]
    if values is not None and len(values):
        nan_line = _nan_summary(values, names)
        if nan_line != "no missing trials":
            report.notes.append(nan_line + "; means and ceilings use the valid trials")
        incomplete = np.flatnonzero(incomplete_neuroids(values))
        if len(incomplete) == values.shape[2] and values.shape[2]:
            problems.append(
                f"every neuroid has no valid trial for some stimulus{_time_note(values)}; "
                "nothing would be left"
            )
        elif len(incomplete):
            report.notes.append(
                f"{len(incomplete)} of {values.shape[2]} neuroids have no valid trial for some "
                f"stimulus{_time_note(values)} and will be dropped: "
                f"{_few([names[k] for k in incomplete], SHOWN_NEUROIDS)}"
            )
        if values.shape[1] < 2:
            report.notes.append(
                "1 repetition: the encoding stage's split-half noise ceiling needs at least 2"
            )
        if not problems:
            n_set = f" of {len(stimulus_ids)}" if stimulus_ids is not None else ""
            time = f", {values.shape[3]} time bins" if values.ndim == 4 else ""
            against = f" for stimulus set {stimset}" if stimset else ""
            report.summary = (
                f"{source}: fine{against}: {values.shape[0]}{n_set} stimuli, "
                f"{values.shape[1]} repetitions, {values.shape[2]} neuroids{time}; {nan_line}"
                + (f"; {len(incomplete)} neuroids will be dropped" if len(incomplete) else "")
            )
    return report


def _time_note(values: np.ndarray) -> str:
    return " and time bin" if values.ndim == 4 else ""


def _open(path: Path, *, name: str | None = None) -> xr.Dataset:
    if not path.exists():
        if name is not None:
            raise RecordingsError(
                f"neural.{name}.path: the recordings file {path} does not exist (relative "
                f"paths are read from {Path.cwd()}); fix the path in the config"
            )
        raise RecordingsError(f"no such file {path}; check the path")
    try:
        return xr.load_dataset(path, engine="netcdf4")
    except (OSError, ValueError) as exc:
        where = f"neural.{name}.path: " if name is not None else ""
        raise RecordingsError(
            f"{where}{path} is not a readable netCDF file ({exc}); write it with "
            "repgeom.neural.write_recordings or xarray's Dataset.to_netcdf"
        ) from exc


def _stimset_info(stimuli: xr.Dataset) -> tuple[list[str], str, bool]:
    ids = [str(i) for i in stimuli[store.STIMULUS_ID].values]
    return ids, str(stimuli.attrs.get("stimset", "?")), store.TIME in stimuli["images"].dims


def check_recordings(
    path: str | os.PathLike[str], stimuli: xr.Dataset, *, stimset: str | None = None
) -> RecordingsReport:
    """Check a recordings file against a stimulus set (a stimuli store): every problem at
    once. A missing or unreadable file is the one problem."""
    path = Path(path)
    ids, name, clips = _stimset_info(stimuli)
    stimset = stimset or name
    try:
        ds = _open(path)
    except RecordingsError as exc:
        return RecordingsReport(str(path), stimset, problems=[str(exc)])  # the one problem
    return inspect_recordings(ds, ids, source=path, stimset=stimset, clips=clips)


def drop_incomplete(ds: xr.Dataset, *, source: str | os.PathLike[str]) -> xr.Dataset:
    """Drop the neuroids without a valid trial for some stimulus (or time bin) of ``ds``,
    logging a warning that counts and names them; raise if none would be left."""
    resp = ds[RESPONSES]
    order = CLIP_DIMS if store.TIME in resp.dims else STILL_DIMS
    bad = incomplete_neuroids(resp.transpose(*order).values)
    if not bad.any():
        return ds
    names = neuroid_ids(ds)
    dropped = [names[k] for k in np.flatnonzero(bad)]
    if bad.all():
        raise InvalidInputError(
            f"{source}: every neuroid ({len(names)}) has no valid trial for some stimulus on "
            f"the {ds.sizes[store.STIMULUS]} stimuli used; nothing is left to analyse"
        )
    log.warning(
        "%s: dropped %d of %d neuroids with no valid trial for some stimulus%s: %s",
        source,
        len(dropped),
        len(names),
        " and time bin" if store.TIME in resp.dims else "",
        _few(dropped, SHOWN_NEUROIDS),
    )
    kept = ds.isel({store.NEUROID: np.flatnonzero(~bad)})
    kept.attrs["n_neuroids_dropped"] = int(kept.attrs.get("n_neuroids_dropped", 0)) + len(dropped)
    return kept


def annotate_trials(ds: xr.Dataset) -> xr.Dataset:
    """Add each neuroid's valid trials as coordinates ``n_trials`` (total over stimuli) and
    ``min_trials`` (the fewest on any one stimulus)."""
    resp = ds[RESPONSES]
    order = CLIP_DIMS if store.TIME in resp.dims else STILL_DIMS
    total, fewest = trial_counts(resp.transpose(*order).values)
    return ds.assign_coords({N_TRIALS: (store.NEUROID, total), MIN_TRIALS: (store.NEUROID, fewest)})


def trials_line(ds: xr.Dataset) -> str:
    """Valid trials per neuroid, for a log line."""
    total = ds[N_TRIALS].values if N_TRIALS in ds.coords else annotate_trials(ds)[N_TRIALS].values
    possible = ds.sizes[store.STIMULUS] * ds.sizes[store.REPETITION]
    if not len(total):
        return "no neuroids"
    return (
        f"valid trials per neuroid: min {int(total.min())}, median {float(np.median(total)):g}, "
        f"max {int(total.max())} of {possible}"
    )


def _normalise(
    ds: xr.Dataset,
    stimuli: xr.Dataset,
    *,
    source: str,
    name: str | None,
) -> xr.Dataset:
    """A checked recording as a neural store: canonical dim order, float responses, the
    stimulus set's order (the stimuli it covers), default neuroid ids, the category, trial
    counts and provenance."""
    set_ids, stimset, _ = _stimset_info(stimuli)
    resp = ds[RESPONSES]
    order = CLIP_DIMS if store.TIME in resp.dims else STILL_DIMS
    resp = resp.transpose(*order)
    if not np.issubdtype(resp.dtype, np.floating):
        resp = resp.astype(np.float64)
    ds = ds.assign({RESPONSES: resp})
    ds = ds.assign_coords(
        {store.STIMULUS_ID: (store.STIMULUS, [str(i) for i in ds[store.STIMULUS_ID].values])}
    )
    n_recorded = ds.sizes[store.STIMULUS]
    recorded = set(store.stimulus_ids(ds))
    ds = store.select_stimuli(ds, [i for i in set_ids if i in recorded])
    if store.NEUROID_ID not in ds.coords:
        ds = ds.assign_coords(
            {store.NEUROID_ID: (store.NEUROID, default_neuroid_ids(ds.sizes[store.NEUROID]))}
        )
    if store.CATEGORY not in ds.coords and store.CATEGORY in stimuli.coords:
        category = dict(zip(set_ids, map(str, stimuli[store.CATEGORY].values), strict=True))
        ds = ds.assign_coords(
            {
                store.CATEGORY: (
                    store.STIMULUS,
                    [category[str(i)] for i in ds[store.STIMULUS_ID].values],
                )
            }
        )
    ds = annotate_trials(drop_incomplete(ds, source=source))
    ds.attrs.update(
        store.provenance("neural", neural=name or Path(source).stem, stimset=stimset),
        source=source,
        n_stimuli_recorded=n_recorded,
        n_stimuli_in_set=len(set_ids),
    )
    return ds


def load_recordings(
    path: str | os.PathLike[str], stimuli: xr.Dataset, *, name: str | None = None
) -> xr.Dataset:
    """Read a recordings file (the format above), check it against the stimulus set (a stimuli
    store) and return it as a neural store.

    The result has the neural store's dim order, the stimulus set's stimulus order (only the
    stimuli the file covers), ``neuroid_id`` (default ``n0000``...), ``category`` (from the
    stimulus set), ``n_trials`` / ``min_trials`` per neuroid and provenance attrs; neuroids
    without a valid trial for some stimulus are dropped (logged).

    Raises
    ------
    RecordingsError
        Listing every problem of the file at once; for a missing file the message names the
        config key ``neural.{name}.path`` when ``name`` is given.
    """
    path = Path(path)
    ds = _open(path, name=name)
    ids, stimset, clips = _stimset_info(stimuli)
    inspect_recordings(ds, ids, source=path, stimset=stimset, clips=clips).raise_if_problems()
    return _normalise(ds, stimuli, source=str(path), name=name)


def recordings_dataset(
    responses: Any,
    stimulus_ids: Sequence[Any],
    neuroid_ids: Sequence[Any] | None = None,
    *,
    region: str | Sequence[str] | None = None,
    subject: str | Sequence[str] | None = None,
    time: Sequence[float] | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """The recordings as an :class:`xarray.Dataset` in the documented format (what
    :func:`write_recordings` writes); arguments as there."""
    values = np.asarray(responses)
    if values.ndim not in (3, 4):
        raise ShapeMismatchError(
            f"responses have shape {values.shape}; expected (stimulus, repetition, neuroid) or "
            "(stimulus, repetition, neuroid, time)"
        )
    dims = CLIP_DIMS if values.ndim == 4 else STILL_DIMS
    n_stim, _, n_neuroids = values.shape[:3]
    stimulus_ids = [str(i) for i in stimulus_ids]
    if len(stimulus_ids) != n_stim:
        raise ShapeMismatchError(
            f"{len(stimulus_ids)} stimulus ids for responses of {n_stim} stimuli (shape "
            f"{values.shape}); give one id per stimulus"
        )
    coords: dict[str, Any] = {store.STIMULUS_ID: (store.STIMULUS, stimulus_ids)}
    per_neuroid = {store.NEUROID_ID: neuroid_ids, store.REGION: region, store.SUBJECT: subject}
    for key, value in per_neuroid.items():
        if value is None:
            continue
        column = [value] * n_neuroids if isinstance(value, str) else [str(v) for v in value]
        if len(column) != n_neuroids:
            raise ShapeMismatchError(
                f"{len(column)} values of {key} for {n_neuroids} neuroids; give one per neuroid"
            )
        coords[key] = (store.NEUROID, column)
    if time is not None:
        if values.ndim != 4 or len(time) != values.shape[3]:
            raise ShapeMismatchError(
                f"{len(time)} time values for responses of shape {values.shape}; give one per "
                "time bin of (stimulus, repetition, neuroid, time) responses"
            )
        coords[store.TIME] = list(time)
    return xr.Dataset({RESPONSES: (dims, values)}, coords=coords, attrs=dict(attrs or {}))


def write_recordings(
    responses: Any,
    stimulus_ids: Sequence[Any],
    neuroid_ids: Sequence[Any] | None = None,
    *,
    path: str | os.PathLike[str],
    region: str | Sequence[str] | None = None,
    subject: str | Sequence[str] | None = None,
    time: Sequence[float] | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> Path:
    """Write recorded responses as a recordings file the ``file`` loader reads.

    Parameters
    ----------
    responses : array-like of shape (stimulus, repetition, neuroid[, time])
        Real numbers; NaN marks a missing trial.
    stimulus_ids : sequence, one per stimulus
        The stimulus set's ids of the rows (stored as strings).
    neuroid_ids : sequence, one per neuroid, optional
        Default ``n0000``, ``n0001``, ...
    path : path-like
        The netCDF file to write (atomically; folders are created).
    region, subject : str or sequence of str, optional
        One value for all neuroids, or one per neuroid.
    time : sequence of float, optional
        Labels of the time bins (clips), e.g. seconds from stimulus onset.
    attrs : mapping, optional
        Your own metadata (numbers or strings), e.g. ``{"units": "spikes/s"}``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    RecordingsError
        Listing every problem (inf values, duplicate ids, non-numeric data...) at once;
        nothing is written.
    ShapeMismatchError
        If the ids or labels do not match the responses' shape.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> counts = np.random.default_rng(0).poisson(3.0, (4, 2, 5)).astype(float)
    >>> counts[0, 1, 2] = np.nan  # a trial that was not recorded
    >>> out = os.path.join(tempfile.mkdtemp(), "rec.nc")
    >>> write_recordings(counts, ["a", "b", "c", "d"], path=out).name
    'rec.nc'
    """
    path = Path(path)
    ds = recordings_dataset(
        responses,
        stimulus_ids,
        neuroid_ids,
        region=region,
        subject=subject,
        time=time,
        attrs=attrs,
    )
    inspect_recordings(ds, source=path).raise_if_problems()
    with store.atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
    return path
