"""Which of torchplug's own hooks an installed hook plugin implements, read from its source.

Above the module locator, below the keyed index: a scan asks it once per hook plugin and the
answer is stored with the index. The registry calls two hooks itself, when a component is first
loaded and when a conflict needs a hook to settle it; if no installed hook plugin implements the
one it is about to call, neither pluggy nor any hook plugin needs importing. Nothing is imported
here: an implementation must be named in the source of the plugin's package (``def
torchplug_component_loaded``, or ``specname="torchplug_component_loaded"``), so the source of
every module of that top-level package is searched for the hook's name. Where the source cannot
be read (a compiled module, a zip, too large a package) the answer is None, and the plugin is
treated as implementing every hook.
"""

from __future__ import annotations

import os

from ._metadata import split_target

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: The hooks the registry calls itself (specified in `_hookspecs`, which imports pluggy).
CORE_HOOKS = ("torchplug_resolve_conflict", "torchplug_component_loaded")
#: Beyond this much source, a package is not searched: its plugin is assumed to implement all.
_MAX_BYTES = 16 * 1024 * 1024


def hooks_named(value: str, location: str | None) -> tuple[str, ...] | None:
    """The core hooks whose names appear in the source of the hook plugin `value`'s top-level
    package; None when that source cannot be read (assume all of them)."""
    from ._locate import Unreadable, editable_mappings, locate_module

    try:
        top = split_target(value)[0].partition(".")[0]
    except ValueError:
        return ()  # a malformed target never loads: it implements nothing
    try:
        try:
            found = locate_module(top)
        except Unreadable:
            found = locate_module(top, editable=editable_mappings(location))
    except (Unreadable, OSError, ValueError):
        return None
    if found.kind not in ("source", "namespace"):
        return None
    if found.search:
        files = _sources(found.search)
    else:
        files = iter([str(found.path)])
    wanted = {hook: hook.encode() for hook in CORE_HOOKS}
    named: set[str] = set()
    size = 0
    for file in files:
        try:
            with open(file, "rb") as handle:
                text = handle.read(_MAX_BYTES - size + 1)
        except OSError:
            return None
        size += len(text)
        if size > _MAX_BYTES:
            return None
        named.update(hook for hook, word in wanted.items() if word in text)
    return tuple(hook for hook in CORE_HOOKS if hook in named)


def _sources(directories: tuple[Path, ...]) -> Iterator[str]:
    """Every ``.py`` file under the package's directories."""
    for directory in directories:
        for folder, subfolders, files in os.walk(directory):
            subfolders[:] = [d for d in subfolders if d != "__pycache__"]
            for name in files:
                if name.endswith(".py"):
                    yield os.path.join(folder, name)
