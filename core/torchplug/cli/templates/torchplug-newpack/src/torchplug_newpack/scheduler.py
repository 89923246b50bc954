"""scheduler components of torchplug-newpack."""

from __future__ import annotations

from typing import Any, Protocol


class _Optimizer(Protocol):
    param_groups: list[dict[str, Any]]


class LinearWarmup:
    """Raise each param group's learning rate linearly from ``start_factor`` times
    its base value to the base value over ``warmup_steps`` steps, then hold it.

    It touches only ``optimizer.param_groups``: any torch optimizer works, and this
    module needs no torch. Call `step` after each ``optimizer.step()``.
    """

    def __init__(
        self, optimizer: _Optimizer, warmup_steps: int = 100, start_factor: float = 0.0
    ) -> None:
        if warmup_steps < 1:
            raise ValueError(f"warmup_steps must be at least 1, got {warmup_steps}")
        self.optimizer = optimizer
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_step = 0
        self._apply()

    def step(self) -> None:
        """Advance the schedule by one optimizer step."""
        self.last_step += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate of each param group, as torch's schedulers report it."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"last_step": self.last_step, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = state["last_step"]
        self.base_lrs = list(state["base_lrs"])
        self._apply()

    def _apply(self) -> None:
        progress = min(self.last_step / self.warmup_steps, 1.0)
        factor = self.start_factor + (1.0 - self.start_factor) * progress
        groups = self.optimizer.param_groups
        for group, base_lr in zip(groups, self.base_lrs, strict=True):
            group["lr"] = base_lr * factor
