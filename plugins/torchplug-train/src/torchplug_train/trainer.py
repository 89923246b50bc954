"""The reference training loop behind ``torchplug run``: a consumer of the registry like any other.

It builds every component of a config through the registry, trains with DistributedDataParallel
under torchrun (gloo on CPU, nccl on CUDA) on the batches of `batches`, drives optimizers and
schedulers the way each asks (`stepping`), reports through pluggy hooks (`hookspecs`, called by `events`), checkpoints
atomically (`checkpoint`) and stops cleanly on SIGINT/SIGTERM (`signals`). Whatever a component's
own code raises is reported with its config path and pack (`errors.ComponentError`). This module
imports torch at its top; the modules that only read configs and resolve components do not.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torchplug import ConfigError, Registry, TorchplugError
from torchplug.build import ComponentFactory

from . import checkpoint, stepping
from .batches import Batches, pair
from .config import LoopOptions, TrainSettings
from .console import Console, count
from .distributed import barrier, largest_across_ranks
from .errors import CheckpointError, ComponentError, describe, first_line
from .events import Events
from .groups import check_options, describe_groups, param_groups, takes_model
from .lock import Resolved, to_json
from .signals import StopRequest


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
    run_dir: Path = field(default_factory=Path)
    model: Any = None
    optimizer: Any = None
    scheduler: Any = None
    loss_fn: Any = None
    step: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    param_group_names: list[list[str]] | None = None  # when [optimizer.param_groups] made them

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def output_dir(self) -> Path:
        """This run's own directory (``train.output_dir``, or a numbered sibling of it)."""
        return self.run_dir

    def unwrapped_model(self) -> Any:
        return getattr(self.model, "module", self.model)  # DDP wraps the model in .module

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything `--resume` needs, plus the config and the resolved set to compare against.

        The optimizer's and scheduler's state dicts are stored as they give them: a wrapper
        (Lookahead) may shape its own however it likes.
        """
        return {
            "torchplug_checkpoint": checkpoint.FORMAT,
            "step": self.step,
            "model": self.unwrapped_model().state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "param_groups": describe_groups(self.optimizer, self.param_group_names),
            "config": self.config,
            "lock": to_json(self.resolved),
        }


@dataclass
class Outcome:
    """How a run ended: its final metrics, and the signal that stopped it early, if one did."""

    metrics: dict[str, float]
    signal: int = 0

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else ""


def choose_device(requested: str, local_rank: int | None = None) -> torch.device:
    """The device to train on; under torchrun on CUDA, this rank's own GPU."""
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "CUDA was requested but torch sees no GPU; use --device cpu", path="--device"
        )
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and local_rank is not None:
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device(requested)


@contextlib.contextmanager
def _blame(factory: ComponentFactory, doing: str, fix: str) -> Iterator[None]:
    """Report an exception of a component's own code with its config path and pack."""
    try:
        yield
    except TorchplugError:
        raise
    except Exception as exc:
        raise ComponentError.raised(factory, exc, doing, fix) from exc


def _loss_inputs(logits: Any, targets: Any) -> tuple[Any, Any]:
    # Sequence models give (B, T, V) logits for (B, T) targets; classification losses want (N, V).
    if (
        isinstance(logits, torch.Tensor)
        and isinstance(targets, torch.Tensor)
        and logits.dim() > 2
        and targets.dim() == logits.dim() - 1
    ):
        return logits.flatten(0, -2), targets.flatten()
    return logits, targets


class _Loop:
    """One run's training: built components, data, events, and the step/eval/save actions."""

    def __init__(
        self,
        registry: Registry,
        run: TrainingRun,
        factories: Mapping[str, ComponentFactory],
        loop_options: LoopOptions,
        console: Console,
    ) -> None:
        self.run = run
        self.factories = factories
        self.options = loop_options
        self.console = console
        self.events = Events(registry)
        self.best_eval = math.inf
        self.started = time.perf_counter()

    # ------------------------------------------------------------------------------ building

    def _dataset(self, table: str) -> Any:
        factory = self.factories[table]
        with _blame(factory, "building the dataset", f"Check the values under [{table}]"):
            dataset = factory()
            size = len(dataset)
        if size == 0:
            raise ConfigError(
                f"the dataset is empty; it needs at least one sample ({factory.component})",
                path=table,
            )
        return dataset

    def build(self) -> None:
        run, factories = self.run, self.factories
        self.dataset = self._dataset("dataset")
        self.held_out = self._dataset("eval_dataset") if "eval_dataset" in factories else None
        with _blame(factories["model"], "building the model", "Check the values under [model]"):
            model = factories["model"]().to(run.device)
        if run.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            device_ids = [run.device.index] if run.device.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=device_ids)
        run.model = model
        run.optimizer = self._optimizer(run.unwrapped_model())
        scheduler_factory = factories.get("scheduler")
        run.scheduler = None
        if scheduler_factory is not None:
            with _blame(
                scheduler_factory, "building the scheduler", "Check the values under [scheduler]"
            ):
                run.scheduler = scheduler_factory(run.optimizer)
        self.scheduler = stepping.SchedulerDriver(
            run.scheduler,
            stepping.step_on(run.scheduler, self.options.step_on)
            if run.scheduler is not None
            else "none",
        )
        with _blame(factories["loss"], "building the loss", "Check the values under [loss]"):
            run.loss_fn = factories["loss"]()
        self.closure = stepping.needs_closure(run.optimizer)
        self.create_graph = stepping.needs_create_graph(run.optimizer)
        self.modes = stepping.has_modes(run.optimizer)

    def _optimizer(self, model: Any) -> Any:
        factory = self.factories["optimizer"]
        settings = self.options.param_groups
        if takes_model(factory.builder):
            if settings is not None:
                raise ConfigError(
                    "this optimizer builds its own parameter groups from the model; remove "
                    f"[optimizer.param_groups] ({factory.component})",
                    path="optimizer.param_groups",
                )
            argument: Any = model
        elif settings is not None:
            argument, self.run.param_group_names = param_groups(model, settings)
        else:
            argument = model.parameters()
        fix = "Check the values under [optimizer] (a learning rate is a positive number)"
        with _blame(factory, "building the optimizer", fix):
            optimizer = factory(argument)
        if settings is not None:
            check_options(optimizer, settings, factory.name)
        return optimizer

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load a checkpoint's state into the built components (refusing what does not fit)."""
        run = self.run
        path = state.get("path", "the checkpoint")
        parts: list[tuple[str, Any, Any]] = [
            ("model", run.unwrapped_model(), state["model"]),
            ("optimizer", run.optimizer, state["optimizer"]),
        ]
        if run.scheduler is not None and state.get("scheduler") is not None:
            parts.append(("scheduler", run.scheduler, state["scheduler"]))
        for name, component, saved in parts:
            try:
                component.load_state_dict(saved)
            except Exception as exc:
                raise CheckpointError(
                    f"{path}: its {name} state does not fit the {name} this config builds "
                    f"({first_line(exc, 300)}). Resume with the config the checkpoint "
                    "was trained with: config.toml in its run directory."
                ) from exc
        run.step = int(state["step"])

    def load_data(self, resume: Mapping[str, Any] | None) -> None:
        """The batches; a resumed run's go on where its checkpoint's left off."""
        run = self.run
        data_rng = resume.get("data_rng") if resume is not None else None
        self.data = Batches(
            self.dataset, self.held_out, run.settings, run.rank, run.world_size, data_rng
        )

    # ------------------------------------------------------------------------------ actions

    def _loss(self, inputs: Any, targets: Any, training: bool) -> Any:
        run, factories = self.run, self.factories
        where = "a training" if training else "an evaluation"
        with _blame(
            factories["model"],
            f"the model's forward pass on {where} batch ({describe(inputs)})",
            "Check that [model] fits the data of [dataset]",
        ):
            logits = run.model(inputs)
        with _blame(
            factories["loss"],
            f"the loss of the model's output ({describe(logits)}) against the targets "
            f"({describe(targets)})",
            "Choose a loss that fits the task and the model's output (`torchplug list loss`)",
        ):
            loss = run.loss_fn(*_loss_inputs(logits, targets))
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ConfigError(
                f"the loss must be a scalar tensor, but it returned {describe(loss)}; choose a "
                f"loss that reduces to one number ({factories['loss'].component})",
                path="loss",
            )
        return loss

    def train_step(self, inputs: Any, targets: Any) -> float:
        run, settings = self.run, self.run.settings
        number = run.step + 1

        def closure() -> Any:
            run.optimizer.zero_grad()
            loss = self._loss(inputs, targets, training=True)
            if not torch.isfinite(loss):
                raise ConfigError(
                    f"the loss became {float(loss.detach())} at step {number}: training diverged. Lower "
                    "the learning rate (optimizer.lr) or set train.grad_clip",
                    path="optimizer",
                )
            with _blame(
                self.factories["model"],
                "backpropagating the loss through the model",
                "Check the model's code",
            ):
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*create_graph=True.*")
                    loss.backward(create_graph=self.create_graph)
            if settings.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(run.model.parameters(), settings.grad_clip)
            return loss

        optimizer_factory = self.factories["optimizer"]
        fix = "Check the values under [optimizer]"
        if self.closure:
            with _blame(optimizer_factory, f"the optimizer's step {number} (with a closure)", fix):
                loss = run.optimizer.step(closure)
        else:
            loss = closure()
            with _blame(optimizer_factory, f"the optimizer's step {number}", fix):
                run.optimizer.step()
        if self.create_graph:
            run.optimizer.zero_grad()  # the gradients hold the graph: let it go now
        run.step = number
        if run.scheduler is not None:
            with _blame(self.factories["scheduler"], "stepping the scheduler", "Check [scheduler]"):
                self.scheduler.after_step(run.step)
                epoch, into = divmod(run.step, self.data.steps_per_epoch)
                if into == 0:
                    self.scheduler.after_epoch(epoch)
        return float(loss.detach())

    def _optimizer_mode(self, mode: str) -> None:
        if self.modes:
            getattr(self.run.optimizer, mode)()

    def evaluate(self) -> float:
        run = self.run
        run.model.eval()
        self._optimizer_mode("eval")
        self.events("torchplug_evaluate_start", run=run, step=run.step)
        total, batches = 0.0, 0
        table = "eval_dataset" if "eval_dataset" in self.factories else "dataset"
        with (
            torch.no_grad(),
            _blame(
                self.factories[table],
                "loading an evaluation batch",
                f"Check the values under [{table}]",
            ),
        ):
            for batch in self.data.evaluation():
                inputs, targets = pair(batch, self.factories[table], table)
                loss = self._loss(inputs.to(run.device), targets.to(run.device), training=False)
                total += float(loss)
                batches += 1
        eval_loss = total / max(batches, 1)
        self.best_eval = min(self.best_eval, eval_loss)
        self.console.evaluated(run.step, eval_loss, self.best_eval)
        self.events("torchplug_evaluate", run=run, step=run.step, metrics={"eval_loss": eval_loss})
        if run.scheduler is not None:
            with _blame(self.factories["scheduler"], "stepping the scheduler", "Check [scheduler]"):
                self.scheduler.after_eval(eval_loss)
        return eval_loss

    def resume_training_mode(self) -> None:
        self.run.model.train()
        self._optimizer_mode("train")

    def save(self) -> Path:
        """Write the checkpoint on rank 0 (optimizer in eval mode: its weights are the ones kept)."""
        run = self.run
        self._optimizer_mode("eval")
        target = checkpoint.checkpoint_path(run.run_dir)
        if run.is_main:
            state = {**run.checkpoint_state(), "data_rng": self.data.epoch_rng}
            self.events("torchplug_checkpoint_start", run=run, step=run.step, state=state)
            checkpoint.save_atomically(state, target)
            self.events("torchplug_checkpoint_end", run=run, step=run.step, path=target)
        return target

    def summary(self, status: str, metrics: Mapping[str, float]) -> dict[str, Any]:
        run = self.run
        return {
            "status": status,
            "config": run.config_path,
            "run_dir": str(run.run_dir),
            "step": run.step,
            "steps": run.settings.steps,
            "metrics": dict(metrics),
            "best_eval_loss": self.best_eval if math.isfinite(self.best_eval) else None,
            "seconds": round(time.perf_counter() - self.started, 2),
            "device": str(run.device),
            "world_size": run.world_size,
            "parameters": sum(p.numel() for p in run.unwrapped_model().parameters()),
            "param_groups": describe_groups(run.optimizer, None),
            "checkpoint": str(checkpoint.checkpoint_path(run.run_dir)),
        }


def train(
    registry: Registry,
    run: TrainingRun,
    factories: Mapping[str, ComponentFactory],
    *,
    loop_options: LoopOptions | None = None,
    resume: Mapping[str, Any] | None = None,
    console: Console | None = None,
) -> Outcome:
    """Build the components on `run.device` and train; returns how the run ended."""
    from .rundir import write_summary

    settings = run.settings
    console = console or Console(run.is_main, sys.stderr)
    if settings.threads > 0 and run.device.type == "cpu":
        torch.set_num_threads(settings.threads)  # tiny models on a busy CPU run faster on one
    torch.manual_seed(settings.seed + run.rank)
    loop = _Loop(registry, run, factories, loop_options or LoopOptions(), console)
    loop.build()
    if resume is not None:
        loop.restore(resume)
    loop.load_data(resume)
    model = run.unwrapped_model()
    parameters = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    groups = len(getattr(run.optimizer, "param_groups", []))
    if run.is_main:
        resumed = f", resuming after step {run.step}" if resume is not None else ""
        print(
            f"Training on {run.device} (world size {run.world_size}{resumed}): "
            f"{count(parameters)} parameters ({count(trainable)} trainable), "
            f"{groups} parameter group{'s' if groups != 1 else ''}, "
            f"scheduler stepped per {loop.scheduler.mode if run.scheduler is not None else '-'}",
            flush=True,
        )
    loop.resume_training_mode()
    loop.events("torchplug_train_start", run=run)
    console.start_progress(settings.steps, run.step, settings.log_every)
    batches = loop.data.training(run.step)
    recent: list[float] = []
    stopped = 0
    try:
        with StopRequest(announce=run.is_main) as stop:
            while run.step < settings.steps:
                with _blame(
                    factories["dataset"],
                    "loading a batch",
                    "Check the values under [dataset] (a sample is an (inputs, targets) pair)",
                ):
                    batch = next(batches)
                inputs, targets = pair(batch, factories["dataset"], "dataset")
                started = time.perf_counter()
                value = loop.train_step(inputs.to(run.device), targets.to(run.device))
                recent = [*recent[-9:], value]
                rate = len(inputs) * run.world_size / max(time.perf_counter() - started, 1e-9)
                metrics = {
                    "loss": value,
                    "lr": float(run.optimizer.param_groups[0]["lr"]),
                    "samples_per_s": rate,
                }
                run.metrics = metrics
                console.step(run.step, value, rate)
                loop.events(
                    "torchplug_step_end", run=run, step=run.step, loss=value, metrics=metrics
                )
                stopped = largest_across_ranks(stop.signum or 0, run.device)
                if stopped:
                    break
                if run.step >= settings.steps:
                    break
                if settings.checkpoint_every and run.step % settings.checkpoint_every == 0:
                    loop.save()
                    loop.resume_training_mode()
                if settings.eval_every and run.step % settings.eval_every == 0:
                    loop.evaluate()
                    loop.resume_training_mode()
            final = {"loss": sum(recent) / len(recent) if recent else math.nan}
            if stopped:
                loop.save()
                final["interrupted"] = 1.0
                status = "interrupted"
            else:
                final["eval_loss"] = loop.evaluate()
                if settings.target_loss is not None:
                    final["target_reached"] = float(final["eval_loss"] <= settings.target_loss)
                loop.save()
                status = "finished"
    finally:
        console.close()
    run.metrics = final
    if run.is_main:
        write_summary(run.run_dir, loop.summary(status, final))
    loop.events("torchplug_train_end", run=run, metrics=final)
    barrier()  # rank 0 has written everything before any rank exits
    return Outcome(final, stopped)
