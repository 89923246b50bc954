"""A sparse mixture-of-experts MLP: each token runs through only the experts its router picks."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchplug import Component, require_factory


class MoE(nn.Module):
    """``num_experts`` expert MLPs and a router: the weighted sum of the experts a token picks."""

    def __init__(
        self,
        dim: int,
        hidden_dim: int,
        num_experts: int,
        top_k: int,
        expert: Callable[..., nn.Module],
        router: Callable[..., nn.Module],
    ) -> None:
        super().__init__()
        expert = require_factory(expert, "expert", "mlp")
        router = require_factory(router, "router", "router")
        self.num_experts = num_experts
        self.top_k = top_k
        self.experts = nn.ModuleList(expert(dim, hidden_dim) for _ in range(num_experts))
        self.router = router(dim, num_experts, top_k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.reshape(-1, x.shape[-1])
        weights, indices = self.router(tokens)  # (N, top_k) each
        # Group the (token, slot) pairs by expert so that each expert runs once on its tokens.
        flat_experts = indices.reshape(-1)
        order = flat_experts.argsort(stable=True)
        counts = torch.bincount(flat_experts, minlength=self.num_experts).tolist()
        token_ids = (order // self.top_k).split(counts)
        token_weights = weights.reshape(-1)[order].split(counts)
        out = torch.zeros_like(tokens)
        for expert, ids, w in zip(self.experts, token_ids, token_weights, strict=True):
            if ids.numel() == 0:
                continue
            # Experts follow the mlp contract (B, T, dim): the routed tokens are one sequence.
            y = expert(tokens[ids].unsqueeze(0)).squeeze(0)
            out.index_add_(0, ids, y * w.unsqueeze(-1).to(y.dtype))
        return out.view_as(x)


def build_moe(
    dim: int,
    hidden_dim: int,
    num_experts: int = 8,
    top_k: int = 2,
    expert: Callable[..., nn.Module] = Component("mlp", "swiglu"),
    router: Callable[..., nn.Module] = Component("router", "softmax_topk"),
) -> MoE:
    """A sparse mixture of `num_experts` MLPs, each ``hidden_dim`` wide; `top_k` run per token."""
    return MoE(dim, hidden_dim, num_experts, top_k, expert, router)
