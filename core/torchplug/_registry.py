"""The registry: category -> name -> component, the public face of everything below it.

Installed metadata is scanned once, on first need; a provider's module is imported on its first
`get`; a name with two enabled providers is never resolved silently. The state lives in a
`Catalog`, resolution rules in `_resolution`, building in `torchplug.build`, the report in `_check`:
this module adds the public methods, the hot path of `get`, and the fallback to a parent registry.
"""

from __future__ import annotations

import _thread
import builtins

from ._errors import (
    ComponentDisabledError,
    ComponentNotFoundError,
    ConfigError,
    TorchplugError,
)
from ._names import (
    check_category,
    check_component,
    check_namespace,
    glob_match,
    not_found_hint,
    split_qualified,
)
from ._settings import DEFAULT_IMPORT_TIMEOUT

TYPE_CHECKING = False  # typing costs milliseconds to import; mypy reads this as True
if not TYPE_CHECKING:

    def overload(function):  # typing.overload at run time: the last definition is the one used
        return function


if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, TypeVar, overload

    from ._catalog import Catalog
    from ._info import ComponentInfo, DistributionInfo
    from ._keyed import Row
    from ._loading import Provider
    from ._preferences import PreferenceRule
    from ._report import CheckReport
    from .build import ComponentFactory, Contract

    T = TypeVar("T")


#: Checked factories a registry keeps for `build`; past this many distinct specs, it starts over.
_KEPT_FACTORIES = 256
# Guards creating a registry's catalog on first use.
_creating = _thread.allocate_lock()


def _caller_level() -> int:
    """The `stacklevel` of the first frame outside torchplug, so that a deprecation warning
    points at the user's code (and is shown by default filters) whether it came through `get`,
    `build` or a nested component."""
    import sys

    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchplug."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class Registry:
    """Components by category and name, discovered from the entry-point groups ``<namespace>.*``.

    ``Registry(namespace="myfw", parent=torchplug.registry)`` gives a framework its own groups
    (``myfw.model``, ...) and falls back to the parent for names it does not have itself. A new
    namespace knows no category until something registers, installs or declares one. `settings`
    (default: only for the ``torchplug`` namespace) reads the user's preferences from
    TORCHPLUG_PREFER, the project's ``torchplug.toml`` and ``~/.config/torchplug/config.toml``.
    Creating one is cheap: nothing is scanned until a method needs a name.

    Raises:
        InvalidNameError: `namespace` is not lowercase identifiers joined by dots.
    """

    def __init__(
        self,
        namespace: str = "torchplug",
        *,
        parent: Registry | None = None,
        autoload: bool | None = None,
        disabled: Iterable[str] = (),
        settings: bool | None = None,
    ) -> None:
        self.namespace = check_namespace(namespace)
        self.parent = parent
        # The user's settings (TORCHPLUG_PREFER, torchplug.toml, ~/.config) are torchplug's: a
        # framework's own namespace reads none of them unless it asks.
        if settings is None:
            settings = self.namespace == "torchplug"
        # The catalog (and every module behind it) is made on first use: creating the default
        # registry is part of `import torchplug`, which must cost next to nothing.
        self._state: Catalog | None = None
        self._options = (autoload, tuple(disabled), settings)
        self._hot: dict[str, dict[str, Any]] = {}  # the catalog empties it in place
        self._contracts: dict[str, Contract] = {}  # declared in this process
        self._factories: dict[Any, tuple[int, ComponentFactory]] = {}  # see `build`
        self._deprecations = 0  # deprecation warnings issued: a spec that warned is not kept

    def __repr__(self) -> str:
        return f"Registry(namespace={self.namespace!r})"

    @property
    def _catalog(self) -> Catalog:
        catalog = self._state
        if catalog is None:
            with _creating:
                if self._state is None:
                    from ._catalog import Catalog

                    autoload, disabled, settings = self._options
                    self._state = Catalog(self.namespace, autoload, disabled, settings, self._hot)
                catalog = self._state
        return catalog

    # ----------------------------------------------------------------- installed state

    def refresh(self) -> None:
        """Rescan installed metadata, e.g. after ``pip install`` in this process.

        Local registrations and preferences stay; providers that are still installed unchanged
        keep their loaded objects. TORCHPLUG_DISABLE and TORCHPLUG_AUTOLOAD are read again.
        """
        self._catalog.refresh()

    def disable(self, *distributions: str) -> None:
        """Block distributions, as TORCHPLUG_DISABLE does: none of their entry points is imported."""
        self._catalog.set_disabled(distributions, blocked=True)

    def enable(self, *distributions: str) -> None:
        """Undo `disable` for these distributions (TORCHPLUG_DISABLE still applies)."""
        self._catalog.set_disabled(distributions, blocked=False)

    def set_autoload(self, enabled: bool | None) -> None:
        """Turn entry-point discovery on or off (None: follow TORCHPLUG_AUTOLOAD again)."""
        self._catalog.set_autoload(enabled)

    @property
    def disabled(self) -> frozenset[str]:
        """The blocked distributions: `disable` plus TORCHPLUG_DISABLE as read at the last scan."""
        self._catalog.tables  # noqa: B018 - the scan reads TORCHPLUG_DISABLE
        return self._catalog.disabled

    @property
    def plugin_manager(self) -> Any:
        """The pluggy ``PluginManager``; using it imports the installed hook plugins.

        A consumer with events of its own adds their specs with ``add_hookspecs`` (as the
        training loop does) and calls them through ``plugin_manager.hook``.
        """
        return self._catalog.relay.manager

    # ----------------------------------------------------------------- registering

    @overload
    def register(
        self,
        category: str,
        name: str,
        obj: None = None,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> Callable[[T], T]: ...

    @overload
    def register(
        self,
        category: str,
        name: str,
        obj: T,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> T: ...

    def register(
        self,
        category: str,
        name: str,
        obj: Any = None,
        *,
        override: bool = False,
        aliases: Iterable[str] = (),
    ) -> Any:
        """Register `obj` as `name` (and `aliases`) in `category` and return it; without `obj`,
        a decorator.

        A name that an installed pack provides, or that was registered before, raises
        `DuplicateComponentError` unless ``override=True``; the registration then wins for the
        bare name, and a qualified name still reaches an installed provider. Registrations live
        in this registry object, in this process.

        Raises:
            InvalidNameError: A category or name that breaks the naming rules.
            DuplicateComponentError: The name is taken and `override` is false.
        """
        check_category(category)
        names = [check_component(n) for n in (name, *aliases)]
        if obj is None:

            def decorator(target: T) -> T:
                self.register(category, name, target, override=override, aliases=aliases)
                return target

            return decorator
        self._catalog.register(category, names, obj, override=override)
        return obj

    def register_model(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``model``."""
        return self.register("model", name, obj, override=override)

    def register_optimizer(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``optimizer``."""
        return self.register("optimizer", name, obj, override=override)

    def register_scheduler(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``scheduler``."""
        return self.register("scheduler", name, obj, override=override)

    def register_loss(self, name: str, obj: Any = None, *, override: bool = False) -> Any:
        """`register` in category ``loss``."""
        return self.register("loss", name, obj, override=override)

    def unregister(self, category: str, name: str) -> None:
        """Remove a local registration (installed entry points are removed by uninstalling)."""
        self._catalog.unregister(category, name)

    def deprecate(self, category: str, old: str, new: str) -> None:
        """Make `old` resolve to `new` with a DeprecationWarning; `list` hides `old`.

        Packs declare the same in metadata: group ``torchplug.deprecated``, ``"mlp.silu" = "swiglu"``.
        """
        check_category(category)
        self._catalog.deprecate(category, check_component(old), check_component(new))

    def prefer(self, category: str, name: str, distribution: str | None) -> None:
        """Resolve a conflict: `get` of `name` uses `distribution`'s provider (None: forget it)."""
        if distribution is not None and not self._catalog.installed(category, name):
            raise self._not_found(category, name)
        self._catalog.prefer(category, name, distribution)

    # ----------------------------------------------------------------- resolving

    def get(self, category: str, name: str) -> Any:
        """The object registered as `name`; an entry point's module is imported on first `get`.

        `name` may be qualified as ``"distribution:name"`` to pick one provider of a conflict.
        The first `get` of an installed name imports its module once, even when many threads
        ask at once; later calls are a dictionary lookup.

        Raises:
            ComponentNotFoundError: Unknown category or name, here and in the parent; the
                message suggests close names.
            ComponentDisabledError: Every provider of the name is disabled.
            DuplicateComponentError: Several providers and nothing settles which (see
                `add_preferences`); the message says what to paste where.
            PluginLoadError: Importing the provider failed; remembered until `refresh`.
        """
        try:
            return self._hot[category][name]
        except KeyError:
            pass  # resolved outside the handler, so its errors do not chain this KeyError
        return self._get_cold(category, name)

    def _get_cold(self, category: str, name: str) -> Any:
        catalog = self._catalog
        generation = catalog.generation
        obj = self._resolve(category, name)[0]
        if catalog.replacement(category, name) is None:  # a deprecated name warns every time
            with catalog.lock:
                if generation == catalog.generation:
                    self._hot.setdefault(category, {})[name] = obj
        return obj

    def _resolve(
        self, category: str, name: str
    ) -> tuple[Any, Provider, str, Callable[[], ComponentInfo]]:
        """The object `get` returns, its provider, the bare name it resolved to, and what makes
        the record of that provider (made only when asked for: a build rarely needs it)."""
        catalog = self._catalog
        new = catalog.replacement(category, name)
        if new is not None:
            import warnings

            self._deprecations += 1
            warnings.warn(
                f"{category} {name!r} is deprecated; use {new!r} instead",
                DeprecationWarning,
                stacklevel=_caller_level(),
            )
            name = new
        found = catalog.lookup(category, name, compare=True)
        if found is None:
            if self.parent is not None:
                try:
                    return self.parent._resolve(category, name)
                except ComponentDisabledError:
                    raise
                except ComponentNotFoundError:
                    pass
            raise self._not_found(category, name)
        source, bare, why = found
        obj = catalog.load(source, category, bare)

        def info() -> ComponentInfo:
            from ._resolution import chosen_info

            installed = catalog.installed(category, bare)
            return chosen_info(category, bare, source, installed, why)

        return obj, source.provider, bare, info

    def provider(self, category: str, name: str) -> Provider:
        """The provider `get` would use for `name`; raises as `get` would.

        A conflict is settled here exactly as `get` settles it (qualified name, preference,
        ``torchplug_resolve_conflict`` hooks, candidates that import to one object), so a training
        loop can refuse a config before it builds anything.
        """
        name = self._catalog.replacement(category, name) or name
        found = self._catalog.lookup(category, name, compare=True)
        if found is not None:
            return found[0].provider
        if self.parent is not None:
            try:
                return self.parent.provider(category, name)
            except ComponentDisabledError:
                raise
            except ComponentNotFoundError:
                pass
        raise self._not_found(category, name)

    # ----------------------------------------------------------------- preferences

    def add_preferences(
        self,
        table: Mapping[str, str | Sequence[str]],
        *,
        origin: str,
        place: str = "config",
    ) -> None:
        """Settle conflicts by rules ``{"category.name": distribution or [distributions]}``.

        Patterns may use ``*`` globs (``"optimizer.*"``, ``"*"``); a list is in priority order.
        `origin` says where the rules were written (shown by `check`), and replaces earlier rules
        of the same origin; `place` ranks them: ``"lock"``, ``"flag"``, ``"env"``, ``"config"``,
        ``"project"`` or ``"user"`` (highest first). Raises `ConfigError` naming `origin` for a
        malformed pattern or value.
        """
        from ._preferences import LEVELS, parse_rules

        if place not in LEVELS or place == "api":
            raise ValueError(f"place must be one of {[p for p in LEVELS if p != 'api']}")
        rules = parse_rules(table, origin, place)
        self._catalog.add_preferences(rules, replace=True)

    def preferences(self) -> builtins.list[PreferenceRule]:
        """Every preference rule in force, in the order they are asked; reads the settings files."""
        self._catalog.tables  # noqa: B018 - the scan reads TORCHPLUG_PREFER and the settings files
        return builtins.list(self._catalog.preferences.rules)

    # ----------------------------------------------------------------- reading, no imports

    def categories(self) -> builtins.list[str]:
        """Sorted category names known here or in the parent; imports nothing."""
        names = self._catalog.categories()
        if self.parent is not None:
            names.update(self.parent.categories())
        return sorted(names)

    def _is_known(self, category: str) -> bool:
        """Known: something provides it, or it has a contract (declared here or installed)."""
        if self._catalog.knows(category) or category in self._contracts:
            return True
        if self._catalog.group_of("contracts", category):
            return True
        return self.parent is not None and self.parent._is_known(category)

    def list(
        self, category: str, pattern: str | None = None, *, include_deprecated: bool = False
    ) -> builtins.list[str]:
        """Sorted names that `get` can be asked for in `category`; imports nothing.

        `pattern` keeps the names it matches, shell-style and case-sensitive (``"*adam*"``, as
        `fnmatch.fnmatchcase`). Deprecated names are left out unless `include_deprecated`.
        """
        if not self._is_known(category):
            raise self._not_found(category, None)
        names = self._catalog.names(category, include_deprecated=include_deprecated)
        if self.parent is not None and category in self.parent.categories():
            names.update(self.parent.list(category, include_deprecated=include_deprecated))
        if pattern is None:
            return sorted(names)
        return sorted(n for n in names if glob_match(n, pattern))

    def info(self, category: str, name: str) -> ComponentInfo:
        """Provider, version, target, status and aliases of `name`; imports nothing.

        A deprecated name gives the info of its replacement; a qualified name the info of that
        distribution's provider.
        """
        catalog = self._catalog
        catalog.tables  # noqa: B018 - the scan reads the settings the answer depends on
        name = catalog.replacement(category, name) or name
        distribution, bare = split_qualified(name)
        installed = catalog.installed(category, bare)
        local = catalog.local.get(category, {}).get(bare)
        if distribution is not None:
            installed = [s for s in installed if s.provider.distribution == distribution]
            local = None
        if installed or local is not None:
            from ._resolution import describe

            return describe(
                category, bare, installed, local, catalog.disabled, catalog._preferences
            )
        if self.parent is not None:
            try:
                return self.parent.info(category, name)
            except ComponentNotFoundError:
                pass
        raise self._not_found(category, name)

    def entries(self, category: str | None = None) -> builtins.list[ComponentInfo]:
        """`info` of every name (disabled, conflicted and broken ones too), sorted; imports nothing."""
        from ._rows import info_of

        return [info_of(row) for row in self._rows(category)]

    def _rows(self, category: str | None = None) -> builtins.list[Row]:
        """`entries` as plain rows (`_rows`), sorted: what ``torchplug list`` prints."""
        from ._rows import rows

        if category is not None and not self._is_known(category):
            raise self._not_found(category, None)
        catalog = self._catalog
        if category is None:
            categories: Iterable[str] = sorted(catalog.categories())
        else:
            categories = (category,)
        own = [row for c in categories for row in rows(catalog, c)]  # sorted: rows() sorts
        if self.parent is None:
            return own
        found = {(row[0], row[1]): row for row in own}
        for row in self.parent._rows():
            key = (row[0], row[1])
            if key not in found and category in (None, row[0]):
                found[key] = row
        return [found[k] for k in sorted(found)]

    def distributions(self) -> builtins.list[DistributionInfo]:
        """Installed distributions that provide components, hooks or commands here, by name."""
        return self._catalog.distributions()

    def installed_groups(self) -> builtins.list[str] | None:
        """Every entry-point group that some installed distribution declares, of any namespace
        (``console_scripts``, ``pytest11``, ...), sorted; from the same scan, imports nothing.
        None when this registry reads nothing installed (autoload off): then nobody knows.

        A program about to scan every distribution for one group can skip that scan when no
        distribution declares the group: ``torchplug run`` does so for torch's device-backend
        autoload. Like the rest of the scan, it follows installs, uninstalls and edits of the
        distributions that provide something here; a distribution that provides nothing here
        and has its entry_points.txt edited in place is not read again until something is
        installed or removed (or `refresh`).
        """
        catalog = self._catalog
        groups = catalog.tables.groups()
        return builtins.list(groups) if catalog.reads_installed else None

    def commands(self) -> dict[str, builtins.list[Provider]]:
        """Installed command-line subcommands (group ``<namespace>.commands``); imports nothing."""
        return {
            name: [s.provider for s in sources]
            for name, sources in sorted(self._catalog.group("commands").items())
        }

    def load_command(self, name: str, distribution: str | None = None) -> Any:
        """Import the command `name` (of `distribution`, when several provide it)."""
        sources = self._catalog.group("commands").get(name, [])
        chosen = [s for s in sources if distribution in (None, s.provider.distribution)]
        if len(chosen) != 1:
            if chosen:
                from ._resolution import duplicate_error

                raise duplicate_error(self.namespace, "commands", name, chosen)
            raise ComponentNotFoundError(f"No command {name!r}.", category="commands", name=name)
        return self._catalog.load(chosen[0], "commands", name)

    # ----------------------------------------------------------------- checking and building

    def check(
        self, *, deep: bool = False, timeout: float | None = DEFAULT_IMPORT_TIMEOUT
    ) -> CheckReport:
        """Every conflict, broken entry point and metadata problem at once.

        Imports nothing unless ``deep=True``, which loads every enabled entry point (and the
        hook plugins) and reports each failure.

        Args:
            deep: Import every enabled entry point and hook plugin, and report what fails.
            timeout: With `deep`, how many seconds to wait for one plugin's import (None: as
                long as it takes). An import still running then is a ``"timeout"`` finding and
                is no longer waited for: it goes on in a daemon thread, and loading that plugin
                fails at once until it ends.
        """
        from ._check import check

        return check(self._catalog, self.contract, deep=deep, timeout=timeout)

    def declare_contract(self, contract: Contract) -> None:
        """Declare the call of a category's builders (and its default type) in this process."""
        check_category(contract.category)
        with self._catalog.lock:
            self._contracts[contract.category] = contract
            self._catalog.changed()  # factories checked against the old contract are stale

    def contract(self, category: str) -> Contract | None:
        """The contract of `category`: declared here, by an installed pack, or the parent's.

        A pack's contract (group ``<namespace>.contracts``) is imported on first need.
        """
        if category in self._contracts:
            return self._contracts[category]
        from .build._contracts import installed_contract

        found = installed_contract(self._catalog, category)
        if found is None and self.parent is not None:
            return self.parent.contract(category)
        return found

    def builder(self, category: str, spec: Any, *, at: str | None = None) -> ComponentFactory:
        """Resolve and check `spec` without building it; call the result with runtime inputs.

        `at` is the config path used in error messages (default: the category). This is how a
        training loop validates a whole config before it builds anything.

        Raises:
            ConfigError: The name cannot be resolved, a key is unknown, a value does not fit its
                annotation, a required hyperparameter or ``type`` is missing, or the config sets
                a runtime input. The message starts with the dotted config path.
        """
        from .build._factory import ComponentFactory, split_spec

        path = at or category
        contract = self.contract(category)
        name, config = split_spec(spec, category, contract.default_type if contract else None, path)
        where = path if isinstance(spec, str) else f"{path}.type"
        try:
            builder, provider, bare, info = self._resolve(category, name)
        except TorchplugError as exc:
            raise ConfigError(str(exc), path=where, component=f"{category}:{name}") from exc
        factory = ComponentFactory(
            category,
            name,
            builder,
            info,
            config,
            path,
            contract,
            provider=provider,
            resolved_name=bare,
        )
        factory.validate(self)
        return factory

    def build(self, category: str, spec: Any, *args: Any, **kwargs: Any) -> Any:
        """Build a component from a name or a ``{"type": name, **hyperparameters}`` table.

        `args` and `kwargs` are the runtime inputs (``model.parameters()`` for an optimizer).
        Config keys are checked against the builder's signature first; the result carries its
        provenance (`torchplug.provenance`).

        Raises:
            ConfigError: As `builder` raises it, before anything is built.
        """
        # A spec built before is not resolved and checked again: its checked factory is kept,
        # keyed by the spec's values and their types (1 and True are different configs), for as
        # long as nothing that could change the answer changes (the catalog's generation).
        key = _spec_key(category, spec) if self.parent is None else None
        if key is not None:
            try:
                cached = self._factories.get(key)
            except TypeError:  # a value that cannot be hashed: the spec is not kept
                key = cached = None
            if cached is not None and self._state is not None:
                if cached[0] == self._state.generation:
                    return cached[1](*args, **kwargs)
        catalog = self._catalog
        catalog.tables  # noqa: B018 - scanned first: the scan itself is a change of generation
        generation = catalog.generation
        deprecations = self._deprecations
        factory = self.builder(category, spec)
        if key is not None and deprecations == self._deprecations:  # deprecated names warn again
            if len(self._factories) >= _KEPT_FACTORIES:
                self._factories.clear()
            self._factories[key] = (generation, factory)
        return factory(*args, **kwargs)

    # ----------------------------------------------------------------- errors

    def _not_found(self, category: str, name: str | None) -> ComponentNotFoundError:
        if not self._is_known(category):
            return ComponentNotFoundError(
                f"Unknown category {category!r} in registry {self.namespace!r}. "
                + not_found_hint(
                    category,
                    self.categories(),
                    {*self._contracts, *self._catalog.group("contracts")},
                )
                + f" Install a pack that declares entry points in group '{self.namespace}."
                f"{category}', or register one.",
                category=category,
                name=name,
            )
        _, _, bare = (name or "").rpartition(":")
        return ComponentNotFoundError(
            f"No {category} named {name!r}. "
            + not_found_hint(bare, self.list(category), listing=f"torchplug list {category}")
            + f" Installed packs declare {category}s in the entry-point group "
            f"'{self.namespace}.{category}'; see `torchplug list {category}`.",
            category=category,
            name=name,
        )


def _spec_key(category: str, spec: Any) -> tuple[Any, ...] | None:
    """What identifies a spec for `Registry.build`'s kept factories; None: not kept."""
    kind = type(spec)
    if kind is str:
        return (category, spec)
    if kind is dict:
        return (category, *[(key, value.__class__, value) for key, value in spec.items()])
    return None


#: The default registry: entry-point groups ``torchplug.<category>`` (``torchplug.registry``).
default_registry = Registry()


def fingerprint(
    spec_or_obj: Any, category: str | None = None, *, registry: Registry | None = None
) -> str:
    """A stable hex digest of a component's identity and resolved hyperparameters.

    Takes an object built by `Registry.build`, its `Provenance`, a `ComponentFactory`, or a spec
    (name or ``{"type": ...}`` table) together with its `category`.
    """
    from _collections_abc import Mapping

    from .build import ComponentFactory, Provenance, provenance

    if isinstance(spec_or_obj, Provenance):
        return spec_or_obj.fingerprint()
    if isinstance(spec_or_obj, ComponentFactory):
        return spec_or_obj.provenance.fingerprint()
    if isinstance(spec_or_obj, (str, Mapping)):
        if category is None:
            raise TypeError(
                "fingerprint of a spec needs its category, e.g. fingerprint(spec, 'model')"
            )
        registry = default_registry if registry is None else registry
        return registry.builder(category, spec_or_obj).provenance.fingerprint()
    return provenance(spec_or_obj).fingerprint()
