"""Stage ``dsa_tutorial`` (command ``dsa-tutorial``): DSA of the tutorial's circle, oval and
walk systems under each configured delay setting."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from repgeom import paths, store
from repgeom.labelled import pair_matrix
from repgeom.stages.base import Config, Stage


def dsa_tutorial_stage(spec: Mapping[str, Any], out: str | os.PathLike[str]) -> Path:
    """DSA of the tutorial's circle, oval and walk under each configured delay setting.

    Writes a (setting, rep_a, rep_b) store: ``setting`` names the delay settings, e.g.
    ``n_delays=1`` and ``n_delays=20, delay_interval=10``.
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
    ds.attrs.update(da.attrs)
    ds.attrs.update(store.provenance("distances", config=spec, stimset=paths.DSA_TUTORIAL))
    return store.write(ds, out, "distances")


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
