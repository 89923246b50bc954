"""Every LR scheduler the pack declares builds on an optimizer from its name and steps."""

from __future__ import annotations

import inspect
import math

import importlib_metadata
import pytest
import torch
import torchplug
from torch import nn

PACK = "torchplug-pytorch-optimizer"
SCHEDULERS = sorted(
    importlib_metadata.distribution(PACK).entry_points.select(group="torchplug.scheduler").names
)

#: The hyperparameters a schedule cannot do without (one_cycle: total_steps, or epochs and
#: steps_per_epoch).
REQUIRED: dict[str, dict[str, object]] = {
    "chebyshev": {"num_epochs": 10},
    "cosine": {"t_max": 10, "max_lr": 0.1},
    "cosine_annealing": {"T_max": 10},
    "cosine_annealing_with_warm_restart": {"T_0": 5},
    "cosine_annealing_with_warmup": {"first_cycle_steps": 10},
    "cyclic": {"base_lr": 0.01, "max_lr": 0.1},
    "linear": {"t_max": 10, "max_lr": 0.1},
    "multi_step": {"milestones": [1, 2]},
    "one_cycle": {"max_lr": 0.1, "total_steps": 10},
    "poly": {"t_max": 10, "max_lr": 0.1},
    "rex": {"total_steps": 10},
    "step": {"step_size": 2},
    "warmup_stable_decay": {"num_warmup_steps": 2, "num_stable_steps": 2, "num_decay_steps": 2},
}


def sgd() -> torch.optim.SGD:
    return torch.optim.SGD(nn.Linear(4, 2).parameters(), lr=0.1, momentum=0.9)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_builds_from_its_name_and_steps(torchplug_registry, name):
    builder = torchplug_registry.get("scheduler", f"{PACK}:{name}")
    required = {
        p.name
        for p in list(inspect.signature(builder).parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }
    assert required <= set(REQUIRED.get(name, {})), f"give {name}'s required keys in REQUIRED"
    optimizer = sgd()
    scheduler = torchplug_registry.build(
        "scheduler", {"type": f"{PACK}:{name}", **REQUIRED.get(name, {})}, optimizer
    )
    rates = []
    for _ in range(3):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert all(math.isfinite(rate) and rate >= 0 for rate in rates)


def test_poly_checks_the_keys_it_hands_to_its_base_class(torchplug_registry):
    spec = {"type": f"{PACK}:poly", "t_maxx": 10, "max_lr": 0.1}
    with pytest.raises(torchplug.ConfigError) as caught:
        torchplug_registry.build("scheduler", spec, sgd())
    assert "unknown key 't_maxx'" in str(caught.value)
    assert "Did you mean 't_max'" in str(caught.value)


def test_poly_passes_its_base_class_keys_on(torchplug_registry):
    spec = {"type": f"{PACK}:poly", "t_max": 10, "max_lr": 0.5, "warmup_steps": 2}
    scheduler = torchplug_registry.build("scheduler", spec, sgd())
    assert (scheduler.total_steps, scheduler.max_lr, scheduler.warmup_steps) == (10, 0.5, 2)
