"""Norm builders for the ``norm`` contract ``fn(dim, eps=...)`` where torch's signature differs."""

from __future__ import annotations

import torch
from torch import nn


class LastDimGroupNorm(nn.GroupNorm):
    """`nn.GroupNorm` over the last dimension of inputs of any rank, e.g. (batch, tokens, dim).

    torch's GroupNorm takes channels at dimension 1; this one normalises each position's last
    dimension, as `nn.LayerNorm` does. Parameters and state-dict keys are GroupNorm's.
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return super().forward(input.reshape(-1, input.shape[-1])).reshape(input.shape)


def groupnorm(
    dim: int, eps: float = 1e-5, *, num_groups: int = 32, affine: bool = True
) -> LastDimGroupNorm:
    """Group norm of the last dimension `dim` in `num_groups` groups (which must divide `dim`)."""
    return LastDimGroupNorm(num_groups, dim, eps=eps, affine=affine)
