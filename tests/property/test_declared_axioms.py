"""Every metric of :func:`repgeom.metrics.available` satisfies the axioms it declares.

The test reads each entry's declaration (``measure`` and ``axioms``) instead of listing metrics
by hand, so a new entry is checked the moment it is registered, and a wrong declaration
fails here.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from repgeom.metrics import available, compare

#: arccos near 1 resolves only ~1e-8 in its argument, i.e. ~1e-4 in angle; optimisers and
#: eigen-solvers add their own round-off. Axioms are checked to this absolute tolerance.
TOL = 2e-4
INFO = available()


def _declaring(axiom: str) -> list[str]:
    return sorted(name for name, info in INFO.items() if axiom in info.axioms)


def _d(X: np.ndarray, Y: np.ndarray, name: str) -> float:
    value = float(compare(X, Y, method=name, **INFO[name].axiom_params))
    assert np.isfinite(value), f"{name} returned {value}"
    return value


@st.composite
def representations(draw, count: int):
    """``count`` representations of the same stimuli, of possibly different widths."""
    n = draw(st.integers(12, 24))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [rng.standard_normal((n, draw(st.integers(3, 8)))) for _ in range(count)]


def test_every_entry_declares_a_measure_and_known_axioms():
    for name, info in INFO.items():
        assert info.measure in ("distance", "similarity"), name
        assert set(info.axioms) <= {"identity", "symmetry", "triangle"}, name
        assert info.measure == "distance" or "triangle" not in info.axioms, name


@pytest.mark.parametrize("name", _declaring("identity"))
@settings(max_examples=15, deadline=None)
@given(reps=representations(1))
def test_identity(name, reps):
    (X,) = reps
    assert abs(_d(X, X, name)) < TOL


@pytest.mark.parametrize("name", _declaring("symmetry"))
@settings(max_examples=15, deadline=None)
@given(reps=representations(2))
def test_symmetry(name, reps):
    X, Y = reps
    assert abs(_d(X, Y, name) - _d(Y, X, name)) < TOL


@pytest.mark.parametrize("name", _declaring("triangle"))
@settings(max_examples=15, deadline=None)
@given(reps=representations(3))
def test_triangle_inequality_and_non_negativity(name, reps):
    X, Y, Z = reps
    xy, yz, xz = (_d(a, b, name) for a, b in ((X, Y), (Y, Z), (X, Z)))
    assert min(xy, yz, xz) > -TOL
    assert xz <= xy + yz + TOL
