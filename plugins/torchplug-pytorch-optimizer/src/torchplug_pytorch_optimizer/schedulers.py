"""pytorch-optimizer's LR schedulers whose constructors end in ``**kwargs``, with their keys checked.

As `torchplug_pytorch_optimizer.optimizers`, for the one scheduler that needs it: ``poly``
(``PolyScheduler``), whose ``**kwargs`` are its base class's ``t_max``, ``max_lr``, ``min_lr``,
``init_lr`` and ``warmup_steps``; its builder's signature lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._builders import builder


def __getattr__(name: str) -> Callable[..., Any]:
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = builder("scheduler", name, __name__)
    globals()[name] = made
    return made
