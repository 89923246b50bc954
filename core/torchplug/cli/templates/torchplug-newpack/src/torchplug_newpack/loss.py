"""loss components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def build_smoothed_cross_entropy(label_smoothing: float = 0.1) -> nn.Module:
    """Cross-entropy of class logits, label smoothing on: replace it with your loss.

    torch is imported on the first build, so importing this module stays cheap.
    """
    from torch import nn

    return nn.CrossEntropyLoss(label_smoothing=label_smoothing)
