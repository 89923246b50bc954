"""Causal self-attention: ``fn(dim, num_heads, num_kv_heads=None, ...)`` -> a (B, T, dim) module."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding of `x` (``..., T, head_dim``), pairing dimension i with i + d/2."""
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-second, first), dim=-1) * sin


class RotaryEmbedding(nn.Module):
    """The cos and sin tables of rotary positions, computed for the longest sequence seen so far."""

    cos: torch.Tensor
    sin: torch.Tensor

    def __init__(self, head_dim: int, theta: float = 10000.0) -> None:
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"Rotary positions need an even head dimension, got {head_dim}.")
        self.head_dim = head_dim
        self.theta = theta
        # Not persistent: the tables follow from the hyperparameters, they are not learned state.
        self.register_buffer("cos", torch.empty(0, head_dim), persistent=False)
        self.register_buffer("sin", torch.empty(0, head_dim), persistent=False)

    def forward(self, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        if seq_len > self.cos.shape[0]:
            device = self.cos.device
            exponents = torch.arange(0, self.head_dim, 2, device=device, dtype=torch.float32)
            inv_freq = self.theta ** -(exponents / self.head_dim)
            positions = torch.arange(seq_len, device=device, dtype=torch.float32)
            angles = torch.outer(positions, inv_freq)
            angles = torch.cat((angles, angles), dim=-1)
            self.cos, self.sin = angles.cos(), angles.sin()
        return self.cos[:seq_len], self.sin[:seq_len]


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention; ``num_kv_heads < num_heads`` shares key/value heads."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        num_kv_heads: int | None = None,
        bias: bool = False,
        rotary: bool = True,
        rope_theta: float = 10000.0,
    ) -> None:
        super().__init__()
        num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        if dim % num_heads:
            raise ValueError(f"dim={dim} is not divisible by num_heads={num_heads}.")
        if num_kv_heads < 1 or num_heads % num_kv_heads:
            raise ValueError(
                f"num_heads={num_heads} is not a multiple of num_kv_heads={num_kv_heads}: "
                "each key/value head must serve the same number of query heads."
            )
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = dim // num_heads
        self.q_proj = nn.Linear(dim, num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(dim, num_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(dim, num_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(num_heads * self.head_dim, dim, bias=bias)
        self.rotary = RotaryEmbedding(self.head_dim, rope_theta) if rotary else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq_len, _ = x.shape
        q = self.q_proj(x).view(batch, seq_len, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq_len, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq_len, self.num_kv_heads, self.head_dim).transpose(1, 2)
        if self.rotary is not None:
            cos, sin = self.rotary(seq_len)
            q = rotate(q, cos.to(q.dtype), sin.to(q.dtype))
            k = rotate(k, cos.to(k.dtype), sin.to(k.dtype))
        if self.num_kv_heads != self.num_heads:
            # Query heads h*g .. h*g+g-1 read key/value head h.
            group = self.num_heads // self.num_kv_heads
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(out.transpose(1, 2).reshape(batch, seq_len, -1))


def build_causal(
    dim: int,
    num_heads: int,
    num_kv_heads: int | None = None,
    bias: bool = False,
    rotary: bool = True,
    rope_theta: float = 10000.0,
) -> CausalSelfAttention:
    """Causal multi-head self-attention with optional grouped-query heads and rotary positions."""
    return CausalSelfAttention(
        dim, num_heads, num_kv_heads, bias=bias, rotary=rotary, rope_theta=rope_theta
    )
