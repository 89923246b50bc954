"""The pluggy plugin manager of a registry, with hook plugins loaded from entry points on first call.

No plugin is imported under the relay's lock: each hook plugin is imported under its own source's
lock (which waits for another thread's import of it and refuses cycles), and the relay's lock
only guards creating the manager and registering a plugin whose import has ended. A hook plugin
that uses the registry while it is imported is registered when its import ends, not half-way.
"""

from __future__ import annotations

from ._errors import CircularImportError, TorchplugError
from ._locks import CycleLock, LockCycle

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    import pluggy

    from ._loading import Source


class HookPluginWarning(UserWarning):
    """An installed hook plugin could not be loaded; its hooks are not called."""


class HookRelay:
    """Creates the plugin manager and imports installed hook plugins only when a hook is needed."""

    def __init__(
        self,
        namespace: str,
        installed: Callable[[], Iterable[Source]],
        may_implement: Callable[[str], bool],
    ) -> None:
        self._namespace = namespace
        self._installed = installed  # the enabled hook-plugin sources, read at each load
        self._may_implement = may_implement  # whether one of them may implement a hook
        self._manager: pluggy.PluginManager | None = None
        self._lock = CycleLock(f"the hook plugins of {namespace!r}")
        self.failures: dict[str, str] = {}  # plugin name -> why it did not load

    def wants(self, hook: str) -> bool:
        """Whether calling `hook` could reach an implementation: the manager exists (plugins may
        have been registered on it directly), or an installed hook plugin may implement it."""
        return self._manager is not None or self._may_implement(hook)

    @property
    def manager(self) -> pluggy.PluginManager:
        """The plugin manager, with every installed hook plugin registered whose import has ended
        (one that this thread, or a thread waiting for this one, is importing comes later)."""
        manager = self._manager
        if manager is None:
            with self._lock:
                if self._manager is None:
                    import pluggy

                    from . import _hookspecs

                    created = pluggy.PluginManager(_hookspecs.PROJECT)
                    created.add_hookspecs(_hookspecs)
                    self._manager = created
                manager = self._manager
        self._load_installed(manager)
        return manager

    def _load_installed(self, manager: pluggy.PluginManager) -> None:
        for source in self._installed():
            record = source.record
            assert record is not None
            plugin_name = f"{record.distribution}:{record.name}"
            if manager.has_plugin(plugin_name) or plugin_name in self.failures:
                continue
            try:
                plugin, _ = source.load("hooks", record.name, self._namespace)
            except CircularImportError:
                continue  # half-imported: whoever is importing it registers it when it is done
            except TorchplugError as exc:
                self._failed(plugin_name, exc)
                continue
            self._register(manager, plugin, plugin_name)

    def _register(self, manager: pluggy.PluginManager, plugin: Any, plugin_name: str) -> None:
        try:
            self._lock.acquire()
        except LockCycle:
            return  # the thread registering waits for this one: the next hook call registers it
        try:
            if manager.has_plugin(plugin_name) or plugin_name in self.failures:
                return
            manager.register(plugin, name=plugin_name)
        except Exception as exc:  # pluggy refuses it (a hookimpl that matches no spec...)
            self._failed(plugin_name, exc)
        finally:
            self._lock.release()

    def _failed(self, plugin_name: str, exc: Exception) -> None:
        # A broken hook plugin must not take every component down with it: say so loudly, keep
        # the reason for `check(deep=True)`, and go on without its hooks.
        self.failures[plugin_name] = f"{type(exc).__name__}: {exc}"
        import warnings

        warnings.warn(
            f"hook plugin {plugin_name} was not loaded: {exc}",
            HookPluginWarning,
            stacklevel=5,
        )

    def reset_failures(self) -> None:
        """Forget failed hook plugins so that a refresh retries them."""
        with self._lock:
            self.failures.clear()
