"""Loss builders that adapt a torch loss whose defaults do not fit the ``loss`` contract."""

from __future__ import annotations

from typing import Literal

from torch import nn


def kl_div(
    reduction: Literal["batchmean", "mean", "sum", "none"] = "batchmean", log_target: bool = False
) -> nn.KLDivLoss:
    """`nn.KLDivLoss` of log-probabilities; "batchmean" is the KL divergence ("mean" warns)."""
    return nn.KLDivLoss(reduction=reduction, log_target=log_target)
