"""The environment variables torchplug reads, each parsed in one place.

Bottom layer: nothing here knows registries or packs. Variables are read when a registry scans,
never at ``import torchplug``, so a test or a launcher can set them after importing.
"""

from __future__ import annotations

import os

#: Comma-separated distributions whose entry points are never imported.
DISABLE = "TORCHPLUG_DISABLE"
#: "0" turns entry-point discovery off: only local registrations exist.
AUTOLOAD = "TORCHPLUG_AUTOLOAD"
#: "0" turns the on-disk scan cache off.
CACHE = "TORCHPLUG_CACHE"
#: Preferences among providers: "PATTERN=DIST[,DIST...];PATTERN=DIST", e.g. "optimizer.*=torchplug-torch".
PREFER = "TORCHPLUG_PREFER"
#: "1" makes the command line show the Python traceback of an error.
TRACEBACK = "TORCHPLUG_TRACEBACK"

_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def flag(name: str, default: bool) -> bool:
    """A yes/no variable: ``0/false/no/off`` and ``1/true/yes/on`` in any case; else `default`."""
    value = os.environ.get(name, "").strip().lower()
    if value in _FALSE:
        return False
    if value in _TRUE:
        return True
    return default


def names(name: str) -> list[str]:
    """A comma-separated list variable, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
