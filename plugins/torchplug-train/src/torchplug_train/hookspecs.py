"""The training loop's events, as pluggy hook specifications of the ``torchplug`` project.

Hook plugins implement them with `torchplug.hookimpl` and are declared in the entry-point group
``torchplug.hooks`` like any hook plugin; the loop adds these specs to the registry's plugin manager
before its first event. Every rank calls them, except the checkpoint events, which only the rank
that writes the checkpoint (rank 0) calls; `run.is_main` is true on rank 0, where loggers should
act. An exception in a hook stops the run with an error naming the plugin and the event.
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
def torchplug_evaluate_start(run: Any, step: int) -> None:
    """Before an evaluation pass; the model is in eval mode (and a schedule-free optimizer too)."""


@hookspec
def torchplug_evaluate(run: Any, step: int, metrics: dict[str, float]) -> None:
    """After an evaluation pass, before training resumes; `metrics` has at least ``eval_loss``."""


@hookspec
def torchplug_checkpoint_start(run: Any, step: int, state: dict[str, Any]) -> None:
    """Before a checkpoint is written (rank 0): a plugin may add entries of its own to `state`
    (tensors, numbers, strings, lists and dicts of them: it is read with ``weights_only=True``)."""


@hookspec
def torchplug_checkpoint_end(run: Any, step: int, path: Any) -> None:
    """After the checkpoint `path` (a `pathlib.Path`) is complete on disk (rank 0)."""


@hookspec
def torchplug_train_end(run: Any, metrics: dict[str, float]) -> None:
    """After the last step and the final evaluation, with the final metrics; also after an
    interrupted run's last checkpoint, with ``metrics["interrupted"] = 1.0`` and no evaluation."""
