"""The scheduler example of torchplug-newpack."""

from __future__ import annotations

import types

import pytest
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_warmup_warms_up_linearly(torchplug_registry: Registry) -> None:
    optimizer = types.SimpleNamespace(param_groups=[{"lr": 0.1}])  # all it touches
    spec = {"type": f"{PACK}:newpack_warmup", "warmup_steps": 4}
    scheduler = torchplug_registry.build("scheduler", spec, optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.0
    for _ in range(4):
        scheduler.step()
    assert scheduler.get_last_lr() == [pytest.approx(0.1)]
