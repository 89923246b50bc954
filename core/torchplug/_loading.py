"""Providers of components and their lazy, once-only loading.

A `Source` is one loadable thing: an installed entry point (imported on first use) or an object
registered in-process; `Provider` is the read-only view of who provides it. This layer imports
what an entry point names and knows nothing of categories' meaning, resolution or registries.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Any

from ._errors import PluginLoadError
from ._metadata import EntryRecord, split_target

_UNLOADED: Any = object()
# The sources this thread is importing right now, innermost last: a module that registers its own
# component while being imported is recognised by this, not by comparing target strings.
_importing = threading.local()


def importing_now() -> list[Source]:
    """The sources whose import is in progress on this thread."""
    stack: list[Source] = getattr(_importing, "stack", [])
    return stack


@dataclass(frozen=True)
class Provider:
    """Who provides a component: an installed distribution's entry point or a local registration.

    Attributes:
        distribution: The distribution's name, PEP 503 normalised; None for a local registration.
        version: The distribution's version; None for a local registration.
        target: ``"module:attr"``: what the entry point names, or where a registered object lives.
        location: The dist-info folder of an installed provider.
    """

    distribution: str | None  # PEP 503 normalised; None for a local registration
    version: str | None
    target: str  # "module:attr"
    location: str | None = None  # the dist-info folder of an installed provider

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


def describe_entry(record: EntryRecord, namespace: str) -> str:
    """``[torchplug.optimizer] lion = pack.optim:build_lion`` — how a pack author wrote it."""
    return f"[{namespace}.{record.category}] {record.name} = {record.value}"


class Source:
    """One loadable provider; loads at most once, even when many threads ask at the same time."""

    __slots__ = ("_error", "_lock", "names", "obj", "provider", "record")

    def __init__(
        self, provider: Provider, *, record: EntryRecord | None = None, obj: Any = _UNLOADED
    ) -> None:
        self.provider = provider
        self.record = record
        self.obj = obj
        self.names: list[str] = []  # every name this provider answers to (aliases included)
        self._error: PluginLoadError | None = None
        # Re-entrant: a plugin module may call `get`/`register` on this very source while importing.
        self._lock = threading.RLock()

    @classmethod
    def from_entry(cls, record: EntryRecord) -> Source:
        provider = Provider(record.distribution, record.version, record.target, record.location)
        return cls(provider, record=record)

    @property
    def loaded(self) -> bool:
        return self.obj is not _UNLOADED

    @property
    def failed(self) -> bool:
        return self._error is not None

    @property
    def static_problem(self) -> str | None:
        """A problem known from metadata alone (a malformed target), or a failure of an earlier load."""
        if self.record is not None and self.record.problem:
            return self.record.problem
        return str(self._error.__cause__) if self._error is not None else None

    def load(self, category: str, name: str, namespace: str) -> tuple[Any, bool]:
        """The provided object and whether this call imported it; failures raise PluginLoadError."""
        if self.obj is not _UNLOADED:
            return self.obj, False
        with self._lock:
            if self.obj is not _UNLOADED:
                return self.obj, False
            if self._error is not None:
                raise self._error
            assert self.record is not None, "local sources are created loaded"
            stack = getattr(_importing, "stack", None)
            if stack is None:
                stack = _importing.stack = []
            stack.append(self)
            try:
                obj = import_target(self.record.value)
            except Exception as exc:
                self._error = self._load_error(category, name, namespace, exc)
                raise self._error from exc
            finally:
                stack.pop()
            self.obj = obj
            return self.obj, True

    def _load_error(
        self, category: str, name: str, namespace: str, exc: BaseException
    ) -> PluginLoadError:
        record = self.record
        assert record is not None
        error = PluginLoadError(
            f"Cannot load {category} {name!r} from distribution {record.distribution} "
            f"{record.version}, entry point {describe_entry(record, namespace)}: "
            f"{type(exc).__name__}: {str(exc).rstrip('.')}. Fix or reinstall that distribution, "
            "or block it with "
            f"TORCHPLUG_DISABLE={record.distribution}.",
            category=category,
            name=name,
        )
        error.__cause__ = exc
        return error


def import_target(value: str) -> Any:
    """Import ``module:attr.path`` the way an entry point's ``load()`` does."""
    try:
        module_name, attr_path = split_target(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    obj: Any = importlib.import_module(module_name)
    for part in (attr_path or "").split(".") if attr_path else ():
        obj = getattr(obj, part)
    return obj
