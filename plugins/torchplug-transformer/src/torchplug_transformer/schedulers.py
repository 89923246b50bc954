"""Learning-rate schedules for LM pretraining: ``fn(optimizer, ...)`` -> ``LRScheduler``.

Both step once per optimizer step. The learning rate is each group's initial one times a factor:
a linear warmup over steps ``0 .. warmup_steps - 1`` reaching 1 at step ``warmup_steps``, then a
decay that reaches ``min_lr_ratio`` at step ``total_steps`` and stays there.
"""

from __future__ import annotations

import math
from typing import Literal

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


def _check_steps(total_steps: int, warmup_steps: int, min_lr_ratio: float) -> None:
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(
            f"warmup_steps={warmup_steps} must be at least 0 and below total_steps={total_steps}."
        )
    if not 0.0 <= min_lr_ratio <= 1.0:
        raise ValueError(f"min_lr_ratio={min_lr_ratio} must be between 0 and 1.")


def _warmup(step: int, warmup_steps: int) -> float:
    # (step + 1) / (warmup + 1): the first step already learns, step `warmup_steps` is the peak.
    return (step + 1) / (warmup_steps + 1)


def warmup_cosine_factor(
    step: int, total_steps: int, warmup_steps: int = 0, min_lr_ratio: float = 0.0
) -> float:
    """The multiplier of the base learning rate at `step` of a warmup-then-cosine schedule."""
    if step < warmup_steps:
        return _warmup(step, warmup_steps)
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def wsd_factor(
    step: int,
    total_steps: int,
    warmup_steps: int = 0,
    decay_steps: int = 0,
    min_lr_ratio: float = 0.0,
    decay_shape: Literal["linear", "cosine", "sqrt"] = "linear",
) -> float:
    """The multiplier at `step` of warmup, a plateau at 1, then a decay over the last steps."""
    if step < warmup_steps:
        return _warmup(step, warmup_steps)
    decay_start = total_steps - decay_steps
    if step < decay_start:
        return 1.0
    progress = min(1.0, (step - decay_start) / decay_steps)
    if decay_shape == "linear":
        remaining = 1.0 - progress
    elif decay_shape == "cosine":
        remaining = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:  # "sqrt": 1 - sqrt(progress), a fast early drop that flattens out
        remaining = 1.0 - math.sqrt(progress)
    return min_lr_ratio + (1.0 - min_lr_ratio) * remaining


class WarmupCosineLR(LRScheduler):
    """Linear warmup, then a cosine from each group's learning rate to ``min_lr_ratio`` of it."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_steps: int,
        warmup_steps: int = 0,
        min_lr_ratio: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        _check_steps(total_steps, warmup_steps, min_lr_ratio)
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.min_lr_ratio = min_lr_ratio
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = warmup_cosine_factor(
            self.last_epoch, self.total_steps, self.warmup_steps, self.min_lr_ratio
        )
        return [base_lr * factor for base_lr in self.base_lrs]


class WSDLR(LRScheduler):
    """Warmup-stable-decay: linear warmup, a plateau at the base learning rate, a final decay."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_steps: int,
        warmup_steps: int = 0,
        decay_steps: int = 0,
        min_lr_ratio: float = 0.0,
        decay_shape: Literal["linear", "cosine", "sqrt"] = "linear",
        last_epoch: int = -1,
    ) -> None:
        _check_steps(total_steps, warmup_steps, min_lr_ratio)
        if not 0 < decay_steps <= total_steps - warmup_steps:
            raise ValueError(
                f"decay_steps={decay_steps} must be positive and fit after the warmup: at most "
                f"total_steps - warmup_steps = {total_steps - warmup_steps}."
            )
        if decay_shape not in ("linear", "cosine", "sqrt"):
            raise ValueError(f"decay_shape={decay_shape!r} must be 'linear', 'cosine' or 'sqrt'.")
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self.min_lr_ratio = min_lr_ratio
        self.decay_shape = decay_shape
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        factor = wsd_factor(
            self.last_epoch,
            self.total_steps,
            self.warmup_steps,
            self.decay_steps,
            self.min_lr_ratio,
            self.decay_shape,
        )
        return [base_lr * factor for base_lr in self.base_lrs]


def build_warmup_cosine(
    optimizer: Optimizer, total_steps: int, warmup_steps: int = 0, min_lr_ratio: float = 0.1
) -> WarmupCosineLR:
    """Linear warmup, then cosine decay to ``min_lr_ratio`` times the base rate at `total_steps`."""
    return WarmupCosineLR(optimizer, total_steps, warmup_steps, min_lr_ratio)


def build_wsd(
    optimizer: Optimizer,
    total_steps: int,
    warmup_steps: int = 0,
    decay_fraction: float = 0.2,
    min_lr_ratio: float = 0.0,
    decay_shape: Literal["linear", "cosine", "sqrt"] = "linear",
) -> WSDLR:
    """Warmup-stable-decay; the decay takes the last ``decay_fraction`` of `total_steps`."""
    if not 0.0 < decay_fraction <= 1.0:
        raise ValueError(f"decay_fraction={decay_fraction} must be in (0, 1].")
    decay_steps = max(1, round(decay_fraction * total_steps))
    return WSDLR(optimizer, total_steps, warmup_steps, decay_steps, min_lr_ratio, decay_shape)
