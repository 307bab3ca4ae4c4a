"""One forward pass per batch extracts every requested layer, streamed into exact reductions.

Layer outputs of any shape become (batch, features) rows under a named :class:`LayerPolicy`:

- 4-D conv maps (batch, channel, y, x): ``spatial="flatten"`` (all units), ``"avg"`` or
  ``"max"`` (global pooling over y, x);
- 3-D token sequences (batch, token, dim), e.g. ViT: ``tokens="cls"`` (first token),
  ``"mean"`` (average over tokens) or ``"all"`` (flatten);
- singleton dims are squeezed first (``(b, 512, 1, 1)`` is a 2-D output); anything else is
  flattened.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor
from tqdm.auto import tqdm

from repgeom.errors import ConfigError, InvalidInputError
from repgeom.reduce import GramAccumulator, Reduced

log = logging.getLogger(__name__)

SpatialPolicy = Literal["flatten", "avg", "max"]
TokenPolicy = Literal["cls", "mean", "all"]

#: Without a terminal (a Snakemake job's log) progress is logged this many times per pass.
PROGRESS_LOG_STEPS = 10
#: ImageNet channel statistics that torchvision's models expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class LayerPolicy:
    """How a layer's output tensor becomes one row of features per image."""

    spatial: SpatialPolicy = "flatten"
    tokens: TokenPolicy = "cls"

    def __post_init__(self) -> None:
        if self.spatial not in ("flatten", "avg", "max"):
            raise ConfigError(f"spatial policy {self.spatial!r}; choose flatten, avg or max")
        if self.tokens not in ("cls", "mean", "all"):
            raise ConfigError(f"token policy {self.tokens!r}; choose cls, mean or all")

    def apply(self, output: torch.Tensor) -> torch.Tensor:
        """(batch, ...) layer output → (batch, n_features)."""
        batch = output.shape[0]
        inner = [s for s in output.shape[1:] if s != 1]
        output = output.reshape(batch, *inner)
        if output.ndim == 4:
            if self.spatial == "avg":
                return output.mean(dim=(2, 3))
            if self.spatial == "max":
                return output.amax(dim=(2, 3))
        elif output.ndim == 3:
            if self.tokens == "cls":
                return output[:, 0]
            if self.tokens == "mean":
                return output.mean(dim=1)
        return output.reshape(batch, -1)


def _normalise(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(device)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    return (tensor - mean) / std


def extract_reduced(
    model: nn.Module,
    images: np.ndarray,
    layers: Mapping[str, str],
    *,
    policy: LayerPolicy | None = None,
    batch_size: int = 64,
    device: torch.device | None = None,
    scratch_dir: str | os.PathLike[str] | None = None,
    keep_raw: bool = False,
    progress: bool | None = None,
) -> dict[str, tuple[Reduced, np.ndarray | None]]:
    """Run the model once over ``images`` and reduce every requested layer exactly.

    Parameters
    ----------
    model : torch.nn.Module
        A model in eval mode.
    images : ndarray of shape (n_stimuli, 3, y, x)
        Float images in [0, 1]; ImageNet normalisation is applied here. For clips pass the
        frames stacked as rows, (n_stimuli · n_time, 3, y, x).
    layers : mapping of str to str
        Output name → node or module name (see :func:`repgeom.models.resolve_layers`).
    policy : LayerPolicy, optional
        How non-2-D outputs become feature rows.
    batch_size : int
        Images per forward pass.
    device : torch.device, optional
        Where the forward pass runs (default CPU).
    scratch_dir : path-like, optional
        Folder for spill files of wide layers.
    keep_raw : bool
        Also return the raw float32 activations (n_stimuli, n_units) of each layer.
    progress : bool, optional
        Show a progress bar (default: only when writing to a terminal).

    Returns
    -------
    dict of str to (Reduced, ndarray or None)
        The reduced representation of each layer and, with ``keep_raw``, its raw activations.
    """
    policy = policy or LayerPolicy()
    device = device or torch.device("cpu")
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 3:
        raise InvalidInputError(
            f"images have shape {images.shape}; expected (n_stimuli, 3, height, width)"
        )
    extractor = create_feature_extractor(model, return_nodes={t: n for n, t in layers.items()})
    extractor = extractor.to(device).eval()
    n_stimuli = images.shape[0]
    accumulators: dict[str, GramAccumulator] = {}
    starts = range(0, n_stimuli, batch_size)
    bar = tqdm(
        starts, desc="extract", unit="batch", disable=None if progress is None else not progress
    )
    try:
        with torch.inference_mode():
            for step, start in enumerate(bar, 1):
                if bar.disable and step % max(len(starts) // PROGRESS_LOG_STEPS, 1) == 0:
                    log.info("extract: batch %d of %d", step, len(starts))  # job logs, no tty
                batch = images[start : start + batch_size]
                if not np.isfinite(batch).all():  # per batch: no full-size temporary
                    raise InvalidInputError("images hold NaN/inf values; rebuild the stimulus set")
                outputs = extractor(_normalise(batch, device))
                for name in layers:
                    rows = policy.apply(outputs[name]).to("cpu", torch.float32).numpy()
                    if not np.isfinite(rows).all():
                        raise InvalidInputError(
                            f"layer {name!r} produced NaN/inf activations for stimuli "
                            f"{start}..{start + len(rows) - 1}; check the weights and inputs"
                        )
                    if name not in accumulators:
                        accumulators[name] = GramAccumulator(
                            n_stimuli, rows.shape[1], scratch_dir=scratch_dir, keep_raw=keep_raw
                        )
                        log.info("layer %s: %d units per stimulus", name, rows.shape[1])
                    accumulators[name].add(rows)
        result = {}
        for name, acc in accumulators.items():
            reduced = acc.finalize()
            result[name] = (reduced, acc.raw() if keep_raw else None)
            acc.close()
        return result
    finally:
        for acc in accumulators.values():
            acc.close()
