"""The calls this pack's models make to the builders of their nested components.

`gpt` builds ``norm(dim)``, ``attention(dim, num_heads, num_kv_heads=...)`` and
``mlp(dim, hidden_dim)``; `moe` builds ``router(dim, num_experts, top_k)``. Declared in the
entry-point group ``torchplug.contracts``; importing this module costs no torch.
"""

from __future__ import annotations

from torchplug.build import Contract

NORM = Contract("norm", ("dim",), ("eps",), returns="nn.Module")
MLP = Contract("mlp", ("dim", "hidden_dim"), returns="nn.Module (B, T, dim) -> (B, T, dim)")
ATTENTION = Contract(
    "attention",
    ("dim", "num_heads"),
    ("num_kv_heads",),
    returns="nn.Module (B, T, dim) -> (B, T, dim), causal",
)
ROUTER = Contract(
    "router",
    ("dim", "num_experts", "top_k"),
    returns="nn.Module tokens -> (weights, expert indices)",
)
