"""Plugin imports in progress: this thread's, those nobody waits for any more, and time limits.

Below loading: it knows threads and modules, nothing of entry points. Each thread keeps the stack
of sources it is importing (a module that registers its own component while it is imported is
recognised by it, and a cycle is found in it). A deep check runs each import in a worker thread
with a time limit; an import still running then is abandoned, and its module remembered as hung,
so that later loads fail at once instead of waiting for it too.
"""

from __future__ import annotations

import _thread  # `threading` costs milliseconds to import: it is imported by `run_within` only
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Abandonable(Protocol):
        def abandon(self, why: str) -> None: ...


#: How long a deep check waits for one plugin's import, in seconds (``check --deep --timeout``).
#: A generous bound: importing torch takes seconds, a plugin compiling kernels at import longer.
DEFAULT_IMPORT_TIMEOUT = 60.0

# The sources this thread is importing right now, innermost last.
_importing = _thread._local()
# The import stacks of the threads `run_within` started, so that a hung one can be abandoned.
_workers: dict[int, list[Any]] = {}
# Modules whose import a deep check stopped waiting for: loading them again would wait as well.
_hung_modules: dict[str, str] = {}


def importing_now() -> list[Any]:
    """The sources whose import is in progress on this thread, innermost last."""
    stack: list[Any] | None = getattr(_importing, "stack", None)
    if stack is None:
        stack = _importing.stack = []
    return stack


def initializing(module: str) -> bool:
    """True while `module` (or a package above it) is in the middle of its own import."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        found = sys.modules.get(".".join(parts[:depth]))
        if getattr(getattr(found, "__spec__", None), "_initializing", False):
            return True
    return False


def mark_hung(module: str, why: str) -> None:
    """Remember that nobody waits for the import of `module` any more, and why."""
    _hung_modules[module] = why


def hung(module: str) -> str | None:
    """Why nobody waits for `module`, while its import is still running; else None."""
    why = _hung_modules.get(module)
    return why if why is not None and initializing(module) else None


def hung_reason(module: str) -> str:
    return _hung_modules.get(module, "")


def forget_hung() -> None:
    _hung_modules.clear()


def run_within(work: Callable[[], object], seconds: float | None, why: str) -> bool:
    """Run `work` in a daemon thread and wait at most `seconds` (None: no limit) for it.

    If it is still running then, every plugin import it is stuck in is abandoned with `why`: a
    later load of those plugins fails at once instead of waiting too, and the thread is left to
    end when it may (being a daemon, it never keeps the process alive). Returns whether `work` ended.
    """
    if seconds is None:
        work()
        return True
    import threading

    def worker() -> None:
        _workers[threading.get_ident()] = importing_now()
        try:
            work()
        except BaseException:  # contained loads raise nothing else; a real Ctrl-C: see below
            pass  # a real Ctrl-C reaches the main thread, which is waiting in join()
        finally:
            _workers.pop(threading.get_ident(), None)

    thread = threading.Thread(target=worker, name="torchplug-deep-check", daemon=True)
    thread.start()
    thread.join(seconds)
    if not thread.is_alive():
        return True
    stuck: list[Abandonable] = list(_workers.get(thread.ident or 0, ()))
    for source in stuck:
        source.abandon(why)
    return False
