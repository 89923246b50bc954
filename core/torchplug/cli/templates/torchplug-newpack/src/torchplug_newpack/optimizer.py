"""optimizer components of torchplug-newpack."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import torch


def build_sgd_nesterov(
    params: Iterable[torch.Tensor], lr: float = 0.01, momentum: float = 0.9
) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum always on: replace it with your optimizer.

    torch is imported on the first build, so importing this module stays cheap.
    """
    import torch

    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True)
