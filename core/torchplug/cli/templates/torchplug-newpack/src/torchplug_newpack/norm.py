"""norm components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def build_layernorm(dim: int, eps: float = 1e-5, bias: bool = False) -> nn.Module:
    """LayerNorm over the last dimension, bias off by default: replace it with yours.

    torch is imported on the first build, so importing this module stays cheap.
    """
    from torch import nn

    return nn.LayerNorm(dim, eps=eps, bias=bias)
