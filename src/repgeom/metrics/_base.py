"""Pieces the netrep-compatible estimators share."""

from __future__ import annotations

from typing import Any

import numpy as np

from repgeom.metrics.pairwise import netrep_pairwise


class FittedAlias:
    """netrep's public name for a fitted attribute (``T`` for ``T_``), readable and settable
    (netrep users set it to score a fixed alignment)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.target)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.target, np.asarray(value, dtype=float))


class NetrepPairwise:
    """netrep's ``Metric.pairwise_distances`` method on top of repgeom's pairwise engine."""

    def pairwise_distances(
        self,
        train_data: list[Any],
        test_data: list[Any] | None = None,
        processes: int | None = None,
        verbose: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """All pairs: ``(D_train, D_test)``; ``D_test`` is +inf off the diagonal without test
        data. ``processes`` is accepted and ignored (repgeom prepares each representation once
        instead of spreading refits over processes)."""
        return netrep_pairwise(self, train_data, test_data, verbose)
