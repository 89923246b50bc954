"""A first-party hook plugin: the run's metrics as TensorBoard scalars, in ``<run dir>/tensorboard``.

Declared in this pack's ``torchplug.hooks`` group like the metrics logger, and acting on rank 0
only. TensorBoard is an optional extra (``torchplug-train[tensorboard]``): without it the logger is
inactive and says so in one line at the start of a run; ``train.tensorboard = false`` turns it off
without a word. Nothing is imported at this module's import: the writer comes at the first run.
"""

from __future__ import annotations

import sys
from typing import Any

from torchplug import hookimpl

INSTALL = "pip install 'torchplug-train[tensorboard]'"


class TensorBoardLogger:
    """Writes train/loss, train/lr, train/samples_per_s and eval/loss at each step."""

    def __init__(self) -> None:
        self._writer: Any = None

    @hookimpl
    def torchplug_train_start(self, run: Any) -> None:
        self.torchplug_train_end()  # a run in this process that failed never got to its end
        if not run.is_main or not run.settings.tensorboard:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            print(
                "TensorBoard logging is off: the tensorboard package is not installed "
                f"(`{INSTALL}` turns it on; train.tensorboard = false silences this line)",
                file=sys.stderr,
            )
            return
        # purge_step drops events a resumed run is about to write again.
        self._writer = SummaryWriter(
            log_dir=str(run.output_dir / "tensorboard"),
            purge_step=run.step + 1 if run.step else None,
        )

    @hookimpl
    def torchplug_step_end(self, step: int, metrics: dict[str, float]) -> None:
        if self._writer is None:
            return
        for key, value in metrics.items():
            self._writer.add_scalar(f"train/{key}", value, step)

    @hookimpl
    def torchplug_evaluate(self, step: int, metrics: dict[str, float]) -> None:
        if self._writer is None:
            return
        for key, value in metrics.items():
            self._writer.add_scalar(f"eval/{key.removeprefix('eval_')}", value, step)
        self._writer.flush()

    @hookimpl
    def torchplug_train_end(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


tensorboard_logger = TensorBoardLogger()
