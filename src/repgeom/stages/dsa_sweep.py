"""Stage ``dsa_sweep`` (command ``dsa-sweep``): DSA of the tutorial's circle, oval and walk
systems over a grid of delay settings and DMD ranks — what DSA calls "the same dynamics"
depends on them (the tutorial's lesson, and where it stops holding)."""

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

#: The ``rank`` coordinate of a full-rank DMD.
FULL_RANK = "full"


def dsa_sweep_stage(spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """Angular DSA (O(n)) between the tutorial systems for every combination of ``n_delays``,
    ``delay_interval`` and ``rank`` (None: full rank, the coordinate ``"full"``) in ``spec``
    (with the tutorial's ``n_steps`` and ``seed``).

    Writes ``distance`` (n_delays, delay_interval, rank, rep_a, rep_b). With one delay the
    interval does nothing, so that row repeats one value.
    """
    from repgeom.dsa import DSA
    from repgeom.dsa.systems import tutorial_systems

    systems = tutorial_systems(spec["n_steps"], spec["seed"])
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
        },
    )
    ds.attrs.update(
        store.provenance(
            "dsa_sweep",
            config=spec,
            stimset=paths.DSA_TUTORIAL,
            method="dsa",
            measure="distance",
            score_method="angular",
            group="O(n)",
        )
    )
    return store.write(ds, out, "dsa_sweep")


def _spec(config: Config) -> dict[str, Any]:
    tutorial = config["analyses"]["dsa"]["tutorial"]
    return {
        "n_steps": tutorial["n_steps"],
        "seed": tutorial["seed"],
        **(selection.dsa_sweep(config) or {}),
    }


STAGE = Stage(
    name="dsa_sweep",
    command="dsa-sweep",
    help="DSA of circle / oval / walk over delays and ranks",
    output=paths.DSA_SWEEP,
    spec=_spec,
    run=dsa_sweep_stage,
    log_name=paths.DSA_TUTORIAL,
)
