"""Centered kernel alignment.

:class:`LinearCKA` is netrep's estimator: the angle between centred Gram matrices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from repgeom.metrics._validation import angle, as_matrix, check_same_stimuli


class LinearCKA(BaseEstimator):
    """Angular distance ``arccos(CKA)`` with biased linear CKA (netrep's ``LinearCKA``).

    Notes
    -----
    ``CKA = ⟨K_X, K_Y⟩_F / (‖K_X‖_F ‖K_Y‖_F)`` with ``K = X Xᵀ`` after column centering, so
    ``⟨K_X, K_Y⟩ = ‖XᵀY‖_F²``: the cost is in the widths, not the stimuli.
    """

    def __init__(self, center_columns: bool = True) -> None:
        self.center_columns = center_columns

    def fit(self, X: Any, Y: Any) -> LinearCKA:
        """Nothing to learn (netrep compatibility)."""
        return self

    def score(self, X: Any, Y: Any) -> float:
        X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
        check_same_stimuli(X, Y)
        if self.center_columns:
            X, Y = X - X.mean(0), Y - Y.mean(0)
        cross = np.linalg.norm(X.T @ Y) ** 2
        return float(angle(cross / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.score(X, Y)
