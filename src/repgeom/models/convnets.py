"""Small convolutional networks of the DSA tutorial's size, recurrent or feedforward.

Both are built by :func:`convnet` (a factory: ``architecture: repgeom.models.convnets:convnet``)
and differ only in whether the steps share one convolution::

    h₀ = maxpool₂(relu(conv1(x)))                                  node "stem"
    h_t = relu(h_{t−1} + conv_t(h_{t−1})),  t = 1..T               nodes "step", "step_1", …
    logits = fc(mean_{y,x} h_T)                                    nodes "pool", "fc"

Recurrent: ``conv_t = conv2`` for every t (the same weights applied T times; its graph nodes are
``conv2``, ``conv2_1``, … as in the tutorial). Feedforward: T different convolutions
``convs.0`` … ``convs.{T−1}``. A residual step keeps every step's state on the same scale, so a
step's representation can be compared with the next one's.

Parameters (RGB input, 5 × 5 first kernel, 3 × 3 steps, ``k`` classes, width ``c``):
``76c + T·(9c² + c) + ck + k`` feedforward and ``76c + 9c² + c + ck + k`` recurrent (the step's
``9c² + c`` once). At T = 5 and 10 classes the recurrent net of width 16 has 3,706 parameters
and the feedforward net of width 8 has 3,618: matched in size to within 3 %, and as deep.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvNet(nn.Module):
    """A conv stem, ``steps`` residual 3 × 3 convolution steps (shared weights when
    ``recurrent``), global average pooling and a linear readout; see the module docstring."""

    def __init__(
        self,
        *,
        recurrent: bool = True,
        steps: int = 5,
        channels: int = 16,
        num_classes: int = 10,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if steps < 1 or channels < 1 or num_classes < 1:
            raise ValueError(
                f"steps={steps}, channels={channels}, num_classes={num_classes}: all must be ≥ 1"
            )
        self.recurrent = recurrent
        self.steps = steps
        self.conv1 = nn.Conv2d(in_channels, channels, 5, stride=2, padding=2)
        self.stem = nn.MaxPool2d(2)
        if recurrent:
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        else:
            self.convs = nn.ModuleList(
                nn.Conv2d(channels, channels, 3, padding=1) for _ in range(steps)
            )
        self.step = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(F.relu(self.conv1(x)))
        for t in range(self.steps):
            conv = self.conv2 if self.recurrent else self.convs[t]
            h = self.step(h + conv(h))
        return self.fc(self.pool(h).flatten(1))


def convnet(
    recurrent: bool = True,
    steps: int = 5,
    channels: int = 16,
    num_classes: int = 10,
) -> ConvNet:
    """The factory a config names: ``architecture: repgeom.models.convnets:convnet`` with
    ``kwargs: {recurrent: false, channels: 8}`` for the size-matched feedforward net."""
    return ConvNet(recurrent=recurrent, steps=steps, channels=channels, num_classes=num_classes)
