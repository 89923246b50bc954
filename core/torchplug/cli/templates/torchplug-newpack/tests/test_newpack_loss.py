"""The loss example of torchplug-newpack."""

from __future__ import annotations

import torch
from torchplug import Registry

PACK = "torchplug-newpack"


def test_newpack_smoothed_cross_entropy_gives_a_finite_scalar(
    torchplug_registry: Registry,
) -> None:
    loss_fn = torchplug_registry.build("loss", f"{PACK}:newpack_smoothed_cross_entropy")
    loss = loss_fn(torch.randn(8, 5), torch.randint(0, 5, (8,)))
    assert loss.ndim == 0
    assert torch.isfinite(loss)
