"""Torch's device-backend autoload, skipped when no installed distribution declares a backend.

``import torch`` reads the entry points of every installed distribution to find group
``torch.backends`` (``torch/__init__.py``, ``_import_device_backends``): with a thousand packs
installed that is a fifth of a second before the first step. torchplug's scan already knows
every group that any distribution declares, so when none declares ``torch.backends`` the run
sets ``TORCH_DEVICE_BACKEND_AUTOLOAD=0`` before torch is imported: torch would have loaded
nothing. A value the user set, either way, is left as it is. Like any variable set in the
process, it is inherited by the processes the run starts (data-loader workers, for instance),
which see the same installed distributions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchplug import Registry

#: The entry-point group torch scans at import, and the variable that turns the scan off.
BACKEND_GROUP = "torch.backends"
AUTOLOAD_VARIABLE = "TORCH_DEVICE_BACKEND_AUTOLOAD"


def skip_unclaimed_backend_scan(
    registry: Registry, environ: MutableMapping[str, str] = os.environ
) -> bool:
    """Turn torch's backend autoload off if nothing could be autoloaded; True if it did.

    Nothing changes once torch is imported, when the user set the variable, when the registry
    reads nothing installed (``TORCHPLUG_AUTOLOAD=0``: it cannot tell), or when any installed
    distribution declares a ``torch.backends`` entry point.
    """
    if "torch" in sys.modules or AUTOLOAD_VARIABLE in environ:
        return False
    groups = registry.installed_groups()
    if groups is None or BACKEND_GROUP in groups:
        return False
    environ[AUTOLOAD_VARIABLE] = "0"
    return True
