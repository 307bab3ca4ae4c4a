"""Replay ../shared/reference/encoding (himalaya 0.4.11 and the split-half ceiling)."""

import json

import numpy as np
import pytest
from sklearn.model_selection import KFold

from repgeom.encoding import fit_encoding, noise_ceiling
from repgeom.reduce import reduce
from tests.conftest import REFERENCE

CASES = {
    c["id"]: c for c in json.loads((REFERENCE / "encoding" / "encoding_cases.json").read_text())
}
#: case id -> (input suffix, fit_encoding options), read off each case's `call`
FITS = {
    "ridgecv_numpy_cv5": ("", dict(model="ridge", cv=5)),
    "ridgecv_numpy_kfold_shuffle": (
        "",
        dict(model="ridge", cv=KFold(4, shuffle=True, random_state=0)),
    ),
    "ridgecv_numpy_intercept": ("_offset", dict(model="ridge", cv=5, fit_intercept=True)),
    "kernelridgecv_linear_numpy_cv5": ("", dict(model="kernel_ridge", cv=5)),
    "kernelridgecv_linear_wide": ("_wide", dict(model="kernel_ridge", cv=5)),
    "ridgecv_wide": ("_wide", dict(model="ridge", cv=5)),
    "kernelridgecv_rbf": (
        "",
        dict(model="kernel_ridge", kernel="rbf", kernel_params=dict(gamma=1.0 / 80), cv=5),
    ),
    "ridgecv_torch_cv5": ("", dict(model="ridge", cv=5, backend="torch")),
}


@pytest.fixture(scope="module")
def data(reference_dir):
    return np.load(reference_dir / "encoding" / "encoding_inputs.npz")


def test_every_case_is_covered():
    assert set(FITS) | {"noise_ceiling_split_half_sb"} == set(CASES)


@pytest.mark.parametrize("case_id", sorted(FITS))
@pytest.mark.parametrize("reduced", [False, True], ids=["raw", "reduced"])
def test_fit_case(case_id, reduced, data):
    case, (suffix, options) = CASES[case_id], FITS[case_id]
    X_train, Y_train = data[f"X_train{suffix}"], data[f"Y_train{suffix}"]
    X_test, Y_test = data[f"X_test{suffix}"], data[f"Y_test{suffix}"]
    if reduced:  # Z = X V: inner products, distances (RBF) and centring are all preserved
        Z = reduce(np.vstack([X_train, X_test])).features
        X_train, X_test = Z[: len(X_train)], Z[len(X_train) :]
    result = fit_encoding(X_train, Y_train, X_test, Y_test, alphas=data["alphas"], **options)
    exp, tol = case["expected"], case["tolerance"]
    np.testing.assert_allclose(
        result.predictions,
        exp["predictions"],
        rtol=tol["predictions_rtol"],
        atol=tol["predictions_atol"],
    )
    np.testing.assert_allclose(result.pearson_r, exp["pearson_r"], atol=tol["pearson_r_atol"])
    grid = np.log10(data["alphas"])
    got_index = np.abs(np.log10(result.best_alphas)[:, None] - grid).argmin(1)
    exp_index = np.abs(np.log10(exp["best_alphas"])[:, None] - grid).argmin(1)
    np.testing.assert_array_equal(got_index, exp_index)
    np.testing.assert_allclose(result.cv_scores, exp["cv_scores"], rtol=tol["cv_scores_rtol"])


def test_noise_ceiling_case(data):
    case = CASES["noise_ceiling_split_half_sb"]
    exp = case["expected"]
    r_half, ceiling = noise_ceiling(data["trials"], n_splits=exp["n_splits"], seed=exp["seed"])
    np.testing.assert_allclose(r_half, exp["r_half"], atol=case["tolerance"]["r_half_atol"])
    np.testing.assert_allclose(ceiling, exp["ceiling"], atol=case["tolerance"]["ceiling_atol"])
