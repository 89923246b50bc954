"""pytorch-optimizer's optimizers whose constructors end in ``**kwargs``, with their keys checked.

Each attribute is made on first access by `torchplug_pytorch_optimizer._builders.builder`: a
function with the class's own signature minus ``**kwargs``, so ``adamp`` accepts ``weight_decay``
and refuses ``weight_decy``. The entry points of these optimizers name them, e.g.
``adamp = "torchplug_pytorch_optimizer.optimizers:adamp"``. Importing this module imports
nothing; the first attribute imports pytorch-optimizer, and torch with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._builders import builder


def __getattr__(name: str) -> Callable[..., Any]:
    if name.startswith("__"):  # import machinery and tools probing for dunders
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = builder("optimizer", name, __name__)
    globals()[name] = made  # the next access is an ordinary attribute lookup
    return made
