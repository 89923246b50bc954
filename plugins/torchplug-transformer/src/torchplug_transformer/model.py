"""A decoder-only language model whose norm, attention and mlp are components chosen by name."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchplug import Component, require_factory


class Block(nn.Module):
    """A pre-norm transformer block: ``x + attention(norm(x))``, then ``x + mlp(norm(x))``."""

    def __init__(
        self, attention_norm: nn.Module, attention: nn.Module, mlp_norm: nn.Module, mlp: nn.Module
    ) -> None:
        super().__init__()
        self.attention_norm = attention_norm
        self.attention = attention
        self.mlp_norm = mlp_norm
        self.mlp = mlp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x))
        return x + self.mlp(self.mlp_norm(x))


class GPT(nn.Module):
    """Embeddings, `num_layers` blocks, a final norm and a linear head: ``(B, T) -> (B, T, vocab)``.

    `norm`, `attention` and `mlp` are factories called once per module they make:
    ``norm(dim)``, ``attention(dim, num_heads, num_kv_heads=...)``, ``mlp(dim, hidden_dim)``.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        num_layers: int,
        num_heads: int,
        num_kv_heads: int | None,
        max_seq_len: int,
        hidden_dim: int,
        norm: Callable[..., nn.Module],
        attention: Callable[..., nn.Module],
        mlp: Callable[..., nn.Module],
        learned_positions: bool = False,
        tie_embeddings: bool = False,
        init_std: float = 0.02,
    ) -> None:
        super().__init__()
        norm = require_factory(norm, "norm", "norm")
        attention = require_factory(attention, "attention", "attention")
        mlp = require_factory(mlp, "mlp", "mlp")
        self.max_seq_len = max_seq_len
        self.embed = nn.Embedding(vocab_size, dim)
        # Off by default: the default attention encodes positions itself (rotary).
        self.positions = nn.Embedding(max_seq_len, dim) if learned_positions else None
        self.blocks = nn.ModuleList(
            Block(
                norm(dim),
                attention(dim, num_heads, num_kv_heads=num_kv_heads),
                norm(dim),
                mlp(dim, hidden_dim),
            )
            for _ in range(num_layers)
        )
        self.final_norm = norm(dim)
        self.head = nn.Linear(dim, vocab_size, bias=False)
        # Only the model's own parameters are initialised here; each component keeps its own init.
        for embedding in (self.embed, self.positions):
            if embedding is not None:
                nn.init.normal_(embedding.weight, std=init_std)
        if tie_embeddings:
            self.head.weight = self.embed.weight
        else:
            nn.init.normal_(self.head.weight, std=init_std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        seq_len = tokens.shape[1]
        if seq_len > self.max_seq_len:
            raise ValueError(
                f"Got {seq_len} tokens per sequence, more than max_seq_len={self.max_seq_len}."
            )
        x = self.embed(tokens)
        if self.positions is not None:
            x = x + self.positions(torch.arange(seq_len, device=tokens.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_norm(x))


def build_gpt(
    vocab_size: int,
    dim: int = 128,
    num_layers: int = 4,
    num_heads: int = 4,
    num_kv_heads: int | None = None,
    max_seq_len: int = 1024,
    mlp_ratio: float = 4.0,
    hidden_dim: int | None = None,
    learned_positions: bool = False,
    tie_embeddings: bool = False,
    init_std: float = 0.02,
    norm: Callable[..., nn.Module] = Component("norm", "rmsnorm"),
    attention: Callable[..., nn.Module] = Component("attention", "causal"),
    mlp: Callable[..., nn.Module] = Component("mlp", "swiglu"),
) -> GPT:
    """A decoder-only language model (``hidden_dim`` defaults to ``mlp_ratio * dim``)."""
    sizes = {
        "vocab_size": vocab_size,
        "dim": dim,
        "num_layers": num_layers,
        "num_heads": num_heads,
        "max_seq_len": max_seq_len,
    }
    if hidden_dim is not None:  # None: derived from mlp_ratio below
        sizes["hidden_dim"] = hidden_dim
    for field, size in sizes.items():
        if size < 1:  # a zero-width model builds and trains on nothing: refuse it here
            raise ValueError(f"{field}={size} must be at least 1.")
    if mlp_ratio <= 0:
        raise ValueError(f"mlp_ratio={mlp_ratio} must be greater than 0.")
    if hidden_dim is None:
        hidden_dim = max(1, round(mlp_ratio * dim))
    return GPT(
        vocab_size,
        dim,
        num_layers,
        num_heads,
        num_kv_heads,
        max_seq_len,
        hidden_dim,
        norm,
        attention,
        mlp,
        learned_positions=learned_positions,
        tie_embeddings=tie_embeddings,
        init_std=init_std,
    )
