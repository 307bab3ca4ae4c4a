"""Missing trials (NaN) in recorded responses, on plain arrays (no xarray).

A recording marks a trial it does not have with NaN. The conventions every analysis follows:

- a **valid trial** of a neuroid is a (stimulus, repetition) whose response is finite (for clips:
  at every time bin);
- the **trial mean** of a neuroid on a stimulus (and time bin) is the mean over its valid trials
  only (:func:`nan_mean`);
- a neuroid without a single valid trial for some stimulus (or stimulus and time bin) has no
  trial mean there: it is **incomplete** (:func:`incomplete_neuroids`) and is dropped, with a
  logged warning that counts and names the dropped neuroids;
- the stochastic metrics, which take the repetitions as samples, see a missing trial as the
  neuroid's trial mean on that stimulus (:func:`fill_missing`): the trial means stay exact, the
  spread over repetitions shrinks slightly;
- ``inf`` is never a valid value: it is an error wherever it is found.

The functions take responses in the neural store's dim order (stimulus, repetition,
neuroid[, time]); :func:`nan_mean` and :func:`fill_missing` take the repetitions' ``axis``.
"""

from __future__ import annotations

import numpy as np


def valid_trials(responses: np.ndarray) -> np.ndarray:
    """Whether each trial of (stimulus, repetition, neuroid[, time]) responses is valid: bool
    (stimulus, repetition, neuroid); a clip's trial is valid when every time bin is finite."""
    finite = np.isfinite(np.asarray(responses, dtype=np.float64))
    return finite.all(axis=3) if finite.ndim == 4 else finite


def trial_counts(responses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid trials per neuroid of (stimulus, repetition, neuroid[, time]) responses:
    ``(n_trials, min_trials)``, the total over stimuli and the fewest of any one stimulus."""
    valid = valid_trials(responses)
    per_stimulus = valid.sum(axis=1)  # (stimulus, neuroid)
    empty = np.zeros(valid.shape[2], dtype=np.int64)
    return (
        per_stimulus.sum(axis=0).astype(np.int64),
        per_stimulus.min(axis=0).astype(np.int64) if len(per_stimulus) else empty,
    )


def nan_mean(responses: np.ndarray, *, axis: int = 1) -> np.ndarray:
    """Mean over ``axis`` of the finite entries only; NaN where there is none (no warning)."""
    x = np.asarray(responses, dtype=np.float64)
    ok = ~np.isnan(x)
    if ok.all():
        return x.mean(axis=axis)
    count = ok.sum(axis=axis)
    total = np.where(ok, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def incomplete_neuroids(responses: np.ndarray) -> np.ndarray:
    """Bool per neuroid of (stimulus, repetition, neuroid[, time]) responses: whether some
    stimulus (or stimulus and time bin) has no valid trial, so that its trial mean there is
    undefined."""
    empty = np.isnan(np.asarray(responses, dtype=np.float64)).all(axis=1)
    others = tuple(a for a in range(empty.ndim) if a != 1)  # (stimulus, neuroid[, time])
    return empty.any(axis=others)


def fill_missing(responses: np.ndarray, *, axis: int = 1) -> np.ndarray:
    """``responses`` with each NaN replaced by the mean of the valid trials on the same stimulus
    (and neuroid, time bin): what the stochastic metrics take as samples."""
    x = np.asarray(responses, dtype=np.float64)
    missing = np.isnan(x)
    if not missing.any():
        return x
    mean = np.expand_dims(nan_mean(x, axis=axis), axis)
    return np.where(missing, np.broadcast_to(mean, x.shape), x)
