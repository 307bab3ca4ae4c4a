"""Stage ``dsa_sweep`` (command ``dsa-sweep``): DSA over a grid of delay settings and DMD ranks —
what DSA calls "the same dynamics" depends on them (the tutorial's lesson, and where it stops
holding). On the tutorial's circle, oval and walk systems, and on the clip sets with neural
data: each model's deepest configured layer and the brains (which model's dynamics are the
brain's, setting by setting)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import REPRESENTATION_ARGS, Paths

#: The ``rank`` coordinate of a full-rank DMD.
FULL_RANK = "full"


def _systems(
    spec: Mapping[str, Any], activations: Paths, neural: Paths
) -> tuple[dict[str, np.ndarray], list[str]]:
    """The series to compare (name → (trials, time, dims) or (time, dims)) and each one's kind
    (``model`` or ``brain``)."""
    if spec["clipset"] == paths.DSA_TUTORIAL:
        from repgeom.dsa.systems import tutorial_systems

        systems = tutorial_systems(spec["n_steps"], spec["seed"])
        return systems, ["system"] * len(systems)
    from repgeom.representations import load_representations
    from repgeom.stages.dsa import _principal_series

    reps = load_representations(activations, neural)
    series = {r.name: _principal_series(r, spec["n_components"]) for r in reps}
    return series, [str(r.labels["source"]) for r in reps]


def dsa_sweep_stage(
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
    activations: Paths = (),
    neural: Paths = (),
) -> Path:
    """Angular DSA (O(n)) between the systems for every combination of ``n_delays``,
    ``delay_interval`` and ``rank`` (None: full rank, the coordinate ``"full"``) in ``spec``.

    The systems are the tutorial's (``spec["clipset"] == "tutorial"``, with its ``n_steps`` and
    ``seed``) or a clip set's representations (``activations``: a layer store of each model,
    ``neural``: the brains), each on its ``n_components`` leading principal axes with clips as
    trials. Writes ``distance`` (n_delays, delay_interval, rank, rep_a, rep_b), with
    ``rep_source`` (system, model or brain) on the representations. With one delay the interval
    does nothing, so that row repeats one value.
    """
    from repgeom.dsa import DSA

    systems, sources = _systems(spec, activations, neural)
    grid = (spec["n_delays"], spec["delay_interval"], spec["rank"])
    D = np.empty((*map(len, grid), len(systems), len(systems)))
    for (i, n_delays), (j, interval), (k, rank) in itertools.product(*map(enumerate, grid)):
        D[i, j, k] = np.asarray(
            DSA(
                list(systems.values()),
                n_delays=n_delays,
                delay_interval=interval,
                rank=rank,
                score_method="angular",
            ).fit_score()
        )
    names = list(systems)
    ds = xr.Dataset(
        {
            "distance": (
                (store.N_DELAYS, store.DELAY_INTERVAL, store.RANK, store.REP_A, store.REP_B),
                D,
            )
        },
        coords={
            store.N_DELAYS: list(spec["n_delays"]),
            store.DELAY_INTERVAL: list(spec["delay_interval"]),
            store.RANK: [FULL_RANK if r is None else str(r) for r in spec["rank"]],
            store.REP_A: names,
            store.REP_B: names,
            f"{store.REP_A}_source": (store.REP_A, sources),
        },
    )
    ds.attrs.update(
        store.provenance(
            "dsa_sweep",
            config=spec,
            stimset=spec["clipset"],
            method="dsa",
            measure="distance",
            score_method="angular",
            group="O(n)",
        )
    )
    return store.write(ds, out, "dsa_sweep")


def _spec(config: Config, clipset: str) -> dict[str, Any]:
    dsa = config["analyses"]["dsa"]
    if clipset == paths.DSA_TUTORIAL:
        tutorial = dsa["tutorial"]
        return {
            "clipset": clipset,
            "n_steps": tutorial["n_steps"],
            "seed": tutorial["seed"],
            **tutorial["sweep"],
        }
    return {"clipset": clipset, "n_components": dsa["n_components"], **dsa["clip_sweep"]}


def _files(config: Config, clipset: str) -> dict[str, list[str]]:
    """A clip set's sweep reads each model's deepest configured layer and every brain."""
    if clipset == paths.DSA_TUTORIAL:
        return {"activations": [], "neural": []}
    return {
        "activations": [
            paths.LAYER.format(stimset=clipset, model=m, layer=config["models"][m]["layers"][-1])
            for m in selection.models_on(config, clipset)
        ],
        "neural": [paths.NEURAL.format(neural=n) for n in selection.neural_on(config, clipset)],
    }


def _inputs(config: Config, clipset: str) -> dict[str, list[str]]:
    if clipset == paths.DSA_TUTORIAL:
        return {}
    return selection.representation_inputs(config, clipset)


STAGE = Stage(
    name="dsa_sweep",
    command="dsa-sweep",
    help="DSA over delays and ranks (tutorial, clip sets)",
    output=paths.DSA_SWEEP,
    spec=_spec,
    run=dsa_sweep_stage,
    inputs=_inputs,
    files=_files,
    args=REPRESENTATION_ARGS,
)
