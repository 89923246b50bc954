"""The first-party metrics logger: one record per step and per evaluation, in the run directory.

It is declared in this pack's ``torchplug.hooks`` entry-point group, so it is loaded the way any
third-party hook plugin is, and ``TORCHPLUG_DISABLE=torchplug-train`` would turn it off. It acts on
rank 0 only. This module does not import torch: hooks load on the first hook call. (Checkpoints are
the loop's own job, not a plugin's: a run must not lose its training because a plugin is blocked.)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, TextIO

from torchplug import hookimpl

from .rundir import write_text_atomically

FIELDS = ["kind", "step", "loss", "lr", "samples_per_s", "eval_loss"]


def _drop_rows_after(path: Path, step: int, csv_format: bool) -> None:
    """A resumed run starts again after its checkpoint's step: rows past it were lost training."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    kept = []
    for index, line in enumerate(lines):
        if not line.endswith("\n"):
            continue  # torn by a kill: even a row whose step reads would run into the next one
        try:
            if csv_format:
                row_step = int(line.split(",")[1]) if index else -1
            else:
                row_step = int(json.loads(line)["step"])
        except (ValueError, IndexError, KeyError, TypeError):
            continue  # garbled
        if row_step <= step:
            kept.append(line)
    write_text_atomically(path, "".join(kept))  # a kill now must not lose the whole history


class MetricsLogger:
    """Appends one JSON line (or CSV row) per step and evaluation to ``<run dir>/metrics.*``."""

    def __init__(self) -> None:
        self._handle: TextIO | None = None
        self._writer: Any = None

    def _write(self, run: Any, row: dict[str, Any]) -> None:
        if not run.is_main or self._handle is None:
            return
        if run.settings.metrics_format == "csv":
            self._writer.writerow(row)
        else:
            self._handle.write(json.dumps(row) + "\n")
        self._handle.flush()

    @hookimpl
    def torchplug_train_start(self, run: Any) -> None:
        self.torchplug_train_end()  # a run in this process that failed never got to its end
        if not run.is_main:
            return
        csv_format = run.settings.metrics_format == "csv"
        path = run.output_dir / f"metrics.{run.settings.metrics_format}"
        resumed = run.step > 0 and path.is_file()
        if resumed:
            _drop_rows_after(path, run.step, csv_format)
        self._handle = path.open("a" if resumed else "w", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._handle, fieldnames=FIELDS) if csv_format else None
        if self._writer is not None and not resumed:
            self._writer.writeheader()

    @hookimpl
    def torchplug_step_end(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        self._write(run, {"kind": "train", "step": step, **metrics})

    @hookimpl
    def torchplug_evaluate(self, run: Any, step: int, metrics: dict[str, float]) -> None:
        self._write(run, {"kind": "eval", "step": step, **metrics})

    @hookimpl
    def torchplug_train_end(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


metrics_logger = MetricsLogger()
