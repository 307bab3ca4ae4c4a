"""Which torch device a job runs on (a light module: distance and DSA jobs need it without
importing the model zoo)."""

from __future__ import annotations

from typing import Literal

import torch

from repgeom.errors import ConfigError

Device = Literal["auto", "cpu", "cuda"]


def resolve_device(device: Device | str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda was requested but no CUDA GPU is visible; use auto or cpu")
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"device {device!r}; choose auto, cpu or cuda")
    return torch.device(device)


def himalaya_backend(device: torch.device) -> str:
    """The himalaya backend that runs on ``device``: ``torch_cuda`` on a GPU, else ``numpy``.

    The one place the two vocabularies meet: jobs resolve a :class:`torch.device` once
    (:func:`resolve_device`) and the encoding models name their backend from it.
    """
    return "torch_cuda" if torch.device(device).type == "cuda" else "numpy"
