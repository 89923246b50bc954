"""The ``torchplug run``, ``lock`` and ``plot`` commands, declared in ``torchplug.commands``.

Their modules are imported only when one of them runs; argument parsing here imports no torch.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchplug import Registry


class Run:
    """Train from a TOML config, every component built by name from the installed packs.

    Every component is resolved and checked first (conflicts are refused), and under torchrun every
    rank must resolve the same set before step 0. Each run writes to a new directory (train.output_dir,
    or a numbered sibling when that one holds a run): config.toml, lock.json, metrics, checkpoint.pt,
    summary.json. Ctrl-C or SIGTERM finishes the current step, saves a checkpoint and exits 130/143.
    When no installed distribution declares a torch.backends entry point, torch's own scan for
    one is skipped (TORCH_DEVICE_BACKEND_AUTOLOAD=0, unless you set that variable yourself).

    examples:
      torchplug run examples/quickstart.toml --set train.steps=50
      torchplug run runs/quickstart/config.toml --resume runs/quickstart
      torchrun --nproc-per-node 2 -m torchplug run examples/quickstart.toml
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("config", help="the TOML config file")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a config value, e.g. --set optimizer.lr=3e-4 (repeatable)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="resolve, validate and print the components only"
        )
        parser.add_argument(
            "--resume",
            metavar="CKPT",
            help="continue from a checkpoint file, or a run directory's checkpoint.pt, in place",
        )
        parser.add_argument(
            "--allow-mismatch",
            action="store_true",
            help="resume even if installed providers or versions differ from the checkpoint's",
        )
        parser.add_argument(
            "--locked",
            action="store_true",
            help="refuse to start unless the config resolves exactly as its lock file says",
        )
        parser.add_argument(
            "--lock-file",
            metavar="FILE",
            help="the lock file to verify (default: CONFIG.lock.json)",
        )
        parser.add_argument(
            "--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train"
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        from .run import RunOptions, run_command

        options = RunOptions(
            args.config,
            tuple(args.set),
            dry_run=args.dry_run,
            resume=args.resume,
            locked=args.locked or args.lock_file is not None,
            lock_file=args.lock_file,
            allow_mismatch=args.allow_mismatch,
            device=args.device,
        )
        try:
            return run_command(registry, options)
        except KeyboardInterrupt:  # a second Ctrl-C, or one before training started
            print(
                "torchplug: interrupted; the run directory keeps its last checkpoint, if one "
                "was written",
                file=sys.stderr,
            )
            return 130


class Lock:
    """Pin a config's providers, versions and fingerprints in a lock file for `run --locked`.

    example:
      torchplug lock examples/quickstart.toml
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("config", help="the TOML config file")
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="override a value"
        )
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="where to write (default: CONFIG.lock.json)"
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        from .run import lock_command

        lock_command(registry, args.config, tuple(args.set), args.output, sys.stdout)
        return 0


class Plot:
    """Plot a run's training loss, eval loss and learning rate against step, as a PNG.

    Reads RUN_DIR/metrics.jsonl (or metrics.csv) and writes RUN_DIR/plot.png unless -o says
    otherwise. Needs matplotlib: pip install 'torchplug-train[plot]'.

    example:
      torchplug plot runs/quickstart
    """

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory of `torchplug run`")
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="where to write (default: RUN_DIR/plot.png)"
        )

    def run(self, registry: Registry, args: argparse.Namespace) -> int:
        from .plot import plot_run

        written = plot_run(args.run_dir, args.output)
        print(f"Wrote {written}")
        return 0
