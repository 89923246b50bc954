"""The exceptions torchplug raises: one class per kind of failure, all under `TorchplugError`.

Bottom layer: every other module may raise these, and they import nothing of torchplug.
"""

from __future__ import annotations


class TorchplugError(Exception):
    """Base of every error torchplug raises, so callers can catch them all at once."""


class InvalidNameError(TorchplugError, ValueError):
    """A category, component or namespace name that torchplug cannot accept."""


class ComponentNotFoundError(TorchplugError, KeyError):
    """No provider for a requested category or name; the message lists what is available."""

    def __init__(self, message: str, *, category: str, name: str | None = None) -> None:
        super().__init__(message)
        self.category = category
        self.name = name

    def __str__(self) -> str:
        # KeyError would repr() the message, quoting it and escaping newlines.
        return str(self.args[0])


class ComponentDisabledError(ComponentNotFoundError):
    """The only providers of a name are distributions blocked by the disable list."""


class DuplicateComponentError(TorchplugError, ValueError):
    """A name has more than one provider and nothing says which one to use."""

    def __init__(self, message: str, *, category: str, name: str) -> None:
        super().__init__(message)
        self.category = category
        self.name = name


class PluginLoadError(TorchplugError, ImportError):
    """Importing an entry point failed; the original exception is chained as `__cause__`."""

    def __init__(self, message: str, *, category: str, name: str) -> None:
        super().__init__(message)
        self.category = category
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


class NoProvenanceError(TorchplugError, LookupError):
    """The object was not built by `Registry.build`, or cannot carry a record."""


class ConfigError(TorchplugError, ValueError):
    """A config that cannot build: the message starts with the dotted config path at fault."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        component: str | None = None,
        distribution: str | None = None,
    ) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.component = component  # "category:name"
        self.distribution = distribution
