"""The activation example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_gelu_tanh_keeps_the_shape(torchplug_registry: Registry) -> None:
    activation = torchplug_registry.build("activation", f"{PACK}:newpack_gelu_tanh")
    x = torch.randn(2, 3, 4)
    assert activation(x).shape == x.shape
