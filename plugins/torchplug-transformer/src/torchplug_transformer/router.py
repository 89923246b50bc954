"""Mixture-of-experts routers: ``fn(dim, num_experts, top_k, ...)`` -> ``x -> (weights, indices)``.

A router maps tokens ``(..., dim)`` to the `top_k` experts each should visit: ``indices`` of
shape ``(..., top_k)`` and the ``weights`` (same shape, differentiable) of their outputs.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn


class TopKRouter(nn.Module):
    """A linear gate scored by softmax or sigmoid; the `top_k` best scores pick the experts."""

    def __init__(
        self,
        dim: int,
        num_experts: int,
        top_k: int,
        score: Literal["softmax", "sigmoid"],
        normalize: bool = True,
    ) -> None:
        super().__init__()
        if not 1 <= top_k <= num_experts:
            raise ValueError(f"top_k={top_k} must be between 1 and num_experts={num_experts}.")
        if score not in ("softmax", "sigmoid"):
            raise ValueError(f"score={score!r} must be 'softmax' or 'sigmoid'.")
        self.num_experts = num_experts
        self.top_k = top_k
        self.score = score
        self.normalize = normalize
        self.gate = nn.Linear(dim, num_experts, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.gate(x)
        # At least float32: which experts win is sensitive to rounding in half precision.
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        scores = logits.softmax(dim=-1) if self.score == "softmax" else logits.sigmoid()
        weights, indices = scores.topk(self.top_k, dim=-1)
        if self.normalize:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights.to(x.dtype), indices

    def extra_repr(self) -> str:
        return f"score={self.score}, top_k={self.top_k}, normalize={self.normalize}"


def build_softmax_topk(
    dim: int, num_experts: int, top_k: int, normalize: bool = True
) -> TopKRouter:
    """Softmax over all experts, keep the top-k (``normalize``: their weights sum to 1)."""
    return TopKRouter(dim, num_experts, top_k, "softmax", normalize=normalize)


def build_sigmoid_topk(
    dim: int, num_experts: int, top_k: int, normalize: bool = True
) -> TopKRouter:
    """Independent sigmoid score per expert, keep the top-k (``normalize``: weights sum to 1)."""
    return TopKRouter(dim, num_experts, top_k, "sigmoid", normalize=normalize)
