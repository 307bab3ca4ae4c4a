"""A simulated V1-like population with known ground truth.

Each neuroid is a Gabor-energy unit (Adelson & Bergen 1985; Carandini et al. 2005):

- linear filters: ``G_φ(x) = exp(-‖x − c‖² / 2σ²) · cos(2π f ⟨x − c, u_θ⟩ + φ)`` on the image's
  luminance (mean over channels minus the mean grey level), with random preferred orientation
  θ, spatial frequency f (log-uniform, cycles per image), receptive-field centre c, phase φ and
  size σ = ``bandwidth`` / f;
- simple cells: drive ``d = max(0, ⟨G_φ, I⟩)``; complex cells: ``d = √(⟨G_0, I⟩² + ⟨G_{π/2}, I⟩²)``;
- for clips the linear responses are first filtered in time with a causal kernel
  ``h(t) ∝ t·exp(−t/τ)`` (an alpha function over frames), then rectified / squared;
- output nonlinearity: ``rate = baseline + gain · (d / s)^p`` with ``s`` the neuroid's drive
  standard deviation over stimuli and ``gain`` drawn per neuroid, log-uniformly in
  ``gain_range``, so that reliabilities (and noise ceilings) vary across the population as
  in recordings;
- spike counts ``~ Poisson(rate)``, independently for each of R repetitions.

The noise-free ``rates`` are stored beside the counts, so noise ceilings and encoding models can
be checked against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from repgeom import store
from repgeom.errors import InvalidInputError

#: Mean grey level subtracted from luminance before filtering (stimuli live in [0, 1]).
MEAN_LUMINANCE = 0.5
#: Floor of a neuroid's drive scale, so that a unit silent on every stimulus does not divide by 0.
MIN_DRIVE_SCALE = 1e-12


@dataclass(frozen=True)
class V1Population:
    """Parameters of a simulated population (one entry per neuroid).

    Attributes
    ----------
    orientation : ndarray of shape (n_neuroids,)
        Preferred orientation in degrees, in [0, 180).
    spatial_frequency : ndarray of shape (n_neuroids,)
        Preferred spatial frequency in cycles per image.
    phase : ndarray of shape (n_neuroids,)
        Phase of the simple cells' filter in radians.
    center : ndarray of shape (n_neuroids, 2)
        Receptive-field centre (y, x) as fractions of the image side.
    sigma : ndarray of shape (n_neuroids,)
        Gaussian envelope width as a fraction of the image side.
    complex_cell : ndarray of shape (n_neuroids,)
        True for energy (complex) units, False for half-rectified (simple) units.
    """

    orientation: np.ndarray
    spatial_frequency: np.ndarray
    phase: np.ndarray
    center: np.ndarray
    sigma: np.ndarray
    complex_cell: np.ndarray

    @classmethod
    def sample(
        cls,
        n_neuroids: int,
        *,
        rng: np.random.Generator,
        sf_range: tuple[float, float] = (2.0, 10.0),
        bandwidth: float = 0.5,
        complex_fraction: float = 0.5,
        rf_spread: float = 0.25,
    ) -> V1Population:
        """Draw a population: orientations uniform, frequencies log-uniform in ``sf_range``,
        centres uniform within ``rf_spread`` of the image centre, σ = bandwidth / f."""
        sf = np.exp(rng.uniform(np.log(sf_range[0]), np.log(sf_range[1]), n_neuroids))
        return cls(
            orientation=rng.uniform(0.0, 180.0, n_neuroids),
            spatial_frequency=sf,
            phase=rng.uniform(0.0, 2 * np.pi, n_neuroids),
            center=0.5 + rng.uniform(-rf_spread, rf_spread, (n_neuroids, 2)),
            sigma=bandwidth / sf,
            complex_cell=rng.random(n_neuroids) < complex_fraction,
        )

    def filters(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the even and odd (quadrature) Gabor filters, each (n_neuroids, size, size)."""
        grid = (np.arange(size) + 0.5) / size
        yy, xx = np.meshgrid(grid, grid, indexing="ij")
        dy = yy[None] - self.center[:, 0, None, None]
        dx = xx[None] - self.center[:, 1, None, None]
        theta = np.deg2rad(self.orientation)[:, None, None]
        along = dx * np.cos(theta) + dy * np.sin(theta)
        envelope = np.exp(-(dx**2 + dy**2) / (2 * self.sigma[:, None, None] ** 2))
        arg = 2 * np.pi * self.spatial_frequency[:, None, None] * along + self.phase[:, None, None]
        even = envelope * np.cos(arg)
        odd = envelope * np.sin(arg)
        norm = np.sqrt((even**2).sum(axis=(1, 2)) + (odd**2).sum(axis=(1, 2)))[:, None, None]
        return even / norm, odd / norm


def _temporal_kernel(n_frames: int, tau: float) -> np.ndarray:
    """Causal alpha kernel h(t) = t/τ · exp(1 − t/τ) over frames, normalised to sum 1."""
    t = np.arange(n_frames, dtype=np.float64)
    h = (t / tau) * np.exp(1 - t / tau)
    return h / h.sum()


def _causal_filter(linear: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve (stimulus, time, neuroid) with a causal kernel along time (same length)."""
    n_time = linear.shape[1]
    out = np.zeros_like(linear)
    for lag, weight in enumerate(kernel[:n_time]):
        out[:, lag:] += weight * linear[:, : n_time - lag]
    return out


def simulate_v1(
    stimuli: xr.Dataset,
    *,
    n_neuroids: int = 100,
    n_repetitions: int = 4,
    seed: int = 0,
    complex_fraction: float = 0.5,
    baseline: float = 0.5,
    gain_range: tuple[float, float] = (0.05, 2.0),
    exponent: float = 1.5,
    tau_frames: float = 2.0,
    subject: str | None = None,
    n_subjects: int = 1,
    name: str = "v1",
) -> xr.Dataset:
    """Simulate spike counts of a V1-like population to a stimulus set.

    Parameters
    ----------
    stimuli : xarray.Dataset
        A stimuli store; ``images`` of dims (stimulus, channel, y, x) or clips with ``time``.
    n_neuroids, n_repetitions : int
        Population size and number of repeated presentations.
    seed : int
        Seeds both the population and the Poisson noise.
    complex_fraction : float
        Fraction of energy (complex) units.
    baseline, exponent : float
        Output nonlinearity ``rate = baseline + gain · (d / s)^exponent``.
    gain_range : (float, float)
        Per-neuroid gains are log-uniform in this range (sets each neuroid's reliability).
    tau_frames : float
        Time constant of the temporal filter, in frames (clips only).
    subject : str, optional
        Subject label (default: ``name``); neuroid ids are ``{subject}_n0000``...
    n_subjects : int
        Split the neuroids into this many subjects (contiguous, as equal as possible), each a
        different sample of neurons from the same generative population: labels
        ``{subject}_s1``, ``{subject}_s2``, ... (with one subject, ``subject`` itself).

    Returns
    -------
    xarray.Dataset
        ``responses`` (stimulus, repetition, neuroid[, time]) Poisson counts and ``rates``
        (stimulus, neuroid[, time]) noise-free rates, with coords ``neuroid_id``, ``region``,
        ``subject`` and each neuroid's tuning parameters.
    """
    if n_neuroids < 1 or n_repetitions < 1:
        raise InvalidInputError(
            f"n_neuroids={n_neuroids} and n_repetitions={n_repetitions} must both be at least 1"
        )
    if not 1 <= n_subjects <= n_neuroids:
        raise InvalidInputError(
            f"n_subjects={n_subjects}: between 1 and n_neuroids={n_neuroids} (each subject needs "
            "a neuroid)"
        )
    images = stimuli["images"]
    is_clip = store.TIME in images.dims
    size = images.sizes[store.Y]
    if images.sizes[store.X] != size:
        raise InvalidInputError(f"simulate_v1 needs square images, got {dict(images.sizes)}")
    subject = subject or name
    if n_subjects == 1:
        subjects = np.full(n_neuroids, subject)
    else:
        sizes = [len(c) for c in np.array_split(np.arange(n_neuroids), n_subjects)]
        subjects = np.repeat([f"{subject}_s{k + 1}" for k in range(n_subjects)], sizes)
    rng = np.random.default_rng(seed)
    population = V1Population.sample(n_neuroids, rng=rng, complex_fraction=complex_fraction)
    even, odd = population.filters(size)
    luminance = images.mean(store.CHANNEL).values.astype(np.float64) - MEAN_LUMINANCE
    # (stimulus[, time], y, x) · (neuroid, y, x) -> (stimulus[, time], neuroid)
    lin_even = np.tensordot(luminance, even, axes=([-2, -1], [1, 2]))
    lin_odd = np.tensordot(luminance, odd, axes=([-2, -1], [1, 2]))
    if is_clip:
        kernel = _temporal_kernel(images.sizes[store.TIME], tau_frames)
        lin_even = _causal_filter(lin_even, kernel)
        lin_odd = _causal_filter(lin_odd, kernel)
    drive = np.where(
        population.complex_cell,
        np.sqrt(lin_even**2 + lin_odd**2),
        np.maximum(lin_even, 0.0),
    )
    scale_axes = (0, 1) if is_clip else (0,)
    scale = np.maximum(drive.std(axis=scale_axes, keepdims=True), MIN_DRIVE_SCALE)
    gain = np.exp(rng.uniform(np.log(gain_range[0]), np.log(gain_range[1]), n_neuroids))
    rates = baseline + gain * (drive / scale) ** exponent
    counts = rng.poisson(rates[:, None], size=(rates.shape[0], n_repetitions, *rates.shape[1:]))

    if is_clip:  # (stimulus, time, neuroid) -> (stimulus, neuroid, time)
        rates = np.moveaxis(rates, 1, -1)
        counts = np.moveaxis(counts, 2, -1)
        resp_dims = (store.STIMULUS, store.REPETITION, store.NEUROID, store.TIME)
        rate_dims = (store.STIMULUS, store.NEUROID, store.TIME)
    else:
        resp_dims = (store.STIMULUS, store.REPETITION, store.NEUROID)
        rate_dims = (store.STIMULUS, store.NEUROID)
    neuroid = store.NEUROID
    ds = xr.Dataset(
        {
            "responses": (resp_dims, counts.astype(np.float32)),
            "rates": (rate_dims, rates.astype(np.float64)),
        },
        coords={
            store.STIMULUS_ID: (store.STIMULUS, stimuli[store.STIMULUS_ID].values),
            store.CATEGORY: (store.STIMULUS, stimuli[store.CATEGORY].values),
            store.NEUROID_ID: (neuroid, [f"{s}_n{i:04d}" for i, s in enumerate(subjects)]),
            store.REGION: (neuroid, np.full(n_neuroids, "V1")),
            store.SUBJECT: (neuroid, subjects),
            "preferred_orientation": (neuroid, population.orientation),
            "preferred_spatial_frequency": (neuroid, population.spatial_frequency),
            "rf_y": (neuroid, population.center[:, 0]),
            "rf_x": (neuroid, population.center[:, 1]),
            "complex_cell": (neuroid, population.complex_cell.astype(np.int8)),
            "gain": (neuroid, gain),
        },
    )
    ds.attrs.update(neural=name, stimset=str(stimuli.attrs.get("stimset", "")), simulated=1)
    return ds
