"""The enumerator that ``torchplug entry-points`` calls to write this pack's entry points.

``[tool.torchplug.entry-points] from`` in pyproject.toml names `components`. It runs when the pack
author regenerates the entry points (after upgrading pytorch-optimizer) and in the pack's tests,
never when the pack is used: it imports pytorch-optimizer and reads the library's own registry of
names (``get_supported_optimizers`` and friends), so the pack follows upstream without a list
kept by hand. What is left out, and why, is `LEFT_OUT`.
"""

from __future__ import annotations

import sys
from typing import Any

from ._builders import needs_builder, supported, upstream

#: Names pytorch-optimizer registers that cannot answer their torchplug category's call.
LEFT_OUT: dict[str, dict[str, str]] = {
    "optimizer": {
        "adalomo": "takes the model itself, not its parameters",
        "adammini": "takes the model itself, not its parameters",
        "lomo": "takes the model itself, not its parameters",
    },
    "scheduler": {
        "multiplicative": "needs a Python callable (lr_lambda), not hyperparameters",
        "proportion": "wraps another LR scheduler instead of taking the optimizer",
    },
    "loss": {},
}

#: The module of the checked builders of each category (see `_builders.needs_builder`).
BUILDER_MODULES = {
    "optimizer": "torchplug_pytorch_optimizer.optimizers",
    "scheduler": "torchplug_pytorch_optimizer.schedulers",
}


def public_target(obj: Any) -> str:
    """The shortest ``module:attribute`` that gives `obj`: ``torch.optim:AdamW`` rather than
    ``torch.optim.adamw:AdamW``, so two packs naming one object spell it the same way."""
    module, qualname = obj.__module__, obj.__qualname__
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        candidate = ".".join(parts[:depth])
        if getattr(sys.modules.get(candidate), qualname, None) is obj:
            return f"{candidate}:{qualname}"
    return f"{module}:{qualname}"


def target(category: str, name: str) -> str:
    """The entry-point target of pytorch-optimizer's `name`: its checked builder or itself."""
    if needs_builder(category, name):
        return f"{BUILDER_MODULES[category]}:{name}"
    return public_target(upstream(category, name))


def components() -> dict[str, dict[str, str]]:
    """``{category: {name: "module:attribute"}}`` for every name pytorch-optimizer registers,
    less `LEFT_OUT`; names are pytorch-optimizer's own."""
    return {
        category: {name: target(category, name) for name in names if name not in LEFT_OUT[category]}
        for category, names in supported().items()
    }
