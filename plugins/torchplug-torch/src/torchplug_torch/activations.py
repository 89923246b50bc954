"""Activation builders: the softmax family with ``dim=-1``.

torch's own default, ``dim=None``, picks a dimension from the input's rank and warns that this is
deprecated; a component selected by name should not depend on the rank of what it meets.
"""

from __future__ import annotations

from torch import nn


def softmax(dim: int = -1) -> nn.Softmax:
    """`nn.Softmax` over `dim`, the last dimension unless told otherwise."""
    return nn.Softmax(dim=dim)


def softmin(dim: int = -1) -> nn.Softmin:
    """`nn.Softmin` over `dim`, the last dimension unless told otherwise."""
    return nn.Softmin(dim=dim)


def log_softmax(dim: int = -1) -> nn.LogSoftmax:
    """`nn.LogSoftmax` over `dim`, the last dimension unless told otherwise."""
    return nn.LogSoftmax(dim=dim)
