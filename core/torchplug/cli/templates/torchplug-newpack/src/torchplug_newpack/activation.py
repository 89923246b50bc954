"""activation components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def build_gelu_tanh() -> nn.Module:
    """GELU with the tanh approximation: replace it with your activation.

    torch is imported on the first build, so importing this module stays cheap.
    """
    from torch import nn

    return nn.GELU(approximate="tanh")
