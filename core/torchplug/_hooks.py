"""The pluggy plugin manager of a registry, with hook plugins loaded from entry points on first call."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ._loading import Source

if TYPE_CHECKING:
    import pluggy


class HookPluginWarning(UserWarning):
    """An installed hook plugin could not be loaded; its hooks are not called."""


class HookRelay:
    """Creates the plugin manager and imports installed hook plugins only when a hook is needed."""

    def __init__(self, namespace: str, installed: Callable[[], Iterable[Source]]) -> None:
        self._namespace = namespace
        self._installed = installed  # the enabled hook-plugin sources, read at each load
        self._manager: pluggy.PluginManager | None = None
        self._lock = threading.RLock()
        self.failures: dict[str, str] = {}  # plugin name -> why it did not load

    @property
    def manager(self) -> pluggy.PluginManager:
        """The plugin manager, with every installed hook plugin registered."""
        with self._lock:
            if self._manager is None:
                import pluggy

                from . import _hookspecs

                manager = pluggy.PluginManager(_hookspecs.PROJECT)
                manager.add_hookspecs(_hookspecs)
                self._manager = manager
            self._load_installed(self._manager)
            return self._manager

    def _load_installed(self, manager: pluggy.PluginManager) -> None:
        for source in self._installed():
            record = source.record
            assert record is not None
            plugin_name = f"{record.distribution}:{record.name}"
            if manager.has_plugin(plugin_name) or plugin_name in self.failures:
                continue
            try:
                plugin, _ = source.load("hooks", record.name, self._namespace)
                manager.register(plugin, name=plugin_name)
            except Exception as exc:
                # A broken hook plugin must not take every component down with it: say so loudly,
                # keep the reason for `check(deep=True)`, and go on without its hooks.
                self.failures[plugin_name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"hook plugin {plugin_name} was not loaded: {exc}",
                    HookPluginWarning,
                    stacklevel=4,
                )

    def reset_failures(self) -> None:
        """Forget failed hook plugins so that a refresh retries them."""
        with self._lock:
            self.failures.clear()
