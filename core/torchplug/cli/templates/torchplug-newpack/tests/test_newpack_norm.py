"""The norm example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_layernorm_normalises_the_last_dimension(torchplug_registry: Registry) -> None:
    norm = torchplug_registry.build("norm", f"{PACK}:newpack_layernorm", 16)
    y = norm(torch.randn(2, 3, 16) * 5 + 3)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 3), atol=1e-5)
