"""The training loop's events, as pluggy hook specifications of the ``torchplug`` project.

Hook plugins implement them with `torchplug.hookimpl` and are declared in the entry-point group
``torchplug.hooks`` like any hook plugin; the loop adds these specs to the registry's plugin manager
before its first event. Every rank calls them; `run.is_main` is true on rank 0, where loggers and
checkpoint savers should act.
"""

from __future__ import annotations

from typing import Any

from torchplug import hookspec


@hookspec
def torchplug_train_start(run: Any) -> None:
    """Before the first step: `run` has the config, the built components and the resolved set."""


@hookspec
def torchplug_step_end(run: Any, step: int, loss: float, metrics: dict[str, float]) -> None:
    """After each optimizer step (1-based `step`); `metrics` has lr, samples/s and the like."""


@hookspec
def torchplug_evaluate(run: Any, step: int, metrics: dict[str, float]) -> None:
    """After an evaluation pass; `metrics` has at least ``eval_loss``."""


@hookspec
def torchplug_train_end(run: Any, metrics: dict[str, float]) -> None:
    """After the last step, with the final metrics."""
