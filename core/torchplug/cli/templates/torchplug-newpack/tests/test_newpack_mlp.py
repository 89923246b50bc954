"""The mlp example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_gelu_mlp_keeps_the_model_dimension(torchplug_registry: Registry) -> None:
    mlp = torchplug_registry.build("mlp", f"{PACK}:newpack_gelu_mlp", 8, 32)
    assert mlp(torch.randn(2, 5, 8)).shape == (2, 5, 8)
