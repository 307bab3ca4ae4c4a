"""Replay ../shared/reference/cka (repsim and netrep's LinearCKA) through repgeom."""

import json

import pytest

from tests.conftest import REFERENCE
from tests.reference.replay import check, evaluate, expected_exception

FOLDER = REFERENCE / "cka"
_REPSIM_KERNELS = (
    "from repsim.kernels import Linear, SquaredExponential, Laplace, hsic, cka, center"
)
_REPGEOM_KERNELS = (
    "from repgeom.metrics.kernels import Linear, SquaredExponential, Laplace, hsic, center, "
    "kernel_cka as cka"
)
REPLACEMENTS = {
    "from repsim.metrics import AngularCKA, AngularShapeMetric, EuclideanShapeMetric, "
    "AffineInvariantRiemannian, Stress; ": "",
    _REPSIM_KERNELS: _REPGEOM_KERNELS,
    "import numpy as np, torch, repsim;": "import numpy as np, torch, repgeom;",
    "repsim.compare(": "repgeom.compare(",
    "netrep.metrics": "repgeom.metrics",
    "netrep.multiset": "repgeom.metrics",
}
#: Outside the contract, with the reason.
_NULL_SPACE = (
    "repsim's cov-mode quirk takes columns of Vᵀ, which for rank-deficient data mix in the "
    "arbitrary null-space basis of the SVD: the value depends on the LAPACK build, not the data "
    "(every full-rank cov case is replayed)"
)
NOT_REPLAYED = {
    "repsim.compare.bad_method": "'cka' is a repgeom method name (repsim rejects it)",
    "repsim.air.cov.embed.p10": _NULL_SPACE,
    "repsim.air.cov.lowrank.p6": _NULL_SPACE,
    "repsim.air.cov.wide.p30": _NULL_SPACE,
}
CASES = [
    dict(c, _source="cka.json")
    for c in json.loads((FOLDER / "cka.json").read_text())
    if c["id"] not in NOT_REPLAYED
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, reference_dir):
    error = expected_exception(case)
    if error is not None:
        with pytest.raises(error, match=case["expected"]["message"][:40]):
            evaluate(case, FOLDER, REPLACEMENTS)
        return
    check(case, evaluate(case, FOLDER, REPLACEMENTS))
