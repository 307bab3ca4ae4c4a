"""Inference for model–brain scores (repgeom.inference): resampling paths that reuse what a
metric prepared equal preparing the resampled rows anew; permutation p-values are calibrated;
bootstrap intervals cover; noise ceilings recover the brain-to-brain agreement the simulator
knows; bad input gives clear results or errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from repgeom.errors import InvalidInputError
from repgeom.inference import STATISTICS, infer, noise_ceiling, paired_comparisons, step_up
from repgeom.metrics.pairwise import Data, Scorer, as_data
from repgeom.metrics.registry import get
from repgeom.neural import simulate_v1


def _latent_pair(n: int, seed: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Two nonlinear views of one latent stimulus distribution."""
    A = np.random.default_rng(99).standard_normal((4, 30))
    B = np.random.default_rng(98).standard_normal((4, 20))
    Z = np.random.default_rng(seed).standard_normal((n, 4))
    return np.tanh(Z @ A), np.tanh(Z @ B) + noise * np.tanh(Z[:, :2] ** 2 @ B[:2])


def _explicit(scorer: Scorer, rows, cols, samples, shuffle_cols: bool) -> np.ndarray:
    """Each resample prepared from its rows (no reuse of prepared representations)."""
    out = np.empty((len(samples), len(rows), len(cols)))
    for k, idx in enumerate(samples):
        for i, r in enumerate(rows):
            a = scorer.prepare(r if shuffle_cols else r[idx])
            for j, c in enumerate(cols):
                out[k, i, j] = float(scorer.score(a, scorer.prepare(c[idx])))
    return out


_GRAM = [
    ("angular_cka", {"kernel": "linear"}),
    ("angular_cka", {"kernel": "linear", "use_unbiased_hsic": False}),
    ("cka", {}),
]
_ROWS = [
    ("linear_shape", {"alpha": 1.0}),
    ("linear_shape", {"alpha": 0.5, "score_method": "euclidean"}),
    ("linear_shape", {"alpha": 0.0}),
    ("linear_cka_angle", {}),
]


@pytest.mark.parametrize(
    ("method", "params", "shuffle_cols"),
    [(m, p, s) for m, p in _ROWS for s in (False, True)] + [(m, p, True) for m, p in _GRAM],
)
def test_resamples_reuse_prepared_exactly(method, params, shuffle_cols, rng) -> None:
    X, Y = _latent_pair(40, 0)
    rows, cols = [X, X[:, :12] + rng.standard_normal((40, 12))], [Y, Y[:, :7]]
    samples = [
        rng.integers(0, 40, 40) if not shuffle_cols else rng.permutation(40) for _ in range(4)
    ]
    scorer = get(method).bind(**params)
    fast = scorer.score_resamples(rows, cols, samples, shuffle_cols=shuffle_cols)
    # linear_shape scores blocks through eigenvalues of the smaller Gram side: √ε precision
    rtol = 1e-8 if method == "linear_shape" else 0
    np.testing.assert_allclose(
        fast, _explicit(scorer, rows, cols, samples, shuffle_cols), rtol=rtol, atol=1e-12
    )


@pytest.mark.parametrize("unbiased", [True, False])
def test_cka_bootstrap_leaves_out_copies_of_a_stimulus(unbiased, rng) -> None:
    """A bootstrap sample's angular CKA sums over pairs of distinct stimuli only: the centred
    Gram entries of a stimulus against its own copy are left out (and the diagonal too for
    the unbiased estimator), as rsatoolbox does for resampled RDMs."""
    X, Y = _latent_pair(30, 1)
    idx = rng.integers(0, 30, 30)
    scorer = get("angular_cka").bind(kernel="linear", use_unbiased_hsic=unbiased)

    def point(Z: np.ndarray) -> np.ndarray:
        K = Z[idx] @ Z[idx].T
        K = K - K.mean(0) - K.mean(1)[:, None] + K.mean()
        left_out = idx[:, None] == idx[None, :]
        if not unbiased:
            left_out &= ~np.eye(30, dtype=bool)
        K[left_out] = 0
        return K / np.linalg.norm(K)

    want = np.arccos(np.sum(point(X) * point(Y)))
    got = scorer.score_resamples([X], [Y], [idx])[0, 0, 0]
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("comparator", ["spearman", "corr", "cosine", "kendall"])
@pytest.mark.parametrize("shuffle_cols", [False, True])
def test_rsa_weighted_resamples_equal_rsatoolbox_subsampling(comparator, shuffle_cols, rng):
    """RSA's batched path (weights on the original entries) equals comparing the explicitly
    resampled RDMs with a stimulus against its own copy left out (rsatoolbox's
    subsample_pattern); integer features make tied RDM entries."""
    X = rng.integers(0, 3, (30, 4)).astype(float)
    Y = rng.integers(0, 3, (30, 5)).astype(float) + X[:, :1]
    scorer = get("rsa").bind(rdm_method="euclidean", comparator=comparator)
    samples = [rng.permutation(30) if shuffle_cols else rng.integers(0, 30, 30) for _ in range(3)]
    fast = scorer.score_resamples([X, Y], [Y], samples, shuffle_cols=shuffle_cols)
    general = Scorer.score_resamples(scorer, [X, Y], [Y], samples, shuffle_cols=shuffle_cols)
    np.testing.assert_allclose(fast, general, atol=1e-12)
    from repgeom.metrics.rsa import compare_rdms, rdm

    idx = samples[0]
    i, j = np.triu_indices(30, 1)
    keep = np.ones(len(i), bool) if shuffle_cols else idx[i] != idx[j]
    a = np.asarray(rdm(X if shuffle_cols else X[idx], "euclidean"))
    b = np.asarray(rdm(Y[idx], "euclidean"))
    assert fast[0, 0, 0] == pytest.approx(compare_rdms(a[keep], b[keep], comparator), abs=1e-12)


def test_permutation_p_is_uniform_and_z_standard_normal() -> None:
    """Two independent representations: p ~ U(0, 1) (Kolmogorov–Smirnov) and z ~ N(0, 1)."""
    scorer = get("rsa").bind(comparator="corr")
    p, z = [], []
    for seed in range(150):
        r = np.random.default_rng(seed)
        res = infer(
            scorer,
            "similarity",
            [r.standard_normal((25, 6))],
            [r.standard_normal((25, 5))],
            n_bootstrap=0,
            n_permutations=199,
            seed=seed,
        )
        p.append(res.statistic("p")[0, 0])
        z.append(res.statistic("z")[0, 0])
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert abs(np.mean(z)) < 0.25
    assert 0.8 < np.std(z) < 1.2


@pytest.mark.parametrize(("method", "params"), [("rsa", {}), ("linear_shape", {"alpha": 1.0})])
def test_noisy_copy_is_far_from_chance(method, params, rng) -> None:
    X = rng.standard_normal((40, 8))
    info = get(method)
    res = infer(
        info.bind(**params),
        info.measure,
        [X],
        [X + 0.3 * rng.standard_normal((40, 8))],
        n_bootstrap=0,
        n_permutations=199,
    )
    assert res.statistic("p")[0, 0] < 0.01
    assert res.statistic("z")[0, 0] > 3


def test_bootstrap_interval_covers_at_about_the_nominal_rate() -> None:
    """95% intervals on 80 stimuli contain the population score (from 1,500 stimuli) in about
    95% of 100 draws (binomial sd 2.2%)."""
    scorer = get("rsa").bind(comparator="corr")
    truth = float(scorer.score(*map(scorer.prepare, _latent_pair(1500, 12345))))
    hits = 0
    for seed in range(100):
        X, Y = _latent_pair(80, seed)
        res = infer(scorer, "similarity", [X], [Y], n_bootstrap=300, n_permutations=0, seed=seed)
        hits += res.statistic("ci_low")[0, 0] <= truth <= res.statistic("ci_high")[0, 0]
    assert 0.88 <= hits / 100 <= 1.0


@pytest.fixture(scope="module")
def v1_rates() -> np.ndarray:
    """Noise-free rates of a simulated V1 population to 60 random images."""
    images = np.random.default_rng(0).random((60, 1, 16, 16))
    stimuli = xr.Dataset(
        {"images": (("stimulus", "channel", "y", "x"), images)},
        coords={
            "stimulus_id": ("stimulus", [f"s{i}" for i in range(60)]),
            "category": ("stimulus", ["a"] * 60),
        },
    )
    return simulate_v1(stimuli, n_neuroids=40, n_repetitions=4, seed=0)["rates"].values


def _recording(rates: np.ndarray, seed: int, n_reps: int = 4) -> Data:
    trials = (
        np.random.default_rng(seed)
        .poisson(rates[:, None, :], (rates.shape[0], n_reps, rates.shape[1]))
        .astype(float)
    )
    return Data(trials.mean(1), trials.mean((1, 2)), rates.shape[1], trials)


@pytest.mark.parametrize(
    ("method", "params", "correction"),
    [
        ("rsa", {}, "similarity"),
        ("cka", {}, "similarity"),
        ("angular_cka", {"kernel": "linear"}, "angle"),
        ("linear_shape", {"alpha": 1.0}, "angle"),
    ],
)
def test_split_half_ceiling_recovers_brain_to_brain_agreement(
    v1_rates, method, params, correction
) -> None:
    """The ceiling from one recording (split-half, Spearman–Brown) ≈ the agreement of two
    independent recordings of the same noise-free rates, which the simulator lets us draw."""
    scorer = get(method).bind(**params)
    truth = np.mean(
        [
            float(
                scorer.score(
                    scorer.prepare(_recording(v1_rates, 2 * s)),
                    scorer.prepare(_recording(v1_rates, 2 * s + 1)),
                )
            )
            for s in range(10)
        ]
    )
    ceilings = [
        noise_ceiling(scorer, _recording(v1_rates, 100 + s), correction=correction)
        for s in range(10)
    ]
    estimate = np.mean([c.lower for c in ceilings])
    assert all(c.available and c.lower == c.upper for c in ceilings)
    # Spearman–Brown is exact for correlations of parallel measurements; RDM correlations,
    # CKA and shape angles follow it closely but not exactly
    assert estimate == pytest.approx(truth, abs=0.05)


def test_leave_one_subject_out_bounds_bracket_a_model_like_the_brain(rng) -> None:
    """Several subjects (different neurons driven by one low-dimensional stimulus space):
    0 < lower ≤ upper, and a model that is a fresh recording of the same rates scores between
    chance and the upper bound."""
    rates = np.exp(0.6 * rng.standard_normal((60, 3)) @ rng.standard_normal((3, 40)))
    rec = _recording(rates, 1)
    brain = SimpleNamespace(
        features=rec.features,
        row_mean=rec.row_mean,
        n_units=40,
        samples=rec.samples,
        subjects=np.repeat(["s1", "s2"], 20),
    )
    scorer = get("rsa").bind()
    res = infer(
        scorer,
        "similarity",
        [_recording(rates, 7).features],
        [brain],
        n_bootstrap=0,
        n_permutations=0,
    )
    (ceiling,) = res.ceilings
    assert ceiling.method.startswith("leave-one-subject-out (2 subjects)")
    assert 0 < ceiling.lower <= ceiling.upper
    assert 0 < res.statistic("score")[0, 0] <= ceiling.upper


def test_paired_comparisons_find_the_better_model(rng) -> None:
    X = rng.standard_normal((60, 10))
    good, bad = X + 0.2 * rng.standard_normal((60, 10)), X + 3 * rng.standard_normal((60, 10))
    res = infer(
        get("rsa").bind(),
        "similarity",
        [good, bad, good.copy()],
        [X],
        n_bootstrap=300,
        n_permutations=0,
    )
    q = res.comparison_q[..., 0]
    assert q[0, 1] < 0.05 and q[1, 0] == q[0, 1]
    assert q[0, 2] == 1.0  # identical scores in every resample
    assert np.isnan(np.diag(q)).all()
    assert (res.comparison_q >= res.comparison_p)[np.isfinite(res.comparison_q)].all()


def test_paired_comparisons_without_resamples_are_nan() -> None:
    p, q = paired_comparisons(np.empty((0, 3, 1)), np.zeros((3, 1)))
    assert np.isnan(p).all() and np.isnan(q).all()


def test_step_up_known_answers() -> None:
    assert step_up(0.5, 2, "similarity") == pytest.approx(2 / 3)
    assert step_up(np.arccos(0.5), 2, "angle") == pytest.approx(np.arccos(2 / 3))
    assert step_up(0.7, 2, "none") == 0.7
    assert step_up(1.0, 3, "similarity") == pytest.approx(1.0)


def test_one_repetition_marks_the_ceiling_unavailable(rng) -> None:
    trials = rng.poisson(3.0, (20, 1, 6)).astype(float)
    brain = Data(trials[:, 0], trials[:, 0].mean(1), 6, trials)
    res = infer(
        get("rsa").bind(),
        "similarity",
        [rng.standard_normal((20, 4))],
        [brain],
        n_bootstrap=0,
        n_permutations=0,
    )
    (ceiling,) = res.ceilings
    assert not ceiling.available and np.isnan(ceiling.lower)
    assert "one repetition" in ceiling.method


def test_no_resamples_leave_their_statistics_nan(rng) -> None:
    X, Y = rng.standard_normal((20, 4)), rng.standard_normal((20, 3))
    res = infer(get("rsa").bind(), "similarity", [X], [Y], n_bootstrap=0, n_permutations=0)
    assert np.isfinite(res.statistic("score")).all()
    others = [s for s in STATISTICS if s != "score"]
    assert all(np.isnan(res.statistic(s)).all() for s in others)


class _Constant(Scorer):
    """A metric blind to stimulus order: its null has no spread."""

    def prepare(self, rep):
        return np.asarray(as_data(rep).features)

    def score(self, a, b):
        return float(len(a) + len(b))


def test_a_metric_without_a_null_spread_gives_no_z(rng) -> None:
    X, Y = rng.standard_normal((15, 3)), rng.standard_normal((15, 2))
    res = infer(_Constant(), "similarity", [X], [Y], n_bootstrap=0, n_permutations=50)
    assert res.statistic("p")[0, 0] == 1.0
    assert np.isnan(res.statistic("z")[0, 0])


@pytest.mark.parametrize(
    "kwargs",
    [{"n_bootstrap": -1}, {"n_permutations": -5}, {"confidence": 1.0}],
)
def test_bad_arguments_are_errors(kwargs, rng) -> None:
    X = rng.standard_normal((10, 3))
    with pytest.raises(InvalidInputError):
        infer(get("rsa").bind(), "similarity", [X], [X], **kwargs)


def test_representations_on_different_stimuli_are_an_error(rng) -> None:
    with pytest.raises(InvalidInputError, match="different numbers of stimuli"):
        infer(
            get("rsa").bind(),
            "similarity",
            [rng.standard_normal((10, 3))],
            [rng.standard_normal((12, 3))],
            n_bootstrap=0,
            n_permutations=0,
        )


def test_a_representation_the_metric_cannot_prepare_is_named(rng) -> None:
    brain = SimpleNamespace(
        features=np.hstack([rng.standard_normal((10, 3)), np.ones((10, 3))]),
        name="v1",
        subjects=np.repeat(["a", "b"], 3),
    )
    with pytest.raises(InvalidInputError, match=r"v1\[b\]: correlation distance is undefined"):
        infer(
            get("rsa").bind(),
            "similarity",
            [rng.standard_normal((10, 4))],
            [brain],
            n_bootstrap=0,
            n_permutations=0,
        )
