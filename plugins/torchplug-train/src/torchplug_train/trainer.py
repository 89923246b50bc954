"""The reference training loop behind ``torchplug run``: a consumer of the registry like any other.

It builds every component of a config through the registry, checks that all ranks resolved the
same set, trains with DistributedDataParallel under torchrun (gloo on CPU, nccl on CUDA), and
reports progress and checkpoints through pluggy hooks (the events of `hookspecs`). This module
imports torch at its top; the modules that only read configs and resolve components do not.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch
from torch.utils.data import DataLoader, DistributedSampler
from torchplug import ConfigError, Registry, TorchplugError
from torchplug.build import ComponentFactory

from . import hookspecs
from .config import TrainSettings
from .lock import Resolved, from_json, to_json

_CHECKPOINT_FORMAT = 1


@dataclass
class TrainingRun:
    """What hook plugins see: the config, the built components, the resolved set, the progress."""

    config: dict[str, Any]
    config_path: str
    settings: TrainSettings
    resolved: list[Resolved]
    device: torch.device
    rank: int = 0
    world_size: int = 1
    model: Any = None
    optimizer: Any = None
    scheduler: Any = None
    loss_fn: Any = None
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def output_dir(self) -> Path:
        return Path(self.settings.output_dir)

    def unwrapped_model(self) -> Any:
        return getattr(self.model, "module", self.model)  # DDP wraps the model in .module

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything `--resume` needs, plus the config and the resolved set to compare against."""
        return {
            "torchplug_checkpoint": _CHECKPOINT_FORMAT,
            "step": self.step,
            "model": self.unwrapped_model().state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "config": self.config,
            "lock": to_json(self.resolved),
        }


def choose_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "CUDA was requested but torch sees no GPU; use --device cpu", path="--device"
        )
    return torch.device(requested)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ConfigError(f"cannot read the checkpoint: {exc}", path=str(path)) from None
    if not isinstance(state, dict) or state.get("torchplug_checkpoint") != _CHECKPOINT_FORMAT:
        raise ConfigError("not a torchplug checkpoint", path=str(path))
    return state


def _optimizer_step(run: TrainingRun, model: Any, inputs: Any, targets: Any) -> None:
    if not isinstance(run.optimizer, torch.optim.LBFGS):
        run.optimizer.step()
        return

    def closure() -> torch.Tensor:  # LBFGS re-evaluates the loss several times per step
        run.optimizer.zero_grad(set_to_none=True)
        again = run.loss_fn(*_loss_inputs(model(inputs.to(run.device)), targets.to(run.device)))
        again.backward()
        return again

    run.optimizer.step(closure)


def _loss_inputs(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # Sequence models give (B, T, V) logits for (B, T) targets; classification losses want (N, V).
    if logits.dim() > 2 and targets.dim() == logits.dim() - 1:
        return logits.flatten(0, -2), targets.flatten()
    return logits, targets


def _batches(loader: DataLoader[Any], sampler: Any, start_epoch: int) -> Iterator[Any]:
    epoch = start_epoch
    while True:
        if sampler is not None:
            sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


class _Progress:
    """A tqdm bar on a terminal; plain log lines every `log_every` steps otherwise."""

    def __init__(self, total: int, start: int, log_every: int, enabled: bool, out: TextIO) -> None:
        self._out = out
        self._every = log_every
        self._enabled = enabled
        self._bar = None
        if enabled and out.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=start, file=out, unit="step", dynamic_ncols=True)

    def update(self, step: int, total: int, loss: float, rate: float) -> None:
        if not self._enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{loss:.4f}", samples_s=f"{rate:.0f}", refresh=False)
            self._bar.update(1)
        elif step % self._every == 0 or step == total:
            print(
                f"step {step}/{total}  loss {loss:.4f}  {rate:.0f} samples/s",
                file=self._out,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _evaluate(run: TrainingRun, loader: DataLoader[Any]) -> float:
    with torch.no_grad():
        return _mean_loss(run, loader)


def _mean_loss(run: TrainingRun, loader: DataLoader[Any]) -> float:
    model = run.model
    model.eval()
    total, count = 0.0, 0
    for index, (inputs, targets) in enumerate(loader):
        if index >= run.settings.eval_batches:
            break
        logits = model(inputs.to(run.device))
        loss = run.loss_fn(*_loss_inputs(logits, targets.to(run.device)))
        total += float(loss)
        count += 1
    model.train()
    return total / max(count, 1)


def train(
    registry: Registry,
    run: TrainingRun,
    factories: Mapping[str, ComponentFactory],
    *,
    resume: dict[str, Any] | None = None,
    out: TextIO = sys.stderr,
) -> dict[str, float]:
    """Build the components on `run.device` and train; returns the final metrics."""
    settings = run.settings
    if settings.threads > 0 and run.device.type == "cpu":
        torch.set_num_threads(settings.threads)  # tiny models on a busy CPU run faster on one
    torch.manual_seed(settings.seed + run.rank)
    dataset = factories["dataset"]()
    model = factories["model"]().to(run.device)
    if run.world_size > 1:
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [run.device.index] if run.device.type == "cuda" else None
        model = DistributedDataParallel(model, device_ids=device_ids)
    run.model = model
    run.optimizer = factories["optimizer"](model.parameters())
    run.scheduler = factories["scheduler"](run.optimizer) if "scheduler" in factories else None
    run.loss_fn = factories["loss"]()

    if resume is not None:
        run.unwrapped_model().load_state_dict(resume["model"])
        run.optimizer.load_state_dict(resume["optimizer"])
        if run.scheduler is not None and resume.get("scheduler") is not None:
            run.scheduler.load_state_dict(resume["scheduler"])
        run.step = int(resume["step"])

    sampler: Any = (
        DistributedSampler(dataset, run.world_size, run.rank, shuffle=True, seed=settings.seed)
        if run.world_size > 1
        else None
    )
    generator = torch.Generator().manual_seed(settings.seed)
    loader = DataLoader(
        dataset,
        batch_size=settings.batch_size,
        sampler=sampler,
        shuffle=sampler is None,
        generator=generator if sampler is None else None,
        drop_last=len(dataset) >= settings.batch_size * run.world_size,
    )
    held_out = factories["eval_dataset"]() if "eval_dataset" in factories else dataset
    eval_loader = DataLoader(held_out, batch_size=settings.batch_size, shuffle=False)
    manager = registry.plugin_manager
    manager.add_hookspecs(hookspecs)  # the loop's own events, beside the core's
    hook = manager.hook
    hook.torchplug_train_start(run=run)
    progress = _Progress(settings.steps, run.step, settings.log_every, run.is_main, out)
    batches = _batches(loader, sampler, start_epoch=run.step // max(len(loader), 1))
    recent: list[float] = []
    try:
        while run.step < settings.steps:
            inputs, targets = next(batches)
            started = time.perf_counter()
            logits = model(inputs.to(run.device))
            loss = run.loss_fn(*_loss_inputs(logits, targets.to(run.device)))
            if not torch.isfinite(loss):
                raise TorchplugError(
                    f"the loss became {float(loss)} at step {run.step + 1}; lower the learning "
                    "rate or set train.grad_clip"
                )
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if settings.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            _optimizer_step(run, model, inputs, targets)
            if isinstance(run.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                run.scheduler.step(float(loss.detach()))  # it steps on a metric, not a count
            elif run.scheduler is not None:
                run.scheduler.step()
            run.step += 1
            value = float(loss.detach())
            recent = [*recent[-9:], value]
            rate = len(inputs) * run.world_size / max(time.perf_counter() - started, 1e-9)
            metrics = {
                "loss": value,
                "lr": float(run.optimizer.param_groups[0]["lr"]),
                "samples_per_s": rate,
            }
            run.metrics = metrics
            progress.update(run.step, settings.steps, value, rate)
            hook.torchplug_step_end(run=run, step=run.step, loss=value, metrics=metrics)
            if (
                settings.eval_every
                and run.step % settings.eval_every == 0
                and run.step < settings.steps
            ):
                eval_metrics = {"eval_loss": _evaluate(run, eval_loader)}
                hook.torchplug_evaluate(run=run, step=run.step, metrics=eval_metrics)
    finally:
        progress.close()
    final = {"loss": sum(recent) / len(recent) if recent else math.nan}
    final["eval_loss"] = _evaluate(run, eval_loader)
    hook.torchplug_evaluate(run=run, step=run.step, metrics={"eval_loss": final["eval_loss"]})
    if settings.target_loss is not None:
        final["target_reached"] = float(final["eval_loss"] <= settings.target_loss)
    run.metrics = final
    hook.torchplug_train_end(run=run, metrics=final)
    return final


def recorded_set(state: Mapping[str, Any]) -> list[Resolved]:
    """The resolved set a checkpoint was trained with."""
    return from_json(state["lock"])
