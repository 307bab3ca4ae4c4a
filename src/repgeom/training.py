"""Train small torchvision models offline, on the bundled stimulus sets.

The encoder-dimensionality contrasts rest on trained versus untrained networks. Pretrained
weights need a download, so the default workflow trains its own in about a minute of CPU:

- ``objective="supervised"``: cross-entropy on the stimulus categories (labels are
  ``stimset/category``; the architecture keeps its standard 1,000-way classifier, so the
  weights load like any torchvision state dict);
- ``objective="simclr"``: a self-supervised contrastive objective (NT-Xent; Chen et al. 2020)
  between two augmented views of each image, on the classifier's output as embedding.

Augmentations are random flips, random crops with padding, and brightness jitter.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from repgeom.errors import InvalidInputError
from repgeom.models.extract import _normalise

log = logging.getLogger(__name__)

Objective = Literal["supervised", "simclr"]
#: NT-Xent temperature (SimCLR's default for small batches).
SIMCLR_TEMPERATURE = 0.5
#: Pixels of reflection padding before a random crop back to the image size.
CROP_PAD = 4
#: Maximum relative brightness change of the jitter.
BRIGHTNESS_JITTER = 0.2


def _augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flip, padded random crop and brightness jitter, per image."""
    n, _, h, w = batch.shape
    flip = torch.rand(n, generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
    padded = F.pad(batch, (CROP_PAD,) * 4, mode="reflect")
    dy = torch.randint(0, 2 * CROP_PAD + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * CROP_PAD + 1, (n,), generator=generator)
    crops = torch.stack(
        [padded[i, :, y : y + h, x : x + w] for i, (y, x) in enumerate(zip(dy, dx, strict=True))]
    )
    gain = 1 + BRIGHTNESS_JITTER * (2 * torch.rand(n, 1, 1, 1, generator=generator) - 1)
    return (crops * gain).clamp(0, 1)


def _nt_xent(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """NT-Xent: each view must pick its partner among the 2n − 1 other embeddings."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / SIMCLR_TEMPERATURE
    sim.fill_diagonal_(float("-inf"))
    n = len(z1)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, targets)


def train_model(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    objective: Objective = "supervised",
    epochs: int = 3,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool | None = None,
) -> list[float]:
    """Train ``model`` in place; return the mean loss of each epoch.

    Parameters
    ----------
    model : torch.nn.Module
        A freshly built torchvision classifier.
    images : ndarray of shape (n, 3, y, x)
        Float images in [0, 1].
    labels : ndarray of shape (n,)
        Integer classes (supervised) — ignored by ``simclr``.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise InvalidInputError(f"images have shape {images.shape}; expected (n, 3, y, x)")
    if objective not in ("supervised", "simclr"):
        raise InvalidInputError(f"objective={objective!r}; choose supervised or simclr")
    if len(images) < 2 * batch_size and objective == "simclr":
        batch_size = max(2, len(images) // 2)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    data = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    targets = torch.as_tensor(labels, dtype=torch.long)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    for epoch in tqdm(range(epochs), desc=f"train ({objective})", disable=progress is False):
        order = torch.randperm(len(data), generator=generator)
        losses = []
        for start in range(0, len(data) - 1, batch_size):
            idx = order[start : start + batch_size]
            if len(idx) < 2:
                continue
            batch = data[idx]
            cpu = torch.device("cpu")
            if objective == "supervised":
                logits = model(_normalise(_augment(batch, generator).numpy(), cpu))
                loss = F.cross_entropy(logits, targets[idx])
            else:
                z1 = model(_normalise(_augment(batch, generator).numpy(), cpu))
                z2 = model(_normalise(_augment(batch, generator).numpy(), cpu))
                loss = _nt_xent(z1, z2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
        history.append(float(np.mean(losses)))
        log.info("epoch %d: %s loss %.4f", epoch + 1, objective, history[-1])
    model.eval()
    return history
