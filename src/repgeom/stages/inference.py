"""Stage ``inference``: how sure every model–brain score of one metric on one stimulus set is
— bootstrap intervals, a permutation null with p and calibrated z, the brains' noise ceilings
and paired comparisons of every two representations (:mod:`repgeom.inference`)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from repgeom import paths, selection, store
from repgeom.representations import BRAIN_SOURCE, LABELS, load_representations
from repgeom.stages.base import Config, Stage
from repgeom.stages.common import (
    REPRESENTATION_ARGS,
    Paths,
    representation_files,
    representation_inputs,
)

log = logging.getLogger(__name__)


def inference_stage(
    activations: Paths,
    neural: Paths,
    spec: Mapping[str, Any],
    out: str | os.PathLike[str],
) -> Path:
    """Every model layer of a stimulus set against every brain on it, under one metric.

    ``spec`` holds ``stimset``, ``metric``, ``method``, ``params``, ``n_bootstrap``,
    ``n_permutations``, ``confidence``, ``n_splits`` and ``seed``. The store holds
    ``inference`` (rep, brain, statistic: :data:`repgeom.inference.STATISTICS`), ``ceiling``
    (brain, bound) with ``ceiling_method`` per brain, and ``comparison_p`` / ``comparison_q``
    (rep_a, rep_b, brain); the representations' labels are coords on ``rep``, the resample
    counts, seeds and the stimuli used in attrs.
    """
    from repgeom.inference import STATISTICS, infer
    from repgeom.metrics.registry import get

    reps = load_representations(activations, neural)
    models = [r for r in reps if r.labels["source"] != BRAIN_SOURCE]
    brains = [r for r in reps if r.labels["source"] == BRAIN_SOURCE]
    info = get(spec["method"])
    log.info(
        "%s %s: %d representations × %d brains, %d bootstrap and %d permutation resamples",
        spec["stimset"],
        spec["metric"],
        len(models),
        len(brains),
        spec["n_bootstrap"],
        spec["n_permutations"],
    )
    result = infer(
        info.bind(**spec["params"]),
        info.measure,
        models,
        brains,
        correction=_correction(info.measure, info.angle(**spec["params"])),
        n_bootstrap=spec["n_bootstrap"],
        n_permutations=spec["n_permutations"],
        confidence=spec["confidence"],
        n_splits=spec["n_splits"],
        seed=spec["seed"],
    )
    names = [r.name for r in models]
    pair = (store.REP_A, store.REP_B, store.BRAIN)
    ds = xr.Dataset(
        {
            "inference": ((store.REP, store.BRAIN, store.STATISTIC), result.statistics),
            "ceiling": (
                (store.BRAIN, store.BOUND),
                np.array([[c.lower, c.upper] for c in result.ceilings]),
            ),
            "comparison_p": (pair, result.comparison_p),
            "comparison_q": (pair, result.comparison_q),
        },
        coords={
            store.REP: names,
            store.REP_A: names,
            store.REP_B: names,
            store.BRAIN: [b.name for b in brains],
            store.STATISTIC: list(STATISTICS),
            store.BOUND: ["lower", "upper"],
            "ceiling_method": (store.BRAIN, [c.method for c in result.ceilings]),
            "n_subjects": (
                store.BRAIN,
                [1 if b.subjects is None else len(set(b.subjects)) for b in brains],
            ),
            **{f"{store.REP}_{k}": (store.REP, [r.labels[k] for r in models]) for k in LABELS},
        },
    )
    ds.attrs.update(
        store.provenance(
            "inference",
            config=spec,
            stimset=spec["stimset"],
            metric=spec["metric"],
            method=spec["method"],
            params=json.dumps(dict(spec["params"]), sort_keys=True),
            measure=info.measure,
            n_bootstrap=spec["n_bootstrap"],
            n_permutations=spec["n_permutations"],
            confidence=spec["confidence"],
            n_splits=spec["n_splits"],
            bootstrap_seed=spec["seed"],
            permutation_seed=spec["seed"] + 1,
            n_stimuli_used=len(models[0].stimulus_ids) if models else 0,
        )
    )
    return store.write(ds, out, "inference")


def _correction(measure: str, angle: bool) -> str:
    """How a split-half ceiling is stepped up (:func:`repgeom.inference.step_up`)."""
    if measure == "similarity":
        return "similarity"
    return "angle" if angle else "none"


def _spec(config: Config, stimset: str, metric: str) -> dict[str, Any]:
    entry = dict(config["analyses"]["distances"]["metrics"][metric])
    section = config["analyses"]["inference"]
    return {
        "stimset": stimset,
        "metric": metric,
        "method": entry.pop("method"),
        "params": entry,
        **selection.inference_metrics(config)[metric],
        **{k: section[k] for k in ("confidence", "n_splits", "seed")},
    }


STAGE = Stage(
    name="inference",
    command="inference",
    help="CIs, permutation nulls, noise ceilings and comparisons of model–brain scores",
    output=paths.INFERENCE,
    spec=_spec,
    run=inference_stage,
    inputs=representation_inputs,
    files=representation_files,
    args=REPRESENTATION_ARGS,
)
