"""The optimizer example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_sgd_nesterov_takes_a_step(torchplug_registry: Registry) -> None:
    weight = torch.nn.Parameter(torch.ones(3))
    spec = {"type": f"{PACK}:newpack_sgd_nesterov", "lr": 0.1}
    optimizer = torchplug_registry.build("optimizer", spec, [weight])
    weight.sum().backward()
    optimizer.step()
    assert torch.all(weight < 1)
