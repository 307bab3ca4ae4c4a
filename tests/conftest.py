"""Shared fixtures: the reference folder, devices, and small stores."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
#: The reference outputs of the peer tools live beside the checkout (CI clones next to shared/).
REFERENCE = Path(os.environ.get("REPGEOM_REFERENCE", REPO.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference``; a missing folder is an error, not a skip (it must be there)."""
    if not (REFERENCE / "README.md").exists():
        pytest.fail(
            f"reference data not found at {REFERENCE}; clone next to shared/ or set "
            "REPGEOM_REFERENCE to the folder"
        )
    return REFERENCE


_DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=_DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """CPU always; CUDA where a GPU exists (skipped with a reason elsewhere)."""
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    return torch.device(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
