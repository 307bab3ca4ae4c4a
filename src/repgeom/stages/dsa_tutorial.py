"""Stage ``dsa_tutorial`` (command ``dsa-tutorial``): DSA of the tutorial's circle, oval and
walk systems under each configured delay setting, beside their geometry (RSA, Procrustes, the
shape of each state cloud) — where dynamics and geometry disagree."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, store
from repgeom.labelled import pair_matrix
from repgeom.stages.base import Config, Stage

#: The comparison that needs no time correspondence (:func:`repgeom.dsa.systems.state_cloud_angle`).
STATE_CLOUD = "state_cloud"


def dsa_tutorial_stage(spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """DSA of the tutorial's circle, oval and walk under each configured delay setting, and
    their geometry.

    Writes a (setting, rep_a, rep_b) ``distance``: ``setting`` names the delay settings, e.g.
    ``n_delays=1`` and ``n_delays=20, delay_interval=10``. Beside it:

    - ``geometry`` (comparison, rep_a, rep_b): each metric of ``spec["geometry"]`` with the
      time points as conditions (each system's states centred and scaled to unit mean squared
      norm; the noise of the systems is independent, so time point t of one system
      corresponds to time point t of another by index only), and ``state_cloud``: the angle
      between the shapes of the clouds of states, which needs no correspondence.
      ``comparison_method`` / ``comparison_params`` / ``comparison_measure`` say what each is;
    - ``states`` (rep, time, unit): the simulated systems.
    """
    from repgeom.dsa import DSA
    from repgeom.dsa.systems import tutorial_systems

    systems = tutorial_systems(spec["n_steps"], spec["seed"])
    matrices, labels = [], []
    for setting in spec["settings"]:
        params = {"score_method": "angular", **setting}
        matrices.append(np.asarray(DSA(list(systems.values()), **params).fit_score()))
        labels.append(", ".join(f"{k}={v}" for k, v in setting.items()))
    da = pair_matrix(
        np.stack(matrices),
        list(systems),
        lead=(store.SETTING, labels),
        attrs={"metric": "dsa", "method": "dsa", "measure": "distance"},
    )
    ds = da.to_dataset()
    ds = ds.assign(_geometry(systems, spec["geometry"]))
    ds.attrs.update(da.attrs)
    ds.attrs.update(store.provenance("distances", config=spec, stimset=paths.DSA_TUTORIAL))
    return store.write(ds, out, "distances")


def _geometry(
    systems: Mapping[str, np.ndarray], metrics: Mapping[str, Mapping[str, Any]]
) -> dict[str, xr.DataArray]:
    """The ``geometry`` and ``states`` variables of :func:`dsa_tutorial_stage`."""
    from repgeom import distances as dist
    from repgeom.dsa.systems import state_cloud_angle
    from repgeom.representations import Representation

    names = list(systems)
    reps = []
    for name, X in systems.items():
        Z = X - X.mean(axis=0)
        Z = Z / np.sqrt((Z**2).sum(axis=1).mean())
        reps.append(Representation(name, Z, Z.mean(axis=1), Z.shape[1], {}, (len(Z),)))
    matrices, methods, params = [], [], []
    for entry in metrics.values():
        entry = dict(entry)
        methods.append(entry.pop("method"))
        params.append(json.dumps(entry, sort_keys=True))
        matrices.append(dist.distance_block(reps, methods[-1], entry, n_jobs=1, progress=False))
    cloud = np.zeros((len(names), len(names)))
    for i, j in itertools.combinations(range(len(names)), 2):
        cloud[i, j] = cloud[j, i] = state_cloud_angle(systems[names[i]], systems[names[j]])
    comparison = [*metrics, STATE_CLOUD]
    geometry = xr.DataArray(
        np.stack([*matrices, cloud]),
        dims=("comparison", store.REP_A, store.REP_B),
        coords={
            "comparison": comparison,
            store.REP_A: names,
            store.REP_B: names,
            "comparison_method": ("comparison", [*methods, STATE_CLOUD]),
            "comparison_params": ("comparison", [*params, "{}"]),
            "comparison_measure": (
                "comparison",
                [*(dist.metric_measure(m) for m in methods), "distance"],
            ),
        },
    )
    states = xr.DataArray(
        np.stack(list(systems.values())),
        dims=(store.REP, store.TIME, store.UNIT),
        coords={store.REP: names},
    )
    return {"geometry": geometry, "states": states}


def _spec(config: Config) -> dict[str, Any]:
    # `enabled` says whether the job runs, not what it makes; `sweep` is the dsa_sweep job's
    tutorial = config["analyses"]["dsa"]["tutorial"]
    return {k: v for k, v in tutorial.items() if k not in ("enabled", "sweep")}


STAGE = Stage(
    name="dsa_tutorial",
    command="dsa-tutorial",
    help="DSA of circle / oval / walk",
    output=paths.DSA.format(clipset=paths.DSA_TUTORIAL),
    spec=_spec,
    run=dsa_tutorial_stage,
    log_rule="dsa",
    log_name=paths.DSA_TUTORIAL,
)
