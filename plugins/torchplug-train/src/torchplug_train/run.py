"""``torchplug run`` and ``torchplug lock``: from a config file to a resolved, checked, trained run.

The order matters: resolve and validate every component (and refuse conflicts) before anything
is trained; agree across ranks before step 0; compare with a lock or checkpoint before loading it.
torch is imported only once training really starts (or a checkpoint is read).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from torchplug import Registry, TorchplugError
from torchplug.build import ComponentFactory

from .config import TrainSettings, apply_settings, load_config
from .distributed import agree, destroy_process_group, environment_rank, init_process_group
from .lock import (
    Resolved,
    default_lock_path,
    follow,
    format_table,
    prepare,
    read_lock,
    resolved_set,
    verify_against,
    write_lock,
)


@dataclass(frozen=True)
class RunOptions:
    """The command-line options of ``torchplug run``."""

    config: str
    overrides: tuple[str, ...] = ()
    dry_run: bool = False
    resume: str | None = None
    locked: bool = False
    lock_file: str | None = None
    allow_mismatch: bool = False
    device: str = "auto"


def lock_command(
    registry: Registry, config: str, overrides: tuple[str, ...], output: str | None, out: TextIO
) -> Path:
    """Resolve a config and write its lock file; returns the file written."""
    table = load_config(config, overrides)
    apply_settings(registry, table, config)
    resolved = resolved_set(prepare(registry, table))
    target = write_lock(output or default_lock_path(config), resolved, config)
    print(format_table(resolved), file=out)
    print(f"Wrote {target}", file=out)
    return target


def run_command(
    registry: Registry, options: RunOptions, out: TextIO = sys.stdout
) -> dict[str, float]:
    """Resolve, check, agree across ranks, then train (unless a dry run); returns final metrics."""
    config = load_config(options.config, options.overrides)
    settings = TrainSettings.from_config(config.get("train", {}), options.config)
    apply_settings(registry, config, options.config)
    lock_file = options.lock_file or str(default_lock_path(options.config))
    if options.locked:
        follow(registry, read_lock(lock_file), lock_file)
    state = None
    if options.resume:  # resolve as the checkpoint was trained, whatever was installed since
        from .trainer import read_checkpoint, recorded_set

        state = read_checkpoint(options.resume)
        follow(registry, recorded_set(state), options.resume)
    rank, world_size, local_rank = environment_rank()
    distributed = world_size > 1
    if distributed:
        init_process_group(use_cuda=_wants_cuda(options.device), local_rank=local_rank)
    try:
        resolved, error = None, None
        try:
            factories = prepare(registry, config)
            resolved = resolved_set(factories)
        except TorchplugError as exc:
            if not distributed:
                raise
            error = str(exc)
        if distributed:
            agree(resolved, error, rank, world_size)
        assert resolved is not None
        if rank == 0:
            print(format_table(resolved), file=out)
        if options.locked:
            verify_against(
                read_lock(lock_file),
                resolved,
                f"the lock file {lock_file}",
                "Install what the lock names, or write a new lock with `torchplug lock CONFIG`.",
            )
        if state is not None and not options.allow_mismatch:
            verify_against(
                recorded_set(state),
                resolved,
                f"the checkpoint {options.resume}",
                "Install what the checkpoint was trained with, or pass --allow-mismatch.",
            )
        if options.dry_run:
            if rank == 0:
                print(
                    "Dry run: every component resolved and validated; nothing was trained.",
                    file=out,
                )
            return {}
        return _train(
            registry,
            options,
            config,
            settings,
            factories,
            resolved,
            state,
            (rank, world_size, local_rank),
            out,
        )
    finally:
        if distributed:
            destroy_process_group()


def _wants_cuda(device: str) -> bool:
    if device == "cpu":
        return False
    import torch

    return device == "cuda" or torch.cuda.is_available()


def _train(
    registry: Registry,
    options: RunOptions,
    config: dict[str, Any],
    settings: TrainSettings,
    factories: dict[str, ComponentFactory],
    resolved: list[Resolved],
    state: dict[str, Any] | None,
    ranks: tuple[int, int, int],
    out: TextIO,
) -> dict[str, float]:
    from .trainer import TrainingRun, choose_device, train

    rank, world_size, local_rank = ranks
    device = choose_device(options.device)
    if device.type == "cuda" and world_size > 1:
        import torch

        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    run = TrainingRun(config, options.config, settings, resolved, device, rank, world_size)
    metrics = train(registry, run, factories, resume=state, out=sys.stderr)
    if rank == 0:
        summary = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if k != "target_reached")
        print(f"Finished {run.step} steps: {summary}", file=out)
        if settings.target_loss is not None:
            reached = "reached" if metrics.get("target_reached") else "NOT reached"
            print(f"Target eval loss {settings.target_loss}: {reached}", file=out)
    return metrics
