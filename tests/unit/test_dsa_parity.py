"""dsa-metric 2.0 parity of repgeom.dsa: ``embed_signal_torch``, ``DSA.dmds`` and per-system
parameters, result shapes, the DMD's constructor and ``fit`` overrides, and keyword checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repgeom.dsa import DMD, DSA, delay_embed, embed_signal_torch
from repgeom.dsa.dsa import broadcast_param
from repgeom.errors import InvalidInputError


def _series(seed: int, shape=(40, 3)) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).standard_normal(shape), axis=-2)


@pytest.mark.parametrize(("n_delays", "interval"), [(1, 1), (4, 1), (3, 2)])
def test_embed_signal_torch_matches_delay_embed(n_delays: int, interval: int) -> None:
    X = _series(0, (2, 30, 3))
    out = embed_signal_torch(torch.from_numpy(X), n_delays, interval)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_array_equal(out.numpy(), delay_embed(X, n_delays, interval))
    np.testing.assert_array_equal(embed_signal_torch(X[0], n_delays, interval), out[0])
    # newest block first: the last row is [x(T−1), …, x(T−1−(d−1)τ)]
    last = np.concatenate([X[0, -1 - k * interval] for k in range(n_delays)])
    np.testing.assert_array_equal(out[0, -1].numpy(), last)
    with pytest.raises(ValueError, match="delays"):
        embed_signal_torch(X[0], 31)


def test_dmd_records_settings_and_fits_later() -> None:
    X = _series(1, (3, 60, 2))
    dmd = DMD(X, 4, rank=5)
    assert (dmd.n_delays, dmd.rank, dmd.H, dmd.A_v) == (4, 5, None, None)
    assert dmd.compute_hankel().shape == (3, 57, 8)
    dmd.fit()
    assert dmd.A_v.shape == (5, 5) and dmd.rank == 5
    assert dmd.A_havok_dmd.shape == (8, 8)
    # fit's arguments override the constructor's, as in dsa-metric
    assert DMD(X, 4).fit(n_delays=2, rank=3).A_v.shape == (3, 3)
    with pytest.warns(UserWarning, match="rank=50"):
        assert DMD(X, 2, rank=50).fit().A_v.shape == (4, 4)
    dmd.all_to_device("cpu")
    assert isinstance(dmd.A_v, torch.Tensor) and dmd.H.device.type == "cpu"


def test_havok_operator_predicts_a_linear_system() -> None:
    rng = np.random.default_rng(2)
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    A = np.eye(3) + 0.01 * Q
    x = np.empty((400, 3))
    x[0] = rng.random(3)
    for t in range(1, 400):
        x[t] = A @ x[t - 1]
    np.testing.assert_allclose(DMD(x).fit().A_havok_dmd, A, atol=1e-6)


def test_broadcast_param() -> None:
    assert broadcast_param(10, [2, 1]) == [[10, 10], [10]]
    assert broadcast_param([1, 2, 3], [2]) == [[1, 2]]
    assert broadcast_param((5, 10), [2, 3]) == [[5, 5], [10, 10, 10]]
    assert broadcast_param([[1, 2], 7], [2, 1]) == [[1, 2], [7]]
    with pytest.raises(InvalidInputError):
        broadcast_param([1, 2, 3], [2, 1])
    with pytest.raises(InvalidInputError):
        broadcast_param([[1], 7], [2, 1])


def test_dsa_dmds_carry_per_system_settings() -> None:
    xs = [_series(s) for s in range(3)]
    dsa = DSA(xs, n_delays=[2, 3, 4], rank=3)
    assert [d.n_delays for d in dsa.dmds[0]] == [2, 3, 4] and len(dsa.dmds) == 1
    assert dsa.n_delays == [[2, 3, 4]]
    pair = DSA(xs[:2], xs[2], n_delays=([2, 3], 5), rank=(3, 4), score_method="angular")
    assert [[d.n_delays for d in side] for side in pair.dmds] == [[2, 3], [5]]
    assert pair.dmds[1][0].rank == 4
    pair.fit()
    assert pair.dmds[0][0].A_v.shape == (3, 3) and pair.dmds[1][0].A_v.shape == (4, 4)


def test_dsa_result_shapes() -> None:
    xs = [_series(s) for s in range(4)]
    y = _series(9)
    kw = {"score_method": "angular", "rank": 2}
    assert isinstance(DSA(xs[0], y, **kw).fit_score(), float)
    assert DSA(xs, y, **kw).fit_score().shape == (4,)
    assert DSA(y, xs, **kw).fit_score().shape == (4,)
    many = DSA(xs[:2], xs[2:], **kw).fit_score()
    assert many.shape == (2, 2)
    square = DSA(xs, **kw).fit_score()
    assert square.shape == (4, 4)
    np.testing.assert_allclose(DSA(xs, y, **kw).fit_score(), DSA(y, xs, **kw).fit_score())
    np.testing.assert_allclose(many, square[:2, 2:], atol=1e-6)
    np.testing.assert_allclose(DSA(None, xs, **kw).fit_score(), square)


def test_dsa_names_the_accepted_keywords() -> None:
    with pytest.raises(TypeError, match=r"bogus.*accepted.*n_delays"):
        DSA(_series(0), bogus=1)
    DSA(_series(0), _series(1), n_jobs=2, verbose=False, send_to_cpu=True, steps_ahead=1)
