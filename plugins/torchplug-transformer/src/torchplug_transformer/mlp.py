"""Position-wise feed-forward blocks: ``fn(dim, hidden_dim, ...)`` -> ``(B, T, dim) -> same``."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F


class SwiGLU(nn.Module):
    """``down(silu(gate(x)) * up(x))``, the gated MLP of LLaMA-style models."""

    def __init__(self, dim: int, hidden_dim: int, bias: bool = False) -> None:
        super().__init__()
        self.gate = nn.Linear(dim, hidden_dim, bias=bias)
        self.up = nn.Linear(dim, hidden_dim, bias=bias)
        self.down = nn.Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.silu(self.gate(x)) * self.up(x))


class StandardMLP(nn.Module):
    """``down(activation(up(x)))``, the two-layer MLP of the original transformer."""

    def __init__(
        self, dim: int, hidden_dim: int, activation: nn.Module, bias: bool = False
    ) -> None:
        super().__init__()
        self.up = nn.Linear(dim, hidden_dim, bias=bias)
        self.activation = activation
        self.down = nn.Linear(hidden_dim, dim, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.activation(self.up(x)))


def build_swiglu(dim: int, hidden_dim: int, bias: bool = False) -> SwiGLU:
    """A SwiGLU MLP: ``down(silu(gate(x)) * up(x))``."""
    return SwiGLU(dim, hidden_dim, bias=bias)


def build_standard_gelu(
    dim: int, hidden_dim: int, bias: bool = False, approximate: Literal["none", "tanh"] = "none"
) -> StandardMLP:
    """A two-layer MLP with a GELU between (``approximate="tanh"`` for GPT-2's variant)."""
    return StandardMLP(dim, hidden_dim, nn.GELU(approximate=approximate), bias=bias)


def build_standard_relu(dim: int, hidden_dim: int, bias: bool = False) -> StandardMLP:
    """A two-layer MLP with a ReLU between."""
    return StandardMLP(dim, hidden_dim, nn.ReLU(), bias=bias)
