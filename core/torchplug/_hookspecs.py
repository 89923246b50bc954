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
    the next hook; when no hook chooses, `get` raises `DuplicateComponentError`. The first answer
    that is not None wins; an answer that is not a candidate raises `TorchplugError`.

    Called by `get`, `build`, `Registry.provider` and ``check(deep=True)`` only, when several
    enabled distributions provide a bare name and no preference or equivalence settles it; not
    when one distribution declares a name twice (a bug in that pack), and not by `info`, `list`
    or a plain `check`, which read metadata only and still report the conflict.
    """


@hookspec
def torchplug_component_loaded(category: str, name: str, obj: Any, info: ComponentInfo) -> None:
    """Called once per provider, right after its object is first loaded by `get`.

    Also after a load by ``check(deep=True)``. `info` describes the provider that was loaded,
    whichever way it was chosen; `obj` is the object that was loaded.
    """
