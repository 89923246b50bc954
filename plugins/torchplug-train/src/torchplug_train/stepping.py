"""How the loop drives optimizers and schedulers that are not called one fixed way.

Real libraries differ: schedule-free optimizers have ``train()``/``eval()`` modes; LBFGS needs a
closure; Hessian-based optimizers (AdaHessian, Sophia) need ``backward(create_graph=True)``;
ReduceLROnPlateau steps on a metric; timm's schedulers step with ``step(epoch)`` and
``step_update(num_updates)``. Each is recognised by its signature or a convention, or declared by
the object with a ``torchplug_*`` attribute, so no adapter has to be written. Imports no torch.
"""

from __future__ import annotations

import inspect
from typing import Any

#: How a scheduler is stepped: after every optimizer step, at the end of every epoch, with the
#: evaluation loss after every evaluation, or timm's way (``step_update(num_updates)`` after every
#: optimizer step and ``step(epoch)`` at the end of every epoch).
STEP_ON = ("step", "epoch", "eval", "updates")


def _parameters(method: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return []


# --------------------------------------------------------------------------------- optimizers


def has_modes(optimizer: Any) -> bool:
    """Schedule-free optimizers evaluate and save with ``eval()`` weights and train in ``train()``."""
    return callable(getattr(optimizer, "train", None)) and callable(
        getattr(optimizer, "eval", None)
    )


def needs_closure(optimizer: Any) -> bool:
    """LBFGS-like: ``step(closure)`` with a required closure, or ``torchplug_needs_closure``."""
    declared = getattr(optimizer, "torchplug_needs_closure", None)
    if declared is not None:
        return bool(declared)
    return any(
        p.name == "closure" and p.default is inspect.Parameter.empty
        for p in _parameters(getattr(optimizer, "step", None))
    )


def needs_create_graph(optimizer: Any) -> bool:
    """Hessian-based optimizers need the gradient's graph: ``step(..., hessian=None)`` says so
    (pytorch-optimizer's AdaHessian and SophiaH), as does ``torchplug_create_graph = True``."""
    declared = getattr(optimizer, "torchplug_create_graph", None)
    if declared is not None:
        return bool(declared)
    return any(p.name == "hessian" for p in _parameters(getattr(optimizer, "step", None)))


# --------------------------------------------------------------------------------- schedulers


def step_on(scheduler: Any, configured: str | None) -> str:
    """How `scheduler` is stepped: ``[scheduler] step_on`` (checked by `config.LoopOptions`),
    else what the object declares (``torchplug_step_on``), else the convention its methods show."""
    if configured is not None:
        return configured
    declared = getattr(scheduler, "torchplug_step_on", None)
    if declared in STEP_ON:
        return str(declared)
    if callable(getattr(scheduler, "step_update", None)):
        return "updates"  # timm's Scheduler
    step_parameters = _parameters(getattr(scheduler, "step", None))
    if step_parameters and step_parameters[0].name in ("metrics", "metric"):
        return "eval"  # ReduceLROnPlateau.step(metrics)
    return "step"


class SchedulerDriver:
    """Steps a scheduler at the events its mode asks for; the loop reports every event."""

    def __init__(self, scheduler: Any, mode: str) -> None:
        self.scheduler = scheduler
        self.mode = mode

    def after_step(self, num_updates: int) -> None:
        if self.mode == "step":
            self.scheduler.step()
        elif self.mode == "updates":
            self.scheduler.step_update(num_updates)

    def after_epoch(self, epochs_done: int) -> None:
        if self.mode == "epoch":
            self.scheduler.step()
        elif self.mode == "updates":
            self.scheduler.step(epochs_done)

    def after_eval(self, eval_loss: float) -> None:
        if self.mode == "eval":
            self.scheduler.step(eval_loss)
