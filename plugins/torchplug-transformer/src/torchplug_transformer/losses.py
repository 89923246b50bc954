"""Language-model losses: ``fn(...)`` -> ``(logits, targets) -> scalar``."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint


def _chunk_loss(
    logits: torch.Tensor, targets: torch.Tensor, ignore_index: int, label_smoothing: float
) -> torch.Tensor:
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    return F.cross_entropy(
        logits, targets, ignore_index=ignore_index, label_smoothing=label_smoothing, reduction="sum"
    )


class ChunkedCrossEntropy(nn.Module):
    """Cross-entropy over chunks of `chunk_size` tokens, equal to ``F.cross_entropy``.

    The full-vocabulary intermediates (the float32 copy of half-precision logits, the log-softmax)
    exist for one chunk at a time: each chunk is recomputed in the backward pass instead of kept.
    """

    def __init__(
        self,
        chunk_size: int = 4096,
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
        reduction: Literal["mean", "sum"] = "mean",
    ) -> None:
        super().__init__()
        if chunk_size < 1:
            raise ValueError(f"chunk_size={chunk_size} must be at least 1.")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction={reduction!r} must be 'mean' or 'sum'.")
        self.chunk_size = chunk_size
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The loss of `logits` ``(..., vocab)`` against class indices `targets` ``(...)``."""
        if logits.shape[:-1] != targets.shape:
            raise ValueError(
                f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} do not match: "
                "expected logits (..., vocab) and targets (...)."
            )
        flat_logits = logits.reshape(-1, logits.shape[-1])
        flat_targets = targets.reshape(-1)
        recompute = torch.is_grad_enabled() and logits.requires_grad
        sums = []
        for chunk, chunk_targets in zip(
            flat_logits.split(self.chunk_size), flat_targets.split(self.chunk_size), strict=True
        ):
            args = (chunk, chunk_targets, self.ignore_index, self.label_smoothing)
            sums.append(
                checkpoint(_chunk_loss, *args, use_reentrant=False)
                if recompute
                else _chunk_loss(*args)
            )
        # One reduction over the chunk sums, not a running total: rounding stays at F.cross_entropy's.
        total = torch.stack(sums).sum()
        if self.reduction == "sum":
            return total
        return total / (flat_targets != self.ignore_index).sum()

    def extra_repr(self) -> str:
        return f"chunk_size={self.chunk_size}, ignore_index={self.ignore_index}"


def build_chunked_cross_entropy(
    chunk_size: int = 4096,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
    reduction: Literal["mean", "sum"] = "mean",
) -> ChunkedCrossEntropy:
    """Cross-entropy over `chunk_size` tokens at a time; bounds memory for large vocabularies."""
    return ChunkedCrossEntropy(chunk_size, ignore_index, label_smoothing, reduction)
