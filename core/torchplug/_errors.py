"""The exceptions torchplug raises: one class per kind of failure, all under `TorchplugError`.

Bottom layer: every other module may raise these, and they import nothing of torchplug.
"""

from __future__ import annotations


class TorchplugError(Exception):
    """Base of every error torchplug raises, so callers can catch them all at once.

    Each kind of failure has its subclass, which also derives from the matching built-in
    exception, so that existing ``except`` clauses keep working. Raised itself only for an
    invalid answer of a ``torchplug_resolve_conflict`` hook.
    """


class InvalidNameError(TorchplugError, ValueError):
    """A category, component or namespace name that torchplug cannot accept."""


class ComponentNotFoundError(TorchplugError, KeyError):
    """No provider for a requested category or name; the message lists what is available.

    Also raised by `Registry.unregister` of a name never registered, and by `Registry.prefer` of a
    distribution that does not provide the name.

    Attributes:
        category: The category asked for.
        name: The name asked for; None when the category itself is unknown.
    """

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
    """A name has more than one provider and nothing says which one to use.

    Also raised by `Registry.register` of a name already taken. The message names every provider
    and the ways to choose one.

    Attributes:
        category: The category of the name.
        name: The conflicted name.
    """

    def __init__(self, message: str, *, category: str, name: str) -> None:
        super().__init__(message)
        self.category = category
        self.name = name


class PluginLoadError(TorchplugError, ImportError):
    """Importing an entry point failed; the original exception is chained as `__cause__`.

    Whatever the import raised becomes this error, `SystemExit` and `KeyboardInterrupt` included
    (a real Ctrl-C of the user is let through). The message names the entry point as its pack
    declares it and what to do: fix or block the pack when the failure is its own, or repair
    what really failed when it is not (a dependency, another distribution's metadata).

    Attributes:
        category: The category of the name.
        name: The name whose provider failed to load.
        distribution: The pack that declares the entry point.
        dependency: The module outside that pack whose import raised (``"torch"``), or None when
            the pack's own code failed.
        culprit: The distribution at fault, where it is known: the pack, the one that provides
            `dependency`, or the one whose unreadable metadata made the import fail.
    """

    def __init__(
        self,
        message: str,
        *,
        category: str,
        name: str,
        distribution: str | None = None,
        culprit: str | None = None,
        dependency: str | None = None,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.name = name
        self.distribution = distribution
        self.culprit = culprit
        self.dependency = dependency

    def __str__(self) -> str:
        return str(self.args[0])


class CircularImportError(PluginLoadError):
    """Plugins that need each other while being imported: reported instead of a deadlock.

    Raised where a plugin is asked for while it is itself being imported (in this thread, or by
    a thread that waits for this one), it is not remembered: that import may still finish, and
    a later `get` returns the plugin. A plugin whose own import failed on the cycle is remembered
    as broken like any other.

    Attributes:
        cycle: The plugins (and modules) on the way, as ``"model 'a' (pack-a) -> model 'b'
            (pack-b) -> model 'a' (pack-a)"``.
    """

    def __init__(
        self, message: str, *, category: str, name: str, distribution: str | None, cycle: str
    ) -> None:
        super().__init__(message, category=category, name=name, distribution=distribution)
        self.cycle = cycle


class NoProvenanceError(TorchplugError, LookupError):
    """The object was not built by `Registry.build`, or cannot carry a record."""


class ConfigError(TorchplugError, ValueError):
    """A config that cannot build: the message starts with the dotted config path at fault.

    Attributes:
        path: The dotted config path at fault, e.g. ``model.norm.epsilon``.
        component: ``"category:name"`` of the component, or None before the name resolved.
        distribution: The providing distribution, or None.
    """

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
