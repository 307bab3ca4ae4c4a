"""Replay ../shared/reference/dimensionality: the encoder_dimensionality study's own code."""

import json

import numpy as np
import pytest

from repgeom.dimensionality import (
    effective_dimensionality,
    eigenspectrum,
    n_components_for_variance,
    powerlaw_exponent,
    twonn_dimension,
)
from repgeom.reduce import reduce
from tests.conftest import REFERENCE

CASES = json.loads((REFERENCE / "dimensionality" / "dimensionality_cases.json").read_text())


@pytest.fixture(scope="module")
def inputs(reference_dir):
    return np.load(reference_dir / "dimensionality" / "dimensionality_inputs.npz")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
@pytest.mark.parametrize("reduced", [False, True], ids=["raw", "reduced"])
def test_case(case, inputs, reduced):
    X = inputs[case["inputs"]["arrays"][0]]
    expected, tol = case["expected"], case["tolerance"]
    flat = X.reshape(len(X), -1)
    if reduced:  # the exact reduced representation must give the same numbers
        red = reduce(flat)
        lam = eigenspectrum(red.features, n_units=red.n_units)
    else:
        lam = eigenspectrum(X)
    assert len(lam) == expected["n_components"]
    # the null eigenvalue that centring creates in wide data is round-off (~1e-28) in both
    # implementations (README: "platform dependent"), so it is compared at round-off level
    roundoff = 1e-12 * max(expected["eigenspectrum"])
    np.testing.assert_allclose(
        lam, expected["eigenspectrum"], rtol=tol["eigenspectrum_rtol"], atol=roundoff
    )
    assert effective_dimensionality(lam) == pytest.approx(
        expected["effective_dimensionality"], rel=tol["effective_dimensionality_rtol"]
    )
    if expected["alpha"] is not None and tol.get("alpha_atol") is not None:
        assert powerlaw_exponent(lam) == pytest.approx(expected["alpha"], abs=tol["alpha_atol"])
    assert powerlaw_exponent(lam, method="fix_alpha") == pytest.approx(
        expected["alpha_fix_alpha"], abs=tol["alpha_fix_alpha_atol"]
    )
    assert n_components_for_variance(lam, 0.8) == expected["eighty_percent_var"]
    if not reduced:  # TwoNN uses distances of the raw points
        assert twonn_dimension(X) == pytest.approx(expected["twonn_dim"], abs=tol["twonn_dim_atol"])
