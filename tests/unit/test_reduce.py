"""The reduced representation Z = U S is exact for every rotation-invariant analysis."""

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.distance import pdist
from sklearn.linear_model import Ridge

from repgeom.dimensionality import eigenspectrum
from repgeom.errors import ConfigError, InvalidInputError, ShapeMismatchError
from repgeom.reduce import GramAccumulator, UnitSlice, plan_passes, reduce, reduce_gram

EXACT = 1e-8  # relative error allowed between raw and reduced results (the bound)


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-300)


@pytest.fixture
def layers(rng):
    """Two wide 'layers' on 40 stimuli that share structure, one of them low rank."""
    latent = rng.standard_normal((40, 12))
    X = latent @ rng.standard_normal((12, 900)) + 0.1 * rng.standard_normal((40, 900)) + 2.0
    Y = np.tanh(latent @ rng.standard_normal((12, 300)))  # nonlinear: full rank
    Y_low = latent[:, :5] @ rng.standard_normal((5, 700))  # exactly rank 5
    return X, Y, Y_low


def _procrustes_distance(A, B):
    """min_Q ‖Ac − Bc Q‖_F over orthogonal Q, zero-padding the narrower matrix."""
    A, B = A - A.mean(0), B - B.mean(0)
    width = max(A.shape[1], B.shape[1])
    A = np.pad(A, ((0, 0), (0, width - A.shape[1])))
    B = np.pad(B, ((0, 0), (0, width - B.shape[1])))
    Q, _ = orthogonal_procrustes(B, A)
    return np.linalg.norm(A - B @ Q)


def _linear_cka(A, B):
    A, B = A - A.mean(0), B - B.mean(0)
    return np.linalg.norm(A.T @ B) ** 2 / (np.linalg.norm(A.T @ A) * np.linalg.norm(B.T @ B))


def test_gram_and_width(layers):
    X, _, Y_low = layers
    red = reduce(X)
    assert red.n_units == 900 and red.features.shape == (40, 40)
    assert rel_err(red.features @ red.features.T, X @ X.T) < EXACT
    assert reduce(Y_low).n_components == 5  # numerical rank, not min(n, p)


def test_pca_spectrum_is_exact(layers):
    X, _, Y_low = layers
    for M in (X, Y_low):
        red = reduce(M)
        assert rel_err(eigenspectrum(red.features, n_units=M.shape[1]), eigenspectrum(M)) < EXACT


def test_procrustes_distance_is_exact(layers):
    X, Y, Y_low = layers
    for A, B in ((X, Y), (X, Y_low), (Y, Y_low)):
        raw = _procrustes_distance(A, B)
        red = _procrustes_distance(reduce(A).features, reduce(B).features)
        assert rel_err(red, raw) < EXACT


def test_linear_cka_is_exact(layers):
    X, Y, Y_low = layers
    assert rel_err(_linear_cka(reduce(X).features, reduce(Y).features), _linear_cka(X, Y)) < EXACT
    assert (
        rel_err(_linear_cka(reduce(X).features, reduce(Y_low).features), _linear_cka(X, Y_low))
        < EXACT
    )


def test_euclidean_rdm_is_exact(layers):
    X, _, _ = layers
    assert rel_err(pdist(reduce(X).features, "sqeuclidean"), pdist(X, "sqeuclidean")) < EXACT


def test_correlation_rdm_from_row_statistics(layers):
    """1 − r(x_i, x_j) across units needs the row means kept beside Z."""
    X, _, _ = layers
    red = reduce(X)
    n = red.n_units
    G = red.features @ red.features.T - n * np.outer(red.row_mean, red.row_mean)
    norms = np.sqrt(np.diag(G))
    reduced_rdm = 1 - G / np.outer(norms, norms)
    iu = np.triu_indices(len(X), 1)
    assert rel_err(reduced_rdm[iu], pdist(X, "correlation")) < EXACT


def test_ridge_predictions_are_exact(layers, rng):
    X, _, _ = layers
    responses = rng.standard_normal((40, 7))
    train, test = np.arange(30), np.arange(30, 40)
    # predictions of held-out stimuli: reduce train and test rows together (as the workflow does)
    red = reduce(X).features
    for fit_intercept in (False, True):
        raw = Ridge(alpha=3.0, fit_intercept=fit_intercept).fit(X[train], responses[train])
        fast = Ridge(alpha=3.0, fit_intercept=fit_intercept).fit(red[train], responses[train])
        assert rel_err(fast.predict(red[test]), raw.predict(X[test])) < EXACT


@pytest.mark.parametrize(
    ("in_memory_bytes", "direct"),
    [(0, True), (0, False), (10**9, False)],
    ids=["spill-direct-io", "spill-buffered", "in-memory"],
)
def test_streaming_batches_equal_one_shot(rng, in_memory_bytes, direct, tmp_path, monkeypatch):
    """Batches of 8 rows × chunks of 300 float32 units: no write is a whole 4 KiB block, so
    the spill's carried remainders and the final partial block are all exercised."""
    if not direct:
        monkeypatch.delattr(os, "O_DIRECT", raising=False)  # as on macOS: buffered I/O
    X = rng.standard_normal((37, 1000)).astype(np.float32)
    acc = GramAccumulator(
        37,
        1000,
        chunk_units=300,
        in_memory_bytes=in_memory_bytes,
        scratch_dir=tmp_path,
        keep_raw=True,
    )
    for start in range(0, 37, 8):
        acc.add(X[start : start + 8])
    if in_memory_bytes == 0:
        assert acc.spill_bytes == X.nbytes  # exactly the rows: no padding on disk
    red = acc.finalize()
    np.testing.assert_array_equal(acc.raw(), X)
    acc.close()
    assert list(tmp_path.iterdir()) == []  # scratch file removed
    assert rel_err(red.features @ red.features.T, X.astype(float) @ X.T.astype(float)) < EXACT
    np.testing.assert_allclose(red.row_mean, X.astype(float).mean(1), rtol=1e-12)


def test_signs_are_deterministic(rng):
    X = rng.standard_normal((10, 50))
    Z = reduce(X).features
    assert np.all(Z[np.abs(Z).argmax(0), np.arange(Z.shape[1])] > 0)
    np.testing.assert_array_equal(Z, reduce(X.copy()).features)


def test_zero_matrix_reduces_to_no_components():
    assert reduce_gram(np.zeros((4, 4))).shape == (4, 0)


def test_bad_input_is_rejected(rng):
    X = rng.standard_normal((6, 10))
    X[2, 3] = np.nan
    with pytest.raises(InvalidInputError, match="1 NaN/inf"):
        reduce(X)
    with pytest.raises(ShapeMismatchError, match=r"shape \(6,\)"):
        reduce(np.ones(6))
    acc = GramAccumulator(4, 10)
    with pytest.raises(ShapeMismatchError, match="batch has 9 units, the layer has 10"):
        acc.add(np.ones((2, 9)))
    acc.add(np.ones((3, 10)))
    with pytest.raises(ShapeMismatchError, match="only 3 of 4 rows"):
        acc.finalize()
    with pytest.raises(ShapeMismatchError, match="sized for 4"):
        acc.add(np.ones((2, 10)))
    with pytest.raises(ValueError, match="keep_raw=True"):
        acc.raw()


@settings(max_examples=300, deadline=None)
@given(
    n_stimuli=st.integers(1, 50),
    widths=st.lists(st.integers(1, 400), min_size=1, max_size=6),
    budget_units=st.integers(1, 500),
    in_memory_units=st.integers(0, 300),
)
def test_passes_cover_every_unit_once_within_the_budget(
    n_stimuli, widths, budget_units, in_memory_units
):
    """Every unit in exactly one slice, in order; each pass's disk share within the budget;
    layers that fit in RAM whole in the first pass; narrow layers (fewer units than stimuli)
    never split, and an error when one cannot fit; a pass starts only when the next piece
    does not fit the last one."""
    layers = {f"l{i}": w for i, w in enumerate(widths)}
    per_unit = n_stimuli * 4
    budget, in_memory = budget_units * per_unit, in_memory_units * per_unit
    on_disk = {n for n, w in layers.items() if w > in_memory_units}
    if any(layers[n] < n_stimuli and layers[n] > budget_units for n in on_disk):
        with pytest.raises(ConfigError, match="not split.*raise scratch_budget_gb"):
            plan_passes(n_stimuli, layers, budget_bytes=budget, in_memory_bytes=in_memory)
        return
    passes = plan_passes(n_stimuli, layers, budget_bytes=budget, in_memory_bytes=in_memory)
    for name, width in layers.items():
        pieces = [p for unit_slices in passes for p in unit_slices if p.layer == name]
        assert pieces[0].start == 0 and pieces[-1].stop == width  # in order, no gap or overlap
        assert all(a.stop == b.start for a, b in zip(pieces, pieces[1:], strict=False))
        assert all(p.width > 0 for p in pieces)
        if name not in on_disk:
            assert pieces == [UnitSlice(name, 0, width)] and pieces[0] in passes[0]
        elif width < n_stimuli:
            assert pieces == [UnitSlice(name, 0, width)]
    held = [sum(p.width for p in unit_slices if p.layer in on_disk) for unit_slices in passes]
    assert all(h <= budget_units for h in held)
    for k in range(1, len(passes)):
        assert held[k - 1] + passes[k][0].width > budget_units  # the next piece did not fit


def test_a_budget_below_one_unit_is_an_error():
    with pytest.raises(ConfigError, match="cannot hold one unit of 1,000 stimuli"):
        plan_passes(1000, {"wide": 10**6}, budget_bytes=3_999, in_memory_bytes=0)
    with pytest.raises(ConfigError, match=r"layer 'pool' \(512 units, fewer than the 1,000"):
        plan_passes(1000, {"pool": 512}, budget_bytes=4_000 * 511, in_memory_bytes=0)
    assert plan_passes(1000, {"pool": 512}, budget_bytes=0) == [[UnitSlice("pool", 0, 512)]]


@pytest.mark.parametrize("n_units", [3, 29, 30, 31, 80])
def test_narrow_and_wide_layers_give_the_same_reduction(rng, n_units):
    """Fewer units than stimuli go through the p × p Gram of columns; more through the n × n
    Gram of rows. Both give Z Zᵀ = X Xᵀ and the same columns up to sign."""
    X = rng.standard_normal((30, n_units)) * np.geomspace(1, 1e-3, n_units)
    Z = reduce(X).features
    assert Z.shape == (30, min(30, n_units))
    assert rel_err(Z @ Z.T, X @ X.T) < EXACT
    other = reduce_gram(X @ X.T)
    np.testing.assert_allclose(np.abs(Z), np.abs(other), rtol=1e-6, atol=1e-9)
    low_rank = X[:, :2] @ rng.standard_normal((2, n_units))  # rank 2 whatever the width
    assert reduce(low_rank).n_components == 2
