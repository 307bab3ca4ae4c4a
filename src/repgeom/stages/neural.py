"""Stage ``neural``: simulate or load one neural dataset on its stimulus set; and the command's
``check`` action, which validates a user's recordings file before a run."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom import paths, selection, store
from repgeom.neural import recordings
from repgeom.stages.base import Arg, Config, Stage, StageAction

log = logging.getLogger(__name__)


def neural_stage(
    name: str,
    spec: Mapping[str, Any],
    stimuli: str | os.PathLike[str],
    out: str | os.PathLike[str],
) -> Path:
    """Simulate or load neural dataset ``name`` on its stimulus set (the store ``stimuli``)
    and write its store.

    A recordings file (``kind: file``) may cover a subset of the stimulus set and hold NaN for
    missing trials (:mod:`repgeom.neural.recordings`); the store records each neuroid's valid
    trials (``n_trials``, ``min_trials``) and the log says how many stimuli and trials are kept.
    """
    from repgeom.neural import build_neural

    stimuli_ds = store.read(stimuli, "stimuli")
    ds = build_neural(name, spec, stimuli_ds)
    if recordings.N_TRIALS not in ds.coords:
        ds = recordings.annotate_trials(ds)
    ds.attrs.update(
        store.provenance(
            "neural", config=spec, seed=spec.get("seed"), neural=name, stimset=spec["stimset"]
        )
    )
    log.info(
        "neural dataset %s: %s; %d of the %d stimuli of %s; %s",
        name,
        dict(ds["responses"].sizes),
        ds.sizes[store.STIMULUS],
        stimuli_ds.sizes[store.STIMULUS],
        spec["stimset"],
        recordings.trials_line(ds),
    )
    return store.write(ds, out, "neural")


def _spec(config: Config, neural: str) -> dict[str, Any]:
    return dict(config["neural"][neural])


def _inputs(config: Config, neural: str) -> dict[str, Any]:
    # the user's recordings file is an input: replacing it reruns this dataset's dependents
    return {
        "stimuli": paths.STIMULI.format(stimset=config["neural"][neural]["stimset"]),
        "recordings": selection.recording_files(config, neural),
    }


# -- repgeom neural check FILE --stimset NAME [--config config.yaml] -------------------------
def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the recordings file (netCDF)")
    parser.add_argument(
        "--stimset",
        metavar="NAME",
        required=True,
        help="the stimulus set (a key of the config's stimsets)",
    )
    parser.add_argument(
        "--config",
        metavar="CONFIG",
        default="config.yaml",
        help="the workflow config (default: config.yaml)",
    )


def stimulus_set(config: Config, stimset: str) -> xr.Dataset:
    """The stimulus set ``stimset`` of a (loaded) config: its store
    ``results/stimuli/{stimset}.nc`` (below the config's ``output_dir``) when that exists and
    was made from the same config entry, otherwise built in memory from the entry."""
    from repgeom.config import output_dir
    from repgeom.errors import ConfigError
    from repgeom.stimuli import build_stimset

    sets = config.get("stimsets", {})
    if stimset not in sets:
        raise ConfigError(
            f"--stimset {stimset!r} is not a stimulus set of the config; choose from {sorted(sets)}"
        )
    spec = dict(sets[stimset])
    made = output_dir(config) / paths.STIMULI.format(stimset=stimset)
    if made.exists():
        ds = store.read(made, "stimuli")
        if ds.attrs.get("spec_hash", store.config_hash(spec)) == store.config_hash(spec):
            log.info("stimulus set %s read from %s", stimset, made)
            return ds
    ds = build_stimset(stimset, spec)
    ds.attrs["stimset"] = stimset
    return ds


def check_command(args: argparse.Namespace) -> None:
    """``repgeom neural check``: print a one-line summary, or raise listing every problem."""
    from repgeom.config import load

    config = load(args.config, inputs=False)  # this file is the input being checked
    stimuli = stimulus_set(config, args.stimset)
    report = recordings.check_recordings(args.file, stimuli, stimset=args.stimset)
    report.raise_if_problems()
    print(report.summary)


CHECK = StageAction(
    name="check",
    help="validate a recordings file against a stimulus set of a config (every problem at "
    "once; exit status 2 if there is any)",
    arguments=_check_arguments,
    run=check_command,
    description="Validate a recordings file against a stimulus set of a config: dims, "
    "stimulus_id, duplicate ids,\nids not in the stimulus set, inf values, non-numeric data; "
    "missing (NaN) trials are counted\nper neuroid. Every problem is listed at once and the "
    "exit status is 2; a file that is fine\ngets a one-line summary and exit status 0. The "
    "stimulus set is read from\nresults/stimuli/NAME.nc when it is there, else built from the "
    "config.",
)

STAGE = Stage(
    name="neural",
    command="neural",
    help="simulate or load neural data; `neural check FILE` validates your recordings",
    output=paths.NEURAL,
    spec=_spec,
    run=neural_stage,
    inputs=_inputs,
    args=(
        Arg("name", "{wildcards.neural}", help="the neural dataset's name"),
        Arg("stimuli", "{input.stimuli}", help="the stimuli store it is recorded on"),
    ),
    description="Workflow stage (rule neural): simulate or load one neural dataset (the first "
    "usage line);\n`repgeom neural check` validates a recordings file (the second).\n\n"
    + (recordings.__doc__ or ""),
    actions=(CHECK,),
)
