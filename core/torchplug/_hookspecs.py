"""The hook specifications of torchplug's pluggy project.

Hook plugins implement these with `torchplug.hookimpl` and are declared in the entry-point group
``"<namespace>.hooks"``; they are imported only when a hook is first called. Consumers add specs of
their own with ``registry.plugin_manager.add_hookspecs`` (the training loop's events are such).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._info import ComponentInfo
    from ._loading import Provider

PROJECT = "torchplug"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def torchplug_resolve_conflict(
    category: str, name: str, candidates: list[Provider]
) -> Provider | str | None:
    """Choose among the providers of a name that several distributions declare.

    Return one of `candidates` (or its distribution name) to use it, or None to leave the choice to
    the next hook; when no hook chooses, `get` raises `DuplicateComponentError`.
    """


@hookspec
def torchplug_component_loaded(category: str, name: str, obj: Any, info: ComponentInfo) -> None:
    """Called once per provider, right after its object is first loaded by `get`."""
