"""How sure is a model–brain score: bootstrap intervals, permutation nulls with calibrated
scores, noise ceilings and paired comparisons of representations, for any registered metric.

Every function takes a bound :class:`~repgeom.metrics.pairwise.Scorer` (a registry entry with
its parameters) and plain representations (arrays, or objects with ``features`` and optionally
``row_mean``, ``n_units``, ``samples``); brains may say which subject each unit was recorded
from (``subjects``: one label per unit). Resamples reuse what the metric prepared where it can
(:meth:`~repgeom.metrics.pairwise.Scorer.score_resamples`: RSA weights its RDM entries, CKA
indexes its centred Gram matrix); the others prepare the resampled rows anew.

Conventions (``s`` a score, larger is better for a similarity and worse for a distance):

- **Score against a brain**: with one subject, ``s(model, brain)``; with several,
  the mean over subjects of ``s(model, subject)`` (rsatoolbox's convention), so that it is on
  the scale of the noise ceiling below.
- **Bootstrap** (``n_bootstrap``): stimuli drawn with replacement, the same draw for every
  model and brain (so differences are paired); percentile interval at ``confidence``, and the
  standard error ``se`` (sd over resamples).
- **Permutation null** (``n_permutations``): the brain's stimuli shuffled, the model's kept;
  ``p = (1 + #{null at least as good as s}) / (1 + n_permutations)`` and the calibrated score
  ``z = ±(s − mean_null) / sd_null``, positive when better than chance; the null's central
  ``confidence`` band.
- **Noise ceiling**: how well the brain agrees with itself. Several subjects: rsatoolbox's
  leave-one-subject-out bounds, lower ``mean_i s(subject_i, others pooled)`` and upper
  ``mean_i s(subject_i, all pooled)`` (a pool concatenates the subjects' units; for a
  distance the first is the larger, and :class:`Ceiling` holds the two in numeric order, the
  band a model's score would fall in if it were as good as a brain). One population:
  split-half over repetitions, ``s(half_A, half_B)`` stepped up to the full number of
  repetitions ``R`` by Spearman–Brown, ``k r / (1 + (k − 1) r)`` with ``k = R / h`` for halves
  of ``h`` repetitions; for an angle ``θ`` the correction applies to ``cos θ``, and a distance
  that is not an angle is reported uncorrected (``correction``). Lower = upper = the mean
  over ``n_splits`` random splits.
- **Paired comparisons**: for every two models against one brain, the bootstrap
  distribution of their score difference ``d``; two-sided
  ``p = min(1, 2 (1 + #{d on the far side of 0}) / (1 + n_bootstrap))``, then
  Benjamini–Hochberg over all pairs of that brain (``q``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.stats import false_discovery_control

from repgeom.errors import InvalidInputError
from repgeom.metrics.pairwise import Data, Scorer, as_data

Measure = Literal["distance", "similarity"]
#: How a split-half value is stepped up to the full repetitions: a similarity (a correlation),
#: an angle (through its cosine) or not at all.
Correction = Literal["similarity", "angle", "none"]
#: The statistics of each (model, brain) pair, in store order.
STATISTICS = (
    "score",
    "ci_low",
    "ci_high",
    "se",
    "null_mean",
    "null_sd",
    "null_low",
    "null_high",
    "p",
    "z",
)
#: Default random splits of the repetitions for a one-population ceiling.
DEFAULT_SPLITS = 20


@dataclass(frozen=True)
class Ceiling:
    """A brain's noise ceiling: its bounds (``lower ≤ upper``), how they were computed (``method``),
    and ``available`` False (bounds NaN) with the reason in ``method`` when they cannot be."""

    lower: float
    upper: float
    method: str
    available: bool = True


@dataclass(frozen=True)
class Inference:
    """Everything :func:`infer` computes for M models against B brains.

    Attributes
    ----------
    statistics : ndarray of shape (M, B, len(STATISTICS))
    comparison_p, comparison_q : ndarray of shape (M, M, B)
        Paired-bootstrap p-values of every two models against each brain and their
        Benjamini–Hochberg q-values (NaN on the diagonal, or without bootstrap resamples).
    ceilings : list of Ceiling, one per brain
    """

    statistics: np.ndarray
    comparison_p: np.ndarray
    comparison_q: np.ndarray
    ceilings: list[Ceiling]

    def statistic(self, name: str) -> np.ndarray:
        """The (M, B) values of one statistic."""
        return self.statistics[..., STATISTICS.index(name)]


def subject_columns(subjects: Sequence[Any] | None, n_units: int) -> list[np.ndarray]:
    """The unit columns of each subject, subjects in order of first appearance (one group
    of all columns without labels)."""
    if subjects is None:
        return [np.arange(n_units)]
    labels = np.asarray(subjects)
    if len(labels) != n_units:
        raise InvalidInputError(f"{len(labels)} subject labels for {n_units} units")
    _, first = np.unique(labels, return_index=True)
    return [np.flatnonzero(labels == labels[i]) for i in sorted(first)]


def unit_subset(rep: Any, columns: np.ndarray, label: str = "") -> Data:
    """The representation of some of a brain's units (features, row means and trials), named
    ``{brain}[{label}]``."""
    data = as_data(rep)
    X = np.asarray(data.features)[:, columns]
    samples = None if data.samples is None else np.asarray(data.samples)[..., columns]
    return Data(X, X.mean(axis=1), len(columns), samples, f"{data.name}[{label}]")


def _prepared(scorer: Scorer, rep: Any) -> Any:
    """``scorer.prepare(rep)``, its error naming the representation."""
    try:
        return scorer.prepare(rep)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{as_data(rep).name}: {exc}") from exc


def _targets(brains: Sequence[Any]) -> tuple[list[Data], list[np.ndarray]]:
    """What each brain is scored against (its subjects, or itself) and, per brain, the
    positions of its targets in the flat list."""
    targets: list[Data] = []
    groups = []
    for brain in brains:
        data = as_data(brain)
        subjects = getattr(brain, "subjects", None)
        cols = subject_columns(subjects, np.shape(data.features)[1])
        start = len(targets)
        if len(cols) == 1:
            targets.append(data)
        else:
            targets += [unit_subset(brain, c, str(np.asarray(subjects)[c[0]])) for c in cols]
        groups.append(np.arange(start, len(targets)))
    return targets, groups


def _per_brain(values: np.ndarray, groups: Sequence[np.ndarray]) -> np.ndarray:
    """Mean over each brain's targets along the last axis."""
    return np.stack([values[..., g].mean(axis=-1) for g in groups], axis=-1)


def step_up(value: float, k: float, correction: Correction) -> float:
    """Spearman–Brown: a split-half agreement stepped up by a factor ``k`` of repetitions,
    ``k r / (1 + (k − 1) r)`` on a similarity, on ``cos θ`` for an angle, unchanged for
    ``correction="none"``.

    Examples
    --------
    >>> round(step_up(0.5, 2, "similarity"), 6)
    0.666667
    """
    if correction == "none":
        return value
    r = np.cos(value) if correction == "angle" else value
    stepped = k * r / (1 + (k - 1) * r) if 1 + (k - 1) * r != 0 else np.nan
    return float(np.arccos(np.clip(stepped, -1, 1))) if correction == "angle" else float(stepped)


def _pair_score(scorer: Scorer, a: Any, b: Any) -> float:
    return float(scorer.score(_prepared(scorer, a), _prepared(scorer, b)))


def noise_ceiling(
    scorer: Scorer,
    brain: Any,
    *,
    correction: Correction,
    n_splits: int = DEFAULT_SPLITS,
    seed: int = 0,
) -> Ceiling:
    """The noise ceiling of one brain (see the module's conventions).

    A brain with one subject and one repetition has none: the result says why
    (``available=False``, NaN bounds) instead of raising, so that the other statistics of a
    run stay usable.
    """
    data = as_data(brain)
    columns = subject_columns(getattr(brain, "subjects", None), np.shape(data.features)[1])
    if len(columns) > 1:
        lower, upper = [], []
        labels = np.asarray(brain.subjects)
        for k, cols in enumerate(columns):
            others = np.concatenate([c for j, c in enumerate(columns) if j != k])
            subject = unit_subset(brain, cols, str(labels[cols[0]]))
            rest = unit_subset(brain, others, f"all but {labels[cols[0]]}")
            lower.append(_pair_score(scorer, subject, rest))
            upper.append(_pair_score(scorer, subject, data))
        bounds = sorted([float(np.mean(lower)), float(np.mean(upper))])
        return Ceiling(*bounds, f"leave-one-subject-out ({len(columns)} subjects)")
    trials = data.samples
    n_reps = 0 if trials is None else np.shape(trials)[1]
    if n_reps < 2:
        return Ceiling(
            np.nan,
            np.nan,
            "unavailable: one subject and one repetition (split-half needs two repetitions "
            "or several subjects)",
            available=False,
        )
    trials = np.asarray(trials)
    half = n_reps // 2
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_splits):
        order = rng.permutation(n_reps)
        halves = [trials[:, order[:half]], trials[:, order[half : 2 * half]]]
        a, b = (Data(t.mean(axis=1), t.mean(axis=(1, 2)), t.shape[2], t) for t in halves)
        values.append(step_up(_pair_score(scorer, a, b), n_reps / half, correction))
    value = float(np.mean(values))
    method = f"split-half over repetitions ({n_splits} splits, {half} of {n_reps} each)"
    if correction != "none":
        method += ", Spearman–Brown"
    return Ceiling(value, value, method)


def paired_comparisons(samples: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired-bootstrap p- and Benjamini–Hochberg q-values of every two models per brain.

    ``samples`` (n_bootstrap, M, B) and ``observed`` (M, B); returns two (M, M, B) arrays,
    symmetric, NaN on the diagonal (and everywhere without resamples).
    """
    n_boot, n_models, n_brains = samples.shape
    p = np.full((n_models, n_models, n_brains), np.nan)
    q = np.full_like(p, np.nan)
    if n_boot == 0 or n_models < 2:
        return p, q
    i, j = np.triu_indices(n_models, 1)
    for b in range(n_brains):
        d = samples[:, i, b] - samples[:, j, b]  # (n_boot, pairs)
        below = np.sum(d <= 0, axis=0)
        above = np.sum(d >= 0, axis=0)
        pv = np.minimum(1.0, 2 * (1 + np.minimum(below, above)) / (1 + n_boot))
        ok = np.isfinite(d).all(axis=0) & np.isfinite(observed[i, b] - observed[j, b])
        qv = np.full_like(pv, np.nan)
        if ok.any():
            qv[ok] = false_discovery_control(pv[ok], method="bh")
        pv[~ok] = np.nan
        p[i, j, b] = p[j, i, b] = pv
        q[i, j, b] = q[j, i, b] = qv
    return p, q


def infer(
    scorer: Scorer,
    measure: Measure,
    models: Sequence[Any],
    brains: Sequence[Any],
    *,
    correction: Correction = "none",
    n_bootstrap: int = 1000,
    n_permutations: int = 1000,
    confidence: float = 0.95,
    n_splits: int = DEFAULT_SPLITS,
    seed: int = 0,
    progress: bool | None = None,
) -> Inference:
    """Scores of every model against every brain with their uncertainty, nulls, ceilings and
    paired comparisons (see the module's conventions). ``n_bootstrap=0`` or
    ``n_permutations=0`` leave the statistics that need them NaN.

    The bootstrap draws come from ``seed`` and the permutations from ``seed + 1``, so adding
    resamples of one kind does not change the other's.

    Raises
    ------
    InvalidInputError
        Without models or brains, for a negative number of resamples, a ``confidence`` outside
        (0, 1), representations on different numbers of stimuli, or one the metric cannot
        prepare (the message names it, e.g. ``v1[v1_s2]`` for a subject).
    """
    if not models or not brains:
        raise InvalidInputError("inference needs at least one model and one brain")
    if n_bootstrap < 0 or n_permutations < 0 or not 0 < confidence < 1:
        raise InvalidInputError(
            f"n_bootstrap={n_bootstrap} and n_permutations={n_permutations} must be ≥ 0 and "
            f"confidence={confidence} in (0, 1)"
        )
    n = {np.shape(as_data(r).features)[0] for r in [*models, *brains]}
    if len(n) != 1:
        raise InvalidInputError(f"representations on different numbers of stimuli: {sorted(n)}")
    n_stimuli = n.pop()
    targets, groups = _targets(brains)
    scorer = scorer.for_set([*models, *targets])
    prepared = [_prepared(scorer, r) for r in models]
    observed = _per_brain(
        scorer.score_block(prepared, [_prepared(scorer, t) for t in targets], n_jobs=1), groups
    )
    sign = -1.0 if measure == "distance" else 1.0
    tail = (1 - confidence) / 2
    stats = np.full((len(models), len(brains), len(STATISTICS)), np.nan)
    stats[..., STATISTICS.index("score")] = observed

    def put(name: str, values: np.ndarray) -> None:
        stats[..., STATISTICS.index(name)] = values

    boot = np.empty((0, len(models), len(brains)))
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        draws = [rng.integers(0, n_stimuli, n_stimuli) for _ in range(n_bootstrap)]
        boot = _per_brain(scorer.score_resamples(models, targets, draws, progress=progress), groups)
        put("ci_low", np.quantile(boot, tail, axis=0))
        put("ci_high", np.quantile(boot, 1 - tail, axis=0))
        put("se", boot.std(axis=0, ddof=1) if n_bootstrap > 1 else np.nan)
    if n_permutations:
        rng = np.random.default_rng(seed + 1)
        perms = [rng.permutation(n_stimuli) for _ in range(n_permutations)]
        null = _per_brain(
            scorer.score_resamples(models, targets, perms, shuffle_cols=True, progress=progress),
            groups,
        )
        mean, sd = null.mean(axis=0), null.std(axis=0, ddof=1) if n_permutations > 1 else np.nan
        put("null_mean", mean)
        put("null_sd", sd)
        put("null_low", np.quantile(null, tail, axis=0))
        put("null_high", np.quantile(null, 1 - tail, axis=0))
        extreme = np.sum(sign * null >= sign * observed, axis=0)
        put("p", (1 + extreme) / (1 + n_permutations))
        with np.errstate(invalid="ignore", divide="ignore"):
            put("z", np.where(sd > 0, sign * (observed - mean) / sd, np.nan))
    p, q = paired_comparisons(boot, observed)
    ceilings = [
        noise_ceiling(scorer, b, correction=correction, n_splits=n_splits, seed=seed)
        for b in brains
    ]
    return Inference(stats, p, q, ceilings)
