"""What surrounds a plugin's import so that the plugin cannot take the program down with it.

Below loading, above blame: it knows imports and signals, nothing of sources or registries.
Around each import of a plugin, `contained` tells a real Ctrl-C of the user (a SIGINT that
reached the process) from a `KeyboardInterrupt` the plugin raised itself, and refuses to import
again a dependency whose import already failed inside a plugin's import: executing its top level
again over the half of it that did import is what native extensions do not survive (torch
crashed the process that way). `what_it_did` says in one line what a failed import raised.
"""

from __future__ import annotations

import _thread  # `threading` costs milliseconds to import
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    import signal as _signal
else:
    import _signal  # `signal` imports enum; its functions and constants are these
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

    from ._blame import Blame


class CtrlC:
    """Whether the user pressed Ctrl-C during the import it watches."""

    pressed = False


class contained:
    """Around the import of a plugin's `module`: watch for Ctrl-C, and refuse failed dependencies.

    A class rather than a `contextlib.contextmanager`, whose import costs what a warm build must not.
    """

    __slots__ = ("_module", "_watch")

    def __init__(self, module: str) -> None:
        self._module = module
        self._watch = _CtrlCWatch()

    def __enter__(self) -> CtrlC:
        _plugin_imports.depth = getattr(_plugin_imports, "depth", 0) + 1
        try:
            ctrl_c = self._watch.start()
            try:
                refuse_leftovers(self._module)
            except BaseException:
                self._watch.stop()
                raise
        except BaseException:
            _plugin_imports.depth -= 1
            raise
        return ctrl_c

    def __exit__(self, *exc: object) -> None:
        try:
            self._watch.stop()
        finally:
            _plugin_imports.depth -= 1


def what_it_did(exc: BaseException) -> str:
    """A failed import in one line; the ways a module's import may try to end the process say so."""
    if isinstance(exc, RefusedImport):
        return str(exc)
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r}) while being imported"
    if isinstance(exc, KeyboardInterrupt):
        return "it raised KeyboardInterrupt while being imported (no Ctrl-C was pressed)"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ----------------------------------------------------------------------------- Ctrl-C

_watch_depth = 0
_watch = CtrlC()


def _in_main_thread() -> bool:
    """Signal handlers run on the main thread only. Without `threading` imported, no thread was
    started through it, and this is the main thread."""
    threading = sys.modules.get("threading")
    return threading is None or threading.current_thread() is threading.main_thread()


class _CtrlCWatch:
    """Notes whether SIGINT reached the process: the only KeyboardInterrupt an import lets through.

    Signal handlers run on the main thread only, so a KeyboardInterrupt raised in another thread's
    import is always the plugin's own. The previous handler still runs: ours only takes note.
    """

    __slots__ = ("_note", "_previous", "_role")

    def __init__(self) -> None:
        self._role = ""  # "outermost" installed the handler, "nested" counted itself, "" neither
        self._note: Any = None
        self._previous: Any = None

    def start(self) -> CtrlC:
        global _watch_depth, _watch
        if not _in_main_thread():
            return CtrlC()
        if _watch_depth:  # a nested import: the outermost one watches
            _watch_depth += 1
            self._role = "nested"
            return _watch
        previous = _signal.getsignal(_signal.SIGINT)
        if not callable(previous):  # ignored, default (the process dies) or set outside Python
            return CtrlC()
        watch = CtrlC()

        def note(signum: int, frame: FrameType | None) -> Any:
            try:
                return previous(signum, frame)
            except KeyboardInterrupt:
                watch.pressed = True
                raise

        try:
            _signal.signal(_signal.SIGINT, note)
        except ValueError:  # not the main interpreter: signals are not ours to watch
            return CtrlC()
        _watch, _watch_depth = watch, 1
        self._role, self._note, self._previous = "outermost", note, previous
        return watch

    def stop(self) -> None:
        global _watch_depth
        role, self._role = self._role, ""
        if role == "nested":
            _watch_depth -= 1
        if role != "outermost":
            return
        _watch_depth = 0
        if _signal.getsignal(_signal.SIGINT) is self._note:  # unless the plugin installed its own
            _signal.signal(_signal.SIGINT, self._previous)


# ----------------------------------------------------------------------------- failed dependencies

# How many plugin imports this thread is in: only those have failed dependencies refused.
_plugin_imports = _thread._local()
# Dependencies whose import failed inside a plugin's import: why, and who is at fault.
_refused: dict[str, tuple[str, Blame]] = {}


class RefusedImport(ImportError):
    """A plugin needs a dependency whose import already failed in this process."""

    def __init__(self, message: str, *, name: str, blame: Blame) -> None:
        super().__init__(message, name=name)
        self.blame = blame


class _RefuseReimport:
    """A meta path finder that refuses, during plugin imports only, the failed dependencies."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        depth: int = getattr(_plugin_imports, "depth", 0)
        if _refused and depth:
            refuse_leftovers(fullname)
        return None


_FINDER = _RefuseReimport()


def refuse_leftovers(fullname: str) -> None:
    """Raise if `fullname` is, or is inside, a refused dependency that is not imported. Checked
    before a plugin's import too: the submodules that a failed package did import stay in
    sys.modules (``torch.nn`` after ``torch`` failed), and Python hands them out without it."""
    parts = fullname.split(".")
    for depth in range(1, len(parts) + 1):
        module = ".".join(parts[:depth])
        if module in _refused and module not in sys.modules:
            why, blame = _refused[module]
            raise RefusedImport(
                f"{module} failed to import earlier in this process and is not imported "
                f"again: {why}",
                name=fullname,
                blame=blame,
            )


def refuse_reimport(module: str, blame: Blame, why: str) -> None:
    """From now on, plugin imports that need `module` fail at once with `why`."""
    if module in sys.modules:
        return  # it did import: the failure was elsewhere
    _refused[module] = (why, blame)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def forget_refusals() -> None:
    """Allow failed dependencies to be imported again."""
    _refused.clear()
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
