"""Providers of components and their lazy, once-only, contained loading.

A `Source` is one loadable thing: an installed entry point (imported on first use) or an object
registered in-process; `Provider` is the read-only view of who provides it. This layer imports
what an entry point names and knows nothing of categories' meaning, resolution or registries.

Loading a plugin is contained: whatever its import raises (``sys.exit()``, ``KeyboardInterrupt``
and other `BaseException` included) becomes a `PluginLoadError` naming the distribution, and is
remembered so that the module is not imported again; only a real Ctrl-C of the user goes through.
Plugins that need each other while being imported get a `CircularImportError`, never a deadlock.
"""

from __future__ import annotations

import _thread
import sys

from ._containment import CtrlC, contained, forget_refusals, what_it_did
from ._errors import PluginLoadError
from ._locks import CycleLock, LockCycle
from ._metadata import EntryRecord, split_target
from ._record import Record
from ._settings import DEFAULT_IMPORT_TIMEOUT

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    from ._blame import Blame

    class Abandonable(Protocol):
        def abandon(self, why: str) -> None: ...


__all__ = [
    "DEFAULT_IMPORT_TIMEOUT",
    "Provider",
    "Source",
    "forget_failures",
    "importing_now",
    "run_within",
]

_UNLOADED: Any = object()
_MISSING: Any = object()
# Guards creating a source's lock on its first load: most sources are never loaded.
_lock_creation = _thread.allocate_lock()


class Provider(Record):
    """Who provides a component: an installed distribution's entry point or a local registration.

    Attributes:
        distribution: The distribution's name, PEP 503 normalised; None for a local registration.
        version: The distribution's version; None for a local registration.
        target: ``"module:attr"``: what the entry point names, or where a registered object lives.
        location: The dist-info folder of an installed provider.
    """

    __slots__ = _fields = ("distribution", "version", "target", "location")
    distribution: str | None  # PEP 503 normalised; None for a local registration
    version: str | None
    target: str  # "module:attr"
    location: str | None  # the dist-info folder of an installed provider

    def __init__(
        self,
        distribution: str | None,
        version: str | None,
        target: str,
        location: str | None = None,
    ) -> None:
        set_field = object.__setattr__
        set_field(self, "distribution", distribution)
        set_field(self, "version", version)
        set_field(self, "target", target)
        set_field(self, "location", location)

    @property
    def is_local(self) -> bool:
        """True for a registration made in this process (`Registry.register`)."""
        return self.distribution is None

    def describe(self) -> str:
        """One line naming the provider, as error messages and the CLI show it.

        ``torchplug-lion 0.3.1 (torchplug_lion.optim:Lion)``, or
        ``local registration (module:qualname)``.
        """
        if self.distribution is None:
            return f"local registration ({self.target})"
        return f"{self.distribution} {self.version} ({self.target})"


class Source:
    """One loadable provider; loads at most once, even when many threads ask at the same time."""

    __slots__ = (
        "_abandoned",
        "_blame",
        "_error",
        "_lock",
        "_problem",
        "names",
        "obj",
        "provider",
        "record",
        "registered_by",
    )

    def __init__(
        self, provider: Provider, *, record: EntryRecord | None = None, obj: Any = _UNLOADED
    ) -> None:
        self.provider = provider
        self.record = record
        self.obj = obj
        self.names: list[str] = []  # every name this provider answers to (aliases included)
        # For a local registration made while a plugin was being imported: that plugin.
        self.registered_by: Provider | None = None
        self._error: PluginLoadError | None = None
        self._problem: str | None = None  # why the import failed, in one line
        self._blame: Blame | None = None  # who is at fault, when it is not this distribution
        self._abandoned: str | None = None  # why nobody waits for an import that never ended
        self._lock: CycleLock | None = None  # made on the first load: most sources never load

    @classmethod
    def from_entry(cls, record: EntryRecord) -> Source:
        provider = Provider(record.distribution, record.version, record.target, record.location)
        return cls(provider, record=record)

    @property
    def label(self) -> str:
        """How a cycle names it: ``model 'a' (pack-a)``."""
        record = self.record
        if record is None:
            return self.provider.target
        return f"{record.category} {record.name!r} ({record.distribution})"

    @property
    def lock(self) -> CycleLock:
        """Re-entrant, and a wait for it that would close a cycle raises instead of hanging."""
        lock = self._lock
        if lock is None:
            with _lock_creation:
                if self._lock is None:
                    self._lock = CycleLock(self.label)
                lock = self._lock
        return lock

    @property
    def loaded(self) -> bool:
        return self.obj is not _UNLOADED

    @property
    def failed(self) -> bool:
        return self._error is not None

    @property
    def error(self) -> PluginLoadError | None:
        """The remembered failure of its import, if it failed."""
        return self._error

    @property
    def blame(self) -> Blame | None:
        """Where its failed import went wrong, when that is outside its distribution."""
        return self._blame

    @property
    def timed_out(self) -> bool:
        """A deep check stopped waiting for its import, which has not ended since."""
        return self._abandoned is not None and not self.loaded and self._error is None

    @property
    def static_problem(self) -> str | None:
        """A problem known from metadata alone (a malformed target), or a failure of an earlier load."""
        if self.record is not None and self.record.problem:
            return self.record.problem
        return self._abandoned if self.timed_out else self._problem

    def abandon(self, why: str) -> None:
        """Stop waiting for an import that does not end: later loads fail at once with `why`
        while it runs (and succeed if it ever finishes)."""
        self._abandoned = why
        if self.record is not None:
            mark_hung(_module_of(self.record.value), why)

    def load(self, category: str, name: str, namespace: str) -> tuple[Any, bool]:
        """The provided object and whether this call imported it; failures raise PluginLoadError."""
        if self.obj is not _UNLOADED:
            return self.obj, False
        if self._error is not None:
            raise self._error.with_traceback(None)
        record = self.record
        assert record is not None, "local sources are created loaded"
        stack = importing_now()
        if self in stack:  # its own import needs it: Python would hand out the partial module
            cycle = [s.label for s in stack[stack.index(self) :]]
            return self._partial(category, name, namespace, [*cycle, self.label]), False
        lock = self.lock
        module = _module_of(record.value)
        if hung(module):  # its module is stuck in an import nobody waits for any more
            self._abandoned = self._abandoned or hung_reason(module)
        if self._abandoned is not None and (lock.owner is not None or hung(module)):
            from ._failures import never_finished_error

            why = self._abandoned or hung_reason(module)
            raise never_finished_error(record, category, name, namespace, why)
        try:
            lock.acquire()
        except LockCycle as cycle:
            return self._partial(category, name, namespace, cycle.chain), False
        try:
            if self.obj is not _UNLOADED:
                return self.obj, False
            if self._error is not None:
                raise self._error.with_traceback(None)
            stack.append(self)
            try:
                self.obj = self._import(category, name, namespace)
            finally:
                stack.pop()
            return self.obj, True
        finally:
            lock.release()

    def _import(self, category: str, name: str, namespace: str) -> Any:
        record = self.record
        assert record is not None
        module = _module_of(record.value)
        ctrl_c = CtrlC()
        try:
            with contained(module) as ctrl_c:
                return import_target(record.value)
        except BaseException as exc:
            if ctrl_c.pressed:
                raise  # the user's Ctrl-C stops the program; nothing about the plugin is learnt
            from ._failures import circular_error, load_error  # a failure is rare: on need

            if initializing(module):
                # Its module is still being imported further up (a cycle through Python's own
                # imports): this import did not fail, it came too early. Not remembered.
                cycle = f"{self.label} -> module {module!r}, still being imported"
                raise circular_error(record, category, name, namespace, cycle) from exc
            self._error, self._problem, self._blame = load_error(
                record, category, name, namespace, exc
            )
            raise self._error from exc

    def _partial(self, category: str, name: str, namespace: str, cycle: list[str]) -> Any:
        """What a circular import may use, as Python's ``from module import name`` in a cycle
        does: the attribute if the partly imported module already defines it; else the error."""
        assert self.record is not None
        try:
            module_name, attr_path = split_target(self.record.value)
        except ValueError:
            attr_path = None
        obj = sys.modules.get(module_name) if attr_path else None
        for part in (attr_path or "").split(".") if obj is not None else ():
            obj = getattr(obj, part, _MISSING)
            if obj is _MISSING:
                break
        if obj is not None and obj is not _MISSING:
            return obj
        from ._failures import circular_error

        raise circular_error(self.record, category, name, namespace, " -> ".join(cycle))


def _module_of(value: str) -> str:
    try:
        return split_target(value)[0]
    except ValueError:
        return value


def import_target(value: str) -> Any:
    """Import ``module:attr.path`` the way an entry point's ``load()`` does."""
    try:
        module_name, attr_path = split_target(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    __import__(module_name)  # importlib.import_module, without importing importlib
    obj: Any = sys.modules[module_name]
    for part in (attr_path or "").split(".") if attr_path else ():
        obj = getattr(obj, part)
    return obj


def import_contained(value: str) -> Any:
    """`import_target`, with what the import raises turned into an `Exception`: for readers that
    import a plugin outside any registry (``torchplug show --import``). A real Ctrl-C goes through."""
    with contained(_module_of(value)) as ctrl_c:
        try:
            return import_target(value)
        except Exception:
            raise
        except BaseException as exc:
            if ctrl_c.pressed:
                raise
            raise RuntimeError(what_it_did(exc)) from exc


def forget_failures() -> None:
    """Allow failed dependencies to be imported again (a registry's `refresh`)."""
    forget_refusals()
    _hung_modules.clear()
    blame = sys.modules.get(f"{__package__}._blame")
    if blame is not None:  # nothing was blamed in a process that never imported it
        blame.forget()


# ----------------------------------------------------------------------------- imports in progress
# Each thread keeps the stack of sources it is importing (a module that registers its own
# component while it is imported is recognised by it, and a cycle is found in it). A deep check
# runs each import in a worker thread with a time limit; an import still running then is
# abandoned, and its module remembered as hung, so that later loads fail at once instead of
# waiting for it too.

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
