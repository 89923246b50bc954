"""torchplug: training components selectable by name, discovered from installed packs.

Importing this package is cheap: no metadata scan, no plugin and no torch import happens here,
and the modules that only builds, checks or fingerprints need are imported on first use.
"""

from __future__ import annotations

from ._errors import (
    CircularImportError,
    ComponentDisabledError,
    ComponentNotFoundError,
    ConfigError,
    DuplicateComponentError,
    InvalidNameError,
    NoProvenanceError,
    PluginLoadError,
    TorchplugError,
)
from ._registry import Registry, fingerprint
from ._registry import default_registry as registry

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if TYPE_CHECKING:
    from typing import Any

    from ._hookspecs import hookimpl, hookspec
    from ._info import ComponentInfo, DistributionInfo
    from ._loading import Provider
    from ._preferences import PreferenceRule
    from ._report import CheckReport, Finding
    from .build import (
        Component,
        ComponentFactory,
        Contract,
        Provenance,
        provenance,
        require_factory,
    )

#: Public names resolved on first use, and the private module each comes from: `import
#: torchplug` imports the registry and the errors, nothing else.
_LAZY = {
    "Component": "build",
    "ComponentFactory": "build",
    "Contract": "build",
    "Provenance": "build",
    "provenance": "build",
    "require_factory": "build",
    "CheckReport": "_report",
    "Finding": "_report",
    "hookimpl": "_hookspecs",
    "hookspec": "_hookspecs",
    "PreferenceRule": "_preferences",
    "ComponentInfo": "_info",
    "DistributionInfo": "_info",
    "Provider": "_loading",
}

__all__ = [
    "CheckReport",
    "CircularImportError",
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
    "PreferenceRule",
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
    "require_factory",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        import importlib_metadata

        return importlib_metadata.version("torchplug")
    if name in _LAZY:
        __import__(f"{__name__}.{_LAZY[name]}")
        import sys

        value = getattr(sys.modules[f"{__name__}.{_LAZY[name]}"], name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
