"""Row ranks against scipy's ``rankdata`` and numpy's ``unique`` (ties, signed zeros)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import rankdata

from repgeom.metrics.ranks import average_ranks, dense_ranks

# few distinct values, so that ties are common; -0.0 and 0.0 must tie
values = st.sampled_from([-2.5, -1.0, -0.0, 0.0, 1e-300, 1.0, 3.0, np.inf])
stacks = st.integers(1, 4).flatmap(
    lambda k: st.integers(1, 40).flatmap(lambda m: arrays(np.float64, (k, m), elements=values))
)


@settings(deadline=None)  # the first example compiles the numba kernel
@given(stacks)
def test_average_ranks_equal_rankdata(rows):
    expected = np.stack([rankdata(row, method="average") for row in rows])
    np.testing.assert_array_equal(average_ranks(rows), expected)


@settings(deadline=None)
@given(stacks)
def test_dense_ranks_equal_unique_inverse(rows):
    expected = np.stack([np.unique(row, return_inverse=True)[1] for row in rows])
    np.testing.assert_array_equal(dense_ranks(rows), expected)


def test_ranks_of_large_continuous_rows():
    rows = np.random.default_rng(0).standard_normal((3, 20_000))
    np.testing.assert_array_equal(average_ranks(rows), rankdata(rows, axis=1))


def test_values_that_agree_above_the_index_bits_keep_their_order():
    """Keys lose their low bits to the index: values differing only there must still be
    ranked by value (and exact ties found by value), in both directions of the index."""
    base = np.float64(1.0)
    close = base + np.arange(4096) * np.spacing(base)  # one run of 4,096 values within ulps
    for row in (close, close[::-1], np.concatenate([close, close[::3]])):
        rows = np.stack([row, -row])
        expected = np.stack([rankdata(r) for r in rows])
        np.testing.assert_array_equal(average_ranks(rows), expected)
        np.testing.assert_array_equal(
            average_ranks(rows, centred=True), expected - (row.size + 1) / 2
        )


def test_nan_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        average_ranks(np.array([[1.0, np.nan]]))


def test_an_empty_stack_has_empty_ranks():
    assert average_ranks(np.empty((0, 5))).shape == (0, 5)
