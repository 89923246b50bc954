"""model components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def build_mlp(in_features: int = 16, hidden: int = 64, out_features: int = 16) -> nn.Module:
    """A two-layer perceptron, Linear-GELU-Linear: replace it with your model.

    torch is imported on the first build, so importing this module stays cheap.
    """
    from torch import nn

    return nn.Sequential(nn.Linear(in_features, hidden), nn.GELU(), nn.Linear(hidden, out_features))
