"""Category contracts: the call each category's builders must accept, and a category's default type.

A training loop calls an optimizer builder as ``fn(params, **hyperparameters)``, a norm as
``fn(dim, eps=...)``; a builder whose signature cannot take that call fails at the call site, deep in
a run. Contracts make that mismatch a finding of ``check(deep=True)`` instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Contract:
    """What the call site of a category passes to its builders.

    `inputs` are the runtime inputs passed positionally, in order (``("params",)`` for optimizers);
    `keywords` are keyword arguments the call site may pass and every builder must accept;
    everything else a builder takes is a hyperparameter from the config. `default_type` is the
    name used when a spec omits ``type``.

    Attributes:
        category: The category it describes.
        inputs: Runtime inputs, passed positionally in this order: ``("dim", "num_heads")``.
        keywords: Keyword arguments the call site may pass (a norm's ``eps``).
        returns: What the call site expects back, for messages and docs; never checked.
        default_type: The name `Registry.build` uses when a spec gives no ``type``.
    """

    category: str
    inputs: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    returns: str = ""
    default_type: str | None = None

    def describe(self) -> str:
        """The call as the docs write it, e.g. ``fn(params, **hp) -> torch.optim.Optimizer``."""
        args = [*self.inputs, *(f"{k}=..." for k in self.keywords), "**hp"]
        call = f"fn({', '.join(args)})"
        return f"{call} -> {self.returns}" if self.returns else call

    def violations(self, builder: Callable[..., Any]) -> list[str]:
        """Why `builder` cannot be called the way this category's call site calls it."""
        try:
            signature = inspect.signature(builder)
        except (TypeError, ValueError):
            return []  # no introspectable signature (some C callables): nothing to hold against it
        params = list(signature.parameters.values())
        positional = [
            p
            for p in params
            if p.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
        takes_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
        takes_varkw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        problems = []
        if len(positional) < len(self.inputs) and not takes_varargs:
            problems.append(
                f"takes {len(positional)} positional argument(s) but the {self.category} call site "
                f"passes {len(self.inputs)} ({', '.join(self.inputs)})"
            )
        names = {p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
        for keyword in self.keywords:
            if keyword not in names and not takes_varkw:
                problems.append(f"does not accept the keyword {keyword!r} its call site may pass")
        extra_required = [
            p.name
            for p in params[len(self.inputs) :]
            if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.POSITIONAL_ONLY
        ]
        if extra_required:
            problems.append(
                f"requires positional-only argument(s) {extra_required} that no config can give"
            )
        return problems


#: The categories of a training loop and the calls their builders answer (KempnerForge's table).
BUILTIN_CONTRACTS: dict[str, Contract] = {
    c.category: c
    for c in (
        Contract("model", returns="nn.Module"),
        Contract("optimizer", ("params",), returns="torch.optim.Optimizer"),
        Contract("scheduler", ("optimizer",), returns="an LR scheduler"),
        Contract("loss", returns="callable (logits, targets) -> scalar tensor"),
        Contract("norm", ("dim",), ("eps",), returns="nn.Module"),
        Contract("activation", returns="nn.Module"),
        Contract("mlp", ("dim", "hidden_dim"), returns="nn.Module (B, T, dim) -> (B, T, dim)"),
        Contract(
            "attention",
            ("dim", "num_heads"),
            ("num_kv_heads",),
            returns="nn.Module (B, T, dim) -> (B, T, dim), causal",
        ),
        Contract(
            "router",
            ("dim", "num_experts", "top_k"),
            returns="nn.Module tokens -> (weights, expert indices)",
        ),
        Contract("dataset", returns="a map-style torch Dataset of (inputs, targets) samples"),
    )
}
