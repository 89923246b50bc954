"""torchplug: training components selectable by name, discovered from installed packs.

Importing this package is cheap: no metadata scan, no plugin and no torch import happens here.
"""

from __future__ import annotations

from typing import Any

from ._build import Component, ComponentFactory, fingerprint
from ._check import CheckReport, Finding
from ._component import ComponentInfo, Provider
from ._contracts import Contract
from ._errors import (
    ComponentDisabledError,
    ComponentNotFoundError,
    ConfigError,
    DuplicateComponentError,
    InvalidNameError,
    PluginLoadError,
    TorchplugError,
)
from ._identity import NoProvenanceError, Provenance, provenance
from ._registry import DistributionInfo, Registry

#: The default registry: entry-point groups ``torchplug.<category>``.
registry = Registry()

__all__ = [
    "CheckReport",
    "Component",
    "ComponentDisabledError",
    "ComponentFactory",
    "ComponentInfo",
    "ComponentNotFoundError",
    "ConfigError",
    "Contract",
    "DistributionInfo",
    "DuplicateComponentError",
    "Finding",
    "InvalidNameError",
    "NoProvenanceError",
    "PluginLoadError",
    "Provenance",
    "Provider",
    "Registry",
    "TorchplugError",
    "__version__",
    "fingerprint",
    "hookimpl",
    "hookspec",
    "provenance",
    "registry",
]


def __getattr__(name: str) -> Any:
    # Resolved on first use so that `import torchplug` reads no metadata and imports no pluggy.
    if name == "__version__":
        import importlib_metadata

        return importlib_metadata.version("torchplug")
    if name in ("hookimpl", "hookspec"):
        from . import _hookspecs

        return getattr(_hookspecs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
