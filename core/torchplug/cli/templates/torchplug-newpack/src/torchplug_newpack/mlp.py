"""mlp components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn


def build_gelu_mlp(dim: int, hidden_dim: int, dropout: float = 0.0) -> nn.Module:
    """Linear-GELU-Linear, ``dim`` to ``hidden_dim`` and back: replace it with yours.

    torch is imported on the first build, so importing this module stays cheap.
    """
    from torch import nn

    return nn.Sequential(
        nn.Linear(dim, hidden_dim),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_dim, dim),
    )
