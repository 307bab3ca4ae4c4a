"""Representational paths: a model's layers (or a recurrent model's steps) as a path through one
metric space, anchored by the input and the labels.

Every representation of one stimulus set — each model's layers, the pixels and the one-hot
labels — is a point of one metric space ``(ℛ, d)`` (any registered distance; the default is the
Procrustes angle). A model with layers ``r₁ … r_L`` draws the path ``r₁ → … → r_L``; anchored,
it runs from the input ``x`` (the pixels) to the labels ``y`` (one-hot codes)::

    length        ℓ   = Σ_{l=1}^{L−1} d(r_l, r_{l+1})
    anchored length ℓ_a = d(x, r₁) + ℓ + d(r_L, y)

so a chain of identical layers has ``ℓ = 0``, and ``ℓ_a ≥ d(x, y)`` by the triangle inequality
(with equality when the path runs straight from input to labels). MDS of the matrix ``d`` over
all points draws the paths on a plane (:func:`repgeom.layout.mds_coordinates`).

Plain numpy: the stage (:mod:`repgeom.stages.paths`) computes the matrix with the
registry's scorer and stores the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from repgeom.errors import InvalidInputError

#: Names of the two anchors among the representations.
INPUT, LABELS = "pixels", "labels"


def one_hot(labels: Sequence[object]) -> np.ndarray:
    """One-hot codes ``Y[i, c] = 1`` if stimulus ``i`` has the ``c``-th class (classes sorted),
    shape (n_stimuli, n_classes).

    Raises
    ------
    InvalidInputError
        With fewer than two classes (every code would be the same point).
    """
    classes, index = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    if len(classes) < 2:
        raise InvalidInputError(
            f"labels anchor: {len(classes)} class; one-hot codes need at least two classes"
        )
    return np.eye(len(classes))[index]


def pixels(images: np.ndarray) -> np.ndarray:
    """The input anchor: every image flattened to a row, shape (n_stimuli, n_pixel_values)."""
    images = np.asarray(images, dtype=np.float64)
    return images.reshape(len(images), -1)


def path_length(D: np.ndarray, chain: Sequence[int]) -> float:
    """``Σ d(chain[k], chain[k+1])``: the length of the path through the points ``chain`` of the
    distance matrix ``D`` (0 for a single point).

    Raises
    ------
    InvalidInputError
        If ``D`` holds a NaN along the path (a pair that was not computed).
    """
    D = np.asarray(D, dtype=float)
    chain = list(chain)
    steps = D[chain[:-1], chain[1:]] if len(chain) > 1 else np.zeros(0)
    if np.isnan(steps).any():
        raise InvalidInputError(f"path {chain}: a distance along it is NaN")
    return float(steps.sum())
