"""How a matrix over representations or stimuli is laid out for display: dissimilarities,
2-D MDS coordinates, average-linkage trees and their leaf order, percentile RDMs.

Plain numpy (no xarray, no I/O; the condensed-vector helpers, MDS and percentiles of
:mod:`repgeom.metrics.rsa`, imported on use so that importing this module stays light): the
analysis stages compute these once and store them
(:mod:`repgeom.stages.distances_combine`, :mod:`repgeom.stages.rdms`), and the figures only
read and draw them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

#: What a matrix holds: distances (0 = same) or similarities (larger = closer).
Measure = Literal["distance", "similarity"]
#: Components of an MDS map.
N_MDS = 2


def dissimilarity(D: np.ndarray, measure: Measure) -> np.ndarray:
    """A matrix as dissimilarities: ``1 − S`` for a similarity, the distances unchanged.

    Parameters
    ----------
    D : ndarray of shape (n, n)
        Distances or similarities.
    measure : {"distance", "similarity"}
    """
    D = np.asarray(D, dtype=float)
    if measure == "similarity":
        return 1 - D
    if measure != "distance":
        raise ValueError(f"measure {measure!r}; expected 'distance' or 'similarity'")
    return D


def _condensed(D: np.ndarray) -> np.ndarray:
    """The symmetrised matrix ``(D + Dᵀ) / 2`` as a condensed vector (upper triangle)."""
    from repgeom.metrics.rsa import matrix_to_vector

    D = np.asarray(D, dtype=float)
    return matrix_to_vector((D + D.T) / 2)


def mds_coordinates(D: np.ndarray, n_components: int = N_MDS) -> np.ndarray:
    """Metric MDS (classical initialisation, seed 0) of a dissimilarity matrix.

    Parameters
    ----------
    D : ndarray of shape (n, n)
        Dissimilarities (symmetrised before embedding).

    Returns
    -------
    ndarray of shape (n, n_components)
    """
    from repgeom.metrics.rsa import mds

    return mds(_condensed(D), n_components=n_components)


def average_linkage(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average-linkage hierarchical clustering of a dissimilarity matrix.

    Returns
    -------
    linkage : ndarray of shape (n - 1, 4)
        SciPy's linkage matrix (draw it with :func:`scipy.cluster.hierarchy.dendrogram`).
    leaves : ndarray of shape (n,)
        The dendrogram's leaf order, first leaf first.
    """
    from scipy.cluster.hierarchy import dendrogram, linkage

    tree = linkage(_condensed(D), method="average")
    leaves = dendrogram(tree, no_plot=True, color_threshold=0)["leaves"]
    return tree, np.asarray(leaves, dtype=np.int64)


def percentile_rdms(rdms: np.ndarray) -> np.ndarray:
    """Each square RDM's off-diagonal entries as percentiles (0–100) of its own entries
    (rank colouring, as rsatoolbox's ``show_rdm``); zeros on the diagonal.

    Parameters
    ----------
    rdms : ndarray of shape (n_rdms, n, n)
        Symmetric RDMs.

    Returns
    -------
    ndarray of shape (n_rdms, n, n)
    """
    from repgeom.metrics.rsa import matrix_to_vector, percentile_transform, vector_to_matrix

    return np.stack(
        [vector_to_matrix(percentile_transform(matrix_to_vector(M))) for M in np.asarray(rdms)]
    )
