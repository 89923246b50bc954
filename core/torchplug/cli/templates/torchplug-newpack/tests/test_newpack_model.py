"""The model example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_mlp_maps_features(torchplug_registry: Registry) -> None:
    spec = {"type": f"{PACK}:newpack_mlp", "in_features": 4, "out_features": 2}
    model = torchplug_registry.build("model", spec)
    assert model(torch.randn(3, 4)).shape == (3, 2)
