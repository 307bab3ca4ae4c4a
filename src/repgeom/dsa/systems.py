"""The DSA tutorial's three linear systems: circle, oval and random walk.

``x(0) = 0``, ``x(t+1) = A x(t) + B e_t`` with ``e_t ~ N(0, I)``; the noise of all three comes
from one generator, drawn in the order circle, oval, walk (as ``../shared/reference/dsa`` made
them):

- circle: rotation by ``r = 0.1`` rad per step, ``B = I``;
- oval: the circle conjugated by a stretch, ``A = V S⁻¹ A_circle S Vᵀ`` with ``S = diag(1, s)``,
  ``s = 4`` and ``V`` the 45° rotation, so its eigenvalues are the circle's;
- walk: ``A = 0.9 I`` with strongly correlated noise ``B = [[1, c], [0, √(1 − c²)]]``,
  ``c = −0.95``: no rotation, but a stretched cloud like the oval's.
"""

from __future__ import annotations

import numpy as np

ROTATION = 0.1
STRETCH = 4.0
WALK_DECAY = 0.9
WALK_CORRELATION = -0.95


def tutorial_matrices() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (A, B)}`` for circle, oval and walk."""
    c, s = np.cos(ROTATION), np.sin(ROTATION)
    circle = np.array([[c, s], [-s, c]])
    V = np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2)
    stretch = np.diag([1.0, STRETCH])
    oval = V @ np.linalg.inv(stretch) @ circle @ stretch @ np.linalg.inv(V)
    walk_b = np.array([[1.0, WALK_CORRELATION], [0.0, np.sqrt(1 - WALK_CORRELATION**2)]])
    return {
        "circle": (circle, np.eye(2)),
        "oval": (oval, np.eye(2)),
        "walk": (WALK_DECAY * np.eye(2), walk_b),
    }


def tutorial_systems(n_steps: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """Simulate circle, oval and walk for ``n_steps`` steps each: ``{name: (time, 2)}``."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (A, B) in tutorial_matrices().items():
        noise = rng.standard_normal((n_steps - 1, 2))
        x = np.zeros((n_steps, 2))
        for t in range(n_steps - 1):
            x[t + 1] = A @ x[t] + B @ noise[t]
        out[name] = x
    return out


def state_cloud_angle(X: np.ndarray, Y: np.ndarray) -> float:
    """The angle between the shapes of two systems' clouds of states, with no correspondence
    between their time points: the Bures angle between the trace-normalised state covariances
    ``P = Σ_X / tr Σ_X`` and ``Q = Σ_Y / tr Σ_Y``, minimised over rotations ``Q → R Q Rᵀ``::

        θ = arccos Σ_i √(p_i q_i)

    with ``p₁ ≥ p₂ ≥ …`` and ``q₁ ≥ q₂ ≥ …`` the eigenvalues of ``P`` and ``Q`` (the fidelity
    ``tr (P^½ R Q Rᵀ P^½)^½`` is largest when the eigenvectors align in order). 0 for clouds of
    the same shape (an isotropic cloud and a rotated, scaled copy of it), π/2 for clouds on
    orthogonal subspaces. Shorter states are zero-padded to the wider system's dimension.
    """
    spectra = []
    for Z in (X, Y):
        Z = np.asarray(Z, dtype=np.float64)
        eig = np.clip(np.linalg.eigvalsh(np.cov(Z, rowvar=False).reshape(Z.shape[1], -1)), 0, None)
        spectra.append(np.sort(eig)[::-1] / eig.sum())
    width = max(map(len, spectra))
    p, q = (np.pad(s, (0, width - len(s))) for s in spectra)
    return float(np.arccos(np.clip(np.sqrt(p * q).sum(), -1.0, 1.0)))
