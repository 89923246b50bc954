"""Every scheduler the pack declares builds on an SGD optimizer and steps."""

from __future__ import annotations

import inspect
import math

import importlib_metadata
import pytest
import torch
from torch import nn
from torch.optim import lr_scheduler

PACK = "torchplug-torch"
SCHEDULERS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.scheduler").names
)

#: The hyperparameters a schedule cannot do without.
REQUIRED = {
    "cosine": {"T_max": 10},
    "cosine_warm_restarts": {"T_0": 5},
    "cyclic": {"base_lr": 0.01, "max_lr": 0.1},
    "exponential": {"gamma": 0.9},
    "multistep": {"milestones": [1, 2]},
    "onecycle": {"max_lr": 0.1, "total_steps": 10},
    "step": {"step_size": 2},
}

#: torch schedulers deliberately not declared; the pack's README says the same.
LEFT_OUT = {
    "LRScheduler": "the base class",
    "LambdaLR": "needs a callable",
    "MultiplicativeLR": "needs a callable",
    "SequentialLR": "needs scheduler instances",
    "ChainedScheduler": "needs scheduler instances",
}


def test_every_torch_scheduler_has_a_name_or_a_reason(torchplug_registry):
    exported = {name: getattr(lr_scheduler, name) for name in lr_scheduler.__all__}
    torch_classes = {name: obj for name, obj in exported.items() if inspect.isclass(obj)}
    provided = {torchplug_registry.get("scheduler", f"{PACK}:{name}") for name in SCHEDULERS}
    undecided = sorted(
        name for name, cls in torch_classes.items() if cls not in provided and name not in LEFT_OUT
    )
    assert undecided == [], f"declare these schedulers or add them to LEFT_OUT: {undecided}"
    assert set(LEFT_OUT) <= set(torch_classes), "LEFT_OUT names a class torch no longer has"


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_steps_an_sgd_optimizer(torchplug_registry, name):
    build = torchplug_registry.get("scheduler", f"{PACK}:{name}")
    optimizer = torch.optim.SGD(nn.Linear(4, 2).parameters(), lr=0.1, momentum=0.9)
    scheduler = build(optimizer, **REQUIRED.get(name, {}))
    rates = []
    for _ in range(3):
        optimizer.step()
        if name == "reduce_on_plateau":  # steps on a validation metric
            scheduler.step(1.0)
        else:
            scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])

    assert isinstance(scheduler, lr_scheduler.LRScheduler)
    assert all(math.isfinite(rate) and rate >= 0 for rate in rates)
    assert scheduler.get_last_lr() == [rates[-1]]
