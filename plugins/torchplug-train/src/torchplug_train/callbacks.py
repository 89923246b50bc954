"""First-party hook plugins of the training loop: a metrics logger and a checkpoint saver.

They are declared in this pack's ``torchplug.hooks`` entry-point group, so they are loaded the way
any third-party hook plugin is, and ``TORCHPLUG_DISABLE=torchplug-train`` would turn them off. They act
on rank 0 only. This module does not import torch at import time: hooks load on first hook call.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, TextIO

from torchplug import hookimpl


class MetricsLogger:
    """Appends one JSON line (or CSV row) per step and evaluation to ``<output_dir>/metrics.*``."""

    def __init__(self) -> None:
        self._handle: TextIO | None = None
        self._writer: Any = None

    def _write(self, run: Any, row: dict[str, Any]) -> None:
        if not run.is_main or self._handle is None:
            return
        if run.settings.metrics_format == "csv":
            if self._writer is None:
                self._writer = csv.DictWriter(
                    self._handle,
                    fieldnames=["kind", "step", "loss", "lr", "samples_per_s", "eval_loss"],
                )
                self._writer.writeheader()
            self._writer.writerow(row)
        else:
            self._handle.write(json.dumps(row) + "\n")
        self._handle.flush()

    @hookimpl
    def torchplug_train_start(self, run: Any) -> None:
        if not run.is_main:
            return
        run.output_dir.mkdir(parents=True, exist_ok=True)
        path = run.output_dir / f"metrics.{run.settings.metrics_format}"
        mode = "a" if run.step > 0 else "w"  # a resumed run continues its file
        self._handle = path.open(mode, encoding="utf-8", newline="")
        self._writer = None

    @hookimpl
    def torchplug_step_end(
        self, run: Any, step: int, loss: float, metrics: dict[str, float]
    ) -> None:
        self._write(run, {"kind": "train", "step": step, **metrics})

    @hookimpl
    def torchplug_evaluate(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        self._write(run, {"kind": "eval", "step": step, **metrics})

    @hookimpl
    def torchplug_train_end(self, run: Any, metrics: dict[str, float]) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class CheckpointSaver:
    """Saves ``<output_dir>/checkpoint.pt`` every ``train.checkpoint_every`` steps and at the end.

    The file holds model, optimizer and scheduler state, the config, and the resolved set, and is
    written to a temporary name first so an interrupted save never replaces a good checkpoint.
    """

    @staticmethod
    def _save(run: Any) -> None:
        if not run.is_main:
            return
        import torch

        run.output_dir.mkdir(parents=True, exist_ok=True)
        final = run.output_dir / "checkpoint.pt"
        partial = final.with_suffix(".pt.partial")
        torch.save(run.checkpoint_state(), partial)
        os.replace(partial, final)

    @hookimpl
    def torchplug_step_end(
        self, run: Any, step: int, loss: float, metrics: dict[str, float]
    ) -> None:
        every = run.settings.checkpoint_every
        if every and step % every == 0:
            self._save(run)

    @hookimpl
    def torchplug_train_end(self, run: Any, metrics: dict[str, float]) -> None:
        self._save(run)


def checkpoint_path(output_dir: str | Path) -> Path:
    return Path(output_dir) / "checkpoint.pt"


metrics_logger = MetricsLogger()
checkpoint_saver = CheckpointSaver()
