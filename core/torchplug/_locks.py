"""Locks that refuse to deadlock: what a plugin's import and the hook relay are guarded by.

Bottom layer: it knows threads and locks, nothing of plugins. A thread about to wait for a
`CycleLock` whose owner is, through other such locks or Python's own module import locks,
waiting for this thread gets `LockCycle` instead of waiting forever. Python's import system does
the same for a concurrent circular import (``importlib._bootstrap._ModuleLock``); these locks
also see its waits, so a cycle that runs through both kinds (a package whose ``__init__`` uses the
registry, a plugin module importing that package) is found as well.
"""

from __future__ import annotations

import _thread  # `threading` costs milliseconds to import; its locks are these
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from typing import Any

#: How long a waiting thread sleeps between looks for a cycle. The first look happens before any
#: wait; later ones catch cycles closed by a thread that cannot see this thread's wait (a thread
#: waiting in Python's import lock checks only Python's own waits).
RECHECK_SECONDS = 0.05

# One lock over the wait graph, held only for a few dict operations: which thread waits for which
# lock, and each lock's owner, change together under it, so two threads cannot both miss a cycle.
_graph = _thread.allocate_lock()
_waiting: dict[int, CycleLock] = {}


class LockCycle(RuntimeError):
    """Waiting for the lock would never end: its owner waits, directly or not, for this thread.

    `chain` names each lock on the way, starting with the one this thread holds and ending with
    the one it asked for: ``["model 'b'", "model 'a'"]`` reads "b needs a, and a needs b".
    """

    def __init__(self, chain: list[str]) -> None:
        super().__init__(" -> ".join(chain))
        self.chain = chain


class CycleLock:
    """A re-entrant lock whose waits are part of a graph that is checked for cycles."""

    __slots__ = ("_count", "_lock", "label", "owner")

    def __init__(self, label: str) -> None:
        self.label = label  # how a cycle names it: "model 'a' (pack-a)"
        self.owner: int | None = None
        self._count = 0
        self._lock = _thread.allocate_lock()

    @property
    def held_by_me(self) -> bool:
        return self.owner == _thread.get_ident()

    def acquire(self) -> None:
        """Take the lock, waiting as long as it takes unless waiting would close a cycle."""
        me = _thread.get_ident()
        with _graph:
            if self.owner == me:
                self._count += 1
                return
            if self._lock.acquire(blocking=False):
                self.owner, self._count = me, 1
                return
            _raise_on_cycle(self, me)
            _waiting[me] = self
        try:
            while not self._lock.acquire(timeout=RECHECK_SECONDS):
                with _graph:
                    _raise_on_cycle(self, me)
            with _graph:
                self.owner, self._count = me, 1
        finally:
            with _graph:
                _waiting.pop(me, None)

    def release(self) -> None:
        with _graph:
            if self.owner != _thread.get_ident():
                raise RuntimeError(f"cannot release {self.label}: not held by this thread")
            self._count -= 1
            if self._count == 0:
                self.owner = None
                self._lock.release()

    def __enter__(self) -> CycleLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<CycleLock {self.label} owner={self.owner}>"


def _raise_on_cycle(wanted: CycleLock, me: int) -> None:
    """Raise `LockCycle` if the owner of `wanted` is, through a chain of waits, waiting for `me`.

    Called with `_graph` held. A chain that ends (a thread that waits for nothing: it is working)
    or loops without reaching `me` is no deadlock of ours: we may wait.
    """
    chain = [wanted.label]
    seen: set[int] = set()
    owner = wanted.owner
    while owner is not None and owner not in seen:
        if owner == me:
            raise LockCycle([chain[-1], *chain])
        seen.add(owner)
        lock = _waiting.get(owner)
        if lock is not None:
            chain.append(lock.label)
            owner = lock.owner
            continue
        module = _module_lock_waited_for(owner)
        if module is None:
            return
        chain.append(f"module {module[0]!r}")
        owner = module[1]


def _module_lock_waited_for(thread: int) -> tuple[str, int | None] | None:
    """The module and its owner, when `thread` waits in Python's import lock for that module.

    This reads importlib's private bookkeeping (``_blocking_on``: a lock per thread up to 3.11,
    a list of locks from 3.12); if its shape is not one of those, the answer is "not waiting",
    which only means that such a cycle goes unseen, as it did before.
    """
    try:
        _bootstrap: Any = sys.modules["_frozen_importlib"]  # importlib._bootstrap, always loaded
        waits: Any = _bootstrap._blocking_on.get(thread)
        if waits is None:
            return None
        for lock in waits if isinstance(waits, list) else [waits]:
            owner = getattr(lock, "owner", None)
            if owner is not None:
                return str(getattr(lock, "name", "?")), owner
    except Exception:  # a private structure of another shape: see the docstring
        return None
    return None
