"""The CPU pair's nuclear norm from a symmetric eigenproblem (#22): within its stated error
bound of the SVD's, and a pair whose bound could move its distance by more than SCORE_TOL —
near zero distances, rank-deficient products — is computed by the SVD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from repgeom.metrics import LinearMetric
from repgeom.metrics.shape import SCORE_TOL, gram_nuclear_norms


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    rank=st.integers(0, 40),
    scale=st.floats(1e-6, 1e6),
)
def test_gram_nuclear_norm_is_within_its_bound_of_the_svd(seed, shape, rank, scale):
    rng = np.random.default_rng(seed)
    r = min(rank, *shape)
    M = scale * rng.standard_normal((shape[0], r)) @ rng.standard_normal((r, shape[1]))
    nuclear, error = gram_nuclear_norms(M)
    exact = np.linalg.svd(M, compute_uv=False).sum()
    assert abs(nuclear - exact) <= error + 1e-13 * max(exact, 1e-300)


def test_a_batch_of_products_gives_each_ones_norm_and_bound():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((4, 30, 20))
    nuclear, error = gram_nuclear_norms(M)
    for m, n, e in zip(M, nuclear, error, strict=True):
        assert n == pytest.approx(np.linalg.svd(m, compute_uv=False).sum(), abs=e + 1e-12)
        assert 0 < e < 1e-8 * n


def _pair(rng, n, p, noise, rank=None):
    X = rng.standard_normal((n, p))
    if rank is not None:
        X = X[:, :rank] @ rng.standard_normal((rank, p))
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    return X, X @ Q + noise * rng.standard_normal((n, p))


@pytest.mark.parametrize("score_method", ["angular", "euclidean"])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
@pytest.mark.parametrize(
    ("noise", "rank"), [(1.0, None), (1e-2, None), (1e-6, None), (0.0, None), (1e-3, 5)]
)
def test_the_pair_distance_is_the_svds_to_score_tol(score_method, alpha, noise, rank):
    rng = np.random.default_rng(3)
    X, Y = _pair(rng, 120, 60, noise, rank)
    metric = LinearMetric(alpha=alpha, score_method=score_method)
    a, b = metric.prepare(X), metric.prepare(Y)
    fast, exact = metric.score_prepared(a, b), metric.score_exact(a, b)
    if score_method == "angular":
        assert fast == pytest.approx(exact, abs=SCORE_TOL)
    else:
        assert fast == pytest.approx(exact, rel=SCORE_TOL)
    if noise == 0.0:  # the same shape: the bound cannot certify 0, the SVD gives it
        assert fast == exact


def test_the_eigen_route_is_taken_where_the_bound_allows(monkeypatch):
    """On well-separated shapes the SVD is not called; at zero angle it is."""
    rng = np.random.default_rng(4)
    X, Y = _pair(rng, 200, 80, 1.0, None)
    metric = LinearMetric(alpha=1.0)
    a, b = metric.prepare(X), metric.prepare(Y)
    calls = []
    exact = metric.score_exact
    monkeypatch.setattr(metric, "score_exact", lambda *args: calls.append(1) or exact(*args))
    metric.score_prepared(a, b)
    assert calls == []
    metric.score_prepared(a, a)
    assert calls == [1]
