"""Calling the loop's events on the hook plugins, with a failure blamed on the plugin that raised it.

pluggy re-raises a hook implementation's exception as it is, and a traceback from deep inside a
training loop does not say which installed pack to fix. Here the exception's frames are matched
against the implementations of the event, so the error names the plugin (``distribution:name``,
as the registry registers installed hook plugins), the event, and how to block the plugin. A
plugin that calls ``sys.exit()`` is reported the same way, rather than ending the run unsaved.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from torchplug import Registry, TorchplugError

from . import hookspecs
from .errors import HookError, first_line


def _code_of(function: Any) -> Any:
    function = getattr(function, "__func__", function)
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return getattr(function, "__code__", None)


def _culprit(caller: Any, traceback: TracebackType | None) -> str | None:
    """The name of the plugin whose implementation is in the traceback, outermost first."""
    codes: dict[Any, str] = {
        _code_of(impl.function): impl.plugin_name for impl in caller.get_hookimpls()
    }
    codes.pop(None, None)
    while traceback is not None:
        name = codes.get(traceback.tb_frame.f_code)
        if name is not None:
            return name
        traceback = traceback.tb_next
    return None


class Events:
    """The loop's events on a registry's plugin manager (the loop's hook specs added once)."""

    def __init__(self, registry: Registry) -> None:
        manager = registry.plugin_manager
        if not hasattr(manager.hook, "torchplug_train_start") or (
            manager.hook.torchplug_train_start.spec is None
        ):
            manager.add_hookspecs(hookspecs)
        self._hook = manager.hook

    def __call__(self, event: str, **kwargs: Any) -> None:
        caller = getattr(self._hook, event)
        try:
            caller(**kwargs)
        except HookError:
            raise
        except (Exception, SystemExit) as exc:  # a plugin's sys.exit() must not end a run unsaved
            plugin = _culprit(caller, exc.__traceback__)
            who = f"the hook plugin {plugin!r}" if plugin else "a hook plugin"
            if plugin and ":" in plugin:
                distribution = plugin.split(":", 1)[0]
                fix = (
                    f"Fix or upgrade {distribution}, or run without it: "
                    f"TORCHPLUG_DISABLE={distribution}"
                )
            else:
                fix = "Fix the plugin, or unregister it"
            detail = first_line(exc)
            if isinstance(exc, TorchplugError):  # its message is already the paragraph
                detail = detail.removeprefix(f"{type(exc).__name__}: ")
            elif isinstance(exc, SystemExit):
                detail = f"it called sys.exit({exc.code!r})"
            raise HookError(
                f"{who} failed in the event {event}: {detail}. {fix}; run again with "
                "--traceback for the full traceback.",
                plugin=plugin,
                event=event,
            ) from exc
