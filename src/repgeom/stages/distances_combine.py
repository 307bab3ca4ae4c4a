"""Stage ``distances`` (command ``distances-combine``): assemble a metric's blocks into its
K × K matrix, and lay the matrix out for display (dissimilarities, MDS map, average-linkage
tree and leaf order; :mod:`repgeom.layout`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from repgeom import layout, paths, store
from repgeom.errors import InvalidInputError
from repgeom.stages.base import Arg, Config, Stage
from repgeom.stages.common import Paths, distance_dataset
from repgeom.stages.distances_block import blocks, distance_spec

#: Dims of the layout variables.
MDS_AXIS, MERGE, LINKAGE_COLUMN = "mds_axis", "merge", "linkage_column"


def layout_variables(da: xr.DataArray) -> dict[str, tuple[tuple[str, ...], Any]]:
    """The display layout of a ``(rep_a, rep_b)`` matrix, as Dataset variables.

    ``dissimilarity`` (rep_a, rep_b): ``1 − s`` for a similarity; ``mds`` (rep_a, mds_axis):
    2-D metric MDS; ``linkage`` (merge, linkage_column): average-linkage tree;
    ``leaf_order`` (rep_a): the tree's dendrogram leaves, as positions along ``rep_a``. A
    held-out matrix (a ``split`` dim) is laid out from its ``test`` split.
    """
    if store.SPLIT in da.dims:
        da = da.sel({store.SPLIT: "test"})
    D = layout.dissimilarity(da.transpose(store.REP_A, store.REP_B).values, da.attrs["measure"])
    tree, leaves = layout.average_linkage(D)
    return {
        "dissimilarity": ((store.REP_A, store.REP_B), D),
        "mds": ((store.REP_A, MDS_AXIS), layout.mds_coordinates(D)),
        "linkage": ((MERGE, LINKAGE_COLUMN), tree),
        "leaf_order": ((store.REP_A,), leaves),
    }


def distances_combine_stage(
    blocks: Paths, spec: Mapping[str, Any], out: str | os.PathLike[str]
) -> Path:
    """Assemble a metric's block stores into ``results/distances/{stimset}/{metric}.nc``,
    with the matrix's display layout beside it (:func:`layout_variables`)."""
    from repgeom import distances as dist

    stores = [store.read(p, "distances") for p in blocks]
    da = dist.combine_blocks([ds["distance"] for ds in stores])
    used = {int(ds.attrs["n_stimuli_used"]) for ds in stores if "n_stimuli_used" in ds.attrs}
    if len(used) > 1:  # every block is on the stimuli all neural datasets hold
        raise InvalidInputError(
            f"blocks of {spec['metric']} on {spec['stimset']} used different stimuli "
            f"({sorted(used)}); rerun them with the same neural data"
        )
    extra = {"n_stimuli_used": used.pop()} if used else {}
    if spec.get("cv_folds"):
        extra["cv_folds"] = int(spec["cv_folds"])
    ds = distance_dataset(da, spec, stimset=spec["stimset"], n_blocks=len(stores), **extra)
    ds = ds.assign(layout_variables(da))
    return store.write(ds, out, "distances")


def _inputs(config: Config, stimset: str, metric: str) -> dict[str, list[str]]:
    return {
        "blocks": [
            paths.DISTANCE_BLOCK.format(stimset=stimset, metric=metric, block=b.label)
            for b in blocks(config, stimset)
        ]
    }


STAGE = Stage(
    name="distances",
    command="distances-combine",
    help="assemble a matrix's blocks",
    output=paths.DISTANCES,
    spec=distance_spec,
    run=distances_combine_stage,
    inputs=_inputs,
    args=(Arg("blocks", "{input.blocks}", nargs="+", positional=True, help="block stores"),),
)
