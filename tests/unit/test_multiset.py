"""netrep's multiset functions (Fréchet means, tangent spaces, cross distances) and the
stochastic metrics' ``loss_hist``.

Results are compared with netrep itself when ``REPGEOM_PEER_NETREP`` names a checkout that
imports with this environment's packages, else with a sequential transcription of netrep's
algorithm (:func:`_reference_mean`), which also checks repgeom's batched reformulation.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.optimize import linear_sum_assignment

from repgeom.metrics import (
    EnergyStochasticMetric,
    GaussianStochasticMetric,
    LinearMetric,
    PermutationMetric,
    cross_distances,
    euclidean_tangent_space,
    frechet_mean,
)
from repgeom.metrics.multiset import align, angular_distance, frechet_value, rand_orth


def _netrep_multiset() -> ModuleType | None:
    """netrep's ``multiset`` from the checkout in ``REPGEOM_PEER_NETREP``, if it imports."""
    root = os.environ.get("REPGEOM_PEER_NETREP")
    if not root or not (Path(root) / "netrep" / "multiset.py").exists():
        return None
    sys.path.insert(0, root)
    try:
        return importlib.import_module("netrep.multiset")
    except ImportError:
        return None
    finally:
        sys.path.remove(root)


NETREP = _netrep_multiset()


def _align_one(X: np.ndarray, Y: np.ndarray, group: str) -> np.ndarray:
    if group == "orth":
        return orthogonal_procrustes(X, Y)[0]
    rows, cols = linear_sum_assignment(X.T @ Y, maximize=True)
    T = np.zeros((X.shape[1], X.shape[1]))
    T[rows, cols] = 1.0
    return T


def _reference_mean(Xs, group, method, random_state, tol, max_iter, warmstart):
    """netrep's two barycentre iterations, one input at a time (a transcription for when the
    checkout is absent; its global-RNG start in ``full_batch`` is replaced by ``warmstart``)."""
    if NETREP is not None:
        start = None if warmstart is None else warmstart.copy()  # netrep writes into it
        return NETREP.frechet_mean(
            [X.copy() for X in Xs],
            group=group,
            random_state=random_state,
            tol=tol,
            max_iter=max_iter,
            warmstart=start,
            method=method,
        )
    rs = np.random.RandomState(random_state)
    indices = rs.permutation(len(Xs))
    Xbar = (Xs[indices[-1]] if warmstart is None else warmstart).copy()
    n, change, it = 1, np.inf, 0
    while change > tol and it < max_iter:
        X0 = Xbar.copy()
        if method == "full_batch":
            Xbar = np.mean([X @ _align_one(X, X0, group) for X in Xs], axis=0)
        else:
            for i in indices:
                Xbar = n / (n + 1) * Xbar + Xs[i] @ _align_one(Xs[i], X0, group) / (n + 1)
                n += 1
            rs.shuffle(indices)
        change = np.linalg.norm(Xbar - X0) / np.sqrt(Xbar.size)
        it += 1
    return Xbar


def _noisy_copies(seed: int, group: str, k: int = 5, m: int = 40, n: int = 6, noise=0.5):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((m, n))
    out = []
    for _ in range(k):
        if group == "orth":
            T = np.linalg.qr(rng.standard_normal((n, n)))[0]
        else:
            T = np.eye(n)[rng.permutation(n)]
        out.append((base + noise * rng.standard_normal((m, n))) @ T)
    return out


@pytest.mark.parametrize("method", ["full_batch", "streaming"])
@pytest.mark.parametrize("group", ["orth", "perm"])
def test_exact_copies_align_to_one(method: str, group: str) -> None:
    Xs = _noisy_copies(0, group, noise=0.0)
    Xbar, aligned = frechet_mean(
        Xs, group=group, method=method, random_state=1, tol=1e-10, return_aligned_Xs=True
    )
    for A in aligned:
        np.testing.assert_allclose(A, aligned[0], atol=1e-8)
    assert frechet_value(Xs, Xbar, group) < 1e-12


@pytest.mark.parametrize(
    ("method", "tol", "atol"), [("full_batch", 1e-12, 1e-6), ("streaming", 1e-8, 1e-3)]
)
@pytest.mark.parametrize("group", ["orth", "perm"])
def test_converged_mean_is_a_fixed_point(method: str, tol: float, atol: float, group: str):
    """At convergence X̄ is the mean of the inputs aligned to it (netrep's invariant; the
    streaming running average only approaches it, its steps shrinking like 1/passes)."""
    Xs = _noisy_copies(1, group)
    Xbar, aligned = frechet_mean(
        Xs,
        group=group,
        method=method,
        warmstart=Xs[0],
        tol=tol,
        max_iter=50_000,
        return_aligned_Xs=True,
    )
    np.testing.assert_allclose(np.mean(aligned, axis=0), Xbar, atol=atol)
    reference = _reference_mean(Xs, group, method, 0, tol, 50_000, Xs[0])
    assert frechet_value(Xs, Xbar, group) <= frechet_value(Xs, reference, group) * (1 + 1e-10)


@pytest.mark.parametrize("method", ["full_batch", "streaming"])
@pytest.mark.parametrize("group", ["orth", "perm"])
@pytest.mark.parametrize("max_iter", [1, 2, 5])
def test_unconverged_value_at_most_netreps(method: str, group: str, max_iter: int) -> None:
    Xs = _noisy_copies(2, group, noise=1.0)
    start = Xs[3].copy()
    ours = frechet_mean(Xs, group=group, method=method, max_iter=max_iter, tol=0.0, warmstart=start)
    reference = _reference_mean(Xs, group, method, None, 0.0, max_iter, start)
    value, ref_value = frechet_value(Xs, ours, group), frechet_value(Xs, reference, group)
    assert value <= ref_value * (1 + 1e-10)
    np.testing.assert_allclose(ours, reference, atol=1e-8)  # the same iterates


@pytest.mark.parametrize("group", ["orth", "perm"])
def test_streaming_start_follows_random_state(group: str) -> None:
    Xs = _noisy_copies(3, group)
    for seed in (0, 1, 2):
        ours = frechet_mean(Xs, group=group, random_state=seed, max_iter=2, tol=0.0)
        reference = _reference_mean(Xs, group, "streaming", seed, 0.0, 2, None)
        np.testing.assert_allclose(ours, reference, atol=1e-8)


def test_full_batch_never_increases_the_value() -> None:
    Xs = _noisy_copies(4, "orth", noise=2.0)
    values = [
        frechet_value(
            Xs, frechet_mean(Xs, method="full_batch", max_iter=t, tol=0.0, warmstart=Xs[0])
        )
        for t in range(1, 8)
    ]
    assert np.all(np.diff(values) <= 1e-12)


@pytest.mark.parametrize("method", ["full_batch", "streaming"])
@pytest.mark.parametrize("group", ["orth", "perm", "identity"])
def test_inputs_and_warmstart_never_modified(method: str, group: str) -> None:
    Xs = np.stack(_noisy_copies(5, "orth"))
    before, start = Xs.copy(), Xs[2].copy()
    start_before = start.copy()
    frechet_mean(Xs, group=group, method=method, random_state=0)
    frechet_mean(Xs, group=group, method=method, warmstart=start)
    frechet_mean(list(Xs), group=group, method=method, return_aligned_Xs=True)
    np.testing.assert_array_equal(Xs, before)
    np.testing.assert_array_equal(start, start_before)


def test_identity_one_input_and_shapes() -> None:
    Xs = _noisy_copies(6, "orth")
    np.testing.assert_allclose(frechet_mean(Xs, group="identity"), np.mean(Xs, axis=0))
    single = frechet_mean([Xs[0]])
    np.testing.assert_array_equal(single, Xs[0])
    assert single is not Xs[0]
    with pytest.raises(ValueError, match="shape"):
        frechet_mean([Xs[0], Xs[1][:, :3]])
    with pytest.raises(ValueError):
        frechet_mean([Xs[0], np.full_like(Xs[1], np.nan)])
    with pytest.raises(ValueError, match="group"):
        frechet_mean(Xs, group="affine")
    with pytest.raises(ValueError, match="method"):
        frechet_mean(Xs, method="sgd")


@pytest.mark.parametrize("group", ["orth", "perm", "identity"])
def test_tangent_space(group: str) -> None:
    Xs = _noisy_copies(7, "orth")
    Xbar = frechet_mean(Xs, group=group, random_state=0)
    tangent = euclidean_tangent_space(Xs, Xbar, group=group)
    assert tangent.shape == (len(Xs), *Xbar.shape)
    for X, V in zip(Xs, tangent, strict=True):
        np.testing.assert_allclose(V, Xbar - X @ align(X, Xbar, group), atol=1e-12)
    if NETREP is not None:
        np.testing.assert_allclose(
            tangent, NETREP.euclidean_tangent_space(Xs, Xbar, group=group), atol=1e-10
        )


def test_align_is_optimal() -> None:
    rng = np.random.default_rng(8)
    X, Y = rng.standard_normal((2, 30, 5))
    for group in ("orth", "perm", "identity"):
        T = align(X, Y, group)
        np.testing.assert_allclose(T.T @ T, np.eye(5), atol=1e-12)
        best = np.linalg.norm(X @ T - Y)
        for _ in range(20):
            other = rand_orth(5, random_state=rng.integers(1 << 30))
            if group == "perm":
                other = np.eye(5)[rng.permutation(5)]
            if group != "identity":
                assert best <= np.linalg.norm(X @ other - Y) + 1e-12
    assert angular_distance(X, 2 * X) == pytest.approx(0.0, abs=1e-7)


def test_cross_distances_prepares_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(9)
    Xs = [rng.standard_normal((20, w)) for w in (3, 4, 5)]
    Ys = [rng.standard_normal((20, w)) for w in (4, 6)]
    metric = LinearMetric(alpha=0.5)
    calls = []
    original = LinearMetric.prepare
    monkeypatch.setattr(LinearMetric, "prepare", lambda s, X: calls.append(1) or original(s, X))
    D = cross_distances(metric, Xs, Ys, verbose=False)
    assert len(calls) == len(Xs) + len(Ys)
    assert D.shape == (3, 2)
    monkeypatch.undo()
    for i, X in enumerate(Xs):
        for j, Y in enumerate(Ys):
            assert D[i, j] == pytest.approx(LinearMetric(alpha=0.5).fit_score(X, Y), abs=1e-10)


@pytest.mark.parametrize("metric", [LinearMetric(alpha=1.0), PermutationMetric()])
def test_cross_distances_with_test_data(metric) -> None:
    rng = np.random.default_rng(10)
    Xs, Xt = rng.standard_normal((2, 2, 15, 4))
    Ys, Yt = rng.standard_normal((2, 3, 15, 4))
    D_train, D_test = cross_distances(metric, Xs, Ys, Xs_test=Xt, Ys_test=Yt, verbose=False)
    assert D_train.shape == D_test.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            fitted = type(metric)(**metric.get_params()).fit(Xs[i], Ys[j])
            assert D_train[i, j] == pytest.approx(fitted.score(Xs[i], Ys[j]), abs=1e-10)
            assert D_test[i, j] == pytest.approx(fitted.score(Xt[i], Yt[j]), abs=1e-10)
    with pytest.raises(ValueError, match="Ys_test"):
        cross_distances(metric, Xs, Ys, Xs_test=Xt, verbose=False)
    with pytest.raises(ValueError, match="Xs_test"):
        cross_distances(metric, Xs, Ys, Ys_test=Yt, verbose=False)
    with pytest.raises(ValueError, match="Length"):
        cross_distances(metric, Xs, Ys, Xs_test=Xt[:1], Ys_test=Yt, verbose=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_energy_loss_hist_non_increasing(seed: int) -> None:
    rng = np.random.RandomState(seed)
    Q = rand_orth(4, random_state=rng)
    means = rng.randn(4, 4)
    X = means[:, None] + 0.1 * rng.randn(4, 50, 4)
    Y = (means @ Q)[:, None] + 0.1 * rng.randn(4, 50, 4)
    metric = EnergyStochasticMetric().fit(X, Y)
    hist = np.asarray(metric.loss_hist)
    assert len(hist) >= 2 and np.all(np.diff(hist) <= 0)
    diff = X[:, :, None] - Y[:, None] @ metric.Q
    assert hist[-1] == pytest.approx(np.linalg.norm(diff, axis=-1).mean())


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 1.7])
def test_gaussian_loss_hist_non_increasing(alpha: float) -> None:
    rng = np.random.RandomState(0)
    means = [rng.randn(6, 3) for _ in range(2)]
    covs = [np.einsum("bij,bkj->bik", A, A) for A in rng.randn(2, 6, 3, 3)]
    X, Y = (means[0], covs[0]), (means[1], covs[1])
    metric = GaussianStochasticMetric(alpha=alpha).fit(X, Y)
    hist = np.asarray(metric.loss_hist)
    assert len(hist) >= 2 and np.all(np.diff(hist) <= 0)
    assert np.sqrt(max(hist[-1], 0.0)) == pytest.approx(metric.score(X, Y), abs=1e-10)


def test_star_import_and_light_import() -> None:
    namespace: dict = {}
    exec("from repgeom.metrics import *", namespace)
    assert {"frechet_mean", "euclidean_tangent_space", "cross_distances"} <= set(namespace)
    code = "import sys, repgeom.metrics; assert 'xarray' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
