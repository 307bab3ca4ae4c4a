import numpy as np
import pytest

import repgeom
from repgeom.errors import InvalidInputError
from repgeom.metrics.cka import angular_cka, cka
from repgeom.metrics.geometry import affine_invariant_riemannian, stress
from repgeom.metrics.kernels import AutoLengthScaleWarning, Laplace, SquaredExponential, hsic


def test_estimators_on_unrelated_data(rng):
    """Biased CKA reads well above 0 on unrelated data with few stimuli; unbiased does not."""
    biased, unbiased = [], []
    for _ in range(30):
        X, Y = rng.standard_normal((32, 50)), rng.standard_normal((32, 50))
        biased.append(cka(X, Y))
        unbiased.append(cka(X, Y, estimator="unbiased"))
    assert np.mean(biased) > 0.3
    assert abs(np.mean(unbiased)) < 0.05 and min(unbiased) < 0  # unbiased can go negative


def test_identity_and_kernels(rng):
    X = rng.standard_normal((40, 6))
    for kernel in (None, SquaredExponential(), Laplace(length_scale=2.0)):
        assert cka(X, X, kernel=kernel) == pytest.approx(1.0)
        assert angular_cka(X, X, kernel=kernel) == pytest.approx(0.0, abs=1e-6)


def test_errors(rng):
    X = rng.standard_normal((10, 4))
    with pytest.raises(InvalidInputError, match="CKA is undefined"):
        cka(X, np.ones((10, 4)))
    with pytest.raises(AutoLengthScaleWarning, match="too little data"):
        SquaredExponential()(rng.standard_normal((5, 9)))
    with pytest.raises(InvalidInputError, match="length_scale='median\\+1'"):
        SquaredExponential("median+1")(X)
    with pytest.raises(InvalidInputError, match="at least 4 stimuli"):
        hsic(np.eye(3), np.eye(3))
    with pytest.raises(InvalidInputError, match="needs p"):
        affine_invariant_riemannian(X, X, mode="cov", eps=0.1)


def test_geometry_known_answers(rng):
    X = rng.standard_normal((30, 5))
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    assert stress(X, X @ Q + 3) == pytest.approx(0.0, abs=1e-10)
    assert affine_invariant_riemannian(X, X @ Q, eps=0.1) == pytest.approx(0.0, abs=1e-8)
    assert affine_invariant_riemannian(X, X) == float("inf")  # centred linear Gram: rank m−1
    assert repgeom.compare(X, 2 * X).item() == pytest.approx(stress(X, 2 * X))  # default
