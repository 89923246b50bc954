"""Stopping a run without losing it: SIGINT and SIGTERM end the run after the current step.

The first signal only sets a flag; the loop finishes the step it is in, writes a checkpoint and
exits with 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM), saying how to resume. A
second signal stops at once, the way the user asked twice. Handlers can only be installed from the
main thread; elsewhere (a run started from a worker thread) signals keep their usual meaning.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A context manager that turns the first SIGINT/SIGTERM into a request to stop."""

    def __init__(self, announce: bool = True) -> None:
        self.signum: int | None = None
        self._announce = announce
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:  # asked twice: stop now
            self._restore()
            signal.raise_signal(signum)
            return
        self.signum = signum
        if self._announce:
            print(
                f"\n{signal.Signals(signum).name}: stopping after this step and saving a "
                "checkpoint (send it again to stop at once)",
                file=sys.stderr,
                flush=True,
            )

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._restore()
