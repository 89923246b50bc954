"""``torchplug run`` and ``torchplug lock``: from a config file to a resolved, checked, trained run.

The order matters: read and check the config and ``[train]`` (no torch yet); resolve and validate
every component (and refuse conflicts) before anything is trained; agree across ranks before step
0; compare with a lock or checkpoint before loading it; claim a run directory of its own; then
train. torch is imported only once components are resolved (or a checkpoint is read).
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from torchplug import ConfigError, Registry, TorchplugError
from torchplug.build import ComponentFactory

from .autoload import skip_unclaimed_backend_scan
from .config import LoopOptions, TrainSettings, apply_settings, load_config, train_table
from .distributed import (
    agree,
    destroy_process_group,
    environment_rank,
    from_main_rank,
    init_process_group,
)
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

if TYPE_CHECKING:
    from .trainer import TrainingRun


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

    def command(self) -> str:
        """The command line that ran, for the run directory's ``config.toml``."""
        words = ["torchplug", "run", self.config]
        for override in self.overrides:
            words += ["--set", override]
        if self.resume:
            words += ["--resume", self.resume]
        if self.lock_file:
            words += ["--lock-file", self.lock_file]
        elif self.locked:
            words.append("--locked")
        if self.allow_mismatch:
            words.append("--allow-mismatch")
        if self.device != "auto":
            words += ["--device", self.device]
        return shlex.join(words)


@contextlib.contextmanager
def _naming_the_file(config: str) -> Iterator[None]:
    """Every config error names the file as well as the key: "tiny.toml: train.steps: ..."."""
    try:
        yield
    except ConfigError as exc:
        message = str(exc)
        if not message.startswith(config):
            exc.args = (f"{config}: {message}", *exc.args[1:])
        raise


def lock_command(
    registry: Registry, config: str, overrides: tuple[str, ...], output: str | None, out: TextIO
) -> Path:
    """Resolve a config and write its lock file; returns the file written."""
    skip_unclaimed_backend_scan(registry)  # before the packs import torch
    with _naming_the_file(config):
        table = load_config(config, overrides)
        apply_settings(registry, table, config)
        resolved = resolved_set(prepare(registry, table))
        target = Path(output or default_lock_path(config))
        try:
            write_lock(target, resolved, config)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the lock file: {exc.strerror or exc}; give a writable path with -o",
                path=str(target),
            ) from None
    print(format_table(resolved), file=out)
    print(f"Wrote {target}", file=out)
    return target


def run_command(registry: Registry, options: RunOptions, out: TextIO = sys.stdout) -> int:
    """Resolve, check, agree across ranks, then train (unless a dry run); returns the exit status:
    0, or 128 + the signal that stopped training early (its checkpoint written)."""
    with _naming_the_file(options.config):
        return _run(registry, options, out)


def _run(registry: Registry, options: RunOptions, out: TextIO) -> int:
    skip_unclaimed_backend_scan(registry)  # before anything imports torch
    config = load_config(options.config, options.overrides)
    settings = train_table(config, options.config)
    loop = LoopOptions.from_config(config)
    apply_settings(registry, config, options.config)
    lock_file = options.lock_file or str(default_lock_path(options.config))
    if options.locked:
        follow(registry, read_lock(lock_file), lock_file)
    state = None
    if options.resume:  # resolve as the checkpoint was trained, whatever was installed since
        from .checkpoint import read_checkpoint, recorded_set

        state = read_checkpoint(options.resume)
        if state["step"] >= settings.steps:  # else a run of no steps, its loss NaN
            raise ConfigError(
                f"the checkpoint {state['path']} is at step {state['step']}, so train.steps = "
                f"{settings.steps} leaves nothing to train; train further with --set "
                f"train.steps={state['step'] * 2}",
                path="train.steps",
            )
        follow(registry, recorded_set(state), str(state["path"]))
    rank, world_size, local_rank = environment_rank()
    if rank == 0:
        print(
            f"Resolving the components of {options.config} (this imports torch and the packs)...",
            file=sys.stderr,
            flush=True,
        )
    distributed = world_size > 1
    from .trainer import TrainingRun, choose_device

    # Before the process group: nccl needs this rank's GPU, and --device cuda on a machine
    # without one is refused here rather than by torch inside init_process_group.
    device = choose_device(options.device, local_rank if distributed else None)
    if distributed:
        init_process_group(device)
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
                f"the checkpoint {state['path']}",
                "Install what the checkpoint was trained with, or pass --allow-mismatch.",
            )
        if options.dry_run:
            if rank == 0:
                print(
                    "Dry run: every component resolved and validated; nothing was trained.",
                    file=out,
                )
            return 0
        from .rundir import discard_run_directory

        run_dir, created = _run_directory(
            options, config, settings, resolved, state, rank, distributed
        )
        run = TrainingRun(
            config, options.config, settings, resolved, device, rank, world_size, run_dir=run_dir
        )
        try:
            return _train(registry, run, factories, loop, state, out)
        except BaseException:
            if rank == 0 and state is None and run.step == 0:
                # Nothing was trained: a run that failed while building leaves no directory.
                discard_run_directory(run_dir, created)
            raise
    finally:
        if distributed:
            destroy_process_group()


def _run_directory(
    options: RunOptions,
    config: dict[str, Any],
    settings: TrainSettings,
    resolved: list[Resolved],
    state: dict[str, Any] | None,
    rank: int,
    distributed: bool,
) -> tuple[Path, bool]:
    """Rank 0 claims a new run directory (or checks the resumed one) and writes its config and
    lock; every rank gets its path, or the same error. True if rank 0 created the directory."""
    from .errors import RunDirectoryError
    from .rundir import (
        check_resume_directory,
        claim_run_directory,
        resolved_config,
        write_config,
        write_lock_file,
    )

    claimed: dict[str, str] = {}
    created = False
    if rank == 0:
        try:
            if state is not None:
                directory = Path(state["path"]).parent
                check_resume_directory(directory)
            else:
                directory, created = claim_run_directory(settings.output_dir)
            run_config = resolved_config(config, settings)
            write_config(directory, run_config, options.command(), options.config)
            write_lock_file(directory, resolved, options.config)
            claimed = {"dir": str(directory)}
        except TorchplugError as exc:
            if not distributed:
                raise
            claimed = {"error": str(exc)}
        except OSError as exc:
            claimed = {"error": f"cannot write the run directory: {exc.strerror or exc}"}
            if not distributed:
                raise RunDirectoryError(claimed["error"], path="train.output_dir") from exc
    if distributed:
        claimed = from_main_rank(claimed)
    if "error" in claimed:
        raise RunDirectoryError(claimed["error"], path="")  # the message names its path
    return Path(claimed["dir"]), created


def _train(
    registry: Registry,
    run: TrainingRun,
    factories: dict[str, ComponentFactory],
    loop: LoopOptions,
    state: dict[str, Any] | None,
    out: TextIO,
) -> int:
    """Train `run`, and say on rank 0 how it ended; returns the exit status."""
    from .console import Console
    from .trainer import train

    rank, run_dir, settings = run.rank, run.run_dir, run.settings
    if rank == 0:
        where = "continuing in" if state is not None else "writing to"
        print(f"Run directory: {run_dir} ({where} it)", file=out, flush=True)
    outcome = train(
        registry,
        run,
        factories,
        loop_options=loop,
        resume=state,
        console=Console(rank == 0, sys.stderr),
    )
    if rank != 0:
        return 128 + outcome.signal if outcome.signal else 0
    metrics = outcome.metrics
    if outcome.signal:
        print(
            f"Stopped by {outcome.signal_name} after step {run.step}/{settings.steps}: the "
            f"checkpoint {run_dir / 'checkpoint.pt'} holds it. Resume with:\n"
            f"  torchplug run {shlex.quote(str(run_dir / 'config.toml'))} --resume "
            f"{shlex.quote(str(run_dir))}",
            file=sys.stderr,
            flush=True,
        )
        return 128 + outcome.signal
    summary = ", ".join(
        f"{k} {v:.4f}" for k, v in metrics.items() if k not in ("target_reached", "interrupted")
    )
    print(f"Finished {run.step} steps: {summary}", file=out)
    if settings.target_loss is not None:
        reached = "reached" if metrics.get("target_reached") else "NOT reached"
        print(f"Target eval loss {settings.target_loss}: {reached}", file=out)
    print(f"Run directory: {run_dir} (torchplug plot {shlex.quote(str(run_dir))})", file=out)
    return 0
