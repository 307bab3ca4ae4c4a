import numpy as np
import pytest

from repgeom.dimensionality import (
    effective_dimensionality,
    eigenspectrum,
    n_components_for_variance,
    powerlaw_exponent,
    twonn_dimension,
)
from repgeom.errors import InvalidInputError


def _data_with_spectrum(lam, n, rng):
    """n × p data whose sample covariance has exactly the eigenvalues ``lam``."""
    p = len(lam)
    Z = rng.standard_normal((n, p))
    Z -= Z.mean(0)
    U, _, _ = np.linalg.svd(Z, full_matrices=False)  # orthonormal, centred columns
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    return U @ np.diag(np.sqrt(lam * (n - 1))) @ Q.T + 5.0


def test_spectrum_known_answer(rng):
    lam = np.array([4.0, 2.0, 1.0, 0.5])
    X = _data_with_spectrum(lam, 50, rng)
    np.testing.assert_allclose(eigenspectrum(X), lam, rtol=1e-10)
    assert len(eigenspectrum(X[:3])) == 3  # min(n, p)
    assert len(eigenspectrum(X[:, :2] @ np.ones((2, 10)), n_units=10)) == 10


def test_equal_variances_give_ed_equal_to_rank(rng):
    for r in (1, 3, 7):
        lam = np.r_[np.ones(r), np.zeros(10 - r)]
        X = _data_with_spectrum(np.r_[np.ones(r), np.full(10 - r, 0.0)], 40, rng)
        assert effective_dimensionality(X) == pytest.approx(r, rel=1e-9)
        assert effective_dimensionality(lam) == pytest.approx(r)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_powerlaw_recovers_the_exponent(alpha):
    lam = np.arange(1, 501, dtype=float) ** -alpha
    assert powerlaw_exponent(lam, method="fix_alpha") == pytest.approx(alpha, abs=1e-10)
    assert powerlaw_exponent(lam, method="logspace50") == pytest.approx(alpha, abs=1e-10)


def test_components_for_variance():
    lam = np.array([5.0, 3.0, 1.0, 1.0])
    assert n_components_for_variance(lam, 0.8) == 2
    assert n_components_for_variance(lam, 0.5) == 1
    assert n_components_for_variance(lam, 1.0) == 4
    with pytest.raises(InvalidInputError, match=r"expected a value in \(0, 1\]"):
        n_components_for_variance(lam, 0.0)


def test_twonn_on_a_plane(rng):
    X = np.c_[rng.random((2000, 2)), np.zeros((2000, 5))]
    assert twonn_dimension(X) == pytest.approx(2.0, abs=0.2)
    with pytest.raises(InvalidInputError, match="duplicate rows"):
        twonn_dimension(np.r_[X[:10], X[:10]])


def test_bad_input():
    with pytest.raises(InvalidInputError, match="at least 2"):
        eigenspectrum(np.ones((1, 5)))
    with pytest.raises(InvalidInputError, match="NaN"):
        eigenspectrum(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(InvalidInputError, match="constant data"):
        effective_dimensionality(np.ones((5, 3)))
    with pytest.raises(InvalidInputError, match="choose 'logspace50' or 'fix_alpha'"):
        powerlaw_exponent(np.ones(4), method="ols")
