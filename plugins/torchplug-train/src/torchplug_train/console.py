"""What a run shows the person who started it, on rank 0: progress, evaluations, where things went.

A progress bar on a terminal, plain lines every ``log_every`` steps otherwise (a log file, CI); each
evaluation as it happens; and a line before every slow part, so nothing looks hung.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO


class Console:
    """Progress output of one process; silent unless `enabled` (rank 0)."""

    def __init__(self, enabled: bool, out: TextIO = sys.stderr) -> None:
        self.enabled = enabled
        self._out = out
        self._bar: Any = None
        self._every = 1
        self._total = 0

    def say(self, line: str) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(line, file=self._out)
        else:
            print(line, file=self._out, flush=True)

    def start_progress(self, total: int, start: int, log_every: int) -> None:
        self._every, self._total = log_every, total
        if self.enabled and self._out.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=start, file=self._out, unit="step", dynamic_ncols=True
            )

    def step(self, step: int, loss: float, rate: float) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{loss:.4f}", samples_s=f"{rate:.0f}", refresh=False)
            self._bar.update(1)
        elif step % self._every == 0 or step == self._total:
            self.say(f"step {step}/{self._total}  loss {loss:.4f}  {rate:.0f} samples/s")

    def evaluated(self, step: int, eval_loss: float, best: float) -> None:
        self.say(f"eval {step}/{self._total}  eval_loss {eval_loss:.4f}  (best {best:.4f})")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def count(number: int) -> str:
    """12,345 parameters, 1.2M parameters: as a person reads them."""
    if number >= 10_000_000:
        return f"{number / 1e6:.1f}M"
    return f"{number:,}"
