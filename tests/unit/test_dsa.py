"""DSA: delay embedding, DMD, the similarity-transform distance, and bad input."""

import numpy as np
import pytest
import scipy.linalg
import xarray as xr
from scipy.stats import ortho_group

from repgeom.dsa import DMD, DSA, SimilarityTransformDist, delay_embed, dsa_distances
from repgeom.errors import InvalidInputError, NotFittedError, ShapeMismatchError


def _linear_system(A: np.ndarray, T: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros((T, len(A)))
    for t in range(1, T):
        x[t] = A @ x[t - 1] + rng.standard_normal(len(A))
    return x


def _rotation_dynamics(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    blocks = np.zeros((n, n))
    for k in range(0, n - 1, 2):
        r, a = rng.uniform(0.8, 0.98), rng.uniform(0.05, 0.5)
        blocks[k : k + 2, k : k + 2] = r * np.array(
            [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
        )
    Q = ortho_group.rvs(n, random_state=seed)
    return Q @ blocks @ Q.T


def test_delay_embedding_puts_the_newest_block_first():
    X = np.arange(12, dtype=float).reshape(6, 2)
    H = delay_embed(X, n_delays=3, delay_interval=2)
    assert H.shape == (2, 6)
    np.testing.assert_array_equal(H[0], np.r_[X[4], X[2], X[0]])
    trials = delay_embed(np.stack([X, X + 100]), n_delays=2)
    assert trials.shape == (2, 5, 4)
    np.testing.assert_array_equal(trials[1, 0], np.r_[X[1], X[0]] + 100)


def test_dmd_recovers_a_linear_map_in_its_own_coordinates():
    A = _rotation_dynamics(4, 0)
    model = DMD(_linear_system(A, T=4000), n_delays=1).fit()
    # A_v is A in the SVD coordinates of the data: the same eigenvalues
    got = np.sort_complex(np.linalg.eigvals(model.A_v))
    want = np.sort_complex(np.linalg.eigvals(A))
    assert np.abs(got - want).max() < 0.05


def test_orthogonal_conjugate_is_at_distance_zero_in_both_components():
    A = _rotation_dynamics(6, 1)
    for seed in range(2):
        Q = ortho_group.rvs(6, random_state=seed + 10)
        if (np.linalg.det(Q) > 0) == (seed == 0):
            Q[:, 0] *= -1  # one det −1 and one det +1 conjugation
        for score in ("angular", "euclidean"):
            d = SimilarityTransformDist(score_method=score).fit_score(A, Q @ A @ Q.T)
            assert d < 1e-5


def test_special_orthogonal_group_cannot_undo_a_reflection():
    A = _rotation_dynamics(6, 2)
    R = np.eye(6)
    R[0, 0] = -1
    B = R @ A @ R
    assert SimilarityTransformDist(group="O(n)").fit_score(A, B) < 1e-5
    # A's commutant in O(n) is rotations within its 2-planes (det +1): SO(n) cannot reach B
    assert SimilarityTransformDist(group="SO(n)").fit_score(A, B) > 0.05


def test_general_linear_conjugate_is_at_distance_zero():
    A = _rotation_dynamics(6, 3)
    M = np.random.default_rng(3).standard_normal((6, 6)) + 3 * np.eye(6)
    B = M @ A @ np.linalg.inv(M)
    assert SimilarityTransformDist(group="GL(n)").fit_score(A, B) < 1e-4
    assert SimilarityTransformDist(score_method="wasserstein").fit_score(A, B) < 1e-8


def test_dsa_of_a_rotated_copy_is_zero_and_output_shapes():
    X = _linear_system(_rotation_dynamics(4, 4))
    Q = ortho_group.rvs(4, random_state=4)
    Y = _linear_system(_rotation_dynamics(4, 5), seed=1)
    assert DSA(X, X @ Q.T, score_method="angular").fit_score() < 1e-4
    D = DSA([X, X @ Q.T, Y], score_method="angular").fit_score()
    assert D.shape == (3, 3) and np.allclose(D, D.T) and (np.diag(D) == 0).all()
    assert D[0, 2] > 0.05
    cross = DSA([X, Y], [Y], score_method="angular").fit_score()
    assert cross.shape == (2, 1) and abs(cross[1, 0]) < 1e-6
    da = dsa_distances({"x": X, "y": Y}, score_method="angular")
    assert isinstance(da, xr.DataArray) and da.dims == ("rep_a", "rep_b")
    assert list(da.rep_a.values) == ["x", "y"] and da.attrs["score_method"] == "angular"


def test_a_rank_above_the_embedding_is_lowered_with_a_warning():
    """dsa-metric lowers such a rank silently (its test_dmd_rank relies on it); we warn."""
    data = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.warns(UserWarning, match="rank=5"):
        dmd = DMD(data, rank=5).fit()
    assert dmd.A_v.shape[-1] == 2


def test_results_are_deterministic():
    A, B = _rotation_dynamics(8, 6), _rotation_dynamics(8, 7)
    first = SimilarityTransformDist().fit_score(A, B)
    assert SimilarityTransformDist().fit_score(A, B) == first


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: delay_embed(np.zeros((5, 2)), n_delays=3, delay_interval=2),
            InvalidInputError,
            "too few",
        ),
        (lambda: DMD(np.full((50, 2), np.nan)).fit(), InvalidInputError, "NaN"),
        (
            lambda: DMD(np.zeros((50, 2)), rank=1, rank_thresh=0.1).fit(),
            InvalidInputError,
            "at most one",
        ),
        (
            lambda: DMD(np.random.default_rng(0).standard_normal((5, 4)), n_delays=3).fit(),
            InvalidInputError,
            "rows",
        ),
        (
            lambda: SimilarityTransformDist().fit_score(np.eye(3), np.eye(4)),
            ShapeMismatchError,
            "wasserstein",
        ),
        (lambda: SimilarityTransformDist(group="U(n)"), InvalidInputError, "group"),
        (lambda: SimilarityTransformDist(score_method="cosine"), InvalidInputError, "score_method"),
        (
            lambda: SimilarityTransformDist().fit_score(np.zeros((3, 3)), np.eye(3)),
            InvalidInputError,
            "zeros",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_score_before_fit_is_a_clear_error():
    with pytest.raises(NotFittedError, match="fit"):
        SimilarityTransformDist().score()
    with pytest.raises(NotFittedError, match="fit"):
        DSA([np.eye(3)]).score()


def test_operators_of_different_sizes_compare_by_wasserstein():
    d = SimilarityTransformDist(score_method="wasserstein").fit_score(np.eye(3), 0.5 * np.eye(2))
    # eigenvalues {1,1,1} vs {0.5,0.5,0}: squared costs 0.25, 0.25, 1 at weight 1/3
    assert d == pytest.approx(0.5)


def test_batched_pairs_equal_pair_by_pair_search():
    """fit_score_many runs every pair in one tensor program and gives fit_score's values;
    GL(n) and operators of another size take the per-pair path inside the same call."""
    rng = np.random.default_rng(3)
    ops = [rng.standard_normal((5, 5)) for _ in range(4)] + [rng.standard_normal((3, 3))] * 2
    pairs = [(ops[0], ops[1]), (ops[2], ops[3]), (ops[1], ops[3]), (ops[4], ops[5])]
    for group in ("O(n)", "SO(n)", "GL(n)"):
        sd = SimilarityTransformDist(score_method="angular", group=group)
        many = sd.fit_score_many(pairs)
        single = [
            SimilarityTransformDist(score_method="angular", group=group).fit_score(a, b)
            for a, b in pairs
        ]
        np.testing.assert_allclose(many, single, atol=1e-7)
        assert many[-1] < 1e-6  # an operator against itself


def test_large_operators_search_in_float32_and_end_exact():
    """Operators of 64 × 64 and more are searched in float32 and then polished in float64:
    from a start near the answer, float32 alone stops where f no longer changes in float32
    (1 − cos ≈ 1e-8, an angle of ~1e-4); the polish must take it to float64 round-off."""
    from repgeom.dsa.simdist import _optimise_orthogonal

    rng = np.random.default_rng(7)
    n = 64
    A = rng.standard_normal((n, n))
    A /= np.linalg.norm(A)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    K = rng.standard_normal((n, n)) / np.sqrt(n)
    start = Q @ scipy.linalg.expm(1e-3 * (K - K.T))
    cos, C = _optimise_orthogonal(A[None], (Q.T @ A @ Q)[None], start[None, None], 300, 1e-9)
    assert np.arccos(min(cos[0], 1.0)) < 1e-6
    np.testing.assert_allclose(C[0] @ C[0].T, np.eye(n), atol=1e-10)


def test_large_operators_give_the_value_of_their_c():
    """The distance reported for a float32-searched pair is the float64 value of C_star."""
    rng = np.random.default_rng(8)
    n = 64
    A, B = rng.standard_normal((2, n, n))
    sd = SimilarityTransformDist(score_method="angular", max_iter=60)
    d = sd.fit_score(A, B)
    C = sd.C_star
    np.testing.assert_allclose(C @ C.T, np.eye(n), atol=1e-10)
    cos = np.sum(A * (C @ B @ C.T)) / (np.linalg.norm(A) * np.linalg.norm(B))
    assert d == pytest.approx(np.arccos(cos), abs=1e-12)
    assert d < np.arccos(np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B)))


def test_search_survives_set_num_threads():
    """Batched LU solves of 200 × 200 matrices fail in torch's MKL build once
    ``torch.set_num_threads(2)`` has been called (the DSA benchmark calls it); the Cayley
    steps must not depend on them."""
    import torch

    threads = torch.get_num_threads()
    rng = np.random.default_rng(9)
    A, B = rng.standard_normal((2, 200, 200))
    try:
        torch.set_num_threads(2)
        d = SimilarityTransformDist(score_method="angular", max_iter=3)
        assert 0 < d.fit_score(A, B) < np.pi / 2
    finally:
        torch.set_num_threads(threads)
